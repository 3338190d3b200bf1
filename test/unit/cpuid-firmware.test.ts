/**
 * The encoder against encodings from the Intel SDM's opcode tables (volume 2, 16-bit code:
 * 0x66 selects 32-bit operands), and the firmware image's shape.
 */
import { describe, expect, test } from '@jest/globals';
import { Assembler } from '../../src/verify/x86-encoder.js';
import { cpuidFirmware, FirmwareOutputError, parseCpuidOutput } from '../../src/verify/cpuid-firmware.js';

const bytes = (build: (a: Assembler) => void): number[] => {
  const a = new Assembler();
  build(a);
  return [...a.assemble()];
};

describe('x86 encoder (16-bit real mode)', () => {
  test.each([
    ['cpuid', (a: Assembler) => a.cpuid(), [0x0f, 0xa2]],
    ['mov eax, 0x80000000', (a: Assembler) => a.movImm32('eax', 0x80000000), [0x66, 0xb8, 0, 0, 0, 0x80]],
    ['mov edi, 7', (a: Assembler) => a.movImm32('edi', 7), [0x66, 0xbf, 7, 0, 0, 0]],
    ['mov eax, esi', (a: Assembler) => a.movReg32('eax', 'esi'), [0x66, 0x89, 0xf0]],
    ['mov ecx, edi', (a: Assembler) => a.movReg32('ecx', 'edi'), [0x66, 0x89, 0xf9]],
    ['mov [0x508], eax', (a: Assembler) => a.storeReg32(0x508, 'eax'), [0x66, 0x89, 0x06, 0x08, 0x05]],
    ['mov [0x50c], ebx', (a: Assembler) => a.storeReg32(0x50c, 'ebx'), [0x66, 0x89, 0x1e, 0x0c, 0x05]],
    ['mov edx, [0x514]', (a: Assembler) => a.loadReg32('edx', 0x514), [0x66, 0x8b, 0x16, 0x14, 0x05]],
    ['cmp esi, 0x7', (a: Assembler) => a.cmpImm32('esi', 7), [0x66, 0x81, 0xfe, 7, 0, 0, 0]],
    ['cmp esi, [0x520]', (a: Assembler) => a.cmpMem32('esi', 0x520), [0x66, 0x3b, 0x36, 0x20, 0x05]],
    ['test ecx, 0xff00', (a: Assembler) => a.testImm32('ecx', 0xff00), [0x66, 0xf7, 0xc1, 0, 0xff, 0, 0]],
    ['inc edi', (a: Assembler) => a.inc32('edi'), [0x66, 0x47]],
    [
      'xor ax, ax; mov ds, ax; mov ss, ax',
      (a: Assembler) => a.zeroAx().movSegmentFromAx('ds').movSegmentFromAx('ss'),
      [0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0],
    ],
    [
      'mov sp, 0x7000; mov dx, 0xe9; mov bx, 0x500',
      (a: Assembler) => a.movImm16('sp', 0x7000).movImm16('dx', 0xe9).movImm16('bx', 0x500),
      [0xbc, 0, 0x70, 0xba, 0xe9, 0, 0xbb, 0, 5],
    ],
    [
      'mov al, [bx]; out dx, al; inc bx',
      (a: Assembler) => a.loadAlFromBx().outDxAl().incBx(),
      [0x8a, 0x07, 0xee, 0x43],
    ],
    ['cmp bx, 0x518', (a: Assembler) => a.cmpBxImm16(0x518), [0x81, 0xfb, 0x18, 0x05]],
    [
      'mov al, 0x10; out 0xf4, al',
      (a: Assembler) => a.movAlImm8(0x10).outImm8Al(0xf4),
      [0xb0, 0x10, 0xe6, 0xf4],
    ],
    ['cli; hlt; ret', (a: Assembler) => a.cli().hlt().ret(), [0xfa, 0xf4, 0xc3]],
  ])('%s', (_name, build, expected) => {
    expect(bytes(build)).toEqual(expected);
  });

  test('near jumps, calls and conditional jumps take displacements from the end of the instruction', () => {
    expect(
      bytes((a) => {
        const top = a.label('top');
        const end = a.label('end');
        a.place(top);
        a.jcc('ne', end); // 0F 85 cw at 0, ends at 4; end is at 10 -> +6
        a.call(top); // E8 cw at 4, ends at 7; top is 0 -> -7
        a.jmp(top); // E9 cw at 7, ends at 10 -> -10
        a.place(end);
        a.jcc('be', top); // 0F 86 at 10, ends at 14 -> -14
      }),
    ).toEqual([0x0f, 0x85, 6, 0, 0xe8, 0xf9, 0xff, 0xe9, 0xf6, 0xff, 0x0f, 0x86, 0xf2, 0xff]);
  });

  test('a label used and never placed, or placed twice, is an error', () => {
    const a = new Assembler();
    a.jmp(a.label('nowhere'));
    expect(() => a.assemble()).toThrow(/nowhere used but never placed/);
    const b = new Assembler();
    const l = b.label('twice');
    b.place(l);
    expect(() => b.place(l)).toThrow(/placed twice/);
  });

  test('values out of range are refused, not truncated', () => {
    expect(() => new Assembler().movImm32('eax', 2 ** 32)).toThrow(RangeError);
    expect(() => new Assembler().movImm16('dx', 0x10000)).toThrow(RangeError);
  });
});

describe('CPUID firmware image', () => {
  const image = cpuidFirmware();
  test('is 64 KiB with the reset vector jumping back to its start', () => {
    expect(image.length).toBe(0x10000);
    // At 0xFFF0: jmp rel16 to offset 0 (0 - 0xFFF3 = 0x000D modulo 64 KiB).
    expect([...image.subarray(0xfff0, 0xfff3)]).toEqual([0xe9, 0x0d, 0x00]);
    // The program starts by disabling interrupts and setting up DS and SS.
    expect([...image.subarray(0, 7)]).toEqual([0xfa, 0x31, 0xc0, 0x8e, 0xd8, 0x8e, 0xd0]);
  });

  test('output that is cut short or not the firmware is an error', () => {
    const mark = (s: string) => [...s].map((c) => c.charCodeAt(0));
    const record = [
      1, 0, 0, 0, 0, 0, 0, 0, 0xc4, 0x06, 0x03, 0, 0, 8, 0, 0, 3, 0x32, 0xd8, 0xf6, 0xfd, 0xfb, 0x8b, 0x07,
    ];
    expect(parseCpuidOutput(Uint8Array.from([...mark('CPUIDFW1'), ...record, ...mark('CPUIDEND')]))).toEqual([
      { leaf: 1, subleaf: 0, eax: 0x306c4, ebx: 0x800, ecx: 0xf6d83203, edx: 0x078bfbfd },
    ]);
    expect(() => parseCpuidOutput(Uint8Array.from([...mark('CPUIDFW1'), ...record]))).toThrow(
      FirmwareOutputError,
    );
    expect(() => parseCpuidOutput(Uint8Array.from(mark('SeaBIOS (version 1.16)')))).toThrow(/do not start/);
    expect(() => parseCpuidOutput(Uint8Array.from([...mark('CPUIDFW1'), ...record.slice(0, 10)]))).toThrow(
      /stopped after 1|stopped after 0/,
    );
  });
});
