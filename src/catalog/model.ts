/**
 * The catalog model: what every catalog format is read into, and what the diff and the
 * classification work on. It speaks of QEMU's notions (models, versions, aliases, machine
 * types, compat properties, accelerator defaults) in property names, never in C macros or
 * feature-word bits, so that the generic catalog format can state the same things directly.
 */

/** Where an entity was written. Lines are 1-based. */
export interface SourceLocation {
  path: string;
  line: number;
  endLine?: number;
}

/** A property value as a guest sees it: booleans for features, numbers, free text. */
export type PropValue = boolean | number | string;

export interface PropSetting {
  property: string;
  value: PropValue;
  location: SourceLocation;
}

export type Accel = 'kvm' | 'tcg' | 'none';

export interface ModelVersion {
  version: number;
  /** Another registered model name pinned to this version (`Haswell-noTSX`). */
  alias?: string;
  aliasLocation?: SourceLocation;
  note?: string;
  /** Props of this version alone; a version's effective props are v1..vN applied in order. */
  props: PropSetting[];
  location: SourceLocation;
}

export interface CpuModel {
  /** The unversioned name (`Haswell`). */
  name: string;
  location: SourceLocation;
  /** What the definition sets: fields, and every feature it turns on. Unset features are off. */
  props: PropSetting[];
  deprecation?: { note: string; location: SourceLocation };
  /** Sorted by version; a model without explicit versions has a single v1 with no props. */
  versions: ModelVersion[];
}

/**
 * One entry of a compat array. `target` is the registered model name the driver names, `*` for
 * every CPU of the catalog's architecture, or `null` when the driver is not a CPU at all.
 */
export interface CompatProperty {
  driver: string;
  target: string | null;
  property: string;
  value: string;
  location: SourceLocation;
}

export interface CompatSet {
  name: string;
  location: SourceLocation;
  entries: CompatProperty[];
}

export interface AccelDefaultChange {
  accel: Exclude<Accel, 'none'>;
  property: string;
  /** `null` removes the default altogether (QEMU's `x86_cpu_change_kvm_default(prop, NULL)`). */
  value: PropValue | null;
  location: SourceLocation;
}

/** Which version the unversioned name resolves to on a machine type. */
export type DefaultCpuVersion = 'legacy' | 'latest' | number;

export interface MachineType {
  name: string;
  /** Family whose members are ordered by version (QEMU's `m->family`: `pc_q35`, `pc_piix`). */
  family: string;
  /**
   * Orders the family, compared as a dotted version (`7.2`, `4.0.1`). The QEMU reader gives the
   * place in the family's option-function chain (`1` = oldest), never a number read from a name.
   */
  version: string;
  location: SourceLocation;
  /** Compat sets in the order they are applied: a later entry overrides an earlier one. */
  compatSets: string[];
  accelDefaultChanges: AccelDefaultChange[];
  defaultCpuVersion: DefaultCpuVersion;
  /** The line that sets `defaultCpuVersion` (QEMU's `pcmc->default_cpu_version = ...`), when one does. */
  defaultCpuVersionLocation?: SourceLocation;
  released: boolean;
  /** Other names of the machine type (`pc`, `q35`). */
  aliases: string[];
}

/** When `feature` is off, every property in `clears` is forced off. */
export interface FeatureDependency {
  feature: string;
  clears: string[];
  location: SourceLocation;
}

/**
 * A minimum that a property is raised to when any of `whenAny` is on and `enabledBy` is on
 * (QEMU's automatic CPUID level: `full-cpuid-auto-level`). Applies only when the property
 * itself was not set explicitly.
 */
export interface LevelRule {
  property: string;
  atLeast: number;
  whenAny: string[];
  enabledBy?: string;
  /** Further knobs that must be on as well (QEMU's `x-intel-pt-auto-level` under `full-cpuid-auto-level`). */
  alsoEnabledBy?: string[];
  location: SourceLocation;
}

export interface FeatureInfo {
  name: string;
  /** The group the feature belongs to (QEMU's feature word, `FEAT_7_0_EBX`). */
  word: string;
  bit?: number;
  location?: SourceLocation;
}

/**
 * How a property bears on the host. `cpu`: the host CPU must have it; `kvm`: the host kernel
 * must offer it; `none`: emulated or not a host matter. Properties not listed are judged by
 * `defaultKind`.
 */
export type HostRequirementKind = 'cpu' | 'kvm' | 'none';

export interface HostRequirementTable {
  defaultKind: HostRequirementKind;
  /** Per property, with the reason that the finding repeats. */
  properties: Record<string, { kind: HostRequirementKind; why: string }>;
  /** Properties that only count when another one is on (nested VMX features need `vmx`). */
  onlyWith?: Record<string, string>;
  /** Where the entries came from (a source file, a project override). */
  source: string;
}

export interface Catalog {
  /** Catalog format (`qemu-x86`, `catalog`, ...). */
  format: string;
  /** The project version the snapshot carries (QEMU's `VERSION`). */
  projectVersion?: string;
  models: CpuModel[];
  /** Oldest first within each family. */
  machineTypes: MachineType[];
  compatSets: Record<string, CompatSet>;
  accelDefaults: Record<Exclude<Accel, 'none'>, PropSetting[]>;
  /** Every property a CPU object has before the model is loaded (features off, knobs). */
  propertyDefaults: Record<string, PropValue>;
  /**
   * Properties that identify one CPU of a machine (topology ids, the APIC id), with where the
   * catalog says so. A machine gives each CPU its own values: they are not part of any model.
   */
  instanceProperties?: Record<string, SourceLocation>;
  /** Where a property default is written, where the catalog says. */
  propertyDefaultLocations?: Record<string, SourceLocation>;
  /** Props every model gets after its definition (QEMU sets `hypervisor`). */
  alwaysOn: PropSetting[];
  features: FeatureInfo[];
  featureDependencies: FeatureDependency[];
  levelRules: LevelRule[];
  /**
   * Properties that set another one's minimum rather than its value (QEMU's `min-level` for
   * `level`): the automatic level may still raise it.
   */
  minimumOf?: Record<string, string>;
  /** Features an accelerator forces off whatever the model says (KVM's own features under TCG). */
  accelClears: Partial<Record<Accel, string[]>>;
  hostRequirements: HostRequirementTable;
  /** Files read, relative to the catalog root. */
  files: string[];
  /** What the reader wants a person to know (machine types defined but not registered, ...). */
  notes: string[];
}

/** A registered model name and what it stands for. */
export interface RegisteredName {
  name: string;
  model: CpuModel;
  kind: 'unversioned' | 'versioned' | 'alias';
  /** For versioned names and aliases: the pinned version. Unversioned names resolve per machine type. */
  version?: number;
  location: SourceLocation;
}

/** What a guest sees for one model name on one machine type under one accelerator. */
export type EffectiveModel = Record<string, PropValue>;
