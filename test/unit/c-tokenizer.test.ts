/**
 * The C tokenizer's translation phase 2: a backslash-newline splices two physical lines into
 * one logical line wherever it stands, and every token keeps the physical line it starts on.
 */
import { describe, expect, test } from '@jest/globals';
import { MacroTable, preprocess } from '../../src/parse/c/preprocessor.js';
import { spliceLines, stringValue, tokenize, type Token } from '../../src/parse/c/tokenizer.js';
import { CatalogError } from '../../src/errors.js';

const texts = (tokens: Token[]): string[] => tokens.map((t) => t.text);

describe('line splicing', () => {
  test('inside a string literal (the form of QEMU 9.2 kvm.c)', () => {
    const src = [
      'static void f(void)',
      '{',
      '    error_report("Could not install MSR_RAPL_POWER_UNIT \\',
      '                 handler");',
      '    g();',
      '}',
    ].join('\n');
    const tokens = tokenize(src, 'kvm.c');
    const literal = tokens.find((t) => t.kind === 'string')!;
    expect(stringValue(literal)).toBe('Could not install MSR_RAPL_POWER_UNIT                  handler');
    expect(literal.line).toBe(3);
    // Tokens after the splice keep their physical lines.
    expect(tokens.find((t) => t.text === ')' && t.line === 4)).toBeDefined();
    expect(tokens.find((t) => t.text === 'g')!.line).toBe(5);
  });

  test('inside an identifier, a number and a punctuator', () => {
    const tokens = tokenize('int abc\\\ndef = 0x1\\\n0 <\\\n< 2;\nx;', 'a.c');
    expect(texts(tokens)).toEqual(['int', 'abcdef', '=', '0x10', '<<', '2', ';', 'x', ';']);
    expect(tokens.map((t) => t.line)).toEqual([1, 1, 2, 2, 3, 4, 4, 5, 5]);
  });

  test('inside a line comment: the comment goes on', () => {
    const tokens = tokenize('a; // comment \\\nstill the comment\nb;', 'a.c');
    expect(texts(tokens)).toEqual(['a', ';', 'b', ';']);
    expect(tokens.find((t) => t.text === 'b')!.line).toBe(3);
  });

  test('inside a block comment and between the two characters of its opening', () => {
    const tokens = tokenize('a /\\\n* gone *\\\n/ b', 'a.c');
    expect(texts(tokens)).toEqual(['a', 'b']);
    expect(tokens[1]!.line).toBe(3);
  });

  test('inside a directive: a #define body spans lines', () => {
    const src = '#define ALL \\\n    (1 | \\\n     2)\nint x = ALL;\n';
    const macros = new MacroTable();
    const pre = preprocess(tokenize(src, 'a.c'), 'a.c', macros);
    expect(texts(macros.get('ALL')!.body)).toEqual(['(', '1', '|', '2', ')']);
    expect(macros.get('ALL')!.body.map((t) => t.line)).toEqual([2, 2, 2, 3, 3]);
    expect(pre.tokens.map((t) => [t.text, t.line])).toEqual([
      ['int', 4],
      ['x', 4],
      ['=', 4],
      ['ALL', 4],
      [';', 4],
    ]);
  });

  test('a splice right after # still makes a directive; one inside a #if condition joins it', () => {
    const macros = new MacroTable();
    const src = '#\\\ndefine A 1\n#if A && \\\n    0\nint hidden;\n#endif\nint shown;\n';
    const pre = preprocess(tokenize(src, 'a.c'), 'a.c', macros);
    expect(macros.has('A')).toBe(true);
    expect(texts(pre.tokens)).toEqual(['int', 'shown', ';']);
    expect(pre.tokens[0]!.line).toBe(7);
  });

  test('CRLF line ends splice too', () => {
    const { text, lineOf } = spliceLines('ab\\\r\ncd\r\nef');
    expect(text).toBe('abcd\r\nef');
    expect(Array.from(lineOf.subarray(0, text.length))).toEqual([1, 1, 2, 2, 2, 2, 3, 3]);
  });

  test('a backslash not before a newline is no splice', () => {
    const tokens = tokenize('char *s = "a\\\\b\\"c";', 'a.c');
    expect(stringValue(tokens.find((t) => t.kind === 'string')!)).toBe('a\\b"c');
  });

  test('an unterminated literal still names its first line', () => {
    let err: unknown;
    try {
      tokenize('int a;\nchar *s = "open\\\nstill open\n;', 'a.c');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).message).toMatch(/unterminated string literal/);
    expect((err as CatalogError).location).toEqual({ path: 'a.c', line: 2 });
  });
});
