import { describe, expect, it } from '@jest/globals';
import {
  collapseList,
  compressMachineTypes,
  formatMachineTypeRun,
  formatPropValue,
  renderText,
  summarizeMachineTypes,
} from '../../src/report/text.js';
import {
  I440FX_MACHINE_TYPES,
  KNOWN_MACHINE_TYPES,
  Q35_MACHINE_TYPES,
  emptyReport,
  from,
  fullReport,
  makeReport,
  pkuOnSkylakeServer,
  upTo,
} from './reports.js';

const runs = (names: string[], known?: string[]): string[] =>
  compressMachineTypes(names, known).map(formatMachineTypeRun);

describe('compressMachineTypes', () => {
  it('folds a run of consecutive minors into first..last', () => {
    expect(runs(['pc-q35-2.4', 'pc-q35-2.5', 'pc-q35-2.6', 'pc-q35-2.7'])).toEqual([
      'pc-q35-2.4..pc-q35-2.7',
    ]);
  });

  it('sorts by version, not by text (2.10 comes after 2.9)', () => {
    expect(runs(['pc-q35-2.10', 'pc-q35-2.8', 'pc-q35-2.9'])).toEqual(['pc-q35-2.8..pc-q35-2.10']);
  });

  it('does not fold across a gap: a missing machine type stays visible', () => {
    expect(
      runs(['pc-q35-2.4', 'pc-q35-2.5', 'pc-q35-2.6', 'pc-q35-2.8', 'pc-q35-2.9', 'pc-q35-2.10']),
    ).toEqual(['pc-q35-2.4..pc-q35-2.6', 'pc-q35-2.8..pc-q35-2.10']);
  });

  it('keeps two names as two names', () => {
    expect(runs(['pc-q35-7.1', 'pc-q35-7.2'])).toEqual(['pc-q35-7.1', 'pc-q35-7.2']);
  });

  it('without the catalog order, does not fold across a major version (how many minors 2.x had is unknown)', () => {
    expect(runs(upTo(from(Q35_MACHINE_TYPES, 'pc-q35-2.10'), 'pc-q35-3.1'))).toEqual([
      'pc-q35-2.10..pc-q35-2.12',
      'pc-q35-3.0',
      'pc-q35-3.1',
    ]);
  });

  it('with the catalog order, folds across major versions and bugfix machine types exactly', () => {
    expect(runs(Q35_MACHINE_TYPES, KNOWN_MACHINE_TYPES)).toEqual(['pc-q35-2.4..pc-q35-7.2']);
    // 4.0.1 sits between 4.0 and 4.1: leaving it out must split the run.
    const without401 = Q35_MACHINE_TYPES.filter((m) => m !== 'pc-q35-4.0.1');
    expect(runs(without401, KNOWN_MACHINE_TYPES)).toEqual([
      'pc-q35-2.4..pc-q35-4.0',
      'pc-q35-4.1..pc-q35-7.2',
    ]);
  });

  it('never folds two families together, even where they meet in the catalog order', () => {
    const names = [...from(I440FX_MACHINE_TYPES, 'pc-i440fx-7.0'), ...upTo(Q35_MACHINE_TYPES, 'pc-q35-2.6')];
    expect(runs(names, KNOWN_MACHINE_TYPES)).toEqual([
      'pc-i440fx-7.0..pc-i440fx-7.2',
      'pc-q35-2.4..pc-q35-2.6',
    ]);
  });

  it('treats a bugfix machine type as the step between its minor and the next', () => {
    expect(runs(['pc-q35-4.0', 'pc-q35-4.0.1', 'pc-q35-4.1'])).toEqual(['pc-q35-4.0..pc-q35-4.1']);
  });

  it('lists names without a version as they are, and removes duplicates', () => {
    expect(runs(['microvm', 'pc-q35-5.0', 'microvm', 'virt'])).toEqual(['microvm', 'pc-q35-5.0', 'virt']);
  });

  it('counts what each run stands for', () => {
    const all = compressMachineTypes(Q35_MACHINE_TYPES, KNOWN_MACHINE_TYPES);
    expect(all).toEqual([{ first: 'pc-q35-2.4', last: 'pc-q35-7.2', count: Q35_MACHINE_TYPES.length }]);
  });
});

describe('list collapsing', () => {
  it('shows everything up to the limit and then "and N more"', () => {
    expect(collapseList(['a', 'b', 'c'], 3)).toEqual({ shown: ['a', 'b', 'c'], more: 0 });
    expect(collapseList(['a', 'b', 'c', 'd', 'e'], 3)).toEqual({ shown: ['a', 'b'], more: 3 });
  });

  it('counts the machine types behind the runs it leaves out, not the runs', () => {
    const names = [
      'pc-q35-2.4',
      'pc-q35-2.6',
      'pc-q35-2.8',
      ...upTo(from(Q35_MACHINE_TYPES, 'pc-q35-5.0'), 'pc-q35-6.2'), // 6 names, 2 runs
    ];
    const summary = summarizeMachineTypes(names, 3);
    expect(summary.shown).toEqual(['pc-q35-2.4', 'pc-q35-2.6']);
    expect(summary.more).toBe(1 + 6);
  });
});

describe('formatPropValue', () => {
  it('speaks of features as on/off and tells an absent property from an unknown one', () => {
    expect(formatPropValue(true)).toBe('on');
    expect(formatPropValue(false)).toBe('off');
    expect(formatPropValue(85)).toBe('85');
    expect(formatPropValue('Intel Xeon Processor (Skylake)')).toBe('"Intel Xeon Processor (Skylake)"');
    expect(formatPropValue(null)).toBe('(absent)');
  });
});

describe('renderText', () => {
  const report = fullReport();
  const text = renderText(report, { knownMachineTypes: KNOWN_MACHINE_TYPES });

  it('says what was compared: refs, commits, the release baseline and the threshold', () => {
    const header = text.split('\n').slice(0, 5).join('\n');
    expect(header).toContain('cpu-model-guard 0.1.0: check of qemu-x86 catalog at target/i386/cpu.c');
    expect(header).toContain('base:     origin/master (1c4f3c1e5e0f)');
    expect(header).toContain('head:     refs/pull/42/merge (9a8b7c6d5e4f)');
    expect(header).toContain(
      'released: v7.2.0 (b67b00e6b4c7): entries present in v7.2.0, the newest release tag reachable from base',
    );
    expect(header).toContain('fail-on:  type-2 (fails on type-2 and new-model-required)');
  });

  it('groups findings by class, worst first', () => {
    const nmr = text.indexOf('NEW-MODEL-REQUIRED (2)');
    const t2 = text.indexOf('TYPE-2 (2)');
    const safe = text.indexOf('SAFE (2)');
    expect(nmr).toBeGreaterThan(0);
    expect(t2).toBeGreaterThan(nmr);
    expect(safe).toBeGreaterThan(t2);
    // Every finding sits under its own class heading.
    expect(text.indexOf('released-name-removed')).toBeLessThan(t2);
    expect(text.indexOf('[WAIVED] machine-type-host-requirement')).toBeGreaterThan(t2);
    expect(text.indexOf('compat-confined-change')).toBeGreaterThan(safe);
  });

  it('gives each finding its rule, models, machine types, property change, host requirement, place and fix', () => {
    const start = text.indexOf('[FAIL] machine-type-host-requirement');
    const block = text.slice(start, text.indexOf('[WAIVED]', start));
    expect(block).toContain('Skylake-Server requires pku from the host on pc-*-3.1 and newer');
    expect(block).toContain('models:        Skylake-Server, Skylake-Server-IBRS\n');
    expect(block).toContain('machine types: pc-i440fx-3.1..pc-i440fx-7.2, pc-q35-3.1..pc-q35-7.2\n');
    expect(block).toContain('property:      pku: off → on\n');
    expect(block).toContain('host gains:    pku (needs the host CPU (protection keys) and KVM support)\n');
    expect(block).toContain('at:            target/i386/cpu.c:2764\n');
    expect(block).toContain(
      'fix:           Add pku in a new version Skylake-Server-v2 instead of the definition.\n',
    );
    expect(block).toContain('add after target/i386/cpu.c:2790:\n');
    expect(block).toContain('+                     { "pku", "on" },\n');
  });

  it('collapses long model lists and shows the suggestion that replaces lines', () => {
    const start = text.indexOf('[FAIL] released-model-changed');
    const block = text.slice(start, text.indexOf('[FAIL] released-name-removed'));
    expect(block).toContain(
      'models:        Cascadelake-Server-v1, Cascadelake-Server-v2, Cascadelake-Server-v3, Cascadelake-Server-v4, Cascadelake-Server-v5\n',
    );
    expect(block).toContain('machine types: pc-i440fx-2.4..pc-i440fx-7.2, pc-q35-2.4..pc-q35-7.2\n');
    expect(block).toContain('replace target/i386/cpu.c lines 2871-2872 with:\n');
    expect(block).toContain(
      '| ' + '            CPUID_7_0_EDX_SPEC_CTRL_SSBD, /* see ````docs```` and `x` */\n',
    );

    // An empty replacement removes the lines.
    const removal = pkuOnSkylakeServer();
    removal.suggestion = { path: 'target/i386/cpu.c', startLine: 2583, endLine: 2583, replacement: '' };
    expect(renderText(makeReport([removal]))).toContain('remove target/i386/cpu.c line 2583\n');

    const many = pkuOnSkylakeServer();
    many.models = Array.from({ length: 40 }, (_, i) => `Model-${i}`);
    const collapsed = renderText(makeReport([many]));
    expect(collapsed).toContain(
      'models:        Model-0, Model-1, Model-2, Model-3, Model-4 and 35 more models\n',
    );
  });

  it('marks removals as lines of the base and shows the waiver of a waived finding', () => {
    expect(text).toContain('at:            target/i386/cpu.c:1990 (in base, removed in head)\n');
    expect(text).toContain(
      'waived:        machine-type-host-requirement / Opteron_G3 / rdtscp: Linux 4.5 is the minimum host kernel and it supports rdtscp (expires 2030-01-01, owner x86 maintainers, from .github/cpu-model-guard.yml:12)',
    );
  });

  it('lists unused waivers and notes, and ends with the counts and the result', () => {
    expect(text).toContain(
      'UNUSED OR EXPIRED WAIVERS (1)\n  - released-model-changed / EPYC / npt: kept from an older release',
    );
    expect(text).toContain('NOTES (1)\n  - machine type pc-i440fx-1.4 was removed');
    const tail = text.trimEnd().split('\n').slice(-2);
    expect(tail).toEqual([
      'Findings: 2 new-model-required, 2 type-2, 2 safe; 1 waived.',
      'Result: FAIL (fail-on type-2: fails on type-2 and new-model-required).',
    ]);
  });

  it('has no colour unless asked, and colours the result when asked', () => {
    expect(text).not.toContain('\x1b[');
    const coloured = renderText(report, { color: true });
    expect(coloured).toContain('\x1b[31m\x1b[1mFAIL\x1b[0m\x1b[0m');
    expect(coloured).toContain('\x1b[31m\x1b[1mNEW-MODEL-REQUIRED (2)');
  });

  it('does not let catalog text drive the terminal', () => {
    const f = pkuOnSkylakeServer();
    f.models = ['Evil\x1b[2J\x1b[31mModel'];
    const out = renderText(makeReport([f]));
    expect(out).not.toContain('\x1b');
    expect(out).toContain('Evil\\x1b[2J\\x1b[31mModel');
  });

  it('reports an empty check as a pass with zero counts', () => {
    const out = renderText(emptyReport());
    expect(out).toContain('No findings: the change keeps every rule.');
    expect(out).toContain('Findings: 0 new-model-required, 0 type-2, 0 safe.');
    expect(out).toContain('Result: PASS');
    expect(out).not.toContain('NOTES');
  });

  it('in an audit, names only the revision audited', () => {
    const audit = renderText(makeReport([], { mode: 'audit', base: undefined }));
    expect(audit).toContain('audit of qemu-x86 catalog');
    expect(audit).not.toContain('base:');
  });
});
