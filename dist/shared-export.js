import { d as distExports } from './shared-yaml.js';
import 'process';
import 'buffer';

/**
 * Writes any catalog (a QEMU tree's, for instance) in the generic catalog format, so that a
 * project can start from what it has, and so that the generic reader can be proven against a
 * real catalog: reading the export back gives the same effective models and findings.
 */
/** Later settings of the same property win, as they do when a model is built. */
function propMap(settings) {
    const out = {};
    for (const s of settings)
        out[s.property] = s.value;
    return out;
}
/** Leaves out empty optional parts so that the export reads like a hand-written catalog. */
function nonEmpty(value) {
    return Object.keys(value).length > 0 ? value : undefined;
}
function catalogToData(catalog) {
    const compatSets = {};
    for (const set of Object.values(catalog.compatSets)) {
        compatSets[set.name] = set.entries.map((e) => ({
            target: e.target,
            ...(e.driver !== (e.target ?? '') ? { driver: e.driver } : {}),
            property: e.property,
            value: e.value,
        }));
    }
    const singleV1 = (m) => m.versions.length === 1 &&
        m.versions[0].version === 1 &&
        !m.versions[0].alias &&
        !m.versions[0].note &&
        m.versions[0].props.length === 0;
    const data = {
        formatVersion: 1,
        projectVersion: catalog.projectVersion,
        models: catalog.models.map((m) => ({
            name: m.name,
            props: nonEmpty(propMap(m.props)),
            deprecated: m.deprecation?.note,
            versions: singleV1(m)
                ? undefined
                : m.versions.map((v) => ({
                    version: v.version,
                    alias: v.alias,
                    note: v.note,
                    props: nonEmpty(propMap(v.props)),
                })),
        })),
        machineTypes: catalog.machineTypes.map((t) => ({
            name: t.name,
            family: t.family,
            version: t.version,
            released: t.released,
            defaultCpuVersion: t.defaultCpuVersion === 1 ? undefined : t.defaultCpuVersion,
            compatSets: t.compatSets.length ? t.compatSets : undefined,
            aliases: t.aliases.length ? t.aliases : undefined,
            accelDefaultChanges: t.accelDefaultChanges.length
                ? t.accelDefaultChanges.map((c) => ({ accel: c.accel, property: c.property, value: c.value }))
                : undefined,
        })),
        compatSets: nonEmpty(compatSets),
        accelDefaults: nonEmpty({
            ...(catalog.accelDefaults.kvm.length ? { kvm: propMap(catalog.accelDefaults.kvm) } : {}),
            ...(catalog.accelDefaults.tcg.length ? { tcg: propMap(catalog.accelDefaults.tcg) } : {}),
        }),
        // A CPU's place in a machine's topology (socket-id, ...) is no part of any model.
        propertyDefaults: nonEmpty(Object.fromEntries(Object.entries(catalog.propertyDefaults).filter(([p]) => !(p in (catalog.instanceProperties ?? {}))))),
        alwaysOn: nonEmpty(propMap(catalog.alwaysOn)),
        features: catalog.features.length
            ? catalog.features.map((f) => ({ name: f.name, word: f.word || undefined, bit: f.bit }))
            : undefined,
        featureDependencies: catalog.featureDependencies.length
            ? catalog.featureDependencies.map((d) => ({ feature: d.feature, clears: d.clears }))
            : undefined,
        levelRules: catalog.levelRules.length
            ? catalog.levelRules.map((r) => ({
                property: r.property,
                atLeast: r.atLeast,
                whenAny: r.whenAny,
                enabledBy: r.enabledBy,
                alsoEnabledBy: r.alsoEnabledBy,
            }))
            : undefined,
        minimumOf: catalog.minimumOf ? nonEmpty({ ...catalog.minimumOf }) : undefined,
        accelClears: nonEmpty(Object.fromEntries(Object.entries(catalog.accelClears).filter(([, props]) => props && props.length > 0))),
        hostRequirements: {
            defaultKind: catalog.hostRequirements.defaultKind,
            properties: nonEmpty({ ...catalog.hostRequirements.properties }),
            onlyWith: catalog.hostRequirements.onlyWith
                ? nonEmpty({ ...catalog.hostRequirements.onlyWith })
                : undefined,
        },
    };
    return data;
}
/** The catalog as a generic catalog YAML file. */
function exportCatalog(catalog) {
    const doc = new distExports.Document(catalogToData(catalog), { keepUndefined: false });
    doc.commentBefore =
        ` cpu-model-guard catalog (format: catalog), exported from a ${catalog.format} catalog` +
            (catalog.projectVersion ? ` at version ${catalog.projectVersion}` : '') +
            '.\n Schema: schema/catalog.schema.json';
    return doc.toString({ lineWidth: 0, indentSeq: true });
}

export { catalogToData, exportCatalog };
