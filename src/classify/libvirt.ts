/**
 * POLICY's rule for libvirt's cpu_map: a released model never changes, except through the two
 * marks libvirt itself reads (src/cpu/cpu_x86.c, x86ModelParseFeatures):
 * - `added='yes'` on a new feature line: the feature stays out of the model's data, and
 *   check='full' does not complain when the hypervisor enables it;
 * - `removed='yes'` on a feature: it leaves the model's data, a domain that starts fresh gets it
 *   written disabled into its definition (virCPUx86Update with VIR_CPU_FEATURE_DISABLE, and
 *   virCPUx86DisableRemovedFeatures wherever libvirt builds a guest CPU), and a domain restored
 *   or migrated in keeps it enabled.
 * Anything else added, removed or altered (features, marks, bits, vendor, signatures) needs a
 * new model. libvirt has no machine types, so there is no type-2 class here. A model that the
 * release revision lacks was never released and is free to change.
 *
 * Findings are grouped by cause: one per kind of change in one file, listing every feature it
 * touches and every model it reaches (a base model's line reaches the models built on it).
 */
import type { PropValue } from '../catalog/model.js';
import type { FailOn, Finding, FindingClass, FindingLocation, Suggestion } from '../report/finding.js';
import { verdictFor } from './verdict.js';
import { effectiveLibvirtModel, type EffectiveLibvirtModel } from '../catalog/libvirt.js';
import type { LibvirtCpuMap, LibvirtLocation } from '../parse/libvirt/cpu-map.js';

type Rule =
  | 'libvirt-model-changed'
  | 'libvirt-feature-added'
  | 'libvirt-feature-removed'
  | 'libvirt-model-added'
  | 'libvirt-model-removed'
  | 'unreleased-change'
  | 'no-effective-change';

const CLASS_OF: Record<Rule, FindingClass> = {
  'libvirt-model-changed': 'new-model-required',
  'libvirt-model-removed': 'new-model-required',
  'libvirt-feature-added': 'safe',
  'libvirt-feature-removed': 'safe',
  'libvirt-model-added': 'safe',
  'unreleased-change': 'safe',
  'no-effective-change': 'safe',
};

/** What kind of change a cause is; causes of one kind in one file with the same before and after are one finding. */
type Kind =
  | 'gain'
  | 'loss'
  | 'mark'
  | 'feature-added'
  | 'feature-removed'
  | 'bits'
  | 'vendor'
  | 'signature'
  | 'model-added'
  | 'model-removed';

interface Cause {
  rule: Rule;
  kind: Kind;
  before?: PropValue | null;
  after?: PropValue | null;
  location: FindingLocation;
  fix: string;
  /** For a loss: the base model whose marked line took the feature out of the models built on it. */
  via?: string;
  /** Features (or `vendor`, `signature`) in the order their lines come. */
  properties: Map<string, number>;
  models: Set<string>;
  suggestions: Suggestion[];
}

type Change = Omit<Cause, 'rule' | 'properties' | 'models' | 'suggestions' | 'fix'> & {
  property?: string;
  suggestion?: Suggestion;
};

function at(loc: LibvirtLocation, side: 'RIGHT' | 'LEFT'): FindingLocation {
  return loc.endLine !== undefined
    ? { path: loc.path, line: loc.line, endLine: loc.endLine, side }
    : { path: loc.path, line: loc.line, side };
}

/** The same `<feature .../>` line with `added='yes'`, when the element sits alone on its line. */
function addedYesSuggestion(head: LibvirtCpuMap, loc: LibvirtLocation): Suggestion | undefined {
  if (loc.endLine !== undefined && loc.endLine !== loc.line) return undefined;
  const line = head.files[loc.path]?.split('\n')[loc.line - 1];
  if (line === undefined) return undefined;
  const m = /^(\s*<feature\s+name=(['"])[^'"]+\2)(\s*)(\/>.*)$/.exec(line);
  if (!m) return undefined;
  const q = m[2]!;
  return {
    path: loc.path,
    startLine: loc.line,
    endLine: loc.line,
    replacement: `${m[1]} added=${q}yes${q}${m[3]}${m[4]}`,
  };
}

function describeModels(models: string[]): string {
  return models.length === 1 ? `model ${models[0]}` : `models ${models.join(', ')}`;
}

/** A few names for a title or a sentence; the finding's `properties` has them all. */
function someNames(names: string[], max = 8): string {
  return names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max - 1).join(', ')} and ${names.length - max + 1} more`;
}

/** The first line where two texts differ, or undefined when they are equal. */
function firstDifferentLine(a: string, b: string): number | undefined {
  if (a === b) return undefined;
  const la = a.split('\n');
  const lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) return i + 1;
  return 1;
}

type EffectiveFeature = EffectiveLibvirtModel['features'] extends Map<string, infer F> ? F : never;

/**
 * A feature as the model has it: `false` when the model lacks it, `true` when it is plainly
 * required, else its marks and other attributes (`removed='yes'`).
 */
function featureValue(f: EffectiveFeature | undefined): PropValue {
  if (!f) return false;
  const mark = f.status === 'added' ? "added='yes'" : f.status === 'removed' ? "removed='yes'" : '';
  return [mark, f.extra].filter(Boolean).join(' ') || true;
}

/** The line of `feature` in the head file of a model of `chain` (the model itself last), if any. */
function lineInChain(
  map: LibvirtCpuMap,
  chain: string[],
  feature: string,
): { model: string; location: LibvirtLocation } | undefined {
  for (const name of [...chain].reverse()) {
    const f = map.models[name]?.features.find((x) => x.name === feature);
    if (f) return { model: name, location: f.location };
  }
  return undefined;
}

/** The changes of one model between base and head, before they are judged. */
function modelChanges(base: LibvirtCpuMap, head: LibvirtCpuMap, name: string): Change[] {
  const eb = effectiveLibvirtModel(base, name);
  const eh = effectiveLibvirtModel(head, name);
  const changes: Change[] = [];
  for (const fname of new Set([...eb.features.keys(), ...eh.features.keys()])) {
    const bf = eb.features.get(fname);
    const hf = eh.features.get(fname);
    const before = featureValue(bf);
    const after = featureValue(hf);
    if (before !== after) {
      if (hf) {
        // A line that base had too, in the file that brings the feature in, changed its marks:
        // the model built on it sees that change, not a new line.
        const lineWasThere = base.models[hf.from]?.features.some((x) => x.name === fname) ?? false;
        const kind: Kind =
          hf.status === 'removed' && bf?.status !== 'removed'
            ? 'feature-removed'
            : !bf && hf.status === 'added'
              ? 'feature-added'
              : !bf && after === true && !lineWasThere
                ? 'gain'
                : 'mark';
        const suggestion = kind === 'gain' ? addedYesSuggestion(head, hf.location) : undefined;
        changes.push({
          kind,
          property: fname,
          before,
          after,
          location: at(hf.location, 'RIGHT'),
          ...(suggestion ? { suggestion } : {}),
        });
      } else {
        // Gone from the model: point at the line that took it out when head still has one (a
        // base's removed='yes', which libvirt subtracts from the models built on it).
        const still = lineInChain(head, eh.chain, fname);
        changes.push({
          kind: 'loss',
          property: fname,
          before,
          after,
          ...(still
            ? { location: at(still.location, 'RIGHT'), via: still.model }
            : { location: at(bf!.location, 'LEFT') }),
        });
      }
    }
    const bd = bf && base.features[fname];
    const hd = hf && head.features[fname];
    if (bd && hd && bd.bits !== hd.bits) {
      changes.push({
        kind: 'bits',
        property: fname,
        before: bd.bits,
        after: hd.bits,
        location: at(hd.location, 'RIGHT'),
      });
    }
  }

  const vendorText = (v: typeof eb.vendor) => (v ? `${v.name} (${v.string})` : 'none');
  if (vendorText(eb.vendor) !== vendorText(eh.vendor)) {
    const sameName = eb.vendor?.name === eh.vendor?.name && eh.vendor;
    const loc = sameName
      ? head.vendors[eh.vendor!.name]!.location
      : (eh.vendor?.location ?? head.models[name]!.location);
    changes.push({
      kind: 'vendor',
      property: 'vendor',
      before: vendorText(eb.vendor),
      after: vendorText(eh.vendor),
      location: at(loc, 'RIGHT'),
    });
  }
  const sigs = (s: typeof eb.signatures) =>
    s
      .map((x) => x.text)
      .sort()
      .join('; ') || 'none';
  if (sigs(eb.signatures) !== sigs(eh.signatures)) {
    const known = new Set(eb.signatures.map((s) => s.text));
    const changed = eh.signatures.find((s) => !known.has(s.text));
    changes.push({
      kind: 'signature',
      property: 'signature',
      before: sigs(eb.signatures),
      after: sigs(eh.signatures),
      location: at(changed?.location ?? head.models[name]!.location, 'RIGHT'),
    });
  }
  return changes;
}

function ruleOf(kind: Kind): Rule {
  switch (kind) {
    case 'feature-added':
      return 'libvirt-feature-added';
    case 'feature-removed':
      return 'libvirt-feature-removed';
    case 'model-added':
      return 'libvirt-model-added';
    case 'model-removed':
      return 'libvirt-model-removed';
    default:
      return 'libvirt-model-changed';
  }
}

function fixOf(rule: Rule, kind: Kind): string {
  if (rule !== 'libvirt-model-changed' && rule !== 'libvirt-model-removed') return 'none needed';
  switch (kind) {
    case 'gain':
      return "mark the feature added='yes', or add a new model version with it";
    case 'loss':
      return "keep the feature line and mark it removed='yes' (in every model that lists it: libvirt does not pass the mark on to models built on this one), or add a new model version without it";
    case 'mark':
      return "restore the line as it was: only adding removed='yes', or a new line with added='yes', leaves a released model's domains as they were";
    case 'bits':
      return 'revert the definition; define a feature with a new name for the new bits';
    case 'vendor':
      return 'revert and add a new model for the other vendor';
    case 'signature':
      return 'revert the signature change, or add a new model for the other CPUs';
    default:
      return 'restore the model (and its include in index.xml): a released model stays for good';
  }
}

function describeValue(v: PropValue | null | undefined): string {
  return v === false ? 'absent' : v === true ? 'required' : String(v);
}

function sentence(c: Cause, models: string[], features: string[]): { title: string; message: string } {
  const who = describeModels(models);
  const list = someNames(features);
  const plural = features.length > 1;
  const fs = `feature${plural ? 's' : ''} ${list}`;
  switch (c.rule) {
    case 'libvirt-feature-added':
      return {
        title: `${list} added to ${who} with added='yes'`,
        message: `${who} gains ${fs}, marked added='yes': libvirt keeps ${plural ? 'them' : 'it'} out of the model's data, and check='full' does not fail a domain when the hypervisor enables ${plural ? 'them' : 'it'}.`,
      };
    case 'libvirt-feature-removed':
      return {
        title: `${list} marked removed='yes' in ${who}`,
        message: `${who} marks ${fs} removed='yes': libvirt takes ${plural ? 'them' : 'it'} out of the model's data and writes ${plural ? 'them' : 'it'} disabled into the definition of every domain that starts fresh with the model; a domain restored or migrated in keeps ${plural ? 'them' : 'it'} enabled, so running guests see no change.`,
      };
    case 'libvirt-model-added':
      return { title: `new ${who}`, message: `${who} is new; no guest uses it yet.` };
    case 'libvirt-model-removed':
      return {
        title: `released ${who} removed`,
        message: `${who} was removed from the cpu_map; guests defined with it can no longer start.`,
      };
    case 'unreleased-change':
      return {
        title: `unreleased ${who} changes${features.length ? `: ${list}` : ''}`,
        message: `${who} ${c.kind === 'model-removed' ? 'is removed' : `changes${features.length ? ` (${c.kind === 'bits' ? 'the bits of ' : ''}${list})` : ''}`}, but the release revision does not have ${models.length > 1 ? 'them' : 'it'}: no released libvirt ships ${models.length > 1 ? 'these models' : 'the model'}, so no domain uses ${models.length > 1 ? 'them' : 'it'} yet.`,
      };
    default:
      break;
  }
  const title = `released ${who} changed: ${list}`;
  switch (c.kind) {
    case 'gain':
      return {
        title,
        message: `${who} gains ${fs} without added='yes': every domain already using the model would require ${plural ? 'them' : 'it'}, and hosts without ${plural ? 'them' : 'it'} could no longer run those domains.`,
      };
    case 'loss':
      return {
        title,
        message: c.via
          ? `${who} loses ${fs}: ${c.via} marks ${plural ? 'them' : 'it'} now, and libvirt passes only a base's plain features on to the models built on it (x86ModelParseAncestor), without disabling the others there: a domain with check='full' would fail to start when the hypervisor still enables ${plural ? 'them' : 'it'}.`
          : `${who} loses ${fs} (${describeValue(c.before)} before): domains using the model would see their CPU change, with nothing left to keep ${plural ? 'them' : 'it'} for domains restored or migrated in.`,
      };
    case 'mark':
      return {
        title,
        message: `${who}: ${fs} change${plural ? '' : 's'} from ${describeValue(c.before)} to ${describeValue(c.after)}.`,
      };
    case 'bits':
      return {
        title,
        message: `${who}: feature ${list} now means other bits (${String(c.before)} before, ${String(c.after)} now).`,
      };
    case 'vendor':
      return { title, message: `${who} changes vendor from ${String(c.before)} to ${String(c.after)}.` };
    default:
      return {
        title,
        message: `${who} changes its CPU signatures from ${String(c.before)} to ${String(c.after)}.`,
      };
  }
}

/**
 * Compares two snapshots of a cpu_map. Every model of `base` is judged; those in `released`
 * (the models of the release revision; without it, every model of base) by the rule, the
 * others are free to change.
 */
export function classifyLibvirt(
  base: LibvirtCpuMap,
  head: LibvirtCpuMap,
  failOn: FailOn,
  released?: ReadonlySet<string>,
): Finding[] {
  const causes = new Map<string, Cause>();
  const record = (change: Change, model: string, isReleased: boolean) => {
    const rule = isReleased ? ruleOf(change.kind) : 'unreleased-change';
    const key = [
      rule,
      change.kind,
      change.location.side,
      change.location.path,
      // A model added or removed, and the bits of a feature, are a cause each.
      ...(change.kind === 'model-added' || change.kind === 'model-removed' ? [change.location.line] : []),
      ...(change.kind === 'bits' ? [change.property] : []),
      String(change.before),
      String(change.after),
    ].join('|');
    let cause = causes.get(key);
    if (!cause) {
      cause = {
        rule,
        kind: change.kind,
        before: change.before,
        after: change.after,
        location: change.location,
        ...(change.via ? { via: change.via } : {}),
        fix: fixOf(rule, change.kind),
        properties: new Map(),
        models: new Set(),
        suggestions: [],
      };
      causes.set(key, cause);
    }
    cause.models.add(model);
    if (change.property !== undefined && !cause.properties.has(change.property)) {
      cause.properties.set(change.property, change.location.line);
      if (change.suggestion) cause.suggestions.push(change.suggestion);
    }
    if (change.location.line < cause.location.line) cause.location = change.location;
  };

  for (const name of Object.keys(base.models)) {
    const isReleased = released ? released.has(name) : true;
    if (!head.models[name]) {
      record({ kind: 'model-removed', location: at(base.models[name]!.location, 'LEFT') }, name, isReleased);
      continue;
    }
    for (const change of modelChanges(base, head, name)) record(change, name, isReleased);
  }
  for (const name of Object.keys(head.models)) {
    if (base.models[name]) continue;
    record({ kind: 'model-added', location: at(head.models[name]!.location, 'RIGHT') }, name, true);
  }

  const findings: Finding[] = [...causes.values()].map((c) => toFinding(c, failOn));

  // Edits that change no model (comments, order, decode hints, unused feature definitions) are
  // still said to be safe, once per file, so that a reviewer sees the file was looked at.
  const touched = new Set(findings.map((f) => f.location.path));
  // index.xml changes with every added or removed model; those findings already explain it.
  if ([...causes.values()].some((c) => c.kind === 'model-added' || c.kind === 'model-removed')) {
    for (const m of [base, head]) touched.add(m.dir === '.' ? 'index.xml' : `${m.dir}/index.xml`);
  }
  const paths = new Set([...Object.keys(base.files), ...Object.keys(head.files)]);
  for (const p of [...paths].sort()) {
    if (touched.has(p)) continue;
    const hb = base.files[p];
    const hh = head.files[p];
    const line = hh === undefined || hb === undefined ? 1 : firstDifferentLine(hb, hh);
    if (line === undefined) continue;
    const side = hh === undefined ? 'LEFT' : 'RIGHT';
    const models = Object.values(side === 'LEFT' ? base.models : head.models)
      .filter((m) => m.location.path === p)
      .map((m) => m.name)
      .sort();
    findings.push({
      rule: 'no-effective-change',
      class: 'safe',
      verdict: 'pass',
      title: `no model changes in ${p}`,
      message: `${p} changed, but no model did: ${hh === undefined ? 'the file is no longer read' : 'comments, order, decode and check hints, or definitions no model uses'}`,
      models,
      machineTypes: [],
      location: { path: p, line, side },
      fix: 'none needed',
      fingerprint: ['no-effective-change', models.join(','), p].join('|'),
    });
  }

  const rank = (c: FindingClass) => ['new-model-required', 'type-2', 'safe'].indexOf(c);
  return findings.sort(
    (a, b) =>
      rank(a.class) - rank(b.class) ||
      a.location.path.localeCompare(b.location.path) ||
      a.location.line - b.location.line ||
      a.rule.localeCompare(b.rule),
  );
}

function toFinding(c: Cause, failOn: FailOn): Finding {
  const models = [...c.models].sort();
  const features = [...c.properties.entries()]
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .map(([p]) => p);
  const cls = CLASS_OF[c.rule];
  const { title, message } = sentence(c, models, features);
  const finding: Finding = {
    rule: c.rule,
    class: cls,
    verdict: verdictFor(cls, failOn),
    title,
    message,
    models,
    machineTypes: [],
    location: c.location,
    fix: c.fix,
    fingerprint: [c.rule, models.join(','), features.join(',')].join('|'),
  };
  if (features.length) {
    finding.property = features[0]!;
    if (features.length > 1) finding.properties = features;
  }
  if (c.before !== undefined) finding.before = c.before;
  if (c.after !== undefined) finding.after = c.after;
  // One suggestion per finding: the marked lines from the finding's first line on, as long as
  // they follow one another (GitHub applies a suggestion to one run of lines).
  if (c.rule === 'libvirt-model-changed') {
    const run: Suggestion[] = [];
    for (const s of [...c.suggestions].sort((a, b) => a.startLine - b.startLine)) {
      const next = run.length ? run[run.length - 1]!.endLine + 1 : c.location.line;
      if (s.startLine === next && s.path === c.location.path) run.push(s);
    }
    if (run.length)
      finding.suggestion = {
        path: run[0]!.path,
        startLine: run[0]!.startLine,
        endLine: run[run.length - 1]!.endLine,
        replacement: run.map((s) => s.replacement).join('\n'),
      };
  }
  if (c.rule === 'libvirt-model-changed' && (c.kind === 'gain' || (c.kind === 'mark' && c.after === true)))
    finding.hostRequirement = {
      gained: features,
      why:
        features.length > 1
          ? 'CPU features: the host CPU must have them'
          : 'a CPU feature: the host CPU must have it',
    };
  return finding;
}

/** The facts of each rule this module classifies, by rule id. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface LibvirtMeta {}
