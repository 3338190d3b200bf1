import type {
  Catalog,
  CompatProperty,
  DefaultCpuVersion,
  PropSetting,
  PropValue,
  SourceLocation,
} from '../catalog/model.js';

/** Where a change was written: head for additions and edits (RIGHT), base for removals (LEFT). */
interface Written {
  location: SourceLocation;
  side: 'RIGHT' | 'LEFT';
}

/** A property set to another value, or set or unset where it was not before. */
interface PropChange<V> extends Written {
  property: string;
  before?: V;
  after?: V;
}

/**
 * What changed in the catalog's source, entity by entity: the causes that findings are
 * grouped by. Each change names the property it sets and where it was written (head for
 * additions and edits, base for removals).
 */
export type CatalogChange =
  | ({ kind: 'model-prop'; model: string } & PropChange<PropValue>)
  | ({ kind: 'version-prop'; model: string; version: number } & PropChange<PropValue>)
  | ({ kind: 'compat-entry'; set: string; target: string } & PropChange<string>)
  | ({ kind: 'accel-default'; accel: string } & PropChange<PropValue>)
  | ({ kind: 'property-default' } & Omit<PropChange<PropValue>, 'location'> & { location?: SourceLocation })
  | ({
      kind: 'machine-type';
      machineType: string;
      what: string;
      /** Set when the version unversioned names resolve to changed. */
      defaultCpuVersion?: { before: DefaultCpuVersion; after: DefaultCpuVersion };
    } & Written)
  | ({ kind: 'catalog-rule'; what: string } & Omit<Written, 'location'> & { location?: SourceLocation });

function propsMap(props: PropSetting[]): Map<string, PropSetting> {
  const m = new Map<string, PropSetting>();
  for (const p of props) m.set(p.property, p);
  return m;
}

function diffProps(
  base: PropSetting[],
  head: PropSetting[],
  make: (property: string, before: PropSetting | undefined, after: PropSetting | undefined) => CatalogChange,
): CatalogChange[] {
  const b = propsMap(base);
  const h = propsMap(head);
  const out: CatalogChange[] = [];
  for (const [p, hv] of h) {
    const bv = b.get(p);
    if (!bv || bv.value !== hv.value) out.push(make(p, bv, hv));
  }
  for (const [p, bv] of b) if (!h.has(p)) out.push(make(p, bv, undefined));
  return out;
}

const compatKey = (e: CompatProperty): string => `${e.driver}\0${e.property}`;

export function diffCatalogs(base: Catalog, head: Catalog): CatalogChange[] {
  const out: CatalogChange[] = [];
  const baseModels = new Map(base.models.map((m) => [m.name, m]));
  for (const hm of head.models) {
    const bm = baseModels.get(hm.name);
    if (!bm) continue; // New models are findings of their own, not causes of changes.
    out.push(
      ...diffProps(bm.props, hm.props, (property, b, a) => ({
        kind: 'model-prop',
        model: hm.name,
        property,
        before: b?.value,
        after: a?.value,
        location: (a ?? b)!.location,
        side: a ? 'RIGHT' : 'LEFT',
      })),
    );
    const bv = new Map(bm.versions.map((v) => [v.version, v]));
    for (const v of hm.versions) {
      const old = bv.get(v.version);
      if (!old) continue;
      out.push(
        ...diffProps(old.props, v.props, (property, b, a) => ({
          kind: 'version-prop',
          model: hm.name,
          version: v.version,
          property,
          before: b?.value,
          after: a?.value,
          location: a?.location ?? (b ? b.location : v.location),
          side: a ? 'RIGHT' : 'LEFT',
        })),
      );
    }
  }

  const setNames = new Set([...Object.keys(base.compatSets), ...Object.keys(head.compatSets)]);
  for (const name of setNames) {
    const b = new Map(
      (base.compatSets[name]?.entries ?? []).filter((e) => e.target !== null).map((e) => [compatKey(e), e]),
    );
    const h = new Map(
      (head.compatSets[name]?.entries ?? []).filter((e) => e.target !== null).map((e) => [compatKey(e), e]),
    );
    for (const [k, he] of h) {
      const be = b.get(k);
      if (!be || be.value !== he.value) {
        out.push({
          kind: 'compat-entry',
          set: name,
          target: he.target!,
          property: he.property,
          before: be?.value,
          after: he.value,
          location: he.location,
          side: 'RIGHT',
        });
      }
    }
    for (const [k, be] of b) {
      if (!h.has(k))
        out.push({
          kind: 'compat-entry',
          set: name,
          target: be.target!,
          property: be.property,
          before: be.value,
          location: be.location,
          side: 'LEFT',
        });
    }
  }

  for (const accel of ['kvm', 'tcg'] as const) {
    out.push(
      ...diffProps(base.accelDefaults[accel], head.accelDefaults[accel], (property, b, a) => ({
        kind: 'accel-default',
        accel,
        property,
        before: b?.value,
        after: a?.value,
        location: (a ?? b)!.location,
        side: a ? 'RIGHT' : 'LEFT',
      })),
    );
  }

  const instance = (p: string): boolean =>
    p in (head.instanceProperties ?? {}) || p in (base.instanceProperties ?? {});
  for (const [p, hv] of Object.entries(head.propertyDefaults)) {
    if (instance(p)) continue; // A topology id's default is the machine's business, not a model's.
    const bv = base.propertyDefaults[p];
    if (bv !== undefined && bv !== hv)
      out.push({
        kind: 'property-default',
        property: p,
        before: bv,
        after: hv,
        location: head.propertyDefaultLocations?.[p],
        side: 'RIGHT',
      });
  }

  const baseMachines = new Map(base.machineTypes.map((m) => [m.name, m]));
  for (const hm of head.machineTypes) {
    const bm = baseMachines.get(hm.name);
    if (!bm) continue;
    const what: string[] = [];
    if (bm.compatSets.join() !== hm.compatSets.join())
      what.push(
        `compat arrays ${bm.compatSets.join(', ') || 'none'} → ${hm.compatSets.join(', ') || 'none'}`,
      );
    const cpuVersionChanged = bm.defaultCpuVersion !== hm.defaultCpuVersion;
    if (cpuVersionChanged) what.push(`default CPU version ${bm.defaultCpuVersion} → ${hm.defaultCpuVersion}`);
    const acc = (m: typeof hm): string =>
      m.accelDefaultChanges.map((c) => `${c.accel}:${c.property}=${c.value}`).join();
    if (acc(bm) !== acc(hm)) what.push(`accelerator defaults ${acc(bm) || 'none'} → ${acc(hm) || 'none'}`);
    if (what.length)
      out.push({
        kind: 'machine-type',
        machineType: hm.name,
        what: what.join('; '),
        ...(cpuVersionChanged
          ? { defaultCpuVersion: { before: bm.defaultCpuVersion, after: hm.defaultCpuVersion } }
          : {}),
        // The line that sets the version is the cause; the machine type's definition otherwise.
        location: (cpuVersionChanged && hm.defaultCpuVersionLocation) || hm.location,
        side: 'RIGHT',
      });
  }

  const rules = (c: Catalog): string =>
    JSON.stringify([
      c.featureDependencies.map((d) => [d.feature, d.clears]),
      c.levelRules.map((r) => [r.property, r.atLeast, r.whenAny, r.enabledBy]),
      c.alwaysOn.map((p) => [p.property, p.value]),
      c.features.map((f) => [f.name, f.word, f.bit]),
    ]);
  if (rules(base) !== rules(head))
    out.push({
      kind: 'catalog-rule',
      what: 'feature names, dependencies or CPUID level rules',
      side: 'RIGHT',
    });
  return out;
}

/** Does a change reach this registered name (by its model and own name) on this machine type? */
export function changeReaches(
  change: CatalogChange,
  model: string,
  name: string,
  machineCompatSets: readonly string[],
  version: number | 'legacy',
): boolean {
  switch (change.kind) {
    case 'model-prop':
      return change.model === model;
    case 'version-prop':
      return change.model === model && version !== 'legacy' && change.version <= version;
    case 'compat-entry':
      return machineCompatSets.includes(change.set) && (change.target === '*' || change.target === name);
    default:
      return true;
  }
}
