/**
 * Findings of the machine-catalog rules worded from their facts alone, for the cases the real
 * trees do not reach: each branch of a rule's words says what its facts say.
 */
import { describe, expect, it } from '@jest/globals';
import { classified, type FindingFacts } from '../../src/classify/classified.js';
import { wordsOf } from '../../src/report/words/index.js';
import { summary } from '../../src/report/words/phrases.js';

const at = (path: string, line: number): FindingFacts['location'] => ({ path, line, side: 'RIGHT' });

describe('machine-catalog words', () => {
  it('names the released machine types a new property reaches, and the compat entry to add without an array', () => {
    const words = wordsOf(
      classified(
        'released-model-changed',
        {
          kind: 'new-property',
          keptBy: { set: 'pc_compat_10_0', target: '*', value: 'true', path: 'hw/i386/pc.c', line: 81 },
          entry: '{ TYPE_X86_CPU, "x-knob", "true" },',
        },
        {
          class: 'new-model-required',
          models: ['Haswell'],
          machineTypes: ['pc-q35-10.1', 'pc-i440fx-10.1'],
          property: 'x-knob',
          before: null,
          after: false,
          location: at('hw/i386/pc.c', 81),
        },
      ),
    );
    expect(words).toEqual({
      title: 'x-knob is new, and released machine types get its new default off',
      message:
        'x-knob is a CPU property the base does not have. pc_compat_10_0 (hw/i386/pc.c:81) sets it to true for older ' +
        'machine types: the value that keeps their old behaviour, so the default off is the new one. 2 released ' +
        'machine types that the entry does not reach (pc-q35-10.1 and pc-i440fx-10.1) now get the default: the ' +
        'guest of every model on them changes.',
      fix: 'keep the old behaviour on every released machine type with a compat entry { TYPE_X86_CPU, "x-knob", "true" },',
    });
  });

  it("says which unreleased machine types get a confined property's default", () => {
    const words = wordsOf(
      classified(
        'compat-confined-change',
        {
          kind: 'new-property-confined',
          keptBy: { target: 'EPYC', value: 'off', path: 'hw/i386/pc.c', line: 12 },
          confined: 3,
          baseMachineTypes: 5,
          newDefault: { value: true, machineTypes: ['pc-q35-9.2'] },
        },
        {
          class: 'safe',
          models: ['EPYC'],
          machineTypes: ['pc-q35-9.2'],
          property: 'x-knob',
          before: null,
          after: false,
          location: at('hw/i386/pc.c', 12),
        },
      ),
    );
    expect(words.title).toBe(
      'x-knob is new, and a compat array sets it to off for 3 of the 5 machine types the base had',
    );
    expect(words.message).toBe(
      'x-knob is a CPU property the base does not have. On 3 of the 5 machine types the base had, a compat array ' +
        '(hw/i386/pc.c:12) sets it to off for EPYC: the value that keeps their old behaviour, so only newer machine ' +
        'types get the new one, and no host requirement grows. The machine types that get the default on ' +
        '(pc-q35-9.2) are not released yet.',
    );
  });

  it('words an unreleased alias like a released one, without a fix', () => {
    const retarget = { name: 'Foo', from: { model: 'Foo', version: 1 }, to: { model: 'Bar', version: 2 } };
    const facts: FindingFacts = {
      class: 'safe',
      models: ['Foo'],
      machineTypes: [],
      location: at('cpu.c', 9),
    };
    const unreleased = wordsOf(
      classified('unreleased-change', { kind: 'alias-retargeted', ...retarget }, facts),
    );
    const released = wordsOf(
      classified('alias-retargeted', retarget, { ...facts, class: 'new-model-required' }),
    );
    expect(unreleased.title).toBe('Alias Foo now points to Bar-v2');
    expect(unreleased.message).toBe(released.message);
    expect(unreleased.fix).toBe('none needed');
    expect(released.fix).toBe('keep Foo on Foo-v1 and give the new version a new alias');
  });

  it('says what an edit that changes no model still does', () => {
    const facts: FindingFacts = {
      class: 'safe',
      models: [],
      machineTypes: [],
      location: at('hw/i386/pc.c', 3),
    };
    const words = (added: string[], released: string[]) =>
      wordsOf(
        classified(
          'no-effective-change',
          {
            kind: 'catalog-file',
            file: 'hw/i386/pc.c',
            addedMachineTypes: added,
            releasedMachineTypes: released,
          },
          facts,
        ),
      ).message;
    expect(words(['pc-q35-11.0'], ['pc-q35-10.2'])).toBe(
      'The edit changes no effective model of a name the base had on a machine type the base had; ' +
        'it adds machine types pc-q35-11.0, and releases pc-q35-10.2.',
    );
    expect(words([], [])).toBe(
      'The edit changes no effective model on any machine type: comments, order or formatting.',
    );
  });

  it('words a host gain found in one snapshot with the sentence of check', () => {
    const facts: FindingFacts = {
      class: 'type-2',
      models: ['A', 'B'],
      machineTypes: ['pc-q35-4.0'],
      property: 'pku',
      before: false,
      after: true,
      hostRequirement: { gained: ['pku'], cause: { source: 'table', defaultKind: 'cpu', reasons: {} } },
      location: at('hw/i386/pc.c', 40),
    };
    const keptBy = [{ set: 'pc_compat_3_1', property: 'pku', value: 'off', path: 'hw/i386/pc.c', line: 40 }];
    const snapshot = wordsOf(
      classified(
        'machine-type-host-requirement',
        { kind: 'snapshot', olderMachineTypes: ['pc-q35-3.1'], keptBy },
        facts,
      ),
    );
    const change = wordsOf(
      classified(
        'machine-type-host-requirement',
        {
          kind: 'change',
          cause: { kind: 'compat-entry', set: 'pc_compat_3_1', target: '*', property: 'pku', after: 'off' },
          olderMachineTypes: ['pc-q35-3.1'],
          keptBy,
        },
        facts,
      ),
    );
    const gain =
      '2 model names (A and B) on pc-q35-4.0 require pku from the host, which pc-q35-3.1 did not; pc_compat_3_1 keeps pku off';
    expect(snapshot.title).toBe(change.title);
    expect(snapshot.message.startsWith(`${gain} on older machine types (hw/i386/pc.c:40)`)).toBe(true);
    expect(change.message).toContain(`. ${gain} on released machine types (hw/i386/pc.c:40)`);
  });

  it('summarises a long list with how many more', () => {
    expect(summary(['a', 'b', 'c', 'd'])).toBe('a, b, c and d');
    expect(summary(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
    expect(summary(['a'])).toBe('a');
  });
});
