import { I as InputError, U as UsageError } from './shared-errors.js';
import { l as loadYaml, c as compileSchema, v as validateLoaded, a as lineAt } from './shared-yaml-document.js';
import { M as MAX_CONFIG_BYTES, r as repositoryPath } from './shared-config.js';
import './shared-ajv.js';
import './shared-ajv-formats.js';
import './shared-commonjs-helpers.js';
import './shared-yaml.js';
import 'process';
import 'buffer';
import 'node:path';

/**
 * JSON Schema of the configuration file (`.github/cpu-model-guard.yml`). The published copy
 * is schema/config.schema.json; a test keeps the two identical.
 */
/** Catalog formats cpu-model-guard reads. */
const CATALOG_FORMATS = ['qemu-x86', 'libvirt-cpu-map', 'catalog'];
/**
 * Rules a waiver may name: the ones that fail a check. Safe findings need no waiver, and a
 * misspelt rule would otherwise only show up later as an unused waiver.
 */
const WAIVABLE_RULES = [
    'released-model-changed',
    'machine-type-host-requirement',
    'released-name-removed',
    'alias-retargeted',
    'name-conflict',
    'libvirt-model-changed',
    'libvirt-model-removed',
    'cpuid-code-half-gated',
    'cpuid-code-ungated',
];
const modelPattern = { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_*?][A-Za-z0-9_.+*?-]*$' };
const functionPattern = { type: 'string', pattern: '^[A-Za-z_*?][A-Za-z0-9_*?]*$' };
const pathPattern = { type: 'string', minLength: 1, pattern: '^[^/\\\\]' };
/** A name or a list of names. */
const oneOrMore = (item) => ({
    anyOf: [item, { type: 'array', minItems: 1, items: item }],
});
const configSchema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'cpu-model-guard configuration',
    description: 'Which catalogs to guard, when to fail, what to ignore, host-requirement overrides and waivers.',
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
            description: 'Findings for review (code that computes guest CPUID changed with no compat property gating it) fail the check too.',
        },
        'cpuid-functions': {
            type: 'array',
            items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
            description: "The project's own QEMU functions that compute guest CPUID, checked like cpu_x86_cpuid() (docs/rules.md#code-that-computes-guest-cpuid).",
        },
        'ignore-models': {
            type: 'array',
            items: modelPattern,
            description: "Model names whose findings are left out ('*' and '?' match any text and any one character).",
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
};

/**
 * The configuration file's text read into a {@link GuardConfig}: YAML, checked against the
 * configuration schema, every mistake reported with its line. Loaded by `loadConfig` only when
 * there is a file, since the YAML and schema libraries it needs cost a short run's start.
 */
const LIMITS = {
    maxBytes: MAX_CONFIG_BYTES,
    what: 'configuration',
    hint: 'the keys are described in docs/configuration.md and schema/config.schema.json',
};
let validator;
/** Parses configuration text. */
function parseConfig(text, configPath) {
    let loaded;
    try {
        loaded = loadYaml(text, configPath, LIMITS);
        if (loaded.data === null || loaded.data === undefined) {
            return {
                path: configPath,
                found: true,
                catalogs: [],
                ignoreModels: [],
                hostRequirements: {},
                waivers: [],
            };
        }
        validator ??= compileSchema(configSchema);
        validateLoaded(loaded, validator, LIMITS);
    }
    catch (err) {
        if (err instanceof InputError && !(err instanceof UsageError))
            throw new UsageError(err.message, err.location, err.hint);
        throw err;
    }
    const raw = loaded.data;
    const catalogs = (raw.catalogs ?? []).map((c, i) => {
        const line = lineAt(loaded, ['catalogs', i, 'path']);
        const safe = repositoryPath(c.path);
        if (safe === undefined) {
            throw new UsageError(`catalog path ${c.path} leaves the repository`, { path: configPath, line }, 'write the path relative to the repository root, without ".." or a leading "/"');
        }
        return { format: c.format, path: safe, line: lineAt(loaded, ['catalogs', i]) };
    });
    const list = (v) => v === undefined ? undefined : typeof v === 'string' ? [v] : [...v];
    const waivers = (raw.waivers ?? []).map((w, i) => {
        const waiver = {
            rule: w.rule,
            models: list(w.models) ?? [],
            reason: w.reason.trim(),
            source: `${configPath}:${lineAt(loaded, ['waivers', i])}`,
        };
        const functions = list(w.functions);
        const paths = list(w.paths);
        if (functions)
            waiver.functions = functions;
        if (paths)
            waiver.paths = paths.map((p) => repositoryPath(p) ?? p);
        if (w.property !== undefined)
            waiver.property = w.property;
        if (w.expires !== undefined)
            waiver.expires = w.expires;
        if (w.owner !== undefined)
            waiver.owner = w.owner;
        return waiver;
    });
    const config = {
        path: configPath,
        found: true,
        catalogs,
        ignoreModels: [...(raw['ignore-models'] ?? [])],
        hostRequirements: { ...(raw['host-requirements'] ?? {}) },
        waivers,
    };
    if (raw['fail-on'] !== undefined)
        config.failOn = raw['fail-on'];
    if (raw['fail-on-review'] !== undefined)
        config.failOnReview = raw['fail-on-review'];
    if (raw['cpuid-functions']?.length)
        config.cpuidFunctions = [...raw['cpuid-functions']];
    return config;
}

export { parseConfig };
