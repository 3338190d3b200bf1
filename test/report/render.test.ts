import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../src/errors.js';
import {
  REPORT_FORMATS,
  parseReportFormat,
  renderReport,
  type ReportFormat,
} from '../../src/report/render.js';
import { fullReport, hugeReport } from './reports.js';

describe('renderReport', () => {
  const report = fullReport();

  it('renders each format the front ends offer', () => {
    expect(renderReport(report, 'text')).toContain('Result: FAIL');
    expect(renderReport(report, 'markdown').split('\n')[0]).toContain('**FAIL**');
    expect(JSON.parse(renderReport(report, 'sarif')).version).toBe('2.1.0');
    expect(JSON.parse(renderReport(report, 'json')).result).toBe('fail');
  });

  it('passes the options on: colour for text, the byte limit for Markdown, the docs URL for SARIF', () => {
    expect(renderReport(report, 'text')).not.toContain('\x1b[');
    expect(renderReport(report, 'text', { color: true })).toContain('\x1b[');
    const cut = renderReport(hugeReport(500), 'markdown', { maxBytes: 10000 });
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10000);
    expect(cut).toContain('findings left out');
    const sarif = JSON.parse(renderReport(report, 'sarif', { ruleDocsUrl: 'https://example.org/rules.md' }));
    expect(sarif.runs[0].tool.driver.rules[0].helpUri).toBe(
      'https://example.org/rules.md#released-model-changed',
    );
  });

  it('turns an unknown format into a usage error that lists the formats', () => {
    expect(REPORT_FORMATS).toEqual(['text', 'markdown', 'sarif', 'json']);
    expect(parseReportFormat('sarif')).toBe('sarif');
    expect(() => parseReportFormat('html', 'input report-format')).toThrow(UsageError);
    try {
      renderReport(report, 'html' as ReportFormat);
      throw new Error('renderReport accepted an unknown format');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).describe()).toBe(
        "unknown report format 'html' for --format\n  hint: use one of: text, markdown, sarif, json",
      );
    }
  });
});
