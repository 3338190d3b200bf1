import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import type { Report } from '../../src/report/finding.js';
import { renderJson } from '../../src/report/json.js';
import { emptyReport, fullReport, hugeReport, makeReport, versionAdded } from './reports.js';

const schema = JSON.parse(readFileSync(join(process.cwd(), 'schema/report.schema.json'), 'utf8')) as object;
// Strict: the schema may use only keywords ajv knows, so that no rule silently does nothing.
// (strictRequired would reject `then: {required: [...]}`, which names properties defined above it.)
const ajv = new Ajv({
  allErrors: true,
  strictSchema: true,
  strictTypes: true,
  strictTuples: true,
  allowUnionTypes: true,
});
const validateReport = ajv.compile(schema);

function errorsOf(value: unknown): string[] {
  return validateReport(value)
    ? []
    : validateReport.errors!.map((e) => `${e.instancePath} ${e.message ?? ''}`.trim());
}

/** The same report with every object's keys in reverse order. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

describe('JSON report', () => {
  it('is the report itself, nothing added or lost', () => {
    const report = fullReport();
    expect(JSON.parse(renderJson(report))).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('writes keys in the order of the Report type whatever order the engine used, with 2-space indent', () => {
    const report = fullReport();
    const text = renderJson(report);
    expect(renderJson(reversedKeys(report) as Report)).toBe(text);
    expect(
      text.startsWith(
        '{\n  "tool": {\n    "name": "cpu-model-guard",\n    "version": "0.1.0"\n  },\n  "mode": "check",',
      ),
    ).toBe(true);
    const finding = JSON.parse(text).findings[0] as Record<string, unknown>;
    expect(Object.keys(finding).slice(0, 5)).toEqual(['rule', 'class', 'verdict', 'title', 'message']);
    expect(Object.keys(JSON.parse(text).counts as object)).toEqual([
      'new-model-required',
      'type-2',
      'safe',
      'waived',
      'review',
    ]);
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('keeps keys it does not know, after the known ones', () => {
    const report = fullReport() as Report & { extra?: number };
    report.extra = 1;
    const keys = Object.keys(JSON.parse(renderJson(report)) as object);
    expect(keys[keys.length - 1]).toBe('extra');
  });
});

describe('schema/report.schema.json', () => {
  it('accepts full, empty, audit and huge reports as rendered', () => {
    expect(errorsOf(JSON.parse(renderJson(fullReport())))).toEqual([]);
    expect(errorsOf(JSON.parse(renderJson(emptyReport())))).toEqual([]);
    expect(
      errorsOf(JSON.parse(renderJson(makeReport([versionAdded()], { mode: 'audit', base: undefined })))),
    ).toEqual([]);
    expect(errorsOf(JSON.parse(renderJson(hugeReport(200))))).toEqual([]);
  });

  it('accepts values of every kind, and null for an absent property', () => {
    const report = fullReport();
    report.findings[0]!.before = null;
    report.findings[1]!.before = 85;
    report.findings[1]!.after = 'Intel Xeon Processor (Cascadelake)';
    report.findings[1]!.property = 'model-id';
    expect(errorsOf(JSON.parse(renderJson(report)))).toEqual([]);
  });

  const DELETE = Symbol('delete');
  // Each breakage is one a renderer or an engine bug could produce; each must be caught.
  const breakages: [string, (string | number)[], unknown, string][] = [
    ['a missing counts', ['counts'], DELETE, "must have required property 'counts'"],
    [
      'an unknown class',
      ['findings', 0, 'class'],
      'type-3',
      '/findings/0/class must be equal to one of the allowed values',
    ],
    [
      'an unknown verdict',
      ['findings', 0, 'verdict'],
      'ok',
      '/findings/0/verdict must be equal to one of the allowed values',
    ],
    [
      'an unknown side',
      ['findings', 0, 'location', 'side'],
      'BOTH',
      '/findings/0/location/side must be equal to one of the allowed values',
    ],
    ['an unknown result', ['result'], 'maybe', '/result must be equal to one of the allowed values'],
    ['an unknown fail-on', ['failOn'], 'safe', '/failOn must be equal to one of the allowed values'],
    ['line 0', ['findings', 0, 'location', 'line'], 0, '/findings/0/location/line must be >= 1'],
    ['a fractional count', ['counts', 'safe'], 1.5, '/counts/safe must be integer'],
    [
      'an unknown field',
      ['findings', 0, 'severity'],
      'high',
      '/findings/0 must NOT have additional properties',
    ],
    [
      'a waived finding without its waiver',
      ['findings', 3, 'waiver'],
      DELETE,
      "/findings/3 must have required property 'waiver'",
    ],
    [
      'a safe finding that fails',
      ['findings', 4, 'verdict'],
      'fail',
      '/findings/4/verdict must be equal to constant',
    ],
    ['a check without a base', ['base'], DELETE, "must have required property 'base'"],
    [
      'a rule id with spaces',
      ['findings', 0, 'rule'],
      'Released Model',
      '/findings/0/rule must match pattern "^[a-z0-9]+(-[a-z0-9]+)*$"',
    ],
    [
      'a property value of the wrong type',
      ['findings', 0, 'after'],
      ['on'],
      '/findings/0/after must be boolean,number,string,null',
    ],
    [
      'a waiver without a reason',
      ['unusedWaivers', 0, 'reason'],
      DELETE,
      "/unusedWaivers/0 must have required property 'reason'",
    ],
  ];
  it.each(breakages)('rejects %s', (_name, path, value, expected) => {
    const report = JSON.parse(renderJson(fullReport())) as unknown;
    let parent = report as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (value === DELETE) delete parent[last];
    else parent[last] = value;
    expect(errorsOf(report)).toContain(expected);
  });
});
