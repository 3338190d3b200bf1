import type { FailOn, FindingClass, Verdict } from './classified.js';
import { REVIEW_RULES } from './cpuid-code.js';

/** Whether a finding of this class fails the check under `fail-on`. */
export function verdictFor(cls: FindingClass, failOn: FailOn): 'pass' | 'fail' {
  if (failOn === 'never' || cls === 'safe') return 'pass';
  if (failOn === 'new-model-required') return cls === 'new-model-required' ? 'fail' : 'pass';
  return 'fail';
}

/**
 * A finding's verdict. A rule that cannot tell a harmless refactor from a guest-visible change
 * (code that computes guest CPUID) is listed for review, and fails only with `fail-on-review`.
 */
export function findingVerdict(
  f: { rule: string; class: FindingClass },
  failOn: FailOn,
  failOnReview = false,
): Verdict {
  const verdict = verdictFor(f.class, failOn);
  if (!REVIEW_RULES.has(f.rule)) return verdict;
  return verdict === 'fail' && failOnReview ? 'fail' : 'review';
}
