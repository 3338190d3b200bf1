/**
 * A {@link QemuBinary} as one executable file, the form `verify --base-binary` takes: a bash
 * script that sets the binary's environment, adds its firmware directories and any extra
 * arguments (`-global Haswell-x86_64-cpu.avx512f=on`), and execs it (so that stopping the
 * script's process stops QEMU). For a chroot, files named on the command line (the guest's
 * `-bios` image) are copied into the chroot first, under a name made of their content's hash.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { QemuBinary, QemuBinarySpec } from '../../src/source/qemu-binary.js';

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export async function qemuWrapper(
  spec: QemuBinarySpec,
  file: string,
  extraArgs: string[] = [],
): Promise<string> {
  const b: QemuBinary = typeof spec === 'string' ? { path: spec } : spec;
  const lines = ['#!/usr/bin/env bash', 'set -euo pipefail'];
  for (const [k, v] of Object.entries(b.env ?? {})) lines.push(`export ${k}=${quote(v)}`);
  const fixed = [...(b.dataDirs ?? []).flatMap((d) => ['-L', d]), ...extraArgs].map(quote).join(' ');
  const chroot = b.prefix?.[0] === 'chroot' ? b.prefix[1] : undefined;
  if (b.prefix && !chroot)
    throw new Error(`qemuWrapper knows chroot prefixes only, not ${b.prefix.join(' ')}`);
  if (chroot) {
    lines.push(
      `root=${quote(chroot)}`,
      'args=()',
      'for a in "$@"; do',
      '  if [[ $a == /* && -f $a && $a != "$root"/* ]]; then',
      '    name=/tmp/cpu-model-guard-files/$(sha256sum -- "$a" | cut -c1-16)-$(basename -- "$a")',
      '    if [[ ! -f $root$name ]]; then mkdir -p -- "$root/tmp/cpu-model-guard-files"; cp -- "$a" "$root$name.$$"; mv -- "$root$name.$$" "$root$name"; fi',
      '    a=$name',
      '  fi',
      '  args+=("$a")',
      'done',
      `exec chroot "$root" ${quote(b.path)} ${fixed} "\${args[@]}"`,
    );
  } else {
    lines.push(`exec ${quote(b.path)} ${fixed} "$@"`);
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, lines.join('\n') + '\n', { mode: 0o755 });
  return file;
}
