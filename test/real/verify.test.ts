/**
 * `verify` with real QEMU binaries: Debian's 7.2 (the system's), 10.0.2 (bookworm-backports,
 * unpacked), 10.0.13 (trixie) and 11.1.3 (sid) in chroots, each run through a wrapper script as
 * a user would pass it, and wrappers that change one thing with `-global`. The selections are
 * small (a few machine types and models) to keep the time bounded; the whole catalog is the
 * benchmark's.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Ajv } from 'ajv';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/cli/cli.js';
import type { Report } from '../../src/report/finding.js';
import { renderReport } from '../../src/report/render.js';
import { verifyBinaries, type VerifyResult } from '../../src/source/verify-binaries.js';
import { repoRoot } from '../support/debian-source.js';
import { qemuBinary } from '../support/qemu-binary.js';
import { qemuWrapper } from '../support/qemu-wrapper.js';
import { readmeRows } from '../support/readme-table.js';

const MODELS = [
  '486',
  'pentium',
  'qemu64',
  'Haswell',
  'Haswell-v4',
  'Skylake-Server-v5',
  'Denverton',
  'EPYC',
  'EPYC-Milan-v2',
];
/** QEMU 7.2 has no EPYC-Milan-v2 (a later release added it): the models 7.2 compares. */
const MODELS_72 = MODELS.filter((m) => m !== 'EPYC-Milan-v2');
let dir: string;
const wrappers: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cmg-verify-'));
  const suites = { '7.2': 'bookworm', '10.0.2': 'bookworm-backports', '10.0.13': 'trixie', '11.1.3': 'sid' };
  for (const [qemu, suite] of Object.entries(suites))
    wrappers[qemu] = await qemuWrapper(await qemuBinary(suite), path.join(dir, `qemu-${qemu}`));
  wrappers.avx512f = await qemuWrapper('qemu-system-x86_64', path.join(dir, 'avx512f'), [
    '-global',
    'Haswell-x86_64-cpu.avx512f=on',
  ]);
  wrappers.l3 = await qemuWrapper('qemu-system-x86_64', path.join(dir, 'l3'), [
    '-global',
    'x86_64-cpu.l3-cache=off',
  ]);
}, 3_600_000);

const verify = (base: string, head: string, machines: string[], models = MODELS): Promise<VerifyResult> =>
  verifyBinaries({ base: wrappers[base]!, head: wrappers[head]!, machines, models, failOn: 'type-2' });

const failing = (r: Report) => r.findings.filter((f) => f.verdict === 'fail');

describe('verify: a binary against itself and a stable update', () => {
  test('QEMU 7.2 against itself: nothing', async () => {
    const { report, base } = await verify('7.2', '7.2', ['pc-q35-7.2', 'pc-i440fx-7.1']);
    expect(report.mode).toBe('verify');
    expect(report.findings).toEqual([]);
    expect(report.result).toBe('pass');
    // It did compare: every model on both machine types, with guests run.
    expect(Object.keys(base.expansions['pc-q35-7.2']!).sort()).toEqual([...MODELS_72].sort());
    expect(base.guestRuns).toBeGreaterThanOrEqual(MODELS_72.length);
  }, 300_000);

  test('QEMU 10.0.2 (bookworm-backports) against 10.0.13 (trixie): nothing', async () => {
    const { report } = await verify('10.0.2', '10.0.13', ['pc-q35-10.0', 'pc-i440fx-9.2']);
    expect(report.findings).toEqual([]);
    expect(report.notes.map((n) => n.message).join('\n')).toMatch(
      /2 machine type\(s\) and 18 \(machine type, model\) pair/,
    );
  }, 300_000);
});

describe('verify: wrappers that change one thing', () => {
  test('-global Haswell-x86_64-cpu.avx512f=on: Haswell alone, failing', async () => {
    const { report } = await verify('7.2', 'avx512f', ['pc-q35-7.2', 'pc-i440fx-7.1']);
    expect(report.result).toBe('fail');
    expect(failing(report).length).toBeGreaterThan(0);
    for (const f of report.findings) {
      expect(f.models).toEqual(['Haswell']);
      expect(f.machineTypes).toEqual(['pc-i440fx-7.1', 'pc-q35-7.2']);
    }
    const property = report.findings.find((f) => f.property === 'avx512f')!;
    expect(property).toMatchObject({ class: 'new-model-required', before: false, after: true });
    // TCG cannot give AVX-512 itself, but the XSAVE leaf the guest reads grows its state components.
    const cpuid = report.findings.find((f) => f.property?.startsWith('CPUID'))!;
    expect(cpuid.properties ?? [cpuid.property]).toContain('CPUID 0xd.0 EAX bits 5-7');
    expect(cpuid.message).toMatch(/changed on every one of these pairs: avx512f/);
  }, 300_000);

  test('-global x86_64-cpu.l3-cache=off: the cache leaves of every model', async () => {
    const { report } = await verify('7.2', 'l3', ['pc-q35-7.2']);
    const l3 = report.findings.find((f) => f.property === 'l3-cache')!;
    expect(l3).toMatchObject({ before: true, after: false, models: [...MODELS_72].sort() });
    const cacheLeaf = /^CPUID (0x2\.0|0x4\.3|0x80000006\.0 EDX|0x8000001d\.3) /;
    const cpuid = report.findings.filter((f) => f.property?.startsWith('CPUID'));
    const reached = new Set(
      cpuid
        .filter((f) => (f.properties ?? [f.property!]).some((p) => cacheLeaf.test(p)))
        .flatMap((f) => f.models),
    );
    // 486 and pentium read no cache leaf at all (level 1, no extended cache leaves).
    expect([...reached].sort()).toEqual(MODELS_72.filter((m) => m !== '486' && m !== 'pentium').sort());
    for (const f of cpuid) expect((f.properties ?? [f.property!]).every((p) => cacheLeaf.test(p))).toBe(true);
  }, 300_000);
});

/** One README row per real upgrade: the numbers this test measures. */
async function upgradeRow(name: string, r: VerifyResult): Promise<void> {
  const cpuid = r.report.findings.filter((f) => f.property?.startsWith('CPUID'));
  const registers = new Set(
    cpuid.flatMap((f) => f.properties ?? [f.property!]).map((p) => p.replace(/ bits? .*$/, '')),
  );
  const properties = r.report.findings
    .filter((f) => !f.property?.startsWith('CPUID'))
    .map((f) => f.property!);
  const row = [
    name,
    String(r.report.machineTypes!.filter((m) => r.base.machineTypes.includes(m)).length),
    String(Object.values(r.head.cpuid).reduce((n, models) => n + Object.keys(models).length, 0)),
    String(r.report.counts['new-model-required']),
    String(r.report.counts['type-2']),
    String(r.report.counts.safe),
    String(registers.size),
    [...new Set(properties)].sort().join(', ') || '-',
  ];
  expect(await readmeRows('What two real QEMU binaries show', name)).toEqual([row]);
}

describe('verify: real upgrades (the README states what they show)', () => {
  test('QEMU 7.2 -> 10.0.2', async () => {
    const r = await verify('7.2', '10.0.2', ['pc-q35-7.2', 'pc-i440fx-7.1']);
    await upgradeRow('7.2 → 10.0.2', r);
    // Under TCG the guest sees what 10.0's TCG learnt: x2apic, rdseed, sha-ni, 3dnowprefetch...
    expect(
      r.report.findings.some((f) =>
        /QEMU 7\.2\.\d+ .* warned that it could not give, and QEMU 10\.0\.2 .* gives: .*x2apic/.test(
          f.message,
        ),
      ),
    ).toBe(true);
  }, 600_000);

  test('QEMU 10.0.13 -> 11.1.3', async () => {
    const r = await verify('10.0.13', '11.1.3', ['pc-q35-10.0', 'pc-i440fx-9.2']);
    await upgradeRow('10.0.13 → 11.1.3', r);
    expect(r.report.findings.find((f) => f.property === 'legacy-cache')).toMatchObject({
      before: true,
      after: false,
      models: ['486', 'pentium'],
    });
    // The property changes, but what their guests read does not: no CPUID finding names them.
    const cpuid = r.report.findings.filter((f) => f.title.startsWith("The guest's CPUID differs"));
    expect(cpuid.length).toBeGreaterThan(0);
    expect(cpuid.flatMap((f) => f.models).filter((m) => m === '486' || m === 'pentium')).toEqual([]);
  }, 600_000);
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((c: string) => (out.push(String(c)), true)) as typeof process.stdout.write;
  process.stderr.write = ((c: string) => (err.push(String(c)), true)) as typeof process.stderr.write;
  try {
    const code = await run(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('verify on the command line', () => {
  const small = ['--machine', 'pc-q35-7.2', '--model', 'Haswell', '--model', 'qemu64'];

  test('every format renders the report; json follows the schema; exit 1 on failure', async () => {
    const args = ['verify', '--base-binary', wrappers['7.2']!, '--head-binary', wrappers.avx512f!, ...small];
    const json = await cli(...args, '--format', 'json');
    expect(json.code).toBe(1);
    // Progress on standard error, whether it is a terminal (rewritten in place) or a log.
    expect(json.stderr).toMatch(/cpu-model-guard: verify: machine types dumped: 2 of 2 \(0 running\)/);
    expect(json.stderr).toMatch(/cpu-model-guard: verify: CPUID guests finished: 4 of 4 \(0 running\)/);
    expect(json.stdout).not.toMatch(/cpu-model-guard: verify/);
    const report = JSON.parse(json.stdout) as Report;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(
      JSON.parse(readFileSync(path.join(repoRoot, 'schema/report.schema.json'), 'utf8')),
    );
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(renderReport(report, 'markdown')).toMatch(/avx512f/);
    expect(JSON.parse(renderReport(report, 'sarif')).runs[0].results.length).toBe(report.findings.length);
    expect(renderReport(report, 'text')).toMatch(/verify of qemu-binary catalog/);
    const pass = await cli(
      'verify',
      '--base-binary',
      wrappers['7.2']!,
      '--head-binary',
      wrappers['7.2']!,
      ...small,
    );
    expect(pass.code).toBe(0);
  }, 300_000);

  test('a binary that is missing, not QEMU, or hangs: exit 4 with a clear message', async () => {
    const notQemu = path.join(dir, 'not-qemu');
    await writeFile(notQemu, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    const hangs = path.join(dir, 'hangs');
    await writeFile(hangs, '#!/bin/sh\nexec sleep 600\n', { mode: 0o755 });
    const base = ['verify', '--base-binary', wrappers['7.2']!, ...small, '--timeout', '2', '--head-binary'];
    const missing = await cli(...base, path.join(dir, 'no-such-qemu'));
    expect([missing.code, missing.stderr]).toEqual([
      4,
      expect.stringMatching(/no-such-qemu: spawn .* ENOENT/),
    ]);
    const other = await cli(...base, notQemu);
    expect([other.code, other.stderr]).toEqual([
      4,
      expect.stringMatching(/not-qemu is not a QEMU binary: --version exited 0 and printed "hello"/),
    ]);
    const hung = await cli(...base, hangs);
    expect([hung.code, hung.stderr]).toEqual([
      4,
      expect.stringMatching(/hangs is not a QEMU binary: --version ended by SIGKILL/),
    ]);
  }, 120_000);

  test('a guest that never leaves is stopped after --timeout and reported', async () => {
    // The wrapper drops the firmware image: the guest boots QEMU's own BIOS, which never
    // writes the firmware's marks nor leaves through isa-debug-exit.
    const noFirmware = path.join(dir, 'no-firmware');
    await writeFile(
      noFirmware,
      '#!/usr/bin/env bash\nargs=()\nskip=\nfor a in "$@"; do\n  if [[ $skip ]]; then skip=; continue; fi\n  if [[ $a == -bios ]]; then skip=1; continue; fi\n  args+=("$a")\ndone\nexec qemu-system-x86_64 "${args[@]}"\n',
      { mode: 0o755 },
    );
    const r = await cli(
      'verify',
      '--base-binary',
      wrappers['7.2']!,
      '--head-binary',
      noFirmware,
      '--machine',
      'pc-q35-7.2',
      '--model',
      'qemu64',
      '--timeout',
      '3',
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(
      /the CPUID guest of .*no-firmware -machine pc-q35-7.2 -cpu qemu64 did not finish within 3 s and was stopped/,
    );
  }, 120_000);

  test('--accel kvm without /dev/kvm is a usage error that says so', async () => {
    if (existsSync('/dev/kvm')) return;
    const r = await cli(
      'verify',
      '--base-binary',
      wrappers['7.2']!,
      '--head-binary',
      wrappers['7.2']!,
      ...small,
      '--accel',
      'kvm',
    );
    expect([r.code, r.stderr]).toEqual([
      2,
      expect.stringMatching(/--accel kvm needs \/dev\/kvm.*\n.*run with --accel tcg/),
    ]);
  });
});
