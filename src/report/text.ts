/**
 * The plain-text report for people in a terminal or a CI log, and the wording helpers the other
 * human-facing renderers (Markdown) share: how values, model lists and machine-type lists read.
 */
import { CLASS_ORDER, type Finding, type FindingClass, type Report, type Waiver } from './finding.js';
import { noFindings } from './words/index.js';
import { collapseList, formatPropValue, type CollapsedList } from './words/phrases.js';

export { collapseList, formatPropValue, type CollapsedList };

export interface TextRenderOptions {
  /** ANSI colours; off unless the caller asks (a CLI decides from the TTY and NO_COLOR). */
  color?: boolean;
  /**
   * Every machine type of the catalog, oldest first within each family. With it, ranges are
   * exact; without it, only steps that cannot hide a machine type are folded into a range.
   */
  knownMachineTypes?: readonly string[];
  /** How many models a finding lists before "and N more". */
  maxModels?: number;
  /** How many machine-type entries (names or ranges) a finding lists before "and N more". */
  maxMachineTypeEntries?: number;
}

/** One entry of a compressed machine-type list: a single name or a run `first..last`. */
export interface MachineTypeRun {
  first: string;
  last: string;
  /** How many machine types the run stands for. */
  count: number;
}

interface ParsedMachineType {
  name: string;
  family: string;
  version: number[];
}

const VERSIONED_MACHINE_TYPE = /^(.+)-(\d+)\.(\d+)(?:\.(\d+))?$/;

function parseMachineType(name: string): ParsedMachineType | undefined {
  const m = VERSIONED_MACHINE_TYPE.exec(name);
  if (!m) return undefined;
  return { name, family: m[1]!, version: [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)] };
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * True when no machine type can exist between `a` and `b` under the x.y[.z] numbering: the next
 * bugfix release of the same x.y, or the next minor whose bugfix is 0. A step to a new major is
 * not adjacent, because how many minors the previous major had is not known here.
 */
function provablyAdjacent(a: number[], b: number[]): boolean {
  const [aMajor, aMinor, aPatch] = a as [number, number, number];
  const [bMajor, bMinor, bPatch] = b as [number, number, number];
  if (aMajor !== bMajor) return false;
  if (aMinor === bMinor) return bPatch === aPatch + 1;
  return bMinor === aMinor + 1 && bPatch === 0;
}

/**
 * Folds machine types into runs per family. A run of fewer than three stays as separate names:
 * `a..b` for two names says nothing shorter than `a, b`.
 */
export function compressMachineTypes(
  names: readonly string[],
  knownMachineTypes?: readonly string[],
): MachineTypeRun[] {
  const unique = [...new Set(names)];
  const parsed = unique.map((name) => ({ name, parsed: parseMachineType(name) }));
  const familyOf = (name: string): string => parseMachineType(name)?.family ?? name;

  // Families keep the order in which the report first names them; unversioned names stay put.
  const groups = new Map<string, string[]>();
  for (const { name, parsed: p } of parsed) {
    const key = p ? `family:${p.family}` : `name:${name}`;
    const group = groups.get(key) ?? [];
    group.push(name);
    groups.set(key, group);
  }

  const knownIndex = knownMachineTypes ? new Map(knownMachineTypes.map((n, i) => [n, i])) : undefined;
  const runs: MachineTypeRun[] = [];
  for (const group of groups.values()) {
    let ordered: string[];
    let adjacent: (a: string, b: string) => boolean;
    if (knownIndex && group.every((n) => knownIndex.has(n))) {
      ordered = [...group].sort((a, b) => knownIndex.get(a)! - knownIndex.get(b)!);
      adjacent = (a, b) => knownIndex.get(b) === knownIndex.get(a)! + 1 && familyOf(a) === familyOf(b);
    } else {
      ordered = [...group].sort((a, b) => {
        const pa = parseMachineType(a);
        const pb = parseMachineType(b);
        return pa && pb ? compareVersions(pa.version, pb.version) : 0;
      });
      adjacent = (a, b) => {
        const pa = parseMachineType(a);
        const pb = parseMachineType(b);
        return !!pa && !!pb && provablyAdjacent(pa.version, pb.version);
      };
    }
    let start = 0;
    for (let i = 1; i <= ordered.length; i++) {
      if (i < ordered.length && adjacent(ordered[i - 1]!, ordered[i]!)) continue;
      const run = ordered.slice(start, i);
      if (run.length >= 3) {
        runs.push({ first: run[0]!, last: run[run.length - 1]!, count: run.length });
      } else {
        for (const name of run) runs.push({ first: name, last: name, count: 1 });
      }
      start = i;
    }
  }
  return runs;
}

export function formatMachineTypeRun(run: MachineTypeRun): string {
  return run.count === 1 ? run.first : `${run.first}..${run.last}`;
}

/** Machine types as compressed entries, and how many machine types the cut-off ones stand for. */
export function summarizeMachineTypes(
  names: readonly string[],
  maxEntries: number,
  knownMachineTypes?: readonly string[],
): CollapsedList {
  const runs = compressMachineTypes(names, knownMachineTypes);
  if (runs.length <= maxEntries) return { shown: runs.map(formatMachineTypeRun), more: 0 };
  const keep = Math.max(1, maxEntries - 1);
  const hidden = runs.slice(keep).reduce((sum, r) => sum + r.count, 0);
  return { shown: runs.slice(0, keep).map(formatMachineTypeRun), more: hidden };
}

export function joinCollapsed(list: CollapsedList, noun: string): string {
  const text = list.shown.join(', ');
  return list.more > 0 ? `${text} and ${list.more} more ${noun}` : text;
}

export function describeRef(ref: { ref?: string; commit?: string } | undefined): string {
  if (!ref) return '(none)';
  const commit = ref.commit ? ref.commit.slice(0, 12) : undefined;
  if (ref.ref && commit && !ref.commit!.startsWith(ref.ref)) return `${ref.ref} (${commit})`;
  return ref.ref ?? commit ?? '(none)';
}

export const CLASS_LABEL: Record<FindingClass, string> = {
  'new-model-required': 'new-model-required',
  'type-2': 'type-2',
  safe: 'safe',
};

/** Counts in the order of severity, e.g. `2 new-model-required, 1 type-2 (1 waived), 4 safe`. */
export function describeCounts(report: Report): string {
  const parts = CLASS_ORDER.map((c) => `${report.counts[c]} ${c}`);
  const review = report.counts.review ? `; ${report.counts.review} for review` : '';
  return `${parts.join(', ')}${report.counts.waived ? `; ${report.counts.waived} waived` : ''}${review}`;
}

/** What the fail-on threshold means, so that PASS/FAIL can be read without the configuration. */
export function describeFailOn(failOn: Report['failOn']): string {
  switch (failOn) {
    case 'type-2':
      return 'fails on type-2 and new-model-required';
    case 'new-model-required':
      return 'fails on new-model-required only';
    case 'never':
      return 'never fails';
  }
}

/** What a waiver names, as reports list it: `Opteron_G3, Opteron_G4` or `cpu_x86_cpuid()`. */
export function waiverSubjects(waiver: Waiver): string {
  return [...waiver.models, ...(waiver.functions ?? []).map((f) => `${f}()`), ...(waiver.paths ?? [])].join(
    ', ',
  );
}

export function describeWaiver(waiver: Waiver): string {
  const scope = [waiver.rule, waiverSubjects(waiver), waiver.property].filter(Boolean).join(' / ');
  const extras = [
    waiver.expires ? `expires ${waiver.expires}` : undefined,
    waiver.owner ? `owner ${waiver.owner}` : undefined,
    `from ${waiver.source}`,
  ].filter(Boolean);
  return `${scope}: ${waiver.reason} (${extras.join(', ')})`;
}

export function findingsByClass(findings: readonly Finding[]): Map<FindingClass, Finding[]> {
  const byClass = new Map<FindingClass, Finding[]>(CLASS_ORDER.map((c) => [c, []]));
  for (const f of findings) byClass.get(f.class)!.push(f);
  return byClass;
}

/** Every property a finding changes: `properties` when it lists several, else `property`. */
export function propertiesOf(finding: Finding): string[] {
  return finding.properties ?? (finding.property ? [finding.property] : []);
}

/** The property change as one phrase: `pku: off → on`, `mpx, pku and 3 more properties: on → off`. */
export function describePropertyChange(finding: Finding, maxProperties = 6): string | undefined {
  const all = propertiesOf(finding);
  if (!all.length) return undefined;
  const names = joinCollapsed(collapseList(all, maxProperties), 'properties');
  if (finding.before === undefined && finding.after === undefined) return names;
  return `${names}: ${formatPropValue(finding.before)} → ${formatPropValue(finding.after)}`;
}

export function describeLocation(finding: Finding): string {
  const { path, line, endLine, side } = finding.location;
  const lines = endLine && endLine !== line ? `${line}-${endLine}` : `${line}`;
  return `${path}:${lines}${side === 'LEFT' ? ' (in base, removed in head)' : ''}`;
}

const ANSI = {
  reset: '\x1b[0m',
  bold: '\x1b[1m',
  dim: '\x1b[2m',
  red: '\x1b[31m',
  yellow: '\x1b[33m',
  green: '\x1b[32m',
};
type Style = keyof typeof ANSI;

/**
 * Catalog text (model names, messages) ends up in terminals: control characters in it must not be
 * able to move the cursor or change colours.
 */
function sanitize(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

const CLASS_STYLE: Record<FindingClass, Style> = {
  'new-model-required': 'red',
  'type-2': 'yellow',
  safe: 'green',
};

function verdictLabel(finding: Finding): string {
  switch (finding.verdict) {
    case 'fail':
      return 'FAIL';
    case 'waived':
      return 'WAIVED';
    case 'review':
      return 'REVIEW';
    case 'pass':
      return 'pass';
  }
}

export function renderText(report: Report, options: TextRenderOptions = {}): string {
  const paint = (style: Style, text: string): string =>
    options.color ? `${ANSI[style]}${text}${ANSI.reset}` : text;
  const maxModels = options.maxModels ?? 6;
  const maxMachineTypeEntries = options.maxMachineTypeEntries ?? 6;
  const out: string[] = [];
  const line = (text = ''): void => {
    out.push(text);
  };

  line(
    paint(
      'bold',
      `${report.tool.name} ${report.tool.version}: ${report.mode} of ${report.catalog.format} catalog at ${sanitize(report.catalog.path)}`,
    ),
  );
  if (report.mode !== 'audit') {
    line(`  base:     ${sanitize(describeRef(report.base))}`);
  }
  line(`  head:     ${sanitize(describeRef(report.head))}`);
  const release =
    report.release.ref || report.release.commit ? `${sanitize(describeRef(report.release))}: ` : '';
  line(`  released: ${release}${sanitize(report.release.explanation)}`);
  line(`  fail-on:  ${report.failOn} (${describeFailOn(report.failOn)})`);

  for (const [cls, findings] of findingsByClass(report.findings)) {
    if (findings.length === 0) continue;
    line();
    line(paint(CLASS_STYLE[cls], paint('bold', `${CLASS_LABEL[cls].toUpperCase()} (${findings.length})`)));
    for (const f of findings) {
      line();
      const verdict = verdictLabel(f);
      const verdictStyle: Style =
        f.verdict === 'fail' ? 'red' : f.verdict === 'waived' || f.verdict === 'review' ? 'yellow' : 'dim';
      line(`  ${paint(verdictStyle, `[${verdict}]`)} ${paint('bold', f.rule)}: ${sanitize(f.title)}`);
      const indent = '      ';
      for (const messageLine of sanitize(f.message).split('\n')) line(`${indent}${messageLine}`);
      if (f.models.length) {
        line(
          `${indent}models:        ${sanitize(joinCollapsed(collapseList(f.models, maxModels), 'models'))}`,
        );
      }
      if (f.machineTypes.length) {
        const mts = summarizeMachineTypes(f.machineTypes, maxMachineTypeEntries, options.knownMachineTypes);
        line(`${indent}machine types: ${sanitize(joinCollapsed(mts, 'machine types'))}`);
      }
      // A terminal has no folded block for the rest: every property is listed.
      const change = describePropertyChange(f, Infinity);
      if (change) line(`${indent}${f.properties ? 'properties:' : 'property:  '}    ${sanitize(change)}`);
      if (f.hostRequirement && f.hostRequirement.gained.length) {
        line(
          `${indent}host gains:    ${sanitize(f.hostRequirement.gained.join(', '))} (${sanitize(f.hostRequirement.why)})`,
        );
      }
      line(`${indent}at:            ${sanitize(describeLocation(f))}`);
      if (f.commit) line(`${indent}introduced in: ${f.commit.slice(0, 12)}`);
      line(`${indent}fix:           ${sanitize(f.fix)}`);
      if (f.waiver)
        line(`${indent}${paint('yellow', 'waived:')}        ${sanitize(describeWaiver(f.waiver))}`);
      if (f.suggestion) {
        const s = f.suggestion;
        const span = s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}-${s.endLine}`;
        if (s.replacement === '') {
          line(`${indent}remove ${sanitize(s.path)} ${span}`);
        } else {
          line(`${indent}replace ${sanitize(s.path)} ${span} with:`);
          for (const l of splitLines(s.replacement)) line(`${indent}${paint('green', `| ${sanitize(l)}`)}`);
        }
      }
      if (f.fixLines) {
        line(`${indent}add after ${sanitize(f.fixLines.path)}:${f.fixLines.afterLine}:`);
        for (const l of splitLines(f.fixLines.text)) line(`${indent}${paint('green', `+ ${sanitize(l)}`)}`);
      }
    }
  }

  if (report.unusedWaivers.length) {
    line();
    line(paint('bold', `UNUSED OR EXPIRED WAIVERS (${report.unusedWaivers.length})`));
    for (const w of report.unusedWaivers) line(`  - ${sanitize(describeWaiver(w))}`);
  }
  if (report.notes.length) {
    line();
    line(paint('bold', `NOTES (${report.notes.length})`));
    for (const n of report.notes)
      line(`  - ${n.kind === 'warning' ? 'warning: ' : ''}${sanitize(n.message)}`);
  }

  line();
  if (report.findings.length === 0) line(noFindings(report));
  line(`Findings: ${describeCounts(report)}.`);
  const result =
    report.result === 'pass' ? paint('green', paint('bold', 'PASS')) : paint('red', paint('bold', 'FAIL'));
  line(`Result: ${result} (fail-on ${report.failOn}: ${describeFailOn(report.failOn)}).`);
  return out.join('\n') + '\n';
}

/** Lines of a block of text without the empty line a trailing newline would add. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
