/**
 * libvirt's real cpu_map (Debian trixie's libvirt 11.x, which marks late features with
 * added='yes'), read completely, with every element's line checked against the file itself.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { effectiveLibvirtModel } from '../../src/catalog/libvirt.js';
import { readLibvirtCpuMap, type LibvirtCpuMap } from '../../src/parse/libvirt/cpu-map.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

let tree: string;
let map: LibvirtCpuMap;

beforeAll(async () => {
  tree = await debianSource('libvirt', 'trixie');
  map = await readLibvirtCpuMap(fsSource(tree));
}, 600_000);

function lineText(file: string, line: number): string {
  return readFileSync(path.join(tree, file), 'utf8').split('\n')[line - 1]!;
}

describe("libvirt's real x86 cpu_map", () => {
  it('reads every x86 file index.xml includes, and only those', () => {
    const index = readFileSync(path.join(tree, 'src/cpu_map/index.xml'), 'utf8');
    const x86 = index.slice(
      index.indexOf("<arch name='x86'>"),
      index.indexOf('</arch>', index.indexOf("<arch name='x86'>")),
    );
    const included = [...x86.matchAll(/<include filename='([^']+)'\/>/g)].map((m) => `src/cpu_map/${m[1]}`);
    expect(included.length).toBeGreaterThan(140);
    expect(Object.keys(map.files).sort()).toEqual(['src/cpu_map/index.xml', ...included].sort());
    expect(map.dir).toBe('src/cpu_map');
    expect(map.notes).toEqual([
      'only the x86 models are checked; ppc64, arm follow other compatibility promises',
    ]);
    // Every included model file defines models, and they are all read.
    const modelFiles = included.filter((f) => !/x86_(features|vendors)\.xml$/.test(f));
    const definedIn = new Set(Object.values(map.models).map((m) => m.location.path));
    expect([...definedIn].sort()).toEqual(modelFiles.sort());
    expect(Object.keys(map.vendors).sort()).toEqual(['AMD', 'Hygon', 'Intel']);
  });

  it('puts every model, feature, signature, vendor and base element on its exact line', () => {
    let checked = 0;
    for (const model of Object.values(map.models)) {
      expect(lineText(model.location.path, model.location.line)).toContain(`<model name='${model.name}'>`);
      expect(lineText(model.location.path, model.location.endLine!).trim()).toBe('</model>');
      for (const f of model.features) {
        expect(lineText(f.location.path, f.location.line)).toMatch(
          new RegExp(`^\\s*<feature name='${f.name.replace(/[.]/g, '\\.')}'( (added|removed)='yes')?/>`),
        );
        expect(lineText(f.location.path, f.location.line).includes("added='yes'")).toBe(f.added);
        checked++;
      }
      for (const s of model.signatures)
        expect(lineText(s.location.path, s.location.line)).toMatch(/^\s*<signature family='\d+' model='\d+'/);
      if (model.vendor)
        expect(lineText(model.vendor.location.path, model.vendor.location.line)).toContain(
          `<vendor name='${model.vendor.name}'/>`,
        );
      if (model.base)
        expect(lineText(model.base.location.path, model.base.location.line)).toContain(
          `<model name='${model.base.name}'/>`,
        );
    }
    expect(checked).toBeGreaterThan(9000);
    for (const def of Object.values(map.features)) {
      expect(lineText(def.location.path, def.location.line)).toMatch(
        new RegExp(`^\\s*<feature name='${def.name.replace(/[.]/g, '\\.')}'`),
      );
      expect(lineText(def.location.path, def.location.endLine!).trim()).toBe('</feature>');
      expect(def.bits).toMatch(/^(cpuid|msr) /);
    }
  });

  it('reads the facts libvirt documents for well-known models', () => {
    const sky = map.models['Skylake-Client']!;
    expect(sky.vendor?.name).toBe('Intel');
    expect(sky.signatures.map((s) => s.text)).toEqual([
      'family=6 model=94',
      'family=6 model=78',
      'family=6 model=142',
      'family=6 model=158',
    ]);
    expect(sky.features.find((f) => f.name === 'mpx')).toMatchObject({ removed: true, added: false });
    expect(map.models['Skylake-Client-v1']!.base?.name).toBe('Skylake-Client');
    // v1 is its base model's CPUID data: the base's added='yes' and removed='yes' features stay
    // with the base (x86ModelParseAncestor copies the data and subtracts the removed ones).
    const v1 = effectiveLibvirtModel(map, 'Skylake-Client-v1');
    const plain = sky.features.filter((f) => !f.added && !f.removed).map((f) => f.name);
    expect(plain.length).toBeGreaterThan(50);
    expect([...v1.features.keys()].sort()).toEqual(plain.sort());
    expect(
      [...v1.features.values()].every((f) => f.status === 'required' && f.from === 'Skylake-Client'),
    ).toBe(true);
    const own = effectiveLibvirtModel(map, 'Skylake-Client');
    expect(own.features.get('mpx')?.status).toBe('removed');
    expect(own.features.get('vmx-activity-hlt')?.status).toBe('added');
    expect(own.features.get('xsavec')?.status).toBe('required');
    expect(v1.chain).toEqual(['Skylake-Client', 'Skylake-Client-v1']);
    expect(v1.vendor).toMatchObject({ name: 'Intel', string: 'GenuineIntel' });
    expect(map.features['pku']!.bits).toBe('cpuid eax_in=0x7 ecx=0x8 ecx_in=0x0');
    expect(map.features['split-lock-detect']!.bits).toBe('msr eax=0x20 edx=0x0 index=0xcf');
    // trixie's libvirt marks features added to released models.
    expect(Object.values(map.models).some((m) => m.features.some((f) => f.added))).toBe(true);
  });
});
