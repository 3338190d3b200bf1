/**
 * QEMU's catalog moved between releases (accelerator defaults left cpu.c in 6.0, machine types
 * became DEFINE_*_MACHINE(major, minor) in 9.1, old machine types stopped being registered).
 * The reader must read each supported release completely, from Debian's real sources.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EffectiveModels, registeredNames } from '../../src/catalog/effective.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

// QEMU's own family names (`m->family`): pc_piix holds the i440fx machine types.
const releases = [
  { suite: 'bullseye', version: '5.2', oldest: { pc_piix: 'pc-1.0', pc_q35: 'pc-q35-2.4' } },
  { suite: 'bookworm', version: '7.2', oldest: { pc_piix: 'pc-i440fx-1.4', pc_q35: 'pc-q35-2.4' } },
  // MACHINE_VER_DELETION only deletes from 10.1 on (or with QEMU_DELETE_MACHINES set): the
  // 10.0 binary registers every machine type its files define.
  { suite: 'trixie', version: '10.0', oldest: { pc_piix: 'pc-i440fx-2.4', pc_q35: 'pc-q35-2.4' } },
  {
    suite: 'sid',
    pinned: '1:10.2.2+ds-1',
    version: '10.2',
    oldest: { pc_piix: 'pc-i440fx-5.0', pc_q35: 'pc-q35-5.0' },
  },
];

/** The versioned machine types a machine file defines, counted in its text (not by the reader). */
const definedIn = (root: string, file: string): number =>
  (
    readFileSync(path.join(root, file), 'utf8').match(
      /^DEFINE_(Q35|I440FX)_MACHINE(_AS_LATEST|_BUGFIX)?\(/gm,
    ) ?? []
  ).length;

describe.each(releases)('QEMU $version ($suite)', ({ suite, version, oldest, pinned }) => {
  test('reads every model, machine type and compat array', async () => {
    const root = await debianSource('qemu', suite, pinned ? { version: pinned } : {});
    const catalog = await readQemuX86Catalog(fsSource(root));
    expect(catalog.projectVersion).toMatch(new RegExp(`^${version.replace('.', '\\.')}\\.`));
    expect(catalog.models.length).toBeGreaterThan(35);
    const names = registeredNames(catalog).map((n) => n.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'qemu64',
        'Haswell',
        'Haswell-v4',
        'Haswell-noTSX-IBRS',
        'EPYC-v3',
        'Skylake-Server-v1',
      ]),
    );
    // Every machine type the files define is registered, except what the evaluated deletion
    // macro skips, and that is only from QEMU 10.1 on.
    const defined = definedIn(root, 'hw/i386/pc_q35.c') + definedIn(root, 'hw/i386/pc_piix.c');
    // One note per machine file names every machine type the deletion leaves out.
    const deletionNotes = catalog.notes.filter((n) => /not registered: .*machine type deletion/.test(n));
    expect(deletionNotes.length).toBeLessThanOrEqual(2);
    const deleted = deletionNotes
      .map((n) => (/^(\d+) machine types are/.exec(n) ? Number(/^(\d+)/.exec(n)![1]) : 1))
      .reduce((a, b) => a + b, 0);
    expect(catalog.machineTypes.length + deleted).toBe(defined);
    expect(deleted > 0).toBe(version === '10.2');
    for (const family of ['pc_piix', 'pc_q35'] as const) {
      const types = catalog.machineTypes.filter((m) => m.family === family);
      expect(types[0]!.name).toBe(oldest[family]);
      expect(types.at(-1)!.name).toBe(`${family === 'pc_q35' ? 'pc-q35' : 'pc-i440fx'}-${version}`);
      expect(types.at(-1)!.aliases).toEqual([family === 'pc_q35' ? 'q35' : 'pc']);
      expect(types.at(-1)!.compatSets.filter((s) => /^(pc|hw)_compat_/.test(s))).toEqual([]);
      // The oldest machine type gets every compat array of its family.
      expect(types[0]!.compatSets.length).toBeGreaterThan(types.at(-2)!.compatSets.length);
    }
    expect(catalog.accelDefaults.kvm.map((p) => p.property)).toEqual(
      expect.arrayContaining(['kvmclock', 'x2apic', 'svm']),
    );
    expect(catalog.accelDefaults.tcg).toEqual([expect.objectContaining({ property: 'vme', value: false })]);

    // What asks nothing of the host comes from the tree's own kvm_arch_get_supported_cpuid().
    const host = catalog.hostRequirements.properties;
    for (const feature of ['hypervisor', 'arat', 'topoext', 'tsc-deadline']) {
      expect({ feature, ...host[feature] }).toEqual({
        feature,
        kind: 'none',
        why: expect.stringMatching(/kvm_arch_get_supported_cpuid, target\/i386\/(kvm\/)?kvm\.c:\d+/),
      });
    }
    expect(host['avx2']?.kind).toBe('cpu');
    expect(host['kvm-pv-unhalt']?.kind).toBe('kvm');
    // QEMU 10.x offers overflow-recov and succor on every host; older releases did not.
    expect(host['overflow-recov']?.kind === 'none').toBe(version.startsWith('10.'));

    const em = new EffectiveModels(catalog);
    const latest = `pc-q35-${version}`;
    expect(em.aliasOf('Haswell', latest)).toBe('Haswell-v1');
    expect(em.get('Haswell-noTSX', latest)?.['hle']).toBe(false);
    expect(em.get('Haswell-v3', latest)?.['hle']).toBe(true);
    // What the real binaries report (query-cpu-model-expansion): the automatic xlevel for the
    // 0x80000021 leaf's features, and pc-1.x's model-id from their option functions' own arrays.
    if (catalog.models.some((m) => m.versions.length > 1 && m.name === 'EPYC-Milan'))
      expect(em.get('EPYC-Milan-v2', latest, 'tcg')?.['xlevel']).toBe(
        version.startsWith('10.') ? 0x80000021 : 0x8000001e,
      );
    if (version === '5.2') {
      expect(em.get('qemu64', 'pc-1.0', 'tcg')?.['model-id']).toBe('QEMU Virtual CPU version 1.0');
      expect(em.get('qemu64', 'pc-1.3', 'tcg')?.['model-id']).toBe('QEMU Virtual CPU version 1.3.0');
    }
    if (catalog.machineTypes.some((m) => m.name === 'pc-q35-3.1')) {
      // QEMU 4.0's MPX removal: the unversioned name keeps mpx on 3.1 and older through
      // pc_compat_3_1; the versioned name, which compat properties do not reach, does not.
      expect(
        catalog.compatSets['pc_compat_3_1']?.entries.some(
          (e) => e.target === 'Skylake-Client' && e.property === 'mpx' && e.value === 'on',
        ),
      ).toBe(true);
      expect(em.get('Skylake-Client', 'pc-q35-3.1')?.['mpx']).toBe(true);
      expect(em.get('Skylake-Client-v1', 'pc-q35-3.1')?.['mpx']).toBe(false);
      expect(em.get('Skylake-Client', 'pc-q35-4.0')?.['mpx']).toBe(false);
    } else {
      expect(deleted).toBeGreaterThan(0);
    }
  });
});
