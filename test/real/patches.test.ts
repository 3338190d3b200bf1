/**
 * Real patches from qemu-devel, applied with `git apply` to the real Debian tree they were
 * written for, and checked through the same git code the CLI and the action use. The expected
 * class of each is what the reviewers said on the list (test/fixtures/patches/index.json quotes
 * them), mapped onto POLICY.md's classes.
 */
import { afterAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../src/report/finding.js';
import { checkRevisions } from '../../src/source/revisions.js';
import { repoRoot } from '../support/debian-source.js';
import type { TempRepo } from '../support/git-repo.js';
import {
  changedLines,
  patchLines,
  commitPatch,
  loadPatchIndex,
  repoForPatch,
  type RealPatch,
} from '../support/patches.js';

const tablePatches = loadPatchIndex().filter((p) => p.effect === 'table');
const repos: TempRepo[] = [];

afterAll(() => {
  for (const repo of repos) repo.remove();
});

describe('the real patch index', () => {
  test('holds at least ten table patches, each with a reviewer quote and an archive address', () => {
    expect(tablePatches.length).toBeGreaterThanOrEqual(10);
    for (const p of loadPatchIndex()) {
      expect(p.reviewers.length).toBeGreaterThan(0);
      expect(p.url).toMatch(/^https:\/\//);
      for (const r of p.reviewers) expect(r.quote.length).toBeGreaterThan(10);
    }
  });

  test('the README says how many table patches are tested', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const words = [
      'Ten',
      'Eleven',
      'Twelve',
      'Thirteen',
      'Fourteen',
      'Fifteen',
      'Sixteen',
      'Seventeen',
      'Eighteen',
      'Nineteen',
      'Twenty',
    ];
    const stated = /\b(\w+) real patches from the qemu-devel archive\b/.exec(readme)?.[1];
    expect(stated).toBeDefined();
    expect(words.indexOf(stated!) + 10).toBe(tablePatches.length);
  });
});

describe.each(loadPatchIndex().map((p) => [p.id, p] as const))('%s', (_id, patch: RealPatch) => {
  let repo: TempRepo;
  let commits: { release: string; base: string; head: string };
  let report: Report;

  test(`applies to QEMU ${patch.tree.qemu} (Debian ${patch.tree.suite}) and is checked as the reviewers said`, async () => {
    repo = await repoForPatch(patch);
    repos.push(repo);
    commits = commitPatch(repo, patch);
    report = await checkRevisions({
      repoDir: repo.dir,
      base: commits.base,
      head: commits.head,
      releaseRef: commits.release,
      catalog: { format: 'qemu-x86', path: '.' },
      failOn: 'type-2',
    });

    // Findings for review (code no compat property gates) are listed but do not fail.
    const failing = patch.expected.some((e) => e.class !== 'safe' && e.verdict !== 'review');
    // On failure, the summary says what the tool found instead.
    const summary = report.findings.map(
      (f) =>
        `${f.rule} ${f.class} ${f.verdict} ${f.property ?? ''} ${f.location.path}:${f.location.line} ${f.models.slice(0, 4).join(',')}`,
    );
    expect({ result: report.result, summary }).toEqual({ result: failing ? 'fail' : 'pass', summary });
    expect(report.findings.length).toBeLessThanOrEqual(patch.maxFindings);
    expect(report.counts.review).toBe(patch.expected.filter((e) => e.verdict === 'review').length);
    for (const e of patch.expected) {
      // The offending line is one the patch added (or removed), found where git put it.
      expect(patchLines(patch.file, e.location.path, e.location.side)).toContain(e.location.line);
      const lines = changedLines(repo, commits.base, commits.head, e.location.path, e.location.side).filter(
        (l) => l.text === e.location.line,
      );
      expect(lines.length).toBeGreaterThan(e.location.nth ?? 0);
      if (e.location.nth === undefined) expect(lines).toHaveLength(1);
      const line = lines[e.location.nth ?? 0]!.line + (e.location.lineOffset ?? 0);
      const f = report.findings.find(
        (x) =>
          x.rule === e.rule &&
          (e.property === undefined || x.property === e.property) &&
          (!e.models.length || x.models.some((m) => e.models.includes(m))) &&
          x.location.path === e.location.path &&
          x.location.line === line &&
          x.location.side === e.location.side,
      );
      expect({ rule: f?.rule, class: f?.class, at: `${e.location.path}:${line}`, summary }).toEqual({
        rule: e.rule,
        class: e.class,
        at: `${e.location.path}:${line}`,
        summary,
      });
      expect(f!.verdict).toBe(e.verdict ?? (e.class === 'safe' ? 'pass' : 'fail'));
      expect(f!.models).toEqual(expect.arrayContaining(e.models));
      if (e.property !== undefined) expect(f!.property).toBe(e.property);
      if (e.before !== undefined) expect(f!.before).toEqual(e.before);
      if (e.after !== undefined) expect(f!.after).toEqual(e.after);
      for (const t of e.machineTypes?.include ?? []) expect(f!.machineTypes).toContain(t);
      for (const t of e.machineTypes?.exclude ?? []) expect(f!.machineTypes).not.toContain(t);
    }
    if (!patch.expected.length) {
      expect(report.counts).toMatchObject({ 'new-model-required': 0, 'type-2': 0 });
    }
  });
});
