/**
 * Seeded damage to every file of two real QEMU x86 catalogs (Debian's 7.2 and 10.0 trees):
 * each damaged tree is read by the engine's reader through the file system, as `audit --root`
 * and `expand` read it, and must be refused with the file (and line) or read as if undamaged.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { QEMU_X86_FILES, REQUIRED_QEMU_FILES } from '../../src/parse/qemu-x86/files.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource, debianSourceDir } from '../support/debian-source.js';
import {
  FUZZ_SEED,
  canonical,
  judge,
  mutationsOf,
  outcomeOf,
  random,
  ScratchTree,
  seedFor,
  type Mutation,
  type Outcome,
} from './fuzz-support.js';
import { expectReadmeRow, recordCases } from './fuzz-count.js';

/** QEMU's largest catalog file is under 1 MiB; the reader refuses more than 8 MiB. */
const OVERSIZE = 9 * 1024 * 1024;

// `files` lists what the tree holds: an optional file's absence changes it and nothing else.
const canon = (value: unknown, shifted: boolean): string => canonical(value, shifted, ['files']);

/**
 * Every damage on the newest tree; a seeded few per file on the older one, whose files are
 * laid out as QEMU had them before 9.0 (x86.c, no x86-common.c), to keep the suite's time small.
 */
const SUITES: { suite: string; row: string; perFile?: number }[] = [
  { suite: 'trixie', row: 'QEMU 10.0 (Debian trixie)' },
  { suite: 'bookworm', row: 'QEMU 7.2 (Debian bookworm)', perFile: 5 },
];

for (const { suite, row, perFile } of SUITES) {
  describe(`QEMU catalog of Debian ${suite}`, () => {
    let tree: ScratchTree;
    let baseline: { exact: string; shifted: string };
    const outcomes: { m: Mutation; o: Outcome }[] = [];
    const files = Object.entries(QEMU_X86_FILES).filter(([, rel]) =>
      existsSync(path.join(debianSourceDir('qemu', suite), rel)),
    );

    beforeAll(async () => {
      const dir = await debianSource('qemu', suite);
      tree = new ScratchTree(
        dir,
        files.map(([, rel]) => rel),
      );
      const undamaged = await readQemuX86Catalog(fsSource(tree.dir));
      baseline = { exact: canon(undamaged, false), shifted: canon(undamaged, true) };
    });
    afterAll(() => tree?.remove());

    test.each(files)('%s', async (key, rel) => {
      const all = mutationsOf(rel, tree.text(rel), rel === 'VERSION' ? 'yaml' : 'c', {
        required: REQUIRED_QEMU_FILES.includes(key as keyof typeof QEMU_X86_FILES),
        oversize: key === 'cpuC' ? OVERSIZE : undefined,
      });
      const r = random(seedFor(`${suite} ${rel}`));
      const picked = new Set<number>();
      while (perFile && picked.size < Math.min(perFile, all.length)) picked.add(r.int(all.length));
      const mutations = perFile ? all.filter((_, i) => picked.has(i)) : all;
      const problems: string[] = [];
      for (const m of mutations) {
        const o = await tree.with(m.file, m.damage, () =>
          outcomeOf(() => readQemuX86Catalog(fsSource(tree.dir))),
        );
        outcomes.push({ m, o });
        const problem = judge(m, o, baseline, canon);
        if (problem) problems.push(problem);
      }
      expect({ seed: FUZZ_SEED, problems }).toEqual({ seed: FUZZ_SEED, problems: [] });
    });

    test('the README states the cases run', async () => {
      recordCases(`qemu-${suite}`, outcomes);
      await expectReadmeRow(row, outcomes);
    });
  });
}
