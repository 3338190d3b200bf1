/**
 * The libvirt rule on libvirt's real cpu_map (trixie's libvirt 11.3): the base is the tree as
 * released, each head one kind of edit of its files, both read by the cpu_map reader directly
 * (git is covered by the release diffs). libvirt's marks act as src/cpu/cpu_x86.c reads them:
 * added='yes' and removed='yes' belong to the model whose file has them, and a model built on it
 * inherits only its base's CPUID data (x86ModelParseAncestor).
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { libvirtFindings } from './libvirt-findings.js';
import { CatalogError } from '../../src/errors.js';
import { effectiveLibvirtModel } from '../../src/catalog/libvirt.js';
import { readLibvirtCpuMap, type LibvirtCpuMap } from '../../src/parse/libvirt/cpu-map.js';
import type { Finding } from '../../src/report/finding.js';
import type { CatalogSource } from '../../src/source/catalog-source.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

const SKY = 'src/cpu_map/x86_Skylake-Client.xml';
const SKY_V1 = 'src/cpu_map/x86_Skylake-Client-v1.xml';
const INDEX = 'src/cpu_map/index.xml';
let tree: CatalogSource;
let base: LibvirtCpuMap;
let skyText: string;

/** The released tree with some files replaced (a string) or deleted (`undefined`). */
function edited(edits: Record<string, string | undefined>): CatalogSource {
  return {
    label: 'edited',
    readFile: (p) => (p in edits ? Promise.resolve(edits[p]) : tree.readFile(p)),
    listFiles: (d) => tree.listFiles(d),
  };
}

async function text(file: string): Promise<string> {
  const t = await tree.readFile(file);
  if (t === undefined) throw new Error(`${file} is not in the tree`);
  return t;
}

/** Replaces `from`, which must occur exactly once, in a file of the released tree. */
async function replaced(file: string, from: string, to: string): Promise<string> {
  const t = await text(file);
  if (t.split(from).length !== 2) throw new Error(`${from} does not occur exactly once in ${file}`);
  return t.replace(from, to);
}

async function headOf(edits: Record<string, string | undefined>): Promise<LibvirtCpuMap> {
  return readLibvirtCpuMap(edited(edits));
}

async function classify(
  edits: Record<string, string | undefined>,
  released?: ReadonlySet<string>,
): Promise<Finding[]> {
  return libvirtFindings(base, await headOf(edits), 'type-2', released);
}

function lineNo(t: string, needle: string): number {
  const i = t.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`no line with ${needle}`);
  return i + 1;
}

beforeAll(async () => {
  tree = fsSource(await debianSource('libvirt', 'trixie'));
  base = await readLibvirtCpuMap(tree);
  skyText = await text(SKY);
}, 600_000);

describe('libvirt cpu_map changes', () => {
  it('finds nothing when nothing changed', async () => {
    expect(await classify({})).toEqual([]);
  });

  it("a feature added with added='yes' is safe, for the model whose file has the mark", async () => {
    const at = lineNo(skyText, "<feature name='xsavec'/>");
    const findings = await classify({
      [SKY]: await replaced(
        SKY,
        "    <feature name='xsavec'/>\n",
        "    <feature name='pku' added='yes'/>\n    <feature name='xsavec'/>\n",
      ),
    });
    // Skylake-Client-v1 is built on Skylake-Client, but libvirt keeps added features out of the
    // model's data, and only the data is inherited: v1 does not change.
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'libvirt-feature-added',
      class: 'safe',
      verdict: 'pass',
      models: ['Skylake-Client'],
      property: 'pku',
      before: false,
      after: "added='yes'",
      location: { path: SKY, line: at, side: 'RIGHT' },
      fingerprint: 'libvirt-feature-added|Skylake-Client|pku',
    });
    expect(findings[0]!.properties).toBeUndefined();
  });

  it('features added in one file are one finding that lists them all, in line order', async () => {
    const findings = await classify({
      [SKY]: await replaced(
        SKY,
        "    <feature name='xsavec'/>\n",
        "    <feature name='pku' added='yes'/>\n    <feature name='xsavec'/>\n    <feature name='avx512f' added='yes'/>\n    <feature name='ospke' added='yes'/>\n",
      ),
    });
    expect(findings.map((f) => [f.rule, f.models, f.properties, f.location.line])).toEqual([
      [
        'libvirt-feature-added',
        ['Skylake-Client'],
        ['pku', 'avx512f', 'ospke'],
        lineNo(skyText, "<feature name='xsavec'/>"),
      ],
    ]);
    expect(findings[0]!.title).toBe("pku, avx512f, ospke added to model Skylake-Client with added='yes'");
  });

  it("a feature added without added='yes' needs a new model, with the marked line as suggestion", async () => {
    const at = lineNo(skyText, "<feature name='xsavec'/>");
    const head = await headOf({
      [SKY]: await replaced(
        SKY,
        "    <feature name='xsavec'/>\n",
        "    <feature name='pku'/>\n    <feature name='xsavec'/>\n",
      ),
    });
    const findings = libvirtFindings(base, head, 'type-2');
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({
      rule: 'libvirt-model-changed',
      class: 'new-model-required',
      verdict: 'fail',
      // Plain features are data, and v1 inherits its base's data.
      models: ['Skylake-Client', 'Skylake-Client-v1'],
      property: 'pku',
      before: false,
      after: true,
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
    expect(libvirtFindings(base, head, 'new-model-required')[0]!.verdict).toBe('fail');
    expect(libvirtFindings(base, head, 'never')[0]!.verdict).toBe('pass');
  });

  it("removed='yes' on a feature is safe for the model that has it; a model built on it loses the feature", async () => {
    const at = lineNo(skyText, "<feature name='xsavec'/>");
    const marked = await replaced(SKY, "<feature name='xsavec'/>", "<feature name='xsavec' removed='yes'/>");
    const findings = await classify({ [SKY]: marked });
    expect(
      findings.map((f) => [f.rule, f.class, f.models, f.property, f.before, f.after, f.location]),
    ).toEqual([
      // libvirt subtracts a base's removed features from the models built on it, and only
      // disables a model's own removed features: v1 domains would lose xsavec from libvirt's
      // view of the model with nothing disabling it.
      [
        'libvirt-model-changed',
        'new-model-required',
        ['Skylake-Client-v1'],
        'xsavec',
        true,
        false,
        { path: SKY, line: at, side: 'RIGHT' },
      ],
      [
        'libvirt-feature-removed',
        'safe',
        ['Skylake-Client'],
        'xsavec',
        true,
        "removed='yes'",
        { path: SKY, line: at, side: 'RIGHT' },
      ],
    ]);
    expect(findings[1]!.message).toMatch(
      /writes it disabled into the definition of every domain that starts fresh with the model; a domain restored or migrated in keeps it enabled/,
    );
    expect(findings[1]!.fix).toBe('none needed');
    expect(findings[0]!.fix).toMatch(/removed='yes' \(in every model that lists it/);
    expect(findings[0]!.message).toMatch(
      /^model Skylake-Client-v1 loses feature xsavec: Skylake-Client marks it now, .*check='full' would fail to start/,
    );
    // The words come from these facts.
    expect(findings.map((f) => f.meta)).toEqual([
      {
        change: 'loss',
        models: ['Skylake-Client-v1'],
        features: ['xsavec'],
        before: true,
        after: false,
        via: 'Skylake-Client',
      },
      { models: ['Skylake-Client'], features: ['xsavec'] },
    ]);

    // Doing what that fix says, the mark in v1's file too, leaves nothing failing.
    const v1 = await replaced(
      SKY_V1,
      "    <model name='Skylake-Client'/>\n",
      "    <model name='Skylake-Client'/>\n    <feature name='xsavec' removed='yes'/>\n",
    );
    const fixed = await classify({ [SKY]: marked, [SKY_V1]: v1 });
    expect(fixed.map((f) => [f.rule, f.class, f.models, f.location.path])).toEqual([
      ['libvirt-feature-removed', 'safe', ['Skylake-Client-v1'], SKY_V1],
      ['libvirt-feature-removed', 'safe', ['Skylake-Client'], SKY],
    ]);
  });

  it('deleting a feature line needs a new model, and the fix is the removed mark, which is safe', async () => {
    const at = lineNo(skyText, "<feature name='xsavec'/>");
    const findings = await classify({ [SKY]: await replaced(SKY, "    <feature name='xsavec'/>\n", '') });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      rule: 'libvirt-model-changed',
      class: 'new-model-required',
      models: ['Skylake-Client', 'Skylake-Client-v1'],
      property: 'xsavec',
      before: true,
      after: false,
      location: { path: SKY, line: at, side: 'LEFT' },
    });
    expect(findings[0]!.fix).toMatch(/mark it removed='yes'/);
  });

  it("dropping removed='yes', or deleting the marked line, needs a new model", async () => {
    const at = lineNo(skyText, "<feature name='mpx' removed='yes'/>");
    const unmarked = await classify({
      [SKY]: await replaced(SKY, "<feature name='mpx' removed='yes'/>", "<feature name='mpx'/>"),
    });
    // mpx becomes data again: Skylake-Client requires it, and v1, which inherits the data, too.
    expect(
      unmarked.map((f) => [f.rule, f.class, f.models, f.property, f.before, f.after, f.location.line]),
    ).toEqual([
      ['libvirt-model-changed', 'new-model-required', ['Skylake-Client'], 'mpx', "removed='yes'", true, at],
      ['libvirt-model-changed', 'new-model-required', ['Skylake-Client-v1'], 'mpx', false, true, at],
    ]);
    for (const f of unmarked) {
      expect(f.hostRequirement?.gained).toEqual(['mpx']);
      expect(f.fix).toMatch(/restore the line as it was/);
      expect(f.suggestion).toBeUndefined();
    }
    const deleted = await classify({
      [SKY]: await replaced(SKY, "    <feature name='mpx' removed='yes'/>\n", ''),
    });
    expect(deleted.map((f) => [f.rule, f.models, f.property, f.before, f.after, f.location])).toEqual([
      [
        'libvirt-model-changed',
        ['Skylake-Client'],
        'mpx',
        "removed='yes'",
        false,
        { path: SKY, line: at, side: 'LEFT' },
      ],
    ]);
  });

  it("dropping added='yes' makes the feature required: a new model", async () => {
    const at = lineNo(skyText, "<feature name='vmx-activity-hlt' added='yes'/>");
    const findings = await classify({
      [SKY]: await replaced(
        SKY,
        "<feature name='vmx-activity-hlt' added='yes'/>",
        "<feature name='vmx-activity-hlt'/>",
      ),
    });
    expect(
      findings.map((f) => [f.rule, f.class, f.models, f.property, f.before, f.after, f.location]),
    ).toEqual([
      [
        'libvirt-model-changed',
        'new-model-required',
        ['Skylake-Client'],
        'vmx-activity-hlt',
        "added='yes'",
        true,
        { path: SKY, line: at, side: 'RIGHT' },
      ],
      // Without the mark the feature is data, which v1 inherits.
      [
        'libvirt-model-changed',
        'new-model-required',
        ['Skylake-Client-v1'],
        'vmx-activity-hlt',
        false,
        true,
        { path: SKY, line: at, side: 'RIGHT' },
      ],
    ]);
    expect(findings[0]!.hostRequirement?.gained).toEqual(['vmx-activity-hlt']);
  });

  it("a policy on a model's feature line is not read: it changes no model, and a new line with one is a plain feature", async () => {
    // x86ModelParseFeatures reads a model's <feature> for its name, removed and added only.
    const policy = await classify({
      [SKY]: await replaced(SKY, "<feature name='xsavec'/>", "<feature name='xsavec' policy='disable'/>"),
    });
    expect(policy.map((f) => [f.rule, f.models, f.location.line])).toEqual([
      ['no-effective-change', ['Skylake-Client'], lineNo(skyText, "<feature name='xsavec'/>")],
    ]);
    const gained = await classify({
      [SKY]: await replaced(
        SKY,
        "    <feature name='xsavec'/>\n",
        "    <feature name='pku' policy='disable'/>\n    <feature name='xsavec'/>\n",
      ),
    });
    expect(gained).toHaveLength(1);
    expect(gained[0]).toMatchObject({
      rule: 'libvirt-model-changed',
      models: ['Skylake-Client', 'Skylake-Client-v1'],
      property: 'pku',
      before: false,
      after: true,
      hostRequirement: { gained: ['pku'] },
    });
  });

  it('signature and vendor changes need a new model', async () => {
    const sig = lineNo(skyText, "<signature family='6' model='158'/>");
    const vendor = lineNo(skyText, "<vendor name='Intel'/>");
    const findings = await classify({
      [SKY]: (
        await replaced(SKY, "<signature family='6' model='158'/>", "<signature family='6' model='165'/>")
      ).replace("<vendor name='Intel'/>", "<vendor name='AMD'/>"),
    });
    expect(findings.map((f) => [f.rule, f.property, f.location.line, f.models])).toEqual([
      ['libvirt-model-changed', 'signature', sig, ['Skylake-Client', 'Skylake-Client-v1']],
      ['libvirt-model-changed', 'vendor', vendor, ['Skylake-Client', 'Skylake-Client-v1']],
    ]);
    expect(findings.map((f) => f.meta)).toMatchObject([{ change: 'signature' }, { change: 'vendor' }]);
    expect(findings[1]!.before).toBe('Intel (GenuineIntel)');
    expect(findings[1]!.after).toBe('AMD (AuthenticAMD)');
  });

  it('changing the bits of a feature changes every model that has it', async () => {
    const FEATURES = 'src/cpu_map/x86_features.xml';
    const at = lineNo(await text(FEATURES), "<feature name='pku'>");
    const findings = await classify({
      [FEATURES]: await replaced(
        FEATURES,
        "<feature name='pku'>\n    <cpuid eax_in='0x00000007' ecx_in='0x00000000' ecx='0x00000008'/>",
        "<feature name='pku'>\n    <cpuid eax_in='0x00000007' ecx_in='0x00000000' ecx='0x00000010'/>",
      ),
    });
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
      location: { path: FEATURES, line: at, endLine: at + 2, side: 'RIGHT' },
      models: withPku,
    });
  });

  it('a new model file is safe; removing a released one is not', async () => {
    const v5 =
      "<cpus>\n  <model name='Skylake-Client-v5'>\n    <decode host='on' guest='off'/>\n    <model name='Skylake-Client-v4'/>\n    <feature name='pku'/>\n  </model>\n</cpus>\n";
    const added = await classify({
      'src/cpu_map/x86_Skylake-Client-v5.xml': v5,
      [INDEX]: await replaced(
        INDEX,
        "      <include filename='x86_Skylake-Client-v4.xml'/>\n",
        "      <include filename='x86_Skylake-Client-v4.xml'/>\n      <include filename='x86_Skylake-Client-v5.xml'/>\n",
      ),
    });
    expect(added.map((f) => [f.rule, f.class, f.models, f.location])).toEqual([
      [
        'libvirt-model-added',
        'safe',
        ['Skylake-Client-v5'],
        { path: 'src/cpu_map/x86_Skylake-Client-v5.xml', line: 2, endLine: 6, side: 'RIGHT' },
      ],
    ]);

    expect(added[0]!.meta).toEqual({ model: 'Skylake-Client-v5' });
    expect(added[0]!.title).toBe('new model Skylake-Client-v5');

    const removed = await classify({
      [SKY_V1]: undefined,
      [INDEX]: await replaced(INDEX, "      <include filename='x86_Skylake-Client-v1.xml'/>\n", ''),
    });
    expect(removed.map((f) => [f.rule, f.class, f.verdict, f.models, f.location])).toEqual([
      [
        'libvirt-model-removed',
        'new-model-required',
        'fail',
        ['Skylake-Client-v1'],
        { path: SKY_V1, line: 2, endLine: 5, side: 'LEFT' },
      ],
    ]);
    expect(removed[0]!.meta).toEqual({ model: 'Skylake-Client-v1' });
    expect(removed[0]!.fix).toMatch(/^restore the model \(and its include in index\.xml\)/);
  });

  it('a model the release revision lacks is free to change; a released one in the same head is not', async () => {
    // Skylake-Client-v4 is treated as added after the release: it is not among the released models.
    const released = new Set(Object.keys(base.models).filter((m) => m !== 'Skylake-Client-v4'));
    const V4 = 'src/cpu_map/x86_Skylake-Client-v4.xml';
    const v4Text = await text(V4);
    const firstV4Feature = /<feature name='([^']+)'\/>/.exec(v4Text)![1]!;
    const findings = await classify(
      {
        [V4]: v4Text.replace(`    <feature name='${firstV4Feature}'/>\n`, ''),
        [SKY]: await replaced(SKY, "    <feature name='xsavec'/>\n", ''),
      },
      released,
    );
    expect(findings.map((f) => [f.rule, f.class, f.models, f.property])).toEqual([
      ['libvirt-model-changed', 'new-model-required', ['Skylake-Client', 'Skylake-Client-v1'], 'xsavec'],
      ['unreleased-change', 'safe', ['Skylake-Client-v4'], firstV4Feature],
    ]);
    expect(findings[1]!.message).toMatch(/the release revision does not have it/);

    const gone = await classify(
      {
        [V4]: undefined,
        [INDEX]: await replaced(INDEX, "      <include filename='x86_Skylake-Client-v4.xml'/>\n", ''),
      },
      released,
    );
    expect(gone.map((f) => [f.rule, f.class, f.models])).toEqual([
      ['unreleased-change', 'safe', ['Skylake-Client-v4']],
    ]);
  });

  it('comment and attribute-order edits are safe, said once per file', async () => {
    const findings = await classify({
      [SKY]: (
        await replaced(SKY, "but we don't have specific models for them.", 'without models of their own.')
      ).replace("<signature family='6' model='94'/>", "<signature model='94' family='6'/>"),
    });
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
    const err = await headOf({
      [SKY]: `<?xml version="1.0"?>\n<!DOCTYPE cpus [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>\n${skyText}`,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).location).toEqual({ path: SKY, line: 2 });
    expect((err as CatalogError).message).toMatch(/DOCTYPE/);
  });
});
