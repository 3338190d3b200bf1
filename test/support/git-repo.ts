import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A real git repository in a temporary folder, for tests that need base and head commits.
 * Branches start from a named commit, get edits, and are committed like a developer would.
 */
export class TempRepo {
  readonly dir: string;

  constructor(prefix = 'cmg-repo-') {
    this.dir = mkdtempSync(path.join(os.tmpdir(), prefix));
    this.git('init', '-q', '-b', 'main');
  }

  git(...args: string[]): string {
    return execFileSync(
      'git',
      ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', '-c', 'commit.gpgsign=false', ...args],
      {
        cwd: this.dir,
        encoding: 'utf8',
        maxBuffer: 256 * 1024 * 1024,
      },
    );
  }

  /** Copies files (paths relative to `from`) into the work tree. */
  copyFrom(from: string, files: readonly string[], to = '.'): void {
    for (const f of files) {
      const dest = path.join(this.dir, to, f);
      mkdirSync(path.dirname(dest), { recursive: true });
      cpSync(path.join(from, f), dest);
    }
  }

  read(file: string): string {
    return readFileSync(path.join(this.dir, file), 'utf8');
  }

  write(file: string, text: string): void {
    mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
    writeFileSync(path.join(this.dir, file), text);
  }

  /** Replaces `from` (which must occur exactly once) with `to` in a file. */
  edit(file: string, from: string | RegExp, to: string): void {
    const text = this.read(file);
    const count =
      typeof from === 'string'
        ? text.split(from).length - 1
        : (
            text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : from.flags + 'g')) ??
            []
          ).length;
    if (count !== 1)
      throw new Error(`edit of ${file}: expected exactly one match of ${String(from)}, found ${count}`);
    this.write(file, text.replace(from, to));
  }

  commitAll(message: string): string {
    this.git('add', '-A');
    this.git('commit', '-q', '--allow-empty', '-m', message);
    return this.git('rev-parse', 'HEAD').trim();
  }

  /** A branch from `start` with the edits of `change`, committed; returns the commit. */
  branch(name: string, start: string, change: (repo: TempRepo) => void): string {
    this.git('checkout', '-q', '-B', name, start);
    change(this);
    return this.commitAll(name);
  }

  /** 1-based line of the first line containing `needle` in a file as it is in the work tree. */
  lineOf(file: string, needle: string): number {
    const i = this.read(file)
      .split('\n')
      .findIndex((l) => l.includes(needle));
    if (i < 0) throw new Error(`${needle} not found in ${file}`);
    return i + 1;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
