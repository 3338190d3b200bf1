import { CatalogError } from '../../errors.js';
import { readCaching } from '../../source/read-cache.js';
import { stringValue, type Token } from './tokenizer.js';

/**
 * Just enough of the C preprocessor to read catalog tables: `#define` (object- and
 * function-like), `#undef`, conditional blocks, and macro expansion on demand. Values come
 * from evaluating the definitions in the files themselves; nothing is kept in a hand-made
 * table.
 */
export interface MacroDefinition {
  name: string;
  params?: string[];
  body: Token[];
  path: string;
  line: number;
}

export class MacroTable {
  private readonly defs = new Map<string, MacroDefinition>();

  define(def: MacroDefinition): void {
    this.defs.set(def.name, def);
  }
  undefine(name: string): void {
    this.defs.delete(name);
  }
  get(name: string): MacroDefinition | undefined {
    return this.defs.get(name);
  }
  has(name: string): boolean {
    return this.defs.has(name);
  }
}

/**
 * Reuse of a pass over one file (preprocessing it, reading its structure) by what the pass
 * depends on: the file's tokens, which `tokenize` shares for the same text, and the macros it
 * looked up that the file itself had not defined. A macro's meaning is its parameters and its
 * body's tokens: the file and line it was defined at never reach a pass's result (expanded
 * tokens carry the line that used them), so a definition moved by an edit above it still
 * matches. What a pass defined or removed is replayed, in order, on a hit, so the table after
 * it is the one a fresh pass leaves.
 */
interface Pass<T> {
  path: string;
  reads: Map<string, MacroDefinition | undefined>;
  writes: (MacroDefinition | string)[];
  result: T;
}

/** Passes kept per file: a range audit alternates between a commit and its parent. */
const KEPT = 2;

export class PassCache<K extends object, T> {
  private readonly passes = new WeakMap<K, Pass<T>[]>();

  /** `path`: where the result says it comes from (locations), part of the key. */
  run(key: K, path: string, macros: MacroTable, pass: (macros: MacroTable) => T): T {
    if (!readCaching()) return pass(macros);
    const kept = this.passes.get(key) ?? [];
    const hit = kept.find(
      (p) => p.path === path && [...p.reads].every(([name, def]) => sameMeaning(macros.get(name), def)),
    );
    if (hit) {
      for (const w of hit.writes) {
        if (typeof w === 'string') macros.undefine(w);
        else macros.define(w);
      }
      return hit.result;
    }
    const recording = new RecordingTable(macros);
    const result = pass(recording);
    kept.push({ path, reads: recording.reads, writes: recording.writes, result });
    if (kept.length > KEPT) kept.shift();
    this.passes.set(key, kept);
    return result;
  }
}

/** A table that passes everything through to `inner` and notes what was read and written. */
class RecordingTable extends MacroTable {
  readonly reads = new Map<string, MacroDefinition | undefined>();
  readonly writes: (MacroDefinition | string)[] = [];
  private readonly written = new Set<string>();

  constructor(private readonly inner: MacroTable) {
    super();
  }
  override define(def: MacroDefinition): void {
    this.written.add(def.name);
    this.writes.push(def);
    this.inner.define(def);
  }
  override undefine(name: string): void {
    this.written.add(name);
    this.writes.push(name);
    this.inner.undefine(name);
  }
  override get(name: string): MacroDefinition | undefined {
    const def = this.inner.get(name);
    if (!this.written.has(name) && !this.reads.has(name)) this.reads.set(name, def);
    return def;
  }
  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }
}

function sameMeaning(a: MacroDefinition | undefined, b: MacroDefinition | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.name !== b.name || a.body.length !== b.body.length) return false;
  if ((a.params === undefined) !== (b.params === undefined)) return false;
  if (a.params && a.params.join(',') !== b.params!.join(',')) return false;
  return a.body.every((t, i) => t.kind === b.body[i]!.kind && t.text === b.body[i]!.text);
}

/** A file after preprocessing: directives gone, inactive conditional branches dropped. */
export interface PreprocessedFile {
  path: string;
  tokens: Token[];
}

const preprocessed = new PassCache<Token[], PreprocessedFile>();

/**
 * Runs the directives of one file against `macros` (which collects its definitions) and
 * returns the remaining tokens. `#include` is ignored: the reader decides which files to read.
 * A file whose tokens and looked-up macros are those of an earlier run is not run again.
 */
export function preprocess(tokens: Token[], path: string, macros: MacroTable): PreprocessedFile {
  return preprocessed.run(tokens, path, macros, (recording) => runDirectives(tokens, path, recording));
}

function runDirectives(tokens: Token[], path: string, macros: MacroTable): PreprocessedFile {
  const out: Token[] = [];
  // Each frame: is this branch active, has any branch of the group been taken, was the parent active.
  const stack: { active: boolean; taken: boolean; parent: boolean }[] = [];
  const active = (): boolean => stack.length === 0 || stack[stack.length - 1]!.active;

  for (const tok of tokens) {
    if (tok.kind !== 'directive') {
      if (active()) out.push(tok);
      continue;
    }
    const body = tok.body ?? [];
    const rest = body.slice(1);
    switch (tok.text) {
      case 'if': {
        const parent = active();
        const cond = parent && evaluateCondition(rest, macros, path, tok.line);
        stack.push({ active: cond, taken: cond, parent });
        break;
      }
      case 'ifdef':
      case 'ifndef': {
        const parent = active();
        const name = rest[0]?.text;
        if (!name) throw new CatalogError(`#${tok.text} without a name`, { path, line: tok.line });
        const defined = macros.has(name);
        const cond = parent && (tok.text === 'ifdef' ? defined : !defined);
        stack.push({ active: cond, taken: cond, parent });
        break;
      }
      case 'elif': {
        const top = stack[stack.length - 1];
        if (!top) throw new CatalogError('#elif without #if', { path, line: tok.line });
        const cond = top.parent && !top.taken && evaluateCondition(rest, macros, path, tok.line);
        top.active = cond;
        top.taken ||= cond;
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) throw new CatalogError('#else without #if', { path, line: tok.line });
        top.active = top.parent && !top.taken;
        top.taken = true;
        break;
      }
      case 'endif':
        if (!stack.pop()) throw new CatalogError('#endif without #if', { path, line: tok.line });
        break;
      case 'define':
        if (active()) macros.define(parseDefine(body, path, tok.line));
        break;
      case 'undef':
        if (active() && rest[0]) macros.undefine(rest[0].text);
        break;
      default:
        // #include, #pragma, #error in inactive code, ...: nothing a catalog table depends on.
        break;
    }
  }
  if (stack.length) {
    throw new CatalogError('#if without a matching #endif (the file may be truncated)', {
      path,
      line: tokens.at(-1)?.line,
    });
  }
  return { path, tokens: out };
}

function parseDefine(body: Token[], path: string, line: number): MacroDefinition {
  const nameTok = body[1];
  if (!nameTok || nameTok.kind !== 'ident')
    throw new CatalogError('#define without a macro name', { path, line });
  const next = body[2];
  // A function-like macro has its `(` right after the name; the tokenizer keeps no blanks,
  // so tell the two apart by the original text: `F(x)` versus `F (x)` is rare in catalog code.
  if (next && next.text === '(' && next.line === nameTok.line && isAdjacentParen(body)) {
    const params: string[] = [];
    let j = 3;
    while (j < body.length && body[j]!.text !== ')') {
      if (body[j]!.text !== ',') params.push(body[j]!.text);
      j++;
    }
    return { name: nameTok.text, params, body: body.slice(j + 1), path, line };
  }
  return { name: nameTok.text, body: body.slice(2), path, line };
}

/**
 * `#define F(x) ...` versus `#define F (x)`. The tokenizer does not keep spacing, so the
 * distinction is made on the parameter list's shape: identifiers separated by commas.
 */
function isAdjacentParen(body: Token[]): boolean {
  let j = 3;
  let expectIdent = true;
  while (j < body.length && body[j]!.text !== ')') {
    const t = body[j]!;
    if (expectIdent ? t.kind !== 'ident' && t.text !== '...' : t.text !== ',') return false;
    expectIdent = !expectIdent;
    j++;
  }
  return j < body.length;
}

function evaluateCondition(tokens: Token[], macros: MacroTable, path: string, line: number): boolean {
  // `defined X` and `defined(X)` are resolved before expansion, as the standard says.
  const resolved: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.text === 'defined') {
      let name = tokens[i + 1];
      if (name?.text === '(') {
        name = tokens[i + 2];
        i += 3;
      } else {
        i += 1;
      }
      resolved.push({ kind: 'number', text: name && macros.has(name.text) ? '1' : '0', line: t.line });
      continue;
    }
    resolved.push(t);
  }
  const afterExpansion = expandMacros(resolved, macros);
  // Identifiers left after expansion are 0 in #if, as in C; so is a call of a macro defined
  // outside the files read (`QEMU_GNUC_PREREQ(4, 4)`).
  const expanded: Token[] = [];
  for (let i = 0; i < afterExpansion.length; i++) {
    const t = afterExpansion[i]!;
    if (t.kind !== 'ident') {
      expanded.push(t);
      continue;
    }
    if (afterExpansion[i + 1]?.text === '(') i = collectArguments(afterExpansion, i + 1).end;
    expanded.push({ ...t, kind: 'number', text: '0' });
  }
  const value = evaluateExpression(expanded, macros, path, { line });
  return typeof value === 'bigint' ? value !== 0n : value !== '';
}

/**
 * Expands macros in a token list the way the C preprocessor does: a macro's replacement is
 * rescanned together with the tokens that follow it (so `PICK(...)(args)` calls the macro that
 * PICK chose), arguments are expanded before substitution unless `#` or `##` touches them, and
 * `...` / `__VA_ARGS__` take the remaining arguments. Each token carries the names of the macros
 * it came from, which are not expanded again inside themselves. Expanded tokens carry the line
 * of the invocation, so that a value computed from a macro points at the line that used it.
 */
export function expandMacros(
  tokens: Token[],
  macros: MacroTable,
  hidden: ReadonlySet<string> = new Set(),
): Token[] {
  const out: Token[] = [];
  // Pending input, last token first, so that a replacement is pushed back in front of the rest.
  const input: { tok: Token; hide: ReadonlySet<string> }[] = [];
  for (let k = tokens.length - 1; k >= 0; k--) input.push({ tok: tokens[k]!, hide: hidden });
  while (input.length) {
    const { tok: t, hide } = input.pop()!;
    const def = t.kind === 'ident' && !hide.has(t.text) ? macros.get(t.text) : undefined;
    if (!def) {
      out.push(t);
      continue;
    }
    const innerHide = new Set(hide).add(def.name);
    if (!def.params) {
      const body = relocate(def.body, t.line);
      for (let k = body.length - 1; k >= 0; k--) input.push({ tok: body[k]!, hide: innerHide });
      continue;
    }
    if (input.at(-1)?.tok.text !== '(') {
      out.push(t);
      continue;
    }
    // Collect the arguments from the pending input.
    const args: Token[][] = [[]];
    let depth = 0;
    let closed = false;
    while (input.length) {
      const a = input.pop()!.tok;
      if (a.text === '(' || a.text === '[' || a.text === '{') {
        if (depth++ === 0) continue;
      } else if (a.text === ')' || a.text === ']' || a.text === '}') {
        if (--depth === 0) {
          closed = true;
          break;
        }
      } else if (a.text === ',' && depth === 1) {
        args.push([]);
        continue;
      }
      args[args.length - 1]!.push(a);
    }
    if (!closed)
      throw new CatalogError(`unbalanced parentheses in a call of the macro ${def.name}`, undefined);
    const params = def.params;
    const variadic = params.at(-1) === '...';
    const named = variadic ? params.slice(0, -1) : params;
    const argOf = (name: string): Token[] | undefined => {
      if (variadic && name === '__VA_ARGS__') {
        const rest = args.slice(named.length);
        return rest.flatMap((r, k) => (k ? [{ kind: 'punct' as const, text: ',', line: t.line }, ...r] : r));
      }
      const p = named.indexOf(name);
      return p >= 0 ? (args[p] ?? []) : undefined;
    };
    const substituted: Token[] = [];
    const body = def.body;
    for (let k = 0; k < body.length; k++) {
      const b = body[k]!;
      if (b.text === '#' && body[k + 1] && argOf(body[k + 1]!.text) !== undefined) {
        const arg = argOf(body[k + 1]!.text)!;
        substituted.push({
          kind: 'string',
          text: JSON.stringify(arg.map((a) => a.text).join(' ')),
          line: t.line,
        });
        k++;
        continue;
      }
      const arg = b.kind === 'ident' ? argOf(b.text) : undefined;
      if (arg) {
        const pasted = body[k + 1]?.text === '##' || body[k - 1]?.text === '##';
        substituted.push(
          ...(pasted ? arg : expandMacros(arg, macros, hide)).map((a) => ({ ...a, line: t.line })),
        );
      } else {
        substituted.push({ ...b, line: t.line });
      }
    }
    const result = pasteTokens(substituted);
    for (let k = result.length - 1; k >= 0; k--) input.push({ tok: result[k]!, hide: innerHide });
  }
  return out;
}

function relocate(tokens: Token[], line: number): Token[] {
  return tokens.map((t) => ({ ...t, line }));
}

function pasteTokens(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (let k = 0; k < tokens.length; k++) {
    if (tokens[k]!.text === '##' && out.length && tokens[k + 1]) {
      const left = out.pop()!;
      const right = tokens[++k]!;
      const text = left.text + right.text;
      out.push({ kind: /^[A-Za-z_]/.test(text) ? 'ident' : left.kind, text, line: left.line });
      continue;
    }
    out.push(tokens[k]!);
  }
  return out;
}

/** Splits `( a, b(c, d), e )` starting at the `(` into its arguments. */
export function collectArguments(tokens: Token[], open: number): { args: Token[][]; end: number } {
  const args: Token[][] = [[]];
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.text === '(' || t.text === '{' || t.text === '[') {
      if (depth++ === 0) continue;
    } else if (t.text === ')' || t.text === '}' || t.text === ']') {
      if (--depth === 0) return { args: args[0]!.length || args.length > 1 ? args : [], end: j };
    } else if (t.text === ',' && depth === 1) {
      args.push([]);
      continue;
    }
    args[args.length - 1]!.push(t);
  }
  throw new CatalogError('unbalanced parentheses in a macro call', undefined);
}

export type ConstValue = bigint | string;

export interface EvalContext {
  line: number;
  /** Identifiers that are not macros but have a value in this context (enum members). */
  identifiers?: ReadonlyMap<string, ConstValue>;
}

const TYPE_WORDS = new Set([
  'unsigned',
  'signed',
  'int',
  'long',
  'short',
  'char',
  'const',
  'uint64_t',
  'uint32_t',
  'uint16_t',
  'uint8_t',
  'int64_t',
  'int32_t',
  'size_t',
  'bool',
]);

/**
 * Evaluates a constant expression: integers (as 64-bit-safe bigints), string literal
 * concatenation, the usual operators, and casts to integer types.
 */
export function evaluateExpression(
  tokens: Token[],
  macros: MacroTable,
  path: string,
  ctx: EvalContext,
): ConstValue {
  const toks = expandMacros(tokens, macros);
  let pos = 0;
  const peek = (): Token | undefined => toks[pos];
  const fail = (message: string, tok?: Token): never => {
    throw new CatalogError(
      message,
      { path, line: tok?.line ?? toks[0]?.line ?? ctx.line },
      'only constant expressions built from macros defined in the catalog files can be read',
    );
  };
  const expect = (text: string): void => {
    if (peek()?.text !== text)
      fail(`expected '${text}' but found '${peek()?.text ?? 'end of expression'}'`, peek());
    pos++;
  };
  const int = (v: ConstValue, tok?: Token): bigint =>
    typeof v === 'bigint' ? v : fail('a string where a number was expected', tok);

  const primary = (): ConstValue => {
    const t = peek();
    if (!t) return fail('expression ends too early');
    if (t.kind === 'number') {
      pos++;
      return parseNumber(t.text) ?? fail(`cannot read number '${t.text}'`, t);
    }
    if (t.kind === 'char') {
      pos++;
      return BigInt(stringValue(t).charCodeAt(0));
    }
    if (t.kind === 'string') {
      let s = '';
      while (peek()?.kind === 'string') s += stringValue(toks[pos++]!);
      return s;
    }
    if (t.text === '(') {
      // A cast to an integer type is dropped; the value is kept as a 64-bit quantity.
      let k = pos + 1;
      while (toks[k] && TYPE_WORDS.has(toks[k]!.text)) k++;
      if (k > pos + 1 && toks[k]?.text === ')') {
        pos = k + 1;
        return unary();
      }
      pos++;
      const v = ternary();
      expect(')');
      return v;
    }
    if (t.kind === 'ident') {
      const known = ctx.identifiers?.get(t.text);
      if (known !== undefined) {
        pos++;
        return known;
      }
      return fail(`unknown macro or identifier '${t.text}'`, t);
    }
    return fail(`unexpected '${t.text}' in a constant expression`, t);
  };
  const unary = (): ConstValue => {
    const t = peek();
    if (t && ['-', '+', '~', '!'].includes(t.text)) {
      pos++;
      const v = int(unary(), t);
      return t.text === '-' ? -v : t.text === '+' ? v : t.text === '~' ? ~v : v === 0n ? 1n : 0n;
    }
    return primary();
  };
  const binary =
    (next: () => ConstValue, ops: string[], apply: (op: string, a: bigint, b: bigint) => bigint) =>
    (): ConstValue => {
      let left = next();
      while (peek() && ops.includes(peek()!.text)) {
        const op = toks[pos++]!;
        const right = next();
        left = apply(op.text, int(left, op), int(right, op));
      }
      return left;
    };
  const mul = binary(unary, ['*', '/', '%'], (op, a, b) =>
    op === '*' ? a * b : b === 0n ? fail('division by zero') : op === '/' ? a / b : a % b,
  );
  const add = binary(mul, ['+', '-'], (op, a, b) => (op === '+' ? a + b : a - b));
  const shift = binary(add, ['<<', '>>'], (op, a, b) => (op === '<<' ? a << b : a >> b));
  const rel = binary(shift, ['<', '>', '<=', '>='], (op, a, b) =>
    BigInt(op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b),
  );
  const eq = binary(rel, ['==', '!='], (op, a, b) => BigInt(op === '==' ? a === b : a !== b));
  const band = binary(eq, ['&'], (_op, a, b) => a & b);
  const bxor = binary(band, ['^'], (_op, a, b) => a ^ b);
  const bor = binary(bxor, ['|'], (_op, a, b) => a | b);
  const land = binary(bor, ['&&'], (_op, a, b) => BigInt(a !== 0n && b !== 0n));
  const lor = binary(land, ['||'], (_op, a, b) => BigInt(a !== 0n || b !== 0n));
  const ternary = (): ConstValue => {
    const c = lor();
    if (peek()?.text !== '?') return c;
    pos++;
    const a = ternary();
    expect(':');
    const b = ternary();
    return int(c) !== 0n ? a : b;
  };

  if (!toks.length) fail('empty expression');
  const value = ternary();
  if (pos < toks.length) fail(`unexpected '${toks[pos]!.text}' after the expression`, toks[pos]);
  return value;
}

export function parseNumber(text: string): bigint | undefined {
  const m = /^(0[xX][0-9A-Fa-f]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
  if (!m) return undefined;
  const digits = m[1]!;
  if (/^0[0-7]+$/.test(digits)) return BigInt('0o' + digits.slice(1));
  return BigInt(digits);
}
