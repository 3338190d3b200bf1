/**
 * The QMP oracle against the real qemu-system-x86_64 (Debian's qemu-system-x86). The facts
 * asserted here were observed on QEMU 7.2 and are the ones QEMU-X86 behaviour hinges on: alias
 * resolution by machine type, compat properties reaching unversioned names only, and the order
 * in which compat arrays apply. Other releases' binaries (test/support/qemu-binary.ts) start
 * through the same session.
 */
import { describe, expect, test } from '@jest/globals';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { debianSource, debianSourceDir } from '../support/debian-source.js';
import { qemuBinary } from '../support/qemu-binary.js';
import {
  compareMachineTypes,
  describeBinary,
  qemuCommand,
  QmpError,
  QmpSession,
  qmpDump,
  type QmpDump,
} from '../support/qmp.js';

const binary = 'qemu-system-x86_64';

let fullDump: Promise<QmpDump> | undefined;
const dump = () => (fullDump ??= qmpDump());

describe('QmpSession', () => {
  test('answers pipelined commands and reports QMP errors as QmpError', async () => {
    const session = await QmpSession.start(binary, 'pc-q35-7.2', 'tcg');
    try {
      const [definitions, unknownCommand, unknownModel] = await Promise.allSettled([
        session.execute<{ name: string }[]>('query-cpu-definitions'),
        session.execute('no-such-command'),
        session.execute('query-cpu-model-expansion', { type: 'full', model: { name: 'NoSuchCpu' } }),
      ]);
      expect(definitions.status).toBe('fulfilled');
      if (definitions.status === 'fulfilled') {
        expect(definitions.value.map((d) => d.name)).toEqual(
          expect.arrayContaining(['Haswell', 'Haswell-v4']),
        );
      }
      expect(unknownCommand.status).toBe('rejected');
      if (unknownCommand.status === 'rejected') {
        expect(unknownCommand.reason).toBeInstanceOf(QmpError);
        expect(String(unknownCommand.reason)).toMatch(/CommandNotFound/);
      }
      expect(unknownModel.status).toBe('rejected');
      if (unknownModel.status === 'rejected') expect(String(unknownModel.reason)).toMatch(/NoSuchCpu/);
    } finally {
      await session.close();
    }
  });

  test('a machine type QEMU does not know fails with the message QEMU gives, not a hang', async () => {
    await expect(QmpSession.start(binary, 'pc-q35-0.1', 'tcg')).rejects.toThrow(/unsupported machine type/);
  });

  test('a binary that is not there fails clearly', async () => {
    await expect(QmpSession.start('/nonexistent/qemu-system-x86_64', 'pc-q35-7.2', 'tcg')).rejects.toThrow(
      /ENOENT/,
    );
  });
});

describe("QemuBinary: how another release's binary is started", () => {
  test('the prefix comes first, each firmware directory is a -L before the arguments', () => {
    expect(qemuCommand('qemu-system-x86_64', ['-S'])).toEqual(['qemu-system-x86_64', ['-S']]);
    expect(
      qemuCommand(
        { path: '/usr/bin/qemu-system-x86_64', prefix: ['chroot', '/srv/trixie'], dataDirs: ['/fw'] },
        ['-machine', 'none'],
      ),
    ).toEqual(['chroot', ['/srv/trixie', '/usr/bin/qemu-system-x86_64', '-L', '/fw', '-machine', 'none']]);
  });

  test("bookworm-backports' QEMU 10.0.2, unpacked beside the system's 7.2, runs with its own modules", async () => {
    const binary = await qemuBinary('bookworm-backports');
    expect(await describeBinary(binary)).toMatch(/^QEMU emulator version 10\.0\.2 \(Debian /);
    // accel-tcg is a module: the system's (7.2) would be refused, so this answering proves the
    // binary loaded its own.
    const session = await QmpSession.start(binary, 'pc-q35-10.0', 'tcg');
    try {
      const definitions = await session.execute<{ name: string }[]>('query-cpu-definitions');
      expect(definitions.map((d) => d.name)).toEqual(
        expect.arrayContaining(['EPYC-Milan-v2', 'SierraForest']),
      );
    } finally {
      await session.close();
    }
  });
});

describe('compareMachineTypes', () => {
  test('orders versions numerically within a family', () => {
    const sorted = ['pc-q35-10.0', 'pc-q35-2.12', 'pc-i440fx-7.2', 'pc-q35-2.4', 'pc-q35-7.2'].sort(
      compareMachineTypes,
    );
    expect(sorted).toEqual(['pc-i440fx-7.2', 'pc-q35-2.4', 'pc-q35-2.12', 'pc-q35-7.2', 'pc-q35-10.0']);
  });
});

describe('qmpDump of QEMU 7.2', () => {
  test('covers every pc-q35 and pc-i440fx machine type, oldest first, newest behind the short aliases', async () => {
    const d = await dump();
    expect(d.qemu.version).toMatch(/^QEMU emulator version 7\.2\./);
    expect(d.machineTypes).toEqual(d.listedMachineTypes.filter((m) => /^pc-(q35|i440fx)-/.test(m)));
    expect(d.listedMachineTypes).toEqual(expect.arrayContaining(['isapc', 'microvm', 'none']));
    expect(d.machineTypes).toEqual([...d.machineTypes].sort(compareMachineTypes));
    // The bugfix machine type is a machine type like any other.
    expect(d.machineTypes).toEqual(
      expect.arrayContaining(['pc-i440fx-2.4', 'pc-i440fx-4.0', 'pc-q35-4.0', 'pc-q35-4.0.1', 'pc-q35-4.1']),
    );
    expect(d.machineAliases.q35).toBe('pc-q35-7.2');
    expect(d.machineAliases.pc).toBe('pc-i440fx-7.2');
    for (const m of d.machineTypes) {
      expect(Object.keys(d.expansions[m]).sort()).toEqual(d.definitions[m].map((x) => x.name));
    }
  });

  test('Haswell on pc-q35-7.2 is an Intel CPU with AVX2, every feature spelling kept', async () => {
    const haswell = (await dump()).expansions['pc-q35-7.2'].Haswell;
    expect(haswell.vendor).toBe('GenuineIntel');
    expect(haswell.avx2).toBe(true);
    expect(haswell.family).toBe(6);
    expect(haswell.model).toBe(60);
    // One feature, three property spellings, one value.
    expect([haswell['sse4.1'], haswell['sse4-1'], haswell['sse4_1']]).toEqual([true, true, true]);
  });

  test('unversioned names are aliases of v1 from machine type 4.1 on, and of nothing before', async () => {
    const d = await dump();
    const haswell = (m: string) => d.definitions[m].find((x) => x.name === 'Haswell');
    expect(haswell('pc-q35-7.2')?.aliasOf).toBe('Haswell-v1');
    expect(haswell('pc-q35-4.1')?.aliasOf).toBe('Haswell-v1');
    expect(haswell('pc-i440fx-4.0')).toBeDefined();
    expect(haswell('pc-i440fx-4.0')?.aliasOf).toBeUndefined();
    // A version's own alias (`.alias = "Haswell-noTSX"`) reports its version from 4.1 on; before,
    // QEMU reports no alias-of at all, yet the name still carries that version's features.
    expect(d.definitions['pc-q35-4.1'].find((x) => x.name === 'Haswell-noTSX')?.aliasOf).toBe('Haswell-v2');
    expect(d.definitions['pc-i440fx-2.4'].find((x) => x.name === 'Haswell-noTSX')?.aliasOf).toBeUndefined();
    const noTsxOn24 = d.expansions['pc-i440fx-2.4']['Haswell-noTSX'];
    expect([noTsxOn24.hle, noTsxOn24.rtm]).toEqual([false, false]);
    expect(d.expansions['pc-i440fx-2.4'].Haswell.hle).toBe(true);
  });

  test('compat properties reach the unversioned name, never Name-vN', async () => {
    const on31 = (await dump()).expansions['pc-i440fx-3.1'];
    // pc_compat_3_1 turns MPX back on for Skylake-Server only.
    expect(on31['Skylake-Server'].mpx).toBe(true);
    expect(on31['Skylake-Server-v1'].mpx).toBe(false);
    expect((await dump()).expansions['pc-i440fx-4.0']['Skylake-Server'].mpx).toBe(false);
  });

  test('the compat array added last wins: pc_compat_2_4 over pc_compat_3_1 for Opteron_G3 rdtscp', async () => {
    const d = await dump();
    expect(d.expansions['pc-i440fx-2.4'].Opteron_G3.rdtscp).toBe(true);
    expect(d.expansions['pc-i440fx-3.1'].Opteron_G3.rdtscp).toBe(false);
    expect(d.expansions['pc-i440fx-4.0'].Opteron_G3.rdtscp).toBe(true);
  });

  test('matches the QEMU source of the same Debian suite: version and model names', async () => {
    const [d, tree] = await Promise.all([dump(), debianSource('qemu', 'bookworm')]);
    const sourceVersion = (await readFile(path.join(tree, 'VERSION'), 'utf8')).trim();
    expect(d.qemu.version).toContain(`version ${sourceVersion} `);

    const cpuC = await readFile(path.join(tree, 'target/i386/cpu.c'), 'utf8');
    const start = cpuC.indexOf('builtin_x86_defs[] = {');
    expect(start).toBeGreaterThan(0);
    const table = cpuC.slice(start, cpuC.indexOf('\n};', start));
    const sourceNames = [...table.matchAll(/^\s*\.name = "([^"]+)"/gm)].map((m) => m[1]);
    expect(sourceNames.length).toBeGreaterThan(30);
    const offered = new Set(d.definitions['pc-q35-7.2'].map((x) => x.name));
    expect(sourceNames.filter((n) => !offered.has(n))).toEqual([]);
  });

  test('the cache answers a second call with the stored dump, keyed by the machine list', async () => {
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'cmg-qmp-'));
    try {
      const two = (m: string) => m === 'pc-q35-7.2' || m === 'pc-i440fx-2.4';
      const first = await qmpDump({ cacheDir, machineFilter: two });
      expect(first.machineTypes).toEqual(['pc-i440fx-2.4', 'pc-q35-7.2']);
      expect(await readdir(cacheDir)).toHaveLength(1);
      // Mark the stored dump: only an answer served from the cache can carry the mark.
      const [file] = await readdir(cacheDir);
      const stored = JSON.parse(
        gunzipSync(await readFile(path.join(cacheDir, file))).toString('utf8'),
      ) as QmpDump;
      await writeFile(path.join(cacheDir, file), gzipSync(JSON.stringify({ ...stored, elapsedMs: -1 })));
      const second = await qmpDump({ cacheDir, machineFilter: two });
      expect(second).toEqual({ ...first, elapsedMs: -1 });

      const one = await qmpDump({ cacheDir, machineFilter: (m) => m === 'pc-q35-7.2', concurrency: 1 });
      expect(one.elapsedMs).toBeGreaterThanOrEqual(0);
      expect(one.expansions['pc-q35-7.2']).toEqual(first.expansions['pc-q35-7.2']);
      expect(await readdir(cacheDir)).toHaveLength(2);

      // Two callers at once: one dumps, the other waits for its cache file and reads it (the
      // same elapsedMs proves it is the same dump), and no lock is left behind.
      const other = (m: string) => m === 'pc-i440fx-7.2';
      const [x, y] = await Promise.all([
        qmpDump({ cacheDir, machineFilter: other }),
        qmpDump({ cacheDir, machineFilter: other }),
      ]);
      expect(y).toEqual(x);
      expect((await readdir(cacheDir)).sort()).toHaveLength(3);
      expect((await readdir(cacheDir)).filter((f) => !f.endsWith('.json.gz'))).toEqual([]);
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('debianSource (the trees the QMP answers are compared with)', () => {
  test('unpacks the tree with Debian patches applied, once', async () => {
    const tree = await debianSource('qemu', 'bookworm');
    expect(tree).toBe(debianSourceDir('qemu', 'bookworm'));
    const applied = await readFile(path.join(tree, '.pc', 'applied-patches'), 'utf8');
    expect(applied.trim().split('\n').length).toBeGreaterThan(0);
    expect(await debianSource('qemu', 'bookworm')).toBe(tree);
  });

  test('a version the suite does not have fails naming what it has', async () => {
    await expect(debianSource('qemu', 'bookworm', { version: '1:0.1+dfsg-1' })).rejects.toThrow(
      /bookworm' has no qemu 1:0\.1\+dfsg-1; it has: 1:7\.2/,
    );
  });

  test('a package the suite does not have fails clearly', async () => {
    await expect(debianSource('cpu-model-guard-no-such-package', 'bookworm')).rejects.toThrow(
      /suite 'bookworm' has no source package 'cpu-model-guard-no-such-package'/,
    );
  });
});
