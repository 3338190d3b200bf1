import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostRequirementTable } from '../../src/catalog/model.js';
import { configSchema } from '../../src/config/config-schema.js';
import {
  applyHostRequirementOverrides,
  expandCatalogPaths,
  loadConfig,
  repositoryPath,
  withoutIgnoredModels,
} from '../../src/config/config.js';
import { parseConfig } from '../../src/config/config-file.js';
import { UsageError } from '../../src/errors.js';
import type { Finding } from '../../src/report/finding.js';
import { fsSource } from '../../src/source/fs-source.js';
import { GitRepository } from '../../src/source/git-source.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const fullConfig = `# cpu-model-guard configuration of a hypervisor project
catalogs:
  - format: qemu-x86
    path: .
  - format: libvirt-cpu-map
    path: ./src/cpu_map/
  - format: catalog
    path: catalogs/*.yaml
fail-on: type-2
ignore-models:
  - Denverton*
  - EPYC-Milan
host-requirements:
  rdtscp:
    kind: none
    why: every host meets the project's minimum of Linux 4.5 and a CPU with rdtscp
waivers:
  - rule: machine-type-host-requirement
    models: [Opteron_G3, Opteron_G4, Opteron_G5]
    property: rdtscp
    reason: QEMU 4.0 requires Linux 4.5 on the host, which supports rdtscp for every AMD host
    expires: 2027-06-30
    owner: "@virt-maintainers"
  - rule: libvirt-model-changed
    models: EPYC-Genoa
    reason: the model was never shipped in a release of any distribution
`;

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('configuration file', () => {
  it('reads every key, with lines for catalogs and waivers', () => {
    const config = parseConfig(fullConfig, '.github/cpu-model-guard.yml');
    expect(config.found).toBe(true);
    expect(config.catalogs).toEqual([
      { format: 'qemu-x86', path: '.', line: 3 },
      { format: 'libvirt-cpu-map', path: 'src/cpu_map', line: 5 },
      { format: 'catalog', path: 'catalogs/*.yaml', line: 7 },
    ]);
    expect(config.failOn).toBe('type-2');
    expect(config.ignoreModels).toEqual(['Denverton*', 'EPYC-Milan']);
    expect(config.hostRequirements).toEqual({
      rdtscp: {
        kind: 'none',
        why: "every host meets the project's minimum of Linux 4.5 and a CPU with rdtscp",
      },
    });
    expect(config.waivers).toEqual([
      {
        rule: 'machine-type-host-requirement',
        models: ['Opteron_G3', 'Opteron_G4', 'Opteron_G5'],
        property: 'rdtscp',
        reason: 'QEMU 4.0 requires Linux 4.5 on the host, which supports rdtscp for every AMD host',
        expires: '2027-06-30',
        owner: '@virt-maintainers',
        source: '.github/cpu-model-guard.yml:18',
      },
      {
        rule: 'libvirt-model-changed',
        models: ['EPYC-Genoa'],
        reason: 'the model was never shipped in a release of any distribution',
        source: '.github/cpu-model-guard.yml:24',
      },
    ]);
  });

  it('an empty file is all defaults', () => {
    const config = parseConfig('# nothing configured yet\n', 'c.yml');
    expect(config).toEqual({
      path: 'c.yml',
      found: true,
      catalogs: [],
      ignoreModels: [],
      hostRequirements: {},
      waivers: [],
    });
  });

  it('reports unknown keys, wrong types and unknown formats with line, column and what is allowed', () => {
    const bad = [
      'catalogs:',
      '  - format: qemu',
      '    path: .',
      'fail_on: type-2',
      'ignore-models: Denverton',
      'waivers:',
      '  - rule: released-model-changed',
      '    models: [Haswell]',
      '    reason: short',
      '    expires: 30/06/2027',
      '',
    ].join('\n');
    const err = usageError(() => parseConfig(bad, 'cfg.yml'));
    const lines = err.message.split('\n').slice(1);
    expect(lines).toEqual([
      expect.stringMatching(
        /^cfg\.yml:2:13: catalogs\.0\.format must be equal to one of the allowed values: "qemu-x86", "libvirt-cpu-map", "catalog" \[schema .*\/enum\]$/,
      ),
      expect.stringMatching(
        /^cfg\.yml:4:1: unknown key 'fail_on' in the top level \(allowed: catalogs, fail-on, fail-on-review, cpuid-functions, ignore-models, host-requirements, waivers\) \[schema #\/additionalProperties\]$/,
      ),
      expect.stringMatching(/^cfg\.yml:5:16: ignore-models must be array \[schema .*\/type\]$/),
      expect.stringMatching(/^cfg\.yml:9:13: waivers\.0\.reason must NOT have fewer than 10 characters/),
      expect.stringMatching(/^cfg\.yml:10:14: waivers\.0\.expires must match format "date"/),
    ]);
    expect(err.location).toEqual({ path: 'cfg.yml', line: 2, column: 13 });
    expect(err.hint).toMatch(/docs\/configuration\.md/);
  });

  it('requires a reason on every waiver and rejects rules that are not waivable', () => {
    const err = usageError(() =>
      parseConfig('waivers:\n  - rule: model-added\n    models: [X]\n', 'cfg.yml'),
    );
    expect(err.message).toMatch(/cfg\.yml:2:5: waivers\.0 is missing 'reason'/);
    expect(err.message).toMatch(
      /cfg\.yml:2:11: waivers\.0\.rule must be equal to one of the allowed values: "released-model-changed"/,
    );
  });

  it('refuses catalog paths that leave the repository', () => {
    for (const p of ['../qemu', '/etc', 'a/../../b', 'C:/qemu', 'a\\..\\..\\b']) {
      const err = usageError(() =>
        parseConfig(`catalogs:\n  - format: catalog\n    path: '${p}'\n`, 'cfg.yml'),
      );
      expect(err.message).toBe(`catalog path ${p} leaves the repository`);
      expect(err.location).toEqual({ path: 'cfg.yml', line: 3 });
    }
    expect(repositoryPath('a/b/../c/')).toBe('a/c');
    expect(repositoryPath('./')).toBe('.');
  });

  it('refuses oversized files and alias bombs', () => {
    expect(usageError(() => parseConfig('#'.repeat(300 * 1024), 'cfg.yml')).message).toMatch(
      /more than the limit/,
    );
    const bomb =
      'a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nignore-models: [*b, *b, *b, *b, *b, *b, *b, *b]\n';
    expect(usageError(() => parseConfig(bomb, 'cfg.yml')).message).toMatch(/cannot be expanded/);
  });

  it('schema/config.schema.json is the schema the reader uses', () => {
    const published: unknown = JSON.parse(
      readFileSync(path.join(repoRoot, 'schema/config.schema.json'), 'utf8'),
    );
    expect(published).toEqual(JSON.parse(JSON.stringify(configSchema)));
  });
});

describe('configuration in a repository', () => {
  it('loads from a git revision and a working tree, defaults when missing, expands catalog globs', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cmg-config-'));
    try {
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.org', ...args], {
          cwd: dir,
          encoding: 'utf8',
        });
      git('init', '-q', '-b', 'main');
      writeFileSync(path.join(dir, 'README'), 'catalogs\n');
      git('add', '.');
      git('commit', '-q', '-m', 'start');
      mkdirSync(path.join(dir, '.github'));
      mkdirSync(path.join(dir, 'catalogs'));
      writeFileSync(path.join(dir, '.github/cpu-model-guard.yml'), fullConfig);
      writeFileSync(path.join(dir, 'catalogs/x86.yaml'), 'formatVersion: 1\nmodels: []\n');
      writeFileSync(path.join(dir, 'catalogs/arm.yaml'), 'formatVersion: 1\nmodels: []\n');
      writeFileSync(path.join(dir, 'catalogs/notes.txt'), 'not a catalog\n');
      git('add', '.');
      git('commit', '-q', '-m', 'configure the guard');

      const repo = new GitRepository(dir);
      const before = await loadConfig(await repo.source(await repo.resolveCommit('HEAD~1')));
      expect(before.found).toBe(false);
      expect(before.catalogs).toEqual([]);
      await expect(
        loadConfig(await repo.source(await repo.resolveCommit('HEAD~1')), 'ci/guard.yml', true),
      ).rejects.toThrow(/configuration file ci\/guard\.yml does not exist/);

      const head = await repo.source(await repo.resolveCommit('HEAD'));
      const config = await loadConfig(head);
      expect(config.waivers).toHaveLength(2);
      const globbed = await expandCatalogPaths(head, config.catalogs[2]!, config.path);
      expect(globbed.map((c) => c.path)).toEqual(['catalogs/arm.yaml', 'catalogs/x86.yaml']);
      const none = { format: 'catalog' as const, path: 'catalogs/*.json', line: 7 };
      await expect(expandCatalogPaths(fsSource(dir), none, config.path)).rejects.toThrow(
        /catalogs\/\*\.json matches no file/,
      );
      await expect(
        expandCatalogPaths(fsSource(dir), { ...none, path: '*/x86.yaml' }, config.path),
      ).rejects.toThrow(/wildcard before its last part/);
      expect(await expandCatalogPaths(fsSource(dir), config.catalogs[0]!, config.path)).toEqual([
        config.catalogs[0],
      ]);
      await expect(loadConfig(fsSource(dir), '../elsewhere.yml')).rejects.toThrow(/leaves the repository/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('host-requirement overrides and ignored models', () => {
  it('overrides entries of the table and says where they came from', () => {
    const table: HostRequirementTable = {
      defaultKind: 'cpu',
      properties: {
        x2apic: { kind: 'none', why: 'emulated by KVM' },
        kvmclock: { kind: 'kvm', why: 'needs KVM' },
      },
      source: 'target/i386/kvm/kvm.c',
    };
    const config = parseConfig(fullConfig, '.github/cpu-model-guard.yml');
    const merged = applyHostRequirementOverrides(table, config);
    expect(merged.properties['rdtscp']).toEqual(config.hostRequirements['rdtscp']);
    expect(merged.properties['x2apic']).toEqual(table.properties['x2apic']);
    expect(merged.source).toBe('target/i386/kvm/kvm.c, overridden by .github/cpu-model-guard.yml');
    expect(table.properties['rdtscp']).toBeUndefined();
  });

  it('leaves out findings whose every model is ignored', () => {
    const finding = (models: string[]): Finding => ({
      rule: 'released-model-changed',
      class: 'new-model-required',
      verdict: 'fail',
      title: 't',
      message: 'm',
      models,
      machineTypes: [],
      location: { path: 'target/i386/cpu.c', line: 1, side: 'RIGHT' },
      fix: 'f',
      fingerprint: models.join(','),
    });
    const all = [
      finding(['Denverton-v2']),
      finding(['EPYC-Milan', 'EPYC-Milan-v1']),
      finding(['EPYC-Milan']),
      finding(['Haswell']),
    ];
    const { findings, ignored } = withoutIgnoredModels(all, ['Denverton*', 'EPYC-Milan']);
    expect(ignored.map((f) => f.fingerprint)).toEqual(['Denverton-v2', 'EPYC-Milan']);
    expect(findings.map((f) => f.fingerprint)).toEqual(['EPYC-Milan,EPYC-Milan-v1', 'Haswell']);
  });
});
