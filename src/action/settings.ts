/** What a run decides before it reads a catalog: inputs, event, commits, configuration, GitHub client, waivers. */
import path from 'node:path';
import { loadConfig, type GuardConfig } from '../config/config.js';
import { TOOL, type CatalogSpec, type EngineOptions } from '../engine.js';
import { UsageError } from '../errors.js';
import type { Waiver } from '../report/finding.js';
import { catalogsToCheck } from '../source/catalogs.js';
import { DiskCatalogStore } from '../source/disk-cache.js';
import { readEventPayload } from '../source/event-payload.js';
import {
  ApiBudget,
  createGitHubClient,
  describeApiFailure,
  httpStatus,
  isApiFailure,
  type GitHubClient,
} from '../github/client.js';
import { Reviewer } from '../github/reviewer.js';
import type { RunnerIO } from '../github/runner.js';
import { Checkout } from './commits.js';
import { planRun, type RunContext, type RunPlan } from './event.js';
import { parseInputs, type ActionInputs } from './inputs.js';

async function runContext(env: NodeJS.ProcessEnv): Promise<RunContext> {
  const eventName = env.GITHUB_EVENT_NAME ?? '';
  const payload = env.GITHUB_EVENT_PATH ? await readEventPayload(env.GITHUB_EVENT_PATH) : {};
  const repository = env.GITHUB_REPOSITORY ?? '';
  if (!/^[^/]+\/[^/]+$/.test(repository)) {
    throw new UsageError(
      'GITHUB_REPOSITORY is not set to owner/name',
      undefined,
      'run the action inside a GitHub Actions job',
    );
  }
  return { eventName, payload, sha: env.GITHUB_SHA ?? '', ref: env.GITHUB_REF ?? '', repository };
}

export interface Prepared {
  plan: RunPlan;
  headSha: string;
  /** The revision the head is judged against (the merge base for a pull request). */
  baselineSha?: string;
  config: GuardConfig;
  catalogs: CatalogSpec[];
}

async function prepare(
  io: RunnerIO,
  inputs: ActionInputs,
  ctx: RunContext,
  checkout: Checkout,
  client?: GitHubClient,
): Promise<Prepared> {
  const plan = planRun(ctx, inputs);
  io.info(`cpu-model-guard: ${plan.why}`);
  const headSha = await checkout.ensure(plan.head, 'head');
  let baselineSha: string | undefined;
  if (plan.mode === 'check') {
    const baseSha = await checkout.ensure(plan.base, 'base');
    if (plan.baseline === 'merge-base') {
      const [owner, repo] = ctx.repository.split('/') as [string, string];
      const fromApi = client
        ? async () =>
            (
              await client.rest.repos.compareCommitsWithBasehead({
                owner,
                repo,
                basehead: `${baseSha}...${headSha}`,
              })
            ).data.merge_base_commit.sha
        : undefined;
      baselineSha = await checkout.mergeBase(baseSha, headSha, fromApi);
      io.info(
        `Baseline: the merge base ${baselineSha.slice(0, 12)} of ${baseSha.slice(0, 12)} and ${headSha.slice(0, 12)}`,
      );
    } else {
      baselineSha = baseSha;
    }
  }
  // The configuration comes from the baseline: a pull request must not configure (or waive) its own check.
  const config = await loadConfig(
    await checkout.repo.source(baselineSha ?? headSha),
    inputs.config,
    inputs.config !== undefined,
  );
  let catalogs: CatalogSpec[];
  try {
    catalogs = await catalogsToCheck(await checkout.repo.source(headSha), config, inputs.catalog);
  } catch (err) {
    // With two binaries to verify, a repository without a catalog (a platform that bumps its
    // QEMU package) runs verify alone.
    if (!(inputs.baseBinary && !inputs.catalog && err instanceof UsageError)) throw err;
    io.info(`No catalog to check (${err.message}): verifying the two QEMU binaries only.`);
    catalogs = [];
  }
  return { plan, headSha, baselineSha, config, catalogs };
}

/** Everything a run decides before it reads a catalog: inputs, event, commits, configuration, client. */
export interface RunSettings extends Prepared {
  inputs: ActionInputs;
  workspace: string;
  checkout: Checkout;
  owner: string;
  repo: string;
  client?: GitHubClient;
  reviewer?: Reviewer;
  engineOptions: EngineOptions;
  releaseRef?: string;
}

/** Why nothing more is asked of GitHub: a failure that every later request would meet too. */
export interface ApiFailure {
  line: string;
  status?: number;
}

export async function runSettings(io: RunnerIO): Promise<{ settings: RunSettings; apiFailure?: ApiFailure }> {
  const inputs = parseInputs(io.input);
  const ctx = await runContext(io.env);
  const workspace = path.resolve(io.env.GITHUB_WORKSPACE ?? process.cwd());
  const checkout = new Checkout(workspace, io.info);
  if (!(await checkout.repo.isRepository())) {
    throw new UsageError(
      `${workspace} is not a git checkout`,
      { path: workspace },
      'run actions/checkout before cpu-model-guard',
    );
  }
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const client = inputs.githubToken
    ? createGitHubClient(inputs.githubToken, {
        baseUrl: io.env.GITHUB_API_URL,
        log: io.info,
        budget: new ApiBudget(inputs.apiTimeBudgetSeconds * 1000),
      })
    : undefined;
  if (!client) io.info('No github-token: the findings go to annotations and the job summary only.');

  const prepared = await prepare(io, inputs, ctx, checkout, client);
  const { plan, headSha, config } = prepared;
  const pr = plan.pullRequest;
  const reviewer =
    client && pr ? new Reviewer(client, { owner, repo, pullNumber: pr.number, headSha }, io.info) : undefined;

  const { waivers, apiFailure } = reviewer
    ? await labelWaivers(io, reviewer, inputs.waiveLabel, config.waivers)
    : { waivers: [...config.waivers], apiFailure: undefined };

  let releaseRef: string | undefined;
  if (inputs.releaseRef) releaseRef = await checkout.ensure({ ref: inputs.releaseRef }, 'release revision');
  else if (plan.mode === 'check' && (await checkout.isShallow())) {
    io.info(
      'The checkout is shallow and release-ref is not set: without release tags, every name in the baseline counts as released.',
    );
  }

  const engineOptions: EngineOptions = {
    failOn: inputs.failOn ?? config.failOn ?? 'type-2',
    failOnReview: inputs.failOnReview ?? config.failOnReview,
    cpuidFunctions: config.cpuidFunctions,
    waivers,
    ignoreModels: config.ignoreModels,
    hostRequirements: config.hostRequirements,
  };
  // Catalogs kept between runs (the workflow saves the folder with actions/cache).
  const cacheDir = io.input('cache-dir');
  if (cacheDir)
    engineOptions.catalogStore = new DiskCatalogStore(path.resolve(workspace, cacheDir), TOOL.version);
  return {
    settings: {
      ...prepared,
      inputs,
      workspace,
      checkout,
      owner,
      repo,
      client,
      reviewer,
      engineOptions,
      releaseRef,
    },
    apiFailure,
  };
}

/** The configuration's waivers, plus one for every type-2 finding when the pull request carries the waive label. */
async function labelWaivers(
  io: RunnerIO,
  reviewer: Reviewer,
  waiveLabel: string,
  configured: readonly Waiver[],
): Promise<{ waivers: Waiver[]; apiFailure?: ApiFailure }> {
  const waivers: Waiver[] = [...configured];
  let apiFailure: ApiFailure | undefined;
  const labels = await reviewer.liveLabels().catch((err: unknown) => {
    if (!isApiFailure(err)) throw err;
    const line = describeApiFailure(err, reviewer.notFoundAdvice());
    io.info(`Cannot read the pull request's labels, so no label waiver applies. ${line}`);
    const status = httpStatus(err);
    if (status === 401 || status === 404) apiFailure = { line, status };
    return [] as string[];
  });
  if (labels.includes(waiveLabel)) {
    io.info(`The pull request carries ${waiveLabel}: type-2 findings are reported as waived.`);
    waivers.push({
      rule: 'machine-type-host-requirement',
      models: ['*'],
      reason: `the pull request carries the label ${waiveLabel}`,
      source: `pull request label ${waiveLabel}`,
    });
  }
  return { waivers, apiFailure };
}
