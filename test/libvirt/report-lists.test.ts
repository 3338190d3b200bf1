/**
 * A finding grouped per file lists every feature it touches: the reports carry that list whole
 * (JSON, SARIF, the text report) or fold it with the rest in a collapsed block (review comments).
 * The finding comes from libvirt's real cpu_map with a dozen features added without a mark.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { libvirtFindings } from './libvirt-findings.js';
import { applyWaivers } from '../../src/classify/waivers.js';
import { readLibvirtCpuMap } from '../../src/parse/libvirt/cpu-map.js';
import type { Finding, Report } from '../../src/report/finding.js';
import { renderJson } from '../../src/report/json.js';
import { renderFindingComment, renderMarkdownSummary } from '../../src/report/markdown.js';
import { buildSarifLog } from '../../src/report/sarif.js';
import { renderText } from '../../src/report/text.js';
import type { CatalogSource } from '../../src/source/catalog-source.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';

const SKY = 'src/cpu_map/x86_Skylake-Client.xml';
const GAINED = [
  'avx512f',
  'avx512dq',
  'avx512cd',
  'avx512bw',
  'avx512vl',
  'pku',
  'ospke',
  'clwb',
  'umip',
  'avx512vnni',
  'md-clear',
  'ssbd',
];
let finding: Finding;
let report: Report;

beforeAll(async () => {
  const tree = fsSource(await debianSource('libvirt', 'trixie'));
  const base = await readLibvirtCpuMap(tree);
  const sky = (await tree.readFile(SKY))!;
  const lines = GAINED.map((f) => `    <feature name='${f}'/>\n`).join('');
  const head: CatalogSource = {
    label: 'head',
    readFile: (p) =>
      p === SKY
        ? Promise.resolve(
            sky.replace("    <feature name='xsavec'/>\n", `${lines}    <feature name='xsavec'/>\n`),
          )
        : tree.readFile(p),
    listFiles: (d) => tree.listFiles(d),
  };
  const findings = libvirtFindings(base, await readLibvirtCpuMap(head), 'type-2');
  expect(findings).toHaveLength(1);
  finding = findings[0]!;
  report = {
    tool: { name: 'cpu-model-guard', version: '0.1.0' },
    mode: 'check',
    catalog: { format: 'libvirt-cpu-map', path: 'src/cpu_map' },
    base: { ref: 'v11.3.0' },
    head: { ref: 'HEAD' },
    release: { ref: 'v11.3.0', explanation: 'models that exist at v11.3.0 count as released' },
    failOn: 'type-2',
    result: 'fail',
    counts: { 'new-model-required': 1, 'type-2': 0, safe: 0, waived: 0, review: 0 },
    findings,
    notes: [],
    unusedWaivers: [],
  };
}, 600_000);

describe('a grouped libvirt finding in every report', () => {
  it('is one finding with every feature, the first as property, all as host requirements', () => {
    expect(finding).toMatchObject({
      rule: 'libvirt-model-changed',
      models: ['Skylake-Client', 'Skylake-Client-v1'],
      property: 'avx512f',
      properties: GAINED,
      before: false,
      after: true,
      hostRequirement: { gained: GAINED, why: 'CPU features: the host CPU must have them' },
    });
    expect(finding.title).toBe(
      'released models Skylake-Client, Skylake-Client-v1 changed: avx512f, avx512dq, avx512cd, avx512bw, avx512vl, pku, ospke and 5 more',
    );
    // The twelve lines follow one another: one suggestion marks them all.
    const first = finding.location.line;
    expect(finding.suggestion).toEqual({
      path: SKY,
      startLine: first,
      endLine: first + GAINED.length - 1,
      replacement: GAINED.map((f) => `    <feature name='${f}' added='yes'/>`).join('\n'),
    });
    expect(finding.fingerprint).toBe(
      `libvirt-model-changed|Skylake-Client,Skylake-Client-v1|${GAINED.join(',')}`,
    );
  });

  it('JSON keeps the list, valid against the report schema', () => {
    const json = JSON.parse(renderJson(report)) as Report;
    expect(json.findings[0]!.properties).toEqual(GAINED);
    const schema = JSON.parse(
      readFileSync(join(process.cwd(), 'schema/report.schema.json'), 'utf8'),
    ) as object;
    const validate = new Ajv({ allErrors: true, strictSchema: true, allowUnionTypes: true }).compile(schema);
    expect(validate(json) ? [] : validate.errors).toEqual([]);
  });

  it('SARIF carries the list in the result properties', () => {
    const result = buildSarifLog(report).runs[0]!.results![0]!;
    expect(result.properties).toMatchObject({ property: 'avx512f', properties: GAINED });
  });

  it('the text report lists every feature', () => {
    const text = renderText(report);
    expect(text).toContain(`properties:    ${GAINED.join(', ')}: off → on`);
  });

  it('a review comment folds the list and gives it whole in the collapsed block', () => {
    const comment = renderFindingComment(finding, { fingerprintMarker: false });
    expect(comment).toContain(
      '- **Properties:** `avx512f`, `avx512dq`, `avx512cd`, `avx512bw`, `avx512vl`, `pku`, `ospke` and 5 more properties: `off` → `on`',
    );
    expect(comment).toContain(`**All 12 properties:** ${GAINED.map((g) => `\`${g}\``).join(', ')}`);
    const summary = renderMarkdownSummary(report);
    expect(summary).toContain('`avx512f`, `avx512dq` and 10 more properties: `off` → `on`');
  });

  it('a waiver for any one of the listed features matches the finding; one for another feature does not', () => {
    const waiver = (property: string) => ({
      rule: 'libvirt-model-changed',
      models: ['Skylake-Client'],
      property,
      reason: 'test',
      source: '.github/cpu-model-guard.yml:3',
    });
    expect(applyWaivers([finding], [waiver('pku')], '2026-01-01').findings[0]!.verdict).toBe('waived');
    expect(applyWaivers([finding], [waiver('avx512f')], '2026-01-01').findings[0]!.verdict).toBe('waived');
    expect(applyWaivers([finding], [waiver('xsavec')], '2026-01-01').findings[0]!.verdict).toBe('fail');
  });
});
