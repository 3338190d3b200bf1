import { audit, check, type CatalogSpec, type EngineOptions } from '../engine.js';
import type { Report } from '../report/finding.js';
import { GitRepository } from './git-source.js';

/**
 * The git side of a run, shared by the CLI and the action: resolve revisions, find the release
 * baseline, and hand the engine sources that read each revision without checking it out.
 */
export interface CheckRevisionsOptions extends EngineOptions {
  repoDir: string;
  base: string;
  head: string;
  catalog: CatalogSpec;
  /** The release revision; default the newest `v*` tag reachable from base. */
  releaseRef?: string;
}

export async function checkRevisions(o: CheckRevisionsOptions): Promise<Report> {
  const repo = new GitRepository(o.repoDir);
  const [baseCommit, headCommit] = await Promise.all([repo.resolveCommit(o.base), repo.resolveCommit(o.head)]);
  const [base, head] = await Promise.all([repo.source(baseCommit), repo.source(headCommit)]);
  let release: Parameters<typeof check>[0]['release'];
  if (o.releaseRef) {
    const commit = await repo.resolveCommit(o.releaseRef);
    release = { source: await repo.source(commit), ref: o.releaseRef, commit, explanation: `names that exist at ${o.releaseRef} count as released` };
  } else {
    const tag = await repo.newestReleaseTag(baseCommit);
    release = tag
      ? { source: await repo.source(tag.commit), ref: tag.tag, commit: tag.commit, explanation: `names that exist at ${tag.tag}, the newest v* tag reachable from base, count as released` }
      : { explanation: 'no v* tag is reachable from base: every name in base counts as released' };
  }
  return check({
    ...o,
    base,
    head,
    baseRef: { ref: o.base, commit: baseCommit },
    headRef: { ref: o.head, commit: headCommit },
    release,
  });
}

export interface AuditRevisionOptions extends EngineOptions {
  repoDir: string;
  ref: string;
  catalog: CatalogSpec;
}

export async function auditRevision(o: AuditRevisionOptions): Promise<Report> {
  const repo = new GitRepository(o.repoDir);
  const commit = await repo.resolveCommit(o.ref);
  return audit({ ...o, head: await repo.source(commit), headRef: { ref: o.ref, commit } });
}
