/**
 * The CLI as users run it: the built dist/cli.js in its own process, on real git
 * repositories, with its exit codes and its stdout/stderr.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { debianSource } from '../support/debian-source.js';
import type { TempRepo } from '../support/git-repo.js';
import { addAvx512fToHaswell, addHaswellVersion5, repoWithQemuCatalog } from '../support/qemu-edits.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, process.env['CMG_CLI'] ?? 'dist/cli.js');
const mini = path.join(root, 'test/fixtures/qemu-mini');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let repo: TempRepo;
let base: string;

beforeAll(async () => {
  repo = await repoWithQemuCatalog('qemu');
  base = repo.commitAll('QEMU 7.2 catalog in a subfolder');
  repo.git('tag', 'v7.2.0');
});

const scratchDirs: string[] = [];
afterAll(() => {
  repo?.remove();
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

describe('check', () => {
  test('a clean change passes with exit 0 and says why it is safe', () => {
    const head = repo.branch('new-version', base, (r) =>
      addHaswellVersion5(r, 'qemu/target/i386/cpu.c', [['avx512f', 'on']]),
    );
    const r = run('check', '--repo', repo.dir, '--base', base, '--head', head, '--catalog', 'qemu-x86:qemu');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('version-added');
    expect(r.stdout).toContain('Haswell-v5');
    expect(r.stdout).toMatch(/released:.*v7\.2\.0/);
    expect(r.stdout).toMatch(/Result: PASS/);
    const absolute = run(
      'check',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      head,
      '--catalog',
      `qemu-x86:${repo.dir}/qemu`,
    );
    expect(absolute.stderr).toBe('');
    expect(absolute.stdout).toBe(r.stdout);
  });

  test('a broken rule exits 1; the JSON report follows its schema and points at the line', () => {
    const head = repo.branch('feature-added', base, (r) => addAvx512fToHaswell(r, 'qemu/target/i386/cpu.c'));
    const r = run(
      'check',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      head,
      '--catalog',
      'qemu-x86:qemu',
      '--format',
      'json',
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(
      JSON.parse(readFileSync(path.join(root, 'schema/report.schema.json'), 'utf8')),
    );
    expect(validate.errors ?? validate(report)).toBe(true);
    expect(report.result).toBe('fail');
    const [f] = report.findings;
    expect(f).toMatchObject({
      rule: 'released-model-changed',
      class: 'new-model-required',
      property: 'avx512f',
    });
    expect(f.location).toEqual({
      path: 'qemu/target/i386/cpu.c',
      line: repo.lineOf('qemu/target/i386/cpu.c', 'CPUID_7_0_EBX_AVX512F |'),
      side: 'RIGHT',
    });

    const lenient = run(
      'check',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      head,
      '--catalog',
      'qemu-x86:qemu',
      '--fail-on',
      'never',
    );
    expect(lenient.code).toBe(0);
    const sarif = run(
      'check',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      head,
      '--catalog',
      'qemu-x86:qemu',
      '--format',
      'sarif',
    );
    expect(JSON.parse(sarif.stdout).runs[0].results[0]).toMatchObject({
      ruleId: 'released-model-changed',
      level: 'error',
    });
  });

  test('input errors exit 2 with a message and no stack trace', () => {
    const cases: [string[], RegExp][] = [
      [
        [
          'check',
          '--repo',
          repo.dir,
          '--base',
          base,
          '--head',
          'no-such-branch',
          '--catalog',
          'qemu-x86:qemu',
        ],
        /revision no-such-branch is not a commit/,
      ],
      [
        ['check', '--repo', repo.dir, '--base', base, '--head', base],
        /no CPU model catalog found at the root/,
      ],
      [
        ['check', '--repo', repo.dir, '--base', base, '--head', base, '--catalog', 'qemu-x86:.'],
        /not a QEMU x86 catalog: VERSION, .* missing/,
      ],
      [
        ['check', '--repo', repo.dir, '--base', base, '--head', base, '--catalog', 'qemu-x86:../elsewhere'],
        /leaves the repository/,
      ],
      [
        ['check', '--repo', repo.dir, '--base', base, '--head', base, '--catalog', 'nosuch:qemu'],
        /unknown catalog format "nosuch"/,
      ],
      [['check', '--repo', repo.dir, '--base', base], /check needs --head/],
      [
        ['check', '--repo', repo.dir, '--base', base, '--head', base, '--fail-on', 'sometimes'],
        /--fail-on sometimes is not one of/,
      ],
      [['check', '--bogus'], /unknown flag --bogus for check\n {2}hint: run cpu-model-guard help check/],
      [['check', '--bse', base], /unknown flag --bse for check\n {2}hint: did you mean --base\?/],
      [['check', '--repo'], /--repo needs a value/],
      [['expand', '--root', mini, '--base', base], /expand takes no --base/],
      [['chek'], /unknown command chek\n {2}hint: did you mean check\?/],
      [
        ['expand', '--root', mini, '--model', 'Alpha-Lte'],
        /no model Alpha-Lte in this catalog\n {2}hint: did you mean Alpha-Lite\?/,
      ],
      [
        ['expand', '--root', mini, '--machine', 'q3'],
        /no machine type q3 in this catalog\n {2}hint: did you mean q35\?/,
      ],
      [['frobnicate'], /unknown command frobnicate/],
      [['expand', '--root', mini, '--machine', 'pc-q35-1.0'], /no machine type pc-q35-1.0/],
    ];
    for (const [args, message] of [...cases, ...fileSystemMistakes()]) {
      const r = run(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
  });

  /** Folders, files and links given where the other kind is expected: the user's to fix. */
  function fileSystemMistakes(): [string[], RegExp][] {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'cmg-cli-fs-'));
    scratchDirs.push(scratch);
    const aFile = path.join(scratch, 'a-file');
    writeFileSync(aFile, 'not a folder\n');
    const looping = path.join(scratch, 'looping');
    cpSync(mini, looping, { recursive: true });
    rmSync(path.join(looping, 'target/i386/cpu.c'));
    symlinkSync('cpu.c', path.join(looping, 'target/i386/cpu.c'));
    const check = ['check', '--repo', repo.dir, '--base', base, '--head', base, '--catalog', 'qemu-x86:qemu'];
    return [
      [
        ['check', '--repo', path.join(scratch, 'nowhere'), '--base', 'a', '--head', 'b'],
        /nowhere: no such file or folder/,
      ],
      [
        ['check', '--repo', aFile, '--base', 'a', '--head', 'b'],
        /a-file: a file, expected the folder of a git repository/,
      ],
      [
        [...check, '--output', path.join(scratch, 'no-folder', 'r.txt')],
        /no-folder\/r\.txt: no such file or folder/,
      ],
      [[...check, '--output', scratch], /cmg-cli-fs-\w+: a folder, expected a file/],
      [['audit', '--root', aFile], /a-file: a file, expected the folder of a catalog/],
      [['audit', '--root', looping], /cpu\.c: a symbolic link that leads to itself/],
      [['expand', '--root', mini, '--output', scratch], /: a folder, expected a file/],
    ];
  }

  test('a catalog broken in head is an input error naming file and line, never a pass', () => {
    const head = repo.branch('broken', base, (r) => {
      const text = r.read('qemu/target/i386/cpu.c');
      r.write('qemu/target/i386/cpu.c', text.slice(0, text.indexOf('.name = "Haswell"')));
    });
    const r = run('check', '--repo', repo.dir, '--base', base, '--head', head, '--catalog', 'qemu-x86:qemu');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cpu-model-guard: qemu\/target\/i386\/cpu\.c:\d+: a '\{' is never closed/);
  });
});

describe('check --by-commit', () => {
  test('names the commit that introduced each finding', () => {
    const cpu = 'qemu/target/i386/cpu.c';
    repo.git('checkout', '-q', '-B', 'series', base);
    repo.edit(
      cpu,
      '        .name = "Haswell",\n',
      '        /* Fourth generation Core */\n        .name = "Haswell",\n',
    );
    const comment = repo.commitAll('comment only');
    addAvx512fToHaswell(repo, cpu);
    const feature = repo.commitAll('Haswell: avx512f');
    repo.write('qemu/README.cpu-models', 'notes\n');
    const unrelated = repo.commitAll('notes outside the catalog');
    const r = run(
      'check',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      unrelated,
      '--catalog',
      'qemu-x86:qemu',
      '--format',
      'json',
      '--by-commit',
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { findings: { rule: string; commit?: string }[] };
    expect(report.findings.map((f) => [f.rule, f.commit])).toEqual([['released-model-changed', feature]]);
    expect(feature).not.toBe(comment);
    const text = run(
      'check',
      '--repo',
      repo.dir,
      '--base',
      base,
      '--head',
      unrelated,
      '--catalog',
      'qemu-x86:qemu',
      '--by-commit',
    );
    expect(text.stdout).toContain(`introduced in: ${feature.slice(0, 12)}`);
  });
});

describe('several catalogs', () => {
  test('the configuration lists catalogs; each gets its report, and the worst decides the exit code', () => {
    const head = repo.branch('two-catalogs', base, (r) => {
      r.write(
        'models/extra.yaml',
        readFileSync(path.join(root, 'test/fixtures/generic/mini-catalog.yaml'), 'utf8'),
      );
      r.write(
        '.github/cpu-model-guard.yml',
        'catalogs:\n  - { format: qemu-x86, path: qemu }\n  - { format: catalog, path: "models/*.yaml" }\n',
      );
    });
    // The configuration is read from the base revision: commit it there first.
    const configured = repo.branch('configured-base', base, (r) => {
      r.write(
        'models/extra.yaml',
        readFileSync(path.join(root, 'test/fixtures/generic/mini-catalog.yaml'), 'utf8'),
      );
      r.write(
        '.github/cpu-model-guard.yml',
        'catalogs:\n  - { format: qemu-x86, path: qemu }\n  - { format: catalog, path: "models/*.yaml" }\n',
      );
    });
    const changed = repo.branch('configured-head', configured, (r) =>
      r.edit(
        'models/extra.yaml',
        '      avx2: true\n      mpx: true\n',
        '      avx2: true\n      mpx: true\n      avx512f: true\n',
      ),
    );
    const r = run('check', '--repo', repo.dir, '--base', configured, '--head', changed, '--format', 'json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const reports = JSON.parse(r.stdout) as { catalog: { format: string; path: string }; result: string }[];
    expect(reports.map((x) => [x.catalog.format, x.catalog.path, x.result])).toEqual([
      ['qemu-x86', 'qemu', 'pass'],
      ['catalog', 'models/extra.yaml', 'fail'],
    ]);
    const sarif = JSON.parse(
      run('check', '--repo', repo.dir, '--base', configured, '--head', changed, '--format', 'sarif').stdout,
    );
    expect(sarif.runs).toHaveLength(2);
    // Without a configuration in base, the head's configuration does not count.
    const unconfigured = run('check', '--repo', repo.dir, '--base', base, '--head', head, '--format', 'json');
    expect(unconfigured.code).toBe(2);
    expect(unconfigured.stderr).toMatch(/no CPU model catalog found at the root/);
  });
});

describe('help', () => {
  test('help COMMAND and COMMAND --help describe every flag of the command', () => {
    for (const args of [
      ['help', 'check'],
      ['check', '--help'],
    ]) {
      const r = run(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^cpu-model-guard check --repo DIR --base REV --head REV/);
      expect(r.stdout).toMatch(/--release-ref REV +names that exist here count as released/);
      expect(r.stdout).toMatch(/--by-commit +name, for each finding, the commit/);
      // check narrows what the binaries are compared on; expand's own flags stay out of its help.
      expect(r.stdout).toMatch(/--machine NAME .*check with binaries: a glob/);
      expect(r.stdout).not.toMatch(/--pretty/);
    }
    const overview = run('help');
    expect(overview.code).toBe(0);
    expect(overview.stdout).toMatch(/expand +print effective models per machine type/);
  });
});

describe('expand', () => {
  test('writes everything on every machine type of a real tree to --output, whole', async () => {
    const tree = await debianSource('qemu', 'bookworm');
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'cmg-cli-expand-'));
    scratchDirs.push(scratch);
    const file = path.join(scratch, 'expanded.json');
    // Tens of megabytes, written over many event loop turns: the output file must stay open
    // until the last byte, whatever the garbage collector does meanwhile.
    const r = run('expand', '--root', tree, '--output', file);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const written = readFileSync(file);
    const out = JSON.parse(written.toString('utf8'));
    expect(Object.keys(out)).toContain('pc-q35-7.2');
    expect(out['pc-q35-7.2']['Haswell-v4'].avx2).toBe(true);
    // The same bytes on standard output, to a pipe and to a file (`> out.json`, written with
    // one writev per machine type).
    expect(run('expand', '--root', tree).stdout).toBe(written.toString('utf8'));
    const redirected = path.join(scratch, 'redirected.json');
    const fd = openSync(redirected, 'w');
    try {
      const toFile = spawnSync(process.execPath, [cli, 'expand', '--root', tree], {
        stdio: ['ignore', fd, 'pipe'],
      });
      expect(toFile.stderr.toString()).toBe('');
      expect(toFile.status).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(redirected).equals(written)).toBe(true);
  });

  test('reads a catalog given by absolute path without --root, and indents on request', () => {
    const r = run(
      'expand',
      '--catalog',
      `qemu-x86:${mini}`,
      '--machine',
      'q35',
      '--model',
      'Alpha-Lite',
      '--pretty',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\{\n {2}"pc-q35-9\.2": \{\n {4}"Alpha-Lite": \{\n/);
    expect(JSON.parse(r.stdout)['pc-q35-9.2']['Alpha-Lite'].family).toBe(6);
  });

  test('prints effective models with QEMU property names and types', () => {
    const r = run('expand', '--root', mini, '--machine', 'q35', '--model', 'Alpha-Lite', '--format', 'json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['pc-q35-9.2']);
    expect(out['pc-q35-9.2']['Alpha-Lite']).toMatchObject({
      avx2: false,
      'sse4.1': true,
      family: 6,
      model: 60,
      stepping: 4,
      vendor: 'GenuineIntel',
      'model-id': 'Alpha Processor (lite)',
      kvmclock: true,
      'legacy-cache': true,
    });
    const tcg = JSON.parse(
      run(
        'expand',
        '--root',
        mini,
        '--machine',
        'pc-q35-9.0',
        '--model',
        'Alpha',
        '--accel',
        'tcg',
        '--format',
        'json',
      ).stdout,
    );
    expect(tcg['pc-q35-9.0']['Alpha']).toMatchObject({ kvmclock: false, vme: false, 'sse4.1': false });
  });
});

describe('audit and export', () => {
  test('audit of a working tree reports type-2 history and exits by fail-on', () => {
    repo.git('checkout', '-q', base);
    const r = run('audit', '--root', path.join(repo.dir, 'qemu'), '--format', 'markdown');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('machine-type-host-requirement');
    expect(r.stdout).toContain('pku');
    expect(
      run('audit', '--repo', repo.dir, '--ref', base, '--catalog', 'qemu-x86:qemu', '--fail-on', 'never')
        .code,
    ).toBe(0);
  });

  test('export writes a generic catalog that reads back to the same effective models', () => {
    const exported = run('export', '--root', mini);
    expect(exported.code).toBe(0);
    expect(run('export', '--root', mini, '--format', 'catalog').stdout).toBe(exported.stdout);
    repo.git('checkout', '-q', base);
    repo.write('generic/models.yml', exported.stdout);
    const fromExport = JSON.parse(
      run('expand', '--root', repo.dir, '--catalog', 'catalog:generic/models.yml', '--format', 'json').stdout,
    );
    const fromSource = JSON.parse(run('expand', '--root', mini, '--format', 'json').stdout);
    expect(fromExport).toEqual(fromSource);
  });
});
