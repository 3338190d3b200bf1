import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError } from '../errors.js';
import type { CatalogSource } from './catalog-source.js';

/** Git access for the engine's front ends: revisions, merge bases, tags and file contents. */
export class GitRepository {
  readonly git: SimpleGit;

  constructor(readonly dir: string) {
    this.git = simpleGit({ baseDir: path.resolve(dir), maxConcurrentProcesses: 6 });
  }

  /** The commit a revision names; a clear error when the repository does not have it. */
  async resolveCommit(rev: string): Promise<string> {
    try {
      return (await this.git.raw(['rev-parse', '--verify', '--end-of-options', `${rev}^{commit}`])).trim();
    } catch {
      throw new InputError(
        `revision ${rev} is not a commit in ${this.dir}`,
        undefined,
        'fetch it first (a shallow clone lacks history), or pass a branch, tag or full commit id',
      );
    }
  }

  async isRepository(): Promise<boolean> {
    try {
      return (await this.git.raw(['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
    } catch {
      return false;
    }
  }

  /** The merge base of two commits, or `undefined` when they share no history here. */
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return (await this.git.raw(['merge-base', a, b])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** The newest `v*` tag reachable from a commit, by commit date. */
  async newestReleaseTag(commit: string): Promise<{ tag: string; commit: string } | undefined> {
    const out = await this.git.raw([
      'tag',
      '--merged',
      commit,
      '--list',
      'v*',
      '--sort=-creatordate',
      '--format=%(refname:short) %(objectname) %(*objectname)',
    ]);
    const first = out.split('\n').find((l) => l.trim());
    if (!first) return undefined;
    const [tag, object, peeled] = first.trim().split(' ');
    return { tag: tag!, commit: peeled || object! };
  }

  /** The first-parent line of `from..to`, oldest first: the commits a branch added in order. */
  async firstParentCommits(from: string, to: string): Promise<string[]> {
    const out = await this.git.raw(['rev-list', '--reverse', '--first-parent', `${from}..${to}`]);
    return out.split('\n').filter(Boolean);
  }

  /** Paths changed between two commits (renames shown as delete + add). */
  async changedFiles(from: string, to: string): Promise<string[]> {
    const out = await this.git.raw(['diff', '--no-renames', '--name-only', from, to]);
    return out.split('\n').filter(Boolean);
  }

  /** The unified diff between two commits for some paths, with zero context lines cut off by none. */
  async unifiedDiff(from: string, to: string, paths: string[]): Promise<string> {
    return this.git.raw(['diff', '--no-renames', '--no-color', '--no-ext-diff', from, to, '--', ...paths]);
  }

  /** The catalog as it is at a commit, read through git without checking it out. */
  async source(commit: string, subdir = '.'): Promise<CatalogSource> {
    const prefix = path.posix
      .normalize(subdir.replace(/\\/g, '/'))
      .replace(/^\.\/?/, '')
      .replace(/\/$/, '');
    if (prefix.startsWith('..')) throw new InputError(`catalog path ${subdir} leaves the repository`);
    const listing = await this.git.raw([
      'ls-tree',
      '-r',
      '-z',
      '--full-tree',
      '--name-only',
      commit,
      '--',
      prefix || '.',
    ]);
    const files = new Set(listing.split('\0').filter(Boolean));
    // Each read is checked against the size git lists for the blob: git output read through a
    // child process's pipe has been seen cut short under concurrency (simple-git issue 795).
    // Sizes are asked per file, since listing them for a whole tree reads every blob header.
    const blobSize = async (p: string): Promise<number> => {
      const line = await this.git.raw(['ls-tree', '-l', '--full-tree', commit, '--', p]);
      return Number(line.split(/\s+/)[3]);
    };
    const full = (rel: string): string => path.posix.normalize(prefix ? `${prefix}/${rel}` : rel);
    return {
      label: `${commit.slice(0, 12)}${prefix ? `:${prefix}` : ''}`,
      readFile: async (rel) => {
        const p = full(rel);
        if (p.startsWith('..')) throw new InputError(`path ${rel} leaves the repository`);
        if (!files.has(p)) return undefined;
        const size = blobSize(p);
        for (let attempt = 1; ; attempt++) {
          const [content, expected] = await Promise.all([this.git.showBuffer([`${commit}:${p}`]), size]);
          if (content.length === expected) return content.toString('utf8');
          if (attempt === 3) {
            throw new InputError(
              `git returned ${content.length} of the ${expected} bytes of ${p} at ${commit.slice(0, 12)}`,
              { path: p },
              'run again; if it persists, check the repository with git fsck',
            );
          }
        }
      },
      listFiles: async (dir) => {
        const d = full(dir).replace(/\/$/, '');
        const names: string[] = [];
        for (const f of files) {
          if (f.startsWith(d + '/') && !f.slice(d.length + 1).includes('/'))
            names.push(f.slice(d.length + 1));
        }
        return names.sort();
      },
    };
  }
}
