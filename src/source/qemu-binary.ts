/**
 * A QEMU binary as a source of truth: what it registers (machine types, CPU models), what it
 * expands each model to on each machine type (`query-cpu-model-expansion type=full`), and what
 * CPUID really answers a guest (the project's CPUID firmware run as `-bios`). The only place
 * `verify` starts processes.
 *
 * A binary is any command that takes QEMU's command line: the executable itself, or a wrapper
 * script that adds arguments (`-global ...`) or runs it elsewhere (a chroot). Every wait is
 * bounded: a binary that does not start, is not QEMU, or stops answering is a
 * {@link QemuBinaryError}, never a hang.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

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

export function toBinary(spec: QemuBinarySpec): QemuBinary {
  return typeof spec === 'string' ? { path: spec } : spec;
}

/** The command line that starts `binary` with `args`, as program and arguments. */
export function qemuCommand(spec: QemuBinarySpec, args: string[]): [string, string[]] {
  const b = toBinary(spec);
  const all = [...(b.prefix ?? []), b.path, ...(b.dataDirs ?? []).flatMap((d) => ['-L', d]), ...args];
  return [all[0]!, all.slice(1)];
}

export function describeSpec(spec: QemuBinarySpec): string {
  const b = toBinary(spec);
  return [...(b.prefix ?? []), b.path].join(' ');
}

function spawnQemu(spec: QemuBinarySpec, args: string[]): ChildProcessWithoutNullStreams {
  const [program, argv] = qemuCommand(spec, args);
  const env = toBinary(spec).env;
  return spawn(program, argv, {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
}

/** QMP answered a command with an error (`GenericError: ...`). */
export class QmpError extends Error {
  override readonly name: string = 'QmpError';
}

/** The binary did not start, is not QEMU, ended early or did not answer in time. */
export class QemuBinaryError extends QmpError {
  override readonly name = 'QemuBinaryError';
}

/** Default bound of every wait on a QEMU process, in milliseconds. */
export const DEFAULT_QEMU_TIMEOUT_MS = 60_000;

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
  private timer?: NodeJS.Timeout;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly description: string,
    private readonly timeoutMs: number,
  ) {
    this.greeting = new Promise((resolve) => (this.resolveGreeting = resolve));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onData(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      // A binary that cannot be started emits 'error' and never 'exit'.
      this.exited = true;
      this.fail(new QemuBinaryError(`${description}: ${error.message}`));
    });
    // 'close', not 'exit': by then QEMU's stderr has been read, and its message can be quoted.
    child.on('close', (code, signal) => {
      this.exited = true;
      clearTimeout(this.timer);
      const why = signal ? `signal ${signal}` : `exit code ${code}`;
      this.fail(new QemuBinaryError(`${description} ended (${why}) before answering${this.stderrNote()}`));
    });
  }

  /**
   * Starts QEMU paused, with no devices, on `machineType`, and negotiates QMP capabilities.
   * `timeoutMs` bounds the wait for each answer (the greeting included): a process that stays
   * silent longer is killed and the session fails.
   */
  static async start(
    binary: QemuBinarySpec,
    machineType: string,
    accel: string,
    timeoutMs = DEFAULT_QEMU_TIMEOUT_MS,
  ): Promise<QmpSession> {
    const child = spawnQemu(binary, [
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
    const session = new QmpSession(child, `${describeSpec(binary)} -machine ${machineType}`, timeoutMs);
    session.arm();
    const greeting = await session.greeting;
    if (session.failure) throw session.failure;
    if (!greeting.QMP) throw new QemuBinaryError(`${session.description}: no QMP greeting`);
    try {
      await session.execute('qmp_capabilities');
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
  }

  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.exited)
      return Promise.reject(new QemuBinaryError(`${this.description} has ended${this.stderrNote()}`));
    const id = this.nextId++;
    const request = JSON.stringify(
      args ? { execute: command, arguments: args, id } : { execute: command, id },
    );
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.arm();
      this.child.stdin.write(request + '\n');
    });
  }

  /** Asks QEMU to quit and waits (bounded) for the process to end. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    if (this.exited) return;
    const ended = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    // quit's own reply may race with the process ending: the exit is what counts.
    this.execute('quit').catch(() => undefined);
    clearTimeout(this.timer);
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), Math.min(10_000, this.timeoutMs));
    await ended;
    clearTimeout(timer);
  }

  /** (Re)starts the silence timer while anything is awaited. */
  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.fail(
        new QemuBinaryError(
          `${this.description} did not answer within ${this.timeoutMs / 1000} s${this.stderrNote()}`,
        ),
      );
      this.child.kill('SIGKILL');
    }, this.timeoutMs);
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
      this.fail(
        new QemuBinaryError(`${this.description} wrote something that is not QMP: ${line.slice(0, 200)}`),
      );
      this.child.kill('SIGKILL');
      return;
    }
    if (reply.QMP) {
      clearTimeout(this.timer);
      this.resolveGreeting(reply);
      return;
    }
    if (reply.event !== undefined || reply.id === undefined) return;
    const pending = this.waiting.get(reply.id);
    if (!pending) return;
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) clearTimeout(this.timer);
    else this.arm();
    if (reply.error) pending.reject(new QmpError(`${reply.error.class}: ${reply.error.desc}`));
    else pending.resolve(reply.return);
  }

  private fail(error: Error): void {
    clearTimeout(this.timer);
    this.failure ??= error;
    this.resolveGreeting({});
    for (const pending of this.waiting.values()) pending.reject(error);
    this.waiting.clear();
  }

  private stderrNote(): string {
    const text = this.stderr.trim();
    return text ? `:\n${text.slice(0, 2000)}` : '';
  }
}

/** A property bag exactly as QEMU reports it: every spelling of a feature (`sse4.1`, `sse4-1`, `sse4_1`). */
export type QmpProps = Record<string, boolean | number | string>;

export interface CpuDefinition {
  name: string;
  /** The versioned model an unversioned name or alias resolves to on this machine type. */
  aliasOf?: string;
  deprecated: boolean;
}

export interface MachineTypeDump {
  definitions: CpuDefinition[];
  expansions: Record<string, QmpProps>;
  /** Models QEMU refused to expand on this machine type, with its reason. */
  expansionErrors: Record<string, string>;
}

/** The machine types a binary registers and their aliases (`pc`, `q35`), from `-machine none`. */
export async function queryMachines(
  binary: QemuBinarySpec,
  accel: string,
  timeoutMs?: number,
): Promise<{ name: string; alias?: string }[]> {
  const session = await QmpSession.start(binary, 'none', accel, timeoutMs);
  try {
    const machines = await session.execute<{ name: string; alias?: string }[]>('query-machines');
    if (!Array.isArray(machines) || machines.some((m) => typeof m?.name !== 'string'))
      throw new QemuBinaryError(`${describeSpec(binary)}: query-machines answered no list of machine types`);
    return machines;
  } finally {
    await session.close();
  }
}

/** The CPU definitions on `machineType` and the full expansion of each of `models` (default: all). */
export async function dumpMachineType(
  binary: QemuBinarySpec,
  machineType: string,
  accel: string,
  select: (model: string) => boolean,
  timeoutMs?: number,
): Promise<MachineTypeDump> {
  const session = await QmpSession.start(binary, machineType, accel, timeoutMs);
  try {
    const raw =
      await session.execute<{ name: string; 'alias-of'?: string; deprecated?: boolean }[]>(
        'query-cpu-definitions',
      );
    const definitions = raw
      .filter((d) => select(d.name))
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
    const expansionErrors: Record<string, string> = {};
    answers.forEach((answer, i) => {
      const name = definitions[i]!.name;
      if (answer.status === 'fulfilled') expansions[name] = answer.value.model.props;
      else if (answer.reason instanceof QemuBinaryError) throw answer.reason;
      else expansionErrors[name] = (answer.reason as Error).message;
    });
    return { definitions, expansions, expansionErrors };
  } finally {
    await session.close();
  }
}

/** What one guest run of the CPUID firmware gave: the debugcon bytes and QEMU's warnings. */
export interface GuestRun {
  output: Uint8Array;
  /** QEMU's standard error: under TCG it names each requested feature it cannot give. */
  stderr: string;
}

/**
 * Boots `firmware` as the `-bios` of `machineType` with `-cpu model` and returns what it wrote
 * to isa-debugcon (standard output) once it left through isa-debug-exit with `exitCode`. A guest
 * that does not finish within `timeoutMs` is killed and reported.
 */
export async function runFirmwareGuest(options: {
  binary: QemuBinarySpec;
  machineType: string;
  model: string;
  accel: string;
  firmware: Uint8Array;
  debugconPort: number;
  debugExitPort: number;
  exitCode: number;
  timeoutMs?: number;
  /** Where the image is written; the binary must see this path (a wrapper may copy it). */
  workDir?: string;
}): Promise<GuestRun> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_QEMU_TIMEOUT_MS;
  const dir = await mkdtemp(path.join(options.workDir ?? os.tmpdir(), 'cpu-model-guard-guest-'));
  const image = path.join(dir, 'cpuid.bin');
  await writeFile(image, options.firmware);
  const hex = (n: number) => `0x${n.toString(16)}`;
  const args = [
    '-machine',
    options.machineType,
    '-accel',
    options.accel,
    '-cpu',
    options.model,
    '-nodefaults',
    '-display',
    'none',
    '-bios',
    image,
    '-chardev',
    'stdio,id=cpuid,signal=off',
    '-device',
    `isa-debugcon,iobase=${hex(options.debugconPort)},chardev=cpuid`,
    '-device',
    `isa-debug-exit,iobase=${hex(options.debugExitPort)},iosize=1`,
  ];
  const what = `${describeSpec(options.binary)} -machine ${options.machineType} -cpu ${options.model}`;
  try {
    const { code, signal, stdout, stderr, timedOut } = await runToExit(options.binary, args, timeoutMs, what);
    const note = stderr.trim() ? `:\n${stderr.trim().slice(0, 2000)}` : '';
    if (timedOut)
      throw new QemuBinaryError(
        `the CPUID guest of ${what} did not finish within ${timeoutMs / 1000} s and was stopped${note}`,
      );
    if (code !== options.exitCode)
      throw new QemuBinaryError(
        `the CPUID guest of ${what} ended with ${signal ? `signal ${signal}` : `exit code ${code}`}, not through isa-debug-exit (${options.exitCode})${note}`,
      );
    return { output: new Uint8Array(stdout), stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How a run of the binary ended, with everything it printed. */
interface FinishedRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** It was stopped for running past its timeout (and `signal` is SIGKILL). */
  timedOut: boolean;
}

/**
 * A run of the binary to its end (`-cpu help`, `--version`, a CPUID guest), stopped after
 * `timeoutMs`; a binary that cannot be started is an error.
 */
function runToExit(
  spec: QemuBinarySpec,
  args: string[],
  timeoutMs: number,
  what = describeSpec(spec),
): Promise<FinishedRun> {
  return new Promise((resolve, reject) => {
    const child = spawnQemu(spec, args);
    const chunks: Buffer[] = [];
    let stderr = '';
    let timedOut = false;
    child.stdin.end();
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new QemuBinaryError(`${what}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(chunks), stderr, timedOut });
    });
  });
}

/**
 * The CPUID feature names the binary knows (`-cpu help`, after "Recognized CPUID flags:"): what
 * tells a feature, which a host must provide, from a knob of QEMU's own among the properties.
 */
export async function cpuFeatureNames(
  binary: QemuBinarySpec,
  timeoutMs = DEFAULT_QEMU_TIMEOUT_MS,
): Promise<string[]> {
  const { code, signal, stdout } = await runToExit(binary, ['-cpu', 'help'], timeoutMs);
  const output = stdout.toString('utf8');
  if (code !== 0)
    throw new QemuBinaryError(
      `${describeSpec(binary)} -cpu help ended with ${signal ?? `exit code ${code}`}`,
    );
  const start = output.indexOf('Recognized CPUID flags:');
  if (start < 0)
    throw new QemuBinaryError(`${describeSpec(binary)} -cpu help lists no "Recognized CPUID flags:"`);
  const section = output.slice(start + 'Recognized CPUID flags:'.length).split(/\n\s*\n/)[0]!;
  return section.split(/\s+/).filter(Boolean);
}

/** The first line of the binary's `--version`: names it in reports. */
export async function binaryVersion(
  binary: QemuBinarySpec,
  timeoutMs = DEFAULT_QEMU_TIMEOUT_MS,
): Promise<string> {
  const { code, signal, stdout, stderr } = await runToExit(
    { ...toBinary(binary), dataDirs: [] },
    ['--version'],
    timeoutMs,
    describeSpec(binary),
  );
  const first = stdout.toString('utf8').split('\n')[0]!.trim();
  if (code === 0 && /^QEMU emulator version /.test(first)) return first;
  throw new QemuBinaryError(
    `${describeSpec(binary)} is not a QEMU binary: --version ${signal ? `ended by ${signal}` : `exited ${code}`}` +
      ` and printed ${JSON.stringify((first || stderr.trim()).slice(0, 200))}`,
  );
}
