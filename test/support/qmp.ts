/**
 * A QEMU binary as an oracle: for every pc-q35/pc-i440fx machine type, the CPU model names
 * QEMU offers and the effective model it builds for each (`query-cpu-model-expansion`, type
 * full). Tests compare the project's reading of QEMU's sources against this, and one release's
 * binary against the next.
 *
 * Any binary: the system's `qemu-system-x86_64`, or a {@link QemuBinary} that says how to run
 * another one (inside a chroot, with its own firmware and modules; test/support/qemu-binary.ts
 * installs Debian's). One QEMU process per machine type (`-S`, so no guest ever runs), all
 * requests pipelined on its QMP monitor; one or two processes at a time. The whole dump is
 * cached under .tmp/qmp/, keyed by the binary's `--version` output, so repeated test runs pay
 * for it once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  describeSpec,
  dumpMachineType,
  qemuCommand,
  QmpError,
  QmpSession,
  toBinary,
  type QemuBinary,
  type QemuBinarySpec,
} from '../../src/source/qemu-binary.js';
import { compareMachineTypes } from '../../src/verify/snapshot.js';
import { repoRoot } from './debian-source.js';

// The session and the binary description are the project's own (src/source/qemu-binary.ts):
// the oracle tests drive QEMU through the very code `verify` uses.
export { compareMachineTypes, qemuCommand, QmpError, QmpSession, type QemuBinary, type QemuBinarySpec };

export type QmpValue = boolean | number | string;
/** A property bag exactly as QEMU reports it: every spelling of a feature (`sse4.1`, `sse4-1`, `sse4_1`). */
export type QmpProps = Record<string, QmpValue>;

export interface QmpCpuDefinition {
  name: string;
  /** The versioned model an unversioned name or alias resolves to on this machine type (QEMU 4.1+). */
  aliasOf?: string;
  deprecated: boolean;
}

export interface QmpDump {
  qemu: { binary: string; version: string; package: string; accel: string };
  /**
   * The dumped machine types: by default every one of the pc-q35 and pc-i440fx families that
   * `query-machines` lists ({@link pcMachineType}: bugfix ones such as pc-q35-4.0.1, and
   * pc-1.0 to pc-1.3, included), oldest first within each family.
   */
  machineTypes: string[];
  /** Every machine type `query-machines` lists, dumped or not (isapc, microvm, none, ...). */
  listedMachineTypes: string[];
  /** Short machine names (`pc`, `q35`) and the machine type each stands for. */
  machineAliases: Record<string, string>;
  definitions: Record<string, QmpCpuDefinition[]>;
  expansions: Record<string, Record<string, QmpProps>>;
  /** Models QEMU refused to expand on a machine type, with its reason. */
  expansionErrors: Record<string, Record<string, string>>;
  /** Wall time of the dump that filled the cache, in milliseconds. */
  elapsedMs: number;
}

export interface QmpDumpOptions {
  /** Default: the system's `qemu-system-x86_64`. */
  binary?: QemuBinarySpec;
  accel?: 'tcg' | 'kvm';
  /** Which machine types to dump; default: {@link pcMachineType}. */
  machineFilter?: (machineType: string) => boolean;
  /** QEMU processes at a time; default: 2 (or 1 on a single CPU). */
  concurrency?: number;
  /** Where the cache lives; default <repo>/.tmp/qmp. `null` turns the cache off. */
  cacheDir?: string | null;
}

interface RawMachine {
  name: string;
  alias?: string;
}

/**
 * The pc-q35 and pc-i440fx families: pc-q35-*, pc-i440fx-* (pc-q35-4.0.1 too) and the i440fx
 * machine types named before the family had a name (pc-1.0 to pc-1.3, still in QEMU 5.2).
 * Not xenfv-*: i440fx too, but they run only under the Xen accelerator.
 */
export const pcMachineType = /^pc-(q35-|i440fx-|\d)/;

async function dumpMachine(
  binary: QemuBinarySpec,
  machineType: string,
  accel: string,
): Promise<{
  definitions: QmpCpuDefinition[];
  expansions: Record<string, QmpProps>;
  errors: Record<string, string>;
}> {
  // The same dump `verify` takes, of every model.
  const { definitions, expansions, expansionErrors } = await dumpMachineType(
    binary,
    machineType,
    accel,
    () => true,
  );
  return { definitions, expansions, errors: expansionErrors };
}

/** The binary's `--version` output: what the cache is keyed by. */
export function describeBinary(binary: QemuBinarySpec): Promise<string> {
  const [program, args] = qemuCommand({ ...toBinary(binary), dataDirs: [] }, ['--version']);
  const env = toBinary(binary).env;
  return new Promise((resolve, reject) =>
    execFile(program, args, env ? { env: { ...process.env, ...env } } : {}, (error, stdout) =>
      error ? reject(new QmpError(`${describeSpec(binary)}: ${error.message}`)) : resolve(stdout.trim()),
    ),
  );
}

/** The machine types of the binary (and their short aliases), read once from `-machine none`. */
export async function listMachineTypes(
  binary: QemuBinarySpec = 'qemu-system-x86_64',
  accel = 'tcg',
): Promise<{ machineTypes: string[]; machineAliases: Record<string, string> }> {
  const session = await QmpSession.start(binary, 'none', accel);
  try {
    const machines = await session.execute<RawMachine[]>('query-machines');
    const machineAliases: Record<string, string> = {};
    for (const m of machines) if (m.alias) machineAliases[m.alias] = m.name;
    return { machineTypes: machines.map((m) => m.name).sort(compareMachineTypes), machineAliases };
  } finally {
    await session.close();
  }
}

/**
 * Every CPU model definition and full expansion on every selected machine type. Served from
 * the cache when this binary (by its `--version`) has been dumped before with the same options.
 */
export async function qmpDump(options: QmpDumpOptions = {}): Promise<QmpDump> {
  const binary = options.binary ?? 'qemu-system-x86_64';
  const accel = options.accel ?? 'tcg';
  const filter = options.machineFilter ?? ((m: string) => pcMachineType.test(m));
  const cacheDir = options.cacheDir === undefined ? path.join(repoRoot, '.tmp', 'qmp') : options.cacheDir;
  const version = await describeBinary(binary);

  const { machineTypes: all, machineAliases } = await listMachineTypes(binary, accel);
  const machineTypes = all.filter(filter);
  if (machineTypes.length === 0)
    throw new QmpError(`${describeSpec(binary)} offers none of the requested machine types`);

  // The cache key covers what shapes the answer: the binary's version, the accelerator and
  // the machine list (a different filter is a different dump).
  const key = createHash('sha256')
    .update(JSON.stringify({ format: 2, version, accel, machineTypes }))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = cacheDir ? path.join(cacheDir, `${key}.json.gz`) : undefined;
  const cached = async () => {
    const data = cacheFile ? await readFile(cacheFile).catch(() => undefined) : undefined;
    return data ? (JSON.parse(gunzipSync(data).toString('utf8')) as QmpDump) : undefined;
  };
  const hit = await cached();
  if (hit) return hit;
  if (!cacheFile || !cacheDir)
    return dumpBinary(binary, accel, version, machineTypes, all, machineAliases, options);

  // Test files in other workers may ask for the same dump at once: one makes it, the others
  // wait for its cache file instead of spending the CPU again.
  await mkdir(cacheDir, { recursive: true });
  const release = await lockFile(`${cacheFile}.lock`);
  try {
    const made = await cached();
    if (made) return made;
    const dump = await dumpBinary(binary, accel, version, machineTypes, all, machineAliases, options);
    // Written aside and renamed, so a test reading the cache never sees half a file.
    const partial = `${cacheFile}.${process.pid}.tmp`;
    await writeFile(partial, gzipSync(JSON.stringify(dump)));
    await rename(partial, cacheFile);
    return dump;
  } finally {
    await release();
  }
}

/**
 * Takes `file` as a lock (created exclusively, holding this process's pid) and returns its
 * release. A lock whose process is gone is taken over.
 */
async function lockFile(file: string): Promise<() => Promise<void>> {
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await readFile(file, 'utf8').catch(() => ''));
    let alive = holder > 0;
    if (alive) {
      try {
        process.kill(holder, 0);
      } catch {
        alive = false;
      }
    }
    if (!alive) await rm(file, { force: true });
    else await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function dumpBinary(
  binary: QemuBinarySpec,
  accel: string,
  version: string,
  machineTypes: string[],
  listedMachineTypes: string[],
  machineAliases: Record<string, string>,
  options: QmpDumpOptions,
): Promise<QmpDump> {
  const started = performance.now();
  const definitions: Record<string, QmpCpuDefinition[]> = {};
  const expansions: Record<string, Record<string, QmpProps>> = {};
  const expansionErrors: Record<string, Record<string, string>> = {};
  const queue = [...machineTypes];
  const concurrency = Math.max(1, options.concurrency ?? Math.min(2, availableParallelism()));
  const worker = async () => {
    for (let machineType = queue.shift(); machineType; machineType = queue.shift()) {
      const result = await dumpMachine(binary, machineType, accel);
      definitions[machineType] = result.definitions;
      expansions[machineType] = result.expansions;
      if (Object.keys(result.errors).length > 0) expansionErrors[machineType] = result.errors;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, machineTypes.length) }, worker));
  const packageMatch = /\((.*)\)/.exec(version.split('\n')[0]);
  const pkg = packageMatch ? packageMatch[1] : '';

  return {
    qemu: { binary: describeSpec(binary), version: version.split('\n')[0], package: pkg, accel },
    machineTypes,
    listedMachineTypes,
    machineAliases,
    definitions: Object.fromEntries(machineTypes.map((m) => [m, definitions[m]])),
    expansions: Object.fromEntries(machineTypes.map((m) => [m, expansions[m]])),
    expansionErrors,
    elapsedMs: Math.round(performance.now() - started),
  };
}
