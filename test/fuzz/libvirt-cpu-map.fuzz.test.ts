/**
 * Seeded damage to a real libvirt x86 cpu_map (Debian trixie's libvirt): its index, vendors and
 * features, a seeded sample of model files, and XML's own dangers (entities, a DTD, nesting
 * 200,000 deep, duplicate and cyclic bases, names that are JavaScript object keys).
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readLibvirtCpuMap, type LibvirtCpuMap } from '../../src/parse/libvirt/cpu-map.js';
import { MAX_XML_BYTES } from '../../src/parse/libvirt/xml.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';
import { expectReadmeRow, recordCases } from './fuzz-count.js';
import {
  FUZZ_SEED,
  canonical,
  judge,
  mutationsOf,
  outcomeOf,
  random,
  ScratchTree,
  seedFor,
  type Mutation,
  type Outcome,
} from './fuzz-support.js';

// `files` holds each file's text, which inert damage changes and nothing else.
const canon = (value: unknown, shifted: boolean): string => canonical(value, shifted, ['files']);

/** XML's own dangers, each at a model file of the map. */
function xmlMutations(file: string, text: string): Mutation[] {
  const model = /<model name='([^']+)'>/.exec(text)?.[1];
  const content = (s: string) => ({ kind: 'content' as const, bytes: Buffer.from(s) });
  const out: Mutation[] = [
    {
      name: `${file}: an entity reference`,
      file,
      damage: content(text.replace(/name='([^']+)'/, "name='$1&xxe;'")),
      expect: 'error',
      needsLine: true,
    },
    {
      name: `${file}: a DTD with an entity`,
      file,
      damage: content(`<?xml version="1.0"?>\n<!DOCTYPE cpus [<!ENTITY a "aaaaaaaaaa">]>\n${text}`),
      expect: 'error',
      needsLine: true,
    },
    {
      name: `${file}: elements nested 200,000 deep`,
      file,
      damage: content(`<cpus>\n${'<a>'.repeat(200_000)}${'</a>'.repeat(200_000)}\n</cpus>\n`),
      expect: 'error',
      needsLine: false,
    },
    {
      name: `${file}: oversize`,
      file,
      damage: content(text.replace('<cpus>', `<cpus>\n<!-- ${'x'.repeat(MAX_XML_BYTES)} -->`)),
      expect: 'error',
      needsLine: false,
    },
  ];
  if (!model) return out;
  const body = /<model name='[^']+'>[\s\S]*?<\/model>/.exec(text)![0];
  out.push(
    {
      name: `${file}: model ${model} defined twice`,
      file,
      damage: content(text.replace(body, `${body}\n${body}`)),
      expect: 'error',
      needsLine: true,
    },
    {
      name: `${file}: model ${model} based on itself`,
      file,
      damage: content(
        text.replace(`<model name='${model}'>`, `<model name='${model}'>\n    <model name='${model}'/>`),
      ),
      expect: 'error',
      needsLine: true,
    },
    {
      name: `${file}: model ${model} based on toString`,
      file,
      damage: content(
        text.replace(`<model name='${model}'>`, `<model name='${model}'>\n    <model name='toString'/>`),
      ),
      expect: 'error',
      needsLine: true,
    },
    {
      name: `${file}: a model named __proto__`,
      file,
      damage: content(text.replace(`<model name='${model}'>`, "<model name='__proto__'>")),
      expect: 'any',
      needsLine: true,
      check: (value) => {
        const map = value as LibvirtCpuMap;
        return Object.hasOwn(map.models, '__proto__') && !Object.hasOwn(map.models, model)
          ? undefined
          : `the model renamed __proto__ is not in the map under its name`;
      },
    },
  );
  if (/<feature name='[^']+'\/>/.test(body))
    out.push({
      name: `${file}: a feature named constructor`,
      file,
      damage: content(text.replace(/<feature name='[^']+'\/>/, "<feature name='constructor'/>")),
      expect: 'error',
      needsLine: true,
    });
  if (text.includes("<vendor name='"))
    out.push({
      name: `${file}: vendor __proto__`,
      file,
      damage: content(text.replace(/<vendor name='[^']+'\/>/, "<vendor name='__proto__'/>")),
      expect: 'error',
      needsLine: true,
    });
  if (text.includes('<!--'))
    out.push({
      name: `${file}: '--' inside a comment`,
      file,
      damage: content(text.replace('<!--', '<!-- -- ')),
      expect: 'error',
      needsLine: true,
    });
  return out;
}

describe('libvirt cpu_map of Debian trixie', () => {
  let tree: ScratchTree;
  let baseline: { exact: string; shifted: string };
  const outcomes: { m: Mutation; o: Outcome }[] = [];
  let files: string[] = [];

  beforeAll(async () => {
    const dir = path.join(await debianSource('libvirt', 'trixie'), 'src', 'cpu_map');
    const all = readdirSync(dir).filter((f) => f === 'index.xml' || f.startsWith('x86_'));
    tree = new ScratchTree(dir, all);
    const r = random(seedFor('libvirt model sample'));
    const models = all.filter((f) => !['index.xml', 'x86_vendors.xml', 'x86_features.xml'].includes(f));
    const sample = new Set<string>();
    while (sample.size < 6) sample.add(r.pick(models));
    files = ['index.xml', 'x86_vendors.xml', 'x86_features.xml', ...[...sample].sort()];
    const undamaged = await readLibvirtCpuMap(fsSource(tree.dir));
    baseline = { exact: canon(undamaged, false), shifted: canon(undamaged, true) };
  });
  afterAll(() => tree?.remove());

  test('every damage to the index, vendors, features and a sample of models', async () => {
    const problems: string[] = [];
    for (const file of files) {
      const text = tree.text(file);
      const mutations = [
        ...mutationsOf(file, text, 'xml', { required: true }),
        ...(file === 'index.xml' ? [] : xmlMutations(file, text)),
      ];
      for (const m of mutations) {
        const o = await tree.with(m.file, m.damage, () =>
          outcomeOf(() => readLibvirtCpuMap(fsSource(tree.dir))),
        );
        outcomes.push({ m, o });
        const problem = judge(m, o, baseline, canon);
        if (problem) problems.push(problem);
      }
    }
    recordCases('libvirt-trixie', outcomes);
    expect({ seed: FUZZ_SEED, problems }).toEqual({ seed: FUZZ_SEED, problems: [] });
    await expectReadmeRow('libvirt cpu_map (Debian trixie)', outcomes);
  });
});
