import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Checkout } from '../../src/action/commits.js';
import { parseDiffMap, type DiffMap } from '../../src/github/hunks.js';
import { ApiBudget, createGitHubClient } from '../../src/github/client.js';
import { MAX_INLINE_COMMENTS, Reviewer, fingerprintsIn, scopedToCatalog } from '../../src/github/reviewer.js';
import { fingerprintMarker, parseFingerprintMarker } from '../../src/report/markdown.js';
import { GitHubServer, HUMAN } from '../support/github-server/server.js';
import { finding, report } from './report-builder.js';

const OWNER = 'octo-org';
const REPO = 'qemu';
const PR = 7;
const CPU_C = 'target/i386/cpu.c';
let dir: string;
let headSha: string;
let diff: DiffMap;
let server: GitHubServer;
const logs: string[] = [];

const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cmg-reviewer-'));
  git('init', '-q', '-b', 'main');
  mkdirSync(path.join(dir, 'target/i386'), { recursive: true });
  const base = Array.from({ length: 200 }, (_, i) => `/* cpu.c line ${i + 1} */`);
  writeFileSync(path.join(dir, CPU_C), base.join('\n') + '\n');
  git('add', '.');
  git('commit', '-qm', 'base');
  const head = [...base];
  head[49] = '            CPUID_7_0_ECX_PKU |';
  head.splice(120, 1); // base line 121 removed
  head.splice(149, 0, '    { "pku", "on" },', '    { "la57", "on" },'); // head lines 150-151 added
  writeFileSync(path.join(dir, CPU_C), head.join('\n') + '\n');
  git('commit', '-qam', 'head');
  headSha = git('rev-parse', 'HEAD');
  diff = parseDiffMap(await new Checkout(dir, () => {}).diff('HEAD~1', 'HEAD', '.'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  server = await new GitHubServer({ owner: OWNER, repo: REPO, prefix: '/api/v3' }).start();
  server.pulls.set(PR, {
    number: PR,
    headSha,
    labels: ['cpu', 'cpu-model-guard:waive-type-2'],
    commentable: (p, line, side) => {
      const file = diff.files.get(p);
      return Boolean(file && (side === 'RIGHT' ? file.right : file.left).has(line));
    },
  });
  logs.length = 0;
});
afterEach(async () => {
  expect(server.contractErrors()).toEqual([]);
  await server.stop();
});

const reviewer = () =>
  new Reviewer(
    createGitHubClient('ghs_test', { baseUrl: server.url, log: (m) => logs.push(m) }),
    { owner: OWNER, repo: REPO, pullNumber: PR, headSha },
    (m) => logs.push(m),
  );
const publish = (r = report(findings())) =>
  reviewer().publish(r, diff, { mode: 'review', summaryKey: 'qemu-x86:.' });

/** One finding on a changed line (RIGHT), one on a removed line (LEFT), one outside every hunk, one safe. */
const findings = () => [
  finding({
    fingerprint: 'released-model-changed/Skylake-Server/pku',
    location: { path: CPU_C, line: 50, side: 'RIGHT' },
  }),
  finding({
    fingerprint: 'released-name-removed/Opteron_G1',
    rule: 'released-name-removed',
    title: 'Opteron_G1 disappears',
    location: { path: CPU_C, line: 121, side: 'LEFT' },
  }),
  finding({
    fingerprint: 'machine-type-host-requirement/EPYC/npt/pc-q35-7.2',
    class: 'type-2',
    rule: 'machine-type-host-requirement',
    location: { path: CPU_C, line: 10, side: 'RIGHT' },
  }),
  finding({
    fingerprint: 'model-added/Foo',
    class: 'safe',
    verdict: 'pass',
    location: { path: CPU_C, line: 150, side: 'RIGHT' },
  }),
];

describe('the pull request review', () => {
  it('comments on the exact lines, LEFT for removals, and lists the rest in the review body', async () => {
    const outcome = await publish();
    expect(outcome).toMatchObject({
      readOnly: false,
      inlineComments: 2,
      bodyFindings: 1,
      summaryComment: 'created',
    });
    expect(server.reviews).toHaveLength(1);
    const posted = server.requests.find((r) => r.operationId === 'pulls/create-review')!.body as Record<
      string,
      unknown
    >;
    expect(posted).toMatchObject({ event: 'COMMENT', commit_id: headSha });
    const comments = server.reviewComments.map((c) => ({
      path: c.path,
      line: c.line,
      side: c.side,
      fp: parseFingerprintMarker(c.body),
    }));
    expect(comments).toEqual([
      { path: CPU_C, line: 50, side: 'RIGHT', fp: 'released-model-changed/Skylake-Server/pku' },
      { path: CPU_C, line: 121, side: 'LEFT', fp: 'released-name-removed/Opteron_G1' },
    ]);
    const body = server.reviews[0]!.body;
    expect([...fingerprintsIn(body)]).toEqual(['machine-type-host-requirement/EPYC/npt/pc-q35-7.2']);
    // Each comment says the class, the rule, the models and machine types, the requirement and the fix.
    const first = server.reviewComments[0]!.body;
    for (const part of [
      'new-model-required',
      'released-model-changed',
      'Skylake-Server',
      'pc-q35-7.1',
      'pku',
      'Fix:',
    ]) {
      expect(first).toContain(part);
    }
    expect(server.issueComments).toHaveLength(1);
    expect(server.issueComments[0]!.body).toContain('Findings');
  });

  it('posts nothing new when run again on the same head', async () => {
    await publish();
    const writes = server.writes().length;
    const outcome = await publish();
    expect(outcome).toMatchObject({
      inlineComments: 0,
      bodyFindings: 0,
      deletedComments: 0,
      summaryComment: 'unchanged',
    });
    expect(server.writes()).toHaveLength(writes);
    expect(server.reviews).toHaveLength(1);
  });

  it('deletes the comment of a fixed finding, keeps one a person answered, and updates the summary', async () => {
    await publish();
    const [pku, removal] = server.reviewComments;
    server.reply(removal!.id, 'Opteron_G1 was deprecated in 7.0, see the release notes.');
    const outcome = await publish(report([findings()[2]!]));
    expect(outcome.deletedComments).toBe(1);
    expect(outcome.keptWithReplies).toHaveLength(1);
    expect(server.reviewComments.find((c) => c.id === pku!.id)).toBeUndefined();
    expect(server.reviewComments.find((c) => c.id === removal!.id)).toBeDefined();
    expect(outcome.summaryComment).toBe('updated');
    expect(server.issueComments).toHaveLength(1);
    expect(server.issueComments[0]!.body).toContain('Resolved, with discussion');
    expect(server.issueComments[0]!.body).toContain(`discussion_r${removal!.id}`);
  });

  it(`puts at most ${MAX_INLINE_COMMENTS} comments inline and the rest in the body`, async () => {
    const many = Array.from({ length: 45 }, (_, i) =>
      finding({
        fingerprint: `released-model-changed/Model${i}/pku`,
        location: { path: CPU_C, line: i % 2 ? 50 : 151, side: 'RIGHT' },
      }),
    );
    const outcome = await publish(report(many));
    expect(outcome.inlineComments).toBe(MAX_INLINE_COMMENTS);
    expect(outcome.bodyFindings).toBe(15);
    expect(server.reviews).toHaveLength(1);
    expect(fingerprintsIn(server.reviews[0]!.body).size).toBe(15);
    // The rest are not posted again on the next run.
    await publish(report(many));
    expect(server.reviews).toHaveLength(1);
  });

  it('offers a suggestion on exactly the lines it replaces, with a fence longer than any backticks', async () => {
    const withFix = finding({
      fingerprint: 'released-model-changed/Skylake-Server-v1/la57',
      location: { path: CPU_C, line: 151, side: 'RIGHT' },
      suggestion: {
        path: CPU_C,
        startLine: 150,
        endLine: 151,
        replacement: '    { "pku", "on" }, /* ``` */',
      },
    });
    const outside = finding({
      fingerprint: 'released-model-changed/Skylake-Server-v2/la57',
      location: { path: CPU_C, line: 150, side: 'RIGHT' },
      suggestion: { path: CPU_C, startLine: 80, endLine: 80, replacement: 'x' },
    });
    await publish(report([withFix, outside]));
    const [first, second] = server.reviewComments;
    expect(first).toMatchObject({ line: 151, startLine: 150, side: 'RIGHT' });
    expect(first!.body).toMatch(/(`{4,})suggestion\n[^]*```[^]*\n\1/);
    // A suggestion whose lines are not in the diff would replace the wrong lines: it is left out.
    expect(second!.body).not.toContain('suggestion');
  });

  it('falls back to annotations when the token cannot write (fork pull request)', async () => {
    server.readOnly = true;
    const outcome = await publish();
    expect(outcome.readOnly).toBe(true);
    expect(server.writes()).toEqual([]);
    expect(logs.filter((l) => l.includes('403'))).toHaveLength(1);
  });

  it('moves a comment GitHub refuses (422) into the body and posts the rest', async () => {
    const inner = server.pulls.get(PR)!.commentable;
    server.pulls.get(PR)!.commentable = (p, line, side) =>
      !(line === 121 && side === 'LEFT') && inner(p, line, side);
    const outcome = await publish();
    expect(outcome).toMatchObject({ inlineComments: 1, movedToBody: 1, bodyFindings: 2 });
    expect(server.reviews.map((r) => r.state)).toEqual(['COMMENTED']);
    expect(server.reviewComments.map((c) => c.line)).toEqual([50]);
    expect(fingerprintsIn(server.reviews[0]!.body)).toEqual(
      new Set(['released-name-removed/Opteron_G1', 'machine-type-host-requirement/EPYC/npt/pc-q35-7.2']),
    );
  });

  it('waits out a secondary rate limit (retry-after) and carries on', async () => {
    server.secondaryLimits = 1;
    const started = Date.now();
    const outcome = await publish();
    expect(outcome.inlineComments).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.requests[0]!.status).toBe(403);
    expect(logs.some((l) => l.includes('secondary rate limit'))).toBe(true);
  });

  it('in summary mode, writes the sticky summary only', async () => {
    const outcome = await reviewer().publish(report(findings()), diff, {
      mode: 'summary',
      summaryKey: 'qemu-x86:.',
    });
    expect(outcome).toMatchObject({ inlineComments: 0, summaryComment: 'created' });
    expect(server.reviews).toEqual([]);
    expect(server.writes().map((w) => w.operationId)).toEqual(['issues/create-comment']);
    // Another catalog of the same repository keeps its own sticky comment.
    await reviewer().publish(report([]), diff, {
      mode: 'summary',
      summaryKey: 'libvirt-cpu-map:src/cpu_map',
    });
    expect(server.issueComments).toHaveLength(2);
  });

  it('reads labels live from the API', async () => {
    expect(await reviewer().liveLabels()).toEqual(['cpu', 'cpu-model-guard:waive-type-2']);
    expect(server.requests.map((r) => r.operationId)).toEqual(['issues/list-labels-on-issue']);
  });
});

describe('several catalogs on one pull request', () => {
  const KEYS = ['qemu-x86:.', 'catalog:models/extra.yaml'];
  const byCatalog = [findings().slice(0, 1), findings().slice(1, 2)];
  const publishAll = async () => {
    const outcomes = [];
    for (const [i, key] of KEYS.entries()) {
      const scoped = scopedToCatalog(report(byCatalog[i]!), key, KEYS);
      outcomes.push(
        await reviewer().publish(scoped.report, diff, { mode: 'review', summaryKey: key, owns: scoped.owns }),
      );
    }
    return outcomes;
  };

  it("each keeps its own comments: publishing one catalog never deletes another's as gone", async () => {
    const first = await publishAll();
    expect(first.map((o) => o.inlineComments)).toEqual([1, 1]);
    expect(first.map((o) => o.deletedComments)).toEqual([0, 0]);
    expect(server.reviewComments.map((c) => parseFingerprintMarker(c.body)).sort()).toEqual([
      'catalog:models/extra.yaml::released-name-removed/Opteron_G1',
      'qemu-x86:.::released-model-changed/Skylake-Server/pku',
    ]);
    // Run again: nothing to post, nothing to delete.
    const writes = server.writes().length;
    const again = await publishAll();
    expect(again.map((o) => o.inlineComments + o.deletedComments)).toEqual([0, 0]);
    expect(server.writes()).toHaveLength(writes);
  });

  it('the first catalog takes over comments of a run with one catalog; the others leave them', async () => {
    // A run before the configuration listed a second catalog: comments marked without a key.
    await publish(report(byCatalog[0]!));
    expect(server.reviewComments.map((c) => parseFingerprintMarker(c.body))).toEqual([
      'released-model-changed/Skylake-Server/pku',
    ]);
    const outcomes = await publishAll();
    // The first catalog's finding is now marked with its key: the unkeyed comment is its own, gone.
    expect(outcomes.map((o) => o.deletedComments)).toEqual([1, 0]);
    expect(server.reviewComments.map((c) => parseFingerprintMarker(c.body)).sort()).toEqual([
      'catalog:models/extra.yaml::released-name-removed/Opteron_G1',
      'qemu-x86:.::released-model-changed/Skylake-Server/pku',
    ]);
  });
});

describe('the review when GitHub misbehaves', () => {
  const budgeted = (seconds: number) =>
    new Reviewer(
      createGitHubClient('ghs_test', {
        baseUrl: server.url,
        log: (m) => logs.push(m),
        budget: new ApiBudget(seconds * 1000),
      }),
      { owner: OWNER, repo: REPO, pullNumber: PR, headSha },
      (m) => logs.push(m),
    );

  it('gives up on a request that gets no answer once the budget is spent', async () => {
    server.faults.push({ operation: 'pulls/create-review', kind: 'hang', times: Infinity });
    const outcome = await budgeted(1).publish(report(findings()), diff, {
      mode: 'review',
      summaryKey: 'qemu-x86:.',
    });
    expect(outcome.failure).toMatch(/api-time-budget are spent/);
    expect(server.requestsOf('pulls/create-review')).toHaveLength(1);
    expect(server.issueComments).toEqual([]);
  });

  it('does not take a secondary limit that persists on writes for a read-only token', async () => {
    server.faults.push({
      operation: 'issues/create-comment',
      kind: 'status',
      status: 403,
      message: 'You have exceeded a secondary rate limit.',
      headers: { 'retry-after': '60' },
      times: Infinity,
    });
    const outcome = await budgeted(5).publish(report(findings()), diff, {
      mode: 'summary',
      summaryKey: 'qemu-x86:.',
    });
    expect(outcome.readOnly).toBe(false);
    expect(outcome.failure).toMatch(/secondary rate limit .* asks to wait 60 s, more than the \d s left/);
    expect(server.requestsOf('issues/create-comment')).toHaveLength(1);
  });

  it('after a review whose answer was lost, lists again instead of posting it twice', async () => {
    server.faults.push({ operation: 'pulls/create-review', kind: 'drop', after: true });
    const outcome = await publish();
    expect(outcome).toMatchObject({ inlineComments: 2, bodyFindings: 1, summaryComment: 'created' });
    expect(outcome.failure).toBeUndefined();
    expect(server.requestsOf('pulls/create-review')).toHaveLength(1);
    expect(server.reviews).toHaveLength(1);
    expect(logs.some((l) => l.includes('lost (no answer)'))).toBe(true);
  });

  it('counts the retries of each request on its own', async () => {
    // Two failures use up one read's retries; with a count shared between requests, the next
    // read would start with none left.
    server.faults.push({ operation: 'issues/list-labels-on-issue', kind: 'status', status: 502, times: 2 });
    expect(await reviewer().liveLabels()).toContain('cpu');
    server.faults.push({ operation: 'issues/list-labels-on-issue', kind: 'status', status: 503, times: 2 });
    expect(await reviewer().liveLabels()).toContain('cpu');
    expect(server.requestsOf('issues/list-labels-on-issue').map((q) => q.fault ?? 'answered')).toEqual([
      'status',
      'status',
      'answered',
      'status',
      'status',
      'answered',
    ]);
  });
});

describe('overlapping runs', () => {
  it('leave one summary comment between them', async () => {
    const outcomes = await Promise.all([publish(), publish()]);
    expect(server.issueComments).toHaveLength(1);
    // Both listed before either created: each created one, and the duplicate was deleted.
    expect(server.requestsOf('issues/create-comment')).toHaveLength(2);
    expect(outcomes.reduce((n, o) => n + o.deletedDuplicates, 0)).toBe(1);
    expect(outcomes.every((o) => o.failure === undefined)).toBe(true);
    // Each posted the review: a third run removes the second comment of every finding.
    const inline = server.reviewComments.length;
    expect(inline).toBeGreaterThan(0);
    expect(inline % 2).toBe(0);
    expect(server.reviews).toHaveLength(2);
    const [kept, repeated] = [...server.reviews].sort((a, b) => a.id - b.id);
    const keptBody = kept!.body;
    expect(repeated!.body).toBe(keptBody);
    const third = await publish();
    expect(third.deletedComments).toBe(inline / 2);
    const fingerprints = server.reviewComments.map((c) => /fingerprint=([^\s>]*)/.exec(c.body)?.[1]);
    expect(new Set(fingerprints).size).toBe(fingerprints.length);
    expect(server.reviewComments.every((c) => c.reviewId === kept!.id)).toBe(true);
    // The second review cannot be deleted: its body now points to the first, which stays as it was.
    expect(third.supersededReviews).toBe(1);
    expect(repeated!.body).toBe(
      `Superseded: an overlapping run posted the same findings in https://github.com/${OWNER}/${REPO}/pull/${PR}#pullrequestreview-${kept!.id}.`,
    );
    expect(fingerprintsIn(repeated!.body).size).toBe(0);
    expect(kept!.body).toBe(keptBody);
    expect(server.requestsOf('pulls/update-review').map((q) => q.pathname)).toEqual([
      `/repos/${OWNER}/${REPO}/pulls/${PR}/reviews/${repeated!.id}`,
    ]);
    expect(logs.filter((l) => l.includes('repeated an earlier one'))).toHaveLength(1);
    // A fourth finds everything in place.
    const writes = server.writes().length;
    const fourth = await publish();
    expect(server.writes()).toHaveLength(writes);
    expect(fourth).toMatchObject({
      supersededReviews: 0,
      deletedComments: 0,
      inlineComments: 0,
      bodyFindings: 0,
    });
  });

  /** The review the first run posted, posted again by a run that listed before it: same body, same comments. */
  const repeatReview = (extraBodyLines: string[] = []) => {
    const [first] = server.reviews;
    return server.addReview(PR, {
      body: [first!.body, ...extraBodyLines].join('\n'),
      comments: server.reviewComments
        .filter((c) => c.reviewId === first!.id)
        .map((c) => ({ path: c.path, line: c.line, side: c.side, body: c.body })),
    });
  };
  const extra = finding({
    fingerprint: 'released-name-removed/Opteron_G2',
    rule: 'released-name-removed',
    title: 'Opteron_G2 disappears',
    location: { path: CPU_C, line: 5, side: 'RIGHT' },
  });

  it('keep a later review that lists a finding the earlier one lacks', async () => {
    await publish();
    const firstBody = server.reviews[0]!.body;
    const later = repeatReview([`- Opteron_G2 disappears ${fingerprintMarker(extra.fingerprint)}`]);
    const laterBody = later.body;
    const outcome = await publish(report([...findings(), extra]));
    // Its inline comments repeat the first review's and go; its body says something the first does not.
    expect(outcome).toMatchObject({
      deletedComments: 2,
      supersededReviews: 0,
      inlineComments: 0,
      bodyFindings: 0,
    });
    expect(server.reviewComments.every((c) => c.reviewId === server.reviews[0]!.id)).toBe(true);
    expect(server.requestsOf('pulls/update-review')).toEqual([]);
    expect(server.reviews.map((r) => r.body)).toEqual([firstBody, laterBody]);
  });

  it('finish removing a repeated review that a stopped run began', async () => {
    await publish();
    const [kept] = server.reviews;
    const repeated = repeatReview();
    // The body is replaced first; GitHub then fails the deletion of the second comments.
    server.faults.push({ operation: 'pulls/delete-review-comment', kind: 'status', status: 502 });
    const stopped = await publish();
    expect(stopped).toMatchObject({ supersededReviews: 1, deletedComments: 0, failureStatus: 502 });
    expect(repeated.body).toMatch(/^Superseded: .*#pullrequestreview-\d+\.$/);
    expect(server.reviewComments.filter((c) => c.reviewId === repeated.id)).toHaveLength(2);
    // The next run knows the review by its comments' fingerprints, and only deletes them.
    const next = await publish();
    expect(next).toMatchObject({ supersededReviews: 0, deletedComments: 2 });
    expect(next.failure).toBeUndefined();
    expect(server.reviewComments.every((c) => c.reviewId === kept!.id)).toBe(true);
    expect(server.requestsOf('pulls/update-review')).toHaveLength(1);
    expect(repeated.body).toContain(`#pullrequestreview-${kept!.id}.`);
  });

  it('never rewrite a review of another user, even one that repeats the findings', async () => {
    await publish();
    const ownBody = server.reviews[0]!.body;
    // A person quotes the review twice; markers and all.
    const quoted = [1, 2].map(() => server.addReview(PR, { body: ownBody, user: HUMAN }));
    const outcome = await publish();
    expect(outcome).toMatchObject({ supersededReviews: 0, deletedComments: 0 });
    expect(server.requestsOf('pulls/update-review')).toEqual([]);
    expect(server.reviews.map((r) => r.body)).toEqual([ownBody, ownBody, ownBody]);
    expect(quoted.map((r) => r.user.login)).toEqual([HUMAN.login, HUMAN.login]);
  });
});
