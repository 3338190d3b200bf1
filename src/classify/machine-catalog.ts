import { createHash } from 'node:crypto';
import { EffectiveModels, registeredNames, resolveVersion } from '../catalog/effective.js';
import type {
  Catalog,
  CompatProperty,
  CompatSet,
  CpuModel,
  DefaultCpuVersion,
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

/** The facts of each rule this module classifies, by rule id. */
export interface MachineCatalogMeta {
  'model-added': { model: string; names: string[] };
  'version-added': { model: string; name: string; alias?: string };
  'alias-added': { name: string; model: string; version: number };
}

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

const fmt = (v: PropValue | undefined | null): string =>
  v === undefined || v === null
    ? '(unset)'
    : typeof v === 'string'
      ? JSON.stringify(v)
      : v === true
        ? 'on'
        : v === false
          ? 'off'
          : String(v);

/** Host requirements of an effective model: properties that are on and that the host must provide. */
export function hostRequirements(catalog: Catalog, props: Record<string, PropValue>): Set<string> {
  const out = new Set<string>();
  const table = catalog.hostRequirements;
  for (const [p, v] of Object.entries(props)) {
    if (v !== true) continue;
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
      drafts.push({
        rule: 'name-conflict',
        class: 'new-model-required',
        title: `${n.name} is registered twice`,
        message: `${n.name} is registered by ${first.model.name} and again by ${n.model.name}; one of them is unreachable.`,
        models: [n.name],
        machineTypes: [],
        location: loc(n.location, 'RIGHT'),
        fix: 'give one of them another name',
      });
    } else if (!first) seen.set(n.name, n);
  }
  return drafts;
}

/** Why each gained property is a host requirement; with one property, just the reason. */
export function whyHost(catalog: Catalog, props: string[]): string {
  const why = (p: string): string =>
    catalog.hostRequirements.properties[p]?.why ??
    (catalog.hostRequirements.defaultKind === 'kvm' ? 'needs KVM support' : 'needs the host CPU');
  return props.length === 1 ? why(props[0]!) : props.map((p) => `${p}: ${why(p)}`).join('; ');
}

/** Consecutive machine types of each family, oldest first. */
function consecutivePairs(machineTypes: MachineType[]): [MachineType, MachineType][] {
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
  const value = (v: PropValue | undefined): string =>
    v === true ? 'on' : v === false ? 'off' : String(v ?? '');
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
  const eb = new EffectiveModels(base);
  const eh = new EffectiveModels(head);
  const drafts: Draft[] = [];
  const baseNames = new Map(registeredNames(base).map((n) => [n.name, n]));
  const headNames = new Map(registeredNames(head).map((n) => [n.name, n]));
  const baseMachines = new Map(base.machineTypes.map((m) => [m.name, m]));
  const commonMachines = head.machineTypes.filter((m) => baseMachines.has(m.name));
  const releasedMachine = (m: MachineType): boolean => baseMachines.get(m.name)?.released ?? false;

  // --- Names that appear, disappear or point elsewhere (invariant 3) ---
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
  // Removed names, one finding per model and kind of removal (a model's names go together).
  const removals = new Map<string, { names: string[]; first: RegisteredName; released: boolean }>();
  for (const [name, n] of baseNames) {
    if (headNames.has(name)) continue;
    const released = releasedNames.has(name);
    const key = `${n.model.name}\0${released}`;
    const r = removals.get(key);
    if (r) r.names.push(name);
    else removals.set(key, { names: [name], first: n, released });
  }
  for (const { names, first, released } of removals.values()) {
    const deprecated = first.model.deprecation;
    const list = names.join(', ');
    drafts.push({
      rule: !released
        ? 'unreleased-change'
        : deprecated
          ? 'deprecated-name-removed'
          : 'released-name-removed',
      class: released && !deprecated ? 'new-model-required' : 'safe',
      title: `${list} removed`,
      message: !released
        ? `${list} ${names.length > 1 ? 'were' : 'was'} never released, so removing ${names.length > 1 ? 'them' : 'it'} affects no VM.`
        : deprecated
          ? `${list}: deprecated (${deprecated.note}) before the removal.`
          : `${list} ${names.length > 1 ? 'are released model names' : 'is a released model name'}: VMs configured with ${names.length > 1 ? 'them' : 'it'} no longer start.`,
      models: names,
      machineTypes: [],
      location: loc(first.location, 'LEFT'),
      fix:
        released && !deprecated
          ? `keep ${first.model.name}; deprecate it first (a deprecation note) and remove it in a later release`
          : 'none needed',
    });
  }
  for (const [name, n] of baseNames) {
    const now = headNames.get(name);
    const released = releasedNames.has(name);
    if (!now) continue;
    if (n.kind === 'alias' && (now.model.name !== n.model.name || now.version !== n.version)) {
      drafts.push({
        rule: released ? 'alias-retargeted' : 'unreleased-change',
        class: released ? 'new-model-required' : 'safe',
        title: `Alias ${name} now points to ${now.model.name}-v${now.version}`,
        message: `${name} stood for ${n.model.name}-v${n.version} and now stands for ${now.model.name}-v${now.version}: VMs using the name see a different CPU.`,
        models: [name],
        machineTypes: [],
        location: loc(now.location, 'RIGHT'),
        fix: released
          ? `keep ${name} on ${n.model.name}-v${n.version} and give the new version a new alias`
          : 'none needed',
      });
    }
  }
  drafts.push(...nameConflicts(head));

  // --- Changes of existing names (invariants 1 and 2), grouped by cause ---
  const changes = diffCatalogs(base, head);
  if (!changes.length) return drafts;
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
  const candidates = [...headNames.values()].filter(
    (n) => baseNames.has(n.name) && (touchesAll || touchedNames.has(n.name)),
  );

  const effects: Effect[] = [];
  const headFeatures = new Set([...head.features, ...base.features].map((f) => f.name));
  for (const n of candidates) {
    for (const mt of commonMachines) {
      const before = eb.get(n.name, mt.name, 'kvm');
      const after = eh.get(n.name, mt.name, 'kvm');
      if (!before || !after) continue;
      const released = releasedMachine(mt) && releasedNames.has(n.name);
      for (const p of new Set([...Object.keys(before), ...Object.keys(after)])) {
        // A feature never mentioned is off: undefined and false are the same to a guest. A knob
        // new in head (a property head declares with a default, which base lacks) is not: its
        // `false` may be the new behaviour, as compat entries tell.
        const newKnob =
          before[p] === undefined &&
          !headFeatures.has(p) &&
          !(p in base.propertyDefaults) &&
          p in head.propertyDefaults;
        if (before[p] !== after[p] && (newKnob || (before[p] ?? false) !== (after[p] ?? false)))
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

  const newProperties = newPropertyEffects(effects, base, head, eh, headNames);
  effects.splice(0, effects.length, ...newProperties.judged);
  drafts.push(...newPropertyDrafts(newProperties, head, releasedMachine, commonMachines.length));

  const gains: HostGain[] = [];
  const pairs = consecutivePairs(head.machineTypes);
  for (const n of candidates) {
    for (const [t, u] of pairs) {
      const hu = eh.get(n.name, u.name, 'kvm');
      const ht = eh.get(n.name, t.name, 'kvm');
      if (!hu || !ht) continue;
      const reqT = hostRequirements(head, ht);
      const bu = eb.get(n.name, u.name, 'kvm');
      const bt = eb.get(n.name, t.name, 'kvm');
      const baseGrowth =
        bu && bt ? setMinus(hostRequirements(base, bu), hostRequirements(base, bt)) : new Set<string>();
      for (const p of hostRequirements(head, hu)) {
        if (!reqT.has(p) && !baseGrowth.has(p))
          gains.push({ name: n.name, from: t.name, to: u.name, property: p });
      }
    }
  }

  // Attribute every effect and gain to the changes that explain it.
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

  for (const g of groups.values()) {
    for (const draft of draftsForGroup(g, base, head, changes, releasedMachine)) {
      const suggestion =
        draft.class === 'safe' || !input.headLine ? undefined : revertSuggestion(g.change, input.headLine);
      drafts.push(suggestion ? { ...draft, suggestion } : draft);
    }
  }
  return drafts;
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
  for (const e of effects) {
    const hostGain = e.after === true && hostRequirements(head, { [e.property]: true }).has(e.property);
    if (!isNew(e.property) || hostGain) {
      out.judged.push(e);
      continue;
    }
    const n = headNames.get(e.name)!;
    const mt = eh.machineType(e.machineType)!;
    const entry = eh
      .cpuCompatEntries(mt)
      .filter(
        (x) =>
          (x.target === '*' || x.target === e.name) &&
          (head.minimumOf?.[x.property] ?? eh.canonicalProperty(x.property)) === e.property,
      )
      .at(-1);
    if (entry) {
      if (eh.typedValue(e.property, entry.value) === e.after) {
        const list = out.confined.get(entry) ?? [];
        out.confined.set(entry, [...list, e]);
      } else out.judged.push(e);
      continue;
    }
    const version = resolveVersion(n, mt);
    const setByCatalog =
      setsIt(e.property, n.model.props) ||
      (version !== 'legacy' &&
        n.model.versions.some((v) => v.version <= version && setsIt(e.property, v.props))) ||
      setsIt(e.property, head.accelDefaults.kvm) ||
      setsIt(e.property, head.alwaysOn);
    if (setByCatalog || head.propertyDefaults[e.property] !== e.after) {
      out.judged.push(e);
      continue;
    }
    // A compat entry elsewhere that sets the property says what the old behaviour was, and so
    // that the default is the new one: machine types it does not reach have changed.
    const elsewhere = allEntries.find(
      (x) =>
        (x.target === '*' || x.target === e.name) &&
        (head.minimumOf?.[x.property] ?? eh.canonicalProperty(x.property)) === e.property &&
        eh.typedValue(e.property, x.value) !== e.after,
    );
    if (elsewhere) {
      const list = out.uncovered.get(elsewhere) ?? [];
      out.uncovered.set(elsewhere, [...list, e]);
    } else {
      const list = out.byDefault.get(e.property) ?? [];
      out.byDefault.set(e.property, [...list, e]);
    }
  }
  return out;
}

function newPropertyDrafts(
  np: NewPropertyEffects,
  head: Catalog,
  releasedMachine: (m: MachineType) => boolean,
  commonMachines: number,
): Draft[] {
  const drafts: Draft[] = [];
  const ofCommon = (n: number): string =>
    n === commonMachines
      ? `all ${n} machine types the base had`
      : `${n} of the ${commonMachines} machine types the base had`;
  const setOf = (entry: CompatProperty): CompatSet | undefined =>
    Object.values(head.compatSets).find((s) => s.entries.includes(entry));
  // The machine types that get a confined property's new default, when none of them is
  // released, are part of the same cause as the entry that confines it: one finding says both.
  const unreleasedDefaults = new Map<CompatProperty, Effect[]>();
  for (const [entry, effects] of np.uncovered) {
    if (np.confined.has(entry) && !effects.some((e) => e.released)) unreleasedDefaults.set(entry, effects);
  }
  for (const [entry, effects] of np.uncovered) {
    if (unreleasedDefaults.has(entry)) continue;
    const property = effects[0]!.property;
    const released = effects.filter((e) => e.released);
    const set = setOf(entry);
    const where = `${set?.name ?? 'a compat array'} (${entry.location.path}:${entry.location.line})`;
    const value = head.propertyDefaults[property]!;
    if (!released.length) {
      drafts.push({
        rule: 'compat-confined-change',
        class: 'safe',
        title: `${property} is new; only unreleased machine types get its default ${fmt(value)}`,
        message:
          `${property} is a CPU property the base does not have. ${where} sets it to ${entry.value} for older machine types; ` +
          `the machine types that get the default ${fmt(value)} instead (${uniq(effects.map((e) => e.machineType)).join(', ')}) are not released yet.`,
        models: uniq(effects.map((e) => e.name)),
        machineTypes: uniq(effects.map((e) => e.machineType)),
        property,
        before: null,
        after: value,
        location: loc(entry.location, 'RIGHT'),
        fix: 'none needed',
      });
      continue;
    }
    const machineTypes = uniq(released.map((e) => e.machineType));
    const confining = newestReleasedCompatSet(head, releasedMachine);
    const driver = entry.target === '*' ? 'TYPE_X86_CPU' : `"${entry.target}" "-" TYPE_X86_CPU`;
    const line = `{ ${driver}, "${property}", "${entry.value}" },`;
    drafts.push({
      rule: 'released-model-changed',
      class: 'new-model-required',
      title: `${property} is new, and released machine types get its new default ${fmt(value)}`,
      message:
        `${property} is a CPU property the base does not have. ${where} sets it to ${entry.value} for older machine types: ` +
        `the value that keeps their old behaviour, so the default ${fmt(value)} is the new one. ` +
        `${count(machineTypes.length, 'released machine type')} that the entry does not reach (${summary(machineTypes)}) now get the default: ` +
        'the guest of every model on them changes.',
      models: uniq(released.map((e) => e.name)),
      machineTypes,
      property,
      before: null,
      after: value,
      location: loc(entry.location, 'RIGHT'),
      fix: confining
        ? `keep the old behaviour on every released machine type: add ${line} to ${confining.name}`
        : `keep the old behaviour on every released machine type with a compat entry ${line}`,
      ...(confining
        ? {
            fixLines: {
              path: confining.location.path,
              afterLine: confining.location.line,
              text: `    ${line}`,
            },
          }
        : {}),
    });
  }
  for (const [entry, effects] of np.confined) {
    const property = effects[0]!.property;
    const machineTypes = uniq(effects.map((e) => e.machineType));
    const set = setOf(entry);
    const newer = uniq((unreleasedDefaults.get(entry) ?? []).map((e) => e.machineType));
    const value = head.propertyDefaults[property];
    drafts.push({
      rule: 'compat-confined-change',
      class: 'safe',
      title: `${property} is new, and ${set?.name ?? 'a compat array'} sets it to ${entry.value} for ${ofCommon(machineTypes.length)}`,
      message:
        `${property} is a CPU property the base does not have. On ${ofCommon(machineTypes.length)}, ` +
        `${set?.name ?? 'a compat array'} (${entry.location.path}:${entry.location.line}) sets it to ${entry.value} ` +
        `for ${entry.target === '*' ? 'every CPU' : entry.target}: the value that keeps their old behaviour, ` +
        'so only newer machine types get the new one, and no host requirement grows.' +
        (newer.length
          ? ` The machine types that get the default ${fmt(value)} (${newer.join(', ')}) are not released yet.`
          : ''),
      models: uniq(effects.map((e) => e.name)),
      machineTypes: newer.length ? newer : machineTypes,
      property,
      before: null,
      after: effects[0]!.after ?? null,
      location: loc(entry.location, 'RIGHT'),
      fix: 'none needed',
    });
  }
  for (const [property, effects] of np.byDefault) {
    const machineTypes = uniq(effects.map((e) => e.machineType));
    const value = head.propertyDefaults[property]!;
    const at = head.propertyDefaultLocations?.[property];
    drafts.push({
      rule: 'new-property-default',
      class: 'safe',
      title: `${property} is new; the machine types the base had get its default ${fmt(value)}`,
      message:
        `${property} is a CPU property the base does not have${at ? ` (${at.path}:${at.line})` : ''}, and no model, ` +
        `version or compat entry sets it: on ${ofCommon(machineTypes.length)} it takes its default, ${fmt(value)}. ` +
        'A new property names behaviour the base had fixed in code; by the convention that keeps machine types stable, ' +
        'a default that changed old machine types would come with a compat entry restoring the old value. ' +
        'Whether the default equals the old behaviour lies in that code, which the catalog tables do not show.',
      models: uniq(effects.map((e) => e.name)),
      machineTypes,
      property,
      before: null,
      after: value,
      location: at ? loc(at, 'RIGHT') : { path: head.files[0] ?? '', line: 1, side: 'RIGHT' },
      fix: 'none needed; if the default changes what released machine types did, add a compat entry with the old value to the newest released compat array',
    });
  }
  return drafts;
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

/** Sentences start with a capital, unless they start with a property name (`avx512f added ...`). */
const capitalize = (text: string): string =>
  /^(the|unversioned|machine type) /.test(text) ? `${text[0]!.toUpperCase()}${text.slice(1)}` : text;

function setMinus<T>(a: Set<T>, b: Set<T>): Set<T> {
  const out = new Set<T>();
  for (const x of a) if (!b.has(x)) out.add(x);
  return out;
}

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** A prop change in words: features are added and removed, other props change value. */
function propChange(
  where: string,
  property: string,
  before: PropValue | undefined,
  after: PropValue | undefined,
): string {
  if (before === undefined && after === true) return `${property} added to ${where}`;
  if (before === true && after === undefined) return `${property} removed from ${where}`;
  if (before === undefined) return `${where} sets ${property} to ${fmt(after)}`;
  if (after === undefined) return `${where} no longer sets ${property} (was ${fmt(before)})`;
  return `${where} changes ${property} from ${fmt(before)} to ${fmt(after)}`;
}

/** What an unversioned name stands for under a default CPU version. */
function versionWords(v: DefaultCpuVersion): string {
  return v === 'latest'
    ? 'their latest versions'
    : v === 'legacy'
      ? 'their unversioned definitions'
      : `version ${v}`;
}

/** `1 machine type`, `51 machine types`. */
function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;
}

/** A list for a sentence: all of it when short, otherwise its first few and how many more. */
function summary(items: string[], shown = 3): string {
  if (items.length <= shown + 1)
    return items.length > 1 ? `${items.slice(0, -1).join(', ')} and ${items.at(-1)}` : (items[0] ?? '');
  return `${items.slice(0, shown).join(', ')} and ${items.length - shown} more`;
}

function describeChange(c: CatalogChange): string {
  switch (c.kind) {
    case 'model-prop':
      return propChange(`the definition of ${c.model}`, c.property, c.before, c.after);
    case 'version-prop':
      return propChange(`${c.model}-v${c.version}`, c.property, c.before, c.after);
    case 'compat-entry': {
      const target = c.target === '*' ? 'every CPU' : c.target;
      if (c.before === undefined) return `${c.set} now sets ${c.property} to ${c.after} for ${target}`;
      if (c.after === undefined)
        return `${c.set} no longer sets ${c.property} for ${target}, which was ${c.before}`;
      return `${c.set} changes ${c.property} for ${target} from ${c.before} to ${c.after}`;
    }
    case 'accel-default':
      return `the ${c.accel} accelerator default of ${c.property} ${fmt(c.before)} → ${fmt(c.after)}`;
    case 'property-default':
      return `the default of ${c.property} ${fmt(c.before)} → ${fmt(c.after)}`;
    case 'machine-type':
      return c.defaultCpuVersion && c.what.split('; ').length === 1
        ? `unversioned names on ${c.machineType} resolve to ${versionWords(c.defaultCpuVersion.after)}, not ${versionWords(c.defaultCpuVersion.before)}`
        : `machine type ${c.machineType}: ${c.what}`;
    case 'catalog-rule':
      return `the catalog's ${c.what}`;
  }
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
  base: Catalog,
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

const causeModel = (c: CatalogChange, head: Catalog): CpuModel | undefined =>
  'model' in c ? head.models.find((m) => m.name === c.model) : undefined;

function releasedDraft(
  g: Group,
  releasedEffects: Effect[],
  head: Catalog,
  releasedMachine: (m: MachineType) => boolean,
): Draft {
  const c = g.change;
  const property = 'property' in c ? c.property : (g.effects[0]?.property ?? g.gains[0]?.property);
  const cause = describeChange(c);
  const model = causeModel(c, head);
  const models = uniq(releasedEffects.map((e) => e.name));
  const machineTypes = uniq(releasedEffects.map((e) => e.machineType));
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
  const newest = newestReleasedCompatSet(head, releasedMachine);
  // A default every CPU shares (an accelerator default, a CPU property's default) is kept
  // for released machine types by one compat entry for every CPU in the newest released
  // machine type's compat array; unless it adds a host requirement, that makes it safe.
  const global =
    (c.kind === 'accel-default' || c.kind === 'property-default') && c.before !== undefined ? c : undefined;
  const confining = global && !gained.length ? newest : undefined;
  const compatEntry = global
    ? `{ TYPE_X86_CPU, "${global.property}", "${qemuValue(global.before!)}" },`
    : undefined;
  // An entry of a released compat array changes released machine types itself: the old value
  // belongs in the newest released array, with the new one as the default.
  const keepOld =
    c.kind === 'compat-entry' && sample.before !== undefined
      ? `{ ${c.target === '*' ? 'TYPE_X86_CPU' : `"${c.target}-" TYPE_X86_CPU`}, "${sample.property}", "${qemuValue(sample.before)}" },`
      : undefined;
  const fixLines =
    model && (c.kind === 'model-prop' || c.kind === 'version-prop')
      ? newVersionBlock(model, [[c.property, c.after]])
      : confining?.entries.length && compatEntry
        ? { path: confining.location.path, afterLine: confining.location.line, text: `    ${compatEntry}` }
        : newest && keepOld
          ? { path: newest.location.path, afterLine: newest.location.line, text: `    ${keepOld}` }
          : undefined;
  const at = (set: CompatSet): string => `${set.name} (${set.location.path}:${set.location.line})`;
  const fix = model
    ? `revert it and add the change as a new version ${model.name}-v${model.versions.at(-1)!.version + 1}`
    : confining && compatEntry
      ? `keep the old value for released machine types: add ${compatEntry} to ${confining.name}`
      : c.kind === 'compat-entry'
        ? newest
          ? `revert it: ${c.set} reaches released machine types. To change ${sample.property} only on newer ones, make the new value the default and add ${keepOld ?? `the old value of ${sample.property}`} to ${at(newest)}, the newest compat array only released machine types get`
          : `revert it: ${c.set} reaches released machine types, and no compat array reaches only released ones. Open the next machine types first; then make the new value the default and keep the old one in the compat array of the newest released machine types`
        : gained.length
          ? `revert it: a default every model shares cannot ask more of the host; put ${summary(gained)} in new model versions`
          : newest
            ? `revert it, or keep the old value on released machine types with a compat entry in ${at(newest)}`
            : 'revert it; to change newer machine types only, open the next machine types first and keep the old value for the released ones in a compat entry';
  return {
    rule: 'released-model-changed',
    class: 'new-model-required',
    title: `${capitalize(cause)}: released models change`,
    message:
      `${capitalize(cause)}. On ${count(machineTypes.length, 'released machine type')} the guest of ${count(models.length, 'released model name')} now sees ` +
      `${sample.property} ${fmt(sample.before)} → ${fmt(sample.after)}` +
      (gained.length ? `, and the host must now provide ${summary(gained)}` : '') +
      '. A released model never changes: VMs that run today would see another CPU, or stop running, after an update.',
    models,
    machineTypes,
    property: sample.property,
    before: sample.before ?? null,
    after: sample.after ?? null,
    ...(gained.length ? { hostRequirement: { gained, why: whyHost(head, gained) } } : {}),
    location: causeLocation(c, head),
    fix,
    ...(fixLines ? { fixLines } : {}),
  };
}

function gainsDraft(g: Group, head: Catalog, changes: CatalogChange[]): Draft {
  const c = g.change;
  const cause = describeChange(c);
  const model = causeModel(c, head);
  const models = uniq(g.gains.map((x) => x.name));
  const machineTypes = uniq(g.gains.map((x) => x.to));
  const older = uniq(g.gains.map((x) => x.from));
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
  const them = gained.length === 1 ? 'it' : 'them';
  const cpuVersion = c.kind === 'machine-type' ? c.defaultCpuVersion : undefined;
  const location = causeLocation(c, head);
  const fix = cpuVersion
    ? `set the default CPU version of ${summary(machineTypes)} back to ${cpuVersion.before} at ${location.path}:${location.line}: ` +
      'unversioned names keep the version older machine types give them, and a guest that wants a newer version names it'
    : model
      ? `leave ${summary(gained)} off by default and add ${them} in a new version ${model.name}-v${model.versions.at(-1)!.version + 1}`
      : `leave ${summary(gained)} off by default; put ${them} in a new model version`;
  return {
    rule: 'machine-type-host-requirement',
    class: 'type-2',
    title: cpuVersion
      ? `${capitalize(cause)}: ${count(gained.length, 'property')} become host requirements`
      : `${summary(gained)} ${gained.length === 1 ? 'becomes a host requirement' : 'become host requirements'} on newer machine types`,
    message:
      `${capitalize(cause)}. ${models.length === 1 ? models[0] : `${count(models.length, 'model name')} (${summary(models)})`} on ${summary(machineTypes)} ` +
      `${models.length === 1 ? 'requires' : 'require'} ${gained.length === 1 ? gained[0] : `${gained.length} properties (${summary(gained)})`} from the host, ` +
      `which ${summary(older)} did not` +
      (keeping.length
        ? `; ${keeping.map((k) => `${k.set} keeps ${k.property} ${k.after} on released machine types (${k.location.path}:${k.location.line})`).join('; ')}`
        : '') +
      ': moving a VM to the newer machine type can make it unrunnable on a host that runs it today, a type-2 machine change.',
    models,
    machineTypes,
    property: gained[0],
    before: false,
    after: true,
    hostRequirement: { gained, why: whyHost(head, gained) },
    location,
    fix,
    ...(fixLines ? { fixLines } : {}),
  };
}

function safeDraft(
  g: Group,
  head: Catalog,
  changes: CatalogChange[],
  releasedMachine: (m: MachineType) => boolean,
): Draft {
  const c = g.change;
  const property = 'property' in c ? c.property : (g.effects[0]?.property ?? g.gains[0]?.property);
  const cause = describeChange(c);
  const location = causeLocation(c, head);
  const models = uniq(g.effects.map((e) => e.name));
  const machineTypes = uniq(g.effects.map((e) => e.machineType));
  const confiningEntries = changes.filter(
    (x): x is Extract<CatalogChange, { kind: 'compat-entry' }> =>
      x.kind === 'compat-entry' && x !== c && x.property === property && x.side === 'RIGHT',
  );
  const onlyUnreleasedMachines = g.effects.every((e) => {
    const mt = head.machineTypes.find((m) => m.name === e.machineType);
    return mt ? !releasedMachine(mt) : true;
  });
  if (onlyUnreleasedMachines && machineTypes.length) {
    const sample = g.effects[0]!;
    return {
      rule: 'compat-confined-change',
      class: 'safe',
      title: `${capitalize(cause)}, confined to unreleased machine types`,
      message:
        `${capitalize(cause)}. Only ${summary(machineTypes)}, not released yet, see ${sample.property} ${fmt(sample.before)} → ${fmt(sample.after)}` +
        (confiningEntries.length
          ? `; ${confiningEntries.map((e) => `${e.set} keeps ${e.property}=${e.after} for released machine types (${e.location.path}:${e.location.line})`).join('; ')}`
          : '') +
        ', and no host requirement grows.',
      models,
      machineTypes,
      property: sample.property,
      before: sample.before ?? null,
      after: sample.after ?? null,
      location,
      fix: 'none needed',
    };
  }
  return {
    rule: 'unreleased-change',
    class: 'safe',
    title: `${capitalize(cause)}: only unreleased entries change`,
    message: `${capitalize(cause)}. It reaches only names that were never released${models.length ? `: ${summary(models)}` : ''}.`,
    models,
    machineTypes,
    ...(property ? { property } : {}),
    location,
    fix: 'none needed',
  };
}

export type { FindingClass };
