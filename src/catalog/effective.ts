import type {
  Accel,
  Catalog,
  CompatProperty,
  CpuModel,
  EffectiveModel,
  MachineType,
  PropValue,
  RegisteredName,
} from './model.js';

/**
 * Every model name a catalog registers: the unversioned name, `Name-vN` for every version,
 * and each version's alias. They are distinct CPU types, so compat properties naming one do
 * not reach the others.
 */
export function registeredNames(catalog: Catalog): RegisteredName[] {
  const out: RegisteredName[] = [];
  for (const model of catalog.models) {
    out.push({ name: model.name, model, kind: 'unversioned', location: model.location });
    for (const v of model.versions) {
      out.push({
        name: `${model.name}-v${v.version}`,
        model,
        kind: 'versioned',
        version: v.version,
        location: v.location,
      });
      if (v.alias)
        out.push({
          name: v.alias,
          model,
          kind: 'alias',
          version: v.version,
          location: v.aliasLocation ?? v.location,
        });
    }
  }
  return out;
}

/** Which version a name stands for on a machine type: a number, or `legacy` (no version props). */
export function resolveVersion(name: RegisteredName, machineType: MachineType): number | 'legacy' {
  if (name.version !== undefined) return name.version;
  const d = machineType.defaultCpuVersion;
  if (d === 'legacy') return 'legacy';
  const versions = name.model.versions.map((v) => v.version);
  if (d === 'latest') return Math.max(...versions);
  return d;
}

/**
 * Effective models, `E(name, machineType, accel)`, computed in QEMU's own order: definition,
 * version props, accelerator defaults, the machine type's compat properties for this CPU type,
 * the automatic CPUID level, then feature dependencies. Results are cached per catalog.
 */
export class EffectiveModels {
  private readonly names = new Map<string, RegisteredName>();
  private readonly machines = new Map<string, MachineType>();
  private readonly compatByMachine = new Map<string, CompatProperty[]>();
  private readonly compatByTarget = new Map<string, Map<string, CompatProperty[]>>();
  private readonly baseCache = new Map<string, { props: Record<string, PropValue>; explicit: Set<string> }>();
  private readonly cache = new Map<string, EffectiveModel>();
  /** Results by what they depend on; callers must not modify what `get` returns. */
  private readonly byInputs = new Map<string, EffectiveModel>();
  private readonly entryIds = new Map<CompatProperty, number>();
  private readonly entryListIds = new WeakMap<CompatProperty[], number>();
  private readonly entryListNumbers = new Map<string, number>();
  /** Alternative spellings QEMU accepts for feature properties (`sse4_1` for `sse4.1`). */
  private readonly spelling = new Map<string, string>();

  private readonly caching: boolean;
  private template?: Record<string, PropValue>;
  /** Properties of one CPU of a machine (topology ids): never part of an effective model. */
  private readonly instance: ReadonlySet<string>;

  /** `cache: false` for one pass over everything, where keeping every result costs memory. */
  constructor(
    readonly catalog: Catalog,
    options: { cache?: boolean } = {},
  ) {
    this.caching = options.cache ?? true;
    this.instance = new Set(Object.keys(catalog.instanceProperties ?? {}));
    for (const n of registeredNames(catalog)) if (!this.names.has(n.name)) this.names.set(n.name, n);
    for (const m of catalog.machineTypes) this.machines.set(m.name, m);
    for (const f of catalog.features) {
      for (const alt of [f.name.replace(/[._]/g, '-'), f.name.replace(/[.-]/g, '_')]) {
        if (alt !== f.name && !this.spelling.has(alt)) this.spelling.set(alt, f.name);
      }
    }
  }

  /** Every registered name once (a name registered twice keeps its first model). */
  registeredNames(): RegisteredName[] {
    return [...this.names.values()];
  }

  name(name: string): RegisteredName | undefined {
    return this.names.get(name);
  }

  machineType(name: string): MachineType | undefined {
    return this.machines.get(name);
  }

  canonicalProperty(property: string): string {
    return this.spelling.get(property) ?? property;
  }

  /** Whether a property identifies one CPU of a machine (a topology id) rather than the model. */
  isInstanceProperty(property: string): boolean {
    return this.instance.has(property);
  }

  /**
   * The compat entries that reach CPUs on a machine type, in the order QEMU applies them;
   * entries for per-instance properties are left out with those properties.
   */
  cpuCompatEntries(machineType: MachineType): CompatProperty[] {
    let entries = this.compatByMachine.get(machineType.name);
    if (!entries) {
      entries = [];
      for (const set of machineType.compatSets) {
        for (const e of this.catalog.compatSets[set]?.entries ?? [])
          if (e.target !== null && !this.instance.has(e.property)) entries.push(e);
      }
      this.compatByMachine.set(machineType.name, entries);
    }
    return entries;
  }

  /** The compat entries of a machine type that reach one CPU type (its own and every CPU's), in order. */
  private compatEntriesFor(machineType: MachineType, name: string): CompatProperty[] {
    let byTarget = this.compatByTarget.get(machineType.name);
    if (!byTarget) {
      byTarget = new Map();
      const all = this.cpuCompatEntries(machineType);
      const targets = new Set(all.map((e) => e.target));
      for (const t of targets)
        if (t !== '*')
          byTarget.set(
            t!,
            all.filter((e) => e.target === '*' || e.target === t),
          );
      byTarget.set(
        '*',
        all.filter((e) => e.target === '*'),
      );
      this.compatByTarget.set(machineType.name, byTarget);
    }
    return byTarget.get(name) ?? byTarget.get('*')!;
  }

  /** A compat property's string value, typed like the property it sets. */
  typedValue(property: string, raw: string): PropValue {
    const current = this.catalog.propertyDefaults[property];
    // A property the catalog does not declare is a feature when it is switched on or off.
    if (typeof current === 'boolean' || current === undefined) {
      if (['on', 'true', 'yes'].includes(raw)) return true;
      if (['off', 'false', 'no'].includes(raw)) return false;
    }
    if (typeof current === 'number' && /^-?(0x[0-9a-f]+|\d+)$/i.test(raw)) return Number(raw);
    return raw;
  }

  /** The catalog's property defaults without per-instance properties, as one fast-mode object. */
  private defaultsTemplate(): Record<string, PropValue> {
    return (this.template ??= Object.fromEntries(
      Object.entries(this.catalog.propertyDefaults).filter(([p]) => !this.instance.has(p)),
    ));
  }

  private base(
    model: CpuModel,
    version: number | 'legacy',
  ): { props: Record<string, PropValue>; explicit: Set<string> } {
    const key = `${model.name}\0${version}`;
    let cached = this.baseCache.get(key);
    if (!cached) {
      const settings: [string, PropValue][] = [];
      const explicit = new Set<string>();
      for (const p of model.props) settings.push([this.canonicalProperty(p.property), p.value]);
      for (const p of this.catalog.alwaysOn) settings.push([p.property, p.value]);
      if (version !== 'legacy') {
        for (const v of model.versions) {
          if (v.version > version) break;
          for (const p of v.props) {
            const prop = this.canonicalProperty(p.property);
            settings.push([prop, p.value]);
            explicit.add(prop);
          }
        }
      }
      // Every effective model is a copy of its base, and copying (or serializing) an object V8
      // keeps as a hash table costs many times a fast-mode one: an object loses fast mode when a
      // property is deleted or when it grows past a few hundred properties one at a time. A copy
      // of the defaults with values changed stays fast; a property the defaults lack is added
      // through a Map, made an object at once.
      const template = this.defaultsTemplate();
      let props: Record<string, PropValue>;
      if (settings.every(([p]) => Object.hasOwn(template, p))) {
        props = { ...template };
        for (const [p, v] of settings) props[p] = v;
      } else {
        const all = new Map(Object.entries(template));
        for (const [p, v] of settings) all.set(p, v);
        props = Object.fromEntries(all);
      }
      cached = { props, explicit };
      this.baseCache.set(key, cached);
    }
    return cached;
  }

  /**
   * What `query-cpu-definitions` reports as `alias-of`: the versioned name an unversioned name
   * or an alias stands for. Machine types that resolve to the legacy definitions report none,
   * so that old machine types keep presenting the names they always did.
   */
  aliasOf(name: string, machineTypeName: string): string | undefined {
    const registered = this.names.get(name);
    const machineType = this.machines.get(machineTypeName);
    if (
      !registered ||
      !machineType ||
      registered.kind === 'versioned' ||
      machineType.defaultCpuVersion === 'legacy'
    )
      return undefined;
    const version = resolveVersion(registered, machineType);
    return version === 'legacy' ? undefined : `${registered.model.name}-v${version}`;
  }

  /** `undefined` when the name or the machine type does not exist in this catalog. */
  get(name: string, machineTypeName: string, accel: Accel = 'kvm'): EffectiveModel | undefined {
    const key = this.caching ? `${name}\0${machineTypeName}\0${accel}` : '';
    const hit = this.caching ? this.cache.get(key) : undefined;
    if (hit) return hit;
    const registered = this.names.get(name);
    const machineType = this.machines.get(machineTypeName);
    if (!registered || !machineType) return undefined;
    const version = resolveVersion(registered, machineType);
    if (version !== 'legacy' && !registered.model.versions.some((v) => v.version === version))
      return undefined;
    // Everything an effective model depends on, as a key: many machine types differ only in
    // compat entries for other CPUs, and then share one result (and one serialization).
    const entries = this.compatEntriesFor(machineType, name);
    const accelChanges = machineType.accelDefaultChanges.filter((c) => c.accel === accel);
    const inputs = [
      registered.model.name,
      version,
      accel,
      this.entryIdsOf(entries),
      accelChanges.map((c) => `${c.property}=${c.value}`).join(','),
    ].join('\0');
    const shared = this.byInputs.get(inputs);
    if (shared) {
      if (this.caching) this.cache.set(key, shared);
      return shared;
    }
    const base = this.base(registered.model, version);
    const props = { ...base.props };
    const explicit = new Set(base.explicit);

    if (accel !== 'none') {
      const defaults = new Map<string, PropValue | null>();
      for (const p of this.catalog.accelDefaults[accel]) defaults.set(p.property, p.value);
      for (const c of accelChanges) defaults.set(c.property, c.value);
      for (const [p, v] of defaults) if (v !== null) props[this.canonicalProperty(p)] = v;
    }

    for (const e of entries) {
      const minimumOf = this.catalog.minimumOf?.[e.property];
      const prop = minimumOf ?? this.canonicalProperty(e.property);
      props[prop] = this.typedValue(prop, e.value);
      if (!minimumOf) explicit.add(prop);
    }

    for (const dep of this.catalog.featureDependencies) {
      if (props[dep.feature] === false) for (const c of dep.clears) props[c] = false;
    }
    for (const f of this.catalog.accelClears[accel] ?? []) props[f] = false;

    for (const rule of this.catalog.levelRules) {
      if (explicit.has(rule.property)) continue;
      if (rule.enabledBy && props[rule.enabledBy] !== true) continue;
      if (rule.alsoEnabledBy?.some((k) => props[k] !== true)) continue;
      const current = props[rule.property];
      if (
        typeof current === 'number' &&
        current < rule.atLeast &&
        rule.whenAny.some((f) => props[f] === true)
      ) {
        props[rule.property] = rule.atLeast;
      }
    }

    if (this.caching) this.cache.set(key, props);
    this.byInputs.set(inputs, props);
    return props;
  }

  /**
   * A number for a list of entries, the same for lists of the same entries, computed once per
   * list (lists are shared by machine type and target): a short part of the key of a result.
   */
  private entryIdsOf(entries: CompatProperty[]): number {
    let id = this.entryListIds.get(entries);
    if (id === undefined) {
      const ids = entries.map((e) => this.entryId(e)).join(',');
      id = this.entryListNumbers.get(ids) ?? this.entryListNumbers.size;
      this.entryListNumbers.set(ids, id);
      this.entryListIds.set(entries, id);
    }
    return id;
  }

  private entryId(e: CompatProperty): number {
    let id = this.entryIds.get(e);
    if (id === undefined) this.entryIds.set(e, (id = this.entryIds.size));
    return id;
  }
}
