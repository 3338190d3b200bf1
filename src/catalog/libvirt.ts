/**
 * libvirt's x86 CPU models as libvirt itself builds them from a cpu_map (src/cpu/cpu_x86.c):
 * each model with its vendor, signatures and features, following its `<model name='base'/>`
 * chain. This is what a domain defined with the model gets, and what a change is judged on.
 */
import type { PropValue } from './model.js';
import type {
  LibvirtCpuMap,
  LibvirtLocation,
  LibvirtModel,
  LibvirtSignature,
} from '../parse/libvirt/cpu-map.js';

/**
 * How a feature belongs to a model, as libvirt's x86ModelParseFeatures reads the marks
 * (`removed` is tested first, so it wins over `added`):
 * - `required`: in the model's CPUID data; the host must provide it.
 * - `added`: `added='yes'`, kept out of the data; check='full' does not complain when the
 *   hypervisor enables it, because older libvirt ignored it too.
 * - `removed`: `removed='yes'`, kept out of the data; when a domain starts fresh libvirt writes
 *   it disabled into the definition, when one is restored or migrated in it stays enabled.
 */
export type LibvirtFeatureStatus = 'required' | 'added' | 'removed';

/** A feature of a model, with the line that brings it in and the bits it stands for. */
export interface LibvirtModelFeatureEntry {
  name: string;
  /**
   * Only the marks count: x86ModelParseFeatures reads a model's `<feature>` for its name,
   * `removed` and `added`, and nothing else (a `policy` there changes nothing).
   */
  status: LibvirtFeatureStatus;
  /** The model whose `<feature>` line brings it in (the model itself, or a base). */
  from: string;
  location: LibvirtLocation;
  /** The CPUID/MSR bits of the feature's definition (x86_features.xml). */
  bits: string;
  definition: LibvirtLocation;
}

/** A model as libvirt builds it: its base's CPUID data, vendor and signatures, then its own. */
export interface EffectiveLibvirtModel {
  name: string;
  /** The `<model>` element. */
  location: LibvirtLocation;
  vendor?: {
    name: string;
    string: string;
    /** The `<vendor name=.../>` line of the model (or of a base) that names it. */
    location: LibvirtLocation;
    /** Where the vendor is defined with its string. */
    definition: LibvirtLocation;
  };
  signatures: LibvirtSignature[];
  /** Feature name to the line that brings it in. */
  features: Map<string, LibvirtModelFeatureEntry>;
  /**
   * The `<feature>` lines of the model's own element, whatever their marks: the only lines
   * whose marks act on this model (marks are not inherited).
   */
  lines: Map<string, LibvirtLocation>;
  /** The base chain, the first base first and the model itself last. */
  chain: string[];
}

/** The cpu_map's x86 models, in the map's order, with the texts they were read from. */
export interface LibvirtCatalog {
  /** Folder of index.xml, relative to the catalog root. */
  dir: string;
  indexPath: string;
  models: Map<string, EffectiveLibvirtModel>;
  /** Every file read, relative to the catalog root, with its text. */
  files: Readonly<Record<string, string>>;
  notes: string[];
}

export function libvirtCatalog(map: LibvirtCpuMap): LibvirtCatalog {
  return {
    dir: map.dir,
    indexPath: map.dir === '.' ? 'index.xml' : `${map.dir}/index.xml`,
    models: new Map(Object.keys(map.models).map((name) => [name, effectiveLibvirtModel(map, name)])),
    files: map.files,
    notes: map.notes,
  };
}

/**
 * libvirt's x86ModelParseAncestor copies the base's data and subtracts the base's removed
 * features; the base's `added` and `removed` lists are not inherited. So a derived model
 * inherits only the base's required features, and marks act on the model whose file has them.
 */
export function effectiveLibvirtModel(map: LibvirtCpuMap, name: string): EffectiveLibvirtModel {
  const chain: LibvirtModel[] = [];
  for (
    let m: LibvirtModel | undefined = map.models[name];
    m;
    m = m.base ? map.models[m.base.name] : undefined
  )
    chain.unshift(m);
  const self = chain[chain.length - 1]!;
  const out: EffectiveLibvirtModel = {
    name,
    location: self.location,
    signatures: [],
    features: new Map(),
    lines: new Map(),
    chain: chain.map((m) => m.name),
  };
  // A feature listed twice is pointed at by its first line.
  for (const f of self.features) if (!out.lines.has(f.name)) out.lines.set(f.name, f.location);
  for (const m of chain) {
    if (m.vendor) {
      const def = map.vendors[m.vendor.name];
      out.vendor = {
        name: m.vendor.name,
        string: def?.string ?? '',
        location: m.vendor.location,
        definition: def?.location ?? m.vendor.location,
      };
    }
    if (m.signatures.length) out.signatures = m.signatures;
    for (const [fname, f] of out.features) if (f.status !== 'required') out.features.delete(fname);
    for (const f of m.features) {
      const inherited = out.features.get(f.name);
      // An `added` mark on a feature the base's data already has leaves it in the data.
      if (f.added && !f.removed && inherited) continue;
      const def = map.features[f.name]!;
      out.features.set(f.name, {
        name: f.name,
        status: f.removed ? 'removed' : f.added ? 'added' : 'required',
        from: m.name,
        location: f.location,
        bits: def.bits,
        definition: def.location,
      });
    }
  }
  return out;
}

/**
 * A feature as a report shows it: `false` when the model lacks it, `true` when it is required,
 * else its mark (`removed='yes'`, `added='yes'`).
 */
export function featureValue(f: LibvirtModelFeatureEntry | undefined): PropValue {
  if (!f) return false;
  return f.status === 'added' ? "added='yes'" : f.status === 'removed' ? "removed='yes'" : true;
}

/** A line (1-based) of a file the catalog was read from; each file is split once, when first asked. */
export function catalogLine(catalog: LibvirtCatalog): (path: string, line: number) => string | undefined {
  const lines = new Map<string, string[] | undefined>();
  return (path, line) => {
    if (!lines.has(path)) lines.set(path, catalog.files[path]?.split('\n'));
    return lines.get(path)?.[line - 1];
  };
}
