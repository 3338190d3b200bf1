import { execFile } from 'node:child_process';
import { statSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { SimpleGit } from 'simple-git';
import { InputError } from '../errors.js';
import type { CatalogSource } from './catalog-source.js';
import { GitObjectReader, gitError, isBlobEntry, isTreeEntry, type TreeEntry } from './git-objects.js';
import { asFileError } from './report-file.js';
import { catalogText } from './text.js';

/** Git access for the engine's front ends: revisions, merge bases, tags and file contents. */
export class GitRepository {
  private git: Promise<SimpleGit> | undefined;

  constructor(readonly dir: string) {
    let folder: Stats | undefined;
    try {
      folder = statSync(dir);
    } catch (err) {
      throw asFileError(err, dir, 'pass --repo the folder of a git repository');
    }
    if (!folder.isDirectory())
      throw new InputError('a file, expected the folder of a git repository', { path: dir });
  }

  /**
   * `git <args>` in the repository, its output. simple-git loads with the first command: file
   * contents come through one `git cat-file` process of {@link GitObjectReader}, and commands
   * that read no revision (`expand`, a working tree's `audit`) never need it.
   */
  async raw(args: string[]): Promise<string> {
    this.git ??= import('simple-git').then(({ simpleGit }) =>
      simpleGit({ baseDir: path.resolve(this.dir), maxConcurrentProcesses: 6 }),
    );
    return (await this.git).raw(args);
  }

  /**
   * The commit a revision names; a clear error when the repository does not have it. Asked of
   * the run's one `git cat-file --batch`, which reads revisions as `git rev-parse` does, rather
   * than a process of its own: a check resolves base and head, and each is a process start.
   */
  async resolveCommit(rev: string): Promise<string> {
    const object = /[\n\r]/.test(rev)
      ? undefined
      : await GitObjectReader.of(this.dir).read(`${rev}^{commit}`);
    if (object?.type === 'commit') return object.oid;
    throw new InputError(
      `revision ${rev} is not a commit in ${this.dir}`,
      undefined,
      'fetch it first (a shallow clone lacks history), or pass a branch, tag or full commit id',
    );
  }

  async isRepository(): Promise<boolean> {
    try {
      return (await this.raw(['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
    } catch {
      return false;
    }
  }

  /** The merge base of two commits, or `undefined` when they share no history here. */
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    try {
      return (await this.raw(['merge-base', a, b])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The newest `v*` tag reachable from a commit, by commit date. Its git process starts at
   * the call, not once simple-git has loaded: a check looks the tag up while it parses base
   * and head, and a parse holds the event loop for hundreds of milliseconds, so a process
   * that waited for the library would start only after it and keep the check waiting.
   */
  async newestReleaseTag(commit: string): Promise<{ tag: string; commit: string } | undefined> {
    const out = await gitOutput(this.dir, [
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

  /**
   * The first-parent line of `from..to`, oldest first, each commit with its first parent
   * (`undefined` for a root commit).
   */
  async firstParentLine(from: string, to: string): Promise<{ commit: string; parent?: string }[]> {
    const out = await this.raw(['rev-list', '--reverse', '--first-parent', '--parents', `${from}..${to}`]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [commit, parent] = line.split(' ');
        return { commit: commit!, parent };
      });
  }

  /**
   * Whether `git diff --name-only a b` would list a file under one of `folders` (`.` for
   * all) or one of `files`, told from the trees: a path whose entry (mode and object id) is
   * the same on both sides holds no change.
   */
  async differs(
    a: string,
    b: string,
    paths: { folders: readonly string[]; files: readonly string[] },
  ): Promise<boolean> {
    const objects = GitObjectReader.of(this.dir);
    const at = async (commit: string, p: string): Promise<TreeEntry | undefined> => {
      const c = await objects.commit(commit);
      if (!c) throw new InputError(`revision ${commit} is not a commit in ${this.dir}`);
      const normalized = path.posix.normalize(p).replace(/\/$/, '');
      if (normalized === '.' || normalized === '') return { mode: '40000', oid: c.tree };
      return objects.entry(c.tree, normalized);
    };
    const changed = async (p: string, counts: (e: TreeEntry) => boolean): Promise<boolean> => {
      const [x, y] = await Promise.all([at(a, p), at(b, p)]);
      if (x?.mode === y?.mode && x?.oid === y?.oid) return false;
      return [x, y].some((e) => e !== undefined && counts(e));
    };
    for (const p of paths.folders) if (await changed(p, isTreeEntry)) return true;
    for (const p of paths.files) if (await changed(p, (e) => !isTreeEntry(e))) return true;
    return false;
  }

  /** The unified diff between two commits for some paths, with zero context lines cut off by none. */
  async unifiedDiff(from: string, to: string, paths: string[]): Promise<string> {
    return this.raw(['diff', '--no-renames', '--no-color', '--no-ext-diff', from, to, '--', ...paths]);
  }

  /** The catalog as it is at a commit, read through git without checking it out. */
  async source(commit: string, subdir = '.'): Promise<CatalogSource> {
    const normalized = path.posix.normalize(subdir.replace(/\\/g, '/')).replace(/\/$/, '');
    const prefix = normalized === '.' ? '' : normalized;
    if (prefix === '..' || prefix.startsWith('../') || prefix.startsWith('/'))
      throw new InputError(`catalog path ${subdir} leaves the repository`);
    const objects = GitObjectReader.of(this.dir);
    const root = `${commit}^{tree}`;
    if (!(await objects.tree(root)))
      throw new InputError(
        `revision ${commit} is not a commit in ${this.dir}`,
        undefined,
        'fetch it first (a shallow clone lacks history), or pass a branch, tag or full commit id',
      );
    const full = (rel: string): string => path.posix.normalize(prefix ? `${prefix}/${rel}` : rel);
    const blob = async (rel: string): Promise<{ path: string; entry?: TreeEntry }> => {
      const p = full(rel);
      if (p.startsWith('..')) throw new InputError(`path ${rel} leaves the repository`);
      const entry = await objects.entry(root, p);
      return { path: p, entry: entry && isBlobEntry(entry) ? entry : undefined };
    };
    return {
      label: `${commit.slice(0, 12)}${prefix ? `:${prefix}` : ''}`,
      readFile: async (rel) => {
        const { path: p, entry } = await blob(rel);
        if (!entry) return undefined;
        // By path as well as content: an error names the path it was read at.
        const key = `${entry.oid}\0${p}`;
        let text = texts.get(key);
        if (!text) {
          text = objects.read(entry.oid).then((object) => {
            if (!object)
              throw new InputError(
                `git lists ${p} at ${commit.slice(0, 12)} but has no object ${entry.oid}`,
                { path: p },
                'the repository is incomplete: check it with git fsck, or fetch again',
              );
            return catalogText(object.content, p);
          });
          text.catch(() => texts.delete(key));
          texts.set(key, text);
        }
        return text;
      },
      contentId: async (rel) => (await blob(rel)).entry?.oid,
      listFiles: async (dir) => {
        const tree = await objects.treeAt(root, full(dir));
        return [...(tree ?? new Map<string, TreeEntry>())]
          .filter(([, e]) => isBlobEntry(e))
          .map(([name]) => name)
          .sort();
      },
    };
  }
}

/**
 * `git <args>` in `dir`, its standard output; a clear error with git's own message when git
 * cannot start or fails.
 */
function gitOutput(dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) return resolve(stdout);
        reject(gitError(dir, args[0]!, `failed: ${stderr.trim().split('\n')[0] || err.message}`));
      },
    );
  });
}

/** Blob texts by object id and path: each file of a run is read and decoded once. */
const texts = new Map<string, Promise<string>>();
