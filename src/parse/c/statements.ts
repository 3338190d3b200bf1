import { CatalogError } from '../../errors.js';
import type { Token } from './tokenizer.js';

/**
 * C statements of a function body as a tree, for the few functions whose behaviour a reader
 * follows (machine option functions, QEMU's automatic CPUID level): which statement an `if`
 * governs is structure, not layout, and `if (c) f();` without braces governs as much as a block.
 */
export type Statement =
  | { kind: 'block'; body: Statement[]; line: number }
  | { kind: 'if'; condition: Token[]; then: Statement; else?: Statement; line: number }
  | {
      kind: 'loop';
      keyword: 'for' | 'while' | 'do' | 'switch';
      head: Token[];
      body: Statement;
      line: number;
    }
  | { kind: 'label'; tokens: Token[]; line: number }
  | { kind: 'expr'; tokens: Token[]; line: number };

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

export function parseStatements(tokens: Token[], path: string): Statement[] {
  let pos = 0;
  const fail = (message: string, tok = tokens[pos]): never => {
    throw new CatalogError(message, { path, line: tok?.line ?? tokens.at(-1)?.line });
  };
  /** Index just past the bracket group opening at `open`. */
  const skipGroup = (open: number): number => {
    const stack: string[] = [];
    for (let j = open; j < tokens.length; j++) {
      const t = tokens[j]!.text;
      if (OPEN[t]) stack.push(OPEN[t]);
      else if (t === ')' || t === ']' || t === '}') {
        if (stack.pop() !== t) fail(`'${t}' does not match what it closes`, tokens[j]);
        if (!stack.length) return j + 1;
      }
    }
    return fail(`'${tokens[open]!.text}' is never closed`, tokens[open]);
  };
  const parenthesized = (): Token[] => {
    if (tokens[pos]?.text !== '(') fail(`expected '(' after ${tokens[pos - 1]?.text ?? 'a keyword'}`);
    const end = skipGroup(pos);
    const inner = tokens.slice(pos + 1, end - 1);
    pos = end;
    return inner;
  };
  const statement = (): Statement => {
    const t = tokens[pos];
    if (!t) return fail('a statement is missing at the end of the function');
    if (t.text === '{') {
      const end = skipGroup(pos);
      const inner = parseStatements(tokens.slice(pos + 1, end - 1), path);
      pos = end;
      return { kind: 'block', body: inner, line: t.line };
    }
    if (t.text === 'if' && t.kind === 'ident') {
      pos++;
      const condition = parenthesized();
      const then = statement();
      if (tokens[pos]?.text === 'else') {
        pos++;
        return { kind: 'if', condition, then, else: statement(), line: t.line };
      }
      return { kind: 'if', condition, then, line: t.line };
    }
    if ((t.text === 'for' || t.text === 'while' || t.text === 'switch') && t.kind === 'ident') {
      pos++;
      const head = parenthesized();
      return { kind: 'loop', keyword: t.text, head, body: statement(), line: t.line };
    }
    if (t.text === 'do' && t.kind === 'ident') {
      pos++;
      const body = statement();
      if (tokens[pos]?.text !== 'while') fail("expected 'while' after the body of 'do'");
      pos++;
      const head = parenthesized();
      if (tokens[pos]?.text !== ';') fail("expected ';' after 'do ... while (...)'");
      pos++;
      return { kind: 'loop', keyword: 'do', head, body, line: t.line };
    }
    if ((t.text === 'case' || t.text === 'default') && t.kind === 'ident') {
      const start = pos;
      while (pos < tokens.length && tokens[pos]!.text !== ':') pos++;
      if (pos >= tokens.length) fail(`'${t.text}' without ':'`, t);
      pos++;
      return { kind: 'label', tokens: tokens.slice(start, pos - 1), line: t.line };
    }
    if (t.text === ';') {
      pos++;
      return { kind: 'block', body: [], line: t.line };
    }
    if (t.kind === 'ident' && tokens[pos + 1]?.text === ':') {
      // A label (`out:`) marks the statement after it; it ends at its colon like `case`.
      pos += 2;
      return { kind: 'label', tokens: [t], line: t.line };
    }
    const start = pos;
    while (pos < tokens.length && tokens[pos]!.text !== ';') {
      const x = tokens[pos]!.text;
      if (x === '}' || x === ')' || x === ']') fail(`'${x}' closes nothing`);
      pos = OPEN[x] ? skipGroup(pos) : pos + 1;
    }
    if (pos >= tokens.length) fail("a statement does not end with ';'", tokens[start]);
    pos++;
    return { kind: 'expr', tokens: tokens.slice(start, pos - 1), line: t.line };
  };
  const out: Statement[] = [];
  while (pos < tokens.length) out.push(statement());
  return out;
}

/** The source text of tokens, one space between them, for messages and simple matching. */
export function tokenText(tokens: readonly Token[]): string {
  let text = textCache.get(tokens);
  if (text === undefined) textCache.set(tokens, (text = tokens.map((t) => t.text).join(' ')));
  return text;
}
// Interpreters ask for the text of the same statements many times (once per machine type).
const textCache = new WeakMap<readonly Token[], string>();
