/**
 * The strongest check there is: each QEMU release whose binary and sources Debian both serves,
 * its own binary (Debian's qemu-system-x86) against this project's reading of the same
 * release's sources. For every pc-q35 and pc-i440fx machine type and every model name,
 * `expand --accel tcg` must equal QMP's `query-cpu-model-expansion type=full`, the resolved
 * version must equal `query-cpu-definitions` alias-of, and the machine types the reader
 * registers must be exactly those `query-machines` lists. The README's truth table states the
 * counts printed here.
 */
import { beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../../src/catalog/model.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource, repoRoot } from '../support/debian-source.js';
import { qemuBinary } from '../support/qemu-binary.js';
import { compareWithBinary, type OracleComparison } from '../support/qemu-oracle.js';
import { qmpDump, type QmpDump } from '../support/qmp.js';

/** The releases, oldest first; `suite` serves both the binary and the sources. */
const ORACLE_RELEASES = [
  { qemu: '5.2', suite: 'bullseye' },
  { qemu: '7.2', suite: 'bookworm' },
  { qemu: '10.0.2', suite: 'bookworm-backports' },
  { qemu: '10.0.13', suite: 'trixie' },
];

describe.each(ORACLE_RELEASES)('QEMU $qemu ($suite): the binary is the oracle', ({ qemu, suite }) => {
  let tree: string;
  let dump: QmpDump;
  let catalog: Catalog | undefined;
  let readError: unknown;
  let result: OracleComparison | undefined;

  beforeAll(async () => {
    [tree, dump] = await Promise.all([
      debianSource('qemu', suite),
      qemuBinary(suite).then((binary) => qmpDump({ binary })),
    ]);
    try {
      catalog = await readQemuX86Catalog(fsSource(tree));
      result = compareWithBinary(catalog, dump);
    } catch (error) {
      readError = error;
    }
    const r = result;
    process.stdout.write(
      `QEMU ${qemu} oracle (${suite}): trees read ${catalog ? 1 : 0}/1` +
        (r
          ? `, machine types ${r.machineTypes.ours.length} ours / ${r.machineTypes.binary.length} binary` +
            `, pairs agreeing ${r.pairs.agreeing}/${r.pairs.total}` +
            `, alias-of agreeing ${r.aliasOf.agreeing}/${r.aliasOf.total}\n`
          : `: ${String(readError)}\n`),
    );
  }, 40 * 60_000);

  test('the binary and the sources are the same release', async () => {
    const version = (await readFile(path.join(tree, 'VERSION'), 'utf8')).trim();
    expect(version.startsWith(qemu)).toBe(true);
    expect(dump.qemu.version).toContain(`version ${version} `);
    expect(dump.expansionErrors).toEqual({});
  });

  test('the tree is read', () => {
    expect(readError).toBeUndefined();
    expect(catalog?.projectVersion).toBe((dump.qemu.version.match(/version (\S+)/) ?? [])[1]);
  });

  test("the machine types registered are exactly query-machines' pc-q35-* and pc-i440fx-*", () => {
    expect(result).toBeDefined();
    const { ours, binary } = result!.machineTypes;
    expect([...ours].sort()).toEqual([...binary].sort());
  });

  test('the model names are the binary’s', () => {
    expect(result).toBeDefined();
    expect(result!.models).toEqual({ onlyOurs: [], onlyBinary: [] });
  });

  test('expand --accel tcg equals query-cpu-model-expansion on every machine type and model', () => {
    expect(result).toBeDefined();
    expect(result!.disagreements.slice(0, 20)).toEqual([]);
    expect(result!.pairs.total).toBeGreaterThan(3000);
    expect(result!.pairs.agreeing).toBe(result!.pairs.total);
  });

  test('every name resolves to the version query-cpu-definitions reports as alias-of', () => {
    expect(result).toBeDefined();
    expect(result!.aliasDisagreements.slice(0, 20)).toEqual([]);
    expect(result!.aliasOf.total).toBe(result!.pairs.total);
    expect(result!.aliasOf.agreeing).toBe(result!.aliasOf.total);
  });

  test("the README's truth table states these numbers", async () => {
    expect(result).toBeDefined();
    const readme = await readFile(path.join(repoRoot, 'README.md'), 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith(`| ${qemu} `));
    expect(row).toBeDefined();
    const r = result!;
    const cells = row!.split('|').map((c) => c.trim());
    expect(cells.slice(1, 7)).toEqual([
      qemu,
      suite,
      catalog ? 'yes' : 'no',
      `${r.machineTypes.ours.length} / ${r.machineTypes.binary.length}`,
      `${r.pairs.agreeing} / ${r.pairs.total}`,
      `${r.aliasOf.agreeing} / ${r.aliasOf.total}`,
    ]);
  });
});
