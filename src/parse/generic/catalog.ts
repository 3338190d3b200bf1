/**
 * Reader of the generic catalog format (`catalog`): the catalog model written out as YAML or
 * JSON. It produces exactly the `Catalog` the QEMU reader produces, with every location
 * pointing into the catalog file, so effective models, the diff and the classification work
 * on it unchanged.
 */
import type {
  AccelDefaultChange,
  Catalog,
  CompatSet,
  CpuModel,
  DefaultCpuVersion,
  HostRequirementKind,
  MachineType,
  ModelVersion,
  PropSetting,
  PropValue,
} from '../../catalog/model.js';
import { CatalogError, InputError } from '../../errors.js';
import type { CatalogSource } from '../../source/catalog-source.js';
import { compareVersions } from '../qemu-x86/machines.js';
import { catalogSchema } from './catalog-schema.js';
import {
  compileSchema,
  lineAt,
  loadYaml,
  validateLoaded,
  type DocPath,
  type LoadedYaml,
  type YamlLimits,
} from './yaml-document.js';

export const CATALOG_FORMAT = 'catalog';

/**
 * Five times QEMU's whole x86 catalog written out (QEMU 7.2's export is about 210 KB: every model,
 * machine type and compat array). Reading YAML costs about 5 microseconds and 100 bytes of memory
 * per byte, so the limit keeps the largest accepted file to a few seconds and about 100 MB.
 */
export const MAX_CATALOG_BYTES = 1024 * 1024;

const LIMITS: YamlLimits = {
  maxBytes: MAX_CATALOG_BYTES,
  what: 'catalog',
  hint: 'the format is described in docs/catalog-format.md and schema/catalog.schema.json',
};

let validator: ReturnType<typeof compileSchema> | undefined;

type PropMap = Record<string, PropValue>;
interface RawVersion {
  version: number;
  alias?: string;
  note?: string;
  props?: PropMap;
}
interface RawModel {
  name: string;
  props?: PropMap;
  deprecated?: string;
  versions?: RawVersion[];
}
interface RawMachineType {
  name: string;
  family: string;
  version: string;
  released: boolean;
  defaultCpuVersion?: DefaultCpuVersion;
  compatSets?: string[];
  aliases?: string[];
  accelDefaultChanges?: { accel: 'kvm' | 'tcg'; property: string; value: PropValue | null }[];
}
interface RawCompatEntry {
  target: string | null;
  driver?: string;
  property: string;
  value: PropValue;
}
interface RawCatalog {
  formatVersion: 1;
  projectVersion?: string;
  models: RawModel[];
  machineTypes?: RawMachineType[];
  compatSets?: Record<string, RawCompatEntry[]>;
  accelDefaults?: { kvm?: PropMap; tcg?: PropMap };
  propertyDefaults?: PropMap;
  alwaysOn?: PropMap;
  features?: { name: string; word?: string; bit?: number }[];
  featureDependencies?: { feature: string; clears: string[] }[];
  levelRules?: {
    property: string;
    atLeast: number;
    whenAny: string[];
    enabledBy?: string;
    alsoEnabledBy?: string[];
  }[];
  minimumOf?: Record<string, string>;
  accelClears?: Partial<Record<'kvm' | 'tcg' | 'none', string[]>>;
  hostRequirements?: {
    defaultKind?: HostRequirementKind;
    properties?: Record<string, { kind: HostRequirementKind; why: string }>;
    onlyWith?: Record<string, string>;
  };
}

/** Compat values are strings in the catalog model, as QEMU's global properties are. */
function compatValue(v: PropValue): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}

/**
 * Parses and validates a generic catalog file's text. Every problem is a `CatalogError`: a
 * catalog that cannot be read must never look like a catalog without findings.
 */
export function parseGenericCatalog(text: string, path: string): Catalog {
  try {
    const loaded = loadYaml(text, path, LIMITS);
    validator ??= compileSchema(catalogSchema);
    validateLoaded(loaded, validator, LIMITS);
    return build(loaded, loaded.data as RawCatalog);
  } catch (err) {
    if (err instanceof InputError && !(err instanceof CatalogError)) {
      throw new CatalogError(err.message, err.location, err.hint);
    }
    throw err;
  }
}

/** Reads a generic catalog file through a catalog source (working tree or git revision). */
export async function readGenericCatalog(source: CatalogSource, file: string): Promise<Catalog> {
  const text = await source.readFile(file);
  if (text === undefined) {
    throw new CatalogError(
      `catalog file ${file} does not exist in ${source.label}`,
      { path: file },
      'check the catalog path in the configuration (it is relative to the repository root)',
    );
  }
  return parseGenericCatalog(text, file);
}

/** Where each part of the document sits: every catalog entity keeps its file and line. */
interface Document {
  path: string;
  loc: (docPath: DocPath, key?: string) => { path: string; line: number };
  fail: (message: string, docPath: DocPath, hint: string, key?: string) => never;
  props: (map: PropMap | undefined, at: DocPath) => PropSetting[];
}

function documentOf(loaded: LoadedYaml): Document {
  const path = loaded.path;
  const loc = (docPath: DocPath, key?: string) => ({ path, line: lineAt(loaded, docPath, key) });
  return {
    path,
    loc,
    fail: (message, docPath, hint, key) => {
      throw new CatalogError(message, loc(docPath, key), hint);
    },
    props: (map, at) =>
      Object.entries(map ?? {}).map(([property, value]) => ({
        property,
        value,
        location: loc(at, property),
      })),
  };
}

function build(loaded: LoadedYaml, raw: RawCatalog): Catalog {
  const doc = documentOf(loaded);
  const { path, loc, props } = doc;
  const registered = new Map<string, DocPath>();
  const register = (n: string, at: DocPath) => {
    const prior = registered.get(n);
    if (prior) {
      doc.fail(
        `model name ${n} is registered twice (first at line ${lineAt(loaded, prior)})`,
        at,
        'every model, version and alias name must be unique',
      );
    }
    registered.set(n, at);
  };
  const models = raw.models.map((m, i) => buildModel(doc, m, ['models', i], register));
  const compatSets = buildCompatSets(doc, raw.compatSets ?? {});
  const machineTypes = buildMachineTypes(doc, raw.machineTypes ?? [], compatSets);
  const hr = raw.hostRequirements ?? {};
  return {
    format: CATALOG_FORMAT,
    ...(raw.projectVersion !== undefined ? { projectVersion: raw.projectVersion } : {}),
    models,
    machineTypes,
    compatSets,
    accelDefaults: {
      kvm: props(raw.accelDefaults?.kvm, ['accelDefaults', 'kvm']),
      tcg: props(raw.accelDefaults?.tcg, ['accelDefaults', 'tcg']),
    },
    propertyDefaults: nameTable(raw.propertyDefaults),
    alwaysOn: props(raw.alwaysOn, ['alwaysOn']),
    features: (raw.features ?? []).map((f, i) => ({
      name: f.name,
      word: f.word ?? '',
      ...(f.bit !== undefined ? { bit: f.bit } : {}),
      location: loc(['features', i]),
    })),
    featureDependencies: (raw.featureDependencies ?? []).map((d, i) => ({
      feature: d.feature,
      clears: [...d.clears],
      location: loc(['featureDependencies', i]),
    })),
    levelRules: (raw.levelRules ?? []).map((r, i) => ({
      property: r.property,
      atLeast: r.atLeast,
      whenAny: [...r.whenAny],
      ...(r.enabledBy !== undefined ? { enabledBy: r.enabledBy } : {}),
      ...(r.alsoEnabledBy?.length ? { alsoEnabledBy: [...r.alsoEnabledBy] } : {}),
      location: loc(['levelRules', i]),
    })),
    ...(raw.minimumOf ? { minimumOf: nameTable(raw.minimumOf) } : {}),
    accelClears: nameTable(
      Object.fromEntries(Object.entries(raw.accelClears ?? {}).map(([a, props]) => [a, [...props]])),
    ),
    hostRequirements: {
      defaultKind: hr.defaultKind ?? 'cpu',
      properties: nameTable(hr.properties),
      ...(hr.onlyWith ? { onlyWith: nameTable(hr.onlyWith) } : {}),
      source: path,
    },
    files: [path],
    notes: entriesForNoModel(path, compatSets, registered),
  };
}

function buildModel(
  doc: Document,
  m: RawCatalog['models'][number],
  at: DocPath,
  register: (name: string, at: DocPath) => void,
): CpuModel {
  const { loc, props } = doc;
  register(m.name, [...at, 'name']);
  const versions: ModelVersion[] = (m.versions ?? [{ version: 1 }]).map((v, j) => {
    const vAt: DocPath = m.versions ? [...at, 'versions', j] : at;
    const mv: ModelVersion = {
      version: v.version,
      props: props(v.props, [...vAt, 'props']),
      location: loc(vAt),
    };
    register(`${m.name}-v${v.version}`, vAt);
    if (v.alias !== undefined) {
      register(v.alias, [...vAt, 'alias']);
      mv.alias = v.alias;
      mv.aliasLocation = loc([...vAt, 'alias']);
    }
    if (v.note !== undefined) mv.note = v.note;
    return mv;
  });
  versions.forEach((v, j) => {
    if (v.version !== j + 1) {
      doc.fail(
        `model ${m.name}: versions must be 1, 2, 3, ... in order; found v${v.version} where v${j + 1} belongs`,
        [...at, 'versions', j, 'version'],
        'list every version once, oldest first',
      );
    }
  });
  const model: CpuModel = {
    name: m.name,
    location: loc(at),
    props: props(m.props, [...at, 'props']),
    versions,
  };
  if (m.deprecated !== undefined)
    model.deprecation = { note: m.deprecated, location: loc([...at, 'deprecated']) };
  return model;
}

function buildCompatSets(
  doc: Document,
  raw: NonNullable<RawCatalog['compatSets']>,
): Record<string, CompatSet> {
  const compatSets = nameTable<CompatSet>();
  for (const [setName, entries] of Object.entries(raw)) {
    const at: DocPath = ['compatSets', setName];
    compatSets[setName] = {
      name: setName,
      location: doc.loc(['compatSets'], setName),
      entries: entries.map((e, k) => ({
        driver: e.driver ?? e.target ?? '',
        target: e.target,
        property: e.property,
        value: compatValue(e.value),
        location: doc.loc([...at, k]),
      })),
    };
  }
  return compatSets;
}

function buildMachineTypes(
  doc: Document,
  raw: NonNullable<RawCatalog['machineTypes']>,
  compatSets: Record<string, CompatSet>,
): MachineType[] {
  const { loc, fail } = doc;
  const lastInFamily = new Map<string, string>();
  const machineNames = new Set<string>();
  return raw.map((t, i) => {
    const at: DocPath = ['machineTypes', i];
    for (const n of [t.name, ...(t.aliases ?? [])]) {
      if (machineNames.has(n))
        fail(`machine type name ${n} is used twice`, at, 'machine type names and aliases must be unique');
      machineNames.add(n);
    }
    const prev = lastInFamily.get(t.family);
    if (prev !== undefined && compareVersions(prev, t.version) >= 0) {
      fail(
        `machine type ${t.name} (${t.version}) comes after ${t.family} ${prev} but is not newer`,
        [...at, 'version'],
        'list the machine types of each family oldest first, each version once',
      );
    }
    lastInFamily.set(t.family, t.version);
    (t.compatSets ?? []).forEach((s, k) => {
      if (!Object.hasOwn(compatSets, s)) {
        fail(
          `machine type ${t.name} applies compat set ${s}, which the catalog does not define`,
          [...at, 'compatSets', k],
          `define it under compatSets (defined: ${Object.keys(compatSets).join(', ') || 'none'})`,
        );
      }
    });
    const accelDefaultChanges: AccelDefaultChange[] = (t.accelDefaultChanges ?? []).map((c, k) => ({
      accel: c.accel,
      property: c.property,
      value: c.value,
      location: loc([...at, 'accelDefaultChanges', k]),
    }));
    return {
      name: t.name,
      family: t.family,
      version: t.version,
      location: loc(at),
      compatSets: [...(t.compatSets ?? [])],
      accelDefaultChanges,
      defaultCpuVersion: t.defaultCpuVersion ?? 1,
      released: t.released,
      aliases: [...(t.aliases ?? [])],
    };
  });
}

/**
 * QEMU keeps compat entries for models it has since removed (Icelake-Client in pc_compat_3_1):
 * they apply to nothing, which is worth saying but is not an error.
 */
function entriesForNoModel(
  path: string,
  compatSets: Record<string, CompatSet>,
  registered: ReadonlyMap<string, DocPath>,
): string[] {
  const notes: string[] = [];
  for (const [setName, set] of Object.entries(compatSets)) {
    for (const e of set.entries) {
      if (e.target !== null && e.target !== '*' && !registered.has(e.target)) {
        notes.push(
          `${path}:${e.location.line}: compat set ${setName} names model ${e.target}, which the catalog does not register; the entry applies to no CPU`,
        );
      }
    }
  }
  return notes;
}

/**
 * A table keyed by names from the document. Without a prototype, a name such as `toString` or
 * `constructor` finds only what the document defines, never one of JavaScript's own members.
 */
function nameTable<T>(entries: Record<string, T> = {}): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}
