import { audit, check, type CatalogSpec, type EngineOptions, type ReleaseRevision } from '../engine.js';
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
  /**
   * Name, for each finding, the commit of base..head that introduced it: every commit on the
   * first-parent line that touches the catalog is checked against its parent.
   */
  attributeCommits?: boolean;
  /** Told as each commit of the range is reached (1-based), for progress on long ranges. */
  onCommit?: (step: { index: number; total: number; commit: string }) => void;
}

export async function checkRevisions(o: CheckRevisionsOptions): Promise<Report> {
  const repo = new GitRepository(o.repoDir);
  const [baseCommit, headCommit] = await Promise.all([
    repo.resolveCommit(o.base),
    repo.resolveCommit(o.head),
  ]);
  const [base, head] = await Promise.all([repo.source(baseCommit), repo.source(headCommit)]);
  // Looked up while base and head are read: the tag lookup is a git process of its own.
  const release = releaseRevision(repo, o.releaseRef, baseCommit);
  const report = await check({
    ...o,
    base,
    head,
    baseRef: { ref: o.base, commit: baseCommit },
    headRef: { ref: o.head, commit: headCommit },
    release,
  });
  return o.attributeCommits
    ? attributeToCommits(repo, report, o, baseCommit, headCommit, await release)
    : report;
}

/** The revision whose names count as released: `--release-ref`, else the newest `v*` tag. */
async function releaseRevision(
  repo: GitRepository,
  releaseRef: string | undefined,
  baseCommit: string,
): Promise<ReleaseRevision> {
  if (releaseRef) {
    const commit = await repo.resolveCommit(releaseRef);
    return {
      source: await repo.source(commit),
      ref: releaseRef,
      commit,
      explanation: `names that exist at ${releaseRef} count as released`,
    };
  }
  const tag = await repo.newestReleaseTag(baseCommit);
  return tag
    ? {
        source: await repo.source(tag.commit),
        ref: tag.tag,
        commit: tag.commit,
        explanation: `names that exist at ${tag.tag}, the newest v* tag reachable from base, count as released`,
      }
    : { explanation: 'no v* tag is reachable from base: every name in base counts as released' };
}

/**
 * Each finding of the whole range gets the last commit whose own change (against its first
 * parent) produces the same finding; one that only the commits together produce keeps none.
 * The release baseline is the range's, so names added inside the range stay unreleased.
 */
async function attributeToCommits(
  repo: GitRepository,
  report: Report,
  o: CheckRevisionsOptions,
  baseCommit: string,
  headCommit: string,
  release: ReleaseRevision,
): Promise<Report> {
  if (!report.findings.length) return report;
  const catalogFiles = new Set(report.findings.map((f) => f.location.path));
  const introducedBy = new Map<string, string>();
  // A commit that changes neither the catalog's folder nor a file a finding points at cannot
  // have introduced one.
  const catalogFolder = o.catalog.path === '.' ? ['.'] : [o.catalog.path.replace(/\/+$/, '')];
  const line = await repo.firstParentLine(baseCommit, headCommit);
  for (const [i, { commit, parent: first }] of line.entries()) {
    o.onCommit?.({ index: i + 1, total: line.length, commit });
    const parent = first ?? (await repo.resolveCommit(`${commit}^`));
    if (!(await repo.differs(parent, commit, { folders: catalogFolder, files: [...catalogFiles] }))) continue;
    const [before, after] = await Promise.all([repo.source(parent), repo.source(commit)]);
    const step = await check({
      ...o,
      base: before,
      head: after,
      baseRef: { ref: parent, commit: parent },
      headRef: { ref: commit, commit },
      release,
    });
    for (const f of step.findings) introducedBy.set(f.fingerprint, commit);
  }
  return {
    ...report,
    findings: report.findings.map((f) =>
      introducedBy.has(f.fingerprint) ? { ...f, commit: introducedBy.get(f.fingerprint) } : f,
    ),
  };
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
