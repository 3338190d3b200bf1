/**
 * The project's reading of a QEMU tree against that release's binary: for every machine type
 * and model name the binary offers, `expand --accel tcg` (src/engine.ts expandEach) against
 * `query-cpu-model-expansion type=full`, and the resolved version against
 * `query-cpu-definitions` alias-of. The counts are what the README's truth table states.
 */
import { EffectiveModels } from '../../src/catalog/effective.js';
import type { Catalog } from '../../src/catalog/model.js';
import { expandEach } from '../../src/engine.js';
import type { QmpDump } from './qmp.js';

/** host, max and base depend on the host by design: they are not catalog models. */
export const NOT_CATALOG_MODELS: ReadonlySet<string> = new Set(['host', 'max', 'base']);

/** The properties of an effective model the comparison covers, besides every feature. */
export const COMPARED_SCALARS = [
  'family',
  'model',
  'stepping',
  'level',
  'xlevel',
  'vendor',
  'model-id',
] as const;

export interface OracleComparison {
  /** Machine types the reader registers / the binary's query-machines lists (pc-q35-*, pc-i440fx-*). */
  machineTypes: { ours: string[]; binary: string[]; onlyOurs: string[]; onlyBinary: string[] };
  /** Model names (without host, max, base): the reader's / the binary's. */
  models: { onlyOurs: string[]; onlyBinary: string[] };
  /** (machine type, model) pairs the binary expands, and those where every compared property agrees. */
  pairs: { total: number; agreeing: number };
  /**
   * `machine-type model: property qemu=... ours=...`, one line per disagreeing pair; the pairs
   * of a machine type the reader does not register are one line per machine type.
   */
  disagreements: string[];
  /** (machine type, name) pairs of query-cpu-definitions, and those whose alias-of agrees. */
  aliasOf: { total: number; agreeing: number };
  aliasDisagreements: string[];
}

export function compareWithBinary(catalog: Catalog, dump: QmpDump): OracleComparison {
  const ours = catalog.machineTypes.map((m) => m.name);
  const oursSet = new Set(ours);
  const binarySet = new Set(dump.machineTypes);
  const em = new EffectiveModels(catalog);
  const ourModels = new Set(em.registeredNames().map((n) => n.name));
  const binaryModels = new Set<string>();
  for (const defs of Object.values(dump.definitions))
    for (const d of defs) if (!NOT_CATALOG_MODELS.has(d.name)) binaryModels.add(d.name);

  const compared = [...catalog.features.map((f) => f.name), ...COMPARED_SCALARS];
  const expanded = new Map(expandEach({ catalog, accel: 'tcg' }));
  const pairs = { total: 0, agreeing: 0 };
  const disagreements: string[] = [];
  for (const machineType of dump.machineTypes) {
    const models = Object.entries(dump.expansions[machineType] ?? {}).filter(
      ([n]) => !NOT_CATALOG_MODELS.has(n),
    );
    pairs.total += models.length;
    if (!oursSet.has(machineType)) {
      disagreements.push(`${machineType}: not registered by the reader (${models.length} models)`);
      continue;
    }
    for (const [name, qemuProps] of models) {
      const mine = expanded.get(machineType)?.[name];
      if (!mine) {
        disagreements.push(`${machineType} ${name}: not in the catalog`);
        continue;
      }
      const differing = compared.filter((p) => qemuProps[p] !== undefined && qemuProps[p] !== mine[p]);
      if (differing.length === 0) pairs.agreeing++;
      else
        disagreements.push(
          `${machineType} ${name}: ${differing.map((p) => `${p} qemu=${fmt(qemuProps[p])} ours=${fmt(mine[p])}`).join(', ')}`,
        );
    }
  }

  const aliasOf = { total: 0, agreeing: 0 };
  const aliasDisagreements: string[] = [];
  for (const machineType of dump.machineTypes) {
    const defs = (dump.definitions[machineType] ?? []).filter((d) => !NOT_CATALOG_MODELS.has(d.name));
    aliasOf.total += defs.length;
    if (!oursSet.has(machineType)) {
      aliasDisagreements.push(`${machineType}: not registered by the reader (${defs.length} names)`);
      continue;
    }
    for (const def of defs) {
      const mine = em.aliasOf(def.name, machineType);
      if (mine === def.aliasOf) aliasOf.agreeing++;
      else aliasDisagreements.push(`${machineType} ${def.name}: qemu=${def.aliasOf} ours=${mine}`);
    }
  }

  return {
    machineTypes: {
      ours,
      binary: dump.machineTypes,
      onlyOurs: ours.filter((m) => !binarySet.has(m)),
      onlyBinary: dump.machineTypes.filter((m) => !oursSet.has(m)),
    },
    models: {
      onlyOurs: [...ourModels].filter((m) => !binaryModels.has(m)).sort(),
      onlyBinary: [...binaryModels].filter((m) => !ourModels.has(m)).sort(),
    },
    pairs,
    disagreements,
    aliasOf,
    aliasDisagreements,
  };
}

function fmt(v: unknown): string {
  return typeof v === 'number' && v > 255 ? `0x${v.toString(16)}` : String(v);
}
