/**
 * Edits of QEMU's real x86 catalog (7.2, Debian bookworm) that tests make again and again:
 * a repository holding the catalog files, a feature added to Haswell's definition, a new
 * Haswell version, a model removed. Each edit fails loudly when its anchor is not found.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { QEMU_X86_FILES } from '../../src/parse/qemu-x86/files.js';
import { debianSource } from './debian-source.js';
import { TempRepo } from './git-repo.js';

/** A git repository with QEMU 7.2's catalog files under `dir` (not yet committed). */
export async function repoWithQemuCatalog(dir = '.'): Promise<TempRepo> {
  const qemu = await debianSource('qemu', 'bookworm');
  const repo = new TempRepo();
  repo.copyFrom(
    qemu,
    Object.values(QEMU_X86_FILES).filter((f) => existsSync(path.join(qemu, f))),
    dir,
  );
  return repo;
}

/** AVX-512F added to the definition of Haswell, on a line of its own. */
export function addAvx512fToHaswell(repo: TempRepo, cpuC: string): void {
  repo.edit(
    cpuC,
    /(\.name = "Haswell",[\s\S]*?CPUID_7_0_EBX_FSGSBASE \| CPUID_7_0_EBX_BMI1 \|)/,
    '$1\n            CPUID_7_0_EBX_AVX512F |',
  );
}

const HASWELL_V4_END =
  '                      "Intel Core Processor (Haswell, no TSX, IBRS)" },\n                    { /* end of list */ }\n                }\n            },\n';

/** A Haswell-v5 after v4 with the given `{ "prop", "value" }` pairs (and an alias). */
export function addHaswellVersion5(
  repo: TempRepo,
  cpuC: string,
  props: [string, string][],
  alias?: string,
): void {
  repo.edit(
    cpuC,
    HASWELL_V4_END,
    HASWELL_V4_END +
      '            {\n                .version = 5,\n' +
      (alias ? `                .alias = "${alias}",\n` : '') +
      '                .props = (PropValue[]) {\n' +
      props.map(([p, v]) => `                    { "${p}", "${v}" },\n`).join('') +
      '                    { /* end of list */ }\n                }\n            },\n',
  );
}

/** A whole model definition removed from builtin_x86_defs. */
export function removeModel(repo: TempRepo, cpuC: string, name: string): void {
  const text = repo.read(cpuC);
  const start = text.indexOf(`    {\n        .name = "${name}",`);
  const end = text.indexOf('    {\n', start + 10);
  if (start < 0 || end < 0) throw new Error(`model ${name} not found in ${cpuC}`);
  repo.write(cpuC, text.slice(0, start) + text.slice(end));
}
