/**
 * Reader of libvirt's x86 CPU map (format `libvirt-cpu-map`): `index.xml`, the vendors, the
 * feature definitions (CPUID and MSR bits) and the model files. libvirt has no machine
 * types: a model is one fixed list of features, optionally on top of another model
 * (`<model name='base'/>`), and features added after release carry `added='yes'`. The models
 * as libvirt builds them from this are src/catalog/libvirt.ts's.
 */
import path from 'node:path';
import { CatalogError } from '../../errors.js';
import type { CatalogSource } from '../../source/catalog-source.js';
import type { XmlElement } from './xml.js';

export const LIBVIRT_FORMAT = 'libvirt-cpu-map';

/** More files than any libvirt release has, far fewer than a runaway include list. */
const MAX_FILES = 2000;

export interface LibvirtLocation {
  path: string;
  line: number;
  endLine?: number;
}

export interface LibvirtFeatureDef {
  name: string;
  /** The CPUID/MSR bits in one canonical string (`cpuid eax_in=0x7 ecx_in=0x0 ebx=0x20`). */
  bits: string;
  migratable?: string;
  aliases: string[];
  location: LibvirtLocation;
}

export interface LibvirtModelFeature {
  name: string;
  /** `added='yes'`: added to a released model, off for guests defined before. */
  added: boolean;
  /** `removed='yes'`: kept in the definition though the hypervisor dropped it. */
  removed: boolean;
  /** Any other attributes, canonical (`policy=disable`): libvirt reads none of them. */
  extra: string;
  location: LibvirtLocation;
}

export interface LibvirtSignature {
  /** Canonical text: `family=6 model=85 stepping=5-7`. */
  text: string;
  location: LibvirtLocation;
}

export interface LibvirtModel {
  name: string;
  location: LibvirtLocation;
  vendor?: { name: string; location: LibvirtLocation };
  signatures: LibvirtSignature[];
  base?: { name: string; location: LibvirtLocation };
  features: LibvirtModelFeature[];
  /** How libvirt decodes host and guest CPUs with this model; does not change the model itself. */
  decode?: string;
  check?: string;
}

export interface LibvirtCpuMap {
  format: typeof LIBVIRT_FORMAT;
  /** Folder of index.xml, relative to the catalog root. */
  dir: string;
  vendors: Record<string, { string: string; location: LibvirtLocation }>;
  features: Record<string, LibvirtFeatureDef>;
  models: Record<string, LibvirtModel>;
  /** Every file read, relative to the catalog root, with its text (for suggestions and cosmetic diffs). */
  files: Record<string, string>;
  notes: string[];
}

/** Attributes in a stable order, so that reordering them is not a change. */
function canonicalAttributes(attrs: Record<string, string>, skip: readonly string[] = []): string {
  return Object.keys(attrs)
    .filter((k) => !skip.includes(k))
    .sort()
    .map((k) => `${k}=${normaliseNumber(attrs[k]!)}`)
    .join(' ');
}

/** `0x00000007` and `0x7` are the same register value. */
function normaliseNumber(v: string): string {
  return /^0x[0-9a-f]+$/i.test(v) ? `0x${BigInt(v).toString(16)}` : v;
}

/** Finds index.xml: at the catalog root (`src/cpu_map` given directly) or under a libvirt tree. */
async function findIndex(source: CatalogSource): Promise<{ dir: string; text: string }> {
  for (const dir of ['.', 'src/cpu_map']) {
    const text = await source.readFile(dir === '.' ? 'index.xml' : `${dir}/index.xml`);
    if (text !== undefined) return { dir, text };
  }
  throw new CatalogError(
    `no cpu_map index.xml in ${source.label} (looked for index.xml and src/cpu_map/index.xml)`,
    { path: 'index.xml' },
    "point the catalog path at libvirt's source tree or at its src/cpu_map folder",
  );
}

/** Reads the x86 part of a cpu_map through a catalog source. */
export async function readLibvirtCpuMap(source: CatalogSource): Promise<LibvirtCpuMap> {
  // The XML parser loads with the first cpu_map read: runs that read none never pay for it.
  const { parseXml } = await import('./xml.js');
  const { dir, text: indexText } = await findIndex(source);
  const rel = (file: string) => (dir === '.' ? file : path.posix.join(dir, file));
  const indexPath = rel('index.xml');
  const map: LibvirtCpuMap = {
    format: LIBVIRT_FORMAT,
    dir,
    // Keyed by names from the XML: without a prototype, a model, feature or vendor named
    // `constructor` or `__proto__` is found only when the map defines it.
    vendors: Object.create(null) as LibvirtCpuMap['vendors'],
    features: Object.create(null) as LibvirtCpuMap['features'],
    models: Object.create(null) as LibvirtCpuMap['models'],
    files: Object.assign(Object.create(null) as LibvirtCpuMap['files'], { [indexPath]: indexText }),
    notes: [],
  };
  const index = parseXml(indexText, indexPath);
  if (index.name !== 'cpus') {
    throw new CatalogError(
      `${indexPath} has root <${index.name}>, expected <cpus>`,
      { path: indexPath, line: index.line },
      "is this libvirt's cpu_map?",
    );
  }
  const x86 = index.children.find((c) => c.name === 'arch' && c.attributes['name'] === 'x86');
  if (!x86) {
    throw new CatalogError(
      `${indexPath} has no <arch name='x86'>`,
      { path: indexPath, line: index.line },
      'only the x86 CPU map is checked',
    );
  }
  const otherArchs = index.children
    .filter((c) => c.name === 'arch' && c !== x86)
    .map((c) => c.attributes['name']);
  if (otherArchs.length) {
    map.notes.push(
      `only the x86 models are checked; ${otherArchs.join(', ')} follow other compatibility promises`,
    );
  }
  const includes: { file: string; line: number }[] = [];
  const collect = (el: XmlElement) => {
    for (const c of el.children) {
      if (c.name === 'include') {
        const file = c.attributes['filename'];
        if (!file || file.includes('/') || file.startsWith('.')) {
          throw new CatalogError(
            `include without a plain file name`,
            { path: indexPath, line: c.line },
            "write <include filename='x86_Model.xml'/>",
          );
        }
        includes.push({ file, line: c.line });
      } else if (c.name === 'group') collect(c);
    }
  };
  collect(x86);
  if (includes.length > MAX_FILES) {
    throw new CatalogError(
      `${indexPath} includes ${includes.length} files, more than ${MAX_FILES}`,
      { path: indexPath },
      'this is not a cpu_map',
    );
  }
  // Read every file at once: a git source runs one process per file.
  const texts = await Promise.all(includes.map((inc) => source.readFile(rel(inc.file))));
  includes.forEach((inc, i) => {
    const file = rel(inc.file);
    const text = texts[i];
    if (text === undefined) {
      throw new CatalogError(
        `${indexPath} includes ${inc.file}, which does not exist`,
        { path: indexPath, line: inc.line },
        'add the file or remove the include',
      );
    }
    map.files[file] = text;
    readFile(map, file, parseXml(text, file));
  });
  check(map);
  return map;
}

function loc(file: string, el: XmlElement): LibvirtLocation {
  return el.endLine > el.line
    ? { path: file, line: el.line, endLine: el.endLine }
    : { path: file, line: el.line };
}

function requireName(file: string, el: XmlElement): string {
  const name = el.attributes['name'];
  if (!name)
    throw new CatalogError(
      `<${el.name}> without a name`,
      { path: file, line: el.line },
      `give the ${el.name} a name='...' attribute`,
    );
  return name;
}

function readFile(map: LibvirtCpuMap, file: string, root: XmlElement): void {
  if (root.name !== 'cpus') {
    throw new CatalogError(
      `${file} has root <${root.name}>, expected <cpus>`,
      { path: file, line: root.line },
      'cpu_map files hold <cpus>',
    );
  }
  for (const el of root.children) {
    if (el.name === 'vendor') {
      const name = requireName(file, el);
      map.vendors[name] = { string: el.attributes['string'] ?? '', location: loc(file, el) };
    } else if (el.name === 'feature') {
      const name = requireName(file, el);
      if (map.features[name]) {
        throw new CatalogError(
          `feature ${name} is defined twice (first at ${map.features[name].location.path}:${map.features[name].location.line})`,
          { path: file, line: el.line },
          'define each feature once',
        );
      }
      const bits = el.children
        .filter((c) => c.name === 'cpuid' || c.name === 'msr')
        .map((c) => `${c.name} ${canonicalAttributes(c.attributes)}`)
        .join('; ');
      const def: LibvirtFeatureDef = {
        name,
        bits,
        aliases: el.children.filter((c) => c.name === 'alias').map((c) => c.attributes['name'] ?? ''),
        location: loc(file, el),
      };
      if (el.attributes['migratable'] !== undefined) def.migratable = el.attributes['migratable'];
      map.features[name] = def;
    } else if (el.name === 'model') {
      const name = requireName(file, el);
      const prior = map.models[name];
      if (prior) {
        throw new CatalogError(
          `model ${name} is defined twice (first at ${prior.location.path}:${prior.location.line})`,
          { path: file, line: el.line },
          'define each model once',
        );
      }
      map.models[name] = readModel(file, el, name);
    }
  }
}

function readModel(file: string, el: XmlElement, name: string): LibvirtModel {
  const model: LibvirtModel = { name, location: loc(file, el), signatures: [], features: [] };
  // libvirt reads the first of two; a second one is a mistake, not a choice to make silently.
  const once = (prior: { location: LibvirtLocation } | undefined, what: string, c: XmlElement): void => {
    if (prior)
      throw new CatalogError(
        `model ${name} names a second ${what} (the first is at line ${prior.location.line})`,
        { path: file, line: c.line },
        `a model has one ${what}`,
      );
  };
  for (const c of el.children) {
    switch (c.name) {
      case 'vendor':
        once(model.vendor, 'vendor', c);
        model.vendor = { name: requireName(file, c), location: loc(file, c) };
        break;
      case 'signature':
        model.signatures.push({ text: canonicalAttributes(c.attributes), location: loc(file, c) });
        break;
      case 'model':
        once(model.base, 'base model', c);
        model.base = { name: requireName(file, c), location: loc(file, c) };
        break;
      case 'feature': {
        const fname = requireName(file, c);
        const flag = (attr: string) => {
          const v = c.attributes[attr];
          if (v !== undefined && v !== 'yes' && v !== 'no') {
            throw new CatalogError(
              `feature ${fname}: ${attr}='${v}'`,
              { path: file, line: c.line },
              `${attr} is 'yes' or 'no'`,
            );
          }
          return v === 'yes';
        };
        model.features.push({
          name: fname,
          added: flag('added'),
          removed: flag('removed'),
          extra: canonicalAttributes(c.attributes, ['name', 'added', 'removed']),
          location: loc(file, c),
        });
        break;
      }
      case 'decode':
        model.decode = canonicalAttributes(c.attributes);
        break;
      case 'check':
        model.check = canonicalAttributes(c.attributes);
        break;
      default:
        throw new CatalogError(
          `model ${name} has an element <${c.name}> this reader does not know`,
          { path: file, line: c.line },
          'a model holds vendor, signature, model, feature, decode and check elements; if libvirt added a new one, please report it',
        );
    }
  }
  return model;
}

/** What libvirt itself would refuse to load: caught here so that no finding rests on it. */
function check(map: LibvirtCpuMap): void {
  for (const model of Object.values(map.models)) {
    if (model.base && !map.models[model.base.name]) {
      throw new CatalogError(
        `model ${model.name} is based on ${model.base.name}, which is not defined`,
        model.base.location,
        'include the base model first',
      );
    }
    if (model.vendor && !map.vendors[model.vendor.name]) {
      throw new CatalogError(
        `model ${model.name} names vendor ${model.vendor.name}, which is not defined`,
        model.vendor.location,
        `known vendors: ${Object.keys(map.vendors).join(', ')}`,
      );
    }
    for (const f of model.features) {
      if (!map.features[f.name]) {
        throw new CatalogError(
          `model ${model.name} uses feature ${f.name}, which x86_features.xml does not define`,
          f.location,
          'define the feature first, or fix its name',
        );
      }
    }
  }
  for (const model of Object.values(map.models)) {
    const seen = new Set<string>();
    for (let m: LibvirtModel | undefined = model; m?.base; m = map.models[m.base.name]) {
      if (seen.has(m.name)) {
        throw new CatalogError(
          `model ${model.name} is based on itself through ${[...seen].join(' -> ')}`,
          model.location,
          'break the cycle of <model name=.../> bases',
        );
      }
      seen.add(m.name);
    }
  }
}
