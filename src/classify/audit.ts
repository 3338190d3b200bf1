import { EffectiveModels, registeredNames } from '../catalog/effective.js';
import type { Catalog, CompatProperty } from '../catalog/model.js';
import { classified } from './classified.js';
import {
  consecutivePairs,
  hostRequirements,
  nameConflicts,
  hostRequirementOf,
  type CompatEntryRef,
  type Draft,
} from './machine-catalog.js';

/** Host requirements that one step from a machine type to the next adds, by their cause. */
interface StepGains {
  entry?: CompatProperty;
  set?: string;
  names: Set<string>;
  machineTypes: Set<string>;
  older: Set<string>;
  property: string;
}

/**
 * One snapshot judged as a whole: every place where a newer machine type asks more of the host
 * than the one before it (each is a type-2 change that was made at some point), and names
 * registered twice. The findings are check's rules, with check's facts and words.
 */
export function auditMachineCatalog(catalog: Catalog): Draft[] {
  const names = registeredNames(catalog);
  const findings: Draft[] = [...stepGains(catalog)].map((g) => {
    const models = [...g.names];
    const location = g.entry?.location ?? names.find((n) => n.name === models[0])!.location;
    const keptBy: CompatEntryRef[] =
      g.entry && g.set
        ? [
            {
              set: g.set,
              property: g.entry.property,
              value: g.entry.value,
              path: g.entry.location.path,
              line: g.entry.location.line,
            },
          ]
        : [];
    return classified(
      'machine-type-host-requirement',
      { kind: 'snapshot', olderMachineTypes: [...g.older], keptBy },
      {
        class: 'type-2',
        models,
        machineTypes: [...g.machineTypes],
        property: g.property,
        before: false,
        after: true,
        hostRequirement: hostRequirementOf(catalog, [g.property]),
        location: { path: location.path, line: location.line, side: 'RIGHT' },
      },
    );
  });
  findings.push(...nameConflicts(catalog));
  return findings;
}

/**
 * Each host requirement a machine type adds over the one before it, grouped by the compat entry
 * that keeps the older machine type without it (or, with none, by model, property and machine type).
 */
function stepGains(catalog: Catalog): Iterable<StepGains> {
  const em = new EffectiveModels(catalog);
  const groups = new Map<string, StepGains>();
  const names = registeredNames(catalog);
  for (const [t, u] of consecutivePairs(catalog.machineTypes)) {
    const onlyOlder = t.compatSets.filter((s) => !u.compatSets.includes(s));
    for (const n of names) {
      const et = em.get(n.name, t.name, 'kvm');
      const eu = em.get(n.name, u.name, 'kvm');
      if (!et || !eu) continue;
      const older = hostRequirements(catalog, et);
      for (const p of hostRequirements(catalog, eu)) {
        if (older.has(p)) continue;
        // The cause: the compat entry that keeps the older machine type without it.
        const keeps = (e: CompatProperty): boolean =>
          (e.target === '*' || e.target === n.name) && em.canonicalProperty(e.property) === p;
        const set = onlyOlder.find((s) => catalog.compatSets[s]?.entries.some(keeps));
        const entry = set ? catalog.compatSets[set]!.entries.find(keeps) : undefined;
        const key = entry
          ? `${entry.location.path}:${entry.location.line}`
          : `${n.model.name}\0${p}\0${u.name}`;
        let g = groups.get(key);
        if (!g)
          groups.set(
            key,
            (g = {
              ...(entry ? { entry, set } : {}),
              names: new Set(),
              machineTypes: new Set(),
              older: new Set(),
              property: p,
            }),
          );
        g.names.add(n.name);
        g.machineTypes.add(u.name);
        g.older.add(t.name);
      }
    }
  }
  return groups.values();
}

/**
 * The facts of each rule this module classifies, by rule id. Audit's rules are check's
 * (`machine-type-host-requirement`, `name-conflict`): their facts are declared, and worded, once,
 * with machine-catalog's.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuditMeta {}
