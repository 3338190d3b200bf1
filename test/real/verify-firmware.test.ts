/**
 * The CPUID firmware in the real QEMU 7.2 binary (the system's qemu-system-x86_64): what the
 * guest reads in leaves 0, 1, 7, 0x80000000..4 must be what query-cpu-model-expansion says the
 * model is (vendor, level, xlevel, family, model, stepping, model-id, and the feature bits of
 * leaf 1 and leaf 7 by their SDM positions), less what TCG says it cannot give.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import {
  cpuidFirmware,
  DEBUG_EXIT_PORT,
  DEBUGCON_PORT,
  FIRMWARE_EXIT_CODE,
  parseCpuidOutput,
  SUBLEAF_RULES,
  type CpuidRecord,
} from '../../src/verify/cpuid-firmware.js';
import { dumpMachineType, runFirmwareGuest, type QmpProps } from '../../src/source/qemu-binary.js';

const binary = 'qemu-system-x86_64';
const machineType = 'pc-q35-7.2';
const MODELS = [
  'qemu64',
  'Haswell-v4',
  'Skylake-Server-v4',
  'EPYC-v3',
  'Cascadelake-Server-v4',
  'Denverton-v2',
];

/** Feature bits by their position in the SDM (QEMU's names for them). */
const LEAF1_EDX = [
  'fpu',
  'vme',
  'de',
  'pse',
  'tsc',
  'msr',
  'pae',
  'mce',
  'cx8',
  'apic',
  '',
  'sep',
  'mtrr',
  'pge',
  'mca',
  'cmov',
  'pat',
  'pse36',
  'pn',
  'clflush',
  '',
  'ds',
  'acpi',
  'mmx',
  'fxsr',
  'sse',
  'sse2',
  'ss',
  '',
  'tm',
  'ia64',
  'pbe',
];
const LEAF1_ECX = [
  'pni',
  'pclmulqdq',
  'dtes64',
  'monitor',
  'ds-cpl',
  'vmx',
  'smx',
  'est',
  'tm2',
  'ssse3',
  'cid',
  '',
  'fma',
  'cx16',
  'xtpr',
  'pdcm',
  '',
  'pcid',
  'dca',
  'sse4.1',
  'sse4.2',
  'x2apic',
  'movbe',
  'popcnt',
  'tsc-deadline',
  'aes',
  'xsave',
  '',
  'avx',
  'f16c',
  'rdrand',
  'hypervisor',
];
const LEAF7_EBX = [
  'fsgsbase',
  'tsc-adjust',
  'sgx',
  'bmi1',
  'hle',
  'avx2',
  '',
  'smep',
  'bmi2',
  'erms',
  'invpcid',
  'rtm',
  '',
  '',
  'mpx',
  '',
  'avx512f',
  'avx512dq',
  'rdseed',
  'adx',
  'smap',
  'avx512ifma',
  'pcommit',
  'clflushopt',
  'clwb',
  'intel-pt',
  'avx512pf',
  'avx512er',
  'avx512cd',
  'sha-ni',
  'avx512bw',
  'avx512vl',
];

interface Run {
  records: CpuidRecord[];
  unavailable: Set<string>;
  props: QmpProps;
}
const runs = new Map<string, Run>();

beforeAll(async () => {
  const dump = await dumpMachineType(binary, machineType, 'tcg', (m) => MODELS.includes(m));
  const firmware = cpuidFirmware();
  for (const model of MODELS) {
    const run = await runFirmwareGuest({
      binary,
      machineType,
      model,
      accel: 'tcg',
      firmware,
      debugconPort: DEBUGCON_PORT,
      debugExitPort: DEBUG_EXIT_PORT,
      exitCode: FIRMWARE_EXIT_CODE,
      timeoutMs: 30_000,
    });
    const unavailable = new Set(
      [...run.stderr.matchAll(/requested feature: (?:CPUID\.[^:\s]+:[A-Z]+|MSR\([^)]*\))\.(\S+) \[bit/g)].map(
        (m) => m[1]!,
      ),
    );
    runs.set(model, { records: parseCpuidOutput(run.output), unavailable, props: dump.expansions[model]! });
  }
}, 120_000);

const leaf = (r: Run, l: number, s = 0) => {
  const found = r.records.find((x) => x.leaf === l && x.subleaf === s);
  if (!found) throw new Error(`no record of leaf 0x${l.toString(16)}.${s}`);
  return found;
};
const ascii = (...words: number[]) =>
  words.map((w) => String.fromCharCode(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24)).join('');

describe.each(MODELS)(`QEMU 7.2 ${machineType} -cpu %s: the firmware reads what QMP expands`, (model) => {
  test('vendor, level, xlevel and the leaves enumerated up to them', () => {
    const r = runs.get(model)!;
    const l0 = leaf(r, 0);
    expect(ascii(l0.ebx, l0.edx, l0.ecx)).toBe(r.props.vendor);
    expect(l0.eax).toBe(r.props.level);
    expect(leaf(r, 0x80000000).eax).toBe(r.props.xlevel);
    const basic = new Set(r.records.filter((x) => x.leaf < 0x40000000).map((x) => x.leaf));
    expect([...basic]).toEqual(Array.from({ length: l0.eax + 1 }, (_, i) => i));
    const extended = new Set(
      r.records.filter((x) => x.leaf >= 0x80000000 && x.leaf < 0xc0000000).map((x) => x.leaf),
    );
    expect(extended.size).toBe((r.props.xlevel as number) - 0x80000000 + 1);
  });

  test('family, model, stepping (leaf 1 EAX) and model-id (0x80000002..4)', () => {
    const r = runs.get(model)!;
    const eax = leaf(r, 1).eax;
    const baseFamily = (eax >>> 8) & 0xf;
    const family = baseFamily === 0xf ? baseFamily + ((eax >>> 20) & 0xff) : baseFamily;
    const modelNo =
      baseFamily === 0x6 || baseFamily === 0xf
        ? (((eax >>> 16) & 0xf) << 4) | ((eax >>> 4) & 0xf)
        : (eax >>> 4) & 0xf;
    expect({ family, model: modelNo, stepping: eax & 0xf }).toEqual({
      family: r.props.family,
      model: r.props.model,
      stepping: r.props.stepping,
    });
    const id = [2, 3, 4].map((i) => leaf(r, 0x80000000 + i)).flatMap((x) => [x.eax, x.ebx, x.ecx, x.edx]);
    expect(ascii(...id).replace(/\0+$/, '')).toBe(r.props['model-id']);
  });

  test.each([
    ['leaf 1 EDX', 1, 0, 'edx', LEAF1_EDX],
    ['leaf 1 ECX', 1, 0, 'ecx', LEAF1_ECX],
    ['leaf 7.0 EBX', 7, 0, 'ebx', LEAF7_EBX],
  ] as const)(
    '%s: a bit is set exactly when its feature is on and TCG can give it',
    (_n, l, s, reg, names) => {
      const r = runs.get(model)!;
      const value = leaf(r, l, s)[reg];
      const got: Record<string, boolean> = {};
      const want: Record<string, boolean> = {};
      names.forEach((name, bit) => {
        if (!name) return;
        got[name] = ((value >>> bit) & 1) === 1;
        want[name] = r.props[name] === true && !r.unavailable.has(name);
      });
      expect(got).toEqual(want);
      // The comparison means something: the model has features in this register.
      if (reg !== 'ebx' || model !== 'qemu64')
        expect(Object.values(got).filter(Boolean).length).toBeGreaterThan(0);
    },
  );

  test('subleaves: 7 up to its EAX, 4 and 0xB up to their null entry, 0xD all 64', () => {
    const r = runs.get(model)!;
    const subleaves = (l: number) => r.records.filter((x) => x.leaf === l).map((x) => x.subleaf);
    expect(subleaves(7)).toEqual(Array.from({ length: leaf(r, 7).eax + 1 }, (_, i) => i));
    const cache = r.records.filter((x) => x.leaf === 4);
    if (cache.length) {
      expect(cache.at(-1)!.eax & 0x1f).toBe(0);
      expect(cache.slice(0, -1).every((x) => (x.eax & 0x1f) !== 0)).toBe(true);
    }
    if ((r.props.level as number) >= 0xd)
      expect(subleaves(0xd)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    if ((r.props.level as number) >= 0xb)
      expect((leaf(r, 0xb, subleaves(0xb).at(-1)).ecx >>> 8) & 0xff).toBe(0);
    expect(SUBLEAF_RULES.get(4)).toEqual({ kind: 'until-zero', register: 'eax', mask: 0x1f, from: 0 });
  });
});
