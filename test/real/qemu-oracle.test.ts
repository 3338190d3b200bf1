/**
 * The strongest check there is: QEMU 7.2's own binary (Debian's qemu-system-x86) against this
 * project's reading of the same version's sources. For every pc-q35 and pc-i440fx machine type
 * and every model name, `expand --accel tcg` must equal QMP's `query-cpu-model-expansion
 * type=full`, and the resolved version must equal `query-cpu-definitions` alias-of.
 */
import { beforeAll, expect, test } from '@jest/globals';
import { EffectiveModels } from '../../src/catalog/effective.js';
import type { Catalog } from '../../src/catalog/model.js';
import { expandEach } from '../../src/engine.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';
import { qmpDump, type QmpDump } from '../support/qmp.js';

/** host, max and base depend on the host by design: they are not catalog models. */
const NOT_CATALOG_MODELS = new Set(['host', 'max', 'base']);

let catalog: Catalog;
let dump: QmpDump;

beforeAll(async () => {
  const [root, qmp] = await Promise.all([debianSource('qemu', 'bookworm'), qmpDump()]);
  catalog = await readQemuX86Catalog(fsSource(root));
  dump = qmp;
}, 600_000);

test('the binary and the sources describe the same QEMU release', () => {
  expect(dump.qemu.version).toContain(catalog.projectVersion!);
  // The dump holds the X.Y machine types; bugfix releases (pc-q35-4.0.1) are read as well.
  const ours = catalog.machineTypes.map((m) => m.name);
  expect(ours.filter((m) => /-\d+\.\d+$/.test(m)).sort()).toEqual([...dump.machineTypes].sort());
  expect(ours).toContain('pc-q35-4.0.1');
});

test('expand --accel tcg equals query-cpu-model-expansion for every model on every machine type', () => {
  const compared = [
    ...catalog.features.map((f) => f.name),
    'family',
    'model',
    'stepping',
    'level',
    'xlevel',
    'vendor',
    'model-id',
  ];
  const expanded = new Map(expandEach({ catalog, accel: 'tcg' }));
  let pairs = 0;
  let agreeing = 0;
  const disagreements: string[] = [];
  for (const machineType of dump.machineTypes) {
    for (const [name, qemuProps] of Object.entries(dump.expansions[machineType]!)) {
      if (NOT_CATALOG_MODELS.has(name)) continue;
      pairs++;
      const ours = expanded.get(machineType)?.[name];
      if (!ours) {
        disagreements.push(`${machineType} ${name}: not in the catalog`);
        continue;
      }
      const differing = compared.filter((p) => qemuProps[p] !== undefined && qemuProps[p] !== ours[p]);
      if (differing.length)
        disagreements.push(
          `${machineType} ${name}: ${differing.map((p) => `${p} qemu=${qemuProps[p]} ours=${ours[p]}`).join(', ')}`,
        );
      else agreeing++;
    }
  }
  process.stdout.write(`QEMU 7.2 oracle: ${agreeing}/${pairs} (machine type, model) expansions agree\n`);
  expect(disagreements.slice(0, 20)).toEqual([]);
  expect(pairs).toBeGreaterThan(6000);
  expect(agreeing).toBe(pairs);
});

test('every name resolves to the version query-cpu-definitions reports as alias-of', () => {
  const em = new EffectiveModels(catalog);
  let names = 0;
  const wrong: string[] = [];
  for (const machineType of dump.machineTypes) {
    for (const def of dump.definitions[machineType]!) {
      if (NOT_CATALOG_MODELS.has(def.name)) continue;
      names++;
      const ours = em.aliasOf(def.name, machineType);
      if (ours !== def.aliasOf) wrong.push(`${machineType} ${def.name}: qemu=${def.aliasOf} ours=${ours}`);
    }
  }
  process.stdout.write(`QEMU 7.2 oracle: ${names - wrong.length}/${names} alias-of answers agree\n`);
  expect(wrong.slice(0, 20)).toEqual([]);
  expect(names).toBeGreaterThan(6000);
});
