/**
 * Catalog files read through git: one `git cat-file --batch` per repository, trees read once
 * by object id, and every byte of every blob, whatever the size and however many reads overlap.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InputError } from '../../src/errors.js';
import { GitObjectReader } from '../../src/source/git-objects.js';
import { fsSource } from '../../src/source/fs-source.js';
import { GitRepository } from '../../src/source/git-source.js';
import { TempRepo } from '../support/git-repo.js';

let repo: TempRepo;
let first: string;
let second: string;
const big = randomBytes(3 * 1024 * 1024).toString('base64');

beforeAll(() => {
  repo = new TempRepo();
  repo.write('top.txt', 'top\n');
  repo.write('catalog/a.txt', 'alpha\n');
  repo.write('catalog/b.txt', 'beta\n');
  repo.write('catalog/sub/c.txt', 'gamma\n');
  repo.write('catalog/big.txt', big);
  repo.write('catalog/empty.txt', '');
  repo.write('catalog/utf8.txt', 'Färber\n');
  writeFileSync(
    path.join(repo.dir, 'catalog', 'latin1.txt'),
    Buffer.from('first line\nHaswell-F\xe4rber\n', 'latin1'),
  );
  first = repo.commitAll('first');
  repo.write('catalog/a.txt', 'alpha, edited\n');
  repo.git('rm', '-q', 'catalog/b.txt');
  second = repo.commitAll('second');
});

afterAll(() => repo.remove());

describe('GitRepository.source', () => {
  test('reads each revision as it was, without checking it out', async () => {
    const git = new GitRepository(repo.dir);
    const [before, after] = await Promise.all([git.source(first, 'catalog'), git.source(second, 'catalog')]);
    expect(await before.readFile('a.txt')).toBe('alpha\n');
    expect(await after.readFile('a.txt')).toBe('alpha, edited\n');
    expect(await before.readFile('b.txt')).toBe('beta\n');
    expect(await after.readFile('b.txt')).toBeUndefined();
    expect(await after.readFile('sub/c.txt')).toBe('gamma\n');
    expect(await after.readFile('empty.txt')).toBe('');
    expect(await after.readFile('utf8.txt')).toBe('Färber\n');
    expect(await before.listFiles('.')).toEqual([
      'a.txt',
      'b.txt',
      'big.txt',
      'empty.txt',
      'latin1.txt',
      'utf8.txt',
    ]);
    expect(await after.listFiles('sub')).toEqual(['c.txt']);
    expect(await after.listFiles('missing')).toEqual([]);
  });

  test('lists the repository root like a working tree does', async () => {
    const git = new GitRepository(repo.dir);
    const top = await git.source(second);
    expect(await top.listFiles('.')).toEqual(await fsSource(repo.dir).listFiles('.'));
    expect(await top.listFiles('.')).toEqual(['top.txt']);
    expect(await top.listFiles('catalog')).toContain('a.txt');
    expect(await top.contentId?.('catalog/a.txt')).toBe(
      repo.git('rev-parse', `${second}:catalog/a.txt`).trim(),
    );
    expect(await top.contentId?.('catalog/b.txt')).toBeUndefined();
  });

  test('many overlapping reads each get their whole blob', async () => {
    const git = new GitRepository(repo.dir);
    const source = await git.source(second, 'catalog');
    const reads = await Promise.all(
      Array.from({ length: 40 }, (_, i) => source.readFile(i % 2 ? 'big.txt' : 'sub/c.txt')),
    );
    reads.forEach((text, i) => expect(text === (i % 2 ? big : 'gamma\n')).toBe(true));
    // The same through the one cat-file process, where every answer is its own copy.
    const reader = GitObjectReader.of(repo.dir);
    const objects = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        reader.read(`${second}:catalog/${i % 2 ? 'big.txt' : 'sub/c.txt'}`),
      ),
    );
    objects.forEach((o, i) => expect(o?.content.toString() === (i % 2 ? big : 'gamma\n')).toBe(true));
  });

  test('a path leaving the repository is an input error', async () => {
    const git = new GitRepository(repo.dir);
    await expect(git.source(second, '../elsewhere')).rejects.toBeInstanceOf(InputError);
    const source = await git.source(second, 'catalog');
    await expect(source.readFile('../../x')).rejects.toBeInstanceOf(InputError);
  });
});

describe('catalog text', () => {
  test('bytes that are not UTF-8 are an error at their line, from git and from a working tree', async () => {
    const sources = [
      await new GitRepository(repo.dir).source(first, 'catalog'),
      fsSource(path.join(repo.dir, 'catalog')),
    ];
    for (const source of sources) {
      const err = await source.readFile('latin1.txt').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toMatch(/^not UTF-8 text/);
      expect((err as InputError).location).toEqual({ path: expect.stringMatching(/latin1\.txt$/), line: 2 });
    }
  });
});

describe('GitObjectReader', () => {
  test('answers an object git lacks with undefined and goes on answering', async () => {
    const reader = GitObjectReader.of(repo.dir);
    expect(await reader.read('0'.repeat(40))).toBeUndefined();
    expect((await reader.read(`${first}:catalog/a.txt`))?.content.toString()).toBe('alpha\n');
  });

  test('a folder that is no repository is an input error, not a crash', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cmg-not-a-repo-'));
    try {
      const reader = GitObjectReader.of(dir);
      const err = await reader.read('HEAD:x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(/git cat-file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
