/**
 * A newer binary as the oracle of an older tree: QEMU promises that a machine type keeps its
 * CPUs in later releases, so the effective models read from QEMU 10.2.2's sources must equal
 * what QEMU 11.1.3's binary (Debian sid's, whose sources the archive does not serve) builds,
 * on every machine type and model both have.
 */
import { beforeAll, expect, test } from '@jest/globals';
import type { Catalog } from '../../src/catalog/model.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';
import { qemuBinary } from '../support/qemu-binary.js';
import { compareWithBinary, type OracleComparison } from '../support/qemu-oracle.js';
import { compareMachineTypes, qmpDump, type QmpDump } from '../support/qmp.js';
import { readmeRows, TRUTH_TABLE_SECTION } from '../support/readme-table.js';

let catalog: Catalog;
let dump: QmpDump;
let result: OracleComparison;

beforeAll(async () => {
  const [tree, qmp] = await Promise.all([
    debianSource('qemu', 'sid', { version: '1:10.2.2+ds-1' }),
    qemuBinary('sid').then((binary) => qmpDump({ binary })),
  ]);
  dump = qmp;
  catalog = await readQemuX86Catalog(fsSource(tree));
  result = compareWithBinary(catalog, dump, { commonOnly: true });
  const common = result.machineTypes.ours.filter((m) => dump.machineTypes.includes(m));
  process.stdout.write(
    `QEMU 10.2.2 tree vs 11.1.3 binary: machine types in common ${common.length}, ` +
      `pairs agreeing ${result.pairs.agreeing}/${result.pairs.total}, ` +
      `alias-of agreeing ${result.aliasOf.agreeing}/${result.aliasOf.total}\n`,
  );
}, 40 * 60_000);

test('the binary is 11.1.3, newer than the tree', () => {
  expect(catalog.projectVersion).toBe('10.2.2');
  expect(dump.qemu.version).toMatch(/^QEMU emulator version 11\.1\.3 /);
});

test('the machine types in common are 5.2 to 10.2 of both families; 11.1.3 adds 11.0 and 11.1', () => {
  const { onlyOurs, onlyBinary, ours } = result.machineTypes;
  const common = ours.filter((m) => dump.machineTypes.includes(m));
  expect(common).toHaveLength(32);
  expect([...onlyBinary].sort()).toEqual(['pc-i440fx-11.0', 'pc-i440fx-11.1', 'pc-q35-11.0', 'pc-q35-11.1']);
  // What the tree has and 11.1.3 has not is what 11.1 deleted for age: older than all in common.
  for (const m of onlyOurs) {
    const family = m.replace(/-[\d.]+$/, '');
    const oldest = common.filter((c) => c.startsWith(`${family}-`)).sort(compareMachineTypes)[0];
    expect(compareMachineTypes(m, oldest)).toBeLessThan(0);
  }
  // Every model of 10.2.2 is still offered; 11.1.3 only adds.
  expect(result.models.onlyOurs).toEqual([]);
  expect(result.models.onlyBinary.length).toBeGreaterThan(0);
});

test('every model on every machine type in common is the CPU 11.1.3 builds', () => {
  expect(result.disagreements.slice(0, 20)).toEqual([]);
  expect(result.pairs.total).toBeGreaterThan(5000);
  expect(result.pairs.agreeing).toBe(result.pairs.total);
});

test('every name resolves to the version 11.1.3 reports as alias-of', () => {
  expect(result.aliasDisagreements.slice(0, 20)).toEqual([]);
  expect(result.aliasOf.agreeing).toBe(result.aliasOf.total);
});

test("the README's table states these numbers", async () => {
  const common = result.machineTypes.ours.filter((m) => dump.machineTypes.includes(m));
  expect(await readmeRows(TRUTH_TABLE_SECTION, '10.2.2')).toEqual([
    [
      '10.2.2',
      '11.1.3',
      String(common.length),
      `${result.pairs.agreeing} / ${result.pairs.total}`,
      `${result.aliasOf.agreeing} / ${result.aliasOf.total}`,
    ],
  ]);
});
