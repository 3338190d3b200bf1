/** What a run shows once the reports exist: report files, annotations, review, commit status, job summary, outputs. */
import path from 'node:path';
import { EXIT_FINDINGS, EXIT_OK } from '../errors.js';
import type { Report } from '../report/finding.js';
import { escapeMarkdown, JOB_SUMMARY_MAX_BYTES, renderMarkdownSummary } from '../report/markdown.js';
import { overallResult, renderReports } from '../report/render.js';
import { writeReportFile } from '../source/report-file.js';
import { describeApiFailure, isApiFailure, type GitHubClient } from '../github/client.js';
import { ReadOnlyToken, scopedToCatalog, setCommitStatus, type PublishOutcome } from '../github/reviewer.js';
import { planAnnotations } from './annotations.js';
import type { RunnerIO } from '../github/runner.js';
import { type RunPlan } from './event.js';
import { parseDiffMap } from '../github/hunks.js';
import type { ApiFailure, RunSettings } from './settings.js';

/** The job summary leaves this much room for the action's own lines around the report. */
const SUMMARY_RESERVE_BYTES = 8 * 1024;

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

/** Everything a person sees (report files, annotations, review, status, job summary) and the outputs. */
export async function publish(
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
  const keys = s.catalogs.map((c) => `${c.format}:${c.path}`);
  for (const [i, checked] of reports.entries()) {
    const catalog = s.catalogs[i]!;
    const diff = parseDiffMap(await s.checkout.diff(s.baselineSha!, s.headSha, catalog.path));
    const scoped = keys.length > 1 ? scopedToCatalog(checked, keys[i]!, keys) : undefined;
    const outcome = await reviewer.publish(scoped?.report ?? checked, diff, {
      mode: inputs.comment,
      ruleDocsUrl: docs,
      summaryKey: keys[i]!,
      ...(scoped ? { owns: scoped.owns } : {}),
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
