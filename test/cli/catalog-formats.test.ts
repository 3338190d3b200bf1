/**
 * The other catalog formats through the CLI, end to end: the generic catalog and libvirt's
 * real cpu_map, each in a real git repository, checked by the built dist/cli.js.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Finding, Report } from '../../src/report/finding.js';
import { debianSource } from '../support/debian-source.js';
import { TempRepo } from '../support/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, process.env['CMG_CLI'] ?? 'dist/cli.js');

function check(
  repo: TempRepo,
  base: string,
  head: string,
  catalog: string,
): { code: number | null; report: Report; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'check',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      head,
      '--catalog',
      catalog,
      '--format',
      'json',
    ],
    { encoding: 'utf8' },
  );
  return {
    code: r.status,
    report: (r.stdout ? JSON.parse(r.stdout) : undefined) as Report,
    stderr: r.stderr,
  };
}

describe('generic catalog', () => {
  let repo: TempRepo;
  let base: string;
  const file = 'catalog/cpu-models.yaml';

  beforeAll(() => {
    repo = new TempRepo();
    repo.write(file, readFileSync(path.join(root, 'test/fixtures/generic/mini-catalog.yaml'), 'utf8'));
    base = repo.commitAll('catalog');
  });
  afterAll(() => repo?.remove());

  test('a feature added to a released model needs a new version', () => {
    const head = repo.branch('avx512f', base, (r) =>
      r.edit(
        file,
        '      avx2: true\n      mpx: true\n',
        '      avx2: true\n      mpx: true\n      avx512f: true\n',
      ),
    );
    const { code, report } = check(repo, base, head, `catalog:${file}`);
    expect(code).toBe(1);
    const f = report.findings.find((x: Finding) => x.rule === 'released-model-changed')!;
    expect(f).toMatchObject({
      class: 'new-model-required',
      property: 'avx512f',
      location: { path: file, line: repo.lineOf(file, 'avx512f: true'), side: 'RIGHT' },
    });
    expect(f.models).toEqual(
      expect.arrayContaining(['Skylake-Client', 'Skylake-Client-v1', 'Skylake-Client-IBRS']),
    );
    expect(f.machineTypes).toEqual(['pc-q35-3.1']);
  });

  test('a feature kept off on the released machine type by a compat entry is a type-2 change', () => {
    const head = repo.branch('type-2', base, (r) => {
      r.edit(file, '      rdtscp: true\n', '      rdtscp: true\n      pku: true\n');
      r.edit(
        file,
        "    - { target: '*', property: legacy-cache, value: true }\n",
        "    - { target: '*', property: legacy-cache, value: true }\n    - { target: '*', property: pku, value: 'off' }\n",
      );
    });
    const { code, report } = check(repo, base, head, `catalog:${file}`);
    expect(code).toBe(1);
    expect(report.findings.map((x: Finding) => [x.rule, x.class])).toEqual([
      ['machine-type-host-requirement', 'type-2'],
    ]);
    expect(report.findings[0]).toMatchObject({
      property: 'pku',
      models: ['Opteron_G3', 'Opteron_G3-v1'],
      machineTypes: ['pc-q35-4.0'],
    });
  });

  test('an invalid catalog in head is an input error with line and column', () => {
    const head = repo.branch('invalid', base, (r) =>
      r.edit(
        file,
        "    family: pc-q35\n    version: '4.0'",
        '    family: pc-q35\n    version: 4.0\n    colour: blue',
      ),
    );
    const { code, stderr } = check(repo, base, head, `catalog:${file}`);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`${file}:\\d+:\\d+`));
    expect(stderr).toMatch(/colour/);
  });
});

describe("libvirt's real cpu_map", () => {
  let repo: TempRepo;
  let base: string;
  const haswell = 'src/cpu_map/x86_Haswell.xml';

  beforeAll(async () => {
    const libvirt = await debianSource('libvirt', 'trixie');
    repo = new TempRepo();
    cpSync(path.join(libvirt, 'src/cpu_map'), path.join(repo.dir, 'src/cpu_map'), { recursive: true });
    base = repo.commitAll("libvirt's cpu_map");
  });
  afterAll(() => repo?.remove());

  test("a feature added without added='yes' changes a released model; with it, it is safe", () => {
    const bad = repo.branch('unmarked', base, (r) =>
      r.edit(
        haswell,
        "    <feature name='fma'/>\n",
        "    <feature name='fma'/>\n    <feature name='avx512f'/>\n",
      ),
    );
    const { code, report } = check(repo, base, bad, 'libvirt-cpu-map:src/cpu_map');
    expect(code).toBe(1);
    const f = report.findings.find((x: Finding) => x.rule === 'libvirt-model-changed')!;
    expect(f.class).toBe('new-model-required');
    expect(f.location).toEqual({
      path: haswell,
      line: repo.lineOf(haswell, "<feature name='avx512f'/>"),
      side: 'RIGHT',
    });
    expect(f.models).toContain('Haswell');

    const good = repo.branch('marked', base, (r) =>
      r.edit(
        haswell,
        "    <feature name='fma'/>\n",
        "    <feature name='fma'/>\n    <feature name='avx512f' added='yes'/>\n",
      ),
    );
    const ok = check(repo, base, good, 'libvirt-cpu-map:src/cpu_map');
    expect(ok.code).toBe(0);
    expect(ok.report.findings.map((x: Finding) => x.rule)).toContain('libvirt-feature-added');
  });
});
