/**
 * The rule on real QEMU history shapes: the base commit is QEMU 7.2's real catalog during its
 * development cycle (VERSION 7.1.50, so the 7.2 machine types are not released yet), and each
 * head carries one kind of change from POLICY.md. Every head goes through the same git code
 * the CLI and the action use.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { check, type CheckRequest } from '../../src/engine.js';
import type { Finding, Report } from '../../src/report/finding.js';
import type { CatalogSource } from '../../src/source/catalog-source.js';
import { GitRepository } from '../../src/source/git-source.js';
import { checkRevisions } from '../../src/source/revisions.js';
import type { TempRepo } from '../support/git-repo.js';
import {
  addAvx512fToHaswell,
  addHaswellVersion5,
  removeModel,
  repoWithQemuCatalog,
} from '../support/qemu-edits.js';

const CPU_C = 'target/i386/cpu.c';
const PC_C = 'hw/i386/pc.c';
const KVM_CPU_C = 'target/i386/kvm/kvm-cpu.c';
const Q35_C = 'hw/i386/pc_q35.c';

let repo: TempRepo;
let base: string;

beforeAll(async () => {
  repo = await repoWithQemuCatalog();
  repo.write('VERSION', '7.1.50\n');
  base = repo.commitAll('QEMU 7.2 catalog during its development cycle');
});

afterAll(() => repo?.remove());

async function checkHead(name: string, change: (r: TempRepo) => void): Promise<Report> {
  const head = repo.branch(name, base, change);
  return checkRevisions({
    repoDir: repo.dir,
    base,
    head,
    catalog: { format: 'qemu-x86', path: '.' },
    failOn: 'type-2',
  });
}

function only(report: Report, rule: string): Finding {
  const matching = report.findings.filter((f) => f.rule === rule);
  expect(matching.map((f) => f.title)).toHaveLength(1);
  return matching[0]!;
}

describe('check on the real QEMU 7.2 catalog', () => {
  test('a feature added to a released model without a compat entry needs a new model version', async () => {
    const report = await checkHead('feature-added', (r) => addAvx512fToHaswell(r, CPU_C));
    expect(report.result).toBe('fail');
    const f = only(report, 'released-model-changed');
    expect(f.class).toBe('new-model-required');
    expect(f.verdict).toBe('fail');
    expect(f.property).toBe('avx512f');
    expect([f.before, f.after]).toEqual([false, true]);
    expect(f.models).toEqual(
      expect.arrayContaining(['Haswell', 'Haswell-v1', 'Haswell-v4', 'Haswell-noTSX']),
    );
    expect(f.machineTypes).toEqual(expect.arrayContaining(['pc-q35-7.1', 'pc-i440fx-1.4']));
    expect(f.machineTypes).not.toContain('pc-q35-7.2');
    expect(f.hostRequirement?.gained).toEqual(['avx512f']);
    expect(f.location).toEqual({
      path: CPU_C,
      line: repo.lineOf(CPU_C, 'CPUID_7_0_EBX_AVX512F |'),
      side: 'RIGHT',
    });
    expect(f.fix).toMatch(/new version Haswell-v5/);
    expect(f.fixLines?.text).toContain('.version = 5,');
    expect(f.fixLines?.text).toContain('{ "avx512f", "on" },');
    expect(f.fixLines?.afterLine).toBe(
      repo.lineOf(CPU_C, '"Intel Core Processor (Haswell, no TSX, IBRS)" },') + 3,
    );
    // The added term stands alone on its line: the suggestion removes that line.
    expect(f.suggestion).toEqual({
      path: CPU_C,
      startLine: f.location.line,
      endLine: f.location.line,
      replacement: '',
    });
  });

  test('editing a released version needs a new model version', async () => {
    const report = await checkHead('version-edited', (r) =>
      r.edit(
        CPU_C,
        '                    /* spec-ctrl was already enabled by -v3 above */\n                    { "stepping", "1" },',
        '                    /* spec-ctrl was already enabled by -v3 above */\n                    { "stepping", "2" },',
      ),
    );
    const f = only(report, 'released-model-changed');
    expect(f.models.sort()).toEqual(['Haswell-noTSX-IBRS', 'Haswell-v4']);
    expect([f.property, f.before, f.after]).toEqual(['stepping', 1, 2]);
    expect(f.hostRequirement).toBeUndefined();
    expect(f.location.line).toBe(repo.lineOf(CPU_C, '{ "stepping", "2" },'));
    expect(f.suggestion).toEqual({
      path: CPU_C,
      startLine: f.location.line,
      endLine: f.location.line,
      replacement: '                    { "stepping", "1" },',
    });
  });

  test('a new version, a new model and a new alias are safe', async () => {
    const report = await checkHead('added', (r) => {
      addHaswellVersion5(r, CPU_C, [['avx512f', 'on']], 'Haswell-AVX512');
      r.edit(
        CPU_C,
        'static const X86CPUDefinition builtin_x86_defs[] = {\n',
        'static const X86CPUDefinition builtin_x86_defs[] = {\n    {\n        .name = "Example-Server",\n        .level = 0xd,\n        .vendor = CPUID_VENDOR_INTEL,\n        .family = 6,\n        .model = 85,\n        .stepping = 4,\n        .features[FEAT_1_ECX] = CPUID_EXT_SSE3,\n        .xlevel = 0x80000008,\n        .model_id = "Example Server",\n    },\n',
      );
    });
    expect(report.result).toBe('pass');
    expect(report.counts).toMatchObject({ 'new-model-required': 0, 'type-2': 0 });
    const version = only(report, 'version-added');
    expect(version.models).toEqual(['Haswell-v5', 'Haswell-AVX512']);
    expect(version.class).toBe('safe');
    const model = only(report, 'model-added');
    expect(model.models).toEqual(['Example-Server', 'Example-Server-v1']);
    expect(model.location.line).toBe(repo.lineOf(CPU_C, '.name = "Example-Server"'));
  });

  test('removing a released model breaks existing VMs; removing it after deprecation is safe', async () => {
    const removed = await checkHead('removed', (r) => removeModel(r, CPU_C, 'Dhyana'));
    const f = only(removed, 'released-name-removed');
    expect(f.class).toBe('new-model-required');
    expect(f.models).toEqual(expect.arrayContaining(['Dhyana', 'Dhyana-v1', 'Dhyana-v2']));
    expect(f.location.side).toBe('LEFT');
    const baseLine =
      repo
        .git('show', `${base}:${CPU_C}`)
        .split('\n')
        .findIndex((l) => l.includes('.name = "Dhyana"')) + 1;
    expect(f.location.line).toBe(baseLine);
    // In head, the removed definition's place is where the next model begins: the diff keeps
    // the `{` the two definitions share, so the next model's name takes the removed one's line.
    const headLines = repo.git('show', `removed:${CPU_C}`).split('\n');
    expect(f.location.headLine).toBe(baseLine);
    expect(headLines[f.location.headLine! - 1]).toMatch(/^ {8}\.name = "(?!Dhyana)/);

    const deprecated = repo.branch('deprecated', base, (r) =>
      r.edit(
        CPU_C,
        '        .name = "Dhyana",\n',
        '        .name = "Dhyana",\n        .deprecation_note = "use EPYC instead",\n',
      ),
    );
    const gone = repo.branch('deprecated-then-removed', deprecated, (r) => removeModel(r, CPU_C, 'Dhyana'));
    const later = await checkRevisions({
      repoDir: repo.dir,
      base: deprecated,
      head: gone,
      catalog: { format: 'qemu-x86', path: '.' },
      failOn: 'type-2',
    });
    expect(later.result).toBe('pass');
    const safe = only(later, 'deprecated-name-removed');
    expect(safe.class).toBe('safe');
    expect(safe.message).toContain('use EPYC instead');
  });

  test('a KVM default added for every machine type is a host requirement on released models', async () => {
    const report = await checkHead('kvm-default', (r) =>
      r.edit(
        KVM_CPU_C,
        '    { "kvmclock-stable-bit", "on" },\n',
        '    { "kvmclock-stable-bit", "on" },\n    { "kvm-pv-unhalt", "on" },\n',
      ),
    );
    const f = only(report, 'released-model-changed');
    expect(f.property).toBe('kvm-pv-unhalt');
    expect(f.hostRequirement?.gained).toEqual(['kvm-pv-unhalt']);
    expect(f.hostRequirement?.why).toMatch(/KVM support in the host kernel/);
    expect(f.location).toEqual({
      path: KVM_CPU_C,
      line: repo.lineOf(KVM_CPU_C, '"kvm-pv-unhalt"'),
      side: 'RIGHT',
    });
    expect(f.models.length).toBeGreaterThan(100);
  });

  test('a KVM default added with a compat entry turning it off for released machine types is a type-2 change', async () => {
    const report = await checkHead('kvm-default-compat', (r) => {
      r.edit(
        KVM_CPU_C,
        '    { "kvmclock-stable-bit", "on" },\n',
        '    { "kvmclock-stable-bit", "on" },\n    { "kvm-pv-unhalt", "on" },\n',
      );
      r.edit(
        PC_C,
        'GlobalProperty pc_compat_7_1[] = {};',
        'GlobalProperty pc_compat_7_1[] = {\n    { TYPE_X86_CPU, "kvm-pv-unhalt", "off" },\n};',
      );
    });
    expect(report.findings.filter((f) => f.rule === 'released-model-changed')).toEqual([]);
    const f = only(report, 'machine-type-host-requirement');
    expect(f.class).toBe('type-2');
    expect(f.verdict).toBe('fail');
    expect(f.machineTypes.sort()).toEqual(['pc-i440fx-7.2', 'pc-q35-7.2']);
    expect(f.hostRequirement?.gained).toEqual(['kvm-pv-unhalt']);
    expect(f.location.path).toBe(KVM_CPU_C);
    expect(f.fix).toMatch(/off by default/);

    const lenient = await checkRevisions({
      repoDir: repo.dir,
      base,
      head: 'kvm-default-compat',
      catalog: { format: 'qemu-x86', path: '.' },
      failOn: 'new-model-required',
    });
    expect(lenient.result).toBe('pass');
    expect(lenient.counts['type-2']).toBe(1);
  });

  test('a removal confined to the unreleased machine type by a compat entry is safe', async () => {
    const report = await checkHead('compat-confined-removal', (r) => {
      r.edit(KVM_CPU_C, '    { "kvm-pv-eoi", "on" },\n', '');
      r.edit(
        PC_C,
        'GlobalProperty pc_compat_7_1[] = {};',
        'GlobalProperty pc_compat_7_1[] = {\n    { TYPE_X86_CPU, "kvm-pv-eoi", "on" },\n};',
      );
    });
    expect(report.result).toBe('pass');
    expect(report.counts).toMatchObject({ 'new-model-required': 0, 'type-2': 0 });
    const f = only(report, 'compat-confined-change');
    expect([f.property, f.before, f.after]).toEqual(['kvm-pv-eoi', true, false]);
    expect(f.machineTypes.sort()).toEqual(['pc-i440fx-7.2', 'pc-q35-7.2']);
    expect(f.location.side).toBe('LEFT');
    expect(f.message).toMatch(
      /pc_compat_7_1 keeps kvm-pv-eoi=on for released machine types \(hw\/i386\/pc\.c:\d+\)/,
    );
  });

  test('a CPU property default changed for every machine type: the fix is the compat entry that confines it', async () => {
    const report = await checkHead('property-default', (r) =>
      r.edit(
        CPU_C,
        'DEFINE_PROP_BOOL("cpuid-0xb", X86CPU, enable_cpuid_0xb, true),',
        'DEFINE_PROP_BOOL("cpuid-0xb", X86CPU, enable_cpuid_0xb, false),',
      ),
    );
    const f = only(report, 'released-model-changed');
    expect([f.property, f.before, f.after]).toEqual(['cpuid-0xb', true, false]);
    expect(f.hostRequirement).toBeUndefined();
    expect(f.fix).toBe(
      'keep the old value for released machine types: add { TYPE_X86_CPU, "cpuid-0xb", "on" }, to pc_compat_7_1',
    );
  });

  test('a guest-visible change confined to the unreleased machine type by a compat entry is safe', async () => {
    const report = await checkHead('compat-confined', (r) => {
      r.edit(
        CPU_C,
        'DEFINE_PROP_BOOL("cpuid-0xb", X86CPU, enable_cpuid_0xb, true),',
        'DEFINE_PROP_BOOL("cpuid-0xb", X86CPU, enable_cpuid_0xb, false),',
      );
      r.edit(
        PC_C,
        'GlobalProperty pc_compat_7_1[] = {};',
        'GlobalProperty pc_compat_7_1[] = {\n    { TYPE_X86_CPU, "cpuid-0xb", "on" },\n};',
      );
    });
    expect(report.result).toBe('pass');
    const f = only(report, 'compat-confined-change');
    expect(f.class).toBe('safe');
    expect(f.machineTypes.sort()).toEqual(['pc-i440fx-7.2', 'pc-q35-7.2']);
    expect(f.message).toContain('pc_compat_7_1 keeps cpuid-0xb=on');
  });

  test('names added since the release tag are still free to change', async () => {
    repo.git('tag', '-f', 'v7.2.0', base);
    const withV5 = repo.branch('with-v5', base, (r) => addHaswellVersion5(r, CPU_C, [['avx512f', 'on']]));
    const edited = repo.branch('v5-edited', base, (r) =>
      addHaswellVersion5(r, CPU_C, [
        ['avx512f', 'on'],
        ['avx512cd', 'on'],
      ]),
    );
    try {
      const report = await checkRevisions({
        repoDir: repo.dir,
        base: withV5,
        head: edited,
        catalog: { format: 'qemu-x86', path: '.' },
        failOn: 'type-2',
      });
      expect(report.release).toMatchObject({ ref: 'v7.2.0', commit: base });
      expect(report.result).toBe('pass');
      const f = only(report, 'unreleased-change');
      expect(f.models).toEqual(['Haswell-v5']);
      expect(f.property).toBe('avx512cd');

      const released = await checkRevisions({
        repoDir: repo.dir,
        base: withV5,
        head: edited,
        catalog: { format: 'qemu-x86', path: '.' },
        failOn: 'type-2',
        releaseRef: withV5,
      });
      expect(only(released, 'released-model-changed').models).toEqual(['Haswell-v5']);
      expect(released.result).toBe('fail');
    } finally {
      repo.git('tag', '-d', 'v7.2.0');
    }
  });

  test('a comment edit changes no effective model and says so', async () => {
    const report = await checkHead('cosmetic', (r) =>
      r.edit(
        CPU_C,
        '        .name = "Haswell",\n',
        '        /* Fourth generation Core */\n        .name = "Haswell",\n',
      ),
    );
    expect(report.result).toBe('pass');
    const f = only(report, 'no-effective-change');
    expect(f.location).toEqual({
      path: CPU_C,
      line: repo.lineOf(CPU_C, 'Fourth generation Core'),
      side: 'RIGHT',
    });
    expect(report.findings).toHaveLength(1);
  });

  test('a machine type switching unversioned names to their latest versions is one finding at the line that does it', async () => {
    const report = await checkHead('latest-default-cpu-version', (r) => {
      r.edit(
        Q35_C,
        '    m->alias = "q35";\n    pcmc->default_cpu_version = 1;\n',
        '    m->alias = "q35";\n    pcmc->default_cpu_version = CPU_VERSION_LATEST;\n',
      );
      // pc-q35-7.1 keeps version 1: only the machine type in the making changes.
      r.edit(
        Q35_C,
        '    pc_q35_7_2_machine_options(m);\n    m->alias = NULL;\n',
        '    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);\n    pc_q35_7_2_machine_options(m);\n    m->alias = NULL;\n    pcmc->default_cpu_version = 1;\n',
      );
    });
    const f = only(report, 'machine-type-host-requirement');
    expect(report.findings.filter((x) => x.class !== 'safe')).toHaveLength(1);
    expect(f.class).toBe('type-2');
    expect(f.machineTypes).toEqual(['pc-q35-7.2']);
    const line = repo.lineOf(Q35_C, 'pcmc->default_cpu_version = CPU_VERSION_LATEST;');
    expect(f.location).toEqual({ path: Q35_C, line, side: 'RIGHT' });
    expect(f.models).toEqual(expect.arrayContaining(['Haswell', 'Skylake-Client', 'EPYC']));
    const gained = f.hostRequirement!.gained;
    expect(gained.length).toBeGreaterThan(10);
    expect(gained).toEqual(expect.arrayContaining(['spec-ctrl', 'xsaves']));
    // Title, message and fix summarise; the lists are in models and hostRequirement.
    for (const text of [f.title, f.message, f.fix])
      expect(gained.filter((p) => text.includes(p)).length).toBeLessThanOrEqual(3);
    expect(f.title).toBe(
      `Unversioned names on pc-q35-7.2 resolve to their latest versions, not version 1: ${gained.length} properties become host requirements`,
    );
    expect(f.message).toContain(
      `${gained.length} properties (${gained.slice(0, 3).join(', ')} and ${gained.length - 3} more)`,
    );
    expect(f.fix).toMatch(
      new RegExp(`^set the default CPU version of pc-q35-7\\.2 back to 1 at hw/i386/pc_q35\\.c:${line}:`),
    );
  });

  test('a compat entry added to a released compat array: the fix names the newest released array and its lines', async () => {
    const report = await checkHead('compat-entry-released', (r) =>
      r.edit(
        PC_C,
        'GlobalProperty pc_compat_7_0[] = {};',
        'GlobalProperty pc_compat_7_0[] = {\n    { TYPE_X86_CPU, "kvm-pv-eoi", "off" },\n};',
      ),
    );
    const f = only(report, 'released-model-changed');
    expect([f.property, f.before, f.after]).toEqual(['kvm-pv-eoi', true, false]);
    // The title says what the line says and agrees with before/after.
    expect(f.title).toBe('pc_compat_7_0 now sets kvm-pv-eoi to off for every CPU: released models change');
    expect(f.message).toContain('kvm-pv-eoi on → off');
    expect(f.message).not.toMatch(/\(s\)/);
    const array = repo.lineOf(PC_C, 'GlobalProperty pc_compat_7_1[] = {};');
    expect(f.fix).toContain(
      `add { TYPE_X86_CPU, "kvm-pv-eoi", "on" }, to pc_compat_7_1 (hw/i386/pc.c:${array}), the newest compat array only released machine types get`,
    );
    expect(f.fix).toMatch(/^revert it: pc_compat_7_0 reaches released machine types/);
    expect(f.fixLines).toEqual({
      path: PC_C,
      afterLine: array,
      text: '    { TYPE_X86_CPU, "kvm-pv-eoi", "on" },',
    });

    // Once every machine type is released there is no such array: open the next ones first.
    const releasedBase = repo.branch('released-7.2', base, (r) => r.write('VERSION', '7.2.0\n'));
    const head = repo.branch('compat-entry-released-all', releasedBase, (r) =>
      r.edit(
        PC_C,
        'GlobalProperty pc_compat_7_0[] = {};',
        'GlobalProperty pc_compat_7_0[] = {\n    { TYPE_X86_CPU, "kvm-pv-eoi", "off" },\n};',
      ),
    );
    const released = await checkRevisions({
      repoDir: repo.dir,
      base: releasedBase,
      head,
      catalog: { format: 'qemu-x86', path: '.' },
      failOn: 'type-2',
    });
    const g = only(released, 'released-model-changed');
    expect(g.fix).toContain('Open the next machine types first');
    expect(g.fixLines).toBeUndefined();
  });

  test('a feature added to a released model with a compat entry for released machine types: both halves of the cause', async () => {
    const report = await checkHead('feature-with-compat', (r) => {
      addAvx512fToHaswell(r, CPU_C);
      r.edit(
        PC_C,
        'GlobalProperty pc_compat_7_1[] = {};',
        'GlobalProperty pc_compat_7_1[] = {\n    { "Haswell-" TYPE_X86_CPU, "avx512f", "off" },\n};',
      );
    });
    const feature = repo.lineOf(CPU_C, 'CPUID_7_0_EBX_AVX512F |');
    // Compat reaches the unversioned name only: the versioned names change on released machine types.
    const changed = only(report, 'released-model-changed');
    expect(changed.class).toBe('new-model-required');
    expect(changed.models).toEqual(expect.arrayContaining(['Haswell-v1', 'Haswell-v4']));
    expect(changed.models).not.toContain('Haswell');
    expect(changed.location.line).toBe(feature);
    // The unversioned name gains the feature on the new machine types.
    const gain = only(report, 'machine-type-host-requirement');
    expect(gain.class).toBe('type-2');
    expect(gain.models).toEqual(['Haswell']);
    expect(gain.machineTypes.sort()).toEqual(['pc-i440fx-7.2', 'pc-q35-7.2']);
    expect(gain.hostRequirement?.gained).toEqual(['avx512f']);
    expect(gain.location.line).toBe(feature);
    const compatLine = repo.lineOf(PC_C, '{ "Haswell-" TYPE_X86_CPU, "avx512f", "off" },');
    expect(gain.message).toContain(
      `pc_compat_7_1 keeps avx512f off on released machine types (hw/i386/pc.c:${compatLine})`,
    );
    expect(gain.fingerprint).not.toBe(changed.fingerprint);
  });

  test('a release (VERSION bump) is not called a comment or formatting edit', async () => {
    const report = await checkHead('release-version', (r) => r.write('VERSION', '7.2.0\n'));
    expect(report.result).toBe('pass');
    const f = only(report, 'no-effective-change');
    expect(f.message).toContain('releases pc-i440fx-7.2, pc-q35-7.2');
    expect(f.message).not.toMatch(/comments, order or formatting/);
  });
});

describe('the release revision of a QEMU check', () => {
  /** base adds Haswell-v5, head changes it; both read through git as the CLI reads them. */
  async function sources(name: string): Promise<Omit<CheckRequest, 'release'>> {
    const withV5 = repo.branch(`${name}-base`, base, (r) =>
      addHaswellVersion5(r, CPU_C, [['avx512f', 'on']]),
    );
    const edited = repo.branch(`${name}-head`, base, (r) =>
      addHaswellVersion5(r, CPU_C, [
        ['avx512f', 'on'],
        ['avx512cd', 'on'],
      ]),
    );
    const git = new GitRepository(repo.dir);
    return {
      catalog: { format: 'qemu-x86', path: '.' },
      base: await git.source(withV5),
      head: await git.source(edited),
      baseRef: { ref: 'base', commit: withV5 },
      headRef: { ref: 'head', commit: edited },
      failOn: 'type-2',
    };
  }

  test("at base's own commit is base: its tree is not read again", async () => {
    const request = await sources('release-at-base');
    const unread: CatalogSource = {
      label: 'the release tag',
      readFile: () => Promise.reject(new Error('the release tree was read')),
      listFiles: () => Promise.reject(new Error('the release tree was read')),
    };
    const report = await check({
      ...request,
      release: { source: unread, ref: 'v7.2.0', commit: request.baseRef.commit!, explanation: 'release' },
    });
    expect(report.notes.filter((n) => n.kind === 'warning')).toEqual([]);
    expect(only(report, 'released-model-changed').models).toEqual(['Haswell-v5']);
  });

  test("gives its names without QEMU's kvm.c, which names have no part in", async () => {
    const tree = await new GitRepository(repo.dir).source(base);
    const withoutKvm: CatalogSource = {
      ...tree,
      readFile: (p) => (p.endsWith('kvm/kvm.c') ? Promise.resolve(undefined) : tree.readFile(p)),
      contentId: (p) => (p.endsWith('kvm/kvm.c') ? Promise.resolve(undefined) : tree.contentId!(p)),
    };
    const report = await check({
      ...(await sources('release-without-kvm')),
      release: { source: withoutKvm, ref: 'v7.2.0', commit: base, explanation: 'release' },
    });
    expect(report.notes.filter((n) => n.kind === 'warning')).toEqual([]);
    expect(only(report, 'unreleased-change').models).toEqual(['Haswell-v5']);
  });
});

describe('the stages a check tells its front end', () => {
  test('reads base and head after `read` and compares them after `compare`', async () => {
    const head = repo.branch('stages', base, (r) => addAvx512fToHaswell(r, CPU_C));
    const git = new GitRepository(repo.dir);
    const events: string[] = [];
    // Without content ids, so that no read of an earlier test stands in for these reads.
    const traced = (source: CatalogSource, name: string): CatalogSource => ({
      label: source.label,
      readFile: (p) => {
        events.push(`${name} file`);
        return source.readFile(p);
      },
      listFiles: (p) => source.listFiles(p),
    });
    const request: CheckRequest = {
      catalog: { format: 'qemu-x86', path: '.' },
      base: traced(await git.source(base), 'base'),
      head: traced(await git.source(head), 'head'),
      baseRef: { ref: 'base', commit: base },
      headRef: { ref: 'head', commit: head },
      release: { explanation: 'every name in base counts as released' },
      failOn: 'type-2',
    };
    const told = await check({ ...request, onStage: (stage) => events.push(stage) });
    expect(events.filter((e) => e === 'read' || e === 'compare')).toEqual(['read', 'compare']);
    expect(events[0]).toBe('read');
    const reading = events.slice(0, events.indexOf('compare'));
    expect(reading).toContain('base file');
    expect(reading).toContain('head file');
    expect(told).toEqual(await check(request));
  });
});
