import { createHash } from 'node:crypto';
import { EffectiveModels, registeredNames, resolveVersion } from '../catalog/effective.js';
import type {
  Catalog,
  CompatProperty,
  CompatSet,
  CpuModel,
  EffectiveModel,
  MachineType,
  PropValue,
  RegisteredName,
} from '../catalog/model.js';
import { changeReaches, diffCatalogs, type CatalogChange } from '../diff/catalog-diff.js';
import {
  classified,
  type Draft,
  type FindingClass,
  type FindingLocation,
  type FixLines,
  type HostRequirementFacts,
  type Suggestion,
} from './classified.js';

/**
 * The rule of POLICY.md for catalogs with machine types (QEMU, the generic catalog):
 * frozen ABI of released names on released machine types (new-model-required), host
 * monotonicity across machine types (type-2), no silent removal, and a reason for every safe
 * change. Findings are grouped by cause: one per changed entity, listing every model name and
 * machine type it reaches. The engine fills in verdicts; this returns classes.
 */
export interface ClassifyInput {
  base: Catalog;
  head: Catalog;
  /** Names that count as released (they exist at the release revision). */
  releasedNames: ReadonlySet<string>;
  /** A line of a head file (1-based), for suggestions that rewrite it; optional. */
  headLine?: (path: string, line: number) => string | undefined;
}

export type { Draft };

/** A change the diff found, without its place (the finding's location says where). */
export type Cause = CatalogChange extends infer C
  ? C extends CatalogChange
    ? Omit<C, 'location' | 'side'>
    : never
  : never;

/** A compat entry, by its array, property, value and line. */
export interface CompatEntryRef {
  set: string;
  property: string;
  value: string;
  path: string;
  line: number;
}

/** A compat array and the line that opens it. */
export interface CompatSetRef {
  name: string;
  path: string;
  line: number;
}

/** A model version: `Haswell-v2` is `{ model: 'Haswell', version: 2 }`. */
export interface ModelVersionRef {
  model: string;
  version: number;
}

/** An alias that stood for one model version in base and stands for another in head. */
export interface AliasRetarget {
  name: string;
  from: ModelVersionRef;
  to: ModelVersionRef;
}

/** A compat entry that sets a property the base does not have, for the machine types it reaches. */
export interface NewPropertyEntry {
  /** Its compat array, when one holds it. */
  set?: string;
  target: string;
  value: string;
  path: string;
  line: number;
}

/** How a change to released models is put right, as classification decided. */
export type ReleasedRemedy =
  /** Revert, and add the change as this new version (`Haswell-v5`). */
  | { kind: 'new-version'; name: string }
  /** Keep the old value for released machine types: add `entry` to the compat array `set`. */
  | { kind: 'keep-old-value'; entry: string; set: string }
  /**
   * A compat entry of a released array changed: revert it; the old value (`entry`, when known)
   * belongs in `newest`, the newest compat array only released machine types get, if one exists.
   */
  | { kind: 'move-compat-entry'; entry?: string; newest?: CompatSetRef }
  /** A default every model shares gained host requirements: revert, and put them in new versions. */
  | { kind: 'new-versions' }
  /** Revert, or keep the old value on released machine types with a compat entry in `newest`. */
  | { kind: 'revert'; newest?: CompatSetRef };

/** What the host must newly provide on newer machine types, and why (check and audit). */
export type HostGainFacts =
  | {
      /** A change between base and head. */
      kind: 'change';
      cause: Cause;
      /** The machine types before those that gain, which did not require it. */
      olderMachineTypes: string[];
      /** Compat entries of the change that keep released machine types as they were. */
      keptBy: CompatEntryRef[];
      /** The model version to add the gained properties in, when the cause is one model's. */
      newVersion?: string;
    }
  | {
      /** Found in one snapshot (audit): a step from one machine type to the next. */
      kind: 'snapshot';
      olderMachineTypes: string[];
      /** The compat entry that keeps the older machine types without it. */
      keptBy: CompatEntryRef[];
    };

/** The facts of each rule this module classifies, by rule id. */
export interface MachineCatalogMeta {
  'model-added': { model: string; names: string[] };
  'version-added': { model: string; name: string; alias?: string };
  'alias-added': { name: string; model: string; version: number };
  'released-name-removed': { model: string };
  'deprecated-name-removed': { model: string; deprecation: string };
  'alias-retargeted': AliasRetarget;
  'name-conflict': { name: string; first: string; again: string };
  'released-model-changed':
    | { kind: 'change'; cause: Cause; remedy: ReleasedRemedy }
    | {
        /** A property new in head whose default reaches released machine types that `keptBy` does not. */
        kind: 'new-property';
        keptBy: NewPropertyEntry;
        /** The compat entry that keeps the old behaviour, and the array to add it to, when one exists. */
        entry: string;
        addTo?: string;
      };
  'machine-type-host-requirement': HostGainFacts;
  'compat-confined-change':
    | {
        kind: 'change';
        cause: Cause;
        /** The change's compat entries that keep released machine types as they were. */
        keptBy: CompatEntryRef[];
      }
    | {
        /** A property new in head: compat keeps the older machine types, only unreleased ones get its default. */
        kind: 'new-property-unreleased';
        keptBy: NewPropertyEntry;
      }
    | {
        /** A property new in head that `keptBy` sets on machine types the base had. */
        kind: 'new-property-confined';
        keptBy: NewPropertyEntry;
        /** How many of the base's machine types it sets it on, and how many the base had. */
        confined: number;
        baseMachineTypes: number;
        /** The unreleased machine types that get the property's default instead. */
        newDefault?: { value: PropValue | null; machineTypes: string[] };
      };
  'new-property-default': {
    /** Where head declares the property, when the catalog says. */
    declaredAt?: { path: string; line: number };
    baseMachineTypes: number;
  };
  'unreleased-change':
    | { kind: 'name-removed' }
    | ({ kind: 'alias-retargeted' } & AliasRetarget)
    | { kind: 'change'; cause: Cause };
  'no-effective-change': NoEffectiveChangeMeta;
}

/**
 * A catalog file that changed without changing an effective model. The engine finds these once
 * classification found nothing: what the edit still did (machine types it adds or releases).
 */
export type NoEffectiveChangeMeta = {
  kind: 'catalog-file';
  file: string;
  addedMachineTypes: string[];
  releasedMachineTypes: string[];
};

interface Effect {
  name: string;
  machineType: string;
  property: string;
  before: PropValue | undefined;
  after: PropValue | undefined;
  released: boolean;
}

interface HostGain {
  name: string;
  from: string;
  to: string;
  property: string;
}

/** Host requirements of an effective model: properties that are on and that the host must provide. */
export function hostRequirements(catalog: Catalog, props: Record<string, PropValue>): Set<string> {
  const out = new Set<string>();
  const table = catalog.hostRequirements;
  // for...in, not Object.entries: this runs for every pair of machine types of every name, and
  // an effective model has hundreds of properties.
  for (const p in props) {
    if (props[p] !== true) continue;
    const kind = table.properties[p]?.kind ?? table.defaultKind;
    if (kind === 'none') continue;
    const needs = table.onlyWith?.[p];
    if (needs && props[needs] !== true) continue;
    out.add(p);
  }
  return out;
}

/** Two models registering the same name: the later one is unreachable. */
export function nameConflicts(catalog: Catalog): Draft[] {
  const drafts: Draft[] = [];
  const seen = new Map<string, RegisteredName>();
  for (const n of registeredNames(catalog)) {
    const first = seen.get(n.name);
    if (first && first.model !== n.model) {
      drafts.push(
        classified(
          'name-conflict',
          { name: n.name, first: first.model.name, again: n.model.name },
          {
            class: 'new-model-required',
            models: [n.name],
            machineTypes: [],
            location: loc(n.location, 'RIGHT'),
          },
        ),
      );
    } else if (!first) seen.set(n.name, n);
  }
  return drafts;
}

/** Why each gained property is a host requirement; with one property, just the reason. */
/** Why the catalog's host-requirement table makes each of `props` a host requirement. */
export function hostRequirementOf(catalog: Catalog, props: string[]): HostRequirementFacts {
  const table = catalog.hostRequirements;
  const reasons: Record<string, string> = {};
  for (const p of props) {
    const why = table.properties[p]?.why;
    if (why !== undefined) reasons[p] = why;
  }
  return { gained: props, cause: { source: 'table', defaultKind: table.defaultKind, reasons } };
}

/** Consecutive machine types of each family, oldest first. */
export function consecutivePairs(machineTypes: MachineType[]): [MachineType, MachineType][] {
  const pairs: [MachineType, MachineType][] = [];
  for (let i = 1; i < machineTypes.length; i++) {
    if (machineTypes[i]!.family === machineTypes[i - 1]!.family)
      pairs.push([machineTypes[i - 1]!, machineTypes[i]!]);
  }
  return pairs;
}

export function fingerprint(
  rule: string,
  models: string[],
  property: string | undefined,
  machineTypes: string[],
): string {
  return createHash('sha256')
    .update([rule, [...models].sort().join(','), property ?? '', machineTypes[0] ?? ''].join('\n'))
    .digest('hex')
    .slice(0, 16);
}

function loc(l: { path: string; line: number; endLine?: number }, side: 'RIGHT' | 'LEFT'): FindingLocation {
  return {
    path: l.path,
    line: l.line,
    ...(l.endLine && l.endLine !== l.line ? { endLine: l.endLine } : {}),
    side,
  };
}

/** The lines of a new version block for `model` carrying `props`: QEMU's own layout. */
export function newVersionBlock(
  model: CpuModel,
  props: [string, PropValue | undefined][],
): FixLines | undefined {
  const last = model.versions.at(-1)!;
  const next = last.version + 1;
  const value = (v: PropValue | undefined): string => (v === undefined ? '' : qemuValue(v));
  const propLines = props.map(([p, v]) => `                    { "${p}", "${value(v)}" },`);
  const block = [
    '            {',
    `                .version = ${next},`,
    '                .props = (PropValue[]) {',
    ...propLines,
    '                    { /* end of list */ }',
    '                },',
    '            },',
  ];
  const hasVersions = model.versions.length > 1 || last.location.line !== model.location.line;
  if (!hasVersions) {
    return {
      path: model.location.path,
      afterLine: (model.location.endLine ?? model.location.line) - 1,
      text: [
        '        .versions = (X86CPUVersionDefinition[]) {',
        '            { .version = 1 },',
        ...block,
        '            { /* end of list */ }',
        '        },',
      ].join('\n'),
    };
  }
  return {
    path: last.location.path,
    afterLine: last.location.endLine ?? last.location.line,
    text: block.join('\n'),
  };
}

export function classifyMachineCatalog(input: ClassifyInput): Draft[] {
  const { base, head, releasedNames } = input;
  const baseNames = new Map(registeredNames(base).map((n) => [n.name, n]));
  const headNames = new Map(registeredNames(head).map((n) => [n.name, n]));
  return [
    ...addedNames(base, head, baseNames, headNames),
    ...removedNames(baseNames, headNames, releasedNames),
    ...retargetedAliases(baseNames, headNames, releasedNames),
    ...nameConflicts(head),
    ...changedNames(input, baseNames, headNames),
  ];
}

type Names = Map<string, RegisteredName>;

/** New models, versions and aliases (invariant 3): nothing can be using them yet. */
function addedNames(base: Catalog, head: Catalog, baseNames: Names, headNames: Names): Draft[] {
  const drafts: Draft[] = [];
  const newModels = head.models.filter((m) => !base.models.some((b) => b.name === m.name));
  for (const m of newModels) {
    const names = registeredNames(head)
      .filter((n) => n.model === m)
      .map((n) => n.name);
    drafts.push(
      classified(
        'model-added',
        { model: m.name, names },
        { class: 'safe', models: names, machineTypes: [], location: loc(m.location, 'RIGHT') },
      ),
    );
  }
  for (const [name, n] of headNames) {
    if (baseNames.has(name) || newModels.includes(n.model)) continue;
    if (n.kind === 'versioned') {
      const alias = n.model.versions.find((v) => v.version === n.version)?.alias;
      drafts.push(
        classified(
          'version-added',
          { model: n.model.name, name, ...(alias ? { alias } : {}) },
          {
            class: 'safe',
            models: alias ? [name, alias] : [name],
            machineTypes: [],
            location: loc(n.location, 'RIGHT'),
          },
        ),
      );
    } else if (n.kind === 'alias' && baseNames.has(`${n.model.name}-v${n.version}`)) {
      drafts.push(
        classified(
          'alias-added',
          { name, model: n.model.name, version: n.version! },
          { class: 'safe', models: [name], machineTypes: [], location: loc(n.location, 'RIGHT') },
        ),
      );
    }
  }
  return drafts;
}

/** Removed names, one finding per model and kind of removal (a model's names go together). */
function removedNames(baseNames: Names, headNames: Names, releasedNames: ReadonlySet<string>): Draft[] {
  const removals = new Map<string, { names: string[]; first: RegisteredName; released: boolean }>();
  for (const [name, n] of baseNames) {
    if (headNames.has(name)) continue;
    const released = releasedNames.has(name);
    const key = `${n.model.name}\0${released}`;
    const r = removals.get(key);
    if (r) r.names.push(name);
    else removals.set(key, { names: [name], first: n, released });
  }
  return [...removals.values()].map(({ names, first, released }) => {
    const facts = { models: names, machineTypes: [], location: loc(first.location, 'LEFT') };
    const deprecated = first.model.deprecation;
    if (!released)
      return classified('unreleased-change', { kind: 'name-removed' }, { class: 'safe', ...facts });
    if (deprecated)
      return classified(
        'deprecated-name-removed',
        { model: first.model.name, deprecation: deprecated.note },
        { class: 'safe', ...facts },
      );
    return classified(
      'released-name-removed',
      { model: first.model.name },
      { class: 'new-model-required', ...facts },
    );
  });
}

/** Aliases that stand for another model version in head: VMs using the name see another CPU. */
function retargetedAliases(baseNames: Names, headNames: Names, releasedNames: ReadonlySet<string>): Draft[] {
  const drafts: Draft[] = [];
  for (const [name, n] of baseNames) {
    const now = headNames.get(name);
    if (!now || n.kind !== 'alias' || (now.model.name === n.model.name && now.version === n.version))
      continue;
    const retarget: AliasRetarget = {
      name,
      from: { model: n.model.name, version: n.version! },
      to: { model: now.model.name, version: now.version! },
    };
    const facts = { models: [name], machineTypes: [], location: loc(now.location, 'RIGHT') };
    drafts.push(
      releasedNames.has(name)
        ? classified('alias-retargeted', retarget, { class: 'new-model-required', ...facts })
        : classified(
            'unreleased-change',
            { kind: 'alias-retargeted', ...retarget },
            { class: 'safe', ...facts },
          ),
    );
  }
  return drafts;
}

/** Changes of names that exist in both (invariants 1 and 2), grouped by cause. */
function changedNames(input: ClassifyInput, baseNames: Names, headNames: Names): Draft[] {
  const { base, head, releasedNames } = input;
  const changes = diffCatalogs(base, head);
  if (!changes.length) return [];
  const eb = new EffectiveModels(base);
  const eh = new EffectiveModels(head);
  const baseMachines = new Map(base.machineTypes.map((m) => [m.name, m]));
  const commonMachines = head.machineTypes.filter((m) => baseMachines.has(m.name));
  const releasedMachine = (m: MachineType): boolean => baseMachines.get(m.name)?.released ?? false;
  const candidates = namesReached(changes, baseNames, headNames);

  const drafts: Draft[] = [];
  const newProperties = newPropertyEffects(
    effectsOn(candidates, commonMachines, { base, head, eb, eh, releasedNames, releasedMachine }),
    base,
    head,
    eh,
    headNames,
  );
  drafts.push(...newPropertyDrafts(newProperties, head, releasedMachine, commonMachines.length));
  const gains = hostGains(candidates, { base, head, eb, eh });
  for (const g of groupByCause(changes, newProperties.judged, gains, head, eh, headNames)) {
    for (const draft of draftsForGroup(g, head, changes, releasedMachine)) {
      const suggestion =
        draft.class === 'safe' || !input.headLine ? undefined : revertSuggestion(g.change, input.headLine);
      drafts.push(suggestion ? { ...draft, suggestion } : draft);
    }
  }
  return drafts;
}

/** The names of both revisions that the changes can reach. */
function namesReached(changes: CatalogChange[], baseNames: Names, headNames: Names): RegisteredName[] {
  const touchesAll = changes.some(
    (c) =>
      !['model-prop', 'version-prop', 'compat-entry'].includes(c.kind) ||
      (c.kind === 'compat-entry' && c.target === '*'),
  );
  const touchedNames = new Set<string>();
  for (const c of changes) {
    if (c.kind === 'model-prop' || c.kind === 'version-prop') {
      for (const n of headNames.values()) if (n.model.name === c.model) touchedNames.add(n.name);
    } else if (c.kind === 'compat-entry') touchedNames.add(c.target);
  }
  return [...headNames.values()].filter(
    (n) => baseNames.has(n.name) && (touchesAll || touchedNames.has(n.name)),
  );
}

interface Revisions {
  base: Catalog;
  head: Catalog;
  eb: EffectiveModels;
  eh: EffectiveModels;
}

/** Every property whose value changes for a name on a machine type both revisions have. */
function effectsOn(
  candidates: RegisteredName[],
  commonMachines: MachineType[],
  r: Revisions & {
    releasedNames: ReadonlySet<string>;
    releasedMachine: (m: MachineType) => boolean;
  },
): Effect[] {
  const { base, head, eb, eh } = r;
  const effects: Effect[] = [];
  const headFeatures = new Set([...head.features, ...base.features].map((f) => f.name));
  // A feature never mentioned is off: undefined and false are the same to a guest. A knob new
  // in head (a property head declares with a default, which base lacks) is not: its `false`
  // may be the new behaviour, as compat entries tell.
  const changes = (before: EffectiveModel, after: EffectiveModel, p: string): boolean => {
    if (before[p] === after[p]) return false;
    const newKnob =
      before[p] === undefined &&
      !headFeatures.has(p) &&
      !(p in base.propertyDefaults) &&
      p in head.propertyDefaults;
    return newKnob || (before[p] ?? false) !== (after[p] ?? false);
  };
  // Machine types that nothing else tells apart share one effective model object, so the
  // properties that change are found once for each distinct pair of objects.
  const changedBetween = new Map<EffectiveModel, Map<EffectiveModel, string[]>>();
  const changed = (before: EffectiveModel, after: EffectiveModel): string[] => {
    let byAfter = changedBetween.get(before);
    if (!byAfter) changedBetween.set(before, (byAfter = new Map()));
    let props = byAfter.get(after);
    if (!props) {
      props = [];
      for (const p in before) if (changes(before, after, p)) props.push(p);
      for (const p in after) if (!(p in before) && changes(before, after, p)) props.push(p);
      byAfter.set(after, props);
    }
    return props;
  };
  for (const n of candidates) {
    for (const mt of commonMachines) {
      const before = eb.get(n.name, mt.name, 'kvm');
      const after = eh.get(n.name, mt.name, 'kvm');
      if (!before || !after) continue;
      const released = r.releasedMachine(mt) && r.releasedNames.has(n.name);
      for (const p of changed(before, after)) {
        effects.push({
          name: n.name,
          machineType: mt.name,
          property: p,
          before: before[p],
          after: after[p],
          released,
        });
      }
    }
  }
  return effects;
}

/** Host requirements a name has on a machine type of head and not on the one before it. */
function hostGains(candidates: RegisteredName[], r: Revisions): HostGain[] {
  const { base, head, eb, eh } = r;
  const gains: HostGain[] = [];
  const pairs = consecutivePairs(head.machineTypes);
  // A machine type is the newer side of one pair and the older side of the next: each
  // effective model's requirements are worked out once.
  const requirementsIn = (catalog: Catalog) => {
    const known = new WeakMap<EffectiveModel, Set<string>>();
    return (model: EffectiveModel): Set<string> => {
      let req = known.get(model);
      if (!req) known.set(model, (req = hostRequirements(catalog, model)));
      return req;
    };
  };
  const headReq = requirementsIn(head);
  const baseReq = requirementsIn(base);
  for (const n of candidates) {
    for (const [t, u] of pairs) {
      const hu = eh.get(n.name, u.name, 'kvm');
      const ht = eh.get(n.name, t.name, 'kvm');
      if (!hu || !ht) continue;
      const reqT = headReq(ht);
      const bu = eb.get(n.name, u.name, 'kvm');
      const bt = eb.get(n.name, t.name, 'kvm');
      const baseGrowth = bu && bt ? setMinus(baseReq(bu), baseReq(bt)) : new Set<string>();
      for (const p of headReq(hu)) {
        if (!reqT.has(p) && !baseGrowth.has(p))
          gains.push({ name: n.name, from: t.name, to: u.name, property: p });
      }
    }
  }
  return gains;
}

/** Every effect and gain attributed to the change that explains it. */
function groupByCause(
  changes: CatalogChange[],
  effects: Effect[],
  gains: HostGain[],
  head: Catalog,
  eh: EffectiveModels,
  headNames: Names,
): Group[] {
  const groups = new Map<CatalogChange, Group>();
  const explain = (name: string, machineType: string, property: string): CatalogChange => {
    const n = headNames.get(name)!;
    const mt = eh.machineType(machineType)!;
    const version = resolveVersion(n, mt);
    const reaches = changes.filter((c) =>
      c.kind === 'machine-type'
        ? c.machineType === machineType
        : changeReaches(c, n.model.name, name, mt.compatSets, version),
    );
    const canonical = (c: CatalogChange): string | undefined =>
      'property' in c ? (head.minimumOf?.[c.property] ?? eh.canonicalProperty(c.property)) : undefined;
    // The change that sets this property wins; otherwise one that reaches it indirectly
    // (a dependency: `vmx` off clears every vmx-* feature).
    return (
      reaches.find((c) => canonical(c) === property) ??
      reaches.find((c) => !('property' in c)) ??
      reaches[0] ??
      changes[0]!
    );
  };
  const group = (c: CatalogChange): Group => {
    let g = groups.get(c);
    if (!g) groups.set(c, (g = { change: c, effects: [], gains: [] }));
    return g;
  };
  // Machine types that inherit one changed line (an option function the older ones run) change
  // by one cause: their changes share the group of the first.
  const byLine = new Map<string, CatalogChange>();
  const cause = (c: CatalogChange): CatalogChange => {
    if (c.kind !== 'machine-type') return c;
    const key = `${c.location.path}:${c.location.line}:${c.what}`;
    const first = byLine.get(key);
    if (!first) byLine.set(key, c);
    return first ?? c;
  };
  for (const e of effects) group(cause(explain(e.name, e.machineType, e.property))).effects.push(e);
  for (const g of gains) group(cause(explain(g.name, g.to, g.property))).gains.push(g);
  return [...groups.values()];
}

/**
 * Effects of properties that the base does not have at all (QEMU adds CPU properties in most
 * releases). The base has no value to compare with, so what counts is where head's value on a
 * machine type the base had comes from: a compat entry (QEMU's way of restoring the old
 * behaviour there), or the property's own default with nothing setting it. A value a model, a
 * version or an accelerator default sets, or one that adds a host requirement, is judged like
 * any other change.
 */
interface NewPropertyEffects {
  /** Effects the usual rules judge. */
  judged: Effect[];
  /** By the compat entry that sets the new property on those machine types. */
  confined: Map<CompatProperty, Effect[]>;
  /**
   * By the compat entry that sets the new property for some machine types, where head's default
   * reaches others that the base had: the entry shows the default is new behaviour.
   */
  uncovered: Map<CompatProperty, Effect[]>;
  /** By property: head's default reaches machine types the base had, and nothing sets it. */
  byDefault: Map<string, Effect[]>;
}

/** Where head's value of a property new in head comes from, on one machine type the base had. */
type NewPropertySource =
  { kind: 'judged' } | { kind: 'confined' | 'uncovered'; entry: CompatProperty } | { kind: 'by-default' };

function newPropertyEffects(
  effects: Effect[],
  base: Catalog,
  head: Catalog,
  eh: EffectiveModels,
  headNames: Map<string, RegisteredName>,
): NewPropertyEffects {
  const out: NewPropertyEffects = {
    judged: [],
    confined: new Map(),
    uncovered: new Map(),
    byDefault: new Map(),
  };
  const add = <K>(map: Map<K, Effect[]>, key: K, e: Effect): void => {
    map.set(key, [...(map.get(key) ?? []), e]);
  };
  const sourceOf = newPropertySource(base, head, eh, headNames);
  for (const e of effects) {
    const source = sourceOf(e);
    if (source.kind === 'judged') out.judged.push(e);
    else if (source.kind === 'confined') add(out.confined, source.entry, e);
    else if (source.kind === 'uncovered') add(out.uncovered, source.entry, e);
    else add(out.byDefault, e.property, e);
  }
  return out;
}

/** For each effect, where its new value comes from when its property is new in head. */
function newPropertySource(
  base: Catalog,
  head: Catalog,
  eh: EffectiveModels,
  headNames: Map<string, RegisteredName>,
): (e: Effect) => NewPropertySource {
  // Newest compat arrays first, as machine types add them, so that the first match is the newest.
  const setOrder = uniq(head.machineTypes.flatMap((m) => m.compatSets));
  const allEntries = setOrder
    .flatMap((name) => head.compatSets[name]?.entries ?? [])
    .filter((x) => x.target !== null);
  const baseFeatures = new Set(base.features.map((f) => f.name));
  // New is what head declares as a CPU property and base does not know: a name that no table
  // declares is a feature of a catalog that lists only some (the generic format), off when unset.
  const isNew = (p: string): boolean =>
    !(p in base.propertyDefaults) && !baseFeatures.has(p) && p in head.propertyDefaults;
  const setsIt = (p: string, props: { property: string }[]): boolean =>
    props.some((x) => eh.canonicalProperty(x.property) === p);
  const setsFor = (x: CompatProperty, e: Effect): boolean =>
    (x.target === '*' || x.target === e.name) &&
    (head.minimumOf?.[x.property] ?? eh.canonicalProperty(x.property)) === e.property;
  return (e) => {
    const hostGain = e.after === true && hostRequirements(head, { [e.property]: true }).has(e.property);
    if (!isNew(e.property) || hostGain) return { kind: 'judged' };
    const n = headNames.get(e.name)!;
    const mt = eh.machineType(e.machineType)!;
    const entry = eh
      .cpuCompatEntries(mt)
      .filter((x) => setsFor(x, e))
      .at(-1);
    if (entry)
      return eh.typedValue(e.property, entry.value) === e.after
        ? { kind: 'confined', entry }
        : { kind: 'judged' };
    const version = resolveVersion(n, mt);
    const setByCatalog =
      setsIt(e.property, n.model.props) ||
      (version !== 'legacy' &&
        n.model.versions.some((v) => v.version <= version && setsIt(e.property, v.props))) ||
      setsIt(e.property, head.accelDefaults.kvm) ||
      setsIt(e.property, head.alwaysOn);
    if (setByCatalog || head.propertyDefaults[e.property] !== e.after) return { kind: 'judged' };
    // A compat entry elsewhere that sets the property says what the old behaviour was, and so
    // that the default is the new one: machine types it does not reach have changed.
    const elsewhere = allEntries.find((x) => setsFor(x, e) && eh.typedValue(e.property, x.value) !== e.after);
    return elsewhere ? { kind: 'uncovered', entry: elsewhere } : { kind: 'by-default' };
  };
}

function newPropertyDrafts(
  np: NewPropertyEffects,
  head: Catalog,
  releasedMachine: (m: MachineType) => boolean,
  baseMachineTypes: number,
): Draft[] {
  // The machine types that get a confined property's new default, when none of them is
  // released, are part of the same cause as the entry that confines it: one finding says both.
  const unreleasedDefaults = new Map<CompatProperty, Effect[]>();
  for (const [entry, effects] of np.uncovered) {
    if (np.confined.has(entry) && !effects.some((e) => e.released)) unreleasedDefaults.set(entry, effects);
  }
  return [
    ...[...np.uncovered]
      .filter(([entry]) => !unreleasedDefaults.has(entry))
      .map(([entry, effects]) => uncoveredDraft(entry, effects, head, releasedMachine)),
    ...[...np.confined].map(([entry, effects]) =>
      confinedDraft(entry, effects, unreleasedDefaults.get(entry) ?? [], head, baseMachineTypes),
    ),
    ...[...np.byDefault].map(([property, effects]) =>
      byDefaultDraft(property, effects, head, baseMachineTypes),
    ),
  ];
}

function newPropertyEntry(entry: CompatProperty, head: Catalog): NewPropertyEntry {
  const set = Object.values(head.compatSets).find((s) => s.entries.includes(entry));
  return {
    ...(set ? { set: set.name } : {}),
    target: entry.target!,
    value: entry.value,
    path: entry.location.path,
    line: entry.location.line,
  };
}

/** A new property that a compat entry sets for some machine types, whose default reaches others. */
function uncoveredDraft(
  entry: CompatProperty,
  effects: Effect[],
  head: Catalog,
  releasedMachine: (m: MachineType) => boolean,
): Draft {
  const property = effects[0]!.property;
  const released = effects.filter((e) => e.released);
  const keptBy = newPropertyEntry(entry, head);
  const value = head.propertyDefaults[property]!;
  const location = loc(entry.location, 'RIGHT');
  if (!released.length) {
    return classified(
      'compat-confined-change',
      { kind: 'new-property-unreleased', keptBy },
      {
        class: 'safe',
        models: uniq(effects.map((e) => e.name)),
        machineTypes: uniq(effects.map((e) => e.machineType)),
        property,
        before: null,
        after: value,
        location,
      },
    );
  }
  const confining = newestReleasedCompatSet(head, releasedMachine);
  const driver = entry.target === '*' ? 'TYPE_X86_CPU' : `"${entry.target}" "-" TYPE_X86_CPU`;
  const line = `{ ${driver}, "${property}", "${entry.value}" },`;
  return classified(
    'released-model-changed',
    { kind: 'new-property', keptBy, entry: line, ...(confining ? { addTo: confining.name } : {}) },
    {
      class: 'new-model-required',
      models: uniq(released.map((e) => e.name)),
      machineTypes: uniq(released.map((e) => e.machineType)),
      property,
      before: null,
      after: value,
      location,
      ...(confining
        ? {
            fixLines: {
              path: confining.location.path,
              afterLine: confining.location.line,
              text: `    ${line}`,
            },
          }
        : {}),
    },
  );
}

/** A new property that a compat entry sets, on machine types the base had, to their old behaviour. */
function confinedDraft(
  entry: CompatProperty,
  effects: Effect[],
  unreleasedDefaults: Effect[],
  head: Catalog,
  baseMachineTypes: number,
): Draft {
  const property = effects[0]!.property;
  const machineTypes = uniq(effects.map((e) => e.machineType));
  const newer = uniq(unreleasedDefaults.map((e) => e.machineType));
  return classified(
    'compat-confined-change',
    {
      kind: 'new-property-confined',
      keptBy: newPropertyEntry(entry, head),
      confined: machineTypes.length,
      baseMachineTypes,
      ...(newer.length
        ? { newDefault: { value: head.propertyDefaults[property] ?? null, machineTypes: newer } }
        : {}),
    },
    {
      class: 'safe',
      models: uniq(effects.map((e) => e.name)),
      machineTypes: newer.length ? newer : machineTypes,
      property,
      before: null,
      after: effects[0]!.after ?? null,
      location: loc(entry.location, 'RIGHT'),
    },
  );
}

/** A new property that nothing sets: the machine types the base had take its default. */
function byDefaultDraft(property: string, effects: Effect[], head: Catalog, baseMachineTypes: number): Draft {
  const at = head.propertyDefaultLocations?.[property];
  return classified(
    'new-property-default',
    { ...(at ? { declaredAt: { path: at.path, line: at.line } } : {}), baseMachineTypes },
    {
      class: 'safe',
      models: uniq(effects.map((e) => e.name)),
      machineTypes: uniq(effects.map((e) => e.machineType)),
      property,
      before: null,
      after: head.propertyDefaults[property]!,
      location: at ? loc(at, 'RIGHT') : { path: head.files[0] ?? '', line: 1, side: 'RIGHT' },
    },
  );
}

/**
 * The compat array that the newest released machine type gets and the machine type after it
 * does not: where an entry keeps old behaviour for every released machine type.
 */
export function newestReleasedCompatSet(
  head: Catalog,
  releasedMachine: (m: MachineType) => boolean,
): CompatSet | undefined {
  for (const [t, u] of consecutivePairs(head.machineTypes).reverse()) {
    if (!releasedMachine(t) || releasedMachine(u)) continue;
    const name =
      t.compatSets.find((s) => !u.compatSets.includes(s) && /^pc_compat_/.test(s)) ??
      t.compatSets.find((s) => !u.compatSets.includes(s));
    if (name && head.compatSets[name]) return head.compatSets[name];
  }
  return undefined;
}

/** QEMU's spelling of a prop value inside `{ "prop", "value" }`. */
const qemuValue = (v: PropValue): string => (v === true ? 'on' : v === false ? 'off' : String(v));

/**
 * A suggestion that undoes a change on the line that made it, where that is mechanical: a
 * version prop's value put back, or a feature term that stands alone on its line removed.
 */
function revertSuggestion(
  c: CatalogChange,
  headLine: (path: string, line: number) => string | undefined,
): Suggestion | undefined {
  if (c.side !== 'RIGHT' || !('location' in c) || !c.location) return undefined;
  const text = headLine(c.location.path, c.location.line);
  if (text === undefined) return undefined;
  const at = { path: c.location.path, startLine: c.location.line, endLine: c.location.line };
  if (c.kind === 'version-prop' && c.before !== undefined && c.after !== undefined) {
    const quoted = `"${qemuValue(c.after)}"`;
    if (text.split(quoted).length !== 2 || !text.includes(`"${c.property}"`)) return undefined;
    return { ...at, replacement: text.replace(quoted, `"${qemuValue(c.before)}"`) };
  }
  if (
    c.kind === 'model-prop' &&
    c.before === undefined &&
    c.after === true &&
    /^\s*[A-Z][A-Z0-9_]*\s*\|?\s*$/.test(text)
  ) {
    return { ...at, replacement: '' };
  }
  return undefined;
}

function setMinus<T>(a: Set<T>, b: Set<T>): Set<T> {
  const out = new Set<T>();
  for (const x of a) if (!b.has(x)) out.add(x);
  return out;
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

interface Group {
  change: CatalogChange;
  effects: Effect[];
  gains: HostGain[];
}

/**
 * The findings of one cause: released names that change (new-model-required) and, where compat
 * keeps the released machine types of other names unchanged, what those names ask more of the
 * host on newer machine types (type-2), each on its own; otherwise what is safe about it.
 */
function draftsForGroup(
  g: Group,
  head: Catalog,
  changes: CatalogChange[],
  releasedMachine: (m: MachineType) => boolean,
): Draft[] {
  const releasedEffects = g.effects.filter((e) => e.released);
  const out: Draft[] = [];
  if (releasedEffects.length) out.push(releasedDraft(g, releasedEffects, head, releasedMachine));
  const gainedElsewhere = releasedEffects.length
    ? g.gains.filter((x) => !releasedEffects.some((e) => e.name === x.name))
    : g.gains;
  if (gainedElsewhere.length) out.push(gainsDraft({ ...g, gains: gainedElsewhere }, head, changes));
  if (!out.length) out.push(safeDraft(g, head, changes, releasedMachine));
  return out;
}

function causeLocation(c: CatalogChange, head: Catalog): FindingLocation {
  return c.location ? loc(c.location, c.side) : { path: head.files[0] ?? '', line: 1, side: 'RIGHT' };
}

/** The change without its place: the facts its findings state about it. */
function causeOf(c: CatalogChange): Cause {
  return Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'location' && k !== 'side')) as Cause;
}

const causeModel = (c: CatalogChange, head: Catalog): CpuModel | undefined =>
  'model' in c ? head.models.find((m) => m.name === c.model) : undefined;

/** The name of the version a model's next change is added as. */
const nextVersion = (model: CpuModel): string => `${model.name}-v${model.versions.at(-1)!.version + 1}`;

const setRef = (set: CompatSet): CompatSetRef => ({
  name: set.name,
  path: set.location.path,
  line: set.location.line,
});

function releasedDraft(
  g: Group,
  releasedEffects: Effect[],
  head: Catalog,
  releasedMachine: (m: MachineType) => boolean,
): Draft {
  const c = g.change;
  const property = 'property' in c ? c.property : (g.effects[0]?.property ?? g.gains[0]?.property);
  const gained = uniq(
    releasedEffects
      .filter(
        (e) =>
          e.after === true &&
          e.before !== true &&
          hostRequirements(head, { [e.property]: true }).has(e.property),
      )
      .map((e) => e.property),
  );
  const sample = releasedEffects.find((e) => e.property === property) ?? releasedEffects[0]!;
  const { remedy, fixLines } = releasedRemedy(c, sample, gained, head, releasedMachine);
  return classified(
    'released-model-changed',
    { kind: 'change', cause: causeOf(c), remedy },
    {
      class: 'new-model-required',
      models: uniq(releasedEffects.map((e) => e.name)),
      machineTypes: uniq(releasedEffects.map((e) => e.machineType)),
      property: sample.property,
      before: sample.before ?? null,
      after: sample.after ?? null,
      ...(gained.length ? { hostRequirement: hostRequirementOf(head, gained) } : {}),
      location: causeLocation(c, head),
      ...(fixLines ? { fixLines } : {}),
    },
  );
}

/** How a change to released models is put right, and the lines that do it where they are mechanical. */
function releasedRemedy(
  c: CatalogChange,
  sample: Effect,
  gained: string[],
  head: Catalog,
  releasedMachine: (m: MachineType) => boolean,
): { remedy: ReleasedRemedy; fixLines?: FixLines | undefined } {
  const model = causeModel(c, head);
  if (model) {
    const fixLines =
      c.kind === 'model-prop' || c.kind === 'version-prop'
        ? newVersionBlock(model, [[c.property, c.after]])
        : undefined;
    return { remedy: { kind: 'new-version', name: nextVersion(model) }, fixLines };
  }
  const newest = newestReleasedCompatSet(head, releasedMachine);
  const insert = (set: CompatSet, entry: string): FixLines => ({
    path: set.location.path,
    afterLine: set.location.line,
    text: `    ${entry}`,
  });
  // A default every CPU shares (an accelerator default, a CPU property's default) is kept
  // for released machine types by one compat entry for every CPU in the newest released
  // machine type's compat array; unless it adds a host requirement, that makes it safe.
  if ((c.kind === 'accel-default' || c.kind === 'property-default') && c.before !== undefined) {
    const entry = `{ TYPE_X86_CPU, "${c.property}", "${qemuValue(c.before)}" },`;
    if (!gained.length && newest)
      return {
        remedy: { kind: 'keep-old-value', entry, set: newest.name },
        fixLines: newest.entries.length ? insert(newest, entry) : undefined,
      };
  }
  if (c.kind === 'compat-entry') {
    // An entry of a released compat array changes released machine types itself: the old value
    // belongs in the newest released array, with the new one as the default.
    const entry =
      sample.before !== undefined
        ? `{ ${c.target === '*' ? 'TYPE_X86_CPU' : `"${c.target}-" TYPE_X86_CPU`}, "${sample.property}", "${qemuValue(sample.before)}" },`
        : undefined;
    return {
      remedy: {
        kind: 'move-compat-entry',
        ...(entry ? { entry } : {}),
        ...(newest ? { newest: setRef(newest) } : {}),
      },
      fixLines: newest && entry ? insert(newest, entry) : undefined,
    };
  }
  if (gained.length) return { remedy: { kind: 'new-versions' } };
  return { remedy: { kind: 'revert', ...(newest ? { newest: setRef(newest) } : {}) } };
}

/** Compat entries of a cause, as their facts. */
const entryRefs = (entries: Extract<CatalogChange, { kind: 'compat-entry' }>[]): CompatEntryRef[] =>
  entries.map((k) => ({
    set: k.set,
    property: k.property,
    value: String(k.after),
    path: k.location.path,
    line: k.location.line,
  }));

function gainsDraft(g: Group, head: Catalog, changes: CatalogChange[]): Draft {
  const c = g.change;
  const model = causeModel(c, head);
  const models = uniq(g.gains.map((x) => x.name));
  const gained = uniq(g.gains.map((x) => x.property));
  // Compat entries of this change that keep released machine types as they were: they are why
  // only newer machine types see the gain.
  const keeping = changes.filter(
    (x): x is Extract<CatalogChange, { kind: 'compat-entry' }> =>
      x.kind === 'compat-entry' &&
      x.side === 'RIGHT' &&
      gained.includes(head.minimumOf?.[x.property] ?? x.property) &&
      (x.target === '*' || models.includes(x.target)),
  );
  const fixLines =
    model && c.kind === 'model-prop'
      ? newVersionBlock(
          model,
          gained.map((p) => [p, true]),
        )
      : undefined;
  return classified(
    'machine-type-host-requirement',
    {
      kind: 'change',
      cause: causeOf(c),
      olderMachineTypes: uniq(g.gains.map((x) => x.from)),
      keptBy: entryRefs(keeping),
      ...(model ? { newVersion: nextVersion(model) } : {}),
    },
    {
      class: 'type-2',
      models,
      machineTypes: uniq(g.gains.map((x) => x.to)),
      property: gained[0],
      before: false,
      after: true,
      hostRequirement: hostRequirementOf(head, gained),
      location: causeLocation(c, head),
      ...(fixLines ? { fixLines } : {}),
    },
  );
}

function safeDraft(
  g: Group,
  head: Catalog,
  changes: CatalogChange[],
  releasedMachine: (m: MachineType) => boolean,
): Draft {
  const c = g.change;
  const property = 'property' in c ? c.property : (g.effects[0]?.property ?? g.gains[0]?.property);
  const location = causeLocation(c, head);
  const models = uniq(g.effects.map((e) => e.name));
  const machineTypes = uniq(g.effects.map((e) => e.machineType));
  const onlyUnreleasedMachines = g.effects.every((e) => {
    const mt = head.machineTypes.find((m) => m.name === e.machineType);
    return mt ? !releasedMachine(mt) : true;
  });
  if (onlyUnreleasedMachines && machineTypes.length) {
    const sample = g.effects[0]!;
    const confiningEntries = changes.filter(
      (x): x is Extract<CatalogChange, { kind: 'compat-entry' }> =>
        x.kind === 'compat-entry' && x !== c && x.property === property && x.side === 'RIGHT',
    );
    return classified(
      'compat-confined-change',
      { kind: 'change', cause: causeOf(c), keptBy: entryRefs(confiningEntries) },
      {
        class: 'safe',
        models,
        machineTypes,
        property: sample.property,
        before: sample.before ?? null,
        after: sample.after ?? null,
        location,
      },
    );
  }
  return classified(
    'unreleased-change',
    { kind: 'change', cause: causeOf(c) },
    { class: 'safe', models, machineTypes, ...(property ? { property } : {}), location },
  );
}

export type { FindingClass };
