/**
 * The guest program `verify` runs to read what a CPU model really gives a guest: a 64 KiB
 * firmware image for `-bios`, produced here from the project's own encoder (no assembler or
 * compiler at run time), and the reader of what it writes.
 *
 * It runs in real mode straight from the reset vector (CPUID works in every mode), executes
 * CPUID for every basic leaf 0..max (leaf 0's EAX), every hypervisor leaf 0x40000000..max,
 * every extended leaf 0x80000000..max and every Centaur leaf 0xC0000000..max, and every
 * subleaf of the leaves that take one in ECX, each until its own end (SUBLEAF_RULES). Every
 * answer goes to `isa-debugcon` (port 0xE9) as a 24-byte record; then the program writes an
 * end mark and leaves through `isa-debug-exit` (port 0xF4), so the QEMU process ends with
 * exit code `(FIRMWARE_EXIT_VALUE << 1) | 1`.
 */
import { Assembler, type Reg32 } from './x86-encoder.js';

export const DEBUGCON_PORT = 0xe9;
export const DEBUG_EXIT_PORT = 0xf4;
export const FIRMWARE_EXIT_VALUE = 0x10;
/** What the QEMU process exits with when the firmware ran to its end. */
export const FIRMWARE_EXIT_CODE = (FIRMWARE_EXIT_VALUE << 1) | 1;

const START_MARK = 'CPUIDFW1';
const END_MARK = 'CPUIDEND';
const RECORD_BYTES = 24;

/** x86 loads a `-bios` image so that its last 16 bytes hold the reset vector (CS base 0xFFFF0000, IP 0xFFF0). */
const IMAGE_BYTES = 0x10000;
const RESET_VECTOR = 0xfff0;

/** Real-mode RAM the program uses (DS = SS = 0), below where any BIOS data would be. */
const RECORD_BUFFER = 0x500;
const RANGE_MAX = 0x520;
const SUBLEAF_MAX = 0x524;
const STACK_TOP = 0x7000;

/** No range is enumerated past its base + this, whatever its first leaf claims. */
export const MAX_LEAVES_PER_RANGE = 0x100;
/** No leaf is enumerated past this subleaf, whatever it claims. */
export const MAX_SUBLEAF = 63;

/** How the subleaves of one leaf end: QEMU's cpu_x86_cpuid() and the SDM/APM agree on these. */
export type SubleafRule =
  /** Subleaf 0's EAX is the highest subleaf (7, 0x14, 0x17, 0x18, 0x1D, 0x1E, 0x20, 0x24). */
  | { kind: 'max-in-eax' }
  /**
   * Subleaves `from`, `from+1`, ... until one whose `register & mask` is 0 (that one read too):
   * cache leaves end at a null cache type (EAX[4:0]), topology leaves at level type 0 (ECX[15:8]).
   * Subleaves below `from` are always read.
   */
  | { kind: 'until-zero'; register: 'eax' | 'ecx'; mask: number; from: number }
  /** A fixed number of subleaves: 0xD has one per XSAVE component bit (0..63). */
  | { kind: 'count'; count: number };

export const SUBLEAF_RULES: ReadonlyMap<number, SubleafRule> = new Map<number, SubleafRule>([
  [0x4, { kind: 'until-zero', register: 'eax', mask: 0x1f, from: 0 }],
  [0x7, { kind: 'max-in-eax' }],
  [0xb, { kind: 'until-zero', register: 'ecx', mask: 0xff00, from: 0 }],
  [0xd, { kind: 'count', count: 64 }],
  [0xf, { kind: 'count', count: 2 }],
  [0x10, { kind: 'count', count: 4 }],
  // 0x12: subleaves 0 and 1 describe SGX itself, 2.. one EPC section each until type 0 (EAX[3:0]).
  [0x12, { kind: 'until-zero', register: 'eax', mask: 0xf, from: 2 }],
  [0x14, { kind: 'max-in-eax' }],
  [0x17, { kind: 'max-in-eax' }],
  [0x18, { kind: 'max-in-eax' }],
  [0x1b, { kind: 'until-zero', register: 'eax', mask: 0xfff, from: 0 }],
  [0x1d, { kind: 'max-in-eax' }],
  [0x1e, { kind: 'max-in-eax' }],
  [0x1f, { kind: 'until-zero', register: 'ecx', mask: 0xff00, from: 0 }],
  [0x20, { kind: 'max-in-eax' }],
  [0x23, { kind: 'count', count: 4 }],
  [0x24, { kind: 'max-in-eax' }],
  [0x8000001d, { kind: 'until-zero', register: 'eax', mask: 0x1f, from: 0 }],
  [0x80000020, { kind: 'count', count: 8 }],
  [0x80000026, { kind: 'until-zero', register: 'ecx', mask: 0xff00, from: 0 }],
]);

/** The leaf ranges, each enumerated from its base up to the maximum its base leaf reports in EAX. */
export const LEAF_RANGES: readonly number[] = [0x0, 0x40000000, 0x80000000, 0xc0000000];

/**
 * The firmware image. The program (ESI = leaf, EDI = subleaf throughout):
 *
 *   start:  cli; DS = SS = 0; SP = STACK_TOP; write START_MARK
 *   per range base B: ESI = B; EDI = 0; call probe; RANGE_MAX = EAX clamped to B+0xFF;
 *           skip the range if EAX < B; then for ESI = B+1 .. RANGE_MAX: the leaf's rule
 *   write END_MARK; out DEBUG_EXIT_PORT; hlt
 *   probe:  CPUID(ESI, EDI), the 24-byte record (ESI, EDI, EAX, EBX, ECX, EDX) to debugcon;
 *           returns with EAX..EDX as CPUID left them
 */
export function cpuidFirmware(): Uint8Array {
  const a = new Assembler();
  const probe = a.label('probe');
  const start = a.label('start');
  a.place(start);
  const writeMark = (mark: string) => {
    for (const ch of mark) a.movAlImm8(ch.charCodeAt(0)).outDxAl();
  };

  a.cli().zeroAx().movSegmentFromAx('ds').movSegmentFromAx('ss').movImm16('sp', STACK_TOP);
  a.movImm16('dx', DEBUGCON_PORT);
  writeMark(START_MARK);

  for (const base of LEAF_RANGES) {
    const next = a.label(`range-${base.toString(16)}-next`);
    const loop = a.label(`range-${base.toString(16)}-loop`);
    const done = a.label(`range-${base.toString(16)}-done`);
    const clamped = a.label(`range-${base.toString(16)}-clamped`);
    a.movImm32('esi', base).movImm32('edi', 0).call(probe);
    // A range whose base leaf reports a maximum below itself (an unimplemented range that
    // echoes another leaf) has nothing more to read.
    a.cmpImm32('eax', base).jcc('be', done);
    a.cmpImm32('eax', base + MAX_LEAVES_PER_RANGE - 1).jcc('be', clamped);
    a.movImm32('eax', base + MAX_LEAVES_PER_RANGE - 1);
    a.place(clamped);
    a.storeReg32(RANGE_MAX, 'eax');
    a.movImm32('esi', base + 1);
    a.place(loop);
    for (const [leaf, rule] of SUBLEAF_RULES) {
      if (leaf <= base || leaf >= base + MAX_LEAVES_PER_RANGE) continue;
      const other = a.label(`leaf-${leaf.toString(16)}-other`);
      a.cmpImm32('esi', leaf).jcc('ne', other);
      emitSubleaves(a, probe, leaf, rule);
      a.jmp(next);
      a.place(other);
    }
    a.movImm32('edi', 0).call(probe);
    a.place(next);
    a.inc32('esi').cmpMem32('esi', RANGE_MAX).jcc('be', loop);
    a.place(done);
  }

  a.movImm16('dx', DEBUGCON_PORT);
  writeMark(END_MARK);
  const halt = a.label('halt');
  a.movAlImm8(FIRMWARE_EXIT_VALUE).outImm8Al(DEBUG_EXIT_PORT);
  a.place(halt);
  a.cli().hlt().jmp(halt);

  a.place(probe);
  a.movReg32('eax', 'esi').movReg32('ecx', 'edi').cpuid();
  const saved: Reg32[] = ['esi', 'edi', 'eax', 'ebx', 'ecx', 'edx'];
  saved.forEach((reg, i) => a.storeReg32(RECORD_BUFFER + 4 * i, reg));
  const outLoop = a.label('probe-out');
  a.movImm16('dx', DEBUGCON_PORT).movImm16('bx', RECORD_BUFFER);
  a.place(outLoop);
  a.loadAlFromBx()
    .outDxAl()
    .incBx()
    .cmpBxImm16(RECORD_BUFFER + RECORD_BYTES)
    .jcc('b', outLoop);
  (['eax', 'ebx', 'ecx', 'edx'] as const).forEach((reg, i) => a.loadReg32(reg, RECORD_BUFFER + 8 + 4 * i));
  a.ret();

  // The reset vector jumps back to the start, in the same segment (CS base 0xFFFF0000).
  a.padTo(RESET_VECTOR).jmp(start).padTo(IMAGE_BYTES);
  return a.assemble();
}

function emitSubleaves(
  a: Assembler,
  probe: ReturnType<Assembler['label']>,
  leaf: number,
  rule: SubleafRule,
): void {
  const loop = a.label(`leaf-${leaf.toString(16)}-loop`);
  const done = a.label(`leaf-${leaf.toString(16)}-done`);
  a.movImm32('edi', 0);
  switch (rule.kind) {
    case 'max-in-eax': {
      const clamped = a.label(`leaf-${leaf.toString(16)}-clamped`);
      a.call(probe);
      a.cmpImm32('eax', MAX_SUBLEAF).jcc('be', clamped).movImm32('eax', MAX_SUBLEAF);
      a.place(clamped);
      a.storeReg32(SUBLEAF_MAX, 'eax');
      a.place(loop);
      a.inc32('edi').cmpMem32('edi', SUBLEAF_MAX).jcc('a', done).call(probe).jmp(loop);
      break;
    }
    case 'until-zero': {
      const check = a.label(`leaf-${leaf.toString(16)}-check`);
      a.place(loop);
      a.call(probe);
      a.cmpImm32('edi', rule.from).jcc('b', check);
      a.testImm32(rule.register, rule.mask).jcc('e', done);
      a.place(check);
      a.inc32('edi').cmpImm32('edi', MAX_SUBLEAF).jcc('be', loop);
      break;
    }
    case 'count':
      a.place(loop);
      a.call(probe)
        .inc32('edi')
        .cmpImm32('edi', Math.min(rule.count, MAX_SUBLEAF + 1))
        .jcc('b', loop);
      break;
  }
  a.place(done);
}

/** One CPUID answer: the leaf (EAX in) and subleaf (ECX in), and the four registers out. */
export interface CpuidRecord {
  leaf: number;
  subleaf: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

export class FirmwareOutputError extends Error {
  override readonly name = 'FirmwareOutputError';
}

/**
 * The records of what the firmware wrote to debugcon, in the order it read them. Output that
 * does not start with the start mark, or stops before the end mark (a guest stopped early),
 * is an error: never a shorter list.
 */
export function parseCpuidOutput(bytes: Uint8Array): CpuidRecord[] {
  const text = (from: number, length: number) => String.fromCharCode(...bytes.subarray(from, from + length));
  if (bytes.length < START_MARK.length || text(0, START_MARK.length) !== START_MARK)
    throw new FirmwareOutputError(
      `the guest wrote ${bytes.length} bytes that do not start with the CPUID firmware's mark ${START_MARK}`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: CpuidRecord[] = [];
  let at = START_MARK.length;
  for (;;) {
    if (at + END_MARK.length <= bytes.length && text(at, END_MARK.length) === END_MARK) {
      if (at + END_MARK.length !== bytes.length)
        throw new FirmwareOutputError(
          `the guest wrote ${bytes.length - at - END_MARK.length} bytes after the end mark`,
        );
      return records;
    }
    if (at + RECORD_BYTES > bytes.length)
      throw new FirmwareOutputError(
        `the guest stopped after ${records.length} CPUID records, before the end mark (${bytes.length} bytes)`,
      );
    const word = (i: number) => view.getUint32(at + 4 * i, true);
    records.push({ leaf: word(0), subleaf: word(1), eax: word(2), ebx: word(3), ecx: word(4), edx: word(5) });
    at += RECORD_BYTES;
  }
}

/**
 * The records a guest can take for what they say: a range's base leaf only when the maximum it
 * reports lies in its own range. Outside it, CPUID answers with the highest basic leaf (Intel's
 * rule, which QEMU follows for every vendor), an echo that says nothing of the range.
 */
export function meaningfulRecords(records: readonly CpuidRecord[]): CpuidRecord[] {
  return records.filter(
    (r) =>
      r.leaf === 0 ||
      !LEAF_RANGES.includes(r.leaf) ||
      (r.eax >= r.leaf && r.eax < r.leaf + MAX_LEAVES_PER_RANGE),
  );
}
