import { describe, expect, test } from '@jest/globals';
import { headLineOf } from '../../src/diff/line-anchor.js';

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
