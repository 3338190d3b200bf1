/**
 * A tiny x86 encoder for 16-bit real-mode code: the few instructions the CPUID firmware needs,
 * each encoded by hand from the Intel SDM's opcode tables (volume 2), and near labels with
 * 16-bit displacements resolved when the code is assembled.
 *
 * Real mode runs with 16-bit default operand and address size, so a 32-bit register operand
 * takes the operand-size prefix 0x66. Memory operands are absolute `[disp16]` addresses in DS
 * (ModRM mod=00 rm=110) or `[bx]` (mod=00 rm=111).
 */

/** 32-bit general registers in ModRM/opcode order (the low three bits of the encoding). */
export const REG32 = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 } as const;
export type Reg32 = keyof typeof REG32;

/** Condition codes of Jcc (the low nibble of 0x0F 0x80+cc). */
const CONDITION = {
  o: 0,
  no: 1,
  b: 2,
  ae: 3,
  e: 4,
  ne: 5,
  be: 6,
  a: 7,
  s: 8,
  ns: 9,
  l: 0xc,
  ge: 0xd,
  le: 0xe,
  g: 0xf,
} as const;
export type Condition = keyof typeof CONDITION;

const OPERAND32 = 0x66;

function u16(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new RangeError(`${value} is not a 16-bit value`);
  return [value & 0xff, value >>> 8];
}

function u32(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(`${value} is not a 32-bit value`);
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}

function modrmRegister(reg: number, rm: number): number {
  return 0xc0 | (reg << 3) | rm;
}

/** `[disp16]`: mod=00, rm=110. */
function modrmAbsolute(reg: number): number {
  return (reg << 3) | 0b110;
}

export interface Label {
  readonly name: string;
}

interface Fixup {
  /** Offset of the 16-bit displacement to fill in. */
  at: number;
  /** The displacement is relative to the end of the instruction: this offset. */
  from: number;
  label: Label;
}

/** Emits instructions into a byte buffer; labels may be used before they are placed. */
export class Assembler {
  private readonly bytes: number[] = [];
  private readonly placed = new Map<Label, number>();
  private readonly fixups: Fixup[] = [];

  /** Current offset from the start of the code. */
  get offset(): number {
    return this.bytes.length;
  }

  label(name: string): Label {
    return { name };
  }

  place(label: Label): void {
    if (this.placed.has(label)) throw new Error(`label ${label.name} placed twice`);
    this.placed.set(label, this.bytes.length);
  }

  raw(...bytes: number[]): this {
    for (const b of bytes) {
      if (!Number.isInteger(b) || b < 0 || b > 0xff) throw new RangeError(`${b} is not a byte`);
      this.bytes.push(b);
    }
    return this;
  }

  /** Fills with `hlt` up to `offset`. */
  padTo(offset: number, filler = 0xf4): this {
    if (offset < this.offset) throw new Error(`code of ${this.offset} bytes runs past offset ${offset}`);
    while (this.offset < offset) this.bytes.push(filler);
    return this;
  }

  /** `mov r32, imm32`: 66 B8+r id. */
  movImm32(reg: Reg32, value: number): this {
    return this.raw(OPERAND32, 0xb8 + REG32[reg], ...u32(value));
  }

  /** `mov r32, r32`: 66 89 /r (MOV r/m32, r32). */
  movReg32(dst: Reg32, src: Reg32): this {
    return this.raw(OPERAND32, 0x89, modrmRegister(REG32[src], REG32[dst]));
  }

  /** `mov [disp16], r32`: 66 89 /r with mod=00 rm=110. */
  storeReg32(address: number, src: Reg32): this {
    return this.raw(OPERAND32, 0x89, modrmAbsolute(REG32[src]), ...u16(address));
  }

  /** `mov r32, [disp16]`: 66 8B /r with mod=00 rm=110. */
  loadReg32(dst: Reg32, address: number): this {
    return this.raw(OPERAND32, 0x8b, modrmAbsolute(REG32[dst]), ...u16(address));
  }

  /** `cmp r32, imm32`: 66 81 /7 id. */
  cmpImm32(reg: Reg32, value: number): this {
    return this.raw(OPERAND32, 0x81, modrmRegister(7, REG32[reg]), ...u32(value));
  }

  /** `cmp r32, [disp16]`: 66 3B /r (CMP r32, r/m32). */
  cmpMem32(reg: Reg32, address: number): this {
    return this.raw(OPERAND32, 0x3b, modrmAbsolute(REG32[reg]), ...u16(address));
  }

  /** `test r32, imm32`: 66 F7 /0 id. */
  testImm32(reg: Reg32, value: number): this {
    return this.raw(OPERAND32, 0xf7, modrmRegister(0, REG32[reg]), ...u32(value));
  }

  /** `inc r32`: 66 40+r (the one-byte form exists outside 64-bit mode). */
  inc32(reg: Reg32): this {
    return this.raw(OPERAND32, 0x40 + REG32[reg]);
  }

  /** `xor ax, ax`: 31 C0. */
  zeroAx(): this {
    return this.raw(0x31, 0xc0);
  }

  /** `mov ds, ax` (8E D8) and `mov ss, ax` (8E D0). */
  movSegmentFromAx(segment: 'ds' | 'ss'): this {
    return this.raw(0x8e, segment === 'ds' ? 0xd8 : 0xd0);
  }

  /** `mov sp, imm16` (BC iw), `mov dx, imm16` (BA iw), `mov bx, imm16` (BB iw). */
  movImm16(reg: 'sp' | 'dx' | 'bx', value: number): this {
    return this.raw({ sp: 0xbc, dx: 0xba, bx: 0xbb }[reg], ...u16(value));
  }

  /** `mov al, [bx]`: 8A 07. */
  loadAlFromBx(): this {
    return this.raw(0x8a, 0x07);
  }

  /** `mov al, imm8`: B0 ib. */
  movAlImm8(value: number): this {
    return this.raw(0xb0, value);
  }

  /** `inc bx`: 43. */
  incBx(): this {
    return this.raw(0x43);
  }

  /** `cmp bx, imm16`: 81 /7 iw. */
  cmpBxImm16(value: number): this {
    return this.raw(0x81, modrmRegister(7, 3), ...u16(value));
  }

  /** `out dx, al`: EE. */
  outDxAl(): this {
    return this.raw(0xee);
  }

  /** `out imm8, al`: E6 ib. */
  outImm8Al(port: number): this {
    return this.raw(0xe6, port);
  }

  /** `cpuid`: 0F A2. */
  cpuid(): this {
    return this.raw(0x0f, 0xa2);
  }

  cli(): this {
    return this.raw(0xfa);
  }

  hlt(): this {
    return this.raw(0xf4);
  }

  ret(): this {
    return this.raw(0xc3);
  }

  /** `call rel16`: E8 cw. */
  call(target: Label): this {
    return this.relative([0xe8], target);
  }

  /** `jmp rel16`: E9 cw. */
  jmp(target: Label): this {
    return this.relative([0xe9], target);
  }

  /** `jcc rel16`: 0F 80+cc cw. */
  jcc(condition: Condition, target: Label): this {
    return this.relative([0x0f, 0x80 + CONDITION[condition]], target);
  }

  private relative(opcode: number[], target: Label): this {
    this.raw(...opcode, 0, 0);
    this.fixups.push({ at: this.offset - 2, from: this.offset, label: target });
    return this;
  }

  /** The code with every label resolved. */
  assemble(): Uint8Array {
    const out = Uint8Array.from(this.bytes);
    for (const f of this.fixups) {
      const to = this.placed.get(f.label);
      if (to === undefined) throw new Error(`label ${f.label.name} used but never placed`);
      // Near displacements wrap at 64 KiB within the code segment.
      const displacement = (to - f.from) & 0xffff;
      out[f.at] = displacement & 0xff;
      out[f.at + 1] = displacement >>> 8;
    }
    return out;
  }
}
