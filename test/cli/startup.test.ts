/**
 * What a run of the built dist/cli.js loads: the YAML, JSON Schema, XML and git libraries are
 * chunks of their own, loaded by the first run that needs them, since evaluating them is a
 * good part of a short run's start (`--help`, `expand`). And the git processes a check starts,
 * each a process start.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { debianSource } from '../support/debian-source.js';
import { TempRepo } from '../support/git-repo.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, process.env['CMG_CLI'] ?? 'dist/cli.js');
const recorder = path.join(root, 'test/support/load-log/register.mjs');
const mini = path.join(root, 'test/fixtures/qemu-mini');
const LIBRARIES = ['yaml', 'ajv', 'ajv-formats', 'fast-xml-parser', 'simple-git'] as const;

let scratch: string;
let runs = 0;
beforeAll(() => {
  scratch = mkdtempSync(path.join(os.tmpdir(), 'cmg-startup-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The libraries a run loaded, and its exit code. */
function librariesLoaded(
  args: string[],
  cwd = root,
): { code: number | null; loaded: string[]; stderr: string } {
  const log = path.join(scratch, `loads-${++runs}.log`);
  const r = spawnSync(process.execPath, ['--import', recorder, cli, ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CMG_LOAD_LOG: log },
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  // The recorder saw the CLI itself: an empty list below means the libraries, not the log.
  expect(files).toContain(`file://${cli}`);
  const loaded = LIBRARIES.filter((name) => files.some((f) => path.basename(f) === `shared-${name}.js`));
  return { code: r.status, loaded, stderr: r.stderr };
}

/** `check` of a revision against itself: a run that reads a catalog through git, and passes. */
const checkOf = (repo: TempRepo, rev: string): string[] => [
  'check',
  '--repo',
  repo.dir,
  '--base',
  rev,
  '--head',
  rev,
  '--format',
  'json',
];

describe('libraries load with the first run that needs them', () => {
  test('help and expand of a QEMU tree load none of them', () => {
    expect(librariesLoaded(['--help'])).toEqual({ code: 0, loaded: [], stderr: '' });
    const expand = librariesLoaded(['expand', '--root', mini, '--output', path.join(scratch, 'e.json')]);
    expect(expand).toEqual({ code: 0, loaded: [], stderr: '' });
  });

  test('a check of git revisions loads none of them; a configuration or a generic catalog, YAML and the schema', () => {
    const repo = new TempRepo();
    try {
      cpSync(mini, repo.dir, { recursive: true });
      const qemu = repo.commitAll('QEMU tree');
      const check = (rev: string): string[] => checkOf(repo, rev);
      expect(librariesLoaded(check(qemu))).toMatchObject({ code: 0, loaded: [] });
      repo.write('.github/cpu-model-guard.yml', 'fail-on: new-model-required\n');
      const configured = repo.commitAll('configuration');
      expect(librariesLoaded(check(configured), repo.dir)).toMatchObject({
        code: 0,
        loaded: ['yaml', 'ajv', 'ajv-formats'],
      });
      repo.write(
        'catalog.yaml',
        readFileSync(path.join(root, 'test/fixtures/generic/mini-catalog.yaml'), 'utf8'),
      );
      const generic = repo.commitAll('generic catalog');
      expect(librariesLoaded([...check(generic), '--catalog', 'catalog:catalog.yaml'])).toMatchObject({
        code: 0,
        loaded: ['yaml', 'ajv', 'ajv-formats'],
      });
    } finally {
      repo.remove();
    }
  });

  test('a check of a libvirt cpu_map loads the XML parser alone', async () => {
    const cpuMap = path.join(await debianSource('libvirt', 'trixie'), 'src', 'cpu_map');
    const repo = new TempRepo();
    try {
      cpSync(cpuMap, path.join(repo.dir, 'cpu_map'), { recursive: true });
      const rev = repo.commitAll('cpu_map');
      const r = librariesLoaded([...checkOf(repo, rev), '--catalog', 'libvirt-cpu-map:cpu_map']);
      expect(r).toEqual({ code: 0, loaded: ['fast-xml-parser'], stderr: '' });
    } finally {
      repo.remove();
    }
  });
});

describe('git processes', () => {
  /** A `git` first on PATH that logs its first two arguments, then runs `body` (sh). */
  function gitShim(name: string, body: string): { env: NodeJS.ProcessEnv; log: string } {
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    const shims = path.join(scratch, name);
    const log = path.join(scratch, `${name}.log`);
    mkdirSync(shims, { recursive: true });
    writeFileSync(
      path.join(shims, 'git'),
      `#!/bin/sh\necho "$1 $2" >> '${log}'\n${body.replaceAll('GIT', `'${realGit}'`)}\n`,
    );
    chmodSync(path.join(shims, 'git'), 0o755);
    return { env: { ...process.env, PATH: `${shims}${path.delimiter}${process.env['PATH']}` }, log };
  }

  /**
   * `check` of the mini tree at base against a renamed model id at head, with a `v*` tag on
   * base, under `env`; the repository is removed after the run.
   */
  function checkTagged(env: NodeJS.ProcessEnv): {
    status: number | null;
    stdout: string;
    stderr: string;
    dir: string;
  } {
    const repo = new TempRepo();
    try {
      cpSync(mini, repo.dir, { recursive: true });
      const base = repo.commitAll('QEMU tree');
      repo.edit('target/i386/cpu.c', '"Alpha Processor (lite)"', '"Alpha Processor (lite, renamed)"');
      const head = repo.commitAll('rename a model id');
      repo.git('tag', 'v9.2.0', base);
      const r = spawnSync(
        process.execPath,
        [cli, 'check', '--repo', repo.dir, '--base', base, '--head', head, '--format', 'json'],
        { encoding: 'utf8', env },
      );
      return { status: r.status, stdout: r.stdout, stderr: r.stderr, dir: repo.dir };
    } finally {
      repo.remove();
    }
  }

  test('a check of two revisions starts two: cat-file for every object and revision, and the tag lookup', () => {
    const { env, log } = gitShim('git-shim', 'exec GIT "$@"');
    const r = checkTagged(env);
    expect(r.stderr).toBe('');
    // The tag was found: the lookup ran and its answer reached the report.
    expect(JSON.parse(r.stdout).release.ref).toBe('v9.2.0');
    expect(readFileSync(log, 'utf8').split('\n').filter(Boolean).sort()).toEqual([
      'cat-file --batch',
      'tag --merged',
    ]);
  });

  test('a tag lookup that git fails is an error of the environment, with what git said (exit 2)', () => {
    const { env } = gitShim(
      'git-failing-tag',
      '[ "$1" = tag ] && { echo "fatal: unable to read refs: Permission denied" >&2; exit 128; }\nexec GIT "$@"',
    );
    const r = checkTagged(env);
    expect({ code: r.status, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
    expect(r.stderr).toBe(
      `cpu-model-guard: git tag in ${r.dir} failed: fatal: unable to read refs: Permission denied\n` +
        '  hint: check that the folder is a git repository and that git works there (git status)\n',
    );
  });
});
