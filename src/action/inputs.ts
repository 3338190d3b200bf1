import path from 'node:path';
import { parseCatalogSpec, type CatalogSpec } from '../engine.js';
import type { FailOn } from '../report/finding.js';
import { UsageError } from '../errors.js';
import { DEFAULT_API_BUDGET_SECONDS } from '../github/client.js';
import type { InputReader } from '../github/runner.js';

export const FAIL_ON: readonly FailOn[] = ['type-2', 'new-model-required', 'never'];

/** `review`: inline review comments plus the sticky summary; `summary`: the sticky summary only. */
export type CommentMode = 'review' | 'summary' | 'none';
export const COMMENT_MODES: readonly CommentMode[] = ['review', 'summary', 'none'];

/** The action's inputs, validated. Defaults mirror action.yml so that a missing variable behaves like the runner. */
export interface ActionInputs {
  githubToken: string;
  /** `undefined`: the configuration file's first catalog, else detected from the files at the root. */
  catalog?: CatalogSpec;
  base?: string;
  head?: string;
  /** `undefined`: the configuration file's `fail-on`, else `type-2`. */
  failOn?: FailOn;
  /** `undefined`: the configuration file's `fail-on-review`, else off. */
  failOnReview?: boolean;
  comment: CommentMode;
  releaseRef?: string;
  /** The configuration file; `undefined`: `.github/cpu-model-guard.yml`, which may be absent. */
  config?: string;
  jsonReport?: string;
  sarifReport?: string;
  statusContext?: string;
  /** Pull request label that turns `type-2` findings into waived ones. */
  waiveLabel: string;
  /** Seconds the run may spend on GitHub's API, waits and retries included. */
  apiTimeBudgetSeconds: number;
  /** `verify`: the QEMU binary a package bump replaces and the one it brings (both or neither). */
  baseBinary?: string;
  headBinary?: string;
  /** `verify`: machine type and model globs that narrow what the binaries are compared on (all when empty). */
  verifyMachines: string[];
  verifyModels: string[];
}

export const DEFAULT_WAIVE_LABEL = 'cpu-model-guard:waive-type-2';

export type { InputReader };

/** The runner's way of passing inputs: `INPUT_<NAME>`, upper case, spaces as underscores, hyphens kept. */
export function envInputReader(env: NodeJS.ProcessEnv = process.env): InputReader {
  return (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function oneOf<T extends string>(read: InputReader, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(name);
  if (raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(
    `input ${name} is "${raw}", which is not one of ${allowed.join(', ')}`,
    undefined,
    `set ${name} to one of: ${allowed.join(', ')} (default ${fallback})`,
  );
}

/** Globs given one per line or separated by commas, as multi-line inputs are written in workflows. */
function globList(read: InputReader, name: string): string[] {
  return read(name)
    .split(/[\n,]/)
    .map((g) => g.trim())
    .filter((g) => g !== '');
}

function optional(read: InputReader, name: string): string | undefined {
  const raw = read(name);
  return raw === '' ? undefined : raw;
}

/** A path inside the workspace: reports written elsewhere would be lost with the runner. */
function repoRelativePath(read: InputReader, name: string): string | undefined {
  const raw = optional(read, name);
  if (raw === undefined) return undefined;
  const normal = path.posix.normalize(raw.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new UsageError(
      `input ${name} is "${raw}", which leaves the workspace`,
      undefined,
      `give ${name} a path relative to the repository root`,
    );
  }
  return normal;
}

/** Git would read a leading `-` as an option; revisions never need one. */
function revision(read: InputReader, name: string): string | undefined {
  const raw = optional(read, name);
  if (raw !== undefined && (raw.startsWith('-') || /\s|\.\./.test(raw))) {
    throw new UsageError(
      `input ${name} is "${raw}", which is not a single git revision`,
      undefined,
      `give ${name} one branch, tag or commit id (ranges like a..b are written as base and head)`,
    );
  }
  return raw;
}

export function parseInputs(read: InputReader): ActionInputs {
  const githubToken = read('github-token');
  const catalogRaw = optional(read, 'catalog');
  const statusContext = optional(read, 'status-context');
  if (statusContext !== undefined && statusContext.length > 255) {
    throw new UsageError(
      'input status-context is longer than 255 characters',
      undefined,
      'use a shorter context name',
    );
  }
  const waiveLabel = read('waive-label');
  const budgetRaw = read('api-time-budget');
  const apiTimeBudgetSeconds = budgetRaw === '' ? DEFAULT_API_BUDGET_SECONDS : Number(budgetRaw);
  if (!/^\d+(\.\d+)?$/.test(budgetRaw || '0') || !(apiTimeBudgetSeconds > 0)) {
    throw new UsageError(
      `input api-time-budget is "${budgetRaw}", which is not a number of seconds above 0`,
      undefined,
      `give api-time-budget in seconds, e.g. ${DEFAULT_API_BUDGET_SECONDS}`,
    );
  }
  const baseBinary = optional(read, 'base-binary');
  const headBinary = optional(read, 'head-binary');
  if ((baseBinary === undefined) !== (headBinary === undefined)) {
    throw new UsageError(
      `input ${baseBinary === undefined ? 'head-binary' : 'base-binary'} is set without ${baseBinary === undefined ? 'base-binary' : 'head-binary'}`,
      undefined,
      'verify compares two QEMU binaries: set both base-binary and head-binary',
    );
  }
  const verifyMachines = globList(read, 'verify-machines');
  const verifyModels = globList(read, 'verify-models');
  if (baseBinary === undefined && (verifyMachines.length || verifyModels.length)) {
    throw new UsageError(
      `input ${verifyMachines.length ? 'verify-machines' : 'verify-models'} is set without base-binary and head-binary`,
      undefined,
      'it narrows what verify compares: set base-binary and head-binary too, or remove it',
    );
  }
  return {
    githubToken,
    ...(baseBinary !== undefined ? { baseBinary, headBinary } : {}),
    verifyMachines,
    verifyModels,
    catalog: catalogRaw === undefined ? undefined : parseCatalogSpec(catalogRaw, 'input catalog'),
    base: revision(read, 'base'),
    head: revision(read, 'head'),
    failOn: read('fail-on') === '' ? undefined : oneOf(read, 'fail-on', FAIL_ON, 'type-2'),
    failOnReview:
      read('fail-on-review') === ''
        ? undefined
        : oneOf(read, 'fail-on-review', ['true', 'false'], 'false') === 'true',
    comment: oneOf(read, 'comment', COMMENT_MODES, 'review'),
    releaseRef: revision(read, 'release-ref'),
    config: repoRelativePath(read, 'config'),
    jsonReport: repoRelativePath(read, 'json-report'),
    sarifReport: repoRelativePath(read, 'sarif-report'),
    statusContext,
    waiveLabel: waiveLabel === '' ? DEFAULT_WAIVE_LABEL : waiveLabel,
    apiTimeBudgetSeconds,
  };
}
