/**
 * Real patches from QEMU's mailing lists, kept as test data in test/fixtures/patches/: each is
 * applied with `git apply` to the real Debian tree it was written for, in a real git repository,
 * and checked the way the CLI checks a pull request.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { QEMU_X86_FILES } from '../../src/parse/qemu-x86/files.js';
import type { FindingClass } from '../../src/report/finding.js';
import { debianSource, repoRoot } from './debian-source.js';
import { TempRepo } from './git-repo.js';

export const patchDir = path.join(repoRoot, 'test', 'fixtures', 'patches');

/** A Debian tree of QEMU, as test/support/debian-source.ts fetches it. */
export interface DebianTree {
  suite: string;
  /** The exact Debian version, for suites that carry several. */
  version?: string;
  /** QEMU's version in that tree (its VERSION file). */
  qemu: string;
}

export interface ReviewerVerdict {
  by: string;
  date: string;
  messageId: string;
  url: string;
  quote: string;
}

export interface ExpectedFinding {
  class: FindingClass;
  rule: string;
  /** Model names the finding must list (all of them, in any order). */
  models: string[];
  property?: string;
  before?: string | number | boolean | null;
  after?: string | number | boolean | null;
  /** Machine types the finding must list, and ones it must not. */
  machineTypes?: { include?: string[]; exclude?: string[] };
  /**
   * The offending line: its file, a text that occurs once in the patch's added lines, the side,
   * and where the finding points relative to it (a version block is reported at its opening brace).
   */
  location: {
    path: string;
    line: string;
    side: 'RIGHT' | 'LEFT';
    lineOffset?: number;
    /** Which of the changed lines with this text, when several have it (0 = the first). */
    nth?: number;
  };
  /** `review` for findings listed for a person to judge (code no compat property gates). */
  verdict?: 'review';
}

export interface RealPatch {
  id: string;
  file: string;
  subject: string;
  author: string;
  date: string;
  messageId: string;
  url: string;
  /** `table`: the change is in the catalog's tables; `code`: in functions that compute guest CPUID. */
  effect: 'table' | 'code';
  /** The QEMU development cycle the patch was written for. */
  cycle: string;
  tree: DebianTree;
  base: {
    /**
     * The Debian tree committed as the release, when it is not `tree` itself: names that exist
     * there count as released. `tree` (with `revert` and `apply`) then stands for the
     * development tree that followed it.
     */
    releaseTree?: DebianTree;
    /** Patches of this folder reverted from the tree (it already holds them), newest first. */
    revert: string[];
    /** Patches of this folder applied before the release commit is taken. */
    released?: string[];
    /** Patches of this folder applied after the release commit: the development cycle so far. */
    apply: string[];
    /** VERSION written into the base, the development version of the patch's cycle. */
    version: string;
  };
  /** What was adapted to make the patch meet a Debian tree, and why. */
  adapted: string;
  reviewers: ReviewerVerdict[];
  /** How the reviewers' verdict maps onto POLICY.md's classes. */
  policy: string;
  expected: ExpectedFinding[];
  /** Largest number of findings in the report (so that nothing else slips in). */
  maxFindings: number;
}

export function loadPatchIndex(): RealPatch[] {
  const index = JSON.parse(readFileSync(path.join(patchDir, 'index.json'), 'utf8')) as {
    patches: RealPatch[];
  };
  return index.patches;
}

/** A repository holding the catalog files of a Debian tree, committed as-is. */
export async function repoWithDebianTree(tree: DebianTree): Promise<{ repo: TempRepo; root: string }> {
  const repo = new TempRepo('cmg-patch-');
  const root = await copyDebianTree(repo, tree);
  repo.commitAll(`QEMU ${tree.qemu} catalog (Debian ${tree.suite})`);
  return { repo, root };
}

/** The catalog files of a Debian tree copied into the work tree, replacing what was there. */
async function copyDebianTree(repo: TempRepo, tree: DebianTree): Promise<string> {
  const root = await debianSource('qemu', tree.suite, tree.version ? { version: tree.version } : {});
  for (const f of Object.values(QEMU_X86_FILES)) rmSync(path.join(repo.dir, f), { force: true });
  repo.copyFrom(
    root,
    Object.values(QEMU_X86_FILES).filter((f) => existsSync(path.join(root, f))),
  );
  return root;
}

/** The repository of a patch: its release tree committed first when it has one of its own. */
export async function repoForPatch(patch: RealPatch): Promise<TempRepo> {
  const { repo } = await repoWithDebianTree(patch.base.releaseTree ?? patch.tree);
  if (patch.base.releaseTree) await copyDebianTree(repo, patch.tree);
  return repo;
}

/** `git apply` of a patch of this folder; `reverse` takes it out again. */
export function applyPatch(repo: TempRepo, file: string, reverse = false): void {
  repo.git('apply', ...(reverse ? ['-R'] : []), path.join(patchDir, file));
}

/** The files a patch changes, as its `+++ b/` lines name them. */
export function patchedFiles(patchFile: string): string[] {
  return readFileSync(path.join(patchDir, patchFile), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('+++ b/'))
    .map((l) => l.slice('+++ b/'.length));
}

/** The lines a patch adds (`RIGHT`) or removes (`LEFT`) in `file`, without the leading sign. */
export function patchLines(patchFile: string, file: string, side: 'RIGHT' | 'LEFT'): string[] {
  const text = readFileSync(path.join(patchDir, patchFile), 'utf8');
  const lines: string[] = [];
  let current: string | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('+++ ')) current = line.replace(/^\+\+\+ b\//, '');
    else if (line.startsWith('diff --git ')) current = undefined;
    else if (current === file && line.startsWith(side === 'RIGHT' ? '+' : '-') && !line.startsWith('---'))
      lines.push(line.slice(1));
  }
  return lines;
}

/**
 * The base, release and head commits of a patch: the Debian tree with `base.revert` taken out
 * and `base.released` applied is the release; `base.apply` and VERSION make the development
 * tree the patch was written against; the patch itself makes head.
 */
export function commitPatch(
  repo: TempRepo,
  patch: RealPatch,
): { release: string; base: string; head: string } {
  let release: string;
  if (patch.base.releaseTree) {
    release = repo.git('rev-parse', 'HEAD').trim();
    for (const file of patch.base.revert) applyPatch(repo, file, true);
  } else {
    for (const file of patch.base.revert) applyPatch(repo, file, true);
    for (const file of patch.base.released ?? []) applyPatch(repo, file);
    release = repo.commitAll(`release: QEMU ${patch.tree.qemu} as the ${patch.cycle} cycle started from`);
  }
  for (const file of patch.base.apply) applyPatch(repo, file);
  repo.write('VERSION', `${patch.base.version}\n`);
  const base = repo.commitAll(`development tree of the ${patch.cycle} cycle`);
  applyPatch(repo, patch.file);
  const head = repo.commitAll(patch.subject);
  return { release, base, head };
}

/**
 * Lines that `git diff base head` shows for `file`: added ones with their line in head (`RIGHT`),
 * removed ones with their line in base (`LEFT`), as GitHub's review comments name the sides.
 */
export function changedLines(
  repo: TempRepo,
  base: string,
  head: string,
  file: string,
  side: 'RIGHT' | 'LEFT',
): { line: number; text: string }[] {
  const diff = repo.git('diff', '-U0', base, head, '--', file);
  const lines: { line: number; text: string }[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const l of diff.split('\n')) {
    const hunk = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
    } else if (l.startsWith('+') && !l.startsWith('+++')) {
      if (side === 'RIGHT') lines.push({ line: newLine, text: l.slice(1) });
      newLine++;
    } else if (l.startsWith('-') && !l.startsWith('---')) {
      if (side === 'LEFT') lines.push({ line: oldLine, text: l.slice(1) });
      oldLine++;
    }
  }
  return lines;
}
