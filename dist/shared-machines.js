import { C as CatalogError } from './shared-errors.js';

const OPEN = { '(': ')', '[': ']', '{': '}' };
function parseStatements(tokens, path) {
    let pos = 0;
    const fail = (message, tok = tokens[pos]) => {
        throw new CatalogError(message, { path, line: tok?.line ?? tokens.at(-1)?.line });
    };
    /** Index just past the bracket group opening at `open`. */
    const skipGroup = (open) => {
        const stack = [];
        for (let j = open; j < tokens.length; j++) {
            const t = tokens[j].text;
            if (OPEN[t])
                stack.push(OPEN[t]);
            else if (t === ')' || t === ']' || t === '}') {
                if (stack.pop() !== t)
                    fail(`'${t}' does not match what it closes`, tokens[j]);
                if (!stack.length)
                    return j + 1;
            }
        }
        return fail(`'${tokens[open].text}' is never closed`, tokens[open]);
    };
    const parenthesized = () => {
        if (tokens[pos]?.text !== '(')
            fail(`expected '(' after ${tokens[pos - 1]?.text ?? 'a keyword'}`);
        const end = skipGroup(pos);
        const inner = tokens.slice(pos + 1, end - 1);
        pos = end;
        return inner;
    };
    const statement = () => {
        const t = tokens[pos];
        if (!t)
            return fail('a statement is missing at the end of the function');
        if (t.text === '{') {
            const end = skipGroup(pos);
            const inner = parseStatements(tokens.slice(pos + 1, end - 1), path);
            pos = end;
            return { kind: 'block', body: inner, line: t.line };
        }
        if (t.text === 'if' && t.kind === 'ident') {
            pos++;
            const condition = parenthesized();
            const then = statement();
            if (tokens[pos]?.text === 'else') {
                pos++;
                return { kind: 'if', condition, then, else: statement(), line: t.line };
            }
            return { kind: 'if', condition, then, line: t.line };
        }
        if ((t.text === 'for' || t.text === 'while' || t.text === 'switch') && t.kind === 'ident') {
            pos++;
            const head = parenthesized();
            return { kind: 'loop', keyword: t.text, head, body: statement(), line: t.line };
        }
        if (t.text === 'do' && t.kind === 'ident') {
            pos++;
            const body = statement();
            if (tokens[pos]?.text !== 'while')
                fail("expected 'while' after the body of 'do'");
            pos++;
            const head = parenthesized();
            if (tokens[pos]?.text !== ';')
                fail("expected ';' after 'do ... while (...)'");
            pos++;
            return { kind: 'loop', keyword: 'do', head, body, line: t.line };
        }
        if ((t.text === 'case' || t.text === 'default') && t.kind === 'ident') {
            const start = pos;
            while (pos < tokens.length && tokens[pos].text !== ':')
                pos++;
            if (pos >= tokens.length)
                fail(`'${t.text}' without ':'`, t);
            pos++;
            return { kind: 'label', tokens: tokens.slice(start, pos - 1), line: t.line };
        }
        if (t.text === ';') {
            pos++;
            return { kind: 'block', body: [], line: t.line };
        }
        if (t.kind === 'ident' && tokens[pos + 1]?.text === ':') {
            // A label (`out:`) marks the statement after it; it ends at its colon like `case`.
            pos += 2;
            return { kind: 'label', tokens: [t], line: t.line };
        }
        const start = pos;
        while (pos < tokens.length && tokens[pos].text !== ';') {
            const x = tokens[pos].text;
            if (x === '}' || x === ')' || x === ']')
                fail(`'${x}' closes nothing`);
            pos = OPEN[x] ? skipGroup(pos) : pos + 1;
        }
        if (pos >= tokens.length)
            fail("a statement does not end with ';'", tokens[start]);
        pos++;
        return { kind: 'expr', tokens: tokens.slice(start, pos - 1), line: t.line };
    };
    const out = [];
    while (pos < tokens.length)
        out.push(statement());
    return out;
}
/** The source text of tokens, one space between them, for messages and simple matching. */
function tokenText(tokens) {
    let text = textCache.get(tokens);
    if (text === undefined)
        textCache.set(tokens, (text = tokens.map((t) => t.text).join(' ')));
    return text;
}
// Interpreters ask for the text of the same statements many times (once per machine type).
const textCache = new WeakMap();

/**
 * Whether reads may be answered from what an earlier read of the same content produced.
 * `CPU_MODEL_GUARD_NO_CACHE=1` reads everything from scratch: the caches never change a
 * result, and this is how that is checked.
 */
const readCaching = () => !process.env['CPU_MODEL_GUARD_NO_CACHE'];
/**
 * Results of reading a catalog, keyed by the content ids of every file the reader asked for
 * and the listing of every folder it looked into. A reader is a function of what it reads, so
 * a source that gives the same ids for those paths gets the same result: a file unchanged
 * between commits is not parsed again, and a release revision equal to base costs nothing.
 * Sources without content ids (a working tree) are always read.
 */
class ReadCache {
    size;
    entries = new Map();
    /** `size` results are kept per key: a range audit needs a commit and its parent. */
    constructor(size = 2) {
        this.size = size;
    }
    async get(key, source, read, store) {
        const contentId = source.contentId?.bind(source);
        if (!contentId || !readCaching())
            return read(source);
        const kept = this.entries.get(key) ?? [];
        for (const entry of kept) {
            if (await matches(entry, source, contentId)) {
                // Most recently used last: the first is the one to forget.
                kept.splice(kept.indexOf(entry), 1);
                kept.push(entry);
                return entry.value;
            }
        }
        const keep = (entry) => {
            kept.push(entry);
            if (kept.length > this.size)
                kept.shift();
            this.entries.set(key, kept);
            return entry.value;
        };
        const stored = store ? await loadStored(store, key, source, contentId) : undefined;
        if (stored)
            return keep(stored);
        const files = new Map();
        const folders = new Map();
        const recording = {
            label: source.label,
            readFile: async (p) => {
                const [id, text] = await Promise.all([contentId(p), source.readFile(p)]);
                files.set(p, id);
                return text;
            },
            contentId: async (p) => {
                const id = await contentId(p);
                files.set(p, id);
                return id;
            },
            listFiles: async (d) => {
                const names = await source.listFiles(d);
                folders.set(d, names.join('\0'));
                return names;
            },
        };
        const entry = { files, folders, value: await read(recording) };
        if (store)
            await saveStored(store, key, entry);
        return keep(entry);
    }
}
/**
 * Stored entries are found in two steps: which files and folders a read of `key` asked for
 * (its shapes: the reader asks for the same paths in most revisions), then the entry of what
 * they hold in this source.
 */
const SHAPES_KEPT = 8;
const shapesKey = (key) => `shapes\0${key}`;
/** In path order: a reader's reads may finish in any order. */
const sorted = (m) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const entryKey = (key, files, folders) => `catalog\0${key}\0${JSON.stringify([sorted(files), sorted(folders)])}`;
async function loadShapes(store, key) {
    const text = await store.load(shapesKey(key));
    if (text === undefined)
        return [];
    try {
        const shapes = JSON.parse(text);
        const strings = (v) => Array.isArray(v) && v.every((x) => typeof x === 'string');
        return Array.isArray(shapes)
            ? shapes.filter((s) => strings(s?.files) && strings(s?.folders))
            : [];
    }
    catch {
        return [];
    }
}
async function loadStored(store, key, source, contentId) {
    for (const shape of await loadShapes(store, key)) {
        const files = new Map();
        for (const p of shape.files)
            files.set(p, await contentId(p));
        const folders = new Map();
        for (const d of shape.folders)
            folders.set(d, (await source.listFiles(d)).join('\0'));
        const text = await store.load(entryKey(key, files, folders));
        if (text === undefined)
            continue;
        try {
            return { files, folders, value: decodeValue(JSON.parse(text)) };
        }
        catch {
            // Not what this build writes: read the catalog again.
        }
    }
    return undefined;
}
async function saveStored(store, key, entry) {
    let text;
    try {
        text = JSON.stringify(encodeValue(entry.value));
    }
    catch {
        return;
    }
    await store.save(entryKey(key, entry.files, entry.folders), text);
    const shape = {
        files: sorted(entry.files).map(([p]) => p),
        folders: sorted(entry.folders).map(([d]) => d),
    };
    const same = (s) => s.files.join('\0') === shape.files.join('\0') && s.folders.join('\0') === shape.folders.join('\0');
    const shapes = await loadShapes(store, key);
    if (shapes.length && same(shapes[0]))
        return;
    await store.save(shapesKey(key), JSON.stringify([shape, ...shapes.filter((s) => !same(s))].slice(0, SHAPES_KEPT)));
}
/**
 * JSON for what readers return: Maps, Sets, bigints, `undefined` and numbers JSON has no
 * words for are tagged, so that decoding gives back an equal value.
 */
const TAG = '\0cmg';
function encodeValue(value) {
    if (value === undefined)
        return { [TAG]: 'undefined' };
    if (typeof value === 'bigint')
        return { [TAG]: 'bigint', v: value.toString() };
    if (typeof value === 'number') {
        if (Number.isFinite(value) && !Object.is(value, -0))
            return value;
        return { [TAG]: 'number', v: Object.is(value, -0) ? '-0' : String(value) };
    }
    if (value === null || typeof value !== 'object') {
        if (typeof value === 'function' || typeof value === 'symbol')
            throw new Error(`cannot store a ${typeof value}`);
        return value;
    }
    if (value instanceof Map)
        return { [TAG]: 'map', v: [...value].map(([k, v]) => [encodeValue(k), encodeValue(v)]) };
    if (value instanceof Set)
        return { [TAG]: 'set', v: [...value].map(encodeValue) };
    if (Array.isArray(value))
        return value.map(encodeValue);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
        throw new Error('cannot store an object of a class');
    // Objects used as dictionaries (no prototype) keep having none.
    const entries = Object.entries(value).map(([k, v]) => [k, encodeValue(v)]);
    return proto === null ? { [TAG]: 'dict', v: entries } : fromEntries(entries, Object.prototype);
}
/** An object with these own properties; `__proto__` is a key like any other. */
function fromEntries(entries, proto) {
    const out = Object.create(proto);
    for (const [k, v] of entries) {
        if (k === '__proto__')
            Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
        else
            out[k] = v;
    }
    return out;
}
function decodeValue(value) {
    if (value === null || typeof value !== 'object')
        return value;
    if (Array.isArray(value))
        return value.map(decodeValue);
    const o = value;
    switch (o[TAG]) {
        case undefined:
            break;
        case 'undefined':
            return undefined;
        case 'bigint':
            return BigInt(o.v);
        case 'number':
            return Number(o.v);
        case 'map':
            return new Map(o.v.map(([k, v]) => [decodeValue(k), decodeValue(v)]));
        case 'set':
            return new Set(o.v.map(decodeValue));
        case 'dict':
            return fromEntries(o.v.map(([k, v]) => [k, decodeValue(v)]), null);
        default:
            throw new Error(`unknown tag ${String(o[TAG])}`);
    }
    return fromEntries(Object.entries(o).map(([k, v]) => [k, decodeValue(v)]), Object.prototype);
}
async function matches(entry, source, contentId) {
    for (const [p, id] of entry.files)
        if ((await contentId(p)) !== id)
            return false;
    for (const [d, names] of entry.folders)
        if ((await source.listFiles(d)).join('\0') !== names)
            return false;
    return true;
}

const PUNCTUATORS = [
    '<<=',
    '>>=',
    '...',
    '->',
    '++',
    '--',
    '<<',
    '>>',
    '<=',
    '>=',
    '==',
    '!=',
    '&&',
    '||',
    '+=',
    '-=',
    '*=',
    '/=',
    '%=',
    '&=',
    '^=',
    '|=',
    '##',
];
const PUNCTUATORS_BY_FIRST = new Map();
for (const p of PUNCTUATORS)
    PUNCTUATORS_BY_FIRST.set(p[0], [...(PUNCTUATORS_BY_FIRST.get(p[0]) ?? []), p]);
const SINGLE_PUNCTUATORS = new Set('{}[]();,.<>+-*/%&|^!~?:=#');
// Character classes by code, in one table: the tokenizer runs over every byte of the largest
// catalog files, and in a one-shot process (the CLI) most of that runs before V8 optimizes it.
const IDENT_START = 1;
const IDENT_PART = 2;
const DIGIT = 4;
const BLANK = 8;
const CLASS = new Uint8Array(128);
for (let k = 0; k < 128; k++) {
    const letter = (k >= 97 && k <= 122) || (k >= 65 && k <= 90) || k === 95;
    const digit = k >= 48 && k <= 57;
    const blank = k === 32 || k === 9 || k === 13 || k === 12 || k === 11;
    CLASS[k] = (letter ? IDENT_START | IDENT_PART : 0) | (digit ? DIGIT | IDENT_PART : 0) | (blank ? BLANK : 0);
}
/** The class bits of a character code; 0 past the end of the text (NaN) and outside ASCII. */
const classOf = (code) => (code < 128 ? CLASS[code] : 0);
/**
 * Translation phase 2: every backslash-newline pair is deleted, wherever it stands (inside
 * string literals, comments, directives and tokens alike). Returns the spliced text and, for
 * each of its characters, the physical line it came from, so that tokens keep the line they
 * start on.
 */
function spliceLines(text) {
    const lineOf = new Int32Array(text.length + 1);
    const out = [];
    let line = 1;
    let chunkStart = 0;
    let length = 0;
    for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (c === 92 /* \\ */) {
            const next = text.charCodeAt(i + 1);
            const skip = next === 10 ? 2 : next === 13 && text.charCodeAt(i + 2) === 10 ? 3 : 0;
            if (skip) {
                out.push(text.slice(chunkStart, i));
                i += skip - 1;
                chunkStart = i + 1;
                line++;
                continue;
            }
        }
        lineOf[length++] = line;
        if (c === 10)
            line++;
    }
    out.push(text.slice(chunkStart));
    lineOf[length] = line;
    return { text: out.join(''), lineOf: lineOf.subarray(0, length + 1) };
}
/**
 * Tokens by file and text, for the files read last: in a range audit most files are the same
 * in every commit. Two texts are kept per file, since a check reads each file at base and at
 * head, and then reads both again (the guest-CPUID functions' parameter lists). Nothing
 * downstream modifies a token, so a file's tokens can be shared.
 */
const recent = new Map();
const RECENT_FILES = 40;
const TEXTS_PER_FILE = 2;
function tokenize(source, path) {
    if (!readCaching())
        return tokenizeText(source, path);
    const kept = recent.get(path) ?? [];
    recent.delete(path);
    recent.set(path, kept);
    const hit = kept.find((k) => k.source === source);
    if (hit)
        return hit.tokens;
    const tokens = tokenizeText(source, path);
    kept.push({ source, tokens });
    if (kept.length > TEXTS_PER_FILE)
        kept.shift();
    if (recent.size > RECENT_FILES)
        recent.delete(recent.keys().next().value);
    return tokens;
}
function tokenizeText(source, path) {
    const nul = source.indexOf('\0');
    if (nul >= 0) {
        throw new CatalogError('a NUL byte: the file is binary, or damaged, expected C source', { path, line: source.slice(0, nul).split('\n').length }, 'check that the path names the C source file');
    }
    const { text, lineOf } = spliceLines(source);
    const tokens = [];
    let i = 0;
    let atLineStart = true;
    const n = text.length;
    const fail = (message, at = lineOf[i]) => {
        throw new CatalogError(message, { path, line: at }, 'the file may be truncated or not C source');
    };
    /** Reads one token starting at `i` (no whitespace or comments there). */
    const readToken = (out) => {
        const code = text.charCodeAt(i);
        const cls = classOf(code);
        const startLine = lineOf[i];
        if (cls & IDENT_START) {
            let j = i + 1;
            while (j < n && classOf(text.charCodeAt(j)) & IDENT_PART)
                j++;
            out.push({ kind: 'ident', text: text.slice(i, j), line: startLine });
            i = j;
            return;
        }
        if (cls & DIGIT || (code === 46 /* . */ && classOf(text.charCodeAt(i + 1)) & DIGIT)) {
            let j = i + 1;
            while (j < n && (classOf(text.charCodeAt(j)) & IDENT_PART || text.charCodeAt(j) === 46))
                j++;
            out.push({ kind: 'number', text: text.slice(i, j), line: startLine });
            i = j;
            return;
        }
        if (code === 34 /* " */ || code === 39 /* ' */) {
            const what = code === 34 ? 'string' : 'character';
            let j = i + 1;
            while (j < n && text.charCodeAt(j) !== code) {
                if (text.charCodeAt(j) === 92 /* \\ */)
                    j++;
                if (text.charCodeAt(j) === 10)
                    fail(`unterminated ${what} literal`, startLine);
                j++;
            }
            if (j >= n)
                fail(`unterminated ${what} literal`, startLine);
            out.push({ kind: code === 34 ? 'string' : 'char', text: text.slice(i, j + 1), line: startLine });
            i = j + 1;
            return;
        }
        const c = text[i];
        for (const p of PUNCTUATORS_BY_FIRST.get(c) ?? []) {
            if (text.startsWith(p, i)) {
                out.push({ kind: 'punct', text: p, line: startLine });
                i += p.length;
                return;
            }
        }
        if (SINGLE_PUNCTUATORS.has(c)) {
            out.push({ kind: 'punct', text: c, line: startLine });
            i++;
            return;
        }
        if (code < 32 && c !== '\t' && c !== '\f' && c !== '\v' && c !== '\r') {
            fail(`unexpected control character 0x${code.toString(16)}`);
        }
        // Stray characters (`@`, `$`, backquote, non-ASCII outside literals) cannot start C tokens.
        fail(`unexpected character '${c}'`);
    };
    /** Skips blanks and comments; in a directive, stops at the newline that ends it. */
    const skipSpace = (inDirective) => {
        while (i < n) {
            const code = text.charCodeAt(i);
            if (code === 10) {
                if (inDirective)
                    return true;
                i++;
                atLineStart = true;
                continue;
            }
            if (classOf(code) & BLANK) {
                i++;
                continue;
            }
            if (code === 47 /* / */) {
                const next = text.charCodeAt(i + 1);
                if (next === 42 /* * */) {
                    const end = text.indexOf('*/', i + 2);
                    if (end < 0)
                        fail('unterminated comment');
                    i = end + 2;
                    continue;
                }
                if (next === 47) {
                    const end = text.indexOf('\n', i);
                    i = end < 0 ? n : end;
                    continue;
                }
            }
            return false;
        }
        return inDirective;
    };
    while (i < n) {
        if (skipSpace(false))
            break;
        if (i >= n)
            break;
        if (atLineStart && text.charCodeAt(i) === 35 /* # */) {
            const startLine = lineOf[i];
            i++;
            const body = [];
            while (i < n) {
                if (skipSpace(true))
                    break;
                if (i >= n)
                    break;
                readToken(body);
            }
            tokens.push({ kind: 'directive', text: body[0]?.text ?? '', line: startLine, body });
            continue;
        }
        atLineStart = false;
        readToken(tokens);
    }
    return tokens;
}
/** The text of a string literal token, escapes resolved. */
function stringValue(token) {
    const raw = token.text.slice(1, -1);
    return raw.replace(/\\(x[0-9A-Fa-f]+|[0-7]{1,3}|.)/g, (_m, e) => {
        switch (e[0]) {
            case 'n':
                return '\n';
            case 't':
                return '\t';
            case 'r':
                return '\r';
            case 'x':
                return String.fromCharCode(parseInt(e.slice(1), 16));
            default:
                return /^[0-7]/.test(e) ? String.fromCharCode(parseInt(e, 8)) : e;
        }
    });
}

class MacroTable {
    defs = new Map();
    define(def) {
        this.defs.set(def.name, def);
    }
    undefine(name) {
        this.defs.delete(name);
    }
    get(name) {
        return this.defs.get(name);
    }
    has(name) {
        return this.defs.has(name);
    }
}
/** Passes kept per file: a range audit alternates between a commit and its parent. */
const KEPT = 2;
class PassCache {
    passes = new WeakMap();
    /** `path`: where the result says it comes from (locations), part of the key. */
    run(key, path, macros, pass) {
        if (!readCaching())
            return pass(macros);
        const kept = this.passes.get(key) ?? [];
        const hit = kept.find((p) => p.path === path && [...p.reads].every(([name, def]) => sameMeaning(macros.get(name), def)));
        if (hit) {
            for (const w of hit.writes) {
                if (typeof w === 'string')
                    macros.undefine(w);
                else
                    macros.define(w);
            }
            return hit.result;
        }
        const recording = new RecordingTable(macros);
        const result = pass(recording);
        kept.push({ path, reads: recording.reads, writes: recording.writes, result });
        if (kept.length > KEPT)
            kept.shift();
        this.passes.set(key, kept);
        return result;
    }
}
/** A table that passes everything through to `inner` and notes what was read and written. */
class RecordingTable extends MacroTable {
    inner;
    reads = new Map();
    writes = [];
    written = new Set();
    constructor(inner) {
        super();
        this.inner = inner;
    }
    define(def) {
        this.written.add(def.name);
        this.writes.push(def);
        this.inner.define(def);
    }
    undefine(name) {
        this.written.add(name);
        this.writes.push(name);
        this.inner.undefine(name);
    }
    get(name) {
        const def = this.inner.get(name);
        if (!this.written.has(name) && !this.reads.has(name))
            this.reads.set(name, def);
        return def;
    }
    has(name) {
        return this.get(name) !== undefined;
    }
}
function sameMeaning(a, b) {
    if (a === b)
        return true;
    if (!a || !b || a.name !== b.name || a.body.length !== b.body.length)
        return false;
    if ((a.params === undefined) !== (b.params === undefined))
        return false;
    if (a.params && a.params.join(',') !== b.params.join(','))
        return false;
    return a.body.every((t, i) => t.kind === b.body[i].kind && t.text === b.body[i].text);
}
const preprocessed = new PassCache();
/**
 * Runs the directives of one file against `macros` (which collects its definitions) and
 * returns the remaining tokens. `#include` is ignored: the reader decides which files to read.
 * A file whose tokens and looked-up macros are those of an earlier run is not run again.
 */
function preprocess(tokens, path, macros) {
    return preprocessed.run(tokens, path, macros, (recording) => runDirectives(tokens, path, recording));
}
function runDirectives(tokens, path, macros) {
    const out = [];
    // Each frame: is this branch active, has any branch of the group been taken, was the parent active.
    const stack = [];
    const active = () => stack.length === 0 || stack[stack.length - 1].active;
    for (const tok of tokens) {
        if (tok.kind !== 'directive') {
            if (active())
                out.push(tok);
            continue;
        }
        const body = tok.body ?? [];
        const rest = body.slice(1);
        switch (tok.text) {
            case 'if': {
                const parent = active();
                const cond = parent && evaluateCondition(rest, macros, path, tok.line);
                stack.push({ active: cond, taken: cond, parent });
                break;
            }
            case 'ifdef':
            case 'ifndef': {
                const parent = active();
                const name = rest[0]?.text;
                if (!name)
                    throw new CatalogError(`#${tok.text} without a name`, { path, line: tok.line });
                const defined = macros.has(name);
                const cond = parent && (tok.text === 'ifdef' ? defined : !defined);
                stack.push({ active: cond, taken: cond, parent });
                break;
            }
            case 'elif': {
                const top = stack[stack.length - 1];
                if (!top)
                    throw new CatalogError('#elif without #if', { path, line: tok.line });
                const cond = top.parent && !top.taken && evaluateCondition(rest, macros, path, tok.line);
                top.active = cond;
                top.taken ||= cond;
                break;
            }
            case 'else': {
                const top = stack[stack.length - 1];
                if (!top)
                    throw new CatalogError('#else without #if', { path, line: tok.line });
                top.active = top.parent && !top.taken;
                top.taken = true;
                break;
            }
            case 'endif':
                if (!stack.pop())
                    throw new CatalogError('#endif without #if', { path, line: tok.line });
                break;
            case 'define':
                if (active())
                    macros.define(parseDefine(body, path, tok.line));
                break;
            case 'undef':
                if (active() && rest[0])
                    macros.undefine(rest[0].text);
                break;
        }
    }
    if (stack.length) {
        throw new CatalogError('#if without a matching #endif (the file may be truncated)', {
            path,
            line: tokens.at(-1)?.line,
        });
    }
    return { path, tokens: out };
}
function parseDefine(body, path, line) {
    const nameTok = body[1];
    if (!nameTok || nameTok.kind !== 'ident')
        throw new CatalogError('#define without a macro name', { path, line });
    const next = body[2];
    // A function-like macro has its `(` right after the name; the tokenizer keeps no blanks,
    // so tell the two apart by the original text: `F(x)` versus `F (x)` is rare in catalog code.
    if (next && next.text === '(' && next.line === nameTok.line && isAdjacentParen(body)) {
        const params = [];
        let j = 3;
        while (j < body.length && body[j].text !== ')') {
            if (body[j].text !== ',')
                params.push(body[j].text);
            j++;
        }
        return { name: nameTok.text, params, body: body.slice(j + 1), path, line };
    }
    return { name: nameTok.text, body: body.slice(2), path, line };
}
/**
 * `#define F(x) ...` versus `#define F (x)`. The tokenizer does not keep spacing, so the
 * distinction is made on the parameter list's shape: identifiers separated by commas.
 */
function isAdjacentParen(body) {
    let j = 3;
    let expectIdent = true;
    while (j < body.length && body[j].text !== ')') {
        const t = body[j];
        if (expectIdent ? t.kind !== 'ident' && t.text !== '...' : t.text !== ',')
            return false;
        expectIdent = !expectIdent;
        j++;
    }
    return j < body.length;
}
function evaluateCondition(tokens, macros, path, line) {
    // `defined X` and `defined(X)` are resolved before expansion, as the standard says.
    const resolved = [];
    for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i];
        if (t.text === 'defined') {
            let name = tokens[i + 1];
            if (name?.text === '(') {
                name = tokens[i + 2];
                i += 3;
            }
            else {
                i += 1;
            }
            resolved.push({ kind: 'number', text: name && macros.has(name.text) ? '1' : '0', line: t.line });
            continue;
        }
        resolved.push(t);
    }
    const afterExpansion = expandMacros(resolved, macros);
    // Identifiers left after expansion are 0 in #if, as in C; so is a call of a macro defined
    // outside the files read (`QEMU_GNUC_PREREQ(4, 4)`).
    const expanded = [];
    for (let i = 0; i < afterExpansion.length; i++) {
        const t = afterExpansion[i];
        if (t.kind !== 'ident') {
            expanded.push(t);
            continue;
        }
        if (afterExpansion[i + 1]?.text === '(')
            i = collectArguments(afterExpansion, i + 1).end;
        expanded.push({ ...t, kind: 'number', text: '0' });
    }
    const value = evaluateExpression(expanded, macros, path, { line });
    return typeof value === 'bigint' ? value !== 0n : value !== '';
}
/**
 * Expands macros in a token list the way the C preprocessor does: a macro's replacement is
 * rescanned together with the tokens that follow it (so `PICK(...)(args)` calls the macro that
 * PICK chose), arguments are expanded before substitution unless `#` or `##` touches them, and
 * `...` / `__VA_ARGS__` take the remaining arguments. Each token carries the names of the macros
 * it came from, which are not expanded again inside themselves. Expanded tokens carry the line
 * of the invocation, so that a value computed from a macro points at the line that used it.
 */
function expandMacros(tokens, macros, hidden = new Set()) {
    const out = [];
    // Pending input, last token first, so that a replacement is pushed back in front of the rest.
    const input = [];
    for (let k = tokens.length - 1; k >= 0; k--)
        input.push({ tok: tokens[k], hide: hidden });
    while (input.length) {
        const { tok: t, hide } = input.pop();
        const def = t.kind === 'ident' && !hide.has(t.text) ? macros.get(t.text) : undefined;
        if (!def) {
            out.push(t);
            continue;
        }
        const innerHide = new Set(hide).add(def.name);
        if (!def.params) {
            const body = relocate(def.body, t.line);
            for (let k = body.length - 1; k >= 0; k--)
                input.push({ tok: body[k], hide: innerHide });
            continue;
        }
        if (input.at(-1)?.tok.text !== '(') {
            out.push(t);
            continue;
        }
        // Collect the arguments from the pending input.
        const args = [[]];
        let depth = 0;
        let closed = false;
        while (input.length) {
            const a = input.pop().tok;
            if (a.text === '(' || a.text === '[' || a.text === '{') {
                if (depth++ === 0)
                    continue;
            }
            else if (a.text === ')' || a.text === ']' || a.text === '}') {
                if (--depth === 0) {
                    closed = true;
                    break;
                }
            }
            else if (a.text === ',' && depth === 1) {
                args.push([]);
                continue;
            }
            args[args.length - 1].push(a);
        }
        if (!closed)
            throw new CatalogError(`unbalanced parentheses in a call of the macro ${def.name}`, undefined);
        const params = def.params;
        const variadic = params.at(-1) === '...';
        const named = variadic ? params.slice(0, -1) : params;
        const argOf = (name) => {
            if (variadic && name === '__VA_ARGS__') {
                const rest = args.slice(named.length);
                return rest.flatMap((r, k) => (k ? [{ kind: 'punct', text: ',', line: t.line }, ...r] : r));
            }
            const p = named.indexOf(name);
            return p >= 0 ? (args[p] ?? []) : undefined;
        };
        const substituted = [];
        const body = def.body;
        for (let k = 0; k < body.length; k++) {
            const b = body[k];
            if (b.text === '#' && body[k + 1] && argOf(body[k + 1].text) !== undefined) {
                const arg = argOf(body[k + 1].text);
                substituted.push({
                    kind: 'string',
                    text: JSON.stringify(arg.map((a) => a.text).join(' ')),
                    line: t.line,
                });
                k++;
                continue;
            }
            const arg = b.kind === 'ident' ? argOf(b.text) : undefined;
            if (arg) {
                const pasted = body[k + 1]?.text === '##' || body[k - 1]?.text === '##';
                substituted.push(...(pasted ? arg : expandMacros(arg, macros, hide)).map((a) => ({ ...a, line: t.line })));
            }
            else {
                substituted.push({ ...b, line: t.line });
            }
        }
        const result = pasteTokens(substituted);
        for (let k = result.length - 1; k >= 0; k--)
            input.push({ tok: result[k], hide: innerHide });
    }
    return out;
}
function relocate(tokens, line) {
    return tokens.map((t) => ({ ...t, line }));
}
function pasteTokens(tokens) {
    const out = [];
    for (let k = 0; k < tokens.length; k++) {
        if (tokens[k].text === '##' && out.length && tokens[k + 1]) {
            const left = out.pop();
            const right = tokens[++k];
            const text = left.text + right.text;
            out.push({ kind: /^[A-Za-z_]/.test(text) ? 'ident' : left.kind, text, line: left.line });
            continue;
        }
        out.push(tokens[k]);
    }
    return out;
}
/** Splits `( a, b(c, d), e )` starting at the `(` into its arguments. */
function collectArguments(tokens, open) {
    const args = [[]];
    let depth = 0;
    for (let j = open; j < tokens.length; j++) {
        const t = tokens[j];
        if (t.text === '(' || t.text === '{' || t.text === '[') {
            if (depth++ === 0)
                continue;
        }
        else if (t.text === ')' || t.text === '}' || t.text === ']') {
            if (--depth === 0)
                return { args: args[0].length || args.length > 1 ? args : [], end: j };
        }
        else if (t.text === ',' && depth === 1) {
            args.push([]);
            continue;
        }
        args[args.length - 1].push(t);
    }
    throw new CatalogError('unbalanced parentheses in a macro call', undefined);
}
const TYPE_WORDS = new Set([
    'unsigned',
    'signed',
    'int',
    'long',
    'short',
    'char',
    'const',
    'uint64_t',
    'uint32_t',
    'uint16_t',
    'uint8_t',
    'int64_t',
    'int32_t',
    'size_t',
    'bool',
]);
/**
 * Evaluates a constant expression: integers (as 64-bit-safe bigints), string literal
 * concatenation, the usual operators, and casts to integer types.
 */
function evaluateExpression(tokens, macros, path, ctx) {
    const toks = expandMacros(tokens, macros);
    let pos = 0;
    const peek = () => toks[pos];
    const fail = (message, tok) => {
        throw new CatalogError(message, { path, line: tok?.line ?? toks[0]?.line ?? ctx.line }, 'only constant expressions built from macros defined in the catalog files can be read');
    };
    const expect = (text) => {
        if (peek()?.text !== text)
            fail(`expected '${text}' but found '${peek()?.text ?? 'end of expression'}'`, peek());
        pos++;
    };
    const int = (v, tok) => typeof v === 'bigint' ? v : fail('a string where a number was expected', tok);
    const primary = () => {
        const t = peek();
        if (!t)
            return fail('expression ends too early');
        if (t.kind === 'number') {
            pos++;
            return parseNumber(t.text) ?? fail(`cannot read number '${t.text}'`, t);
        }
        if (t.kind === 'char') {
            pos++;
            return BigInt(stringValue(t).charCodeAt(0));
        }
        if (t.kind === 'string') {
            let s = '';
            while (peek()?.kind === 'string')
                s += stringValue(toks[pos++]);
            return s;
        }
        if (t.text === '(') {
            // A cast to an integer type is dropped; the value is kept as a 64-bit quantity.
            let k = pos + 1;
            while (toks[k] && TYPE_WORDS.has(toks[k].text))
                k++;
            if (k > pos + 1 && toks[k]?.text === ')') {
                pos = k + 1;
                return unary();
            }
            pos++;
            const v = ternary();
            expect(')');
            return v;
        }
        if (t.kind === 'ident') {
            const known = ctx.identifiers?.get(t.text);
            if (known !== undefined) {
                pos++;
                return known;
            }
            return fail(`unknown macro or identifier '${t.text}'`, t);
        }
        return fail(`unexpected '${t.text}' in a constant expression`, t);
    };
    const unary = () => {
        const t = peek();
        if (t && ['-', '+', '~', '!'].includes(t.text)) {
            pos++;
            const v = int(unary(), t);
            return t.text === '-' ? -v : t.text === '+' ? v : t.text === '~' ? ~v : v === 0n ? 1n : 0n;
        }
        return primary();
    };
    const binary = (next, ops, apply) => () => {
        let left = next();
        while (peek() && ops.includes(peek().text)) {
            const op = toks[pos++];
            const right = next();
            left = apply(op.text, int(left, op), int(right, op));
        }
        return left;
    };
    const mul = binary(unary, ['*', '/', '%'], (op, a, b) => op === '*' ? a * b : b === 0n ? fail('division by zero') : op === '/' ? a / b : a % b);
    const add = binary(mul, ['+', '-'], (op, a, b) => (op === '+' ? a + b : a - b));
    const shift = binary(add, ['<<', '>>'], (op, a, b) => (op === '<<' ? a << b : a >> b));
    const rel = binary(shift, ['<', '>', '<=', '>='], (op, a, b) => BigInt(op === '<' ? a < b : op === '>' ? a > b : op === '<=' ? a <= b : a >= b));
    const eq = binary(rel, ['==', '!='], (op, a, b) => BigInt(op === '==' ? a === b : a !== b));
    const band = binary(eq, ['&'], (_op, a, b) => a & b);
    const bxor = binary(band, ['^'], (_op, a, b) => a ^ b);
    const bor = binary(bxor, ['|'], (_op, a, b) => a | b);
    const land = binary(bor, ['&&'], (_op, a, b) => BigInt(a !== 0n && b !== 0n));
    const lor = binary(land, ['||'], (_op, a, b) => BigInt(a !== 0n || b !== 0n));
    const ternary = () => {
        const c = lor();
        if (peek()?.text !== '?')
            return c;
        pos++;
        const a = ternary();
        expect(':');
        const b = ternary();
        return int(c) !== 0n ? a : b;
    };
    if (!toks.length)
        fail('empty expression');
    const value = ternary();
    if (pos < toks.length)
        fail(`unexpected '${toks[pos].text}' after the expression`, toks[pos]);
    return value;
}
function parseNumber(text) {
    const m = /^(0[xX][0-9A-Fa-f]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
    if (!m)
        return undefined;
    const digits = m[1];
    if (/^0[0-7]+$/.test(digits))
        return BigInt('0o' + digits.slice(1));
    return BigInt(digits);
}

const structures = new PassCache();
/**
 * One pass over a preprocessed file: the initialized arrays and structs at file scope, the
 * function bodies split into statements, and the macro invocations that stand alone at file
 * scope (`DEFINE_Q35_MACHINE(...)`). The same preprocessed file read with the same macros
 * gives the structure read before: nothing downstream modifies one.
 */
function readFileStructure(file, macros) {
    return structures.run(file, file.path, macros, (recording) => readStructure(file, recording));
}
function readStructure(file, macros) {
    const toks = [...file.tokens];
    const initializers = new Map();
    const functions = new Map();
    const calls = [];
    let declStart = 0;
    let i = 0;
    while (i < toks.length) {
        const t = toks[i];
        // Only a name before `(` can be a macro invocation to expand here; looking up every other
        // name would cost a lookup per token and make each a recorded dependency of the pass.
        const def = t.kind === 'ident' && toks[i + 1]?.text === '(' ? macros.get(t.text) : undefined;
        if (def?.params) {
            // A macro invoked at file scope (`DEFINE_PC_MACHINE(...)`) stands for the definitions it
            // expands to: read those, as the compiler does.
            const { end } = collectArgumentsAt(toks, i + 1, file.path);
            toks.splice(i, end + 1 - i, ...expandMacros(toks.slice(i, end + 1), macros));
            continue;
        }
        if (t.text === '}') {
            throw new CatalogError("a '}' at file scope closes nothing", { path: file.path, line: t.line });
        }
        if (t.text === ';') {
            const decl = peelMacroCalls(toks.slice(declStart, i), calls, file.path);
            if (decl[0]?.kind === 'ident' && decl[1]?.text === '(' && decl.at(-1)?.text === ')') {
                const { args, end } = collectArgumentsAt(decl, 1, file.path);
                if (end === decl.length - 1)
                    calls.push({ name: decl[0].text, args, line: decl[0].line });
            }
            declStart = ++i;
            continue;
        }
        if (t.text === '=' && toks[i + 1]?.text === '{') {
            const decl = peelMacroCalls(toks.slice(declStart, i), calls, file.path);
            const name = declarationName(decl);
            const reader = new InitializerReader(toks, i + 1, file.path, macros);
            const list = reader.readList();
            if (name) {
                const typeName = decl.filter((d) => d.kind === 'ident' && !['static', 'const'].includes(d.text))[0]?.text ?? '';
                initializers.set(name, { name, typeName, list, line: decl[0]?.line ?? t.line });
            }
            i = reader.pos;
            continue;
        }
        if (t.text === '{') {
            // A function definition (or a struct/enum body, which is skipped the same way).
            const end = matchingBrace(toks, i, file.path);
            const decl = peelMacroCalls(toks.slice(declStart, i), calls, file.path);
            const open = decl.findIndex((d) => d.text === '(');
            if (open > 0 && decl[open - 1].kind === 'ident' && decl.at(-1)?.text === ')') {
                const name = decl[open - 1].text;
                functions.set(name, functionBody(name, decl[open - 1].line, toks[end].line, toks.slice(i + 1, end)));
                declStart = end + 1;
            }
            i = end + 1;
            continue;
        }
        i++;
    }
    const rest = peelMacroCalls(toks.slice(declStart), calls, file.path);
    if (rest[0]?.kind === 'ident' && rest[1]?.text === '(' && rest.at(-1)?.text === ')') {
        const { args, end } = collectArgumentsAt(rest, 1, file.path);
        if (end === rest.length - 1)
            calls.push({ name: rest[0].text, args, line: rest[0].line });
    }
    else if (rest.length) {
        throw new CatalogError(`the file ends inside a declaration ('${rest[0].text}' ...)`, {
            path: file.path,
            line: rest[0].line,
        });
    }
    return { path: file.path, initializers, functions, calls };
}
/**
 * Macro invocations written without a trailing semicolon (`DEFINE_I440FX_MACHINE(7, 2)`) run
 * into the declaration that follows; take them off its front and record them as calls.
 */
function peelMacroCalls(decl, calls, path) {
    let k = 0;
    while (decl[k]?.kind === 'ident' && decl[k + 1]?.text === '(') {
        const { args, end } = collectArgumentsAt(decl, k + 1, path);
        if (end === decl.length - 1)
            break;
        calls.push({ name: decl[k].text, args, line: decl[k].line });
        k = end + 1;
    }
    return k ? decl.slice(k) : decl;
}
function collectArgumentsAt(tokens, open, path) {
    try {
        return collectArguments(tokens, open);
    }
    catch {
        throw new CatalogError('unbalanced parentheses', { path, line: tokens[open]?.line });
    }
}
function declarationName(decl) {
    let k = decl.length - 1;
    while (k >= 0 && decl[k].text === ']') {
        let depth = 0;
        for (; k >= 0; k--) {
            if (decl[k].text === ']')
                depth++;
            else if (decl[k].text === '[' && --depth === 0)
                break;
        }
        k--;
    }
    return k >= 0 && decl[k].kind === 'ident' ? decl[k].text : undefined;
}
function matchingBrace(toks, open, path) {
    let depth = 0;
    for (let j = open; j < toks.length; j++) {
        if (toks[j].text === '{')
            depth++;
        else if (toks[j].text === '}' && --depth === 0)
            return j;
    }
    throw new CatalogError("a '{' is never closed (the file may be truncated)", {
        path,
        line: toks[open].line,
    });
}
/**
 * A function, split into statements when a reader first asks. QEMU 7.2's files hold over six
 * hundred functions (kvm.c 138) and two readers of cpu.c use the split: done for every
 * function, the statement lists were a good part of what a read allocates and keeps.
 */
function functionBody(name, line, endLine, tokens) {
    let split;
    return {
        name,
        line,
        endLine,
        tokens,
        get statements() {
            return (split ??= splitStatements(tokens)).statements;
        },
        get depths() {
            return (split ??= splitStatements(tokens)).depths;
        },
    };
}
/**
 * Statements of a function body; braces of nested blocks separate statements too, and each
 * statement keeps its block depth so that a reader can tell what an `if` governs.
 */
function splitStatements(body) {
    const statements = [];
    const depths = [];
    let cur = [];
    let paren = 0;
    let depth = 0;
    const flush = () => {
        if (cur.length) {
            statements.push(cur);
            depths.push(depth);
        }
        cur = [];
    };
    for (const t of body) {
        if (t.text === '(')
            paren++;
        if (t.text === ')')
            paren--;
        if (paren === 0 && (t.text === ';' || t.text === '{' || t.text === '}')) {
            flush();
            if (t.text === '{')
                depth++;
            if (t.text === '}')
                depth--;
            continue;
        }
        cur.push(t);
    }
    flush();
    return { statements, depths };
}
class InitializerReader {
    toks;
    pos;
    path;
    macros;
    constructor(toks, pos, path, macros) {
        this.toks = toks;
        this.pos = pos;
        this.path = path;
        this.macros = macros;
    }
    fail(message, tok = this.toks[this.pos]) {
        throw new CatalogError(message, { path: this.path, line: tok?.line ?? this.toks.at(-1)?.line }, 'the table may be truncated or use a construct this reader does not know');
    }
    readList(typeName) {
        const open = this.toks[this.pos];
        if (open?.text !== '{')
            this.fail(`expected '{' but found '${open?.text ?? 'end of file'}'`);
        this.pos++;
        const items = [];
        for (;;) {
            const t = this.toks[this.pos];
            if (!t)
                this.fail("a '{' is never closed (the file may be truncated)", open);
            if (t.text === '}') {
                this.pos++;
                return { kind: 'list', items, line: open.line, endLine: t.line, typeName };
            }
            // A function-like macro standing for whole elements (`PC_CPU_MODEL_IDS("2.0")`).
            const def = t.kind === 'ident' && this.toks[this.pos + 1]?.text === '(' ? this.macros.get(t.text) : undefined;
            if (def?.params) {
                const { end } = collectArgumentsAt(this.toks, this.pos + 1, this.path);
                const expanded = expandMacros(this.toks.slice(this.pos, end + 1), this.macros);
                if (expanded[0]?.text === '{') {
                    this.toks.splice(this.pos, end + 1 - this.pos, ...expanded);
                    continue;
                }
            }
            items.push(this.readItem());
            const sep = this.toks[this.pos];
            if (sep?.text === ',')
                this.pos++;
            else if (sep?.text !== '}')
                this.fail(`expected ',' or '}' but found '${sep?.text ?? 'end of file'}'`);
        }
    }
    readItem() {
        const line = this.toks[this.pos].line;
        const designators = [];
        for (;;) {
            const t = this.toks[this.pos];
            if (t?.text === '.' && this.toks[this.pos + 1]?.kind === 'ident') {
                designators.push({ field: this.toks[this.pos + 1].text });
                this.pos += 2;
                continue;
            }
            if (t?.text === '[') {
                const close = this.findClose(this.pos, '[', ']');
                designators.push({ index: this.toks.slice(this.pos + 1, close) });
                this.pos = close + 1;
                continue;
            }
            break;
        }
        if (designators.length) {
            if (this.toks[this.pos]?.text !== '=')
                this.fail(`expected '=' after a designator`);
            this.pos++;
        }
        return { designators, value: this.readValue(), line };
    }
    readValue() {
        const t = this.toks[this.pos];
        if (!t)
            this.fail('initializer ends too early');
        if (t.text === '{')
            return this.readList();
        if (t.text === '(') {
            const close = this.findClose(this.pos, '(', ')');
            if (this.toks[close + 1]?.text === '{') {
                const typeName = this.toks
                    .slice(this.pos + 1, close)
                    .map((x) => x.text)
                    .join(' ');
                this.pos = close + 1;
                return this.readList(typeName);
            }
        }
        const start = this.pos;
        let depth = 0;
        for (; this.pos < this.toks.length; this.pos++) {
            const x = this.toks[this.pos].text;
            if (x === '(' || x === '[' || x === '{')
                depth++;
            else if (x === ')' || x === ']' || x === '}') {
                if (depth === 0)
                    break;
                depth--;
            }
            else if (x === ',' && depth === 0)
                break;
        }
        const tokens = this.toks.slice(start, this.pos);
        if (!tokens.length)
            this.fail('empty initializer value');
        return { kind: 'expr', tokens, line: tokens[0].line, endLine: tokens.at(-1).line };
    }
    findClose(open, o, c) {
        let depth = 0;
        for (let j = open; j < this.toks.length; j++) {
            if (this.toks[j].text === o)
                depth++;
            else if (this.toks[j].text === c && --depth === 0)
                return j;
        }
        return this.fail(`'${o}' is never closed`, this.toks[open]);
    }
}
/** A brace list that starts at `tokens[start]` (a local `static T x[] = { ... }`). */
function readInitList(tokens, start, path, macros) {
    return new InitializerReader([...tokens], start, path, macros).readList();
}
/** The first item whose designator names `field`. */
function field(list, name) {
    return list.items.find((it) => it.designators.length === 1 && 'field' in it.designators[0] && it.designators[0].field === name);
}

const CPU_TYPE_SUFFIX = '-x86_64-cpu';
const ALL_CPUS = 'x86_64-cpu';
/** Every `GlobalProperty NAME[] = { ... }` of the machine files: the compat arrays. */
function readCompatSets(tree, cpu) {
    const sets = {};
    for (const key of ['machineC', 'pcC', 'q35C', 'piixC']) {
        const structure = tree.structures[key];
        if (!structure)
            continue;
        for (const init of structure.initializers.values()) {
            if (init.typeName !== 'GlobalProperty')
                continue;
            sets[init.name] = readCompatSet(tree, cpu, key, init.name, init.list, init.line);
        }
    }
    const inPc = [...(tree.structures.pcC?.initializers.values() ?? [])].filter((i) => i.typeName === 'GlobalProperty');
    if (!inPc.length) {
        const legacy = tree.text.pcH?.split('\n').findIndex((l) => /#define PC_COMPAT_\d/.test(l));
        if (legacy !== undefined && legacy >= 0) {
            throw new CatalogError('no GlobalProperty compat arrays in hw/i386/pc.c, and include/hw/i386/pc.h defines PC_COMPAT_X_Y macros: this tree predates QEMU 3.1', { path: tree.path('pcH'), line: legacy + 1 }, 'cpu-model-guard reads QEMU trees from 3.1 on (tested with 5.2, 7.2, 10.0 and 10.2)');
        }
        throw new CatalogError(`${tree.path('pcC')} defines no compat arrays (GlobalProperty pc_compat_X_Y[] = { ... })`, { path: tree.path('pcC'), line: 1 }, "point the catalog at a complete QEMU source tree: pc.c holds the PC machines' compat arrays");
    }
    return sets;
}
/** One compat array: `{ driver, property, value }` entries. */
function readCompatSet(tree, cpu, key, name, list, line) {
    const init = { name, list };
    const entries = [];
    for (const item of init.list.items) {
        if (item.value.kind !== 'list') {
            throw new CatalogError(`${init.name}: expected { driver, property, value }`, {
                path: tree.path(key),
                line: item.line,
            });
        }
        const [d, p, v] = item.value.items;
        const driver = compatDriver(tree, cpu, key, d?.value.kind === 'expr' ? d.value.tokens : [], item.line, init.name);
        const target = driver === ALL_CPUS
            ? '*'
            : driver.endsWith(CPU_TYPE_SUFFIX)
                ? driver.slice(0, -CPU_TYPE_SUFFIX.length)
                : null;
        const str = (x, what) => {
            if (target === null && x?.value.kind === 'expr') {
                // Device properties are often macros of device headers outside the catalog;
                // they never reach a CPU, so their text is enough.
                try {
                    return cpu.evalString(key, x.value, `${init.name} ${what}`) ?? 'NULL';
                }
                catch {
                    return x.value.tokens.map((t) => t.text).join(' ');
                }
            }
            const value = x ? cpu.evalString(key, x.value, `${init.name} ${what}`) : null;
            if (value === null)
                throw new CatalogError(`${init.name}: the ${what} is missing`, {
                    path: tree.path(key),
                    line: item.line,
                });
            return value;
        };
        const property = str(p, 'property');
        const value = str(v, 'value');
        entries.push({
            driver,
            target,
            property,
            value,
            location: { path: tree.path(key), line: item.line },
        });
    }
    return { name, location: { path: tree.path(key), line }, entries };
}
/**
 * A compat entry's driver as QOM type name. Drivers of devices are often macros defined in
 * headers outside the catalog (`TYPE_VIRTIO_NET`): those cannot name a CPU, so they are kept
 * as text. A driver that looks like a CPU type but cannot be evaluated is an error.
 */
function compatDriver(tree, cpu, key, tokens, line, array) {
    try {
        const v = cpu.eval(key, tokens, line);
        if (typeof v === 'string')
            return v;
    }
    catch (err) {
        const text = tokens.map((t) => t.text).join(' ');
        if (/X86_CPU|x86_64-cpu|-cpu"/.test(text))
            throw err;
        return text;
    }
    throw new CatalogError(`${array}: the driver is not a string`, { path: tree.path(key), line });
}
/**
 * QEMU's PC machine types, found the way QEMU registers them. The machine files' file-scope
 * macros (`DEFINE_Q35_MACHINE`, `DEFINE_PC_MACHINE`, `DEFINE_PC_VER_MACHINE`, whatever a tree
 * calls them) are expanded from the tree's own definitions into the functions and `TypeInfo`s
 * they stand for; every `type_init()` registration function is then run, `MACHINE_VER_DELETION`
 * included (with QEMU's default environment: `getenv()` returns NULL), and each registered
 * machine type's class_init with its option functions. What a machine type is (family, alias,
 * compat arrays, default CPU version) is what that code sets; its place in the family is where
 * its option function stands in the chain of option functions. Nothing is read from names.
 */
const MACHINE_FILES = ['q35C', 'piixC'];
/** Files whose functions machine code calls and the reader follows. */
const FOLLOWED_FILES = ['q35C', 'piixC', 'pcC', 'machineC'];
class Return {
    line;
    constructor(line) {
        this.line = line;
    }
}
function applyEffect(cls, e, compatSets) {
    if ('ran' in e)
        cls.ran.add(e.ran);
    else if ('optionFn' in e)
        cls.optionFn ??= e.optionFn;
    else if ('init' in e)
        cls.init = e.init;
    else if ('defaultCpuVersion' in e) {
        cls.defaultCpuVersion = e.defaultCpuVersion;
        cls.defaultCpuVersionLocation = { ...e.location };
    }
    else if ('family' in e)
        cls.family = e.family;
    else if ('alias' in e)
        cls.alias = e.alias;
    else if ('compatSet' in e)
        cls.compatSets.push({ ...e.compatSet, location: { ...e.compatSet.location } });
    else if ('accelDefaultChange' in e)
        cls.accelDefaultChanges.push({ ...e.accelDefaultChange, location: { ...e.accelDefaultChange.location } });
    else
        compatSets[e.localCompatSet] = e.set;
}
/** Fields of a machine class the catalog takes from the code; other fields are not CPU matters. */
const CLASS_FIELDS = new Set(['family', 'alias', 'default_cpu_version', 'init', 'compat_props']);
class MachineCode {
    tree;
    cpu;
    compatSets;
    mode = 'register';
    parsed = new Map();
    relevance = new Map();
    depth = 0;
    /** The deepest `depth` reached, for the depth of a trace. */
    deepest = 0;
    running = [];
    traces = new Map();
    /** Effects of the runs being traced, innermost last. */
    tracing = [];
    constructor(tree, cpu, compatSets) {
        this.tree = tree;
        this.cpu = cpu;
        this.compatSets = compatSets;
    }
    fail(key, line, message, hint) {
        throw new CatalogError(message, { path: this.tree.path(key), line }, hint ??
            'cpu-model-guard follows the machine code that QEMU runs when it registers its PC machine types');
    }
    function(name, prefer) {
        for (const key of prefer ? [prefer, ...FOLLOWED_FILES] : FOLLOWED_FILES) {
            const body = this.tree.structures[key]?.functions.get(name);
            if (body)
                return { key, body };
        }
        return undefined;
    }
    statements(key, fn) {
        const id = `${key}\0${fn.name}`;
        let st = this.parsed.get(id);
        if (!st)
            this.parsed.set(id, (st = parseStatements(fn.tokens, this.tree.path(key))));
        return st;
    }
    /** Does running this code touch what the catalog reads? Decides whether an unreadable `if` matters. */
    relevant(key, stmts, seen) {
        return stmts.some((st) => {
            const cache = this.statementRelevance[this.mode];
            const cached = cache.get(st);
            if (cached !== undefined)
                return cached;
            const r = this.statementRelevant(key, st, seen);
            cache.set(st, r);
            return r;
        });
    }
    statementRelevance = {
        register: new WeakMap(),
        class: new WeakMap(),
        init: new WeakMap(),
    };
    statementRelevant(key, st, seen) {
        if (st.kind === 'block')
            return this.relevant(key, st.body, seen);
        if (st.kind === 'if')
            return this.relevant(key, [st.then, ...(st.else ? [st.else] : [])], seen);
        if (st.kind === 'loop')
            return this.relevant(key, [st.body], seen);
        if (st.kind === 'label')
            return false;
        const t = st.tokens;
        const text = tokenText(t);
        if (/\b(compat_props_add|x86_cpu_change_kvm_default)\b/.test(text))
            return true;
        if (this.mode === 'init')
            return t.some((x, k) => x.kind === 'ident' && t[k + 1]?.text === '(' && this.functionRelevant(x.text, key, seen));
        if (t[0]?.text === 'return')
            return true;
        if (/\b(type_register_static|type_register)\b/.test(text))
            return true;
        if (/-> (family|alias|default_cpu_version|init|compat_props) =/.test(text))
            return true;
        return t.some((x, k) => x.kind === 'ident' && t[k + 1]?.text === '(' && this.functionRelevant(x.text, key, seen));
    }
    functionRelevant(name, from, seen) {
        const id = `${this.mode}\0${name}`;
        const cached = this.relevance.get(id);
        if (cached !== undefined)
            return cached;
        const f = this.function(name, from);
        if (!f || seen.has(name))
            return false;
        seen.add(name);
        const r = this.relevant(f.key, this.statements(f.key, f.body), seen);
        this.relevance.set(id, r);
        return r;
    }
    /** A condition's value, with QEMU's default environment and the locals in scope. */
    condition(key, tokens, locals) {
        const replaced = [];
        for (let k = 0; k < tokens.length; k++) {
            const t = tokens[k];
            if (t.text === 'getenv' && tokens[k + 1]?.text === '(') {
                // QEMU's default environment: no variable is set, getenv() returns NULL.
                const { end } = collectArguments(tokens, k + 1);
                replaced.push({ kind: 'number', text: '0', line: t.line });
                k = end;
                continue;
            }
            const local = t.kind === 'ident' ? locals.get(t.text) : undefined;
            if (local && !('opaque' in local)) {
                const v = 'num' in local ? local.num : 'str' in local && local.str === null ? 0n : 1n;
                replaced.push({ kind: 'number', text: String(v), line: t.line });
                continue;
            }
            replaced.push(t);
        }
        try {
            const v = this.cpu.eval(key, replaced, tokens[0]?.line ?? 0);
            return typeof v === 'bigint' ? v : 1n;
        }
        catch {
            return undefined;
        }
    }
    value(key, tokens, locals) {
        let toks = tokens;
        while (toks[0]?.text === '(' &&
            toks.at(-1)?.text === ')' &&
            collectArguments(toks, 0).end === toks.length - 1)
            toks = toks.slice(1, -1);
        if (toks.length === 1 && toks[0].kind === 'ident') {
            const name = toks[0].text;
            const local = locals.get(name);
            if (local)
                return local;
            if (this.function(name, key))
                return { fn: name };
        }
        try {
            const v = this.cpu.eval(key, toks, toks[0]?.line ?? 0);
            return typeof v === 'bigint' ? (v === 0n ? { str: null } : { num: v }) : { str: v };
        }
        catch {
            return { opaque: true };
        }
    }
    /** The TypeInfos a function hands to type_register_static(), whether or not it gets there. */
    registersInFunction(name, from) {
        const f = this.function(name, from);
        if (!f)
            return [];
        const t = f.body.tokens;
        const out = [];
        t.forEach((x, k) => {
            if ((x.text === 'type_register_static' || x.text === 'type_register') && t[k + 2]?.text === '&')
                out.push(t[k + 3].text);
        });
        return out;
    }
    /**
     * Runs a function of the machine code against the state of the class or registration; says
     * where it returned early, if it did.
     */
    run(name, from, line, cls, reg) {
        const f = this.function(name, from);
        if (!f)
            this.fail(from, line, `${name}() is called but not defined in the machine files`);
        if (++this.depth > 200)
            this.fail(f.key, f.body.line, `machine functions call each other in a loop at ${name}()`);
        // class_init itself is not traced: an undefined function it calls is an error there only.
        const id = cls && this.mode !== 'register' && !(this.mode === 'class' && this.depth === 1)
            ? `${this.mode}\0${f.key}\0${name}`
            : undefined;
        const trace = id === undefined ? undefined : this.traces.get(id);
        if (trace && this.depth + trace.depth <= 200) {
            for (const e of trace.effects)
                this.effect(cls, e);
            this.deepest = Math.max(this.deepest, this.depth + trace.depth);
            this.depth--;
            return trace.returned;
        }
        const start = this.depth;
        const outerDeepest = this.deepest;
        this.deepest = start;
        if (id !== undefined)
            this.tracing.push([]);
        let returned;
        let done = false;
        this.running.push(name);
        try {
            if (cls)
                this.effect(cls, { ran: name });
            try {
                this.block(f.key, this.statements(f.key, f.body), new Map(), cls, reg);
            }
            catch (e) {
                if (!(e instanceof Return))
                    throw e;
                returned = e;
            }
            done = true;
            return returned;
        }
        finally {
            this.running.pop();
            this.depth--;
            if (id !== undefined) {
                const effects = this.tracing.pop();
                if (done) {
                    this.traces.set(id, { effects, returned, depth: this.deepest - start });
                    this.tracing.at(-1)?.push(...effects);
                }
            }
            this.deepest = Math.max(outerDeepest, this.deepest);
        }
    }
    /** Does `e` to the class, and notes it in the runs being traced. */
    effect(cls, e) {
        applyEffect(cls, e, this.compatSets);
        this.tracing.at(-1)?.push(e);
    }
    block(key, stmts, locals, cls, reg) {
        for (const st of stmts) {
            if (st.kind === 'block')
                this.block(key, st.body, locals, cls, reg);
            else if (st.kind === 'label')
                continue;
            else if (st.kind === 'if') {
                if (!this.relevant(key, [st], new Set()))
                    continue;
                const c = this.condition(key, st.condition, locals);
                if (c === undefined)
                    this.fail(key, st.line, `cannot evaluate the condition 'if (${tokenText(st.condition)})', which decides what a machine type gets`);
                if (c !== 0n)
                    this.block(key, [st.then], locals, cls, reg);
                else if (st.else)
                    this.block(key, [st.else], locals, cls, reg);
            }
            else if (st.kind === 'loop') {
                if (!this.relevant(key, [st.body], new Set()))
                    continue;
                if (st.keyword === 'do' && this.condition(key, st.head, locals) === 0n) {
                    this.block(key, [st.body], locals, cls, reg); // do { ... } while (0)
                    continue;
                }
                this.fail(key, st.line, `a '${st.keyword}' loop around code that decides what a machine type gets`);
            }
            else
                this.expression(key, st.tokens, st.line, locals, cls, reg);
        }
    }
    expression(key, t, line, locals, cls, reg) {
        const head = t[0]?.text ?? '';
        if (head === 'return')
            throw new Return(line);
        const text = tokenText(t);
        const assign = t.findIndex((x, k) => x.text === '=' && k > 0);
        if (assign > 0) {
            const lhs = t.slice(0, assign);
            const rhs = t.slice(assign + 1);
            // `void (*compat)(MachineState *m) = (compatfn);`, `PCMachineClass *pcmc = PC_MACHINE_CLASS(m);`
            const fnPointer = /^\w+ \( \* (\w+) \) \(.*\)$/.exec(tokenText(lhs));
            // `T *x`, `static T x[]`: a declaration names its variable last, before any `[...]`.
            let named = lhs.length;
            while (lhs[named - 1]?.text === ']')
                named = lhs.map((x) => x.text).lastIndexOf('[', named - 1);
            const declared = named > 1 && lhs[named - 1].kind === 'ident' ? lhs[named - 1].text : undefined;
            const local = fnPointer?.[1] ?? (!lhs.some((x) => x.text === '->' || x.text === '.') ? declared : undefined);
            if (local && lhs.some((x) => x.text === 'GlobalProperty') && rhs[0]?.text === '{') {
                // A compat array of the function's own, named after the function it lives in.
                const name = `${this.running.at(-1)}:${local}`;
                const list = readInitList(rhs, 0, this.tree.path(key), this.tree.macros);
                const set = readCompatSet(this.tree, this.cpu, key, name, list, line);
                if (cls)
                    this.effect(cls, { localCompatSet: name, set });
                else
                    this.compatSets[name] = set;
                locals.set(local, { compatSet: name });
                return;
            }
            if (local) {
                // A local is only ever tested or called (`if (compat) compat(machine);`): a function,
                // NULL or a constant; anything computed (`PC_MACHINE_CLASS(m)`) is opaque.
                const computed = rhs.some((x, k) => x.kind === 'ident' && rhs[k + 1]?.text === '(');
                locals.set(local, computed ? { opaque: true } : this.value(key, rhs, locals));
                return;
            }
            const field = lhs.at(-1)?.text ?? '';
            if (lhs.at(-2)?.text === '->' && CLASS_FIELDS.has(field)) {
                if (!cls)
                    return;
                const v = this.value(key, rhs, locals);
                if (field === 'compat_props')
                    this.fail(key, line, `'${text}': compat properties replaced, not added`);
                if (field === 'init') {
                    if (!('fn' in v))
                        this.fail(key, line, `'${text}': the init function is not a function of the machine files`);
                    this.effect(cls, { init: v.fn });
                }
                else if (field === 'default_cpu_version') {
                    if (!('num' in v) && !('str' in v && v.str === null))
                        this.fail(key, line, `'${text}': not a constant`);
                    this.effect(cls, {
                        defaultCpuVersion: 'num' in v ? v.num : 0n,
                        location: { path: this.tree.path(key), line },
                    });
                }
                else {
                    if (!('str' in v))
                        this.fail(key, line, `'${text}': not a string constant or NULL`);
                    this.effect(cls, field === 'family' ? { family: v.str } : { alias: v.str });
                }
            }
            return;
        }
        if (t[1]?.text !== '(' || t.at(-1)?.text !== ')' || t[0].kind !== 'ident') {
            if (/\bcompat_props\b/.test(text))
                this.fail(key, line, `'${text}': a use of compat_props cpu-model-guard does not read`);
            return;
        }
        const args = collectArguments(t, 1).args;
        if (head === 'compat_props_add') {
            const array = args[1];
            if (array?.length !== 1 || array[0].kind !== 'ident')
                this.fail(key, line, `compat_props_add(${tokenText(args[1] ?? [])}): the array is not named`);
            const local = locals.get(array[0].text);
            const name = local && 'compatSet' in local ? local.compatSet : array[0].text;
            if (cls)
                this.effect(cls, { compatSet: { name, location: { path: this.tree.path(key), line } } });
            return;
        }
        if (head === 'x86_cpu_change_kvm_default') {
            const [p, v] = args.map((a) => this.value(key, a, locals));
            if (!p || !('str' in p) || p.str === null)
                this.fail(key, line, `'${text}': the property is not a string`);
            if (!v || !('str' in v))
                this.fail(key, line, `'${text}': the value is not a string or NULL`);
            if (cls)
                this.effect(cls, {
                    accelDefaultChange: {
                        accel: 'kvm',
                        property: p.str,
                        value: v.str === null ? null : v.str === 'on' ? true : v.str === 'off' ? false : v.str,
                        location: { path: this.tree.path(key), line },
                    },
                });
            return;
        }
        if (head === 'type_register_static' || head === 'type_register') {
            const m = /^& (\w+)$/.exec(tokenText(args[0] ?? []));
            if (!m)
                this.fail(key, line, `'${text}': the TypeInfo is not named`);
            reg?.registered.push({ info: m[1], line });
            return;
        }
        const local = locals.get(head);
        const callee = local && 'fn' in local ? local.fn : this.function(head, key) ? head : undefined;
        if (callee) {
            if (cls && args.length === 1 && !local)
                this.effect(cls, { optionFn: callee });
            this.run(callee, key, line, cls, reg);
            return;
        }
        // class_init itself only calls the machine type's option function, which must be there.
        if (this.mode === 'class' && this.depth === 1)
            this.fail(key, line, `${head}() is called but not defined in the machine files`);
        if (/\bcompat_props\b/.test(text))
            this.fail(key, line, `${head}() is given compat_props, and its code is not in the files cpu-model-guard reads`);
    }
}
function stringField(tree, key, list, name, info) {
    const item = field(list, name);
    if (!item || item.value.kind !== 'expr')
        return undefined;
    try {
        const v = evaluateExpression(item.value.tokens, tree.macros, tree.path(key), { line: item.line });
        return typeof v === 'string' ? v : undefined;
    }
    catch {
        // A parent named by a macro of a header outside the catalog (TYPE_PCI_DEVICE) is not
        // TYPE_PC_MACHINE, which pc.h defines: that TypeInfo is no machine type.
        if (name === 'parent')
            return undefined;
        throw new CatalogError(`TypeInfo ${info}: .${name} cannot be evaluated`, {
            path: tree.path(key),
            line: item.line,
        });
    }
}
function macroString(tree, name, key) {
    try {
        const v = evaluateExpression([{ kind: 'ident', text: name, line: 0 }], tree.macros, tree.path(key), {
            line: 0,
        });
        if (typeof v === 'string')
            return v;
    }
    catch {
        // Reported below.
    }
    throw new CatalogError(`${name} is not defined as a string in the headers read`, {
        path: tree.path(name === 'TYPE_PC_MACHINE' ? 'pcH' : 'boardsH'),
    });
}
function readMachineTypes(tree, cpu, projectVersion, compatSets, notes) {
    const code = new MachineCode(tree, cpu, compatSets);
    const pcMachine = macroString(tree, 'TYPE_PC_MACHINE', 'pcH');
    const suffix = macroString(tree, 'TYPE_MACHINE_SUFFIX', 'boardsH');
    const registered = [];
    for (const key of MACHINE_FILES) {
        const structure = tree.structures[key];
        const reg = { registered: [] };
        /** TypeInfo -> the line of the `return` that QEMU's registration code takes before registering it. */
        const skipped = new Map();
        for (const call of structure.calls) {
            if (call.name !== 'type_init') {
                if (/MACHINE/.test(call.name))
                    code.fail(key, call.line, `${call.name}(...) is not defined in the files read, so the machine type it defines cannot be read`);
                continue;
            }
            const fn = call.args[0];
            if (fn?.length !== 1)
                code.fail(key, call.line, 'type_init() without a function');
            const before = new Set(reg.registered.map((r) => r.info));
            const returned = code.run(fn[0].text, key, call.line, undefined, reg);
            if (returned) {
                for (const info of code.registersInFunction(fn[0].text, key))
                    if (!before.has(info) && !reg.registered.some((r) => r.info === info))
                        skipped.set(info, returned.line);
            }
        }
        const registeredInfos = new Set(reg.registered.map((r) => r.info));
        /** Machine types QEMU's deletion horizon leaves unregistered: one note per file says them all. */
        const deleted = [];
        let found = 0;
        for (const init of structure.initializers.values()) {
            if (init.typeName !== 'TypeInfo')
                continue;
            const parent = stringField(tree, key, init.list, 'parent', init.name);
            if (parent !== pcMachine)
                continue;
            const typeName = stringField(tree, key, init.list, 'name', init.name);
            if (!typeName?.endsWith(suffix))
                code.fail(key, init.line, `TypeInfo ${init.name}: its .name does not end in "${suffix}"`);
            const name = typeName.slice(0, -suffix.length);
            found++;
            if (!registeredInfos.has(init.name)) {
                // MACHINE_VER_DELETION returns before type_register_static for machine types past the
                // deletion horizon: evaluated, it is what QEMU does. Anything else is a machine type lost.
                const at = skipped.get(init.name);
                if (at === undefined)
                    code.fail(key, init.line, `machine type ${name} is defined but never registered (no type_init() function registers ${init.name})`);
                deleted.push({ name, at: at });
                continue;
            }
            const classInit = field(init.list, 'class_init');
            const classFn = classInit?.value.kind === 'expr' && classInit.value.tokens.length === 1
                ? classInit.value.tokens[0].text
                : undefined;
            if (!classFn)
                code.fail(key, init.line, `TypeInfo ${init.name}: no .class_init function`);
            const state = {
                defaultCpuVersion: 0n,
                compatSets: [],
                accelDefaultChanges: [],
                ran: new Set(),
            };
            code.mode = 'class';
            code.run(classFn, key, init.line, state, undefined);
            code.mode = 'init';
            if (state.init)
                code.run(state.init, key, init.line, state, undefined);
            code.mode = 'register';
            registered.push({ name, key, line: init.line, state });
        }
        if (deleted.length) {
            const names = deleted.map((d) => d.name);
            const lines = [...new Set(deleted.map((d) => d.at))].join(', ');
            notes.push(names.length === 1
                ? `${names[0]} is defined in ${tree.path(key)} but not registered: its registration returns early at line ${lines}, as QEMU's machine type deletion decides`
                : `${names.length} machine types are defined in ${tree.path(key)} but not registered: their registration returns early at line ${lines}, as QEMU's machine type deletion decides: ${names.join(', ')}`);
        }
        if (!found) {
            code.fail(key, structure.calls[0]?.line ?? 1, `${tree.path(key)} defines no PC machine type`, 'point the catalog at a QEMU source tree whose PC machine files are complete');
        }
    }
    for (const r of registered) {
        for (const c of r.state.compatSets) {
            if (!compatSets[c.name])
                throw new CatalogError(`machine type ${r.name} adds the compat array ${c.name}, which the tree does not define`, c.location, `define ${c.name}[] in ${tree.path('pcC')} or ${tree.path('machineC')}, or drop the compat_props_add()`);
        }
    }
    return orderMachineTypes(tree, code, registered, projectVersion, notes);
}
/**
 * A family is what QEMU's own code calls one (`m->family`, `pc_q35`, `pc_piix`); within it, a
 * machine type is older than every machine type whose option function its own one runs.
 * Machine types without a family stand alone in QEMU (`isapc`) and have no history to guard.
 */
function orderMachineTypes(tree, code, registered, projectVersion, notes) {
    const families = new Map();
    for (const r of registered) {
        if (!r.state.family) {
            notes.push(`${r.name} (${tree.path(r.key)}) belongs to no machine type family: it stands alone and is not part of the catalog`);
            continue;
        }
        families.set(r.state.family, [...(families.get(r.state.family) ?? []), r]);
    }
    // A development or release-candidate VERSION (X.Y.50, X.Y.90) is the next release in the
    // making: the newest machine type of each family is the one it adds.
    const development = Number(projectVersion.split('.')[2] ?? 0) >= 50;
    const out = [];
    for (const [family, members] of [...families.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
        const newer = (a) => members.filter((b) => b !== a && b.state.optionFn && a.state.ran.has(b.state.optionFn)).length;
        const ordered = [...members].sort((a, b) => newer(b) - newer(a));
        for (let i = 1; i < ordered.length; i++) {
            const [older, next] = [ordered[i - 1], ordered[i]];
            if (!next.state.optionFn || !older.state.ran.has(next.state.optionFn))
                code.fail(older.key, older.line, `machine types ${older.name} and ${next.name} of family ${family} do not chain: neither runs the other's option function`, 'each machine type of a family calls the option function of the next newer one; cpu-model-guard orders them by that chain');
        }
        ordered.forEach((r, i) => {
            out.push({
                name: r.name,
                family,
                version: String(i + 1),
                location: { path: tree.path(r.key), line: r.line },
                compatSets: r.state.compatSets.map((c) => c.name),
                accelDefaultChanges: r.state.accelDefaultChanges,
                defaultCpuVersion: cpuVersion(tree, r),
                ...(r.state.defaultCpuVersionLocation
                    ? { defaultCpuVersionLocation: r.state.defaultCpuVersionLocation }
                    : {}),
                released: !(development && i === ordered.length - 1),
                aliases: r.state.alias ? [r.state.alias] : [],
            });
        });
    }
    return out;
}
/** pcmc->default_cpu_version: CPU_VERSION_LEGACY (0, the zeroed class's value), _LATEST (-1) or N. */
function cpuVersion(tree, r) {
    const v = r.state.defaultCpuVersion;
    if (v === 0n)
        return 'legacy';
    if (v === -1n)
        return 'latest';
    if (v > 0n)
        return Number(v);
    throw new CatalogError(`machine type ${r.name}: default_cpu_version ${v} is not a version a PC machine uses`, {
        path: tree.path(r.key),
        line: r.line,
    });
}
/** Dotted versions compared numerically: `4.0.1` after `4.0`, `10.0` after `9.2`. */
function compareVersions(a, b) {
    const pa = a.split('.').map(Number);
    const pb = b.split('.').map(Number);
    for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
        const d = (pa[i] ?? 0) - (pb[i] ?? 0);
        if (d)
            return d;
    }
    return 0;
}

export { MacroTable as M, ReadCache as R, tokenText as a, preprocess as b, readCompatSets as c, readMachineTypes as d, evaluateExpression as e, field as f, compareVersions as g, matchingBrace as m, parseStatements as p, readFileStructure as r, stringValue as s, tokenize as t };
