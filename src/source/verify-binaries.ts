/**
 * `verify`: measures two QEMU binaries (machine types, models, expansions, and the CPUID a
 * guest reads through the project's firmware) and reports what the upgrade from one to the
 * other changes, with the rule's classes.
 *
 * Cost: one QEMU process per binary for `query-machines`, one per selected machine type for the
 * definitions and expansions, and one short guest per (model, group of machine types whose
 * expansion of the model agrees) for the models and machine types both binaries have. Guests
 * run in parallel, as many as there are CPUs.
 */
import { access, constants } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { compareBinaries } from '../classify/binaries.js';
import { matchesAny } from '../config/config.js';
import { finish, withFingerprints, type EngineOptions } from '../engine.js';
import { UsageError } from '../errors.js';
import type { Report } from '../report/finding.js';
import {
  cpuidFirmware,
  DEBUG_EXIT_PORT,
  DEBUGCON_PORT,
  FIRMWARE_EXIT_CODE,
  FirmwareOutputError,
  parseCpuidOutput,
  type CpuidRecord,
} from '../verify/cpuid-firmware.js';
import { compareMachineTypes, type BinarySnapshot } from '../verify/snapshot.js';
import {
  binaryVersion,
  cpuFeatureNames,
  DEFAULT_QEMU_TIMEOUT_MS,
  describeSpec,
  dumpMachineType,
  QemuBinaryError,
  queryMachines,
  runFirmwareGuest,
  type QemuBinarySpec,
} from './qemu-binary.js';

/** Models that follow the host or QEMU's newest features by design and promise nothing. */
export const UNCOMPARED_MODELS: ReadonlySet<string> = new Set(['host', 'max', 'base']);

/** By default the versioned PC machine types: pc-q35-*, pc-i440fx-* and pc-1.x. */
export const DEFAULT_MACHINE_GLOBS = ['pc-*'];

export interface VerifyOptions extends EngineOptions {
  base: QemuBinarySpec;
  head: QemuBinarySpec;
  /** Globs of machine type names (default {@link DEFAULT_MACHINE_GLOBS}). */
  machines?: string[];
  /** Globs of model names (default every model but host, max and base). */
  models?: string[];
  accel?: 'tcg' | 'kvm';
  /** Bound of every wait on a QEMU process, in milliseconds. */
  timeoutMs?: number;
  /** Guests at a time (default: the number of CPUs). */
  concurrency?: number;
  /** Where guest firmware images are written (default the system's temporary folder). */
  workDir?: string;
  /** Told as each QEMU process of the run starts and ends, for progress on long runs. */
  onProgress?: (step: VerifyStep) => void;
}

/**
 * Where a run stands: the machine types dumped (both binaries together) or the CPUID guests
 * started and finished, of how many.
 */
export interface VerifyStep {
  phase: 'machine-types' | 'guests';
  started: number;
  finished: number;
  total: number;
}

/** Counts one phase's processes and tells each start and end. */
function phaseCounter(
  phase: VerifyStep['phase'],
  total: number,
  onProgress: VerifyOptions['onProgress'],
): <T>(job: () => Promise<T>) => () => Promise<T> {
  const step: VerifyStep = { phase, started: 0, finished: 0, total };
  return (job) => async () => {
    step.started++;
    onProgress?.({ ...step });
    const result = await job();
    step.finished++;
    onProgress?.({ ...step });
    return result;
  };
}

async function checkAccel(accel: string): Promise<void> {
  if (accel !== 'kvm') return;
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    throw new UsageError(
      '--accel kvm needs /dev/kvm, which this machine does not offer (or not to this user)',
      undefined,
      'run with --accel tcg',
    );
  }
}

/** Runs `jobs` with at most `limit` at a time; the first failure stops the rest from starting. */
async function inParallel<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < jobs.length) {
      const i = next++;
      try {
        results[i] = await jobs[i]!();
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  return results;
}

interface Measured {
  snapshot: BinarySnapshot;
  spec: QemuBinarySpec;
}

/** What `query-machines` lists, the selection, and the version: before any dump. */
async function listRegistrations(
  spec: QemuBinarySpec,
  options: VerifyOptions,
  accel: string,
): Promise<BinarySnapshot> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_QEMU_TIMEOUT_MS;
  const version = await binaryVersion(spec, timeoutMs);
  const features = await cpuFeatureNames(spec, timeoutMs);
  const listed = (await queryMachines(spec, accel, timeoutMs)).map((m) => m.name).sort(compareMachineTypes);
  const machineGlobs = options.machines?.length ? options.machines : DEFAULT_MACHINE_GLOBS;
  const machineTypes = listed.filter((m) => matchesAny(m, machineGlobs));
  return {
    binary: describeSpec(spec),
    version,
    accel,
    machineTypes,
    listedMachineTypes: listed,
    aliasOf: {},
    expansions: {},
    expansionErrors: {},
    cpuid: {},
    unavailable: {},
    features,
    guestRuns: 0,
  };
}

/** The definitions and expansions of every selected machine type. */
async function measureRegistrations(
  spec: QemuBinarySpec,
  snapshot: BinarySnapshot,
  options: VerifyOptions,
  counted: ReturnType<typeof phaseCounter>,
): Promise<Measured> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_QEMU_TIMEOUT_MS;
  const selectModel = (name: string) =>
    !UNCOMPARED_MODELS.has(name) && (!options.models?.length || matchesAny(name, options.models));
  const machineTypes = snapshot.machineTypes;
  const dumps = await inParallel(
    machineTypes.map((m) => counted(() => dumpMachineType(spec, m, snapshot.accel, selectModel, timeoutMs))),
    options.concurrency ?? availableParallelism(),
  );
  machineTypes.forEach((m, i) => {
    const d = dumps[i]!;
    snapshot.aliasOf[m] = Object.fromEntries(d.definitions.map((x) => [x.name, x.aliasOf]));
    snapshot.expansions[m] = d.expansions;
    if (Object.keys(d.expansionErrors).length) snapshot.expansionErrors[m] = d.expansionErrors;
  });
  return { snapshot, spec };
}

/** `TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]` -> `pcid (CPUID.01H:ECX bit 17)`. */
function unavailableFeatures(stderr: string): string[] {
  return [
    ...stderr.matchAll(/requested feature: (CPUID\.[^:\s]+:[A-Z]+|MSR\([^)]*\))\.(\S+) \[bit (\d+)\]/g),
  ].map((m) => `${m[2]} (${m[1]} bit ${m[3]})`);
}

/**
 * The CPUID guest of every (machine type, model) in `pairs`, once per group of machine types
 * whose expansion of the model agrees.
 */
function guestJobs(
  measured: Measured,
  pairs: Map<string, string[]>,
  options: VerifyOptions,
  firmware: Uint8Array,
): (() => Promise<void>)[] {
  const s = measured.snapshot;
  const jobs: (() => Promise<void>)[] = [];
  const byModel = new Map<string, Map<string, string[]>>();
  for (const [model, machineTypes] of pairs) {
    const groups = new Map<string, string[]>();
    for (const m of machineTypes) {
      const key = JSON.stringify(
        Object.entries(s.expansions[m]![model]!).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
      groups.set(key, [...(groups.get(key) ?? []), m]);
    }
    byModel.set(model, groups);
  }
  for (const [model, groups] of byModel) {
    for (const machineTypes of groups.values()) {
      jobs.push(async () => {
        const run = await runFirmwareGuest({
          binary: measured.spec,
          machineType: machineTypes[0]!,
          model,
          accel: s.accel,
          firmware,
          debugconPort: DEBUGCON_PORT,
          debugExitPort: DEBUG_EXIT_PORT,
          exitCode: FIRMWARE_EXIT_CODE,
          timeoutMs: options.timeoutMs,
          workDir: options.workDir,
        });
        let records: CpuidRecord[];
        try {
          records = parseCpuidOutput(run.output);
        } catch (error) {
          if (error instanceof FirmwareOutputError)
            throw new QemuBinaryError(
              `${s.binary} -machine ${machineTypes[0]} -cpu ${model}: ${error.message}`,
            );
          throw error;
        }
        const unavailable = unavailableFeatures(run.stderr);
        s.guestRuns++;
        for (const m of machineTypes) {
          (s.cpuid[m] ??= {})[model] = records;
          if (unavailable.length) (s.unavailable[m] ??= {})[model] = unavailable;
        }
      });
    }
  }
  return jobs;
}

export interface VerifyResult {
  report: Report;
  base: BinarySnapshot;
  head: BinarySnapshot;
  /** Wall time of each phase, in milliseconds. */
  timings: { registrations: number; guests: number; compare: number };
}

export async function verifyBinaries(options: VerifyOptions): Promise<VerifyResult> {
  const accel = options.accel ?? 'tcg';
  await checkAccel(accel);
  const t0 = performance.now();
  const listed = await Promise.all([
    listRegistrations(options.base, options, accel),
    listRegistrations(options.head, options, accel),
  ]);
  const dumped = phaseCounter(
    'machine-types',
    listed[0].machineTypes.length + listed[1].machineTypes.length,
    options.onProgress,
  );
  const [base, head] = await Promise.all([
    measureRegistrations(options.base, listed[0], options, dumped),
    measureRegistrations(options.head, listed[1], options, dumped),
  ]);
  const t1 = performance.now();
  for (const m of [base, head])
    if (m.snapshot.machineTypes.length === 0)
      throw new UsageError(
        `${m.snapshot.binary} registers no machine type that ${(options.machines?.length ? options.machines : DEFAULT_MACHINE_GLOBS).join(', ')} selects`,
        undefined,
        `it registers: ${m.snapshot.listedMachineTypes.join(', ')}`,
      );

  // CPUID only where both binaries have the pair: nothing else is compared.
  const pairs = new Map<string, string[]>();
  const inBase = new Set(base.snapshot.machineTypes);
  for (const m of head.snapshot.machineTypes) {
    if (!inBase.has(m)) continue;
    for (const model of Object.keys(head.snapshot.expansions[m] ?? {}))
      if (base.snapshot.expansions[m]?.[model]) pairs.set(model, [...(pairs.get(model) ?? []), m]);
  }
  const firmware = cpuidFirmware();
  const guests = [...guestJobs(base, pairs, options, firmware), ...guestJobs(head, pairs, options, firmware)];
  const counted = phaseCounter('guests', guests.length, options.onProgress);
  await inParallel(guests.map(counted), options.concurrency ?? availableParallelism());
  const t2 = performance.now();

  const comparison = compareBinaries(base.snapshot, head.snapshot);
  const pairCount = [...pairs.values()].reduce((n, l) => n + l.length, 0);
  const notes = [
    {
      kind: 'info' as const,
      message:
        `${comparison.commonMachineTypes.length} machine type(s) and ${pairCount} (machine type, model) pair(s) compared under ${accel}; ` +
        `CPUID read by ${base.snapshot.guestRuns} + ${head.snapshot.guestRuns} guest run(s) (machine types whose expansion of a model agrees share one)`,
    },
    ...(accel === 'tcg'
      ? [
          {
            kind: 'info' as const,
            message:
              'under TCG a guest gets only the features TCG implements: CPUID differences of features TCG lacks show in the expansion, not in the guest',
          },
        ]
      : []),
    ...comparison.notes,
  ];
  const report = finish(withFingerprints(comparison.findings), options, {
    mode: 'verify',
    catalog: { format: 'qemu-binary', path: head.snapshot.binary },
    base: { ref: `${base.snapshot.binary} (${base.snapshot.version})` },
    head: { ref: `${head.snapshot.binary} (${head.snapshot.version})` },
    release: {
      explanation:
        'every machine type both binaries register counts as released: both binaries are released builds',
    },
    notes,
    machineTypes: head.snapshot.machineTypes,
  });
  const t3 = performance.now();
  return {
    report,
    base: base.snapshot,
    head: head.snapshot,
    timings: { registrations: t1 - t0, guests: t2 - t1, compare: t3 - t2 },
  };
}
