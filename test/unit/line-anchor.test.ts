import { describe, expect, test } from '@jest/globals';
import { diffLines } from 'diff';
import { firstChangedLine, headLineOf } from '../../src/diff/line-anchor.js';

const lines = (...xs: string[]): string => xs.map((x) => `${x}\n`).join('');

describe('headLineOf', () => {
  const base = lines('a', 'b', 'c', 'd', 'e');
  test('a kept line moves with what head added or removed before it', () => {
    expect(headLineOf(base, lines('a', 'x', 'y', 'b', 'c', 'd', 'e'), 4)).toBe(6);
    expect(headLineOf(base, lines('b', 'c', 'd', 'e'), 5)).toBe(4);
  });
  test('a removed line sits at the first head line after the removal', () => {
    expect(headLineOf(base, lines('a', 'd', 'e'), 2)).toBe(2);
    expect(headLineOf(base, lines('a', 'd', 'e'), 3)).toBe(2);
    // Replaced: where the replacement begins.
    expect(headLineOf(base, lines('a', 'B', 'c', 'd', 'e'), 2)).toBe(2);
  });
  test("a removal at the end of the file sits at head's last line", () => {
    expect(headLineOf(base, lines('a', 'b'), 4)).toBe(2);
    expect(headLineOf(base, '', 1)).toBeUndefined();
  });
});

/**
 * Both start their line diff at the first line that differs; what the diff of the whole texts
 * says is the reference. Texts of few distinct lines, edited at random, are where a diff has
 * the most ways to align them.
 */
describe('diffs started at the first line that differs', () => {
  let seed = 12345;
  const random = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = ['a', 'b', '}', '\n', '\n', '\r\n', 'x'];
  const text = (length: number): string =>
    Array.from({ length }, () => pieces[random(pieces.length)]).join('');
  const edited = (t: string): string => {
    let out = t;
    for (let k = 1 + random(3); k > 0; k--) {
      const at = random(out.length + 1);
      out = random(2)
        ? out.slice(0, at) + pieces[random(pieces.length)]! + out.slice(at)
        : out.slice(0, at) + out.slice(at + 1);
    }
    return out;
  };
  const pairs: [string, string][] = [];
  while (pairs.length < 3000) {
    const a = text(random(24));
    const b = edited(a);
    if (a !== b) pairs.push([a, b]);
  }

  test('firstChangedLine is where the whole diff makes its first edit', () => {
    const reference = (a: string, b: string): number => {
      let line = 1;
      for (const part of diffLines(a, b)) {
        if (part.added || part.removed) break;
        line += part.count ?? 0;
      }
      return line;
    };
    expect(pairs.filter(([a, b]) => firstChangedLine(a, b) !== reference(a, b))).toEqual([]);
  });

  test('headLineOf is what the whole diff says for every base line', () => {
    const reference = (a: string, b: string, baseLine: number): number | undefined => {
      const headLines = b === '' ? 0 : b.split('\n').length - (b.endsWith('\n') ? 1 : 0);
      if (headLines === 0) return undefined;
      let x = 1;
      let y = 1;
      for (const part of diffLines(a, b)) {
        const n = part.count ?? 0;
        if (part.added) {
          y += n;
          continue;
        }
        if (baseLine < x + n) return part.removed ? Math.min(y, headLines) : y + (baseLine - x);
        x += n;
        if (!part.removed) y += n;
      }
      return Math.min(y, headLines);
    };
    const differing = pairs.flatMap(([a, b]) =>
      Array.from({ length: a.split('\n').length }, (_, k) => k + 1)
        .filter((line) => headLineOf(a, b, line) !== reference(a, b, line))
        .map((line) => ({ a, b, line })),
    );
    expect(differing).toEqual([]);
  });
});
