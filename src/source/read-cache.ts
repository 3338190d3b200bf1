import type { CatalogSource } from './catalog-source.js';

/**
 * Whether reads may be answered from what an earlier read of the same content produced.
 * `CPU_MODEL_GUARD_NO_CACHE=1` reads everything from scratch: the caches never change a
 * result, and this is how that is checked.
 */
export const readCaching = (): boolean => !process.env['CPU_MODEL_GUARD_NO_CACHE'];

interface Entry<T> {
  /** Every file the read asked for, with its content id (`undefined`: it did not exist). */
  files: Map<string, string | undefined>;
  /** Every folder it listed, with what it found there. */
  folders: Map<string, string>;
  value: T;
}

/**
 * Results of reading a catalog, keyed by the content ids of every file the reader asked for
 * and the listing of every folder it looked into. A reader is a function of what it reads, so
 * a source that gives the same ids for those paths gets the same result: a file unchanged
 * between commits is not parsed again, and a release revision equal to base costs nothing.
 * Sources without content ids (a working tree) are always read.
 */
export class ReadCache<T> {
  private readonly entries = new Map<string, Entry<T>[]>();

  /** `size` results are kept per key: a range audit needs a commit and its parent. */
  constructor(private readonly size = 2) {}

  async get(key: string, source: CatalogSource, read: (source: CatalogSource) => Promise<T>): Promise<T> {
    const contentId = source.contentId?.bind(source);
    if (!contentId || !readCaching()) return read(source);
    const kept = this.entries.get(key) ?? [];
    for (const entry of kept) {
      if (await matches(entry, source, contentId)) {
        // Most recently used last: the first is the one to forget.
        kept.splice(kept.indexOf(entry), 1);
        kept.push(entry);
        return entry.value;
      }
    }
    const files = new Map<string, string | undefined>();
    const folders = new Map<string, string>();
    const recording: CatalogSource = {
      label: source.label,
      readFile: async (p) => {
        const [id, text] = await Promise.all([contentId(p), source.readFile(p)]);
        files.set(p, id);
        return text;
      },
      contentId: async (p) => {
        const id = await contentId(p);
        files.set(p, id);
        return id;
      },
      listFiles: async (d) => {
        const names = await source.listFiles(d);
        folders.set(d, names.join('\0'));
        return names;
      },
    };
    const value = await read(recording);
    kept.push({ files, folders, value });
    if (kept.length > this.size) kept.shift();
    this.entries.set(key, kept);
    return value;
  }
}

async function matches<T>(
  entry: Entry<T>,
  source: CatalogSource,
  contentId: (path: string) => Promise<string | undefined>,
): Promise<boolean> {
  for (const [p, id] of entry.files) if ((await contentId(p)) !== id) return false;
  for (const [d, names] of entry.folders) if ((await source.listFiles(d)).join('\0') !== names) return false;
  return true;
}
