/**
 * The Markdown is read back with markdown-it (CommonMark plus GitHub's tables), so that escaping,
 * fences and tables are judged by a real parser rather than by string matching alone.
 */
import { describe, expect, it } from '@jest/globals';
import MarkdownIt from 'markdown-it';
import {
  COMMENT_MAX_CHARS,
  codeSpan,
  fencedBlock,
  fingerprintMarker,
  parseFingerprintMarker,
  renderFindingComment,
  renderMarkdownSummary,
} from '../../src/report/markdown.js';
import {
  KNOWN_MACHINE_TYPES,
  aliasRemoved,
  editedReleasedVersion,
  emptyReport,
  fullReport,
  hugeReport,
  makeReport,
  pkuOnSkylakeServer,
  rdtscpOnOpteron,
} from './reports.js';

const md = new MarkdownIt({ html: true });
type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];
const DOCS = 'https://example.org/cpu-model-guard/docs/rules.md';

/** Rows of the first table under the heading that starts with `heading`, as rendered cell HTML. */
function tableUnder(markdown: string, heading: string): string[][] {
  const tokens = md.parse(markdown, {});
  const start = tokens.findIndex(
    (t, i) => t.type === 'inline' && t.content.startsWith(heading) && tokens[i - 1]?.type === 'heading_open',
  );
  expect(start).toBeGreaterThan(-1);
  const open = tokens.findIndex((t, i) => i > start && t.type === 'table_open');
  const rows: string[][] = [];
  let row: string[] | undefined;
  for (let i = open + 1; tokens[i]!.type !== 'table_close'; i++) {
    const t = tokens[i]!;
    if (t.type === 'tr_open') row = [];
    else if (t.type === 'tr_close') rows.push(row!);
    else if (t.type === 'inline') row!.push(md.renderer.renderInline(t.children ?? [], md.options, {}));
  }
  return rows;
}

function fences(markdown: string): Token[] {
  return md.parse(markdown, {}).filter((t) => t.type === 'fence');
}

describe('renderMarkdownSummary', () => {
  const report = fullReport();
  const summary = renderMarkdownSummary(report, {
    ruleDocsUrl: DOCS,
    knownMachineTypes: KNOWN_MACHINE_TYPES,
  });

  it('starts with the result and says what was compared', () => {
    const lines = summary.split('\n');
    expect(lines[0]).toBe(
      '## cpu-model-guard: ❌ **FAIL** (fail-on `type-2`: fails on type-2 and new-model-required)',
    );
    expect(summary).toContain(
      'Compared `refs/pull/42/merge (9a8b7c6d5e4f)` with `origin/master (1c4f3c1e5e0f)`',
    );
    expect(summary).toContain('Released baseline: `v7.2.0 (b67b00e6b4c7)`: entries present in v7.2.0');
  });

  it('counts findings per class, with how many fail and how many are waived', () => {
    const counts = tableUnder(summary, 'cpu-model-guard: ');
    expect(counts).toEqual([
      ['class', 'findings', 'failing', 'waived'],
      ['🛑 new-model-required', '2', '2', '0'],
      ['⚠️ type-2', '2', '1', '1'],
      ['✅ safe', '2', '0', '0'],
    ]);
  });

  it('has one table row per finding, worst first, with every column filled from the finding', () => {
    const rows = tableUnder(summary, 'Findings');
    expect(rows[0]).toEqual(['class', 'rule', 'models', 'machine types', 'property', 'location', 'fix']);
    expect(rows).toHaveLength(1 + report.findings.length);
    for (const row of rows) expect(row).toHaveLength(7);
    const pku = rows.find((r) => r[2]!.includes('Skylake-Server'))!;
    expect(pku).toEqual([
      '⚠️ type-2 (fails)',
      `<a href="${DOCS}#machine-type-host-requirement"><code>machine-type-host-requirement</code></a>`,
      '<code>Skylake-Server</code>, <code>Skylake-Server-IBRS</code>',
      '<code>pc-i440fx-3.1..pc-i440fx-7.2</code>, <code>pc-q35-3.1..pc-q35-7.2</code>',
      '<code>pku</code>: <code>off</code> → <code>on</code>',
      '<code>target/i386/cpu.c:2764</code>',
      'Add pku in a new version Skylake-Server-v2 instead of the definition.',
    ]);
    expect(rows.slice(1).map((r) => r[0])).toEqual([
      '🛑 new-model-required (fails)',
      '🛑 new-model-required (fails)',
      '⚠️ type-2 (fails)',
      '⚠️ type-2 (waived)',
      '✅ safe',
      '✅ safe',
    ]);
    expect(rows.find((r) => r[1]!.includes('released-name-removed'))![5]).toBe(
      '<code>target/i386/cpu.c:1990</code> (base)',
    );
  });

  it('keeps cells whole when catalog text holds pipes, HTML and Markdown', () => {
    const nasty = pkuOnSkylakeServer();
    nasty.models = ['Odd|Model', 'back`tick'];
    nasty.property = 'a|b';
    nasty.fix = 'Use `x | y` <!-- not a comment --> *not bold* @octocat [link](http://x)\nsecond line';
    const out = renderMarkdownSummary(makeReport([nasty]));
    const rows = tableUnder(out, 'Findings');
    expect(rows).toHaveLength(2);
    expect(rows[1]).toHaveLength(7);
    expect(rows[1]![2]).toBe('<code>Odd|Model</code>, <code>back`tick</code>');
    expect(rows[1]![4]).toBe('<code>a|b</code>: <code>off</code> → <code>on</code>');
    // Everything shows as written: no HTML comment swallowing the rest, no emphasis, no link.
    expect(rows[1]![6]).toBe(
      'Use `x | y` &lt;!-- not a comment --&gt; *not bold* @octocat [link](http://x)<br>second line',
    );
  });

  it('links each location to its line at the commit of its side', () => {
    const report = makeReport([pkuOnSkylakeServer(), aliasRemoved()]);
    const out = renderMarkdownSummary(report, { repositoryUrl: 'https://github.com/qemu/qemu/' });
    const cells = tableUnder(out, 'Findings').flat().join('\n');
    for (const f of report.findings) {
      const commit = f.location.side === 'LEFT' ? report.base!.commit : report.head.commit;
      expect(cells).toContain(
        `href="https://github.com/qemu/qemu/blob/${commit}/${f.location.path}#L${f.location.line}"`,
      );
    }
    // Without an address, locations stay plain code.
    expect(renderMarkdownSummary(report)).not.toContain('/blob/');
  });

  it('lists waivers in force, unused waivers and notes', () => {
    expect(summary).toContain('### Waivers in force');
    expect(summary).toMatch(/Opteron\\_G3 \/ rdtscp: Linux 4\.5 is the minimum host kernel/);
    expect(summary).toContain('### Unused or expired waivers');
    expect(summary).toContain('EPYC / npt: kept from an older release');
    expect(summary).toContain('### Notes\n\n- machine type pc-i440fx-1.4 was removed');
  });

  it('says PASS and keeps promises for an empty report, with no findings table', () => {
    const out = renderMarkdownSummary(emptyReport());
    expect(out.split('\n')[0]).toContain('✅ **PASS**');
    expect(out).toContain('No findings: the change keeps every rule.');
    expect(out).not.toContain('### Findings');
    expect(renderMarkdownSummary({ ...emptyReport(), mode: 'audit' })).toContain(
      'No findings: no machine type asks more of the host than the one before it',
    );
    expect(out).not.toContain('left out');
  });

  it('cuts a huge report to the byte limit, keeps the worst findings and says how many it left out', () => {
    const big = hugeReport(3000);
    for (const maxBytes of [65536, 20000]) {
      const out = renderMarkdownSummary(big, { maxBytes });
      expect(Buffer.byteLength(out, 'utf8')).toBeLessThanOrEqual(maxBytes);
      const rows = tableUnder(out, 'Findings').slice(1);
      expect(rows.length).toBeGreaterThan(10);
      // Rows kept are the first ones of the report, in order.
      rows.forEach((row, i) => expect(row[2]).toContain(`<code>Model-${i}-漢字</code>`));
      const last = out.trimEnd().split('\n').pop()!;
      expect(last).toBe(
        `_${3000 - rows.length} findings left out to stay within ${maxBytes} bytes; the full report is in the job log and the JSON or SARIF output._`,
      );
      // The sections after the table survive the cut.
      expect(out).toContain('### Unused or expired waivers');
      // Close to the limit: the cut does not throw away far more than it must.
      expect(Buffer.byteLength(out, 'utf8')).toBeGreaterThan(maxBytes - 1500);
    }
  });

  it('fits the whole report when the limit allows it', () => {
    const big = hugeReport(50);
    const out = renderMarkdownSummary(big);
    expect(tableUnder(out, 'Findings')).toHaveLength(51);
    expect(out).not.toContain('left out');
  });

  it('never exceeds even an absurdly small limit, nor splits a character', () => {
    const out = renderMarkdownSummary(hugeReport(5), { maxBytes: 120 });
    expect(Buffer.byteLength(out, 'utf8')).toBeLessThanOrEqual(120);
    expect(out).not.toContain('\uFFFD');
  });
});

describe('fingerprint markers', () => {
  it('round-trips a fingerprint through a comment body', () => {
    const marker = fingerprintMarker('machine-type-host-requirement:Skylake-Server:pku');
    expect(marker).toMatch(/^<!-- cpu-model-guard:fingerprint=\S+ -->$/);
    expect(marker).toBe(
      '<!-- cpu-model-guard:fingerprint=machine-type-host-requirement:Skylake-Server:pku -->',
    );
    expect(parseFingerprintMarker(`Some text\n\n${marker}\n`)).toBe(
      'machine-type-host-requirement:Skylake-Server:pku',
    );
  });

  it('cannot be closed early by the fingerprint itself', () => {
    const fp = 'evil --> <b>x</b> --!> end';
    const marker = fingerprintMarker(fp);
    expect(marker.indexOf('-->')).toBe(marker.length - 3);
    expect(marker).not.toContain('--!>');
    expect(parseFingerprintMarker(marker)).toBe(fp);
    // markdown-it sees one HTML block and nothing visible.
    const html = md.render(marker);
    expect(html.trim()).toBe(marker);
  });

  it('finds nothing in bodies that carry no marker or a broken one', () => {
    expect(parseFingerprintMarker('a human comment')).toBeUndefined();
    expect(parseFingerprintMarker('<!-- cpu-model-guard:fingerprint=%E0%A4%A -->')).toBeUndefined();
  });
});

describe('fences and code spans', () => {
  it('make a fence longer than any run of backticks inside', () => {
    const content = 'a ``` b\n`````\n';
    const block = fencedBlock('c', content);
    expect(block.startsWith('``````c\n')).toBe(true);
    const [fence] = fences(block);
    expect(fence!.info).toBe('c');
    expect(fence!.content).toBe(content);
  });

  it('show code spans verbatim whatever backticks they hold', () => {
    for (const text of ['`a`', 'x``y', 'plain']) {
      const html = md.renderInline(codeSpan(text));
      expect(html).toBe(`<code>${text}</code>`);
    }
  });
});

describe('renderFindingComment', () => {
  it('has the class badge, the rule linked to its documentation, the facts and the fix', () => {
    const body = renderFindingComment(pkuOnSkylakeServer(), {
      ruleDocsUrl: DOCS,
      knownMachineTypes: KNOWN_MACHINE_TYPES,
    });
    expect(body.split('\n')[0]).toBe(
      `**⚠️ type-2** · [\`machine-type-host-requirement\`](${DOCS}#machine-type-host-requirement) · fails the check`,
    );
    expect(body).toContain('- **Models:** `Skylake-Server`, `Skylake-Server-IBRS`');
    expect(body).toContain('- **Machine types:** `pc-i440fx-3.1..pc-i440fx-7.2`, `pc-q35-3.1..pc-q35-7.2`');
    expect(body).toContain('- **Property:** `pku`: `off` → `on`');
    expect(body).toContain(
      '- **Host requirement gained:** `pku`: needs the host CPU (protection keys) and KVM support',
    );
    expect(body).toContain('**Fix:** Add pku in a new version Skylake-Server-v2 instead of the definition.');
    expect(parseFingerprintMarker(body)).toBe('machine-type-host-requirement:Skylake-Server:pku');
  });

  it('puts the exact lines to add in a c block with where they go', () => {
    const f = pkuOnSkylakeServer();
    const body = renderFindingComment(f);
    expect(body).toContain('Add these lines to `target/i386/cpu.c` after line 2790:');
    const blocks = fences(body);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.info).toBe('c');
    expect(blocks[0]!.content).toBe(f.fixLines!.text);
  });

  it('makes a suggestion block GitHub applies as is, even with backticks in the replacement', () => {
    const f = editedReleasedVersion();
    const body = renderFindingComment(f);
    const blocks = fences(body);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.info).toBe('suggestion');
    expect(blocks[0]!.content).toBe(f.suggestion!.replacement);
    expect(blocks[0]!.markup).toBe('`````');
    expect(body).toContain('Suggested change (replaces lines 2871-2872 of `target/i386/cpu.c`):');
  });

  it('suggests deleting lines with an empty suggestion block', () => {
    const f = editedReleasedVersion();
    f.suggestion = { path: 'target/i386/cpu.c', startLine: 10, endLine: 10, replacement: '' };
    const [block] = fences(renderFindingComment(f));
    expect(block!.info).toBe('suggestion');
    expect(block!.content).toBe('');
  });

  it('says a waived finding is waived, and why', () => {
    const body = renderFindingComment(rdtscpOnOpteron());
    expect(body.split('\n')[0]).toContain('· waived');
    expect(body).toContain(
      '- **Waived:** machine-type-host-requirement / Opteron\\_G3 / rdtscp: Linux 4.5 is the minimum',
    );
  });

  it('says when the line exists only in the base revision', () => {
    expect(renderFindingComment(aliasRemoved())).toContain(
      '- **Where:** this line exists only in the base revision',
    );
  });

  it('omits the marker when asked, and links nothing without a docs URL', () => {
    const body = renderFindingComment(aliasRemoved(), { fingerprintMarker: false });
    expect(parseFingerprintMarker(body)).toBeUndefined();
    expect(body).not.toContain('](');
  });

  it('folds long lists, gives the complete ones in a collapsed block, and stays under the comment limit', () => {
    const f = pkuOnSkylakeServer();
    f.models = Array.from({ length: 20 }, (_, i) => `Model-${i}`);
    const body = renderFindingComment(f);
    expect(body).toContain('`Model-6` and 13 more models');
    expect(body).toContain('<details><summary>Complete lists</summary>');
    expect(body).toContain('**All 20 models:** `Model-0`');
    expect(body).toContain('`Model-19`');

    const huge = pkuOnSkylakeServer();
    huge.models = Array.from({ length: 20000 }, (_, i) => `Model-${i}`);
    huge.message = 'x'.repeat(100000);
    const cut = renderFindingComment(huge);
    expect(cut.length).toBeLessThanOrEqual(COMMENT_MAX_CHARS);
    expect(parseFingerprintMarker(cut)).toBe(huge.fingerprint);
    expect(cut).toContain('_(cut to fit the comment size limit)_');
  });
});
