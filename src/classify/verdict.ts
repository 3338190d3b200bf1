import type { FailOn, Finding, FindingClass } from '../report/finding.js';

/** Whether a finding of this class fails the check under `fail-on`. */
export function verdictFor(cls: FindingClass, failOn: FailOn): Finding['verdict'] {
  if (failOn === 'never' || cls === 'safe') return 'pass';
  if (failOn === 'new-model-required') return cls === 'new-model-required' ? 'fail' : 'pass';
  return 'fail';
}
