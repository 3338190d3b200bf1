import type { HostRequirementKind, PropValue } from '../catalog/model.js';
import type { MachineCatalogMeta } from './machine-catalog.js';
import type { AuditMeta } from './audit.js';
import type { LibvirtMeta, LibvirtSharedMeta } from './libvirt.js';
import type { CpuidCodeMeta } from './cpuid-code.js';
import type { MeasuredMeta } from './measured.js';
import type { BinariesMeta } from './binaries.js';

/*
 * What classification returns: for each cause, its rule, its class and the facts of the
 * change (`meta`, typed per rule). No words: `src/report/words/` renders a finding's title,
 * message and fix from these facts, so every format says the same thing, and a list that
 * belongs in the details is not repeated in every sentence.
 */

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

/** A finding's host requirement, as reports show it: what the host must now provide, and why. */
export interface HostRequirementGain {
  /** Properties the host must now provide. */
  gained: string[];
  /** Why each is a host requirement (`needs the host CPU`, `needs KVM support`). */
  why: string;
}

/**
 * What makes the gained properties host requirements: the catalog's host-requirement table
 * (each property's own reason where the table gives one, else the table's default kind), a
 * libvirt feature (the host CPU must have it), or a feature two binaries give a KVM guest.
 */
export type HostRequirementCause =
  | { source: 'table'; defaultKind: HostRequirementKind; reasons: Record<string, string> }
  | { source: 'libvirt-feature' }
  | { source: 'measured-feature' };

/** A host requirement as classification states it; `src/report/words/` says why. */
export interface HostRequirementFacts {
  gained: string[];
  cause: HostRequirementCause;
}

export interface Waiver {
  rule: string;
  /** Model names (globs) of the findings it accepts; empty when it names code instead. */
  models: string[];
  /** Functions (globs) whose code hunks it accepts (the function a finding's facts name). */
  functions?: string[];
  /** Repository paths (globs) of the code hunks it accepts. */
  paths?: string[];
  property?: string;
  reason: string;
  expires?: string;
  owner?: string;
  /** Where the waiver was written (a configuration file line, a pull request label). */
  source: string;
}

/** Each classification module's facts, by rule id. */
type ModuleMeta =
  MachineCatalogMeta | AuditMeta | LibvirtMeta | LibvirtSharedMeta | CpuidCodeMeta | MeasuredMeta;

type RuleIdOf<M> = M extends unknown ? keyof M : never;

/**
 * Every rule's facts, by rule id. `unreleased-change` and `no-effective-change` apply to every
 * catalog format, and each format states its own facts for them: such a rule's facts are any of
 * them. (What two binaries measure has facts of its own: `MeasuredClassified`.)
 */
export type RuleMeta = {
  [R in RuleIdOf<ModuleMeta>]: ModuleMeta extends infer M
    ? M extends unknown
      ? R extends keyof M
        ? M[R]
        : never
      : never
    : never;
};

export type RuleId = keyof RuleMeta;

/** What every finding states, whatever its rule. */
export interface FindingFacts {
  class: FindingClass;
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
  hostRequirement?: HostRequirementFacts;
  location: FindingLocation;
  suggestion?: Suggestion;
  fixLines?: FixLines;
  /** When a rule identifies its cause by more than models, property and machine types (a code hunk's text). */
  fingerprint?: string;
  /**
   * `check` with two QEMU binaries: the binaries whose expansions were compared on this
   * finding's (model, machine type) pairs, the properties compared and on how many pairs.
   */
  comparedBy?: { base: string; head: string; properties: string[]; pairs: number };
  /** `check` with two QEMU binaries: what the binaries measure agrees (or is the finding). */
  confirmedBy?: 'binaries';
  /** The models and machine types of a static finding on which the binaries show it. */
  confirmedOn?: { models: string[]; machineTypes: string[] };
}

/** One classified cause: a rule, its class, and the rule's own facts. */
export type Classified<R extends RuleId = RuleId> = R extends RuleId
  ? FindingFacts & { rule: R; meta: RuleMeta[R] }
  : never;

/** The factory every rule uses, so that a rule's meta is checked against its id. */
export function classified<R extends RuleId>(rule: R, meta: RuleMeta[R], facts: FindingFacts): Classified<R> {
  return { rule, ...facts, meta } as Classified<R>;
}

/**
 * A finding of two QEMU binaries (`verify`): the catalog's rules (a property that changed is
 * `released-model-changed` either way) with facts of their own, which name the binaries.
 */
export type MeasuredClassified<R extends keyof BinariesMeta = keyof BinariesMeta> =
  R extends keyof BinariesMeta ? FindingFacts & { rule: R; meta: BinariesMeta[R] } : never;

/** The factory of findings of two binaries, so that their meta is checked against the rule. */
export function measuredClassified<R extends keyof BinariesMeta>(
  rule: R,
  meta: BinariesMeta[R],
  facts: FindingFacts,
): MeasuredClassified<R> {
  return { rule, ...facts, meta } as MeasuredClassified<R>;
}

/** The facts any finding may carry: a rule's, or a rule's as two binaries measured it. */
export type AnyRuleMeta = RuleMeta[RuleId] | BinariesMeta[keyof BinariesMeta];

/** What classification hands the engine: facts, never words. */
export type Draft = Classified | MeasuredClassified;
