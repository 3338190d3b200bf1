/**
 * The diff stage on libvirt's real cpu_maps (Debian bookworm's libvirt 9.0 and trixie's 11.3,
 * read from disk): the changes libvirt made between the releases, each typed and on the lines
 * of base and head that hold it, and the derived-model cases of x86ModelParseAncestor.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { libvirtCatalog, type LibvirtCatalog } from '../../src/catalog/libvirt.js';
import { diffLibvirtCatalogs, type LibvirtChange, type LibvirtDiff } from '../../src/diff/libvirt.js';
import type { LibvirtLocation } from '../../src/parse/libvirt/cpu-map.js';
import { readLibvirtCpuMap } from '../../src/parse/libvirt/cpu-map.js';
import type { CatalogSource } from '../../src/source/catalog-source.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

const SKY = 'src/cpu_map/x86_Skylake-Client.xml';
let v9: LibvirtCatalog;
let v11: LibvirtCatalog;
let tree11: CatalogSource;
let release: LibvirtDiff;

/** The text of a catalog's line. */
function lineOf(catalog: LibvirtCatalog, loc: LibvirtLocation): string {
  return catalog.files[loc.path]!.split('\n')[loc.line - 1]!;
}

function ofKind<K extends LibvirtChange['kind']>(
  diff: LibvirtDiff,
  kind: K,
): Extract<LibvirtChange, { kind: K }>[] {
  return diff.changes.filter((c): c is Extract<LibvirtChange, { kind: K }> => c.kind === kind);
}

async function edited(file: string, from: string, to: string): Promise<LibvirtCatalog> {
  const text = (await tree11.readFile(file))!;
  expect(text.split(from)).toHaveLength(2);
  return libvirtCatalog(
    await readLibvirtCpuMap({
      label: 'edited',
      readFile: (p) => (p === file ? Promise.resolve(text.replace(from, to)) : tree11.readFile(p)),
      listFiles: (d) => tree11.listFiles(d),
    }),
  );
}

beforeAll(async () => {
  tree11 = fsSource(await debianSource('libvirt', 'trixie'));
  v9 = libvirtCatalog(await readLibvirtCpuMap(fsSource(await debianSource('libvirt', 'bookworm'))));
  v11 = libvirtCatalog(await readLibvirtCpuMap(tree11));
  release = diffLibvirtCatalogs(v9, v11);
}, 600_000);

describe('libvirt 9.0 -> 11.3', () => {
  it('is new models, 2,070 feature lines added with added=yes and mpx marked removed=yes in ten models', () => {
    expect(release.changes.map((c) => c.kind).filter((k, i, all) => all.indexOf(k) === i)).toEqual([
      'feature-added',
      'feature-changed',
      'model-added',
    ]);
    // Base's models first, in the map's order, then the new ones.
    const firstNew = release.changes.findIndex((c) => c.kind === 'model-added');
    expect(release.changes.slice(firstNew).every((c) => c.kind === 'model-added')).toBe(true);

    const added = ofKind(release, 'feature-added');
    expect(added).toHaveLength(2070);
    for (const c of added) {
      expect(c.head).toMatchObject({ status: 'added', value: "added='yes'", from: c.model });
      expect(lineOf(v11, c.head.location)).toContain(`<feature name='${c.feature}' added='yes'/>`);
      expect(c.head.location.path).toBe(`src/cpu_map/x86_${c.model}.xml`);
      // New lines: base had none for the feature in the model.
      expect(c.baseLine).toBeUndefined();
    }
    expect(new Set(added.map((c) => c.model)).size).toBe(34);

    const marked = ofKind(release, 'feature-changed');
    expect(marked.map((c) => c.model).sort()).toEqual([
      'Cascadelake-Server',
      'Cascadelake-Server-noTSX',
      'Icelake-Server',
      'Icelake-Server-noTSX',
      'Skylake-Client',
      'Skylake-Client-IBRS',
      'Skylake-Client-noTSX-IBRS',
      'Skylake-Server',
      'Skylake-Server-IBRS',
      'Skylake-Server-noTSX-IBRS',
    ]);
    for (const c of marked) {
      expect(c.feature).toBe('mpx');
      expect(c.base).toMatchObject({ status: 'required', value: true, from: c.model });
      expect(c.head).toMatchObject({ status: 'removed', value: "removed='yes'", from: c.model });
      expect(lineOf(v9, c.base.location)).toMatch(/^\s*<feature name='mpx'\/>$/);
      expect(lineOf(v11, c.head.location)).toMatch(/^\s*<feature name='mpx' removed='yes'\/>$/);
    }

    const models = ofKind(release, 'model-added');
    expect(models).toHaveLength(92);
    for (const c of models) expect(lineOf(v11, c.head)).toContain(`<model name='${c.model}'>`);
  });

  it('lists every file whose text differs, with the models defined in it', () => {
    // 92 new model files, 34 with new marks (the ten mpx files among them), 25 with no model
    // change, and index.xml.
    expect(release.files).toHaveLength(152);
    expect(release.files.filter((f) => f.index).map((f) => f.path)).toEqual(['src/cpu_map/index.xml']);
    expect(release.files.find((f) => f.path === SKY)).toMatchObject({
      side: 'RIGHT',
      models: ['Skylake-Client'],
    });
    expect(release.files.map((f) => f.path)).toEqual([...release.files.map((f) => f.path)].sort());
  });
});

describe('a base model and the models built on it (x86ModelParseAncestor)', () => {
  it("a base's removed='yes' takes the feature out of a derived model: removed there, with the base's line", async () => {
    const head = await edited(SKY, "<feature name='xsavec'/>", "<feature name='xsavec' removed='yes'/>");
    const diff = diffLibvirtCatalogs(v11, head);
    expect(diff.changes).toHaveLength(2);
    const [own, derived] = [
      ofKind(diff, 'feature-changed').find((c) => c.model === 'Skylake-Client')!,
      ofKind(diff, 'feature-removed').find((c) => c.model === 'Skylake-Client-v1')!,
    ];
    expect(own).toMatchObject({
      feature: 'xsavec',
      base: { status: 'required' },
      head: { status: 'removed' },
    });
    expect(derived).toMatchObject({
      feature: 'xsavec',
      base: { status: 'required', from: 'Skylake-Client', location: own.base.location },
      headLine: { model: 'Skylake-Client', location: own.head.location },
    });
  });

  it("a base's line losing added='yes' is a feature the derived model gains from a line base had", async () => {
    const head = await edited(
      SKY,
      "<feature name='vmx-activity-hlt' added='yes'/>",
      "<feature name='vmx-activity-hlt'/>",
    );
    const diff = diffLibvirtCatalogs(v11, head);
    const baseLine = v11.models.get('Skylake-Client')!.lines.get('vmx-activity-hlt')!;
    expect(diff.changes).toEqual([
      {
        kind: 'feature-changed',
        model: 'Skylake-Client',
        feature: 'vmx-activity-hlt',
        base: { status: 'added', value: "added='yes'", location: baseLine, from: 'Skylake-Client' },
        head: { status: 'required', value: true, location: baseLine, from: 'Skylake-Client' },
      },
      {
        kind: 'feature-added',
        model: 'Skylake-Client-v1',
        feature: 'vmx-activity-hlt',
        head: { status: 'required', value: true, location: baseLine, from: 'Skylake-Client' },
        baseLine,
      },
    ]);
  });

  it("a derived model follows its base: new bits and vendor strings reach it, with the definitions' lines", async () => {
    const FEATURES = 'src/cpu_map/x86_features.xml';
    const VENDORS = 'src/cpu_map/x86_vendors.xml';
    expect(v11.models.get('Skylake-Client-v1')!.vendor).toMatchObject({
      name: 'Intel',
      string: 'GenuineIntel',
      location: v11.models.get('Skylake-Client')!.vendor!.location,
    });
    const head = await edited(VENDORS, "string='GenuineIntel'", "string='GenuineIntek'");
    const vendors = ofKind(diffLibvirtCatalogs(v11, head), 'vendor-changed');
    expect(vendors.map((c) => c.model)).toContain('Skylake-Client-v1');
    for (const c of vendors) {
      expect(c).toMatchObject({ before: 'Intel (GenuineIntel)', after: 'Intel (GenuineIntek)' });
      expect(c.head.path).toBe(VENDORS);
      expect(lineOf(head, c.head)).toContain("string='GenuineIntek'");
    }
    const bits = await edited(
      FEATURES,
      "<cpuid eax_in='0x00000007' ecx_in='0x00000000' ecx='0x00000008'/>",
      "<cpuid eax_in='0x00000007' ecx_in='0x00000000' ecx='0x00000010'/>",
    );
    const changed = ofKind(diffLibvirtCatalogs(v11, bits), 'bits-changed');
    // Icelake-Server-v1 and the other versions built on a model with pku.
    expect(changed.map((c) => c.model)).toContain('Icelake-Server-v1');
    expect(v11.models.get('Icelake-Server-v1')!.features.get('pku')!.from).toBe('Icelake-Server');
    for (const c of changed) {
      expect(c).toMatchObject({ feature: 'pku', before: 'cpuid eax_in=0x7 ecx=0x8 ecx_in=0x0' });
      expect(lineOf(bits, c.head)).toContain("<feature name='pku'>");
      expect(c.base.path).toBe(FEATURES);
    }
  });
});
