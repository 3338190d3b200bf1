/**
 * Seeded damage to a real generic catalog (Debian trixie's QEMU 10.0 exported to the format),
 * and YAML's own dangers: alias bombs, nesting, size, a byte order mark, duplicate keys and
 * names that are JavaScript object keys.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Catalog } from '../../src/catalog/model.js';
import { exportCatalog } from '../../src/parse/generic/export.js';
import { MAX_CATALOG_BYTES, readGenericCatalog } from '../../src/parse/generic/catalog.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';
import { expectReadmeRow, recordCases } from './fuzz-count.js';
import {
  FUZZ_SEED,
  canonical,
  judge,
  mutationsOf,
  outcomeOf,
  ScratchTree,
  type Mutation,
  type Outcome,
} from './fuzz-support.js';

const FILE = 'cpu-models.yml';
const canon = (value: unknown, shifted: boolean): string => canonical(value, shifted);

function yamlMutations(text: string): Mutation[] {
  const content = (s: string) => ({ kind: 'content' as const, bytes: Buffer.from(s) });
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++)
    bomb.push(
      `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
        .fill(`*${String.fromCharCode(96 + i)}`)
        .join(', ')}]`,
    );
  const firstCompat = /^( +)compatSets:\n\1 {2}- (\S+)$/m.exec(text);
  const firstAlias = /^( +)aliases:\n\1 {2}- (\S+)$/m.exec(text);
  const out: Mutation[] = [
    {
      name: 'an alias bomb (10^9 nodes)',
      file: FILE,
      damage: content(`${bomb.join('\n')}\n${text}`),
      expect: 'error',
      needsLine: true,
    },
    {
      name: 'flow sequences nested 100,000 deep',
      file: FILE,
      damage: content(`${text}\nextra: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
      expect: 'error',
      needsLine: false,
    },
    {
      name: 'block maps nested 5,000 deep',
      file: FILE,
      damage: content(
        `${text}\nextra:\n${Array.from({ length: 5000 }, (_, i) => `${' '.repeat(i + 1)}k:`).join('\n')} 1\n`,
      ),
      expect: 'error',
      needsLine: false,
    },
    {
      name: `oversize (${MAX_CATALOG_BYTES + 1} bytes)`,
      file: FILE,
      damage: content(`${text}${'#'.repeat(MAX_CATALOG_BYTES)}\n`),
      expect: 'error',
      needsLine: false,
    },
    {
      name: 'a byte order mark',
      file: FILE,
      damage: content(`\ufeff${text}`),
      expect: 'error-or-same',
      needsLine: true,
    },
    {
      name: 'a duplicate key',
      file: FILE,
      damage: content(text.replace('formatVersion: 1\n', 'formatVersion: 1\nformatVersion: 1\n')),
      expect: 'error',
      needsLine: true,
    },
    {
      name: 'a duplicate model',
      file: FILE,
      damage: content(text.replace(/^models:\n( {2}- name: \S+\n(?: {4}.*\n)+)/m, 'models:\n$1$1')),
      expect: 'error',
      needsLine: true,
    },
  ];
  if (firstCompat)
    for (const name of ['toString', '__proto__', 'constructor'])
      out.push({
        name: `compatSets: [${name}]`,
        file: FILE,
        damage: content(
          text.replace(firstCompat[0], `${firstCompat[1]}compatSets:\n${firstCompat[1]}  - ${name}`),
        ),
        expect: 'error',
        needsLine: true,
      });
  if (firstAlias)
    out.push({
      name: 'a machine type alias hasOwnProperty',
      file: FILE,
      damage: content(
        text.replace(firstAlias[0], `${firstAlias[1]}aliases:\n${firstAlias[1]}  - hasOwnProperty`),
      ),
      expect: 'any',
      needsLine: true,
    });
  const firstModel = /^ {2}- name: (\S+)$/m.exec(text)!;
  out.push({
    name: `model ${firstModel[1]} renamed __proto__`,
    file: FILE,
    damage: content(text.replace(firstModel[0], '  - name: __proto__')),
    expect: 'any',
    needsLine: true,
    check: (value) =>
      (value as Catalog).models.some((m) => m.name === '__proto__')
        ? undefined
        : 'the model named __proto__ is lost',
  });
  return out;
}

describe('generic catalog exported from Debian trixie QEMU', () => {
  let tree: ScratchTree;
  let baseline: { exact: string; shifted: string };
  const outcomes: { m: Mutation; o: Outcome }[] = [];

  beforeAll(async () => {
    const qemu = await readQemuX86Catalog(fsSource(await debianSource('qemu', 'trixie')), '.', {
      hostSupport: true,
    });
    const staging = mkdtempSync(path.join(os.tmpdir(), 'cmg-fuzz-export-'));
    writeFileSync(path.join(staging, FILE), exportCatalog(qemu));
    tree = new ScratchTree(staging, [FILE]);
    rmSync(staging, { recursive: true, force: true });
    const undamaged = await readGenericCatalog(fsSource(tree.dir), FILE);
    baseline = { exact: canon(undamaged, false), shifted: canon(undamaged, true) };
  });
  afterAll(() => tree?.remove());

  test('every damage to the catalog file', async () => {
    const text = tree.text(FILE);
    const problems: string[] = [];
    for (const m of [...mutationsOf(FILE, text, 'yaml', { required: true }), ...yamlMutations(text)]) {
      const o = await tree.with(m.file, m.damage, () =>
        outcomeOf(() => readGenericCatalog(fsSource(tree.dir), FILE)),
      );
      outcomes.push({ m, o });
      const problem = judge(m, o, baseline, canon);
      if (problem) problems.push(problem);
    }
    recordCases('generic', outcomes);
    expect({ seed: FUZZ_SEED, problems }).toEqual({ seed: FUZZ_SEED, problems: [] });
    await expectReadmeRow('generic catalog (QEMU 10.0 exported)', outcomes);
  });
});
