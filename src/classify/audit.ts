import { EffectiveModels, registeredNames } from '../catalog/effective.js';
import type { Catalog, CompatProperty } from '../catalog/model.js';
import { hostRequirements, nameConflicts, whyHost, type Draft } from './machine-catalog.js';

/**
 * One snapshot judged as a whole: every place where a newer machine type asks more of the host
 * than the one before it (each is a type-2 change that was made at some point), and names
 * registered twice.
 */
export function auditMachineCatalog(catalog: Catalog): Draft[] {
  const em = new EffectiveModels(catalog);
  const groups = new Map<
    string,
    {
      entry?: CompatProperty;
      names: Set<string>;
      machineTypes: Set<string>;
      property: string;
      from: string;
      to: string;
    }
  >();
  const names = registeredNames(catalog);
  for (let i = 1; i < catalog.machineTypes.length; i++) {
    const t = catalog.machineTypes[i - 1]!;
    const u = catalog.machineTypes[i]!;
    if (t.family !== u.family) continue;
    const onlyOlder = t.compatSets.filter((s) => !u.compatSets.includes(s));
    for (const n of names) {
      const et = em.get(n.name, t.name, 'kvm');
      const eu = em.get(n.name, u.name, 'kvm');
      if (!et || !eu) continue;
      const older = hostRequirements(catalog, et);
      for (const p of hostRequirements(catalog, eu)) {
        if (older.has(p)) continue;
        // The cause: the compat entry that keeps the older machine type without it.
        const entry = onlyOlder
          .flatMap((s) => catalog.compatSets[s]?.entries ?? [])
          .find((e) => (e.target === '*' || e.target === n.name) && em.canonicalProperty(e.property) === p);
        const key = entry
          ? `${entry.location.path}:${entry.location.line}`
          : `${n.model.name}\0${p}\0${u.name}`;
        let g = groups.get(key);
        if (!g)
          groups.set(
            key,
            (g = { entry, names: new Set(), machineTypes: new Set(), property: p, from: t.name, to: u.name }),
          );
        g.names.add(n.name);
        g.machineTypes.add(u.name);
      }
    }
  }
  const findings: Draft[] = [];
  for (const g of groups.values()) {
    const models = [...g.names];
    const machineTypes = [...g.machineTypes];
    const location = g.entry?.location ?? names.find((n) => n.name === models[0])!.location;
    findings.push({
      rule: 'machine-type-host-requirement',
      class: 'type-2',
      title: `${g.property} becomes a host requirement from ${g.to} on`,
      message:
        `${models.join(', ')} on ${g.to} requires ${g.property} from the host, which ${g.from} did not` +
        (g.entry
          ? `; ${g.entry.location.path}:${g.entry.location.line} keeps it ${g.entry.value} for older machine types`
          : '') +
        '. A type-2 machine change: accept it with a waiver that gives the reason, as QEMU did for its minimum kernel.',
      models,
      machineTypes,
      property: g.property,
      before: false,
      after: true,
      hostRequirement: {
        gained: [g.property],
        why: whyHost(catalog, [g.property]),
      },
      location: { path: location.path, line: location.line, side: 'RIGHT' },
      fix: `waive it with its reason, or move ${g.property} into a new model version`,
    });
  }
  findings.push(...nameConflicts(catalog));
  return findings;
}

/** The facts of each rule this module classifies, by rule id. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AuditMeta {}
