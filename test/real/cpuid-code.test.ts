/**
 * Code hunks in the functions that compute guest CPUID, on the real QEMU 10.0.13 tree (Debian
 * trixie) in a real git repository: comment-only edits, an ungated edit (verdict review, and
 * fail-on-review), a project's own function from the configuration, and compat entries that
 * set properties no CPU has. Also: the function list and the compat references of every real
 * tree read without error.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkCompatReferences } from '../../src/classify/cpuid-code.js';
import { run } from '../../src/cli/cli.js';
import { CatalogError, UsageError } from '../../src/errors.js';
import { parseStatements } from '../../src/parse/c/statements.js';
import { fieldsRead, GUEST_CPUID_FUNCTIONS } from '../../src/parse/qemu-x86/cpuid-code.js';
import { readQemuX86 } from '../../src/parse/qemu-x86/index.js';
import { parseConfig } from '../../src/config/config-file.js';
import type { Report, Waiver } from '../../src/report/finding.js';
import { describeWaiver } from '../../src/report/text.js';
import { fsSource } from '../../src/source/fs-source.js';
import { checkRevisions } from '../../src/source/revisions.js';
import { debianSource } from '../support/debian-source.js';
import type { TempRepo } from '../support/git-repo.js';
import { repoWithDebianTree } from '../support/patches.js';

const CPU_C = 'target/i386/cpu.c';
let repo: TempRepo;
let base: string;

beforeAll(async () => {
  ({ repo } = await repoWithDebianTree({ suite: 'trixie', qemu: '10.0.13' }));
  repo.write('VERSION', '10.0.50\n');
  base = repo.commitAll('development tree of 10.1');
});
afterAll(() => repo?.remove());

const check = (
  head: string,
  options: { failOnReview?: boolean; cpuidFunctions?: string[]; waivers?: Waiver[] } = {},
): Promise<Report> =>
  checkRevisions({
    repoDir: repo.dir,
    base,
    head,
    releaseRef: base,
    catalog: { format: 'qemu-x86', path: '.' },
    failOn: 'type-2',
    ...options,
  });

describe('code hunks in guest-CPUID functions', () => {
  test('a hunk that changes only comments and blanks is not a cause: the edit is reported as cosmetic', async () => {
    const head = repo.branch('comment', base, (r) =>
      r.edit(
        CPU_C,
        '            *ebx |= MIN(num, 255) << 16;',
        '            /* 255 is the largest value bits 23-16 hold. */\n\n            *ebx |= MIN(num,   255) << 16;',
      ),
    );
    const report = await check(head);
    expect(report.findings.map((f) => f.rule)).toEqual(['no-effective-change']);
    expect(report.result).toBe('pass');
    expect(report.counts.review).toBe(0);
  });

  test('an ungated edit is new-model-required with the verdict review; fail-on-review makes it fail', async () => {
    const head = repo.branch('ungated', base, (r) =>
      r.edit(CPU_C, '            *ebx |= MIN(num, 255) << 16;', '            *ebx |= MIN(num, 127) << 16;'),
    );
    const line = repo.lineOf(CPU_C, 'MIN(num, 127)');
    const report = await check(head);
    const code = report.findings.filter((f) => f.rule === 'cpuid-code-ungated');
    expect(code).toHaveLength(1);
    expect(code[0]).toMatchObject({
      class: 'new-model-required',
      verdict: 'review',
      location: { path: CPU_C, line, side: 'RIGHT' },
    });
    expect(code[0]!.title).toContain('cpu_x86_cpuid()');
    // VERSION 10.0.50: pc-*-10.0, the newest machine types of the tree, are the ones in the making.
    expect(code[0]!.machineTypes).toEqual(expect.arrayContaining(['pc-q35-9.2', 'pc-i440fx-4.2']));
    expect(code[0]!.machineTypes).not.toContain('pc-q35-10.0');
    // The fix: a new x- property, default the new behaviour, off in the newest released compat array.
    expect(code[0]!.fixLines).toEqual({
      path: 'hw/i386/pc.c',
      afterLine: repo.lineOf('hw/i386/pc.c', 'GlobalProperty pc_compat_9_2[] = {'),
      text: '    { TYPE_X86_CPU, "x-cpuid-compat", "false" },',
    });
    expect(code[0]!.fix).toContain('DEFINE_PROP_BOOL("x-cpuid-compat", X86CPU, cpuid_compat, true)');
    expect(report).toMatchObject({ result: 'pass', counts: { review: 1, 'new-model-required': 1 } });

    const strict = await check(head, { failOnReview: true });
    expect(strict.result).toBe('fail');
    expect(strict.findings.find((f) => f.rule === 'cpuid-code-ungated')!.verdict).toBe('fail');
    expect(strict.counts.review).toBe(0);

    // The CLI: exit 0 with the finding listed for review, 1 with --fail-on-review.
    const out = mkdtempSync(path.join(tmpdir(), 'cmg-cli-'));
    try {
      const argv = ['check', '--repo', repo.dir, '--base', base, '--head', head, '--release-ref', base];
      expect(await run([...argv, '--format', 'json', '--output', path.join(out, 'r.json')])).toBe(0);
      const json = JSON.parse(readFileSync(path.join(out, 'r.json'), 'utf8')) as Report;
      expect(json.findings.map((f) => f.verdict)).toEqual(['review']);
      expect(await run([...argv, '--fail-on-review', '--output', path.join(out, 'r.txt')])).toBe(1);
      expect(readFileSync(path.join(out, 'r.txt'), 'utf8')).toContain('[FAIL] cpuid-code-ungated');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('a waiver accepts the code hunks of the functions or files it names', async () => {
    const head = repo.branch('waived-hunk', base, (r) =>
      r.edit(CPU_C, '            *ebx |= MIN(num, 255) << 16;', '            *ebx |= MIN(num, 63) << 16;'),
    );
    const { waivers } = parseConfig(
      `waivers:
  - rule: cpuid-code-ungated
    models: "*"
    reason: a model waiver reaches no code hunk, which concerns no model
  - rule: cpuid-code-ungated
    functions: [kvm_arch_*]
    reason: the KVM side was reviewed with the KVM maintainers
  - rule: cpuid-code-ungated
    functions: cpu_x86_cpuid
    paths: target/i386/kvm/*
    reason: both keys must hold, and this hunk is in cpu.c
  - rule: cpuid-code-ungated
    functions: cpu_x86_*
    paths: target/i386/cpu.c
    reason: the leaf 1 core count was checked on every model's guest
`,
      '.github/cpu-model-guard.yml',
    );
    const report = await check(head, { failOnReview: true, waivers });
    const f = report.findings.find((x) => x.rule === 'cpuid-code-ungated')!;
    expect(f).toMatchObject({ verdict: 'waived', location: { path: CPU_C } });
    expect(f.waiver).toBe(waivers[3]);
    expect(describeWaiver(f.waiver!)).toMatch(
      /^cpuid-code-ungated \/ cpu_x86_\*\(\), target\/i386\/cpu\.c: the leaf 1 core count/,
    );
    expect(report.result).toBe('pass');
    expect(report.unusedWaivers).toEqual(waivers.slice(0, 3));
    // Without the waiver that names it, the hunk fails under fail-on-review.
    const unwaived = await check(head, { failOnReview: true, waivers: waivers.slice(0, 3) });
    expect(unwaived.findings.find((x) => x.rule === 'cpuid-code-ungated')!.verdict).toBe('fail');
    expect(unwaived.result).toBe('fail');
    // A waiver must name what it accepts: models, functions or paths.
    expect(() =>
      parseConfig(
        'waivers:\n  - rule: cpuid-code-ungated\n    reason: names nothing it accepts at all\n',
        'cfg.yml',
      ),
    ).toThrow(UsageError);
  });

  test("a hunk that reads another struct's member of a CPU field's name reads no CPU property", async () => {
    const head = repo.branch('topo-core-id', base, (r) =>
      r.edit(CPU_C, '(topo_ids.core_id & 0xFF);', '(topo_ids.core_id & 0x7F);'),
    );
    const report = await check(head);
    const f = report.findings.find((x) => x.rule === 'cpuid-code-ungated')!;
    expect(f.meta).toMatchObject({ function: 'encode_topo_cpuid8000001e', reads: [] });
    expect(f.message).toContain('it reads no CPU property');
  });

  test("a project's own function counts once the configuration lists it; an unknown name is an error", async () => {
    const head = repo.branch('own-function', base, (r) =>
      r.edit(
        CPU_C,
        '    /* Only return valid host leaves.  */\n    switch (func) {',
        '    switch (func + 0) {',
      ),
    );
    expect((await check(head)).findings.map((f) => f.rule)).toEqual(['no-effective-change']);
    const listed = await check(head, { cpuidFunctions: ['x86_cpu_get_cache_cpuid'] });
    expect(listed.findings.map((f) => [f.rule, f.verdict])).toEqual([['cpuid-code-ungated', 'review']]);
    expect(listed.findings[0]!.message).toContain("the project's configuration lists it");
    await expect(check(head, { cpuidFunctions: ['x86_cpu_no_such_function'] })).rejects.toThrow(UsageError);
  });
});

describe('compat entries for properties no x86 CPU has', () => {
  test('a CPU property removed while pc_compat_6_0 still sets it is an error at the compat line', async () => {
    const head = repo.branch('removed-property', base, (r) =>
      r.edit(CPU_C, '    DEFINE_PROP_BOOL("x-vendor-cpuid-only", X86CPU, vendor_cpuid_only, true),\n', ''),
    );
    const line = repo.lineOf('hw/i386/pc.c', '{ TYPE_X86_CPU, "x-vendor-cpuid-only", "off" },');
    const err: unknown = await check(head).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).location).toEqual({ path: 'hw/i386/pc.c', line });
    expect((err as CatalogError).message).toMatch(
      /x-vendor-cpuid-only, a CPU property this change removes \(it was defined at target\/i386\/cpu\.c:\d+ in base\)/,
    );
  });

  test('a compat entry for a property no x86 CPU has is an error at its line', async () => {
    const head = repo.branch('unknown-property', base, (r) =>
      r.edit(
        'hw/i386/pc.c',
        '    { TYPE_X86_CPU, "x-vendor-cpuid-only", "off" },',
        '    { TYPE_X86_CPU, "x-vendor-cpuid-only", "off" },\n    { TYPE_X86_CPU, "x-no-such-property", "on" },',
      ),
    );
    const line = repo.lineOf('hw/i386/pc.c', 'x-no-such-property');
    const err: unknown = await check(head).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).location).toEqual({ path: 'hw/i386/pc.c', line });
    expect((err as CatalogError).message).toContain('x-no-such-property, which no x86 CPU has');
    // The CLI exits 2 on it, as on any bad input.
    expect(
      await run(['check', '--repo', repo.dir, '--base', base, '--head', head, '--output', '/dev/null']),
    ).toBe(2);
  });
});

describe.each([
  ['bullseye', '5.2'],
  ['bookworm', '7.2'],
  ['trixie', '10.0.13'],
  ['sid', '10.2.2'],
])('the real QEMU tree of Debian %s (%s)', (suite) => {
  test('holds the listed functions, whose bodies the statement reader reads, and no compat entry for a missing CPU property', async () => {
    const root = await debianSource('qemu', suite, suite === 'sid' ? { version: '1:10.2.2+ds-1' } : {});
    const { catalog, cpuidCode } = await readQemuX86(fsSource(root), '.', { cpuidCode: {} });
    const names = cpuidCode!.functions.map((f) => f.name);
    for (const f of GUEST_CPUID_FUNCTIONS) {
      expect(names).toContain(f.name);
    }
    expect(names).toEqual(expect.arrayContaining(['encode_cache_cpuid4', 'encode_cache_cpuid8000001d']));
    for (const f of cpuidCode!.functions) expect(parseStatements(f.tokens, f.path).length).toBeGreaterThan(0);
    expect(() => checkCompatReferences(catalog, catalog, cpuidCode!, cpuidCode!)).not.toThrow();
  });

  test("reads CPU fields through the CPU's own variables, as each function declares them", async () => {
    const root = await debianSource('qemu', suite, suite === 'sid' ? { version: '1:10.2.2+ds-1' } : {});
    const { cpuidCode } = await readQemuX86(fsSource(root), '.', { cpuidCode: {} });
    const fn = (name: string) => cpuidCode!.functions.find((f) => f.name === name)!;
    const fields = [...cpuidCode!.fieldProperties.keys()];
    // cpu_x86_cpuid(CPUX86State *env, ...) { X86CPU *cpu = env_archcpu(env); ... }
    expect(fn('cpu_x86_cpuid').cpuVariables).toEqual({ cpu: new Set(['cpu']), env: new Set(['env']) });
    expect(fieldsRead(fn('cpu_x86_cpuid').tokens, fields, fn('cpu_x86_cpuid').cpuVariables)).toEqual(
      expect.arrayContaining(['env.cpuid_level', 'enable_pmu']),
    );
    // encode_topo_cpuid8000001e(X86CPU *cpu, ...) reads `topo_ids.core_id`, a member of the
    // X86CPUTopoIDs it computes, not X86CPU's core_id (the core-id property).
    const topo = fn('encode_topo_cpuid8000001e');
    expect(fields).toContain('core_id');
    expect(topo.tokens.map((t) => t.text).join(' ')).toContain('topo_ids . core_id');
    expect(fieldsRead(topo.tokens, ['core_id'], topo.cpuVariables)).toEqual([]);
  });
});
