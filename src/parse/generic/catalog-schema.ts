/**
 * JSON Schema of the generic catalog format. The published copy is
 * schema/catalog.schema.json; a test keeps the two identical, so editors and other tools can
 * validate catalogs with the very schema cpu-model-guard uses.
 */
const name = { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.+-]*$' } as const;
const propName = { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.+-]*$' } as const;
const propValue = { type: ['boolean', 'number', 'string'] } as const;
const propMap = {
  type: 'object',
  description: 'Property name to value: booleans for features (true = on), numbers, free text.',
  propertyNames: propName,
  additionalProperties: propValue,
} as const;
const hostKind = { enum: ['cpu', 'kvm', 'none'] } as const;

export const catalogSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'cpu-model-guard catalog',
  description:
    'A CPU model catalog: models with versions and aliases, ordered machine types with their release state, compat properties per machine type, accelerator defaults and the host-requirement table.',
  type: 'object',
  required: ['formatVersion', 'models'],
  additionalProperties: false,
  properties: {
    formatVersion: { const: 1, description: 'Version of this file format.' },
    projectVersion: { type: 'string', description: 'Version of the project the catalog belongs to.' },
    models: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { ...name, description: 'The unversioned model name.' },
          props: { ...propMap, description: 'What the definition sets; features not listed are off.' },
          deprecated: {
            type: 'string',
            minLength: 1,
            description: 'Deprecation note; a deprecated name may be removed.',
          },
          versions: {
            type: 'array',
            minItems: 1,
            description: 'Versions, oldest first; props of v1..vN apply in order. Absent: a single v1.',
            items: {
              type: 'object',
              required: ['version'],
              additionalProperties: false,
              properties: {
                version: { type: 'integer', minimum: 1 },
                alias: { ...name, description: 'Another model name pinned to this version.' },
                note: { type: 'string' },
                props: propMap,
              },
            },
          },
        },
      },
    },
    machineTypes: {
      type: 'array',
      description: 'Machine types, oldest first within each family.',
      items: {
        type: 'object',
        required: ['name', 'family', 'version', 'released'],
        additionalProperties: false,
        properties: {
          name,
          family: { type: 'string', minLength: 1 },
          version: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)*$' },
          released: { type: 'boolean', description: 'Shipped in a release: its guest ABI is frozen.' },
          defaultCpuVersion: {
            description: 'Version the unversioned model names resolve to (default 1).',
            anyOf: [{ enum: ['legacy', 'latest'] }, { type: 'integer', minimum: 1 }],
          },
          compatSets: {
            type: 'array',
            items: { type: 'string' },
            description: 'Compat sets applied, in order: a later entry overrides an earlier one.',
          },
          aliases: { type: 'array', items: name },
          accelDefaultChanges: {
            type: 'array',
            items: {
              type: 'object',
              required: ['accel', 'property', 'value'],
              additionalProperties: false,
              properties: {
                accel: { enum: ['kvm', 'tcg'] },
                property: propName,
                value: {
                  type: ['boolean', 'number', 'string', 'null'],
                  description: 'null drops the default.',
                },
              },
            },
          },
        },
      },
    },
    compatSets: {
      type: 'object',
      propertyNames: name,
      additionalProperties: {
        type: 'array',
        items: {
          type: 'object',
          required: ['target', 'property', 'value'],
          additionalProperties: false,
          properties: {
            target: {
              type: ['string', 'null'],
              description:
                "Model name the entry applies to, '*' for every CPU, null for a device that is not a CPU.",
            },
            driver: {
              type: 'string',
              description: 'The driver as the project writes it (defaults to target).',
            },
            property: propName,
            value: propValue,
          },
        },
      },
    },
    accelDefaults: {
      type: 'object',
      additionalProperties: false,
      properties: { kvm: propMap, tcg: propMap },
    },
    propertyDefaults: propMap,
    alwaysOn: { ...propMap, description: 'Props every model gets after its definition.' },
    features: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: propName,
          word: { type: 'string' },
          bit: { type: 'integer', minimum: 0 },
        },
      },
    },
    featureDependencies: {
      type: 'array',
      items: {
        type: 'object',
        required: ['feature', 'clears'],
        additionalProperties: false,
        properties: { feature: propName, clears: { type: 'array', items: propName } },
      },
    },
    levelRules: {
      type: 'array',
      items: {
        type: 'object',
        required: ['property', 'atLeast', 'whenAny'],
        additionalProperties: false,
        properties: {
          property: propName,
          atLeast: { type: 'number' },
          whenAny: { type: 'array', items: propName },
          enabledBy: propName,
          alsoEnabledBy: { type: 'array', items: propName },
        },
      },
    },
    minimumOf: {
      type: 'object',
      description: "Properties that set another one's minimum rather than its value (min-level for level).",
      propertyNames: propName,
      additionalProperties: propName,
    },
    accelClears: {
      type: 'object',
      description: 'Features an accelerator forces off whatever the model says.',
      additionalProperties: false,
      properties: {
        kvm: { type: 'array', items: propName },
        tcg: { type: 'array', items: propName },
        none: { type: 'array', items: propName },
      },
    },
    hostRequirements: {
      type: 'object',
      additionalProperties: false,
      properties: {
        defaultKind: hostKind,
        properties: {
          type: 'object',
          propertyNames: propName,
          additionalProperties: {
            type: 'object',
            required: ['kind', 'why'],
            additionalProperties: false,
            properties: { kind: hostKind, why: { type: 'string', minLength: 1 } },
          },
        },
        onlyWith: { type: 'object', propertyNames: propName, additionalProperties: propName },
      },
    },
  },
} as const;
