/**
 * Seeded damage to real catalog files, and the verdict on how a reader took it. A damaged file
 * must be refused as a user's error naming the file (and its line where one is at fault), or
 * read into exactly the catalog the undamaged file gives; anything else (another exception, a
 * different catalog from damage that changes nothing a compiler or libvirt would read) is a
 * failure. `FUZZ_SEED` replays a run; the default seed is the one the README's numbers are for.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/errors.js';

export const DEFAULT_FUZZ_SEED = 20261202;
export const FUZZ_SEED = process.env['FUZZ_SEED'] ? Number(process.env['FUZZ_SEED']) : DEFAULT_FUZZ_SEED;
if (!Number.isSafeInteger(FUZZ_SEED))
  throw new Error(`FUZZ_SEED=${process.env['FUZZ_SEED']} is not an integer`);

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function random(seed: number): Random {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)]! };
}
export interface Random {
  next(): number;
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** A seed per name, so that adding a case elsewhere does not move every other case. */
export function seedFor(name: string): number {
  let h = FUZZ_SEED >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * What the damage allows. `same`: nothing a reader should see changed, so the catalog must be
 * identical (`same-shifted`: identical but for line numbers). `error`: the file cannot be read.
 * `error-or-same`: a compiler would refuse it, unless it lies where nothing reads it.
 * `any`: a legal edit may result (a deleted or duplicated line), so only the manner of the
 * outcome is judged: a result, or an input error naming a file.
 */
export type Expectation = 'same' | 'same-shifted' | 'error' | 'error-or-same' | 'any';

export type Damage =
  { kind: 'content'; bytes: Buffer } | { kind: 'remove' } | { kind: 'directory' } | { kind: 'symlink-loop' };

/**
 * A line edit at one line picked from `candidates`: the edited text, and the line a reader
 * should name. Undefined when the file has no such line.
 */
function atLine(
  text: string,
  r: Random,
  candidates: number[],
  edit: (all: string[], l: number) => void,
): { bytes: Buffer; line: number } | undefined {
  if (!candidates.length) return undefined;
  const l = r.pick(candidates);
  const all = splitLines(text);
  edit(all, l);
  return { bytes: Buffer.from(all.join('\n')), line: l + 1 };
}

export interface Mutation {
  /** `pc_q35.c: brace before line 120`, to find the case again. */
  name: string;
  file: string;
  damage: Damage;
  expect: Expectation;
  /** Whether an error must carry a line (damage at a line of a text file). */
  needsLine: boolean;
  /** More to hold a result to, for damage whose result is not the undamaged one. */
  check?: (value: unknown) => string | undefined;
}

/** Where each character of a C-like or XML file stands, for damage that must land in code or in a comment. */
export interface Regions {
  /** [start, end) of comment interiors (between the delimiters). */
  comments: [number, number][];
  /** Offsets of line starts. */
  lineStarts: number[];
  /** Per line (0-based): the line is code only, outside any comment or literal, and not continued from the previous one. */
  codeLine: boolean[];
  /** Per line: blank, or a comment only, so that deleting or duplicating it changes nothing. */
  inertLine: boolean[];
}

export function cRegions(text: string): Regions {
  return regions(text, [
    { open: '/*', close: '*/' },
    { open: '//', close: '\n' },
  ]);
}

export function xmlRegions(text: string): Regions {
  return regions(text, [{ open: '<!--', close: '-->' }]);
}

/** YAML as the exporter writes it: `#` comments on lines of their own, quoted or plain scalars. */
export function yamlRegions(text: string): Regions {
  return regions(text, [{ open: '#', close: '\n' }]);
}

function regions(text: string, commentKinds: { open: string; close: string }[]): Regions {
  const comments: [number, number][] = [];
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStarts.push(i + 1);
  // Per character: 0 code, 1 comment (delimiters included), 2 literal.
  const state = new Uint8Array(text.length);
  const cLike = commentKinds.some((k) => k.open === '//');
  for (let i = 0; i < text.length;) {
    const kind = commentKinds.find((k) => text.startsWith(k.open, i));
    if (kind) {
      let end = text.indexOf(kind.close, i + kind.open.length);
      if (end < 0) end = text.length;
      const stop = kind.close === '\n' ? end : end + kind.close.length;
      comments.push([i + kind.open.length, end]);
      state.fill(1, i, stop);
      i = stop;
      continue;
    }
    const c = text[i];
    if (c === '"' || (cLike && c === "'")) {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      state.fill(2, i, j + 1);
      i = j + 1;
      continue;
    }
    i++;
  }
  const codeLine: boolean[] = [];
  const inertLine: boolean[] = [];
  for (let l = 0; l < lineStarts.length; l++) {
    const start = lineStarts[l]!;
    const end = l + 1 < lineStarts.length ? lineStarts[l + 1]! - 1 : text.length;
    const line = text.slice(start, end);
    let code = false;
    let other = false;
    for (let i = start; i < end; i++) {
      if (/\s/.test(text[i]!)) continue;
      if (state[i] === 0) code = true;
      else other = true;
    }
    const continued = l > 0 && /\\\s*$/.test(text.slice(lineStarts[l - 1]!, start - 1));
    const comment = (i: number): boolean => state[i] === 1;
    codeLine.push(code && !other && !continued && line.trim().length > 0);
    // Inert: blank, or wholly inside one comment that opens before and closes after it, or a
    // whole comment of its own.
    const wholeComment =
      !code &&
      !continued &&
      (line.trim() === '' ||
        (comment(start) && (end === text.length || comment(end))) ||
        commentKinds.some(
          (k) => line.trim().startsWith(k.open) && (k.close === '\n' || line.trimEnd().endsWith(k.close)),
        ));
    inertLine.push(wholeComment && !/\\\s*$/.test(line));
  }
  return { comments, lineStarts, codeLine, inertLine };
}

export interface TextMutator {
  name: string;
  expect: Expectation;
  needsLine: boolean;
  /** The damaged bytes and the 1-based line it lands on, or undefined when the file has no place for it. */
  apply(text: string, r: Random, regions: Regions): { bytes: Buffer; line?: number } | undefined;
}

const lineOf = (regions: Regions, offset: number): number => {
  let lo = 0;
  let hi = regions.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (regions.lineStarts[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
};

const linesWhere = (flags: boolean[]): number[] => flags.flatMap((f, i) => (f ? [i] : []));

const splitLines = (text: string): string[] => text.split('\n');

/** A point inside a code line, after its indentation. */
function codePoint(text: string, r: Random, regions: Regions): { offset: number; line: number } | undefined {
  const lines = linesWhere(regions.codeLine);
  if (!lines.length) return undefined;
  const l = r.pick(lines);
  const start = regions.lineStarts[l]!;
  const line = text.slice(start, text.indexOf('\n', start) < 0 ? text.length : text.indexOf('\n', start));
  const indent = line.length - line.trimStart().length;
  const width = line.trimEnd().length - indent;
  return { offset: start + indent + r.int(Math.max(1, width)), line: l + 1 };
}

const insertAt = (text: string, offset: number, what: string): Buffer =>
  Buffer.from(text.slice(0, offset) + what + text.slice(offset));

const PRINTABLE = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,.;:()[]{}<>=+-|&~!?%^#\'"';

/** Damage for any text file, C or XML: each knows where it may land and what it allows. */
export function textMutators(language: 'c' | 'xml' | 'yaml'): TextMutator[] {
  const junk = language === 'c' ? ['@', '`'] : language === 'xml' ? ['<', '&'] : ['\t', '{'];
  const unbalanced =
    language === 'c' ? ['}', '{', ')'] : language === 'xml' ? ['</model>', '<x>'] : ['[', '{'];
  return [
    {
      name: 'text in a comment',
      expect: 'same',
      needsLine: true,
      apply(text, r, regions) {
        const inside = regions.comments.filter(([s, e]) => e > s);
        if (!inside.length) return undefined;
        const [s, e] = r.pick(inside);
        const offset = s + r.int(e - s);
        let what = '';
        for (let i = 1 + r.int(12); i > 0; i--) what += r.pick([...PRINTABLE.replace(/[<>&-]/g, '')]);
        return { bytes: insertAt(text, offset, what), line: lineOf(regions, offset) };
      },
    },
    {
      name: 'a blank or comment line deleted',
      expect: 'same-shifted',
      needsLine: true,
      apply(text, r, regions) {
        return atLine(
          text,
          r,
          linesWhere(regions.inertLine).filter((l) => l < regions.lineStarts.length - 1),
          (all, l) => {
            all.splice(l, 1);
          },
        );
      },
    },
    {
      name: 'a blank or comment line duplicated',
      expect: 'same-shifted',
      needsLine: true,
      apply(text, r, regions) {
        return atLine(text, r, linesWhere(regions.inertLine), (all, l) => {
          all.splice(l, 0, all[l]!);
        });
      },
    },
    {
      name: 'an unbalanced bracket',
      expect: 'error-or-same',
      needsLine: true,
      apply(text, r, regions) {
        return atLine(text, r, linesWhere(regions.codeLine), (all, l) => {
          const what = r.pick(unbalanced);
          all.splice(l, 0, language === 'yaml' ? `${all[l]!.match(/^\s*/)![0]}${what}` : what);
        });
      },
    },
    {
      name: 'an unbalanced quote',
      expect: 'error-or-same',
      needsLine: true,
      apply(text, r, regions) {
        const at = codePoint(text, r, regions);
        if (!at) return undefined;
        return { bytes: insertAt(text, at.offset, r.pick(['"', "'"])), line: at.line };
      },
    },
    {
      name: 'a stray character',
      expect: 'error-or-same',
      needsLine: true,
      apply(text, r, regions) {
        const at = codePoint(text, r, regions);
        if (!at) return undefined;
        return { bytes: insertAt(text, at.offset, r.pick(junk)), line: at.line };
      },
    },
    {
      name: 'two tokens swapped',
      expect: language === 'yaml' ? 'any' : 'error-or-same',
      needsLine: true,
      apply(text, r, regions) {
        const lines = linesWhere(regions.codeLine);
        for (let tries = 0; tries < 20 && lines.length; tries++) {
          const l = r.pick(lines);
          const all = splitLines(text);
          const tokens = [...all[l]!.matchAll(/\w+|[^\s\w]/g)];
          const pairs = tokens
            .slice(1)
            .map((t, i) => [tokens[i]!, t] as const)
            .filter(([a, b]) => /\w/.test(a[0]) !== /\w/.test(b[0]) && a[0] !== b[0]);
          if (!pairs.length) continue;
          const [a, b] = r.pick(pairs);
          const s = all[l]!;
          all[l] =
            s.slice(0, a.index) +
            b[0] +
            s.slice(a.index + a[0].length, b.index) +
            a[0] +
            s.slice(b.index + b[0].length);
          return { bytes: Buffer.from(all.join('\n')), line: l + 1 };
        }
        return undefined;
      },
    },
    {
      name: 'truncated inside a line',
      expect: language === 'yaml' ? 'any' : 'error-or-same',
      // What it removes may be missing anywhere: the error names the file, a line if it can.
      needsLine: false,
      apply(text, r, regions) {
        const at = codePoint(text, r, regions);
        if (!at) return undefined;
        return { bytes: Buffer.from(text.slice(0, at.offset)), line: at.line };
      },
    },
    {
      name: 'a line deleted',
      expect: 'any',
      // What it removes may be missing anywhere: the error names the file, a line if it can.
      needsLine: false,
      apply(text, r, regions) {
        return atLine(text, r, linesWhere(regions.codeLine), (all, l) => {
          all.splice(l, 1);
        });
      },
    },
    {
      name: 'a line duplicated',
      expect: 'any',
      needsLine: true,
      apply(text, r, regions) {
        return atLine(text, r, linesWhere(regions.codeLine), (all, l) => {
          all.splice(l, 0, all[l]!);
        });
      },
    },
    {
      name: 'a block deleted',
      expect: 'any',
      // What it removes may be missing anywhere: the error names the file, a line if it can.
      needsLine: false,
      apply(text, r, regions) {
        return atLine(text, r, linesWhere(regions.codeLine), (all, l) => {
          all.splice(l, 2 + r.int(30));
        });
      },
    },
    {
      name: 'a block duplicated',
      expect: 'any',
      needsLine: true,
      apply(text, r, regions) {
        return atLine(text, r, linesWhere(regions.codeLine), (all, l) => {
          all.splice(l, 0, ...all.slice(l, l + 2 + r.int(30)));
        });
      },
    },
    {
      name: 'random bytes',
      expect: 'error',
      needsLine: true,
      apply(text, r, regions) {
        const bytes = Buffer.from(text);
        const offset = r.int(bytes.length);
        const junkBytes = Buffer.alloc(1 + r.int(16));
        for (let i = 0; i < junkBytes.length; i++) junkBytes[i] = r.int(256);
        // 0xff never occurs in UTF-8: the bytes cannot be read as text by accident.
        junkBytes[r.int(junkBytes.length)] = 0xff;
        const lineAt = lineOf(regions, Buffer.from(bytes.subarray(0, offset)).toString('utf8').length);
        return {
          bytes: Buffer.concat([bytes.subarray(0, offset), junkBytes, bytes.subarray(offset)]),
          line: lineAt,
        };
      },
    },
    {
      name: 'invalid UTF-8 in a name',
      expect: 'error',
      needsLine: true,
      apply(text, r, regions) {
        const at = codePoint(text, r, regions);
        if (!at) return undefined;
        const before = Buffer.from(text.slice(0, at.offset));
        // A lone continuation byte after a lead byte: the classic mojibake of Latin-1 text.
        return {
          bytes: Buffer.concat([before, Buffer.from([0xc3, 0x28]), Buffer.from(text.slice(at.offset))]),
          line: at.line,
        };
      },
    },
    {
      name: 'a NUL byte',
      expect: language === 'c' ? 'error-or-same' : 'error',
      needsLine: true,
      apply(text, r, regions) {
        const at = codePoint(text, r, regions);
        if (!at) return undefined;
        return { bytes: insertAt(text, at.offset, '\0'), line: at.line };
      },
    },
  ];
}

/** A folder with copies of a tree's catalog files, damaged one file at a time and restored. */
export class ScratchTree {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'cmg-fuzz-'));
  private readonly originals = new Map<string, Buffer>();

  constructor(from: string, files: readonly string[]) {
    for (const rel of files) {
      mkdirSync(path.dirname(path.join(this.dir, rel)), { recursive: true });
      cpSync(path.join(from, rel), path.join(this.dir, rel));
      this.originals.set(rel, readFileSync(path.join(from, rel)));
    }
  }

  text(rel: string): string {
    return this.originals.get(rel)!.toString('utf8');
  }

  get files(): string[] {
    return [...this.originals.keys()];
  }

  /** Applies the damage, runs `read`, and puts the file back whatever happened. */
  async with<T>(rel: string, damage: Damage, read: () => Promise<T>): Promise<T> {
    const abs = path.join(this.dir, rel);
    rmSync(abs, { recursive: true, force: true });
    if (damage.kind === 'content') writeFileSync(abs, damage.bytes);
    else if (damage.kind === 'directory') mkdirSync(abs);
    else if (damage.kind === 'symlink-loop') {
      symlinkSync(path.basename(abs) + '.loop', abs);
      symlinkSync(path.basename(abs), abs + '.loop');
    }
    try {
      return await read();
    } finally {
      rmSync(abs, { recursive: true, force: true });
      rmSync(abs + '.loop', { force: true });
      writeFileSync(abs, this.originals.get(rel)!);
    }
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every mutation of one file: each text damage once, plus the damage of the file as a whole. */
export function mutationsOf(
  file: string,
  text: string,
  language: 'c' | 'xml' | 'yaml',
  options: { required: boolean; oversize?: number },
): Mutation[] {
  const r = random(seedFor(file));
  const regs =
    language === 'xml' ? xmlRegions(text) : language === 'yaml' ? yamlRegions(text) : cRegions(text);
  const out: Mutation[] = [];
  for (const m of textMutators(language)) {
    const applied = m.apply(text, r, regs);
    if (!applied) continue;
    out.push({
      name: `${file}: ${m.name}${applied.line ? ` at line ${applied.line}` : ''}`,
      file,
      damage: { kind: 'content', bytes: applied.bytes },
      expect: m.expect,
      needsLine: m.needsLine,
    });
  }
  const whole = options.required ? 'error' : 'error-or-same';
  out.push(
    {
      name: `${file}: empty`,
      file,
      damage: { kind: 'content', bytes: Buffer.alloc(0) },
      expect: whole,
      needsLine: false,
    },
    { name: `${file}: removed`, file, damage: { kind: 'remove' }, expect: whole, needsLine: false },
    {
      name: `${file}: a directory in its place`,
      file,
      damage: { kind: 'directory' },
      expect: 'error',
      needsLine: false,
    },
    {
      name: `${file}: a symlink loop`,
      file,
      damage: { kind: 'symlink-loop' },
      expect: 'error',
      needsLine: false,
    },
  );
  if (options.oversize) {
    const pad = language === 'xml' ? ['<!-- ', ' -->'] : language === 'yaml' ? ['# ', ''] : ['/* ', ' */'];
    const filler = Buffer.alloc(options.oversize, 'x');
    out.push({
      name: `${file}: oversize (${options.oversize} bytes of comment)`,
      file,
      damage: {
        kind: 'content',
        bytes: Buffer.concat([Buffer.from(text + pad[0]), filler, Buffer.from(pad[1] + '\n')]),
      },
      expect: 'error',
      needsLine: false,
    });
  }
  return out;
}

export type Outcome =
  | { kind: 'result'; value: unknown }
  | { kind: 'input-error'; error: InputError }
  | { kind: 'crash'; error: unknown };

export async function outcomeOf(read: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { kind: 'result', value: await read() };
  } catch (error) {
    return error instanceof InputError ? { kind: 'input-error', error } : { kind: 'crash', error };
  }
}

/** `location`, `aliasLocation`, `propertyDefaultLocations`, `line`, `endLine`: where, not what. */
const LOCATION_KEY = /^(?:line|endLine)$|[lL]ocations?$/;

/** A result as text for comparison; `shifted` leaves out line numbers, which inert lines move. */
export function canonical(value: unknown, shifted: boolean, skip: readonly string[] = []): string {
  return JSON.stringify(value, (key, v: unknown) => {
    if ((shifted && LOCATION_KEY.test(key)) || skip.includes(key)) return undefined;
    // Notes name places as `file.c:123`.
    if (shifted && typeof v === 'string') return v.replace(/(\.[A-Za-z]+):\d+/g, '$1:#');
    return v;
  });
}

/**
 * The verdict on one case: undefined when the outcome is one the damage allows, else what went
 * wrong. `baseline` is the undamaged result in the same canonical forms.
 */
export function judge(
  m: Mutation,
  outcome: Outcome,
  baseline: { exact: string; shifted: string },
  canon: (value: unknown, shifted: boolean) => string,
): string | undefined {
  if (outcome.kind === 'crash') {
    const e = outcome.error as Error;
    return `${m.name}: not an input error: ${e?.name}: ${e?.message?.slice(0, 300)}\n${e?.stack?.split('\n').slice(1, 4).join('\n')}`;
  }
  if (outcome.kind === 'input-error') {
    if (m.expect === 'same' || m.expect === 'same-shifted')
      return `${m.name}: refused (${outcome.error.describe().slice(0, 300)}), though the damage changes nothing`;
    const loc = outcome.error.location;
    if (!loc?.path) return `${m.name}: the error names no file: ${outcome.error.message.slice(0, 300)}`;
    if (m.needsLine && !loc.line)
      return `${m.name}: the error names no line: ${outcome.error.describe().slice(0, 300)}`;
    return undefined;
  }
  if (m.expect === 'error') return `${m.name}: read without an error`;
  const wrong = m.check?.(outcome.value);
  if (wrong) return `${m.name}: ${wrong}`;
  if (m.expect === 'any') return undefined;
  const got = canon(outcome.value, m.expect !== 'same');
  const want = m.expect === 'same' ? baseline.exact : baseline.shifted;
  if (got !== want) return `${m.name}: read as a different catalog without an error`;
  return undefined;
}

/** Counts of each kind of outcome, for the summary line a run prints. */
export interface Tally {
  cases: number;
  errors: number;
  same: number;
  changed: number;
}

export function tally(
  outcomes: { m: Mutation; o: Outcome }[],
  baseShifted: string,
  canon: (v: unknown, s: boolean) => string,
): Tally {
  const t: Tally = { cases: outcomes.length, errors: 0, same: 0, changed: 0 };
  for (const { o } of outcomes) {
    if (o.kind !== 'result') t.errors++;
    else if (canon(o.value, true) === baseShifted) t.same++;
    else t.changed++;
  }
  return t;
}
