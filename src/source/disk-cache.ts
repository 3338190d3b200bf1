import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CatalogStore } from './read-cache.js';

/**
 * Catalogs read by earlier runs, in a folder that repeated CI runs keep (`--cache-dir`,
 * `CPU_MODEL_GUARD_CACHE_DIR`, the action's `cache-dir`). Entries are found by the content
 * ids (git blob ids) of everything the reader read, so an entry never stands for other
 * content. Everything lives under a folder named after the tool's version and its build (a
 * digest of the running code): a new release, or another build of the same version, never reads
 * an entry another one wrote. An entry is written to a file of its own and renamed into place,
 * so readers never see a half-written one; an entry that does not read back whole (truncated,
 * damaged, written by something else) is ignored. Deleting the folder at any time is safe.
 */
export class DiskCatalogStore implements CatalogStore {
  readonly dir: string;

  constructor(root: string, version: string) {
    this.dir = path.join(path.resolve(root), `cpu-model-guard-${version}-${buildDigest()}`);
  }

  async load(key: string): Promise<string | undefined> {
    const file = this.file(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch {
      return undefined;
    }
    const text = unwrap(bytes, key);
    // Entries in use are the last to go when the folder is pruned.
    if (text !== undefined) await utimes(file, new Date(), new Date()).catch(() => undefined);
    return text;
  }

  async save(key: string, text: string): Promise<void> {
    const file = this.file(key);
    const partial = `${file}.${process.pid}-${randomUUID()}.partial`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(partial, wrap(key, text));
      await rename(partial, file);
      await this.prune();
    } catch {
      // A cache that cannot be written (a read-only or full disk) only makes the run slower.
      await rm(partial, { force: true }).catch(() => undefined);
    }
  }

  /**
   * Keeps the folder to the {@link KEPT_ENTRIES} entries used last (a QEMU catalog takes about
   * 1 MB), so that a cache a CI job restores and saves again does not grow without end.
   */
  private async prune(): Promise<void> {
    const files: { file: string; used: number }[] = [];
    for (const sub of await readdir(this.dir)) {
      for (const name of await readdir(path.join(this.dir, sub)).catch(() => [] as string[])) {
        const file = path.join(this.dir, sub, name);
        const used = await stat(file).then(
          (s) => s.mtimeMs,
          () => undefined,
        );
        if (used !== undefined) files.push({ file, used });
      }
    }
    if (files.length <= KEPT_ENTRIES) return;
    files.sort((a, b) => b.used - a.used);
    for (const { file } of files.slice(KEPT_ENTRIES)) await rm(file, { force: true });
  }

  private file(key: string): string {
    const name = digest(key);
    return path.join(this.dir, name.slice(0, 2), `${name}.entry`);
  }
}

/** Entries kept in the folder (a catalog and the list of paths it was read from are two). */
const KEPT_ENTRIES = 64;

const digest = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

let build: string | undefined;
/** A digest of the code that runs (the bundle, or this module's file when run from source). */
function buildDigest(): string {
  build ??= digest(readFileSync(fileURLToPath(import.meta.url))).slice(0, 16);
  return build;
}

/** `{"key":..., "bytes":..., "sha256":...}` on the first line, then the text. */
function wrap(key: string, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const header = JSON.stringify({ key, bytes: body.length, sha256: digest(body) });
  return Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), body]);
}

function header(bytes: Buffer): { key: string; bytes: number; sha256: string; at: number } | undefined {
  const newline = bytes.indexOf(10);
  if (newline < 0) return undefined;
  try {
    const h = JSON.parse(bytes.subarray(0, newline).toString('utf8')) as Record<string, unknown>;
    if (typeof h.key !== 'string' || typeof h.bytes !== 'number' || typeof h.sha256 !== 'string')
      return undefined;
    return { key: h.key, bytes: h.bytes, sha256: h.sha256, at: newline + 1 };
  } catch {
    return undefined;
  }
}

function unwrap(bytes: Buffer, key: string): string | undefined {
  const h = header(bytes);
  if (!h || h.key !== key) return undefined;
  const body = bytes.subarray(h.at);
  if (body.length !== h.bytes || digest(body) !== h.sha256) return undefined;
  return body.toString('utf8');
}
