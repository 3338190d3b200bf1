import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { InputError } from '../errors.js';
import type { CatalogSource } from './catalog-source.js';
import { GitObjectReader } from './git-objects.js';
import { asFileError } from './report-file.js';
import { catalogText } from './text.js';

/** Git access for the engine's front ends: revisions, merge bases, tags and file contents. */
export class GitRepository {
  readonly git: SimpleGit;

  constructor(readonly dir: string) {
    let folder: Stats | undefined;
    try {
      folder = statSync(dir);
    } catch (err) {
      throw asFileError(err, dir, 'pass --repo the folder of a git repository');
    }
    if (!folder.isDirectory())
      throw new InputError('a file, expected the folder of a git repository', { path: dir });
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
    const normalized = path.posix.normalize(subdir.replace(/\\/g, '/')).replace(/\/$/, '');
    const prefix = normalized === '.' ? '' : normalized;
    if (prefix === '..' || prefix.startsWith('../') || prefix.startsWith('/'))
      throw new InputError(`catalog path ${subdir} leaves the repository`);
    const files = await this.blobsAt(commit, prefix);
    const objects = GitObjectReader.of(this.dir);
    const full = (rel: string): string => path.posix.normalize(prefix ? `${prefix}/${rel}` : rel);
    return {
      label: `${commit.slice(0, 12)}${prefix ? `:${prefix}` : ''}`,
      readFile: async (rel) => {
        const p = full(rel);
        if (p.startsWith('..')) throw new InputError(`path ${rel} leaves the repository`);
        const oid = files.get(p);
        if (oid === undefined) return undefined;
        const object = await objects.read(oid);
        if (!object)
          throw new InputError(
            `git lists ${p} at ${commit.slice(0, 12)} but has no object ${oid}`,
            { path: p },
            'the repository is incomplete: check it with git fsck, or fetch again',
          );
        return catalogText(object.content, p);
      },
      listFiles: async (dir) => {
        const d = full(dir).replace(/\/$/, '');
        const names: string[] = [];
        for (const f of files.keys()) {
          if (f.startsWith(d + '/') && !f.slice(d.length + 1).includes('/'))
            names.push(f.slice(d.length + 1));
        }
        return names.sort();
      },
    };
  }

  /**
   * Every blob under a folder at a commit, path to object id. A commit never changes, so each
   * (commit, folder) is listed once per run, however many sources are made of it.
   */
  private blobsAt(commit: string, prefix: string): Promise<Map<string, string>> {
    const key = `${path.resolve(this.dir)}\0${commit}\0${prefix}`;
    let listing = treeListings.get(key);
    if (!listing) {
      listing = this.git
        .raw(['ls-tree', '-r', '-z', '--full-tree', commit, '--', prefix || '.'])
        .then((out) => {
          const blobs = new Map<string, string>();
          for (const entry of out.split('\0')) {
            // <mode> SP <type> SP <object> TAB <path>
            const m = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
            if (m) blobs.set(m[2]!, m[1]!);
          }
          return blobs;
        });
      listing.catch(() => treeListings.delete(key));
      treeListings.set(key, listing);
    }
    return listing;
  }
}

const treeListings = new Map<string, Promise<Map<string, string>>>();
