import path from 'node:path';
import { joinBinaries } from '../engine.js';
import { EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, InputError } from '../errors.js';
import type { Report } from '../report/finding.js';
import { auditRevision, checkRevisions } from '../source/revisions.js';
import { verifyBinaries } from '../source/verify-binaries.js';
import type { RunnerIO } from '../github/runner.js';
import { runSettings, type RunSettings } from './settings.js';
import { publish } from './publish.js';

export type { RunnerIO } from '../github/runner.js';

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
  const { settings, apiFailure } = await runSettings(io);
  const reports = await runChecks(io, settings);
  return publish(io, settings, reports, apiFailure);
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
      machines: inputs.verifyMachines,
      models: inputs.verifyModels,
    });
    // Beside a catalog check, what the binaries measure is joined with each catalog's findings.
    if (plan.mode === 'check' && reports.length)
      reports.splice(0, reports.length, ...reports.map((r) => joinBinaries(r, measured, engineOptions)));
    else reports.push(measured.report);
  }
  return reports;
}
