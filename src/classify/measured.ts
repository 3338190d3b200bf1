/**
 * `check` with two QEMU binaries: the catalog's findings joined with what the binaries really
 * give guests (`verify`'s comparison of the same pull request's base and head builds).
 *
 * - A static finding whose property the binaries' expansions also show changing, on some of
 *   its (model, machine type) pairs, is confirmed: marked, with the pairs where it shows.
 * - A measured difference no static finding explains is a finding of its own
 *   (`measured-unexplained`, with the class `verify` gave it): the code of the pull request
 *   changed what guests get where the catalog's tables do not say. It is placed at the first
 *   hunk that changes a guest-CPUID function, the likeliest cause, or at the binary otherwise.
 *
 * A measured expansion difference is explained by a static finding of the same property on a
 * shared pair; a measured CPUID difference by a static finding confirmed on a shared pair (the
 * expansion property it names moved the bits). An unexplained CPUID difference that an
 * unexplained expansion change accounts for on every one of its pairs is folded into that one.
 */
import type { Finding } from '../report/finding.js';
import type { BinarySnapshot } from '../verify/snapshot.js';
import { classified, CLASS_ORDER, type Classified, type MeasuredClassified } from './classified.js';
import type { CpuidCodeMeta } from './cpuid-code.js';
import { fingerprint } from './machine-catalog.js';

export interface MeasuredJoinInput {
  /** The catalog check's findings. */
  findings: Finding[];
  /** `verify`'s findings for the two binaries. */
  measured: Finding[];
  base: BinarySnapshot;
  head: BinarySnapshot;
  /** The machine types the check covers (the head catalog's). */
  machineTypes: readonly string[];
}

export interface MeasuredJoin {
  /** The check's findings with what the binaries show of them, then the unexplained ones. */
  findings: (Finding | Classified<'measured-unexplained'>)[];
  /** Measured findings left out: none of their machine types is the catalog's. */
  outOfScope: number;
}

const isCpuid = (f: Finding) => f.property?.startsWith('CPUID ') ?? false;
const propertiesOf = (f: Finding): string[] => f.properties ?? (f.property ? [f.property] : []);
const isCodeHunk = (f: Finding): f is Finding & { meta: CpuidCodeMeta[keyof CpuidCodeMeta] } =>
  f.rule.startsWith('cpuid-code-') && f.meta !== undefined;

/** A finding of `verify`, with the facts compareBinaries gave it. */
export type MeasuredFinding = MeasuredClassified;

/** The words and verdict of verify's report are its own: the facts are what the join keeps. */
const WORDS_AND_VERDICT = new Set(['title', 'message', 'fix', 'verdict', 'waiver']);

function measuredFinding(f: Finding): MeasuredFinding {
  if (!f.meta || !('binaries' in f.meta))
    throw new Error(`joinMeasured: ${f.rule} at ${f.location.path} is not a finding of two binaries`);
  return Object.fromEntries(Object.entries(f).filter(([k]) => !WORDS_AND_VERDICT.has(k))) as MeasuredFinding;
}

function pairsOf(f: Finding, base: BinarySnapshot): [string, string][] {
  return f.machineTypes.flatMap((t) =>
    f.models.filter((m) => base.expansions[t]?.[m] !== undefined).map((m): [string, string] => [t, m]),
  );
}

export function joinMeasured(input: MeasuredJoinInput): MeasuredJoin {
  const { base, head } = input;
  const measuredChange = (t: string, m: string, p: string): boolean => {
    const x = base.expansions[t]?.[m];
    const y = head.expansions[t]?.[m];
    return !!x && !!y && (Object.hasOwn(x, p) || Object.hasOwn(y, p)) && x[p] !== y[p];
  };
  const pairKey = (t: string, m: string) => `${t}\n${m}`;

  // Static findings: the pairs where the binaries show their property change.
  const confirmedPairs = new Set<string>();
  const findings: MeasuredJoin['findings'] = input.findings.map((f) => {
    const properties = propertiesOf(f);
    if (isCodeHunk(f) || !properties.length) return f;
    const compared = pairsOf(f, base).filter(([t, m]) => head.expansions[t]?.[m] !== undefined);
    if (!compared.length) return f;
    const comparedBy = { base: base.binary, head: head.binary, properties, pairs: compared.length };
    const shown = compared.filter(([t, m]) => properties.some((p) => measuredChange(t, m, p)));
    if (!shown.length) return { ...f, comparedBy };
    for (const [t, m] of shown) confirmedPairs.add(pairKey(t, m));
    const models = [...new Set(shown.map(([, m]) => m))].sort();
    const machineTypes = input.machineTypes.filter((t) => shown.some(([x]) => x === t));
    return { ...f, comparedBy, confirmedBy: 'binaries' as const, confirmedOn: { models, machineTypes } };
  });

  const staticProperties = new Map<string, Set<string>>();
  for (const f of input.findings)
    for (const p of propertiesOf(f))
      for (const [t, m] of pairsOf(f, base)) {
        const k = pairKey(t, m);
        if (!staticProperties.has(k)) staticProperties.set(k, new Set());
        staticProperties.get(k)!.add(p);
      }
  const explained = (f: Finding): boolean =>
    pairsOf(f, base).some(([t, m]) =>
      isCpuid(f)
        ? confirmedPairs.has(pairKey(t, m))
        : propertiesOf(f).some((p) => staticProperties.get(pairKey(t, m))?.has(p)),
    );

  const hunk = input.findings.find(isCodeHunk);
  const inScope = new Set(input.machineTypes);
  let outOfScope = 0;
  const unexplained: Finding[] = [];
  /** The finding of verify each one narrowed to the catalog's machine types comes from. */
  const asMeasured = new Map<Finding, Finding>();
  for (const f of input.measured) {
    const machineTypes = f.machineTypes.filter((t) => inScope.has(t));
    if (!machineTypes.length) {
      outOfScope++;
      continue;
    }
    const g = { ...f, machineTypes };
    asMeasured.set(g, f);
    if (!explained(g)) unexplained.push(g);
  }
  // A CPUID difference whose every pair also shows one unexplained expansion property change
  // is that change as the guest reads it: one cause, one finding.
  const seenAs = new Map<Finding, string[]>();
  const folded = new Set<Finding>();
  for (const u of unexplained.filter(isCpuid)) {
    const pairs = pairsOf(u, base);
    const cause = unexplained.find(
      (e) =>
        !isCpuid(e) &&
        e.property !== undefined &&
        // Never folded into a milder finding: a knob only one binary has is safe, what it moves is not.
        CLASS_ORDER.indexOf(e.class) <= CLASS_ORDER.indexOf(u.class) &&
        pairs.every(
          ([t, m]) => e.machineTypes.includes(t) && e.models.includes(m) && measuredChange(t, m, e.property!),
        ),
    );
    if (!cause || !pairs.length) continue;
    seenAs.set(cause, [...(seenAs.get(cause) ?? []), ...propertiesOf(u)]);
    folded.add(u);
  }
  for (const f of unexplained) {
    if (folded.has(f)) continue;
    const machineTypes = f.machineTypes;
    const guest = seenAs.get(f);
    findings.push(
      classified(
        'measured-unexplained',
        {
          measured: measuredFinding(asMeasured.get(f)!),
          ...(guest ? { guestReadsAs: guest } : {}),
          ...(hunk
            ? { hunk: { function: hunk.meta.function, path: hunk.location.path, line: hunk.location.line } }
            : {}),
        },
        {
          class: f.class,
          models: f.models,
          machineTypes,
          ...(f.property !== undefined ? { property: f.property } : {}),
          ...(f.properties ? { properties: f.properties } : {}),
          ...(f.before !== undefined ? { before: f.before } : {}),
          ...(f.after !== undefined ? { after: f.after } : {}),
          // What two binaries measure gains features a KVM guest is given.
          ...(f.hostRequirement
            ? { hostRequirement: { gained: f.hostRequirement.gained, cause: { source: 'measured-feature' } } }
            : {}),
          location: hunk ? hunk.location : f.location,
          confirmedBy: 'binaries',
          fingerprint: fingerprint(
            'measured-unexplained',
            f.models,
            propertiesOf(f).join(';') || undefined,
            machineTypes,
          ),
        },
      ),
    );
  }
  return { findings, outOfScope };
}

/** The facts of each rule this module classifies, by rule id. */
export interface MeasuredMeta {
  'measured-unexplained': {
    /** What `verify` found, as it found it (all its machine types; the finding keeps the catalog's). */
    measured: MeasuredFinding;
    /** CPUID registers whose difference is this change as the guest reads it (folded into it). */
    guestReadsAs?: string[];
    /** The change's first hunk in a function that computes guest CPUID, where the finding sits. */
    hunk?: { function: string; path: string; line: number };
  };
}
