import type { CatalogSource } from './catalog-source.js';

/**
 * Whether reads may be answered from what an earlier read of the same content produced.
 * `CPU_MODEL_GUARD_NO_CACHE=1` reads everything from scratch: the caches never change a
 * result, and this is how that is checked.
 */
export const readCaching = (): boolean => !process.env['CPU_MODEL_GUARD_NO_CACHE'];

/**
 * Where read results outlive the run (a folder a CI job keeps): text by key. A key names
 * everything a result was read from, so an entry never stands for other content.
 */
export interface CatalogStore {
  load(key: string): Promise<string | undefined>;
  save(key: string, text: string): Promise<void>;
}

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

  async get(
    key: string,
    source: CatalogSource,
    read: (source: CatalogSource) => Promise<T>,
    store?: CatalogStore,
  ): Promise<T> {
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
    const keep = (entry: Entry<T>): T => {
      kept.push(entry);
      if (kept.length > this.size) kept.shift();
      this.entries.set(key, kept);
      return entry.value;
    };
    const stored = store ? await loadStored<T>(store, key, source, contentId) : undefined;
    if (stored) return keep(stored);
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
    const entry = { files, folders, value: await read(recording) };
    if (store) await saveStored(store, key, entry);
    return keep(entry);
  }
}

/**
 * Stored entries are found in two steps: which files and folders a read of `key` asked for
 * (its shapes: the reader asks for the same paths in most revisions), then the entry of what
 * they hold in this source.
 */
const SHAPES_KEPT = 8;

interface Shape {
  files: string[];
  folders: string[];
}

const shapesKey = (key: string): string => `shapes\0${key}`;
/** In path order: a reader's reads may finish in any order. */
const sorted = <V>(m: Map<string, V>): [string, V][] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const entryKey = (
  key: string,
  files: Map<string, string | undefined>,
  folders: Map<string, string>,
): string => `catalog\0${key}\0${JSON.stringify([sorted(files), sorted(folders)])}`;

async function loadShapes(store: CatalogStore, key: string): Promise<Shape[]> {
  const text = await store.load(shapesKey(key));
  if (text === undefined) return [];
  try {
    const shapes = JSON.parse(text) as unknown;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
    return Array.isArray(shapes)
      ? shapes.filter((s): s is Shape => strings((s as Shape)?.files) && strings((s as Shape)?.folders))
      : [];
  } catch {
    return [];
  }
}

async function loadStored<T>(
  store: CatalogStore,
  key: string,
  source: CatalogSource,
  contentId: (path: string) => Promise<string | undefined>,
): Promise<Entry<T> | undefined> {
  for (const shape of await loadShapes(store, key)) {
    const files = new Map<string, string | undefined>();
    for (const p of shape.files) files.set(p, await contentId(p));
    const folders = new Map<string, string>();
    for (const d of shape.folders) folders.set(d, (await source.listFiles(d)).join('\0'));
    const text = await store.load(entryKey(key, files, folders));
    if (text === undefined) continue;
    try {
      return { files, folders, value: decodeValue(JSON.parse(text)) as T };
    } catch {
      // Not what this build writes: read the catalog again.
    }
  }
  return undefined;
}

async function saveStored<T>(store: CatalogStore, key: string, entry: Entry<T>): Promise<void> {
  let text: string;
  try {
    text = JSON.stringify(encodeValue(entry.value));
  } catch {
    return;
  }
  await store.save(entryKey(key, entry.files, entry.folders), text);
  const shape: Shape = {
    files: sorted(entry.files).map(([p]) => p),
    folders: sorted(entry.folders).map(([d]) => d),
  };
  const same = (s: Shape): boolean =>
    s.files.join('\0') === shape.files.join('\0') && s.folders.join('\0') === shape.folders.join('\0');
  const shapes = await loadShapes(store, key);
  if (shapes.length && same(shapes[0]!)) return;
  await store.save(
    shapesKey(key),
    JSON.stringify([shape, ...shapes.filter((s) => !same(s))].slice(0, SHAPES_KEPT)),
  );
}

/**
 * JSON for what readers return: Maps, Sets, bigints, `undefined` and numbers JSON has no
 * words for are tagged, so that decoding gives back an equal value.
 */
const TAG = '\0cmg';

export function encodeValue(value: unknown): unknown {
  if (value === undefined) return { [TAG]: 'undefined' };
  if (typeof value === 'bigint') return { [TAG]: 'bigint', v: value.toString() };
  if (typeof value === 'number') {
    if (Number.isFinite(value) && !Object.is(value, -0)) return value;
    return { [TAG]: 'number', v: Object.is(value, -0) ? '-0' : String(value) };
  }
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function' || typeof value === 'symbol')
      throw new Error(`cannot store a ${typeof value}`);
    return value;
  }
  if (value instanceof Map)
    return { [TAG]: 'map', v: [...value].map(([k, v]) => [encodeValue(k), encodeValue(v)]) };
  if (value instanceof Set) return { [TAG]: 'set', v: [...value].map(encodeValue) };
  if (Array.isArray(value)) return value.map(encodeValue);
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new Error('cannot store an object of a class');
  // Objects used as dictionaries (no prototype) keep having none.
  const entries = Object.entries(value).map(([k, v]) => [k, encodeValue(v)]);
  return proto === null ? { [TAG]: 'dict', v: entries } : fromEntries(entries, Object.prototype);
}

/** An object with these own properties; `__proto__` is a key like any other. */
function fromEntries(entries: unknown[][], proto: object | null): Record<string, unknown> {
  const out = Object.create(proto) as Record<string, unknown>;
  for (const [k, v] of entries) {
    if (k === '__proto__')
      Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
    else out[k as string] = v;
  }
  return out;
}

export function decodeValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeValue);
  const o = value as Record<string, unknown>;
  switch (o[TAG]) {
    case undefined:
      break;
    case 'undefined':
      return undefined;
    case 'bigint':
      return BigInt(o.v as string);
    case 'number':
      return Number(o.v);
    case 'map':
      return new Map((o.v as [unknown, unknown][]).map(([k, v]) => [decodeValue(k), decodeValue(v)]));
    case 'set':
      return new Set((o.v as unknown[]).map(decodeValue));
    case 'dict':
      return fromEntries(
        (o.v as [string, unknown][]).map(([k, v]) => [k, decodeValue(v)]),
        null,
      );
    default:
      throw new Error(`unknown tag ${String(o[TAG])}`);
  }
  return fromEntries(
    Object.entries(o).map(([k, v]) => [k, decodeValue(v)]),
    Object.prototype,
  );
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
