import { C as CatalogError, I as InputError } from './shared-errors.js';
import { g as compareVersions } from './shared-machines.js';
import { l as loadYaml, c as compileSchema, v as validateLoaded, a as lineAt } from './shared-yaml-document.js';
import './shared-ajv.js';
import './shared-ajv-formats.js';
import './shared-commonjs-helpers.js';
import './shared-yaml.js';
import 'process';
import 'buffer';

/**
 * JSON Schema of the generic catalog format. The published copy is
 * schema/catalog.schema.json; a test keeps the two identical, so editors and other tools can
 * validate catalogs with the very schema cpu-model-guard uses.
 */
const name = { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.+-]*$' };
const propName = { type: 'string', pattern: '^[A-Za-z0-9_][A-Za-z0-9_.+-]*$' };
const propValue = { type: ['boolean', 'number', 'string'] };
const propMap = {
    type: 'object',
    description: 'Property name to value: booleans for features (true = on), numbers, free text.',
    propertyNames: propName,
    additionalProperties: propValue,
};
const hostKind = { enum: ['cpu', 'kvm', 'none'] };
const catalogSchema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'cpu-model-guard catalog',
    description: 'A CPU model catalog: models with versions and aliases, ordered machine types with their release state, compat properties per machine type, accelerator defaults and the host-requirement table.',
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
                            description: "Model name the entry applies to, '*' for every CPU, null for a device that is not a CPU.",
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
};

const CATALOG_FORMAT = 'catalog';
/**
 * Five times QEMU's whole x86 catalog written out (QEMU 7.2's export is about 210 KB: every model,
 * machine type and compat array). Reading YAML costs about 5 microseconds and 100 bytes of memory
 * per byte, so the limit keeps the largest accepted file to a few seconds and about 100 MB.
 */
const MAX_CATALOG_BYTES = 1024 * 1024;
const LIMITS = {
    maxBytes: MAX_CATALOG_BYTES,
    what: 'catalog',
    hint: 'the format is described in docs/catalog-format.md and schema/catalog.schema.json',
};
let validator;
/** Compat values are strings in the catalog model, as QEMU's global properties are. */
function compatValue(v) {
    if (typeof v === 'boolean')
        return v ? 'on' : 'off';
    return String(v);
}
/**
 * Parses and validates a generic catalog file's text. Every problem is a `CatalogError`: a
 * catalog that cannot be read must never look like a catalog without findings.
 */
function parseGenericCatalog(text, path) {
    try {
        const loaded = loadYaml(text, path, LIMITS);
        validator ??= compileSchema(catalogSchema);
        validateLoaded(loaded, validator, LIMITS);
        return build(loaded, loaded.data);
    }
    catch (err) {
        if (err instanceof InputError && !(err instanceof CatalogError)) {
            throw new CatalogError(err.message, err.location, err.hint);
        }
        throw err;
    }
}
/** Reads a generic catalog file through a catalog source (working tree or git revision). */
async function readGenericCatalog(source, file) {
    const text = await source.readFile(file);
    if (text === undefined) {
        throw new CatalogError(`catalog file ${file} does not exist in ${source.label}`, { path: file }, 'check the catalog path in the configuration (it is relative to the repository root)');
    }
    return parseGenericCatalog(text, file);
}
function documentOf(loaded) {
    const path = loaded.path;
    const loc = (docPath, key) => ({ path, line: lineAt(loaded, docPath, key) });
    return {
        path,
        loc,
        fail: (message, docPath, hint, key) => {
            throw new CatalogError(message, loc(docPath, key), hint);
        },
        props: (map, at) => Object.entries(map ?? {}).map(([property, value]) => ({
            property,
            value,
            location: loc(at, property),
        })),
    };
}
function build(loaded, raw) {
    const doc = documentOf(loaded);
    const { path, loc, props } = doc;
    const registered = new Map();
    const register = (n, at) => {
        const prior = registered.get(n);
        if (prior) {
            doc.fail(`model name ${n} is registered twice (first at line ${lineAt(loaded, prior)})`, at, 'every model, version and alias name must be unique');
        }
        registered.set(n, at);
    };
    const models = raw.models.map((m, i) => buildModel(doc, m, ['models', i], register));
    const compatSets = buildCompatSets(doc, raw.compatSets ?? {});
    const machineTypes = buildMachineTypes(doc, raw.machineTypes ?? [], compatSets);
    const hr = raw.hostRequirements ?? {};
    return {
        format: CATALOG_FORMAT,
        ...(raw.projectVersion !== undefined ? { projectVersion: raw.projectVersion } : {}),
        models,
        machineTypes,
        compatSets,
        accelDefaults: {
            kvm: props(raw.accelDefaults?.kvm, ['accelDefaults', 'kvm']),
            tcg: props(raw.accelDefaults?.tcg, ['accelDefaults', 'tcg']),
        },
        propertyDefaults: nameTable(raw.propertyDefaults),
        alwaysOn: props(raw.alwaysOn, ['alwaysOn']),
        features: (raw.features ?? []).map((f, i) => ({
            name: f.name,
            word: f.word ?? '',
            ...(f.bit !== undefined ? { bit: f.bit } : {}),
            location: loc(['features', i]),
        })),
        featureDependencies: (raw.featureDependencies ?? []).map((d, i) => ({
            feature: d.feature,
            clears: [...d.clears],
            location: loc(['featureDependencies', i]),
        })),
        levelRules: (raw.levelRules ?? []).map((r, i) => ({
            property: r.property,
            atLeast: r.atLeast,
            whenAny: [...r.whenAny],
            ...(r.enabledBy !== undefined ? { enabledBy: r.enabledBy } : {}),
            ...(r.alsoEnabledBy?.length ? { alsoEnabledBy: [...r.alsoEnabledBy] } : {}),
            location: loc(['levelRules', i]),
        })),
        ...(raw.minimumOf ? { minimumOf: nameTable(raw.minimumOf) } : {}),
        accelClears: nameTable(Object.fromEntries(Object.entries(raw.accelClears ?? {}).map(([a, props]) => [a, [...props]]))),
        hostRequirements: {
            defaultKind: hr.defaultKind ?? 'cpu',
            properties: nameTable(hr.properties),
            ...(hr.onlyWith ? { onlyWith: nameTable(hr.onlyWith) } : {}),
            source: path,
        },
        files: [path],
        notes: entriesForNoModel(path, compatSets, registered),
    };
}
function buildModel(doc, m, at, register) {
    const { loc, props } = doc;
    register(m.name, [...at, 'name']);
    const versions = (m.versions ?? [{ version: 1 }]).map((v, j) => {
        const vAt = m.versions ? [...at, 'versions', j] : at;
        const mv = {
            version: v.version,
            props: props(v.props, [...vAt, 'props']),
            location: loc(vAt),
        };
        register(`${m.name}-v${v.version}`, vAt);
        if (v.alias !== undefined) {
            register(v.alias, [...vAt, 'alias']);
            mv.alias = v.alias;
            mv.aliasLocation = loc([...vAt, 'alias']);
        }
        if (v.note !== undefined)
            mv.note = v.note;
        return mv;
    });
    versions.forEach((v, j) => {
        if (v.version !== j + 1) {
            doc.fail(`model ${m.name}: versions must be 1, 2, 3, ... in order; found v${v.version} where v${j + 1} belongs`, [...at, 'versions', j, 'version'], 'list every version once, oldest first');
        }
    });
    const model = {
        name: m.name,
        location: loc(at),
        props: props(m.props, [...at, 'props']),
        versions,
    };
    if (m.deprecated !== undefined)
        model.deprecation = { note: m.deprecated, location: loc([...at, 'deprecated']) };
    return model;
}
function buildCompatSets(doc, raw) {
    const compatSets = nameTable();
    for (const [setName, entries] of Object.entries(raw)) {
        const at = ['compatSets', setName];
        compatSets[setName] = {
            name: setName,
            location: doc.loc(['compatSets'], setName),
            entries: entries.map((e, k) => ({
                driver: e.driver ?? e.target ?? '',
                target: e.target,
                property: e.property,
                value: compatValue(e.value),
                location: doc.loc([...at, k]),
            })),
        };
    }
    return compatSets;
}
function buildMachineTypes(doc, raw, compatSets) {
    const { loc, fail } = doc;
    const lastInFamily = new Map();
    const machineNames = new Set();
    return raw.map((t, i) => {
        const at = ['machineTypes', i];
        for (const n of [t.name, ...(t.aliases ?? [])]) {
            if (machineNames.has(n))
                fail(`machine type name ${n} is used twice`, at, 'machine type names and aliases must be unique');
            machineNames.add(n);
        }
        const prev = lastInFamily.get(t.family);
        if (prev !== undefined && compareVersions(prev, t.version) >= 0) {
            fail(`machine type ${t.name} (${t.version}) comes after ${t.family} ${prev} but is not newer`, [...at, 'version'], 'list the machine types of each family oldest first, each version once');
        }
        lastInFamily.set(t.family, t.version);
        (t.compatSets ?? []).forEach((s, k) => {
            if (!Object.hasOwn(compatSets, s)) {
                fail(`machine type ${t.name} applies compat set ${s}, which the catalog does not define`, [...at, 'compatSets', k], `define it under compatSets (defined: ${Object.keys(compatSets).join(', ') || 'none'})`);
            }
        });
        const accelDefaultChanges = (t.accelDefaultChanges ?? []).map((c, k) => ({
            accel: c.accel,
            property: c.property,
            value: c.value,
            location: loc([...at, 'accelDefaultChanges', k]),
        }));
        return {
            name: t.name,
            family: t.family,
            version: t.version,
            location: loc(at),
            compatSets: [...(t.compatSets ?? [])],
            accelDefaultChanges,
            defaultCpuVersion: t.defaultCpuVersion ?? 1,
            released: t.released,
            aliases: [...(t.aliases ?? [])],
        };
    });
}
/**
 * QEMU keeps compat entries for models it has since removed (Icelake-Client in pc_compat_3_1):
 * they apply to nothing, which is worth saying but is not an error.
 */
function entriesForNoModel(path, compatSets, registered) {
    const notes = [];
    for (const [setName, set] of Object.entries(compatSets)) {
        for (const e of set.entries) {
            if (e.target !== null && e.target !== '*' && !registered.has(e.target)) {
                notes.push(`${path}:${e.location.line}: compat set ${setName} names model ${e.target}, which the catalog does not register; the entry applies to no CPU`);
            }
        }
    }
    return notes;
}
/**
 * A table keyed by names from the document. Without a prototype, a name such as `toString` or
 * `constructor` finds only what the document defines, never one of JavaScript's own members.
 */
function nameTable(entries = {}) {
    return Object.assign(Object.create(null), entries);
}

export { CATALOG_FORMAT, MAX_CATALOG_BYTES, parseGenericCatalog, readGenericCatalog };
