/**
 * The report as JSON, described by schema/report.schema.json. Keys come out in the order of the
 * Report type, whatever order the engine built the objects in, so that two runs over the same
 * change give byte-identical files that diff cleanly.
 */
import type { Report } from './finding.js';

type KeyOrder = { keys: readonly string[]; nested?: Record<string, KeyOrder> };

const REF: KeyOrder = { keys: ['ref', 'commit'] };
const WAIVER: KeyOrder = {
  keys: ['rule', 'models', 'functions', 'paths', 'property', 'reason', 'expires', 'owner', 'source'],
};
const FINDING: KeyOrder = {
  keys: [
    'rule',
    'class',
    'verdict',
    'title',
    'message',
    'models',
    'machineTypes',
    'property',
    'properties',
    'before',
    'after',
    'hostRequirement',
    'location',
    'fix',
    'suggestion',
    'fixLines',
    'meta',
    'fingerprint',
    'waiver',
    'commit',
  ],
  nested: {
    hostRequirement: { keys: ['gained', 'why'] },
    location: { keys: ['path', 'line', 'endLine', 'side'] },
    suggestion: { keys: ['path', 'startLine', 'endLine', 'replacement'] },
    fixLines: { keys: ['path', 'afterLine', 'text'] },
    waiver: WAIVER,
  },
};
const REPORT: KeyOrder = {
  keys: [
    'tool',
    'mode',
    'catalog',
    'base',
    'head',
    'release',
    'failOn',
    'result',
    'counts',
    'findings',
    'notes',
    'unusedWaivers',
    'machineTypes',
  ],
  nested: {
    tool: { keys: ['name', 'version'] },
    catalog: { keys: ['format', 'path'] },
    base: REF,
    head: REF,
    release: { keys: ['ref', 'commit', 'explanation'] },
    counts: { keys: ['new-model-required', 'type-2', 'safe', 'waived', 'review'] },
    findings: FINDING,
    notes: { keys: ['kind', 'message'] },
    unusedWaivers: WAIVER,
  },
};

/** Known keys in their order, then any others sorted, so that nothing is ever dropped. */
function ordered(value: unknown, order?: KeyOrder): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, order));
  if (value === null || typeof value !== 'object') return value;
  const source = value as Record<string, unknown>;
  const known = order?.keys ?? [];
  const rest = Object.keys(source)
    .filter((k) => !known.includes(k))
    .sort();
  const out: Record<string, unknown> = {};
  for (const key of [...known, ...rest]) {
    if (key in source && source[key] !== undefined) out[key] = ordered(source[key], order?.nested?.[key]);
  }
  return out;
}

export function renderJson(report: Report): string {
  return JSON.stringify(ordered(report, REPORT), null, 2) + '\n';
}
