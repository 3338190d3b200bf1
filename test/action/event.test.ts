import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { planRun, type RunContext } from '../../src/action/event.js';
import { UsageError } from '../../src/errors.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/github/events/${name}.json`, import.meta.url), 'utf8'));

const ctx = (
  eventName: string,
  payload: Record<string, unknown>,
  extra: Partial<RunContext> = {},
): RunContext => ({
  eventName,
  payload,
  sha: 'c'.repeat(40),
  ref: 'refs/heads/main',
  repository: 'Codertocat/Hello-World',
  ...extra,
});

describe('what each event compares', () => {
  it('a pull request compares the merge base of its base and head', () => {
    const payload = fixture('pull_request.opened');
    const pr = payload.pull_request as { head: { sha: string }; base: { sha: string } };
    const plan = planRun(ctx('pull_request', payload), {});
    expect(plan).toMatchObject({
      mode: 'check',
      baseline: 'merge-base',
      base: { sha: pr.base.sha },
      head: { sha: pr.head.sha },
      pullRequest: { number: 2, headSha: pr.head.sha, fromFork: false },
    });
  });

  it('pull_request_target reads the same payload and notices a fork head', () => {
    const payload = fixture('pull_request.synchronize');
    const plan = planRun(ctx('pull_request_target', payload, { repository: 'upstream/Hello-World' }), {});
    expect(plan.mode).toBe('check');
    expect(plan.pullRequest?.fromFork).toBe(true);
  });

  it('a merge group compares its base_sha with its head_sha', () => {
    const payload = fixture('merge_group.checks_requested');
    const group = payload.merge_group as { base_sha: string; head_sha: string };
    expect(planRun(ctx('merge_group', payload), {})).toMatchObject({
      mode: 'check',
      base: { sha: group.base_sha },
      head: { sha: group.head_sha },
    });
  });

  it('a push of a new ref has nothing before it and is audited', () => {
    const payload = fixture('push');
    expect(payload.before).toMatch(/^0{40}$/);
    expect(planRun(ctx('push', payload), {})).toMatchObject({ mode: 'audit', head: { sha: payload.after } });
  });

  it('a push to an existing branch compares before..after', () => {
    const payload = { ...fixture('push'), before: 'a'.repeat(40), after: 'b'.repeat(40) };
    expect(planRun(ctx('push', payload), {})).toMatchObject({
      mode: 'check',
      base: { sha: 'a'.repeat(40) },
      head: { sha: 'b'.repeat(40) },
    });
  });

  it('workflow_dispatch compares the two refs of its form, or audits head alone', () => {
    const payload = fixture('workflow_dispatch');
    expect(
      planRun(ctx('workflow_dispatch', { ...payload, inputs: { base: 'v7.1.0', head: 'v7.2.0' } }), {}),
    ).toMatchObject({
      mode: 'check',
      baseline: 'as-given',
      base: { ref: 'v7.1.0' },
      head: { ref: 'v7.2.0' },
    });
    expect(planRun(ctx('workflow_dispatch', { ...payload, inputs: { head: 'v7.2.0' } }), {})).toMatchObject({
      mode: 'audit',
      head: { ref: 'v7.2.0' },
    });
    expect(planRun(ctx('workflow_dispatch', payload), { head: 'stable-7.2' })).toMatchObject({
      mode: 'audit',
      head: { ref: 'stable-7.2' },
    });
  });

  it('a scheduled run audits the commit it started on', () => {
    expect(planRun(ctx('schedule', { schedule: '0 3 * * 1' }), {})).toMatchObject({
      mode: 'audit',
      head: { sha: 'c'.repeat(40) },
    });
  });

  it('refuses events it cannot plan, and payloads without what it needs', () => {
    expect(() => planRun(ctx('issues', {}), {})).toThrow(/issues event is not one cpu-model-guard knows/);
    expect(() => planRun(ctx('merge_group', { merge_group: {} }), {})).toThrow(UsageError);
    expect(planRun(ctx('issues', {}), { base: 'a', head: 'b' })).toMatchObject({
      mode: 'check',
      baseline: 'as-given',
    });
  });
});
