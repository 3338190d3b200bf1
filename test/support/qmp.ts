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
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { repoRoot } from './debian-source.js';

export type QmpValue = boolean | number | string;
/** A property bag exactly as QEMU reports it: every spelling of a feature (`sse4.1`, `sse4-1`, `sse4_1`). */
export type QmpProps = Record<string, QmpValue>;

export interface QmpCpuDefinition {
  name: string;
  /** The versioned model an unversioned name or alias resolves to on this machine type (QEMU 4.1+). */
  aliasOf?: string;
  deprecated: boolean;
}

/** How to start a QEMU binary. A plain string is a command on the PATH or a path. */
export interface QemuBinary {
  /** The executable, as the process running it sees it (inside the chroot, for a chroot). */
  path: string;
  /** A command the binary runs under, e.g. `['chroot', '/srv/trixie']`. */
  prefix?: string[];
  /** Firmware directories, each passed as `-L`, searched before the binary's own. */
  dataDirs?: string[];
  /** Environment added to the process's (QEMU_MODULE_DIR, LD_LIBRARY_PATH for an unpacked binary). */
  env?: Record<string, string>;
}

export type QemuBinarySpec = string | QemuBinary;

function toBinary(spec: QemuBinarySpec): QemuBinary {
  return typeof spec === 'string' ? { path: spec } : spec;
}

/** The command line that starts `binary` with `args`, as program and arguments. */
export function qemuCommand(spec: QemuBinarySpec, args: string[]): [string, string[]] {
  const b = toBinary(spec);
  const all = [...(b.prefix ?? []), b.path, ...(b.dataDirs ?? []).flatMap((d) => ['-L', d]), ...args];
  return [all[0], all.slice(1)];
}

function describeSpec(spec: QemuBinarySpec): string {
  const b = toBinary(spec);
  return [...(b.prefix ?? []), b.path].join(' ');
}

export interface QmpDump {
  qemu: { binary: string; version: string; package: string; accel: string };
  /**
   * The dumped machine types: by default every pc-q35-* and pc-i440fx-* that `query-machines`
   * lists (bugfix ones such as pc-q35-4.0.1 included), oldest first within each family.
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
  /** Which machine types to dump; default: every pc-q35-* and pc-i440fx-*. */
  machineFilter?: (machineType: string) => boolean;
  /** QEMU processes at a time; default: 2 (or 1 on a single CPU). */
  concurrency?: number;
  /** Where the cache lives; default <repo>/.tmp/qmp. `null` turns the cache off. */
  cacheDir?: string | null;
}

export class QmpError extends Error {
  override readonly name = 'QmpError';
}

interface QmpReply {
  return?: unknown;
  error?: { class: string; desc: string };
  id?: number;
  event?: string;
  QMP?: { version: { package: string } };
}

/** One QEMU process driven through its QMP monitor on stdin/stdout. */
export class QmpSession {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private buffered = '';
  private stderr = '';
  private exited = false;
  /** Why the session cannot answer any more: every later request gets this error. */
  private failure?: Error;
  private readonly greeting: Promise<QmpReply>;
  private resolveGreeting!: (reply: QmpReply) => void;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly description: string,
  ) {
    this.greeting = new Promise((resolve) => (this.resolveGreeting = resolve));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    child.on('error', (error) => {
      // A binary that cannot be started emits 'error' and never 'exit'.
      this.exited = true;
      this.fail(new QmpError(`${description}: ${error.message}`));
    });
    // 'close', not 'exit': by then QEMU's stderr has been read, and its message can be quoted.
    child.on('close', (code, signal) => {
      this.exited = true;
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      this.fail(new QmpError(`${description} ended (${why}) before answering${this.stderrNote()}`));
    });
  }

  /** Starts QEMU paused, with no devices, on `machineType`, and negotiates QMP capabilities. */
  static async start(binary: QemuBinarySpec, machineType: string, accel: string): Promise<QmpSession> {
    const [program, args] = qemuCommand(binary, [
      '-machine',
      machineType,
      '-accel',
      accel,
      '-S',
      '-nodefaults',
      '-display',
      'none',
      '-qmp',
      'stdio',
    ]);
    const env = toBinary(binary).env;
    const child = spawn(program, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    const session = new QmpSession(child, `${describeSpec(binary)} -machine ${machineType}`);
    await session.greeting;
    await session.execute('qmp_capabilities');
    return session;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.exited) return Promise.reject(new QmpError(`${this.description} has ended${this.stderrNote()}`));
    const id = this.nextId++;
    const request = JSON.stringify(
      args ? { execute: command, arguments: args, id } : { execute: command, id },
    );
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.stdin.write(request + '\n');
    });
  }

  /** Asks QEMU to quit and waits for the process to end. */
  async close(): Promise<void> {
    if (this.exited) return;
    const ended = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    // quit's own reply may race with the process ending: the exit is what counts.
    this.execute('quit').catch(() => undefined);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await ended;
    clearTimeout(timer);
  }

  private onData(chunk: string): void {
    this.buffered += chunk;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline).trim();
      this.buffered = this.buffered.slice(newline + 1);
      if (line) this.onMessage(line);
    }
  }

  private onMessage(line: string): void {
    let reply: QmpReply;
    try {
      reply = JSON.parse(line) as QmpReply;
    } catch {
      this.fail(new QmpError(`${this.description} wrote something that is not QMP: ${line.slice(0, 200)}`));
      return;
    }
    if (reply.QMP) {
      this.resolveGreeting(reply);
      return;
    }
    if (reply.event !== undefined || reply.id === undefined) return;
    const pending = this.waiting.get(reply.id);
    if (!pending) return;
    this.waiting.delete(reply.id);
    if (reply.error) pending.reject(new QmpError(`${reply.error.class}: ${reply.error.desc}`));
    else pending.resolve(reply.return);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.resolveGreeting({});
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }

  private stderrNote(): string {
    const text = this.stderr.trim();
    return text ? `:\n${text}` : '';
  }
}

interface RawCpuDefinition {
  name: string;
  'alias-of'?: string;
  deprecated?: boolean;
}

interface RawMachine {
  name: string;
  alias?: string;
}

/** `pc-q35-7.2` < `pc-q35-10.0`: family first, then the version numerically. */
export function compareMachineTypes(a: string, b: string): number {
  const split = (m: string) => {
    const match = /^(.*)-(\d+)\.(\d+)(?:\.(\d+))?$/.exec(m);
    return match ? { family: match[1], v: [+match[2], +match[3], +(match[4] ?? 0)] } : { family: m, v: [] };
  };
  const x = split(a);
  const y = split(b);
  if (x.family !== y.family) return x.family < y.family ? -1 : 1;
  for (let i = 0; i < 3; i++) if ((x.v[i] ?? -1) !== (y.v[i] ?? -1)) return (x.v[i] ?? -1) - (y.v[i] ?? -1);
  return 0;
}

/** The pc-q35 and pc-i440fx families, whatever the member's name (pc-q35-4.0.1 too). */
const pcMachineType = /^pc-(q35|i440fx)-/;

async function dumpMachine(
  binary: QemuBinarySpec,
  machineType: string,
  accel: string,
): Promise<{
  definitions: QmpCpuDefinition[];
  expansions: Record<string, QmpProps>;
  errors: Record<string, string>;
}> {
  const session = await QmpSession.start(binary, machineType, accel);
  try {
    const raw = await session.execute<RawCpuDefinition[]>('query-cpu-definitions');
    const definitions = raw
      .map((d) => ({
        name: d.name,
        ...(d['alias-of'] ? { aliasOf: d['alias-of'] } : {}),
        deprecated: !!d.deprecated,
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Every expansion is sent before the first answer arrives: QEMU answers in order, and the
    // round trips, not the work, would otherwise dominate.
    const answers = await Promise.allSettled(
      definitions.map((d) =>
        session.execute<{ model: { props: QmpProps } }>('query-cpu-model-expansion', {
          type: 'full',
          model: { name: d.name },
        }),
      ),
    );
    const expansions: Record<string, QmpProps> = {};
    const errors: Record<string, string> = {};
    answers.forEach((answer, i) => {
      const name = definitions[i].name;
      if (answer.status === 'fulfilled') expansions[name] = answer.value.model.props;
      else errors[name] = (answer.reason as Error).message;
    });
    return { definitions, expansions, errors };
  } finally {
    await session.close();
  }
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
