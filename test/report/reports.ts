/**
 * Reports written by hand after QEMU's own history, the way the engine reports it: every class,
 * every verdict, a waiver, a removal on the base side, suggestions and lines to add.
 */
import type { FailOn, Finding, Report, Waiver } from '../../src/report/finding.js';

/** The pc-q35 machine types of QEMU 7.2, oldest first (4.0.1 is a bugfix machine type). */
export const Q35_MACHINE_TYPES = [
  '2.4',
  '2.5',
  '2.6',
  '2.7',
  '2.8',
  '2.9',
  '2.10',
  '2.11',
  '2.12',
  '3.0',
  '3.1',
  '4.0',
  '4.0.1',
  '4.1',
  '4.2',
  '5.0',
  '5.1',
  '5.2',
  '6.0',
  '6.1',
  '6.2',
  '7.0',
  '7.1',
  '7.2',
].map((v) => `pc-q35-${v}`);
export const I440FX_MACHINE_TYPES = Q35_MACHINE_TYPES.map((m) => m.replace('pc-q35-', 'pc-i440fx-'));
/** What the catalog would list: families in turn, oldest first within each. */
export const KNOWN_MACHINE_TYPES = [...I440FX_MACHINE_TYPES, ...Q35_MACHINE_TYPES];

export const from = (list: string[], first: string): string[] => list.slice(list.indexOf(first));
export const upTo = (list: string[], last: string): string[] => list.slice(0, list.indexOf(last) + 1);

export const rdtscpWaiver: Waiver = {
  rule: 'machine-type-host-requirement',
  models: ['Opteron_G3'],
  property: 'rdtscp',
  reason: 'Linux 4.5 is the minimum host kernel and it supports rdtscp',
  expires: '2030-01-01',
  owner: 'x86 maintainers',
  source: '.github/cpu-model-guard.yml:12',
};

export const unusedWaiver: Waiver = {
  rule: 'released-model-changed',
  models: ['EPYC'],
  property: 'npt',
  reason: 'kept from an older release',
  source: '.github/cpu-model-guard.yml:20',
};

export function editedReleasedVersion(): Finding {
  return {
    rule: 'released-model-changed',
    class: 'new-model-required',
    verdict: 'fail',
    title: 'Cascadelake-Server-v1 gains arch-capabilities on released machine types',
    message:
      'The base definition of Cascadelake-Server, which every version builds on, now turns on arch-capabilities. ' +
      'Compat properties do not reach Cascadelake-Server-v1, so its guests change on every machine type.',
    models: [
      'Cascadelake-Server-v1',
      'Cascadelake-Server-v2',
      'Cascadelake-Server-v3',
      'Cascadelake-Server-v4',
      'Cascadelake-Server-v5',
    ],
    machineTypes: [...I440FX_MACHINE_TYPES, ...Q35_MACHINE_TYPES],
    property: 'arch-capabilities',
    before: false,
    after: true,
    hostRequirement: { gained: ['arch-capabilities'], why: 'needs the host CPU and microcode' },
    location: { path: 'target/i386/cpu.c', line: 2871, side: 'RIGHT' },
    fix: 'Revert the edit and add Cascadelake-Server-v6 with { "arch-capabilities", "on" }.',
    suggestion: {
      path: 'target/i386/cpu.c',
      startLine: 2871,
      endLine: 2872,
      // Backticks in the replacement: the suggestion fence must be longer than any run of them.
      replacement: '            CPUID_7_0_EDX_SPEC_CTRL_SSBD, /* see ````docs```` and `x` */\n',
    },
    fingerprint: 'released-model-changed:Cascadelake-Server-v1:arch-capabilities',
  };
}

export function pkuOnSkylakeServer(): Finding {
  const machineTypes = [
    ...from(I440FX_MACHINE_TYPES, 'pc-i440fx-3.1'),
    ...from(Q35_MACHINE_TYPES, 'pc-q35-3.1'),
  ];
  return {
    rule: 'machine-type-host-requirement',
    class: 'type-2',
    verdict: 'fail',
    title: 'Skylake-Server requires pku from the host on pc-*-3.1 and newer',
    message:
      'pc_compat_3_0 sets pku=off for Skylake-Server, so pc-*-3.0 does not need pku and pc-*-3.1 does.',
    models: ['Skylake-Server', 'Skylake-Server-IBRS'],
    machineTypes,
    property: 'pku',
    before: false,
    after: true,
    hostRequirement: { gained: ['pku'], why: 'needs the host CPU (protection keys) and KVM support' },
    location: { path: 'target/i386/cpu.c', line: 2764, side: 'RIGHT' },
    fix: 'Add pku in a new version Skylake-Server-v2 instead of the definition.',
    fixLines: {
      path: 'target/i386/cpu.c',
      afterLine: 2790,
      text: '            {\n                .version = 2,\n                .props = (PropValue[]) {\n                    { "pku", "on" },\n                    { /* end of list */ }\n                },\n            },\n',
    },
    fingerprint: 'machine-type-host-requirement:Skylake-Server:pku',
  };
}

export function rdtscpOnOpteron(): Finding {
  return {
    rule: 'machine-type-host-requirement',
    class: 'type-2',
    verdict: 'waived',
    title: 'Opteron_G3 requires rdtscp from the host on pc-*-4.0 and newer',
    message: 'pc_compat_3_1 sets rdtscp=off for Opteron_G3: pc-*-3.1 does not need rdtscp, pc-*-4.0 does.',
    models: ['Opteron_G3'],
    machineTypes: [...from(I440FX_MACHINE_TYPES, 'pc-i440fx-4.0'), ...from(Q35_MACHINE_TYPES, 'pc-q35-4.0')],
    property: 'rdtscp',
    before: false,
    after: true,
    hostRequirement: { gained: ['rdtscp'], why: 'needs the host CPU' },
    location: { path: 'target/i386/cpu.c', line: 4321, side: 'RIGHT' },
    fix: 'Add rdtscp in a new version Opteron_G3-v2 instead.',
    fingerprint: 'machine-type-host-requirement:Opteron_G3:rdtscp',
    waiver: rdtscpWaiver,
  };
}

export function mpxRemovalConfined(): Finding {
  return {
    rule: 'compat-confined-change',
    class: 'safe',
    verdict: 'pass',
    title: 'mpx removed from Skylake-Client, confined by pc_compat_3_1',
    message: 'pc_compat_3_1 sets mpx=on for Skylake-Client, so released machine types keep mpx.',
    models: ['Skylake-Client'],
    machineTypes: ['pc-q35-4.0', 'pc-i440fx-4.0'],
    property: 'mpx',
    before: true,
    after: false,
    location: { path: 'target/i386/cpu.c', line: 2650, endLine: 2652, side: 'RIGHT' },
    fix: 'Nothing to do.',
    fingerprint: 'compat-confined-change:Skylake-Client:mpx',
  };
}

export function versionAdded(): Finding {
  return {
    rule: 'version-added',
    class: 'safe',
    verdict: 'pass',
    title: 'Cascadelake-Server-v2 added',
    message: 'A new version changes nothing for VMs that use existing names.',
    models: ['Cascadelake-Server-v2'],
    machineTypes: [],
    location: { path: 'target/i386/cpu.c', line: 2900, side: 'RIGHT' },
    fix: 'Nothing to do.',
    fingerprint: 'version-added:Cascadelake-Server-v2',
  };
}

export function aliasRemoved(): Finding {
  return {
    rule: 'released-name-removed',
    class: 'new-model-required',
    verdict: 'fail',
    title: 'Haswell-noTSX was removed',
    message: 'Haswell-noTSX was released in 4.1 and was not deprecated.',
    models: ['Haswell-noTSX'],
    machineTypes: [],
    location: { path: 'target/i386/cpu.c', line: 1990, side: 'LEFT' },
    fix: 'Keep the alias, or mark it deprecated in a release first.',
    fingerprint: 'released-name-removed:Haswell-noTSX',
  };
}

export function makeReport(findings: Finding[], overrides: Partial<Report> = {}): Report {
  const failOn: FailOn = overrides.failOn ?? 'type-2';
  const count = (c: Finding['class']): number => findings.filter((f) => f.class === c).length;
  return {
    tool: { name: 'cpu-model-guard', version: '0.1.0' },
    mode: 'check',
    catalog: { format: 'qemu-x86', path: 'target/i386/cpu.c' },
    base: { ref: 'origin/master', commit: '1c4f3c1e5e0f7f6bdfa5e6a2b2e7cf2a1234abcd' },
    head: { ref: 'refs/pull/42/merge', commit: '9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b' },
    release: {
      ref: 'v7.2.0',
      commit: 'b67b00e6b4c7831a3f5bc684bc0df7a9bfd1bd56',
      explanation: 'entries present in v7.2.0, the newest release tag reachable from base',
    },
    failOn,
    result: findings.some((f) => f.verdict === 'fail') ? 'fail' : 'pass',
    counts: {
      'new-model-required': count('new-model-required'),
      'type-2': count('type-2'),
      safe: count('safe'),
      waived: findings.filter((f) => f.verdict === 'waived').length,
      review: findings.filter((f) => f.verdict === 'review').length,
    },
    findings,
    notes: [{ kind: 'info', message: 'machine type pc-i440fx-1.4 was removed' }],
    unusedWaivers: [unusedWaiver],
    ...overrides,
  };
}

/** Every class and verdict, worst first as the engine orders them. */
export function fullReport(): Report {
  return makeReport([
    editedReleasedVersion(),
    aliasRemoved(),
    pkuOnSkylakeServer(),
    rdtscpOnOpteron(),
    mpxRemovalConfined(),
    versionAdded(),
  ]);
}

export function emptyReport(): Report {
  return makeReport([], { notes: [], unusedWaivers: [] });
}

/** Many findings, for the size limits: each one a distinct model on a long list of machine types. */
export function hugeReport(n: number): Report {
  const findings: Finding[] = [];
  for (let i = 0; i < n; i++) {
    const f = pkuOnSkylakeServer();
    f.models = [`Model-${i}-漢字`, ...Array.from({ length: 30 }, (_, j) => `Model-${i}-alias-${j}`)];
    f.title = `Model-${i} requires pku from the host on pc-*-3.1 and newer`;
    f.fingerprint = `machine-type-host-requirement:Model-${i}:pku`;
    findings.push(f);
  }
  return makeReport(findings);
}
