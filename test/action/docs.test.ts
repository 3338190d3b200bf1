import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};

/** The first cell of every row of the Markdown table under a heading. */
function tableKeys(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start === -1) return [];
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(/\n#{1,6} /);
  return [...(end === -1 ? rest : rest.slice(0, end)).matchAll(/^\|\s*`([^`]+)`\s*\|/gm)].map((m) => m[1]!);
}

// The README documents the action; it must describe action.yml exactly.
const docs = [path.join(ROOT, 'README.md')];

describe('action.yml and its documentation', () => {
  it('runs on node24 from the bundle', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it.each(docs.map((f) => [path.relative(ROOT, f), f]))(
    '%s documents every input and output, and nothing else',
    (_, file) => {
      const text = readFileSync(file, 'utf8');
      expect(tableKeys(text, '### Inputs').sort()).toEqual(Object.keys(action.inputs).sort());
      expect(tableKeys(text, '### Outputs').sort()).toEqual(Object.keys(action.outputs).sort());
    },
  );

  it('documents the defaults that action.yml sets', () => {
    const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const [name, input] of Object.entries(action.inputs)) {
      // Tables may be padded for alignment: compare rows with their cells trimmed.
      const rows = text.split('\n').map((l) =>
        l
          .split('|')
          .map((c) => c.trim())
          .join('|'),
      );
      if (input.default)
        expect(rows.some((r) => r.startsWith(`|\`${name}\`|\`${input.default}\`|`))).toBe(true);
    }
  });

  it('the workflows are valid YAML with minimal permissions and use the action', () => {
    const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // The README's YAML blocks that are workflows (the generic catalog example is not one).
    const workflows = [...text.matchAll(/```yaml\n([^]*?)```/g)]
      .map((m) => parse(m[1]!) as Record<string, unknown>)
      .filter((doc) => doc && 'jobs' in doc);
    expect(workflows.length).toBeGreaterThanOrEqual(3);
    for (const w of workflows) {
      const permissions = w.permissions as Record<string, string>;
      expect(permissions.contents).toBe('read');
      expect(Object.values(permissions).every((p) => p === 'read' || p === 'write')).toBe(true);
      expect(JSON.stringify(w.jobs)).toContain('cpu-model-guard/cpu-model-guard@v1');
      // Two runs on one pull request would each post: one at a time, the newer one winning.
      if (Object.keys(w.on as object).some((e) => e.startsWith('pull_request')))
        expect(w.concurrency).toEqual({
          group: expect.stringContaining('github.event.pull_request.number'),
          'cancel-in-progress': true,
        });
    }
    // The workflow that keeps the catalog cache: actions/cache saves the folder the action
    // writes, under a key that names the action's major version, as its `uses:` line does.
    type Step = { uses?: string; with?: Record<string, string> };
    const cached = workflows
      .flatMap((w) => Object.values(w.jobs as Record<string, { steps: Step[] }>))
      .map((job) => job.steps)
      .filter((steps) => steps.some((step) => step.uses?.startsWith('actions/cache@')));
    expect(cached.length).toBeGreaterThanOrEqual(1);
    for (const steps of cached) {
      const cache = steps.findIndex((step) => step.uses?.startsWith('actions/cache@'));
      const guard = steps.findIndex((step) => step.uses?.startsWith('cpu-model-guard/cpu-model-guard@'));
      expect(cache).toBeGreaterThanOrEqual(0);
      // Restored before the action runs, saved when the job ends.
      expect(guard).toBeGreaterThan(cache);
      const major = steps[guard]!.uses!.split('@')[1]!;
      expect(action.inputs['cache-dir']).toBeDefined();
      expect(steps[guard]!.with!['cache-dir']).toBe(steps[cache]!.with!.path);
      expect(steps[cache]!.with!.key).toMatch(
        new RegExp(`^cpu-model-guard-${major}-\\$\\{\\{ github\\.run_id \\}\\}$`),
      );
      expect(steps[cache]!.with!['restore-keys']).toBe(`cpu-model-guard-${major}-`);
    }
    const events = workflows.map((w) => Object.keys(w.on as object));
    expect(events).toEqual(
      expect.arrayContaining([
        expect.arrayContaining(['pull_request']),
        expect.arrayContaining(['merge_group']),
        expect.arrayContaining(['workflow_dispatch']),
        expect.arrayContaining(['pull_request_target']),
      ]),
    );
  });
});
