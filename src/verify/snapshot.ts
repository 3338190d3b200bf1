/**
 * What one QEMU binary gives guests, as `verify` measures it: the CPU definitions and full
 * expansion of every selected model on every selected machine type, and the CPUID answers of
 * the firmware guest for each (machine type, model) both binaries have.
 */
import type { CpuidRecord } from './cpuid-firmware.js';

export type MeasuredValue = boolean | number | string;

export interface BinarySnapshot {
  /** The binary as given (a path or a wrapper script). */
  binary: string;
  /** First line of its `--version`. */
  version: string;
  accel: string;
  /** The selected machine types it registers, oldest first within each family. */
  machineTypes: string[];
  /** Every machine type it registers, selected or not. */
  listedMachineTypes: string[];
  /** Per machine type: model name -> the versioned model it resolves to (absent for none). */
  aliasOf: Record<string, Record<string, string | undefined>>;
  /** Per machine type: model name -> its `query-cpu-model-expansion type=full` properties. */
  expansions: Record<string, Record<string, Record<string, MeasuredValue>>>;
  /** Per machine type: model name -> why QEMU refused to expand it. */
  expansionErrors: Record<string, Record<string, string>>;
  /**
   * Per machine type: model name -> the CPUID records its guest read (machine types whose
   * expansion of the model agrees share one guest run, and one array).
   */
  cpuid: Record<string, Record<string, CpuidRecord[]>>;
  /** Per machine type: model name -> features QEMU said the accelerator cannot give (TCG warnings). */
  unavailable: Record<string, Record<string, string[]>>;
  /** The CPUID feature names the binary knows (`-cpu help`): the properties a host must provide. */
  features: string[];
  /** Guest runs made for this binary. */
  guestRuns: number;
}

/** `pc-q35-7.2` < `pc-q35-10.0`: family first, then the version numerically. */
export function compareMachineTypes(a: string, b: string): number {
  const split = (m: string) => {
    const match = /^(.*)-(\d+)\.(\d+)(?:\.(\d+))?$/.exec(m);
    return match
      ? { family: match[1]!, v: [+match[2]!, +match[3]!, +(match[4] ?? 0)] }
      : { family: m, v: [] };
  };
  const x = split(a);
  const y = split(b);
  if (x.family !== y.family) return x.family < y.family ? -1 : 1;
  for (let i = 0; i < 3; i++) if ((x.v[i] ?? -1) !== (y.v[i] ?? -1)) return (x.v[i] ?? -1) - (y.v[i] ?? -1);
  return 0;
}

/** The family of a versioned machine type (`pc-q35` of `pc-q35-7.2`); the name itself otherwise. */
export function machineTypeFamily(name: string): string {
  return /^(.*)-\d+\.\d+(?:\.\d+)?$/.exec(name)?.[1] ?? name;
}
