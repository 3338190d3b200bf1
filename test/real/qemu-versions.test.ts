/**
 * QEMU's catalog moved between releases (accelerator defaults left cpu.c in 6.0, machine types
 * became DEFINE_*_MACHINE(major, minor) in 9.1, old machine types stopped being registered).
 * The reader must read each supported release completely, from Debian's real sources.
 */
import { describe, expect, test } from '@jest/globals';
import { EffectiveModels, registeredNames } from '../../src/catalog/effective.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

const releases = [
  { suite: 'bullseye', version: '5.2', oldest: { 'pc-i440fx': 'pc-1.0', 'pc-q35': 'pc-q35-2.4' } },
  { suite: 'bookworm', version: '7.2', oldest: { 'pc-i440fx': 'pc-i440fx-1.4', 'pc-q35': 'pc-q35-2.4' } },
  // From 9.1 on, machine types older than six years are defined but not registered.
  { suite: 'trixie', version: '10.0', oldest: { 'pc-i440fx': 'pc-i440fx-4.1', 'pc-q35': 'pc-q35-4.1' } },
  {
    suite: 'sid',
    pinned: '1:10.2.2+ds-1',
    version: '10.2',
    oldest: { 'pc-i440fx': 'pc-i440fx-5.0', 'pc-q35': 'pc-q35-5.0' },
  },
];

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
    for (const family of ['pc-i440fx', 'pc-q35'] as const) {
      const types = catalog.machineTypes.filter((m) => m.family === family);
      expect(types[0]!.name).toBe(oldest[family]);
      expect(types.at(-1)!.name).toBe(`${family}-${version}`);
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
      expect(catalog.notes.some((n) => /no longer registered/.test(n))).toBe(true);
    }
  });
});
