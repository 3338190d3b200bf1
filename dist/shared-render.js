import { spawn, execFile } from 'node:child_process';
import { fstatSync, writevSync, statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { C as CatalogError, U as UsageError, e as didYouMean, I as InputError } from './shared-errors.js';
import { mkdir, open, mkdtemp, writeFile, rm, access, constants, readFile as readFile$1, utimes, rename, readdir, stat } from 'node:fs/promises';
import os, { availableParallelism } from 'node:os';
import { m as matchesAny, w as withoutIgnoredModels, e as expandCatalogPaths } from './shared-config.js';
import { e as evaluateExpression, f as field, s as stringValue, t as tokenize$1, p as parseStatements, a as tokenText, b as preprocess, r as readFileStructure, M as MacroTable, m as matchingBrace, c as readCompatSets, d as readMachineTypes, R as ReadCache } from './shared-machines.js';
import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/**
 * Every model name a catalog registers: the unversioned name, `Name-vN` for every version,
 * and each version's alias. They are distinct CPU types, so compat properties naming one do
 * not reach the others.
 */
function registeredNames(catalog) {
    const out = [];
    for (const model of catalog.models) {
        out.push({ name: model.name, model, kind: 'unversioned', location: model.location });
        for (const v of model.versions) {
            out.push({
                name: `${model.name}-v${v.version}`,
                model,
                kind: 'versioned',
                version: v.version,
                location: v.location,
            });
            if (v.alias)
                out.push({
                    name: v.alias,
                    model,
                    kind: 'alias',
                    version: v.version,
                    location: v.aliasLocation ?? v.location,
                });
        }
    }
    return out;
}
/** Which version a name stands for on a machine type: a number, or `legacy` (no version props). */
function resolveVersion(name, machineType) {
    if (name.version !== undefined)
        return name.version;
    const d = machineType.defaultCpuVersion;
    if (d === 'legacy')
        return 'legacy';
    const versions = name.model.versions.map((v) => v.version);
    if (d === 'latest')
        return Math.max(...versions);
    return d;
}
/**
 * Effective models, `E(name, machineType, accel)`, computed in QEMU's own order: definition,
 * version props, accelerator defaults, the machine type's compat properties for this CPU type,
 * the automatic CPUID level, then feature dependencies. Results are cached per catalog.
 */
class EffectiveModels {
    catalog;
    names = new Map();
    machines = new Map();
    compatByMachine = new Map();
    compatByTarget = new Map();
    baseCache = new Map();
    cache = new Map();
    /** Results by what they depend on; callers must not modify what `get` returns. */
    byInputs = new Map();
    entryIds = new Map();
    entryListIds = new WeakMap();
    entryListNumbers = new Map();
    /** Alternative spellings QEMU accepts for feature properties (`sse4_1` for `sse4.1`). */
    spelling = new Map();
    caching;
    template;
    /** Properties of one CPU of a machine (topology ids): never part of an effective model. */
    instance;
    /** `cache: false` for one pass over everything, where keeping every result costs memory. */
    constructor(catalog, options = {}) {
        this.catalog = catalog;
        this.caching = options.cache ?? true;
        this.instance = new Set(Object.keys(catalog.instanceProperties ?? {}));
        for (const n of registeredNames(catalog))
            if (!this.names.has(n.name))
                this.names.set(n.name, n);
        for (const m of catalog.machineTypes)
            this.machines.set(m.name, m);
        for (const f of catalog.features) {
            for (const alt of [f.name.replace(/[._]/g, '-'), f.name.replace(/[.-]/g, '_')]) {
                if (alt !== f.name && !this.spelling.has(alt))
                    this.spelling.set(alt, f.name);
            }
        }
    }
    /** Every registered name once (a name registered twice keeps its first model). */
    registeredNames() {
        return [...this.names.values()];
    }
    name(name) {
        return this.names.get(name);
    }
    machineType(name) {
        return this.machines.get(name);
    }
    canonicalProperty(property) {
        return this.spelling.get(property) ?? property;
    }
    /** Whether a property identifies one CPU of a machine (a topology id) rather than the model. */
    isInstanceProperty(property) {
        return this.instance.has(property);
    }
    /**
     * The compat entries that reach CPUs on a machine type, in the order QEMU applies them;
     * entries for per-instance properties are left out with those properties.
     */
    cpuCompatEntries(machineType) {
        let entries = this.compatByMachine.get(machineType.name);
        if (!entries) {
            entries = [];
            for (const set of machineType.compatSets) {
                for (const e of this.catalog.compatSets[set]?.entries ?? [])
                    if (e.target !== null && !this.instance.has(e.property))
                        entries.push(e);
            }
            this.compatByMachine.set(machineType.name, entries);
        }
        return entries;
    }
    /** The compat entries of a machine type that reach one CPU type (its own and every CPU's), in order. */
    compatEntriesFor(machineType, name) {
        let byTarget = this.compatByTarget.get(machineType.name);
        if (!byTarget) {
            byTarget = new Map();
            const all = this.cpuCompatEntries(machineType);
            const targets = new Set(all.map((e) => e.target));
            for (const t of targets)
                if (t !== '*')
                    byTarget.set(t, all.filter((e) => e.target === '*' || e.target === t));
            byTarget.set('*', all.filter((e) => e.target === '*'));
            this.compatByTarget.set(machineType.name, byTarget);
        }
        return byTarget.get(name) ?? byTarget.get('*');
    }
    /** A compat property's string value, typed like the property it sets. */
    typedValue(property, raw) {
        const current = this.catalog.propertyDefaults[property];
        // A property the catalog does not declare is a feature when it is switched on or off.
        if (typeof current === 'boolean' || current === undefined) {
            if (['on', 'true', 'yes'].includes(raw))
                return true;
            if (['off', 'false', 'no'].includes(raw))
                return false;
        }
        if (typeof current === 'number' && /^-?(0x[0-9a-f]+|\d+)$/i.test(raw))
            return Number(raw);
        return raw;
    }
    /** The catalog's property defaults without per-instance properties, as one fast-mode object. */
    defaultsTemplate() {
        return (this.template ??= Object.fromEntries(Object.entries(this.catalog.propertyDefaults).filter(([p]) => !this.instance.has(p))));
    }
    base(model, version) {
        const key = `${model.name}\0${version}`;
        let cached = this.baseCache.get(key);
        if (!cached) {
            const settings = [];
            const explicit = new Set();
            for (const p of model.props)
                settings.push([this.canonicalProperty(p.property), p.value]);
            for (const p of this.catalog.alwaysOn)
                settings.push([p.property, p.value]);
            if (version !== 'legacy') {
                for (const v of model.versions) {
                    if (v.version > version)
                        break;
                    for (const p of v.props) {
                        const prop = this.canonicalProperty(p.property);
                        settings.push([prop, p.value]);
                        explicit.add(prop);
                    }
                }
            }
            // Every effective model is a copy of its base, and copying (or serializing) an object V8
            // keeps as a hash table costs many times a fast-mode one: an object loses fast mode when a
            // property is deleted or when it grows past a few hundred properties one at a time. A copy
            // of the defaults with values changed stays fast; a property the defaults lack is added
            // through a Map, made an object at once.
            const template = this.defaultsTemplate();
            let props;
            if (settings.every(([p]) => Object.hasOwn(template, p))) {
                props = { ...template };
                for (const [p, v] of settings)
                    props[p] = v;
            }
            else {
                const all = new Map(Object.entries(template));
                for (const [p, v] of settings)
                    all.set(p, v);
                props = Object.fromEntries(all);
            }
            cached = { props, explicit };
            this.baseCache.set(key, cached);
        }
        return cached;
    }
    /**
     * What `query-cpu-definitions` reports as `alias-of`: the versioned name an unversioned name
     * or an alias stands for. Machine types that resolve to the legacy definitions report none,
     * so that old machine types keep presenting the names they always did.
     */
    aliasOf(name, machineTypeName) {
        const registered = this.names.get(name);
        const machineType = this.machines.get(machineTypeName);
        if (!registered ||
            !machineType ||
            registered.kind === 'versioned' ||
            machineType.defaultCpuVersion === 'legacy')
            return undefined;
        const version = resolveVersion(registered, machineType);
        return version === 'legacy' ? undefined : `${registered.model.name}-v${version}`;
    }
    /** `undefined` when the name or the machine type does not exist in this catalog. */
    get(name, machineTypeName, accel = 'kvm') {
        const key = this.caching ? `${name}\0${machineTypeName}\0${accel}` : '';
        const hit = this.caching ? this.cache.get(key) : undefined;
        if (hit)
            return hit;
        const registered = this.names.get(name);
        const machineType = this.machines.get(machineTypeName);
        if (!registered || !machineType)
            return undefined;
        const version = resolveVersion(registered, machineType);
        if (version !== 'legacy' && !registered.model.versions.some((v) => v.version === version))
            return undefined;
        // Everything an effective model depends on, as a key: many machine types differ only in
        // compat entries for other CPUs, and then share one result (and one serialization).
        const entries = this.compatEntriesFor(machineType, name);
        const accelChanges = machineType.accelDefaultChanges.filter((c) => c.accel === accel);
        const inputs = [
            registered.model.name,
            version,
            accel,
            this.entryIdsOf(entries),
            accelChanges.map((c) => `${c.property}=${c.value}`).join(','),
        ].join('\0');
        const shared = this.byInputs.get(inputs);
        if (shared) {
            if (this.caching)
                this.cache.set(key, shared);
            return shared;
        }
        const base = this.base(registered.model, version);
        const props = { ...base.props };
        const explicit = new Set(base.explicit);
        if (accel !== 'none') {
            const defaults = new Map();
            for (const p of this.catalog.accelDefaults[accel])
                defaults.set(p.property, p.value);
            for (const c of accelChanges)
                defaults.set(c.property, c.value);
            for (const [p, v] of defaults)
                if (v !== null)
                    props[this.canonicalProperty(p)] = v;
        }
        for (const e of entries) {
            const minimumOf = this.catalog.minimumOf?.[e.property];
            const prop = minimumOf ?? this.canonicalProperty(e.property);
            props[prop] = this.typedValue(prop, e.value);
            if (!minimumOf)
                explicit.add(prop);
        }
        for (const dep of this.catalog.featureDependencies) {
            if (props[dep.feature] === false)
                for (const c of dep.clears)
                    props[c] = false;
        }
        for (const f of this.catalog.accelClears[accel] ?? [])
            props[f] = false;
        for (const rule of this.catalog.levelRules) {
            if (explicit.has(rule.property))
                continue;
            if (rule.enabledBy && props[rule.enabledBy] !== true)
                continue;
            if (rule.alsoEnabledBy?.some((k) => props[k] !== true))
                continue;
            const current = props[rule.property];
            if (typeof current === 'number' &&
                current < rule.atLeast &&
                rule.whenAny.some((f) => props[f] === true)) {
                props[rule.property] = rule.atLeast;
            }
        }
        if (this.caching)
            this.cache.set(key, props);
        this.byInputs.set(inputs, props);
        return props;
    }
    /**
     * A number for a list of entries, the same for lists of the same entries, computed once per
     * list (lists are shared by machine type and target): a short part of the key of a result.
     */
    entryIdsOf(entries) {
        let id = this.entryListIds.get(entries);
        if (id === undefined) {
            const ids = entries.map((e) => this.entryId(e)).join(',');
            id = this.entryListNumbers.get(ids) ?? this.entryListNumbers.size;
            this.entryListNumbers.set(ids, id);
            this.entryListIds.set(entries, id);
        }
        return id;
    }
    entryId(e) {
        let id = this.entryIds.get(e);
        if (id === undefined)
            this.entryIds.set(e, (id = this.entryIds.size));
        return id;
    }
}

/**
 * QEMU x86 under KVM: what a feature asks of the host. Features KVM or QEMU offer without host
 * CPU support ask nothing; KVM paravirtual features ask the host kernel, except the baseline
 * that QEMU's minimum supported kernel (Linux 4.5) always has. Projects override entries in
 * their configuration (a newer minimum kernel, say).
 */
const QEMU_EMULATED_FEATURES = {
    x2apic: 'emulated by KVM',
    'tsc-adjust': 'emulated by KVM',
    'kvm-msi-ext-dest-id': 'implemented in QEMU userspace',
};
/**
 * What QEMU adds in kvm_arch_get_supported_cpuid() (target/i386/kvm/kvm.c) as of QEMU 10.x:
 * used only for a tree whose kvm.c is not there to be read.
 */
const QEMU_OFFERED_FEATURES = {
    hypervisor: 'set by QEMU itself',
    'tsc-deadline': 'offered by QEMU with the in-kernel irqchip',
    arat: 'offered by QEMU on every host',
    topoext: 'offered by QEMU on every host',
    'overflow-recov': 'offered by QEMU on every host',
    succor: 'offered by QEMU on every host',
};
const QEMU_KVM_BASELINE = [
    'kvmclock',
    'kvm-nopiodelay',
    'kvm-asyncpf',
    'kvm-steal-time',
    'kvm-pv-eoi',
    'kvmclock-stable-bit',
];
const KVM_WORDS = new Set(['FEAT_KVM', 'FEAT_KVM_HINTS']);
/**
 * `offered`: what the tree's own kvm_arch_get_supported_cpuid() adds, when it could be read;
 * `undefined` falls back to QEMU_OFFERED_FEATURES.
 */
function qemuHostRequirements(features, offered) {
    const properties = {};
    const offeredWhy = new Map(offered ? offered.map((o) => [o.feature, o.why]) : Object.entries(QEMU_OFFERED_FEATURES));
    for (const f of features) {
        let kind = 'cpu';
        let why = `needs the host CPU to have it (${f.word})`;
        const emulated = QEMU_EMULATED_FEATURES[f.name] ?? offeredWhy.get(f.name);
        if (emulated) {
            kind = 'none';
            why = emulated;
        }
        else if (KVM_WORDS.has(f.word)) {
            kind = QEMU_KVM_BASELINE.includes(f.name) ? 'none' : 'kvm';
            why =
                kind === 'none'
                    ? "in the KVM baseline of QEMU's minimum host kernel"
                    : 'needs KVM support in the host kernel';
        }
        properties[f.name] = { kind, why };
    }
    return {
        defaultKind: 'none',
        properties,
        source: offered
            ? "QEMU x86 defaults, with the tree's kvm_arch_get_supported_cpuid()"
            : 'QEMU x86 defaults',
    };
}
/** Applies a project's overrides on top of a table. */
function overrideHostRequirements(table, overrides, source) {
    if (!Object.keys(overrides).length)
        return table;
    return {
        ...table,
        properties: { ...table.properties, ...overrides },
        source: `${table.source}; overrides from ${source}`,
    };
}

class Diff {
    diff(oldStr, newStr, 
    // Type below is not accurate/complete - see above for full possibilities - but it compiles
    options = {}) {
        let callback;
        if (typeof options === 'function') {
            callback = options;
            options = {};
        }
        else if ('callback' in options) {
            callback = options.callback;
        }
        // Allow subclasses to massage the input prior to running
        const oldString = this.castInput(oldStr, options);
        const newString = this.castInput(newStr, options);
        const oldTokens = this.removeEmpty(this.tokenize(oldString, options));
        const newTokens = this.removeEmpty(this.tokenize(newString, options));
        return this.diffWithOptionsObj(oldTokens, newTokens, options, callback);
    }
    diffWithOptionsObj(oldTokens, newTokens, options, callback) {
        var _a;
        const done = (value) => {
            value = this.postProcess(value, options);
            if (callback) {
                setTimeout(function () { callback(value); }, 0);
                return undefined;
            }
            else {
                return value;
            }
        };
        const newLen = newTokens.length, oldLen = oldTokens.length;
        let editLength = 1;
        let maxEditLength = newLen + oldLen;
        if (options.maxEditLength != null) {
            maxEditLength = Math.min(maxEditLength, options.maxEditLength);
        }
        const maxExecutionTime = (_a = options.timeout) !== null && _a !== void 0 ? _a : Infinity;
        const abortAfterTimestamp = Date.now() + maxExecutionTime;
        const bestPath = [{ oldPos: -1, lastComponent: undefined }];
        // Seed editLength = 0, i.e. the content starts with the same values
        let newPos = this.extractCommon(bestPath[0], newTokens, oldTokens, 0, options);
        if (bestPath[0].oldPos + 1 >= oldLen && newPos + 1 >= newLen) {
            // Identity per the equality and tokenizer
            return done(this.buildValues(bestPath[0].lastComponent, newTokens, oldTokens));
        }
        // Once we hit the right edge of the edit graph on some diagonal k, we can
        // definitely reach the end of the edit graph in no more than k edits, so
        // there's no point in considering any moves to diagonal k+1 any more (from
        // which we're guaranteed to need at least k+1 more edits).
        // Similarly, once we've reached the bottom of the edit graph, there's no
        // point considering moves to lower diagonals.
        // We record this fact by setting minDiagonalToConsider and
        // maxDiagonalToConsider to some finite value once we've hit the edge of
        // the edit graph.
        // This optimization is not faithful to the original algorithm presented in
        // Myers's paper, which instead pointlessly extends D-paths off the end of
        // the edit graph - see page 7 of Myers's paper which notes this point
        // explicitly and illustrates it with a diagram. This has major performance
        // implications for some common scenarios. For instance, to compute a diff
        // where the new text simply appends d characters on the end of the
        // original text of length n, the true Myers algorithm will take O(n+d^2)
        // time while this optimization needs only O(n+d) time.
        let minDiagonalToConsider = -Infinity, maxDiagonalToConsider = Infinity;
        // Main worker method. checks all permutations of a given edit length for acceptance.
        const execEditLength = () => {
            for (let diagonalPath = Math.max(minDiagonalToConsider, -editLength); diagonalPath <= Math.min(maxDiagonalToConsider, editLength); diagonalPath += 2) {
                let basePath;
                const removePath = bestPath[diagonalPath - 1], addPath = bestPath[diagonalPath + 1];
                if (removePath) {
                    // No one else is going to attempt to use this value, clear it
                    // @ts-expect-error - perf optimisation. This type-violating value will never be read.
                    bestPath[diagonalPath - 1] = undefined;
                }
                let canAdd = false;
                if (addPath) {
                    // what newPos will be after we do an insertion:
                    const addPathNewPos = addPath.oldPos - diagonalPath;
                    canAdd = addPath && 0 <= addPathNewPos && addPathNewPos < newLen;
                }
                const canRemove = removePath && removePath.oldPos + 1 < oldLen;
                if (!canAdd && !canRemove) {
                    // If this path is a terminal then prune
                    // @ts-expect-error - perf optimisation. This type-violating value will never be read.
                    bestPath[diagonalPath] = undefined;
                    continue;
                }
                // Select the diagonal that we want to branch from. We select the prior
                // path whose position in the old string is the farthest from the origin
                // and does not pass the bounds of the diff graph
                if (!canRemove || (canAdd && removePath.oldPos < addPath.oldPos)) {
                    basePath = this.addToPath(addPath, true, false, 0, options);
                }
                else {
                    basePath = this.addToPath(removePath, false, true, 1, options);
                }
                newPos = this.extractCommon(basePath, newTokens, oldTokens, diagonalPath, options);
                if (basePath.oldPos + 1 >= oldLen && newPos + 1 >= newLen) {
                    // If we have hit the end of both strings, then we are done
                    return done(this.buildValues(basePath.lastComponent, newTokens, oldTokens)) || true;
                }
                else {
                    bestPath[diagonalPath] = basePath;
                    if (basePath.oldPos + 1 >= oldLen) {
                        maxDiagonalToConsider = Math.min(maxDiagonalToConsider, diagonalPath - 1);
                    }
                    if (newPos + 1 >= newLen) {
                        minDiagonalToConsider = Math.max(minDiagonalToConsider, diagonalPath + 1);
                    }
                }
            }
            editLength++;
        };
        // Performs the length of edit iteration. Is a bit fugly as this has to support the
        // sync and async mode which is never fun. Loops over execEditLength until a value
        // is produced, or until the edit length exceeds options.maxEditLength (if given),
        // in which case it will return undefined.
        if (callback) {
            (function exec() {
                setTimeout(function () {
                    if (editLength > maxEditLength || Date.now() > abortAfterTimestamp) {
                        return callback(undefined);
                    }
                    if (!execEditLength()) {
                        exec();
                    }
                }, 0);
            }());
        }
        else {
            while (editLength <= maxEditLength && Date.now() <= abortAfterTimestamp) {
                const ret = execEditLength();
                if (ret) {
                    return ret;
                }
            }
        }
    }
    addToPath(path, added, removed, oldPosInc, options) {
        const last = path.lastComponent;
        if (last && !options.oneChangePerToken && last.added === added && last.removed === removed) {
            return {
                oldPos: path.oldPos + oldPosInc,
                lastComponent: { count: last.count + 1, added: added, removed: removed, previousComponent: last.previousComponent }
            };
        }
        else {
            return {
                oldPos: path.oldPos + oldPosInc,
                lastComponent: { count: 1, added: added, removed: removed, previousComponent: last }
            };
        }
    }
    extractCommon(basePath, newTokens, oldTokens, diagonalPath, options) {
        const newLen = newTokens.length, oldLen = oldTokens.length;
        let oldPos = basePath.oldPos, newPos = oldPos - diagonalPath, commonCount = 0;
        while (newPos + 1 < newLen && oldPos + 1 < oldLen && this.equals(oldTokens[oldPos + 1], newTokens[newPos + 1], options)) {
            newPos++;
            oldPos++;
            commonCount++;
            if (options.oneChangePerToken) {
                basePath.lastComponent = { count: 1, previousComponent: basePath.lastComponent, added: false, removed: false };
            }
        }
        if (commonCount && !options.oneChangePerToken) {
            basePath.lastComponent = { count: commonCount, previousComponent: basePath.lastComponent, added: false, removed: false };
        }
        basePath.oldPos = oldPos;
        return newPos;
    }
    equals(left, right, options) {
        if (options.comparator) {
            return options.comparator(left, right);
        }
        else {
            return left === right
                || (!!options.ignoreCase && left.toLowerCase() === right.toLowerCase());
        }
    }
    removeEmpty(array) {
        const ret = [];
        for (let i = 0; i < array.length; i++) {
            if (array[i]) {
                ret.push(array[i]);
            }
        }
        return ret;
    }
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    castInput(value, options) {
        return value;
    }
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    tokenize(value, options) {
        return Array.from(value);
    }
    join(chars) {
        // Assumes ValueT is string, which is the case for most subclasses.
        // When it's false, e.g. in diffArrays, this method needs to be overridden (e.g. with a no-op)
        // Yes, the casts are verbose and ugly, because this pattern - of having the base class SORT OF
        // assume tokens and values are strings, but not completely - is weird and janky.
        return chars.join('');
    }
    postProcess(changeObjects, 
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    options) {
        return changeObjects;
    }
    get useLongestToken() {
        return false;
    }
    buildValues(lastComponent, newTokens, oldTokens) {
        // First we convert our linked list of components in reverse order to an
        // array in the right order:
        const components = [];
        let nextComponent;
        while (lastComponent) {
            components.push(lastComponent);
            nextComponent = lastComponent.previousComponent;
            delete lastComponent.previousComponent;
            lastComponent = nextComponent;
        }
        components.reverse();
        const componentLen = components.length;
        let componentPos = 0, newPos = 0, oldPos = 0;
        for (; componentPos < componentLen; componentPos++) {
            const component = components[componentPos];
            if (!component.removed) {
                if (!component.added && this.useLongestToken) {
                    let value = newTokens.slice(newPos, newPos + component.count);
                    value = value.map(function (value, i) {
                        const oldValue = oldTokens[oldPos + i];
                        return oldValue.length > value.length ? oldValue : value;
                    });
                    component.value = this.join(value);
                }
                else {
                    component.value = this.join(newTokens.slice(newPos, newPos + component.count));
                }
                newPos += component.count;
                // Common case
                if (!component.added) {
                    oldPos += component.count;
                }
            }
            else {
                component.value = this.join(oldTokens.slice(oldPos, oldPos + component.count));
                oldPos += component.count;
            }
        }
        return components;
    }
}

class LineDiff extends Diff {
    constructor() {
        super(...arguments);
        this.tokenize = tokenize;
    }
    equals(left, right, options) {
        // If we're ignoring whitespace, we need to normalise lines by stripping
        // whitespace before checking equality. (This has an annoying interaction
        // with newlineIsToken that requires special handling: if newlines get their
        // own token, then we DON'T want to trim the *newline* tokens down to empty
        // strings, since this would cause us to treat whitespace-only line content
        // as equal to a separator between lines, which would be weird and
        // inconsistent with the documented behavior of the options.)
        if (options.ignoreWhitespace) {
            if (!options.newlineIsToken || !left.includes('\n')) {
                left = left.trim();
            }
            if (!options.newlineIsToken || !right.includes('\n')) {
                right = right.trim();
            }
        }
        else if (options.ignoreNewlineAtEof && !options.newlineIsToken) {
            if (left.endsWith('\n')) {
                left = left.slice(0, -1);
            }
            if (right.endsWith('\n')) {
                right = right.slice(0, -1);
            }
        }
        return super.equals(left, right, options);
    }
}
const lineDiff = new LineDiff();
function diffLines(oldStr, newStr, options) {
    return lineDiff.diff(oldStr, newStr, options);
}
// Exported standalone so it can be used from jsonDiff too.
function tokenize(value, options) {
    if (options.stripTrailingCr) {
        // remove one \r before \n to match GNU diff's --strip-trailing-cr behavior
        value = value.replace(/\r\n/g, '\n');
    }
    const retLines = [], linesAndNewlines = value.split(/(\n|\r\n)/);
    // Ignore the final empty token that occurs if the string ends with a new line
    if (!linesAndNewlines[linesAndNewlines.length - 1]) {
        linesAndNewlines.pop();
    }
    // Merge the content and line separators into single tokens
    for (let i = 0; i < linesAndNewlines.length; i++) {
        const line = linesAndNewlines[i];
        if (i % 2 && !options.newlineIsToken) {
            retLines[retLines.length - 1] += line;
        }
        else {
            retLines.push(line);
        }
    }
    return retLines;
}

class ArrayDiff extends Diff {
    tokenize(value) {
        return value.slice();
    }
    join(value) {
        return value;
    }
    removeEmpty(value) {
        return value;
    }
}
const arrayDiff = new ArrayDiff();
function diffArrays(oldArr, newArr, options) {
    return arrayDiff.diff(oldArr, newArr, options);
}

/**
 * The line of head where a line of base went: for a line both revisions keep, its head line;
 * for a removed line, the first head line after the removal (the last line when the removal
 * ends the file). Viewers that only show head files annotate there, not at base's numbering.
 */
function headLineOf(baseText, headText, baseLine) {
    const headLines = headText === '' ? 0 : headText.split('\n').length - (headText.endsWith('\n') ? 1 : 0);
    if (headLines === 0)
        return undefined;
    const { line, parts } = diffFromFirstChange(baseText, headText);
    // Lines before the first change are where they were.
    if (baseLine < line)
        return baseLine;
    let b = line;
    let h = line;
    for (const part of parts) {
        const n = part.count ?? 0;
        if (part.added) {
            h += n;
            continue;
        }
        if (baseLine < b + n)
            return part.removed ? Math.min(h, headLines) : h + (baseLine - b);
        b += n;
        if (!part.removed)
            h += n;
    }
    return Math.min(h, headLines);
}
/**
 * Where the last line that both texts hold whole, from their start, ends (0: none). A line
 * diff takes this longest common start before its first edit, whatever follows: diffing from
 * here gives the same parts after it, without splitting and comparing what comes before.
 */
function commonLineStart(a, b) {
    const n = Math.min(a.length, b.length);
    let i = 0;
    while (i < n && a.charCodeAt(i) === b.charCodeAt(i))
        i++;
    return i && a.lastIndexOf('\n', i - 1) + 1;
}
/** How many lines end before `end`. */
function newlinesBefore(text, end) {
    let count = 0;
    for (let at = text.indexOf('\n'); at >= 0 && at < end; at = text.indexOf('\n', at + 1))
        count++;
    return count;
}
/** The first line (1-based) at which two different texts differ, as their line diff shows it. */
const firstChangedLine = (a, b) => 1 + newlinesBefore(a, commonLineStart(a, b));
/**
 * The line diff of two texts from the first line at which they differ: that line (1-based, in
 * both) and the diff's parts from there on, which are those of the whole texts' diff.
 */
function diffFromFirstChange(a, b) {
    const start = commonLineStart(a, b);
    return { line: 1 + newlinesBefore(a, start), parts: diffLines(a.slice(start), b.slice(start)) };
}

/**
 * Reads the tables of target/i386: feature names per feature word, feature dependencies,
 * the CPU's own property defaults, accelerator defaults and the model definitions.
 */
class CpuTableReader {
    tree;
    /** Feature word -> bit -> property name. */
    featureNames = new Map();
    features = [];
    featureWordOf = new Map();
    /** CPUID leaf per feature word (for the automatic level). */
    wordLeaf = new Map();
    /** X86CPU field (`env.cpuid_min_level`, `full_cpuid_auto_level`) -> its property, per x86_cpu_properties[]. */
    propertyOfField = new Map();
    /** X86CPU field -> every property bound to it (bit properties share one field). */
    fieldProperties = new Map();
    /** Property -> its type, for turning QEMU's string values into typed ones. */
    propTypes = new Map();
    constructor(tree) {
        this.tree = tree;
    }
    loc(key, line, endLine) {
        return endLine && endLine !== line
            ? { path: this.tree.path(key), line, endLine }
            : { path: this.tree.path(key), line };
    }
    fail(key, line, message, hint) {
        throw new CatalogError(message, { path: this.tree.path(key), line }, hint);
    }
    /**
     * Values of the expressions evaluated so far, by their tokens' text: the macros are all
     * defined once the tree is loaded, and the models name the same feature bits over and over.
     * Only values are kept; an expression that fails is evaluated again, to fail at its own line.
     */
    values = new Map();
    eval(key, tokens, line) {
        const text = tokens.length === 1 ? tokens[0].text : tokens.map((t) => t.text).join('\0');
        let value = this.values.get(text);
        if (value === undefined) {
            value = evaluateExpression(tokens, this.tree.macros, this.tree.path(key), { line });
            this.values.set(text, value);
        }
        return value;
    }
    evalInt(key, value, what) {
        if (!value || value.kind !== 'expr')
            return this.fail(key, value?.line, `${what}: expected a number`);
        const v = this.eval(key, value.tokens, value.line);
        if (typeof v !== 'bigint')
            return this.fail(key, value.line, `${what}: expected a number, found a string`);
        return v;
    }
    tryInt(key, value) {
        try {
            return this.evalInt(key, value, 'value');
        }
        catch {
            return undefined;
        }
    }
    /** A constant expression that must be a number; anything else is an error at its line. */
    evalTokens(key, tokens) {
        const line = tokens[0]?.line;
        if (!tokens.length)
            return this.fail(key, line, 'expected a number, found nothing');
        const v = this.eval(key, tokens, line ?? 0);
        if (typeof v !== 'bigint')
            return this.fail(key, line, 'expected a number, found a string');
        return v;
    }
    /** The CPUID leaf (EAX) a feature word is read from, per feature_word_info[]. */
    leafOf(word) {
        return this.wordLeaf.get(word)?.eax;
    }
    evalString(key, value, what) {
        if (!value || value.kind !== 'expr')
            return this.fail(key, value?.line, `${what}: expected a string`);
        if (value.tokens.length === 1 && value.tokens[0].text === 'NULL')
            return null;
        const v = this.eval(key, value.tokens, value.line);
        if (typeof v !== 'string') {
            if (v === 0n)
                return null;
            return this.fail(key, value.line, `${what}: expected a string, found a number`);
        }
        return v;
    }
    /** The initializer of a file-scope table, searched in the files that have held it over time. */
    table(name, keys) {
        for (const key of keys) {
            const init = this.tree.structures[key]?.initializers.get(name);
            if (init)
                return { key, list: init.list, line: init.line };
        }
        return undefined;
    }
    requireTable(name, keys) {
        const t = this.table(name, keys);
        if (!t) {
            this.fail(keys[0], undefined, `the table ${name}[] was not found`, 'this QEMU tree uses a layout cpu-model-guard does not read (QEMU 5.2 and later are supported)');
        }
        return t;
    }
    readFeatureWords() {
        const { key, list } = this.requireTable('feature_word_info', ['cpuC']);
        for (const item of list.items) {
            const d = item.designators[0];
            if (!d || !('index' in d) || item.value.kind !== 'list') {
                this.fail(key, item.line, 'feature_word_info: expected [FEAT_X] = { ... }');
            }
            const word = d.index.map((t) => t.text).join('');
            const namesItem = field(item.value, 'feat_names');
            const names = [];
            if (namesItem?.value.kind === 'list') {
                let bit = 0;
                for (const n of namesItem.value.items) {
                    // Sparse words name their bits by index: `[54] = "vmx-ins-outs"`.
                    const d = n.designators[0];
                    if (d && 'index' in d)
                        bit = Number(this.evalInt(key, { kind: 'expr', tokens: d.index, line: n.line, endLine: n.line }, `feature_word_info[${word}] index`));
                    const name = this.evalString(key, n.value, `feature_word_info[${word}].feat_names[${bit}]`);
                    names[bit] = name ?? undefined;
                    if (name) {
                        this.features.push({ name, word, bit, location: this.loc(key, n.line) });
                        this.featureWordOf.set(name, word);
                        this.propTypes.set(name, 'bool');
                    }
                    bit++;
                }
            }
            this.featureNames.set(word, names);
            const cpuid = field(item.value, 'cpuid');
            if (cpuid?.value.kind === 'list') {
                const eax = field(cpuid.value, 'eax');
                const ecx = field(cpuid.value, 'ecx');
                // Some leaves are macros of kernel headers (KVM_CPUID_FEATURES); those leaves lie
                // outside the ranges the automatic level adjusts, so they are not needed.
                const reg = field(cpuid.value, 'reg');
                const leaf = eax ? this.tryInt(key, eax.value) : undefined;
                if (leaf !== undefined) {
                    this.wordLeaf.set(word, {
                        eax: leaf,
                        ecx: ecx ? this.tryInt(key, ecx.value) : undefined,
                        reg: reg?.value.kind === 'expr' ? reg.value.tokens.map((t) => t.text).join('') : undefined,
                    });
                }
            }
        }
    }
    /** The names of the bits set in `mask` within a feature word; unnamed bits are reported. */
    namesOfBits(key, word, mask, line, strict) {
        const names = this.featureNames.get(word);
        if (!names)
            this.fail(key, line, `unknown feature word ${word}`, 'feature words are the [FEAT_*] entries of feature_word_info in target/i386/cpu.c');
        const out = [];
        // Bits from the lowest up, read off the binary digits: this runs for every term of every model.
        const digits = (mask & 0xffffffffffffffffn).toString(2);
        for (let bit = 0; bit < digits.length; bit++) {
            if (digits[digits.length - 1 - bit] !== '1')
                continue;
            const name = names[bit];
            if (name)
                out.push(name);
            else if (strict && bit < names.length) {
                this.fail(key, line, `bit ${bit} of ${word} has no feature name, so no property can express it`, 'give the bit a name in feature_word_info or drop it');
            }
        }
        return out;
    }
    readFeatureDependencies() {
        const t = this.table('feature_dependencies', ['cpuC']);
        if (!t)
            return [];
        const out = [];
        for (const item of t.list.items) {
            if (item.value.kind !== 'list')
                continue;
            const from = field(item.value, 'from');
            const to = field(item.value, 'to');
            if (from?.value.kind !== 'list' || to?.value.kind !== 'list') {
                this.fail(t.key, item.line, 'feature_dependencies: expected { .from = { WORD, MASK }, .to = { WORD, MASK } }');
            }
            const [fw, fm] = from.value.items;
            const [tw, tm] = to.value.items;
            const fromWord = exprText(fw?.value);
            const toWord = exprText(tw?.value);
            const fromNames = this.namesOfBits(t.key, fromWord, this.evalInt(t.key, fm?.value, 'feature_dependencies .from'), item.line, true);
            const clears = this.namesOfBits(t.key, toWord, this.evalInt(t.key, tm?.value, 'feature_dependencies .to') & 0xffffffffffffffffn, item.line, false);
            for (const feature of fromNames)
                out.push({ feature, clears, location: this.loc(t.key, item.line, item.value.endLine) });
        }
        return out;
    }
    /**
     * Defaults of the CPU object's own properties (`x86_cpu_properties[]`): the knobs compat
     * properties turn (`legacy-cache`, `x-vendor-cpuid-only`, ...) need a value before and after.
     */
    /** Where each default of `readPropertyDefaults` is written. */
    propertyDefaultLocations = {};
    readPropertyDefaults() {
        const t = this.requireTable('x86_cpu_properties', ['cpuC']);
        const out = {};
        for (const item of t.list.items) {
            if (item.value.kind !== 'expr')
                continue;
            const toks = item.value.tokens;
            const macro = toks[0]?.text ?? '';
            if (!macro.startsWith('DEFINE_PROP_') || toks[1]?.text !== '(')
                continue;
            const args = splitArgs(toks.slice(2, -1));
            const nameTok = args[0];
            if (!nameTok?.length || nameTok[0].kind !== 'string')
                continue;
            const name = String(this.eval(t.key, nameTok, item.line));
            this.propertyDefaultLocations[name] = this.loc(t.key, item.line);
            if (args[1]?.length === 1 && args[1][0].text === 'X86CPU' && args[2]?.length) {
                const fieldName = args[2].map((x) => x.text).join('');
                this.propertyOfField.set(fieldName, name);
                this.fieldProperties.set(fieldName, [...(this.fieldProperties.get(fieldName) ?? []), name]);
            }
            const kind = macro.replace('DEFINE_PROP_', '');
            const tryEval = (a) => {
                if (!a?.length)
                    return undefined;
                try {
                    return this.eval(t.key, a, item.line);
                }
                catch {
                    return undefined; // Defaults built from macros outside the catalog are not catalog facts.
                }
            };
            if (kind === 'BOOL') {
                const v = tryEval(args[3]);
                if (v !== undefined)
                    out[name] = v !== 0n;
                this.propTypes.set(name, 'bool');
            }
            else if (kind === 'BIT' || kind === 'BIT64') {
                const v = tryEval(args[4]);
                if (v !== undefined)
                    out[name] = v !== 0n;
                this.propTypes.set(name, 'bool');
            }
            else if (/^U?INT(8|16|32|64)$/.test(kind)) {
                const v = tryEval(args[3]);
                if (typeof v === 'bigint')
                    out[name] = Number(v);
                this.propTypes.set(name, 'number');
            }
            else if (kind === 'STRING') {
                this.propTypes.set(name, 'string');
            }
        }
        for (const p of [
            'family',
            'model',
            'stepping',
            'level',
            'xlevel',
            'xlevel2',
            'min-level',
            'min-xlevel',
            'avx10-version',
        ]) {
            this.propTypes.set(p, 'number');
        }
        this.propTypes.set('vendor', 'string');
        this.propTypes.set('model-id', 'string');
        return out;
    }
    /** QEMU's string values (`"on"`, `"0x1bbc"`) as typed values, per the property's type. */
    typedValue(key, property, raw, line) {
        const type = this.propTypes.get(property) ?? 'string';
        if (type === 'bool') {
            if (['on', 'true', 'yes'].includes(raw))
                return true;
            if (['off', 'false', 'no'].includes(raw))
                return false;
            this.fail(key, line, `property ${property} takes on/off, not "${raw}"`);
        }
        if (type === 'number') {
            const n = /^-?(0x[0-9a-f]+|\d+)$/i.test(raw) ? Number(raw) : NaN;
            if (Number.isNaN(n))
                this.fail(key, line, `property ${property} takes a number, not "${raw}"`);
            return n;
        }
        return raw;
    }
    /** `{ "prop", "value" }, ..., { NULL, NULL }` lists: version props, accelerator defaults. */
    readPropValueList(key, list, what) {
        const out = [];
        for (const item of list.items) {
            if (item.value.kind !== 'list')
                this.fail(key, item.line, `${what}: expected { "property", "value" }`);
            const fields = item.value.items;
            if (!fields.length)
                continue; // { /* end of list */ }
            const prop = this.evalString(key, (field(item.value, 'prop') ?? fields[0])?.value, what);
            if (prop === null)
                continue; // { NULL, NULL }
            const value = this.evalString(key, (field(item.value, 'value') ?? fields[1])?.value, `${what} ${prop}`);
            if (value === null)
                continue;
            out.push({
                property: prop,
                value: this.typedValue(key, prop, value, item.line),
                location: this.loc(key, item.line),
            });
        }
        return out;
    }
    readAccelDefaults() {
        const kvm = this.requireTable('kvm_default_props', ['kvmCpuC', 'cpuC']);
        const tcg = this.table('x86_tcg_default_props', ['tcgCpuC', 'cpuC']) ??
            this.requireTable('tcg_default_props', ['tcgCpuC', 'cpuC']);
        return {
            kvm: this.readPropValueList(kvm.key, kvm.list, 'kvm_default_props'),
            tcg: this.readPropValueList(tcg.key, tcg.list, 'tcg_default_props'),
        };
    }
    /**
     * Feature words QEMU empties when the accelerator is not KVM
     * (`if (!kvm_enabled() || ...) env->features[FEAT_KVM] = 0`).
     */
    readWordsClearedWithoutKvm() {
        const fn = findFunction(this.tree, 'x86_cpu_expand_features', ['cpuC']);
        const out = [];
        if (!fn)
            return this.fail('cpuC', undefined, 'x86_cpu_expand_features() was not found');
        const { statements } = fn.body;
        statements.forEach((st, k) => {
            const text = st.map((t) => t.text).join(' ');
            const m = /^env -> features \[ (FEAT_\w+) \] = 0$/.exec(text);
            const cond = statements[k - 1]?.map((t) => t.text).join(' ') ?? '';
            if (m && /^if .*! kvm_enabled \( \)/.test(cond)) {
                out.push(...(this.featureNames.get(m[1]) ?? []).filter((n) => !!n));
            }
        });
        if (!out.length) {
            // Without it, KVM's own features would stay on under TCG: a wrong model, not a smaller one.
            this.fail(fn.key, fn.body.line, 'x86_cpu_expand_features() clears no feature word without KVM (`if (!kvm_enabled() ...) env->features[FEAT_KVM] = 0;`)', 'cpu-model-guard follows x86_cpu_expand_features() to know which features exist only under KVM');
        }
        return out;
    }
    /**
     * Features QEMU offers under KVM whatever the host CPU says: the bits
     * `kvm_arch_get_supported_cpuid()` adds to what the kernel reports (`ret |= CPUID_EXT_HYPERVISOR`),
     * unconditionally or under the in-kernel irqchip that QEMU uses by default. That function is
     * the authority on what asks nothing of the host, and it changes between releases.
     */
    readFeaturesOfferedByQemu() {
        const fn = findFunction(this.tree, 'kvm_arch_get_supported_cpuid', ['kvmC', 'kvmOldC']);
        if (!fn)
            return [];
        const { statements, depths } = fn.body;
        const out = [];
        let words = [];
        let nestedAccepted = false;
        statements.forEach((st, k) => {
            const depth = depths[k];
            const text = st.map((t) => t.text).join(' ');
            if (depth === 0) {
                words = [];
                const m = /^(?:else )?if \( function == (.+?) (?:&& index == (\S+) )?&& reg == (R_\w+) \)$/.exec(text);
                if (!m)
                    return;
                const leaf = this.tryEvalTokens(st.filter((t) => m[1].split(' ').includes(t.text)));
                const index = m[2] !== undefined ? BigInt(m[2]) : undefined;
                if (leaf === undefined)
                    return;
                for (const [word, info] of this.wordLeaf) {
                    if (info.eax === leaf &&
                        info.reg === m[3] &&
                        (info.ecx === undefined || index === undefined || info.ecx === index))
                        words.push(word);
                }
                return;
            }
            if (!words.length)
                return;
            if (depth === 1 && st[0]?.text === 'if') {
                // The in-kernel irqchip is QEMU's default under KVM; other conditions (cpu-pm, a
                // split irqchip) are choices a VM makes, not what a model can count on.
                nestedAccepted = /^if \( kvm_irqchip_in_kernel \( \)/.test(text);
                return;
            }
            if (st[0]?.text !== 'ret' || st[1]?.text !== '|=' || (depth === 2 && !nestedAccepted) || depth > 2)
                return;
            const bits = this.tryEvalTokens(st.slice(2));
            if (bits === undefined)
                return; // Host bits passed through (`ret |= ebx & ...`).
            for (const word of words) {
                for (const feature of this.namesOfBits(fn.key, word, bits, st[0].line, false)) {
                    out.push({
                        feature,
                        why: `offered by QEMU on every KVM host (kvm_arch_get_supported_cpuid, ${this.tree.path(fn.key)}:${st[0].line})`,
                        location: this.loc(fn.key, st[0].line),
                    });
                }
            }
        });
        return out;
    }
    tryEvalTokens(tokens) {
        try {
            const v = this.eval('cpuC', tokens, tokens[0]?.line ?? 0);
            return typeof v === 'bigint' ? v : undefined;
        }
        catch {
            return undefined;
        }
    }
    readModels() {
        const { key, list } = this.requireTable('builtin_x86_defs', ['cpuC']);
        const models = [];
        for (const item of list.items) {
            if (item.value.kind !== 'list')
                this.fail(key, item.line, 'builtin_x86_defs: expected a { .name = ..., ... } entry');
            models.push(this.readModel(key, item.value));
        }
        return models;
    }
    readModel(key, def) {
        const nameItem = field(def, 'name');
        const name = this.evalString(key, nameItem?.value, 'model .name');
        if (!name)
            this.fail(key, def.line, 'a CPU model definition without .name');
        const props = [];
        let deprecation;
        let versions;
        const numeric = {
            level: 'level',
            xlevel: 'xlevel',
            xlevel2: 'xlevel2',
            family: 'family',
            model: 'model',
            stepping: 'stepping',
            avx10_version: 'avx10-version',
        };
        for (const item of def.items) {
            const d0 = item.designators[0];
            const fieldName = d0 && 'field' in d0 ? d0.field : undefined;
            if (!fieldName)
                this.fail(key, item.line, `model ${name}: expected a designated field`);
            const loc = this.loc(key, item.line, item.value.endLine);
            if (fieldName === 'name')
                continue;
            if (numeric[fieldName]) {
                props.push({
                    property: numeric[fieldName],
                    value: Number(this.evalInt(key, item.value, `${name}.${fieldName}`)),
                    location: loc,
                });
            }
            else if (fieldName === 'vendor') {
                props.push({
                    property: 'vendor',
                    value: this.evalString(key, item.value, `${name}.vendor`) ?? '',
                    location: loc,
                });
            }
            else if (fieldName === 'model_id') {
                props.push({
                    property: 'model-id',
                    value: this.evalString(key, item.value, `${name}.model_id`) ?? '',
                    location: loc,
                });
            }
            else if (fieldName === 'features') {
                const d1 = item.designators[1];
                if (!d1 || !('index' in d1))
                    this.fail(key, item.line, `model ${name}: .features needs a [FEAT_*] index`);
                props.push(...this.readFeatureTerms(key, d1.index.map((t) => t.text).join(''), item.value, name));
            }
            else if (fieldName === 'cache_info') {
                // QEMU turns legacy-cache off for models that describe their caches.
                props.push({ property: 'legacy-cache', value: false, location: loc });
            }
            else if (fieldName === 'deprecation_note') {
                deprecation = {
                    note: this.evalString(key, item.value, `${name}.deprecation_note`) ?? '',
                    location: loc,
                };
            }
            else if (fieldName === 'versions') {
                if (item.value.kind !== 'list')
                    this.fail(key, item.line, `model ${name}: .versions must be a list`);
                versions = this.readVersions(key, name, item.value);
            }
            else {
                this.fail(key, item.line, `model ${name}: unknown field .${fieldName}`, 'cpu-model-guard reads the fields of X86CPUDefinition it knows; a new field needs support before its changes can be judged');
            }
        }
        const location = this.loc(key, nameItem.line, def.endLine);
        return {
            name,
            location,
            props,
            deprecation,
            versions: versions ?? [{ version: 1, props: [], location }],
        };
    }
    /**
     * An OR chain: each term's bits get the line of the term, so findings point at it. Bits
     * without a feature name (fixed capability bits such as MSR_VMX_EPT_WB) have no property
     * a guest or a user can see or set, so they are not part of the effective model.
     */
    readFeatureTerms(key, word, value, model) {
        if (value.kind !== 'expr')
            this.fail(key, value.line, `model ${model}: .features[${word}] must be an expression`);
        const out = [];
        const seen = new Set();
        for (const term of splitTopLevel(value.tokens, '|')) {
            if (!term.length)
                continue;
            const bits = this.evalInt(key, { kind: 'expr', tokens: term, line: term[0].line, endLine: term.at(-1).line }, `${model}.features[${word}]`);
            for (const name of this.namesOfBits(key, word, bits, term[0].line, false)) {
                if (seen.has(name))
                    continue;
                seen.add(name);
                out.push({ property: name, value: true, location: this.loc(key, term[0].line) });
            }
        }
        return out;
    }
    readVersions(key, model, list) {
        const out = [];
        for (const item of list.items) {
            if (item.value.kind !== 'list')
                this.fail(key, item.line, `model ${model}: a version must be { .version = N, ... }`);
            if (!item.value.items.length)
                continue; // { /* end of list */ }
            const v = item.value;
            const versionItem = field(v, 'version');
            if (!versionItem)
                this.fail(key, item.line, `model ${model}: a version without .version`);
            const version = Number(this.evalInt(key, versionItem.value, `${model} .version`));
            const entry = { version, props: [], location: this.loc(key, item.line, v.endLine) };
            for (const f of v.items) {
                const d0 = f.designators[0];
                const fname = d0 && 'field' in d0 ? d0.field : '';
                if (fname === 'version')
                    continue;
                if (fname === 'alias') {
                    entry.alias = this.evalString(key, f.value, `${model}-v${version} .alias`) ?? undefined;
                    entry.aliasLocation = this.loc(key, f.line);
                }
                else if (fname === 'note') {
                    entry.note = this.evalString(key, f.value, `${model}-v${version} .note`) ?? undefined;
                }
                else if (fname === 'props') {
                    if (f.value.kind !== 'list')
                        this.fail(key, f.line, `${model}-v${version}: .props must be a list`);
                    entry.props.push(...this.readPropValueList(key, f.value, `${model}-v${version} .props`));
                }
                else if (fname === 'cache_info') {
                    entry.props.push({ property: 'legacy-cache', value: false, location: this.loc(key, f.line) });
                }
                else {
                    this.fail(key, f.line, `${model}-v${version}: unknown version field .${fname}`, 'a new field of X86CPUVersionDefinition needs support before its changes can be judged');
                }
            }
            out.push(entry);
        }
        out.sort((a, b) => a.version - b.version);
        return out;
    }
}
function findFunction(tree, name, keys) {
    for (const key of keys) {
        const body = tree.structures[key]?.functions.get(name);
        if (body)
            return { key, body };
    }
    return undefined;
}
function exprText(v) {
    return v && v.kind === 'expr' ? v.tokens.map((t) => t.text).join('') : '';
}
/** Splits tokens at a separator that is outside parentheses. */
function splitTopLevel(tokens, sep) {
    const out = [[]];
    let depth = 0;
    for (const t of tokens) {
        if (t.text === '(' || t.text === '[' || t.text === '{')
            depth++;
        else if (t.text === ')' || t.text === ']' || t.text === '}')
            depth--;
        if (t.text === sep && depth === 0) {
            out.push([]);
            continue;
        }
        out[out.length - 1].push(t);
    }
    return out;
}
function splitArgs(tokens) {
    return splitTopLevel(tokens, ',');
}

const KVM_FILES = ['kvmC', 'kvmOldC'];
const GUEST_CPUID_FUNCTIONS = [
    {
        name: 'cpu_x86_cpuid',
        files: ['cpuC'],
        why: 'computes every CPUID leaf the guest reads',
        callees: 'encoders',
    },
    {
        name: 'x86_cpu_expand_features',
        files: ['cpuC'],
        why: "expands the model's features (automatic levels, accelerator defaults, feature dependencies)",
    },
    {
        name: 'x86_cpu_filter_features',
        files: ['cpuC'],
        why: 'takes away the features the accelerator does not offer',
    },
    {
        name: 'x86_cpu_get_supported_feature_word',
        files: ['cpuC'],
        why: 'says which features the accelerator offers; x86_cpu_expand_features() and x86_cpu_filter_features() ask it',
    },
    {
        name: 'x86_cpu_realizefn',
        files: ['cpuC'],
        why: 'sets up the CPU before the guest runs (levels, caches, phys-bits)',
    },
    {
        name: 'kvm_arch_get_supported_cpuid',
        files: KVM_FILES,
        why: 'says which CPUID bits QEMU offers on a KVM host',
    },
    {
        name: 'kvm_arch_init_vcpu',
        files: KVM_FILES,
        why: 'builds the CPUID table KVM hands to the guest',
    },
];
/** The files a project's own functions are looked for in, in this order. */
const PROJECT_FUNCTION_FILES = ['cpuC', 'kvmC', 'kvmOldC', 'kvmCpuC', 'tcgCpuC'];
/**
 * The guest-CPUID functions of a tree, with what a hunk in them needs: their compiled bodies
 * and which X86CPU fields are CPU properties. `extra` are a project's own function names; one
 * that none of the files defines is an error, so that a typo does not silently check less.
 */
function readCpuidCode(tree, cpu, extra = []) {
    const functions = [];
    const seen = new Set();
    // Each file's own text, once, for the parameter lists.
    const fileTokens = new Map();
    const tokensOf = (key) => {
        let toks = fileTokens.get(key);
        if (!toks)
            fileTokens.set(key, (toks = tokenize$1(tree.text[key] ?? '', tree.path(key))));
        return toks;
    };
    const add = (name, key, why) => {
        const body = tree.structures[key]?.functions.get(name);
        if (!body || seen.has(name))
            return Boolean(body);
        seen.add(name);
        functions.push({
            name,
            path: tree.path(key),
            line: body.line,
            endLine: body.endLine,
            tokens: body.tokens,
            why,
            cpuVariables: cpuVariables([...parametersOf(tokensOf(key), tree.path(key), body), ...body.tokens]),
        });
        return true;
    };
    for (const f of GUEST_CPUID_FUNCTIONS) {
        const key = f.files.find((k) => tree.structures[k]?.functions.has(f.name));
        if (!key)
            continue; // kvm.c is not read when host support is not needed
        add(f.name, key, f.why);
        if (f.callees !== 'encoders')
            continue;
        const defined = tree.structures[key].functions;
        const body = defined.get(f.name);
        body.tokens.forEach((t, i) => {
            if (t.kind === 'ident' &&
                t.text.startsWith('encode_') &&
                body.tokens[i + 1]?.text === '(' &&
                defined.has(t.text))
                add(t.text, key, `encodes CPUID leaves for ${f.name}()`);
        });
    }
    for (const name of extra) {
        const key = PROJECT_FUNCTION_FILES.find((k) => tree.structures[k]?.functions.has(name));
        if (!key) {
            throw new UsageError(`cpuid-functions: ${name}() is not defined in ${PROJECT_FUNCTION_FILES.map((k) => tree.path(k)).join(', ')}`, undefined, 'list functions of those files by their exact name, or remove the entry');
        }
        add(name, key, "computes what guests see (the project's configuration lists it)");
    }
    return {
        functions,
        fieldProperties: cpu.fieldProperties,
        classProperties: classProperties(tree),
        propertyLocations: cpu.propertyDefaultLocations,
    };
}
/**
 * Properties that cpu.c adds to every x86 CPU in code rather than in x86_cpu_properties[]:
 * `object_property_add_alias(obj, "sse3", obj, "pni")`, `object_class_property_add(oc, "family", ...)`.
 */
function classProperties(tree) {
    const out = new Set();
    for (const body of tree.structures.cpuC?.functions.values() ?? []) {
        const toks = body.tokens;
        for (let i = 0; i < toks.length; i++) {
            const t = toks[i];
            if (t.kind !== 'ident' || !/^object_(class_)?property_add/.test(t.text) || toks[i + 1]?.text !== '(')
                continue;
            let j = i + 2;
            let depth = 0;
            for (; j < toks.length; j++) {
                const x = toks[j].text;
                if (x === '(')
                    depth++;
                else if (x === ')') {
                    if (depth-- === 0)
                        break;
                }
                else if (x === ',' && depth === 0)
                    break;
            }
            const name = toks[j + 1];
            if (toks[j]?.text === ',' && name?.kind === 'string')
                out.add(stringValue(name));
        }
    }
    return out;
}
/**
 * The parameter list of a function (`CPUX86State *env, uint32_t index, ...`): the function
 * bodies the file structure keeps start at the brace, and `cpu_x86_cpuid()` gets its CPU as a
 * parameter. The declaration is read from the file's text at the function's name.
 */
function parametersOf(toks, path, body) {
    const at = toks.findIndex((t, i) => t.line === body.line && t.text === body.name && toks[i + 1]?.text === '(');
    if (at < 0)
        throw new CatalogError(`cannot find the parameters of ${body.name}()`, { path, line: body.line });
    let depth = 0;
    for (let j = at + 1; j < toks.length; j++) {
        if (toks[j].text === '(')
            depth++;
        else if (toks[j].text === ')' && --depth === 0)
            return toks.slice(at + 2, j);
    }
    throw new CatalogError(`the parameter list of ${body.name}() does not close`, { path, line: body.line });
}
/** `X86CPU *cpu`, `X86CPU *const cpu`, `CPUX86State *env = &cpu->env`: the names of the CPU. */
function cpuVariables(tokens) {
    const cpu = new Set();
    const env = new Set();
    tokens.forEach((t, i) => {
        const into = t.text === 'X86CPU' ? cpu : t.text === 'CPUX86State' ? env : undefined;
        if (!into || t.kind !== 'ident' || tokens[i + 1]?.text !== '*')
            return;
        let j = i + 2;
        while (tokens[j]?.text === 'const')
            j++;
        if (tokens[j]?.kind === 'ident')
            into.add(tokens[j].text);
    });
    return { cpu, env };
}
/**
 * The X86CPU fields a run of tokens reads through the CPU's own variables: `cpu->enable_pmu`,
 * `cpu->env.cpuid_level` for a variable declared `X86CPU *`, and `env->cpuid_level` for one
 * declared `CPUX86State *` (QEMU's `&cpu->env`). A member of the same name of another struct
 * (`topo_ids.core_id` beside X86CPU's `core_id`) is not the CPU's.
 */
function fieldsRead(tokens, fields, variables) {
    const out = [];
    // `base -> p0 . p1 ...`: the tokens after `base` spell the field path.
    const pathAt = (i, parts) => tokens[i + 1]?.text === '->' &&
        parts.every((p, k) => tokens[i + 2 + 2 * k]?.text === p && (k === 0 || tokens[i + 1 + 2 * k]?.text === '.'));
    for (const field of fields) {
        const parts = field.split('.');
        const read = tokens.some((t, i) => t.kind === 'ident' &&
            ((variables.cpu.has(t.text) && pathAt(i, parts)) ||
                (parts[0] === 'env' && parts.length > 1 && variables.env.has(t.text) && pathAt(i, parts.slice(1)))));
        if (read)
            out.push(field);
    }
    return out;
}

/** Worst first: the order reports and annotations use. */
const CLASS_ORDER = ['new-model-required', 'type-2', 'safe'];
/** The factory every rule uses, so that a rule's meta is checked against its id. */
function classified(rule, meta, facts) {
    return { rule, ...facts, meta };
}
/** The factory of findings of two binaries, so that their meta is checked against the rule. */
function measuredClassified(rule, meta, facts) {
    return { rule, ...facts, meta };
}

function propsMap(props) {
    const m = new Map();
    for (const p of props)
        m.set(p.property, p);
    return m;
}
function diffProps(base, head, make) {
    const b = propsMap(base);
    const h = propsMap(head);
    const out = [];
    for (const [p, hv] of h) {
        const bv = b.get(p);
        if (!bv || bv.value !== hv.value)
            out.push(make(p, bv, hv));
    }
    for (const [p, bv] of b)
        if (!h.has(p))
            out.push(make(p, bv, undefined));
    return out;
}
const compatKey = (e) => `${e.driver}\0${e.property}`;
function diffCatalogs(base, head) {
    const out = [];
    const baseModels = new Map(base.models.map((m) => [m.name, m]));
    for (const hm of head.models) {
        const bm = baseModels.get(hm.name);
        if (!bm)
            continue; // New models are findings of their own, not causes of changes.
        out.push(...diffProps(bm.props, hm.props, (property, b, a) => ({
            kind: 'model-prop',
            model: hm.name,
            property,
            before: b?.value,
            after: a?.value,
            location: (a ?? b).location,
            side: a ? 'RIGHT' : 'LEFT',
        })));
        const bv = new Map(bm.versions.map((v) => [v.version, v]));
        for (const v of hm.versions) {
            const old = bv.get(v.version);
            if (!old)
                continue;
            out.push(...diffProps(old.props, v.props, (property, b, a) => ({
                kind: 'version-prop',
                model: hm.name,
                version: v.version,
                property,
                before: b?.value,
                after: a?.value,
                location: a?.location ?? (b ? b.location : v.location),
                side: a ? 'RIGHT' : 'LEFT',
            })));
        }
    }
    const setNames = new Set([...Object.keys(base.compatSets), ...Object.keys(head.compatSets)]);
    for (const name of setNames) {
        const b = new Map((base.compatSets[name]?.entries ?? []).filter((e) => e.target !== null).map((e) => [compatKey(e), e]));
        const h = new Map((head.compatSets[name]?.entries ?? []).filter((e) => e.target !== null).map((e) => [compatKey(e), e]));
        for (const [k, he] of h) {
            const be = b.get(k);
            if (!be || be.value !== he.value) {
                out.push({
                    kind: 'compat-entry',
                    set: name,
                    target: he.target,
                    property: he.property,
                    before: be?.value,
                    after: he.value,
                    location: he.location,
                    side: 'RIGHT',
                });
            }
        }
        for (const [k, be] of b) {
            if (!h.has(k))
                out.push({
                    kind: 'compat-entry',
                    set: name,
                    target: be.target,
                    property: be.property,
                    before: be.value,
                    location: be.location,
                    side: 'LEFT',
                });
        }
    }
    for (const accel of ['kvm', 'tcg']) {
        out.push(...diffProps(base.accelDefaults[accel], head.accelDefaults[accel], (property, b, a) => ({
            kind: 'accel-default',
            accel,
            property,
            before: b?.value,
            after: a?.value,
            location: (a ?? b).location,
            side: a ? 'RIGHT' : 'LEFT',
        })));
    }
    const instance = (p) => p in (head.instanceProperties ?? {}) || p in (base.instanceProperties ?? {});
    for (const [p, hv] of Object.entries(head.propertyDefaults)) {
        if (instance(p))
            continue; // A topology id's default is the machine's business, not a model's.
        const bv = base.propertyDefaults[p];
        if (bv !== undefined && bv !== hv)
            out.push({
                kind: 'property-default',
                property: p,
                before: bv,
                after: hv,
                location: head.propertyDefaultLocations?.[p],
                side: 'RIGHT',
            });
    }
    const baseMachines = new Map(base.machineTypes.map((m) => [m.name, m]));
    for (const hm of head.machineTypes) {
        const bm = baseMachines.get(hm.name);
        if (!bm)
            continue;
        const what = [];
        if (bm.compatSets.join() !== hm.compatSets.join())
            what.push(`compat arrays ${bm.compatSets.join(', ') || 'none'} → ${hm.compatSets.join(', ') || 'none'}`);
        const cpuVersionChanged = bm.defaultCpuVersion !== hm.defaultCpuVersion;
        if (cpuVersionChanged)
            what.push(`default CPU version ${bm.defaultCpuVersion} → ${hm.defaultCpuVersion}`);
        const acc = (m) => m.accelDefaultChanges.map((c) => `${c.accel}:${c.property}=${c.value}`).join();
        if (acc(bm) !== acc(hm))
            what.push(`accelerator defaults ${acc(bm) || 'none'} → ${acc(hm) || 'none'}`);
        if (what.length)
            out.push({
                kind: 'machine-type',
                machineType: hm.name,
                what: what.join('; '),
                ...(cpuVersionChanged
                    ? { defaultCpuVersion: { before: bm.defaultCpuVersion, after: hm.defaultCpuVersion } }
                    : {}),
                // The line that sets the version is the cause; the machine type's definition otherwise.
                location: (cpuVersionChanged && hm.defaultCpuVersionLocation) || hm.location,
                side: 'RIGHT',
            });
    }
    const rules = (c) => JSON.stringify([
        c.featureDependencies.map((d) => [d.feature, d.clears]),
        c.levelRules.map((r) => [r.property, r.atLeast, r.whenAny, r.enabledBy]),
        c.alwaysOn.map((p) => [p.property, p.value]),
        c.features.map((f) => [f.name, f.word, f.bit]),
    ]);
    if (rules(base) !== rules(head))
        out.push({
            kind: 'catalog-rule',
            what: 'feature names, dependencies or CPUID level rules',
            side: 'RIGHT',
        });
    return out;
}
/** Does a change reach this registered name (by its model and own name) on this machine type? */
function changeReaches(change, model, name, machineCompatSets, version) {
    switch (change.kind) {
        case 'model-prop':
            return change.model === model;
        case 'version-prop':
            return change.model === model && version !== 'legacy' && change.version <= version;
        case 'compat-entry':
            return machineCompatSets.includes(change.set) && (change.target === '*' || change.target === name);
        default:
            return true;
    }
}

/** Host requirements of an effective model: properties that are on and that the host must provide. */
function hostRequirements(catalog, props) {
    const out = new Set();
    const table = catalog.hostRequirements;
    // for...in, not Object.entries: this runs for every pair of machine types of every name, and
    // an effective model has hundreds of properties.
    for (const p in props) {
        if (props[p] !== true)
            continue;
        const kind = table.properties[p]?.kind ?? table.defaultKind;
        if (kind === 'none')
            continue;
        const needs = table.onlyWith?.[p];
        if (needs && props[needs] !== true)
            continue;
        out.add(p);
    }
    return out;
}
/** Two models registering the same name: the later one is unreachable. */
function nameConflicts(catalog) {
    const drafts = [];
    const seen = new Map();
    for (const n of registeredNames(catalog)) {
        const first = seen.get(n.name);
        if (first && first.model !== n.model) {
            drafts.push(classified('name-conflict', { name: n.name, first: first.model.name, again: n.model.name }, {
                class: 'new-model-required',
                models: [n.name],
                machineTypes: [],
                location: loc$1(n.location, 'RIGHT'),
            }));
        }
        else if (!first)
            seen.set(n.name, n);
    }
    return drafts;
}
/** Why each gained property is a host requirement; with one property, just the reason. */
/** Why the catalog's host-requirement table makes each of `props` a host requirement. */
function hostRequirementOf(catalog, props) {
    const table = catalog.hostRequirements;
    const reasons = {};
    for (const p of props) {
        const why = table.properties[p]?.why;
        if (why !== undefined)
            reasons[p] = why;
    }
    return { gained: props, cause: { source: 'table', defaultKind: table.defaultKind, reasons } };
}
/** Consecutive machine types of each family, oldest first. */
function consecutivePairs(machineTypes) {
    const pairs = [];
    for (let i = 1; i < machineTypes.length; i++) {
        if (machineTypes[i].family === machineTypes[i - 1].family)
            pairs.push([machineTypes[i - 1], machineTypes[i]]);
    }
    return pairs;
}
function fingerprint(rule, models, property, machineTypes) {
    return createHash('sha256')
        .update([rule, [...models].sort().join(','), property ?? '', machineTypes[0] ?? ''].join('\n'))
        .digest('hex')
        .slice(0, 16);
}
function loc$1(l, side) {
    return {
        path: l.path,
        line: l.line,
        ...(l.endLine && l.endLine !== l.line ? { endLine: l.endLine } : {}),
        side,
    };
}
/** The lines of a new version block for `model` carrying `props`: QEMU's own layout. */
function newVersionBlock(model, props) {
    const last = model.versions.at(-1);
    const next = last.version + 1;
    const value = (v) => (v === undefined ? '' : qemuValue$1(v));
    const propLines = props.map(([p, v]) => `                    { "${p}", "${value(v)}" },`);
    const block = [
        '            {',
        `                .version = ${next},`,
        '                .props = (PropValue[]) {',
        ...propLines,
        '                    { /* end of list */ }',
        '                },',
        '            },',
    ];
    const hasVersions = model.versions.length > 1 || last.location.line !== model.location.line;
    if (!hasVersions) {
        return {
            path: model.location.path,
            afterLine: (model.location.endLine ?? model.location.line) - 1,
            text: [
                '        .versions = (X86CPUVersionDefinition[]) {',
                '            { .version = 1 },',
                ...block,
                '            { /* end of list */ }',
                '        },',
            ].join('\n'),
        };
    }
    return {
        path: last.location.path,
        afterLine: last.location.endLine ?? last.location.line,
        text: block.join('\n'),
    };
}
function classifyMachineCatalog(input) {
    const { base, head, releasedNames } = input;
    const baseNames = new Map(registeredNames(base).map((n) => [n.name, n]));
    const headNames = new Map(registeredNames(head).map((n) => [n.name, n]));
    return [
        ...addedNames(base, head, baseNames, headNames),
        ...removedNames(baseNames, headNames, releasedNames),
        ...retargetedAliases(baseNames, headNames, releasedNames),
        ...nameConflicts(head),
        ...changedNames(input, baseNames, headNames),
    ];
}
/** New models, versions and aliases (invariant 3): nothing can be using them yet. */
function addedNames(base, head, baseNames, headNames) {
    const drafts = [];
    const newModels = head.models.filter((m) => !base.models.some((b) => b.name === m.name));
    for (const m of newModels) {
        const names = registeredNames(head)
            .filter((n) => n.model === m)
            .map((n) => n.name);
        drafts.push(classified('model-added', { model: m.name, names }, { class: 'safe', models: names, machineTypes: [], location: loc$1(m.location, 'RIGHT') }));
    }
    for (const [name, n] of headNames) {
        if (baseNames.has(name) || newModels.includes(n.model))
            continue;
        if (n.kind === 'versioned') {
            const alias = n.model.versions.find((v) => v.version === n.version)?.alias;
            drafts.push(classified('version-added', { model: n.model.name, name, ...(alias ? { alias } : {}) }, {
                class: 'safe',
                models: alias ? [name, alias] : [name],
                machineTypes: [],
                location: loc$1(n.location, 'RIGHT'),
            }));
        }
        else if (n.kind === 'alias' && baseNames.has(`${n.model.name}-v${n.version}`)) {
            drafts.push(classified('alias-added', { name, model: n.model.name, version: n.version }, { class: 'safe', models: [name], machineTypes: [], location: loc$1(n.location, 'RIGHT') }));
        }
    }
    return drafts;
}
/** Removed names, one finding per model and kind of removal (a model's names go together). */
function removedNames(baseNames, headNames, releasedNames) {
    const removals = new Map();
    for (const [name, n] of baseNames) {
        if (headNames.has(name))
            continue;
        const released = releasedNames.has(name);
        const key = `${n.model.name}\0${released}`;
        const r = removals.get(key);
        if (r)
            r.names.push(name);
        else
            removals.set(key, { names: [name], first: n, released });
    }
    return [...removals.values()].map(({ names, first, released }) => {
        const facts = { models: names, machineTypes: [], location: loc$1(first.location, 'LEFT') };
        const deprecated = first.model.deprecation;
        if (!released)
            return classified('unreleased-change', { kind: 'name-removed' }, { class: 'safe', ...facts });
        if (deprecated)
            return classified('deprecated-name-removed', { model: first.model.name, deprecation: deprecated.note }, { class: 'safe', ...facts });
        return classified('released-name-removed', { model: first.model.name }, { class: 'new-model-required', ...facts });
    });
}
/** Aliases that stand for another model version in head: VMs using the name see another CPU. */
function retargetedAliases(baseNames, headNames, releasedNames) {
    const drafts = [];
    for (const [name, n] of baseNames) {
        const now = headNames.get(name);
        if (!now || n.kind !== 'alias' || (now.model.name === n.model.name && now.version === n.version))
            continue;
        const retarget = {
            name,
            from: { model: n.model.name, version: n.version },
            to: { model: now.model.name, version: now.version },
        };
        const facts = { models: [name], machineTypes: [], location: loc$1(now.location, 'RIGHT') };
        drafts.push(releasedNames.has(name)
            ? classified('alias-retargeted', retarget, { class: 'new-model-required', ...facts })
            : classified('unreleased-change', { kind: 'alias-retargeted', ...retarget }, { class: 'safe', ...facts }));
    }
    return drafts;
}
/** Changes of names that exist in both (invariants 1 and 2), grouped by cause. */
function changedNames(input, baseNames, headNames) {
    const { base, head, releasedNames } = input;
    const changes = diffCatalogs(base, head);
    if (!changes.length)
        return [];
    const eb = new EffectiveModels(base);
    const eh = new EffectiveModels(head);
    const baseMachines = new Map(base.machineTypes.map((m) => [m.name, m]));
    const commonMachines = head.machineTypes.filter((m) => baseMachines.has(m.name));
    const releasedMachine = (m) => baseMachines.get(m.name)?.released ?? false;
    const candidates = namesReached(changes, baseNames, headNames);
    const drafts = [];
    const newProperties = newPropertyEffects(effectsOn(candidates, commonMachines, { base, head, eb, eh, releasedNames, releasedMachine }), base, head, eh, headNames);
    drafts.push(...newPropertyDrafts(newProperties, head, releasedMachine, commonMachines.length));
    const gains = hostGains(candidates, { base, head, eb, eh });
    for (const g of groupByCause(changes, newProperties.judged, gains, head, eh, headNames)) {
        for (const draft of draftsForGroup(g, head, changes, releasedMachine)) {
            const suggestion = draft.class === 'safe' || !input.headLine ? undefined : revertSuggestion(g.change, input.headLine);
            drafts.push(suggestion ? { ...draft, suggestion } : draft);
        }
    }
    return drafts;
}
/** The names of both revisions that the changes can reach. */
function namesReached(changes, baseNames, headNames) {
    const touchesAll = changes.some((c) => !['model-prop', 'version-prop', 'compat-entry'].includes(c.kind) ||
        (c.kind === 'compat-entry' && c.target === '*'));
    const touchedNames = new Set();
    for (const c of changes) {
        if (c.kind === 'model-prop' || c.kind === 'version-prop') {
            for (const n of headNames.values())
                if (n.model.name === c.model)
                    touchedNames.add(n.name);
        }
        else if (c.kind === 'compat-entry')
            touchedNames.add(c.target);
    }
    return [...headNames.values()].filter((n) => baseNames.has(n.name) && (touchesAll || touchedNames.has(n.name)));
}
/** Every property whose value changes for a name on a machine type both revisions have. */
function effectsOn(candidates, commonMachines, r) {
    const { base, head, eb, eh } = r;
    const effects = [];
    const headFeatures = new Set([...head.features, ...base.features].map((f) => f.name));
    // A feature never mentioned is off: undefined and false are the same to a guest. A knob new
    // in head (a property head declares with a default, which base lacks) is not: its `false`
    // may be the new behaviour, as compat entries tell.
    const changes = (before, after, p) => {
        if (before[p] === after[p])
            return false;
        const newKnob = before[p] === undefined &&
            !headFeatures.has(p) &&
            !(p in base.propertyDefaults) &&
            p in head.propertyDefaults;
        return newKnob || (before[p] ?? false) !== (after[p] ?? false);
    };
    // Machine types that nothing else tells apart share one effective model object, so the
    // properties that change are found once for each distinct pair of objects.
    const changedBetween = new Map();
    const changed = (before, after) => {
        let byAfter = changedBetween.get(before);
        if (!byAfter)
            changedBetween.set(before, (byAfter = new Map()));
        let props = byAfter.get(after);
        if (!props) {
            props = [];
            for (const p in before)
                if (changes(before, after, p))
                    props.push(p);
            for (const p in after)
                if (!(p in before) && changes(before, after, p))
                    props.push(p);
            byAfter.set(after, props);
        }
        return props;
    };
    for (const n of candidates) {
        for (const mt of commonMachines) {
            const before = eb.get(n.name, mt.name, 'kvm');
            const after = eh.get(n.name, mt.name, 'kvm');
            if (!before || !after)
                continue;
            const released = r.releasedMachine(mt) && r.releasedNames.has(n.name);
            for (const p of changed(before, after)) {
                effects.push({
                    name: n.name,
                    machineType: mt.name,
                    property: p,
                    before: before[p],
                    after: after[p],
                    released,
                });
            }
        }
    }
    return effects;
}
/** Host requirements a name has on a machine type of head and not on the one before it. */
function hostGains(candidates, r) {
    const { base, head, eb, eh } = r;
    const gains = [];
    const pairs = consecutivePairs(head.machineTypes);
    // A machine type is the newer side of one pair and the older side of the next: each
    // effective model's requirements are worked out once.
    const requirementsIn = (catalog) => {
        const known = new WeakMap();
        return (model) => {
            let req = known.get(model);
            if (!req)
                known.set(model, (req = hostRequirements(catalog, model)));
            return req;
        };
    };
    const headReq = requirementsIn(head);
    const baseReq = requirementsIn(base);
    for (const n of candidates) {
        for (const [t, u] of pairs) {
            const hu = eh.get(n.name, u.name, 'kvm');
            const ht = eh.get(n.name, t.name, 'kvm');
            if (!hu || !ht)
                continue;
            const reqT = headReq(ht);
            const bu = eb.get(n.name, u.name, 'kvm');
            const bt = eb.get(n.name, t.name, 'kvm');
            const baseGrowth = bu && bt ? setMinus(baseReq(bu), baseReq(bt)) : new Set();
            for (const p of headReq(hu)) {
                if (!reqT.has(p) && !baseGrowth.has(p))
                    gains.push({ name: n.name, from: t.name, to: u.name, property: p });
            }
        }
    }
    return gains;
}
/** Every effect and gain attributed to the change that explains it. */
function groupByCause(changes, effects, gains, head, eh, headNames) {
    const groups = new Map();
    const explain = (name, machineType, property) => {
        const n = headNames.get(name);
        const mt = eh.machineType(machineType);
        const version = resolveVersion(n, mt);
        const reaches = changes.filter((c) => c.kind === 'machine-type'
            ? c.machineType === machineType
            : changeReaches(c, n.model.name, name, mt.compatSets, version));
        const canonical = (c) => 'property' in c ? (head.minimumOf?.[c.property] ?? eh.canonicalProperty(c.property)) : undefined;
        // The change that sets this property wins; otherwise one that reaches it indirectly
        // (a dependency: `vmx` off clears every vmx-* feature).
        return (reaches.find((c) => canonical(c) === property) ??
            reaches.find((c) => !('property' in c)) ??
            reaches[0] ??
            changes[0]);
    };
    const group = (c) => {
        let g = groups.get(c);
        if (!g)
            groups.set(c, (g = { change: c, effects: [], gains: [] }));
        return g;
    };
    // Machine types that inherit one changed line (an option function the older ones run) change
    // by one cause: their changes share the group of the first.
    const byLine = new Map();
    const cause = (c) => {
        if (c.kind !== 'machine-type')
            return c;
        const key = `${c.location.path}:${c.location.line}:${c.what}`;
        const first = byLine.get(key);
        if (!first)
            byLine.set(key, c);
        return first ?? c;
    };
    for (const e of effects)
        group(cause(explain(e.name, e.machineType, e.property))).effects.push(e);
    for (const g of gains)
        group(cause(explain(g.name, g.to, g.property))).gains.push(g);
    return [...groups.values()];
}
function newPropertyEffects(effects, base, head, eh, headNames) {
    const out = {
        judged: [],
        confined: new Map(),
        uncovered: new Map(),
        byDefault: new Map(),
    };
    const add = (map, key, e) => {
        map.set(key, [...(map.get(key) ?? []), e]);
    };
    const sourceOf = newPropertySource(base, head, eh, headNames);
    for (const e of effects) {
        const source = sourceOf(e);
        if (source.kind === 'judged')
            out.judged.push(e);
        else if (source.kind === 'confined')
            add(out.confined, source.entry, e);
        else if (source.kind === 'uncovered')
            add(out.uncovered, source.entry, e);
        else
            add(out.byDefault, e.property, e);
    }
    return out;
}
/** For each effect, where its new value comes from when its property is new in head. */
function newPropertySource(base, head, eh, headNames) {
    // Newest compat arrays first, as machine types add them, so that the first match is the newest.
    const setOrder = uniq(head.machineTypes.flatMap((m) => m.compatSets));
    const allEntries = setOrder
        .flatMap((name) => head.compatSets[name]?.entries ?? [])
        .filter((x) => x.target !== null);
    const baseFeatures = new Set(base.features.map((f) => f.name));
    // New is what head declares as a CPU property and base does not know: a name that no table
    // declares is a feature of a catalog that lists only some (the generic format), off when unset.
    const isNew = (p) => !(p in base.propertyDefaults) && !baseFeatures.has(p) && p in head.propertyDefaults;
    const setsIt = (p, props) => props.some((x) => eh.canonicalProperty(x.property) === p);
    const setsFor = (x, e) => (x.target === '*' || x.target === e.name) &&
        (head.minimumOf?.[x.property] ?? eh.canonicalProperty(x.property)) === e.property;
    return (e) => {
        const hostGain = e.after === true && hostRequirements(head, { [e.property]: true }).has(e.property);
        if (!isNew(e.property) || hostGain)
            return { kind: 'judged' };
        const n = headNames.get(e.name);
        const mt = eh.machineType(e.machineType);
        const entry = eh
            .cpuCompatEntries(mt)
            .filter((x) => setsFor(x, e))
            .at(-1);
        if (entry)
            return eh.typedValue(e.property, entry.value) === e.after
                ? { kind: 'confined', entry }
                : { kind: 'judged' };
        const version = resolveVersion(n, mt);
        const setByCatalog = setsIt(e.property, n.model.props) ||
            (version !== 'legacy' &&
                n.model.versions.some((v) => v.version <= version && setsIt(e.property, v.props))) ||
            setsIt(e.property, head.accelDefaults.kvm) ||
            setsIt(e.property, head.alwaysOn);
        if (setByCatalog || head.propertyDefaults[e.property] !== e.after)
            return { kind: 'judged' };
        // A compat entry elsewhere that sets the property says what the old behaviour was, and so
        // that the default is the new one: machine types it does not reach have changed.
        const elsewhere = allEntries.find((x) => setsFor(x, e) && eh.typedValue(e.property, x.value) !== e.after);
        return elsewhere ? { kind: 'uncovered', entry: elsewhere } : { kind: 'by-default' };
    };
}
function newPropertyDrafts(np, head, releasedMachine, baseMachineTypes) {
    // The machine types that get a confined property's new default, when none of them is
    // released, are part of the same cause as the entry that confines it: one finding says both.
    const unreleasedDefaults = new Map();
    for (const [entry, effects] of np.uncovered) {
        if (np.confined.has(entry) && !effects.some((e) => e.released))
            unreleasedDefaults.set(entry, effects);
    }
    return [
        ...[...np.uncovered]
            .filter(([entry]) => !unreleasedDefaults.has(entry))
            .map(([entry, effects]) => uncoveredDraft(entry, effects, head, releasedMachine)),
        ...[...np.confined].map(([entry, effects]) => confinedDraft(entry, effects, unreleasedDefaults.get(entry) ?? [], head, baseMachineTypes)),
        ...[...np.byDefault].map(([property, effects]) => byDefaultDraft(property, effects, head, baseMachineTypes)),
    ];
}
function newPropertyEntry(entry, head) {
    const set = Object.values(head.compatSets).find((s) => s.entries.includes(entry));
    return {
        ...(set ? { set: set.name } : {}),
        target: entry.target,
        value: entry.value,
        path: entry.location.path,
        line: entry.location.line,
    };
}
/** A new property that a compat entry sets for some machine types, whose default reaches others. */
function uncoveredDraft(entry, effects, head, releasedMachine) {
    const property = effects[0].property;
    const released = effects.filter((e) => e.released);
    const keptBy = newPropertyEntry(entry, head);
    const value = head.propertyDefaults[property];
    const location = loc$1(entry.location, 'RIGHT');
    if (!released.length) {
        return classified('compat-confined-change', { kind: 'new-property-unreleased', keptBy }, {
            class: 'safe',
            models: uniq(effects.map((e) => e.name)),
            machineTypes: uniq(effects.map((e) => e.machineType)),
            property,
            before: null,
            after: value,
            location,
        });
    }
    const confining = newestReleasedCompatSet(head, releasedMachine);
    const driver = entry.target === '*' ? 'TYPE_X86_CPU' : `"${entry.target}" "-" TYPE_X86_CPU`;
    const line = `{ ${driver}, "${property}", "${entry.value}" },`;
    return classified('released-model-changed', { kind: 'new-property', keptBy, entry: line, ...(confining ? { addTo: confining.name } : {}) }, {
        class: 'new-model-required',
        models: uniq(released.map((e) => e.name)),
        machineTypes: uniq(released.map((e) => e.machineType)),
        property,
        before: null,
        after: value,
        location,
        ...(confining
            ? {
                fixLines: {
                    path: confining.location.path,
                    afterLine: confining.location.line,
                    text: `    ${line}`,
                },
            }
            : {}),
    });
}
/** A new property that a compat entry sets, on machine types the base had, to their old behaviour. */
function confinedDraft(entry, effects, unreleasedDefaults, head, baseMachineTypes) {
    const property = effects[0].property;
    const machineTypes = uniq(effects.map((e) => e.machineType));
    const newer = uniq(unreleasedDefaults.map((e) => e.machineType));
    return classified('compat-confined-change', {
        kind: 'new-property-confined',
        keptBy: newPropertyEntry(entry, head),
        confined: machineTypes.length,
        baseMachineTypes,
        ...(newer.length
            ? { newDefault: { value: head.propertyDefaults[property] ?? null, machineTypes: newer } }
            : {}),
    }, {
        class: 'safe',
        models: uniq(effects.map((e) => e.name)),
        machineTypes: newer.length ? newer : machineTypes,
        property,
        before: null,
        after: effects[0].after ?? null,
        location: loc$1(entry.location, 'RIGHT'),
    });
}
/** A new property that nothing sets: the machine types the base had take its default. */
function byDefaultDraft(property, effects, head, baseMachineTypes) {
    const at = head.propertyDefaultLocations?.[property];
    return classified('new-property-default', { ...(at ? { declaredAt: { path: at.path, line: at.line } } : {}), baseMachineTypes }, {
        class: 'safe',
        models: uniq(effects.map((e) => e.name)),
        machineTypes: uniq(effects.map((e) => e.machineType)),
        property,
        before: null,
        after: head.propertyDefaults[property],
        location: at ? loc$1(at, 'RIGHT') : { path: head.files[0] ?? '', line: 1, side: 'RIGHT' },
    });
}
/**
 * The compat array that the newest released machine type gets and the machine type after it
 * does not: where an entry keeps old behaviour for every released machine type.
 */
function newestReleasedCompatSet(head, releasedMachine) {
    for (const [t, u] of consecutivePairs(head.machineTypes).reverse()) {
        if (!releasedMachine(t) || releasedMachine(u))
            continue;
        const name = t.compatSets.find((s) => !u.compatSets.includes(s) && /^pc_compat_/.test(s)) ??
            t.compatSets.find((s) => !u.compatSets.includes(s));
        if (name && head.compatSets[name])
            return head.compatSets[name];
    }
    return undefined;
}
/** QEMU's spelling of a prop value inside `{ "prop", "value" }`. */
const qemuValue$1 = (v) => (v === true ? 'on' : v === false ? 'off' : String(v));
/**
 * A suggestion that undoes a change on the line that made it, where that is mechanical: a
 * version prop's value put back, or a feature term that stands alone on its line removed.
 */
function revertSuggestion(c, headLine) {
    if (c.side !== 'RIGHT' || !('location' in c) || !c.location)
        return undefined;
    const text = headLine(c.location.path, c.location.line);
    if (text === undefined)
        return undefined;
    const at = { path: c.location.path, startLine: c.location.line, endLine: c.location.line };
    if (c.kind === 'version-prop' && c.before !== undefined && c.after !== undefined) {
        const quoted = `"${qemuValue$1(c.after)}"`;
        if (text.split(quoted).length !== 2 || !text.includes(`"${c.property}"`))
            return undefined;
        return { ...at, replacement: text.replace(quoted, `"${qemuValue$1(c.before)}"`) };
    }
    if (c.kind === 'model-prop' &&
        c.before === undefined &&
        c.after === true &&
        /^\s*[A-Z][A-Z0-9_]*\s*\|?\s*$/.test(text)) {
        return { ...at, replacement: '' };
    }
    return undefined;
}
function setMinus(a, b) {
    const out = new Set();
    for (const x of a)
        if (!b.has(x))
            out.add(x);
    return out;
}
function uniq(xs) {
    return [...new Set(xs)];
}
/**
 * The findings of one cause: released names that change (new-model-required) and, where compat
 * keeps the released machine types of other names unchanged, what those names ask more of the
 * host on newer machine types (type-2), each on its own; otherwise what is safe about it.
 */
function draftsForGroup(g, head, changes, releasedMachine) {
    const releasedEffects = g.effects.filter((e) => e.released);
    const out = [];
    if (releasedEffects.length)
        out.push(releasedDraft(g, releasedEffects, head, releasedMachine));
    const gainedElsewhere = releasedEffects.length
        ? g.gains.filter((x) => !releasedEffects.some((e) => e.name === x.name))
        : g.gains;
    if (gainedElsewhere.length)
        out.push(gainsDraft({ ...g, gains: gainedElsewhere }, head, changes));
    if (!out.length)
        out.push(safeDraft(g, head, changes, releasedMachine));
    return out;
}
function causeLocation(c, head) {
    return c.location ? loc$1(c.location, c.side) : { path: head.files[0] ?? '', line: 1, side: 'RIGHT' };
}
/** The change without its place: the facts its findings state about it. */
function causeOf(c) {
    return Object.fromEntries(Object.entries(c).filter(([k]) => k !== 'location' && k !== 'side'));
}
const causeModel = (c, head) => 'model' in c ? head.models.find((m) => m.name === c.model) : undefined;
/** The name of the version a model's next change is added as. */
const nextVersion = (model) => `${model.name}-v${model.versions.at(-1).version + 1}`;
const setRef = (set) => ({
    name: set.name,
    path: set.location.path,
    line: set.location.line,
});
function releasedDraft(g, releasedEffects, head, releasedMachine) {
    const c = g.change;
    const property = 'property' in c ? c.property : (g.effects[0]?.property ?? g.gains[0]?.property);
    const gained = uniq(releasedEffects
        .filter((e) => e.after === true &&
        e.before !== true &&
        hostRequirements(head, { [e.property]: true }).has(e.property))
        .map((e) => e.property));
    const sample = releasedEffects.find((e) => e.property === property) ?? releasedEffects[0];
    const { remedy, fixLines } = releasedRemedy(c, sample, gained, head, releasedMachine);
    return classified('released-model-changed', { kind: 'change', cause: causeOf(c), remedy }, {
        class: 'new-model-required',
        models: uniq(releasedEffects.map((e) => e.name)),
        machineTypes: uniq(releasedEffects.map((e) => e.machineType)),
        property: sample.property,
        before: sample.before ?? null,
        after: sample.after ?? null,
        ...(gained.length ? { hostRequirement: hostRequirementOf(head, gained) } : {}),
        location: causeLocation(c, head),
        ...(fixLines ? { fixLines } : {}),
    });
}
/** How a change to released models is put right, and the lines that do it where they are mechanical. */
function releasedRemedy(c, sample, gained, head, releasedMachine) {
    const model = causeModel(c, head);
    if (model) {
        const fixLines = c.kind === 'model-prop' || c.kind === 'version-prop'
            ? newVersionBlock(model, [[c.property, c.after]])
            : undefined;
        return { remedy: { kind: 'new-version', name: nextVersion(model) }, fixLines };
    }
    const newest = newestReleasedCompatSet(head, releasedMachine);
    const insert = (set, entry) => ({
        path: set.location.path,
        afterLine: set.location.line,
        text: `    ${entry}`,
    });
    // A default every CPU shares (an accelerator default, a CPU property's default) is kept
    // for released machine types by one compat entry for every CPU in the newest released
    // machine type's compat array; unless it adds a host requirement, that makes it safe.
    if ((c.kind === 'accel-default' || c.kind === 'property-default') && c.before !== undefined) {
        const entry = `{ TYPE_X86_CPU, "${c.property}", "${qemuValue$1(c.before)}" },`;
        if (!gained.length && newest)
            return {
                remedy: { kind: 'keep-old-value', entry, set: newest.name },
                fixLines: newest.entries.length ? insert(newest, entry) : undefined,
            };
    }
    if (c.kind === 'compat-entry') {
        // An entry of a released compat array changes released machine types itself: the old value
        // belongs in the newest released array, with the new one as the default.
        const entry = sample.before !== undefined
            ? `{ ${c.target === '*' ? 'TYPE_X86_CPU' : `"${c.target}-" TYPE_X86_CPU`}, "${sample.property}", "${qemuValue$1(sample.before)}" },`
            : undefined;
        return {
            remedy: {
                kind: 'move-compat-entry',
                ...(entry ? { entry } : {}),
                ...(newest ? { newest: setRef(newest) } : {}),
            },
            fixLines: newest && entry ? insert(newest, entry) : undefined,
        };
    }
    if (gained.length)
        return { remedy: { kind: 'new-versions' } };
    return { remedy: { kind: 'revert', ...(newest ? { newest: setRef(newest) } : {}) } };
}
/** Compat entries of a cause, as their facts. */
const entryRefs = (entries) => entries.map((k) => ({
    set: k.set,
    property: k.property,
    value: String(k.after),
    path: k.location.path,
    line: k.location.line,
}));
function gainsDraft(g, head, changes) {
    const c = g.change;
    const model = causeModel(c, head);
    const models = uniq(g.gains.map((x) => x.name));
    const gained = uniq(g.gains.map((x) => x.property));
    // Compat entries of this change that keep released machine types as they were: they are why
    // only newer machine types see the gain.
    const keeping = changes.filter((x) => x.kind === 'compat-entry' &&
        x.side === 'RIGHT' &&
        gained.includes(head.minimumOf?.[x.property] ?? x.property) &&
        (x.target === '*' || models.includes(x.target)));
    const fixLines = model && c.kind === 'model-prop'
        ? newVersionBlock(model, gained.map((p) => [p, true]))
        : undefined;
    return classified('machine-type-host-requirement', {
        kind: 'change',
        cause: causeOf(c),
        olderMachineTypes: uniq(g.gains.map((x) => x.from)),
        keptBy: entryRefs(keeping),
        ...(model ? { newVersion: nextVersion(model) } : {}),
    }, {
        class: 'type-2',
        models,
        machineTypes: uniq(g.gains.map((x) => x.to)),
        property: gained[0],
        before: false,
        after: true,
        hostRequirement: hostRequirementOf(head, gained),
        location: causeLocation(c, head),
        ...(fixLines ? { fixLines } : {}),
    });
}
function safeDraft(g, head, changes, releasedMachine) {
    const c = g.change;
    const property = 'property' in c ? c.property : (g.effects[0]?.property ?? g.gains[0]?.property);
    const location = causeLocation(c, head);
    const models = uniq(g.effects.map((e) => e.name));
    const machineTypes = uniq(g.effects.map((e) => e.machineType));
    const onlyUnreleasedMachines = g.effects.every((e) => {
        const mt = head.machineTypes.find((m) => m.name === e.machineType);
        return mt ? !releasedMachine(mt) : true;
    });
    if (onlyUnreleasedMachines && machineTypes.length) {
        const sample = g.effects[0];
        const confiningEntries = changes.filter((x) => x.kind === 'compat-entry' && x !== c && x.property === property && x.side === 'RIGHT');
        return classified('compat-confined-change', { kind: 'change', cause: causeOf(c), keptBy: entryRefs(confiningEntries) }, {
            class: 'safe',
            models,
            machineTypes,
            property: sample.property,
            before: sample.before ?? null,
            after: sample.after ?? null,
            location,
        });
    }
    return classified('unreleased-change', { kind: 'change', cause: causeOf(c) }, { class: 'safe', models, machineTypes, ...(property ? { property } : {}), location });
}

/**
 * Code hunks: an edit inside a function that computes guest CPUID (the list in
 * parse/qemu-x86/cpuid-code.ts) is a cause of its own, since it reaches every machine type
 * that no CPU property keeps on the old behaviour. QEMU's answer to such patches is always
 * the same: gate the new behaviour on an `x-` CPU property and set it to the old one in the
 * compat array of every released machine type. This judges each hunk by that:
 *
 * - gated: the hunk's code (or an `if` around it) reads an X86CPU field that
 *   x86_cpu_properties[] binds to a property, and on every released machine type a compat
 *   entry sets that property away from its default: `safe`, naming the entry;
 * - half-gated: such entries reach only some released machine types: `new-model-required`;
 * - not gated: `new-model-required` with the verdict `review`, since a refactor can be harmless
 *   and the tables cannot tell.
 *
 * Hunks whose tokens do not change (comments, whitespace, code the build leaves out) are not
 * causes. Compat entries for x86 CPU properties that do not exist are errors.
 */
/** Rules whose findings are listed for review and fail only with `fail-on-review`. */
const REVIEW_RULES = new Set(['cpuid-code-ungated']);
/**
 * Changed lines closer than this are one hunk, as `git diff` with its default three lines of
 * context shows them: one finding per hunk a reviewer sees.
 */
const HUNK_GAP = 6;
function lineHunks(base, head) {
    const out = [];
    const { line, parts } = diffFromFirstChange(base, head);
    let b = line;
    let h = line;
    let open;
    for (const part of parts) {
        const n = part.count ?? 0;
        if (!part.added && !part.removed) {
            if (open)
                out.push(open);
            open = undefined;
            b += n;
            h += n;
            continue;
        }
        const last = out.at(-1);
        if (!open && last && h - last.headEnd <= HUNK_GAP)
            open = out.pop();
        open ??= { baseStart: b, baseEnd: b, headStart: h, headEnd: h };
        if (part.added) {
            h += n;
            open.headEnd = h;
        }
        else {
            b += n;
            open.baseEnd = b;
        }
    }
    if (open)
        out.push(open);
    return out;
}
const sameTexts = (a, b) => a !== undefined && a.length === b.length && a.every((t, k) => t.text === b[k].text);
function tokenChange(base, head) {
    const added = new Set();
    const removed = new Set();
    const addedTokens = [];
    const removedTokens = [];
    let b = 0;
    let h = 0;
    for (const part of diffArrays(base.map((t) => t.text), head.map((t) => t.text))) {
        const n = part.count ?? part.value.length;
        if (part.added)
            addedTokens.push(...head.slice(h, h + n));
        else if (part.removed)
            removedTokens.push(...base.slice(b, b + n));
        if (!part.added)
            b += n;
        if (!part.removed)
            h += n;
    }
    for (const t of addedTokens)
        added.add(t.line);
    for (const t of removedTokens)
        removed.add(t.line);
    return { added, removed, addedTokens, removedTokens };
}
/** Constants a run of tokens names (`CPUID_7_0_EDX_ARCH_CAPABILITIES`): what code moved carries along. */
const constantsOf = (tokens) => new Set(tokens.filter((t) => t.kind === 'ident' && /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(t.text)).map((t) => t.text));
function spanOf(s) {
    const lines = [s.line];
    const visit = (x) => {
        switch (x.kind) {
            case 'block':
                lines.push(x.line);
                x.body.forEach(visit);
                break;
            case 'if':
                lines.push(x.line, ...x.condition.map((t) => t.line));
                visit(x.then);
                if (x.else)
                    visit(x.else);
                break;
            case 'loop':
                lines.push(x.line, ...x.head.map((t) => t.line));
                visit(x.body);
                break;
            default:
                lines.push(...x.tokens.map((t) => t.line));
        }
    };
    visit(s);
    return { first: Math.min(...lines), last: Math.max(...lines) };
}
/**
 * What must hold for a branch to run, as far as a gate goes: the then-branch of
 * `if (a && b)` runs only when both hold, so each `&&` term without a top-level `||` gates it;
 * the else-branch gates on its condition only when that is a single test (`if (!cpu->x)`).
 */
function gatingTerms(condition, branch) {
    const terms = splitTopLevel(condition, '&&');
    if (branch === 'else')
        return terms.length === 1 && splitTopLevel(condition, '||').length === 1 ? condition : [];
    return terms.filter((t) => splitTopLevel(t, '||').length === 1).flat();
}
/** The gating terms of the `if`s whose branch holds lines `first..last` of the function. */
function enclosingConditions(statements, first, last) {
    const out = [];
    const inside = (s) => {
        const span = spanOf(s);
        return span.first <= first && span.last >= last;
    };
    const visit = (list) => {
        for (const s of list) {
            if (!inside(s))
                continue;
            if (s.kind === 'block')
                visit(s.body);
            else if (s.kind === 'loop')
                visit([s.body]);
            else if (s.kind === 'if') {
                for (const [which, branch] of [
                    ['then', s.then],
                    ['else', s.else],
                ]) {
                    if (branch && inside(branch)) {
                        out.push(...gatingTerms(s.condition, which));
                        visit([branch]);
                    }
                }
            }
        }
    };
    visit(statements);
    return out;
}
async function classifyCpuidCode(input) {
    const { base, head, baseCode, headCode } = input;
    const baseReleased = new Set(base.machineTypes.filter((m) => m.released).map((m) => m.name));
    const released = head.machineTypes.filter((m) => baseReleased.has(m.name));
    if (!released.length)
        return [];
    const eh = new EffectiveModels(head);
    // --- The hunks that change tokens of a guest-CPUID function ---
    const hunks = [];
    const paths = [...new Set([...headCode.functions, ...baseCode.functions].map((f) => f.path))];
    for (const path of paths) {
        const [b, h] = await Promise.all([input.baseText(path), input.headText(path)]);
        if (b === undefined || h === undefined || b === h)
            continue;
        const headFns = headCode.functions.filter((f) => f.path === path);
        const baseFns = new Map(baseCode.functions.filter((f) => f.path === path).map((f) => [f.name, f]));
        // A hunk counts only where it adds or removes tokens of a function: when every function
        // has the tokens it had, the file's changes lie elsewhere (a model table in cpu.c), and
        // its line diff, the costly part, is not needed.
        if (headFns.every((fn) => sameTexts(baseFns.get(fn.name)?.tokens, fn.tokens)))
            continue;
        const changes = new Map();
        const statements = new Map();
        for (const lh of lineHunks(b, h)) {
            for (const fn of headFns) {
                const lastHead = Math.max(lh.headStart, lh.headEnd - 1);
                if (fn.line > lastHead || fn.endLine < lh.headStart)
                    continue;
                const before = baseFns.get(fn.name);
                let change = changes.get(fn.name);
                if (!change)
                    changes.set(fn.name, (change = tokenChange(before?.tokens ?? [], fn.tokens)));
                const added = [...change.added]
                    .filter((l) => l >= lh.headStart && l < lh.headEnd)
                    .sort((x, y) => x - y);
                const removed = [...change.removed]
                    .filter((l) => l >= lh.baseStart && l < lh.baseEnd)
                    .sort((x, y) => x - y);
                if (!added.length && !removed.length)
                    continue; // comments, blanks, code the build leaves out
                let stmts = statements.get(fn.name);
                if (!stmts)
                    statements.set(fn.name, (stmts = parseStatements(fn.tokens, fn.path)));
                const onLines = fn.tokens.filter((t) => t.line >= lh.headStart && t.line < lh.headEnd);
                const first = added[0] ?? lh.headStart - 1;
                const last = added.at(-1) ?? lh.headStart - 1;
                hunks.push({
                    fn,
                    // A removal inside a line that stays is shown on that line; a removal of whole lines on the base side.
                    location: added.length
                        ? { path, line: added[0], side: 'RIGHT' }
                        : onLines.length
                            ? { path, line: onLines[0].line, side: 'RIGHT' }
                            : { path, line: removed[0], side: 'LEFT' },
                    reads: [...onLines, ...enclosingConditions(stmts, first, last)],
                    constants: constantsOf([
                        ...change.addedTokens.filter((t) => t.line >= lh.headStart && t.line < lh.headEnd),
                        ...change.removedTokens.filter((t) => t.line >= lh.baseStart && t.line < lh.baseEnd),
                    ]),
                    text: `${onLines.map((t) => t.text).join(' ')}\0${removed.join(',')}`,
                });
            }
        }
    }
    if (!hunks.length)
        return [];
    // --- Which CPU properties keep released machine types on the old behaviour ---
    const gates = new Map();
    const gateOf = (property) => {
        let g = gates.get(property);
        if (g)
            return g;
        const defaultValue = head.propertyDefaults[property];
        const covered = [];
        const uncovered = [];
        for (const mt of released) {
            const entry = eh
                .cpuCompatEntries(mt)
                .filter((e) => e.target === '*' && eh.canonicalProperty(e.property) === property)
                .at(-1);
            if (entry && eh.typedValue(property, entry.value) !== defaultValue)
                covered.push({ mt, entry });
            else
                uncovered.push(mt.name);
        }
        const newest = covered.at(-1)?.entry;
        const set = newest
            ? Object.values(head.compatSets).find((s) => s.entries.includes(newest))?.name
            : undefined;
        g = {
            property,
            status: !covered.length ? 'none' : uncovered.length ? 'half' : 'gated',
            entry: newest,
            set,
            defaultValue,
            uncovered,
        };
        gates.set(property, g);
        return g;
    };
    const fields = [...headCode.fieldProperties.entries()].filter(([, props]) => props.length === 1);
    const propertiesRead = (hk) => {
        const read = new Set(fieldsRead(hk.reads, fields.map(([f]) => f), hk.fn.cpuVariables));
        return fields.filter(([f]) => read.has(f)).map(([, props]) => props[0]);
    };
    const readByHunk = hunks.map(propertiesRead);
    // QEMU's repairs move code: the hunk that takes the old code out reads nothing, and the code
    // comes back behind the new property elsewhere. A hunk that reads no gate is gated by one the
    // change adds when a gated hunk of the same change adds or removes a constant it touches too.
    const movedBehind = (i) => {
        for (const [j, other] of hunks.entries()) {
            if (j === i)
                continue;
            const gate = readByHunk[j].map(gateOf).find((g) => g.status === 'gated' && !(g.property in base.propertyDefaults));
            const constant = gate && [...hunks[i].constants].find((c) => other.constants.has(c));
            if (gate && constant)
                return { gate, constant, fn: other.fn.name };
        }
        return undefined;
    };
    const releasedNames = released.map((m) => m.name);
    const confining = newestReleasedCompatSet(head, (m) => baseReleased.has(m.name));
    const findings = [];
    const compatGate = (g) => ({
        property: g.property,
        ...(g.set ? { set: g.set } : {}),
        entry: { path: g.entry.location.path, line: g.entry.location.line, value: g.entry.value },
        ...(g.defaultValue !== undefined ? { defaultValue: g.defaultValue } : {}),
    });
    hunks.forEach((hk, i) => {
        const hunk = { function: hk.fn.name, why: hk.fn.why };
        const fp = (rule) => fingerprint(rule, [hk.fn.name], createHash('sha256').update(hk.text).digest('hex').slice(0, 16), []);
        const own = readByHunk[i].map(gateOf);
        const gated = own.find((g) => g.status === 'gated');
        // Half-gated is a gate the change brings along whose entry misses released machine types (a
        // patch written for an older cycle). A knob the base already had, with entries for old
        // machine types only (`pmu`, `x-vendor-cpuid-only` up to 6.0), gates nothing the change adds.
        const half = own.find((g) => g.status === 'half' && !(g.property in base.propertyDefaults));
        const olderKnobs = own.filter((g) => g.status === 'half' && g !== half);
        const together = !gated && !half && !own.length ? movedBehind(i) : undefined;
        const g = gated ?? together?.gate;
        if (g) {
            findings.push(classified('cpuid-code-gated', {
                ...hunk,
                gate: compatGate(g),
                released: releasedNames.length,
                ...(together ? { movedBy: { constant: together.constant, function: together.fn } } : {}),
            }, {
                class: 'safe',
                models: [],
                machineTypes: [],
                property: g.property,
                before: g.entry ? eh.typedValue(g.property, g.entry.value) : null,
                after: g.defaultValue ?? null,
                location: hk.location,
                fingerprint: fp('cpuid-code-gated'),
            }));
            return;
        }
        if (half) {
            findings.push(classified('cpuid-code-half-gated', { ...hunk, gate: compatGate(half), ...(confining ? { confining: confining.name } : {}) }, {
                class: 'new-model-required',
                models: [],
                machineTypes: half.uncovered,
                property: half.property,
                before: eh.typedValue(half.property, half.entry.value),
                after: half.defaultValue ?? null,
                location: hk.location,
                fingerprint: fp('cpuid-code-half-gated'),
            }));
            return;
        }
        const property = `x-${hk.fn.name.replace(/^(x86_cpu_|cpu_x86_|kvm_arch_)/, '').replace(/_/g, '-')}-compat`;
        const field = property.slice(2).replace(/-/g, '_');
        findings.push(classified('cpuid-code-ungated', {
            ...hunk,
            reads: readByHunk[i],
            olderKnobs: olderKnobs.map((k) => ({
                property: k.property,
                ...(k.set ? { set: k.set } : {}),
                from: k.uncovered[0],
            })),
            suggested: { property, field },
            ...(confining ? { confining: confining.name } : {}),
        }, {
            class: 'new-model-required',
            models: [],
            machineTypes: releasedNames,
            location: hk.location,
            ...(confining
                ? {
                    fixLines: {
                        path: confining.location.path,
                        afterLine: confining.location.line,
                        text: `    ${ungatedCompatLine(property)}`,
                    },
                }
                : {}),
            fingerprint: fp('cpuid-code-ungated'),
        }));
    });
    return findings;
}
/** The compat entry that keeps released machine types on the old code, for a new `x-` property. */
const ungatedCompatLine = (property) => `{ TYPE_X86_CPU, "${property}", "false" },`;
/**
 * QEMU refuses a compat entry that sets a property the CPU does not have (a global property
 * that matches no property fails at start-up). Entries for every x86 CPU or for one model are
 * judged against head's x86 CPU properties: x86_cpu_properties[], the features and their
 * spellings, and what cpu.c adds in code. Entries for other CPU types (`host`, `max`, with
 * properties of their own) and for devices are not judged.
 */
function checkCompatReferences(base, head, baseCode, headCode) {
    const known = cpuProperties(head, headCode);
    const models = new Set(head.models.flatMap((m) => [
        m.name,
        ...m.versions.map((v) => `${m.name}-v${v.version}`),
        ...m.versions.flatMap((v) => (v.alias ? [v.alias] : [])),
    ]));
    const before = cpuProperties(base, baseCode);
    for (const set of Object.values(head.compatSets)) {
        for (const e of set.entries) {
            if (e.target === null || (e.target !== '*' && !models.has(e.target)) || known.has(e.property))
                continue;
            const at = baseCode.propertyLocations[e.property];
            throw new CatalogError(before.has(e.property)
                ? `${set.name} sets ${e.property}, a CPU property this change removes${at ? ` (it was defined at ${at.path}:${at.line} in base)` : ''}: QEMU refuses the machine types that apply it`
                : `${set.name} sets ${e.property}, which no x86 CPU has: QEMU refuses the machine types that apply it`, { path: e.location.path, line: e.location.line }, before.has(e.property)
                ? `keep the property (a compat entry needs it for as long as the machine type exists), or remove the entries that set it`
                : 'spell the property as x86_cpu_properties[] or the feature names define it');
        }
    }
}
function cpuProperties(catalog, code) {
    const out = new Set([
        ...Object.keys(catalog.propertyDefaults),
        ...Object.keys(catalog.instanceProperties ?? {}),
        ...Object.keys(catalog.minimumOf ?? {}),
        ...Object.keys(code.propertyLocations),
        ...code.classProperties,
    ]);
    for (const f of catalog.features)
        for (const alt of [f.name, f.name.replace(/[._]/g, '-'), f.name.replace(/[.-]/g, '_')])
            out.add(alt);
    return out;
}

function libvirtCatalog(map) {
    return {
        dir: map.dir,
        indexPath: map.dir === '.' ? 'index.xml' : `${map.dir}/index.xml`,
        models: new Map(Object.keys(map.models).map((name) => [name, effectiveLibvirtModel(map, name)])),
        files: map.files,
        notes: map.notes,
    };
}
/**
 * libvirt's x86ModelParseAncestor copies the base's data and subtracts the base's removed
 * features; the base's `added` and `removed` lists are not inherited. So a derived model
 * inherits only the base's required features, and marks act on the model whose file has them.
 */
function effectiveLibvirtModel(map, name) {
    const chain = [];
    for (let m = map.models[name]; m; m = m.base ? map.models[m.base.name] : undefined)
        chain.unshift(m);
    const self = chain[chain.length - 1];
    const out = {
        name,
        location: self.location,
        signatures: [],
        features: new Map(),
        lines: new Map(),
        chain: chain.map((m) => m.name),
    };
    // A feature listed twice is pointed at by its first line.
    for (const f of self.features)
        if (!out.lines.has(f.name))
            out.lines.set(f.name, f.location);
    for (const m of chain) {
        if (m.vendor) {
            const def = map.vendors[m.vendor.name];
            out.vendor = {
                name: m.vendor.name,
                string: def?.string ?? '',
                location: m.vendor.location,
                definition: def?.location ?? m.vendor.location,
            };
        }
        if (m.signatures.length)
            out.signatures = m.signatures;
        for (const [fname, f] of out.features)
            if (f.status !== 'required')
                out.features.delete(fname);
        for (const f of m.features) {
            const inherited = out.features.get(f.name);
            // An `added` mark on a feature the base's data already has leaves it in the data.
            if (f.added && !f.removed && inherited)
                continue;
            const def = map.features[f.name];
            out.features.set(f.name, {
                name: f.name,
                status: f.removed ? 'removed' : f.added ? 'added' : 'required',
                from: m.name,
                location: f.location,
                bits: def.bits,
                definition: def.location,
            });
        }
    }
    return out;
}
/**
 * A feature as a report shows it: `false` when the model lacks it, `true` when it is required,
 * else its mark (`removed='yes'`, `added='yes'`).
 */
function featureValue(f) {
    if (!f)
        return false;
    return f.status === 'added' ? "added='yes'" : f.status === 'removed' ? "removed='yes'" : true;
}
/** A line (1-based) of a file the catalog was read from; each file is split once, when first asked. */
function catalogLine(catalog) {
    const lines = new Map();
    return (path, line) => {
        if (!lines.has(path))
            lines.set(path, catalog.files[path]?.split('\n'));
        return lines.get(path)?.[line - 1];
    };
}

const CLASS_OF = {
    'libvirt-model-changed': 'new-model-required',
    'libvirt-model-removed': 'new-model-required',
    'libvirt-feature-added': 'safe',
    'libvirt-feature-removed': 'safe',
    'libvirt-model-added': 'safe',
    'unreleased-change': 'safe',
};
function classifyLibvirt(input) {
    const causes = groupedCauses(input);
    const drafts = causes.map(toFinding);
    drafts.push(...unchangedModelFiles(input.diff.files, causes));
    const rank = (c) => CLASS_ORDER.indexOf(c);
    return drafts.sort((a, b) => rank(a.class) - rank(b.class) ||
        a.location.path.localeCompare(b.location.path) ||
        a.location.line - b.location.line ||
        a.rule.localeCompare(b.rule));
}
/** The diff's changes judged and grouped by cause, in the order their first change comes. */
function groupedCauses({ diff, released, headLine }) {
    const causes = new Map();
    for (const change of diff.changes) {
        const j = judge(change, headLine);
        const isReleased = j.kind === 'model-added' || (released ? released.has(j.model) : true);
        const rule = isReleased ? ruleOf(j.kind) : 'unreleased-change';
        const key = [
            rule,
            j.kind,
            j.location.side,
            j.location.path,
            // A model added or removed, and the bits of a feature, are a cause each.
            ...(j.kind === 'model-added' || j.kind === 'model-removed' ? [j.location.line] : []),
            ...(j.kind === 'bits' ? [j.property] : []),
            String(j.before),
            String(j.after),
        ].join('|');
        let cause = causes.get(key);
        if (!cause) {
            cause = {
                rule,
                kind: j.kind,
                ...(j.before !== undefined ? { before: j.before } : {}),
                ...(j.after !== undefined ? { after: j.after } : {}),
                location: j.location,
                ...(j.via ? { via: j.via } : {}),
                properties: new Map(),
                models: new Set(),
                suggestions: [],
            };
            causes.set(key, cause);
        }
        cause.models.add(j.model);
        if (j.property !== undefined && !cause.properties.has(j.property)) {
            cause.properties.set(j.property, j.location.line);
            if (j.suggestion)
                cause.suggestions.push(j.suggestion);
        }
        if (j.location.line < cause.location.line)
            cause.location = j.location;
    }
    return [...causes.values()];
}
/**
 * What a change is under the rule. A feature the model gains is allowed only as a new line
 * marked `added='yes'`; one it loses only by `removed='yes'` on its own line (libvirt does not
 * disable a base's removed features in the models built on it).
 */
function judge(change, headLine) {
    const { model } = change;
    switch (change.kind) {
        case 'model-added':
            return { kind: 'model-added', model, location: at$1(change.head, 'RIGHT') };
        case 'model-removed':
            return { kind: 'model-removed', model, location: at$1(change.base, 'LEFT') };
        case 'feature-added': {
            const { head } = change;
            const kind = head.status === 'removed'
                ? 'feature-removed'
                : head.status === 'added'
                    ? 'feature-added'
                    : // A line that base had too, in the model that brings the feature in, changed its
                        // marks: the model built on it sees that change, not a new line.
                        head.value === true && !change.baseLine
                            ? 'gain'
                            : 'mark';
            const suggestion = kind === 'gain' ? addedYesSuggestion(head.location, headLine) : undefined;
            return {
                kind,
                model,
                property: change.feature,
                before: false,
                after: head.value,
                location: at$1(head.location, 'RIGHT'),
                ...(suggestion ? { suggestion } : {}),
            };
        }
        case 'feature-changed':
            return {
                kind: change.head.status === 'removed' && change.base.status !== 'removed' ? 'feature-removed' : 'mark',
                model,
                property: change.feature,
                before: change.base.value,
                after: change.head.value,
                location: at$1(change.head.location, 'RIGHT'),
            };
        case 'feature-removed':
            // Point at the line that took it out when head still has one.
            return {
                kind: 'loss',
                model,
                property: change.feature,
                before: change.base.value,
                after: false,
                ...(change.headLine
                    ? { location: at$1(change.headLine.location, 'RIGHT'), via: change.headLine.model }
                    : { location: at$1(change.base.location, 'LEFT') }),
            };
        case 'bits-changed':
            return { ...edit(change, 'bits', change.feature), location: at$1(change.head, 'RIGHT') };
        case 'vendor-changed':
            return { ...edit(change, 'vendor', 'vendor'), location: at$1(change.head, 'RIGHT') };
        case 'signature-changed':
            return { ...edit(change, 'signature', 'signature'), location: at$1(change.head, 'RIGHT') };
    }
}
function edit(change, kind, property) {
    return { kind, model: change.model, property, before: change.before, after: change.after };
}
function at$1(loc, side) {
    return loc.endLine !== undefined
        ? { path: loc.path, line: loc.line, endLine: loc.endLine, side }
        : { path: loc.path, line: loc.line, side };
}
/** The same `<feature .../>` line with `added='yes'`, when the element sits alone on its line. */
function addedYesSuggestion(loc, headLine) {
    if (loc.endLine !== undefined && loc.endLine !== loc.line)
        return undefined;
    const line = headLine?.(loc.path, loc.line);
    if (line === undefined)
        return undefined;
    const m = /^(\s*<feature\s+name=(['"])[^'"]+\2)(\s*)(\/>.*)$/.exec(line);
    if (!m)
        return undefined;
    const q = m[2];
    return {
        path: loc.path,
        startLine: loc.line,
        endLine: loc.line,
        replacement: `${m[1]} added=${q}yes${q}${m[3]}${m[4]}`,
    };
}
function ruleOf(kind) {
    switch (kind) {
        case 'feature-added':
            return 'libvirt-feature-added';
        case 'feature-removed':
            return 'libvirt-feature-removed';
        case 'model-added':
            return 'libvirt-model-added';
        case 'model-removed':
            return 'libvirt-model-removed';
        default:
            return 'libvirt-model-changed';
    }
}
function toFinding(c) {
    const models = [...c.models].sort();
    const features = [...c.properties.entries()]
        .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
        .map(([p]) => p);
    const facts = {
        class: CLASS_OF[c.rule],
        models,
        machineTypes: [],
        location: c.location,
        fingerprint: [c.rule, models.join(','), features.join(',')].join('|'),
        ...(features.length ? { property: features[0] } : {}),
        ...(features.length > 1 ? { properties: features } : {}),
        ...(c.before !== undefined ? { before: c.before } : {}),
        ...(c.after !== undefined ? { after: c.after } : {}),
    };
    const model = models[0];
    switch (c.rule) {
        case 'libvirt-model-added':
            return classified(c.rule, { model }, facts);
        case 'libvirt-model-removed':
            return classified(c.rule, { model }, facts);
        case 'libvirt-feature-added':
        case 'libvirt-feature-removed':
            return classified(c.rule, { models, features }, facts);
        case 'unreleased-change':
            return unreleasedChange$1(c, facts, features);
        case 'libvirt-model-changed':
            return modelChanged(c, facts, features);
    }
}
function modelChanged(c, facts, features) {
    const change = c.kind;
    const suggestion = markedRun(c);
    const gained = change === 'gain' || (change === 'mark' && c.after === true);
    return classified('libvirt-model-changed', {
        change,
        models: facts.models,
        features,
        before: c.before,
        after: c.after,
        ...(c.via ? { via: c.via } : {}),
    }, {
        ...facts,
        ...(suggestion ? { suggestion } : {}),
        ...(gained
            ? {
                hostRequirement: { gained: features, cause: { source: 'libvirt-feature' } },
            }
            : {}),
    });
}
/**
 * One suggestion per finding: the marked lines from the finding's first line on, as long as
 * they follow one another (GitHub applies a suggestion to one run of lines).
 */
function markedRun(c) {
    const run = [];
    for (const s of [...c.suggestions].sort((a, b) => a.startLine - b.startLine)) {
        const next = run.length ? run[run.length - 1].endLine + 1 : c.location.line;
        if (s.startLine === next && s.path === c.location.path)
            run.push(s);
    }
    if (!run.length)
        return undefined;
    return {
        path: run[0].path,
        startLine: run[0].startLine,
        endLine: run[run.length - 1].endLine,
        replacement: run.map((s) => s.replacement).join('\n'),
    };
}
function unreleasedChange$1(c, facts, features) {
    return classified('unreleased-change', {
        format: 'libvirt-cpu-map',
        change: c.kind === 'model-removed' ? 'model-removed' : 'model-changed',
        features,
        bits: c.kind === 'bits',
    }, facts);
}
/**
 * Edits that change no model (comments, order, decode hints, unused feature definitions) are
 * still said to be safe, once per file, so that a reviewer sees the file was looked at.
 */
function unchangedModelFiles(files, causes) {
    const touched = new Set(causes.map((c) => c.location.path));
    // index.xml changes with every added or removed model; those findings already explain it.
    const modelsComeAndGo = causes.some((c) => c.kind === 'model-added' || c.kind === 'model-removed');
    return files
        .filter((f) => !touched.has(f.path) && !(f.index && modelsComeAndGo))
        .map((f) => classified('no-effective-change', { format: 'libvirt-cpu-map', file: f.path, noLongerRead: f.side === 'LEFT' }, {
        class: 'safe',
        models: f.models,
        machineTypes: [],
        location: { path: f.path, line: f.line, side: f.side },
        fingerprint: ['no-effective-change', f.models.join(','), f.path].join('|'),
    }));
}

/**
 * What changed between two libvirt catalogs, model by model: the effective models compared,
 * each difference a typed change with the lines of base and head it rests on. Whether a
 * change is allowed is classification's business, not this.
 */
function diffLibvirtCatalogs(base, head) {
    const changes = [];
    for (const [name, b] of base.models) {
        const h = head.models.get(name);
        if (h)
            changes.push(...modelChanges(base, b, head, h));
        else
            changes.push({ kind: 'model-removed', model: name, base: b.location });
    }
    for (const [name, h] of head.models)
        if (!base.models.has(name))
            changes.push({ kind: 'model-added', model: name, head: h.location });
    return { changes, files: fileChanges(base, head) };
}
function featureSide(f) {
    return { status: f.status, value: featureValue(f), location: f.location, from: f.from };
}
function modelChanges(base, b, head, h) {
    const changes = [];
    for (const feature of new Set([...b.features.keys(), ...h.features.keys()])) {
        const bf = b.features.get(feature);
        const hf = h.features.get(feature);
        const change = featureChange(base, b, head, h, feature, bf, hf);
        if (change)
            changes.push(change);
        if (bf && hf && bf.bits !== hf.bits) {
            changes.push({
                kind: 'bits-changed',
                model: h.name,
                feature,
                before: bf.bits,
                after: hf.bits,
                base: bf.definition,
                head: hf.definition,
            });
        }
    }
    const vendor = vendorChange(b, h);
    if (vendor)
        changes.push(vendor);
    const signature = signatureChange(b, h);
    if (signature)
        changes.push(signature);
    return changes;
}
function featureChange(base, b, head, h, feature, bf, hf) {
    if (featureValue(bf) === featureValue(hf))
        return undefined;
    if (bf && hf)
        return { kind: 'feature-changed', model: h.name, feature, base: featureSide(bf), head: featureSide(hf) };
    if (hf) {
        const baseLine = base.models.get(hf.from)?.lines.get(feature);
        return {
            kind: 'feature-added',
            model: h.name,
            feature,
            head: featureSide(hf),
            ...(baseLine ? { baseLine } : {}),
        };
    }
    const headLine = lineInChain(head, h, feature);
    return {
        kind: 'feature-removed',
        model: b.name,
        feature,
        base: featureSide(bf),
        ...(headLine ? { headLine } : {}),
    };
}
/** The line of `feature` in a model of the chain of `m` (the model itself first), if any. */
function lineInChain(catalog, m, feature) {
    for (const name of [...m.chain].reverse()) {
        const location = catalog.models.get(name)?.lines.get(feature);
        if (location)
            return { model: name, location };
    }
    return undefined;
}
function vendorChange(b, h) {
    const text = (v) => (v ? `${v.name} (${v.string})` : 'none');
    if (text(b.vendor) === text(h.vendor))
        return undefined;
    // The same vendor with another string: the definition changed, not the model's line.
    const location = h.vendor && b.vendor?.name === h.vendor.name ? h.vendor.definition : (h.vendor?.location ?? h.location);
    return {
        kind: 'vendor-changed',
        model: h.name,
        before: text(b.vendor),
        after: text(h.vendor),
        head: location,
    };
}
function signatureChange(b, h) {
    const text = (m) => m.signatures
        .map((x) => x.text)
        .sort()
        .join('; ') || 'none';
    if (text(b) === text(h))
        return undefined;
    const known = new Set(b.signatures.map((s) => s.text));
    const changed = h.signatures.find((s) => !known.has(s.text));
    return {
        kind: 'signature-changed',
        model: h.name,
        before: text(b),
        after: text(h),
        head: changed?.location ?? h.location,
    };
}
function fileChanges(base, head) {
    const out = [];
    const paths = new Set([...Object.keys(base.files), ...Object.keys(head.files)]);
    for (const path of [...paths].sort()) {
        const b = base.files[path];
        const h = head.files[path];
        const line = h === undefined || b === undefined ? 1 : firstDifferentLine(b, h);
        if (line === undefined)
            continue;
        const side = h === undefined ? 'LEFT' : 'RIGHT';
        const models = [...(side === 'LEFT' ? base : head).models.values()]
            .filter((m) => m.location.path === path)
            .map((m) => m.name)
            .sort();
        out.push({ path, line, side, models, index: path === base.indexPath || path === head.indexPath });
    }
    return out;
}
/** The first line where two texts differ, or undefined when they are equal. */
function firstDifferentLine(a, b) {
    if (a === b)
        return undefined;
    const la = a.split('\n');
    const lb = b.split('\n');
    for (let i = 0; i < Math.max(la.length, lb.length); i++)
        if (la[i] !== lb[i])
            return i + 1;
    return 1;
}

const isCpuid = (f) => f.property?.startsWith('CPUID ') ?? false;
const propertiesOf$1 = (f) => f.properties ?? (f.property ? [f.property] : []);
const isCodeHunk = (f) => f.rule.startsWith('cpuid-code-') && f.meta !== undefined;
/** The words and verdict of verify's report are its own: the facts are what the join keeps. */
const WORDS_AND_VERDICT = new Set(['title', 'message', 'fix', 'verdict', 'waiver']);
function measuredFinding(f) {
    if (!f.meta || !('binaries' in f.meta))
        throw new Error(`joinMeasured: ${f.rule} at ${f.location.path} is not a finding of two binaries`);
    return Object.fromEntries(Object.entries(f).filter(([k]) => !WORDS_AND_VERDICT.has(k)));
}
function pairsOf(f, base) {
    return f.machineTypes.flatMap((t) => f.models.filter((m) => base.expansions[t]?.[m] !== undefined).map((m) => [t, m]));
}
function joinMeasured(input) {
    const { base, head } = input;
    const measuredChange = (t, m, p) => {
        const x = base.expansions[t]?.[m];
        const y = head.expansions[t]?.[m];
        return !!x && !!y && (Object.hasOwn(x, p) || Object.hasOwn(y, p)) && x[p] !== y[p];
    };
    const pairKey = (t, m) => `${t}\n${m}`;
    // Static findings: the pairs where the binaries show their property change.
    const confirmedPairs = new Set();
    const findings = input.findings.map((f) => {
        const properties = propertiesOf$1(f);
        if (isCodeHunk(f) || !properties.length)
            return f;
        const compared = pairsOf(f, base).filter(([t, m]) => head.expansions[t]?.[m] !== undefined);
        if (!compared.length)
            return f;
        const comparedBy = { base: base.binary, head: head.binary, properties, pairs: compared.length };
        const shown = compared.filter(([t, m]) => properties.some((p) => measuredChange(t, m, p)));
        if (!shown.length)
            return { ...f, comparedBy };
        for (const [t, m] of shown)
            confirmedPairs.add(pairKey(t, m));
        const models = [...new Set(shown.map(([, m]) => m))].sort();
        const machineTypes = input.machineTypes.filter((t) => shown.some(([x]) => x === t));
        return { ...f, comparedBy, confirmedBy: 'binaries', confirmedOn: { models, machineTypes } };
    });
    const staticProperties = new Map();
    for (const f of input.findings)
        for (const p of propertiesOf$1(f))
            for (const [t, m] of pairsOf(f, base)) {
                const k = pairKey(t, m);
                if (!staticProperties.has(k))
                    staticProperties.set(k, new Set());
                staticProperties.get(k).add(p);
            }
    const explained = (f) => pairsOf(f, base).some(([t, m]) => isCpuid(f)
        ? confirmedPairs.has(pairKey(t, m))
        : propertiesOf$1(f).some((p) => staticProperties.get(pairKey(t, m))?.has(p)));
    const hunk = input.findings.find(isCodeHunk);
    const inScope = new Set(input.machineTypes);
    let outOfScope = 0;
    const unexplained = [];
    /** The finding of verify each one narrowed to the catalog's machine types comes from. */
    const asMeasured = new Map();
    for (const f of input.measured) {
        const machineTypes = f.machineTypes.filter((t) => inScope.has(t));
        if (!machineTypes.length) {
            outOfScope++;
            continue;
        }
        const g = { ...f, machineTypes };
        asMeasured.set(g, f);
        if (!explained(g))
            unexplained.push(g);
    }
    // A CPUID difference whose every pair also shows one unexplained expansion property change
    // is that change as the guest reads it: one cause, one finding.
    const seenAs = new Map();
    const folded = new Set();
    for (const u of unexplained.filter(isCpuid)) {
        const pairs = pairsOf(u, base);
        const cause = unexplained.find((e) => !isCpuid(e) &&
            e.property !== undefined &&
            // Never folded into a milder finding: a knob only one binary has is safe, what it moves is not.
            CLASS_ORDER.indexOf(e.class) <= CLASS_ORDER.indexOf(u.class) &&
            pairs.every(([t, m]) => e.machineTypes.includes(t) && e.models.includes(m) && measuredChange(t, m, e.property)));
        if (!cause || !pairs.length)
            continue;
        seenAs.set(cause, [...(seenAs.get(cause) ?? []), ...propertiesOf$1(u)]);
        folded.add(u);
    }
    for (const f of unexplained) {
        if (folded.has(f))
            continue;
        const machineTypes = f.machineTypes;
        const guest = seenAs.get(f);
        findings.push(classified('measured-unexplained', {
            measured: measuredFinding(asMeasured.get(f)),
            ...(guest ? { guestReadsAs: guest } : {}),
            ...(hunk
                ? { hunk: { function: hunk.meta.function, path: hunk.location.path, line: hunk.location.line } }
                : {}),
        }, {
            class: f.class,
            models: f.models,
            machineTypes,
            ...(f.property !== undefined ? { property: f.property } : {}),
            ...(f.properties ? { properties: f.properties } : {}),
            ...(f.before !== undefined ? { before: f.before } : {}),
            ...(f.after !== undefined ? { after: f.after } : {}),
            // What two binaries measure gains features a KVM guest is given.
            ...(f.hostRequirement
                ? { hostRequirement: { gained: f.hostRequirement.gained, cause: { source: 'measured-feature' } } }
                : {}),
            location: hunk ? hunk.location : f.location,
            confirmedBy: 'binaries',
            fingerprint: fingerprint('measured-unexplained', f.models, propertiesOf$1(f).join(';') || undefined, machineTypes),
        }));
    }
    return { findings, outOfScope };
}

/**
 * One snapshot judged as a whole: every place where a newer machine type asks more of the host
 * than the one before it (each is a type-2 change that was made at some point), and names
 * registered twice. The findings are check's rules, with check's facts and words.
 */
function auditMachineCatalog(catalog) {
    const names = registeredNames(catalog);
    const findings = [...stepGains(catalog)].map((g) => {
        const models = [...g.names];
        const location = g.entry?.location ?? names.find((n) => n.name === models[0]).location;
        const keptBy = g.entry && g.set
            ? [
                {
                    set: g.set,
                    property: g.entry.property,
                    value: g.entry.value,
                    path: g.entry.location.path,
                    line: g.entry.location.line,
                },
            ]
            : [];
        return classified('machine-type-host-requirement', { kind: 'snapshot', olderMachineTypes: [...g.older], keptBy }, {
            class: 'type-2',
            models,
            machineTypes: [...g.machineTypes],
            property: g.property,
            before: false,
            after: true,
            hostRequirement: hostRequirementOf(catalog, [g.property]),
            location: { path: location.path, line: location.line, side: 'RIGHT' },
        });
    });
    findings.push(...nameConflicts(catalog));
    return findings;
}
/**
 * Each host requirement a machine type adds over the one before it, grouped by the compat entry
 * that keeps the older machine type without it (or, with none, by model, property and machine type).
 */
function stepGains(catalog) {
    const em = new EffectiveModels(catalog);
    const groups = new Map();
    const names = registeredNames(catalog);
    for (const [t, u] of consecutivePairs(catalog.machineTypes)) {
        const onlyOlder = t.compatSets.filter((s) => !u.compatSets.includes(s));
        for (const n of names) {
            const et = em.get(n.name, t.name, 'kvm');
            const eu = em.get(n.name, u.name, 'kvm');
            if (!et || !eu)
                continue;
            const older = hostRequirements(catalog, et);
            for (const p of hostRequirements(catalog, eu)) {
                if (older.has(p))
                    continue;
                // The cause: the compat entry that keeps the older machine type without it.
                const keeps = (e) => (e.target === '*' || e.target === n.name) && em.canonicalProperty(e.property) === p;
                const set = onlyOlder.find((s) => catalog.compatSets[s]?.entries.some(keeps));
                const entry = set ? catalog.compatSets[set].entries.find(keeps) : undefined;
                const key = entry
                    ? `${entry.location.path}:${entry.location.line}`
                    : `${n.model.name}\0${p}\0${u.name}`;
                let g = groups.get(key);
                if (!g)
                    groups.set(key, (g = {
                        ...(entry ? { entry, set } : {}),
                        names: new Set(),
                        machineTypes: new Set(),
                        older: new Set(),
                        property: p,
                    }));
                g.names.add(n.name);
                g.machineTypes.add(u.name);
                g.older.add(t.name);
            }
        }
    }
    return groups.values();
}

/** Whether a finding of this class fails the check under `fail-on`. */
function verdictFor(cls, failOn) {
    if (failOn === 'never' || cls === 'safe')
        return 'pass';
    if (failOn === 'new-model-required')
        return cls === 'new-model-required' ? 'fail' : 'pass';
    return 'fail';
}
/**
 * A finding's verdict. A rule that cannot tell a harmless refactor from a guest-visible change
 * (code that computes guest CPUID) is listed for review, and fails only with `fail-on-review`.
 */
function findingVerdict(f, failOn, failOnReview = false) {
    const verdict = verdictFor(f.class, failOn);
    if (!REVIEW_RULES.has(f.rule))
        return verdict;
    return verdict === 'fail' && failOnReview ? 'fail' : 'review';
}

/**
 * Waivers: a project accepting a finding knowingly, with its reason. A waiver never hides a
 * finding; it marks it `waived` and carries the reason into every report. A waiver past its
 * expiry stops applying, and both expired and unused waivers are reported, so that
 * acceptances do not outlive the situation they were written for.
 */
/** The function whose code a finding's cause changes (a code hunk's), when its facts name one. */
function functionOf(finding) {
    const meta = finding.meta;
    return meta && 'function' in meta ? meta.function : undefined;
}
/** `expires` is the last day a waiver applies; dates are ISO `YYYY-MM-DD`, so they compare as text. */
function isExpired(waiver, today) {
    return waiver.expires !== undefined && waiver.expires < today;
}
function waiverMatches(waiver, finding) {
    if (waiver.rule !== finding.rule)
        return false;
    // A finding grouped by cause lists several properties; a waiver for any one of them matches.
    if (waiver.property !== undefined &&
        waiver.property !== finding.property &&
        !finding.properties?.includes(waiver.property))
        return false;
    // Every subject the waiver names must be the finding's: a model it concerns, the function or
    // file its code hunk changes. A waiver names at least one (the configuration requires it).
    const fn = functionOf(finding);
    if (waiver.models.length && !finding.models.some((m) => matchesAny(m, waiver.models)))
        return false;
    if (waiver.functions && !(fn !== undefined && matchesAny(fn, waiver.functions)))
        return false;
    if (waiver.paths && !matchesAny(finding.location.path, waiver.paths))
        return false;
    return waiver.models.length > 0 || waiver.functions !== undefined || waiver.paths !== undefined;
}
/**
 * Applies waivers to findings. `today` is `YYYY-MM-DD` (the caller's clock, so reports are
 * reproducible). The first matching waiver in configuration order wins. Safe findings are
 * never waived: there is nothing to accept.
 */
function applyWaivers(findings, waivers, today) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(today))
        throw new Error(`applyWaivers: today must be YYYY-MM-DD, got ${today}`);
    const expired = waivers.filter((w) => isExpired(w, today));
    const inForce = waivers.filter((w) => !isExpired(w, today));
    const used = new Set();
    const out = findings.map((finding) => {
        if (finding.class === 'safe')
            return finding;
        const waiver = inForce.find((w) => waiverMatches(w, finding));
        if (!waiver)
            return finding;
        used.add(waiver);
        // A finding below the fail threshold keeps its verdict but still shows the waiver's reason.
        return {
            ...finding,
            waiver,
            verdict: finding.verdict === 'fail' ? 'waived' : finding.verdict,
        };
    });
    return { findings: out, unused: inForce.filter((w) => !used.has(w)), expired };
}

/**
 * Reader of libvirt's x86 CPU map (format `libvirt-cpu-map`): `index.xml`, the vendors, the
 * feature definitions (CPUID and MSR bits) and the model files. libvirt has no machine
 * types: a model is one fixed list of features, optionally on top of another model
 * (`<model name='base'/>`), and features added after release carry `added='yes'`. The models
 * as libvirt builds them from this are src/catalog/libvirt.ts's.
 */
const LIBVIRT_FORMAT = 'libvirt-cpu-map';
/** More files than any libvirt release has, far fewer than a runaway include list. */
const MAX_FILES = 2000;
/** Attributes in a stable order, so that reordering them is not a change. */
function canonicalAttributes(attrs, skip = []) {
    return Object.keys(attrs)
        .filter((k) => !skip.includes(k))
        .sort()
        .map((k) => `${k}=${normaliseNumber(attrs[k])}`)
        .join(' ');
}
/** `0x00000007` and `0x7` are the same register value. */
function normaliseNumber(v) {
    return /^0x[0-9a-f]+$/i.test(v) ? `0x${BigInt(v).toString(16)}` : v;
}
/** Finds index.xml: at the catalog root (`src/cpu_map` given directly) or under a libvirt tree. */
async function findIndex(source) {
    for (const dir of ['.', 'src/cpu_map']) {
        const text = await source.readFile(dir === '.' ? 'index.xml' : `${dir}/index.xml`);
        if (text !== undefined)
            return { dir, text };
    }
    throw new CatalogError(`no cpu_map index.xml in ${source.label} (looked for index.xml and src/cpu_map/index.xml)`, { path: 'index.xml' }, "point the catalog path at libvirt's source tree or at its src/cpu_map folder");
}
/** Reads the x86 part of a cpu_map through a catalog source. */
async function readLibvirtCpuMap(source) {
    // The XML parser loads with the first cpu_map read: runs that read none never pay for it.
    const { parseXml } = await import('./shared-xml.js');
    const { dir, text: indexText } = await findIndex(source);
    const rel = (file) => (dir === '.' ? file : path.posix.join(dir, file));
    const indexPath = rel('index.xml');
    const map = {
        format: LIBVIRT_FORMAT,
        dir,
        // Keyed by names from the XML: without a prototype, a model, feature or vendor named
        // `constructor` or `__proto__` is found only when the map defines it.
        vendors: Object.create(null),
        features: Object.create(null),
        models: Object.create(null),
        files: Object.assign(Object.create(null), { [indexPath]: indexText }),
        notes: [],
    };
    const index = parseXml(indexText, indexPath);
    if (index.name !== 'cpus') {
        throw new CatalogError(`${indexPath} has root <${index.name}>, expected <cpus>`, { path: indexPath, line: index.line }, "is this libvirt's cpu_map?");
    }
    const x86 = index.children.find((c) => c.name === 'arch' && c.attributes['name'] === 'x86');
    if (!x86) {
        throw new CatalogError(`${indexPath} has no <arch name='x86'>`, { path: indexPath, line: index.line }, 'only the x86 CPU map is checked');
    }
    const otherArchs = index.children
        .filter((c) => c.name === 'arch' && c !== x86)
        .map((c) => c.attributes['name']);
    if (otherArchs.length) {
        map.notes.push(`only the x86 models are checked; ${otherArchs.join(', ')} follow other compatibility promises`);
    }
    const includes = [];
    const collect = (el) => {
        for (const c of el.children) {
            if (c.name === 'include') {
                const file = c.attributes['filename'];
                if (!file || file.includes('/') || file.startsWith('.')) {
                    throw new CatalogError(`include without a plain file name`, { path: indexPath, line: c.line }, "write <include filename='x86_Model.xml'/>");
                }
                includes.push({ file, line: c.line });
            }
            else if (c.name === 'group')
                collect(c);
        }
    };
    collect(x86);
    if (includes.length > MAX_FILES) {
        throw new CatalogError(`${indexPath} includes ${includes.length} files, more than ${MAX_FILES}`, { path: indexPath }, 'this is not a cpu_map');
    }
    // Read every file at once: a git source runs one process per file.
    const texts = await Promise.all(includes.map((inc) => source.readFile(rel(inc.file))));
    includes.forEach((inc, i) => {
        const file = rel(inc.file);
        const text = texts[i];
        if (text === undefined) {
            throw new CatalogError(`${indexPath} includes ${inc.file}, which does not exist`, { path: indexPath, line: inc.line }, 'add the file or remove the include');
        }
        map.files[file] = text;
        readFile(map, file, parseXml(text, file));
    });
    check$1(map);
    return map;
}
function loc(file, el) {
    return el.endLine > el.line
        ? { path: file, line: el.line, endLine: el.endLine }
        : { path: file, line: el.line };
}
function requireName(file, el) {
    const name = el.attributes['name'];
    if (!name)
        throw new CatalogError(`<${el.name}> without a name`, { path: file, line: el.line }, `give the ${el.name} a name='...' attribute`);
    return name;
}
function readFile(map, file, root) {
    if (root.name !== 'cpus') {
        throw new CatalogError(`${file} has root <${root.name}>, expected <cpus>`, { path: file, line: root.line }, 'cpu_map files hold <cpus>');
    }
    for (const el of root.children) {
        if (el.name === 'vendor') {
            const name = requireName(file, el);
            map.vendors[name] = { string: el.attributes['string'] ?? '', location: loc(file, el) };
        }
        else if (el.name === 'feature') {
            const name = requireName(file, el);
            if (map.features[name]) {
                throw new CatalogError(`feature ${name} is defined twice (first at ${map.features[name].location.path}:${map.features[name].location.line})`, { path: file, line: el.line }, 'define each feature once');
            }
            const bits = el.children
                .filter((c) => c.name === 'cpuid' || c.name === 'msr')
                .map((c) => `${c.name} ${canonicalAttributes(c.attributes)}`)
                .join('; ');
            const def = {
                name,
                bits,
                aliases: el.children.filter((c) => c.name === 'alias').map((c) => c.attributes['name'] ?? ''),
                location: loc(file, el),
            };
            if (el.attributes['migratable'] !== undefined)
                def.migratable = el.attributes['migratable'];
            map.features[name] = def;
        }
        else if (el.name === 'model') {
            const name = requireName(file, el);
            const prior = map.models[name];
            if (prior) {
                throw new CatalogError(`model ${name} is defined twice (first at ${prior.location.path}:${prior.location.line})`, { path: file, line: el.line }, 'define each model once');
            }
            map.models[name] = readModel(file, el, name);
        }
    }
}
function readModel(file, el, name) {
    const model = { name, location: loc(file, el), signatures: [], features: [] };
    // libvirt reads the first of two; a second one is a mistake, not a choice to make silently.
    const once = (prior, what, c) => {
        if (prior)
            throw new CatalogError(`model ${name} names a second ${what} (the first is at line ${prior.location.line})`, { path: file, line: c.line }, `a model has one ${what}`);
    };
    for (const c of el.children) {
        switch (c.name) {
            case 'vendor':
                once(model.vendor, 'vendor', c);
                model.vendor = { name: requireName(file, c), location: loc(file, c) };
                break;
            case 'signature':
                model.signatures.push({ text: canonicalAttributes(c.attributes), location: loc(file, c) });
                break;
            case 'model':
                once(model.base, 'base model', c);
                model.base = { name: requireName(file, c), location: loc(file, c) };
                break;
            case 'feature': {
                const fname = requireName(file, c);
                const flag = (attr) => {
                    const v = c.attributes[attr];
                    if (v !== undefined && v !== 'yes' && v !== 'no') {
                        throw new CatalogError(`feature ${fname}: ${attr}='${v}'`, { path: file, line: c.line }, `${attr} is 'yes' or 'no'`);
                    }
                    return v === 'yes';
                };
                model.features.push({
                    name: fname,
                    added: flag('added'),
                    removed: flag('removed'),
                    extra: canonicalAttributes(c.attributes, ['name', 'added', 'removed']),
                    location: loc(file, c),
                });
                break;
            }
            case 'decode':
                model.decode = canonicalAttributes(c.attributes);
                break;
            case 'check':
                model.check = canonicalAttributes(c.attributes);
                break;
            default:
                throw new CatalogError(`model ${name} has an element <${c.name}> this reader does not know`, { path: file, line: c.line }, 'a model holds vendor, signature, model, feature, decode and check elements; if libvirt added a new one, please report it');
        }
    }
    return model;
}
/** What libvirt itself would refuse to load: caught here so that no finding rests on it. */
function check$1(map) {
    for (const model of Object.values(map.models)) {
        if (model.base && !map.models[model.base.name]) {
            throw new CatalogError(`model ${model.name} is based on ${model.base.name}, which is not defined`, model.base.location, 'include the base model first');
        }
        if (model.vendor && !map.vendors[model.vendor.name]) {
            throw new CatalogError(`model ${model.name} names vendor ${model.vendor.name}, which is not defined`, model.vendor.location, `known vendors: ${Object.keys(map.vendors).join(', ')}`);
        }
        for (const f of model.features) {
            if (!map.features[f.name]) {
                throw new CatalogError(`model ${model.name} uses feature ${f.name}, which x86_features.xml does not define`, f.location, 'define the feature first, or fix its name');
            }
        }
    }
    for (const model of Object.values(map.models)) {
        const seen = new Set();
        for (let m = model; m?.base; m = map.models[m.base.name]) {
            if (seen.has(m.name)) {
                throw new CatalogError(`model ${model.name} is based on itself through ${[...seen].join(' -> ')}`, model.location, 'break the cycle of <model name=.../> bases');
            }
            seen.add(m.name);
        }
    }
}

/**
 * QEMU's automatic CPUID level, read from the tree: `x86_cpu_expand_features()` raises the
 * minimum (x)level to the leaf of every feature word in use (`x86_cpu_adjust_feat_level`, whose
 * `switch (region)` says which minimum each leaf region raises) and to fixed leaves under
 * conditions on features and CPU properties (`if (env->features[W] & BIT)`, `if
 * (cpu->full_cpuid_auto_level)`). Every condition above a level adjustment is evaluated; one the
 * reader cannot evaluate is an error naming its line, never a rule guessed or left out.
 */
/**
 * Conditions on the VM's configuration rather than on the CPU model: the topology given with
 * `-smp` and confidential guests (SEV). Effective models describe QEMU's default configuration,
 * one CPU and no confidential guest, where each of these is false.
 */
const DEFAULT_CONFIGURATION_FALSE = [
    { pattern: /^sev_enabled \( \)$/, what: 'SEV is not enabled' },
    { pattern: /^env -> nr_dies > 1$/, what: 'one die' },
    { pattern: /^x86_has_cpuid_0x1f \( cpu \)$/, what: 'no multi-die or multi-module topology' },
    { pattern: /^x86_has_extended_topo \( .* \)$/, what: 'no multi-die or multi-module topology' },
];
const FALSE = { kind: 'false' };
const TRUE = { kind: 'true' };
function and(a, b) {
    if (a.kind === 'false' || b.kind === 'false')
        return FALSE;
    if (a.kind === 'unknown')
        return a;
    if (b.kind === 'unknown')
        return b;
    if (a.kind === 'true')
        return b;
    if (b.kind === 'true')
        return a;
    return { kind: 'all', groups: [...a.groups, ...b.groups], knobs: [...a.knobs, ...b.knobs] };
}
function or(a, b, line) {
    if (a.kind === 'true' || b.kind === 'true')
        return TRUE;
    if (a.kind === 'false')
        return b;
    if (b.kind === 'false')
        return a;
    if (a.kind === 'unknown')
        return a;
    if (b.kind === 'unknown')
        return b;
    if (!a.knobs.length && !b.knobs.length && a.groups.length === 1 && b.groups.length === 1)
        return { kind: 'all', groups: [[...a.groups[0], ...b.groups[0]]], knobs: [] };
    return { kind: 'unknown', why: 'an || of conditions that are not all feature tests', line };
}
function not(a, line) {
    if (a.kind === 'true')
        return FALSE;
    if (a.kind === 'false')
        return TRUE;
    if (a.kind === 'unknown')
        return a;
    return { kind: 'unknown', why: 'a negated feature test or CPU property', line };
}
function readLevelRules(tree, cpu) {
    const path = tree.path('cpuC');
    function fail(message, line) {
        throw new CatalogError(message, { path, line }, "cpu-model-guard follows x86_cpu_expand_features() to compute QEMU's automatic CPUID level");
    }
    const expand = findFunction(tree, 'x86_cpu_expand_features', ['cpuC']);
    if (!expand)
        return fail('x86_cpu_expand_features() was not found');
    const adjustFeat = findFunction(tree, 'x86_cpu_adjust_feat_level', ['cpuC']);
    if (!adjustFeat)
        return fail('x86_cpu_adjust_feat_level() was not found');
    // x86_cpu_adjust_feat_level: `region = eax & MASK; switch (region) { case R: adjust(min_X) }`.
    const featBody = parseStatements(adjustFeat.body.tokens, path);
    let regionMask;
    const regionTarget = new Map();
    const visit = (stmts, inRegionSwitch, caseValue) => {
        let current = caseValue;
        for (const st of stmts) {
            if (st.kind === 'block')
                visit(st.body, inRegionSwitch, current);
            else if (st.kind === 'loop' && st.keyword === 'switch') {
                visit([st.body], tokenText(st.head) === 'region');
            }
            else if (st.kind === 'label' && inRegionSwitch) {
                current = st.tokens[0]?.text === 'case' ? cpu.evalTokens('cpuC', st.tokens.slice(1)) : undefined;
            }
            else if (st.kind === 'expr') {
                const text = tokenText(st.tokens);
                const m = /\bregion = eax & (.+)$/.exec(text);
                if (m)
                    regionMask = cpu.evalTokens('cpuC', st.tokens.slice(st.tokens.findIndex((t) => t.text === '&') + 1));
                const adj = /^x86_cpu_adjust_level \( cpu , & env -> (cpuid_min_\w+) , eax \)$/.exec(text);
                if (adj && inRegionSwitch) {
                    if (current === undefined)
                        fail('x86_cpu_adjust_feat_level: a level adjustment outside a case', st.line);
                    regionTarget.set(current, adj[1]);
                }
            }
        }
    };
    visit(featBody, false);
    if (regionMask === undefined || !regionTarget.size) {
        fail('x86_cpu_adjust_feat_level() does not have the form `region = eax & MASK; switch (region) { case ...: x86_cpu_adjust_level(cpu, &env->cpuid_min_X, eax); }`', adjustFeat.body.line);
    }
    const body = parseStatements(expand.body.tokens, path);
    // `if (env->cpuid_level == UINT32_MAX) env->cpuid_level = env->cpuid_min_level;`: which
    // property each minimum becomes when the property itself is not set.
    const minimumFeeds = new Map();
    const collectFeeds = (stmts) => {
        for (const st of stmts) {
            if (st.kind === 'block')
                collectFeeds(st.body);
            else if (st.kind === 'if')
                collectFeeds([st.then, ...(st.else ? [st.else] : [])]);
            else if (st.kind === 'expr') {
                const m = /^env -> (cpuid_\w+) = env -> (cpuid_min_\w+)$/.exec(tokenText(st.tokens));
                if (m)
                    minimumFeeds.set(m[2], m[1]);
            }
        }
    };
    collectFeeds(body);
    /** The property a minimum raises, or undefined for derived values outside the catalog. */
    const propertyOfMinimum = (field, line) => {
        const fed = minimumFeeds.get(field);
        if (!fed)
            return fail(`${field} is raised but never becomes a CPUID level`, line);
        const property = cpu.propertyOfField.get(`env.${fed}`);
        // level-func7 and the like are derived at realization: not part of the catalog.
        return property && ['level', 'xlevel', 'xlevel2'].includes(property) ? property : undefined;
    };
    const atom = (tokens) => {
        const line = tokens[0]?.line ?? expand.body.line;
        const text = tokenText(tokens);
        const word = /^env -> features \[ (FEAT_\w+) \]( & .+)?$/.exec(text);
        if (word) {
            const names = cpu.featureNames.get(word[1]);
            if (!names)
                return fail(`unknown feature word ${word[1]}`, line);
            const features = word[2]
                ? cpu.namesOfBits('cpuC', word[1], cpu.evalTokens('cpuC', tokens.slice(tokens.findIndex((t) => t.text === '&') + 1)), line, false)
                : names.filter((n) => !!n);
            return features.length ? { kind: 'all', groups: [features], knobs: [] } : FALSE;
        }
        const knob = /^cpu -> (\w+)$/.exec(text);
        if (knob) {
            const property = cpu.propertyOfField.get(knob[1]);
            return property
                ? { kind: 'all', groups: [], knobs: [property] }
                : { kind: 'unknown', why: `cpu->${knob[1]} is not a CPU property`, line };
        }
        if (DEFAULT_CONFIGURATION_FALSE.some((c) => c.pattern.test(text)))
            return FALSE;
        return { kind: 'unknown', why: `'${text}'`, line };
    };
    const condition = (tokens) => {
        const line = tokens[0]?.line ?? expand.body.line;
        const ors = splitTopLevel(tokens, '||');
        if (ors.length > 1)
            return ors.map(condition).reduce((a, b) => or(a, b, line));
        const ands = splitTopLevel(tokens, '&&');
        if (ands.length > 1)
            return ands.map(condition).reduce(and);
        if (tokens[0]?.text === '!')
            return not(condition(tokens.slice(1)), line);
        if (tokens[0]?.text === '(' && matchingParen(tokens, 0) === tokens.length - 1)
            return condition(tokens.slice(1, -1));
        return atom(tokens);
    };
    const rules = [];
    const emit = (property, atLeast, when, extraGroup, line) => {
        const c = extraGroup ? and(when, { kind: 'all', groups: [extraGroup], knobs: [] }) : when;
        if (c.kind === 'false')
            return;
        if (c.kind === 'unknown') {
            fail(`x86_cpu_expand_features: cannot evaluate the condition ${c.why} of a level adjustment`, c.line);
        }
        const groups = c.kind === 'all' ? c.groups : [];
        const knobs = c.kind === 'all' ? c.knobs : [];
        if (groups.length !== 1) {
            fail(groups.length
                ? 'x86_cpu_expand_features: a level adjustment under two feature tests at once'
                : 'x86_cpu_expand_features: a level adjustment that does not depend on any feature', line);
        }
        rules.push({
            property,
            atLeast: Number(atLeast),
            whenAny: groups[0],
            ...(knobs.length ? { enabledBy: knobs[0] } : {}),
            ...(knobs.length > 1 ? { alsoEnabledBy: knobs.slice(1) } : {}),
            location: { path, line },
        });
    };
    const walk = (stmts, when, inLoop) => {
        for (const st of stmts) {
            if (st.kind === 'block')
                walk(st.body, when, inLoop);
            else if (st.kind === 'if') {
                // Conditions are evaluated lazily: only those above a level adjustment must be readable.
                const c = condition(st.condition);
                walk([st.then], and(when, c), inLoop);
                if (st.else)
                    walk([st.else], and(when, not(c, st.line)), inLoop);
            }
            else if (st.kind === 'loop')
                walk([st.body], when, true);
            else if (st.kind === 'expr') {
                const head = st.tokens[0]?.text;
                if (head !== 'x86_cpu_adjust_feat_level' && head !== 'x86_cpu_adjust_level')
                    continue;
                if (inLoop)
                    fail(`x86_cpu_expand_features: ${head} inside a loop`, st.line);
                const args = splitTopLevel(st.tokens.slice(2, -1), ',');
                if (head === 'x86_cpu_adjust_feat_level') {
                    const word = args[1]?.length === 1 ? args[1][0].text : undefined;
                    const leaf = word ? cpu.leafOf(word) : undefined;
                    if (!word || leaf === undefined)
                        fail(`x86_cpu_adjust_feat_level(${tokenText(args[1] ?? [])}): not a feature word with a CPUID leaf`, st.line);
                    const field = regionTarget.get(leaf & regionMask);
                    const property = field ? propertyOfMinimum(field, st.line) : undefined;
                    if (!property)
                        continue;
                    const features = (cpu.featureNames.get(word) ?? []).filter((n) => !!n);
                    emit(property, leaf, when, features, st.line);
                }
                else {
                    const target = /^& (?:env ->|cpu -> env \.) (cpuid_min_\w+)$/.exec(tokenText(args[1] ?? []));
                    if (!target || !args[2]?.length)
                        fail(`x86_cpu_adjust_level(${tokenText(st.tokens.slice(2, -1))}): a form cpu-model-guard does not read`, st.line);
                    const property = propertyOfMinimum(target[1], st.line);
                    if (!property)
                        continue;
                    emit(property, cpu.evalTokens('cpuC', args[2]), when, undefined, st.line);
                }
            }
        }
    };
    walk(body, TRUE, false);
    return rules;
}
function matchingParen(tokens, open) {
    let depth = 0;
    for (let j = open; j < tokens.length; j++) {
        if (tokens[j].text === '(')
            depth++;
        else if (tokens[j].text === ')' && --depth === 0)
            return j;
    }
    return -1;
}

/**
 * The files of a QEMU tree that make up its x86 catalog. Headers are read for their macros
 * only; the `.c` files for their tables and functions. `optional` files moved between QEMU
 * releases: their absence is fine as long as what they hold is found elsewhere.
 */
const QEMU_X86_FILES = {
    version: 'VERSION',
    cpuH: 'target/i386/cpu.h',
    cpuC: 'target/i386/cpu.c',
    kvmCpuC: 'target/i386/kvm/kvm-cpu.c',
    kvmC: 'target/i386/kvm/kvm.c',
    /** kvm.c before QEMU 6.0 moved it into target/i386/kvm/. */
    kvmOldC: 'target/i386/kvm.c',
    tcgCpuC: 'target/i386/tcg/tcg-cpu.c',
    pcC: 'hw/i386/pc.c',
    pcH: 'include/hw/i386/pc.h',
    machineC: 'hw/core/machine.c',
    boardsH: 'include/hw/boards.h',
    q35C: 'hw/i386/pc_q35.c',
    piixC: 'hw/i386/pc_piix.c',
    hwVersionH: 'include/qemu/hw-version.h',
    osdepH: 'include/qemu/osdep.h',
    /** QAPI's CpuInstanceProperties: what identifies one CPU of a machine. */
    machineJson: 'qapi/machine.json',
    /** x86_cpu_new(), which sets each new CPU's apic-id: hw/i386/x86.c before QEMU 9.0. */
    x86CommonC: 'hw/i386/x86-common.c',
    x86C: 'hw/i386/x86.c',
};
/** Files without which a tree is not a QEMU x86 catalog. */
const REQUIRED_QEMU_FILES = [
    'version',
    'cpuH',
    'cpuC',
    'pcC',
    'pcH',
    'machineC',
    'boardsH',
    'q35C',
    'piixC',
];
/** Limits a catalog file's size: QEMU's largest (cpu.c) is well under 1 MiB. */
const MAX_FILE_BYTES = 8 * 1024 * 1024;
/**
 * Macros that the build defines rather than the catalog's files. The configuration that counts
 * is Debian's qemu-system-x86 build of the x86_64 system emulator (debian/rules: the main
 * build runs configure with `--disable-xen` and the default device set, so KVM and TCG are in,
 * Xen is out, and every board Kconfig selects by default is in, `isapc` included). A `CONFIG_*`
 * symbol not listed here is unset, as it is in that build: code under it is left out, and
 * so is code under `#if 0`. CONFIG_MICROVM_DEFAULT belongs to Debian's separate microvm build.
 * QEMU_VERSION_* come from the tree's VERSION, as QEMU's build derives them.
 */
function seedMacros(macros, version) {
    const define = (name, text, kind) => macros.define({ name, body: text ? [{ kind, text, line: 0 }] : [], path: '<build>', line: 0 });
    // config-target.h and config-host.h of the x86_64-softmmu target on Linux.
    define('TARGET_X86_64', '1', 'number');
    define('CONFIG_KVM', '1', 'number');
    define('CONFIG_TCG', '1', 'number');
    define('CONFIG_SOFTMMU', '1', 'number');
    define('CONFIG_SYSTEM_ONLY', '1', 'number');
    define('CONFIG_LINUX', '1', 'number');
    define('CONFIG_POSIX', '1', 'number');
    // config-devices.h: the boards and devices the default x86_64 configuration selects.
    define('CONFIG_I440FX', '1', 'number');
    define('CONFIG_Q35', '1', 'number');
    define('CONFIG_ISAPC', '1', 'number');
    define('CONFIG_IDE_ISA', '1', 'number');
    define('CONFIG_FDC_ISA', '1', 'number');
    define('CONFIG_HPET', '1', 'number');
    define('CONFIG_VMPORT', '1', 'number');
    define('CONFIG_SGX', '1', 'number');
    const [major = '0', minor = '0', micro = '0'] = version.trim().split('.');
    define('QEMU_VERSION_MAJOR', major, 'number');
    define('QEMU_VERSION_MINOR', minor, 'number');
    define('QEMU_VERSION_MICRO', micro, 'number');
    define('TYPE_X86_CPU', '"x86_64-cpu"', 'string');
    define('NULL', '0', 'number');
    define('true', '1', 'number');
    define('false', '0', 'number');
    define('UINT8_MAX', '0xff', 'number');
    define('UINT16_MAX', '0xffff', 'number');
    define('UINT32_MAX', '0xffffffff', 'number');
    define('UINT64_MAX', '0xffffffffffffffff', 'number');
    define('INT32_MAX', '0x7fffffff', 'number');
}
async function loadQemuTree(source, root, skip = []) {
    const text = {};
    const files = [];
    const path = (key) => root && root !== '.' ? `${root}/${QEMU_X86_FILES[key]}` : QEMU_X86_FILES[key];
    await Promise.all(Object.keys(QEMU_X86_FILES)
        .filter((key) => !skip.includes(key))
        .map(async (key) => {
        const content = await source.readFile(QEMU_X86_FILES[key]);
        if (content === undefined)
            return;
        if (Buffer.byteLength(content) > MAX_FILE_BYTES) {
            throw new CatalogError(`file is larger than ${MAX_FILE_BYTES} bytes`, { path: path(key) }, 'point the catalog at a QEMU source tree');
        }
        text[key] = content;
    }));
    const missing = REQUIRED_QEMU_FILES.filter((k) => text[k] === undefined);
    if (missing.length) {
        const first = missing[0];
        throw new CatalogError(`not a QEMU x86 catalog: ${missing.map((k) => path(k)).join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing in ${source.label}`, { path: path(first) }, 'point --catalog qemu-x86:<dir> at the root of a QEMU source tree (the folder that holds VERSION and target/)');
    }
    const macros = new MacroTable();
    seedMacros(macros, text.version);
    const structures = {};
    const headerTokens = {};
    // Headers first, in include order, so that the .c files see their macros.
    const order = [
        'osdepH',
        'hwVersionH',
        'boardsH',
        'cpuH',
        'pcH',
        'cpuC',
        'kvmCpuC',
        'kvmC',
        'kvmOldC',
        'tcgCpuC',
        'machineC',
        'pcC',
        'q35C',
        'piixC',
    ];
    for (const key of order) {
        const content = text[key];
        if (content === undefined)
            continue;
        files.push(path(key));
        const tokens = tokenize$1(content, path(key));
        if (!tokens.length && REQUIRED_QEMU_FILES.includes(key)) {
            throw new CatalogError('the file is empty (or holds only comments)', { path: path(key), line: 1 }, 'point the catalog at a complete QEMU source tree');
        }
        const pre = preprocess(tokens, path(key), macros);
        if (key.endsWith('H')) {
            headerTokens[key] = pre.tokens;
            continue;
        }
        structures[key] = readFileStructure(pre, macros);
    }
    files.push(path('version'));
    for (const key of ['machineJson', 'x86CommonC', 'x86C'])
        if (text[key] !== undefined)
            files.push(path(key));
    return { source, root, text, macros, structures, headerTokens, path, files: files.sort() };
}

/**
 * The properties that identify one CPU of a machine rather than the CPU model: QEMU's own
 * list is the QAPI struct `CpuInstanceProperties` (qapi/machine.json: node-id, socket-id,
 * die-id, module-id, core-id, thread-id, ...), the properties a machine gives each CPU it
 * plugs. On x86 the machine also sets the architecture id of every CPU it creates, in
 * `x86_cpu_new()` (hw/i386/x86.c, hw/i386/x86-common.c from 9.0): `apic-id`. Both are read
 * from the tree, so a topology level that a release adds is known the day it appears.
 */
function readInstanceProperties(tree) {
    const out = {};
    const qapi = tree.text.machineJson;
    if (qapi === undefined)
        throw missing(tree.path('machineJson'), 'the QAPI struct CpuInstanceProperties');
    Object.assign(out, qapiStructMembers(qapi, 'CpuInstanceProperties', tree.path('machineJson')));
    const key = ['x86CommonC', 'x86C'].find((k) => tree.text[k] !== undefined);
    if (!key)
        throw missing(tree.path('x86C'), 'x86_cpu_new() (hw/i386/x86-common.c from QEMU 9.0)');
    Object.assign(out, propertiesSetOnNewCpu(tree.text[key], tree.path(key)));
    return out;
}
/** A file that says which properties belong to a CPU's place rather than its model is missing. */
function missing(file, what) {
    return new CatalogError(`${file} is missing: it defines ${what}, which tells a CPU's place in the machine from its model`, { path: file }, 'point the catalog at a complete QEMU source tree');
}
/**
 * The member names of a QAPI struct. QAPI schema files are JSON with single quotes and `#`
 * comments; members are `'name': 'type'` or `'*name': ...` (optional).
 */
function qapiStructMembers(text, struct, file) {
    const lines = text.split('\n').map((l) => l.replace(/#.*$/, ''));
    const start = lines.findIndex((l) => l.includes(`'struct': '${struct}'`));
    if (start < 0) {
        throw new CatalogError(`the QAPI struct ${struct} is not defined`, { path: file }, 'point the catalog at a QEMU source tree');
    }
    let i = start;
    while (i < lines.length && !/'data'\s*:\s*\{/.test(lines[i]))
        i++;
    if (i === lines.length)
        throw new CatalogError(`${struct} has no 'data' member list`, { path: file, line: start + 1 });
    const out = {};
    let depth = 0;
    for (let j = i; j < lines.length; j++) {
        const line = j === i ? lines[j].slice(lines[j].search(/'data'/)) : lines[j];
        for (const m of line.matchAll(/\{|\}|'(\*?[A-Za-z0-9_-]+)'\s*:/g)) {
            if (m[0] === '{')
                depth++;
            else if (m[0] === '}') {
                if (--depth === 0)
                    return out;
            }
            else if (depth === 1 && m[1] !== 'data')
                out[m[1].replace(/^\*/, '')] = { path: file, line: j + 1 };
        }
    }
    throw new CatalogError(`the member list of ${struct} is not closed`, { path: file, line: i + 1 });
}
/** `object_property_set_*(cpu, "name", ...)` inside `x86_cpu_new()`: what the machine sets on each new CPU. */
function propertiesSetOnNewCpu(text, file) {
    const toks = tokenize$1(text, file);
    // The definition: the name, its parameter list, then a body.
    let open = -1;
    for (let k = 0; k < toks.length && open < 0; k++) {
        if (toks[k].kind !== 'ident' || toks[k].text !== 'x86_cpu_new' || toks[k + 1]?.text !== '(')
            continue;
        let depth = 0;
        let j = k + 1;
        for (; j < toks.length; j++) {
            if (toks[j].text === '(')
                depth++;
            else if (toks[j].text === ')' && --depth === 0)
                break;
        }
        if (toks[j + 1]?.text === '{')
            open = j + 1;
    }
    if (open < 0)
        throw new CatalogError('x86_cpu_new() is not defined', { path: file }, 'point the catalog at a QEMU source tree');
    const close = matchingBrace(toks, open, file);
    const out = {};
    for (let k = open; k < close; k++) {
        const t = toks[k];
        if (t.kind === 'ident' &&
            /^(object_property_set_|qdev_prop_set_)/.test(t.text) &&
            toks[k + 1]?.text === '(' &&
            toks[k + 3]?.text === ',' &&
            toks[k + 4]?.kind === 'string') {
            out[stringValue(toks[k + 4])] = { path: file, line: toks[k + 4].line };
        }
    }
    return out;
}

/** The catalog, and with `cpuidCode` the functions whose code decides guest CPUID. */
async function readQemuX86(source, root = '.', options = {}) {
    const hostSupport = options.hostSupport ?? true;
    const tree = await loadQemuTree(source, root, hostSupport ? [] : ['kvmC', 'kvmOldC']);
    const projectVersion = tree.text.version.trim();
    if (!/^\d+\.\d+\.\d+$/.test(projectVersion)) {
        throw new CatalogError(`VERSION says "${projectVersion.slice(0, 40)}", expected MAJOR.MINOR.MICRO`, {
            path: tree.path('version'),
            line: 1,
        });
    }
    const cpu = new CpuTableReader(tree);
    cpu.readFeatureWords();
    const propertyDefaults = cpu.readPropertyDefaults();
    for (const f of cpu.features)
        propertyDefaults[f.name] = false;
    // A model's .level/.xlevel/.xlevel2 are minimums (`min-level`); the CPUID level a guest sees
    // starts from them, not from the "unset" marker the level properties default to.
    Object.assign(propertyDefaults, {
        level: 0,
        xlevel: 0,
        xlevel2: 0,
        family: 0,
        model: 0,
        stepping: 0,
        vendor: '',
        'model-id': '',
    });
    const models = cpu.readModels();
    const notes = [];
    const compatSets = readCompatSets(tree, cpu);
    const machineTypes = readMachineTypes(tree, cpu, projectVersion, compatSets, notes);
    let offered;
    if (hostSupport && tree.text.kvmC === undefined && tree.text.kvmOldC === undefined) {
        // Without it every feature would be judged a host requirement: a guess, not QEMU's word.
        throw new CatalogError(`neither ${tree.path('kvmC')} nor ${tree.path('kvmOldC')} is in ${source.label}`, { path: tree.path('kvmC') }, 'kvm_arch_get_supported_cpuid() in it says which features QEMU offers on every KVM host; point the catalog at a complete QEMU source tree');
    }
    if (tree.text.kvmC !== undefined || tree.text.kvmOldC !== undefined) {
        offered = cpu.readFeaturesOfferedByQemu();
        if (!offered.length) {
            const found = findFunction(tree, 'kvm_arch_get_supported_cpuid', ['kvmC', 'kvmOldC']);
            const key = found?.key ?? (tree.text.kvmC !== undefined ? 'kvmC' : 'kvmOldC');
            throw new CatalogError(found
                ? 'kvm_arch_get_supported_cpuid() adds no feature cpu-model-guard can read (`if (function == LEAF && reg == R_X) { ret |= BITS; }`)'
                : 'kvm_arch_get_supported_cpuid() was not found', { path: tree.path(key), line: found?.body.line ?? 1 }, 'it says which features QEMU offers on every KVM host; host requirements are judged from it');
        }
    }
    const hypervisor = cpu.features.find((f) => f.name === 'hypervisor');
    const cpuidCode = options.cpuidCode
        ? readCpuidCode(tree, cpu, options.cpuidCode.extraFunctions ?? [])
        : undefined;
    const catalog = {
        format: 'qemu-x86',
        projectVersion,
        models,
        machineTypes,
        compatSets,
        accelDefaults: cpu.readAccelDefaults(),
        propertyDefaults,
        instanceProperties: readInstanceProperties(tree),
        propertyDefaultLocations: cpu.propertyDefaultLocations,
        // x86_cpu_load_model sets CPUID_EXT_HYPERVISOR on every model.
        alwaysOn: hypervisor ? [{ property: 'hypervisor', value: true, location: hypervisor.location }] : [],
        features: cpu.features,
        featureDependencies: cpu.readFeatureDependencies(),
        levelRules: readLevelRules(tree, cpu),
        minimumOf: { 'min-level': 'level', 'min-xlevel': 'xlevel', 'min-xlevel2': 'xlevel2' },
        accelClears: { tcg: cpu.readWordsClearedWithoutKvm(), none: cpu.readWordsClearedWithoutKvm() },
        hostRequirements: qemuHostRequirements(cpu.features, offered),
        files: tree.files,
        notes,
    };
    return cpuidCode ? { catalog, cpuidCode } : { catalog };
}

const auditWords = {};

/**
 * A tiny x86 encoder for 16-bit real-mode code: the few instructions the CPUID firmware needs,
 * each encoded by hand from the Intel SDM's opcode tables (volume 2), and near labels with
 * 16-bit displacements resolved when the code is assembled.
 *
 * Real mode runs with 16-bit default operand and address size, so a 32-bit register operand
 * takes the operand-size prefix 0x66. Memory operands are absolute `[disp16]` addresses in DS
 * (ModRM mod=00 rm=110) or `[bx]` (mod=00 rm=111).
 */
/** 32-bit general registers in ModRM/opcode order (the low three bits of the encoding). */
const REG32 = { eax: 0, ecx: 1, edx: 2, ebx: 3, esp: 4, ebp: 5, esi: 6, edi: 7 };
/** Condition codes of Jcc (the low nibble of 0x0F 0x80+cc). */
const CONDITION = {
    o: 0,
    no: 1,
    b: 2,
    ae: 3,
    e: 4,
    ne: 5,
    be: 6,
    a: 7,
    s: 8,
    ns: 9,
    l: 0xc,
    ge: 0xd,
    le: 0xe,
    g: 0xf,
};
const OPERAND32 = 0x66;
function u16(value) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff)
        throw new RangeError(`${value} is not a 16-bit value`);
    return [value & 0xff, value >>> 8];
}
function u32(value) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
        throw new RangeError(`${value} is not a 32-bit value`);
    return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24];
}
function modrmRegister(reg, rm) {
    return 0xc0 | (reg << 3) | rm;
}
/** `[disp16]`: mod=00, rm=110. */
function modrmAbsolute(reg) {
    return (reg << 3) | 0b110;
}
/** Emits instructions into a byte buffer; labels may be used before they are placed. */
class Assembler {
    bytes = [];
    placed = new Map();
    fixups = [];
    /** Current offset from the start of the code. */
    get offset() {
        return this.bytes.length;
    }
    label(name) {
        return { name };
    }
    place(label) {
        if (this.placed.has(label))
            throw new Error(`label ${label.name} placed twice`);
        this.placed.set(label, this.bytes.length);
    }
    raw(...bytes) {
        for (const b of bytes) {
            if (!Number.isInteger(b) || b < 0 || b > 0xff)
                throw new RangeError(`${b} is not a byte`);
            this.bytes.push(b);
        }
        return this;
    }
    /** Fills with `hlt` up to `offset`. */
    padTo(offset, filler = 0xf4) {
        if (offset < this.offset)
            throw new Error(`code of ${this.offset} bytes runs past offset ${offset}`);
        while (this.offset < offset)
            this.bytes.push(filler);
        return this;
    }
    /** `mov r32, imm32`: 66 B8+r id. */
    movImm32(reg, value) {
        return this.raw(OPERAND32, 0xb8 + REG32[reg], ...u32(value));
    }
    /** `mov r32, r32`: 66 89 /r (MOV r/m32, r32). */
    movReg32(dst, src) {
        return this.raw(OPERAND32, 0x89, modrmRegister(REG32[src], REG32[dst]));
    }
    /** `mov [disp16], r32`: 66 89 /r with mod=00 rm=110. */
    storeReg32(address, src) {
        return this.raw(OPERAND32, 0x89, modrmAbsolute(REG32[src]), ...u16(address));
    }
    /** `mov r32, [disp16]`: 66 8B /r with mod=00 rm=110. */
    loadReg32(dst, address) {
        return this.raw(OPERAND32, 0x8b, modrmAbsolute(REG32[dst]), ...u16(address));
    }
    /** `cmp r32, imm32`: 66 81 /7 id. */
    cmpImm32(reg, value) {
        return this.raw(OPERAND32, 0x81, modrmRegister(7, REG32[reg]), ...u32(value));
    }
    /** `cmp r32, [disp16]`: 66 3B /r (CMP r32, r/m32). */
    cmpMem32(reg, address) {
        return this.raw(OPERAND32, 0x3b, modrmAbsolute(REG32[reg]), ...u16(address));
    }
    /** `test r32, imm32`: 66 F7 /0 id. */
    testImm32(reg, value) {
        return this.raw(OPERAND32, 0xf7, modrmRegister(0, REG32[reg]), ...u32(value));
    }
    /** `inc r32`: 66 40+r (the one-byte form exists outside 64-bit mode). */
    inc32(reg) {
        return this.raw(OPERAND32, 0x40 + REG32[reg]);
    }
    /** `xor ax, ax`: 31 C0. */
    zeroAx() {
        return this.raw(0x31, 0xc0);
    }
    /** `mov ds, ax` (8E D8) and `mov ss, ax` (8E D0). */
    movSegmentFromAx(segment) {
        return this.raw(0x8e, segment === 'ds' ? 0xd8 : 0xd0);
    }
    /** `mov sp, imm16` (BC iw), `mov dx, imm16` (BA iw), `mov bx, imm16` (BB iw). */
    movImm16(reg, value) {
        return this.raw({ sp: 0xbc, dx: 0xba, bx: 0xbb }[reg], ...u16(value));
    }
    /** `mov al, [bx]`: 8A 07. */
    loadAlFromBx() {
        return this.raw(0x8a, 0x07);
    }
    /** `mov al, imm8`: B0 ib. */
    movAlImm8(value) {
        return this.raw(0xb0, value);
    }
    /** `inc bx`: 43. */
    incBx() {
        return this.raw(0x43);
    }
    /** `cmp bx, imm16`: 81 /7 iw. */
    cmpBxImm16(value) {
        return this.raw(0x81, modrmRegister(7, 3), ...u16(value));
    }
    /** `out dx, al`: EE. */
    outDxAl() {
        return this.raw(0xee);
    }
    /** `out imm8, al`: E6 ib. */
    outImm8Al(port) {
        return this.raw(0xe6, port);
    }
    /** `cpuid`: 0F A2. */
    cpuid() {
        return this.raw(0x0f, 0xa2);
    }
    cli() {
        return this.raw(0xfa);
    }
    hlt() {
        return this.raw(0xf4);
    }
    ret() {
        return this.raw(0xc3);
    }
    /** `call rel16`: E8 cw. */
    call(target) {
        return this.relative([0xe8], target);
    }
    /** `jmp rel16`: E9 cw. */
    jmp(target) {
        return this.relative([0xe9], target);
    }
    /** `jcc rel16`: 0F 80+cc cw. */
    jcc(condition, target) {
        return this.relative([0x0f, 0x80 + CONDITION[condition]], target);
    }
    relative(opcode, target) {
        this.raw(...opcode, 0, 0);
        this.fixups.push({ at: this.offset - 2, from: this.offset, label: target });
        return this;
    }
    /** The code with every label resolved. */
    assemble() {
        const out = Uint8Array.from(this.bytes);
        for (const f of this.fixups) {
            const to = this.placed.get(f.label);
            if (to === undefined)
                throw new Error(`label ${f.label.name} used but never placed`);
            // Near displacements wrap at 64 KiB within the code segment.
            const displacement = (to - f.from) & 0xffff;
            out[f.at] = displacement & 0xff;
            out[f.at + 1] = displacement >>> 8;
        }
        return out;
    }
}

/**
 * The guest program `verify` runs to read what a CPU model really gives a guest: a 64 KiB
 * firmware image for `-bios`, produced here from the project's own encoder (no assembler or
 * compiler at run time), and the reader of what it writes.
 *
 * It runs in real mode straight from the reset vector (CPUID works in every mode), executes
 * CPUID for every basic leaf 0..max (leaf 0's EAX), every hypervisor leaf 0x40000000..max,
 * every extended leaf 0x80000000..max and every Centaur leaf 0xC0000000..max, and every
 * subleaf of the leaves that take one in ECX, each until its own end (SUBLEAF_RULES). Every
 * answer goes to `isa-debugcon` (port 0xE9) as a 24-byte record; then the program writes an
 * end mark and leaves through `isa-debug-exit` (port 0xF4), so the QEMU process ends with
 * exit code `(FIRMWARE_EXIT_VALUE << 1) | 1`.
 */
const DEBUGCON_PORT = 0xe9;
const DEBUG_EXIT_PORT = 0xf4;
const FIRMWARE_EXIT_VALUE = 0x10;
/** What the QEMU process exits with when the firmware ran to its end. */
const FIRMWARE_EXIT_CODE = (FIRMWARE_EXIT_VALUE << 1) | 1;
const START_MARK = 'CPUIDFW1';
const END_MARK = 'CPUIDEND';
const RECORD_BYTES = 24;
/** x86 loads a `-bios` image so that its last 16 bytes hold the reset vector (CS base 0xFFFF0000, IP 0xFFF0). */
const IMAGE_BYTES = 0x10000;
const RESET_VECTOR = 0xfff0;
/** Real-mode RAM the program uses (DS = SS = 0), below where any BIOS data would be. */
const RECORD_BUFFER = 0x500;
const RANGE_MAX = 0x520;
const SUBLEAF_MAX = 0x524;
const STACK_TOP = 0x7000;
/** No range is enumerated past its base + this, whatever its first leaf claims. */
const MAX_LEAVES_PER_RANGE = 0x100;
/** No leaf is enumerated past this subleaf, whatever it claims. */
const MAX_SUBLEAF = 63;
const SUBLEAF_RULES = new Map([
    [0x4, { kind: 'until-zero', register: 'eax', mask: 0x1f, from: 0 }],
    [0x7, { kind: 'max-in-eax' }],
    [0xb, { kind: 'until-zero', register: 'ecx', mask: 0xff00, from: 0 }],
    [0xd, { kind: 'count', count: 64 }],
    [0xf, { kind: 'count', count: 2 }],
    [0x10, { kind: 'count', count: 4 }],
    // 0x12: subleaves 0 and 1 describe SGX itself, 2.. one EPC section each until type 0 (EAX[3:0]).
    [0x12, { kind: 'until-zero', register: 'eax', mask: 0xf, from: 2 }],
    [0x14, { kind: 'max-in-eax' }],
    [0x17, { kind: 'max-in-eax' }],
    [0x18, { kind: 'max-in-eax' }],
    [0x1b, { kind: 'until-zero', register: 'eax', mask: 0xfff, from: 0 }],
    [0x1d, { kind: 'max-in-eax' }],
    [0x1e, { kind: 'max-in-eax' }],
    [0x1f, { kind: 'until-zero', register: 'ecx', mask: 0xff00, from: 0 }],
    [0x20, { kind: 'max-in-eax' }],
    [0x23, { kind: 'count', count: 4 }],
    [0x24, { kind: 'max-in-eax' }],
    [0x8000001d, { kind: 'until-zero', register: 'eax', mask: 0x1f, from: 0 }],
    [0x80000020, { kind: 'count', count: 8 }],
    [0x80000026, { kind: 'until-zero', register: 'ecx', mask: 0xff00, from: 0 }],
]);
/** The leaf ranges, each enumerated from its base up to the maximum its base leaf reports in EAX. */
const LEAF_RANGES = [0x0, 0x40000000, 0x80000000, 0xc0000000];
/**
 * The firmware image. The program (ESI = leaf, EDI = subleaf throughout):
 *
 *   start:  cli; DS = SS = 0; SP = STACK_TOP; write START_MARK
 *   per range base B: ESI = B; EDI = 0; call probe; RANGE_MAX = EAX clamped to B+0xFF;
 *           skip the range if EAX < B; then for ESI = B+1 .. RANGE_MAX: the leaf's rule
 *   write END_MARK; out DEBUG_EXIT_PORT; hlt
 *   probe:  CPUID(ESI, EDI), the 24-byte record (ESI, EDI, EAX, EBX, ECX, EDX) to debugcon;
 *           returns with EAX..EDX as CPUID left them
 */
function cpuidFirmware() {
    const a = new Assembler();
    const probe = a.label('probe');
    const start = a.label('start');
    a.place(start);
    const writeMark = (mark) => {
        for (const ch of mark)
            a.movAlImm8(ch.charCodeAt(0)).outDxAl();
    };
    a.cli().zeroAx().movSegmentFromAx('ds').movSegmentFromAx('ss').movImm16('sp', STACK_TOP);
    a.movImm16('dx', DEBUGCON_PORT);
    writeMark(START_MARK);
    for (const base of LEAF_RANGES) {
        const next = a.label(`range-${base.toString(16)}-next`);
        const loop = a.label(`range-${base.toString(16)}-loop`);
        const done = a.label(`range-${base.toString(16)}-done`);
        const clamped = a.label(`range-${base.toString(16)}-clamped`);
        a.movImm32('esi', base).movImm32('edi', 0).call(probe);
        // A range whose base leaf reports a maximum below itself (an unimplemented range that
        // echoes another leaf) has nothing more to read.
        a.cmpImm32('eax', base).jcc('be', done);
        a.cmpImm32('eax', base + MAX_LEAVES_PER_RANGE - 1).jcc('be', clamped);
        a.movImm32('eax', base + MAX_LEAVES_PER_RANGE - 1);
        a.place(clamped);
        a.storeReg32(RANGE_MAX, 'eax');
        a.movImm32('esi', base + 1);
        a.place(loop);
        for (const [leaf, rule] of SUBLEAF_RULES) {
            if (leaf <= base || leaf >= base + MAX_LEAVES_PER_RANGE)
                continue;
            const other = a.label(`leaf-${leaf.toString(16)}-other`);
            a.cmpImm32('esi', leaf).jcc('ne', other);
            emitSubleaves(a, probe, leaf, rule);
            a.jmp(next);
            a.place(other);
        }
        a.movImm32('edi', 0).call(probe);
        a.place(next);
        a.inc32('esi').cmpMem32('esi', RANGE_MAX).jcc('be', loop);
        a.place(done);
    }
    a.movImm16('dx', DEBUGCON_PORT);
    writeMark(END_MARK);
    const halt = a.label('halt');
    a.movAlImm8(FIRMWARE_EXIT_VALUE).outImm8Al(DEBUG_EXIT_PORT);
    a.place(halt);
    a.cli().hlt().jmp(halt);
    a.place(probe);
    a.movReg32('eax', 'esi').movReg32('ecx', 'edi').cpuid();
    const saved = ['esi', 'edi', 'eax', 'ebx', 'ecx', 'edx'];
    saved.forEach((reg, i) => a.storeReg32(RECORD_BUFFER + 4 * i, reg));
    const outLoop = a.label('probe-out');
    a.movImm16('dx', DEBUGCON_PORT).movImm16('bx', RECORD_BUFFER);
    a.place(outLoop);
    a.loadAlFromBx()
        .outDxAl()
        .incBx()
        .cmpBxImm16(RECORD_BUFFER + RECORD_BYTES)
        .jcc('b', outLoop);
    ['eax', 'ebx', 'ecx', 'edx'].forEach((reg, i) => a.loadReg32(reg, RECORD_BUFFER + 8 + 4 * i));
    a.ret();
    // The reset vector jumps back to the start, in the same segment (CS base 0xFFFF0000).
    a.padTo(RESET_VECTOR).jmp(start).padTo(IMAGE_BYTES);
    return a.assemble();
}
function emitSubleaves(a, probe, leaf, rule) {
    const loop = a.label(`leaf-${leaf.toString(16)}-loop`);
    const done = a.label(`leaf-${leaf.toString(16)}-done`);
    a.movImm32('edi', 0);
    switch (rule.kind) {
        case 'max-in-eax': {
            const clamped = a.label(`leaf-${leaf.toString(16)}-clamped`);
            a.call(probe);
            a.cmpImm32('eax', MAX_SUBLEAF).jcc('be', clamped).movImm32('eax', MAX_SUBLEAF);
            a.place(clamped);
            a.storeReg32(SUBLEAF_MAX, 'eax');
            a.place(loop);
            a.inc32('edi').cmpMem32('edi', SUBLEAF_MAX).jcc('a', done).call(probe).jmp(loop);
            break;
        }
        case 'until-zero': {
            const check = a.label(`leaf-${leaf.toString(16)}-check`);
            a.place(loop);
            a.call(probe);
            a.cmpImm32('edi', rule.from).jcc('b', check);
            a.testImm32(rule.register, rule.mask).jcc('e', done);
            a.place(check);
            a.inc32('edi').cmpImm32('edi', MAX_SUBLEAF).jcc('be', loop);
            break;
        }
        case 'count':
            a.place(loop);
            a.call(probe)
                .inc32('edi')
                .cmpImm32('edi', Math.min(rule.count, MAX_SUBLEAF + 1))
                .jcc('b', loop);
            break;
    }
    a.place(done);
}
class FirmwareOutputError extends Error {
    name = 'FirmwareOutputError';
}
/**
 * The records of what the firmware wrote to debugcon, in the order it read them. Output that
 * does not start with the start mark, or stops before the end mark (a guest stopped early),
 * is an error: never a shorter list.
 */
function parseCpuidOutput(bytes) {
    const text = (from, length) => String.fromCharCode(...bytes.subarray(from, from + length));
    if (bytes.length < START_MARK.length || text(0, START_MARK.length) !== START_MARK)
        throw new FirmwareOutputError(`the guest wrote ${bytes.length} bytes that do not start with the CPUID firmware's mark ${START_MARK}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const records = [];
    let at = START_MARK.length;
    for (;;) {
        if (at + END_MARK.length <= bytes.length && text(at, END_MARK.length) === END_MARK) {
            if (at + END_MARK.length !== bytes.length)
                throw new FirmwareOutputError(`the guest wrote ${bytes.length - at - END_MARK.length} bytes after the end mark`);
            return records;
        }
        if (at + RECORD_BYTES > bytes.length)
            throw new FirmwareOutputError(`the guest stopped after ${records.length} CPUID records, before the end mark (${bytes.length} bytes)`);
        const word = (i) => view.getUint32(at + 4 * i, true);
        records.push({ leaf: word(0), subleaf: word(1), eax: word(2), ebx: word(3), ecx: word(4), edx: word(5) });
        at += RECORD_BYTES;
    }
}
/**
 * The records a guest can take for what they say: a range's base leaf only when the maximum it
 * reports lies in its own range. Outside it, CPUID answers with the highest basic leaf (Intel's
 * rule, which QEMU follows for every vendor), an echo that says nothing of the range.
 */
function meaningfulRecords(records) {
    return records.filter((r) => r.leaf === 0 ||
        !LEAF_RANGES.includes(r.leaf) ||
        (r.eax >= r.leaf && r.eax < r.leaf + MAX_LEAVES_PER_RANGE));
}

/** `pc-q35-7.2` < `pc-q35-10.0`: family first, then the version numerically. */
function compareMachineTypes(a, b) {
    const split = (m) => {
        const match = /^(.*)-(\d+)\.(\d+)(?:\.(\d+))?$/.exec(m);
        return match
            ? { family: match[1], v: [+match[2], +match[3], +(match[4] ?? 0)] }
            : { family: m, v: [] };
    };
    const x = split(a);
    const y = split(b);
    if (x.family !== y.family)
        return x.family < y.family ? -1 : 1;
    for (let i = 0; i < 3; i++)
        if ((x.v[i] ?? -1) !== (y.v[i] ?? -1))
            return (x.v[i] ?? -1) - (y.v[i] ?? -1);
    return 0;
}
/** The family of a versioned machine type (`pc-q35` of `pc-q35-7.2`); the name itself otherwise. */
function machineTypeFamily(name) {
    return /^(.*)-\d+\.\d+(?:\.\d+)?$/.exec(name)?.[1] ?? name;
}

/**
 * The rule of POLICY.md applied to what two QEMU binaries really give guests (`verify`):
 *
 * - Frozen ABI: on a machine type both binaries register, a model both offer must expand to
 *   the same properties, resolve to the same version (`alias-of`) and answer the same CPUID
 *   leaves. Any difference is `new-model-required`, except a property only one binary reports
 *   (a knob one of them does not have): that is `safe` and said so, and the CPUID comparison
 *   shows whether the guest sees a difference.
 * - Host monotonicity: between consecutive machine types of the head binary, a feature (a name
 *   of the binary's own `-cpu help` list of CPUID flags, not one of QEMU's knobs) that turns on
 *   is a host requirement that grew (`type-2`), unless the base binary shows the very
 *   same growth between the same machine types (the upgrade did not introduce it).
 *
 * Findings are grouped by what changed (a property with its values, or a CPUID register with
 * the bits that changed), each listing every model and machine type it reaches.
 */
const REGISTERS = ['eax', 'ebx', 'ecx', 'edx'];
/** `0x7.0 EBX` */
function describeCpuidRegister(leaf, subleaf, register) {
    return `CPUID 0x${leaf.toString(16)}.${subleaf} ${register.toUpperCase()}`;
}
/** The bit numbers set in `mask`, as `bits 4, 11-13`. */
function describeBits(mask) {
    const bits = [];
    for (let i = 0; i < 32; i++)
        if ((mask >>> i) & 1)
            bits.push(i);
    const runs = [];
    for (let i = 0; i < bits.length;) {
        let j = i;
        while (j + 1 < bits.length && bits[j + 1] === bits[j] + 1)
            j++;
        runs.push(i === j ? `${bits[i]}` : `${bits[i]}-${bits[j]}`);
        i = j + 1;
    }
    return `${bits.length === 1 ? 'bit' : 'bits'} ${runs.join(', ')}`;
}
const hex$1 = (n) => `0x${n.toString(16).padStart(8, '0')}`;
function addTo(groups, key, machineType, model, init) {
    let g = groups.get(key);
    if (!g)
        groups.set(key, (g = { models: new Set(), machineTypes: new Set(), pairs: 0, ...init() }));
    g.models.add(model);
    g.machineTypes.add(machineType);
    g.pairs++;
    return g;
}
function sortedMachineTypes(set) {
    return [...set].sort(compareMachineTypes);
}
function recordKey(r) {
    return `${r.leaf}.${r.subleaf}`;
}
/** Expansion properties that differ between two property bags, as the finding names them. */
function propertyChanges(x, y) {
    const out = [];
    for (const property of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        const inX = Object.hasOwn(x, property);
        const inY = Object.hasOwn(y, property);
        if (inX && inY) {
            if (x[property] !== y[property])
                out.push({ property, kind: 'changed', before: x[property], after: y[property] });
        }
        else if (inX ? x[property] !== false : y[property] !== false) {
            // A property one binary lacks counts when the other reports a value other than false: a
            // feature the other binary does not know is a bit its guests never saw set.
            out.push(inX
                ? { property, kind: 'removed', before: x[property] }
                : { property, kind: 'added', after: y[property] });
        }
    }
    return out;
}
/** Models of `snapshot` on `machineType` that verify compares: every one it expanded. */
function modelsOn(snapshot, machineType) {
    return Object.keys(snapshot.expansions[machineType] ?? {});
}
function compareBinaries(base, head) {
    const notes = [];
    // Two builds of one version (a wrapper around the same binary) are told apart by path.
    const [baseName, headName] = base.version === head.version
        ? [base.binary, head.binary]
        : [base.version, head.version].map((v) => v.replace(/^QEMU emulator version /, 'QEMU '));
    const location = { path: head.binary, line: 1, side: 'RIGHT' };
    const inBase = new Set(base.machineTypes);
    const common = head.machineTypes.filter((m) => inBase.has(m));
    const onlyBase = base.machineTypes.filter((m) => !head.machineTypes.includes(m));
    const onlyHead = head.machineTypes.filter((m) => !inBase.has(m));
    if (onlyBase.length)
        notes.push({
            kind: 'info',
            message: `machine types only ${baseName} registers (not compared): ${onlyBase.join(', ')}`,
        });
    if (onlyHead.length)
        notes.push({
            kind: 'info',
            message: `machine types only ${headName} registers (new): ${onlyHead.join(', ')}`,
        });
    const allModels = (s) => new Set(s.machineTypes.flatMap((m) => modelsOn(s, m)));
    const [baseModels, headModels] = [allModels(base), allModels(head)];
    const modelsOnlyBase = [...baseModels].filter((m) => !headModels.has(m)).sort();
    const modelsOnlyHead = [...headModels].filter((m) => !baseModels.has(m)).sort();
    if (modelsOnlyBase.length)
        notes.push({ kind: 'info', message: `models only ${baseName} offers: ${modelsOnlyBase.join(', ')}` });
    if (modelsOnlyHead.length)
        notes.push({
            kind: 'info',
            message: `models only ${headName} offers (new): ${modelsOnlyHead.join(', ')}`,
        });
    for (const s of [base, head])
        for (const [machineType, errors] of Object.entries(s.expansionErrors))
            for (const [model, why] of Object.entries(errors))
                notes.push({
                    kind: 'warning',
                    message: `${s.version} cannot expand ${model} on ${machineType}: ${why}`,
                });
    const propertyGroups = new Map();
    const aliasGroups = new Map();
    const cpuidGroups = new Map();
    let pairs = 0;
    for (const machineType of common) {
        const headModelsHere = new Set(modelsOn(head, machineType));
        for (const model of modelsOn(base, machineType)
            .filter((m) => headModelsHere.has(m))
            .sort()) {
            pairs++;
            const aliasBefore = base.aliasOf[machineType]?.[model];
            const aliasAfter = head.aliasOf[machineType]?.[model];
            if (aliasBefore !== aliasAfter)
                addTo(aliasGroups, `${aliasBefore}\n${aliasAfter}`, machineType, model, () => ({
                    before: aliasBefore ?? null,
                    after: aliasAfter ?? null,
                }));
            const changes = propertyChanges(base.expansions[machineType][model], head.expansions[machineType][model]);
            for (const c of changes) {
                addTo(propertyGroups, `${c.kind}\n${c.property}\n${String(c.before)}\n${String(c.after)}`, machineType, model, () => ({
                    property: c.property,
                    kind: c.kind,
                    before: c.before ?? null,
                    after: c.after ?? null,
                }));
            }
            const before = base.cpuid[machineType]?.[model];
            const after = head.cpuid[machineType]?.[model];
            if (!before || !after)
                continue;
            const beforeByKey = new Map(meaningfulRecords(before).map((r) => [recordKey(r), r]));
            const afterByKey = new Map(meaningfulRecords(after).map((r) => [recordKey(r), r]));
            const zero = (leaf, subleaf) => ({
                leaf,
                subleaf,
                eax: 0,
                ebx: 0,
                ecx: 0,
                edx: 0,
            });
            for (const key of new Set([...beforeByKey.keys(), ...afterByKey.keys()])) {
                const x = beforeByKey.get(key);
                const y = afterByKey.get(key);
                const leaf = (x ?? y).leaf;
                const subleaf = (x ?? y).subleaf;
                // A leaf only one binary's guest reads (its range grew or shrank) compares as zeros on
                // the other side, where a guest that asks gets nothing of it either.
                const a = x ?? zero(leaf, subleaf);
                const b = y ?? zero(leaf, subleaf);
                for (const register of REGISTERS) {
                    const mask = (a[register] ^ b[register]) >>> 0;
                    if (!mask)
                        continue;
                    const g = addTo(cpuidGroups, `${leaf}.${subleaf}.${register}.${mask}`, machineType, model, () => ({
                        leaf,
                        subleaf,
                        register,
                        mask,
                        explainedBy: undefined,
                    }));
                    // The expansion properties that changed on every pair of the group name the bits
                    // where QEMU's own property names can.
                    const changed = new Set(changes.filter((c) => c.kind === 'changed').map((c) => c.property));
                    // What the accelerator could not give in one binary and can in the other, by QEMU's
                    // own warning (`pcid (CPUID.01H:ECX bit 17)`).
                    const lacked = (s) => new Set(s.unavailable[machineType]?.[model] ?? []);
                    const [lackedBefore, lackedAfter] = [lacked(base), lacked(head)];
                    const gainedNow = [...lackedBefore].filter((f) => !lackedAfter.has(f));
                    const lostNow = [...lackedAfter].filter((f) => !lackedBefore.has(f));
                    // QEMU warns only where the CPU's `check` property is on (not on old machine types):
                    // what any pair's warnings say is collected.
                    g.accelGained = [...new Set([...(g.accelGained ?? []), ...gainedNow])];
                    g.accelLost = [...new Set([...(g.accelLost ?? []), ...lostNow])];
                    if (!g.explainedBy)
                        g.explainedBy = new Map([...changed].map((p) => [p, 1]));
                    else
                        for (const p of [...g.explainedBy.keys()])
                            if (changed.has(p))
                                g.explainedBy.set(p, g.explainedBy.get(p) + 1);
                    if (!x || !y)
                        g.before ??= x ? hex$1(x[register]) : null;
                    if (!x || !y)
                        g.after ??= y ? hex$1(y[register]) : null;
                }
            }
        }
    }
    const findings = [];
    const binaries = { base: baseName, head: headName };
    const common2 = (g) => ({
        models: [...g.models].sort(),
        machineTypes: sortedMachineTypes(g.machineTypes),
    });
    for (const g of aliasGroups.values()) {
        const { models, machineTypes } = common2(g);
        findings.push(measuredClassified('alias-retargeted', { binaries, pairs: g.pairs }, {
            class: 'new-model-required',
            models,
            machineTypes,
            property: 'alias-of',
            before: g.before ?? null,
            after: g.after ?? null,
            location,
            fingerprint: fingerprint('alias-retargeted', models, 'alias-of', machineTypes),
        }));
    }
    for (const g of propertyGroups.values()) {
        const { models, machineTypes } = common2(g);
        const facts = {
            models,
            machineTypes,
            property: g.property,
            before: g.before ?? null,
            after: g.after ?? null,
            location,
            fingerprint: fingerprint(g.kind === 'changed' ? 'released-model-changed' : `property-${g.kind}`, models, g.property, machineTypes),
        };
        const meta = { binaries, pairs: g.pairs };
        findings.push(g.kind === 'changed'
            ? measuredClassified('released-model-changed', { ...meta, measured: 'expansion' }, { ...facts, class: 'new-model-required' })
            : measuredClassified(g.kind === 'added' ? 'new-property-default' : 'property-removed', meta, {
                ...facts,
                class: 'safe',
            }));
    }
    // Registers that differ on exactly the same pairs are one cause seen in several places.
    const byReach = new Map();
    for (const g of cpuidGroups.values()) {
        const { models, machineTypes } = common2(g);
        const key = `${models.join(',')}\n${machineTypes.join(',')}\n${g.pairs}`;
        byReach.set(key, [...(byReach.get(key) ?? []), g]);
    }
    for (const gs of byReach.values()) {
        gs.sort((x, y) => x.leaf - y.leaf ||
            x.subleaf - y.subleaf ||
            REGISTERS.indexOf(x.register) - REGISTERS.indexOf(y.register));
        const g = gs[0];
        const { models, machineTypes } = common2(g);
        const properties = gs.map((x) => `${describeCpuidRegister(x.leaf, x.subleaf, x.register)} ${describeBits(x.mask)}`);
        const registers = gs.map((x) => ({
            leaf: x.leaf,
            subleaf: x.subleaf,
            register: x.register,
            mask: x.mask,
            ...(x.before === null
                ? { onlyIn: 'head' }
                : x.after === null
                    ? { onlyIn: 'base' }
                    : {}),
        }));
        const explainedBy = [...(g.explainedBy ?? [])]
            .filter(([p, n]) => n === g.pairs && gs.every((x) => x.explainedBy?.get(p) === x.pairs))
            .map(([p]) => p);
        findings.push(measuredClassified('released-model-changed', {
            binaries,
            pairs: g.pairs,
            measured: 'cpuid',
            registers,
            explainedBy,
            accel: head.accel,
            // The registers of one finding share their pairs: what any of them shows holds for all.
            accelGained: [...new Set(gs.flatMap((x) => x.accelGained ?? []))],
            accelLost: [...new Set(gs.flatMap((x) => x.accelLost ?? []))],
        }, {
            class: 'new-model-required',
            models,
            machineTypes,
            property: properties[0],
            ...(properties.length > 1 ? { properties } : {}),
            location,
            fingerprint: fingerprint('released-model-changed', models, properties.join(';'), machineTypes),
        }));
    }
    findings.push(...hostGrowth(base, head, location, binaries));
    return { findings, notes, commonMachineTypes: common, pairs };
}
function asksTheHost(property, features) {
    return (features.has(property) &&
        !(property in QEMU_EMULATED_FEATURES) &&
        !(property in QEMU_OFFERED_FEATURES) &&
        !QEMU_KVM_BASELINE.includes(property));
}
/** Boolean properties that turn on from `t` to `t2` for `model` in `s`. */
function grown(s, t, t2, model) {
    const x = s.expansions[t]?.[model];
    const y = s.expansions[t2]?.[model];
    if (!x || !y)
        return [];
    const features = new Set(s.features);
    return Object.keys(y).filter((p) => y[p] === true && x[p] !== true && asksTheHost(p, features));
}
/** Invariant 2 of POLICY.md on the head binary's consecutive machine types. */
function hostGrowth(base, head, location, binaries) {
    const groups = new Map();
    const families = new Map();
    for (const m of head.machineTypes) {
        const f = machineTypeFamily(m);
        if (f === m)
            continue;
        families.set(f, [...(families.get(f) ?? []), m]);
    }
    for (const list of families.values()) {
        list.sort(compareMachineTypes);
        for (let i = 1; i < list.length; i++) {
            const [t, t2] = [list[i - 1], list[i]];
            for (const model of modelsOn(head, t2)) {
                const already = new Set(grown(base, t, t2, model));
                for (const property of grown(head, t, t2, model)) {
                    if (already.has(property))
                        continue;
                    const g = addTo(groups, property, t2, model, () => ({ property, from: new Set() }));
                    g.from.add(t);
                }
            }
        }
    }
    return [...groups.values()].map((g) => {
        const models = [...g.models].sort();
        const machineTypes = sortedMachineTypes(g.machineTypes);
        return measuredClassified('machine-type-host-requirement', { binaries, pairs: g.pairs, from: sortedMachineTypes(g.from) }, {
            class: 'type-2',
            models,
            machineTypes,
            property: g.property,
            before: false,
            after: true,
            hostRequirement: { gained: [g.property], cause: { source: 'measured-feature' } },
            location,
            fingerprint: fingerprint('machine-type-host-requirement', models, g.property, machineTypes),
        });
    });
}

const hex = (n) => `0x${n.toString(16).padStart(8, '0')}`;
/** Where a measured difference shows: `2 model(s) on 3 machine type(s) both binaries register (6 pair(s))`. */
const on = (f, pairs) => `${f.models.length} model(s) on ${f.machineTypes.length} machine type(s) both binaries register (${pairs} pair(s))`;
const registerBits = (r) => `${describeCpuidRegister(r.leaf, r.subleaf, r.register)} ${describeBits(r.mask)}`;
const binariesWords = {
    'alias-retargeted': (f) => {
        const { base, head } = f.meta.binaries;
        return {
            title: `${f.models.join(', ')} resolves to ${f.after ?? 'no version'} instead of ${f.before ?? 'no version'}`,
            message: `query-cpu-definitions: alias-of was ${f.before ?? 'absent'} in ${base} and is ${f.after ?? 'absent'} in ${head}, for ${on(f, f.meta.pairs)}. A VM started on these machine types gets another model version after the upgrade.`,
            fix: 'keep the alias pointing where it did on released machine types (a compat property), or name the new version explicitly',
        };
    },
    'released-model-changed': (f) => {
        const { meta } = f;
        const { base, head } = meta.binaries;
        if (meta.measured === 'expansion')
            return {
                title: `${f.property} changed from ${String(f.before)} to ${String(f.after)} on machine types both binaries have`,
                message: `query-cpu-model-expansion type=full: ${f.property} is ${String(f.before)} in ${base} and ${String(f.after)} in ${head}, for ${on(f, meta.pairs)}. Released machine types must keep what their guests see.`,
                fix: `restore ${f.property}=${String(f.before)} on the released machine types (a compat property), or put the change in a new model version`,
            };
        const places = meta.registers.map((r) => {
            const presence = r.onlyIn === 'head'
                ? ` (only ${head}'s guest reads this leaf)`
                : r.onlyIn === 'base'
                    ? ` (only ${base}'s guest reads this leaf)`
                    : '';
            return `${registerBits(r)} (mask ${hex(r.mask)})${presence}`;
        });
        const shown = meta.registers.slice(0, 3).map(registerBits).join(', ') +
            (meta.registers.length > 3 ? ` and ${meta.registers.length - 3} more` : '');
        return {
            title: `The guest's CPUID differs on machine types both binaries have: ${shown}`,
            message: `The CPUID guest of ${head} reads other values than that of ${base}, for ${on(f, meta.pairs)}: ${places.join('; ')}` +
                (meta.explainedBy.length
                    ? `. Expansion properties that changed on every one of these pairs: ${meta.explainedBy.join(', ')}.`
                    : '. No expansion property changed value on all of these pairs: the difference comes from code, not from a property.') +
                (meta.accelGained.length
                    ? ` Under ${meta.accel}, ${base} warned that it could not give, and ${head} gives: ${meta.accelGained.join(', ')}.`
                    : '') +
                (meta.accelLost.length
                    ? ` Under ${meta.accel}, ${head} warns that it cannot give: ${meta.accelLost.join(', ')}.`
                    : ''),
            fix: 'gate the new behaviour on a CPU property that compat properties keep at the old value for released machine types, or put it in a new model version',
        };
    },
    'new-property-default': (f) => onlyOne(f, f.meta.binaries.head, f.after, f.meta.pairs),
    'property-removed': (f) => onlyOne(f, f.meta.binaries.base, f.before, f.meta.pairs),
    'machine-type-host-requirement': (f) => {
        const { base, head } = f.meta.binaries;
        return {
            title: `${f.property} turns on from one machine type to the next in ${head}`,
            message: `query-cpu-model-expansion type=full of ${head}: ${f.property} is on for ${f.models.join(', ')} on ${f.machineTypes.join(', ')} and off on the machine type before each (${f.meta.from.join(', ')}), which ${base} does not show. A VM moved to the newer machine type needs it from the host.`,
            fix: `leave ${f.property} off by default on the new machine type and put it in a new model version instead`,
        };
    },
};
/** A property one binary reports and the other does not have. */
function onlyOne(f, binary, value, pairs) {
    return {
        title: `${f.property} is a property only ${binary} reports (${String(value)})`,
        message: `query-cpu-model-expansion type=full: only ${binary} has the property ${f.property} (${String(value)}), for ${on(f, pairs)}: a knob the other binary does not have. Whether guests see a difference is what the CPUID comparison of the same pairs shows.`,
        fix: 'none needed',
    };
}

/** A property value as QEMU's compat entries and `-cpu` spell it. */
const qemuValue = (v) => v === true ? 'on' : v === false ? 'off' : v === undefined ? '(unset)' : String(v);
const where = (meta) => `${meta.function}() (${meta.why})`;
const entryText = (g) => `${g.set ?? 'a compat array'} (${g.entry.path}:${g.entry.line}) sets ${g.property} to ${g.entry.value}`;
const cpuidCodeWords = {
    'cpuid-code-gated': ({ meta }) => ({
        title: `${meta.function}() changes behind ${meta.gate.property}`,
        message: (meta.movedBy
            ? `The change to ${where(meta)} reads no CPU property itself; the same change moves ${meta.movedBy.constant} behind ${meta.gate.property} in ${meta.movedBy.function}().`
            : `The change to ${where(meta)} reads ${meta.gate.property}.`) +
            ` On all ${meta.released} released machine types ${entryText(meta.gate)} against the default ${qemuValue(meta.gate.defaultValue)}: ` +
            'they keep the old behaviour, and only new machine types get the new one.',
        fix: 'none needed',
    }),
    'cpuid-code-half-gated': ({ meta, machineTypes }) => {
        const g = meta.gate;
        const line = `{ TYPE_X86_CPU, "${g.property}", "${g.entry.value}" },`;
        return {
            title: `${meta.function}() changes behind ${g.property}, which ${machineTypes.length} released machine type(s) do not keep off`,
            message: `The change to ${where(meta)} reads ${g.property}, and ${entryText(g)} for older machine types, ` +
                `but ${machineTypes.length} released machine type(s) (${machineTypes.join(', ')}) take its default ${qemuValue(g.defaultValue)}: ` +
                'there the guest sees the new behaviour, and a VM migrated from the release sees its CPU change.',
            fix: meta.confining
                ? `gate it on a new x- property set to the old behaviour in ${meta.confining} (the newest released compat array), or add ${line} there if ${g.property} alone describes the old behaviour`
                : `gate it on a new x- property that a compat entry sets to the old behaviour on every released machine type`,
        };
    },
    'cpuid-code-ungated': ({ meta, machineTypes }) => {
        const { property, field } = meta.suggested;
        return {
            title: `${meta.function}() changes what guests may see, on every machine type`,
            message: `The change to ${where(meta)} is not gated: ` +
                (meta.olderKnobs.length
                    ? `the CPU properties it reads are knobs the base already had, which compat entries set only for older machine types (${meta.olderKnobs
                        .map((k) => `${k.property} in ${k.set ?? 'a compat array'}, not from ${k.from} on`)
                        .join('; ')})`
                    : meta.reads.length
                        ? `no compat entry of a released machine type sets the CPU properties it reads (${meta.reads.join(', ')})`
                        : 'it reads no CPU property') +
                `, so all ${machineTypes.length} released machine types get the new code. If it changes CPUID, VMs see their CPU change under them and migration from the release breaks. ` +
                'cpu-model-guard does not evaluate this code: a refactor that keeps every leaf as it was is fine.',
            fix: `if guests see a difference, gate it on a new CPU property whose default is the new behaviour: ` +
                `DEFINE_PROP_BOOL("${property}", X86CPU, ${field}, true) in x86_cpu_properties[], the new code under \`if (cpu->${field})\`, ` +
                `and ${ungatedCompatLine(property)} in ${meta.confining ?? 'the newest released compat array'} (name the property after the behaviour it keeps)`,
        };
    },
};

const NONE_NEEDED$1 = 'none needed';
/** `model X` or `models X, Y`. */
function describeModels(models) {
    return models.length === 1 ? `model ${models[0]}` : `models ${models.join(', ')}`;
}
/** A few names for a title or a sentence; the finding's `properties` has them all. */
function someNames(names, max = 8) {
    return names.length <= max
        ? names.join(', ')
        : `${names.slice(0, max - 1).join(', ')} and ${names.length - max + 1} more`;
}
/** `them` or `it`, `s` or nothing: one sentence for one feature or many. */
function grammar(features) {
    const plural = features.length > 1;
    return {
        them: plural ? 'them' : 'it',
        fs: `feature${plural ? 's' : ''} ${someNames(features)}`,
        s: plural ? '' : 's',
    };
}
function describeValue(v) {
    return v === false ? 'absent' : v === true ? 'required' : String(v);
}
const FIX_OF = {
    gain: "mark the feature added='yes', or add a new model version with it",
    loss: "keep the feature line and mark it removed='yes' (in every model that lists it: libvirt does not pass the mark on to models built on this one), or add a new model version without it",
    mark: "restore the line as it was: only adding removed='yes', or a new line with added='yes', leaves a released model's domains as they were",
    bits: 'revert the definition; define a feature with a new name for the new bits',
    vendor: 'revert and add a new model for the other vendor',
    signature: 'revert the signature change, or add a new model for the other CPUs',
};
/** Why a released model's change breaks its domains, by the kind of change. */
function modelChangedMessage(meta) {
    const who = describeModels(meta.models);
    const { them, fs, s } = grammar(meta.features);
    const list = someNames(meta.features);
    switch (meta.change) {
        case 'gain':
            return `${who} gains ${fs} without added='yes': every domain already using the model would require ${them}, and hosts without ${them} could no longer run those domains.`;
        case 'loss':
            return meta.via
                ? `${who} loses ${fs}: ${meta.via} marks ${them} now, and libvirt passes only a base's plain features on to the models built on it (x86ModelParseAncestor), without disabling the others there: a domain with check='full' would fail to start when the hypervisor still enables ${them}.`
                : `${who} loses ${fs} (${describeValue(meta.before)} before): domains using the model would see their CPU change, with nothing left to keep ${them} for domains restored or migrated in.`;
        case 'mark':
            return `${who}: ${fs} change${s} from ${describeValue(meta.before)} to ${describeValue(meta.after)}.`;
        case 'bits':
            return `${who}: feature ${list} now means other bits (${String(meta.before)} before, ${String(meta.after)} now).`;
        case 'vendor':
            return `${who} changes vendor from ${String(meta.before)} to ${String(meta.after)}.`;
        case 'signature':
            return `${who} changes its CPU signatures from ${String(meta.before)} to ${String(meta.after)}.`;
    }
}
const libvirtWords = {
    'libvirt-model-changed': ({ meta }) => ({
        title: `released ${describeModels(meta.models)} changed: ${someNames(meta.features)}`,
        message: modelChangedMessage(meta),
        fix: FIX_OF[meta.change],
    }),
    'libvirt-feature-added': ({ meta }) => {
        const who = describeModels(meta.models);
        const { them, fs } = grammar(meta.features);
        return {
            title: `${someNames(meta.features)} added to ${who} with added='yes'`,
            message: `${who} gains ${fs}, marked added='yes': libvirt keeps ${them} out of the model's data, and check='full' does not fail a domain when the hypervisor enables ${them}.`,
            fix: NONE_NEEDED$1,
        };
    },
    'libvirt-feature-removed': ({ meta }) => {
        const who = describeModels(meta.models);
        const { them, fs } = grammar(meta.features);
        return {
            title: `${someNames(meta.features)} marked removed='yes' in ${who}`,
            message: `${who} marks ${fs} removed='yes': libvirt takes ${them} out of the model's data and writes ${them} disabled into the definition of every domain that starts fresh with the model; a domain restored or migrated in keeps ${them} enabled, so running guests see no change.`,
            fix: NONE_NEEDED$1,
        };
    },
    'libvirt-model-added': ({ meta }) => ({
        title: `new model ${meta.model}`,
        message: `model ${meta.model} is new; no guest uses it yet.`,
        fix: NONE_NEEDED$1,
    }),
    'libvirt-model-removed': ({ meta }) => ({
        title: `released model ${meta.model} removed`,
        message: `model ${meta.model} was removed from the cpu_map; guests defined with it can no longer start.`,
        fix: 'restore the model (and its include in index.xml): a released model stays for good',
    }),
};
/** The rules every catalog format has, worded for libvirt's models and files. */
const libvirtSharedWords = {
    'unreleased-change': ({ meta, models }) => {
        const who = describeModels(models);
        const list = someNames(meta.features);
        const them = models.length > 1 ? 'them' : 'it';
        const what = meta.change === 'model-removed'
            ? 'is removed'
            : `changes${meta.features.length ? ` (${meta.bits ? 'the bits of ' : ''}${list})` : ''}`;
        return {
            title: `unreleased ${who} changes${meta.features.length ? `: ${list}` : ''}`,
            message: `${who} ${what}, but the release revision does not have ${them}: no released libvirt ships ${models.length > 1 ? 'these models' : 'the model'}, so no domain uses ${them} yet.`,
            fix: NONE_NEEDED$1,
        };
    },
    'no-effective-change': ({ meta }) => ({
        title: `no model changes in ${meta.file}`,
        message: `${meta.file} changed, but no model did: ${meta.noLongerRead ? 'the file is no longer read' : 'comments, order, decode and check hints, or definitions no model uses'}`,
        fix: NONE_NEEDED$1,
    }),
};

/*
 * The phrases findings' sentences are made of: values, counts, lists and the cause of a change.
 * Every rule's wording builds on these, so that one fact reads the same in every finding.
 */
/** QEMU speaks of features as on/off; `null` means the property is not set at all. */
function formatPropValue(value) {
    if (value === undefined)
        return '(not stated)';
    if (value === null)
        return '(absent)';
    if (typeof value === 'boolean')
        return value ? 'on' : 'off';
    if (typeof value === 'number')
        return String(value);
    return JSON.stringify(value);
}
function collapseList(items, max) {
    if (items.length <= max)
        return { shown: [...items], more: 0 };
    // Showing all but one item and then "and 1 more" would save nothing.
    const keep = Math.max(1, max - 1);
    return { shown: items.slice(0, keep), more: items.length - keep };
}
/** A value in a sentence: `on`, `off`, `0`, `"GenuineIntel"`; `(unset)` when nothing sets it. */
const fmt = (v) => v === undefined || v === null ? '(unset)' : formatPropValue(v);
/** `1 machine type`, `51 machine types`, `2 properties`. */
function count(n, noun) {
    return `${n} ${n === 1 ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;
}
/** A list for a sentence: all of it when short, otherwise its first few and how many more. */
function summary(items, shown = 3) {
    const { shown: listed, more } = collapseList(items, shown + 1);
    if (more)
        return `${listed.join(', ')} and ${more} more`;
    return listed.length > 1 ? `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}` : (listed[0] ?? '');
}
/** Sentences start with a capital, unless they start with a property name (`avx512f added ...`). */
const capitalize = (text) => /^(the|unversioned|machine type) /.test(text) ? `${text[0].toUpperCase()}${text.slice(1)}` : text;
/** `path:line`. */
const at = (l) => `${l.path}:${l.line}`;
/** What an unversioned name stands for under a default CPU version. */
function versionWords(v) {
    return v === 'latest'
        ? 'their latest versions'
        : v === 'legacy'
            ? 'their unversioned definitions'
            : `version ${v}`;
}
/** A prop change in words: features are added and removed, other props change value. */
function propChange(where, property, before, after) {
    if (before === undefined && after === true)
        return `${property} added to ${where}`;
    if (before === true && after === undefined)
        return `${property} removed from ${where}`;
    if (before === undefined)
        return `${where} sets ${property} to ${fmt(after)}`;
    if (after === undefined)
        return `${where} no longer sets ${property} (was ${fmt(before)})`;
    return `${where} changes ${property} from ${fmt(before)} to ${fmt(after)}`;
}
/** The change a finding comes from, as the start of a sentence. */
function describeCause(c) {
    switch (c.kind) {
        case 'model-prop':
            return propChange(`the definition of ${c.model}`, c.property, c.before, c.after);
        case 'version-prop':
            return propChange(`${c.model}-v${c.version}`, c.property, c.before, c.after);
        case 'compat-entry': {
            const target = c.target === '*' ? 'every CPU' : c.target;
            if (c.before === undefined)
                return `${c.set} now sets ${c.property} to ${c.after} for ${target}`;
            if (c.after === undefined)
                return `${c.set} no longer sets ${c.property} for ${target}, which was ${c.before}`;
            return `${c.set} changes ${c.property} for ${target} from ${c.before} to ${c.after}`;
        }
        case 'accel-default':
            return `the ${c.accel} accelerator default of ${c.property} ${fmt(c.before)} → ${fmt(c.after)}`;
        case 'property-default':
            return `the default of ${c.property} ${fmt(c.before)} → ${fmt(c.after)}`;
        case 'machine-type':
            return c.defaultCpuVersion && c.what.split('; ').length === 1
                ? `unversioned names on ${c.machineType} resolve to ${versionWords(c.defaultCpuVersion.after)}, not ${versionWords(c.defaultCpuVersion.before)}`
                : `machine type ${c.machineType}: ${c.what}`;
        case 'catalog-rule':
            return `the catalog's ${c.what}`;
    }
}
/** The cause as a sentence of its own. */
const causeSentence = (c) => capitalize(describeCause(c));
/** A compat array by name and place: `pc_compat_10_2 (hw/i386/pc.c:81)`. */
const compatSetAt = (set) => `${set.name} (${at(set)})`;
/** A compat entry that keeps a property's value on some machine types, with its place. */
function keeps(e, on, join = ' ') {
    return `${e.set} keeps ${e.property}${join}${e.value} ${on} (${at(e)})`;
}
/** Why a finding's gained properties are host requirements, as reports say it. */
function hostRequirementWhy(hr) {
    switch (hr.cause.source) {
        case 'libvirt-feature':
            return hr.gained.length > 1
                ? 'CPU features: the host CPU must have them'
                : 'a CPU feature: the host CPU must have it';
        case 'measured-feature':
            return 'a CPU feature the guest is given, which the host must provide under KVM';
        case 'table': {
            const { reasons, defaultKind } = hr.cause;
            const why = (p) => reasons[p] ?? (defaultKind === 'kvm' ? 'needs KVM support' : 'needs the host CPU');
            return hr.gained.length === 1 ? why(hr.gained[0]) : hr.gained.map((p) => `${p}: ${why(p)}`).join('; ');
        }
    }
}

const NONE_NEEDED = 'none needed';
/** `A, B removed`: a removal's title, whatever its rule. */
const removedTitle = (names) => `${names.join(', ')} removed`;
const aliasTitle = (a) => `Alias ${a.name} now points to ${a.to.model}-v${a.to.version}`;
const aliasMessage = (a) => `${a.name} stood for ${a.from.model}-v${a.from.version} and now stands for ${a.to.model}-v${a.to.version}: VMs using the name see a different CPU.`;
const NEW_PROPERTY = 'is a CPU property the base does not have';
/** `pc_compat_10_0 (hw/i386/pc.c:81)`, or `a compat array (...)` when no array holds the entry. */
const entryAt = (e) => `${e.set ?? 'a compat array'} (${at(e)})`;
/** `all 51 machine types the base had`, `3 of the 51 machine types the base had`. */
const ofBase = (n, of) => n === of ? `all ${n} machine types the base had` : `${n} of the ${of} machine types the base had`;
const TYPE_2 = 'moving a VM to the newer machine type can make it unrunnable on a host that runs it today, a type-2 machine change.';
const RELEASED_NEVER_CHANGES = 'A released model never changes: VMs that run today would see another CPU, or stop running, after an update.';
function releasedFix(remedy, f, cause) {
    const gained = f.hostRequirement?.gained ?? [];
    switch (remedy.kind) {
        case 'new-version':
            return `revert it and add the change as a new version ${remedy.name}`;
        case 'keep-old-value':
            return `keep the old value for released machine types: add ${remedy.entry} to ${remedy.set}`;
        case 'move-compat-entry':
            return remedy.newest
                ? `revert it: ${cause.set} reaches released machine types. To change ${f.property} only on newer ones, make the new value the default and add ${remedy.entry ?? `the old value of ${f.property}`} to ${compatSetAt(remedy.newest)}, the newest compat array only released machine types get`
                : `revert it: ${cause.set} reaches released machine types, and no compat array reaches only released ones. Open the next machine types first; then make the new value the default and keep the old one in the compat array of the newest released machine types`;
        case 'new-versions':
            return `revert it: a default every model shares cannot ask more of the host; put ${summary(gained)} in new model versions`;
        case 'revert':
            return remedy.newest
                ? `revert it, or keep the old value on released machine types with a compat entry in ${compatSetAt(remedy.newest)}`
                : 'revert it; to change newer machine types only, open the next machine types first and keep the old value for the released ones in a compat entry';
    }
}
function releasedModelChanged(f) {
    const { meta } = f;
    if (meta.kind === 'new-property') {
        const value = fmt(f.after);
        return {
            title: `${f.property} is new, and released machine types get its new default ${value}`,
            message: `${f.property} ${NEW_PROPERTY}. ${entryAt(meta.keptBy)} sets it to ${meta.keptBy.value} for older machine types: ` +
                `the value that keeps their old behaviour, so the default ${value} is the new one. ` +
                `${count(f.machineTypes.length, 'released machine type')} that the entry does not reach (${summary(f.machineTypes)}) now get the default: ` +
                'the guest of every model on them changes.',
            fix: meta.addTo
                ? `keep the old behaviour on every released machine type: add ${meta.entry} to ${meta.addTo}`
                : `keep the old behaviour on every released machine type with a compat entry ${meta.entry}`,
        };
    }
    const cause = causeSentence(meta.cause);
    const gained = f.hostRequirement?.gained ?? [];
    return {
        title: `${cause}: released models change`,
        message: `${cause}. On ${count(f.machineTypes.length, 'released machine type')} the guest of ${count(f.models.length, 'released model name')} now sees ` +
            `${f.property} ${fmt(f.before)} → ${fmt(f.after)}` +
            (gained.length ? `, and the host must now provide ${summary(gained)}` : '') +
            `. ${RELEASED_NEVER_CHANGES}`,
        fix: releasedFix(meta.remedy, f, meta.cause),
    };
}
/**
 * What the host must newly provide, in one sentence, for check and audit alike: who requires
 * what from the host on which machine types, which older ones did not, and the compat entries
 * that keep them so.
 */
function hostGainSentence(f, keptOn) {
    const { models, machineTypes } = f;
    const gained = f.hostRequirement?.gained ?? [];
    const { olderMachineTypes, keptBy } = f.meta;
    return (`${models.length === 1 ? models[0] : `${count(models.length, 'model name')} (${summary(models)})`} on ${summary(machineTypes)} ` +
        `${models.length === 1 ? 'requires' : 'require'} ${gained.length === 1 ? gained[0] : `${gained.length} properties (${summary(gained)})`} from the host, ` +
        `which ${summary(olderMachineTypes)} did not` +
        (keptBy.length ? `; ${keptBy.map((k) => keeps(k, keptOn)).join('; ')}` : ''));
}
function hostRequirementTitle(gained) {
    return `${summary(gained)} ${gained.length === 1 ? 'becomes a host requirement' : 'become host requirements'} on newer machine types`;
}
function machineTypeHostRequirement(f) {
    const { meta } = f;
    const gained = f.hostRequirement?.gained ?? [];
    const them = gained.length === 1 ? 'it' : 'them';
    if (meta.kind === 'snapshot') {
        return {
            title: hostRequirementTitle(gained),
            message: `${hostGainSentence(f, 'on older machine types')}: ${TYPE_2}`,
            fix: `waive it with its reason, or move ${summary(gained)} into a new model version`,
        };
    }
    const cause = causeSentence(meta.cause);
    const cpuVersion = meta.cause.kind === 'machine-type' ? meta.cause.defaultCpuVersion : undefined;
    return {
        title: cpuVersion
            ? `${cause}: ${count(gained.length, 'property')} become host requirements`
            : hostRequirementTitle(gained),
        message: `${cause}. ${hostGainSentence(f, 'on released machine types')}: ${TYPE_2}`,
        fix: cpuVersion
            ? `set the default CPU version of ${summary(f.machineTypes)} back to ${cpuVersion.before} at ${at(f.location)}: ` +
                'unversioned names keep the version older machine types give them, and a guest that wants a newer version names it'
            : meta.newVersion
                ? `leave ${summary(gained)} off by default and add ${them} in a new version ${meta.newVersion}`
                : `leave ${summary(gained)} off by default; put ${them} in a new model version`,
    };
}
function compatConfinedChange(f) {
    const { meta } = f;
    switch (meta.kind) {
        case 'change': {
            const cause = causeSentence(meta.cause);
            return {
                title: `${cause}, confined to unreleased machine types`,
                message: `${cause}. Only ${summary(f.machineTypes)}, not released yet, see ${f.property} ${fmt(f.before)} → ${fmt(f.after)}` +
                    (meta.keptBy.length
                        ? `; ${meta.keptBy.map((e) => keeps(e, 'for released machine types', '=')).join('; ')}`
                        : '') +
                    ', and no host requirement grows.',
                fix: NONE_NEEDED,
            };
        }
        case 'new-property-unreleased':
            return {
                title: `${f.property} is new; only unreleased machine types get its default ${fmt(f.after)}`,
                message: `${f.property} ${NEW_PROPERTY}. ${entryAt(meta.keptBy)} sets it to ${meta.keptBy.value} for older machine types; ` +
                    `the machine types that get the default ${fmt(f.after)} instead (${f.machineTypes.join(', ')}) are not released yet.`,
                fix: NONE_NEEDED,
            };
        case 'new-property-confined': {
            const on = ofBase(meta.confined, meta.baseMachineTypes);
            const set = meta.keptBy.set ?? 'a compat array';
            return {
                title: `${f.property} is new, and ${set} sets it to ${meta.keptBy.value} for ${on}`,
                message: `${f.property} ${NEW_PROPERTY}. On ${on}, ${entryAt(meta.keptBy)} sets it to ${meta.keptBy.value} ` +
                    `for ${meta.keptBy.target === '*' ? 'every CPU' : meta.keptBy.target}: the value that keeps their old behaviour, ` +
                    'so only newer machine types get the new one, and no host requirement grows.' +
                    (meta.newDefault
                        ? ` The machine types that get the default ${fmt(meta.newDefault.value)} (${meta.newDefault.machineTypes.join(', ')}) are not released yet.`
                        : ''),
                fix: NONE_NEEDED,
            };
        }
    }
}
function unreleasedChange(f) {
    const { meta, models } = f;
    switch (meta.kind) {
        case 'name-removed': {
            const many = models.length > 1;
            return {
                title: removedTitle(models),
                message: `${models.join(', ')} ${many ? 'were' : 'was'} never released, so removing ${many ? 'them' : 'it'} affects no VM.`,
                fix: NONE_NEEDED,
            };
        }
        case 'alias-retargeted':
            return { title: aliasTitle(meta), message: aliasMessage(meta), fix: NONE_NEEDED };
        case 'change': {
            const cause = causeSentence(meta.cause);
            return {
                title: `${cause}: only unreleased entries change`,
                message: `${cause}. It reaches only names that were never released${models.length ? `: ${summary(models)}` : ''}.`,
                fix: NONE_NEEDED,
            };
        }
    }
}
const machineCatalogWords = {
    'model-added': ({ meta }) => ({
        title: `New CPU model ${meta.model}`,
        message: `${meta.model} is a new model (${meta.names.join(', ')}); no existing VM can be using it.`,
        fix: NONE_NEEDED,
    }),
    'version-added': ({ meta }) => ({
        title: `New model version ${meta.name}`,
        message: `${meta.name} is a new version of ${meta.model}${meta.alias ? ` (alias ${meta.alias})` : ''}: released names keep their definitions.`,
        fix: NONE_NEEDED,
    }),
    'alias-added': ({ meta }) => ({
        title: `New alias ${meta.name}`,
        message: `${meta.name} is a new name for ${meta.model}-v${meta.version}.`,
        fix: NONE_NEEDED,
    }),
    'released-name-removed': ({ meta, models }) => ({
        title: removedTitle(models),
        message: `${models.join(', ')} ${models.length > 1 ? 'are released model names' : 'is a released model name'}: VMs configured with ${models.length > 1 ? 'them' : 'it'} no longer start.`,
        fix: `keep ${meta.model}; deprecate it first (a deprecation note) and remove it in a later release`,
    }),
    'deprecated-name-removed': ({ meta, models }) => ({
        title: removedTitle(models),
        message: `${models.join(', ')}: deprecated (${meta.deprecation}) before the removal.`,
        fix: NONE_NEEDED,
    }),
    'alias-retargeted': ({ meta }) => ({
        title: aliasTitle(meta),
        message: aliasMessage(meta),
        fix: `keep ${meta.name} on ${meta.from.model}-v${meta.from.version} and give the new version a new alias`,
    }),
    'name-conflict': ({ meta }) => ({
        title: `${meta.name} is registered twice`,
        message: `${meta.name} is registered by ${meta.first} and again by ${meta.again}; one of them is unreachable.`,
        fix: 'give one of them another name',
    }),
    'released-model-changed': releasedModelChanged,
    'machine-type-host-requirement': machineTypeHostRequirement,
    'compat-confined-change': compatConfinedChange,
    'new-property-default': (f) => ({
        title: `${f.property} is new; the machine types the base had get its default ${fmt(f.after)}`,
        message: `${f.property} ${NEW_PROPERTY}${f.meta.declaredAt ? ` (${at(f.meta.declaredAt)})` : ''}, and no model, ` +
            `version or compat entry sets it: on ${ofBase(f.machineTypes.length, f.meta.baseMachineTypes)} it takes its default, ${fmt(f.after)}. ` +
            'A new property names behaviour the base had fixed in code; by the convention that keeps machine types stable, ' +
            'a default that changed old machine types would come with a compat entry restoring the old value. ' +
            'Whether the default equals the old behaviour lies in that code, which the catalog tables do not show.',
        fix: 'none needed; if the default changes what released machine types did, add a compat entry with the old value to the newest released compat array',
    }),
    'unreleased-change': unreleasedChange,
    'no-effective-change': ({ meta }) => {
        const did = [
            ...(meta.addedMachineTypes.length ? [`adds machine types ${meta.addedMachineTypes.join(', ')}`] : []),
            ...(meta.releasedMachineTypes.length ? [`releases ${meta.releasedMachineTypes.join(', ')}`] : []),
        ];
        return {
            title: `${meta.file} changed without changing any CPU model`,
            message: did.length
                ? `The edit changes no effective model of a name the base had on a machine type the base had; it ${did.join(', and ')}.`
                : 'The edit changes no effective model on any machine type: comments, order or formatting.',
            fix: NONE_NEEDED,
        };
    },
};

const measuredWords = {
    'measured-unexplained': ({ meta }) => {
        const { measured, guestReadsAs, hunk } = meta;
        const words = binariesWords[measured.rule](measured);
        const where = hunk
            ? ` The catalog's tables do not say it; the pull request's change to ${hunk.function}() (${hunk.path}:${hunk.line}) is where guest CPUID is computed.`
            : " The catalog's tables do not say it, and the pull request changes no function that computes guest CPUID.";
        return {
            title: `Measured, not in the catalog: ${words.title}`,
            message: `${words.message}${guestReadsAs ? ` The guest reads it as: ${guestReadsAs.join(', ')}.` : ''}${where}`,
            fix: words.fix,
        };
    },
};
/** What two binaries showed of a static finding they compared (`check` with binaries). */
function comparisonWords(f) {
    if (!f.comparedBy)
        return '';
    const { base, head, properties, pairs } = f.comparedBy;
    return f.confirmedOn
        ? ` The two binaries confirm it: ${properties.join(', ')} expands differently in ${head} than in ${base} for ${f.confirmedOn.models.join(', ')} on ${f.confirmedOn.machineTypes.join(', ')}.`
        : ` The two binaries do not show it: ${properties.join(', ')} expands the same in both on the ${pairs} pair(s) of it they compare.`;
}

/** The words of rules one module alone judges, and of the machine catalogs' shared ones. */
const WORDS = {
    ...machineCatalogWords,
    ...auditWords,
    ...libvirtWords,
    ...cpuidCodeWords,
    ...measuredWords,
};
/**
 * Rules other modules judge too, with facts that say whose they are: what two binaries measure
 * names them (`binaries`), and libvirt's facts name their format.
 */
const SHARED = [
    { claims: (meta) => 'binaries' in meta, words: binariesWords },
    { claims: (meta) => 'format' in meta && meta.format === 'libvirt-cpu-map', words: libvirtSharedWords },
];
function wordsOf(finding) {
    const words = SHARED.find((s) => s.claims(finding.meta))?.words ?? WORDS;
    return words[finding.rule](finding);
}
/**
 * A finding with its words, from its facts, and what two binaries showed of it when `check`
 * compared them. A finding the engine already worded (a check joined with binaries) is worded
 * again from the same facts; one without facts (a report written by another version, which
 * the schema allows) keeps its words.
 */
function worded(draft) {
    const words = draft.meta ? wordsOf(draft) : draft;
    const { hostRequirement: hr, ...facts } = draft;
    return {
        ...facts,
        title: words.title,
        message: words.message + comparisonWords(draft),
        fix: words.fix,
        ...(hr ? { hostRequirement: 'why' in hr ? hr : { gained: hr.gained, why: hostRequirementWhy(hr) } } : {}),
    };
}
/** The line a report without findings ends with: what was looked at, and that the rule holds. */
function noFindings(report) {
    return report.mode === 'audit'
        ? 'No findings: no machine type asks more of the host than the one before it, and no name is registered twice.'
        : 'No findings: the change keeps every rule.';
}

/**
 * The plain-text report for people in a terminal or a CI log, and the wording helpers the other
 * human-facing renderers (Markdown) share: how values, model lists and machine-type lists read.
 */
const VERSIONED_MACHINE_TYPE = /^(.+)-(\d+)\.(\d+)(?:\.(\d+))?$/;
function parseMachineType(name) {
    const m = VERSIONED_MACHINE_TYPE.exec(name);
    if (!m)
        return undefined;
    return { name, family: m[1], version: [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)] };
}
function compareVersions(a, b) {
    for (let i = 0; i < 3; i++)
        if (a[i] !== b[i])
            return a[i] - b[i];
    return 0;
}
/**
 * True when no machine type can exist between `a` and `b` under the x.y[.z] numbering: the next
 * bugfix release of the same x.y, or the next minor whose bugfix is 0. A step to a new major is
 * not adjacent, because how many minors the previous major had is not known here.
 */
function provablyAdjacent(a, b) {
    const [aMajor, aMinor, aPatch] = a;
    const [bMajor, bMinor, bPatch] = b;
    if (aMajor !== bMajor)
        return false;
    if (aMinor === bMinor)
        return bPatch === aPatch + 1;
    return bMinor === aMinor + 1 && bPatch === 0;
}
/**
 * Folds machine types into runs per family. A run of fewer than three stays as separate names:
 * `a..b` for two names says nothing shorter than `a, b`.
 */
function compressMachineTypes(names, knownMachineTypes) {
    const unique = [...new Set(names)];
    const parsed = unique.map((name) => ({ name, parsed: parseMachineType(name) }));
    const familyOf = (name) => parseMachineType(name)?.family ?? name;
    // Families keep the order in which the report first names them; unversioned names stay put.
    const groups = new Map();
    for (const { name, parsed: p } of parsed) {
        const key = p ? `family:${p.family}` : `name:${name}`;
        const group = groups.get(key) ?? [];
        group.push(name);
        groups.set(key, group);
    }
    const knownIndex = knownMachineTypes ? new Map(knownMachineTypes.map((n, i) => [n, i])) : undefined;
    const runs = [];
    for (const group of groups.values()) {
        let ordered;
        let adjacent;
        if (knownIndex && group.every((n) => knownIndex.has(n))) {
            ordered = [...group].sort((a, b) => knownIndex.get(a) - knownIndex.get(b));
            adjacent = (a, b) => knownIndex.get(b) === knownIndex.get(a) + 1 && familyOf(a) === familyOf(b);
        }
        else {
            ordered = [...group].sort((a, b) => {
                const pa = parseMachineType(a);
                const pb = parseMachineType(b);
                return pa && pb ? compareVersions(pa.version, pb.version) : 0;
            });
            adjacent = (a, b) => {
                const pa = parseMachineType(a);
                const pb = parseMachineType(b);
                return !!pa && !!pb && provablyAdjacent(pa.version, pb.version);
            };
        }
        let start = 0;
        for (let i = 1; i <= ordered.length; i++) {
            if (i < ordered.length && adjacent(ordered[i - 1], ordered[i]))
                continue;
            const run = ordered.slice(start, i);
            if (run.length >= 3) {
                runs.push({ first: run[0], last: run[run.length - 1], count: run.length });
            }
            else {
                for (const name of run)
                    runs.push({ first: name, last: name, count: 1 });
            }
            start = i;
        }
    }
    return runs;
}
function formatMachineTypeRun(run) {
    return run.count === 1 ? run.first : `${run.first}..${run.last}`;
}
/** Machine types as compressed entries, and how many machine types the cut-off ones stand for. */
function summarizeMachineTypes(names, maxEntries, knownMachineTypes) {
    const runs = compressMachineTypes(names, knownMachineTypes);
    if (runs.length <= maxEntries)
        return { shown: runs.map(formatMachineTypeRun), more: 0 };
    const keep = Math.max(1, maxEntries - 1);
    const hidden = runs.slice(keep).reduce((sum, r) => sum + r.count, 0);
    return { shown: runs.slice(0, keep).map(formatMachineTypeRun), more: hidden };
}
function joinCollapsed(list, noun) {
    const text = list.shown.join(', ');
    return list.more > 0 ? `${text} and ${list.more} more ${noun}` : text;
}
function describeRef(ref) {
    if (!ref)
        return '(none)';
    const commit = ref.commit ? ref.commit.slice(0, 12) : undefined;
    if (ref.ref && commit && !ref.commit.startsWith(ref.ref))
        return `${ref.ref} (${commit})`;
    return ref.ref ?? commit ?? '(none)';
}
const CLASS_LABEL = {
    'new-model-required': 'new-model-required',
    'type-2': 'type-2',
    safe: 'safe',
};
/** Counts in the order of severity, e.g. `2 new-model-required, 1 type-2 (1 waived), 4 safe`. */
function describeCounts(report) {
    const parts = CLASS_ORDER.map((c) => `${report.counts[c]} ${c}`);
    const review = report.counts.review ? `; ${report.counts.review} for review` : '';
    return `${parts.join(', ')}${report.counts.waived ? `; ${report.counts.waived} waived` : ''}${review}`;
}
/** What the fail-on threshold means, so that PASS/FAIL can be read without the configuration. */
function describeFailOn(failOn) {
    switch (failOn) {
        case 'type-2':
            return 'fails on type-2 and new-model-required';
        case 'new-model-required':
            return 'fails on new-model-required only';
        case 'never':
            return 'never fails';
    }
}
/** What a waiver names, as reports list it: `Opteron_G3, Opteron_G4` or `cpu_x86_cpuid()`. */
function waiverSubjects(waiver) {
    return [...waiver.models, ...(waiver.functions ?? []).map((f) => `${f}()`), ...(waiver.paths ?? [])].join(', ');
}
function describeWaiver(waiver) {
    const scope = [waiver.rule, waiverSubjects(waiver), waiver.property].filter(Boolean).join(' / ');
    const extras = [
        waiver.expires ? `expires ${waiver.expires}` : undefined,
        waiver.owner ? `owner ${waiver.owner}` : undefined,
        `from ${waiver.source}`,
    ].filter(Boolean);
    return `${scope}: ${waiver.reason} (${extras.join(', ')})`;
}
function findingsByClass(findings) {
    const byClass = new Map(CLASS_ORDER.map((c) => [c, []]));
    for (const f of findings)
        byClass.get(f.class).push(f);
    return byClass;
}
/** Every property a finding changes: `properties` when it lists several, else `property`. */
function propertiesOf(finding) {
    return finding.properties ?? (finding.property ? [finding.property] : []);
}
/** The property change as one phrase: `pku: off → on`, `mpx, pku and 3 more properties: on → off`. */
function describePropertyChange(finding, maxProperties = 6) {
    const all = propertiesOf(finding);
    if (!all.length)
        return undefined;
    const names = joinCollapsed(collapseList(all, maxProperties), 'properties');
    if (finding.before === undefined && finding.after === undefined)
        return names;
    return `${names}: ${formatPropValue(finding.before)} → ${formatPropValue(finding.after)}`;
}
function describeLocation(finding) {
    const { path, line, endLine, side } = finding.location;
    const lines = endLine && endLine !== line ? `${line}-${endLine}` : `${line}`;
    return `${path}:${lines}${side === 'LEFT' ? ' (in base, removed in head)' : ''}`;
}
const ANSI = {
    reset: '\x1b[0m',
    bold: '\x1b[1m',
    dim: '\x1b[2m',
    red: '\x1b[31m',
    yellow: '\x1b[33m',
    green: '\x1b[32m',
};
/**
 * Catalog text (model names, messages) ends up in terminals: control characters in it must not be
 * able to move the cursor or change colours.
 */
function sanitize(text) {
    return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
const CLASS_STYLE = {
    'new-model-required': 'red',
    'type-2': 'yellow',
    safe: 'green',
};
function verdictLabel(finding) {
    switch (finding.verdict) {
        case 'fail':
            return 'FAIL';
        case 'waived':
            return 'WAIVED';
        case 'review':
            return 'REVIEW';
        case 'pass':
            return 'pass';
    }
}
function renderText(report, options = {}) {
    const paint = (style, text) => options.color ? `${ANSI[style]}${text}${ANSI.reset}` : text;
    const maxModels = options.maxModels ?? 6;
    const maxMachineTypeEntries = options.maxMachineTypeEntries ?? 6;
    const out = [];
    const line = (text = '') => {
        out.push(text);
    };
    line(paint('bold', `${report.tool.name} ${report.tool.version}: ${report.mode} of ${report.catalog.format} catalog at ${sanitize(report.catalog.path)}`));
    if (report.mode !== 'audit') {
        line(`  base:     ${sanitize(describeRef(report.base))}`);
    }
    line(`  head:     ${sanitize(describeRef(report.head))}`);
    const release = report.release.ref || report.release.commit ? `${sanitize(describeRef(report.release))}: ` : '';
    line(`  released: ${release}${sanitize(report.release.explanation)}`);
    line(`  fail-on:  ${report.failOn} (${describeFailOn(report.failOn)})`);
    for (const [cls, findings] of findingsByClass(report.findings)) {
        if (findings.length === 0)
            continue;
        line();
        line(paint(CLASS_STYLE[cls], paint('bold', `${CLASS_LABEL[cls].toUpperCase()} (${findings.length})`)));
        for (const f of findings) {
            line();
            const verdict = verdictLabel(f);
            const verdictStyle = f.verdict === 'fail' ? 'red' : f.verdict === 'waived' || f.verdict === 'review' ? 'yellow' : 'dim';
            line(`  ${paint(verdictStyle, `[${verdict}]`)} ${paint('bold', f.rule)}: ${sanitize(f.title)}`);
            const indent = '      ';
            for (const messageLine of sanitize(f.message).split('\n'))
                line(`${indent}${messageLine}`);
            if (f.models.length) {
                line(`${indent}models:        ${sanitize(joinCollapsed(collapseList(f.models, maxModels), 'models'))}`);
            }
            if (f.machineTypes.length) {
                const mts = summarizeMachineTypes(f.machineTypes, maxMachineTypeEntries, options.knownMachineTypes);
                line(`${indent}machine types: ${sanitize(joinCollapsed(mts, 'machine types'))}`);
            }
            // A terminal has no folded block for the rest: every property is listed.
            const change = describePropertyChange(f, Infinity);
            if (change)
                line(`${indent}${f.properties ? 'properties:' : 'property:  '}    ${sanitize(change)}`);
            if (f.hostRequirement && f.hostRequirement.gained.length) {
                line(`${indent}host gains:    ${sanitize(f.hostRequirement.gained.join(', '))} (${sanitize(f.hostRequirement.why)})`);
            }
            line(`${indent}at:            ${sanitize(describeLocation(f))}`);
            if (f.commit)
                line(`${indent}introduced in: ${f.commit.slice(0, 12)}`);
            line(`${indent}fix:           ${sanitize(f.fix)}`);
            if (f.waiver)
                line(`${indent}${paint('yellow', 'waived:')}        ${sanitize(describeWaiver(f.waiver))}`);
            if (f.suggestion) {
                const s = f.suggestion;
                const span = s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}-${s.endLine}`;
                if (s.replacement === '') {
                    line(`${indent}remove ${sanitize(s.path)} ${span}`);
                }
                else {
                    line(`${indent}replace ${sanitize(s.path)} ${span} with:`);
                    for (const l of splitLines(s.replacement))
                        line(`${indent}${paint('green', `| ${sanitize(l)}`)}`);
                }
            }
            if (f.fixLines) {
                line(`${indent}add after ${sanitize(f.fixLines.path)}:${f.fixLines.afterLine}:`);
                for (const l of splitLines(f.fixLines.text))
                    line(`${indent}${paint('green', `+ ${sanitize(l)}`)}`);
            }
        }
    }
    if (report.unusedWaivers.length) {
        line();
        line(paint('bold', `UNUSED OR EXPIRED WAIVERS (${report.unusedWaivers.length})`));
        for (const w of report.unusedWaivers)
            line(`  - ${sanitize(describeWaiver(w))}`);
    }
    if (report.notes.length) {
        line();
        line(paint('bold', `NOTES (${report.notes.length})`));
        for (const n of report.notes)
            line(`  - ${n.kind === 'warning' ? 'warning: ' : ''}${sanitize(n.message)}`);
    }
    line();
    if (report.findings.length === 0)
        line(noFindings(report));
    line(`Findings: ${describeCounts(report)}.`);
    const result = report.result === 'pass' ? paint('green', paint('bold', 'PASS')) : paint('red', paint('bold', 'FAIL'));
    line(`Result: ${result} (fail-on ${report.failOn}: ${describeFailOn(report.failOn)}).`);
    return out.join('\n') + '\n';
}
/** Lines of a block of text without the empty line a trailing newline would add. */
function splitLines(text) {
    const lines = text.split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '')
        lines.pop();
    return lines;
}

/** The same source seen from a folder inside it: catalog readers work relative to their root. */
function subdirSource(source, dir) {
    const prefix = dir
        .replace(/\\/g, '/')
        .replace(/^\.\/?/, '')
        .replace(/\/+$/, '');
    if (!prefix)
        return source;
    return {
        label: `${source.label}/${prefix}`,
        readFile: (p) => source.readFile(`${prefix}/${p}`),
        ...(source.contentId ? { contentId: (p) => source.contentId(`${prefix}/${p}`) } : {}),
        listFiles: (d) => source.listFiles(d === '.' || d === '' ? prefix : `${prefix}/${d}`),
    };
}

/**
 * The engine: reads catalogs through `CatalogSource`, compares them and returns a report.
 * It never writes, posts or prints; the CLI and the action decide what to do with the data.
 */
const TOOL = { name: 'cpu-model-guard', version: '0.1.0' };
const CATALOG_FORMATS = ['qemu-x86', 'libvirt-cpu-map', 'catalog'];
/** `qemu-x86:SUBDIR`, `libvirt-cpu-map:src/cpu_map`, `catalog:cpu-models.yml`. */
function parseCatalogSpec(text, where = '--catalog') {
    const i = text.indexOf(':');
    const format = (i < 0 ? text : text.slice(0, i));
    const path = i < 0 ? '.' : text.slice(i + 1) || '.';
    if (!CATALOG_FORMATS.includes(format)) {
        throw new UsageError(`${where}: unknown catalog format "${format}"`, undefined, `use FORMAT:PATH with FORMAT one of ${CATALOG_FORMATS.join(', ')}`);
    }
    if (path.startsWith('/') || path.split(/[\\/]/).includes('..')) {
        throw new UsageError(`${where}: the catalog path ${path} leaves the repository`, undefined, 'give a path relative to the repository root');
    }
    return { format, path };
}
/**
 * Catalogs read so far in this run, by the content of every file they were read from: a
 * range audit reads each commit's tree once, and only what a commit changed is parsed again.
 */
const catalogReads = new ReadCache(2);
async function readCatalog(spec, source, options = {}) {
    const hostSupport = options.hostSupport ?? true;
    const cpuidCode = options.cpuidCode ? { extraFunctions: options.cpuidFunctions ?? [] } : undefined;
    const read = await catalogReads.get([
        spec.format,
        spec.path,
        hostSupport,
        cpuidCode ? ['cpuid', ...cpuidCode.extraFunctions].join(',') : '',
    ].join('\0'), source, async (from) => {
        switch (spec.format) {
            case 'qemu-x86': {
                const qemu = await readQemuX86(subdirSource(from, spec.path), spec.path, {
                    hostSupport,
                    ...(cpuidCode ? { cpuidCode } : {}),
                });
                return {
                    kind: 'machine',
                    catalog: qemu.catalog,
                    ...(qemu.cpuidCode ? { cpuidCode: qemu.cpuidCode } : {}),
                };
            }
            case 'catalog': {
                // With its YAML and JSON Schema libraries, loaded only when a catalog of this format
                // is read.
                const { readGenericCatalog } = await import('./shared-catalog.js');
                return { kind: 'machine', catalog: await readGenericCatalog(from, spec.path) };
            }
            case 'libvirt-cpu-map':
                return { kind: 'libvirt', map: await readLibvirtCpuMap(subdirSource(from, spec.path)) };
        }
    }, options.catalogStore);
    return read.kind === 'machine' ? { ...read, catalog: withOverrides(read.catalog, options) } : read;
}
/** A catalog with machine types (QEMU, generic); libvirt's cpu_map has none and is refused. */
async function readMachineCatalog(spec, source, options = {}) {
    const c = await readCatalog(spec, source, options);
    if (c.kind !== 'machine')
        throw new UsageError(`${spec.format} catalogs have no machine types`, undefined, 'expand and export read qemu-x86 and catalog formats');
    return c.catalog;
}
function withOverrides(catalog, options) {
    if (!options.hostRequirements)
        return catalog;
    return {
        ...catalog,
        hostRequirements: overrideHostRequirements(catalog.hostRequirements, options.hostRequirements, 'the configuration'),
    };
}
const today = () => new Date().toISOString().slice(0, 10);
/** Verdicts, waivers, ignores, order and counts: the same for every catalog format. */
function finish(findings, options, report) {
    let kept = findings.map((f) => ({
        ...f,
        verdict: findingVerdict(f, options.failOn, options.failOnReview),
    }));
    const notes = [...report.notes];
    const { findings: notIgnored, ignored } = withoutIgnoredModels(kept, options.ignoreModels ?? []);
    if (ignored.length) {
        notes.push({
            kind: 'info',
            message: `${ignored.length} finding(s) left out: they concern only ignored models (${options.ignoreModels.join(', ')})`,
        });
    }
    const waived = applyWaivers(notIgnored, options.waivers ?? [], options.today ?? today());
    kept = waived.findings;
    for (const w of waived.expired)
        notes.push({
            kind: 'warning',
            message: `waiver for ${w.rule} (${waiverSubjects(w)}) expired on ${w.expires} and no longer applies`,
        });
    kept.sort((a, b) => CLASS_ORDER.indexOf(a.class) - CLASS_ORDER.indexOf(b.class) ||
        a.location.path.localeCompare(b.location.path) ||
        a.location.line - b.location.line ||
        a.rule.localeCompare(b.rule));
    const counts = { safe: 0, 'type-2': 0, 'new-model-required': 0, waived: 0, review: 0 };
    for (const f of kept) {
        counts[f.class]++;
        if (f.verdict === 'waived')
            counts.waived++;
        if (f.verdict === 'review')
            counts.review++;
    }
    return {
        tool: TOOL,
        ...report,
        notes,
        failOn: options.failOn,
        result: kept.some((f) => f.verdict === 'fail') ? 'fail' : 'pass',
        counts,
        findings: kept,
        unusedWaivers: [...waived.unused, ...waived.expired],
    };
}
/** Classified findings with their words and fingerprints; `finish` gives the verdicts. */
function withFingerprints(drafts) {
    return drafts.map((d) => {
        const f = worded(d);
        return {
            ...f,
            verdict: 'pass',
            fingerprint: f.fingerprint ?? fingerprint(d.rule, d.models, d.property, d.machineTypes),
        };
    });
}
/**
 * A change with no effect on any effective model (comments, order, formatting): said so, with
 * the first changed line, rather than passing in silence.
 */
async function cosmeticFinding(files, base, head, 
/** What the edit does change, when more than text: machine types it adds or releases. */
machineTypes = { added: [], released: [] }) {
    for (const file of files) {
        const [b, h] = await Promise.all([base.readFile(file), head.readFile(file)]);
        if (b === h || b === undefined || h === undefined)
            continue;
        const line = firstChangedLine(b, h);
        return withFingerprints([
            classified('no-effective-change', {
                kind: 'catalog-file',
                file,
                addedMachineTypes: machineTypes.added,
                releasedMachineTypes: machineTypes.released,
            }, {
                class: 'safe',
                models: [],
                machineTypes: [],
                location: { path: file, line, side: 'RIGHT' },
                fingerprint: fingerprint('no-effective-change', [], file, []),
            }),
        ])[0];
    }
    return undefined;
}
/** Gives each removal the head line it sits at, for viewers that show only head's files. */
async function anchorRemovals(findings, base, head) {
    return Promise.all(findings.map(async (f) => {
        if (f.location.side !== 'LEFT')
            return f;
        const [b, h] = await Promise.all([base.readFile(f.location.path), head.readFile(f.location.path)]);
        const headLine = b !== undefined && h !== undefined ? headLineOf(b, h, f.location.line) : undefined;
        return headLine ? { ...f, location: { ...f.location, headLine } } : f;
    }));
}
/** The cpu_map reader speaks of paths inside the catalog folder; reviews need repository paths. */
function inCatalog(catalog, path) {
    return catalog.path === '.' ? path : `${catalog.path.replace(/\/+$/, '')}/${path}`;
}
/**
 * Whether the check runs from the release commit itself (the usual case right after a
 * release): its catalog is base's, already read.
 */
const releaseIsBase = (req) => req.release.commit !== undefined && req.release.commit === req.baseRef.commit;
/**
 * The models of the release revision: without a readable one (said in a note), every model of
 * base counts as released.
 */
async function releasedLibvirtModels(req, base, notes) {
    if (releaseIsBase(req))
        return new Set(Object.keys(base.models));
    if (!req.release.source)
        return undefined;
    try {
        const r = await readCatalog(req.catalog, req.release.source, { catalogStore: req.catalogStore });
        return r.kind === 'libvirt' ? new Set(Object.keys(r.map.models)) : undefined;
    }
    catch (err) {
        if (!(err instanceof CatalogError))
            throw err;
        notes.push({
            kind: 'warning',
            message: `the release revision has no readable catalog (${err.message}); every model in base counts as released`,
        });
        return undefined;
    }
}
/** libvirt's cpu_map: catalog models, their diff, the rule's findings. */
async function checkLibvirt(req, base, head, notes) {
    const released = await releasedLibvirtModels(req, base, notes);
    const headCatalog = libvirtCatalog(head);
    const diff = diffLibvirtCatalogs(libvirtCatalog(base), headCatalog);
    notes.push(...headCatalog.notes.map((message) => ({ kind: 'info', message })));
    const inRepo = (p) => inCatalog(req.catalog, p);
    return withFingerprints(classifyLibvirt({ diff, ...(released ? { released } : {}), headLine: catalogLine(headCatalog) })).map((f) => ({
        ...f,
        location: { ...f.location, path: inRepo(f.location.path) },
        ...(f.suggestion ? { suggestion: { ...f.suggestion, path: inRepo(f.suggestion.path) } } : {}),
        ...(f.fixLines ? { fixLines: { ...f.fixLines, path: inRepo(f.fixLines.path) } } : {}),
    }));
}
async function check(request) {
    const options = { ...request, cpuidCode: true };
    request.onStage?.('read');
    const [base, head, release] = await Promise.all([
        readCatalog(request.catalog, request.base, options),
        readCatalog(request.catalog, request.head, options),
        request.release,
    ]);
    request.onStage?.('compare');
    const req = { ...request, release };
    const notes = [];
    let findings;
    let files;
    let machineTypeChanges = { added: [], released: [] };
    if (base.kind === 'libvirt' && head.kind === 'libvirt') {
        findings = await checkLibvirt(req, base.map, head.map, notes);
        files = Object.keys(head.map.files).map((p) => inCatalog(req.catalog, p));
    }
    else if (base.kind === 'machine' && head.kind === 'machine') {
        findings = await checkMachineCatalog(req, base, head, notes);
        files = head.catalog.files;
        machineTypeChanges = machineTypesChanged(base.catalog, head.catalog, notes);
    }
    else {
        throw new CatalogError('base and head catalogs are of different kinds');
    }
    if (!findings.length) {
        const cosmetic = await cosmeticFinding(files, req.base, req.head, machineTypeChanges);
        if (cosmetic)
            findings.push(cosmetic);
    }
    findings = await anchorRemovals(findings, req.base, req.head);
    return finish(findings, req, {
        mode: 'check',
        ...(head.kind === 'machine' ? { machineTypes: head.catalog.machineTypes.map((m) => m.name) } : {}),
        catalog: { format: req.catalog.format, path: req.catalog.path },
        base: req.baseRef,
        head: req.headRef,
        release: { ref: req.release.ref, commit: req.release.commit, explanation: req.release.explanation },
        notes,
    });
}
/** The names that count as released: the release revision's, or base's when it has none. */
async function releasedMachineCatalogNames(req, base, notes) {
    const names = (c) => new Set(registeredNames(c).map((n) => n.name));
    if (releaseIsBase(req) || !req.release.source)
        return names(base);
    try {
        // Names only: host support (QEMU's kvm.c) has no part in them.
        return names(await readMachineCatalog(req.catalog, req.release.source, {
            catalogStore: req.catalogStore,
            hostSupport: false,
        }));
    }
    catch (err) {
        if (!(err instanceof CatalogError))
            throw err;
        notes.push({
            kind: 'warning',
            message: `the release revision has no readable catalog (${err.message}); every name in base counts as released`,
        });
        return names(base);
    }
}
/** A catalog with machine types: its names and models, then the code that computes guest CPUID. */
async function checkMachineCatalog(req, base, head, notes) {
    const releasedNames = await releasedMachineCatalogNames(req, base.catalog, notes);
    const headTexts = new Map(await Promise.all(head.catalog.files.map(async (f) => [f, await req.head.readFile(f)])));
    // Split into lines only when a finding quotes a line of the file.
    const headLines = new Map();
    const headLine = (path, line) => {
        if (!headLines.has(path))
            headLines.set(path, headTexts.get(path)?.split('\n'));
        return headLines.get(path)?.[line - 1];
    };
    const findings = withFingerprints(classifyMachineCatalog({ base: base.catalog, head: head.catalog, releasedNames, headLine }));
    if (base.cpuidCode && head.cpuidCode) {
        checkCompatReferences(base.catalog, head.catalog, base.cpuidCode, head.cpuidCode);
        findings.push(...withFingerprints(await classifyCpuidCode({
            base: base.catalog,
            head: head.catalog,
            baseCode: base.cpuidCode,
            headCode: head.cpuidCode,
            baseText: (p) => req.base.readFile(p),
            headText: (p) => req.head.readFile(p),
        })));
    }
    notes.push(...head.catalog.notes
        .filter((n) => !base.catalog.notes.includes(n))
        .map((message) => ({ kind: 'info', message })));
    return findings;
}
/**
 * Machine types added, removed and released: noted (removals follow the project's own
 * deprecation policy and are not judged), and returned for a change that does nothing else.
 */
function machineTypesChanged(base, head, notes) {
    const headTypes = new Set(head.machineTypes.map((m) => m.name));
    const baseTypes = new Set(base.machineTypes.map((m) => m.name));
    for (const m of base.machineTypes)
        if (!headTypes.has(m.name))
            notes.push({
                kind: 'info',
                message: `machine type ${m.name} removed (machine types follow the project's own deprecation policy; not judged by the rule)`,
            });
    const added = head.machineTypes.filter((m) => !baseTypes.has(m.name)).map((m) => m.name);
    for (const name of added)
        notes.push({ kind: 'info', message: `machine type ${name} added` });
    const wasReleased = new Map(base.machineTypes.map((m) => [m.name, m.released]));
    const released = head.machineTypes
        .filter((m) => m.released && wasReleased.get(m.name) === false)
        .map((m) => m.name);
    return { added, released };
}
/**
 * A check's report joined with what two QEMU binaries measure (`verify` of the same change):
 * static findings the binaries confirm say so, and measured differences no static finding
 * explains become findings of their own.
 */
function joinBinaries(checked, measured, options) {
    const joined = joinMeasured({
        findings: checked.findings,
        measured: measured.report.findings,
        base: measured.base,
        head: measured.head,
        machineTypes: checked.machineTypes ?? [],
    });
    const notes = [
        ...checked.notes,
        {
            kind: 'info',
            message: `joined with ${measured.head.binary} (${measured.head.version}) against ${measured.base.binary} (${measured.base.version}): ${measured.report.findings.length} measured finding(s)${joined.outOfScope ? `, ${joined.outOfScope} of them on machine types this catalog does not have` : ''}`,
        },
        ...measured.report.notes,
    ];
    // The check's findings are worded again with what the binaries showed of them.
    const report = finish(withFingerprints(joined.findings), options, { ...checked, notes: [] });
    // finish speaks again of ignored models and expired waivers the check already noted.
    const seen = new Set();
    report.notes = [...notes, ...report.notes].filter((n) => !seen.has(n.message) && !!seen.add(n.message));
    return report;
}
/**
 * One snapshot: every place where a newer machine type asks more of the host than the one
 * before it (each is a type-2 change that was made at some point), and names registered twice.
 */
async function audit(req) {
    req.onStage?.('read');
    const read = await readCatalog(req.catalog, req.head, req);
    req.onStage?.('compare');
    if (read.kind !== 'machine') {
        throw new UsageError('audit needs a catalog with machine types (qemu-x86 or catalog)', undefined, 'libvirt cpu_map models have no machine types: use check between two revisions');
    }
    const catalog = read.catalog;
    const findings = withFingerprints(auditMachineCatalog(catalog));
    return finish(findings, req, {
        mode: 'audit',
        machineTypes: catalog.machineTypes.map((m) => m.name),
        catalog: { format: req.catalog.format, path: req.catalog.path },
        head: req.headRef,
        release: {
            explanation: 'an audit judges the snapshot as a whole: every machine type change that grew host requirements is reported',
        },
        notes: catalog.notes.map((message) => ({ kind: 'info', message })),
    });
}
/**
 * `[machineType, { modelName: { property: value } }]`, one machine type at a time, with the
 * catalog's property names: everything on every machine type is large, so callers can write
 * it out as it comes instead of holding it all.
 */
function expandEach(req) {
    // Unknown names fail here, before the caller has written anything.
    const em = new EffectiveModels(req.catalog, { cache: false });
    const machineTypes = req.catalog.machineTypes.filter((m) => !req.machine || m.name === req.machine || m.aliases.includes(req.machine));
    if (req.machine && !machineTypes.length) {
        const known = req.catalog.machineTypes.flatMap((m) => [m.name, ...m.aliases]);
        throw new UsageError(`no machine type ${req.machine} in this catalog`, undefined, didYouMean(req.machine, known) ??
            `choose one of ${req.catalog.machineTypes
                .map((m) => m.name)
                .slice(-5)
                .join(', ')}, ...`);
    }
    const names = em.registeredNames().filter((n) => !req.model || n.name === req.model);
    if (req.model && !names.length) {
        const known = em.registeredNames().map((n) => n.name);
        throw new UsageError(`no model ${req.model} in this catalog`, undefined, didYouMean(req.model, known) ?? `it has ${known.length} model names; expand without --model lists them`);
    }
    return (function* () {
        for (const mt of machineTypes) {
            const models = {};
            for (const n of names) {
                const e = em.get(n.name, mt.name, req.accel ?? 'kvm');
                if (e)
                    models[n.name] = e;
            }
            yield [mt.name, models];
        }
    })();
}

/** Modes whose object is a blob (files, executables, symbolic links), as `git ls-tree` says `blob`. */
const BLOB_MODES = new Set(['100644', '100755', '100664', '120000']);
const isBlobEntry = (e) => BLOB_MODES.has(e.mode);
const isTreeEntry = (e) => e.mode === '40000' || e.mode === '040000';
/**
 * One long-lived `git cat-file --batch` per repository: every blob of a run comes through one
 * process instead of one `git show` each. The object's size comes in its header, so a read is
 * complete by construction. Trees are kept by object id, which is their content: a folder
 * unchanged between base, head and the release revision is read once. Blobs are not kept
 * here: their readers keep the decoded text, which is what is read again.
 */
class GitObjectReader {
    dir;
    static readers = new Map();
    /** The reader of a repository, shared by every source the run makes of it. */
    static of(dir) {
        const key = path.resolve(dir);
        let reader = GitObjectReader.readers.get(key);
        if (!reader)
            GitObjectReader.readers.set(key, (reader = new GitObjectReader(key)));
        return reader;
    }
    child;
    queue = [];
    buffered = Buffer.alloc(0);
    /** Chunks not yet joined to `buffered`: a large object is joined once, when it is whole. */
    arriving = [];
    arrivingBytes = 0;
    /** How many bytes `buffered` must hold before the next answer can be complete. */
    needed = 0;
    stderr = '';
    /** Trees by object id, parsed: a folder unchanged between revisions is read once. */
    trees = new Map();
    commits = new Map();
    constructor(dir) {
        this.dir = dir;
    }
    /** The object a `<rev>:<path>` or an object id names, or `undefined` when git has none. */
    read(spec) {
        if (/[\n\r]/.test(spec)) {
            return Promise.reject(new InputError(`git object name ${JSON.stringify(spec)} holds a line break`));
        }
        return new Promise((resolve, reject) => {
            const child = this.process();
            this.queue.push({ spec, resolve, reject });
            pipe(child.stdout).ref();
            child.stdin.write(`${spec}\n`);
        });
    }
    /**
     * The tree an object id or a `<rev>^{tree}`/`<rev>:<folder>` names, or `undefined` when git
     * has no such tree. Trees are cached by object id, and by the commit id that names them.
     */
    tree(spec) {
        let tree = this.trees.get(spec);
        if (!tree) {
            tree = this.read(spec).then((object) => {
                if (!object || object.type !== 'tree')
                    return undefined;
                const parsed = parseTree(object.content, object.oid.length / 2, spec);
                this.trees.set(object.oid, Promise.resolve(parsed));
                return parsed;
            });
            tree.catch(() => this.trees.delete(spec));
            // What a branch or HEAD names can move; a commit or tree id cannot.
            if (/^[0-9a-f]{40,64}(\^\{tree\})?$/.test(spec))
                this.trees.set(spec, tree);
        }
        return tree;
    }
    /** A commit's tree and parents (first parent first); `undefined` when git has no such commit. */
    commit(spec) {
        let commit = this.commits.get(spec);
        if (!commit) {
            commit = this.read(spec).then((object) => {
                if (!object || object.type !== 'commit')
                    return undefined;
                const text = object.content.toString('utf8');
                const header = text.slice(0, text.indexOf('\n\n') >>> 0);
                const tree = /^tree ([0-9a-f]+)$/m.exec(header)?.[1];
                if (!tree)
                    throw new InputError(`git commit ${spec} names no tree`);
                return { tree, parents: [...header.matchAll(/^parent ([0-9a-f]+)$/gm)].map((m) => m[1]) };
            });
            commit.catch(() => this.commits.delete(spec));
            if (/^[0-9a-f]{40,64}$/.test(spec))
                this.commits.set(spec, commit);
        }
        return commit;
    }
    /** The folder at a path (`a/b`, `.` or `` for the root) below a tree, if there is one. */
    async treeAt(root, folder) {
        let tree = await this.tree(root);
        for (const part of pathParts(folder)) {
            const e = tree?.get(part);
            if (!e || !isTreeEntry(e))
                return undefined;
            tree = await this.tree(e.oid);
        }
        return tree;
    }
    /** The entry at a path (`a/b/c`) below a tree, or `undefined` when there is none. */
    async entry(root, filePath) {
        const parts = pathParts(filePath);
        const name = parts.pop();
        if (name === undefined)
            return undefined;
        return (await this.treeAt(root, parts.join('/')))?.get(name);
    }
    /** Ends the git process; the next read starts another. */
    close() {
        this.child?.stdin.end();
        this.child = undefined;
    }
    process() {
        if (this.child)
            return this.child;
        const child = spawn('git', ['cat-file', '--batch'], { cwd: this.dir, stdio: 'pipe' });
        this.child = child;
        this.buffered = Buffer.alloc(0);
        this.arriving = [];
        this.arrivingBytes = 0;
        this.needed = 0;
        this.stderr = '';
        child.stdout.on('data', (chunk) => {
            this.arriving.push(chunk);
            this.arrivingBytes += chunk.length;
            if (this.buffered.length + this.arrivingBytes < this.needed)
                return;
            this.buffered = Buffer.concat([this.buffered, ...this.arriving]);
            this.arriving = [];
            this.arrivingBytes = 0;
            this.drain();
        });
        child.stderr.on('data', (chunk) => {
            this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2e3);
        });
        const fail = (why) => {
            if (this.child === child)
                this.child = undefined;
            const pending = this.queue.splice(0);
            for (const p of pending)
                p.reject(gitError(this.dir, 'cat-file', `${why}${this.stderr ? `: ${this.stderr.trim()}` : ''}`));
        };
        child.on('error', (err) => fail(`could not start (${err.message})`));
        // A git that ended early closes its stdin: the close handler reports it, not the write.
        child.stdin.on('error', () => undefined);
        child.on('close', (code) => {
            if (this.queue.length)
                fail(`ended with code ${code} before answering`);
        });
        // An idle reader must not keep the process alive: stdout is referenced only while a read
        // is waiting for its answer.
        pipe(child.stdout).unref();
        pipe(child.stderr).unref();
        pipe(child.stdin).unref();
        child.unref();
        return child;
    }
    /** Answers, in order, every request whose whole reply has arrived. */
    drain() {
        while (this.queue.length) {
            const eol = this.buffered.indexOf(0x0a);
            if (eol < 0)
                return;
            const header = this.buffered.subarray(0, eol).toString('utf8');
            const request = this.queue[0];
            if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
                this.buffered = this.buffered.subarray(eol + 1);
                this.queue.shift();
                request.resolve(undefined);
                continue;
            }
            const m = /^([0-9a-f]{40,64}) (\w+) (\d+)$/.exec(header);
            if (!m) {
                this.queue.shift();
                request.reject(new InputError(`git cat-file answered "${header.slice(0, 200)}" for ${request.spec}`));
                this.close();
                return;
            }
            const size = Number(m[3]);
            if (this.buffered.length < eol + 1 + size + 1) {
                this.needed = eol + 1 + size + 1;
                return;
            }
            this.needed = 0;
            const content = Buffer.from(this.buffered.subarray(eol + 1, eol + 1 + size));
            this.buffered = this.buffered.subarray(eol + 1 + size + 1);
            this.queue.shift();
            request.resolve({ oid: m[1], type: m[2], content });
        }
        if (!this.queue.length && this.child)
            pipe(this.child.stdout).unref();
    }
}
/** A git command that failed in a repository: an error of the environment, with git's words. */
const gitError = (dir, command, detail) => new InputError(`git ${command} in ${dir} ${detail}`, undefined, 'check that the folder is a git repository and that git works there (git status)');
const pathParts = (p) => p.split('/').filter((part) => part && part !== '.');
/** `<mode> SP <name> NUL <raw object id>`, repeated. */
function parseTree(content, oidBytes, spec) {
    const entries = new Map();
    let at = 0;
    while (at < content.length) {
        const space = content.indexOf(0x20, at);
        const nul = content.indexOf(0, space + 1);
        if (space < 0 || nul < 0 || nul + 1 + oidBytes > content.length)
            throw new InputError(`git tree ${spec} is malformed at byte ${at}`);
        const mode = content.toString('latin1', at, space);
        const name = content.toString('utf8', space + 1, nul);
        entries.set(name, { mode, oid: content.toString('hex', nul + 1, nul + 1 + oidBytes) });
        at = nul + 1 + oidBytes;
    }
    return entries;
}
/** A child's stdio with `stdio: 'pipe'` is a socket, which can stop holding the event loop. */
function pipe(stream) {
    return stream;
}

/** Why a path cannot be read or written, in the words of someone who can fix it. */
function fileErrorMessage(err) {
    switch (err?.code) {
        case 'ENOENT':
            return 'no such file or folder';
        case 'EISDIR':
            return 'a folder, expected a file';
        case 'ENOTDIR':
            return 'a part of this path is a file, expected a folder';
        case 'ELOOP':
            return 'a symbolic link that leads to itself';
        case 'EACCES':
        case 'EPERM':
            return 'not accessible to this user';
        case 'EROFS':
            return 'on a read-only file system';
        case 'ENOSPC':
            return 'no space left on the device';
        case 'ENAMETOOLONG':
            return 'the name is too long';
        default:
            return undefined;
    }
}
/** An input error for a file system failure a user can fix; anything else stays what it is. */
function asFileError(err, file, hint) {
    const message = fileErrorMessage(err);
    return message ? new InputError(message, { path: file }, hint) : err;
}
/** What a {@link ReportFile.write} call writes, as a list of parts. */
const partsOf = (text) => typeof text === 'string' || text instanceof Uint8Array ? [text] : text;
async function openReportFile(file, options = {}) {
    const hint = 'pass --output a file path in a folder that exists';
    try {
        if (options.createFolders)
            await mkdir(path.dirname(file), { recursive: true });
        const handle = await open(file, 'w');
        // The stream owns the handle: it closes it when it ends, and keeps it from being collected.
        const stream = handle.createWriteStream();
        let failure;
        stream.on('error', (err) => (failure = asFileError(err, file, hint)));
        return {
            write: (text) => new Promise((resolve, reject) => {
                if (failure)
                    return reject(failure);
                const parts = partsOf(text);
                if (!parts.length)
                    return resolve();
                stream.cork();
                parts.forEach((part, i) => stream.write(part, i < parts.length - 1
                    ? undefined
                    : (err) => (err ? reject(asFileError(err, file, hint)) : resolve())));
                stream.uncork();
            }),
            close: () => new Promise((resolve, reject) => {
                stream.end(() => (failure ? reject(failure) : resolve()));
            }),
        };
    }
    catch (err) {
        throw asFileError(err, file, hint);
    }
}
/**
 * Standard output when it is a regular file (`> out.json`), else `undefined` (a terminal or a
 * pipe, which Node's own stream batches). Node writes to a file on standard output
 * synchronously, one system call per part written; `expand` writes two parts per model, about
 * 14,000 calls for QEMU 7.2, where one `writev` per call of `write` does.
 */
function stdoutFile() {
    const fd = 1;
    try {
        if (!fstatSync(fd).isFile())
            return undefined;
    }
    catch {
        return undefined;
    }
    return {
        write: (text) => {
            let parts = partsOf(text)
                .map((part) => (typeof part === 'string' ? Buffer.from(part) : part))
                .filter((part) => part.length > 0);
            try {
                while (parts.length) {
                    // A regular file takes a whole writev unless the disk fills; go on from where it stopped.
                    let written = writevSync(fd, parts);
                    while (parts.length && written >= parts[0].length)
                        written -= parts.shift().length;
                    if (written > 0)
                        parts = [parts[0].subarray(written), ...parts.slice(1)];
                }
            }
            catch (err) {
                return Promise.reject(asFileError(err, 'standard output'));
            }
            return Promise.resolve();
        },
        close: () => Promise.resolve(),
    };
}
/** Writes a whole report to a file, ending it with a newline. */
async function writeReportFile(file, text, options = {}) {
    const out = await openReportFile(file, options);
    await out.write(text.endsWith('\n') ? text : `${text}\n`);
    await out.close();
}

const decoder = new TextDecoder('utf-8', { fatal: true });
/**
 * A catalog file's bytes as text. Catalogs are UTF-8: a byte sequence that is not would be
 * replaced by U+FFFD and read as some other name, so it is an error at its line instead.
 */
function catalogText(bytes, file) {
    try {
        return decoder.decode(bytes);
    }
    catch {
        // A line feed never occurs inside a multi-byte sequence: the first line that does not
        // decode on its own holds the first invalid byte.
        let start = 0;
        for (let line = 1;; line++) {
            const end = bytes.indexOf(0x0a, start);
            const slice = bytes.subarray(start, end < 0 ? bytes.length : end);
            try {
                decoder.decode(slice);
            }
            catch {
                throw new InputError('not UTF-8 text: this line holds a byte sequence that is not UTF-8', { path: file, line }, 'catalog files are UTF-8; convert the file (iconv -t UTF-8) or remove the stray bytes');
            }
            if (end < 0)
                break;
            start = end + 1;
        }
        throw new InputError('not UTF-8 text', { path: file });
    }
}

/** Git access for the engine's front ends: revisions, merge bases, tags and file contents. */
class GitRepository {
    dir;
    git;
    constructor(dir) {
        this.dir = dir;
        let folder;
        try {
            folder = statSync(dir);
        }
        catch (err) {
            throw asFileError(err, dir, 'pass --repo the folder of a git repository');
        }
        if (!folder.isDirectory())
            throw new InputError('a file, expected the folder of a git repository', { path: dir });
    }
    /**
     * `git <args>` in the repository, its output. simple-git loads with the first command: file
     * contents come through one `git cat-file` process of {@link GitObjectReader}, and commands
     * that read no revision (`expand`, a working tree's `audit`) never need it.
     */
    async raw(args) {
        this.git ??= import('./shared-simple-git.js').then(({ simpleGit }) => simpleGit({ baseDir: path.resolve(this.dir), maxConcurrentProcesses: 6 }));
        return (await this.git).raw(args);
    }
    /**
     * The commit a revision names; a clear error when the repository does not have it. Asked of
     * the run's one `git cat-file --batch`, which reads revisions as `git rev-parse` does, rather
     * than a process of its own: a check resolves base and head, and each is a process start.
     */
    async resolveCommit(rev) {
        const object = /[\n\r]/.test(rev)
            ? undefined
            : await GitObjectReader.of(this.dir).read(`${rev}^{commit}`);
        if (object?.type === 'commit')
            return object.oid;
        throw new InputError(`revision ${rev} is not a commit in ${this.dir}`, undefined, 'fetch it first (a shallow clone lacks history), or pass a branch, tag or full commit id');
    }
    async isRepository() {
        try {
            return (await this.raw(['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
        }
        catch {
            return false;
        }
    }
    /** The merge base of two commits, or `undefined` when they share no history here. */
    async mergeBase(a, b) {
        try {
            return (await this.raw(['merge-base', a, b])).trim() || undefined;
        }
        catch {
            return undefined;
        }
    }
    /**
     * The newest `v*` tag reachable from a commit, by commit date. Its git process starts at
     * the call, not once simple-git has loaded: a check looks the tag up while it parses base
     * and head, and a parse holds the event loop for hundreds of milliseconds, so a process
     * that waited for the library would start only after it and keep the check waiting.
     */
    async newestReleaseTag(commit) {
        const out = await gitOutput(this.dir, [
            'tag',
            '--merged',
            commit,
            '--list',
            'v*',
            '--sort=-creatordate',
            '--format=%(refname:short) %(objectname) %(*objectname)',
        ]);
        const first = out.split('\n').find((l) => l.trim());
        if (!first)
            return undefined;
        const [tag, object, peeled] = first.trim().split(' ');
        return { tag: tag, commit: peeled || object };
    }
    /**
     * The first-parent line of `from..to`, oldest first, each commit with its first parent
     * (`undefined` for a root commit).
     */
    async firstParentLine(from, to) {
        const out = await this.raw(['rev-list', '--reverse', '--first-parent', '--parents', `${from}..${to}`]);
        return out
            .split('\n')
            .filter(Boolean)
            .map((line) => {
            const [commit, parent] = line.split(' ');
            return { commit: commit, parent };
        });
    }
    /**
     * Whether `git diff --name-only a b` would list a file under one of `folders` (`.` for
     * all) or one of `files`, told from the trees: a path whose entry (mode and object id) is
     * the same on both sides holds no change.
     */
    async differs(a, b, paths) {
        const objects = GitObjectReader.of(this.dir);
        const at = async (commit, p) => {
            const c = await objects.commit(commit);
            if (!c)
                throw new InputError(`revision ${commit} is not a commit in ${this.dir}`);
            const normalized = path.posix.normalize(p).replace(/\/$/, '');
            if (normalized === '.' || normalized === '')
                return { mode: '40000', oid: c.tree };
            return objects.entry(c.tree, normalized);
        };
        const changed = async (p, counts) => {
            const [x, y] = await Promise.all([at(a, p), at(b, p)]);
            if (x?.mode === y?.mode && x?.oid === y?.oid)
                return false;
            return [x, y].some((e) => e !== undefined && counts(e));
        };
        for (const p of paths.folders)
            if (await changed(p, isTreeEntry))
                return true;
        for (const p of paths.files)
            if (await changed(p, (e) => !isTreeEntry(e)))
                return true;
        return false;
    }
    /** The unified diff between two commits for some paths, with zero context lines cut off by none. */
    async unifiedDiff(from, to, paths) {
        return this.raw(['diff', '--no-renames', '--no-color', '--no-ext-diff', from, to, '--', ...paths]);
    }
    /** The catalog as it is at a commit, read through git without checking it out. */
    async source(commit, subdir = '.') {
        const normalized = path.posix.normalize(subdir.replace(/\\/g, '/')).replace(/\/$/, '');
        const prefix = normalized === '.' ? '' : normalized;
        if (prefix === '..' || prefix.startsWith('../') || prefix.startsWith('/'))
            throw new InputError(`catalog path ${subdir} leaves the repository`);
        const objects = GitObjectReader.of(this.dir);
        const root = `${commit}^{tree}`;
        if (!(await objects.tree(root)))
            throw new InputError(`revision ${commit} is not a commit in ${this.dir}`, undefined, 'fetch it first (a shallow clone lacks history), or pass a branch, tag or full commit id');
        const full = (rel) => path.posix.normalize(prefix ? `${prefix}/${rel}` : rel);
        const blob = async (rel) => {
            const p = full(rel);
            if (p.startsWith('..'))
                throw new InputError(`path ${rel} leaves the repository`);
            const entry = await objects.entry(root, p);
            return { path: p, entry: entry && isBlobEntry(entry) ? entry : undefined };
        };
        return {
            label: `${commit.slice(0, 12)}${prefix ? `:${prefix}` : ''}`,
            readFile: async (rel) => {
                const { path: p, entry } = await blob(rel);
                if (!entry)
                    return undefined;
                // By path as well as content: an error names the path it was read at.
                const key = `${entry.oid}\0${p}`;
                let text = texts.get(key);
                if (!text) {
                    text = objects.read(entry.oid).then((object) => {
                        if (!object)
                            throw new InputError(`git lists ${p} at ${commit.slice(0, 12)} but has no object ${entry.oid}`, { path: p }, 'the repository is incomplete: check it with git fsck, or fetch again');
                        return catalogText(object.content, p);
                    });
                    text.catch(() => texts.delete(key));
                    texts.set(key, text);
                }
                return text;
            },
            contentId: async (rel) => (await blob(rel)).entry?.oid,
            listFiles: async (dir) => {
                const tree = await objects.treeAt(root, full(dir));
                return [...(tree ?? new Map())]
                    .filter(([, e]) => isBlobEntry(e))
                    .map(([name]) => name)
                    .sort();
            },
        };
    }
}
/**
 * `git <args>` in `dir`, its standard output; a clear error with git's own message when git
 * cannot start or fails.
 */
function gitOutput(dir, args) {
    return new Promise((resolve, reject) => {
        execFile('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
            if (!err)
                return resolve(stdout);
            reject(gitError(dir, args[0], `failed: ${stderr.trim().split('\n')[0] || err.message}`));
        });
    });
}
/** Blob texts by object id and path: each file of a run is read and decoded once. */
const texts = new Map();

async function checkRevisions(o) {
    const repo = new GitRepository(o.repoDir);
    const [baseCommit, headCommit] = await Promise.all([
        repo.resolveCommit(o.base),
        repo.resolveCommit(o.head),
    ]);
    const [base, head] = await Promise.all([repo.source(baseCommit), repo.source(headCommit)]);
    // Looked up while base and head are read: the tag lookup is a git process of its own.
    const release = releaseRevision(repo, o.releaseRef, baseCommit);
    const report = await check({
        ...o,
        base,
        head,
        baseRef: { ref: o.base, commit: baseCommit },
        headRef: { ref: o.head, commit: headCommit },
        release,
    });
    return o.attributeCommits
        ? attributeToCommits(repo, report, o, baseCommit, headCommit, await release)
        : report;
}
/** The revision whose names count as released: `--release-ref`, else the newest `v*` tag. */
async function releaseRevision(repo, releaseRef, baseCommit) {
    if (releaseRef) {
        const commit = await repo.resolveCommit(releaseRef);
        return {
            source: await repo.source(commit),
            ref: releaseRef,
            commit,
            explanation: `names that exist at ${releaseRef} count as released`,
        };
    }
    const tag = await repo.newestReleaseTag(baseCommit);
    return tag
        ? {
            source: await repo.source(tag.commit),
            ref: tag.tag,
            commit: tag.commit,
            explanation: `names that exist at ${tag.tag}, the newest v* tag reachable from base, count as released`,
        }
        : { explanation: 'no v* tag is reachable from base: every name in base counts as released' };
}
/**
 * Each finding of the whole range gets the last commit whose own change (against its first
 * parent) produces the same finding; one that only the commits together produce keeps none.
 * The release baseline is the range's, so names added inside the range stay unreleased.
 */
async function attributeToCommits(repo, report, o, baseCommit, headCommit, release) {
    if (!report.findings.length)
        return report;
    const catalogFiles = new Set(report.findings.map((f) => f.location.path));
    const introducedBy = new Map();
    // A commit that changes neither the catalog's folder nor a file a finding points at cannot
    // have introduced one.
    const catalogFolder = o.catalog.path === '.' ? ['.'] : [o.catalog.path.replace(/\/+$/, '')];
    const line = await repo.firstParentLine(baseCommit, headCommit);
    for (const [i, { commit, parent: first }] of line.entries()) {
        o.onCommit?.({ index: i + 1, total: line.length, commit });
        const parent = first ?? (await repo.resolveCommit(`${commit}^`));
        if (!(await repo.differs(parent, commit, { folders: catalogFolder, files: [...catalogFiles] })))
            continue;
        const [before, after] = await Promise.all([repo.source(parent), repo.source(commit)]);
        const step = await check({
            ...o,
            base: before,
            head: after,
            baseRef: { ref: parent, commit: parent },
            headRef: { ref: commit, commit },
            release,
        });
        for (const f of step.findings)
            introducedBy.set(f.fingerprint, commit);
    }
    return {
        ...report,
        findings: report.findings.map((f) => introducedBy.has(f.fingerprint) ? { ...f, commit: introducedBy.get(f.fingerprint) } : f),
    };
}
async function auditRevision(o) {
    const repo = new GitRepository(o.repoDir);
    const commit = await repo.resolveCommit(o.ref);
    return audit({ ...o, head: await repo.source(commit), headRef: { ref: o.ref, commit } });
}

/**
 * A QEMU binary as a source of truth: what it registers (machine types, CPU models), what it
 * expands each model to on each machine type (`query-cpu-model-expansion type=full`), and what
 * CPUID really answers a guest (the project's CPUID firmware run as `-bios`). The only place
 * `verify` starts processes.
 *
 * A binary is any command that takes QEMU's command line: the executable itself, or a wrapper
 * script that adds arguments (`-global ...`) or runs it elsewhere (a chroot). Every wait is
 * bounded: a binary that does not start, is not QEMU, or stops answering is a
 * {@link QemuBinaryError}, never a hang.
 */
function toBinary(spec) {
    return typeof spec === 'string' ? { path: spec } : spec;
}
/** The command line that starts `binary` with `args`, as program and arguments. */
function qemuCommand(spec, args) {
    const b = toBinary(spec);
    const all = [...(b.prefix ?? []), b.path, ...(b.dataDirs ?? []).flatMap((d) => ['-L', d]), ...args];
    return [all[0], all.slice(1)];
}
function describeSpec(spec) {
    const b = toBinary(spec);
    return [...(b.prefix ?? []), b.path].join(' ');
}
function spawnQemu(spec, args) {
    const [program, argv] = qemuCommand(spec, args);
    const env = toBinary(spec).env;
    return spawn(program, argv, {
        stdio: ['pipe', 'pipe', 'pipe'],
        ...(env ? { env: { ...process.env, ...env } } : {}),
    });
}
/** QMP answered a command with an error (`GenericError: ...`). */
class QmpError extends Error {
    name = 'QmpError';
}
/** The binary did not start, is not QEMU, ended early or did not answer in time. */
class QemuBinaryError extends QmpError {
    name = 'QemuBinaryError';
}
/** Default bound of every wait on a QEMU process, in milliseconds. */
const DEFAULT_QEMU_TIMEOUT_MS = 60_000;
/** One QEMU process driven through its QMP monitor on stdin/stdout. */
class QmpSession {
    child;
    description;
    timeoutMs;
    nextId = 1;
    waiting = new Map();
    buffered = '';
    stderr = '';
    exited = false;
    /** Why the session cannot answer any more: every later request gets this error. */
    failure;
    greeting;
    resolveGreeting;
    timer;
    constructor(child, description, timeoutMs) {
        this.child = child;
        this.description = description;
        this.timeoutMs = timeoutMs;
        this.greeting = new Promise((resolve) => (this.resolveGreeting = resolve));
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk) => this.onData(chunk));
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk) => (this.stderr += chunk));
        child.stdin.on('error', () => undefined);
        child.on('error', (error) => {
            // A binary that cannot be started emits 'error' and never 'exit'.
            this.exited = true;
            this.fail(new QemuBinaryError(`${description}: ${error.message}`));
        });
        // 'close', not 'exit': by then QEMU's stderr has been read, and its message can be quoted.
        child.on('close', (code, signal) => {
            this.exited = true;
            clearTimeout(this.timer);
            const why = signal ? `signal ${signal}` : `exit code ${code}`;
            this.fail(new QemuBinaryError(`${description} ended (${why}) before answering${this.stderrNote()}`));
        });
    }
    /**
     * Starts QEMU paused, with no devices, on `machineType`, and negotiates QMP capabilities.
     * `timeoutMs` bounds the wait for each answer (the greeting included): a process that stays
     * silent longer is killed and the session fails.
     */
    static async start(binary, machineType, accel, timeoutMs = DEFAULT_QEMU_TIMEOUT_MS) {
        const child = spawnQemu(binary, [
            '-machine',
            machineType,
            '-accel',
            accel,
            '-S',
            '-nodefaults',
            '-display',
            'none',
            '-qmp',
            'stdio',
        ]);
        const session = new QmpSession(child, `${describeSpec(binary)} -machine ${machineType}`, timeoutMs);
        session.arm();
        const greeting = await session.greeting;
        if (session.failure)
            throw session.failure;
        if (!greeting.QMP)
            throw new QemuBinaryError(`${session.description}: no QMP greeting`);
        try {
            await session.execute('qmp_capabilities');
        }
        catch (error) {
            await session.close();
            throw error;
        }
        return session;
    }
    execute(command, args) {
        if (this.failure)
            return Promise.reject(this.failure);
        if (this.exited)
            return Promise.reject(new QemuBinaryError(`${this.description} has ended${this.stderrNote()}`));
        const id = this.nextId++;
        const request = JSON.stringify(args ? { execute: command, arguments: args, id } : { execute: command, id });
        return new Promise((resolve, reject) => {
            this.waiting.set(id, { resolve: resolve, reject });
            this.arm();
            this.child.stdin.write(request + '\n');
        });
    }
    /** Asks QEMU to quit and waits (bounded) for the process to end. */
    async close() {
        clearTimeout(this.timer);
        if (this.exited)
            return;
        const ended = new Promise((resolve) => this.child.once('close', () => resolve()));
        // quit's own reply may race with the process ending: the exit is what counts.
        this.execute('quit').catch(() => undefined);
        clearTimeout(this.timer);
        this.child.stdin.end();
        const timer = setTimeout(() => this.child.kill('SIGKILL'), Math.min(10_000, this.timeoutMs));
        await ended;
        clearTimeout(timer);
    }
    /** (Re)starts the silence timer while anything is awaited. */
    arm() {
        clearTimeout(this.timer);
        this.timer = setTimeout(() => {
            this.fail(new QemuBinaryError(`${this.description} did not answer within ${this.timeoutMs / 1000} s${this.stderrNote()}`));
            this.child.kill('SIGKILL');
        }, this.timeoutMs);
    }
    onData(chunk) {
        this.buffered += chunk;
        let newline;
        while ((newline = this.buffered.indexOf('\n')) >= 0) {
            const line = this.buffered.slice(0, newline).trim();
            this.buffered = this.buffered.slice(newline + 1);
            if (line)
                this.onMessage(line);
        }
    }
    onMessage(line) {
        let reply;
        try {
            reply = JSON.parse(line);
        }
        catch {
            this.fail(new QemuBinaryError(`${this.description} wrote something that is not QMP: ${line.slice(0, 200)}`));
            this.child.kill('SIGKILL');
            return;
        }
        if (reply.QMP) {
            clearTimeout(this.timer);
            this.resolveGreeting(reply);
            return;
        }
        if (reply.event !== undefined || reply.id === undefined)
            return;
        const pending = this.waiting.get(reply.id);
        if (!pending)
            return;
        this.waiting.delete(reply.id);
        if (this.waiting.size === 0)
            clearTimeout(this.timer);
        else
            this.arm();
        if (reply.error)
            pending.reject(new QmpError(`${reply.error.class}: ${reply.error.desc}`));
        else
            pending.resolve(reply.return);
    }
    fail(error) {
        clearTimeout(this.timer);
        this.failure ??= error;
        this.resolveGreeting({});
        for (const pending of this.waiting.values())
            pending.reject(error);
        this.waiting.clear();
    }
    stderrNote() {
        const text = this.stderr.trim();
        return text ? `:\n${text.slice(0, 2000)}` : '';
    }
}
/** The machine types a binary registers and their aliases (`pc`, `q35`), from `-machine none`. */
async function queryMachines(binary, accel, timeoutMs) {
    const session = await QmpSession.start(binary, 'none', accel, timeoutMs);
    try {
        const machines = await session.execute('query-machines');
        if (!Array.isArray(machines) || machines.some((m) => typeof m?.name !== 'string'))
            throw new QemuBinaryError(`${describeSpec(binary)}: query-machines answered no list of machine types`);
        return machines;
    }
    finally {
        await session.close();
    }
}
/** The CPU definitions on `machineType` and the full expansion of each of `models` (default: all). */
async function dumpMachineType(binary, machineType, accel, select, timeoutMs) {
    const session = await QmpSession.start(binary, machineType, accel, timeoutMs);
    try {
        const raw = await session.execute('query-cpu-definitions');
        const definitions = raw
            .filter((d) => select(d.name))
            .map((d) => ({
            name: d.name,
            ...(d['alias-of'] ? { aliasOf: d['alias-of'] } : {}),
            deprecated: !!d.deprecated,
        }))
            .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        // Every expansion is sent before the first answer arrives: QEMU answers in order, and the
        // round trips, not the work, would otherwise dominate.
        const answers = await Promise.allSettled(definitions.map((d) => session.execute('query-cpu-model-expansion', {
            type: 'full',
            model: { name: d.name },
        })));
        const expansions = {};
        const expansionErrors = {};
        answers.forEach((answer, i) => {
            const name = definitions[i].name;
            if (answer.status === 'fulfilled')
                expansions[name] = answer.value.model.props;
            else if (answer.reason instanceof QemuBinaryError)
                throw answer.reason;
            else
                expansionErrors[name] = answer.reason.message;
        });
        return { definitions, expansions, expansionErrors };
    }
    finally {
        await session.close();
    }
}
/**
 * Boots `firmware` as the `-bios` of `machineType` with `-cpu model` and returns what it wrote
 * to isa-debugcon (standard output) once it left through isa-debug-exit with `exitCode`. A guest
 * that does not finish within `timeoutMs` is killed and reported.
 */
async function runFirmwareGuest(options) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_QEMU_TIMEOUT_MS;
    const dir = await mkdtemp(path.join(options.workDir ?? os.tmpdir(), 'cpu-model-guard-guest-'));
    const image = path.join(dir, 'cpuid.bin');
    await writeFile(image, options.firmware);
    const hex = (n) => `0x${n.toString(16)}`;
    const args = [
        '-machine',
        options.machineType,
        '-accel',
        options.accel,
        '-cpu',
        options.model,
        '-nodefaults',
        '-display',
        'none',
        '-bios',
        image,
        '-chardev',
        'stdio,id=cpuid,signal=off',
        '-device',
        `isa-debugcon,iobase=${hex(options.debugconPort)},chardev=cpuid`,
        '-device',
        `isa-debug-exit,iobase=${hex(options.debugExitPort)},iosize=1`,
    ];
    const what = `${describeSpec(options.binary)} -machine ${options.machineType} -cpu ${options.model}`;
    try {
        const { code, signal, stdout, stderr, timedOut } = await runToExit(options.binary, args, timeoutMs, what);
        const note = stderr.trim() ? `:\n${stderr.trim().slice(0, 2000)}` : '';
        if (timedOut)
            throw new QemuBinaryError(`the CPUID guest of ${what} did not finish within ${timeoutMs / 1000} s and was stopped${note}`);
        if (code !== options.exitCode)
            throw new QemuBinaryError(`the CPUID guest of ${what} ended with ${signal ? `signal ${signal}` : `exit code ${code}`}, not through isa-debug-exit (${options.exitCode})${note}`);
        return { output: new Uint8Array(stdout), stderr };
    }
    finally {
        await rm(dir, { recursive: true, force: true });
    }
}
/**
 * A run of the binary to its end (`-cpu help`, `--version`, a CPUID guest), stopped after
 * `timeoutMs`; a binary that cannot be started is an error.
 */
function runToExit(spec, args, timeoutMs, what = describeSpec(spec)) {
    return new Promise((resolve, reject) => {
        const child = spawnQemu(spec, args);
        const chunks = [];
        let stderr = '';
        let timedOut = false;
        child.stdin.end();
        child.stdout.on('data', (chunk) => chunks.push(chunk));
        child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
        }, timeoutMs);
        child.on('error', (error) => {
            clearTimeout(timer);
            reject(new QemuBinaryError(`${what}: ${error.message}`));
        });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ code, signal, stdout: Buffer.concat(chunks), stderr, timedOut });
        });
    });
}
/**
 * The CPUID feature names the binary knows (`-cpu help`, after "Recognized CPUID flags:"): what
 * tells a feature, which a host must provide, from a knob of QEMU's own among the properties.
 */
async function cpuFeatureNames(binary, timeoutMs = DEFAULT_QEMU_TIMEOUT_MS) {
    const { code, signal, stdout } = await runToExit(binary, ['-cpu', 'help'], timeoutMs);
    const output = stdout.toString('utf8');
    if (code !== 0)
        throw new QemuBinaryError(`${describeSpec(binary)} -cpu help ended with ${signal ?? `exit code ${code}`}`);
    const start = output.indexOf('Recognized CPUID flags:');
    if (start < 0)
        throw new QemuBinaryError(`${describeSpec(binary)} -cpu help lists no "Recognized CPUID flags:"`);
    const section = output.slice(start + 'Recognized CPUID flags:'.length).split(/\n\s*\n/)[0];
    return section.split(/\s+/).filter(Boolean);
}
/** The first line of the binary's `--version`: names it in reports. */
async function binaryVersion(binary, timeoutMs = DEFAULT_QEMU_TIMEOUT_MS) {
    const { code, signal, stdout, stderr } = await runToExit({ ...toBinary(binary), dataDirs: [] }, ['--version'], timeoutMs, describeSpec(binary));
    const first = stdout.toString('utf8').split('\n')[0].trim();
    if (code === 0 && /^QEMU emulator version /.test(first))
        return first;
    throw new QemuBinaryError(`${describeSpec(binary)} is not a QEMU binary: --version ${signal ? `ended by ${signal}` : `exited ${code}`}` +
        ` and printed ${JSON.stringify((first || stderr.trim()).slice(0, 200))}`);
}

/**
 * `verify`: measures two QEMU binaries (machine types, models, expansions, and the CPUID a
 * guest reads through the project's firmware) and reports what the upgrade from one to the
 * other changes, with the rule's classes.
 *
 * Cost: one QEMU process per binary for `query-machines`, one per selected machine type for the
 * definitions and expansions, and one short guest per (model, group of machine types whose
 * expansion of the model agrees) for the models and machine types both binaries have. Guests
 * run in parallel, as many as there are CPUs.
 */
/** Models that follow the host or QEMU's newest features by design and promise nothing. */
const UNCOMPARED_MODELS = new Set(['host', 'max', 'base']);
/** By default the versioned PC machine types: pc-q35-*, pc-i440fx-* and pc-1.x. */
const DEFAULT_MACHINE_GLOBS = ['pc-*'];
/** Counts one phase's processes and tells each start and end. */
function phaseCounter(phase, total, onProgress) {
    const step = { phase, started: 0, finished: 0, total };
    return (job) => async () => {
        step.started++;
        onProgress?.({ ...step });
        const result = await job();
        step.finished++;
        onProgress?.({ ...step });
        return result;
    };
}
async function checkAccel(accel) {
    if (accel !== 'kvm')
        return;
    try {
        await access('/dev/kvm', constants.R_OK | constants.W_OK);
    }
    catch {
        throw new UsageError('--accel kvm needs /dev/kvm, which this machine does not offer (or not to this user)', undefined, 'run with --accel tcg');
    }
}
/** Runs `jobs` with at most `limit` at a time; the first failure stops the rest from starting. */
async function inParallel(jobs, limit) {
    const results = new Array(jobs.length);
    let next = 0;
    let failed = false;
    const worker = async () => {
        while (!failed && next < jobs.length) {
            const i = next++;
            try {
                results[i] = await jobs[i]();
            }
            catch (error) {
                failed = true;
                throw error;
            }
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
    return results;
}
/** What `query-machines` lists, the selection, and the version: before any dump. */
async function listRegistrations(spec, options, accel) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_QEMU_TIMEOUT_MS;
    const version = await binaryVersion(spec, timeoutMs);
    const features = await cpuFeatureNames(spec, timeoutMs);
    const listed = (await queryMachines(spec, accel, timeoutMs)).map((m) => m.name).sort(compareMachineTypes);
    const machineGlobs = options.machines?.length ? options.machines : DEFAULT_MACHINE_GLOBS;
    const machineTypes = listed.filter((m) => matchesAny(m, machineGlobs));
    return {
        binary: describeSpec(spec),
        version,
        accel,
        machineTypes,
        listedMachineTypes: listed,
        aliasOf: {},
        expansions: {},
        expansionErrors: {},
        cpuid: {},
        unavailable: {},
        features,
        guestRuns: 0,
    };
}
/** The definitions and expansions of every selected machine type. */
async function measureRegistrations(spec, snapshot, options, counted) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_QEMU_TIMEOUT_MS;
    const selectModel = (name) => !UNCOMPARED_MODELS.has(name) && (!options.models?.length || matchesAny(name, options.models));
    const machineTypes = snapshot.machineTypes;
    const dumps = await inParallel(machineTypes.map((m) => counted(() => dumpMachineType(spec, m, snapshot.accel, selectModel, timeoutMs))), options.concurrency ?? availableParallelism());
    machineTypes.forEach((m, i) => {
        const d = dumps[i];
        snapshot.aliasOf[m] = Object.fromEntries(d.definitions.map((x) => [x.name, x.aliasOf]));
        snapshot.expansions[m] = d.expansions;
        if (Object.keys(d.expansionErrors).length)
            snapshot.expansionErrors[m] = d.expansionErrors;
    });
    return { snapshot, spec };
}
/** `TCG doesn't support requested feature: CPUID.01H:ECX.pcid [bit 17]` -> `pcid (CPUID.01H:ECX bit 17)`. */
function unavailableFeatures(stderr) {
    return [
        ...stderr.matchAll(/requested feature: (CPUID\.[^:\s]+:[A-Z]+|MSR\([^)]*\))\.(\S+) \[bit (\d+)\]/g),
    ].map((m) => `${m[2]} (${m[1]} bit ${m[3]})`);
}
/**
 * The CPUID guest of every (machine type, model) in `pairs`, once per group of machine types
 * whose expansion of the model agrees.
 */
function guestJobs(measured, pairs, options, firmware) {
    const s = measured.snapshot;
    const jobs = [];
    const byModel = new Map();
    for (const [model, machineTypes] of pairs) {
        const groups = new Map();
        for (const m of machineTypes) {
            const key = JSON.stringify(Object.entries(s.expansions[m][model]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
            groups.set(key, [...(groups.get(key) ?? []), m]);
        }
        byModel.set(model, groups);
    }
    for (const [model, groups] of byModel) {
        for (const machineTypes of groups.values()) {
            jobs.push(async () => {
                const run = await runFirmwareGuest({
                    binary: measured.spec,
                    machineType: machineTypes[0],
                    model,
                    accel: s.accel,
                    firmware,
                    debugconPort: DEBUGCON_PORT,
                    debugExitPort: DEBUG_EXIT_PORT,
                    exitCode: FIRMWARE_EXIT_CODE,
                    timeoutMs: options.timeoutMs,
                    workDir: options.workDir,
                });
                let records;
                try {
                    records = parseCpuidOutput(run.output);
                }
                catch (error) {
                    if (error instanceof FirmwareOutputError)
                        throw new QemuBinaryError(`${s.binary} -machine ${machineTypes[0]} -cpu ${model}: ${error.message}`);
                    throw error;
                }
                const unavailable = unavailableFeatures(run.stderr);
                s.guestRuns++;
                for (const m of machineTypes) {
                    (s.cpuid[m] ??= {})[model] = records;
                    if (unavailable.length)
                        (s.unavailable[m] ??= {})[model] = unavailable;
                }
            });
        }
    }
    return jobs;
}
async function verifyBinaries(options) {
    const accel = options.accel ?? 'tcg';
    await checkAccel(accel);
    const t0 = performance.now();
    const listed = await Promise.all([
        listRegistrations(options.base, options, accel),
        listRegistrations(options.head, options, accel),
    ]);
    const dumped = phaseCounter('machine-types', listed[0].machineTypes.length + listed[1].machineTypes.length, options.onProgress);
    const [base, head] = await Promise.all([
        measureRegistrations(options.base, listed[0], options, dumped),
        measureRegistrations(options.head, listed[1], options, dumped),
    ]);
    const t1 = performance.now();
    for (const m of [base, head])
        if (m.snapshot.machineTypes.length === 0)
            throw new UsageError(`${m.snapshot.binary} registers no machine type that ${(options.machines?.length ? options.machines : DEFAULT_MACHINE_GLOBS).join(', ')} selects`, undefined, `it registers: ${m.snapshot.listedMachineTypes.join(', ')}`);
    // CPUID only where both binaries have the pair: nothing else is compared.
    const pairs = new Map();
    const inBase = new Set(base.snapshot.machineTypes);
    for (const m of head.snapshot.machineTypes) {
        if (!inBase.has(m))
            continue;
        for (const model of Object.keys(head.snapshot.expansions[m] ?? {}))
            if (base.snapshot.expansions[m]?.[model])
                pairs.set(model, [...(pairs.get(model) ?? []), m]);
    }
    const firmware = cpuidFirmware();
    const guests = [...guestJobs(base, pairs, options, firmware), ...guestJobs(head, pairs, options, firmware)];
    const counted = phaseCounter('guests', guests.length, options.onProgress);
    await inParallel(guests.map(counted), options.concurrency ?? availableParallelism());
    const t2 = performance.now();
    const comparison = compareBinaries(base.snapshot, head.snapshot);
    const pairCount = [...pairs.values()].reduce((n, l) => n + l.length, 0);
    const notes = [
        {
            kind: 'info',
            message: `${comparison.commonMachineTypes.length} machine type(s) and ${pairCount} (machine type, model) pair(s) compared under ${accel}; ` +
                `CPUID read by ${base.snapshot.guestRuns} + ${head.snapshot.guestRuns} guest run(s) (machine types whose expansion of a model agrees share one)`,
        },
        ...(accel === 'tcg'
            ? [
                {
                    kind: 'info',
                    message: 'under TCG a guest gets only the features TCG implements: CPUID differences of features TCG lacks show in the expansion, not in the guest',
                },
            ]
            : []),
        ...comparison.notes,
    ];
    const report = finish(withFingerprints(comparison.findings), options, {
        mode: 'verify',
        catalog: { format: 'qemu-binary', path: head.snapshot.binary },
        base: { ref: `${base.snapshot.binary} (${base.snapshot.version})` },
        head: { ref: `${head.snapshot.binary} (${head.snapshot.version})` },
        release: {
            explanation: 'every machine type both binaries register counts as released: both binaries are released builds',
        },
        notes,
        machineTypes: head.snapshot.machineTypes,
    });
    const t3 = performance.now();
    return {
        report,
        base: base.snapshot,
        head: head.snapshot,
        timings: { registrations: t1 - t0, guests: t2 - t1, compare: t3 - t2 },
    };
}

/**
 * The catalogs a run checks, the same for the CLI and the action: the one named on the
 * command line or in the action's input; else every catalog the configuration lists, globs
 * expanded; else the one found at the repository root.
 */
async function catalogsToCheck(source, config, explicit) {
    if (explicit)
        return [explicit];
    if (config.catalogs.length) {
        const expanded = await Promise.all(config.catalogs.map((c) => expandCatalogPaths(source, c, config.path)));
        return expanded.flat().map((c) => ({ format: c.format, path: c.path }));
    }
    return [await detectCatalog(source)];
}
/** A QEMU tree or a libvirt checkout at the repository root. */
async function detectCatalog(source) {
    if ((await source.readFile('target/i386/cpu.c')) !== undefined)
        return { format: 'qemu-x86', path: '.' };
    if ((await source.listFiles('src/cpu_map')).some((f) => f.endsWith('.xml'))) {
        return { format: 'libvirt-cpu-map', path: 'src/cpu_map' };
    }
    throw new UsageError(`no CPU model catalog found at the root of ${source.label}`, undefined, 'name the catalog (qemu-x86:PATH, libvirt-cpu-map:PATH or catalog:FILE), or list it in .github/cpu-model-guard.yml');
}

/**
 * Catalogs read by earlier runs, in a folder that repeated CI runs keep (`--cache-dir`,
 * `CPU_MODEL_GUARD_CACHE_DIR`, the action's `cache-dir`). Entries are found by the content
 * ids (git blob ids) of everything the reader read, so an entry never stands for other
 * content. Everything lives under a folder named after the tool's version and its build (a
 * digest of the running code): a new release, or another build of the same version, never reads
 * an entry another one wrote. An entry is written to a file of its own and renamed into place,
 * so readers never see a half-written one; an entry that does not read back whole (truncated,
 * damaged, written by something else) is ignored. Deleting the folder at any time is safe.
 */
class DiskCatalogStore {
    dir;
    constructor(root, version) {
        this.dir = path.join(path.resolve(root), `cpu-model-guard-${version}-${buildDigest()}`);
    }
    async load(key) {
        const file = this.file(key);
        let bytes;
        try {
            bytes = await readFile$1(file);
        }
        catch {
            return undefined;
        }
        const text = unwrap(bytes, key);
        // Entries in use are the last to go when the folder is pruned.
        if (text !== undefined)
            await utimes(file, new Date(), new Date()).catch(() => undefined);
        return text;
    }
    async save(key, text) {
        const file = this.file(key);
        const partial = `${file}.${process.pid}-${randomUUID()}.partial`;
        try {
            await mkdir(path.dirname(file), { recursive: true });
            await writeFile(partial, wrap(key, text));
            await rename(partial, file);
            await this.prune();
        }
        catch {
            // A cache that cannot be written (a read-only or full disk) only makes the run slower.
            await rm(partial, { force: true }).catch(() => undefined);
        }
    }
    /**
     * Keeps the folder to the {@link KEPT_ENTRIES} entries used last (a QEMU catalog takes about
     * 1 MB), so that a cache a CI job restores and saves again does not grow without end.
     */
    async prune() {
        const files = [];
        for (const sub of await readdir(this.dir)) {
            for (const name of await readdir(path.join(this.dir, sub)).catch(() => [])) {
                const file = path.join(this.dir, sub, name);
                const used = await stat(file).then((s) => s.mtimeMs, () => undefined);
                if (used !== undefined)
                    files.push({ file, used });
            }
        }
        if (files.length <= KEPT_ENTRIES)
            return;
        files.sort((a, b) => b.used - a.used);
        for (const { file } of files.slice(KEPT_ENTRIES))
            await rm(file, { force: true });
    }
    file(key) {
        const name = digest(key);
        return path.join(this.dir, name.slice(0, 2), `${name}.entry`);
    }
}
/** Entries kept in the folder (a catalog and the list of paths it was read from are two). */
const KEPT_ENTRIES = 64;
const digest = (text) => createHash('sha256').update(text).digest('hex');
let build;
/** A digest of the code that runs (the bundle, or this module's file when run from source). */
function buildDigest() {
    build ??= digest(readFileSync(fileURLToPath(import.meta.url))).slice(0, 16);
    return build;
}
/** `{"key":..., "bytes":..., "sha256":...}` on the first line, then the text. */
function wrap(key, text) {
    const body = Buffer.from(text, 'utf8');
    const header = JSON.stringify({ key, bytes: body.length, sha256: digest(body) });
    return Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), body]);
}
function header(bytes) {
    const newline = bytes.indexOf(10);
    if (newline < 0)
        return undefined;
    try {
        const h = JSON.parse(bytes.subarray(0, newline).toString('utf8'));
        if (typeof h.key !== 'string' || typeof h.bytes !== 'number' || typeof h.sha256 !== 'string')
            return undefined;
        return { key: h.key, bytes: h.bytes, sha256: h.sha256, at: newline + 1 };
    }
    catch {
        return undefined;
    }
}
function unwrap(bytes, key) {
    const h = header(bytes);
    if (!h || h.key !== key)
        return undefined;
    const body = bytes.subarray(h.at);
    if (body.length !== h.bytes || digest(body) !== h.sha256)
        return undefined;
    return body.toString('utf8');
}

/**
 * Markdown for GitHub: the job summary and the sticky pull-request comment (one renderer, two
 * size limits), and the body of one inline review comment per finding.
 */
/** GitHub's step-summary limit. */
const JOB_SUMMARY_MAX_BYTES = 1024 * 1024;
/** GitHub's limit for one issue, pull-request or review comment body (characters). */
const COMMENT_MAX_CHARS = 65536;
const CLASS_BADGE = {
    'new-model-required': '🛑 new-model-required',
    'type-2': '⚠️ type-2',
    safe: '✅ safe',
};
const MARKER_PREFIX = '<!-- cpu-model-guard:fingerprint=';
const MARKER_SUFFIX = ' -->';
/**
 * The hidden marker that ties a review comment to a finding across runs. The fingerprint is
 * percent-encoded, runs of `-` and every `!` included, so that no fingerprint can close the HTML
 * comment; single dashes stay, so that markers of ordinary fingerprints remain readable.
 */
function fingerprintMarker(fingerprint) {
    const encoded = encodeURIComponent(fingerprint)
        .replace(/-{2,}/g, (dashes) => '%2D'.repeat(dashes.length))
        .replace(/!/g, '%21')
        .replace(/%3A/g, ':');
    return `${MARKER_PREFIX}${encoded}${MARKER_SUFFIX}`;
}
/** The fingerprint of the first marker in a comment body, or undefined when there is none. */
function parseFingerprintMarker(body) {
    const match = /<!-- cpu-model-guard:fingerprint=([^\s>]*) -->/.exec(body);
    if (!match)
        return undefined;
    try {
        return decodeURIComponent(match[1]);
    }
    catch {
        // A marker a person edited into something undecodable belongs to no finding.
        return undefined;
    }
}
/**
 * Text that Markdown must show literally: no emphasis, links, HTML or table breaks. Parentheses,
 * braces and `!` need no escape: they only build links and images next to `[`, which is escaped.
 */
function escapeMarkdown(text) {
    return text
        .replace(/[\\`*_[\]#+|~]/g, (c) => `\\${c}`)
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;');
}
/** Inside a table row nothing may start a new line, and `|` must not end the cell. */
function escapeTableCell(text) {
    return escapeMarkdown(text).replace(/\r?\n/g, '<br>');
}
function longestRun(text, char) {
    let longest = 0;
    let current = 0;
    for (const c of text) {
        current = c === char ? current + 1 : 0;
        longest = Math.max(longest, current);
    }
    return longest;
}
/**
 * A code span that shows `text` verbatim, whatever backticks it holds. In a table cell `|`
 * must still be escaped: GitHub splits cells before it parses code spans.
 */
function codeSpan(text, inTable = false) {
    const flat = text.replace(/\r?\n/g, ' ');
    const ticks = '`'.repeat(longestRun(flat, '`') + 1);
    const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
    const body = inTable ? flat.replace(/\|/g, '\\|') : flat;
    return `${ticks}${pad}${body}${pad}${ticks}`;
}
/** A fenced block whose fence is longer than any run of backticks in the content. */
function fencedBlock(info, content) {
    const fence = '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
    const lines = content === '' ? [] : splitLines(content);
    return [`${fence}${info}`, ...lines, fence].join('\n');
}
function ruleLink(rule, ruleDocsUrl, inTable = false) {
    const span = codeSpan(rule, inTable);
    return ruleDocsUrl ? `[${span}](${ruleDocsUrl}#${encodeURIComponent(rule)})` : span;
}
function resultLine(report) {
    const verdict = report.result === 'pass' ? '✅ **PASS**' : '❌ **FAIL**';
    return `${verdict} (fail-on \`${report.failOn}\`: ${describeFailOn(report.failOn)})`;
}
function comparisonLine(report) {
    const catalog = `${escapeMarkdown(report.catalog.format)} catalog ${codeSpan(report.catalog.path)}`;
    const head = codeSpan(describeRef(report.head));
    if (report.mode === 'audit')
        return `Audit of the ${catalog} at ${head}.`;
    return `Compared ${head} with ${codeSpan(describeRef(report.base))} in the ${catalog}.`;
}
function releaseLine(report) {
    const where = report.release.ref || report.release.commit ? `${codeSpan(describeRef(report.release))}: ` : '';
    return `Released baseline: ${where}${escapeMarkdown(report.release.explanation)}`;
}
function codeList(list, noun, inTable) {
    const text = list.shown.map((s) => codeSpan(s, inTable)).join(', ');
    return list.more > 0 ? `${text} and ${list.more} more ${noun}` : text;
}
function propertyCell(f, inTable, maxProperties = inTable ? 3 : 8) {
    if (!f.property)
        return '';
    const prop = codeList(collapseList(propertiesOf(f), maxProperties), 'properties', inTable);
    if (f.before === undefined && f.after === undefined)
        return prop;
    return `${prop}: ${codeSpan(formatPropValue(f.before), inTable)} → ${codeSpan(formatPropValue(f.after), inTable)}`;
}
function locationText(f) {
    const { path, line, endLine } = f.location;
    return `${path}:${endLine && endLine !== line ? `${line}-${endLine}` : line}`;
}
/** A location's address on the repository's web pages, at the commit of its side. */
function locationUrl(f, report, repositoryUrl) {
    const commit = f.location.side === 'LEFT' ? report.base?.commit : report.head.commit;
    if (!repositoryUrl || !commit)
        return undefined;
    const { path, line, endLine } = f.location;
    const lines = endLine && endLine !== line ? `L${line}-L${endLine}` : `L${line}`;
    return `${repositoryUrl.replace(/\/+$/, '')}/blob/${commit}/${path.split('/').map(encodeURIComponent).join('/')}#${lines}`;
}
/** A table row's verdict, beside its class. */
const VERDICT_MARK = {
    fail: ' (fails)',
    waived: ' (waived)',
    review: ' (for review)',
    pass: '',
};
function findingRow(f, report, options) {
    const models = codeList(collapseList(f.models, 4), 'models', true);
    const machineTypes = codeList(summarizeMachineTypes(f.machineTypes, 3, options.knownMachineTypes), 'machine types', true);
    const url = locationUrl(f, report, options.repositoryUrl);
    const where = codeSpan(locationText(f), true);
    const location = `${url ? `[${where}](${url})` : where}${f.location.side === 'LEFT' ? ' (base)' : ''}`;
    const verdict = VERDICT_MARK[f.verdict];
    const cells = [
        `${CLASS_BADGE[f.class]}${verdict}`,
        ruleLink(f.rule, options.ruleDocsUrl, true),
        models,
        machineTypes,
        propertyCell(f, true),
        location,
        escapeTableCell(f.fix),
    ];
    return `| ${cells.join(' | ')} |`;
}
const utf8Length = (text) => Buffer.byteLength(text, 'utf8');
/** Cuts to at most `maxBytes` UTF-8 bytes without splitting a character. */
function cutToBytes(text, maxBytes) {
    if (utf8Length(text) <= maxBytes)
        return text;
    const bytes = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes));
    // A cut inside a multi-byte sequence decodes to U+FFFD: drop it.
    return bytes.toString('utf8').replace(/\uFFFD+$/, '');
}
/**
 * The summary for the job summary page and the sticky comment. Findings come worst first, so
 * when the limit cuts the table, the ones left out are the least severe.
 */
function renderMarkdownSummary(report, options = {}) {
    options = { ...options, knownMachineTypes: options.knownMachineTypes ?? report.machineTypes };
    const maxBytes = options.maxBytes ?? JOB_SUMMARY_MAX_BYTES;
    const head = [
        `## ${escapeMarkdown(report.tool.name)}: ${resultLine(report)}`,
        '',
        comparisonLine(report),
        releaseLine(report),
        '',
        '| class | findings | failing | waived |',
        '|---|---:|---:|---:|',
        ...CLASS_ORDER.map((c) => {
            const ofClass = report.findings.filter((f) => f.class === c);
            const failing = ofClass.filter((f) => f.verdict === 'fail').length;
            const waived = ofClass.filter((f) => f.verdict === 'waived').length;
            return `| ${CLASS_BADGE[c]} | ${report.counts[c]} | ${failing} | ${waived} |`;
        }),
        '',
        ...(report.counts.review
            ? [
                `${report.counts.review} finding(s) for review: code that computes guest CPUID changed without a compat property gating it. They do not fail the check unless \`fail-on-review\` is set.`,
                '',
            ]
            : []),
    ];
    if (report.findings.length === 0)
        head.push(noFindings(report), '');
    const tableHead = [
        '### Findings',
        '',
        '| class | rule | models | machine types | property | location | fix |',
        '|---|---|---|---|---|---|---|',
    ];
    const rows = report.findings.map((f) => findingRow(f, report, options));
    // Sections after the table: each item can be dropped on its own if the limit is tight.
    const tail = [];
    const waived = report.findings.filter((f) => f.waiver);
    if (waived.length) {
        tail.push({
            title: '### Waivers in force',
            items: waived.map((f) => `- ${ruleLink(f.rule, options.ruleDocsUrl)} on ${codeSpan(f.models.length ? f.models.join(', ') : `${f.location.path}:${f.location.line}`)}: ${escapeMarkdown(describeWaiver(f.waiver))}`),
        });
    }
    if (report.unusedWaivers.length) {
        tail.push({
            title: '### Unused or expired waivers',
            items: report.unusedWaivers.map((w) => `- ${escapeMarkdown(describeWaiver(w))}`),
        });
    }
    if (report.notes.length) {
        tail.push({
            title: '### Notes',
            items: report.notes.map((n) => `- ${n.kind === 'warning' ? '⚠️ ' : ''}${escapeMarkdown(n.message)}`),
        });
    }
    const hint = options.fullReportHint ?? 'the full report is in the job log and the JSON or SARIF output';
    const omissionLine = (findings, items) => {
        const what = [
            findings ? `${findings} finding${findings === 1 ? '' : 's'}` : undefined,
            items ? `${items} waiver or note line${items === 1 ? '' : 's'}` : undefined,
        ].filter(Boolean);
        return `_${what.join(' and ')} left out to stay within ${maxBytes} bytes; ${escapeMarkdown(hint)}._`;
    };
    const assemble = (rowCount, tailKept) => {
        const parts = [...head];
        if (rows.length)
            parts.push(...tableHead, ...rows.slice(0, rowCount), '');
        tail.forEach((section, i) => {
            if (tailKept[i] === 0)
                return;
            parts.push(section.title, '', ...section.items.slice(0, tailKept[i]), '');
        });
        const droppedRows = rows.length - rowCount;
        const droppedItems = tail.reduce((sum, s, i) => sum + s.items.length - tailKept[i], 0);
        if (droppedRows || droppedItems)
            parts.push(omissionLine(droppedRows, droppedItems), '');
        return parts.join('\n');
    };
    const fullTail = tail.map((s) => s.items.length);
    const full = assemble(rows.length, fullTail);
    if (utf8Length(full) <= maxBytes)
        return full;
    // Keep the waiver and note sections whole while any finding rows can go; they are short and
    // say why the result is what it is. Binary search for the most rows that fit.
    const fits = (rowCount, kept) => utf8Length(assemble(rowCount, kept)) <= maxBytes;
    const tailKept = [...fullTail];
    if (!fits(0, tailKept)) {
        for (let i = tail.length - 1; i >= 0; i--) {
            while (tailKept[i] > 0 && !fits(0, tailKept))
                tailKept[i]--;
            if (fits(0, tailKept))
                break;
        }
    }
    let low = 0;
    let high = rows.length;
    while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (fits(mid, tailKept))
            low = mid;
        else
            high = mid - 1;
    }
    // Only a limit smaller than the header itself gets here with too much text: cut it hard.
    return cutToBytes(assemble(low, tailKept), maxBytes);
}
function suggestionSection(s) {
    const span = s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}-${s.endLine}`;
    return [
        `Suggested change (${s.replacement === '' ? 'removes' : 'replaces'} ${span} of ${codeSpan(s.path)}):`,
        '',
        fencedBlock('suggestion', s.replacement),
    ].join('\n');
}
function fixLinesSection(fix) {
    return [
        `Add these lines to ${codeSpan(fix.path)} after line ${fix.afterLine}:`,
        '',
        fencedBlock('c', fix.text),
    ].join('\n');
}
/** A comment's verdict, in words. */
const VERDICT_WORDS = {
    fail: 'fails the check',
    waived: 'waived',
    review: 'for review: does not fail the check (`fail-on-review` makes it fail)',
    pass: 'does not fail the check',
};
/** The body of one inline review comment. */
function renderFindingComment(finding, options = {}) {
    const maxChars = options.maxChars ?? COMMENT_MAX_CHARS;
    const verdict = VERDICT_WORDS[finding.verdict];
    const header = `**${CLASS_BADGE[finding.class]}** · ${ruleLink(finding.rule, options.ruleDocsUrl)} · ${verdict}`;
    const facts = [];
    const models = collapseList(finding.models, 8);
    if (finding.models.length)
        facts.push(`- **Models:** ${codeList(models, 'models', false)}`);
    const machineTypes = summarizeMachineTypes(finding.machineTypes, 6, options.knownMachineTypes);
    if (finding.machineTypes.length)
        facts.push(`- **Machine types:** ${codeList(machineTypes, 'machine types', false)}`);
    const property = propertyCell(finding, false);
    if (property)
        facts.push(`- **${finding.properties ? 'Properties' : 'Property'}:** ${property}`);
    if (finding.hostRequirement && finding.hostRequirement.gained.length) {
        facts.push(`- **Host requirement gained:** ${finding.hostRequirement.gained.map((g) => codeSpan(g)).join(', ')}: ${escapeMarkdown(finding.hostRequirement.why)}`);
    }
    if (finding.location.side === 'LEFT')
        facts.push('- **Where:** this line exists only in the base revision');
    if (finding.commit)
        facts.push(`- **Introduced in:** ${finding.commit}`);
    if (finding.waiver)
        facts.push(`- **Waived:** ${escapeMarkdown(describeWaiver(finding.waiver))}`);
    const sections = [
        header,
        '',
        `**${escapeMarkdown(finding.title)}**`,
        '',
        escapeMarkdown(finding.message),
        '',
        ...facts,
        '',
        `**Fix:** ${escapeMarkdown(finding.fix)}`,
    ];
    if (finding.suggestion)
        sections.push('', suggestionSection(finding.suggestion));
    if (finding.fixLines)
        sections.push('', fixLinesSection(finding.fixLines));
    // Long lists are folded in the facts above; the complete lists go in a collapsed block.
    const details = [];
    if (models.more)
        details.push(`**All ${finding.models.length} models:** ${finding.models.map((m) => codeSpan(m)).join(', ')}`);
    if (finding.properties && finding.properties.length > 8)
        details.push(`**All ${finding.properties.length} properties:** ${finding.properties.map((p) => codeSpan(p)).join(', ')}`);
    if (machineTypes.more) {
        details.push(`**All ${finding.machineTypes.length} machine types:** ${finding.machineTypes.map((m) => codeSpan(m)).join(', ')}`);
    }
    const marker = options.fingerprintMarker === false ? '' : `\n\n${fingerprintMarker(finding.fingerprint)}`;
    const detailsBlock = details.length
        ? `\n\n<details><summary>Complete lists</summary>\n\n${details.join('\n\n')}\n\n</details>`
        : '';
    const body = sections.join('\n');
    if (body.length + detailsBlock.length + marker.length <= maxChars)
        return body + detailsBlock + marker;
    if (body.length + marker.length <= maxChars)
        return body + marker;
    // Only a message of tens of thousands of characters gets here; keep the marker intact so the
    // comment is still recognised on the next run.
    const note = '\n\n_(cut to fit the comment size limit)_';
    return body.slice(0, Math.max(0, maxChars - marker.length - note.length)) + note + marker;
}

const REF = { keys: ['ref', 'commit'] };
const WAIVER = {
    keys: ['rule', 'models', 'functions', 'paths', 'property', 'reason', 'expires', 'owner', 'source'],
};
const FINDING = {
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
const REPORT = {
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
function ordered(value, order) {
    if (Array.isArray(value))
        return value.map((v) => ordered(v, order));
    if (value === null || typeof value !== 'object')
        return value;
    const source = value;
    const known = order?.keys ?? [];
    const rest = Object.keys(source)
        .filter((k) => !known.includes(k))
        .sort();
    const out = {};
    for (const key of [...known, ...rest]) {
        if (key in source && source[key] !== undefined)
            out[key] = ordered(source[key], order?.nested?.[key]);
    }
    return out;
}
function renderJson(report) {
    return JSON.stringify(ordered(report, REPORT), null, 2) + '\n';
}

const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The key under `partialFingerprints`; bump the version if the fingerprint recipe changes. */
const SARIF_FINGERPRINT_KEY = 'cpuModelGuard/v1';
/** Every rule id the engine emits, with the class it always carries; docs/rules.md explains each. */
const RULES = [
    {
        id: 'released-model-changed',
        class: 'new-model-required',
        summary: 'A released CPU model changed on a released machine type',
        description: 'What a guest sees for a released model name on a released machine type must never change: ' +
            'the change alters the guest ABI of running VMs or adds a host requirement under them. ' +
            'Add a new model version (or name) instead.',
    },
    {
        id: 'machine-type-host-requirement',
        class: 'type-2',
        summary: 'A newer machine type requires more from the host than an older one (type-2 change)',
        description: 'For an existing model, moving a VM to the newer machine type makes it need a host CPU or ' +
            'kernel feature that the older machine type did not need, so a host that ran the VM may ' +
            'no longer run it. Put the feature in a new model version instead.',
    },
    {
        id: 'released-name-removed',
        class: 'new-model-required',
        summary: 'A released model, version or alias name was removed',
        description: 'VMs and management layers refer to released names; removing one without deprecating it ' +
            'first makes those VMs fail to start. Keep the name, or deprecate it in a release first.',
    },
    {
        id: 'alias-retargeted',
        class: 'new-model-required',
        summary: 'A released alias now points to a different model version',
        description: 'An alias name is a promise of one definition; pointing it elsewhere changes what existing ' +
            'VMs get. Keep the alias where it was and add a new name for the new target.',
    },
    {
        id: 'name-conflict',
        class: 'new-model-required',
        summary: 'A new name collides with a name that is already registered',
        description: 'Two registrations under one name make which definition a VM gets depend on registration ' +
            'order. Choose a name that is not taken.',
    },
    {
        id: 'deprecated-name-removed',
        class: 'safe',
        summary: 'A name that was deprecated in the base was removed',
        description: 'Removal after deprecation follows the project’s own deprecation policy.',
    },
    {
        id: 'model-added',
        class: 'safe',
        summary: 'A new CPU model was added',
        description: 'No existing VM uses a model that did not exist before.',
    },
    {
        id: 'version-added',
        class: 'safe',
        summary: 'A new version of a CPU model was added',
        description: 'A new version is the intended way to change a released model.',
    },
    {
        id: 'alias-added',
        class: 'safe',
        summary: 'A new alias name was added',
        description: 'A new name changes nothing for VMs that use existing names.',
    },
    {
        id: 'compat-confined-change',
        class: 'safe',
        summary: 'A model change that compat properties confine to new machine types',
        description: 'Released machine types keep what they had through compat properties, and the new machine ' +
            'type gains no host requirement.',
    },
    {
        id: 'new-property-default',
        class: 'safe',
        summary: 'A CPU property new in this change takes its default on the machine types the base had',
        description: 'The base has no such property and no compat entry sets it, so the default is taken as the ' +
            'behaviour the base had in code; a default that changes old machine types needs a compat entry.',
    },
    {
        id: 'property-removed',
        class: 'safe',
        summary: 'A CPU property only the older QEMU binary reports',
        description: 'verify: the newer binary has no such property (a knob QEMU dropped). What guests read is ' +
            'compared by CPUID on the same machine types and models; a difference there is its own finding.',
    },
    {
        id: 'unreleased-change',
        class: 'safe',
        summary: 'A change to an entry that no release has shipped yet',
        description: 'Entries added in the current development cycle are still free to change.',
    },
    {
        id: 'no-effective-change',
        class: 'safe',
        summary: 'An edit that changes no effective model',
        description: 'Comments, ordering and formatting: every effective model stays the same.',
    },
    {
        id: 'libvirt-model-changed',
        class: 'new-model-required',
        summary: 'A released libvirt CPU model changed',
        description: 'libvirt never changes a released model: deleting a feature line, dropping a mark, or adding ' +
            "a feature without added='yes' changes what existing domains get. Add a new model instead.",
    },
    {
        id: 'libvirt-feature-added',
        class: 'safe',
        summary: "A feature was added to a libvirt model with added='yes'",
        description: "libvirt's own mechanism for extending a model: features marked added='yes' stay out of the " +
            "model's CPUID data, and check='full' does not fail a domain when the hypervisor enables them.",
    },
    {
        id: 'libvirt-feature-removed',
        class: 'safe',
        summary: "A feature of a libvirt model was marked removed='yes'",
        description: "libvirt's own mechanism for taking a feature out of a model: it leaves the model's data, " +
            'domains that start fresh get it written disabled, and domains restored or migrated in keep it.',
    },
    {
        id: 'libvirt-model-added',
        class: 'safe',
        summary: 'A new libvirt CPU model was added',
        description: 'No existing domain uses a model that did not exist before.',
    },
    {
        id: 'libvirt-model-removed',
        class: 'new-model-required',
        summary: 'A released libvirt CPU model was removed',
        description: 'Domains that name the model can no longer be defined or started. Keep the model.',
    },
    {
        id: 'measured-unexplained',
        class: 'new-model-required',
        summary: 'Two QEMU binaries give guests something no catalog finding explains',
        description: 'check with base and head binaries measured a difference (expansion, alias or CPUID) on machine ' +
            'types the catalog has, and no static finding of the same property and pair explains it: code, ' +
            'not the tables, changed what guests get. It carries the class verify gives the difference ' +
            '(type-2 for host growth between machine types, safe for a knob only one binary has).',
    },
    {
        id: 'cpuid-code-ungated',
        class: 'new-model-required',
        review: true,
        summary: 'Code that computes guest CPUID changed, and no compat property gates it',
        description: 'The hunk changes a function such as cpu_x86_cpuid() or kvm_arch_get_supported_cpuid(), and every ' +
            'released machine type runs the new code. If guests see a difference, gate it on a new x- CPU ' +
            'property whose default is the new behaviour and that the newest released pc_compat_X_Y sets to ' +
            'the old one. Listed for review: it fails only with fail-on-review.',
    },
    {
        id: 'cpuid-code-half-gated',
        class: 'new-model-required',
        summary: 'Code that computes guest CPUID changed behind a property some released machine types do not set',
        description: 'The new code reads a CPU property that compat entries keep on the old behaviour for older ' +
            'machine types only: newer released machine types get the new behaviour. Gate it on a property ' +
            'set in the newest released compat array.',
    },
    {
        id: 'cpuid-code-gated',
        class: 'safe',
        summary: 'Code that computes guest CPUID changed behind a compat property',
        description: 'The new code reads a CPU property that compat entries set to the old behaviour on every ' +
            'released machine type: only new machine types see the change.',
    },
];
/** docs/rules.md in the project's repository, where the action is published from. */
const PROJECT_RULE_DOCS_URL = 'https://github.com/cpu-model-guard/cpu-model-guard/blob/main/docs/rules.md';
function failsUnder(cls, failOn) {
    if (failOn === 'never' || cls === 'safe')
        return false;
    return failOn === 'type-2' || cls === 'new-model-required';
}
function levelOfClass(cls, failOn) {
    if (cls === 'safe')
        return 'note';
    return failsUnder(cls, failOn) ? 'error' : 'warning';
}
/**
 * A waived finding keeps the level it would have had: the suppression, not a lower level, says
 * that it was accepted, so viewers can still show it as what it is.
 */
function levelOfFinding(f, failOn) {
    if (f.verdict === 'fail')
        return 'error';
    // Listed for a person to judge: never an error unless fail-on-review made it fail.
    if (f.verdict === 'review')
        return 'warning';
    return levelOfClass(f.class, failOn);
}
function toPascalCase(id) {
    return id
        .split(/[^A-Za-z0-9]+/)
        .filter(Boolean)
        .map((w) => w[0].toUpperCase() + w.slice(1))
        .join('');
}
/**
 * The result's message: what changed and the fix. The title is the rule's short description's
 * instance and viewers show the rule beside it, so the message does not repeat it.
 */
function resultMessage(f) {
    const parts = [f.message];
    if (f.hostRequirement && f.hostRequirement.gained.length) {
        parts.push(`Host requirement gained: ${f.hostRequirement.gained.join(', ')}; ${f.hostRequirement.why}.`);
    }
    parts.push(`Fix: ${f.fix}`);
    return parts.join(' ');
}
/** The uriBaseId of locations in the base revision; head's files are the run's own. */
const SARIF_BASE_URI_ID = 'BASE';
/**
 * Where a result sits. A removal's own lines exist only in base: the result sits at the head
 * line where they were, and a related location, in the base revision, shows them.
 */
function resultLocations(f) {
    const here = (uriBaseId, line = f.location.line, endLine = f.location.endLine) => ({
        physicalLocation: {
            artifactLocation: { uri: f.location.path, ...(uriBaseId ? { uriBaseId } : {}) },
            region: region(line, endLine),
        },
    });
    if (f.location.side === 'RIGHT')
        return { locations: [here()] };
    const removed = {
        ...here(SARIF_BASE_URI_ID),
        message: { text: 'The removed lines, in the base revision.' },
    };
    if (f.location.headLine === undefined)
        return { locations: [removed] };
    return {
        locations: [
            {
                ...here(undefined, f.location.headLine, f.location.headLine),
                message: { text: 'Where head removed the lines.' },
            },
        ],
        relatedLocations: [{ id: 1, ...removed }],
    };
}
function region(startLine, endLine) {
    return { startLine, endLine: endLine && endLine >= startLine ? endLine : startLine };
}
function suggestionChange(s) {
    return {
        artifactLocation: { uri: s.path },
        replacements: [
            {
                deletedRegion: region(s.startLine, s.endLine),
                // An empty replacement deletes the lines; SARIF says so by inserting nothing.
                ...(s.replacement === ''
                    ? {}
                    : {
                        insertedContent: { text: s.replacement.endsWith('\n') ? s.replacement : `${s.replacement}\n` },
                    }),
            },
        ],
    };
}
function addedLinesChange(x) {
    return {
        artifactLocation: { uri: x.path },
        replacements: [
            {
                // An empty region at the start of the next line: an insertion, nothing deleted.
                deletedRegion: { startLine: x.afterLine + 1, startColumn: 1, endColumn: 1 },
                insertedContent: { text: x.text.endsWith('\n') ? x.text : `${x.text}\n` },
            },
        ],
    };
}
/**
 * SARIF fixes, each a whole fix: the revert of the changed line together with the lines that
 * carry the change where it belongs (a new model version, a compat entry) is one fix; the revert
 * alone is another, for when the change is not wanted at all.
 */
function fixesOf(f) {
    const fixes = [];
    const revert = f.suggestion ? suggestionChange(f.suggestion) : undefined;
    const added = f.fixLines ? addedLinesChange(f.fixLines) : undefined;
    if (revert && added) {
        // Both in one file: SARIF wants one artifactChange per file, replacements in order.
        const sameFile = f.suggestion.path === f.fixLines.path;
        fixes.push({
            description: { text: f.fix },
            artifactChanges: sameFile
                ? [
                    {
                        artifactLocation: revert.artifactLocation,
                        replacements: [...revert.replacements, ...added.replacements].sort((a, b) => a.deletedRegion.startLine - b.deletedRegion.startLine),
                    },
                ]
                : [revert, added],
        });
    }
    if (revert)
        fixes.push({ description: { text: 'Revert the change' }, artifactChanges: [revert] });
    else if (added)
        fixes.push({
            description: { text: `Add after line ${f.fixLines.afterLine} of ${f.fixLines.path}` },
            artifactChanges: [added],
        });
    return fixes;
}
function buildSarifLog(report, options = {}) {
    const known = new Map(RULES.map((r) => [r.id, r]));
    // A rule id this table does not know yet still needs a descriptor: take it from the finding.
    for (const f of report.findings) {
        if (!known.has(f.rule)) {
            known.set(f.rule, { id: f.rule, class: f.class, summary: f.title, description: f.title });
        }
    }
    const rules = [...known.values()];
    const ruleIndex = new Map(rules.map((r, i) => [r.id, i]));
    const driver = {
        name: report.tool.name,
        version: report.tool.version,
        semanticVersion: /^\d+\.\d+\.\d+/.test(report.tool.version) ? report.tool.version : undefined,
        informationUri: options.informationUri,
        rules: rules.map((r) => ({
            id: r.id,
            name: toPascalCase(r.id),
            shortDescription: { text: r.summary },
            fullDescription: { text: r.description },
            helpUri: `${options.ruleDocsUrl ?? PROJECT_RULE_DOCS_URL}#${encodeURIComponent(r.id)}`,
            help: { text: `${r.description} See docs/rules.md#${r.id}.` },
            defaultConfiguration: { level: r.review ? 'warning' : levelOfClass(r.class, report.failOn) },
            properties: { class: r.class, tags: ['cpu-model', r.class] },
        })),
    };
    const results = report.findings.map((f) => {
        const result = {
            ruleId: f.rule,
            ruleIndex: ruleIndex.get(f.rule),
            level: levelOfFinding(f, report.failOn),
            message: { text: resultMessage(f) },
            ...resultLocations(f),
            partialFingerprints: { [SARIF_FINGERPRINT_KEY]: f.fingerprint },
            properties: {
                class: f.class,
                verdict: f.verdict,
                models: f.models,
                machineTypes: f.machineTypes,
                ...(f.property !== undefined ? { property: f.property } : {}),
                ...(f.properties ? { properties: f.properties } : {}),
                // Typed as in the JSON report: a feature's on/off stays a boolean.
                ...(f.before !== undefined ? { before: f.before } : {}),
                ...(f.after !== undefined ? { after: f.after } : {}),
                ...(f.hostRequirement ? { hostRequirement: f.hostRequirement } : {}),
                ...(f.location.side === 'LEFT' ? { side: 'LEFT' } : {}),
                ...(f.commit ? { commit: f.commit } : {}),
            },
        };
        const fixes = fixesOf(f);
        if (fixes.length)
            result.fixes = fixes;
        if (f.waiver) {
            result.suppressions = [
                { kind: 'external', status: 'accepted', justification: describeWaiver(f.waiver) },
            ];
        }
        return result;
    });
    const notifications = [
        ...report.notes.map((n) => ({
            level: n.kind === 'warning' ? 'warning' : 'note',
            message: { text: n.message },
        })),
        ...report.unusedWaivers.map((w) => ({
            level: 'warning',
            message: { text: `Unused or expired waiver: ${describeWaiver(w)}` },
        })),
    ];
    const run = {
        tool: { driver },
        invocations: [
            {
                executionSuccessful: true,
                ...(notifications.length ? { toolExecutionNotifications: notifications } : {}),
            },
        ],
        results,
        ...(report.findings.some((f) => f.location.side === 'LEFT')
            ? {
                originalUriBaseIds: {
                    [SARIF_BASE_URI_ID]: {
                        description: {
                            text: `The base revision${report.base ? `: ${report.base.ref}${report.base.commit ? ` at ${report.base.commit}` : ''}` : ''}.`,
                        },
                    },
                },
            }
            : {}),
        properties: {
            mode: report.mode,
            catalog: report.catalog,
            ...(report.base ? { base: report.base } : {}),
            head: report.head,
            release: report.release,
            failOn: report.failOn,
            result: report.result,
            counts: report.counts,
        },
    };
    // Code scanning keeps one set of alerts per category: one per catalog, so that a repository
    // guarding two catalogs does not close the alerts of one when it uploads the other.
    run.automationDetails = { id: `${report.tool.name}/${report.catalog.format}/${report.catalog.path}/` };
    return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}
function renderSarif(report, options = {}) {
    // JSON.stringify drops the undefined optional fields, so the log holds only what is known.
    return JSON.stringify(buildSarifLog(report, options), null, 2) + '\n';
}

/**
 * One entry point for the front ends: a report in the format the user asked for.
 */
const REPORT_FORMATS = ['text', 'markdown', 'sarif', 'json'];
function isReportFormat(value) {
    return REPORT_FORMATS.includes(value);
}
/** Checks a format a user typed; `where` names the flag or input for the error message. */
function parseReportFormat(value, where = '--format') {
    if (isReportFormat(value))
        return value;
    throw new UsageError(`unknown report format '${value}' for ${where}`, undefined, `use one of: ${REPORT_FORMATS.join(', ')}`);
}
function renderReport(report, format, options = {}) {
    options = { ...options, knownMachineTypes: options.knownMachineTypes ?? report.machineTypes };
    switch (format) {
        case 'text':
            return renderText(report, { color: options.color, knownMachineTypes: options.knownMachineTypes });
        case 'markdown':
            return renderMarkdownSummary(report, {
                maxBytes: options.maxBytes,
                ruleDocsUrl: options.ruleDocsUrl,
                knownMachineTypes: options.knownMachineTypes,
            });
        case 'sarif':
            return renderSarif(report, {
                ruleDocsUrl: options.ruleDocsUrl,
                informationUri: options.informationUri,
            });
        case 'json':
            return renderJson(report);
        default:
            // A format that slipped past the type (a plain string from configuration) is a usage error.
            return parseReportFormat(format);
    }
}
/**
 * Several catalogs, one output: SARIF holds one run per catalog in a single log; JSON is an
 * array of reports (each following schema/report.schema.json); text and Markdown put the
 * reports one after the other. One report renders exactly as `renderReport` does.
 */
function renderReports(reports, format, options = {}) {
    if (reports.length === 1)
        return renderReport(reports[0], format, options);
    switch (format) {
        case 'sarif': {
            const logs = reports.map((r) => buildSarifLog(r, { ruleDocsUrl: options.ruleDocsUrl, informationUri: options.informationUri }));
            return JSON.stringify({ ...logs[0], runs: logs.flatMap((l) => l.runs) }, null, 2) + '\n';
        }
        case 'json':
            return `[\n${reports.map((r) => renderJson(r).trimEnd()).join(',\n')}\n]\n`;
        default:
            return reports.map((r) => renderReport(r, format, options).trimEnd()).join('\n\n') + '\n';
    }
}
/** Counts and result over several reports: what a front end's exit code and outputs say. */
function overallResult(reports) {
    const counts = { safe: 0, 'type-2': 0, 'new-model-required': 0, waived: 0, review: 0 };
    for (const r of reports)
        for (const k of Object.keys(counts))
            counts[k] += r.counts[k];
    return { result: reports.some((r) => r.result === 'fail') ? 'fail' : 'pass', counts };
}

export { CLASS_ORDER as C, DiskCatalogStore as D, GitRepository as G, JOB_SUMMARY_MAX_BYTES as J, QemuBinaryError as Q, TOOL as T, renderMarkdownSummary as a, parseCatalogSpec as b, codeSpan as c, catalogsToCheck as d, escapeMarkdown as e, fingerprintMarker as f, renderReports as g, checkRevisions as h, auditRevision as i, joinBinaries as j, asFileError as k, catalogText as l, readMachineCatalog as m, detectCatalog as n, overallResult as o, parseFingerprintMarker as p, expandEach as q, renderFindingComment as r, openReportFile as s, stdoutFile as t, audit as u, verifyBinaries as v, writeReportFile as w, parseReportFormat as x };
