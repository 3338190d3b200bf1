import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { CatalogSource } from './catalog-source.js';
import { asFileError } from './report-file.js';
import { catalogText } from './text.js';

/** A catalog in a working tree. Paths may not leave the root. */
export function fsSource(root: string): CatalogSource {
  const absRoot = path.resolve(root);
  const inside = (rel: string): string => {
    const abs = path.resolve(absRoot, rel);
    const fromRoot = path.relative(absRoot, abs);
    if (fromRoot === '..' || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot)) {
      throw new InputError(`path ${rel} leaves the catalog root ${absRoot}`);
    }
    return abs;
  };
  const displayPath = (rel: string): string => path.join(root, rel);
  return {
    label: absRoot,
    async readFile(rel) {
      try {
        const bytes = await readFile(inside(rel));
        return catalogText(bytes, displayPath(rel));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        if ((err as NodeJS.ErrnoException).code === 'ENOTDIR' && (await isFile(absRoot)))
          throw new InputError('a file, expected the folder of a catalog', { path: root });
        throw asFileError(err, displayPath(rel));
      }
    },
    async listFiles(dir) {
      const abs = inside(dir);
      let entries: string[];
      try {
        entries = await readdir(abs);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw asFileError(err, displayPath(dir));
      }
      const files: string[] = [];
      for (const name of entries.sort()) {
        // A dangling or looping link is part of the catalog that cannot be read: an error,
        // never a smaller catalog.
        const entry = await stat(path.join(abs, name)).catch((err: unknown) => {
          throw asFileError(err, displayPath(path.join(dir, name)));
        });
        if (entry.isFile()) files.push(name);
      }
      return files;
    },
  };
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}
