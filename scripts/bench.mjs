#!/usr/bin/env node
/* global process, console, URL, Buffer */
// Benchmark of the CLI on a real QEMU tree, side by side with the QEMU binary answering the
// same question through QMP.
//
//   node scripts/bench.mjs [--runs N] [--suite bookworm] [--qmp-only] [--cli FILE]
//
// Every measurement is a whole process, started fresh: wall time is the median of N runs after
// one unmeasured warm-up run, peak memory is the largest resident set of the process (and its
// children) as /usr/bin/time reports it. Prints a Markdown table.
//
//   check   node dist/cli.js check --repo R --base base --head head --format json
//           R is a git repository whose base commit is the real tree and whose head commit
//           adds a feature to a released model (a change the check must flag)
//   audit   node dist/cli.js audit --repo R --ref head --format json
//   expand  node dist/cli.js expand --root TREE --format json (every machine type and model)
//   --help  node dist/cli.js --help: the CLI's start-up alone, what every run pays
//   check, warm disk cache: the same check with --cache-dir, the cache filled by the warm-up run
//   check --by-commit over ten commits, each adding a feature to another released model (and
//   again with a warm disk cache)
//   check of a release: QEMU 7.2 (bookworm) against 10.0.2 (bookworm-backports), a real release
//   diff that reaches every model on every machine type
//   libvirt check between libvirt 9.0's and 11.3's src/cpu_map (Debian bookworm, trixie)
//   --cli   measures another build of the CLI (default dist/cli.js), e.g. one made with
//           CMG_DIST_DIR=/tmp/build CMG_ENTRIES=cli npm run build
//   QMP     every model's full expansion on every pc-q35/pc-i440fx machine type, from
//           qemu-system-x86_64 (test/support/qmp.ts, uncached)
//   verify  node dist/cli.js verify --base-binary qemu-system-x86_64 (7.2) --head-binary the
//           machine's backports QEMU (10.0.2 on bookworm, through a wrapper script as the tests
//           make it), every pc-* machine type and model: --verify-runs N (default 1) runs,
//           no warm-up, as it takes minutes
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    suite: { type: 'string', default: 'bookworm' },
    'qmp-only': { type: 'boolean', default: false },
    cli: { type: 'string' },
    'verify-runs': { type: 'string', default: '1' },
    'no-verify': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(
    'usage: node scripts/bench.mjs [--runs N] [--suite bookworm] [--qmp-only] [--cli FILE] [--verify-runs N] [--no-verify]',
  );
  process.exit(0);
}
const runs = Number(values.runs);
// Others' work on the machine stretches wall times: said next to the numbers.
const loadBefore = os.loadavg();
// What a page of fresh memory costs on first touch: on a machine where it is dear, memory a run
// grows into is time (src/cli/young-generation.ts). Measured once, on 64 MiB in this process.
const freshPageMicros = (() => {
  const bytes = 64 * 2 ** 20;
  const started = process.hrtime.bigint();
  const fresh = Buffer.allocUnsafeSlow(bytes);
  for (let at = 0; at < bytes; at += 4096) fresh[at] = 1;
  return Number(process.hrtime.bigint() - started) / 1e3 / (bytes / 4096);
})();
if (!Number.isInteger(runs) || runs < 1) fail(`--runs must be a positive whole number, not '${values.runs}'`);

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const cli = values.cli ? path.resolve(values.cli) : path.join(root, 'dist', 'cli.js');
if (!values['qmp-only'] && !existsSync(cli)) {
  fail(`${cli} is missing: run \`npm run build\` first (or --qmp-only for the QEMU side alone)`);
}
const timeBinary = '/usr/bin/time';
const haveTime = existsSync(timeBinary);
const work = mkdtempSync(path.join(os.tmpdir(), 'cmg-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// The real QEMU tree, fetched (once) exactly as the tests fetch it.
const tree = path.join(root, '.tmp', 'debian', `qemu-${values.suite}`);
execFileSync('bash', [path.join(root, 'scripts', 'fetch-debian-source.sh'), 'qemu', values.suite, tree], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const qemuSourceVersion = readFileSync(path.join(tree, 'VERSION'), 'utf8').trim();

/**
 * A benchmark repository under .tmp/bench, built once and kept: `build(partial, git)` fills a
 * fresh folder, which becomes the repository only when complete (tagged `head`), so that an
 * interrupted build is started over rather than measured.
 */
function keptRepository(name, build) {
  const repo = path.join(root, '.tmp', 'bench', name);
  if (existsSync(repo)) {
    const tagged = spawnSync('git', ['-C', repo, 'rev-parse', '--verify', '-q', 'refs/tags/head'], {
      stdio: 'ignore',
    });
    if (tagged.status === 0) return repo;
    rmSync(repo, { recursive: true, force: true });
  }
  mkdirSync(path.dirname(repo), { recursive: true });
  const partial = `${repo}.partial`;
  rmSync(partial, { recursive: true, force: true });
  const env = { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost' };
  Object.assign(env, { GIT_COMMITTER_NAME: env.GIT_AUTHOR_NAME, GIT_COMMITTER_EMAIL: env.GIT_AUTHOR_EMAIL });
  build(partial, (...args) => execFileSync('git', ['-C', partial, ...args], { stdio: 'ignore', env }));
  execFileSync('mv', ['-T', partial, repo]);
  return repo;
}

/**
 * The check's repository: base = the real tree, head = base plus AVX-512F in the released
 * Haswell model. Built once and kept, since committing 20,000 files is not what is measured.
 */
function benchRepository() {
  return keptRepository(`qemu-${values.suite}-repo`, (partial, gitIn) => {
    execFileSync('cp', ['-a', tree, partial]);
    gitIn('init', '-q', '-b', 'main');
    gitIn('add', '-A', '-f');
    gitIn('commit', '-q', '-m', `QEMU ${qemuSourceVersion} as packaged by Debian ${values.suite}`);
    gitIn('tag', 'base');
    const cpuC = path.join(partial, 'target', 'i386', 'cpu.c');
    const source = readFileSync(cpuC, 'utf8');
    const haswell = source.indexOf('.name = "Haswell",');
    const word = source.indexOf('.features[FEAT_7_0_EBX] =', haswell);
    if (haswell < 0 || word < 0) fail(`cannot find Haswell's FEAT_7_0_EBX word in ${cpuC}`);
    const at = word + '.features[FEAT_7_0_EBX] ='.length;
    writeFileSync(cpuC, `${source.slice(0, at)}\n            CPUID_7_0_EBX_AVX512F |${source.slice(at)}`);
    gitIn('commit', '-q', '-am', 'target/i386: add AVX-512F to Haswell');
    gitIn('tag', 'head');
  });
}

/**
 * Ten commits after base, each adding a feature to another released model: what a range audit
 * (`check --by-commit`) of a busy stretch of a release cycle looks like.
 */
function rangeRepository() {
  return keptRepository(`qemu-${values.suite}-range`, (partial, gitIn) => {
    execFileSync('git', ['clone', '-q', '--no-local', benchRepository(), partial], { stdio: 'ignore' });
    gitIn('checkout', '-q', '-B', 'main', 'base');
    gitIn('tag', '-f', 'base');
    const cpuC = path.join(partial, 'target', 'i386', 'cpu.c');
    const models = [
      'Conroe',
      'Penryn',
      'Nehalem',
      'Westmere',
      'SandyBridge',
      'IvyBridge',
      'Broadwell',
      'Skylake-Client',
      'Opteron_G4',
      'EPYC',
    ];
    for (const model of models) {
      const source = readFileSync(cpuC, 'utf8');
      const at = source.indexOf(`.name = "${model}",`);
      const word = source.indexOf('.features[FEAT_1_ECX] =', at);
      if (at < 0 || word < 0) fail(`cannot find ${model}'s FEAT_1_ECX word in ${cpuC}`);
      const end = word + '.features[FEAT_1_ECX] ='.length;
      writeFileSync(cpuC, `${source.slice(0, end)}\n            CPUID_EXT_MONITOR |${source.slice(end)}`);
      gitIn('commit', '-q', '-am', `target/i386: add monitor to ${model}`);
    }
    gitIn('tag', '-f', 'head');
  });
}

/** libvirt's src/cpu_map of two Debian releases as base and head of one repository. */
function libvirtRepository() {
  return keptRepository('libvirt-repo', (partial, gitIn) => {
    mkdirSync(path.join(partial, 'src'), { recursive: true });
    gitIn('init', '-q', '-b', 'main');
    for (const [suite, tag] of [
      ['bookworm', 'base'],
      ['trixie', 'head'],
    ]) {
      const source = path.join(root, '.tmp', 'debian', `libvirt-${suite}`);
      execFileSync('bash', [path.join(root, 'scripts', 'fetch-debian-source.sh'), 'libvirt', suite, source], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      rmSync(path.join(partial, 'src', 'cpu_map'), { recursive: true, force: true });
      execFileSync('cp', ['-a', path.join(source, 'src', 'cpu_map'), path.join(partial, 'src', 'cpu_map')]);
      gitIn('add', '-A', '-f');
      gitIn('commit', '-q', '-m', `libvirt cpu_map of Debian ${suite}`);
      gitIn('tag', tag);
    }
  });
}

/**
 * A real release diff: base = QEMU 7.2 as Debian bookworm packages it, head = 10.0.2 from
 * bookworm-backports (a check where every model on every machine type can change).
 */
function releaseRepository() {
  return keptRepository('qemu-release-repo', (partial, gitIn) => {
    mkdirSync(partial, { recursive: true });
    gitIn('init', '-q', '-b', 'main');
    for (const [suite, tag] of [
      ['bookworm', 'base'],
      ['bookworm-backports', 'head'],
    ]) {
      const source = path.join(root, '.tmp', 'debian', `qemu-${suite}`);
      execFileSync('bash', [path.join(root, 'scripts', 'fetch-debian-source.sh'), 'qemu', suite, source], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (tag === 'head') gitIn('rm', '-rqf', '.');
      execFileSync('cp', ['-a', `${source}/.`, partial]);
      gitIn('add', '-A', '-f');
      gitIn('commit', '-q', '-m', `QEMU as packaged by Debian ${suite}`);
      gitIn('tag', tag);
    }
  });
}

/**
 * The QMP side runs test/support/qmp.ts itself, as a process of its own: transpiled once (types
 * stripped, nothing else changes), so the benchmark measures the same client the tests use.
 */
async function qmpProgram() {
  const { default: ts } = await import('typescript');
  mkdirSync(path.join(work, 'qmp'), { recursive: true });
  writeFileSync(path.join(work, 'qmp', 'package.json'), '{"type":"module"}\n');
  // The test client and what it imports from the project itself.
  for (const file of [
    'test/support/qmp.ts',
    'test/support/debian-source.ts',
    'test/support/qemu-binary.ts',
    'test/support/qemu-wrapper.ts',
    'src/source/qemu-binary.ts',
    'src/verify/snapshot.ts',
  ]) {
    const source = readFileSync(path.join(root, file), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    const out = path.join(work, 'qmp', file.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  const program = path.join(work, 'qmp', 'dump.mjs');
  writeFileSync(
    program,
    [
      "import { qmpDump } from './test/support/qmp.js';",
      'const dump = await qmpDump({ cacheDir: null });',
      'process.stdout.write(JSON.stringify(dump));',
      '',
    ].join('\n'),
  );
  return program;
}

/**
 * One process, its wall time and peak RSS. Its stdout goes straight to a file, as `> out.json`
 * would send it: a pipe that this process read would add the reading to the time (for
 * expand's 49 MiB, about half a second of this process's own work), which is no part of the
 * command.
 */
const outFile = path.join(work, 'out');
function measureOnce(label, argv, okCodes) {
  const timing = path.join(work, 'time');
  const command = haveTime ? [timeBinary, '-f', '%e %M %U %S', '-o', timing, ...argv] : argv;
  const stdout = openSync(outFile, 'w');
  const started = process.hrtime.bigint();
  const result = spawnSync(command[0], command.slice(1), {
    cwd: root,
    stdio: ['ignore', stdout, 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  closeSync(stdout);
  if (result.error) fail(`${label}: ${result.error.message}`);
  if (!okCodes.includes(result.status ?? -1)) {
    fail(
      `${label} exited with ${result.status ?? result.signal}:\n${result.stderr.toString().slice(0, 4000)}`,
    );
  }
  let rssKb;
  let cpuMs;
  if (haveTime) {
    const line = readFileSync(timing, 'utf8').trim().split('\n').pop();
    const [, rss, user, system] = line.split(' ').map(Number);
    rssKb = rss;
    cpuMs = (user + system) * 1000;
  }
  return { wallMs, rssKb, cpuMs, bytes: statSync(outFile).size };
}

function measure(label, argv, okCodes = [0], describe = () => '', times = runs, warmUp = true) {
  process.stderr.write(`bench: ${label} `);
  if (warmUp) measureOnce(label, argv, okCodes);
  const samples = [];
  for (let i = 0; i < times; i++) {
    samples.push(measureOnce(label, argv, okCodes));
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const walls = samples.map((s) => s.wallMs).sort((a, b) => a - b);
  const middle = (sorted) =>
    sorted.length % 2
      ? sorted[(sorted.length - 1) / 2]
      : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  const median = middle(walls);
  const cpu = haveTime ? middle(samples.map((s) => s.cpuMs).sort((a, b) => a - b)) : undefined;
  const rss = haveTime ? Math.max(...samples.map((s) => s.rssKb)) : undefined;
  const last = samples[samples.length - 1];
  return {
    label,
    median,
    cpu,
    min: walls[0],
    max: walls[walls.length - 1],
    rss,
    bytes: last.bytes,
    // The last run's output is still in the file.
    note: describe(readFileSync(outFile)),
  };
}

function jsonNote(describe) {
  return (stdout) => {
    try {
      return describe(JSON.parse(stdout.toString('utf8')));
    } catch {
      return 'output is not JSON';
    }
  };
}

const rows = [];
if (!values['qmp-only']) {
  const repo = benchRepository();
  const node = process.execPath;
  const cacheDir = path.join(work, 'catalog-cache');
  const findings = jsonNote((r) => (Array.isArray(r.findings) ? `${r.findings.length} findings` : ''));
  // Exit code 1 means findings at or above the fail threshold: expected for the head edits.
  const checkRow = (what, repository, extra = []) =>
    measure(
      what,
      [
        node,
        cli,
        'check',
        '--repo',
        repository,
        '--base',
        'base',
        '--head',
        'head',
        ...extra,
        '--format',
        'json',
      ],
      [0, 1],
      findings,
    );
  rows.push(checkRow('check base..head', repo));
  // The same check again with --cache-dir: the unmeasured warm-up run fills the cache, so every
  // measured run finds both catalogs on disk, as a CI job does that restores its cache.
  rows.push(checkRow('check, warm disk cache', repo, ['--cache-dir', cacheDir]));
  rows.push(
    measure(
      'audit head',
      [node, cli, 'audit', '--repo', repo, '--ref', 'head', '--format', 'json'],
      [0, 1],
      findings,
    ),
  );
  rows.push(measure('start-up (--help)', [node, cli, '--help']));
  rows.push(
    measure(
      'expand all (tcg)',
      [node, cli, 'expand', '--root', tree, '--accel', 'tcg', '--format', 'json'],
      [0],
      // Distinct by content: what the README says expand encodes once each.
      jsonNote((d) => {
        const models = Object.values(d).flatMap((byModel) => Object.values(byModel));
        const distinct = new Set(models.map((m) => JSON.stringify(m))).size;
        return `${Object.keys(d).length} machine types, ${models.length} expansions, ${distinct} distinct`;
      }),
    ),
  );
  const range = rangeRepository();
  rows.push(checkRow('check --by-commit, 10 commits', range, ['--by-commit']));
  rows.push(
    checkRow('check --by-commit, 10 commits, warm disk cache', range, [
      '--by-commit',
      '--cache-dir',
      cacheDir,
    ]),
  );
  rows.push(checkRow('check of a release, 7.2..10.0.2', releaseRepository()));
  const libvirt = libvirtRepository();
  rows.push(checkRow('libvirt check 9.0..11.3', libvirt));
}
const program = await qmpProgram();
rows.push(
  measure(
    'QMP full expansion dump',
    [process.execPath, program],
    [0],
    jsonNote((d) => {
      const expansions = Object.values(d.expansions).reduce(
        (n, byModel) => n + Object.keys(byModel).length,
        0,
      );
      return `${d.machineTypes.length} machine types, ${expansions} expansions`;
    }),
  ),
);

let verifyHead;
if (!values['qmp-only'] && !values['no-verify']) {
  // The head binary as a user passes it: a wrapper script, made by the tests' own helper.
  const wrapper = path.join(work, 'qemu-backports');
  const maker = path.join(work, 'qmp', 'wrapper.mjs');
  writeFileSync(
    maker,
    [
      "import { qemuBinary, systemCodename } from './test/support/qemu-binary.js';",
      "import { qemuWrapper } from './test/support/qemu-wrapper.js';",
      `await qemuWrapper(await qemuBinary(\`\${systemCodename()}-backports\`), ${JSON.stringify(wrapper)});`,
      '',
    ].join('\n'),
  );
  // The helpers find the repository (the binary's fetch script, .tmp/qemu) two folders up from
  // themselves: the transpiled copies get the same neighbours.
  for (const name of ['scripts', '.tmp']) {
    const link = path.join(work, 'qmp', name);
    if (!existsSync(link)) symlinkSync(path.join(root, name), link);
  }
  execFileSync(process.execPath, [maker], { stdio: ['ignore', 'ignore', 'inherit'] });
  verifyHead = execFileSync(wrapper, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  const verifyRuns = Number(values['verify-runs']);
  rows.push(
    measure(
      'verify 7.2 → backports, everything',
      [
        process.execPath,
        cli,
        'verify',
        '--base-binary',
        'qemu-system-x86_64',
        '--head-binary',
        wrapper,
        '--format',
        'json',
      ],
      [0, 1],
      jsonNote((r) => {
        const pairs =
          /(\d+) machine type\(s\) and (\d+) \(machine type, model\) pair\(s\).*?CPUID read by (\d+) \+ (\d+) guest run/.exec(
            r.notes?.map((n) => n.message).join('\n') ?? '',
          );
        return `${r.findings?.length} findings; ${pairs ? `${pairs[1]} common machine types, ${pairs[2]} pairs, ${pairs[3]} + ${pairs[4]} guest runs` : ''}`;
      }),
      verifyRuns,
      // Minutes of guests and QMP: a warm-up would change nothing but the wait.
      false,
    ),
  );
}

const qemuVersion = execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0];
const seconds = (ms) => (ms / 1000).toFixed(2);
// Ratios are what hold from one machine to another: each row against the QEMU binary's own
// dump of the same data, and against one check. CPU time (user + system, children included)
// holds better than wall time on a machine that others share.
const qmp = rows.find((r) => r.label.startsWith('QMP'));
const oneCheck = rows.find((r) => r.label === 'check base..head');
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '');
const cpuModel = os.cpus()[0]?.model?.replace(/\s+/g, ' ').trim() ?? 'unknown CPU';
const lines = [
  `Benchmark: QEMU ${qemuSourceVersion} sources (Debian ${values.suite}); ${qemuVersion}` +
    (verifyHead ? `; verify head: ${verifyHead}` : ''),
  `Machine: ${cpuModel}, ${os.availableParallelism()} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `Node ${process.version}, ${os.platform()} ${os.release()}; median of ${runs} runs after one warm-up`,
  '',
  `Load average (1, 5, 15 min) when the run began: ${loadBefore.map((l) => l.toFixed(2)).join(', ')}; ` +
    `first touch of a fresh 4 KiB page: ${freshPageMicros.toFixed(1)} µs`,
  '',
  '| what | median s | min s | max s | QMP dump / this | this / check | CPU s | CPU: QMP / this | CPU: this / check | peak RSS MiB | output | notes |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ...rows.map(
    (r) =>
      `| ${r.label} | ${seconds(r.median)} | ${seconds(r.min)} | ${seconds(r.max)} | ${
        r === qmp ? '' : ratio(qmp?.median, r.median)
      } | ${r === oneCheck ? '' : ratio(r.median, oneCheck?.median)} | ${
        r.cpu === undefined ? 'n/a' : seconds(r.cpu)
      } | ${r === qmp ? '' : ratio(qmp?.cpu, r.cpu)} | ${r === oneCheck ? '' : ratio(r.cpu, oneCheck?.cpu)} | ${
        r.rss === undefined ? 'n/a' : (r.rss / 1024).toFixed(0)
      } | ${(r.bytes / 1024 / 1024).toFixed(1)} MiB | ${r.note} |`,
  ),
];
if (!haveTime) lines.push('', `(${timeBinary} is missing: install the 'time' package to measure memory)`);
console.log(lines.join('\n'));
