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
 * This judges the changes of src/diff/libvirt.ts. Findings are grouped by cause: one per kind
 * of change in one file, listing every feature it touches and every model it reaches (a base
 * model's line reaches the models built on it). The engine gives the verdicts.
 */
import type { PropValue } from '../catalog/model.js';
import type { LibvirtChange, LibvirtDiff, LibvirtFileChange } from '../diff/libvirt.js';
import type { LibvirtLocation } from '../parse/libvirt/cpu-map.js';
import {
  CLASS_ORDER,
  classified,
  type Draft,
  type FindingClass,
  type FindingFacts,
  type FindingLocation,
  type Suggestion,
} from './classified.js';

/** What changed in a released model that needs a new model. */
export type LibvirtModelChange = 'gain' | 'loss' | 'mark' | 'bits' | 'vendor' | 'signature';

/** The facts of each rule this module classifies, by rule id. */
export interface LibvirtMeta {
  'libvirt-model-changed': {
    change: LibvirtModelChange;
    models: string[];
    /** The features in the order of their lines (`vendor` or `signature` for those changes). */
    features: string[];
    before: PropValue;
    after: PropValue;
    /** For a loss: the base model whose `removed='yes'` takes the feature out of the models built on it. */
    via?: string;
  };
  'libvirt-feature-added': { models: string[]; features: string[] };
  'libvirt-feature-removed': { models: string[]; features: string[] };
  'libvirt-model-added': { model: string };
  'libvirt-model-removed': { model: string };
}

/**
 * The facts of the rules every catalog format has, as libvirt judges them: they name the format,
 * so that they are worded as libvirt's.
 */
export interface LibvirtSharedMeta {
  'unreleased-change': {
    format: 'libvirt-cpu-map';
    change: 'model-removed' | 'model-changed';
    /** The features the change touches, in the order of their lines (`vendor`, `signature` too). */
    features: string[];
    /** Whether what changed is the bits of the features' definitions. */
    bits: boolean;
  };
  'no-effective-change': {
    format: 'libvirt-cpu-map';
    file: string;
    /** The file is gone from head: libvirt reads it no longer. */
    noLongerRead: boolean;
  };
}

type Rule = keyof LibvirtMeta | 'unreleased-change';

const CLASS_OF: Record<Rule, FindingClass> = {
  'libvirt-model-changed': 'new-model-required',
  'libvirt-model-removed': 'new-model-required',
  'libvirt-feature-added': 'safe',
  'libvirt-feature-removed': 'safe',
  'libvirt-model-added': 'safe',
  'unreleased-change': 'safe',
};

/** What kind of change a cause is; causes of one kind in one file with the same before and after are one finding. */
type Kind = LibvirtModelChange | 'feature-added' | 'feature-removed' | 'model-added' | 'model-removed';

/** One change of one model, judged. */
interface Judged {
  kind: Kind;
  model: string;
  property?: string;
  before?: PropValue;
  after?: PropValue;
  location: FindingLocation;
  via?: string;
  suggestion?: Suggestion;
}

interface Cause {
  rule: Rule;
  kind: Kind;
  before?: PropValue;
  after?: PropValue;
  location: FindingLocation;
  via?: string;
  /** Features (or `vendor`, `signature`) with the line each comes from. */
  properties: Map<string, number>;
  models: Set<string>;
  suggestions: Suggestion[];
}

export interface LibvirtClassifyInput {
  diff: LibvirtDiff;
  /** The models of the release revision; without it, every model of base counts as released. */
  released?: ReadonlySet<string>;
  /** A line of a head file (1-based), for the suggestion that marks it `added='yes'`; optional. */
  headLine?: (path: string, line: number) => string | undefined;
}

export function classifyLibvirt(input: LibvirtClassifyInput): Draft[] {
  const causes = groupedCauses(input);
  const drafts: Draft[] = causes.map(toFinding);
  drafts.push(...unchangedModelFiles(input.diff.files, causes));
  const rank = (c: FindingClass) => CLASS_ORDER.indexOf(c);
  return drafts.sort(
    (a, b) =>
      rank(a.class) - rank(b.class) ||
      a.location.path.localeCompare(b.location.path) ||
      a.location.line - b.location.line ||
      a.rule.localeCompare(b.rule),
  );
}

/** The diff's changes judged and grouped by cause, in the order their first change comes. */
function groupedCauses({ diff, released, headLine }: LibvirtClassifyInput): Cause[] {
  const causes = new Map<string, Cause>();
  for (const change of diff.changes) {
    const j = judge(change, headLine);
    const isReleased = j.kind === 'model-added' || (released ? released.has(j.model) : true);
    const rule = isReleased ? ruleOf(j.kind) : 'unreleased-change';
    const key = [
      rule,
      j.kind,
      j.location.side,
      j.location.path,
      // A model added or removed, and the bits of a feature, are a cause each.
      ...(j.kind === 'model-added' || j.kind === 'model-removed' ? [j.location.line] : []),
      ...(j.kind === 'bits' ? [j.property] : []),
      String(j.before),
      String(j.after),
    ].join('|');
    let cause = causes.get(key);
    if (!cause) {
      cause = {
        rule,
        kind: j.kind,
        ...(j.before !== undefined ? { before: j.before } : {}),
        ...(j.after !== undefined ? { after: j.after } : {}),
        location: j.location,
        ...(j.via ? { via: j.via } : {}),
        properties: new Map(),
        models: new Set(),
        suggestions: [],
      };
      causes.set(key, cause);
    }
    cause.models.add(j.model);
    if (j.property !== undefined && !cause.properties.has(j.property)) {
      cause.properties.set(j.property, j.location.line);
      if (j.suggestion) cause.suggestions.push(j.suggestion);
    }
    if (j.location.line < cause.location.line) cause.location = j.location;
  }
  return [...causes.values()];
}

/**
 * What a change is under the rule. A feature the model gains is allowed only as a new line
 * marked `added='yes'`; one it loses only by `removed='yes'` on its own line (libvirt does not
 * disable a base's removed features in the models built on it).
 */
function judge(change: LibvirtChange, headLine: LibvirtClassifyInput['headLine']): Judged {
  const { model } = change;
  switch (change.kind) {
    case 'model-added':
      return { kind: 'model-added', model, location: at(change.head, 'RIGHT') };
    case 'model-removed':
      return { kind: 'model-removed', model, location: at(change.base, 'LEFT') };
    case 'feature-added': {
      const { head } = change;
      const kind: Kind =
        head.status === 'removed'
          ? 'feature-removed'
          : head.status === 'added'
            ? 'feature-added'
            : // A line that base had too, in the model that brings the feature in, changed its
              // marks: the model built on it sees that change, not a new line.
              head.value === true && !change.baseLine
              ? 'gain'
              : 'mark';
      const suggestion = kind === 'gain' ? addedYesSuggestion(head.location, headLine) : undefined;
      return {
        kind,
        model,
        property: change.feature,
        before: false,
        after: head.value,
        location: at(head.location, 'RIGHT'),
        ...(suggestion ? { suggestion } : {}),
      };
    }
    case 'feature-changed':
      return {
        kind:
          change.head.status === 'removed' && change.base.status !== 'removed' ? 'feature-removed' : 'mark',
        model,
        property: change.feature,
        before: change.base.value,
        after: change.head.value,
        location: at(change.head.location, 'RIGHT'),
      };
    case 'feature-removed':
      // Point at the line that took it out when head still has one.
      return {
        kind: 'loss',
        model,
        property: change.feature,
        before: change.base.value,
        after: false,
        ...(change.headLine
          ? { location: at(change.headLine.location, 'RIGHT'), via: change.headLine.model }
          : { location: at(change.base.location, 'LEFT') }),
      };
    case 'bits-changed':
      return { ...edit(change, 'bits', change.feature), location: at(change.head, 'RIGHT') };
    case 'vendor-changed':
      return { ...edit(change, 'vendor', 'vendor'), location: at(change.head, 'RIGHT') };
    case 'signature-changed':
      return { ...edit(change, 'signature', 'signature'), location: at(change.head, 'RIGHT') };
  }
}

function edit(
  change: { model: string; before: string; after: string },
  kind: Kind,
  property: string,
): Omit<Judged, 'location'> {
  return { kind, model: change.model, property, before: change.before, after: change.after };
}

function at(loc: LibvirtLocation, side: 'RIGHT' | 'LEFT'): FindingLocation {
  return loc.endLine !== undefined
    ? { path: loc.path, line: loc.line, endLine: loc.endLine, side }
    : { path: loc.path, line: loc.line, side };
}

/** The same `<feature .../>` line with `added='yes'`, when the element sits alone on its line. */
function addedYesSuggestion(
  loc: LibvirtLocation,
  headLine: LibvirtClassifyInput['headLine'],
): Suggestion | undefined {
  if (loc.endLine !== undefined && loc.endLine !== loc.line) return undefined;
  const line = headLine?.(loc.path, loc.line);
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

function ruleOf(kind: Kind): keyof LibvirtMeta {
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

function toFinding(c: Cause): Draft {
  const models = [...c.models].sort();
  const features = [...c.properties.entries()]
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .map(([p]) => p);
  const facts: FindingFacts = {
    class: CLASS_OF[c.rule],
    models,
    machineTypes: [],
    location: c.location,
    fingerprint: [c.rule, models.join(','), features.join(',')].join('|'),
    ...(features.length ? { property: features[0]! } : {}),
    ...(features.length > 1 ? { properties: features } : {}),
    ...(c.before !== undefined ? { before: c.before } : {}),
    ...(c.after !== undefined ? { after: c.after } : {}),
  };
  const model = models[0]!;
  switch (c.rule) {
    case 'libvirt-model-added':
      return classified(c.rule, { model }, facts);
    case 'libvirt-model-removed':
      return classified(c.rule, { model }, facts);
    case 'libvirt-feature-added':
    case 'libvirt-feature-removed':
      return classified(c.rule, { models, features }, facts);
    case 'unreleased-change':
      return unreleasedChange(c, facts, features);
    case 'libvirt-model-changed':
      return modelChanged(c, facts, features);
  }
}

function modelChanged(c: Cause, facts: FindingFacts, features: string[]): Draft {
  const change = c.kind as LibvirtModelChange;
  const suggestion = markedRun(c);
  const gained = change === 'gain' || (change === 'mark' && c.after === true);
  return classified(
    'libvirt-model-changed',
    {
      change,
      models: facts.models,
      features,
      before: c.before!,
      after: c.after!,
      ...(c.via ? { via: c.via } : {}),
    },
    {
      ...facts,
      ...(suggestion ? { suggestion } : {}),
      ...(gained
        ? {
            hostRequirement: { gained: features, cause: { source: 'libvirt-feature' } },
          }
        : {}),
    },
  );
}

/**
 * One suggestion per finding: the marked lines from the finding's first line on, as long as
 * they follow one another (GitHub applies a suggestion to one run of lines).
 */
function markedRun(c: Cause): Suggestion | undefined {
  const run: Suggestion[] = [];
  for (const s of [...c.suggestions].sort((a, b) => a.startLine - b.startLine)) {
    const next = run.length ? run[run.length - 1]!.endLine + 1 : c.location.line;
    if (s.startLine === next && s.path === c.location.path) run.push(s);
  }
  if (!run.length) return undefined;
  return {
    path: run[0]!.path,
    startLine: run[0]!.startLine,
    endLine: run[run.length - 1]!.endLine,
    replacement: run.map((s) => s.replacement).join('\n'),
  };
}

function unreleasedChange(c: Cause, facts: FindingFacts, features: string[]): Draft {
  return classified(
    'unreleased-change',
    {
      format: 'libvirt-cpu-map',
      change: c.kind === 'model-removed' ? 'model-removed' : 'model-changed',
      features,
      bits: c.kind === 'bits',
    },
    facts,
  );
}

/**
 * Edits that change no model (comments, order, decode hints, unused feature definitions) are
 * still said to be safe, once per file, so that a reviewer sees the file was looked at.
 */
function unchangedModelFiles(files: LibvirtFileChange[], causes: Cause[]): Draft[] {
  const touched = new Set(causes.map((c) => c.location.path));
  // index.xml changes with every added or removed model; those findings already explain it.
  const modelsComeAndGo = causes.some((c) => c.kind === 'model-added' || c.kind === 'model-removed');
  return files
    .filter((f) => !touched.has(f.path) && !(f.index && modelsComeAndGo))
    .map((f) =>
      classified(
        'no-effective-change',
        { format: 'libvirt-cpu-map', file: f.path, noLongerRead: f.side === 'LEFT' },
        {
          class: 'safe',
          models: f.models,
          machineTypes: [],
          location: { path: f.path, line: f.line, side: f.side },
          fingerprint: ['no-effective-change', f.models.join(','), f.path].join('|'),
        },
      ),
    );
}
