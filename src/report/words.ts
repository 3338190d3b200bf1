import type { Report } from './finding.js';

/** The line a report without findings ends with: what was looked at, and that the rule holds. */
export function noFindings(report: Pick<Report, 'mode'>): string {
  return report.mode === 'audit'
    ? 'No findings: no machine type asks more of the host than the one before it, and no name is registered twice.'
    : 'No findings: the change keeps every rule.';
}
