/**
 * Where catalog files come from: a working tree or a git revision. The engine reads through
 * this interface only; the adapters in this folder are the only code that touches the
 * filesystem or git.
 */
export interface CatalogSource {
  /** Says which snapshot this is, for messages (`HEAD~1 (3f2a9c1)`, `/src/qemu`). */
  readonly label: string;
  /** Text of a file relative to the catalog root, or `undefined` when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /**
   * What identifies a file's content without reading it (a git blob id), or `undefined` when
   * the file does not exist. Sources that cannot tell (a working tree) leave it out, and what
   * is read from them is never cached.
   */
  contentId?(path: string): Promise<string | undefined>;
  /** Files directly inside a folder relative to the catalog root (for multi-file catalogs). */
  listFiles(dir: string): Promise<string[]>;
}

/** The same source seen from a folder inside it: catalog readers work relative to their root. */
export function subdirSource(source: CatalogSource, dir: string): CatalogSource {
  const prefix = dir
    .replace(/\\/g, '/')
    .replace(/^\.\/?/, '')
    .replace(/\/+$/, '');
  if (!prefix) return source;
  return {
    label: `${source.label}/${prefix}`,
    readFile: (p) => source.readFile(`${prefix}/${p}`),
    ...(source.contentId ? { contentId: (p: string) => source.contentId!(`${prefix}/${p}`) } : {}),
    listFiles: (d) => source.listFiles(d === '.' || d === '' ? prefix : `${prefix}/${d}`),
  };
}
