import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { coversRightLines, parseDiffMap, placeOnDiff, type DiffMap } from '../../src/github/hunks.js';

let dir: string;
let map: DiffMap;
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
const lines = (n: number, f: (i: number) => string) =>
  Array.from({ length: n }, (_, i) => f(i + 1)).join('\n') + '\n';

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cmg-hunks-'));
  git('init', '-q');
  writeFileSync(
    path.join(dir, 'cpu.c'),
    lines(40, (i) => `line ${i}`),
  );
  writeFileSync(
    path.join(dir, 'old name.c'),
    lines(10, (i) => `kept ${i}`),
  );
  writeFileSync(path.join(dir, 'gone.c'), 'a\nb\n');
  git('add', '.');
  git('commit', '-qm', 'base');
  // Change line 5, remove line 30, add two lines after 35; rename with one edit; delete a file.
  writeFileSync(
    path.join(dir, 'cpu.c'),
    lines(40, (i) =>
      i === 5 ? 'LINE 5' : i === 30 ? '' : i === 35 ? 'line 35\nnew a\nnew b' : `line ${i}`,
    ).replace('\n\n', '\n'),
  );
  git('mv', 'old name.c', 'new name.c');
  writeFileSync(
    path.join(dir, 'new name.c'),
    lines(10, (i) => (i === 10 ? 'edited 10' : `kept ${i}`)),
  );
  git('rm', '-q', 'gone.c');
  git('add', '.');
  git('commit', '-qm', 'head');
  map = parseDiffMap(
    git('-c', 'core.quotePath=false', 'diff', '-M', '--src-prefix=a/', '--dst-prefix=b/', 'HEAD~1', 'HEAD'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('diff hunks from git', () => {
  it('marks added and context lines RIGHT, removed lines LEFT', () => {
    const cpu = map.files.get('cpu.c')!;
    expect(cpu.added).toEqual(new Set([5, 35, 36]));
    expect(cpu.left).toEqual(new Set([5, 30]));
    // The removal at 30 and the insertion after 35 are close enough to share one hunk: 27..39 of head.
    expect([...cpu.right].filter((l) => l > 20)).toEqual([
      27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39,
    ]);
    // Three lines of context around the change at line 5.
    expect([...cpu.right].filter((l) => l < 10)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(cpu.right.has(20)).toBe(false);
  });

  it('places findings inside hunks and refuses the rest', () => {
    expect(placeOnDiff(map, { path: 'cpu.c', line: 5, side: 'RIGHT' })).toEqual({
      path: 'cpu.c',
      line: 5,
      side: 'RIGHT',
    });
    expect(placeOnDiff(map, { path: 'cpu.c', line: 30, side: 'LEFT' })).toEqual({
      path: 'cpu.c',
      line: 30,
      side: 'LEFT',
    });
    expect(placeOnDiff(map, { path: 'cpu.c', line: 20, side: 'RIGHT' })).toBeUndefined();
    expect(placeOnDiff(map, { path: 'cpu.c', line: 20, side: 'LEFT' })).toBeUndefined();
    expect(placeOnDiff(map, { path: 'other.c', line: 1, side: 'RIGHT' })).toBeUndefined();
  });

  it('shortens a multi-line finding to the part inside the hunk, anchored on its last line', () => {
    expect(placeOnDiff(map, { path: 'cpu.c', line: 33, endLine: 36, side: 'RIGHT' })).toEqual({
      path: 'cpu.c',
      line: 36,
      side: 'RIGHT',
      startLine: 33,
    });
    expect(placeOnDiff(map, { path: 'cpu.c', line: 20, endLine: 33, side: 'RIGHT' })).toEqual({
      path: 'cpu.c',
      line: 33,
      side: 'RIGHT',
      startLine: 27,
    });
    expect(coversRightLines(map, 'cpu.c', 35, 36)).toBe(true);
    expect(coversRightLines(map, 'cpu.c', 15, 37)).toBe(false);
  });

  it('follows renames: LEFT findings on the old name land on the new file', () => {
    const renamed = map.files.get('new name.c')!;
    expect(renamed.basePath).toBe('old name.c');
    expect(placeOnDiff(map, { path: 'old name.c', line: 10, side: 'LEFT' })).toEqual({
      path: 'new name.c',
      line: 10,
      side: 'LEFT',
    });
    expect(placeOnDiff(map, { path: 'gone.c', line: 2, side: 'LEFT' })).toEqual({
      path: 'gone.c',
      line: 2,
      side: 'LEFT',
    });
  });
});
