/**
 * What changed between two libvirt catalogs, model by model: the effective models compared,
 * each difference a typed change with the lines of base and head it rests on. Whether a
 * change is allowed is classification's business, not this.
 */
import {
  featureValue,
  type EffectiveLibvirtModel,
  type LibvirtCatalog,
  type LibvirtFeatureStatus,
  type LibvirtModelFeatureEntry,
} from '../catalog/libvirt.js';
import type { PropValue } from '../catalog/model.js';
import type { LibvirtLocation } from '../parse/libvirt/cpu-map.js';

interface FeatureSide {
  status: LibvirtFeatureStatus;
  /** How a report shows it (`true`, `removed='yes'`, ...). */
  value: PropValue;
  /** The line that brings it into the model. */
  location: LibvirtLocation;
  /** The model whose line it is. */
  from: string;
}

export type LibvirtChange =
  | { kind: 'model-added'; model: string; head: LibvirtLocation }
  | { kind: 'model-removed'; model: string; base: LibvirtLocation }
  | {
      /** The model has a feature it did not have. */
      kind: 'feature-added';
      model: string;
      feature: string;
      head: FeatureSide;
      /**
       * The same line in base, when base had it in the model that brings the feature in now
       * (a base model's line whose marks changed), rather than a new line.
       */
      baseLine?: LibvirtLocation;
    }
  | {
      /** The model no longer has a feature. */
      kind: 'feature-removed';
      model: string;
      feature: string;
      base: FeatureSide;
      /**
       * A line of head, in the model or a base, that still names the feature: a base's
       * `removed='yes'`, which takes the feature out of the models built on it.
       */
      headLine?: { model: string; location: LibvirtLocation };
    }
  | {
      /** The model has the feature on both sides, with another mark. */
      kind: 'feature-changed';
      model: string;
      feature: string;
      base: FeatureSide;
      head: FeatureSide;
    }
  | {
      /** A feature the model has on both sides is defined with other CPUID/MSR bits. */
      kind: 'bits-changed';
      model: string;
      feature: string;
      before: string;
      after: string;
      base: LibvirtLocation;
      head: LibvirtLocation;
    }
  | { kind: 'vendor-changed'; model: string; before: string; after: string; head: LibvirtLocation }
  | { kind: 'signature-changed'; model: string; before: string; after: string; head: LibvirtLocation };

/** A file whose text differs, whatever the models make of it. */
export interface LibvirtFileChange {
  path: string;
  /** The first line that differs: of head, or of base when head no longer has the file. */
  line: number;
  side: 'RIGHT' | 'LEFT';
  /** The models defined in the file, on that side. */
  models: string[];
  /** index.xml, which lists the model files. */
  index: boolean;
}

export interface LibvirtDiff {
  /** Base's models in the map's order, then head's new ones. */
  changes: LibvirtChange[];
  /** In path order. */
  files: LibvirtFileChange[];
}

export function diffLibvirtCatalogs(base: LibvirtCatalog, head: LibvirtCatalog): LibvirtDiff {
  const changes: LibvirtChange[] = [];
  for (const [name, b] of base.models) {
    const h = head.models.get(name);
    if (h) changes.push(...modelChanges(base, b, head, h));
    else changes.push({ kind: 'model-removed', model: name, base: b.location });
  }
  for (const [name, h] of head.models)
    if (!base.models.has(name)) changes.push({ kind: 'model-added', model: name, head: h.location });
  return { changes, files: fileChanges(base, head) };
}

function featureSide(f: LibvirtModelFeatureEntry): FeatureSide {
  return { status: f.status, value: featureValue(f), location: f.location, from: f.from };
}

function modelChanges(
  base: LibvirtCatalog,
  b: EffectiveLibvirtModel,
  head: LibvirtCatalog,
  h: EffectiveLibvirtModel,
): LibvirtChange[] {
  const changes: LibvirtChange[] = [];
  for (const feature of new Set([...b.features.keys(), ...h.features.keys()])) {
    const bf = b.features.get(feature);
    const hf = h.features.get(feature);
    const change = featureChange(base, b, head, h, feature, bf, hf);
    if (change) changes.push(change);
    if (bf && hf && bf.bits !== hf.bits) {
      changes.push({
        kind: 'bits-changed',
        model: h.name,
        feature,
        before: bf.bits,
        after: hf.bits,
        base: bf.definition,
        head: hf.definition,
      });
    }
  }
  const vendor = vendorChange(b, h);
  if (vendor) changes.push(vendor);
  const signature = signatureChange(b, h);
  if (signature) changes.push(signature);
  return changes;
}

function featureChange(
  base: LibvirtCatalog,
  b: EffectiveLibvirtModel,
  head: LibvirtCatalog,
  h: EffectiveLibvirtModel,
  feature: string,
  bf: LibvirtModelFeatureEntry | undefined,
  hf: LibvirtModelFeatureEntry | undefined,
): LibvirtChange | undefined {
  if (featureValue(bf) === featureValue(hf)) return undefined;
  if (bf && hf)
    return { kind: 'feature-changed', model: h.name, feature, base: featureSide(bf), head: featureSide(hf) };
  if (hf) {
    const baseLine = base.models.get(hf.from)?.lines.get(feature);
    return {
      kind: 'feature-added',
      model: h.name,
      feature,
      head: featureSide(hf),
      ...(baseLine ? { baseLine } : {}),
    };
  }
  const headLine = lineInChain(head, h, feature);
  return {
    kind: 'feature-removed',
    model: b.name,
    feature,
    base: featureSide(bf!),
    ...(headLine ? { headLine } : {}),
  };
}

/** The line of `feature` in a model of the chain of `m` (the model itself first), if any. */
function lineInChain(
  catalog: LibvirtCatalog,
  m: EffectiveLibvirtModel,
  feature: string,
): { model: string; location: LibvirtLocation } | undefined {
  for (const name of [...m.chain].reverse()) {
    const location = catalog.models.get(name)?.lines.get(feature);
    if (location) return { model: name, location };
  }
  return undefined;
}

function vendorChange(b: EffectiveLibvirtModel, h: EffectiveLibvirtModel): LibvirtChange | undefined {
  const text = (v: EffectiveLibvirtModel['vendor']) => (v ? `${v.name} (${v.string})` : 'none');
  if (text(b.vendor) === text(h.vendor)) return undefined;
  // The same vendor with another string: the definition changed, not the model's line.
  const location =
    h.vendor && b.vendor?.name === h.vendor.name ? h.vendor.definition : (h.vendor?.location ?? h.location);
  return {
    kind: 'vendor-changed',
    model: h.name,
    before: text(b.vendor),
    after: text(h.vendor),
    head: location,
  };
}

function signatureChange(b: EffectiveLibvirtModel, h: EffectiveLibvirtModel): LibvirtChange | undefined {
  const text = (m: EffectiveLibvirtModel) =>
    m.signatures
      .map((x) => x.text)
      .sort()
      .join('; ') || 'none';
  if (text(b) === text(h)) return undefined;
  const known = new Set(b.signatures.map((s) => s.text));
  const changed = h.signatures.find((s) => !known.has(s.text));
  return {
    kind: 'signature-changed',
    model: h.name,
    before: text(b),
    after: text(h),
    head: changed?.location ?? h.location,
  };
}

function fileChanges(base: LibvirtCatalog, head: LibvirtCatalog): LibvirtFileChange[] {
  const out: LibvirtFileChange[] = [];
  const paths = new Set([...Object.keys(base.files), ...Object.keys(head.files)]);
  for (const path of [...paths].sort()) {
    const b = base.files[path];
    const h = head.files[path];
    const line = h === undefined || b === undefined ? 1 : firstDifferentLine(b, h);
    if (line === undefined) continue;
    const side = h === undefined ? 'LEFT' : 'RIGHT';
    const models = [...(side === 'LEFT' ? base : head).models.values()]
      .filter((m) => m.location.path === path)
      .map((m) => m.name)
      .sort();
    out.push({ path, line, side, models, index: path === base.indexPath || path === head.indexPath });
  }
  return out;
}

/** The first line where two texts differ, or undefined when they are equal. */
function firstDifferentLine(a: string, b: string): number | undefined {
  if (a === b) return undefined;
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return 1;
}
