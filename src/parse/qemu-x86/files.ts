import { CatalogError } from '../../errors.js';
import type { CatalogSource } from '../../source/catalog-source.js';
import { readFileStructure, type FileStructure } from '../c/initializer.js';
import { MacroTable, preprocess } from '../c/preprocessor.js';
import { tokenize, type Token } from '../c/tokenizer.js';

/**
 * The files of a QEMU tree that make up its x86 catalog. Headers are read for their macros
 * only; the `.c` files for their tables and functions. `optional` files moved between QEMU
 * releases: their absence is fine as long as what they hold is found elsewhere.
 */
export const QEMU_X86_FILES = {
  version: 'VERSION',
  cpuH: 'target/i386/cpu.h',
  cpuC: 'target/i386/cpu.c',
  kvmCpuC: 'target/i386/kvm/kvm-cpu.c',
  kvmC: 'target/i386/kvm/kvm.c',
  /** kvm.c before QEMU 6.0 moved it into target/i386/kvm/. */
  kvmOldC: 'target/i386/kvm.c',
  tcgCpuC: 'target/i386/tcg/tcg-cpu.c',
  pcC: 'hw/i386/pc.c',
  pcH: 'include/hw/i386/pc.h',
  machineC: 'hw/core/machine.c',
  boardsH: 'include/hw/boards.h',
  q35C: 'hw/i386/pc_q35.c',
  piixC: 'hw/i386/pc_piix.c',
  hwVersionH: 'include/qemu/hw-version.h',
  osdepH: 'include/qemu/osdep.h',
  /** QAPI's CpuInstanceProperties: what identifies one CPU of a machine. */
  machineJson: 'qapi/machine.json',
  /** x86_cpu_new(), which sets each new CPU's apic-id: hw/i386/x86.c before QEMU 9.0. */
  x86CommonC: 'hw/i386/x86-common.c',
  x86C: 'hw/i386/x86.c',
} as const;

export type QemuFileKey = keyof typeof QEMU_X86_FILES;

const REQUIRED: QemuFileKey[] = ['version', 'cpuH', 'cpuC', 'pcC', 'machineC', 'q35C', 'piixC'];

/** Limits a catalog file's size: QEMU's largest (cpu.c) is well under 1 MiB. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

export interface QemuTree {
  source: CatalogSource;
  /** Prefix for locations (the catalog path inside the repository). */
  root: string;
  text: Partial<Record<QemuFileKey, string>>;
  macros: MacroTable;
  structures: Partial<Record<QemuFileKey, FileStructure>>;
  /** Tokens of headers, kept for the few enums read from them. */
  headerTokens: Partial<Record<QemuFileKey, Token[]>>;
  path(key: QemuFileKey): string;
  files: string[];
}

/**
 * Macros that the build system or headers outside the catalog define. These are facts of the
 * x86_64 system emulator build, not of the catalog: the catalog's own macros are all read.
 */
function seedMacros(macros: MacroTable): void {
  const define = (name: string, text: string, kind: Token['kind']): void =>
    macros.define({ name, body: text ? [{ kind, text, line: 0 }] : [], path: '<build>', line: 0 });
  define('TARGET_X86_64', '1', 'number');
  define('CONFIG_KVM', '1', 'number');
  define('CONFIG_TCG', '1', 'number');
  define('CONFIG_SOFTMMU', '1', 'number');
  define('CONFIG_SYSTEM_ONLY', '1', 'number');
  define('TYPE_X86_CPU', '"x86_64-cpu"', 'string');
  define('NULL', '0', 'number');
  define('true', '1', 'number');
  define('false', '0', 'number');
  define('UINT8_MAX', '0xff', 'number');
  define('UINT16_MAX', '0xffff', 'number');
  define('UINT32_MAX', '0xffffffff', 'number');
  define('UINT64_MAX', '0xffffffffffffffff', 'number');
  define('INT32_MAX', '0x7fffffff', 'number');
}

export async function loadQemuTree(
  source: CatalogSource,
  root: string,
  skip: readonly QemuFileKey[] = [],
): Promise<QemuTree> {
  const text: QemuTree['text'] = {};
  const files: string[] = [];
  const path = (key: QemuFileKey): string =>
    root && root !== '.' ? `${root}/${QEMU_X86_FILES[key]}` : QEMU_X86_FILES[key];
  await Promise.all(
    (Object.keys(QEMU_X86_FILES) as QemuFileKey[])
      .filter((key) => !skip.includes(key))
      .map(async (key) => {
        const content = await source.readFile(QEMU_X86_FILES[key]);
        if (content === undefined) return;
        if (Buffer.byteLength(content) > MAX_FILE_BYTES) {
          throw new CatalogError(
            `file is larger than ${MAX_FILE_BYTES} bytes`,
            { path: path(key) },
            'point the catalog at a QEMU source tree',
          );
        }
        text[key] = content;
      }),
  );
  const missing = REQUIRED.filter((k) => text[k] === undefined);
  if (missing.length) {
    const first = missing[0]!;
    throw new CatalogError(
      `not a QEMU x86 catalog: ${missing.map((k) => path(k)).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing in ${source.label}`,
      { path: path(first) },
      'point --catalog qemu-x86:<dir> at the root of a QEMU source tree (the folder that holds VERSION and target/)',
    );
  }

  const macros = new MacroTable();
  seedMacros(macros);
  const structures: QemuTree['structures'] = {};
  const headerTokens: QemuTree['headerTokens'] = {};
  // Headers first, in include order, so that the .c files see their macros.
  const order: QemuFileKey[] = [
    'osdepH',
    'hwVersionH',
    'boardsH',
    'cpuH',
    'pcH',
    'cpuC',
    'kvmCpuC',
    'kvmC',
    'kvmOldC',
    'tcgCpuC',
    'machineC',
    'pcC',
    'q35C',
    'piixC',
  ];
  for (const key of order) {
    const content = text[key];
    if (content === undefined) continue;
    files.push(path(key));
    const tokens = tokenize(content, path(key));
    const pre = preprocess(tokens, path(key), macros);
    if (key.endsWith('H')) {
      headerTokens[key] = pre.tokens;
      continue;
    }
    structures[key] = readFileStructure(pre, macros);
  }
  files.push(path('version'));
  for (const key of ['machineJson', 'x86CommonC', 'x86C'] as const)
    if (text[key] !== undefined) files.push(path(key));
  return { source, root, text, macros, structures, headerTokens, path, files: files.sort() };
}
