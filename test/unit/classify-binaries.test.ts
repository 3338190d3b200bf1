/**
 * compareBinaries on small snapshots written here: how findings are grouped and classed. The
 * real binaries' behaviour is test/real/verify.test.ts's; this pins the rule's edges.
 */
import { describe, expect, test } from '@jest/globals';
import { compareBinaries, describeBits } from '../../src/classify/binaries.js';
import { joinMeasured } from '../../src/classify/measured.js';
import { withFingerprints } from '../../src/engine.js';
import type { Finding } from '../../src/report/finding.js';
import { worded, wordsOf } from '../../src/report/words/index.js';
import type { CpuidRecord } from '../../src/verify/cpuid-firmware.js';
import type { BinarySnapshot, MeasuredValue } from '../../src/verify/snapshot.js';

type Props = Record<string, MeasuredValue>;

function snapshot(
  version: string,
  expansions: Record<string, Record<string, Props>>,
  cpuid: Record<string, Record<string, CpuidRecord[]>> = {},
): BinarySnapshot {
  const machineTypes = Object.keys(expansions);
  return {
    binary: `/usr/bin/qemu-${version}`,
    version: `QEMU emulator version ${version}`,
    accel: 'tcg',
    machineTypes,
    listedMachineTypes: machineTypes,
    aliasOf: Object.fromEntries(machineTypes.map((m) => [m, {}])),
    expansions,
    expansionErrors: {},
    cpuid,
    unavailable: {},
    features: ['f', 'g', 'x2apic'],
    guestRuns: 0,
  };
}

const leaf1 = (ecx: number): CpuidRecord[] => [
  { leaf: 0, subleaf: 0, eax: 1, ebx: 0, ecx: 0, edx: 0 },
  { leaf: 1, subleaf: 0, eax: 0x306c3, ebx: 0, ecx, edx: 0 },
];

describe('compareBinaries', () => {
  test('bits of one register that change on the same pairs are one finding, naming leaf, register and bits', () => {
    const mts = ['pc-q35-9.0', 'pc-q35-9.1'];
    const exp = (on: boolean) => Object.fromEntries(mts.map((m) => [m, { A: { f: on }, B: { f: on } }]));
    const cpuid = (ecx: number) => Object.fromEntries(mts.map((m) => [m, { A: leaf1(ecx), B: leaf1(ecx) }]));
    const r = compareBinaries(
      snapshot('9.1.0', exp(false), cpuid(0)),
      snapshot('9.2.0', exp(true), cpuid(0x00200001)),
    );
    const bits = r.findings.filter((f) => f.property?.startsWith('CPUID'));
    expect(bits).toHaveLength(1);
    expect(bits[0]).toMatchObject({
      class: 'new-model-required',
      property: 'CPUID 0x1.0 ECX bits 0, 21',
      models: ['A', 'B'],
      machineTypes: ['pc-q35-9.0', 'pc-q35-9.1'],
    });
    expect(bits[0]!.meta).toMatchObject({ measured: 'cpuid', explainedBy: ['f'], pairs: 4 });
    expect(wordsOf(bits[0]!).message).toMatch(/changed on every one of these pairs: f\./);
    expect(r.findings.find((f) => f.property === 'f')).toMatchObject({ before: false, after: true });
  });

  test('a feature turning on between consecutive machine types is type-2 unless the base shows the same growth', () => {
    const base = snapshot('9.1.0', {
      'pc-q35-9.0': { A: { f: false, g: false } },
      'pc-q35-9.1': { A: { f: true, g: false } },
    });
    const head = snapshot('9.2.0', {
      'pc-q35-9.0': { A: { f: false, g: false } },
      'pc-q35-9.1': { A: { f: true, g: false, knob: false } },
      'pc-q35-9.2': { A: { f: true, g: true, x2apic: true, knob: true } },
    });
    const r = compareBinaries(base, head);
    expect(r.findings.filter((f) => f.class === 'type-2')).toEqual([
      expect.objectContaining({ property: 'g', models: ['A'], machineTypes: ['pc-q35-9.2'] }),
    ]);
    // f grew in the base already; x2apic asks nothing of the host (KVM emulates it); knob is no
    // CPUID feature of the binary's (-cpu help), so no host requirement.
    expect(r.notes.map((n) => n.message)).toContain(
      'machine types only QEMU 9.2.0 registers (new): pc-q35-9.2',
    );
  });

  test('a property only one binary reports is safe; a false one is no property at all', () => {
    const r = compareBinaries(
      snapshot('9.1.0', { 'pc-q35-9.0': { A: { old: true } } }),
      snapshot('9.2.0', { 'pc-q35-9.0': { A: { knob: 3, unknown: false } } }),
    );
    expect(r.findings.map((f) => [f.rule, f.class, f.property])).toEqual([
      ['new-property-default', 'safe', 'knob'],
      ['property-removed', 'safe', 'old'],
    ]);
  });

  test('describeBits folds runs', () => {
    expect(describeBits(0x000009c0)).toBe('bits 6-8, 11');
    expect(describeBits(0x80000000)).toBe('bit 31');
  });
});

describe('joinMeasured: what the binaries show of a check, as facts', () => {
  const staticFinding = (property: string): Finding => ({
    rule: 'released-model-changed',
    class: 'new-model-required',
    verdict: 'fail',
    title: `${property} changed`,
    message: `${property} turns on for A.`,
    fix: 'revert it',
    models: ['A'],
    machineTypes: ['pc-q35-9.0'],
    property,
    before: false,
    after: true,
    location: { path: 'target/i386/cpu.c', line: 10, side: 'RIGHT' },
    fingerprint: property,
  });
  const base = snapshot('9.1.0', { 'pc-q35-9.0': { A: { f: false, g: false } } });
  const head = snapshot('9.2.0', { 'pc-q35-9.0': { A: { f: false, g: true } } });
  const measured = withFingerprints(compareBinaries(base, head).findings);
  const joined = joinMeasured({
    findings: [staticFinding('f')],
    measured,
    base,
    head,
    machineTypes: ['pc-q35-9.0'],
  });

  test('a static finding the binaries compare carries comparedBy; its sentence is worded from it, once', () => {
    const f = joined.findings[0] as Finding;
    expect(f.message).toBe('f turns on for A.');
    expect(f.comparedBy).toEqual({ base: base.binary, head: head.binary, properties: ['f'], pairs: 1 });
    expect(f.confirmedOn).toBeUndefined();
    expect(worded(f).message).toBe(
      'f turns on for A. The two binaries do not show it: f expands the same in both on the 1 pair(s) of it they compare.',
    );
  });

  test("a difference nothing explains is measured-unexplained, with verify's finding in its facts", () => {
    const u = joined.findings[1]!;
    expect(u.rule).toBe('measured-unexplained');
    expect(u.meta).toMatchObject({
      measured: { rule: 'released-model-changed', property: 'g', meta: { measured: 'expansion', pairs: 1 } },
    });
    expect(worded(u)).toMatchObject({
      title: 'Measured, not in the catalog: g changed from false to true on machine types both binaries have',
      message: expect.stringMatching(/changes no function that computes guest CPUID\.$/),
      fix: measured[0]!.fix,
    });
  });
});
