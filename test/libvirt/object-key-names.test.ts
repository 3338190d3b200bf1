/**
 * Names in a cpu_map are the map's own: a model, feature or vendor called `constructor`,
 * `toString` or `__proto__` is defined only when the XML defines it. Read on libvirt's real
 * 11.3 cpu_map with one model file edited.
 */
import { beforeAll, expect, test } from '@jest/globals';
import { CatalogError } from '../../src/errors.js';
import { effectiveLibvirtModel } from '../../src/catalog/libvirt.js';
import { readLibvirtCpuMap } from '../../src/parse/libvirt/cpu-map.js';
import type { CatalogSource } from '../../src/source/catalog-source.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

const SKY = 'src/cpu_map/x86_Skylake-Client.xml';
let tree: CatalogSource;
let skylake: string;

beforeAll(async () => {
  tree = fsSource(await debianSource('libvirt', 'trixie'));
  skylake = (await tree.readFile(SKY))!;
}, 600_000);

function withSkylake(edit: (text: string) => string): CatalogSource {
  return withFile(SKY, skylake, edit);
}

function withFile(file: string, original: string, edit: (text: string) => string): CatalogSource {
  const text = edit(original);
  expect(text).not.toBe(original);
  return {
    label: 'edited',
    readFile: (p) => (p === file ? Promise.resolve(text) : tree.readFile(p)),
    listFiles: (d) => tree.listFiles(d),
  };
}

test.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
  'a model that uses an undefined feature or vendor named %s is an error at its line',
  async (name) => {
    const feature = withSkylake((t) => t.replace("<feature name='abm'/>", `<feature name='${name}'/>`));
    const err = await readLibvirtCpuMap(feature).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CatalogError);
    expect((err as CatalogError).message).toBe(
      `model Skylake-Client uses feature ${name}, which x86_features.xml does not define`,
    );
    expect((err as CatalogError).location).toMatchObject({ path: SKY, line: 13 });

    const vendor = withSkylake((t) => t.replace("<vendor name='Intel'/>", `<vendor name='${name}'/>`));
    const verr = await readLibvirtCpuMap(vendor).catch((e: unknown) => e);
    expect(verr).toBeInstanceOf(CatalogError);
    expect((verr as CatalogError).message).toBe(
      `model Skylake-Client names vendor ${name}, which is not defined`,
    );
  },
);

test('a model named __proto__ is a model like any other', async () => {
  // Skylake-Client-v4 is the base of no other model: renaming it leaves the map whole.
  const v4 = 'src/cpu_map/x86_Skylake-Client-v4.xml';
  const map = await readLibvirtCpuMap(
    withFile(v4, (await tree.readFile(v4))!, (t) =>
      t.replace("<model name='Skylake-Client-v4'>", "<model name='__proto__'>"),
    ),
  );
  expect(Object.keys(map.models)).toContain('__proto__');
  expect(Object.keys(map.models)).not.toContain('Skylake-Client-v4');
  expect(effectiveLibvirtModel(map, '__proto__').features.has('avx2')).toBe(true);
  expect(map.models['constructor']).toBeUndefined();
});
