import { describe, expect, it } from '@jest/globals';
import { renderExpansionJson } from '../../src/report/expansion-json.js';

const decoder = new TextDecoder();
const text = (pieces: Iterable<string | Uint8Array[]>): string =>
  [...pieces].map((p) => (typeof p === 'string' ? p : p.map((b) => decoder.decode(b)).join(''))).join('');

describe('renderExpansionJson', () => {
  const shared = { family: 6, 'x-force-features': false, vendor: 'GenuineIntel' };
  const expansions: [string, Record<string, Record<string, string | number | boolean>>][] = [
    ['pc-q35-10.0', { Haswell: shared, 'Haswell-v2': { family: 6, hle: false } }],
    ['pc-q35-9.2', { Haswell: shared }],
  ];

  it('renders one line that parses back to the expansions', () => {
    const out = text(renderExpansionJson(expansions));
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.trimEnd()).not.toContain('\n');
    expect(JSON.parse(out)).toEqual(Object.fromEntries(expansions));
  });

  it('indents machine types, models and properties by level', () => {
    const out = text(renderExpansionJson(expansions, { indent: 2 }));
    expect(JSON.parse(out)).toEqual(Object.fromEntries(expansions));
    expect(out).toContain('\n  "pc-q35-9.2": {\n    "Haswell": {\n      "family": 6,');
    expect(out).toMatch(/\n {4}}\n {2}}\n}\n$/);
  });

  it('encodes a model shared by machine types once', () => {
    const pieces = [...renderExpansionJson(expansions)].filter((p): p is Uint8Array[] => Array.isArray(p));
    expect(pieces).toHaveLength(2);
    // Parts: opening, then name and model per entry, then closing.
    expect(pieces[1]![2]).toBe(pieces[0]![2]);
  });

  it('renders an empty object when no machine type matches', () => {
    expect(JSON.parse(text(renderExpansionJson([])))).toEqual({});
  });
});
