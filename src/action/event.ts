import { UsageError } from '../errors.js';
import type { ActionInputs } from './inputs.js';

/** A revision to read the catalog at: `ref` names it for people and for fetching, `sha` pins it. */
export interface Revision {
  ref: string;
  sha?: string;
}

export interface PullRequestInfo {
  number: number;
  headSha: string;
  baseSha: string;
  /** Set when the head lives in another repository: its token is read-only under `pull_request`. */
  fromFork: boolean;
}

/**
 * What one run compares. `check` compares a baseline with a head; `audit` judges one snapshot
 * on its own. `baseline: 'merge-base'` asks for the merge base of `base` and `head`, the
 * revision a pull request's diff starts from, instead of `base` itself.
 */
export type RunPlan =
  | {
      mode: 'check';
      base: Revision;
      head: Revision;
      baseline: 'merge-base' | 'as-given';
      pullRequest?: PullRequestInfo;
      why: string;
    }
  | { mode: 'audit'; head: Revision; pullRequest?: undefined; why: string };

/** What the runner says about the run, from its `GITHUB_*` variables and the event payload. */
export interface RunContext {
  eventName: string;
  payload: Record<string, unknown>;
  /** `GITHUB_SHA`: the commit the workflow runs on. */
  sha: string;
  /** `GITHUB_REF`. */
  ref: string;
  /** `owner/name` of the repository the workflow runs in. */
  repository: string;
}

const NULL_SHA = /^0{40}$/;

type Json = Record<string, unknown>;

function field(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Json)[k];
  }
  return cur;
}

function requiredString(ctx: RunContext, ...keys: string[]): string {
  const value = field(ctx.payload, ...keys);
  if (typeof value !== 'string' || value === '') {
    throw new UsageError(
      `the ${ctx.eventName} event payload has no ${keys.join('.')}`,
      undefined,
      'run the action from a workflow the runner started for this event, or pass base and head',
    );
  }
  return value;
}

function pullRequestInfo(ctx: RunContext): PullRequestInfo {
  const number = field(ctx.payload, 'pull_request', 'number') ?? field(ctx.payload, 'number');
  if (typeof number !== 'number') {
    throw new UsageError(`the ${ctx.eventName} event payload has no pull request number`);
  }
  const headRepo = field(ctx.payload, 'pull_request', 'head', 'repo', 'full_name');
  return {
    number,
    headSha: requiredString(ctx, 'pull_request', 'head', 'sha'),
    baseSha: requiredString(ctx, 'pull_request', 'base', 'sha'),
    fromFork: typeof headRepo === 'string' && headRepo.toLowerCase() !== ctx.repository.toLowerCase(),
  };
}

/** A workflow_dispatch input, from the action's own input first, then the dispatch form. */
function dispatchInput(ctx: RunContext, given: string | undefined, name: string): string | undefined {
  if (given) return given;
  const value = field(ctx.payload, 'inputs', name);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Decides what the run compares. The `base` and `head` inputs override what the event says,
 * so that any event can be pointed at two explicit revisions.
 */
export function planRun(ctx: RunContext, inputs: Pick<ActionInputs, 'base' | 'head'>): RunPlan {
  switch (ctx.eventName) {
    case 'pull_request':
    case 'pull_request_target': {
      const pr = pullRequestInfo(ctx);
      return {
        mode: 'check',
        base: inputs.base ? { ref: inputs.base } : { ref: pr.baseSha, sha: pr.baseSha },
        head: inputs.head ? { ref: inputs.head } : { ref: pr.headSha, sha: pr.headSha },
        baseline: 'merge-base',
        pullRequest: pr,
        why: `pull request #${pr.number}: its merge base against its head ${pr.headSha.slice(0, 12)}`,
      };
    }
    case 'merge_group': {
      const baseSha = requiredString(ctx, 'merge_group', 'base_sha');
      const headSha = requiredString(ctx, 'merge_group', 'head_sha');
      return {
        mode: 'check',
        base: inputs.base ? { ref: inputs.base } : { ref: baseSha, sha: baseSha },
        head: inputs.head ? { ref: inputs.head } : { ref: headSha, sha: headSha },
        baseline: 'merge-base',
        why: `merge queue group ${headSha.slice(0, 12)} against ${baseSha.slice(0, 12)}`,
      };
    }
    case 'push': {
      const before = requiredString(ctx, 'before');
      const after = requiredString(ctx, 'after');
      const head = inputs.head ? { ref: inputs.head } : { ref: after, sha: after };
      if (inputs.base) {
        return {
          mode: 'check',
          base: { ref: inputs.base },
          head,
          baseline: 'as-given',
          why: `push: ${inputs.base} against ${head.ref}`,
        };
      }
      if (NULL_SHA.test(before)) {
        // A new branch or tag has no previous state to compare with: judge the snapshot itself.
        return { mode: 'audit', head, why: `push of a new ref ${ctx.ref}: audit of ${after.slice(0, 12)}` };
      }
      return {
        mode: 'check',
        base: { ref: before, sha: before },
        head,
        // A force push may replace history: the merge base is what both states share.
        baseline: 'merge-base',
        why: `push ${before.slice(0, 12)}..${after.slice(0, 12)}`,
      };
    }
    case 'workflow_dispatch': {
      const base = dispatchInput(ctx, inputs.base, 'base');
      const head = dispatchInput(ctx, inputs.head, 'head');
      const headRev = head ? { ref: head } : { ref: ctx.ref || ctx.sha, sha: ctx.sha };
      if (base) {
        return {
          mode: 'check',
          base: { ref: base },
          head: headRev,
          baseline: 'as-given',
          why: `dispatch: ${base} against ${headRev.ref}`,
        };
      }
      return { mode: 'audit', head: headRev, why: `dispatch: audit of ${headRev.ref}` };
    }
    case 'schedule': {
      const head = inputs.head ? { ref: inputs.head } : { ref: ctx.ref || ctx.sha, sha: ctx.sha };
      if (inputs.base) {
        return {
          mode: 'check',
          base: { ref: inputs.base },
          head,
          baseline: 'as-given',
          why: `schedule: ${inputs.base} against ${head.ref}`,
        };
      }
      // Scheduled runs start on the default branch's newest commit.
      return { mode: 'audit', head, why: `scheduled audit of ${head.ref}` };
    }
    default: {
      if (inputs.head) {
        const head = { ref: inputs.head };
        return inputs.base
          ? {
              mode: 'check',
              base: { ref: inputs.base },
              head,
              baseline: 'as-given',
              why: `${inputs.base} against ${inputs.head}`,
            }
          : { mode: 'audit', head, why: `audit of ${inputs.head}` };
      }
      throw new UsageError(
        `the ${ctx.eventName} event is not one cpu-model-guard knows what to compare for`,
        undefined,
        'run it on pull_request, pull_request_target, merge_group, push, workflow_dispatch or schedule, or set the head (and base) inputs',
      );
    }
  }
}
