import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { CatalogSource } from './catalog-source.js';

/** A catalog in a working tree. Paths may not leave the root. */
export function fsSource(root: string): CatalogSource {
  const absRoot = path.resolve(root);
  const inside = (rel: string): string => {
    const abs = path.resolve(absRoot, rel);
    if (abs !== absRoot && !abs.startsWith(absRoot + path.sep)) {
      throw new InputError(`path ${rel} leaves the catalog root ${absRoot}`);
    }
    return abs;
  };
  return {
    label: absRoot,
    async readFile(rel) {
      try {
        return await readFile(inside(rel), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        if ((err as NodeJS.ErrnoException).code === 'EISDIR') {
          throw new InputError(`${rel} is a directory, expected a file`, { path: rel });
        }
        throw err;
      }
    },
    async listFiles(dir) {
      const abs = inside(dir);
      try {
        const entries = await readdir(abs);
        const files: string[] = [];
        for (const name of entries.sort()) {
          if ((await stat(path.join(abs, name))).isFile()) files.push(name);
        }
        return files;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    },
  };
}
