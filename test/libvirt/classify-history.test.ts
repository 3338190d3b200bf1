/**
 * The libvirt rule on real history: a git repository whose base commit holds libvirt's real
 * cpu_map (trixie's libvirt 11.x), and one head commit per kind of change, read through the
 * same git code the action uses.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classifyLibvirt } from '../../src/classify/libvirt.js';
import { CatalogError } from '../../src/errors.js';
import {
  effectiveLibvirtModel,
  readLibvirtCpuMap,
  type LibvirtCpuMap,
} from '../../src/parse/libvirt/cpu-map.js';
import type { Finding } from '../../src/report/finding.js';
import { GitRepository } from '../../src/source/git-source.js';
import { debianSource } from '../support/debian-source.js';

const SKY = 'src/cpu_map/x86_Skylake-Client.xml';
let dir: string;
let repo: GitRepository;
let baseCommit: string;
let base: LibvirtCpuMap;
let skyText: string;

function git(...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
}
function lineNo(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line with ${needle}`);
  return i + 1;
}
function edit(file: string, fn: (text: string) => string): void {
  const p = path.join(dir, file);
  writeFileSync(p, fn(readFileSync(p, 'utf8')));
}

/** Commits a change on a branch from the base commit and classifies base against it. */
async function head(name: string, change: () => void): Promise<{ findings: Finding[]; map: LibvirtCpuMap }> {
  git('checkout', '-q', '-B', name, baseCommit);
  change();
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', name);
  const commit = await repo.resolveCommit('HEAD');
  const map = await readLibvirtCpuMap(await repo.source(commit));
  return { findings: classifyLibvirt(base, map, 'type-2'), map };
}

beforeAll(async () => {
  const tree = await debianSource('libvirt', 'trixie');
  dir = mkdtempSync(path.join(tmpdir(), 'cmg-libvirt-'));
  mkdirSync(path.join(dir, 'src'));
  cpSync(path.join(tree, 'src/cpu_map'), path.join(dir, 'src/cpu_map'), { recursive: true });
  git('init', '-q', '-b', 'master');
  git('add', '.');
  git('commit', '-q', '-m', "libvirt 11.3's cpu_map");
  repo = new GitRepository(dir);
  baseCommit = await repo.resolveCommit('HEAD');
  base = await readLibvirtCpuMap(await repo.source(baseCommit));
  skyText = readFileSync(path.join(dir, SKY), 'utf8');
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('libvirt cpu_map changes on real history', () => {
  it('finds nothing when nothing changed', async () => {
    const { findings } = await head('same', () => {});
    expect(findings).toEqual([]);
  });

  it("a feature added with added='yes' is safe, for the model and every model built on it", async () => {
    const at = lineNo(skyText, "<feature name='xsavec'/>");
    const { findings } = await head('added-marked', () =>
      edit(SKY, (t) =>
        t.replace(
          "    <feature name='xsavec'/>\n",
          "    <feature name='pku' added='yes'/>\n    <feature name='xsavec'/>\n",
        ),
      ),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'libvirt-feature-added',
      class: 'safe',
      verdict: 'pass',
      models: ['Skylake-Client', 'Skylake-Client-v1'],
      property: 'pku',
      before: false,
      after: true,
      location: { path: SKY, line: at, side: 'RIGHT' },
      fingerprint: 'libvirt-feature-added|Skylake-Client,Skylake-Client-v1|pku',
    });
  });

  it("a feature added without added='yes' needs a new model, with the marked line as suggestion", async () => {
    const at = lineNo(skyText, "<feature name='xsavec'/>");
    const { findings } = await head('added-unmarked', () =>
      edit(SKY, (t) =>
        t.replace(
          "    <feature name='xsavec'/>\n",
          "    <feature name='pku'/>\n    <feature name='xsavec'/>\n",
        ),
      ),
    );
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({
      rule: 'libvirt-model-changed',
      class: 'new-model-required',
      verdict: 'fail',
      models: ['Skylake-Client', 'Skylake-Client-v1'],
      property: 'pku',
      location: { path: SKY, line: at, side: 'RIGHT' },
      suggestion: {
        path: SKY,
        startLine: at,
        endLine: at,
        replacement: "    <feature name='pku' added='yes'/>",
      },
      hostRequirement: { gained: ['pku'] },
    });
    expect(f.fix).toMatch(/added='yes'/);
    expect(f.message).toMatch(/Skylake-Client, Skylake-Client-v1 gains feature pku without added='yes'/);
    // With fail-on new-model-required it still fails; with never it passes.
    const { map } = await head('added-unmarked-again', () =>
      edit(SKY, (t) =>
        t.replace(
          "    <feature name='xsavec'/>\n",
          "    <feature name='pku'/>\n    <feature name='xsavec'/>\n",
        ),
      ),
    );
    expect(classifyLibvirt(base, map, 'new-model-required')[0]!.verdict).toBe('fail');
    expect(classifyLibvirt(base, map, 'never')[0]!.verdict).toBe('pass');
  });

  it('a removed feature points at its line in the base revision', async () => {
    const at = lineNo(skyText, "<feature name='xsavec'/>");
    const { findings } = await head('removed', () =>
      edit(SKY, (t) => t.replace("    <feature name='xsavec'/>\n", '')),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'libvirt-model-changed',
      models: ['Skylake-Client', 'Skylake-Client-v1'],
      property: 'xsavec',
      before: true,
      after: false,
      location: { path: SKY, line: at, side: 'LEFT' },
    });
  });

  it('signature and vendor changes need a new model', async () => {
    const sig = lineNo(skyText, "<signature family='6' model='158'/>");
    const vendor = lineNo(skyText, "<vendor name='Intel'/>");
    const { findings } = await head('signature-vendor', () =>
      edit(SKY, (t) =>
        t
          .replace("<signature family='6' model='158'/>", "<signature family='6' model='165'/>")
          .replace("<vendor name='Intel'/>", "<vendor name='AMD'/>"),
      ),
    );
    expect(findings.map((f) => [f.rule, f.property, f.location.line, f.models])).toEqual([
      ['libvirt-model-changed', 'signature', sig, ['Skylake-Client', 'Skylake-Client-v1']],
      ['libvirt-model-changed', 'vendor', vendor, ['Skylake-Client', 'Skylake-Client-v1']],
    ]);
    expect(findings[1]!.before).toBe('Intel (GenuineIntel)');
    expect(findings[1]!.after).toBe('AMD (AuthenticAMD)');
  });

  it('changing the bits of a feature changes every model that has it', async () => {
    const features = readFileSync(path.join(dir, 'src/cpu_map/x86_features.xml'), 'utf8');
    const at = lineNo(features, "<feature name='pku'>");
    const { findings } = await head('bits', () =>
      edit('src/cpu_map/x86_features.xml', (t) =>
        t.replace(
          "<feature name='pku'>\n    <cpuid eax_in='0x00000007' ecx_in='0x00000000' ecx='0x00000008'/>",
          "<feature name='pku'>\n    <cpuid eax_in='0x00000007' ecx_in='0x00000000' ecx='0x00000010'/>",
        ),
      ),
    );
    const withPku = Object.keys(base.models)
      .filter((m) => effectiveLibvirtModel(base, m).features.has('pku'))
      .sort();
    expect(withPku.length).toBeGreaterThan(10);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'libvirt-model-changed',
      property: 'pku',
      before: 'cpuid eax_in=0x7 ecx=0x8 ecx_in=0x0',
      after: 'cpuid eax_in=0x7 ecx=0x10 ecx_in=0x0',
      location: { path: 'src/cpu_map/x86_features.xml', line: at, endLine: at + 2, side: 'RIGHT' },
      models: withPku,
    });
  });

  it('a new model file is safe; removing a released one is not', async () => {
    const added = await head('model-added', () => {
      writeFileSync(
        path.join(dir, 'src/cpu_map/x86_Skylake-Client-v5.xml'),
        "<cpus>\n  <model name='Skylake-Client-v5'>\n    <decode host='on' guest='off'/>\n    <model name='Skylake-Client-v4'/>\n    <feature name='pku'/>\n  </model>\n</cpus>\n",
      );
      edit('src/cpu_map/index.xml', (t) =>
        t.replace(
          "      <include filename='x86_Skylake-Client-v4.xml'/>\n",
          "      <include filename='x86_Skylake-Client-v4.xml'/>\n      <include filename='x86_Skylake-Client-v5.xml'/>\n",
        ),
      );
    });
    expect(added.findings.map((f) => [f.rule, f.class, f.models, f.location])).toEqual([
      [
        'libvirt-model-added',
        'safe',
        ['Skylake-Client-v5'],
        { path: 'src/cpu_map/x86_Skylake-Client-v5.xml', line: 2, endLine: 6, side: 'RIGHT' },
      ],
    ]);

    const removed = await head('model-removed', () => {
      unlinkSync(path.join(dir, 'src/cpu_map/x86_Skylake-Client-v1.xml'));
      edit('src/cpu_map/index.xml', (t) =>
        t.replace("      <include filename='x86_Skylake-Client-v1.xml'/>\n", ''),
      );
    });
    expect(removed.findings.map((f) => [f.rule, f.class, f.verdict, f.models, f.location])).toEqual([
      [
        'libvirt-model-removed',
        'new-model-required',
        'fail',
        ['Skylake-Client-v1'],
        { path: 'src/cpu_map/x86_Skylake-Client-v1.xml', line: 2, endLine: 5, side: 'LEFT' },
      ],
    ]);
  });

  it('comment and attribute-order edits are safe, said once per file', async () => {
    const { findings } = await head('cosmetic', () =>
      edit(SKY, (t) =>
        t
          .replace("but we don't have specific models for them.", 'without models of their own.')
          .replace("<signature family='6' model='94'/>", "<signature model='94' family='6'/>"),
      ),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'no-effective-change',
      class: 'safe',
      models: ['Skylake-Client'],
      // The first edited line: the signature whose attributes were reordered.
      location: { path: SKY, line: lineNo(skyText, "<signature family='6' model='94'/>"), side: 'RIGHT' },
    });
  });

  it('refuses a DOCTYPE (entity expansion) in a cpu_map file, with its line', async () => {
    git('checkout', '-q', '-B', 'doctype', baseCommit);
    edit(
      SKY,
      (t) =>
        `<?xml version="1.0"?>\n<!DOCTYPE cpus [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n${t}`,
    );
    git('commit', '-q', '-am', 'doctype');
    const source = await repo.source(await repo.resolveCommit('HEAD'));
    const err = await readLibvirtCpuMap(source).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).location).toEqual({ path: SKY, line: 2 });
    expect((err as CatalogError).message).toMatch(/DOCTYPE/);
  });
});
