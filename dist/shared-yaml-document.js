import { b as ajvExports } from './shared-ajv.js';
import { a as addFormats } from './shared-ajv-formats.js';
import { d as distExports } from './shared-yaml.js';
import { I as InputError } from './shared-errors.js';

/**
 * YAML (and JSON, which YAML 1.2 reads as well) documents validated against a JSON Schema,
 * with every problem reported at its line and column. The generic catalog and the
 * configuration file both go through here, so both get the same limits and the same error
 * shape: all problems at once, each with the schema path that rejected it.
 */
/** Aliases expand on conversion; a handful is plenty for any catalog or configuration. */
const MAX_ALIAS_COUNT = 50;
function formatProblems(path, problems) {
    return problems.map((p) => `${path}:${p.pos.line}:${p.pos.column}: ${p.text}`).join('\n');
}
/** Parses a document; syntax errors, oversized files and alias bombs are `InputError`s. */
function loadYaml(text, path, limits) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limits.maxBytes) {
        throw new InputError(`${limits.what} file is ${bytes} bytes, more than the limit of ${limits.maxBytes}`, { path }, 'split it or trim it; the limit protects the runner from oversized input');
    }
    const lineCounter = new distExports.LineCounter();
    const doc = distExports.parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, strict: true });
    if (doc.errors.length > 0) {
        const problems = doc.errors.map((e) => {
            const lp = e.linePos?.[0] ?? { line: 1, col: 1 };
            return { pos: { line: lp.line, column: lp.col }, text: e.message.split('\n')[0] };
        });
        throw new InputError(`${limits.what} file is not valid YAML (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
            formatProblems(path, problems), { path, line: problems[0].pos.line, column: problems[0].pos.column }, limits.hint);
    }
    let data;
    try {
        data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    }
    catch (err) {
        let alias;
        distExports.visit(doc, {
            Alias(_, node) {
                alias = node;
                return distExports.visit.BREAK;
            },
        });
        throw new InputError(`${limits.what} file cannot be expanded: ${err.message}`, { path, ...(alias?.range ? { line: lineCounter.linePos(alias.range[0]).line } : {}) }, `use at most ${MAX_ALIAS_COUNT} alias expansions; write the values out instead`);
    }
    return { path, doc, lineCounter, data };
}
/** The node at a path of keys and indexes, or `undefined`. */
function nodeAt(loaded, docPath) {
    let node = loaded.doc.contents;
    for (const seg of docPath) {
        if (distExports.isMap(node)) {
            const pair = node.items.find((p) => distExports.isScalar(p.key) && String(p.key.value) === String(seg));
            node = pair?.value ?? undefined;
        }
        else if (distExports.isSeq(node) && typeof seg === 'number') {
            node = node.items[seg];
        }
        else {
            return undefined;
        }
    }
    return (node ?? undefined);
}
/** The key node of `key` inside the map at `docPath`. */
function keyNodeAt(loaded, docPath, key) {
    const map = nodeAt(loaded, docPath);
    if (!distExports.isMap(map))
        return undefined;
    const pair = map.items.find((p) => distExports.isPair(p) && distExports.isScalar(p.key) && String(p.key.value) === key);
    return (pair?.key ?? undefined);
}
function positionOf(loaded, node) {
    const offset = node?.range?.[0] ?? 0;
    const lp = loaded.lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
}
/** Line of the value at a path (or of the key `key` inside it); the nearest existing ancestor otherwise. */
function lineAt(loaded, docPath, key) {
    if (key !== undefined) {
        const k = keyNodeAt(loaded, docPath, key);
        if (k)
            return positionOf(loaded, k).line;
    }
    for (let n = docPath.length; n >= 0; n--) {
        const node = nodeAt(loaded, docPath.slice(0, n));
        if (node?.range)
            return positionOf(loaded, node).line;
    }
    return 1;
}
function pointerToPath(pointer) {
    if (!pointer)
        return [];
    return pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}
function describeSchemaError(e) {
    const where = e.instancePath ? `${e.instancePath.slice(1).replace(/\//g, '.')}` : 'the top level';
    const badKey = e.propertyName;
    if (badKey !== undefined)
        return { key: badKey, text: `key '${badKey}' in ${where} ${e.message ?? 'is not allowed'}` };
    switch (e.keyword) {
        case 'additionalProperties': {
            const key = e.params.additionalProperty;
            const allowed = Object.keys(e.parentSchema?.properties ?? {});
            const pattern = e.parentSchema?.patternProperties;
            const allowedText = allowed.length
                ? `allowed: ${allowed.join(', ')}`
                : pattern
                    ? `keys must match ${Object.keys(pattern).join(' or ')}`
                    : 'no keys are allowed here';
            return { key, text: `unknown key '${key}' in ${where} (${allowedText})` };
        }
        case 'required':
            return { text: `${where} is missing '${e.params.missingProperty}'` };
        case 'enum':
            return {
                text: `${where} ${e.message ?? 'is not allowed'}: ${(e.params.allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')}`,
            };
        case 'const':
            return {
                text: `${where} must be ${JSON.stringify(e.params.allowedValue)}`,
            };
        case 'propertyNames':
            return { text: `${where} has a key that ${e.message ?? 'is not allowed'}` };
        default:
            return { text: `${where} ${e.message ?? 'is invalid'}` };
    }
}
/**
 * Validates the loaded data and throws one `InputError` listing every problem with its line,
 * column and schema path. Errors that only restate a child's error (`anyOf`, `if`) are kept
 * out so that the list reads as a list of things to fix.
 */
function validateLoaded(loaded, validate, limits) {
    if (validate(loaded.data))
        return;
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames');
    const seen = new Set();
    const problems = [];
    for (const e of errors.length ? errors : (validate.errors ?? [])) {
        const docPath = pointerToPath(e.instancePath);
        const { key, text } = describeSchemaError(e);
        let node = key !== undefined ? keyNodeAt(loaded, docPath, key) : undefined;
        node ??= nodeAt(loaded, docPath);
        for (let n = docPath.length - 1; !node?.range && n >= 0; n--)
            node = nodeAt(loaded, docPath.slice(0, n));
        const pos = positionOf(loaded, node);
        const line = `${text} [schema ${e.schemaPath}]`;
        const id = `${pos.line}:${pos.column}:${line}`;
        if (seen.has(id))
            continue;
        seen.add(id);
        problems.push({ pos, text: line });
    }
    problems.sort((a, b) => a.pos.line - b.pos.line || a.pos.column - b.pos.column);
    throw new InputError(`${limits.what} file does not match its schema (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        formatProblems(loaded.path, problems), { path: loaded.path, line: problems[0].pos.line, column: problems[0].pos.column }, limits.hint);
}
/** One compiler for every schema of the project: all errors, formats such as `date`. */
function compileSchema(schema) {
    const ajv = new ajvExports.Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    // ajv-formats is CommonJS: depending on the loader, the default import is the plugin or its module.
    const plugin = (addFormats.default ?? addFormats);
    plugin(ajv);
    return ajv.compile(schema);
}

export { lineAt as a, compileSchema as c, loadYaml as l, validateLoaded as v };
