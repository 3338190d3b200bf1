/**
 * JSON Schema of the configuration file (`.github/cpu-model-guard.yml`). The published copy
 * is schema/config.schema.json; a test keeps the two identical.
 */

/** Catalog formats cpu-model-guard reads. */
export const CATALOG_FORMATS = ['qemu-x86', 'libvirt-cpu-map', 'catalog'] as const;

/**
 * Rules a waiver may name: the ones that fail a check. Safe findings need no waiver, and a
 * misspelt rule would otherwise only show up later as an unused waiver.
 */
export const WAIVABLE_RULES = [
  'released-model-changed',
  'machine-type-host-requirement',
  'released-name-removed',
  'alias-retargeted',
  'name-conflict',
  'libvirt-model-changed',
  'libvirt-model-removed',
  'cpuid-code-half-gated',
  'cpuid-code-ungated',
] as const;

const modelPattern = { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_*?][A-Za-z0-9_.+*?-]*$' } as const;
const functionPattern = { type: 'string', pattern: '^[A-Za-z_*?][A-Za-z0-9_*?]*$' } as const;
const pathPattern = { type: 'string', minLength: 1, pattern: '^[^/\\\\]' } as const;
/** A name or a list of names. */
const oneOrMore = <T extends object>(item: T) => ({
  anyOf: [item, { type: 'array', minItems: 1, items: item }],
});

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'cpu-model-guard configuration',
  description:
    'Which catalogs to guard, when to fail, what to ignore, host-requirement overrides and waivers.',
  type: 'object',
  additionalProperties: false,
  properties: {
    catalogs: {
      type: 'array',
      minItems: 1,
      description: 'Catalogs in this repository. Paths are relative to the repository root.',
      items: {
        type: 'object',
        required: ['format', 'path'],
        additionalProperties: false,
        properties: {
          format: { enum: [...CATALOG_FORMATS] },
          path: {
            type: 'string',
            minLength: 1,
            description: "The catalog's root folder or file; '*' and '?' are allowed in the last part.",
          },
        },
      },
    },
    'fail-on': { enum: ['type-2', 'new-model-required', 'never'] },
    'fail-on-review': {
      type: 'boolean',
      description:
        'Findings for review (code that computes guest CPUID changed with no compat property gating it) fail the check too.',
    },
    'cpuid-functions': {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
      description:
        "The project's own QEMU functions that compute guest CPUID, checked like cpu_x86_cpuid() (docs/rules.md#code-that-computes-guest-cpuid).",
    },
    'ignore-models': {
      type: 'array',
      items: modelPattern,
      description:
        "Model names whose findings are left out ('*' and '?' match any text and any one character).",
    },
    'host-requirements': {
      type: 'object',
      description: 'Overrides of the host-requirement table, per property.',
      propertyNames: { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.+-]*$' },
      additionalProperties: {
        type: 'object',
        required: ['kind', 'why'],
        additionalProperties: false,
        properties: {
          kind: { enum: ['cpu', 'kvm', 'none'] },
          why: { type: 'string', minLength: 1 },
        },
      },
    },
    waivers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['rule', 'reason'],
        // What the waiver accepts: findings about these models, or the code hunks of these functions or files.
        anyOf: ['models', 'functions', 'paths'].map((key) => ({
          required: [key],
          properties: { [key]: true },
        })),
        additionalProperties: false,
        properties: {
          rule: { enum: [...WAIVABLE_RULES] },
          models: oneOrMore(modelPattern),
          functions: {
            ...oneOrMore(functionPattern),
            description: 'Functions whose code hunks the waiver accepts (cpuid-code rules).',
          },
          paths: {
            ...oneOrMore(pathPattern),
            description: 'Repository paths of the code hunks the waiver accepts (cpuid-code rules).',
          },
          property: { type: 'string', minLength: 1 },
          reason: {
            type: 'string',
            minLength: 10,
            description: 'Why the change is accepted: it is shown with every waived finding.',
          },
          expires: {
            type: 'string',
            format: 'date',
            description: 'Last day the waiver applies (YYYY-MM-DD).',
          },
          owner: { type: 'string', minLength: 1 },
        },
      },
    },
  },
} as const;
