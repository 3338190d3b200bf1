/**
 * A range audit (`check --by-commit`) over real-looking commits on QEMU 10.0.13's real tree,
 * through the built CLI in its own process: with the read caches (each tree parsed once, tokens
 * and catalogs reused by content, a file's preprocessing and structure reused when its tokens
 * and the macros it reads are the same, even when an edit above moved their definitions), with
 * catalogs kept on disk by an earlier run, and from scratch, the reports are the same to the
 * byte.
 * Progress goes to standard error, a line per commit when it is not a terminal, and never to
 * standard output.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { QEMU_X86_FILES } from '../../src/parse/qemu-x86/files.js';
import type { Report } from '../../src/report/finding.js';
import { debianSource } from '../support/debian-source.js';
import { TempRepo } from '../support/git-repo.js';
import { addAvx512fToHaswell } from '../support/qemu-edits.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = path.join(root, process.env['CMG_CLI'] ?? 'dist/cli.js');
const CPU_C = 'target/i386/cpu.c';

function run(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, CPU_MODEL_GUARD_NO_CACHE: '', ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let repo: TempRepo;
/** The commits of v10.0.13..HEAD, oldest first, by what they do. */
const commits: Record<string, string> = {};

beforeAll(async () => {
  const tree = await debianSource('qemu', 'trixie');
  repo = new TempRepo('cmg-range-');
  repo.copyFrom(
    tree,
    Object.values(QEMU_X86_FILES).filter((f) => existsSync(path.join(tree, f))),
  );
  repo.write('README.rst', 'QEMU\n');
  repo.commitAll('QEMU 10.0.13');
  repo.git('tag', 'v10.0.13');
  repo.edit(
    CPU_C,
    /(\.name = "Nehalem",[\s\S]*?\.features\[FEAT_1_ECX\] =)/,
    '$1\n            CPUID_EXT_MOVBE |',
  );
  commits.movbe = repo.commitAll('target/i386: add MOVBE to Nehalem');
  // Moves the definitions of the machine type macros that pc_q35.c and pc_piix.c expand.
  repo.edit(
    'include/hw/i386/pc.h',
    '#define DEFINE_PC_VER_MACHINE(',
    '/*\n * A versioned PC machine type: its init and class_init functions, its TypeInfo, and its\n * registration.\n */\n#define DEFINE_PC_VER_MACHINE(',
  );
  commits.pcH = repo.commitAll('hw/i386/pc: say what DEFINE_PC_VER_MACHINE defines');
  repo.edit(
    'target/i386/kvm/kvm.c',
    '#include "qemu/osdep.h"',
    '/* KVM support for x86 guests. */\n#include "qemu/osdep.h"',
  );
  commits.kvmC = repo.commitAll('target/i386/kvm: say what kvm.c is');
  repo.write('README.rst', 'QEMU, the machine emulator\n');
  commits.readme = repo.commitAll('docs: describe QEMU in the README');
  repo.edit(
    CPU_C,
    '.name = "Westmere",',
    '/* Westmere adds AES-NI over Nehalem. */\n        .name = "Westmere",',
  );
  commits.comment = repo.commitAll('target/i386: say what Westmere adds');
  addAvx512fToHaswell(repo, CPU_C);
  commits.avx512f = repo.commitAll('target/i386: add AVX-512F to Haswell');
  repo.edit(CPU_C, '/* Westmere adds AES-NI over Nehalem. */\n', '');
  commits.uncomment = repo.commitAll('Revert "target/i386: say what Westmere adds"');
}, 300_000);

afterAll(() => repo?.remove());

describe('check --by-commit', () => {
  const args = (): string[] => [
    'check',
    '--repo',
    repo.dir,
    '--base',
    'v10.0.13',
    '--head',
    'HEAD',
    '--by-commit',
    '--format',
    'json',
  ];

  test('reports the same bytes with the read caches and from scratch', () => {
    const cached = run(args());
    const scratch = run(args(), { CPU_MODEL_GUARD_NO_CACHE: '1' });
    expect(cached.stderr).not.toMatch(/error/i);
    expect(cached.code).toBe(1);
    expect(scratch.code).toBe(1);
    expect(cached.stdout.length).toBeGreaterThan(1000);
    expect(cached.stdout === scratch.stdout).toBe(true);
    // Catalogs kept on disk: written by one run, read by the next, the same bytes both times.
    const cacheDir = path.join(repo.dir, '.git', 'cmg-cache');
    const cold = run([...args(), '--cache-dir', cacheDir]);
    const warm = run(args(), { CPU_MODEL_GUARD_CACHE_DIR: cacheDir });
    expect(
      readdirSync(cacheDir, { recursive: true }).filter((f) => String(f).endsWith('.entry')).length,
    ).toBeGreaterThan(2);
    expect([cold.code, warm.code]).toEqual([1, 1]);
    expect(cold.stdout === scratch.stdout).toBe(true);
    expect(warm.stdout === scratch.stdout).toBe(true);
    // Both commits that change a model are named, each for its own findings.
    const report = JSON.parse(cached.stdout) as Report;
    const by = (model: string): (string | undefined)[] =>
      report.findings.filter((f) => f.models.includes(model)).map((f) => f.commit);
    expect(by('Nehalem').length).toBeGreaterThan(0);
    expect(new Set(by('Nehalem'))).toEqual(new Set([commits.movbe]));
    expect(by('Haswell').length).toBeGreaterThan(0);
    expect(new Set(by('Haswell'))).toEqual(new Set([commits.avx512f]));
  }, 300_000);

  test('tells its progress on standard error, a line per commit when it is no terminal', () => {
    const r = run(args());
    const lines = r.stderr.split('\n').filter((l) => /commit \d+ of \d+/.test(l));
    const order = [
      commits.movbe,
      commits.pcH,
      commits.kvmC,
      commits.readme,
      commits.comment,
      commits.avx512f,
      commits.uncomment,
    ];
    expect(lines).toEqual(
      order.map((c, i) => `cpu-model-guard: checking commit ${i + 1} of 7 (${c!.slice(0, 12)})`),
    );
    expect(r.stderr).not.toContain('\r');
    expect(r.stdout).not.toMatch(/of 7/);
    expect(() => JSON.parse(r.stdout) as unknown).not.toThrow();
  }, 300_000);
});
