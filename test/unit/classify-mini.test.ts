/**
 * Classification on the miniature tree, in a real git repository: cases whose fix is
 * mechanical, with the exact lines to add.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkRevisions } from '../../src/source/revisions.js';
import { TempRepo } from '../support/git-repo.js';

const mini = fileURLToPath(new URL('../fixtures/qemu-mini', import.meta.url));
let repo: TempRepo;
let base: string;

beforeAll(() => {
  repo = new TempRepo();
  repo.copyFrom(
    mini,
    execFileSync('git', ['ls-files'], { cwd: mini, encoding: 'utf8' }).split('\n').filter(Boolean),
  );
  base = repo.commitAll('miniature catalog, 9.2 in development');
});
afterAll(() => repo?.remove());

test('a default every CPU shares, changed for released machine types: add the compat entry to the newest released array', async () => {
  const head = repo.branch('pmu-default', base, (r) =>
    r.edit(
      'target/i386/cpu.c',
      'DEFINE_PROP_BOOL("pmu", X86CPU, enable_pmu, false),',
      'DEFINE_PROP_BOOL("pmu", X86CPU, enable_pmu, true),',
    ),
  );
  const report = await checkRevisions({
    repoDir: repo.dir,
    base,
    head,
    catalog: { format: 'qemu-x86', path: '.' },
    failOn: 'type-2',
  });
  expect(report.findings).toHaveLength(1);
  const f = report.findings[0]!;
  expect(f).toMatchObject({ rule: 'released-model-changed', property: 'pmu', before: false, after: true });
  expect(f.machineTypes.sort()).toEqual(['pc-i440fx-9.1', 'pc-q35-9.0', 'pc-q35-9.1']);
  expect(f.fix).toBe(
    'keep the old value for released machine types: add { TYPE_X86_CPU, "pmu", "off" }, to pc_compat_9_1',
  );
  expect(f.fixLines).toEqual({
    path: 'hw/i386/pc.c',
    afterLine: repo.lineOf('hw/i386/pc.c', 'GlobalProperty pc_compat_9_1[] = {'),
    text: '    { TYPE_X86_CPU, "pmu", "off" },',
  });
  expect(f.location).toEqual({
    path: 'target/i386/cpu.c',
    line: repo.lineOf('target/i386/cpu.c', '"pmu"'),
    side: 'RIGHT',
  });
});

test('the same change with that compat entry is confined to the unreleased machine types', async () => {
  const head = repo.branch('pmu-default-confined', base, (r) => {
    r.edit(
      'target/i386/cpu.c',
      'DEFINE_PROP_BOOL("pmu", X86CPU, enable_pmu, false),',
      'DEFINE_PROP_BOOL("pmu", X86CPU, enable_pmu, true),',
    );
    r.edit(
      'hw/i386/pc.c',
      'GlobalProperty pc_compat_9_1[] = {\n',
      'GlobalProperty pc_compat_9_1[] = {\n    { TYPE_X86_CPU, "pmu", "off" },\n',
    );
  });
  const report = await checkRevisions({
    repoDir: repo.dir,
    base,
    head,
    catalog: { format: 'qemu-x86', path: '.' },
    failOn: 'type-2',
  });
  expect(report.result).toBe('pass');
  expect(report.findings.map((f) => [f.rule, f.class])).toEqual([['compat-confined-change', 'safe']]);
  expect(report.findings[0]!.machineTypes.sort()).toEqual(['pc-i440fx-9.2', 'pc-q35-9.2']);
});
