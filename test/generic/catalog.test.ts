import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import type { Catalog } from '../../src/catalog/model.js';
import { CatalogError } from '../../src/errors.js';
import { catalogSchema } from '../../src/parse/generic/catalog-schema.js';
import {
  MAX_CATALOG_BYTES,
  parseGenericCatalog,
  readGenericCatalog,
} from '../../src/parse/generic/catalog.js';
import { exportCatalog } from '../../src/parse/generic/export.js';
import { fsSource } from '../../src/source/fs-source.js';
import { GitRepository } from '../../src/source/git-source.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const fixture = path.join(repoRoot, 'test/fixtures/generic/mini-catalog.yaml');
const fixtureText = readFileSync(fixture, 'utf8');

/** 1-based line of the first line containing `needle` (after `from`), so tests do not hard-code numbers. */
function lineOf(text: string, needle: string, from = 1): number {
  const lines = text.split('\n');
  for (let i = from - 1; i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  throw new Error(`fixture has no line with ${needle}`);
}

/** The catalog without locations: what must survive an export and re-read. */
function withoutLocations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutLocations);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'location' || k === 'aliasLocation' || k === 'files' || k === 'source' || k === 'format')
        continue;
      out[k] = withoutLocations(v);
    }
    return out;
  }
  return value;
}

function expectCatalogError(fn: () => unknown): CatalogError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return err as CatalogError;
  }
  throw new Error('expected a CatalogError');
}

describe('generic catalog reader', () => {
  const catalog = parseGenericCatalog(fixtureText, 'catalog.yaml');

  it('reads models, versions, aliases and deprecation with the lines they are written on', () => {
    expect(catalog.format).toBe('catalog');
    expect(catalog.projectVersion).toBe('4.0.0');
    expect(catalog.models.map((m) => m.name)).toEqual(['Opteron_G3', 'Skylake-Client', 'Nehalem']);
    const opteron = catalog.models[0]!;
    expect(opteron.location).toEqual({ path: 'catalog.yaml', line: lineOf(fixtureText, 'name: Opteron_G3') });
    const rdtscp = opteron.props.find((p) => p.property === 'rdtscp')!;
    expect(rdtscp.value).toBe(true);
    expect(rdtscp.location.line).toBe(lineOf(fixtureText, 'rdtscp: true'));
    expect(opteron.props.find((p) => p.property === 'family')!.value).toBe(16);
    expect(opteron.props.find((p) => p.property === 'model-id')!.value).toBe(
      'AMD Opteron 23xx (Gen 3 Class Opteron)',
    );
    // No versions written: a single v1 without props, as in QEMU.
    expect(opteron.versions).toEqual([{ version: 1, props: [], location: opteron.location }]);

    const skylake = catalog.models[1]!;
    expect(skylake.versions.map((v) => v.version)).toEqual([1, 2]);
    const v2 = skylake.versions[1]!;
    expect(v2.alias).toBe('Skylake-Client-IBRS');
    expect(v2.aliasLocation!.line).toBe(lineOf(fixtureText, 'alias: Skylake-Client-IBRS'));
    expect(v2.note).toBe('IBRS');
    expect(v2.props).toEqual([
      {
        property: 'spec-ctrl',
        value: true,
        location: { path: 'catalog.yaml', line: lineOf(fixtureText, 'spec-ctrl: true') },
      },
    ]);
    expect(catalog.models[2]!.deprecation).toEqual({
      note: 'use Nehalem-v2 instead',
      location: { path: 'catalog.yaml', line: lineOf(fixtureText, 'deprecated:') },
    });
  });

  it('reads machine types, compat sets and the other tables', () => {
    expect(
      catalog.machineTypes.map((t) => [t.name, t.released, t.defaultCpuVersion, t.compatSets, t.aliases]),
    ).toEqual([
      ['pc-q35-3.1', true, 'legacy', ['pc_compat_3_1'], []],
      ['pc-q35-4.0', false, 1, [], ['q35']],
    ]);
    expect(catalog.machineTypes[1]!.accelDefaultChanges).toEqual([
      {
        accel: 'kvm',
        property: 'x2apic',
        value: null,
        location: { path: 'catalog.yaml', line: lineOf(fixtureText, 'accel: kvm') },
      },
    ]);
    const set = catalog.compatSets['pc_compat_3_1']!;
    expect(set.location.line).toBe(
      lineOf(fixtureText, 'pc_compat_3_1:', lineOf(fixtureText, 'compatSets:', 40)),
    );
    expect(set.entries.map((e) => [e.driver, e.target, e.property, e.value, e.location.line])).toEqual([
      ['Opteron_G3-x86_64-cpu', 'Opteron_G3', 'rdtscp', 'off', lineOf(fixtureText, '- target: Opteron_G3')],
      ['*', '*', 'legacy-cache', 'on', lineOf(fixtureText, 'legacy-cache')],
    ]);
    expect(catalog.accelDefaults.kvm.map((p) => [p.property, p.value])).toEqual([
      ['kvmclock', true],
      ['x2apic', true],
    ]);
    expect(catalog.accelDefaults.tcg.map((p) => [p.property, p.value])).toEqual([['vme', false]]);
    expect(catalog.propertyDefaults).toEqual({ level: 0 });
    expect(catalog.alwaysOn.map((p) => p.property)).toEqual(['hypervisor']);
    expect(catalog.features[0]).toMatchObject({ name: 'rdtscp', word: 'FEAT_8000_0001_EDX', bit: 27 });
    expect(catalog.featureDependencies[0]).toMatchObject({ feature: 'svm', clears: ['npt', 'nrip-save'] });
    expect(catalog.levelRules[0]).toMatchObject({
      property: 'level',
      atLeast: 7,
      whenAny: ['avx2'],
      enabledBy: 'full-cpuid-auto-level',
    });
    expect(catalog.minimumOf).toEqual({ 'min-level': 'level' });
    expect(catalog.accelClears).toEqual({ tcg: ['kvmclock'] });
    expect(catalog.hostRequirements).toEqual({
      defaultKind: 'cpu',
      properties: {
        x2apic: { kind: 'none', why: 'emulated by KVM' },
        kvmclock: { kind: 'kvm', why: "needs the host kernel's KVM support" },
      },
      onlyWith: { npt: 'svm' },
      source: 'catalog.yaml',
    });
    expect(catalog.files).toEqual(['catalog.yaml']);
  });

  it('reads the same catalog written as JSON', () => {
    const json = JSON.stringify(parseYaml(fixtureText), null, 2);
    const fromJson = parseGenericCatalog(json, 'catalog.json');
    expect(withoutLocations(fromJson)).toEqual(withoutLocations(catalog));
    expect(fromJson.models[0]!.location.line).toBe(lineOf(json, '"name": "Opteron_G3"') - 1);
  });

  it('reports every schema problem at once, each with line, column and schema path', () => {
    const bad = [
      'formatVersion: 1',
      'models:',
      '  - name: Haswell',
      '    prop:',
      '      avx2: true',
      '  - name: Broadwell',
      '    versions:',
      '      - version: zero',
      'machineTypes:',
      '  - name: pc-q35-9.0',
      '    family: pc-q35',
      '    version: "9.0"',
      'hostRequirements:',
      '  defaultKind: maybe',
      '',
    ].join('\n');
    const err = expectCatalogError(() => parseGenericCatalog(bad, 'bad.yaml'));
    const lines = err.message.split('\n').slice(1);
    expect(lines).toEqual([
      expect.stringMatching(
        /^bad\.yaml:4:5: unknown key 'prop' in models\.0 \(allowed: name, props, deprecated, versions\) \[schema #\/properties\/models\/items\/additionalProperties\]$/,
      ),
      expect.stringMatching(
        /^bad\.yaml:8:18: models\.1\.versions\.0\.version must be integer \[schema .*\/version\/type\]$/,
      ),
      expect.stringMatching(
        /^bad\.yaml:10:5: machineTypes\.0 is missing 'released' \[schema .*\/required\]$/,
      ),
      expect.stringMatching(
        /^bad\.yaml:14:16: hostRequirements\.defaultKind must be equal to one of the allowed values: "cpu", "kvm", "none" \[schema .*\/enum\]$/,
      ),
    ]);
    expect(err.location).toEqual({ path: 'bad.yaml', line: 4, column: 5 });
    expect(err.hint).toMatch(/docs\/catalog-format\.md/);
  });

  it('rejects bad property names with the key position', () => {
    const err = expectCatalogError(() =>
      parseGenericCatalog(
        'formatVersion: 1\nmodels:\n  - name: X\n    props:\n      "bad name": true\n',
        'c.yaml',
      ),
    );
    expect(err.message).toMatch(/c\.yaml:5:7: key 'bad name' in models\.0\.props must match pattern/);
  });

  it('reports YAML syntax errors with their position', () => {
    const err = expectCatalogError(() =>
      parseGenericCatalog('formatVersion: 1\nmodels:\n  - name: [X\n', 's.yaml'),
    );
    expect(err.message).toMatch(/^catalog file is not valid YAML/);
    expect(err.location?.path).toBe('s.yaml');
    expect(err.location?.line).toBeGreaterThanOrEqual(3);
  });

  it('refuses alias bombs and oversized files with a clear message', () => {
    const bomb = [
      'formatVersion: 1',
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
      'models: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
      '',
    ].join('\n');
    expect(expectCatalogError(() => parseGenericCatalog(bomb, 'bomb.yaml')).message).toMatch(
      /cannot be expanded/,
    );
    const big = 'formatVersion: 1\nmodels: []\n' + '#'.repeat(MAX_CATALOG_BYTES);
    const err = expectCatalogError(() => parseGenericCatalog(big, 'big.yaml'));
    expect(err.message).toMatch(/more than the limit of 1048576/);
  });

  it('checks what the schema cannot: version order, unique names, defined compat sets, machine order; notes compat entries for unknown models', () => {
    const base =
      'formatVersion: 1\nmodels:\n  - name: Haswell\n    versions:\n      - version: 1\n      - version: 3\n';
    expect(expectCatalogError(() => parseGenericCatalog(base, 'c.yaml')).location).toEqual({
      path: 'c.yaml',
      line: 6,
    });
    const dup =
      'formatVersion: 1\nmodels:\n  - name: Haswell\n  - name: X\n    versions:\n      - version: 1\n        alias: Haswell\n';
    const dupErr = expectCatalogError(() => parseGenericCatalog(dup, 'c.yaml'));
    expect(dupErr.message).toMatch(/Haswell is registered twice \(first at line 3\)/);
    expect(dupErr.location?.line).toBe(7);
    const undefinedSet =
      'formatVersion: 1\nmodels: []\nmachineTypes:\n  - name: m-1.0\n    family: m\n    version: "1.0"\n    released: true\n    compatSets: [compat_1_0]\n';
    const setErr = expectCatalogError(() => parseGenericCatalog(undefinedSet, 'c.yaml'));
    expect(setErr.message).toMatch(/compat set compat_1_0, which the catalog does not define/);
    expect(setErr.location?.line).toBe(8);
    const unknownTarget =
      'formatVersion: 1\nmodels: []\ncompatSets:\n  s:\n    - { target: Icelake-Client, property: mpx, value: true }\n';
    expect(parseGenericCatalog(unknownTarget, 'c.yaml').notes).toEqual([
      'c.yaml:5: compat set s names model Icelake-Client, which the catalog does not register; the entry applies to no CPU',
    ]);
    const order =
      'formatVersion: 1\nmodels: []\nmachineTypes:\n' +
      '  - { name: m-10.0, family: m, version: "10.0", released: true }\n' +
      '  - { name: m-9.2, family: m, version: "9.2", released: true }\n';
    const orderErr = expectCatalogError(() => parseGenericCatalog(order, 'c.yaml'));
    expect(orderErr.message).toMatch(/m-9\.2 \(9\.2\) comes after m 10\.0 but is not newer/);
    expect(orderErr.location?.line).toBe(5);
  });

  it("treats names that are JavaScript's own object keys as plain names", () => {
    const members = ['toString', 'constructor', '__proto__', 'hasOwnProperty'];
    for (const name of members) {
      const undefinedSet =
        'formatVersion: 1\nmodels: []\nmachineTypes:\n  - name: m-1.0\n    family: m\n    version: "1.0"\n' +
        `    released: true\n    compatSets: ["${name}"]\n`;
      const err = expectCatalogError(() => parseGenericCatalog(undefinedSet, 'c.yaml'));
      expect(err.message).toContain(`compat set ${name}, which the catalog does not define`);
      expect(err.location?.line).toBe(8);
    }
    const named = parseGenericCatalog(
      [
        'formatVersion: 1',
        'models:',
        ...members.map((n) => `  - { name: "${n}", props: { "${n}": true } }`),
        'compatSets:',
        '  "__proto__": [{ target: constructor, property: toString, value: "off" }]',
        'machineTypes:',
        '  - { name: m-1.0, family: m, version: "1.0", released: true, compatSets: ["__proto__"] }',
        'hostRequirements: { properties: { "toString": { kind: none, why: emulated } } }',
        '',
      ].join('\n'),
      'c.yaml',
    );
    expect(named.models.map((m) => m.name)).toEqual(members);
    expect(Object.keys(named.compatSets)).toEqual(['__proto__']);
    expect(named.compatSets['__proto__']?.entries[0]).toMatchObject({
      target: 'constructor',
      property: 'toString',
    });
    expect(named.hostRequirements.properties['toString']).toEqual({ kind: 'none', why: 'emulated' });
    expect(named.hostRequirements.properties['constructor']).toBeUndefined();
    expect(named.propertyDefaults['toString']).toBeUndefined();
  });
});

describe('generic catalog export', () => {
  it('exports a hand-built catalog that reads back to the same catalog', () => {
    const at = (line: number) => ({ path: 'x', line });
    const built: Catalog = {
      format: 'qemu-x86',
      projectVersion: '7.2.0',
      models: [
        {
          name: 'Haswell',
          location: at(1),
          props: [
            { property: 'vendor', value: 'GenuineIntel', location: at(2) },
            { property: 'family', value: 6, location: at(3) },
            { property: 'hle', value: true, location: at(4) },
            { property: 'model-id', value: '123', location: at(5) },
          ],
          versions: [
            { version: 1, props: [], location: at(6) },
            {
              version: 2,
              alias: 'Haswell-noTSX',
              aliasLocation: at(7),
              props: [{ property: 'hle', value: false, location: at(8) }],
              location: at(9),
            },
            {
              version: 3,
              note: 'TSX back',
              props: [{ property: 'hle', value: true, location: at(10) }],
              location: at(11),
            },
          ],
        },
        {
          name: 'qemu64',
          location: at(12),
          props: [{ property: 'on', value: 'yes', location: at(13) }],
          versions: [{ version: 1, props: [], location: at(12) }],
        },
        {
          name: 'Old',
          location: at(14),
          props: [],
          deprecation: { note: 'gone soon', location: at(15) },
          versions: [{ version: 1, props: [], location: at(14) }],
        },
      ],
      machineTypes: [
        {
          name: 'pc-i440fx-4.0',
          family: 'pc-i440fx',
          version: '4.0',
          location: at(20),
          compatSets: ['hw_compat_4_0', 'pc_compat_4_0'],
          accelDefaultChanges: [{ accel: 'kvm', property: 'x2apic', value: null, location: at(21) }],
          defaultCpuVersion: 'legacy',
          released: true,
          aliases: [],
        },
        {
          name: 'pc-i440fx-4.1',
          family: 'pc-i440fx',
          version: '4.1',
          location: at(22),
          compatSets: [],
          accelDefaultChanges: [],
          defaultCpuVersion: 1,
          released: false,
          aliases: ['pc'],
        },
      ],
      compatSets: {
        hw_compat_4_0: {
          name: 'hw_compat_4_0',
          location: at(30),
          entries: [
            { driver: 'virtio-gpu-device', target: null, property: 'edid', value: 'false', location: at(31) },
          ],
        },
        pc_compat_4_0: {
          name: 'pc_compat_4_0',
          location: at(32),
          entries: [
            {
              driver: 'Haswell-x86_64-cpu',
              target: 'Haswell',
              property: 'hle',
              value: 'off',
              location: at(33),
            },
            {
              driver: 'x86_64-cpu',
              target: '*',
              property: 'x-intel-pt-auto-level',
              value: 'off',
              location: at(34),
            },
            {
              driver: 'Haswell-noTSX-x86_64-cpu',
              target: 'Haswell-noTSX',
              property: 'level',
              value: '13',
              location: at(35),
            },
          ],
        },
      },
      accelDefaults: {
        kvm: [{ property: 'kvmclock', value: true, location: at(40) }],
        tcg: [{ property: 'vme', value: false, location: at(41) }],
      },
      propertyDefaults: { vme: false, level: 0, 'model-id': '' },
      alwaysOn: [{ property: 'hypervisor', value: true, location: at(42) }],
      features: [
        { name: 'hle', word: 'FEAT_7_0_EBX', bit: 4, location: at(43) },
        { name: 'x2apic', word: '' },
      ],
      featureDependencies: [{ feature: 'vmx', clears: ['vmx-ept'], location: at(44) }],
      levelRules: [{ property: 'level', atLeast: 7, whenAny: ['hle'], location: at(45) }],
      minimumOf: { 'min-level': 'level' },
      accelClears: { tcg: ['kvmclock', 'kvm-pv-eoi'] },
      hostRequirements: {
        defaultKind: 'cpu',
        properties: { x2apic: { kind: 'none', why: 'emulated' } },
        onlyWith: { 'vmx-ept': 'vmx' },
        source: 'kvm.c',
      },
      files: ['target/i386/cpu.c'],
      notes: [],
    };
    const yamlText = exportCatalog(built);
    const back = parseGenericCatalog(yamlText, 'exported.yaml');
    expect(withoutLocations(back)).toEqual(
      withoutLocations({
        ...built,
        features: [
          { name: 'hle', word: 'FEAT_7_0_EBX', bit: 4 },
          { name: 'x2apic', word: '' },
        ],
      }),
    );
    expect(back.format).toBe('catalog');
    // Strings that look like other YAML types stay strings; locations point into the export.
    expect(back.models[0]!.props.find((p) => p.property === 'model-id')!.value).toBe('123');
    expect(back.compatSets['hw_compat_4_0']!.entries[0]!.value).toBe('false');
    const hleLine = back.models[0]!.versions[1]!.props[0]!.location.line;
    expect(yamlText.split('\n')[hleLine - 1]).toMatch(/^\s+hle: false$/);
    // Exporting again gives the same text: the export is a fixed point.
    expect(exportCatalog(back)).toBe(
      yamlText.replace('exported from a qemu-x86 catalog', 'exported from a catalog catalog'),
    );
  });
});

describe('published schema and catalog sources', () => {
  it('schema/catalog.schema.json is the schema the reader uses', () => {
    const published: unknown = JSON.parse(
      readFileSync(path.join(repoRoot, 'schema/catalog.schema.json'), 'utf8'),
    );
    expect(published).toEqual(JSON.parse(JSON.stringify(catalogSchema)));
  });

  it('reads the catalog from a working tree and from a git revision, and says when it is missing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cmg-generic-'));
    try {
      mkdirSync(path.join(dir, 'catalog'));
      writeFileSync(path.join(dir, 'catalog/models.yaml'), fixtureText);
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], {
          cwd: dir,
          encoding: 'utf8',
        });
      git('init', '-q', '-b', 'main');
      git('add', '.');
      git('commit', '-q', '-m', 'catalog');
      const edited = fixtureText.replace('rdtscp: true', 'rdtscp: false');
      writeFileSync(path.join(dir, 'catalog/models.yaml'), edited);
      git('commit', '-q', '-am', 'turn rdtscp off');

      const repo = new GitRepository(dir);
      const first = await repo.resolveCommit('HEAD~1');
      const fromGit = await readGenericCatalog(await repo.source(first), 'catalog/models.yaml');
      expect(fromGit.models[0]!.props.find((p) => p.property === 'rdtscp')!.value).toBe(true);
      const fromTree = await readGenericCatalog(fsSource(dir), 'catalog/models.yaml');
      expect(fromTree.models[0]!.props.find((p) => p.property === 'rdtscp')!.value).toBe(false);
      expect(fromTree.models[0]!.props.find((p) => p.property === 'rdtscp')!.location).toEqual({
        path: 'catalog/models.yaml',
        line: lineOf(edited, 'rdtscp: false'),
      });
      await expect(readGenericCatalog(fsSource(dir), 'catalog/nope.yaml')).rejects.toThrow(
        /catalog file catalog\/nope\.yaml does not exist/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the YAML writer and reader agree on plain data', () => {
    // A catalog written by any YAML tool (not only the export) reads the same.
    const text = stringify({
      formatVersion: 1,
      models: [{ name: 'A', props: { on: 'off', 'sse4.1': true } }],
    });
    const c = parseGenericCatalog(text, 'a.yaml');
    expect(c.models[0]!.props.map((p) => [p.property, p.value])).toEqual([
      ['on', 'off'],
      ['sse4.1', true],
    ]);
  });
});
