/**
 * A scratch copy of the files the QEMU reader reads from a real tree, for tests that edit a real
 * release (a downstream's machine types, a damaged file) without touching the shared cache.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QEMU_X86_FILES } from '../../src/parse/qemu-x86/files.js';

export class QemuTreeCopy {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'cmg-qemu-tree-'));

  constructor(source: string) {
    for (const file of Object.values(QEMU_X86_FILES)) {
      const from = path.join(source, file);
      if (!existsSync(from)) continue;
      mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
      copyFileSync(from, path.join(this.dir, file));
    }
  }

  read(file: string): string {
    return readFileSync(path.join(this.dir, file), 'utf8');
  }

  write(file: string, text: string): void {
    writeFileSync(path.join(this.dir, file), text);
  }

  /** Replaces `from` (which must occur) in `file`. */
  edit(file: string, from: string | RegExp, to: string): void {
    const text = this.read(file);
    const next = text.replace(from, to);
    if (next === text) throw new Error(`${file}: ${String(from)} not found`);
    this.write(file, next);
  }

  /** 1-based line of the first line containing `needle`. */
  lineOf(file: string, needle: string): number {
    const k = this.read(file)
      .split('\n')
      .findIndex((l) => l.includes(needle));
    if (k < 0) throw new Error(`${file}: ${needle} not found`);
    return k + 1;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
