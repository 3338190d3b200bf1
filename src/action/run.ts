import path from 'node:path';
import { loadConfig, type GuardConfig } from '../config/config.js';
import { joinBinaries, type CatalogSpec } from '../engine.js';
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

/** A QEMU tree or a libvirt checkout at the repository root is recognised by its files. */
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

async function run(io: RunnerIO): Promise<number> {
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

  const { plan, headSha, baselineSha, config, catalogs } = await prepare(io, inputs, ctx, checkout, client);
  const pr = plan.pullRequest;
  const reviewer =
    client && pr ? new Reviewer(client, { owner, repo, pullNumber: pr.number, headSha }, io.info) : undefined;

  const waivers: Waiver[] = [...config.waivers];
  /** Why nothing more is asked of GitHub: a failure that every later request would meet too. */
  let apiFailure: { line: string; status?: number } | undefined;
  if (reviewer) {
    const labels = await reviewer.liveLabels().catch((err: unknown) => {
      if (!isApiFailure(err)) throw err;
      const line = describeApiFailure(err, reviewer.notFoundAdvice());
      io.info(`Cannot read the pull request's labels, so no label waiver applies. ${line}`);
      const status = httpStatus(err);
      if (status === 401 || status === 404) apiFailure = { line, status };
      return [] as string[];
    });
    if (labels.includes(inputs.waiveLabel)) {
      io.info(`The pull request carries ${inputs.waiveLabel}: type-2 findings are reported as waived.`);
      waivers.push({
        rule: 'machine-type-host-requirement',
        models: ['*'],
        reason: `the pull request carries the label ${inputs.waiveLabel}`,
        source: `pull request label ${inputs.waiveLabel}`,
      });
    }
  }

  let releaseRef: string | undefined;
  if (inputs.releaseRef) releaseRef = await checkout.ensure({ ref: inputs.releaseRef }, 'release revision');
  else if (plan.mode === 'check' && (await checkout.isShallow())) {
    io.info(
      'The checkout is shallow and release-ref is not set: without release tags, every name in the baseline counts as released.',
    );
  }

  const engineOptions = {
    failOn: inputs.failOn ?? config.failOn ?? 'type-2',
    failOnReview: inputs.failOnReview ?? config.failOnReview,
    cpuidFunctions: config.cpuidFunctions,
    waivers,
    ignoreModels: config.ignoreModels,
    hostRequirements: config.hostRequirements,
  };
  // Every catalog the repository has gets its own report, review and sticky comment.
  const reports: Report[] = [];
  for (const catalog of catalogs) {
    reports.push(
      plan.mode === 'check'
        ? await checkRevisions({
            ...engineOptions,
            catalog,
            repoDir: workspace,
            base: baselineSha!,
            head: headSha,
            releaseRef,
          })
        : await auditRevision({ ...engineOptions, catalog, repoDir: workspace, ref: headSha }),
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
    outputs['json-report'] = await writeReport(workspace, inputs.jsonReport, renderReports(reports, 'json'));
  if (inputs.sarifReport) {
    outputs['sarif-report'] = await writeReport(
      workspace,
      inputs.sarifReport,
      renderReports(reports, 'sarif', { ruleDocsUrl: docs }),
    );
  }

  for (const a of planAnnotations({ findings: reports.flatMap((r) => r.findings) })) io.annotate(a);

  let published: PublishOutcome | undefined;
  if (reviewer && pr && inputs.comment !== 'none' && plan.mode === 'check' && !apiFailure) {
    for (const [i, report] of reports.entries()) {
      const catalog = catalogs[i]!;
      const diff = parseDiffMap(await checkout.diff(baselineSha!, headSha, catalog.path));
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
  }
  let statusNote: string | undefined;
  // A 404 on the pull request says nothing about the commit: its status is still set.
  if (client && inputs.statusContext && !published?.readOnly && (!apiFailure || apiFailure.status === 404)) {
    try {
      await setCommitStatus(
        client,
        { owner, repo, sha: headSha },
        inputs.statusContext,
        overall,
        runUrl(io.env),
      );
    } catch (err) {
      if (err instanceof ReadOnlyToken) {
        statusNote = `The commit status ${inputs.statusContext} could not be set: the token cannot write statuses (give the job statuses: write).`;
      } else if (isApiFailure(err)) {
        statusNote = `The commit status ${inputs.statusContext} could not be set. ${describeApiFailure(err, `the commit ${headSha.slice(0, 12)} is not in ${owner}/${repo}`)}`;
      } else {
        throw err;
      }
      io.info(statusNote);
    }
  }

  const summaryLines = reports.map((report) =>
    renderMarkdownSummary(report, {
      maxBytes: Math.floor((JOB_SUMMARY_MAX_BYTES - SUMMARY_RESERVE_BYTES) / reports.length),
      ruleDocsUrl: docs,
      ...(io.env.GITHUB_REPOSITORY
        ? { repositoryUrl: `${io.env.GITHUB_SERVER_URL ?? 'https://github.com'}/${io.env.GITHUB_REPOSITORY}` }
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
  await io.appendSummary([...summaryLines, '', ...trailer, ''].join('\n'));

  for (const [name, value] of Object.entries(outputs)) io.setOutput(name, value);

  if (overall.result === 'fail') {
    const c = overall.counts;
    io.setFailed(
      `cpu-model-guard: the change fails the check (fail-on ${engineOptions.failOn}): ${c['new-model-required']} new-model-required, ${c['type-2']} type-2 finding(s). See the annotations and the job summary.`,
    );
    return EXIT_FINDINGS;
  }
  io.info(`cpu-model-guard: pass (${overall.counts.safe} safe, ${overall.counts.waived} waived).`);
  return EXIT_OK;
}
