import type { AuditMeta } from '../../classify/audit.js';
import type { Classified, Draft, FindingFacts, MeasuredClassified } from '../../classify/classified.js';
import type { CpuidCodeMeta } from '../../classify/cpuid-code.js';
import type { LibvirtMeta } from '../../classify/libvirt.js';
import type { MachineCatalogMeta } from '../../classify/machine-catalog.js';
import type { MeasuredMeta } from '../../classify/measured.js';
import type { Finding, FindingWords, Report } from '../finding.js';
import { auditWords } from './audit.js';
import { binariesWords } from './binaries.js';
import { cpuidCodeWords } from './cpuid-code.js';
import { libvirtSharedWords, libvirtWords } from './libvirt.js';
import { machineCatalogWords } from './machine-catalog.js';
import { comparisonWords, measuredWords } from './measured.js';
import { hostRequirementWhy } from './phrases.js';

/*
 * Every word of a finding comes from its facts here, late: classification states what changed
 * (`meta`), and this says it. One place per rule keeps titles, messages and fixes consistent
 * across text, Markdown, SARIF, annotations and review comments.
 */

/** How one rule's findings read, given the facts one classification module states for it. */
export type RuleWording<R, M> = (finding: FindingFacts & { rule: R; meta: M }) => FindingWords;

/** The wording of every rule a classification module declares in its meta interface. */
export type RuleWords<M> = { [R in keyof M]: RuleWording<R, M[R]> };

/** The words of rules one module alone judges, and of the machine catalogs' shared ones. */
const WORDS: RuleWords<MachineCatalogMeta & AuditMeta & LibvirtMeta & CpuidCodeMeta & MeasuredMeta> = {
  ...machineCatalogWords,
  ...auditWords,
  ...libvirtWords,
  ...cpuidCodeWords,
  ...measuredWords,
};

/**
 * Rules other modules judge too, with facts that say whose they are: what two binaries measure
 * names them (`binaries`), and libvirt's facts name their format.
 */
const SHARED: { claims: (meta: object) => boolean; words: object }[] = [
  { claims: (meta) => 'binaries' in meta, words: binariesWords },
  { claims: (meta) => 'format' in meta && meta.format === 'libvirt-cpu-map', words: libvirtSharedWords },
];

export function wordsOf(finding: Classified | MeasuredClassified): FindingWords {
  const words = SHARED.find((s) => s.claims(finding.meta))?.words ?? WORDS;
  return (words as Record<string, RuleWording<string, unknown>>)[finding.rule]!(finding);
}

/**
 * A finding with its words, from its facts, and what two binaries showed of it when `check`
 * compared them. A finding the engine already worded (a check joined with binaries) is worded
 * again from the same facts; one without facts (a report written by another version, which
 * the schema allows) keeps its words.
 */
export function worded(
  draft: Draft | Finding,
): Omit<Finding, 'verdict' | 'fingerprint'> & { fingerprint?: string } {
  const words = draft.meta ? wordsOf(draft as Draft) : (draft as Finding);
  const { hostRequirement: hr, ...facts } = draft;
  return {
    ...facts,
    title: words.title,
    message: words.message + comparisonWords(draft),
    fix: words.fix,
    ...(hr ? { hostRequirement: 'why' in hr ? hr : { gained: hr.gained, why: hostRequirementWhy(hr) } } : {}),
  };
}

/** The line a report without findings ends with: what was looked at, and that the rule holds. */
export function noFindings(report: Pick<Report, 'mode'>): string {
  return report.mode === 'audit'
    ? 'No findings: no machine type asks more of the host than the one before it, and no name is registered twice.'
    : 'No findings: the change keeps every rule.';
}
