import type {
  AnyRuleMeta,
  FindingClass,
  FindingFacts,
  HostRequirementGain,
  Verdict,
  Waiver,
  FailOn,
} from '../classify/classified.js';

export type {
  FindingClass,
  FailOn,
  Verdict,
  FindingLocation,
  Suggestion,
  FixLines,
  HostRequirementGain,
  Waiver,
} from '../classify/classified.js';
export { CLASS_ORDER } from '../classify/classified.js';
/** The words of a finding, rendered from its facts by `src/report/words/`. */
export interface FindingWords {
  /** One line, for lists and annotations titles. */
  title: string;
  /** What changed, for which models and machine types, and why it matters. */
  message: string;
  /** The fix in one line. */
  fix: string;
}

export interface Finding extends Omit<FindingFacts, 'fingerprint' | 'hostRequirement'>, FindingWords {
  hostRequirement?: HostRequirementGain;
  /** Stable id with documentation (`released-model-changed`). */
  rule: string;
  verdict: Verdict;
  /** The rule's own facts (typed per rule in `RuleMeta`, or `BinariesMeta` for two binaries), the same ones the words come from. */
  meta?: AnyRuleMeta;
  /** Rule + models + property + machine type: survives rewording and line moves. */
  fingerprint: string;
  waiver?: Waiver;
  /** For audits of commit ranges: the commit that introduced the finding. */
  commit?: string;
}

export interface ReportNote {
  kind: 'info' | 'warning';
  message: string;
}

export interface Report {
  tool: { name: string; version: string };
  mode: 'check' | 'audit' | 'verify';
  catalog: { format: string; path: string };
  base?: { ref: string; commit?: string };
  head: { ref: string; commit?: string };
  /** What decided which entries count as released. */
  release: { ref?: string; commit?: string; explanation: string };
  failOn: FailOn;
  result: 'pass' | 'fail';
  /** Per class; `waived` and `review` count findings with that verdict, whatever their class. */
  counts: Record<FindingClass, number> & { waived: number; review: number };
  /** Worst class first, then by path and line. */
  findings: Finding[];
  /** Information that is not judged by the rule (a machine type removed, a tree's era). */
  notes: ReportNote[];
  /** Waivers that matched nothing or have expired. */
  unusedWaivers: Waiver[];
  /** The head catalog's machine types, oldest first within each family: lets reports fold runs into ranges. */
  machineTypes?: string[];
}
