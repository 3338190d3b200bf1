/**
 * The SARIF output is validated against the SARIF 2.1.0 JSON schema as published on SchemaStore
 * (rtm.5, the revision GitHub code scanning reads), which @microsoft/jest-sarif ships. It is a
 * draft-04 schema, hence ajv-draft-04; ajv-formats makes `uri` and `date-time` count.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import type * as Sarif from 'sarif';
import {
  PROJECT_RULE_DOCS_URL,
  RULES,
  SARIF_FINGERPRINT_KEY,
  buildSarifLog,
  renderSarif,
} from '../../src/report/sarif.js';
import {
  aliasRemoved,
  editedReleasedVersion as editedReleasedVersionFinding,
  emptyReport,
  fullReport,
  makeReport,
  pkuOnSkylakeServer,
  rdtscpOnOpteron,
} from './reports.js';

// Both packages are CommonJS that also set `exports.default`: under ESM the default import is
// the module, whose `default` is the class or the plugin.
const Ajv04 = Ajv04Module.default;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: InstanceType<typeof Ajv04>,
) => unknown;

const schemaPath = join(
  process.cwd(),
  'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json',
);
// The published schema's `language` pattern is not a valid Unicode-mode regular expression.
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')) as object);

const DOCS = 'https://example.org/cpu-model-guard/docs/rules.md';
const HOME = 'https://example.org/cpu-model-guard';

function expectValid(log: unknown): void {
  const ok = validateSarif(log);
  expect(ok ? [] : validateSarif.errors).toEqual([]);
}

describe('SARIF output', () => {
  const report = fullReport();
  const text = renderSarif(report, { ruleDocsUrl: DOCS, informationUri: HOME });
  const log = JSON.parse(text) as Sarif.Log;
  const run = log.runs[0]!;

  it('is valid SARIF 2.1.0, for a full report, an empty one and one without URLs', () => {
    expectValid(log);
    expectValid(JSON.parse(renderSarif(emptyReport())));
    expectValid(JSON.parse(renderSarif(report)));
  });

  it('is checked by a schema that bites', () => {
    const broken = structuredClone(log);
    (broken.runs[0]!.results![0] as { level: string }).level = 'fatal';
    expect(validateSarif(broken)).toBe(false);
    const noUri = structuredClone(log);
    noUri.runs[0]!.tool.driver.informationUri = 'not a uri';
    expect(validateSarif(noUri)).toBe(false);
  });

  it('names the tool and describes every rule with its documentation and default level', () => {
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const driver = run.tool.driver;
    expect(driver).toMatchObject({ name: 'cpu-model-guard', version: '0.1.0', informationUri: HOME });
    expect(driver.rules!.map((r) => r.id)).toEqual(RULES.map((r) => r.id));
    const t2 = driver.rules!.find((r) => r.id === 'machine-type-host-requirement')!;
    expect(t2.helpUri).toBe(`${DOCS}#machine-type-host-requirement`);
    expect(t2.name).toBe('MachineTypeHostRequirement');
    expect(t2.defaultConfiguration!.level).toBe('error');
    expect(driver.rules!.find((r) => r.id === 'model-added')!.defaultConfiguration!.level).toBe('note');
    // Under fail-on new-model-required a type-2 change warns by default.
    const lenient = buildSarifLog(makeReport([], { failOn: 'new-model-required' }));
    const lenientRule = lenient.runs[0]!.tool.driver.rules!.find(
      (r) => r.id === 'machine-type-host-requirement',
    )!;
    expect(lenientRule.defaultConfiguration!.level).toBe('warning');
  });

  it('gives each finding a result at its rule, with level, location, fingerprint and properties', () => {
    expect(run.results).toHaveLength(report.findings.length);
    const pku = run.results!.find((r) =>
      r.partialFingerprints?.[SARIF_FINGERPRINT_KEY]?.includes('Skylake-Server'),
    )!;
    expect(pku.ruleId).toBe('machine-type-host-requirement');
    expect(run.tool.driver.rules![pku.ruleIndex!]!.id).toBe('machine-type-host-requirement');
    expect(pku.level).toBe('error');
    expect(pku.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'target/i386/cpu.c' },
          region: { startLine: 2764, endLine: 2764 },
        },
      },
    ]);
    expect(pku.partialFingerprints).toEqual({
      'cpuModelGuard/v1': 'machine-type-host-requirement:Skylake-Server:pku',
    });
    expect(pku.properties).toMatchObject({
      class: 'type-2',
      verdict: 'fail',
      models: ['Skylake-Server', 'Skylake-Server-IBRS'],
      property: 'pku',
      // Typed as in the JSON report.
      before: false,
      after: true,
    });
    expect((pku.properties!.machineTypes as string[]).length).toBe(pkuOnSkylakeServer().machineTypes.length);
    expect(pku.message.text).toContain(
      'Host requirement gained: pku; needs the host CPU (protection keys) and KVM support.',
    );
    // The title is the rule's instance; the message does not repeat it.
    for (const f of report.findings) {
      const result = run.results!.find(
        (r) => r.partialFingerprints?.[SARIF_FINGERPRINT_KEY] === f.fingerprint,
      )!;
      expect(result.message.text!.startsWith(f.message)).toBe(true);
      expect(result.message.text).not.toContain(f.title);
    }
    expect(pku.message.text).toContain('Fix: Add pku in a new version Skylake-Server-v2');
    expect(pku.suppressions).toBeUndefined();

    const mpx = run.results!.find((r) => r.ruleId === 'compat-confined-change')!;
    expect(mpx.level).toBe('note');
    expect(mpx.locations![0]!.physicalLocation!.region).toEqual({ startLine: 2650, endLine: 2652 });
  });

  it('keeps waived findings as suppressed results with the waiver as justification', () => {
    const waived = run.results!.find((r) => r.ruleId === 'machine-type-host-requirement' && r.suppressions)!;
    expect(waived.partialFingerprints![SARIF_FINGERPRINT_KEY]).toBe(rdtscpOnOpteron().fingerprint);
    expect(waived.level).toBe('error');
    expect(waived.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification:
          'machine-type-host-requirement / Opteron_G3 / rdtscp: Linux 4.5 is the minimum host kernel and it supports rdtscp (expires 2030-01-01, owner x86 maintainers, from .github/cpu-model-guard.yml:12)',
      },
    ]);
  });

  it('warns for a type-2 change that does not fail, and marks removals as base lines', () => {
    const t2 = pkuOnSkylakeServer();
    t2.verdict = 'pass';
    const lenient = buildSarifLog(makeReport([t2], { failOn: 'new-model-required' }));
    expect(lenient.runs[0]!.results![0]!.level).toBe('warning');

    // Without a head line (the file is gone), the result sits in the base revision.
    const removal = run.results!.find((r) => r.ruleId === 'released-name-removed')!;
    expect(removal.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'target/i386/cpu.c', uriBaseId: 'BASE' },
          region: { startLine: 1990, endLine: 1990 },
        },
        message: { text: 'The removed lines, in the base revision.' },
      },
    ]);
    expect(removal.properties!.side).toBe('LEFT');
    expect(run.originalUriBaseIds!.BASE!.description!.text).toContain(report.base!.commit!);
  });

  it('puts a removal at the head line where its lines were, and shows them in base as a related location', () => {
    const removed = aliasRemoved();
    removed.location = { ...removed.location, headLine: 1984 };
    const log = buildSarifLog(makeReport([removed]));
    expectValid(log);
    const result = log.runs[0]!.results![0]!;
    expect(result.locations![0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'target/i386/cpu.c' },
      region: { startLine: 1984, endLine: 1984 },
    });
    expect(result.relatedLocations).toEqual([
      {
        id: 1,
        physicalLocation: {
          artifactLocation: { uri: 'target/i386/cpu.c', uriBaseId: 'BASE' },
          region: { startLine: 1990, endLine: 1990 },
        },
        message: { text: 'The removed lines, in the base revision.' },
      },
    ]);
  });

  it('offers the revert together with the new version block as one fix, and the revert alone', () => {
    const f = { ...editedReleasedVersionFinding() };
    f.fixLines = { path: f.location.path, afterLine: 2900, text: '            { .version = 5 },' };
    const log = buildSarifLog(makeReport([f]));
    expectValid(log);
    const [both, revert] = log.runs[0]!.results![0]!.fixes!;
    expect(both!.description!.text).toBe(f.fix);
    expect(both!.artifactChanges).toHaveLength(1);
    expect(both!.artifactChanges[0]!.replacements.map((r) => r.deletedRegion.startLine)).toEqual([
      f.suggestion!.startLine,
      2901,
    ]);
    expect(revert!.artifactChanges[0]!.replacements).toEqual([
      {
        deletedRegion: { startLine: f.suggestion!.startLine, endLine: f.suggestion!.endLine },
        insertedContent: { text: f.suggestion!.replacement },
      },
    ]);
  });

  it('links every rule to its section of the project docs when no docs URL is given', () => {
    const rules = buildSarifLog(report).runs[0]!.tool.driver.rules!;
    for (const r of rules) expect(r.helpUri).toBe(`${PROJECT_RULE_DOCS_URL}#${r.id}`);
  });

  it('carries suggestions and lines to add as SARIF fixes', () => {
    const edited = run.results!.find((r) => r.ruleId === 'released-model-changed')!;
    expect(edited.fixes![0]!.artifactChanges[0]!.replacements[0]).toEqual({
      deletedRegion: { startLine: 2871, endLine: 2872 },
      insertedContent: { text: report.findings[0]!.suggestion!.replacement },
    });
    const pku = run.results!.find((r) =>
      r.partialFingerprints?.[SARIF_FINGERPRINT_KEY]?.includes('Skylake-Server'),
    )!;
    expect(pku.fixes![0]!.artifactChanges[0]!.replacements[0]!.deletedRegion).toEqual({
      startLine: 2791,
      startColumn: 1,
      endColumn: 1,
    });
  });

  it('reports notes and unused waivers as notifications, and what was compared as run properties', () => {
    const notes = run.invocations![0]!.toolExecutionNotifications!.map((n) => [n.level, n.message.text]);
    expect(notes).toEqual([
      ['note', 'machine type pc-i440fx-1.4 was removed'],
      [
        'warning',
        'Unused or expired waiver: released-model-changed / EPYC / npt: kept from an older release (from .github/cpu-model-guard.yml:20)',
      ],
    ]);
    expect(run.properties).toMatchObject({
      mode: 'check',
      failOn: 'type-2',
      result: 'fail',
      head: report.head,
    });
    expect(run.automationDetails!.id).toBe('cpu-model-guard/qemu-x86/target/i386/cpu.c/');
  });

  it('describes a rule the table does not know yet from its finding', () => {
    const f = pkuOnSkylakeServer();
    f.rule = 'future-rule';
    const sarif = buildSarifLog(makeReport([f]));
    expectValid(sarif);
    const rule = sarif.runs[0]!.tool.driver.rules!.find((r) => r.id === 'future-rule')!;
    expect(rule.shortDescription!.text).toBe(f.title);
    expect(sarif.runs[0]!.results![0]!.ruleIndex).toBe(sarif.runs[0]!.tool.driver.rules!.indexOf(rule));
  });
});
