/**
 * Classification of names that disappear or point elsewhere, on catalogs read from text (no git
 * is involved): each finding states its facts, and its words come from them.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { registeredNames } from '../../src/catalog/effective.js';
import { classifyMachineCatalog } from '../../src/classify/machine-catalog.js';
import { parseGenericCatalog } from '../../src/parse/generic/catalog.js';
import { worded } from '../../src/report/words/index.js';

const fixture = readFileSync(
  fileURLToPath(new URL('../fixtures/generic/mini-catalog.yaml', import.meta.url)),
  'utf8',
);

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the fixture has no ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

const base = parseGenericCatalog(fixture, 'catalog.yaml');
const releasedNames = new Set(registeredNames(base).map((n) => n.name));

function classify(headText: string, released: ReadonlySet<string> = releasedNames) {
  const head = parseGenericCatalog(headText, 'catalog.yaml');
  return classifyMachineCatalog({ base, head, releasedNames: released }).map(worded);
}

describe('names removed or retargeted', () => {
  it('an alias moved to a new version: the new version is safe, the released alias is not', () => {
    const head = edit(
      fixture,
      '        alias: Skylake-Client-IBRS\n        note: IBRS\n        props:\n          spec-ctrl: true\n',
      '        props:\n          spec-ctrl: true\n      - version: 3\n        alias: Skylake-Client-IBRS\n        props:\n          spec-ctrl: true\n          ssbd: true\n',
    );
    const findings = classify(head);
    const retargeted = findings.find((f) => f.rule === 'alias-retargeted')!;
    expect(retargeted).toMatchObject({
      class: 'new-model-required',
      models: ['Skylake-Client-IBRS'],
      meta: {
        name: 'Skylake-Client-IBRS',
        from: { model: 'Skylake-Client', version: 2 },
        to: { model: 'Skylake-Client', version: 3 },
      },
      title: 'Alias Skylake-Client-IBRS now points to Skylake-Client-v3',
      fix: 'keep Skylake-Client-IBRS on Skylake-Client-v2 and give the new version a new alias',
    });
    expect(findings.find((f) => f.rule === 'version-added')).toMatchObject({
      meta: { model: 'Skylake-Client', name: 'Skylake-Client-v3', alias: 'Skylake-Client-IBRS' },
    });

    // The same edit before the alias was ever released affects no VM.
    const unreleased = classify(head, new Set([...releasedNames].filter((n) => n !== 'Skylake-Client-IBRS')));
    expect(unreleased.find((f) => f.rule === 'alias-retargeted')).toBeUndefined();
    expect(
      unreleased.find((f) => f.rule === 'unreleased-change' && f.models[0] === 'Skylake-Client-IBRS'),
    ).toMatchObject({
      class: 'safe',
      meta: { kind: 'alias-retargeted', name: 'Skylake-Client-IBRS' },
      title: retargeted.title,
      message: retargeted.message,
      fix: 'none needed',
    });
  });

  it('a deprecated model removed is safe and says its note; a released one removed is not', () => {
    const findings = classify(
      edit(
        edit(fixture, '  - name: Nehalem\n    deprecated: use Nehalem-v2 instead\n', ''),
        '  - name: Opteron_G3\n',
        '  - name: Opteron_G9\n',
      ),
    );
    const deprecated = findings.find((f) => f.rule === 'deprecated-name-removed')!;
    expect(deprecated).toMatchObject({
      class: 'safe',
      meta: { model: 'Nehalem', deprecation: 'use Nehalem-v2 instead' },
      location: { side: 'LEFT' },
    });
    expect(deprecated.message).toBe(
      `${deprecated.models.join(', ')}: deprecated (use Nehalem-v2 instead) before the removal.`,
    );
    const removed = findings.find((f) => f.rule === 'released-name-removed')!;
    expect(removed).toMatchObject({ class: 'new-model-required', meta: { model: 'Opteron_G3' } });
    expect(removed.models).toContain('Opteron_G3');
    expect(removed.title).toBe(`${removed.models.join(', ')} removed`);
    expect(removed.fix).toBe(
      'keep Opteron_G3; deprecate it first (a deprecation note) and remove it in a later release',
    );
    expect(findings.find((f) => f.rule === 'model-added')).toMatchObject({ meta: { model: 'Opteron_G9' } });
  });
});
