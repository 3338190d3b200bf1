import type { PropValue } from '../catalog/model.js';

/** The three classes of POLICY: every finding has exactly one. */
export type FindingClass = 'safe' | 'type-2' | 'new-model-required';

/** Worst first: the order reports and annotations use. */
export const CLASS_ORDER: readonly FindingClass[] = ['new-model-required', 'type-2', 'safe'];

export type FailOn = 'type-2' | 'new-model-required' | 'never';

/**
 * `fail` breaks the check; `waived` would have failed but a waiver accepts it; `review` is
 * listed and posted for a person to judge (a code hunk the tables cannot evaluate) and fails
 * only with `fail-on-review`.
 */
export type Verdict = 'pass' | 'fail' | 'waived' | 'review';

/**
 * Where a finding points. `RIGHT` is a line of the head revision; `LEFT` a line that exists
 * only in the base revision (a removal), as GitHub's review comments name the sides.
 */
export interface FindingLocation {
  path: string;
  line: number;
  endLine?: number;
  side: 'RIGHT' | 'LEFT';
  /** For a LEFT location: the line of head where the removed lines were, when head has the file. */
  headLine?: number;
}

/** Lines that replace `startLine..endLine` of head: a mechanical fix a reviewer can apply. */
export interface Suggestion {
  path: string;
  startLine: number;
  endLine: number;
  replacement: string;
}

/** Lines to add somewhere else (a compat entry, a new version block). */
export interface FixLines {
  path: string;
  /** Insert after this line of head. */
  afterLine: number;
  text: string;
}

export interface HostRequirementGain {
  /** Properties the host must now provide. */
  gained: string[];
  /** Why each is a host requirement (`needs the host CPU`, `needs KVM support`). */
  why: string;
}

export interface Waiver {
  rule: string;
  models: string[];
  property?: string;
  reason: string;
  expires?: string;
  owner?: string;
  /** Where the waiver was written (a configuration file line, a pull request label). */
  source: string;
}

export interface Finding {
  /** Stable id with documentation (`released-model-changed`). */
  rule: string;
  class: FindingClass;
  verdict: Verdict;
  /** One line, for lists and annotations titles. */
  title: string;
  /** What changed, for which models and machine types, and why it matters. */
  message: string;
  /** Every registered model name the cause affects. */
  models: string[];
  /** Every machine type the cause affects (empty when machine types do not enter into it). */
  machineTypes: string[];
  property?: string;
  /**
   * Every property the cause changes, in the order of their lines, when there are several
   * (`property` is the first); they all change from `before` to `after`.
   */
  properties?: string[];
  before?: PropValue | null;
  after?: PropValue | null;
  hostRequirement?: HostRequirementGain;
  location: FindingLocation;
  /** The fix in one line. */
  fix: string;
  suggestion?: Suggestion;
  fixLines?: FixLines;
  /** Rule + models + property + machine type: survives rewording and line moves. */
  fingerprint: string;
  waiver?: Waiver;
  /** For audits of commit ranges: the commit that introduced the finding. */
  commit?: string;
  /** `check` with two QEMU binaries: what the binaries measure agrees (or is the finding). */
  confirmedBy?: 'binaries';
  /** The models and machine types of a static finding on which the binaries show it. */
  confirmedOn?: { models: string[]; machineTypes: string[] };
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
