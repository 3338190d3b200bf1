/**
 * Markdown for GitHub: the job summary and the sticky pull-request comment (one renderer, two
 * size limits), and the body of one inline review comment per finding.
 */
import {
  CLASS_ORDER,
  type Finding,
  type FindingClass,
  type Report,
  type Suggestion,
  type FixLines,
  type Verdict,
} from './finding.js';
import { noFindings } from './words/index.js';
import {
  collapseList,
  describeFailOn,
  describeRef,
  describeWaiver,
  formatPropValue,
  propertiesOf,
  splitLines,
  summarizeMachineTypes,
} from './text.js';

/** GitHub's step-summary limit. */
export const JOB_SUMMARY_MAX_BYTES = 1024 * 1024;
/** GitHub's limit for one issue, pull-request or review comment body (characters). */
export const COMMENT_MAX_CHARS = 65536;

export interface MarkdownSummaryOptions {
  /**
   * Size limit in UTF-8 bytes. A JavaScript string never has more UTF-16 units than UTF-8
   * bytes, so a byte limit of 65,536 also keeps a comment within GitHub's character limit.
   */
  maxBytes?: number;
  /** Base URL of docs/rules.md; each rule links to `${ruleDocsUrl}#<rule-id>`. */
  ruleDocsUrl?: string;
  knownMachineTypes?: readonly string[];
  /**
   * The repository's web address (`https://github.com/o/r`): each location links to its line at
   * the commit of its side, head's or base's, when the report names that commit.
   */
  repositoryUrl?: string;
  /** What the last line points readers to when findings are left out. */
  fullReportHint?: string;
}

export interface FindingCommentOptions {
  ruleDocsUrl?: string;
  /** Put the hidden fingerprint marker into the body (the action finds its comments by it). */
  fingerprintMarker?: boolean;
  knownMachineTypes?: readonly string[];
  /** Defaults to GitHub's comment limit. */
  maxChars?: number;
}

const CLASS_BADGE: Record<FindingClass, string> = {
  'new-model-required': '🛑 new-model-required',
  'type-2': '⚠️ type-2',
  safe: '✅ safe',
};

const MARKER_PREFIX = '<!-- cpu-model-guard:fingerprint=';
const MARKER_SUFFIX = ' -->';

/**
 * The hidden marker that ties a review comment to a finding across runs. The fingerprint is
 * percent-encoded, runs of `-` and every `!` included, so that no fingerprint can close the HTML
 * comment; single dashes stay, so that markers of ordinary fingerprints remain readable.
 */
export function fingerprintMarker(fingerprint: string): string {
  const encoded = encodeURIComponent(fingerprint)
    .replace(/-{2,}/g, (dashes) => '%2D'.repeat(dashes.length))
    .replace(/!/g, '%21')
    .replace(/%3A/g, ':');
  return `${MARKER_PREFIX}${encoded}${MARKER_SUFFIX}`;
}

/** The fingerprint of the first marker in a comment body, or undefined when there is none. */
export function parseFingerprintMarker(body: string): string | undefined {
  const match = /<!-- cpu-model-guard:fingerprint=([^\s>]*) -->/.exec(body);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    // A marker a person edited into something undecodable belongs to no finding.
    return undefined;
  }
}

/**
 * Text that Markdown must show literally: no emphasis, links, HTML or table breaks. Parentheses,
 * braces and `!` need no escape: they only build links and images next to `[`, which is escaped.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]#+|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Inside a table row nothing may start a new line, and `|` must not end the cell. */
export function escapeTableCell(text: string): string {
  return escapeMarkdown(text).replace(/\r?\n/g, '<br>');
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}

/**
 * A code span that shows `text` verbatim, whatever backticks it holds. In a table cell `|`
 * must still be escaped: GitHub splits cells before it parses code spans.
 */
export function codeSpan(text: string, inTable = false): string {
  const flat = text.replace(/\r?\n/g, ' ');
  const ticks = '`'.repeat(longestRun(flat, '`') + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  const body = inTable ? flat.replace(/\|/g, '\\|') : flat;
  return `${ticks}${pad}${body}${pad}${ticks}`;
}

/** A fenced block whose fence is longer than any run of backticks in the content. */
export function fencedBlock(info: string, content: string): string {
  const fence = '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
  const lines = content === '' ? [] : splitLines(content);
  return [`${fence}${info}`, ...lines, fence].join('\n');
}

function ruleLink(rule: string, ruleDocsUrl: string | undefined, inTable = false): string {
  const span = codeSpan(rule, inTable);
  return ruleDocsUrl ? `[${span}](${ruleDocsUrl}#${encodeURIComponent(rule)})` : span;
}

function resultLine(report: Report): string {
  const verdict = report.result === 'pass' ? '✅ **PASS**' : '❌ **FAIL**';
  return `${verdict} (fail-on \`${report.failOn}\`: ${describeFailOn(report.failOn)})`;
}

function comparisonLine(report: Report): string {
  const catalog = `${escapeMarkdown(report.catalog.format)} catalog ${codeSpan(report.catalog.path)}`;
  const head = codeSpan(describeRef(report.head));
  if (report.mode === 'audit') return `Audit of the ${catalog} at ${head}.`;
  return `Compared ${head} with ${codeSpan(describeRef(report.base))} in the ${catalog}.`;
}

function releaseLine(report: Report): string {
  const where =
    report.release.ref || report.release.commit ? `${codeSpan(describeRef(report.release))}: ` : '';
  return `Released baseline: ${where}${escapeMarkdown(report.release.explanation)}`;
}

function codeList(list: { shown: string[]; more: number }, noun: string, inTable: boolean): string {
  const text = list.shown.map((s) => codeSpan(s, inTable)).join(', ');
  return list.more > 0 ? `${text} and ${list.more} more ${noun}` : text;
}

function propertyCell(f: Finding, inTable: boolean, maxProperties = inTable ? 3 : 8): string {
  if (!f.property) return '';
  const prop = codeList(collapseList(propertiesOf(f), maxProperties), 'properties', inTable);
  if (f.before === undefined && f.after === undefined) return prop;
  return `${prop}: ${codeSpan(formatPropValue(f.before), inTable)} → ${codeSpan(formatPropValue(f.after), inTable)}`;
}

function locationText(f: Finding): string {
  const { path, line, endLine } = f.location;
  return `${path}:${endLine && endLine !== line ? `${line}-${endLine}` : line}`;
}

/** A location's address on the repository's web pages, at the commit of its side. */
function locationUrl(f: Finding, report: Report, repositoryUrl: string | undefined): string | undefined {
  const commit = f.location.side === 'LEFT' ? report.base?.commit : report.head.commit;
  if (!repositoryUrl || !commit) return undefined;
  const { path, line, endLine } = f.location;
  const lines = endLine && endLine !== line ? `L${line}-L${endLine}` : `L${line}`;
  return `${repositoryUrl.replace(/\/+$/, '')}/blob/${commit}/${path.split('/').map(encodeURIComponent).join('/')}#${lines}`;
}

/** A table row's verdict, beside its class. */
const VERDICT_MARK: Record<Verdict, string> = {
  fail: ' (fails)',
  waived: ' (waived)',
  review: ' (for review)',
  pass: '',
};

function findingRow(f: Finding, report: Report, options: MarkdownSummaryOptions): string {
  const models = codeList(collapseList(f.models, 4), 'models', true);
  const machineTypes = codeList(
    summarizeMachineTypes(f.machineTypes, 3, options.knownMachineTypes),
    'machine types',
    true,
  );
  const url = locationUrl(f, report, options.repositoryUrl);
  const where = codeSpan(locationText(f), true);
  const location = `${url ? `[${where}](${url})` : where}${f.location.side === 'LEFT' ? ' (base)' : ''}`;
  const verdict = VERDICT_MARK[f.verdict];
  const cells = [
    `${CLASS_BADGE[f.class]}${verdict}`,
    ruleLink(f.rule, options.ruleDocsUrl, true),
    models,
    machineTypes,
    propertyCell(f, true),
    location,
    escapeTableCell(f.fix),
  ];
  return `| ${cells.join(' | ')} |`;
}

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Cuts to at most `maxBytes` UTF-8 bytes without splitting a character. */
function cutToBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes));
  // A cut inside a multi-byte sequence decodes to U+FFFD: drop it.
  return bytes.toString('utf8').replace(/\uFFFD+$/, '');
}

/**
 * The summary for the job summary page and the sticky comment. Findings come worst first, so
 * when the limit cuts the table, the ones left out are the least severe.
 */
export function renderMarkdownSummary(report: Report, options: MarkdownSummaryOptions = {}): string {
  options = { ...options, knownMachineTypes: options.knownMachineTypes ?? report.machineTypes };
  const maxBytes = options.maxBytes ?? JOB_SUMMARY_MAX_BYTES;
  const head: string[] = [
    `## ${escapeMarkdown(report.tool.name)}: ${resultLine(report)}`,
    '',
    comparisonLine(report),
    releaseLine(report),
    '',
    '| class | findings | failing | waived |',
    '|---|---:|---:|---:|',
    ...CLASS_ORDER.map((c) => {
      const ofClass = report.findings.filter((f) => f.class === c);
      const failing = ofClass.filter((f) => f.verdict === 'fail').length;
      const waived = ofClass.filter((f) => f.verdict === 'waived').length;
      return `| ${CLASS_BADGE[c]} | ${report.counts[c]} | ${failing} | ${waived} |`;
    }),
    '',
    ...(report.counts.review
      ? [
          `${report.counts.review} finding(s) for review: code that computes guest CPUID changed without a compat property gating it. They do not fail the check unless \`fail-on-review\` is set.`,
          '',
        ]
      : []),
  ];
  if (report.findings.length === 0) head.push(noFindings(report), '');

  const tableHead = [
    '### Findings',
    '',
    '| class | rule | models | machine types | property | location | fix |',
    '|---|---|---|---|---|---|---|',
  ];
  const rows = report.findings.map((f) => findingRow(f, report, options));

  // Sections after the table: each item can be dropped on its own if the limit is tight.
  const tail: { title: string; items: string[] }[] = [];
  const waived = report.findings.filter((f) => f.waiver);
  if (waived.length) {
    tail.push({
      title: '### Waivers in force',
      items: waived.map(
        (f) =>
          `- ${ruleLink(f.rule, options.ruleDocsUrl)} on ${codeSpan(f.models.length ? f.models.join(', ') : `${f.location.path}:${f.location.line}`)}: ${escapeMarkdown(describeWaiver(f.waiver!))}`,
      ),
    });
  }
  if (report.unusedWaivers.length) {
    tail.push({
      title: '### Unused or expired waivers',
      items: report.unusedWaivers.map((w) => `- ${escapeMarkdown(describeWaiver(w))}`),
    });
  }
  if (report.notes.length) {
    tail.push({
      title: '### Notes',
      items: report.notes.map((n) => `- ${n.kind === 'warning' ? '⚠️ ' : ''}${escapeMarkdown(n.message)}`),
    });
  }

  const hint = options.fullReportHint ?? 'the full report is in the job log and the JSON or SARIF output';
  const omissionLine = (findings: number, items: number): string => {
    const what = [
      findings ? `${findings} finding${findings === 1 ? '' : 's'}` : undefined,
      items ? `${items} waiver or note line${items === 1 ? '' : 's'}` : undefined,
    ].filter(Boolean);
    return `_${what.join(' and ')} left out to stay within ${maxBytes} bytes; ${escapeMarkdown(hint)}._`;
  };

  const assemble = (rowCount: number, tailKept: number[]): string => {
    const parts = [...head];
    if (rows.length) parts.push(...tableHead, ...rows.slice(0, rowCount), '');
    tail.forEach((section, i) => {
      if (tailKept[i]! === 0) return;
      parts.push(section.title, '', ...section.items.slice(0, tailKept[i]), '');
    });
    const droppedRows = rows.length - rowCount;
    const droppedItems = tail.reduce((sum, s, i) => sum + s.items.length - tailKept[i]!, 0);
    if (droppedRows || droppedItems) parts.push(omissionLine(droppedRows, droppedItems), '');
    return parts.join('\n');
  };

  const fullTail = tail.map((s) => s.items.length);
  const full = assemble(rows.length, fullTail);
  if (utf8Length(full) <= maxBytes) return full;

  // Keep the waiver and note sections whole while any finding rows can go; they are short and
  // say why the result is what it is. Binary search for the most rows that fit.
  const fits = (rowCount: number, kept: number[]): boolean =>
    utf8Length(assemble(rowCount, kept)) <= maxBytes;
  const tailKept = [...fullTail];
  if (!fits(0, tailKept)) {
    for (let i = tail.length - 1; i >= 0; i--) {
      while (tailKept[i]! > 0 && !fits(0, tailKept)) tailKept[i]!--;
      if (fits(0, tailKept)) break;
    }
  }
  let low = 0;
  let high = rows.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid, tailKept)) low = mid;
    else high = mid - 1;
  }
  // Only a limit smaller than the header itself gets here with too much text: cut it hard.
  return cutToBytes(assemble(low, tailKept), maxBytes);
}

function suggestionSection(s: Suggestion): string {
  const span = s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}-${s.endLine}`;
  return [
    `Suggested change (${s.replacement === '' ? 'removes' : 'replaces'} ${span} of ${codeSpan(s.path)}):`,
    '',
    fencedBlock('suggestion', s.replacement),
  ].join('\n');
}

function fixLinesSection(fix: FixLines): string {
  return [
    `Add these lines to ${codeSpan(fix.path)} after line ${fix.afterLine}:`,
    '',
    fencedBlock('c', fix.text),
  ].join('\n');
}

/** A comment's verdict, in words. */
const VERDICT_WORDS: Record<Verdict, string> = {
  fail: 'fails the check',
  waived: 'waived',
  review: 'for review: does not fail the check (`fail-on-review` makes it fail)',
  pass: 'does not fail the check',
};

/** The body of one inline review comment. */
export function renderFindingComment(finding: Finding, options: FindingCommentOptions = {}): string {
  const maxChars = options.maxChars ?? COMMENT_MAX_CHARS;
  const verdict = VERDICT_WORDS[finding.verdict];
  const header = `**${CLASS_BADGE[finding.class]}** · ${ruleLink(finding.rule, options.ruleDocsUrl)} · ${verdict}`;
  const facts: string[] = [];
  const models = collapseList(finding.models, 8);
  if (finding.models.length) facts.push(`- **Models:** ${codeList(models, 'models', false)}`);
  const machineTypes = summarizeMachineTypes(finding.machineTypes, 6, options.knownMachineTypes);
  if (finding.machineTypes.length)
    facts.push(`- **Machine types:** ${codeList(machineTypes, 'machine types', false)}`);
  const property = propertyCell(finding, false);
  if (property) facts.push(`- **${finding.properties ? 'Properties' : 'Property'}:** ${property}`);
  if (finding.hostRequirement && finding.hostRequirement.gained.length) {
    facts.push(
      `- **Host requirement gained:** ${finding.hostRequirement.gained.map((g) => codeSpan(g)).join(', ')}: ${escapeMarkdown(finding.hostRequirement.why)}`,
    );
  }
  if (finding.location.side === 'LEFT') facts.push('- **Where:** this line exists only in the base revision');
  if (finding.commit) facts.push(`- **Introduced in:** ${finding.commit}`);
  if (finding.waiver) facts.push(`- **Waived:** ${escapeMarkdown(describeWaiver(finding.waiver))}`);

  const sections = [
    header,
    '',
    `**${escapeMarkdown(finding.title)}**`,
    '',
    escapeMarkdown(finding.message),
    '',
    ...facts,
    '',
    `**Fix:** ${escapeMarkdown(finding.fix)}`,
  ];
  if (finding.suggestion) sections.push('', suggestionSection(finding.suggestion));
  if (finding.fixLines) sections.push('', fixLinesSection(finding.fixLines));

  // Long lists are folded in the facts above; the complete lists go in a collapsed block.
  const details: string[] = [];
  if (models.more)
    details.push(
      `**All ${finding.models.length} models:** ${finding.models.map((m) => codeSpan(m)).join(', ')}`,
    );
  if (finding.properties && finding.properties.length > 8)
    details.push(
      `**All ${finding.properties.length} properties:** ${finding.properties.map((p) => codeSpan(p)).join(', ')}`,
    );
  if (machineTypes.more) {
    details.push(
      `**All ${finding.machineTypes.length} machine types:** ${finding.machineTypes.map((m) => codeSpan(m)).join(', ')}`,
    );
  }
  const marker = options.fingerprintMarker === false ? '' : `\n\n${fingerprintMarker(finding.fingerprint)}`;
  const detailsBlock = details.length
    ? `\n\n<details><summary>Complete lists</summary>\n\n${details.join('\n\n')}\n\n</details>`
    : '';

  const body = sections.join('\n');
  if (body.length + detailsBlock.length + marker.length <= maxChars) return body + detailsBlock + marker;
  if (body.length + marker.length <= maxChars) return body + marker;
  // Only a message of tens of thousands of characters gets here; keep the marker intact so the
  // comment is still recognised on the next run.
  const note = '\n\n_(cut to fit the comment size limit)_';
  return body.slice(0, Math.max(0, maxChars - marker.length - note.length)) + note + marker;
}
