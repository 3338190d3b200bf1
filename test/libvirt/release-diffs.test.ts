/**
 * libvirt's real releases as consecutive commits of one git repository (src/cpu_map of Debian's
 * libvirt 7.0, 9.0 and 11.3, each tagged as libvirt tags its releases), checked pair by pair
 * through the same git code as the CLI. libvirt changed released models between these releases
 * only through its own marks (removed='yes' on intel-pt and mpx, added='yes' on the vmx-*
 * features), so nothing fails, and each finding is one model file's change with every feature
 * it lists.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Finding, Report } from '../../src/report/finding.js';
import { checkRevisions } from '../../src/source/revisions.js';
import { debianSource } from '../support/debian-source.js';

const RELEASES = [
  { suite: 'bullseye', tag: 'v7.0.0' },
  { suite: 'bookworm', tag: 'v9.0.0' },
  { suite: 'trixie', tag: 'v11.3.0' },
] as const;
const MAP = 'src/cpu_map';

let dir: string;
/** One commit per release, dated in release order: the newest tag reachable from base is its release. */
function git(args: string[], date?: string): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...(date ? { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } : {}) },
  });
}

const reports = new Map<string, Report>();
async function check(base: string, head: string): Promise<Report> {
  const key = `${base}..${head}`;
  if (!reports.has(key)) {
    reports.set(
      key,
      await checkRevisions({
        repoDir: dir,
        base,
        head,
        catalog: { format: 'libvirt-cpu-map', path: MAP },
        failOn: 'type-2',
      }),
    );
  }
  return reports.get(key)!;
}

/** Per file, the feature names of lines matching `pattern` that head has and base lacks, from one git diff. */
function linesAdded(base: string, head: string, pattern: RegExp): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let file = '';
  for (const l of git(['diff', '--no-color', '--no-renames', '-U0', base, head, '--', MAP]).split('\n')) {
    if (l.startsWith('+++ ')) file = l.replace(/^\+\+\+ (b\/)?/, '');
    else if (l.startsWith('+')) {
      const name = pattern.exec(l)?.[1];
      if (name !== undefined) out.set(file, [...(out.get(file) ?? []), name]);
    }
  }
  return out;
}

const ADDED_YES = /<feature name='([^']+)' added='yes'\/>/;
const REMOVED_YES = /<feature name='([^']+)' removed='yes'\/>/;

function summary(f: Finding): [string, string, string[], string[]] {
  return [
    f.rule,
    f.location.path.slice(MAP.length + 1),
    f.models,
    f.properties ?? (f.property ? [f.property] : []),
  ];
}

beforeAll(async () => {
  const trees = await Promise.all(RELEASES.map((r) => debianSource('libvirt', r.suite)));
  dir = mkdtempSync(path.join(tmpdir(), 'cmg-libvirt-releases-'));
  git(['init', '-q', '-b', 'master']);
  RELEASES.forEach((r, i) => {
    rmSync(path.join(dir, 'src'), { recursive: true, force: true });
    mkdirSync(path.join(dir, 'src'));
    cpSync(path.join(trees[i]!, MAP), path.join(dir, MAP), { recursive: true });
    const date = `${2021 + 2 * i}-01-15T12:00:00Z`;
    git(['add', '-A']);
    git(['commit', '-q', '-m', `libvirt ${r.tag.slice(1)}'s cpu_map`], date);
    git(['tag', r.tag], date);
  });
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("check on libvirt's real releases", () => {
  it("7.0 -> 9.0: intel-pt marked removed='yes' in the four Icelake models, one finding each; nothing fails", async () => {
    const report = await check('v7.0.0', 'v9.0.0');
    expect(report.release).toMatchObject({ ref: 'v7.0.0' });
    expect(report.result).toBe('pass');
    expect(report.counts).toEqual({ safe: 8, 'type-2': 0, 'new-model-required': 0, waived: 0, review: 0 });
    // All safe, in path order: decode hints of the RHEL models, the new EPYC-Milan, QEMU's names
    // as aliases and new definitions in x86_features.xml, and the four marks.
    expect(report.findings.map(summary)).toEqual([
      ['no-effective-change', 'x86_cpu64-rhel5.xml', ['cpu64-rhel5'], []],
      ['no-effective-change', 'x86_cpu64-rhel6.xml', ['cpu64-rhel6'], []],
      ['libvirt-model-added', 'x86_EPYC-Milan.xml', ['EPYC-Milan'], []],
      ['no-effective-change', 'x86_features.xml', [], []],
      ['libvirt-feature-removed', 'x86_Icelake-Client-noTSX.xml', ['Icelake-Client-noTSX'], ['intel-pt']],
      ['libvirt-feature-removed', 'x86_Icelake-Client.xml', ['Icelake-Client'], ['intel-pt']],
      ['libvirt-feature-removed', 'x86_Icelake-Server-noTSX.xml', ['Icelake-Server-noTSX'], ['intel-pt']],
      ['libvirt-feature-removed', 'x86_Icelake-Server.xml', ['Icelake-Server'], ['intel-pt']],
    ]);
    const removed = report.findings.find((f) => f.rule === 'libvirt-feature-removed')!;
    expect(removed).toMatchObject({
      class: 'safe',
      verdict: 'pass',
      property: 'intel-pt',
      before: true,
      after: "removed='yes'",
      location: { side: 'RIGHT' },
      fix: 'none needed',
    });
    expect(removed.message).toMatch(/disabled into the definition of every domain that starts fresh/);
    expect(removed.message).toMatch(/restored or migrated in keeps it enabled/);
  }, 600_000);

  it("9.0 -> 11.3: mpx removed='yes' in ten models and the vmx-* features added='yes' in 34, one finding per file; nothing fails", async () => {
    const report = await check('v9.0.0', 'v11.3.0');
    expect(report.release).toMatchObject({ ref: 'v9.0.0' });
    expect(report.result).toBe('pass');
    expect(report.counts).toEqual({ safe: 161, 'type-2': 0, 'new-model-required': 0, waived: 0, review: 0 });
    const byRule = (rule: string) => report.findings.filter((f) => f.rule === rule);

    expect(byRule('libvirt-feature-removed').map(summary)).toEqual(
      [
        'Cascadelake-Server-noTSX',
        'Cascadelake-Server',
        'Icelake-Server-noTSX',
        'Icelake-Server',
        'Skylake-Client-IBRS',
        'Skylake-Client-noTSX-IBRS',
        'Skylake-Client',
        'Skylake-Server-IBRS',
        'Skylake-Server-noTSX-IBRS',
        'Skylake-Server',
      ].map((m) => ['libvirt-feature-removed', `x86_${m}.xml`, [m], ['mpx']]),
    );

    // Every model file that gained added='yes' lines is one finding listing exactly those lines.
    const added = byRule('libvirt-feature-added');
    const addedLines = linesAdded('v9.0.0', 'v11.3.0', ADDED_YES);
    expect(added).toHaveLength(34);
    for (const f of added) {
      const file = f.location.path;
      const model = path.basename(file, '.xml').replace(/^x86_/, '');
      expect(summary(f)).toEqual([
        'libvirt-feature-added',
        path.basename(file),
        [model],
        addedLines.get(file),
      ]);
      expect(f.properties!.every((p) => p.startsWith('vmx-'))).toBe(true);
      expect(f).toMatchObject({ class: 'safe', before: false, after: "added='yes'" });
    }
    // The same 2,070 feature lines that were 2,070 findings when each feature was its own.
    expect(added.reduce((n, f) => n + f.properties!.length, 0)).toBe(2070);
    expect(added.map((f) => f.models[0])).toEqual(
      expect.arrayContaining(['Skylake-Client', 'Haswell', 'Westmere', 'kvm64', 'core2duo', 'Snowridge']),
    );

    // The versioned models (Skylake-Client-v1, ...) are new in 11.3: one finding per model file.
    const models = byRule('libvirt-model-added');
    expect(models).toHaveLength(92);
    for (const f of models) {
      expect(f.models).toHaveLength(1);
      expect(f.location.path).toBe(`${MAP}/x86_${f.models[0]}.xml`);
    }
    expect(models.map((f) => f.models[0])).toEqual(
      expect.arrayContaining(['Skylake-Client-v1', 'Skylake-Client-v4', 'EPYC-Genoa', 'GraniteRapids-v2']),
    );

    // The rest: check partial='compat' hints, feature definitions rewritten to the same bits.
    const cosmetic = byRule('no-effective-change');
    expect(cosmetic).toHaveLength(25);
    expect(cosmetic.map((f) => path.basename(f.location.path))).toEqual(
      expect.arrayContaining(['x86_features.xml', 'x86_EPYC.xml', 'x86_Opteron_G3.xml', 'x86_qemu64.xml']),
    );
    expect(report.findings).toHaveLength(
      byRule('libvirt-feature-removed').length + added.length + models.length + cosmetic.length,
    );
  }, 600_000);

  it("every removed='yes' line a release added to a released model is in a finding, and only those", async () => {
    for (const [base, head] of [
      ['v7.0.0', 'v9.0.0'],
      ['v9.0.0', 'v11.3.0'],
    ] as const) {
      const report = await check(base, head);
      const fromDiff = [...linesAdded(base, head, REMOVED_YES)]
        .flatMap(([file, features]) => features.map((feature) => `${file} ${feature}`))
        .sort();
      const found = report.findings
        .filter((f) => f.rule === 'libvirt-feature-removed')
        .flatMap((f) => (f.properties ?? [f.property!]).map((p) => `${f.location.path} ${p}`))
        .sort();
      // New model files of 11.3 carry removed='yes' lines too; they are new models, not marks.
      const newFiles = new Set(
        report.findings.filter((f) => f.rule === 'libvirt-model-added').map((f) => f.location.path),
      );
      expect(found).toEqual(fromDiff.filter((l) => !newFiles.has(l.split(' ')[0]!)));
      expect(found.length).toBeGreaterThan(0);
    }
  }, 600_000);

  it('a model added after the newest release is free to change; a released one is not', async () => {
    // Development after 11.3: a new model in one commit, a change to it and to a released model in the next.
    const file = (name: string) => path.join(dir, MAP, name);
    const edit = (name: string, from: string, to: string) => {
      const t = readFileSync(file(name), 'utf8');
      expect(t.split(from)).toHaveLength(2);
      writeFileSync(file(name), t.replace(from, to));
    };
    git(['checkout', '-q', '-B', 'development', 'v11.3.0']);
    writeFileSync(
      file('x86_Skylake-Client-v5.xml'),
      "<cpus>\n  <model name='Skylake-Client-v5'>\n    <decode host='on' guest='off'/>\n    <model name='Skylake-Client-v4'/>\n    <feature name='pku'/>\n  </model>\n</cpus>\n",
    );
    edit(
      'index.xml',
      "      <include filename='x86_Skylake-Client-v4.xml'/>\n",
      "      <include filename='x86_Skylake-Client-v4.xml'/>\n      <include filename='x86_Skylake-Client-v5.xml'/>\n",
    );
    git(['add', '-A']);
    git(['commit', '-q', '-m', 'Add Skylake-Client-v5'], '2025-06-01T12:00:00Z');
    edit('x86_Skylake-Client-v5.xml', "    <feature name='pku'/>\n", '');
    edit('x86_Skylake-Client.xml', "    <feature name='xsavec'/>\n", '');
    git(
      ['commit', '-q', '-am', 'Drop pku from Skylake-Client-v5 and xsavec from Skylake-Client'],
      '2025-06-02T12:00:00Z',
    );

    const report = await check('development~1', 'development');
    expect(report.release).toMatchObject({ ref: 'v11.3.0' });
    expect(report.result).toBe('fail');
    expect(report.findings.map((f) => [f.rule, f.class, f.verdict, f.models, f.property])).toEqual([
      [
        'libvirt-model-changed',
        'new-model-required',
        'fail',
        ['Skylake-Client', 'Skylake-Client-v1'],
        'xsavec',
      ],
      ['unreleased-change', 'safe', 'pass', ['Skylake-Client-v5'], 'pku'],
    ]);
  }, 600_000);
});
