/**
 * Real QEMU releases, one commit each, in one git repository: only the files the reader reads,
 * as Debian ships them, each commit tagged like QEMU tags its releases. `check` runs on every
 * consecutive pair through the same git code the CLI and the action use. A release diff is
 * where a tool that misreads QEMU raises false alarms, so the real binaries are the judge: a
 * finding may fail only where the two releases' binaries (`query-cpu-model-expansion`) show
 * that a CPU changed on a machine type both of them have.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { EffectiveModels } from '../../src/catalog/effective.js';
import { QEMU_X86_FILES } from '../../src/parse/qemu-x86/files.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import type { Finding, Report } from '../../src/report/finding.js';
import { fsSource } from '../../src/source/fs-source.js';
import { checkRevisions } from '../../src/source/revisions.js';
import { binaryChanges, type BinaryChange } from '../support/binary-changes.js';
import { debianSource, type DebianSourceOptions } from '../support/debian-source.js';
import { TempRepo } from '../support/git-repo.js';
import { qemuBinary } from '../support/qemu-binary.js';
import { qmpDump, type QmpDump } from '../support/qmp.js';
import { readmeRows } from '../support/readme-table.js';

/**
 * Each release with the Debian suite that serves its sources and the one that serves its
 * binary. Debian serves no 10.2 binary: the nearest one after it, sid's 11.1.3, stands in on
 * the machine types that 10.2.2 and 11.1.3 both register, as the newer side of the last pair.
 */
const RELEASES: { release: string; suite: string; source?: DebianSourceOptions; binary: string }[] = [
  { release: '5.2', suite: 'bullseye', binary: 'bullseye' },
  { release: '7.2', suite: 'bookworm', binary: 'bookworm' },
  { release: '10.0.2', suite: 'bookworm-backports', binary: 'bookworm-backports' },
  { release: '10.0.13', suite: 'trixie', binary: 'trixie' },
  { release: '10.2.2', suite: 'sid', source: { version: '1:10.2.2+ds-1' }, binary: 'sid' },
];

let repo: TempRepo;
/** The README section whose table these numbers must match. */
const RELEASE_DIFFS_SECTION = 'Real release diffs';
const reports = new Map<string, Report>();
const truth = new Map<string, BinaryChange[]>();
/** Per pair, the machine types both binaries register. */
const bothRegister = new Map<string, Set<string>>();
const pairs = RELEASES.slice(1).map((r, i) => [RELEASES[i]!.release, r.release] as const);

beforeAll(async () => {
  const trees = await Promise.all(RELEASES.map((r) => debianSource('qemu', r.suite, r.source)));
  repo = new TempRepo('cmg-releases-');
  RELEASES.forEach((r, i) => {
    const tree = trees[i]!;
    repo.git('rm', '-rq', '--ignore-unmatch', '.');
    repo.copyFrom(
      tree,
      Object.values(QEMU_X86_FILES).filter((f) => existsSync(path.join(tree, f))),
    );
    repo.commitAll(`QEMU ${r.release}`);
    repo.git('tag', `v${r.release}`);
  });
  const dumps: QmpDump[] = [];
  // One dump at a time: each runs QEMU processes of its own.
  for (const r of RELEASES) dumps.push(await qmpDump({ binary: await qemuBinary(r.binary) }));
  for (const [i, [base, head]] of pairs.entries()) {
    reports.set(
      `${base}→${head}`,
      await checkRevisions({
        repoDir: repo.dir,
        base: `v${base}`,
        head: `v${head}`,
        catalog: { format: 'qemu-x86', path: '.' },
        failOn: 'type-2',
      }),
    );
    truth.set(`${base}→${head}`, binaryChanges(dumps[i]!, dumps[i + 1]!));
    bothRegister.set(
      `${base}→${head}`,
      new Set(dumps[i]!.machineTypes.filter((m) => dumps[i + 1]!.machineTypes.includes(m))),
    );
  }
  // What each pair yields, for whoever reads the test log.
  const lines = [...reports].map(([pair, r]) => {
    const rules = new Map<string, number>();
    for (const f of r.findings)
      rules.set(`${f.class}/${f.rule}`, (rules.get(`${f.class}/${f.rule}`) ?? 0) + 1);
    return (
      `QEMU ${pair}: ${r.result}; safe ${r.counts.safe}, type-2 ${r.counts['type-2']}, ` +
      `new-model-required ${r.counts['new-model-required']} (${[...rules].map(([k, n]) => `${k} ${n}`).join(', ')})` +
      failing(r)
        .map((f) => `\n  fails: ${f.title} [${f.models.join(', ')}]`)
        .join('')
    );
  });
  console.log(lines.join('\n'));
}, 1_800_000);

afterAll(() => repo?.remove());

const report = (base: string, head: string): Report => reports.get(`${base}→${head}`)!;
const failing = (r: Report): Finding[] => r.findings.filter((f) => f.verdict === 'fail');
const byRule = (r: Report, rule: string, property: string): Finding | undefined =>
  r.findings.find((f) => f.rule === rule && f.property === property);
/** QEMU reports a feature under every spelling it accepts (`sse4.1`, `sse4-1`, `sse4_1`). */
const spelling = (p: string): string => p.replace(/[._]/g, '-');

/**
 * The (model, machine type) pairs of a finding that both binaries have, and whether the
 * binaries show its property changed on each: what a failing finding must stand on.
 */
function unshown(f: Finding, changes: BinaryChange[], compared: Set<string>): string[] {
  const shown = new Set(changes.map((c) => `${c.model} ${c.machineType} ${spelling(c.property)}`));
  const out: string[] = [];
  let checked = 0;
  for (const machineType of f.machineTypes) {
    for (const model of f.models) {
      // A machine type one binary lacks has nothing to compare.
      if (!compared.has(machineType)) continue;
      checked++;
      if (!shown.has(`${model} ${machineType} ${spelling(f.property!)}`))
        out.push(`${model} on ${machineType}`);
    }
  }
  if (!checked) out.push(`${f.title}: no machine type that both binaries have`);
  return out;
}

describe.each(pairs)('check of QEMU %s → %s', (base, head) => {
  test('every failing finding is a change the two real binaries show, on every machine type both have', () => {
    const changes = truth.get(`${base}→${head}`)!;
    const compared = bothRegister.get(`${base}→${head}`)!;
    expect(compared.size).toBeGreaterThan(0);
    for (const f of failing(report(base, head)))
      expect({ finding: f.title, unshown: unshown(f, changes, compared) }).toEqual({
        finding: f.title,
        unshown: [],
      });
  });

  test('raises no type-2 finding: no machine type asks more of the host than the release before made it', () => {
    expect(report(base, head).counts['type-2']).toBe(0);
  });
});

describe('what each release diff is, and why', () => {
  test('5.2 → 7.2 fails only qemu64-v1, whose family, model and stepping QEMU 7.0 changed on every machine type', () => {
    const fails = failing(report('5.2', '7.2'));
    expect(fails.map((f) => [f.rule, f.models, f.property, f.before, f.after])).toEqual([
      ['released-model-changed', ['qemu64-v1'], 'family', 6, 15],
      ['released-model-changed', ['qemu64-v1'], 'model', 6, 107],
      ['released-model-changed', ['qemu64-v1'], 'stepping', 3, 1],
    ]);
    // Compat entries reach the unversioned name only: pc_compat_7_0 keeps qemu64 at 6/6/3 there.
    expect(fails[0]!.machineTypes).toEqual(
      expect.arrayContaining(['pc-i440fx-5.2', 'pc-q35-5.2', 'pc-i440fx-1.4']),
    );
    const shown = truth
      .get('5.2→7.2')!
      .filter((c) => c.property === 'family' && c.machineType === 'pc-i440fx-5.2');
    expect(shown).toEqual([
      {
        machineType: 'pc-i440fx-5.2',
        model: 'qemu64-v1',
        property: 'family',
        kind: 'changed',
        before: 6,
        after: 15,
      },
    ]);
  });

  test('5.2 → 7.2: the hv-version-id properties are new; pc_compat_6_1 confines three, three take their default', () => {
    const r = report('5.2', '7.2');
    for (const property of ['hv-version-id-build', 'hv-version-id-major', 'hv-version-id-minor']) {
      const f = byRule(r, 'compat-confined-change', property)!;
      expect(f).toMatchObject({ class: 'safe', verdict: 'pass', before: null });
      expect(f.title).toContain('pc_compat_6_1');
      expect(f.title).toContain(' all ');
      expect(f.location.path).toBe('hw/i386/pc.c');
      expect(repo.git('show', 'v7.2:hw/i386/pc.c').split('\n')[f.location.line - 1]).toContain(
        `"${property}"`,
      );
    }
    for (const property of ['hv-version-id-spack', 'hv-version-id-sbranch', 'hv-version-id-snumber']) {
      const f = byRule(r, 'new-property-default', property)!;
      expect(f).toMatchObject({ class: 'safe', verdict: 'pass', before: null, after: 0 });
      expect(f.location.path).toBe('target/i386/cpu.c');
      expect(repo.git('show', 'v7.2:target/i386/cpu.c').split('\n')[f.location.line - 1]).toContain(
        `"${property}"`,
      );
    }
  });

  test('7.2 → 10.0.2 fails nothing: module-id is per-instance, guest-phys-bits and legacy-multi-node are compat-confined', () => {
    const r = report('7.2', '10.0.2');
    expect(failing(r)).toEqual([]);
    expect(
      r.findings.filter(
        (f) => f.property === 'module-id' || (f.models.length === 0 && /module-id/.test(f.title)),
      ),
    ).toEqual([]);
    for (const property of ['guest-phys-bits', 'legacy-multi-node']) {
      expect(byRule(r, 'compat-confined-change', property)?.title).toContain('pc_compat_9_0');
    }
    expect(byRule(r, 'new-property-default', 'avx10-version')).toMatchObject({ class: 'safe', after: 0 });
    // The binaries agree that module-id is new, and that it is per-instance: -1, "unassigned".
    expect(truth.get('7.2→10.0.2')!.find((c) => c.property === 'module-id')).toMatchObject({ after: -1 });
  });

  test('10.0.2 → 10.0.13, a stable update, changes no CPU model; its CPUID code hunks are for review', () => {
    const r = report('10.0.2', '10.0.13');
    const code = r.findings.filter((f) => f.rule.startsWith('cpuid-code-'));
    expect(r.findings.filter((f) => !code.includes(f) && f.rule !== 'no-effective-change')).toEqual([]);
    // The stable branch changed cpu_x86_cpuid() and friends with no compat property: listed, never failing.
    expect(code.length).toBeGreaterThan(0);
    expect(code.map((f) => [f.rule, f.verdict])).toEqual(code.map(() => ['cpuid-code-ungated', 'review']));
  });

  test('10.0.13 → 10.2.2: x-arch-cap-always-on and x-pdcm-on-even-without-pmu are confined by pc_compat_10_0', () => {
    const r = report('10.0.13', '10.2.2');
    const headPc = repo.git('show', 'v10.2.2:hw/i386/pc.c').split('\n');
    const common = r.machineTypes!.filter((m) => !/-10\.[12]$/.test(m));
    for (const property of ['x-arch-cap-always-on', 'x-pdcm-on-even-without-pmu']) {
      const f = byRule(r, 'compat-confined-change', property)!;
      expect(f).toMatchObject({ class: 'safe', verdict: 'pass', before: null, after: true });
      expect(f.title).toContain('pc_compat_10_0');
      expect(f.machineTypes.sort()).toEqual([...common].sort());
      expect(headPc[f.location.line - 1]).toContain(`{ TYPE_X86_CPU, "${property}", "true" },`);
    }
  });

  test('10.0.13 → 10.2.2 fails only the four models whose cache description became a table of their own', () => {
    // 10.2 gave 486, pentium, pentium2 and pentium3 `.cache_info = &legacy_intel_cpuid2_cache_info`,
    // which turns legacy-cache off on every machine type: query-cpu-model-expansion reports the
    // switch flipped (the binaries show it). The table describes the caches the legacy path gave
    // them, so CPUID leaf 2 reads the same; the catalog model carries the switch, not the
    // tables' contents.
    const fails = failing(report('10.0.13', '10.2.2'));
    expect(fails.map((f) => [f.rule, f.property, f.before, f.after, f.models])).toEqual(
      ['486', 'pentium', 'pentium2', 'pentium3'].map((m) => [
        'released-model-changed',
        'legacy-cache',
        true,
        false,
        [m, `${m}-v1`],
      ]),
    );
  });
});

describe('a property new in head, on the real 10.0.13 → 10.2.2 diff', () => {
  const PC_C = 'hw/i386/pc.c';
  const ENTRY = '    { TYPE_X86_CPU, "x-arch-cap-always-on", "true" },\n';

  const checkHead = (name: string, change: (r: TempRepo) => void): Promise<Report> =>
    checkRevisions({
      repoDir: repo.dir,
      base: 'v10.0.13',
      head: repo.branch(name, 'v10.2.2', change),
      catalog: { format: 'qemu-x86', path: '.' },
      failOn: 'type-2',
    });

  test('a compat entry that misses released machine types shows the default is new behaviour: they change', async () => {
    const r = await checkHead('x-arch-cap-in-9.2-only', (h) => {
      h.edit(PC_C, ENTRY, '');
      h.edit(PC_C, 'GlobalProperty pc_compat_9_2[] = {};', `GlobalProperty pc_compat_9_2[] = {\n${ENTRY}};`);
    });
    const f = byRule(r, 'released-model-changed', 'x-arch-cap-always-on')!;
    expect(f).toMatchObject({ class: 'new-model-required', verdict: 'fail', before: null, after: false });
    expect(f.machineTypes.sort()).toEqual(['pc-i440fx-10.0', 'pc-q35-10.0']);
    expect(f.models).toEqual(expect.arrayContaining(['Skylake-Server', 'Skylake-Server-v1', 'qemu64']));
    // It points at the entry that tells the old value, and proposes the same one a release later.
    expect(repo.read(PC_C).split('\n')[f.location.line - 1]).toBe(ENTRY.trimEnd());
    expect(f.fix).toContain('pc_compat_10_0');
    expect(f.fixLines).toEqual({
      path: PC_C,
      afterLine: repo.lineOf(PC_C, 'GlobalProperty pc_compat_10_0[] = {'),
      text: ENTRY.trimEnd(),
    });
    // The older machine types keep the old value: that part of the change is confined.
    expect(byRule(r, 'compat-confined-change', 'x-arch-cap-always-on')?.title).toContain('pc_compat_9_2');
  });

  test('with no compat entry anywhere, the default stands for the old behaviour: new-property-default, safe, and it says what it cannot see', async () => {
    const r = await checkHead('x-arch-cap-without-compat', (h) => h.edit(PC_C, ENTRY, ''));
    const f = byRule(r, 'new-property-default', 'x-arch-cap-always-on')!;
    expect(f).toMatchObject({ class: 'safe', verdict: 'pass', before: null, after: false });
    expect(f.message).toMatch(/lies in that code, which the catalog tables do not show/);
    const cpuC = repo.read('target/i386/cpu.c').split('\n');
    expect(cpuC[f.location.line - 1]).toContain('"x-arch-cap-always-on"');
  });
});

describe('per-instance properties come from the tree', () => {
  test.each([
    ['bullseye', {}, ['apic-id', 'core-id', 'die-id', 'node-id', 'socket-id', 'thread-id'], 'hw/i386/x86.c'],
    [
      'trixie',
      {},
      [
        'apic-id',
        'book-id',
        'cluster-id',
        'core-id',
        'die-id',
        'drawer-id',
        'module-id',
        'node-id',
        'socket-id',
        'thread-id',
      ],
      'hw/i386/x86-common.c',
    ],
  ] as const)(
    'QEMU of %s: QAPI CpuInstanceProperties and what x86_cpu_new() sets',
    async (suite, options, ids, newCpuFile) => {
      const tree = await debianSource('qemu', suite, options);
      const catalog = await readQemuX86Catalog(fsSource(tree));
      expect(Object.keys(catalog.instanceProperties!).sort()).toEqual([...ids]);
      const at = (p: string): string => {
        const l = catalog.instanceProperties![p]!;
        return `${l.path}: ${readFileSync(path.join(tree, l.path), 'utf8').split('\n')[l.line - 1]!.trim()}`;
      };
      expect(at('socket-id')).toBe("qapi/machine.json: '*socket-id': 'int',");
      expect(at('apic-id')).toMatch(
        new RegExp(`^${newCpuFile}: .*object_property_set_uint\\(cpu, "apic-id"`),
      );
      // They are no part of any effective model.
      const em = new EffectiveModels(catalog);
      const e = em.get('Skylake-Server', catalog.machineTypes.at(-1)!.name)!;
      for (const id of ids) expect(e[id]).toBeUndefined();
    },
  );
});

test("the README's table of real release diffs states these numbers", async () => {
  for (const [base, head] of pairs) {
    const r = report(base, head);
    const rows = await readmeRows(RELEASE_DIFFS_SECTION, `${base} → ${head}`);
    expect({ pair: `${base} → ${head}`, rows: rows.length }).toEqual({ pair: `${base} → ${head}`, rows: 1 });
    expect({ pair: `${base} → ${head}`, cells: rows[0]!.slice(1, 5) }).toEqual({
      pair: `${base} → ${head}`,
      cells: [
        String(r.counts.safe),
        String(r.counts['type-2']),
        String(r.counts['new-model-required']),
        String(failing(r).length),
      ],
    });
  }
});
