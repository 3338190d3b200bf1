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
import { CLASS_ORDER, type Finding } from '../report/finding.js';
import type { BinarySnapshot } from '../verify/snapshot.js';
import { fingerprint } from './machine-catalog.js';

type Draft = Omit<Finding, 'verdict'>;

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
  findings: Draft[];
  /** Measured findings left out: none of their machine types is the catalog's. */
  outOfScope: number;
}

const isCpuid = (f: Finding) => f.property?.startsWith('CPUID ') ?? false;
const propertiesOf = (f: Finding): string[] => f.properties ?? (f.property ? [f.property] : []);
const isCodeHunk = (f: Finding) => f.rule.startsWith('cpuid-code-');

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
  const findings: Draft[] = input.findings.map((f) => {
    const properties = propertiesOf(f);
    if (isCodeHunk(f) || !properties.length) return f;
    const compared = pairsOf(f, base).filter(([t, m]) => head.expansions[t]?.[m] !== undefined);
    if (!compared.length) return f;
    const shown = compared.filter(([t, m]) => properties.some((p) => measuredChange(t, m, p)));
    if (!shown.length)
      return {
        ...f,
        message: `${f.message} The two binaries do not show it: ${properties.join(', ')} expands the same in both on the ${compared.length} pair(s) of it they compare.`,
      };
    for (const [t, m] of shown) confirmedPairs.add(pairKey(t, m));
    const models = [...new Set(shown.map(([, m]) => m))].sort();
    const machineTypes = input.machineTypes.filter((t) => shown.some(([x]) => x === t));
    return {
      ...f,
      message: `${f.message} The two binaries confirm it: ${properties.join(', ')} expands differently in ${head.binary} than in ${base.binary} for ${models.join(', ')} on ${machineTypes.join(', ')}.`,
      confirmedBy: 'binaries' as const,
      confirmedOn: { models, machineTypes },
    };
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
  for (const f of input.measured) {
    const machineTypes = f.machineTypes.filter((t) => inScope.has(t));
    if (!machineTypes.length) {
      outOfScope++;
      continue;
    }
    const g = { ...f, machineTypes };
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
    const where = hunk
      ? ` The catalog's tables do not say it; the pull request's change to ${hunk.title.replace(/\(\).*$/, '()')} (${hunk.location.path}:${hunk.location.line}) is where guest CPUID is computed.`
      : " The catalog's tables do not say it, and the pull request changes no function that computes guest CPUID.";
    findings.push({
      rule: 'measured-unexplained',
      class: f.class,
      title: `Measured, not in the catalog: ${f.title}`,
      message: `${f.message}${guest ? ` The guest reads it as: ${guest.join(', ')}.` : ''}${where}`,
      models: f.models,
      machineTypes,
      ...(f.property !== undefined ? { property: f.property } : {}),
      ...(f.properties ? { properties: f.properties } : {}),
      ...(f.before !== undefined ? { before: f.before } : {}),
      ...(f.after !== undefined ? { after: f.after } : {}),
      ...(f.hostRequirement ? { hostRequirement: f.hostRequirement } : {}),
      location: hunk ? hunk.location : f.location,
      fix: f.fix,
      confirmedBy: 'binaries',
      fingerprint: fingerprint(
        'measured-unexplained',
        f.models,
        propertiesOf(f).join(';') || undefined,
        machineTypes,
      ),
    });
  }
  return { findings, outOfScope };
}

/** The facts of each rule this module classifies, by rule id. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface MeasuredMeta {}
