/**
 * Waivers: a project accepting a finding knowingly, with its reason. A waiver never hides a
 * finding; it marks it `waived` and carries the reason into every report. A waiver past its
 * expiry stops applying, and both expired and unused waivers are reported, so that
 * acceptances do not outlive the situation they were written for.
 */
import { matchesAny } from '../config/config.js';
import type { AnyRuleMeta, FindingFacts, Verdict, Waiver } from './classified.js';

/** What a waiver is matched against and marks: any finding with its verdict. */
type Waivable = Pick<FindingFacts, 'class' | 'models' | 'property' | 'properties' | 'location'> & {
  rule: string;
  verdict: Verdict;
  meta?: AnyRuleMeta;
  waiver?: Waiver;
};

/** The function whose code a finding's cause changes (a code hunk's), when its facts name one. */
function functionOf(finding: Waivable): string | undefined {
  const meta = finding.meta;
  return meta && 'function' in meta ? meta.function : undefined;
}

export interface WaiverOutcome<F extends Waivable> {
  findings: F[];
  /** Waivers in force that matched no finding. */
  unused: Waiver[];
  /** Waivers whose `expires` date has passed: they were not applied. */
  expired: Waiver[];
}

/** `expires` is the last day a waiver applies; dates are ISO `YYYY-MM-DD`, so they compare as text. */
export function isExpired(waiver: Waiver, today: string): boolean {
  return waiver.expires !== undefined && waiver.expires < today;
}

export function waiverMatches(waiver: Waiver, finding: Waivable): boolean {
  if (waiver.rule !== finding.rule) return false;
  // A finding grouped by cause lists several properties; a waiver for any one of them matches.
  if (
    waiver.property !== undefined &&
    waiver.property !== finding.property &&
    !finding.properties?.includes(waiver.property)
  )
    return false;
  // Every subject the waiver names must be the finding's: a model it concerns, the function or
  // file its code hunk changes. A waiver names at least one (the configuration requires it).
  const fn = functionOf(finding);
  if (waiver.models.length && !finding.models.some((m) => matchesAny(m, waiver.models))) return false;
  if (waiver.functions && !(fn !== undefined && matchesAny(fn, waiver.functions))) return false;
  if (waiver.paths && !matchesAny(finding.location.path, waiver.paths)) return false;
  return waiver.models.length > 0 || waiver.functions !== undefined || waiver.paths !== undefined;
}

/**
 * Applies waivers to findings. `today` is `YYYY-MM-DD` (the caller's clock, so reports are
 * reproducible). The first matching waiver in configuration order wins. Safe findings are
 * never waived: there is nothing to accept.
 */
export function applyWaivers<F extends Waivable>(
  findings: F[],
  waivers: Waiver[],
  today: string,
): WaiverOutcome<F> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(today))
    throw new Error(`applyWaivers: today must be YYYY-MM-DD, got ${today}`);
  const expired = waivers.filter((w) => isExpired(w, today));
  const inForce = waivers.filter((w) => !isExpired(w, today));
  const used = new Set<Waiver>();
  const out = findings.map((finding): F => {
    if (finding.class === 'safe') return finding;
    const waiver = inForce.find((w) => waiverMatches(w, finding));
    if (!waiver) return finding;
    used.add(waiver);
    // A finding below the fail threshold keeps its verdict but still shows the waiver's reason.
    return {
      ...finding,
      waiver,
      verdict: finding.verdict === 'fail' ? ('waived' as const) : finding.verdict,
    };
  });
  return { findings: out, unused: inForce.filter((w) => !used.has(w)), expired };
}
