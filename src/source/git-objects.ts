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

interface PendingRead {
  spec: string;
  resolve: (object: GitObject | undefined) => void;
  reject: (err: Error) => void;
}

/**
 * One long-lived `git cat-file --batch` per repository: every blob of a run comes through one
 * process instead of one `git show` each. The object's size comes in its header, so a read is
 * complete by construction, and blobs are cached by object id, which is their content: a file
 * unchanged between base, head and the release revision is read once.
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
  private stderr = '';
  private readonly blobs = new Map<string, Buffer>();

  private constructor(readonly dir: string) {}

  /** The object a `<rev>:<path>` or an object id names, or `undefined` when git has none. */
  read(spec: string): Promise<GitObject | undefined> {
    if (/[\n\r]/.test(spec)) {
      return Promise.reject(new InputError(`git object name ${JSON.stringify(spec)} holds a line break`));
    }
    const cached = this.blobs.get(spec);
    if (cached) return Promise.resolve({ oid: spec, type: 'blob', content: cached });
    return new Promise((resolve, reject) => {
      const child = this.process();
      this.queue.push({
        spec,
        resolve: (object) => {
          if (object?.type === 'blob') this.blobs.set(object.oid, object.content);
          resolve(object);
        },
        reject,
      });
      pipe(child.stdout).ref();
      child.stdin.write(`${spec}\n`);
    });
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
    this.stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
      this.drain();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2000);
    });
    const fail = (why: string): void => {
      if (this.child === child) this.child = undefined;
      const pending = this.queue.splice(0);
      for (const p of pending) {
        p.reject(
          new InputError(
            `git cat-file in ${this.dir} ${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`,
            undefined,
            'check that the folder is a git repository and that git works there (git status)',
          ),
        );
      }
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
      if (this.buffered.length < eol + 1 + size + 1) return;
      const content = Buffer.from(this.buffered.subarray(eol + 1, eol + 1 + size));
      this.buffered = this.buffered.subarray(eol + 1 + size + 1);
      this.queue.shift();
      request.resolve({ oid: m[1]!, type: m[2]!, content });
    }
    if (!this.queue.length && this.child) pipe(this.child.stdout).unref();
  }
}

/** A child's stdio with `stdio: 'pipe'` is a socket, which can stop holding the event loop. */
function pipe(stream: NodeJS.ReadableStream | NodeJS.WritableStream): Socket {
  return stream as unknown as Socket;
}
