/** The verdict `review` (a code hunk no compat property gates) in every format the front ends offer. */
import { describe, expect, it } from '@jest/globals';
import type { Finding } from '../../src/report/finding.js';
import { renderReport } from '../../src/report/render.js';
import { makeReport } from './reports.js';

function ungatedHunk(): Finding {
  return {
    rule: 'cpuid-code-ungated',
    class: 'new-model-required',
    verdict: 'review',
    title: 'kvm_arch_get_supported_cpuid() changes what guests may see, on every machine type',
    message: 'The change to kvm_arch_get_supported_cpuid() is not gated: it reads no CPU property.',
    models: [],
    machineTypes: ['pc-q35-10.0'],
    location: { path: 'target/i386/kvm/kvm.c', line: 508, side: 'RIGHT' },
    fix: 'gate it on a new CPU property',
    fixLines: {
      path: 'hw/i386/pc.c',
      afterLine: 82,
      text: '    { TYPE_X86_CPU, "x-get-supported-cpuid-compat", "false" },',
    },
    fingerprint: 'cpuid-code-ungated:1',
  };
}

describe('a finding for review', () => {
  const report = makeReport([ungatedHunk()]);

  it('is counted, and does not fail the report', () => {
    expect(report.result).toBe('pass');
    expect(report.counts.review).toBe(1);
    expect(JSON.parse(renderReport(report, 'json')).findings[0].verdict).toBe('review');
  });

  it('says so in text, Markdown and SARIF', () => {
    const text = renderReport(report, 'text');
    expect(text).toContain('[REVIEW] cpuid-code-ungated');
    expect(text).toContain('1 for review');
    const md = renderReport(report, 'markdown');
    expect(md).toContain('(for review)');
    expect(md).toContain('1 finding(s) for review');
    const sarif = JSON.parse(renderReport(report, 'sarif'));
    expect(sarif.runs[0].results[0].level).toBe('warning');
  });
});
