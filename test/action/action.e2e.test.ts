/**
 * Runs the built action (dist/index.js, bundled into a temporary folder) as the runner does:
 * INPUT_* variables, a real webhook payload, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, a
 * shallow clone of a real repository as the workspace, and a GitHub API on 127.0.0.1 whose
 * every request is checked against GitHub's OpenAPI description.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDiffMap } from '../../src/github/hunks.js';
import { fingerprintsIn, MAX_INLINE_COMMENTS } from '../../src/github/reviewer.js';
import type { Report } from '../../src/report/finding.js';
import { TempRepo } from '../support/git-repo.js';
import { addAvx512fToHaswell, repoWithQemuCatalog } from '../support/qemu-edits.js';
import { GitHubServer } from '../support/github-server/server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OWNER = 'octo-org';
const REPO = 'qemu';
const CPU_C = 'target/i386/cpu.c';
const KVM_CPU_C = 'target/i386/kvm/kvm-cpu.c';
const PC_C = 'hw/i386/pc.c';
const WAIVE = 'cpu-model-guard:waive-type-2';

let work: string;
let dist: string;
let upstream: TempRepo;
let branchPoint: string;
let mainTip: string;
const heads: Record<string, string> = {};
let server: GitHubServer;

const avx512f = (r: TempRepo) =>
  r.edit(
    CPU_C,
    '            CPUID_7_0_EBX_AVX2,\n',
    '            CPUID_7_0_EBX_AVX2 | CPUID_7_0_EBX_AVX512F,\n',
  );
const removeBeta = (r: TempRepo) => {
  const text = r.read(CPU_C);
  const start = text.indexOf('    {\n        .name = "Beta"');
  const end = text.indexOf('    },\n};', start) + '    },\n'.length;
  r.write(CPU_C, text.slice(0, start) + text.slice(end));
};
const kvmPvUnhalt = (r: TempRepo) => {
  r.edit(KVM_CPU_C, '    { "x2apic", "on" },\n', '    { "x2apic", "on" },\n    { "kvm-pv-unhalt", "on" },\n');
  r.edit(
    PC_C,
    '    { TYPE_X86_CPU, "x-vendor-cpuid-only", "off" },\n',
    '    { TYPE_X86_CPU, "x-vendor-cpuid-only", "off" },\n    { TYPE_X86_CPU, "kvm-pv-unhalt", "off" },\n',
  );
};

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'cmg-action-e2e-'));
  dist = path.join(work, 'dist');
  execFileSync(process.execPath, [path.join(ROOT, 'test/action/build-action.mjs'), dist], {
    cwd: ROOT,
    stdio: 'pipe',
  });

  upstream = new TempRepo('cmg-upstream-');
  const mini = path.join(ROOT, 'test/fixtures/qemu-mini');
  upstream.copyFrom(
    mini,
    execFileSync('git', ['ls-files'], { cwd: mini, encoding: 'utf8' }).split('\n').filter(Boolean),
  );
  branchPoint = upstream.commitAll('QEMU-format catalog, 9.2 in development');
  // main moves on after the pull requests branch off: a model added there is not the PRs' to
  // answer for, and would read as removed if the base tip were taken as the baseline.
  mainTip = upstream.branch('main', branchPoint, (r) =>
    r.edit(
      CPU_C,
      '    {\n        .name = "Beta"',
      '    {\n        .name = "Gamma",\n        .level = 0xd,\n        .vendor = CPUID_VENDOR_INTEL,\n        .family = 6,\n        .model = 61,\n        .stepping = 1,\n        .model_id = "Gamma Processor",\n    },\n    {\n        .name = "Beta"',
    ),
  );
  heads.clean = upstream.branch('clean', branchPoint, (r) =>
    r.edit(CPU_C, '#include "cpu.h"\n', '#include "cpu.h"\n/* Models are listed oldest first. */\n'),
  );
  heads.findings = upstream.branch('findings', branchPoint, (r) => {
    avx512f(r);
    removeBeta(r);
    kvmPvUnhalt(r);
  });
  heads.fixed = upstream.branch('fixed', heads.findings, (r) =>
    r.edit(CPU_C, 'CPUID_7_0_EBX_AVX2 | CPUID_7_0_EBX_AVX512F,\n', 'CPUID_7_0_EBX_AVX2,\n'),
  );
  heads.type2 = upstream.branch('type2', branchPoint, kvmPvUnhalt);
  // A new push above the offending lines: every line below moves down by three.
  heads.moved = upstream.branch('moved', heads.findings, (r) =>
    r.edit(CPU_C, '#include "cpu.h"\n', '#include "cpu.h"\n/*\n * Models are listed oldest first.\n */\n'),
  );
  // A repository with two catalogs named in its configuration: the QEMU tree and a generic one.
  heads.twoCatalogs = upstream.branch('two-catalogs', branchPoint, (r) => {
    r.write(
      'models/extra.yaml',
      readFileSync(path.join(ROOT, 'test/fixtures/generic/mini-catalog.yaml'), 'utf8'),
    );
    r.write(
      '.github/cpu-model-guard.yml',
      'catalogs:\n  - { format: qemu-x86, path: . }\n  - { format: catalog, path: "models/*.yaml" }\n',
    );
  });
  heads.twoCatalogsChanged = upstream.branch('two-catalogs-changed', heads.twoCatalogs, (r) => {
    avx512f(r);
    r.edit(
      'models/extra.yaml',
      '      avx2: true\n      mpx: true\n',
      '      avx2: true\n      mpx: true\n      avx512f: true\n',
    );
  });
  // 32 props added to the released Alpha-v2, each on its own line: 32 findings.
  heads.many = upstream.branch('many', branchPoint, (r) =>
    r.edit(
      CPU_C,
      '                    { "avx2", "off" },\n',
      '                    { "avx2", "off" },\n' +
        Array.from({ length: 32 }, (_, i) => `                    { "x-tuning-${i + 1}", "on" },\n`).join(''),
    ),
  );
  heads.broken = upstream.branch('broken', branchPoint, (r) =>
    r.edit(CPU_C, '" QEMU_HW_VERSION,\n    },\n};\n', '" QEMU_HW_VERSION,\n    },\n'),
  );
  upstream.git('checkout', '-q', 'main');
}, 180_000);

afterAll(() => {
  upstream?.remove();
  rmSync(work, { recursive: true, force: true });
});

beforeEach(async () => {
  server = await new GitHubServer({ owner: OWNER, repo: REPO, prefix: '/api/v3' }).start();
});
afterEach(async () => {
  expect(server.contractErrors()).toEqual([]);
  await server.stop();
});

/** What GitHub knows about a pull request from `main` to a branch. */
function openPullRequest(number: number, head: string, labels: string[] = []): void {
  const mergeBase = upstream.git('merge-base', mainTip, head).trim();
  const diff = parseDiffMap(
    upstream.git(
      '-c',
      'core.quotePath=false',
      'diff',
      '-M',
      '--src-prefix=a/',
      '--dst-prefix=b/',
      mergeBase,
      head,
    ),
  );
  server.pulls.set(number, {
    number,
    headSha: head,
    labels,
    commentable: (p, line, side) =>
      Boolean(
        diff.files.get(p) &&
        (side === 'RIGHT' ? diff.files.get(p)!.right : diff.files.get(p)!.left).has(line),
      ),
  });
  server.mergeBases.set(`${mainTip}...${head}`, mergeBase);
}

function pullRequestPayload(
  number: number,
  head: string,
  action = 'opened',
  fork = false,
): Record<string, unknown> {
  const payload = JSON.parse(
    readFileSync(path.join(ROOT, `test/fixtures/github/events/pull_request.${action}.json`), 'utf8'),
  );
  payload.number = number;
  payload.pull_request.number = number;
  payload.pull_request.head.sha = head;
  payload.pull_request.base.sha = mainTip;
  payload.pull_request.base.ref = 'main';
  // The payload's labels are those of when the run was queued: the action must not trust them.
  payload.pull_request.labels = [{ name: WAIVE }];
  payload.repository.full_name = `${OWNER}/${REPO}`;
  payload.repository.name = REPO;
  payload.repository.owner.login = OWNER;
  payload.pull_request.head.repo.full_name = fork ? `contributor/${REPO}` : `${OWNER}/${REPO}`;
  return payload;
}

interface RunResult {
  code: number;
  stdout: string;
  outputs: Record<string, string>;
  summary: string;
  workspace: string;
}

let runCount = 0;

/** A shallow clone at `checkoutSha`, as actions/checkout leaves it with its default fetch-depth: 1. */
function shallowClone(checkoutSha: string, from = upstream.dir): string {
  const dir = path.join(work, `workspace-${++runCount}`);
  execFileSync('git', ['init', '-q', dir]);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('remote', 'add', 'origin', `file://${from}`);
  git('fetch', '-q', '--no-tags', '--depth=1', 'origin', checkoutSha);
  git('checkout', '-q', '--detach', checkoutSha);
  return dir;
}

async function runAction(
  event: string,
  payload: Record<string, unknown>,
  inputs: Record<string, string>,
  checkoutSha: string,
  /** The repository the workspace is cloned from (the mini catalog's, unless a test has its own). */
  from?: string,
): Promise<RunResult> {
  const workspace = shallowClone(checkoutSha, from);
  const files = mkdtempSync(path.join(work, 'runner-'));
  const eventPath = path.join(files, 'event.json');
  const outputPath = path.join(files, 'output');
  const summaryPath = path.join(files, 'summary');
  writeFileSync(eventPath, JSON.stringify(payload));
  writeFileSync(outputPath, '');
  writeFileSync(summaryPath, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_WORKSPACE: workspace,
    GITHUB_SHA: checkoutSha,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_API_URL: server.url,
    GITHUB_SERVER_URL: 'https://github.example.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    RUNNER_TEMP: files,
    'INPUT_GITHUB-TOKEN': 'ghs_e2e_token',
    INPUT_COMMENT: 'review',
    'INPUT_WAIVE-LABEL': WAIVE,
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const child = spawn(process.execPath, [path.join(dist, 'index.js')], {
    cwd: workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
  const started = Date.now();
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  if (process.env.CMG_E2E_TIMING) console.log(`${event} run: ${Date.now() - started} ms\n${stdout}`);
  const outputs: Record<string, string> = {};
  const raw = readFileSync(outputPath, 'utf8');
  for (const m of raw.matchAll(/^([^\n<]+)<<(\S+)\n([^]*?)\n\2$/gm)) outputs[m[1]!] = m[3]!;
  return { code, stdout, outputs, summary: readFileSync(summaryPath, 'utf8'), workspace };
}

const annotations = (stdout: string) =>
  [...stdout.matchAll(/^::(error|warning|notice) ([^:]*)::(.*)$/gm)].map((m) => ({
    level: m[1],
    props: m[2]!,
    message: m[3]!,
  }));

describe('the action on pull requests', () => {
  it('passes a clean pull request: no review, a sticky summary, a success status', async () => {
    openPullRequest(1, heads.clean!);
    const r = await runAction(
      'pull_request',
      pullRequestPayload(1, heads.clean!),
      { 'status-context': 'cpu-models' },
      heads.clean!,
    );
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ result: 'pass', 'new-model-required': '0', 'type-2': '0' });
    expect(server.reviews).toEqual([]);
    expect(server.issueComments).toHaveLength(1);
    expect(server.statuses).toEqual([
      expect.objectContaining({ sha: heads.clean, state: 'success', context: 'cpu-models' }),
    ]);
    expect(r.summary).toContain('**PASS**');
    expect(r.summary).toMatch(/new-model-required \| 0 \| 0 \| 0 \|/);
    // The baseline is the merge base, not main's tip: Gamma, added on main since, is not "removed".
    expect(r.summary).not.toContain('Gamma');
    expect(r.stdout).toContain(`merge base ${branchPoint.slice(0, 12)}`);
    expect(
      execFileSync('git', ['rev-parse', '--is-shallow-repository'], {
        cwd: r.workspace,
        encoding: 'utf8',
      }).trim(),
    ).toBe('true');
  });

  it('reviews each class of finding on its exact lines, RIGHT and LEFT, and fails the step', async () => {
    openPullRequest(2, heads.findings!);
    const r = await runAction(
      'pull_request',
      pullRequestPayload(2, heads.findings!),
      { 'json-report': 'reports/cmg.json', 'sarif-report': 'reports/cmg.sarif' },
      heads.findings!,
    );
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({
      result: 'fail',
      'new-model-required': '2',
      'type-2': '1',
      waived: '0',
    });
    const avxLine =
      upstream
        .git('show', `${heads.findings}:${CPU_C}`)
        .split('\n')
        .findIndex((l) => l.includes('AVX512F')) + 1;
    const betaEnd =
      upstream
        .git('show', `${branchPoint}:${CPU_C}`)
        .split('\n')
        .findIndex((l, i, all) => l === '    },' && all.slice(0, i).some((x) => x.includes('"Beta"'))) + 1;
    const kvmLine =
      upstream
        .git('show', `${heads.findings}:${KVM_CPU_C}`)
        .split('\n')
        .findIndex((l) => l.includes('kvm-pv-unhalt')) + 1;
    expect(server.reviews).toHaveLength(1);
    const placed = server.reviewComments.map((c) => ({
      path: c.path,
      line: c.line,
      side: c.side,
      rule: /released-model-changed|released-name-removed|machine-type-host-requirement/.exec(c.body)?.[0],
    }));
    expect(placed).toEqual(
      expect.arrayContaining([
        { path: CPU_C, line: avxLine, side: 'RIGHT', rule: 'released-model-changed' },
        { path: CPU_C, line: betaEnd, side: 'LEFT', rule: 'released-name-removed' },
        { path: KVM_CPU_C, line: kvmLine, side: 'RIGHT', rule: 'machine-type-host-requirement' },
      ]),
    );
    expect(placed).toHaveLength(3);
    const review = server.requests.find((q) => q.operationId === 'pulls/create-review')!;
    expect(review.body).toMatchObject({ event: 'COMMENT', commit_id: heads.findings });
    expect(review.authorization).toBe('token ghs_e2e_token');

    const errors = annotations(r.stdout).filter((a) => a.level === 'error');
    expect(errors.map((a) => a.props)).toEqual(
      expect.arrayContaining([
        expect.stringContaining(`file=${CPU_C},line=${avxLine}`),
        expect.stringContaining(`file=${KVM_CPU_C},line=${kvmLine}`),
      ]),
    );
    // Worst first: the new-model-required findings before the type-2 one.
    expect(errors.findIndex((a) => a.props.includes(KVM_CPU_C))).toBe(errors.length - 1);

    const json = JSON.parse(readFileSync(r.outputs['json-report']!, 'utf8'));
    expect(json.counts).toMatchObject({ 'new-model-required': 2, 'type-2': 1 });
    const sarif = JSON.parse(readFileSync(r.outputs['sarif-report']!, 'utf8'));
    expect(sarif.version).toBe('2.1.0');
    expect(r.outputs['sarif-report']).toBe(path.join(r.workspace, 'reports/cmg.sarif'));
    expect(r.summary).toContain('released-model-changed');
    expect(server.issueComments).toHaveLength(1);

    // A re-run on the same head posts nothing new.
    const writes = server.writes().length;
    const again = await runAction(
      'pull_request',
      pullRequestPayload(2, heads.findings!),
      {},
      heads.findings!,
    );
    expect(again.code).toBe(1);
    expect(server.writes()).toHaveLength(writes);
    expect(server.reviews).toHaveLength(1);

    // The author fixes avx512f in a new push: that comment goes, the summary is updated in place.
    const avxComment = server.reviewComments.find((c) => c.body.includes('released-model-changed'))!;
    openPullRequest(2, heads.fixed!);
    const fixed = await runAction(
      'pull_request',
      pullRequestPayload(2, heads.fixed!, 'synchronize'),
      {},
      heads.fixed!,
    );
    expect(fixed.code).toBe(1);
    expect(fixed.outputs).toMatchObject({ 'new-model-required': '1', 'type-2': '1' });
    expect(server.reviewComments.find((c) => c.id === avxComment.id)).toBeUndefined();
    expect(server.reviewComments).toHaveLength(2);
    expect(server.issueComments).toHaveLength(1);
    expect(server.issueComments[0]!.body).not.toContain('avx512f');
    expect(server.reviews).toHaveLength(1);
  });

  it('posts the current comment again when a push moved its line and GitHub outdated the old one', async () => {
    openPullRequest(42, heads.findings!);
    const first = await runAction(
      'pull_request',
      pullRequestPayload(42, heads.findings!),
      {},
      heads.findings!,
    );
    expect(first.code).toBe(1);
    const before = server.reviewComments.map((c) => ({ path: c.path, line: c.line, side: c.side }));
    expect(before.filter((c) => c.path === CPU_C).length).toBeGreaterThan(0);

    openPullRequest(42, heads.moved!);
    server.outdateReviewComments(42, (c) => c.path === CPU_C);
    const moved = await runAction(
      'pull_request',
      pullRequestPayload(42, heads.moved!, 'synchronize'),
      {},
      heads.moved!,
    );
    expect(moved.code).toBe(1);
    expect(server.reviews).toHaveLength(2);
    expect(server.issueComments).toHaveLength(1);
    // One current comment per finding, added lines three further down (a removed line keeps
    // its line in the base); the outdated ones are gone.
    expect(server.reviewComments.some((c) => c.outdated)).toBe(false);
    const order = (a: { line: number }, b: { line: number }) => a.line - b.line;
    expect(
      server.reviewComments.map((c) => ({ path: c.path, line: c.line, side: c.side })).sort(order),
    ).toEqual(
      before
        .map((c) => ({ ...c, line: c.path === CPU_C && c.side === 'RIGHT' ? c.line + 3 : c.line }))
        .sort(order),
    );
  });

  it('puts at most 30 comments inline, moves one GitHub refuses (422) into the body with the rest', async () => {
    openPullRequest(20, heads.many!);
    const refusedLine =
      upstream
        .git('show', `${heads.many}:${CPU_C}`)
        .split('\n')
        .findIndex((l) => l.includes('"x-tuning-2"')) + 1;
    const inner = server.pulls.get(20)!.commentable;
    server.pulls.get(20)!.commentable = (p, line, side) =>
      !(p === CPU_C && line === refusedLine) && inner(p, line, side);
    const r = await runAction('pull_request', pullRequestPayload(20, heads.many!), {}, heads.many!);
    expect(r.code).toBe(1);
    expect(r.outputs['new-model-required']).toBe('32');
    expect(server.reviews).toHaveLength(1);
    expect(server.reviewComments).toHaveLength(MAX_INLINE_COMMENTS - 1);
    expect(server.reviewComments.some((c) => c.line === refusedLine)).toBe(false);
    const inBody = fingerprintsIn(server.reviews[0]!.body ?? '');
    expect(inBody.size).toBe(32 - (MAX_INLINE_COMMENTS - 1));
    expect(r.summary).toContain('refused');
    // Every finding is shown once: inline or in the body.
    const inline = new Set(server.reviewComments.flatMap((c) => [...fingerprintsIn(c.body)]));
    expect([...inline].filter((fp) => inBody.has(fp))).toEqual([]);
    expect(inline.size + inBody.size).toBe(32);
  });

  it('with the waive label set live, reports type-2 findings as waived and passes', async () => {
    openPullRequest(3, heads.type2!, [WAIVE]);
    const r = await runAction(
      'pull_request',
      pullRequestPayload(3, heads.type2!, 'labeled'),
      {},
      heads.type2!,
    );
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ result: 'pass', 'type-2': '1', waived: '1' });
    expect(server.requests.some((q) => q.operationId === 'issues/list-labels-on-issue')).toBe(true);
    expect(annotations(r.stdout).filter((a) => a.level === 'error')).toEqual([]);
    expect(
      annotations(r.stdout)
        .filter((a) => a.level === 'warning')
        .map((a) => a.props),
    ).toEqual([expect.stringContaining(KVM_CPU_C)]);
    expect(server.reviewComments[0]!.body).toContain('waived');
    expect(server.issueComments[0]!.body).toContain(WAIVE);
  });

  it('without the label on the live pull request, the stale payload label does not waive', async () => {
    openPullRequest(4, heads.type2!, []);
    const r = await runAction(
      'pull_request',
      pullRequestPayload(4, heads.type2!, 'labeled'),
      {},
      heads.type2!,
    );
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ result: 'fail', waived: '0' });
  });

  it('on a fork with a read-only token, falls back to annotations and the job summary', async () => {
    openPullRequest(5, heads.findings!);
    server.readOnly = true;
    const r = await runAction(
      'pull_request',
      pullRequestPayload(5, heads.findings!, 'opened', true),
      { 'status-context': 'cpu-models' },
      heads.findings!,
    );
    expect(r.code).toBe(1);
    expect(server.writes()).toEqual([]);
    expect(r.stdout.split('\n').filter((l) => l.includes('answered 403'))).toHaveLength(1);
    expect(annotations(r.stdout).filter((a) => a.level === 'error')).toHaveLength(3);
    expect(r.summary).toContain('could not write to the pull request');
  });

  it('finds the merge base by deepening history when the API does not report it', async () => {
    openPullRequest(6, heads.clean!);
    server.mergeBases.clear();
    const r = await runAction('pull_request', pullRequestPayload(6, heads.clean!), {}, heads.clean!);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('after deepening history');
    expect(r.stdout).toContain(`merge base ${branchPoint.slice(0, 12)}`);
  });

  it('fails with a clear message when the baseline cannot be fetched', async () => {
    openPullRequest(7, heads.clean!);
    const payload = pullRequestPayload(7, heads.clean!);
    (payload.pull_request as { base: { sha: string } }).base.sha = 'f'.repeat(40);
    const r = await runAction('pull_request', payload, {}, heads.clean!);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/::error::.*cannot fetch the base f{40} from origin/);
    expect(server.writes()).toEqual([]);
  });
});

describe('the action on other events and inputs', () => {
  it('audits one snapshot on workflow_dispatch with head only, and compares two refs with base and head', async () => {
    const dispatch = JSON.parse(
      readFileSync(path.join(ROOT, 'test/fixtures/github/events/workflow_dispatch.json'), 'utf8'),
    );
    const audit = await runAction(
      'workflow_dispatch',
      { ...dispatch, inputs: { head: 'type2' } },
      {},
      mainTip,
    );
    expect(audit.stdout).toContain('dispatch: audit of type2');
    // An audit judges the whole snapshot, history included: the new KVM default is among its findings.
    expect(Number(audit.outputs['type-2'])).toBeGreaterThanOrEqual(1);
    expect(audit.summary).toContain('kvm-pv-unhalt');
    expect(audit.code).toBe(1);

    const compare = await runAction(
      'workflow_dispatch',
      { ...dispatch, inputs: {} },
      { base: 'clean', head: 'findings' },
      mainTip,
    );
    expect(compare.code).toBe(1);
    expect(compare.outputs).toMatchObject({ 'new-model-required': '2', 'type-2': '1' });
    // No pull request: nothing is posted.
    expect(server.writes()).toEqual([]);
  });

  it('keeps catalogs in cache-dir: a later run reads them back and reports the same', async () => {
    const dispatch = JSON.parse(
      readFileSync(path.join(ROOT, 'test/fixtures/github/events/workflow_dispatch.json'), 'utf8'),
    );
    const compare = (inputs: Record<string, string>) =>
      runAction(
        'workflow_dispatch',
        { ...dispatch, inputs: {} },
        { base: 'clean', head: 'findings', ...inputs },
        mainTip,
      );
    const cacheDir = path.join(work, 'catalog-cache');
    const uncached = await compare({});
    const cold = await compare({ 'cache-dir': cacheDir });
    const entries = readdirSync(cacheDir, { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.entry'),
    );
    expect(entries.length).toBeGreaterThanOrEqual(2);
    const warm = await compare({ 'cache-dir': cacheDir });
    for (const r of [cold, warm]) {
      expect(r.code).toBe(uncached.code);
      expect(r.outputs).toEqual(uncached.outputs);
      expect(r.summary).toBe(uncached.summary);
    }
    expect(uncached.outputs).toMatchObject({ 'new-model-required': '2', 'type-2': '1' });
  });

  it('verifies two QEMU binaries beside the audit, narrowed by verify-machines and verify-models', async () => {
    const dispatch = JSON.parse(
      readFileSync(path.join(ROOT, 'test/fixtures/github/events/workflow_dispatch.json'), 'utf8'),
    );
    // A package bump's new binary, as a platform would pass it: here one that gives Haswell AVX-512F.
    const bumped = path.join(work, 'qemu-avx512f');
    writeFileSync(bumped, '#!/bin/sh\nexec qemu-system-x86_64 "$@" -global Haswell-x86_64-cpu.avx512f=on\n', {
      mode: 0o755,
    });
    const verifyInputs = {
      'base-binary': 'qemu-system-x86_64',
      'verify-machines': 'pc-q35-7.2',
      'verify-models': 'Haswell, Haswell-v4',
    };
    const event = { ...dispatch, inputs: { head: 'clean' } };
    const same = await runAction(
      'workflow_dispatch',
      event,
      { ...verifyInputs, 'head-binary': 'qemu-system-x86_64' },
      mainTip,
    );
    const changed = await runAction(
      'workflow_dispatch',
      event,
      { ...verifyInputs, 'head-binary': bumped },
      mainTip,
    );
    expect(same.stdout).toContain('Verifying qemu-system-x86_64 against qemu-system-x86_64');
    // The expansion and the XSAVE leaf the guest reads: two findings, on Haswell alone.
    expect(Number(changed.outputs['new-model-required'])).toBe(
      Number(same.outputs['new-model-required']) + 2,
    );
    expect(changed.outputs.result).toBe('fail');
    expect(changed.code).toBe(1);
    expect(changed.summary).toContain('avx512f');
    expect(changed.summary).toContain('Haswell');
    expect(server.writes()).toEqual([]);
  });

  it('joins a comparison of two refs with two QEMU binaries: the static finding is confirmed where they show it', async () => {
    const dispatch = JSON.parse(
      readFileSync(path.join(ROOT, 'test/fixtures/github/events/workflow_dispatch.json'), 'utf8'),
    );
    // QEMU 7.2's own catalog, so that the binaries' machine types are the catalog's.
    const real = await repoWithQemuCatalog();
    try {
      const base = real.commitAll('QEMU 7.2 catalog');
      real.git('branch', 'qemu-7.2', base);
      real.branch('avx512f', base, (r) => addAvx512fToHaswell(r, CPU_C));
      const bumped = path.join(work, 'qemu-avx512f-join');
      writeFileSync(
        bumped,
        '#!/bin/sh\nexec qemu-system-x86_64 "$@" -global Haswell-x86_64-cpu.avx512f=on\n',
        {
          mode: 0o755,
        },
      );
      const r = await runAction(
        'workflow_dispatch',
        { ...dispatch, inputs: {} },
        {
          base: 'qemu-7.2',
          head: 'avx512f',
          'base-binary': 'qemu-system-x86_64',
          'head-binary': bumped,
          'verify-machines': 'pc-q35-7.2',
          'verify-models': 'Haswell, Haswell-v4',
          'json-report': 'reports/cmg.json',
        },
        base,
        real.dir,
      );
      expect(r.code).toBe(1);
      expect(r.outputs.result).toBe('fail');
      // One catalog: one report (not a list).
      const report = JSON.parse(readFileSync(r.outputs['json-report']!, 'utf8')) as Report;
      expect(report.mode).toBe('check');
      const changed = report.findings.filter((f) => f.rule === 'released-model-changed');
      expect(changed).toHaveLength(1);
      expect(changed[0]).toMatchObject({
        property: 'avx512f',
        confirmedBy: 'binaries',
        confirmedOn: { models: ['Haswell'], machineTypes: ['pc-q35-7.2'] },
      });
      // Everything the binaries measure is explained by the catalog change.
      expect(report.findings.filter((f) => f.rule === 'measured-unexplained')).toEqual([]);
      expect(r.summary).toContain('avx512f');
      expect(server.writes()).toEqual([]);
    } finally {
      real.remove();
    }
  });

  it('checks every catalog the configuration lists, with one report each and outputs over all', async () => {
    const dispatch = JSON.parse(
      readFileSync(path.join(ROOT, 'test/fixtures/github/events/workflow_dispatch.json'), 'utf8'),
    );
    const r = await runAction(
      'workflow_dispatch',
      { ...dispatch, inputs: {} },
      {
        base: 'two-catalogs',
        head: 'two-catalogs-changed',
        'json-report': 'reports/cmg.json',
        'sarif-report': 'reports/cmg.sarif',
      },
      mainTip,
    );
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ result: 'fail', 'new-model-required': '2' });
    const reports = JSON.parse(readFileSync(r.outputs['json-report']!, 'utf8')) as {
      catalog: { format: string; path: string };
    }[];
    expect(reports.map((x) => `${x.catalog.format}:${x.catalog.path}`)).toEqual([
      'qemu-x86:.',
      'catalog:models/extra.yaml',
    ]);
    expect(JSON.parse(readFileSync(r.outputs['sarif-report']!, 'utf8')).runs).toHaveLength(2);
    expect(r.summary).toContain('`models/extra.yaml`');
    const errors = annotations(r.stdout).filter((a) => a.level === 'error');
    expect(errors.map((a) => a.props)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('file=target/i386/cpu.c'),
        expect.stringContaining('file=models/extra.yaml'),
      ]),
    );
  });

  it('checks a push from before to after and sets the commit status on after', async () => {
    const push = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/github/events/push.json'), 'utf8'));
    const r = await runAction(
      'push',
      { ...push, ref: 'refs/heads/type2', before: branchPoint, after: heads.type2 },
      { 'status-context': 'cpu-models' },
      heads.type2!,
    );
    expect(r.stdout).toContain(`push ${branchPoint.slice(0, 12)}..${heads.type2!.slice(0, 12)}`);
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ result: 'fail', 'type-2': '1', 'new-model-required': '0' });
    expect(server.statuses).toEqual([
      expect.objectContaining({ sha: heads.type2, state: 'failure', context: 'cpu-models' }),
    ]);
    expect(server.statuses[0]!.targetUrl).toBe(
      `https://github.example.com/${OWNER}/${REPO}/actions/runs/4242`,
    );
  });

  it('checks a merge group against its base, and a scheduled run audits the commit it starts on', async () => {
    const group = JSON.parse(
      readFileSync(path.join(ROOT, 'test/fixtures/github/events/merge_group.checks_requested.json'), 'utf8'),
    );
    group.merge_group.base_sha = branchPoint;
    group.merge_group.head_sha = heads.clean;
    const merged = await runAction('merge_group', group, {}, heads.clean!);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain(`merge queue group ${heads.clean!.slice(0, 12)}`);

    const scheduled = await runAction('schedule', { schedule: '17 4 * * 1' }, {}, heads.type2!);
    expect(scheduled.stdout).toContain('scheduled audit');
    expect(scheduled.summary).toContain('kvm-pv-unhalt');
    expect(server.writes()).toEqual([]);
  });

  it('fails the step with the file and line when a catalog cannot be read, never a silent pass', async () => {
    openPullRequest(9, heads.broken!);
    const broken = await runAction('pull_request', pullRequestPayload(9, heads.broken!), {}, heads.broken!);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(/::error::target\/i386\/cpu\.c:\d+: expected ',' or '\}'/);
    expect(broken.outputs.result).toBeUndefined();

    openPullRequest(10, heads.clean!);
    const missing = await runAction(
      'pull_request',
      pullRequestPayload(10, heads.clean!),
      { catalog: 'qemu-x86:nowhere' },
      heads.clean!,
    );
    expect(missing.code).toBe(2);
    expect(missing.stdout).toMatch(/::error::.*not a QEMU x86 catalog/);
    expect(server.writes()).toEqual([]);
  });

  it('rejects an invalid input with a message naming it, before touching anything', async () => {
    const r = await runAction(
      'pull_request',
      pullRequestPayload(8, heads.clean!),
      { 'fail-on': 'sometimes' },
      heads.clean!,
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/::error::input fail-on is "sometimes"/);
    expect(server.requests).toEqual([]);
    expect(existsSync(path.join(r.workspace, 'reports'))).toBe(false);
  });
});

describe('the action when GitHub misbehaves', () => {
  const createReview = 'pulls/create-review';
  const createComment = 'issues/create-comment';
  const logLines = (r: RunResult, pattern: RegExp) => r.stdout.split('\n').filter((l) => pattern.test(l));

  /** The findings of heads.findings, written where GitHub is not needed: outputs, annotations, job summary. */
  function expectFindingsShown(r: RunResult): void {
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ result: 'fail', 'new-model-required': '2', 'type-2': '1' });
    expect(annotations(r.stdout).filter((a) => a.level === 'error')).toHaveLength(3);
    expect(r.summary).toContain('released-model-changed');
    expect(r.stdout).not.toContain('failed unexpectedly');
  }

  it('writes outputs, annotations and the job summary after a 401, and after a 404 on the pull request', async () => {
    openPullRequest(30, heads.findings!);
    server.faults.push({
      operation: '*',
      kind: 'status',
      status: 401,
      message: 'Bad credentials',
      times: Infinity,
    });
    const unauthorized = await runAction(
      'pull_request',
      pullRequestPayload(30, heads.findings!),
      { 'status-context': 'cpu-models' },
      heads.findings!,
    );
    expectFindingsShown(unauthorized);
    expect(logLines(unauthorized, /answered 401.*github-token/)).toHaveLength(1);
    expect(unauthorized.summary).toContain('GitHub could not be used');
    // Nothing more is asked once the token is refused: no review, comment or status request.
    expect(server.requests.filter((q) => q.method !== 'GET').map((q) => q.operationId)).toEqual([]);

    server.faults.length = 0;
    openPullRequest(31, heads.findings!);
    server.pulls.delete(31);
    const notFound = await runAction(
      'pull_request',
      pullRequestPayload(31, heads.findings!),
      { 'status-context': 'cpu-models' },
      heads.findings!,
    );
    expectFindingsShown(notFound);
    expect(logLines(notFound, /answered 404.*pull request #31/)).toHaveLength(1);
    expect(server.reviews).toEqual([]);
    expect(server.issueComments).toEqual([]);
    // The commit is there even if the pull request is not: the status is set.
    expect(server.statuses).toEqual([expect.objectContaining({ sha: heads.findings, state: 'failure' })]);
  });

  it('stops publishing on a 5xx that outlasts the retries and on an unreadable answer, without duplicates', async () => {
    openPullRequest(32, heads.findings!);
    server.faults.push({ operation: createReview, kind: 'status', status: 502, times: Infinity });
    const failing = await runAction(
      'pull_request',
      pullRequestPayload(32, heads.findings!),
      {},
      heads.findings!,
    );
    expectFindingsShown(failing);
    // Tried once, listed again, tried once more: never a blind retry.
    expect(server.requestsOf(createReview)).toHaveLength(2);
    expect(logLines(failing, /answered 502 to POST .*\/reviews, also when tried again/)).toHaveLength(1);
    expect(server.reviews).toEqual([]);
    expect(server.issueComments).toEqual([]);
    expect(failing.summary).toContain('GitHub could not be used');

    server.faults.length = 0;
    server.requests.length = 0;
    openPullRequest(33, heads.findings!);
    server.faults.push(
      { operation: 'pulls/list-review-comments', kind: 'truncate' },
      { operation: 'issues/list-comments', kind: 'html', times: Infinity },
    );
    const unreadable = await runAction(
      'pull_request',
      pullRequestPayload(33, heads.findings!),
      { 'api-time-budget': '2' },
      heads.findings!,
    );
    expectFindingsShown(unreadable);
    // The truncated list was read again; the review went out once.
    expect(server.requestsOf('pulls/list-review-comments').length).toBeGreaterThanOrEqual(2);
    expect(server.reviews).toHaveLength(1);
    expect(server.reviewComments).toHaveLength(3);
    // The HTML page is read at most three times (two retries, each wait inside the budget).
    const htmlReads = server.requestsOf('issues/list-comments').length;
    expect(htmlReads).toBeGreaterThanOrEqual(1);
    expect(htmlReads).toBeLessThanOrEqual(3);
    expect(logLines(unreadable, /answer to GET .*\/comments \(status 200\) is not JSON/)).toHaveLength(1);
    expect(server.issueComments).toEqual([]);
  });

  it('stops on valid JSON of another shape with one log line, and never posts twice after one', async () => {
    openPullRequest(40, heads.findings!);
    server.faults.push({
      operation: 'pulls/list-reviews',
      kind: 'shape',
      after: true,
      body: { message: 'ok' },
      times: Infinity,
    });
    const list = await runAction(
      'pull_request',
      pullRequestPayload(40, heads.findings!),
      {},
      heads.findings!,
    );
    expectFindingsShown(list);
    expect(
      logLines(list, /answer to GET .*\/reviews \(status 200\) is not the answer GitHub sends: .*not a list/),
    ).toHaveLength(1);
    expect(server.reviews).toEqual([]);
    expect(list.summary).toContain('GitHub could not be used');

    server.faults.length = 0;
    openPullRequest(41, heads.findings!);
    // The comment is created, but the answer has no id: unclear, so the list is read again.
    server.faults.push({ operation: createComment, kind: 'shape', after: true, body: { body: 5 } });
    const created = await runAction(
      'pull_request',
      pullRequestPayload(41, heads.findings!),
      {},
      heads.findings!,
    );
    expectFindingsShown(created);
    expect(server.requestsOf(createComment)).toHaveLength(1);
    expect(server.issueComments.filter((c) => c.issueNumber === 41)).toHaveLength(1);
    expect(server.reviews.filter((r) => r.pullNumber === 41)).toHaveLength(1);
    expect(created.summary).not.toContain('GitHub could not be used');
  });

  it('does not post twice when the answer to a created review or comment is lost, and removes duplicates', async () => {
    openPullRequest(34, heads.findings!);
    server.faults.push(
      { operation: createReview, kind: 'status', status: 502, after: true },
      { operation: createComment, kind: 'drop', after: true },
    );
    const lost = await runAction(
      'pull_request',
      pullRequestPayload(34, heads.findings!),
      {},
      heads.findings!,
    );
    expectFindingsShown(lost);
    expect(server.requestsOf(createReview)).toHaveLength(1);
    expect(server.requestsOf(createComment)).toHaveLength(1);
    expect(server.reviews).toHaveLength(1);
    expect(server.reviewComments).toHaveLength(3);
    expect(server.issueComments).toHaveLength(1);
    expect(logLines(lost, /listing .* again before posting/)).toHaveLength(2);
    expect(lost.summary).not.toContain('GitHub could not be used');

    // An overlapping run created the summary comment a second time: the next run deletes it.
    const duplicate = server.addIssueComment(34, server.issueComments[0]!.body);
    const again = await runAction(
      'pull_request',
      pullRequestPayload(34, heads.findings!),
      {},
      heads.findings!,
    );
    expect(again.code).toBe(1);
    expect(server.issueComments).toHaveLength(1);
    expect(server.issueComments[0]!.id).not.toBe(duplicate.id);
    expect(server.reviews).toHaveLength(1);
  });

  it('gives up on a server that never answers within the budget', async () => {
    openPullRequest(35, heads.findings!);
    server.faults.push({ operation: createReview, kind: 'hang', times: Infinity });
    const r = await runAction(
      'pull_request',
      pullRequestPayload(35, heads.findings!),
      { 'api-time-budget': '2', 'status-context': 'cpu-models' },
      heads.findings!,
    );
    expectFindingsShown(r);
    // One review request waited out its timeout; the budget was then spent, so nothing else was sent.
    expect(server.requestsOf(createReview)).toHaveLength(1);
    expect(server.requestsOf(createComment)).toHaveLength(0);
    expect(server.statuses).toEqual([]);
    expect(logLines(r, /api-time-budget/).length).toBeGreaterThanOrEqual(1);
    expect(r.summary).toContain('GitHub could not be used');
  });

  it('waits out a retry-after (403 without "secondary", and 429) and deletes its own leftover pending review', async () => {
    openPullRequest(36, heads.findings!);
    const leftover = server.leavePendingReview(36);
    server.faults.push(
      {
        operation: createReview,
        kind: 'status',
        status: 403,
        message: 'You have exceeded a rate limit. Please wait.',
        headers: { 'retry-after': '1' },
      },
      { operation: createComment, kind: 'status', status: 429, headers: { 'retry-after': '1' } },
    );
    const r = await runAction('pull_request', pullRequestPayload(36, heads.findings!), {}, heads.findings!);
    expectFindingsShown(r);
    expect(server.reviews.map((x) => x.state)).toEqual(['COMMENTED']);
    expect(server.reviews.some((x) => x.id === leftover.id)).toBe(false);
    expect(server.reviewComments).toHaveLength(3);
    expect(server.issueComments).toHaveLength(1);
    expect(r.stdout).toContain('Deleted 1 pending review');
    const [limited, retried] = server.requestsOf(createComment);
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(900);
    // Rate-limited (403), refused for the leftover pending review (422), then posted.
    const reviewPosts = server.requestsOf(createReview).filter((q) => (q.body as { event?: string }).event);
    expect(reviewPosts.map((q) => q.status)).toEqual([403, 422, 200]);
    expect(reviewPosts[1]!.at - reviewPosts[0]!.at).toBeGreaterThanOrEqual(900);
  });

  it('does not sleep an hour for a primary rate limit: it falls back and says why', async () => {
    openPullRequest(37, heads.findings!);
    server.faults.push({
      operation: createReview,
      kind: 'status',
      status: 403,
      message: 'API rate limit exceeded for installation ID 1.',
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      },
      times: Infinity,
    });
    const r = await runAction('pull_request', pullRequestPayload(37, heads.findings!), {}, heads.findings!);
    expectFindingsShown(r);
    expect(server.requestsOf(createReview)).toHaveLength(1);
    expect(
      logLines(r, /rate limit on POST .*asks to wait 3\d{3} s, more than the \d+ s left of api-time-budget/),
    ).toHaveLength(1);
    expect(r.stdout).not.toContain('read-only');
    expect(r.summary).toContain('GitHub could not be used');
    expect(server.reviews).toEqual([]);
  });
});
