/**
 * The built CLI in its own process, as a user runs it: usage mistakes, and a seeded sample of
 * damaged real catalogs. Every run ends in exit 2 with one message naming what is wrong, or in
 * the exit code and report of the undamaged catalog; never exit 3, a stack trace or a hang.
 * Each process's peak resident memory is measured from inside it (`process.resourceUsage()`).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QEMU_X86_FILES, REQUIRED_QEMU_FILES } from '../../src/parse/qemu-x86/files.js';
import { debianSource, repoRoot } from '../support/debian-source.js';
import { TempRepo } from '../support/git-repo.js';
import { readmeRows } from '../support/readme-table.js';
import { RELIABILITY_SECTION } from './fuzz-count.js';
import {
  DEFAULT_FUZZ_SEED,
  FUZZ_SEED,
  mutationsOf,
  random,
  ScratchTree,
  seedFor,
  type Mutation,
} from './fuzz-support.js';

const cli = path.join(repoRoot, process.env['CMG_CLI'] ?? 'dist/cli.js');
/** Peak memory of any accepted input, as the README promises. */
const MAX_RSS_BYTES = 200 * 1024 * 1024;
/** A run that takes longer than this has hung: the reader never needs a tenth of it. */
const HANG_MS = 180_000;

const scratch = mkdtempSync(path.join(os.tmpdir(), 'cmg-fuzz-cli-'));
const rssFile = path.join(scratch, 'rss');
// Written at exit by the CLI's own process, so that the number is the CLI's and not a wrapper's.
const measure = `data:text/javascript,${encodeURIComponent(
  `import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(${JSON.stringify(rssFile)},String(process.resourceUsage().maxRSS*1024)))`,
)}`;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  rss: number;
}
const peaks: { what: string; rss: number }[] = [];
let cases = 0;
let refused = 0;

function run(what: string, args: string[], cwd = scratch): Run {
  rmSync(rssFile, { force: true });
  const r = spawnSync(process.execPath, ['--import', measure, cli, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: HANG_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  let rss = 0;
  try {
    rss = Number(readFileSync(rssFile, 'utf8'));
  } catch {
    // No number: the process died before exiting normally; the exit code says so.
  }
  cases++;
  if (r.status === 2) refused++;
  peaks.push({ what, rss });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, rss };
}

/** What is wrong with a run that should be a user's error, or undefined. */
function usageProblem(what: string, r: Run, mention?: RegExp): string | undefined {
  if (r.signal) return `${what}: killed by ${r.signal} (a hang?)`;
  if (r.code !== 2) return `${what}: exit ${r.code}, expected 2: ${r.stderr.slice(0, 400)}`;
  if (/\n\s+at |internal error|Unhandled/.test(r.stderr))
    return `${what}: a stack trace or internal error: ${r.stderr.slice(0, 400)}`;
  if (!r.stderr.startsWith('cpu-model-guard: '))
    return `${what}: the message does not start with the tool's name: ${r.stderr.slice(0, 200)}`;
  if (mention && !mention.test(r.stderr))
    return `${what}: the message does not say ${mention}: ${r.stderr.slice(0, 400)}`;
  return undefined;
}

let qemu: ScratchTree;
let libvirtDir: string;
let repo: TempRepo;
let head: string;

beforeAll(async () => {
  const trixie = await debianSource('qemu', 'trixie');
  qemu = new ScratchTree(
    trixie,
    Object.values(QEMU_X86_FILES).filter((f) => {
      try {
        readFileSync(path.join(trixie, f));
        return true;
      } catch {
        return false;
      }
    }),
  );
  libvirtDir = path.join(await debianSource('libvirt', 'trixie'), 'src', 'cpu_map');
  repo = new TempRepo();
  repo.copyFrom(qemu.dir, qemu.files);
  head = repo.commitAll('QEMU 10.0 catalog');
  writeFileSync(path.join(scratch, 'a-file'), 'not a folder\n');
  mkdirSync(path.join(scratch, 'a-folder'));
  writeFileSync(path.join(scratch, 'bad.yml'), 'failOn: [unbalanced\n');
});
afterAll(() => {
  qemu?.remove();
  repo?.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe('usage mistakes', () => {
  test('each is exit 2 with one message that says what to fix', () => {
    const q = () => qemu.dir;
    const cases: [string, string[], RegExp?][] = [
      ['a misspelt command', ['chek'], /did you mean check/],
      ['an unknown flag', ['check', '--bse', 'x'], /did you mean --base/],
      ['a flag without its value', ['check', '--repo'], /--repo needs a value/],
      ['a flag of another command', ['audit', '--root', q(), '--machine', 'pc'], /audit takes no --machine/],
      ['a stray argument', ['audit', 'extra'], /unexpected argument extra/],
      ['check without --head', ['check', '--repo', repo.dir, '--base', head], /needs --head/],
      [
        '--repo that does not exist',
        ['check', '--repo', path.join(scratch, 'nowhere'), '--base', 'a', '--head', 'b'],
        /nowhere/,
      ],
      ['--repo that is not a repository', ['check', '--repo', scratch, '--base', 'a', '--head', 'b']],
      [
        'a revision that does not exist',
        ['check', '--repo', repo.dir, '--base', 'no-such-rev', '--head', head],
        /no-such-rev/,
      ],
      [
        '--root that is a file',
        ['audit', '--root', path.join(scratch, 'a-file'), '--catalog', 'qemu-x86:.'],
        /a-file/,
      ],
      [
        '--root that does not exist',
        ['audit', '--root', path.join(scratch, 'nowhere'), '--catalog', 'qemu-x86:.'],
        /nowhere/,
      ],
      [
        '--output in a missing folder',
        ['audit', '--root', q(), '--catalog', 'qemu-x86:.', '--output', path.join(scratch, 'no', 'r.txt')],
        /no\/r\.txt/,
      ],
      [
        '--output onto a folder',
        ['audit', '--root', q(), '--catalog', 'qemu-x86:.', '--output', path.join(scratch, 'a-folder')],
        /a-folder/,
      ],
      [
        'expand --output onto a folder',
        ['expand', '--root', q(), '--catalog', 'qemu-x86:.', '--output', path.join(scratch, 'a-folder')],
        /a-folder/,
      ],
      [
        'expand --output in a missing folder',
        ['expand', '--root', q(), '--catalog', 'qemu-x86:.', '--output', path.join(scratch, 'no', 'e.json')],
        /no\/e\.json/,
      ],
      [
        'a catalog path that leaves the tree',
        ['audit', '--root', q(), '--catalog', 'qemu-x86:../..'],
        /leaves the repository/,
      ],
      [
        'an unknown catalog format',
        ['audit', '--root', q(), '--catalog', 'qemu-arm:.'],
        /unknown catalog format/,
      ],
      [
        'the wrong catalog format for the tree',
        ['audit', '--root', q(), '--catalog', 'libvirt-cpu-map:.'],
        /index\.xml/,
      ],
      [
        'a catalog file that is not there',
        ['audit', '--root', q(), '--catalog', 'catalog:cpu-models.yml'],
        /cpu-models\.yml/,
      ],
      [
        'an unknown --fail-on',
        ['audit', '--root', q(), '--catalog', 'qemu-x86:.', '--fail-on', 'sometimes'],
        /--fail-on sometimes/,
      ],
      [
        'an unknown --format',
        ['audit', '--root', q(), '--catalog', 'qemu-x86:.', '--format', 'yaml'],
        /yaml/,
      ],
      [
        'an unknown --accel',
        ['expand', '--root', q(), '--catalog', 'qemu-x86:.', '--accel', 'xen'],
        /--accel xen/,
      ],
      [
        'expand --format text',
        ['expand', '--root', q(), '--catalog', 'qemu-x86:.', '--format', 'text'],
        /JSON only/,
      ],
      [
        'export --format json',
        ['export', '--root', q(), '--catalog', 'qemu-x86:.', '--format', 'json'],
        /catalog format only/,
      ],
      [
        'a configuration file that is not there',
        ['audit', '--root', q(), '--catalog', 'qemu-x86:.', '--config', 'missing.yml'],
        /missing\.yml/,
      ],
      [
        'a configuration file that is not YAML',
        ['audit', '--root', scratch, '--config', 'bad.yml'],
        /bad\.yml:\d+:\d+: configuration file is not valid YAML/,
      ],
      [
        'a machine type that does not exist',
        ['expand', '--root', q(), '--catalog', 'qemu-x86:.', '--machine', 'pc-q35-99.0'],
        /pc-q35-99\.0/,
      ],
      [
        'a misspelt model',
        ['expand', '--root', q(), '--catalog', 'qemu-x86:.', '--model', 'Haswel'],
        /did you mean Haswell/,
      ],
      [
        'expand on a libvirt map',
        ['expand', '--root', libvirtDir, '--catalog', 'libvirt-cpu-map:.'],
        /no machine types/,
      ],
    ];
    const problems = cases.flatMap(
      ([what, args, mention]) => usageProblem(what, run(what, args), mention) ?? [],
    );
    expect({ seed: FUZZ_SEED, problems }).toEqual({ seed: FUZZ_SEED, problems: [] });
  });
});

describe('damaged real catalogs through the CLI', () => {
  test('a seeded sample: exit 2 naming the file, or the undamaged exit code and report', async () => {
    const r = random(seedFor('cli sample'));
    const audit = ['audit', '--root', qemu.dir, '--catalog', 'qemu-x86:.', '--format', 'json'];
    const undamaged = run('undamaged QEMU 10.0', audit);
    expect(undamaged.stderr).toBe('');
    expect(undamaged.code).toBe(1);
    const sample: Mutation[] = [];
    const keys = Object.keys(QEMU_X86_FILES).filter((k) =>
      qemu.files.includes(QEMU_X86_FILES[k as keyof typeof QEMU_X86_FILES]),
    );
    while (sample.length < 8) {
      const key = r.pick(keys) as keyof typeof QEMU_X86_FILES;
      const file = QEMU_X86_FILES[key];
      const all = mutationsOf(file, qemu.text(file), file === 'VERSION' ? 'yaml' : 'c', {
        required: REQUIRED_QEMU_FILES.includes(key),
      }).filter((m) => m.expect !== 'any');
      sample.push(r.pick(all));
    }
    const problems: string[] = [];
    for (const m of sample) {
      const got = await qemu.with(m.file, m.damage, async () => run(m.name, audit));
      if (got.code === 2) {
        const problem = usageProblem(m.name, got, new RegExp(m.file.replace(/[.]/g, '\\.')));
        if (problem) problems.push(problem);
      } else if (m.expect === 'error') problems.push(`${m.name}: exit ${got.code}, expected 2`);
      else if (got.code !== undamaged.code || got.stdout !== undamaged.stdout || got.signal)
        problems.push(
          `${m.name}: exit ${got.code} ${got.signal ?? ''} with another report than the undamaged tree's`,
        );
    }
    // libvirt's deepest danger and its plainest one, through the process: libvirt maps have no
    // machine types to audit, so each is a check of a damaged head against the real map.
    const files = readdirSync(libvirtDir).filter((f) => f.endsWith('.xml'));
    const maps = new TempRepo();
    try {
      maps.copyFrom(libvirtDir, files, 'cpu_map');
      const base = maps.commitAll('libvirt 11.3 cpu_map');
      const check = (rev: string) => [
        'check',
        '--repo',
        maps.dir,
        '--base',
        base,
        '--head',
        rev,
        '--catalog',
        'libvirt-cpu-map:cpu_map',
      ];
      const whole = run('undamaged libvirt map', check(base));
      expect(whole.stderr).toBe('');
      expect(whole.code).toBe(0);
      for (const [what, file, text] of [
        [
          'elements nested 200,000 deep',
          'x86_Haswell.xml',
          `<cpus>\n${'<a>'.repeat(200_000)}${'</a>'.repeat(200_000)}\n</cpus>\n`,
        ],
        [
          'a DTD',
          'x86_features.xml',
          `<!DOCTYPE cpus [<!ENTITY a "a">]>\n${readFileSync(path.join(libvirtDir, 'x86_features.xml'), 'utf8')}`,
        ],
      ] as const) {
        const head = maps.branch(what.replace(/\W+/g, '-'), base, (r) => r.write(`cpu_map/${file}`, text));
        const problem = usageProblem(what, run(what, check(head)), new RegExp(file.replace(/[.]/g, '\\.')));
        if (problem) problems.push(problem);
      }
    } finally {
      maps.remove();
    }
    // The heaviest output there is: every model on every machine type, some 80 MB of JSON.
    const expand = run('expand of QEMU 10.0', [
      'expand',
      '--root',
      qemu.dir,
      '--catalog',
      'qemu-x86:.',
      '--output',
      path.join(scratch, 'expand.json'),
    ]);
    expect(expand.code).toBe(0);
    rmSync(path.join(scratch, 'expand.json'), { force: true });
    expect({ seed: FUZZ_SEED, problems }).toEqual({ seed: FUZZ_SEED, problems: [] });
  });

  test('no run used more than 200 MB; the README states the cases and the peak', async () => {
    const peak = peaks.reduce((a, b) => (b.rss > a.rss ? b : a));
    const mb = Math.ceil(peak.rss / 1024 / 1024);
    console.log(`fuzz cli: ${cases} runs, seed ${FUZZ_SEED}: peak RSS ${mb} MB (${peak.what})`);
    expect(peaks.every((p) => p.rss > 0)).toBe(true);
    expect(peak.rss).toBeLessThan(MAX_RSS_BYTES);
    if (FUZZ_SEED !== DEFAULT_FUZZ_SEED) return;
    const [row] = await readmeRows(RELIABILITY_SECTION, 'CLI processes');
    expect(row?.slice(1, 4)).toEqual([String(cases), String(FUZZ_SEED), String(refused)]);
    // The README states a ceiling with room for another machine's allocator.
    expect(mb).toBeLessThanOrEqual(Number(/(\d+) MB/.exec(row?.[4] ?? '')?.[1]));
  });
});
