import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import { InputError } from '../errors.js';

/** What `git cat-file --batch` says of one object. */
export interface GitObject {
  oid: string;
  type: string;
  content: Buffer;
}

/** One entry of a git tree: its mode (`100644`, `040000`, ...) and object id. */
export interface TreeEntry {
  mode: string;
  oid: string;
}

/** A tree's entries by name. */
export type Tree = ReadonlyMap<string, TreeEntry>;

/** Modes whose object is a blob (files, executables, symbolic links), as `git ls-tree` says `blob`. */
const BLOB_MODES = new Set(['100644', '100755', '100664', '120000']);
export const isBlobEntry = (e: TreeEntry): boolean => BLOB_MODES.has(e.mode);
export const isTreeEntry = (e: TreeEntry): boolean => e.mode === '40000' || e.mode === '040000';

interface PendingRead {
  spec: string;
  resolve: (object: GitObject | undefined) => void;
  reject: (err: Error) => void;
}

/**
 * One long-lived `git cat-file --batch` per repository: every blob of a run comes through one
 * process instead of one `git show` each. The object's size comes in its header, so a read is
 * complete by construction. Trees are kept by object id, which is their content: a folder
 * unchanged between base, head and the release revision is read once. Blobs are not kept
 * here: their readers keep the decoded text, which is what is read again.
 */
export class GitObjectReader {
  private static readonly readers = new Map<string, GitObjectReader>();

  /** The reader of a repository, shared by every source the run makes of it. */
  static of(dir: string): GitObjectReader {
    const key = path.resolve(dir);
    let reader = GitObjectReader.readers.get(key);
    if (!reader) GitObjectReader.readers.set(key, (reader = new GitObjectReader(key)));
    return reader;
  }

  private child?: ChildProcessWithoutNullStreams;
  private readonly queue: PendingRead[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  /** Chunks not yet joined to `buffered`: a large object is joined once, when it is whole. */
  private arriving: Buffer[] = [];
  private arrivingBytes = 0;
  /** How many bytes `buffered` must hold before the next answer can be complete. */
  private needed = 0;
  private stderr = '';
  /** Trees by object id, parsed: a folder unchanged between revisions is read once. */
  private readonly trees = new Map<string, Promise<Tree | undefined>>();
  private readonly commits = new Map<string, Promise<{ tree: string; parents: string[] } | undefined>>();

  private constructor(readonly dir: string) {}

  /** The object a `<rev>:<path>` or an object id names, or `undefined` when git has none. */
  read(spec: string): Promise<GitObject | undefined> {
    if (/[\n\r]/.test(spec)) {
      return Promise.reject(new InputError(`git object name ${JSON.stringify(spec)} holds a line break`));
    }
    return new Promise((resolve, reject) => {
      const child = this.process();
      this.queue.push({ spec, resolve, reject });
      pipe(child.stdout).ref();
      child.stdin.write(`${spec}\n`);
    });
  }

  /**
   * The tree an object id or a `<rev>^{tree}`/`<rev>:<folder>` names, or `undefined` when git
   * has no such tree. Trees are cached by object id, and by the commit id that names them.
   */
  tree(spec: string): Promise<Tree | undefined> {
    let tree = this.trees.get(spec);
    if (!tree) {
      tree = this.read(spec).then((object) => {
        if (!object || object.type !== 'tree') return undefined;
        const parsed = parseTree(object.content, object.oid.length / 2, spec);
        this.trees.set(object.oid, Promise.resolve(parsed));
        return parsed;
      });
      tree.catch(() => this.trees.delete(spec));
      // What a branch or HEAD names can move; a commit or tree id cannot.
      if (/^[0-9a-f]{40,64}(\^\{tree\})?$/.test(spec)) this.trees.set(spec, tree);
    }
    return tree;
  }

  /** A commit's tree and parents (first parent first); `undefined` when git has no such commit. */
  commit(spec: string): Promise<{ tree: string; parents: string[] } | undefined> {
    let commit = this.commits.get(spec);
    if (!commit) {
      commit = this.read(spec).then((object) => {
        if (!object || object.type !== 'commit') return undefined;
        const text = object.content.toString('utf8');
        const header = text.slice(0, text.indexOf('\n\n') >>> 0);
        const tree = /^tree ([0-9a-f]+)$/m.exec(header)?.[1];
        if (!tree) throw new InputError(`git commit ${spec} names no tree`);
        return { tree, parents: [...header.matchAll(/^parent ([0-9a-f]+)$/gm)].map((m) => m[1]!) };
      });
      commit.catch(() => this.commits.delete(spec));
      if (/^[0-9a-f]{40,64}$/.test(spec)) this.commits.set(spec, commit);
    }
    return commit;
  }

  /** The folder at a path (`a/b`, `.` or `` for the root) below a tree, if there is one. */
  async treeAt(root: string, folder: string): Promise<Tree | undefined> {
    let tree = await this.tree(root);
    for (const part of pathParts(folder)) {
      const e = tree?.get(part);
      if (!e || !isTreeEntry(e)) return undefined;
      tree = await this.tree(e.oid);
    }
    return tree;
  }

  /** The entry at a path (`a/b/c`) below a tree, or `undefined` when there is none. */
  async entry(root: string, filePath: string): Promise<TreeEntry | undefined> {
    const parts = pathParts(filePath);
    const name = parts.pop();
    if (name === undefined) return undefined;
    return (await this.treeAt(root, parts.join('/')))?.get(name);
  }

  /** Ends the git process; the next read starts another. */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private process(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const child = spawn('git', ['cat-file', '--batch'], { cwd: this.dir, stdio: 'pipe' });
    this.child = child;
    this.buffered = Buffer.alloc(0);
    this.arriving = [];
    this.arrivingBytes = 0;
    this.needed = 0;
    this.stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      this.arriving.push(chunk);
      this.arrivingBytes += chunk.length;
      if (this.buffered.length + this.arrivingBytes < this.needed) return;
      this.buffered = Buffer.concat([this.buffered, ...this.arriving]);
      this.arriving = [];
      this.arrivingBytes = 0;
      this.drain();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2000);
    });
    const fail = (why: string): void => {
      if (this.child === child) this.child = undefined;
      const pending = this.queue.splice(0);
      for (const p of pending)
        p.reject(gitError(this.dir, 'cat-file', `${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
    };
    child.on('error', (err) => fail(`could not start (${err.message})`));
    // A git that ended early closes its stdin: the close handler reports it, not the write.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      if (this.queue.length) fail(`ended with code ${code} before answering`);
    });
    // An idle reader must not keep the process alive: stdout is referenced only while a read
    // is waiting for its answer.
    pipe(child.stdout).unref();
    pipe(child.stderr).unref();
    pipe(child.stdin).unref();
    child.unref();
    return child;
  }

  /** Answers, in order, every request whose whole reply has arrived. */
  private drain(): void {
    while (this.queue.length) {
      const eol = this.buffered.indexOf(0x0a);
      if (eol < 0) return;
      const header = this.buffered.subarray(0, eol).toString('utf8');
      const request = this.queue[0]!;
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buffered = this.buffered.subarray(eol + 1);
        this.queue.shift();
        request.resolve(undefined);
        continue;
      }
      const m = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(header);
      if (!m) {
        this.queue.shift();
        request.reject(new InputError(`git cat-file answered "${header.slice(0, 200)}" for ${request.spec}`));
        this.close();
        return;
      }
      const size = Number(m[3]);
      if (this.buffered.length < eol + 1 + size + 1) {
        this.needed = eol + 1 + size + 1;
        return;
      }
      this.needed = 0;
      const content = Buffer.from(this.buffered.subarray(eol + 1, eol + 1 + size));
      this.buffered = this.buffered.subarray(eol + 1 + size + 1);
      this.queue.shift();
      request.resolve({ oid: m[1]!, type: m[2]!, content });
    }
    if (!this.queue.length && this.child) pipe(this.child.stdout).unref();
  }
}

/** A git command that failed in a repository: an error of the environment, with git's words. */
export const gitError = (dir: string, command: string, detail: string): InputError =>
  new InputError(
    `git ${command} in ${dir} ${detail}`,
    undefined,
    'check that the folder is a git repository and that git works there (git status)',
  );

const pathParts = (p: string): string[] => p.split('/').filter((part) => part && part !== '.');

/** `<mode> SP <name> NUL <raw object id>`, repeated. */
function parseTree(content: Buffer, oidBytes: number, spec: string): Tree {
  const entries = new Map<string, TreeEntry>();
  let at = 0;
  while (at < content.length) {
    const space = content.indexOf(0x20, at);
    const nul = content.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + oidBytes > content.length)
      throw new InputError(`git tree ${spec} is malformed at byte ${at}`);
    const mode = content.toString('latin1', at, space);
    const name = content.toString('utf8', space + 1, nul);
    entries.set(name, { mode, oid: content.toString('hex', nul + 1, nul + 1 + oidBytes) });
    at = nul + 1 + oidBytes;
  }
  return entries;
}

/** A child's stdio with `stdio: 'pipe'` is a socket, which can stop holding the event loop. */
function pipe(stream: NodeJS.ReadableStream | NodeJS.WritableStream): Socket {
  return stream as unknown as Socket;
}
