/**
 * Binary against binary: what changed between consecutive QEMU releases, on the machine types
 * both have, as `query-cpu-model-expansion` says. QEMU promises that a machine type keeps its
 * CPUs from release to release; this is what the real binaries show of that promise, and the
 * ground truth a release diff's findings are held against (test/support/binary-changes.ts).
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { binaryChanges, summarizeChanges } from '../support/binary-changes.js';
import { qemuBinary } from '../support/qemu-binary.js';
import { qmpDump, type QmpDump } from '../support/qmp.js';

/** Debian suites serving each release's binary, oldest first. */
const RELEASES: [string, string][] = [
  ['5.2', 'bullseye'],
  ['7.2', 'bookworm'],
  ['10.0.2', 'bookworm-backports'],
  ['10.0.13', 'trixie'],
  ['11.1.3', 'sid'],
];

const dumps = new Map<string, QmpDump>();
beforeAll(async () => {
  // One after the other: each dump already keeps both CPUs busy.
  for (const [qemu, suite] of RELEASES) dumps.set(qemu, await qmpDump({ binary: await qemuBinary(suite) }));
}, 60 * 60_000);

const dump = (qemu: string) => dumps.get(qemu)!;

test('each suite serves the release it is said to', () => {
  for (const [qemu] of RELEASES) expect(dump(qemu).qemu.version).toMatch(new RegExp(`version ${qemu}[. ]`));
});

describe('what changed on the machine types both binaries have', () => {
  test('5.2 -> 7.2: qemu64-v1 is another CPU on every machine type; the rest only gains properties', () => {
    const [a, b] = [dump('5.2'), dump('7.2')];
    expect(b.machineTypes.filter((m) => a.machineTypes.includes(m))).toHaveLength(43);
    expect(summarizeChanges(a, b)).toEqual([
      'added hv-version-id-build 7100: every model on 43 of 43 machine types',
      'added hv-version-id-major 6: every model on 43 of 43 machine types',
      'added hv-version-id-minor 1: every model on 43 of 43 machine types',
      'added hv-version-id-sbranch 0: every model on 43 of 43 machine types',
      'added hv-version-id-snumber 0: every model on 43 of 43 machine types',
      'added hv-version-id-spack 0: every model on 43 of 43 machine types',
      'added lbr-fmt 18446744073709552000: every model on 43 of 43 machine types',
      'added lbr_fmt 18446744073709552000: every model on 43 of 43 machine types',
      'changed family 6 -> 15: qemu64-v1 on 43 of 43 machine types',
      'changed model 6 -> 107: qemu64-v1 on 43 of 43 machine types',
      'changed stepping 3 -> 1: qemu64-v1 on 43 of 43 machine types',
    ]);
    // The unversioned name is kept as it was by compat properties; its -v1 is not.
    expect(a.expansions['pc-q35-5.2'].qemu64.family).toBe(6);
    expect(b.expansions['pc-q35-5.2'].qemu64.family).toBe(6);
    expect(b.expansions['pc-q35-7.2'].qemu64.family).toBe(15);
  });

  test('7.2 -> 10.0.2: no model changes; four properties are new, with one value everywhere', () => {
    const [a, b] = [dump('7.2'), dump('10.0.2')];
    expect(summarizeChanges(a, b)).toEqual([
      'added avx10-version 0: every model on 47 of 47 machine types',
      'added guest-phys-bits 0: every model on 47 of 47 machine types',
      'added legacy-multi-node true: every model on 47 of 47 machine types',
      'added module-id -1: every model on 47 of 47 machine types',
    ]);
  });

  test('10.0.2 -> 10.0.13: the two binaries are identical on every machine type and model', () => {
    const [a, b] = [dump('10.0.2'), dump('10.0.13')];
    expect(b.machineTypes).toEqual(a.machineTypes);
    expect(binaryChanges(a, b)).toEqual([]);
  });

  test('10.0.13 -> 11.1.3: 486 to pentium3 lose legacy-cache; knobs come and go', () => {
    const [a, b] = [dump('10.0.13'), dump('11.1.3')];
    // QEMU 11.1 no longer registers the machine types older than 5.2.
    expect(b.machineTypes.filter((m) => a.machineTypes.includes(m))).toHaveLength(28);
    expect(a.machineTypes.filter((m) => !b.machineTypes.includes(m))).toContain('pc-q35-5.1');
    expect(summarizeChanges(a, b)).toEqual([
      'added x-arch-cap-always-on true: every model on 28 of 28 machine types',
      'added x-pdcm-on-even-without-pmu true: every model on 28 of 28 machine types',
      'changed legacy-cache true -> false: 486, 486-v1, pentium, pentium-v1, pentium2, pentium2-v1, pentium3, pentium3-v1 on 28 of 28 machine types',
      'removed full-cpuid-auto-level true -> (gone): every model on 28 of 28 machine types',
      'removed x-intel-pt-auto-level true -> (gone): every model on 28 of 28 machine types',
    ]);
  });
});

describe('binaryChanges', () => {
  test('names the machine type, model, property and both values', () => {
    const changes = binaryChanges(dump('5.2'), dump('7.2'));
    expect(changes).toContainEqual({
      machineType: 'pc-q35-5.2',
      model: 'qemu64-v1',
      property: 'family',
      kind: 'changed',
      before: 6,
      after: 15,
    });
    expect(changes).toContainEqual({
      machineType: 'pc-q35-5.2',
      model: 'Haswell',
      property: 'lbr-fmt',
      kind: 'added',
      after: 18446744073709552000,
    });
  });

  test('a binary against itself changes nothing', () => {
    expect(binaryChanges(dump('7.2'), dump('7.2'))).toEqual([]);
  });
});
