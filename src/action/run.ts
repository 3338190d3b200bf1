import path from 'node:path';
import { loadConfig, type GuardConfig } from '../config/config.js';
import { joinBinaries, type CatalogSpec, type EngineOptions } from '../engine.js';
import {
  EXIT_FINDINGS,
  EXIT_INPUT_ERROR,
  EXIT_INTERNAL_ERROR,
  EXIT_OK,
  InputError,
  UsageError,
} from '../errors.js';
import type { Report, Waiver } from '../report/finding.js';
import { escapeMarkdown, JOB_SUMMARY_MAX_BYTES, renderMarkdownSummary } from '../report/markdown.js';
import { overallResult, renderReports } from '../report/render.js';
import { catalogsToCheck } from '../source/catalogs.js';
import { readEventPayload } from '../source/event-payload.js';
import { writeReportFile } from '../source/report-file.js';
import { auditRevision, checkRevisions } from '../source/revisions.js';
import { verifyBinaries } from '../source/verify-binaries.js';
import {
  ApiBudget,
  createGitHubClient,
  describeApiFailure,
  httpStatus,
  isApiFailure,
  type GitHubClient,
} from '../github/client.js';
import { ReadOnlyToken, Reviewer, setCommitStatus, type PublishOutcome } from '../github/reviewer.js';
import { planAnnotations } from './annotations.js';
import type { RunnerIO } from '../github/runner.js';
import { Checkout } from './commits.js';
import { planRun, type RunContext, type RunPlan } from './event.js';
import { parseDiffMap } from '../github/hunks.js';
import { parseInputs, type ActionInputs } from './inputs.js';

export type { RunnerIO } from '../github/runner.js';

/** The job summary leaves this much room for the action's own lines around the report. */
const SUMMARY_RESERVE_BYTES = 8 * 1024;

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

/** The rules' documentation in the action's own repository, at the ref the workflow uses. */
function ruleDocsUrl(env: NodeJS.ProcessEnv): string | undefined {
  const server = env.GITHUB_SERVER_URL ?? 'https://github.com';
  const repo = env.GITHUB_ACTION_REPOSITORY;
  if (!repo) return undefined;
  return `${server}/${repo}/blob/${env.GITHUB_ACTION_REF || 'main'}/docs/rules.md`;
}

function runUrl(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.GITHUB_RUN_ID || !env.GITHUB_REPOSITORY) return undefined;
  return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
}

async function writeReport(workspace: string, rel: string, text: string): Promise<string> {
  const abs = path.join(workspace, rel);
  await writeReportFile(abs, text, { createFolders: true });
  return abs;
}

interface Prepared {
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

/**
 * One run of the action: inputs, event, commits, engine, then everything a person sees
 * (annotations, job summary, review, sticky comment, status) and the outputs. Returns the
 * exit code; pass/fail comes from the findings alone, whatever the token could write.
 */
export async function runAction(io: RunnerIO): Promise<number> {
  try {
    return await run(io);
  } catch (err) {
    if (err instanceof InputError) {
      io.setFailed(err.describe());
      return EXIT_INPUT_ERROR;
    }
    io.setFailed(
      `cpu-model-guard failed unexpectedly; please report this: ${(err as Error).stack ?? String(err)}`,
    );
    return EXIT_INTERNAL_ERROR;
  }
}

/** Everything a run decides before it reads a catalog: inputs, event, commits, configuration, client. */
interface RunSettings extends Prepared {
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
interface ApiFailure {
  line: string;
  status?: number;
}

async function run(io: RunnerIO): Promise<number> {
  const { settings, apiFailure } = await runSettings(io);
  const reports = await runChecks(io, settings);
  return publish(io, settings, reports, apiFailure);
}

async function runSettings(io: RunnerIO): Promise<{ settings: RunSettings; apiFailure?: ApiFailure }> {
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

/** One report per catalog the repository has (each gets its own review and sticky comment), then verify's. */
async function runChecks(io: RunnerIO, s: RunSettings): Promise<Report[]> {
  const { inputs, plan, workspace, engineOptions } = s;
  const reports: Report[] = [];
  for (const catalog of s.catalogs) {
    reports.push(
      plan.mode === 'check'
        ? await checkRevisions({
            ...engineOptions,
            catalog,
            repoDir: workspace,
            base: s.baselineSha!,
            head: s.headSha,
            releaseRef: s.releaseRef,
          })
        : await auditRevision({ ...engineOptions, catalog, repoDir: workspace, ref: s.headSha }),
    );
  }
  if (inputs.baseBinary && inputs.headBinary) {
    const binary = (p: string) => (p.includes('/') ? path.resolve(workspace, p) : p);
    io.info(`Verifying ${inputs.headBinary} against ${inputs.baseBinary}`);
    const measured = await verifyBinaries({
      ...engineOptions,
      base: binary(inputs.baseBinary),
      head: binary(inputs.headBinary),
    });
    // Beside a catalog check, what the binaries measure is joined with each catalog's findings.
    if (plan.mode === 'check' && reports.length)
      reports.splice(0, reports.length, ...reports.map((r) => joinBinaries(r, measured, engineOptions)));
    else reports.push(measured.report);
  }
  return reports;
}

/** Everything a person sees (report files, annotations, review, status, job summary) and the outputs. */
async function publish(
  io: RunnerIO,
  s: RunSettings,
  reports: Report[],
  labelFailure: ApiFailure | undefined,
): Promise<number> {
  const { inputs } = s;
  const overall = overallResult(reports);
  const docs = ruleDocsUrl(io.env);
  const outputs: Record<string, string> = {
    result: overall.result,
    'new-model-required': String(overall.counts['new-model-required']),
    'type-2': String(overall.counts['type-2']),
    safe: String(overall.counts.safe),
    waived: String(overall.counts.waived),
    'json-report': '',
    'sarif-report': '',
  };
  if (inputs.jsonReport)
    outputs['json-report'] = await writeReport(
      s.workspace,
      inputs.jsonReport,
      renderReports(reports, 'json'),
    );
  if (inputs.sarifReport) {
    outputs['sarif-report'] = await writeReport(
      s.workspace,
      inputs.sarifReport,
      renderReports(reports, 'sarif', { ruleDocsUrl: docs }),
    );
  }

  for (const a of planAnnotations({ findings: reports.flatMap((r) => r.findings) })) io.annotate(a);

  const { published, apiFailure } = await publishReviews(s, reports, docs, labelFailure);
  // A 404 on the pull request says nothing about the commit: its status is still set.
  const statusNote =
    s.client && inputs.statusContext && !published?.readOnly && (!apiFailure || apiFailure.status === 404)
      ? await publishStatus(io, s, s.client, inputs.statusContext, overall)
      : undefined;

  await io.appendSummary(jobSummary(io.env, s.plan, reports, docs, published, apiFailure, statusNote));

  for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);

  if (overall.result === 'fail') {
    const c = overall.counts;
    io.setFailed(
      `cpu-model-guard: the change fails the check (fail-on ${s.engineOptions.failOn}): ${c['new-model-required']} new-model-required, ${c['type-2']} type-2 finding(s). See the annotations and the job summary.`,
    );
    return EXIT_FINDINGS;
  }
  io.info(`cpu-model-guard: pass (${overall.counts.safe} safe, ${overall.counts.waived} waived).`);
  return EXIT_OK;
}

/** One review and sticky comment per catalog; stops at the first that GitHub refuses. */
async function publishReviews(
  s: RunSettings,
  reports: Report[],
  docs: string | undefined,
  labelFailure: ApiFailure | undefined,
): Promise<{ published?: PublishOutcome; apiFailure?: ApiFailure }> {
  let apiFailure = labelFailure;
  let published: PublishOutcome | undefined;
  const { reviewer, inputs } = s;
  if (!reviewer || !s.plan.pullRequest || inputs.comment === 'none' || s.plan.mode !== 'check' || apiFailure)
    return { published, apiFailure };
  for (const [i, report] of reports.entries()) {
    const catalog = s.catalogs[i]!;
    const diff = parseDiffMap(await s.checkout.diff(s.baselineSha!, s.headSha, catalog.path));
    const outcome = await reviewer.publish(report, diff, {
      mode: inputs.comment,
      ruleDocsUrl: docs,
      summaryKey: `${catalog.format}:${catalog.path}`,
    });
    published = published
      ? {
          ...outcome,
          readOnly: published.readOnly || outcome.readOnly,
          movedToBody: (published.movedToBody ?? 0) + (outcome.movedToBody ?? 0),
        }
      : outcome;
    if (outcome.failure) apiFailure = { line: outcome.failure, status: outcome.failureStatus };
    if (outcome.readOnly || outcome.failure) break;
  }
  return { published, apiFailure };
}

/** Sets the commit status; returns the note for the job summary when GitHub refuses it. */
async function publishStatus(
  io: RunnerIO,
  s: RunSettings,
  client: GitHubClient,
  statusContext: string,
  overall: ReturnType<typeof overallResult>,
): Promise<string | undefined> {
  const { owner, repo, headSha } = s;
  try {
    await setCommitStatus(client, { owner, repo, sha: headSha }, statusContext, overall, runUrl(io.env));
    return undefined;
  } catch (err) {
    let statusNote: string;
    if (err instanceof ReadOnlyToken) {
      statusNote = `The commit status ${statusContext} could not be set: the token cannot write statuses (give the job statuses: write).`;
    } else if (isApiFailure(err)) {
      statusNote = `The commit status ${statusContext} could not be set. ${describeApiFailure(err, `the commit ${headSha.slice(0, 12)} is not in ${owner}/${repo}`)}`;
    } else {
      throw err;
    }
    io.info(statusNote);
    return statusNote;
  }
}

/** The reports' Markdown, each within its share of the summary's size, and a trailer of what could not be done. */
function jobSummary(
  env: NodeJS.ProcessEnv,
  plan: RunPlan,
  reports: Report[],
  docs: string | undefined,
  published: PublishOutcome | undefined,
  apiFailure: ApiFailure | undefined,
  statusNote: string | undefined,
): string {
  const summaryLines = reports.map((report) =>
    renderMarkdownSummary(report, {
      maxBytes: Math.floor((JOB_SUMMARY_MAX_BYTES - SUMMARY_RESERVE_BYTES) / reports.length),
      ruleDocsUrl: docs,
      ...(env.GITHUB_REPOSITORY
        ? { repositoryUrl: `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}` }
        : {}),
    }),
  );
  const trailer: string[] = [`_${plan.why}._`];
  if (published?.readOnly)
    trailer.push(
      '_The token could not write to the pull request (a fork?): the findings are shown here and as annotations only._',
    );
  if (apiFailure)
    trailer.push(
      `_GitHub could not be used, so the findings are shown here and as annotations only: ${escapeMarkdown(apiFailure.line)}_`,
    );
  if (published?.movedToBody)
    trailer.push(
      `_${published.movedToBody} comment(s) GitHub refused on the diff were listed in the review body instead._`,
    );
  if (statusNote) trailer.push(`_${statusNote}_`);
  return [...summaryLines, '', ...trailer, ''].join('\n');
}
