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

/** Files without which a tree is not a QEMU x86 catalog. */
export const REQUIRED_QEMU_FILES: readonly QemuFileKey[] = [
  'version',
  'cpuH',
  'cpuC',
  'pcC',
  'pcH',
  'machineC',
  'boardsH',
  'q35C',
  'piixC',
];

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
 * Macros that the build defines rather than the catalog's files. The configuration that counts
 * is Debian's qemu-system-x86 build of the x86_64 system emulator (debian/rules: the main
 * build runs configure with `--disable-xen` and the default device set, so KVM and TCG are in,
 * Xen is out, and every board Kconfig selects by default is in, `isapc` included). A `CONFIG_*`
 * symbol not listed here is unset, as it is in that build: code under it is left out, and
 * so is code under `#if 0`. CONFIG_MICROVM_DEFAULT belongs to Debian's separate microvm build.
 * QEMU_VERSION_* come from the tree's VERSION, as QEMU's build derives them.
 */
function seedMacros(macros: MacroTable, version: string): void {
  const define = (name: string, text: string, kind: Token['kind']): void =>
    macros.define({ name, body: text ? [{ kind, text, line: 0 }] : [], path: '<build>', line: 0 });
  // config-target.h and config-host.h of the x86_64-softmmu target on Linux.
  define('TARGET_X86_64', '1', 'number');
  define('CONFIG_KVM', '1', 'number');
  define('CONFIG_TCG', '1', 'number');
  define('CONFIG_SOFTMMU', '1', 'number');
  define('CONFIG_SYSTEM_ONLY', '1', 'number');
  define('CONFIG_LINUX', '1', 'number');
  define('CONFIG_POSIX', '1', 'number');
  // config-devices.h: the boards and devices the default x86_64 configuration selects.
  define('CONFIG_I440FX', '1', 'number');
  define('CONFIG_Q35', '1', 'number');
  define('CONFIG_ISAPC', '1', 'number');
  define('CONFIG_IDE_ISA', '1', 'number');
  define('CONFIG_FDC_ISA', '1', 'number');
  define('CONFIG_HPET', '1', 'number');
  define('CONFIG_VMPORT', '1', 'number');
  define('CONFIG_SGX', '1', 'number');
  const [major = '0', minor = '0', micro = '0'] = version.trim().split('.');
  define('QEMU_VERSION_MAJOR', major, 'number');
  define('QEMU_VERSION_MINOR', minor, 'number');
  define('QEMU_VERSION_MICRO', micro, 'number');
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
  const missing = REQUIRED_QEMU_FILES.filter((k) => text[k] === undefined);
  if (missing.length) {
    const first = missing[0]!;
    throw new CatalogError(
      `not a QEMU x86 catalog: ${missing.map((k) => path(k)).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing in ${source.label}`,
      { path: path(first) },
      'point --catalog qemu-x86:<dir> at the root of a QEMU source tree (the folder that holds VERSION and target/)',
    );
  }

  const macros = new MacroTable();
  seedMacros(macros, text.version!);
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
    if (!tokens.length && REQUIRED_QEMU_FILES.includes(key)) {
      throw new CatalogError(
        'the file is empty (or holds only comments)',
        { path: path(key), line: 1 },
        'point the catalog at a complete QEMU source tree',
      );
    }
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
