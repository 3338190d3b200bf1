/**
 * The rule of POLICY.md applied to what two QEMU binaries really give guests (`verify`):
 *
 * - Frozen ABI: on a machine type both binaries register, a model both offer must expand to
 *   the same properties, resolve to the same version (`alias-of`) and answer the same CPUID
 *   leaves. Any difference is `new-model-required`, except a property only one binary reports
 *   (a knob one of them does not have): that is `safe` and said so, and the CPUID comparison
 *   shows whether the guest sees a difference.
 * - Host monotonicity: between consecutive machine types of the head binary, a feature (a name
 *   of the binary's own `-cpu help` list of CPUID flags, not one of QEMU's knobs) that turns on
 *   is a host requirement that grew (`type-2`), unless the base binary shows the very
 *   same growth between the same machine types (the upgrade did not introduce it).
 *
 * Findings are grouped by what changed (a property with its values, or a CPUID register with
 * the bits that changed), each listing every model and machine type it reaches.
 */
import {
  QEMU_EMULATED_FEATURES,
  QEMU_KVM_BASELINE,
  QEMU_OFFERED_FEATURES,
} from '../catalog/host-requirements.js';
import type { ReportNote } from '../report/finding.js';
import { meaningfulRecords, type CpuidRecord } from '../verify/cpuid-firmware.js';
import {
  compareMachineTypes,
  machineTypeFamily,
  type BinarySnapshot,
  type MeasuredValue,
} from '../verify/snapshot.js';
import { measuredClassified, type FindingLocation, type MeasuredClassified } from './classified.js';
import { fingerprint } from './machine-catalog.js';

const REGISTERS = ['eax', 'ebx', 'ecx', 'edx'] as const;
export type Register = (typeof REGISTERS)[number];

/** The two binaries, as the findings name them: their versions, or their paths when the versions agree. */
export interface ComparedBinaries {
  base: string;
  head: string;
}

/** What every finding of two binaries states besides its models and machine types. */
interface Measured {
  binaries: ComparedBinaries;
  /** The (machine type, model) pairs both binaries register on which it shows. */
  pairs: number;
}

/** Bits of one CPUID register that differ. */
export interface CpuidRegisterChange {
  leaf: number;
  subleaf: number;
  register: Register;
  mask: number;
  /** The binary whose guest alone reads the leaf (its range grew or shrank), when only one does. */
  onlyIn?: 'base' | 'head';
}

/**
 * The facts of each rule this module classifies, by rule id. They are the catalog's rules, as
 * the binaries show them; before and after are the finding's own.
 */
export interface BinariesMeta {
  'alias-retargeted': Measured;
  'released-model-changed': Measured &
    (
      | { measured: 'expansion' }
      | {
          measured: 'cpuid';
          registers: CpuidRegisterChange[];
          /** Expansion properties that changed on every one of its pairs. */
          explainedBy: string[];
          accel: string;
          /** Features base's accelerator warned it could not give and head's gives (any pair). */
          accelGained: string[];
          /** Features head's accelerator warns it cannot give and base's gave. */
          accelLost: string[];
        }
    );
  /** A property only head reports. */
  'new-property-default': Measured;
  /** A property only base reports. */
  'property-removed': Measured;
  'machine-type-host-requirement': Measured & {
    /** The machine type before each of the finding's machine types. */
    from: string[];
  };
}

/** `0x7.0 EBX` */
export function describeCpuidRegister(leaf: number, subleaf: number, register: Register): string {
  return `CPUID 0x${leaf.toString(16)}.${subleaf} ${register.toUpperCase()}`;
}

/** The bit numbers set in `mask`, as `bits 4, 11-13`. */
export function describeBits(mask: number): string {
  const bits: number[] = [];
  for (let i = 0; i < 32; i++) if ((mask >>> i) & 1) bits.push(i);
  const runs: string[] = [];
  for (let i = 0; i < bits.length;) {
    let j = i;
    while (j + 1 < bits.length && bits[j + 1] === bits[j]! + 1) j++;
    runs.push(i === j ? `${bits[i]}` : `${bits[i]}-${bits[j]}`);
    i = j + 1;
  }
  return `${bits.length === 1 ? 'bit' : 'bits'} ${runs.join(', ')}`;
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

interface Group {
  models: Set<string>;
  machineTypes: Set<string>;
  pairs: number;
  before?: MeasuredValue | null;
  after?: MeasuredValue | null;
  /** CPUID groups: the expansion properties that changed on every one of its pairs. */
  explainedBy?: Map<string, number>;
  /** CPUID groups: features base's accelerator warned it could not give and head's did not (any pair). */
  accelGained?: string[];
  accelLost?: string[];
}

function addTo<G extends Group>(
  groups: Map<string, G>,
  key: string,
  machineType: string,
  model: string,
  init: () => Omit<G, 'models' | 'machineTypes' | 'pairs'>,
): G {
  let g = groups.get(key);
  if (!g) groups.set(key, (g = { models: new Set(), machineTypes: new Set(), pairs: 0, ...init() } as G));
  g.models.add(model);
  g.machineTypes.add(machineType);
  g.pairs++;
  return g;
}

function sortedMachineTypes(set: Iterable<string>): string[] {
  return [...set].sort(compareMachineTypes);
}

function recordKey(r: CpuidRecord): string {
  return `${r.leaf}.${r.subleaf}`;
}

/** Expansion properties that differ between two property bags, as the finding names them. */
function propertyChanges(
  x: Record<string, MeasuredValue>,
  y: Record<string, MeasuredValue>,
): {
  property: string;
  kind: 'changed' | 'added' | 'removed';
  before?: MeasuredValue;
  after?: MeasuredValue;
}[] {
  const out: ReturnType<typeof propertyChanges> = [];
  for (const property of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
    const inX = Object.hasOwn(x, property);
    const inY = Object.hasOwn(y, property);
    if (inX && inY) {
      if (x[property] !== y[property])
        out.push({ property, kind: 'changed', before: x[property], after: y[property] });
    } else if (inX ? x[property] !== false : y[property] !== false) {
      // A property one binary lacks counts when the other reports a value other than false: a
      // feature the other binary does not know is a bit its guests never saw set.
      out.push(
        inX
          ? { property, kind: 'removed', before: x[property] }
          : { property, kind: 'added', after: y[property] },
      );
    }
  }
  return out;
}

export interface BinaryComparison {
  findings: MeasuredClassified[];
  notes: ReportNote[];
  /** Machine types both binaries register (of those selected). */
  commonMachineTypes: string[];
  /** (machine type, model) pairs compared. */
  pairs: number;
}

/** Models of `snapshot` on `machineType` that verify compares: every one it expanded. */
function modelsOn(snapshot: BinarySnapshot, machineType: string): string[] {
  return Object.keys(snapshot.expansions[machineType] ?? {});
}

export function compareBinaries(base: BinarySnapshot, head: BinarySnapshot): BinaryComparison {
  const notes: ReportNote[] = [];
  // Two builds of one version (a wrapper around the same binary) are told apart by path.
  const [baseName, headName] =
    base.version === head.version
      ? [base.binary, head.binary]
      : [base.version, head.version].map((v) => v.replace(/^QEMU emulator version /, 'QEMU '));
  const location: FindingLocation = { path: head.binary, line: 1, side: 'RIGHT' };
  const inBase = new Set(base.machineTypes);
  const common = head.machineTypes.filter((m) => inBase.has(m));
  const onlyBase = base.machineTypes.filter((m) => !head.machineTypes.includes(m));
  const onlyHead = head.machineTypes.filter((m) => !inBase.has(m));
  if (onlyBase.length)
    notes.push({
      kind: 'info',
      message: `machine types only ${baseName} registers (not compared): ${onlyBase.join(', ')}`,
    });
  if (onlyHead.length)
    notes.push({
      kind: 'info',
      message: `machine types only ${headName} registers (new): ${onlyHead.join(', ')}`,
    });

  const allModels = (s: BinarySnapshot) => new Set(s.machineTypes.flatMap((m) => modelsOn(s, m)));
  const [baseModels, headModels] = [allModels(base), allModels(head)];
  const modelsOnlyBase = [...baseModels].filter((m) => !headModels.has(m)).sort();
  const modelsOnlyHead = [...headModels].filter((m) => !baseModels.has(m)).sort();
  if (modelsOnlyBase.length)
    notes.push({ kind: 'info', message: `models only ${baseName} offers: ${modelsOnlyBase.join(', ')}` });
  if (modelsOnlyHead.length)
    notes.push({
      kind: 'info',
      message: `models only ${headName} offers (new): ${modelsOnlyHead.join(', ')}`,
    });
  for (const s of [base, head])
    for (const [machineType, errors] of Object.entries(s.expansionErrors))
      for (const [model, why] of Object.entries(errors))
        notes.push({
          kind: 'warning',
          message: `${s.version} cannot expand ${model} on ${machineType}: ${why}`,
        });

  const propertyGroups = new Map<string, Group & { property: string; kind: string }>();
  const aliasGroups = new Map<string, Group>();
  const cpuidGroups = new Map<
    string,
    Group & { leaf: number; subleaf: number; register: Register; mask: number }
  >();
  let pairs = 0;

  for (const machineType of common) {
    const headModelsHere = new Set(modelsOn(head, machineType));
    for (const model of modelsOn(base, machineType)
      .filter((m) => headModelsHere.has(m))
      .sort()) {
      pairs++;
      const aliasBefore = base.aliasOf[machineType]?.[model];
      const aliasAfter = head.aliasOf[machineType]?.[model];
      if (aliasBefore !== aliasAfter)
        addTo(aliasGroups, `${aliasBefore}\n${aliasAfter}`, machineType, model, () => ({
          before: aliasBefore ?? null,
          after: aliasAfter ?? null,
        }));

      const changes = propertyChanges(
        base.expansions[machineType]![model]!,
        head.expansions[machineType]![model]!,
      );
      for (const c of changes) {
        addTo(
          propertyGroups,
          `${c.kind}\n${c.property}\n${String(c.before)}\n${String(c.after)}`,
          machineType,
          model,
          () => ({
            property: c.property,
            kind: c.kind,
            before: c.before ?? null,
            after: c.after ?? null,
          }),
        );
      }

      const before = base.cpuid[machineType]?.[model];
      const after = head.cpuid[machineType]?.[model];
      if (!before || !after) continue;
      const beforeByKey = new Map(meaningfulRecords(before).map((r) => [recordKey(r), r]));
      const afterByKey = new Map(meaningfulRecords(after).map((r) => [recordKey(r), r]));
      const zero = (leaf: number, subleaf: number): CpuidRecord => ({
        leaf,
        subleaf,
        eax: 0,
        ebx: 0,
        ecx: 0,
        edx: 0,
      });
      for (const key of new Set([...beforeByKey.keys(), ...afterByKey.keys()])) {
        const x = beforeByKey.get(key);
        const y = afterByKey.get(key);
        const leaf = (x ?? y)!.leaf;
        const subleaf = (x ?? y)!.subleaf;
        // A leaf only one binary's guest reads (its range grew or shrank) compares as zeros on
        // the other side, where a guest that asks gets nothing of it either.
        const a = x ?? zero(leaf, subleaf);
        const b = y ?? zero(leaf, subleaf);
        for (const register of REGISTERS) {
          const mask = (a[register] ^ b[register]) >>> 0;
          if (!mask) continue;
          const g = addTo(cpuidGroups, `${leaf}.${subleaf}.${register}.${mask}`, machineType, model, () => ({
            leaf,
            subleaf,
            register,
            mask,
            explainedBy: undefined,
          }));
          // The expansion properties that changed on every pair of the group name the bits
          // where QEMU's own property names can.
          const changed = new Set(changes.filter((c) => c.kind === 'changed').map((c) => c.property));
          // What the accelerator could not give in one binary and can in the other, by QEMU's
          // own warning (`pcid (CPUID.01H:ECX bit 17)`).
          const lacked = (s: BinarySnapshot) => new Set(s.unavailable[machineType]?.[model] ?? []);
          const [lackedBefore, lackedAfter] = [lacked(base), lacked(head)];
          const gainedNow = [...lackedBefore].filter((f) => !lackedAfter.has(f));
          const lostNow = [...lackedAfter].filter((f) => !lackedBefore.has(f));
          // QEMU warns only where the CPU's `check` property is on (not on old machine types):
          // what any pair's warnings say is collected.
          g.accelGained = [...new Set([...(g.accelGained ?? []), ...gainedNow])];
          g.accelLost = [...new Set([...(g.accelLost ?? []), ...lostNow])];
          if (!g.explainedBy) g.explainedBy = new Map([...changed].map((p) => [p, 1]));
          else
            for (const p of [...g.explainedBy.keys()])
              if (changed.has(p)) g.explainedBy.set(p, g.explainedBy.get(p)! + 1);
          if (!x || !y) g.before ??= x ? hex(x[register]) : null;
          if (!x || !y) g.after ??= y ? hex(y[register]) : null;
        }
      }
    }
  }

  const findings: MeasuredClassified[] = [];
  const binaries: ComparedBinaries = { base: baseName!, head: headName! };
  const common2 = (g: Group) => ({
    models: [...g.models].sort(),
    machineTypes: sortedMachineTypes(g.machineTypes),
  });

  for (const g of aliasGroups.values()) {
    const { models, machineTypes } = common2(g);
    findings.push(
      measuredClassified(
        'alias-retargeted',
        { binaries, pairs: g.pairs },
        {
          class: 'new-model-required',
          models,
          machineTypes,
          property: 'alias-of',
          before: g.before ?? null,
          after: g.after ?? null,
          location,
          fingerprint: fingerprint('alias-retargeted', models, 'alias-of', machineTypes),
        },
      ),
    );
  }

  for (const g of propertyGroups.values()) {
    const { models, machineTypes } = common2(g);
    const facts = {
      models,
      machineTypes,
      property: g.property,
      before: g.before ?? null,
      after: g.after ?? null,
      location,
      fingerprint: fingerprint(
        g.kind === 'changed' ? 'released-model-changed' : `property-${g.kind}`,
        models,
        g.property,
        machineTypes,
      ),
    };
    const meta = { binaries, pairs: g.pairs };
    findings.push(
      g.kind === 'changed'
        ? measuredClassified(
            'released-model-changed',
            { ...meta, measured: 'expansion' },
            { ...facts, class: 'new-model-required' },
          )
        : measuredClassified(g.kind === 'added' ? 'new-property-default' : 'property-removed', meta, {
            ...facts,
            class: 'safe',
          }),
    );
  }

  // Registers that differ on exactly the same pairs are one cause seen in several places.
  const byReach = new Map<string, (typeof cpuidGroups extends Map<string, infer G> ? G : never)[]>();
  for (const g of cpuidGroups.values()) {
    const { models, machineTypes } = common2(g);
    const key = `${models.join(',')}\n${machineTypes.join(',')}\n${g.pairs}`;
    byReach.set(key, [...(byReach.get(key) ?? []), g]);
  }
  for (const gs of byReach.values()) {
    gs.sort(
      (x, y) =>
        x.leaf - y.leaf ||
        x.subleaf - y.subleaf ||
        REGISTERS.indexOf(x.register) - REGISTERS.indexOf(y.register),
    );
    const g = gs[0]!;
    const { models, machineTypes } = common2(g);
    const properties = gs.map(
      (x) => `${describeCpuidRegister(x.leaf, x.subleaf, x.register)} ${describeBits(x.mask)}`,
    );
    const registers = gs.map((x): CpuidRegisterChange => ({
      leaf: x.leaf,
      subleaf: x.subleaf,
      register: x.register,
      mask: x.mask,
      ...(x.before === null
        ? { onlyIn: 'head' as const }
        : x.after === null
          ? { onlyIn: 'base' as const }
          : {}),
    }));
    const explainedBy = [...(g.explainedBy ?? [])]
      .filter(([p, n]) => n === g.pairs && gs.every((x) => x.explainedBy?.get(p) === x.pairs))
      .map(([p]) => p);
    findings.push(
      measuredClassified(
        'released-model-changed',
        {
          binaries,
          pairs: g.pairs,
          measured: 'cpuid',
          registers,
          explainedBy,
          accel: head.accel,
          // The registers of one finding share their pairs: what any of them shows holds for all.
          accelGained: [...new Set(gs.flatMap((x) => x.accelGained ?? []))],
          accelLost: [...new Set(gs.flatMap((x) => x.accelLost ?? []))],
        },
        {
          class: 'new-model-required',
          models,
          machineTypes,
          property: properties[0],
          ...(properties.length > 1 ? { properties } : {}),
          location,
          fingerprint: fingerprint('released-model-changed', models, properties.join(';'), machineTypes),
        },
      ),
    );
  }

  findings.push(...hostGrowth(base, head, location, binaries));
  return { findings, notes, commonMachineTypes: common, pairs };
}

function asksTheHost(property: string, features: ReadonlySet<string>): boolean {
  return (
    features.has(property) &&
    !(property in QEMU_EMULATED_FEATURES) &&
    !(property in QEMU_OFFERED_FEATURES) &&
    !QEMU_KVM_BASELINE.includes(property)
  );
}

/** Boolean properties that turn on from `t` to `t2` for `model` in `s`. */
function grown(s: BinarySnapshot, t: string, t2: string, model: string): string[] {
  const x = s.expansions[t]?.[model];
  const y = s.expansions[t2]?.[model];
  if (!x || !y) return [];
  const features = new Set(s.features);
  return Object.keys(y).filter((p) => y[p] === true && x[p] !== true && asksTheHost(p, features));
}

/** Invariant 2 of POLICY.md on the head binary's consecutive machine types. */
function hostGrowth(
  base: BinarySnapshot,
  head: BinarySnapshot,
  location: FindingLocation,
  binaries: ComparedBinaries,
): MeasuredClassified[] {
  const groups = new Map<string, Group & { property: string; from: Set<string> }>();
  const families = new Map<string, string[]>();
  for (const m of head.machineTypes) {
    const f = machineTypeFamily(m);
    if (f === m) continue;
    families.set(f, [...(families.get(f) ?? []), m]);
  }
  for (const list of families.values()) {
    list.sort(compareMachineTypes);
    for (let i = 1; i < list.length; i++) {
      const [t, t2] = [list[i - 1]!, list[i]!];
      for (const model of modelsOn(head, t2)) {
        const already = new Set(grown(base, t, t2, model));
        for (const property of grown(head, t, t2, model)) {
          if (already.has(property)) continue;
          const g = addTo(groups, property, t2, model, () => ({ property, from: new Set<string>() }));
          g.from.add(t);
        }
      }
    }
  }
  return [...groups.values()].map((g) => {
    const models = [...g.models].sort();
    const machineTypes = sortedMachineTypes(g.machineTypes);
    return measuredClassified(
      'machine-type-host-requirement',
      { binaries, pairs: g.pairs, from: sortedMachineTypes(g.from) },
      {
        class: 'type-2',
        models,
        machineTypes,
        property: g.property,
        before: false,
        after: true,
        hostRequirement: { gained: [g.property], cause: { source: 'measured-feature' } },
        location,
        fingerprint: fingerprint('machine-type-host-requirement', models, g.property, machineTypes),
      },
    );
  });
}
