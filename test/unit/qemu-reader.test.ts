/**
 * The QEMU reader on the project's own miniature of QEMU's layout (test/fixtures/qemu-mini),
 * where every expected value can be read off the fixture by a person.
 */
import { describe, expect, test } from '@jest/globals';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EffectiveModels, registeredNames } from '../../src/catalog/effective.js';
import { CatalogError } from '../../src/errors.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';

const mini = fileURLToPath(new URL('../fixtures/qemu-mini', import.meta.url));
const lineOf = (file: string, needle: string): number =>
  readFileSync(path.join(mini, file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle)) + 1;

describe('reading the miniature tree', () => {
  test('models, versions and aliases with their lines', async () => {
    const c = await readQemuX86Catalog(fsSource(mini));
    expect(c.projectVersion).toBe('9.1.50');
    expect(registeredNames(c).map((n) => n.name)).toEqual([
      'Alpha',
      'Alpha-v1',
      'Alpha-v2',
      'Alpha-Lite',
      'Beta',
      'Beta-v1',
    ]);
    const alpha = c.models[0]!;
    expect(alpha.location.line).toBe(lineOf('target/i386/cpu.c', '.name = "Alpha"'));
    // A macro in an OR chain gives its bits the line of the term that names it.
    expect(alpha.props.find((p) => p.property === 'fpu')?.location.line).toBe(
      lineOf('target/i386/cpu.c', 'BASE_FEATURES | CPUID_VME'),
    );
    expect(alpha.props.find((p) => p.property === 'x2apic')?.location.line).toBe(
      lineOf('target/i386/cpu.c', 'CPUID_EXT_X2APIC,'),
    );
    expect(
      alpha.versions.map((v) => [v.version, v.alias, v.props.map((p) => `${p.property}=${p.value}`)]),
    ).toEqual([
      [1, undefined, []],
      [2, 'Alpha-Lite', ['avx2=false', 'model-id=Alpha Processor (lite)']],
    ]);
    expect(c.models[1]!.props.find((p) => p.property === 'model-id')?.value).toBe(
      'Beta Processor version 2.5+',
    );
    // Sparse feature words name their bits by index.
    expect(c.features.find((f) => f.name === 'avx512f')).toMatchObject({ word: 'FEAT_7_0_EBX', bit: 16 });
  });

  test('machine types follow their option-function chains', async () => {
    const c = await readQemuX86Catalog(fsSource(mini));
    const byName = Object.fromEntries(c.machineTypes.map((m) => [m.name, m]));
    expect(c.machineTypes.map((m) => m.name)).toEqual([
      'pc-i440fx-9.1',
      'pc-i440fx-9.2',
      'pc-q35-9.0',
      'pc-q35-9.1',
      'pc-q35-9.2',
    ]);
    expect(byName['pc-q35-9.0']!.compatSets).toEqual([
      'hw_compat_9_1',
      'pc_compat_9_1',
      'hw_compat_9_0',
      'pc_compat_9_0',
    ]);
    expect(byName['pc-q35-9.2']).toMatchObject({
      compatSets: [],
      aliases: ['q35'],
      released: false,
      defaultCpuVersion: 1,
    });
    expect(byName['pc-q35-9.1']!.released).toBe(true);
    expect(c.compatSets['pc_compat_9_0']!.entries[0]).toMatchObject({
      target: 'Alpha',
      property: 'sse4.1',
      value: 'off',
      location: { path: 'hw/i386/pc.c', line: lineOf('hw/i386/pc.c', '"Alpha" "-" TYPE_X86_CPU') },
    });
    expect(c.compatSets['pc_compat_9_1']!.entries[0]!.target).toBe('*');
    expect(c.compatSets['hw_compat_9_1']!.entries[0]!.target).toBeNull();
  });

  test('effective models in QEMU order: versions, accelerator defaults, compat, dependencies', async () => {
    const c = await readQemuX86Catalog(fsSource(mini));
    const em = new EffectiveModels(c);
    // Compat properties reach the unversioned name only.
    expect(em.get('Alpha', 'pc-q35-9.0')!['sse4.1']).toBe(false);
    expect(em.get('Alpha-v1', 'pc-q35-9.0')!['sse4.1']).toBe(true);
    expect(em.get('Alpha', 'pc-q35-9.1')!['sse4.1']).toBe(true);
    // Versions are cumulative and aliases pin theirs.
    expect(em.get('Alpha-Lite', 'pc-q35-9.2')).toEqual(em.get('Alpha-v2', 'pc-q35-9.2'));
    expect(em.get('Alpha-Lite', 'pc-q35-9.2')!['avx2']).toBe(false);
    // Accelerator defaults: KVM's paravirtual features, TCG's vme=off.
    expect(em.get('Alpha', 'pc-q35-9.2', 'kvm')!['kvmclock']).toBe(true);
    expect(em.get('Alpha', 'pc-q35-9.2', 'tcg')!['kvmclock']).toBe(false);
    expect(em.get('Alpha', 'pc-q35-9.2', 'tcg')!['vme']).toBe(false);
    expect(em.get('Alpha', 'pc-q35-9.2', 'none')!['vme']).toBe(true);
    // Global knobs: the property default, then compat for older machine types.
    expect(em.get('Beta', 'pc-q35-9.2')!['x-vendor-cpuid-only']).toBe(true);
    expect(em.get('Beta', 'pc-q35-9.1')!['x-vendor-cpuid-only']).toBe(false);
    // vmx on keeps the VMX controls; the hypervisor bit is always set.
    expect(em.get('Beta', 'pc-q35-9.2')!['vmx-hlt-exit']).toBe(true);
    expect(em.get('Beta', 'pc-q35-9.2')!['hypervisor']).toBe(true);
    expect(em.aliasOf('Alpha', 'pc-q35-9.2')).toBe('Alpha-v1');
    expect(em.aliasOf('Alpha-Lite', 'pc-q35-9.2')).toBe('Alpha-v2');
  });
});

describe("QEMU's automatic CPUID level, read from x86_cpu_expand_features", () => {
  const withCpuC = async (edit: (text: string) => string): Promise<unknown> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cmg-mini-'));
    try {
      cpSync(mini, dir, { recursive: true });
      const file = path.join(dir, 'target/i386/cpu.c');
      writeFileSync(file, edit(readFileSync(file, 'utf8')));
      return await readQemuX86Catalog(fsSource(dir)).catch((e: unknown) => e);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const cpuLine = (needle: string): number => lineOf('target/i386/cpu.c', needle);

  test('each feature word raises the minimum its leaf region names, under the knob that gates it', async () => {
    const c = await readQemuX86Catalog(fsSource(mini));
    expect(c.levelRules.map((r) => [r.property, r.atLeast, r.enabledBy, r.location.line])).toEqual([
      ['level', 1, 'full-cpuid-auto-level', cpuLine('x86_cpu_adjust_feat_level(cpu, FEAT_1_EDX)')],
      ['level', 7, 'full-cpuid-auto-level', cpuLine('x86_cpu_adjust_feat_level(cpu, FEAT_7_0_EBX)')],
    ]);
    expect(c.levelRules[1]!.whenAny).toContain('avx2');
  });

  test('a whole feature word as a condition, nested knobs, and conditions that are false by default', async () => {
    const c = (await withCpuC((t) =>
      t.replace(
        '        x86_cpu_adjust_feat_level(cpu, FEAT_7_0_EBX);\n',
        [
          '        x86_cpu_adjust_feat_level(cpu, FEAT_7_0_EBX);',
          '        if (env->features[FEAT_1_ECX]) {',
          '            if (cpu->vendor_cpuid_only)',
          '                x86_cpu_adjust_level(cpu, &cpu->env.cpuid_min_xlevel, 0x80000021);',
          '        }',
          '        if (sev_enabled() && (IS_INTEL_CPU(env) || cpu->vendor_cpuid_only)) {',
          '            x86_cpu_adjust_level(cpu, &env->cpuid_min_xlevel, 0x8000001F);',
          '        }',
          '',
        ].join('\n'),
      ),
    )) as Awaited<ReturnType<typeof readQemuX86Catalog>>;
    const rule = c.levelRules.find((r) => r.atLeast === 0x80000021)!;
    expect(rule).toMatchObject({
      property: 'xlevel',
      enabledBy: 'full-cpuid-auto-level',
      alsoEnabledBy: ['x-vendor-cpuid-only'],
    });
    expect(rule.whenAny).toEqual(expect.arrayContaining(['sse4.1', 'x2apic']));
    // SEV is off in the default configuration, so the vendor test need not be read.
    expect(c.levelRules.some((r) => r.atLeast === 0x8000001f)).toBe(false);
  });

  test('a condition the reader cannot evaluate is an error at its line', async () => {
    const err = await withCpuC((t) =>
      t.replace(
        '        x86_cpu_adjust_feat_level(cpu, FEAT_7_0_EBX);\n',
        '        x86_cpu_adjust_feat_level(cpu, FEAT_7_0_EBX);\n        if (cpu_has_frobnicator(cpu))\n            x86_cpu_adjust_level(cpu, &env->cpuid_min_level, 0x1d);\n',
      ),
    );
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).message).toMatch(
      /cannot evaluate the condition 'cpu_has_frobnicator \( cpu \)'/,
    );
    expect((err as CatalogError).location).toEqual({
      path: 'target/i386/cpu.c',
      line: cpuLine('x86_cpu_adjust_feat_level(cpu, FEAT_7_0_EBX)') + 1,
    });
  });
});

describe('input that cannot be read is an error with its location', () => {
  const withChange = async (change: (dir: string) => void): Promise<CatalogError> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cmg-mini-'));
    try {
      cpSync(mini, dir, { recursive: true });
      change(dir);
      const err = await readQemuX86Catalog(fsSource(dir)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CatalogError);
      return err as CatalogError;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const cpu = (dir: string): string => path.join(dir, 'target/i386/cpu.c');

  test('a truncated file', async () => {
    const err = await withChange((dir) => {
      const text = readFileSync(cpu(dir), 'utf8');
      writeFileSync(cpu(dir), text.slice(0, text.indexOf('.name = "Beta"')));
    });
    expect(err.location?.path).toBe('target/i386/cpu.c');
    expect(err.message).toMatch(/never closed/);
    // The innermost brace left open: the entry the file breaks off in.
    expect(err.location?.line).toBe(lineOf('target/i386/cpu.c', '.name = "Beta"') - 1);
  });

  test('an unknown macro in a feature list', async () => {
    const err = await withChange((dir) =>
      writeFileSync(
        cpu(dir),
        readFileSync(cpu(dir), 'utf8').replace(
          'CPUID_7_0_EBX_AVX2,',
          'CPUID_7_0_EBX_AVX2 | CPUID_7_0_EBX_NO_SUCH_BIT,',
        ),
      ),
    );
    expect(err.message).toMatch(/unknown macro or identifier 'CPUID_7_0_EBX_NO_SUCH_BIT'/);
    expect(err.location).toEqual({
      path: 'target/i386/cpu.c',
      line: lineOf('target/i386/cpu.c', 'CPUID_7_0_EBX_AVX2,'),
    });
  });

  test('an unknown field in a model definition', async () => {
    const err = await withChange((dir) =>
      writeFileSync(
        cpu(dir),
        readFileSync(cpu(dir), 'utf8').replace(
          '.model_id = "Alpha Processor",',
          '.model_id = "Alpha Processor",\n        .frobnication = 3,',
        ),
      ),
    );
    expect(err.message).toMatch(/model Alpha: unknown field \.frobnication/);
    expect(err.location?.line).toBe(lineOf('target/i386/cpu.c', '.model_id = "Alpha Processor",') + 1);
  });

  test('garbled text', async () => {
    const err = await withChange((dir) =>
      writeFileSync(cpu(dir), readFileSync(cpu(dir), 'utf8').replace('.family = 23,', '.family = 23 @@ %%,')),
    );
    expect(err.location?.path).toBe('target/i386/cpu.c');
    expect(err.location?.line).toBe(lineOf('target/i386/cpu.c', '.family = 23,'));
  });

  test('a binary file', async () => {
    const err = await withChange((dir) =>
      writeFileSync(path.join(dir, 'hw/i386/pc.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3])),
    );
    expect(err.message).toMatch(/binary/);
    expect(err.location?.path).toBe('hw/i386/pc.c');
  });

  test('a missing file', async () => {
    const err = await withChange((dir) => rmSync(path.join(dir, 'hw/i386/pc_q35.c')));
    expect(err.message).toMatch(/hw\/i386\/pc_q35\.c is missing/);
    expect(err.hint).toMatch(/root of a QEMU source tree/);
  });

  test('a tree older than the compat arrays', async () => {
    const err = await withChange((dir) => {
      writeFileSync(path.join(dir, 'hw/i386/pc.c'), '#include "qemu/osdep.h"\n');
      mkdirSync(path.join(dir, 'include/hw/i386'), { recursive: true });
      writeFileSync(path.join(dir, 'include/hw/i386/pc.h'), '#define PC_COMPAT_3_0 \\\n    HW_COMPAT_3_0\n');
    });
    expect(err.message).toMatch(/predates QEMU 3\.1/);
    expect(err.location).toEqual({ path: 'include/hw/i386/pc.h', line: 1 });
  });
});
