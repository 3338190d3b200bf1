/**
 * The generic catalog proven on real data: QEMU 7.2's x86 catalog (Debian bookworm's sources),
 * exported and read back, gives the same effective model for every registered name on every
 * machine type under both accelerators.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Catalog } from '../../src/catalog/model.js';
import { EffectiveModels } from '../../src/catalog/effective.js';
import { parseGenericCatalog } from '../../src/parse/generic/catalog.js';
import { exportCatalog } from '../../src/parse/generic/export.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

let qemu: Catalog;
let exported: string;
let back: Catalog;

beforeAll(async () => {
  qemu = await readQemuX86Catalog(fsSource(await debianSource('qemu', 'bookworm')));
  exported = exportCatalog(qemu);
  back = parseGenericCatalog(exported, 'qemu-7.2.yaml');
}, 600_000);

describe('exporting a real QEMU tree as a generic catalog', () => {
  it('keeps every model, version, alias, machine type and compat entry', () => {
    expect(qemu.models.length).toBeGreaterThan(30);
    expect(back.models.map((m) => m.name)).toEqual(qemu.models.map((m) => m.name));
    expect(back.models.map((m) => m.versions.map((v) => [v.version, v.alias ?? null]))).toEqual(
      qemu.models.map((m) => m.versions.map((v) => [v.version, v.alias ?? null])),
    );
    expect(back.machineTypes.map((t) => [t.name, t.released, t.defaultCpuVersion, t.compatSets])).toEqual(
      qemu.machineTypes.map((t) => [t.name, t.released, t.defaultCpuVersion, t.compatSets]),
    );
    expect(Object.keys(back.compatSets)).toEqual(Object.keys(qemu.compatSets));
    for (const [name, set] of Object.entries(qemu.compatSets)) {
      expect(back.compatSets[name]!.entries.map((e) => [e.driver, e.target, e.property, e.value])).toEqual(
        set.entries.map((e) => [e.driver, e.target, e.property, e.value]),
      );
    }
    expect(back.hostRequirements.properties).toEqual(qemu.hostRequirements.properties);
    expect(back.accelClears).toEqual(qemu.accelClears);
  });

  it('gives the same effective model for every name on every machine type, under KVM and TCG', () => {
    const a = new EffectiveModels(qemu);
    const b = new EffectiveModels(back);
    let compared = 0;
    for (const n of a.registeredNames()) {
      for (const t of qemu.machineTypes) {
        for (const accel of ['kvm', 'tcg'] as const) {
          const ea = a.get(n.name, t.name, accel);
          expect(ea).toBeDefined();
          expect(b.get(n.name, t.name, accel)).toEqual(ea);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it('points locations into the exported file', () => {
    const lines = exported.split('\n');
    const haswell = back.models.find((m) => m.name === 'Haswell')!;
    expect(lines[haswell.location.line - 1]).toMatch(/^\s*- name: Haswell$/);
    const v2 = haswell.versions.find((v) => v.version === 2)!;
    expect(lines[v2.aliasLocation!.line - 1]).toMatch(/alias: Haswell-noTSX$/);
  });
});
