/**
 * How `check` decides which libvirt models are released, on libvirt's real 11.3 cpu_map read
 * from disk (the git side is in release-diffs.test.ts): the release revision's models count,
 * a release revision without a readable cpu_map is said so and every model of base counts, and
 * a release at base's own commit is base.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { check, type CheckRequest } from '../../src/engine.js';
import type { CatalogSource } from '../../src/source/catalog-source.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

const SKY = 'src/cpu_map/x86_Skylake-Client.xml';
const V4 = 'src/cpu_map/x86_Skylake-Client-v4.xml';
const INDEX = 'src/cpu_map/index.xml';
let tree: CatalogSource;

function edited(edits: Record<string, string | undefined>): CatalogSource {
  return {
    label: 'edited',
    readFile: (p) => (p in edits ? Promise.resolve(edits[p]) : tree.readFile(p)),
    listFiles: (d) => tree.listFiles(d),
  };
}

async function replaced(file: string, from: string, to: string): Promise<string> {
  const t = (await tree.readFile(file))!;
  expect(t.split(from)).toHaveLength(2);
  return t.replace(from, to);
}

let head: CatalogSource;
/** The release before Skylake-Client-v4 existed. */
let releaseWithoutV4: CatalogSource;

beforeAll(async () => {
  tree = fsSource(await debianSource('libvirt', 'trixie'));
  head = edited({
    [V4]: await replaced(V4, "    <feature name='xsavec'/>\n", ''),
    [SKY]: await replaced(SKY, "    <feature name='xsavec'/>\n", ''),
  });
  releaseWithoutV4 = edited({
    [V4]: undefined,
    [INDEX]: await replaced(INDEX, "      <include filename='x86_Skylake-Client-v4.xml'/>\n", ''),
  });
}, 600_000);

function request(release: CheckRequest['release'], baseCommit = 'b'): CheckRequest {
  return {
    catalog: { format: 'libvirt-cpu-map', path: '.' },
    base: tree,
    head,
    baseRef: { ref: 'base', commit: baseCommit },
    headRef: { ref: 'head', commit: 'h' },
    release,
    failOn: 'type-2',
  };
}

const summary = (r: Awaited<ReturnType<typeof check>>) =>
  r.findings.map((f) => [f.rule, f.verdict, f.models, f.property]);

describe('released libvirt models in check', () => {
  it('are the models of the release revision', async () => {
    const report = await check(
      request({ source: releaseWithoutV4, ref: 'v11.3.0', commit: 'r', explanation: 'release' }),
    );
    expect(summary(report)).toEqual([
      ['libvirt-model-changed', 'fail', ['Skylake-Client', 'Skylake-Client-v1'], 'xsavec'],
      ['unreleased-change', 'pass', ['Skylake-Client-v4'], 'xsavec'],
    ]);
    expect(report.notes.filter((n) => n.kind === 'warning')).toEqual([]);
  });

  it('are every model of base when the release revision has no cpu_map, with a warning', async () => {
    const empty: CatalogSource = {
      label: 'empty',
      readFile: async () => undefined,
      listFiles: async () => [],
    };
    const report = await check(request({ source: empty, ref: 'v0', commit: 'r', explanation: 'release' }));
    expect(summary(report)).toEqual([
      ['libvirt-model-changed', 'fail', ['Skylake-Client-v4'], 'xsavec'],
      ['libvirt-model-changed', 'fail', ['Skylake-Client', 'Skylake-Client-v1'], 'xsavec'],
    ]);
    expect(report.notes.filter((n) => n.kind === 'warning').map((n) => n.message)).toEqual([
      expect.stringMatching(
        /^the release revision has no readable catalog \(no cpu_map index\.xml .*every model in base counts as released$/,
      ),
    ]);
  });

  it("are base's models when the release is base's own commit, whatever its source says", async () => {
    const report = await check(
      request({ source: releaseWithoutV4, ref: 'v11.3.0', commit: 'b', explanation: 'release' }, 'b'),
    );
    expect(summary(report).map((f) => f[0])).toEqual(['libvirt-model-changed', 'libvirt-model-changed']);
  });
});
