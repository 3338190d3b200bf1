/**
 * `check` with two real QEMU binaries: the bookworm QEMU 7.2 catalog in a real git repository,
 * checked against Debian's 7.2 binary (base) and a wrapper around it that adds
 * `-global Haswell-x86_64-cpu.avx512f=on` (head), on two machine types and two models.
 * - The head adds AVX-512F to Haswell's definition: the static finding is confirmed, on the
 *   one model of it the wrapper changes.
 * - The head changes no catalog line: what the binaries measure is one unexplained finding, at
 *   the binary.
 * - The head changes a guest-CPUID function: the unexplained difference sits at that hunk.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/cli/cli.js';
import { joinBinaries } from '../../src/engine.js';
import type { Report } from '../../src/report/finding.js';
import { checkRevisions } from '../../src/source/revisions.js';
import { verifyBinaries, type VerifyResult } from '../../src/source/verify-binaries.js';
import { repoRoot } from '../support/debian-source.js';
import type { TempRepo } from '../support/git-repo.js';
import { addAvx512fToHaswell, repoWithQemuCatalog } from '../support/qemu-edits.js';
import { qemuWrapper } from '../support/qemu-wrapper.js';

const CPU_C = 'target/i386/cpu.c';
const MACHINES = ['pc-q35-7.2', 'pc-i440fx-7.1'];
const MODELS = ['Haswell', 'Haswell-v4'];

let repo: TempRepo;
let base: string;
let dir: string;
let wrapper: string;
let measured: VerifyResult;

beforeAll(async () => {
  repo = await repoWithQemuCatalog();
  base = repo.commitAll('QEMU 7.2 catalog');
  dir = mkdtempSync(path.join(os.tmpdir(), 'cmg-check-binaries-'));
  wrapper = await qemuWrapper('qemu-system-x86_64', path.join(dir, 'avx512f'), [
    '-global',
    'Haswell-x86_64-cpu.avx512f=on',
  ]);
  measured = await verifyBinaries({
    base: 'qemu-system-x86_64',
    head: wrapper,
    machines: MACHINES,
    models: MODELS,
    failOn: 'type-2',
  });
}, 600_000);

afterAll(() => {
  repo?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function checkJoined(name: string, change: (r: TempRepo) => void): Promise<Report> {
  const head = repo.branch(name, base, change);
  const checked = await checkRevisions({
    repoDir: repo.dir,
    base,
    head,
    catalog: { format: 'qemu-x86', path: '.' },
    failOn: 'type-2',
  });
  return joinBinaries(checked, measured, { failOn: 'type-2' });
}

describe('check joined with two real binaries', () => {
  test('the binaries measure Haswell alone changing', () => {
    expect(measured.report.findings.length).toBeGreaterThan(0);
    for (const f of measured.report.findings) expect(f.models).toEqual(['Haswell']);
    const properties = measured.report.findings.map((f) => f.property!);
    expect(properties).toContain('avx512f');
    expect(properties.some((p) => p.startsWith('CPUID 0xd.0 EAX'))).toBe(true);
    expect(measured.report.findings).toHaveLength(2);
  });

  test('AVX-512F added to Haswell: the static finding is confirmed on Haswell, nothing is unexplained', async () => {
    const report = await checkJoined('avx512f', (r) => addAvx512fToHaswell(r, CPU_C));
    const f = report.findings.find((x) => x.rule === 'released-model-changed' && x.property === 'avx512f')!;
    // The static finding reaches every Haswell version and alias on every released machine type ...
    expect(f.models).toEqual(expect.arrayContaining(['Haswell', 'Haswell-v1', 'Haswell-v4']));
    expect(f.machineTypes).toEqual(expect.arrayContaining([...MACHINES, 'pc-i440fx-1.4']));
    // ... and the wrapper changes the Haswell class alone: Haswell-v4 is measured the same.
    expect(f.confirmedBy).toBe('binaries');
    expect(f.confirmedOn).toEqual({ models: ['Haswell'], machineTypes: ['pc-i440fx-7.1', 'pc-q35-7.2'] });
    expect(f.message).toMatch(
      /The two binaries confirm it: avx512f expands differently .* for Haswell on pc-i440fx-7.1, pc-q35-7.2\./,
    );
    // The CPUID difference (the XSAVE leaf grows) is explained by the same property.
    expect(report.findings.filter((x) => x.rule === 'measured-unexplained')).toEqual([]);
    expect(report.result).toBe('fail');
    expect(report.notes.map((n) => n.message).join('\n')).toMatch(/joined with .*avx512f/);
  }, 300_000);

  test('no catalog change: one unexplained measured finding, at the binary', async () => {
    const report = await checkJoined('readme', (r) => r.write('README.rst', 'QEMU, packaged\n'));
    // The expansion's avx512f and the XSAVE leaf it grows are one cause: one finding.
    const unexplained = report.findings.filter((f) => f.rule === 'measured-unexplained');
    expect(unexplained).toHaveLength(1);
    const property = unexplained[0]!;
    expect(property).toMatchObject({
      class: 'new-model-required',
      verdict: 'fail',
      models: ['Haswell'],
      machineTypes: ['pc-i440fx-7.1', 'pc-q35-7.2'],
      before: false,
      after: true,
      confirmedBy: 'binaries',
      location: { path: wrapper, line: 1, side: 'RIGHT' },
    });
    expect(property.message).toMatch(/The guest reads it as: CPUID 0xd\.0 EAX bits 5-7/);
    expect(property.message).toMatch(/changes no function that computes guest CPUID/);
    expect(report.result).toBe('fail');
  }, 300_000);

  test('a code hunk in cpu_x86_cpuid(): the unexplained differences are placed at it', async () => {
    const report = await checkJoined('hunk', (r) =>
      r.edit(
        CPU_C,
        '            *ebx |= (cs->nr_cores * cs->nr_threads) << 16;',
        '            *ebx |= MIN(cs->nr_cores * cs->nr_threads, 255) << 16;',
      ),
    );
    const hunk = report.findings.find((f) => f.rule === 'cpuid-code-ungated')!;
    expect(hunk.location.path).toBe(CPU_C);
    const unexplained = report.findings.filter((f) => f.rule === 'measured-unexplained');
    expect(unexplained).toHaveLength(1);
    for (const f of unexplained) {
      expect(f.location).toEqual(hunk.location);
      expect(f.message).toContain(`cpu_x86_cpuid() (${CPU_C}:${hunk.location.line})`);
    }
  }, 300_000);

  test('binaries that do not carry the change: the static finding says they do not show it', async () => {
    const same = await verifyBinaries({
      base: 'qemu-system-x86_64',
      head: 'qemu-system-x86_64',
      machines: MACHINES,
      models: MODELS,
      failOn: 'type-2',
    });
    expect(same.report.findings).toEqual([]);
    const head = repo.branch('avx512f-unbuilt', base, (r) => addAvx512fToHaswell(r, CPU_C));
    const checked = await checkRevisions({
      repoDir: repo.dir,
      base,
      head,
      catalog: { format: 'qemu-x86', path: '.' },
      failOn: 'type-2',
    });
    const report = joinBinaries(checked, same, { failOn: 'type-2' });
    const f = report.findings.find((x) => x.property === 'avx512f')!;
    expect(f.confirmedBy).toBeUndefined();
    // Haswell and Haswell-v4 on the two machine types: the pairs of the finding both binaries compare.
    expect(f.message).toMatch(
      /The two binaries do not show it: avx512f expands the same in both on the 4 pair\(s\)/,
    );
    expect(report.findings.filter((x) => x.rule === 'measured-unexplained')).toEqual([]);
    expect(report.result).toBe('fail');
  }, 300_000);

  test('the CLI: check --base-binary --head-binary, JSON valid against the schema', async () => {
    const head = repo.branch('cli-avx512f', base, (r) => addAvx512fToHaswell(r, CPU_C));
    const out = path.join(dir, 'report.json');
    const common = ['check', '--repo', repo.dir, '--base', base, '--head', head, '--catalog', 'qemu-x86:.'];
    const selection = MACHINES.flatMap((m) => ['--machine', m]).concat(MODELS.flatMap((m) => ['--model', m]));
    const code = await run([
      ...common,
      '--base-binary',
      'qemu-system-x86_64',
      '--head-binary',
      wrapper,
      ...selection,
      '--format',
      'json',
      '--output',
      out,
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(readFileSync(out, 'utf8')) as Report;
    const schema = JSON.parse(readFileSync(path.join(repoRoot, 'schema/report.schema.json'), 'utf8'));
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report.findings.filter((f) => f.confirmedBy === 'binaries').map((f) => f.property)).toContain(
      'avx512f',
    );
    // Selecting machine types without binaries is a usage error, not a silent no-op.
    expect(await run([...common, '--machine', 'pc-q35-7.2', '--output', out])).toBe(2);
  }, 300_000);
});
