import { CatalogError } from '../../errors.js';
import { readCaching } from '../../source/read-cache.js';

/**
 * A tokenizer for the C that catalogs are written in. It keeps exact line numbers (findings
 * point at lines), drops comments, and hands preprocessor directives over as whole logical
 * lines so that the preprocessor can read `#define` bodies with their own tokens.
 */
export type TokenKind = 'ident' | 'number' | 'string' | 'char' | 'punct' | 'directive';

export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  /** For directives: the tokens after `#`. */
  body?: Token[];
}

const PUNCTUATORS = [
  '<<=',
  '>>=',
  '...',
  '->',
  '++',
  '--',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '^=',
  '|=',
  '##',
];

const PUNCTUATORS_BY_FIRST = new Map<string, string[]>();
for (const p of PUNCTUATORS) PUNCTUATORS_BY_FIRST.set(p[0]!, [...(PUNCTUATORS_BY_FIRST.get(p[0]!) ?? []), p]);
const SINGLE_PUNCTUATORS = new Set('{}[]();,.<>+-*/%&|^!~?:=#');

// Character classes by code, in one table: the tokenizer runs over every byte of the largest
// catalog files, and in a one-shot process (the CLI) most of that runs before V8 optimizes it.
const IDENT_START = 1;
const IDENT_PART = 2;
const DIGIT = 4;
const BLANK = 8;
const CLASS = new Uint8Array(128);
for (let k = 0; k < 128; k++) {
  const letter = (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95;
  const digit = k >= 48 && k <= 57;
  const blank = k === 32 || k === 9 || k === 13 || k === 12 || k === 11;
  CLASS[k] = (letter ? IDENT_START | IDENT_PART : 0) | (digit ? DIGIT | IDENT_PART : 0) | (blank ? BLANK : 0);
}
/** The class bits of a character code; 0 past the end of the text (NaN) and outside ASCII. */
const classOf = (code: number): number => (code < 128 ? CLASS[code]! : 0);

/**
 * Translation phase 2: every backslash-newline pair is deleted, wherever it stands (inside
 * string literals, comments, directives and tokens alike). Returns the spliced text and, for
 * each of its characters, the physical line it came from, so that tokens keep the line they
 * start on.
 */
export function spliceLines(text: string): { text: string; lineOf: Int32Array } {
  const lineOf = new Int32Array(text.length + 1);
  const out: string[] = [];
  let line = 1;
  let chunkStart = 0;
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92 /* \\ */) {
      const next = text.charCodeAt(i + 1);
      const skip = next === 10 ? 2 : next === 13 && text.charCodeAt(i + 2) === 10 ? 3 : 0;
      if (skip) {
        out.push(text.slice(chunkStart, i));
        i += skip - 1;
        chunkStart = i + 1;
        line++;
        continue;
      }
    }
    lineOf[length++] = line;
    if (c === 10) line++;
  }
  out.push(text.slice(chunkStart));
  lineOf[length] = line;
  return { text: out.join(''), lineOf: lineOf.subarray(0, length + 1) };
}

/**
 * Tokens by file and text, for the files read last: in a range audit most files are the same
 * in every commit. Two texts are kept per file, since a check reads each file at base and at
 * head, and then reads both again (the guest-CPUID functions' parameter lists). Nothing
 * downstream modifies a token, so a file's tokens can be shared.
 */
const recent = new Map<string, { source: string; tokens: Token[] }[]>();
const RECENT_FILES = 40;
const TEXTS_PER_FILE = 2;

export function tokenize(source: string, path: string): Token[] {
  if (!readCaching()) return tokenizeText(source, path);
  const kept = recent.get(path) ?? [];
  recent.delete(path);
  recent.set(path, kept);
  const hit = kept.find((k) => k.source === source);
  if (hit) return hit.tokens;
  const tokens = tokenizeText(source, path);
  kept.push({ source, tokens });
  if (kept.length > TEXTS_PER_FILE) kept.shift();
  if (recent.size > RECENT_FILES) recent.delete(recent.keys().next().value!);
  return tokens;
}

function tokenizeText(source: string, path: string): Token[] {
  const nul = source.indexOf('\0');
  if (nul >= 0) {
    throw new CatalogError(
      'a NUL byte: the file is binary, or damaged, expected C source',
      { path, line: source.slice(0, nul).split('\n').length },
      'check that the path names the C source file',
    );
  }
  const { text, lineOf } = spliceLines(source);
  const tokens: Token[] = [];
  let i = 0;
  let atLineStart = true;
  const n = text.length;

  const fail = (message: string, at = lineOf[i]!): never => {
    throw new CatalogError(message, { path, line: at }, 'the file may be truncated or not C source');
  };

  /** Reads one token starting at `i` (no whitespace or comments there). */
  const readToken = (out: Token[]): void => {
    const code = text.charCodeAt(i);
    const cls = classOf(code);
    const startLine = lineOf[i]!;
    if (cls & IDENT_START) {
      let j = i + 1;
      while (j < n && classOf(text.charCodeAt(j)) & IDENT_PART) j++;
      out.push({ kind: 'ident', text: text.slice(i, j), line: startLine });
      i = j;
      return;
    }
    if (cls & DIGIT || (code === 46 /* . */ && classOf(text.charCodeAt(i + 1)) & DIGIT)) {
      let j = i + 1;
      while (j < n && (classOf(text.charCodeAt(j)) & IDENT_PART || text.charCodeAt(j) === 46)) j++;
      out.push({ kind: 'number', text: text.slice(i, j), line: startLine });
      i = j;
      return;
    }
    if (code === 34 /* " */ || code === 39 /* ' */) {
      const what = code === 34 ? 'string' : 'character';
      let j = i + 1;
      while (j < n && text.charCodeAt(j) !== code) {
        if (text.charCodeAt(j) === 92 /* \\ */) j++;
        if (text.charCodeAt(j) === 10) fail(`unterminated ${what} literal`, startLine);
        j++;
      }
      if (j >= n) fail(`unterminated ${what} literal`, startLine);
      out.push({ kind: code === 34 ? 'string' : 'char', text: text.slice(i, j + 1), line: startLine });
      i = j + 1;
      return;
    }
    const c = text[i]!;
    for (const p of PUNCTUATORS_BY_FIRST.get(c) ?? []) {
      if (text.startsWith(p, i)) {
        out.push({ kind: 'punct', text: p, line: startLine });
        i += p.length;
        return;
      }
    }
    if (SINGLE_PUNCTUATORS.has(c)) {
      out.push({ kind: 'punct', text: c, line: startLine });
      i++;
      return;
    }
    if (code < 32 && c !== '\t' && c !== '\f' && c !== '\v' && c !== '\r') {
      fail(`unexpected control character 0x${code.toString(16)}`);
    }
    // Stray characters (`@`, `$`, backquote, non-ASCII outside literals) cannot start C tokens.
    fail(`unexpected character '${c}'`);
  };

  /** Skips blanks and comments; in a directive, stops at the newline that ends it. */
  const skipSpace = (inDirective: boolean): boolean => {
    while (i < n) {
      const code = text.charCodeAt(i);
      if (code === 10) {
        if (inDirective) return true;
        i++;
        atLineStart = true;
        continue;
      }
      if (classOf(code) & BLANK) {
        i++;
        continue;
      }
      if (code === 47 /* / */) {
        const next = text.charCodeAt(i + 1);
        if (next === 42 /* * */) {
          const end = text.indexOf('*/', i + 2);
          if (end < 0) fail('unterminated comment');
          i = end + 2;
          continue;
        }
        if (next === 47) {
          const end = text.indexOf('\n', i);
          i = end < 0 ? n : end;
          continue;
        }
      }
      return false;
    }
    return inDirective;
  };

  while (i < n) {
    if (skipSpace(false)) break;
    if (i >= n) break;
    if (atLineStart && text.charCodeAt(i) === 35 /* # */) {
      const startLine = lineOf[i]!;
      i++;
      const body: Token[] = [];
      while (i < n) {
        if (skipSpace(true)) break;
        if (i >= n) break;
        readToken(body);
      }
      tokens.push({ kind: 'directive', text: body[0]?.text ?? '', line: startLine, body });
      continue;
    }
    atLineStart = false;
    readToken(tokens);
  }
  return tokens;
}

/** The text of a string literal token, escapes resolved. */
export function stringValue(token: Token): string {
  const raw = token.text.slice(1, -1);
  return raw.replace(/\\(x[0-9A-Fa-f]+|[0-7]{1,3}|.)/g, (_m, e: string) => {
    switch (e[0]) {
      case 'n':
        return '\n';
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'x':
        return String.fromCharCode(parseInt(e.slice(1), 16));
      default:
        return /^[0-7]/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e;
    }
  });
}
