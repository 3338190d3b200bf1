/**
 * One entry point for the front ends: a report in the format the user asked for.
 */
import { UsageError } from '../errors.js';
import type { Report } from './finding.js';
import { renderJson } from './json.js';
import { renderMarkdownSummary } from './markdown.js';
import { buildSarifLog, renderSarif } from './sarif.js';
import { renderText } from './text.js';

export const REPORT_FORMATS = ['text', 'markdown', 'sarif', 'json'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderOptions {
  /** text only: ANSI colours. Never on by default. */
  color?: boolean;
  /** Base URL of docs/rules.md (markdown links, SARIF helpUri). */
  ruleDocsUrl?: string;
  /** SARIF tool.driver.informationUri. */
  informationUri?: string;
  /** markdown only: size limit in UTF-8 bytes (default: GitHub's job summary limit, 1 MiB). */
  maxBytes?: number;
  /** Every machine type of the catalog in order, for exact machine-type ranges. */
  knownMachineTypes?: readonly string[];
}

export function isReportFormat(value: string): value is ReportFormat {
  return (REPORT_FORMATS as readonly string[]).includes(value);
}

/** Checks a format a user typed; `where` names the flag or input for the error message. */
export function parseReportFormat(value: string, where = '--format'): ReportFormat {
  if (isReportFormat(value)) return value;
  throw new UsageError(
    `unknown report format '${value}' for ${where}`,
    undefined,
    `use one of: ${REPORT_FORMATS.join(', ')}`,
  );
}

export function renderReport(report: Report, format: ReportFormat, options: RenderOptions = {}): string {
  options = { ...options, knownMachineTypes: options.knownMachineTypes ?? report.machineTypes };
  switch (format) {
    case 'text':
      return renderText(report, { color: options.color, knownMachineTypes: options.knownMachineTypes });
    case 'markdown':
      return renderMarkdownSummary(report, {
        maxBytes: options.maxBytes,
        ruleDocsUrl: options.ruleDocsUrl,
        knownMachineTypes: options.knownMachineTypes,
      });
    case 'sarif':
      return renderSarif(report, {
        ruleDocsUrl: options.ruleDocsUrl,
        informationUri: options.informationUri,
      });
    case 'json':
      return renderJson(report);
    default:
      // A format that slipped past the type (a plain string from configuration) is a usage error.
      return parseReportFormat(format as string) as never;
  }
}

/**
 * Several catalogs, one output: SARIF holds one run per catalog in a single log; JSON is an
 * array of reports (each following schema/report.schema.json); text and Markdown put the
 * reports one after the other. One report renders exactly as `renderReport` does.
 */
export function renderReports(
  reports: readonly Report[],
  format: ReportFormat,
  options: RenderOptions = {},
): string {
  if (reports.length === 1) return renderReport(reports[0]!, format, options);
  switch (format) {
    case 'sarif': {
      const logs = reports.map((r) =>
        buildSarifLog(r, { ruleDocsUrl: options.ruleDocsUrl, informationUri: options.informationUri }),
      );
      return JSON.stringify({ ...logs[0], runs: logs.flatMap((l) => l.runs) }, null, 2) + '\n';
    }
    case 'json':
      return `[\n${reports.map((r) => renderJson(r).trimEnd()).join(',\n')}\n]\n`;
    default:
      return reports.map((r) => renderReport(r, format, options).trimEnd()).join('\n\n') + '\n';
  }
}

/** Counts and result over several reports: what a front end's exit code and outputs say. */
export function overallResult(reports: readonly Report[]): {
  result: 'pass' | 'fail';
  counts: Report['counts'];
} {
  const counts = { safe: 0, 'type-2': 0, 'new-model-required': 0, waived: 0, review: 0 };
  for (const r of reports)
    for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += r.counts[k];
  return { result: reports.some((r) => r.result === 'fail') ? 'fail' : 'pass', counts };
}
