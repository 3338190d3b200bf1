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
  /** Files directly inside a folder relative to the catalog root (for multi-file catalogs). */
  listFiles(dir: string): Promise<string[]>;
}
