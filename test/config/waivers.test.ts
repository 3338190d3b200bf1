import { describe, expect, it } from '@jest/globals';
import { applyWaivers } from '../../src/classify/waivers.js';
import { parseConfig } from '../../src/config/config-file.js';
import type { Finding } from '../../src/report/finding.js';

/** QEMU 4.0's rdtscp change: Opteron_G3 gained rdtscp on pc-*-4.0, with pc_compat_3_1 turning it off before. */
function rdtscpFinding(model: string, verdict: Finding['verdict'] = 'fail'): Finding {
  return {
    rule: 'machine-type-host-requirement',
    class: 'type-2',
    verdict,
    title: `${model} requires rdtscp from the host on pc-q35-4.0`,
    message: `${model}: rdtscp is off on pc-q35-3.1 and on on pc-q35-4.0`,
    models: [model],
    machineTypes: ['pc-q35-4.0', 'pc-i440fx-4.0'],
    property: 'rdtscp',
    before: false,
    after: true,
    hostRequirement: { gained: ['rdtscp'], why: 'needs the host CPU' },
    location: { path: 'target/i386/cpu.c', line: 1800, side: 'RIGHT' },
    fix: 'put the feature in a new model version instead',
    fingerprint: `machine-type-host-requirement|${model}|rdtscp|pc-q35-4.0`,
  };
}

const config = parseConfig(
  `waivers:
  - rule: machine-type-host-requirement
    models: [Opteron_G3, Opteron_G4]
    property: rdtscp
    reason: QEMU requires Linux 4.5 on the host, and every such host offers rdtscp to AMD guests
    expires: 2026-12-31
  - rule: machine-type-host-requirement
    models: Opteron_G5
    property: npt
    reason: npt is cleared when svm is off, which it is by default under KVM
  - rule: released-model-changed
    models: EPYC*
    reason: EPYC changes were reviewed with the AMD maintainers
    expires: 2020-01-01
`,
  '.github/cpu-model-guard.yml',
);

describe('waivers', () => {
  it('marks a matching finding waived with the waiver, keeps it in the list, and reports unused and expired waivers', () => {
    const findings = [
      rdtscpFinding('Opteron_G3'),
      rdtscpFinding('Opteron_G5'),
      rdtscpFinding('Opteron_G4', 'pass'),
    ];
    const out = applyWaivers(findings, config.waivers, '2026-12-31');
    expect(out.findings).toHaveLength(3);
    expect(out.findings[0]!.verdict).toBe('waived');
    expect(out.findings[0]!.waiver).toBe(config.waivers[0]);
    expect(out.findings[0]!.waiver!.reason).toMatch(/Linux 4\.5/);
    // The npt waiver names another property: Opteron_G5's rdtscp finding still fails.
    expect(out.findings[1]!.verdict).toBe('fail');
    expect(out.findings[1]!.waiver).toBeUndefined();
    // Below the fail threshold: the verdict stays, the reason is still shown.
    expect(out.findings[2]!.verdict).toBe('pass');
    expect(out.findings[2]!.waiver).toBe(config.waivers[0]);
    expect(out.unused).toEqual([config.waivers[1]]);
    expect(out.expired).toEqual([config.waivers[2]]);
    // The input is left as it was: callers may report before and after.
    expect(findings[0]!.verdict).toBe('fail');
  });

  it('stops applying a waiver the day after it expires', () => {
    const out = applyWaivers([rdtscpFinding('Opteron_G3')], config.waivers, '2027-01-01');
    expect(out.findings[0]!.verdict).toBe('fail');
    expect(out.findings[0]!.waiver).toBeUndefined();
    expect(out.expired).toEqual([config.waivers[0], config.waivers[2]]);
    expect(out.unused).toEqual([config.waivers[1]]);
  });

  it('matches model globs, but never an expired waiver and never a safe finding', () => {
    const changed: Finding = {
      ...rdtscpFinding('EPYC-Rome'),
      rule: 'released-model-changed',
      class: 'new-model-required',
      models: ['EPYC-Rome', 'EPYC-Rome-v1'],
      fingerprint: 'released-model-changed|EPYC-Rome,EPYC-Rome-v1|rdtscp',
    };
    const liveEpyc = { ...config.waivers[2]!, expires: '2030-01-01' };
    const out = applyWaivers([changed], [liveEpyc], '2026-06-01');
    expect(out.findings[0]!.verdict).toBe('waived');
    expect(applyWaivers([changed], [config.waivers[2]!], '2026-06-01').findings[0]!.verdict).toBe('fail');

    const safe: Finding = { ...rdtscpFinding('Opteron_G3', 'pass'), class: 'safe' };
    const safeOut = applyWaivers([safe], config.waivers, '2026-06-01');
    expect(safeOut.findings[0]).toBe(safe);
    expect(safeOut.unused).toContain(config.waivers[0]);
  });

  it('refuses a malformed date rather than comparing garbage', () => {
    expect(() => applyWaivers([], config.waivers, '31/12/2026')).toThrow(/YYYY-MM-DD/);
  });
});
