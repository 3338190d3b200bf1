import { CatalogError } from '../../errors.js';
import {
  collectArguments,
  expandMacros,
  PassCache,
  type MacroTable,
  type PreprocessedFile,
} from './preprocessor.js';
import type { Token } from './tokenizer.js';

/**
 * Reads the initializer subset that catalog tables are written in: brace lists with designated
 * initializers (`.name = ...`, `[FEAT_1_EDX] = ...`), compound literals
 * (`(PropValue[]) { ... }`) and plain expressions, each with its line.
 */
export interface InitList {
  kind: 'list';
  items: InitItem[];
  line: number;
  endLine: number;
  /** The type of a compound literal, when the list is one. */
  typeName?: string;
}

export interface InitExpr {
  kind: 'expr';
  tokens: Token[];
  line: number;
  endLine: number;
}

export type InitValue = InitList | InitExpr;

export type Designator = { field: string } | { index: Token[] };

export interface InitItem {
  designators: Designator[];
  value: InitValue;
  line: number;
}

export interface TopLevelInitializer {
  name: string;
  typeName: string;
  list: InitList;
  line: number;
}

export interface FunctionBody {
  name: string;
  line: number;
  endLine: number;
  /** The tokens between the braces. */
  tokens: Token[];
  statements: Token[][];
  /** Block depth of each statement (0 = the function's own block). */
  depths: number[];
}

export interface TopLevelCall {
  name: string;
  args: Token[][];
  line: number;
}

export interface FileStructure {
  path: string;
  initializers: Map<string, TopLevelInitializer>;
  functions: Map<string, FunctionBody>;
  calls: TopLevelCall[];
}

const structures = new PassCache<PreprocessedFile, FileStructure>();

/**
 * One pass over a preprocessed file: the initialized arrays and structs at file scope, the
 * function bodies split into statements, and the macro invocations that stand alone at file
 * scope (`DEFINE_Q35_MACHINE(...)`). The same preprocessed file read with the same macros
 * gives the structure read before: nothing downstream modifies one.
 */
export function readFileStructure(file: PreprocessedFile, macros: MacroTable): FileStructure {
  return structures.run(file, file.path, macros, (recording) => readStructure(file, recording));
}

function readStructure(file: PreprocessedFile, macros: MacroTable): FileStructure {
  const toks = [...file.tokens];
  const initializers = new Map<string, TopLevelInitializer>();
  const functions = new Map<string, FunctionBody>();
  const calls: TopLevelCall[] = [];
  let declStart = 0;
  let i = 0;
  while (i < toks.length) {
    const t = toks[i]!;
    // Only a name before `(` can be a macro invocation to expand here; looking up every other
    // name would cost a lookup per token and make each a recorded dependency of the pass.
    const def = t.kind === 'ident' && toks[i + 1]?.text === '(' ? macros.get(t.text) : undefined;
    if (def?.params) {
      // A macro invoked at file scope (`DEFINE_PC_MACHINE(...)`) stands for the definitions it
      // expands to: read those, as the compiler does.
      const { end } = collectArgumentsAt(toks, i + 1, file.path);
      toks.splice(i, end + 1 - i, ...expandMacros(toks.slice(i, end + 1), macros));
      continue;
    }
    if (t.text === '}') {
      throw new CatalogError("a '}' at file scope closes nothing", { path: file.path, line: t.line });
    }
    if (t.text === ';') {
      const decl = peelMacroCalls(toks.slice(declStart, i), calls, file.path);
      if (decl[0]?.kind === 'ident' && decl[1]?.text === '(' && decl.at(-1)?.text === ')') {
        const { args, end } = collectArgumentsAt(decl, 1, file.path);
        if (end === decl.length - 1) calls.push({ name: decl[0].text, args, line: decl[0].line });
      }
      declStart = ++i;
      continue;
    }
    if (t.text === '=' && toks[i + 1]?.text === '{') {
      const decl = peelMacroCalls(toks.slice(declStart, i), calls, file.path);
      const name = declarationName(decl);
      const reader = new InitializerReader(toks, i + 1, file.path, macros);
      const list = reader.readList();
      if (name) {
        const typeName =
          decl.filter((d) => d.kind === 'ident' && !['static', 'const'].includes(d.text))[0]?.text ?? '';
        initializers.set(name, { name, typeName, list, line: decl[0]?.line ?? t.line });
      }
      i = reader.pos;
      continue;
    }
    if (t.text === '{') {
      // A function definition (or a struct/enum body, which is skipped the same way).
      const end = matchingBrace(toks, i, file.path);
      const decl = peelMacroCalls(toks.slice(declStart, i), calls, file.path);
      const open = decl.findIndex((d) => d.text === '(');
      if (open > 0 && decl[open - 1]!.kind === 'ident' && decl.at(-1)?.text === ')') {
        const name = decl[open - 1]!.text;
        functions.set(
          name,
          functionBody(name, decl[open - 1]!.line, toks[end]!.line, toks.slice(i + 1, end)),
        );
        declStart = end + 1;
      }
      i = end + 1;
      continue;
    }
    i++;
  }
  const rest = peelMacroCalls(toks.slice(declStart), calls, file.path);
  if (rest[0]?.kind === 'ident' && rest[1]?.text === '(' && rest.at(-1)?.text === ')') {
    const { args, end } = collectArgumentsAt(rest, 1, file.path);
    if (end === rest.length - 1) calls.push({ name: rest[0].text, args, line: rest[0].line });
  } else if (rest.length) {
    throw new CatalogError(`the file ends inside a declaration ('${rest[0]!.text}' ...)`, {
      path: file.path,
      line: rest[0]!.line,
    });
  }
  return { path: file.path, initializers, functions, calls };
}

/**
 * Macro invocations written without a trailing semicolon (`DEFINE_I440FX_MACHINE(7, 2)`) run
 * into the declaration that follows; take them off its front and record them as calls.
 */
function peelMacroCalls(decl: Token[], calls: TopLevelCall[], path: string): Token[] {
  let k = 0;
  while (decl[k]?.kind === 'ident' && decl[k + 1]?.text === '(') {
    const { args, end } = collectArgumentsAt(decl, k + 1, path);
    if (end === decl.length - 1) break;
    calls.push({ name: decl[k]!.text, args, line: decl[k]!.line });
    k = end + 1;
  }
  return k ? decl.slice(k) : decl;
}

function collectArgumentsAt(tokens: Token[], open: number, path: string): { args: Token[][]; end: number } {
  try {
    return collectArguments(tokens, open);
  } catch {
    throw new CatalogError('unbalanced parentheses', { path, line: tokens[open]?.line });
  }
}

function declarationName(decl: Token[]): string | undefined {
  let k = decl.length - 1;
  while (k >= 0 && decl[k]!.text === ']') {
    let depth = 0;
    for (; k >= 0; k--) {
      if (decl[k]!.text === ']') depth++;
      else if (decl[k]!.text === '[' && --depth === 0) break;
    }
    k--;
  }
  return k >= 0 && decl[k]!.kind === 'ident' ? decl[k]!.text : undefined;
}

export function matchingBrace(toks: Token[], open: number, path: string): number {
  let depth = 0;
  for (let j = open; j < toks.length; j++) {
    if (toks[j]!.text === '{') depth++;
    else if (toks[j]!.text === '}' && --depth === 0) return j;
  }
  throw new CatalogError("a '{' is never closed (the file may be truncated)", {
    path,
    line: toks[open]!.line,
  });
}

/**
 * A function, split into statements when a reader first asks. QEMU 7.2's files hold over six
 * hundred functions (kvm.c 138) and two readers of cpu.c use the split: done for every
 * function, the statement lists were a good part of what a read allocates and keeps.
 */
function functionBody(name: string, line: number, endLine: number, tokens: Token[]): FunctionBody {
  let split: ReturnType<typeof splitStatements> | undefined;
  return {
    name,
    line,
    endLine,
    tokens,
    get statements() {
      return (split ??= splitStatements(tokens)).statements;
    },
    get depths() {
      return (split ??= splitStatements(tokens)).depths;
    },
  };
}

/**
 * Statements of a function body; braces of nested blocks separate statements too, and each
 * statement keeps its block depth so that a reader can tell what an `if` governs.
 */
function splitStatements(body: Token[]): { statements: Token[][]; depths: number[] } {
  const statements: Token[][] = [];
  const depths: number[] = [];
  let cur: Token[] = [];
  let paren = 0;
  let depth = 0;
  const flush = (): void => {
    if (cur.length) {
      statements.push(cur);
      depths.push(depth);
    }
    cur = [];
  };
  for (const t of body) {
    if (t.text === '(') paren++;
    if (t.text === ')') paren--;
    if (paren === 0 && (t.text === ';' || t.text === '{' || t.text === '}')) {
      flush();
      if (t.text === '{') depth++;
      if (t.text === '}') depth--;
      continue;
    }
    cur.push(t);
  }
  flush();
  return { statements, depths };
}

class InitializerReader {
  constructor(
    private readonly toks: Token[],
    public pos: number,
    private readonly path: string,
    private readonly macros: MacroTable,
  ) {}

  private fail(message: string, tok = this.toks[this.pos]): never {
    throw new CatalogError(
      message,
      { path: this.path, line: tok?.line ?? this.toks.at(-1)?.line },
      'the table may be truncated or use a construct this reader does not know',
    );
  }

  readList(typeName?: string): InitList {
    const open = this.toks[this.pos];
    if (open?.text !== '{') this.fail(`expected '{' but found '${open?.text ?? 'end of file'}'`);
    this.pos++;
    const items: InitItem[] = [];
    for (;;) {
      const t = this.toks[this.pos];
      if (!t) this.fail("a '{' is never closed (the file may be truncated)", open);
      if (t.text === '}') {
        this.pos++;
        return { kind: 'list', items, line: open.line, endLine: t.line, typeName };
      }
      // A function-like macro standing for whole elements (`PC_CPU_MODEL_IDS("2.0")`).
      const def =
        t.kind === 'ident' && this.toks[this.pos + 1]?.text === '(' ? this.macros.get(t.text) : undefined;
      if (def?.params) {
        const { end } = collectArgumentsAt(this.toks, this.pos + 1, this.path);
        const expanded = expandMacros(this.toks.slice(this.pos, end + 1), this.macros);
        if (expanded[0]?.text === '{') {
          this.toks.splice(this.pos, end + 1 - this.pos, ...expanded);
          continue;
        }
      }
      items.push(this.readItem());
      const sep = this.toks[this.pos];
      if (sep?.text === ',') this.pos++;
      else if (sep?.text !== '}') this.fail(`expected ',' or '}' but found '${sep?.text ?? 'end of file'}'`);
    }
  }

  private readItem(): InitItem {
    const line = this.toks[this.pos]!.line;
    const designators: Designator[] = [];
    for (;;) {
      const t = this.toks[this.pos];
      if (t?.text === '.' && this.toks[this.pos + 1]?.kind === 'ident') {
        designators.push({ field: this.toks[this.pos + 1]!.text });
        this.pos += 2;
        continue;
      }
      if (t?.text === '[') {
        const close = this.findClose(this.pos, '[', ']');
        designators.push({ index: this.toks.slice(this.pos + 1, close) });
        this.pos = close + 1;
        continue;
      }
      break;
    }
    if (designators.length) {
      if (this.toks[this.pos]?.text !== '=') this.fail(`expected '=' after a designator`);
      this.pos++;
    }
    return { designators, value: this.readValue(), line };
  }

  private readValue(): InitValue {
    const t = this.toks[this.pos];
    if (!t) this.fail('initializer ends too early');
    if (t.text === '{') return this.readList();
    if (t.text === '(') {
      const close = this.findClose(this.pos, '(', ')');
      if (this.toks[close + 1]?.text === '{') {
        const typeName = this.toks
          .slice(this.pos + 1, close)
          .map((x) => x.text)
          .join(' ');
        this.pos = close + 1;
        return this.readList(typeName);
      }
    }
    const start = this.pos;
    let depth = 0;
    for (; this.pos < this.toks.length; this.pos++) {
      const x = this.toks[this.pos]!.text;
      if (x === '(' || x === '[' || x === '{') depth++;
      else if (x === ')' || x === ']' || x === '}') {
        if (depth === 0) break;
        depth--;
      } else if (x === ',' && depth === 0) break;
    }
    const tokens = this.toks.slice(start, this.pos);
    if (!tokens.length) this.fail('empty initializer value');
    return { kind: 'expr', tokens, line: tokens[0]!.line, endLine: tokens.at(-1)!.line };
  }

  private findClose(open: number, o: string, c: string): number {
    let depth = 0;
    for (let j = open; j < this.toks.length; j++) {
      if (this.toks[j]!.text === o) depth++;
      else if (this.toks[j]!.text === c && --depth === 0) return j;
    }
    return this.fail(`'${o}' is never closed`, this.toks[open]);
  }
}

/** A brace list that starts at `tokens[start]` (a local `static T x[] = { ... }`). */
export function readInitList(tokens: Token[], start: number, path: string, macros: MacroTable): InitList {
  return new InitializerReader([...tokens], start, path, macros).readList();
}

/** The first item whose designator names `field`. */
export function field(list: InitList, name: string): InitItem | undefined {
  return list.items.find(
    (it) => it.designators.length === 1 && 'field' in it.designators[0]! && it.designators[0].field === name,
  );
}
