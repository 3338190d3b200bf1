import { CLASS_ORDER, type Finding, type Report } from '../report/finding.js';
import type { Annotation } from '../github/runner.js';

/** GitHub shows at most this many error and this many warning annotations of one step. */
export const ANNOTATIONS_SHOWN_PER_LEVEL = 10;

export type { Annotation };

function rank(f: Finding): number {
  return CLASS_ORDER.indexOf(f.class) * 2 + (f.verdict === 'fail' ? 0 : 1);
}

/**
 * Annotations for the findings that need attention, worst first, no more than GitHub shows:
 * failing findings are errors, the rest (waived, or below the fail threshold) warnings. What
 * does not fit is counted in one notice that points to the job summary. Safe findings are
 * listed in the summary only.
 */
export function planAnnotations(
  report: Pick<Report, 'findings'>,
  perLevel = ANNOTATIONS_SHOWN_PER_LEVEL,
): Annotation[] {
  const notable = report.findings.filter((f) => f.class !== 'safe').sort((a, b) => rank(a) - rank(b));
  const shown: Annotation[] = [];
  const left = { error: 0, warning: 0 };
  for (const f of notable) {
    const level = f.verdict === 'fail' ? 'error' : 'warning';
    if (shown.filter((a) => a.level === level).length >= perLevel) {
      left[level]++;
      continue;
    }
    const waived = f.verdict === 'waived' ? ' (waived)' : '';
    const onBase = f.location.side === 'LEFT';
    shown.push({
      level,
      title: `${f.class}${waived}: ${f.rule}`,
      message: `${f.title}${onBase ? ` (line ${f.location.line} of the base revision)` : ''}. Fix: ${f.fix}`,
      file: f.location.path,
      // A removed line is not in the head revision: the annotation names the file only.
      ...(onBase
        ? {}
        : { startLine: f.location.line, ...(f.location.endLine ? { endLine: f.location.endLine } : {}) }),
    });
  }
  const more = left.error + left.warning;
  if (more) {
    const parts = [
      left.error ? `${left.error} failing` : '',
      left.warning ? `${left.warning} not failing` : '',
    ].filter(Boolean);
    shown.push({
      level: 'notice',
      title: 'More findings',
      message: `${more} more finding${more === 1 ? '' : 's'} (${parts.join(', ')}) beyond what GitHub shows as annotations: see the job summary.`,
    });
  }
  return shown;
}
