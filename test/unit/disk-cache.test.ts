/**
 * Catalogs kept on disk between runs (`--cache-dir`): found by the blob ids of what was read,
 * read back equal to a fresh read of QEMU 7.2's real tree, written whole or not at all, and
 * ignored when damaged or written by another version.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readQemuX86 } from '../../src/parse/qemu-x86/index.js';
import type { CatalogSource } from '../../src/source/catalog-source.js';
import { DiskCatalogStore } from '../../src/source/disk-cache.js';
import { GitRepository } from '../../src/source/git-source.js';
import { decodeValue, encodeValue, ReadCache } from '../../src/source/read-cache.js';
import type { TempRepo } from '../support/git-repo.js';
import { addAvx512fToHaswell, repoWithQemuCatalog } from '../support/qemu-edits.js';

type Read = Awaited<ReturnType<typeof readQemuX86>>;
const KEY = 'qemu-x86\0.\0cpuid';
const CPU_C = 'target/i386/cpu.c';

let repo: TempRepo;
let git: GitRepository;
let dir: string;
const commits: Record<string, string> = {};

beforeAll(async () => {
  repo = await repoWithQemuCatalog();
  commits.base = repo.commitAll('QEMU 7.2');
  addAvx512fToHaswell(repo, CPU_C);
  commits.head = repo.commitAll('target/i386: add AVX-512F to Haswell');
  git = new GitRepository(repo.dir);
  dir = await mkdtemp(path.join(os.tmpdir(), 'cmg-disk-cache-'));
}, 120_000);

afterAll(async () => {
  repo?.remove();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One run's read of `commit`: a fresh in-memory cache, the folder's entries, and how often the tree was parsed. */
async function runRead(
  commit: string,
  store = new DiskCatalogStore(dir, 'test'),
): Promise<{ value: Read; parses: number }> {
  let parses = 0;
  const value = await new ReadCache<Read>().get(
    KEY,
    await git.source(commit),
    (from: CatalogSource) => {
      parses++;
      return readQemuX86(from, '.', { cpuidCode: {} });
    },
    store,
  );
  return { value, parses };
}

const entries = (): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.entry'))
    .map((f) => path.join(dir, f));
/** The entry of the catalog itself (the largest), not the list of paths read. */
const catalogEntry = (): string => entries().sort((a, b) => statSync(b).size - statSync(a).size)[0]!;

describe('the on-disk catalog cache', () => {
  test('a later run reads the catalog back equal to a fresh read, without parsing', async () => {
    const first = await runRead(commits.base!);
    expect(first.parses).toBe(1);
    const second = await runRead(commits.base!);
    expect(second.parses).toBe(0);
    expect(second.value).not.toBe(first.value);
    // Maps, Sets and absent values come back as they were.
    expect(second.value.cpuidCode?.fieldProperties).toBeInstanceOf(Map);
    expect(second.value).toStrictEqual(first.value);
    expect(readdirSync(path.dirname(catalogEntry())).filter((f) => f.endsWith('.partial'))).toEqual([]);
  }, 120_000);

  test('a revision whose files differ is parsed, and kept beside the other', async () => {
    const before = entries().length;
    const head = await runRead(commits.head!);
    expect(head.parses).toBe(1);
    expect(entries().length).toBe(before + 1);
    expect((await runRead(commits.head!)).parses).toBe(0);
    expect((await runRead(commits.base!)).parses).toBe(0);
    const haswell = (r: Read) => JSON.stringify(r.catalog.models.find((m) => m.name === 'Haswell'));
    expect(haswell((await runRead(commits.head!)).value)).not.toBe(
      haswell((await runRead(commits.base!)).value),
    );
  }, 120_000);

  test('a damaged or truncated entry is ignored and written again', async () => {
    const file = catalogEntry();
    const whole = readFileSync(file);
    const reference = (await runRead(commits.base!)).value;
    for (const damaged of [
      whole.subarray(0, whole.length - 100),
      Buffer.concat([whole.subarray(0, whole.length - 10), Buffer.from('0123456789')]),
      Buffer.from('not an entry'),
      Buffer.alloc(0),
    ]) {
      // The catalogs' entries, not the list of paths they were read from.
      for (const f of entries()) if (statSync(f).size > 100_000) writeFileSync(f, damaged);
      const again = await runRead(commits.base!);
      expect(again.parses).toBe(1);
      expect(again.value).toStrictEqual(reference);
    }
    expect((await runRead(commits.base!)).parses).toBe(0);
    // The list of paths read, damaged: nothing is found, the tree is parsed.
    for (const f of entries()) if (statSync(f).size < 100_000) writeFileSync(f, '{"key":"x"}\n[[');
    expect((await runRead(commits.base!)).parses).toBe(1);
    expect((await runRead(commits.base!)).parses).toBe(0);
  }, 300_000);

  test('another version of the tool reads none of it', async () => {
    expect((await runRead(commits.base!, new DiskCatalogStore(dir, 'test'))).parses).toBe(0);
    expect((await runRead(commits.base!, new DiskCatalogStore(dir, 'other'))).parses).toBe(1);
  }, 120_000);

  test('an entry is written whole, under its own name, even when two runs write it at once', async () => {
    const store = new DiskCatalogStore(path.join(dir, 'concurrent'), 'test');
    const text = 'x'.repeat(4 * 1024 * 1024);
    await Promise.all([store.save('k', text), store.save('k', text), store.save('k', text)]);
    expect(await store.load('k')).toBe(text);
    expect(await store.load('other key')).toBeUndefined();
    expect(
      readdirSync(store.dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.includes('.partial')),
    ).toEqual([]);
  });
});

test('the folder keeps the entries used last', async () => {
  const store = new DiskCatalogStore(await mkdtemp(path.join(os.tmpdir(), 'cmg-disk-prune-')), 'test');
  try {
    await store.save('first', 'kept, since it is read again');
    for (let i = 0; i < 70; i++) {
      await store.save(`entry ${i}`, `text ${i}`);
      // Read before every write: always among the newest.
      expect(await store.load('first')).toBe('kept, since it is read again');
    }
    const left = readdirSync(store.dir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.entry'),
    );
    expect(left.length).toBe(64);
    expect(await store.load('entry 69')).toBe('text 69');
  } finally {
    await rm(path.dirname(store.dir), { recursive: true, force: true });
  }
});

test('encoded values decode to equal ones: Maps, Sets, bigints, undefined, odd numbers and keys', () => {
  const dict = Object.create(null) as Record<string, number>;
  dict['__proto__'] = 1;
  const value = {
    m: new Map<unknown, unknown>([
      ['a', new Set([1, 2])],
      [3, undefined],
    ]),
    big: 2n ** 70n,
    numbers: [NaN, Infinity, -Infinity, -0, 0.5],
    absent: undefined,
    list: [undefined, null, 'x'],
    dict,
    ['__proto__']: { own: true },
  };
  Object.defineProperty(value, '__proto__', { value: { own: true }, enumerable: true });
  const back = decodeValue(JSON.parse(JSON.stringify(encodeValue(value)))) as typeof value;
  expect(back).toStrictEqual(value);
  expect(Object.is(back.numbers[3], -0)).toBe(true);
  expect(Object.getPrototypeOf(back.dict)).toBeNull();
  expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
  expect(() => encodeValue({ f: () => 1 })).toThrow();
  expect(() => encodeValue(new Date())).toThrow();
});
