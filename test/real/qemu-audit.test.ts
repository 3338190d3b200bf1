/**
 * An audit of QEMU 7.2's real catalog finds the type-2 machine changes QEMU made over the
 * years (POLICY.md's worked examples), each at the compat entry that keeps older machine
 * types without the feature; waivers accept them with their reasons.
 */
import { beforeAll, expect, test } from '@jest/globals';
import { audit } from '../../src/engine.js';
import type { Finding, Report } from '../../src/report/finding.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';

let root: string;
let report: Report;

const lineOf = (file: string, needle: string): number =>
  readFileSync(path.join(root, file), 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(needle)) + 1;
const find = (r: Report, property: string, model: string): Finding | undefined =>
  r.findings.find((f) => f.property === property && f.models.includes(model));

beforeAll(async () => {
  root = await debianSource('qemu', 'bookworm');
  report = await audit({
    catalog: { format: 'qemu-x86', path: '.' },
    head: fsSource(root),
    headRef: { ref: root },
    failOn: 'type-2',
  });
});

test('QEMU 3.1 added pku to Skylake-Server with pc_compat_3_0 pku=off: a type-2 change', () => {
  const f = find(report, 'pku', 'Skylake-Server')!;
  expect(f).toMatchObject({ rule: 'machine-type-host-requirement', class: 'type-2', verdict: 'fail' });
  expect(f.machineTypes.sort()).toEqual(['pc-i440fx-3.1', 'pc-q35-3.1']);
  expect(f.location).toEqual({
    path: 'hw/i386/pc.c',
    line: lineOf('hw/i386/pc.c', '{ "Skylake-Server" "-" TYPE_X86_CPU, "pku", "off" },'),
    side: 'RIGHT',
  });
  expect(f.hostRequirement?.gained).toEqual(['pku']);
});

test('QEMU 4.0 added rdtscp to Opteron_G3..G5 with pc_compat_3_1 rdtscp=off; npt asks nothing while svm is off under KVM', () => {
  for (const model of ['Opteron_G3', 'Opteron_G4', 'Opteron_G5']) {
    expect(find(report, 'rdtscp', model)?.machineTypes.sort()).toEqual(['pc-i440fx-4.0', 'pc-q35-4.0']);
  }
  expect(report.findings.filter((f) => f.property === 'npt' || f.property === 'nrip-save')).toEqual([]);
  // The MPX removal of 4.0 shrank host requirements: nothing to report.
  expect(report.findings.filter((f) => f.property === 'mpx')).toEqual([]);
  expect(report.result).toBe('fail');
});

test('a waiver accepts a type-2 change with its reason; unused and expired waivers are reported', async () => {
  const waived = await audit({
    catalog: { format: 'qemu-x86', path: '.' },
    head: fsSource(root),
    headRef: { ref: root },
    failOn: 'type-2',
    today: '2026-11-27',
    waivers: [
      {
        rule: 'machine-type-host-requirement',
        models: ['Opteron_G*'],
        property: 'rdtscp',
        reason: 'Linux 4.5 is the minimum host kernel',
        source: 'test:1',
      },
      {
        rule: 'machine-type-host-requirement',
        models: ['Haswell'],
        property: 'avx512f',
        reason: 'never matches',
        source: 'test:2',
      },
      {
        rule: 'machine-type-host-requirement',
        models: ['Skylake-Server'],
        property: 'pku',
        reason: 'expired',
        expires: '2020-01-01',
        source: 'test:3',
      },
    ],
  });
  const g3 = find(waived, 'rdtscp', 'Opteron_G3')!;
  expect(g3.verdict).toBe('waived');
  expect(g3.waiver?.reason).toBe('Linux 4.5 is the minimum host kernel');
  expect(find(waived, 'pku', 'Skylake-Server')!.verdict).toBe('fail');
  expect(waived.unusedWaivers.map((w) => w.source).sort()).toEqual(['test:2', 'test:3']);
  expect(waived.notes.some((n) => n.kind === 'warning' && /expired on 2020-01-01/.test(n.message))).toBe(
    true,
  );
  expect(waived.counts.waived).toBe(3);
});
