/**
 * An audit of a real QEMU catalog finds the type-2 machine changes QEMU made over the years
 * (POLICY.md's worked examples), each at the compat entry that keeps older machine types
 * without the feature, on every release whose registered machine types still cover them;
 * waivers accept them with their reasons.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { audit } from '../../src/engine.js';
import type { Finding, Report } from '../../src/report/finding.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource, type DebianSourceOptions } from '../support/debian-source.js';
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

test('reads the tree after telling `read`, and judges it after `compare`', async () => {
  const events: string[] = [];
  const tree = fsSource(root);
  const told = await audit({
    catalog: { format: 'qemu-x86', path: '.' },
    head: { ...tree, readFile: (p) => (events.push('file'), tree.readFile(p)) },
    headRef: { ref: root },
    failOn: 'type-2',
    onStage: (stage) => events.push(stage),
  });
  expect(events[0]).toBe('read');
  expect(events.filter((e) => e !== 'file')).toEqual(['read', 'compare']);
  expect(events.lastIndexOf('file')).toBeLessThan(events.indexOf('compare'));
  expect(told).toEqual(report);
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
  // Check's facts and words: the compat array that keeps the older machine types, and every
  // machine type on both sides of the step.
  expect(f.meta).toEqual({
    kind: 'snapshot',
    olderMachineTypes: ['pc-i440fx-3.0', 'pc-q35-3.0'],
    keptBy: [
      { set: 'pc_compat_3_0', property: 'pku', value: 'off', path: 'hw/i386/pc.c', line: f.location.line },
    ],
  });
  expect(f.title).toBe('pku becomes a host requirement on newer machine types');
  expect(f.message).toBe(
    'Skylake-Server on pc-i440fx-3.1 and pc-q35-3.1 requires pku from the host, which pc-i440fx-3.0 and pc-q35-3.0 ' +
      `did not; pc_compat_3_0 keeps pku off on older machine types (hw/i386/pc.c:${f.location.line}): moving a VM ` +
      'to the newer machine type can make it unrunnable on a host that runs it today, a type-2 machine change.',
  );
  expect(f.fix).toBe('waive it with its reason, or move pku into a new model version');
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

/** QEMU's historical type-2 changes: the release that made each, and the compat entry that confines it. */
const HISTORY = [
  {
    since: '2.5',
    property: 'abm',
    models: ['Haswell', 'Broadwell'],
    entry: (m: string) => `{ "${m}-" TYPE_X86_CPU, "abm", "off" },`,
  },
  {
    since: '2.12',
    property: 'clflushopt',
    models: ['Skylake-Server'],
    entry: (m: string) => `{ "${m}" "-" TYPE_X86_CPU, "clflushopt", "off" },`,
  },
  {
    since: '3.1',
    property: 'pku',
    models: ['Skylake-Server'],
    entry: (m: string) => `{ "${m}" "-" TYPE_X86_CPU, "pku", "off" },`,
  },
  {
    since: '4.0',
    property: 'rdtscp',
    models: ['Opteron_G3', 'Opteron_G4', 'Opteron_G5'],
    entry: (m: string) => `{ "${m}" "-" TYPE_X86_CPU, "rdtscp", "off" },`,
  },
];

/**
 * Each release with the oldest pc-q35 machine type its binary registers. Up to 10.0 that is
 * pc-q35-2.4, which covers the whole history; from 10.1 QEMU stops registering machine types
 * older than six years, and 10.2 starts at 5.0, after every change of the history.
 */
const TREES: {
  release: string;
  suite: string;
  options?: DebianSourceOptions;
  oldestQ35: string;
  history: typeof HISTORY;
}[] = [
  { release: '5.2', suite: 'bullseye', oldestQ35: 'pc-q35-2.4', history: HISTORY },
  { release: '7.2', suite: 'bookworm', oldestQ35: 'pc-q35-2.4', history: HISTORY },
  { release: '10.0.2', suite: 'bookworm-backports', oldestQ35: 'pc-q35-2.4', history: HISTORY },
  { release: '10.0.13', suite: 'trixie', oldestQ35: 'pc-q35-2.4', history: HISTORY },
  {
    release: '10.2.2',
    suite: 'sid',
    options: { version: '1:10.2.2+ds-1' },
    oldestQ35: 'pc-q35-5.0',
    history: [],
  },
];

describe.each(TREES)('audit of QEMU $release ($suite)', ({ suite, options, oldestQ35, history }) => {
  let tree: string;
  let audited: Report;
  beforeAll(async () => {
    tree = await debianSource('qemu', suite, options);
    audited = await audit({
      catalog: { format: 'qemu-x86', path: '.' },
      head: fsSource(tree),
      headRef: { ref: tree },
      failOn: 'type-2',
    });
  }, 300_000);

  test('registers pc-q35 machine types from the one its binary starts at', () => {
    expect(audited.machineTypes!.filter((m) => m.startsWith('pc-q35-'))[0]).toBe(oldestQ35);
  });

  test('finds every historical type-2 change its machine types cover, at its compat entry, and no other', () => {
    const pcLines = readFileSync(path.join(tree, 'hw/i386/pc.c'), 'utf8').split('\n');
    for (const { since, property, models, entry } of history) {
      for (const model of models) {
        const f = find(audited, property, model);
        expect({ model, ...f }).toMatchObject({
          model,
          rule: 'machine-type-host-requirement',
          class: 'type-2',
          verdict: 'fail',
        });
        expect(f!.machineTypes.sort()).toEqual([`pc-i440fx-${since}`, `pc-q35-${since}`]);
        expect(f!.hostRequirement?.gained).toEqual([property]);
        expect(f!.location.path).toBe('hw/i386/pc.c');
        expect(pcLines[f!.location.line - 1]!.trim()).toBe(entry(model));
      }
    }
    const covered = new Set(history.flatMap((h) => h.models.map((m) => `${h.property} ${m}`)));
    for (const { property, models } of HISTORY)
      for (const model of models)
        if (!covered.has(`${property} ${model}`)) expect(find(audited, property, model)).toBeUndefined();
  });
});
