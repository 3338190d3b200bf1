#!/usr/bin/env node
import path from 'node:path';
import { parseArgs } from 'node:util';
import { l as loadConfig } from './shared-config.js';
import { k as asFileError, l as catalogText, T as TOOL, Q as QemuBinaryError, m as readMachineCatalog, n as detectCatalog, v as verifyBinaries, q as expandEach, s as openReportFile, t as stdoutFile, G as GitRepository, d as catalogsToCheck, i as auditRevision, u as audit, h as checkRevisions, j as joinBinaries, b as parseCatalogSpec, w as writeReportFile, x as parseReportFormat, g as renderReports, o as overallResult, D as DiskCatalogStore } from './shared-render.js';
import { I as InputError, d as EXIT_BINARY_ERROR, b as EXIT_INPUT_ERROR, c as EXIT_INTERNAL_ERROR, a as EXIT_OK, U as UsageError, e as didYouMean, E as EXIT_FINDINGS } from './shared-errors.js';
import { setFlagsFromString } from 'node:v8';
import { readdir, stat, readFile } from 'node:fs/promises';
import 'node:child_process';
import 'node:fs';
import 'node:os';
import './shared-machines.js';
import 'node:crypto';
import 'node:url';

/**
 * The document's bytes in pieces: the opening brace, then one array of parts per machine type,
 * then the closing brace and a newline. Machine types share effective models (the same object
 * when nothing that reaches the model differs), so each distinct one is serialized and encoded
 * once, and a machine type is the bytes of its parts; the parts that name a model are encoded
 * once per name too.
 */
function* renderExpansionJson(expansions, options = {}) {
    const { indent } = options;
    const serialized = new Map();
    const json = (value) => {
        let bytes = serialized.get(value);
        if (bytes === undefined) {
            const stringified = JSON.stringify(value, null, indent);
            // A buffer of its own for each: Buffer.from encodes a whole string many times faster
            // than writing it into a larger buffer at an offset.
            bytes = Buffer.from(indent ? stringified.replace(/\n/g, '\n    ') : stringified);
            serialized.set(value, bytes);
        }
        return bytes;
    };
    // `"name":` after the opening brace of a machine type, and `,"name":` after another model.
    const firstName = new Map();
    const nextName = new Map();
    const namePart = (name, first) => {
        const parts = first ? firstName : nextName;
        let bytes = parts.get(name);
        if (bytes === undefined) {
            const text = `${first ? '' : ','}${indent ? '\n    ' : ''}${JSON.stringify(name)}:${indent ? ' ' : ''}`;
            parts.set(name, (bytes = Buffer.from(text)));
        }
        return bytes;
    };
    const close = Buffer.from(`${indent ? '\n  ' : ''}}`);
    let first = true;
    yield '{';
    for (const [machineType, models] of expansions) {
        const parts = [
            Buffer.from(`${first ? '' : ','}${indent ? '\n  ' : ''}${JSON.stringify(machineType)}:${indent ? ' ' : ''}{`),
        ];
        let firstModel = true;
        for (const name of Object.keys(models)) {
            parts.push(namePart(name, firstModel), json(models[name]));
            firstModel = false;
        }
        parts.push(close);
        yield parts;
        first = false;
    }
    yield `${indent ? '\n' : ''}}\n`;
}

/*
 * V8 doubles its young generation at each scavenge that finds it full, from 1 MiB semi-spaces
 * up to 16 MiB. Whether that pays depends on what the run allocates:
 * - Reading a tree keeps most of what it makes (the tree, its tokens, the catalog). A young
 *   generation that grows only delays promotions that come anyway, and every page it grows by
 *   is fresh memory: on the bench's machine (scripts/bench.mjs) a fresh page costs about 13 µs,
 *   so 16 MiB semi-spaces cost about a tenth of a second in page faults alone.
 * - Comparing catalogs makes survivors that die a little later. With 1 MiB they are copied and
 *   promoted over and over: a check of the 7.2 -> 10.0.2 release diff took 4.8 s instead of
 *   2.9 s, with nearly twice the memory.
 * So the young generation is kept at its size while catalogs are read and left to V8's own
 * growth while they are compared.
 *
 * The size cannot be changed once V8 runs, but the growth factor can, and it takes effect at
 * the next scavenge. Only on V8 11 (Node 20), where this was measured: newer V8s size the
 * young generation by other rules.
 */
const TUNABLE = process.versions.v8.startsWith('11.');
/** V8 11's own growth factor. */
const V8_GROWTH = 2;
function growthFactor(factor) {
    if (TUNABLE)
        setFlagsFromString(`--semi-space-growth-factor=${factor}`);
}
/** For `expand`, which reads one tree and writes: small for the whole run. */
function keepYoungGenerationSmall() {
    growthFactor(1);
}
/** For `check` and `audit` (the engine's `onStage`): small while reading, V8's while comparing. */
function sizeYoungGenerationFor(stage) {
    growthFactor(stage === 'read' ? 1 : V8_GROWTH);
}

/** A catalog in a working tree. Paths may not leave the root. */
function fsSource(root) {
    const absRoot = path.resolve(root);
    const inside = (rel) => {
        const abs = path.resolve(absRoot, rel);
        const fromRoot = path.relative(absRoot, abs);
        if (fromRoot === '..' || fromRoot.startsWith(`..${path.sep}`) || path.isAbsolute(fromRoot)) {
            throw new InputError(`path ${rel} leaves the catalog root ${absRoot}`);
        }
        return abs;
    };
    const displayPath = (rel) => path.join(root, rel);
    return {
        label: absRoot,
        async readFile(rel) {
            try {
                const bytes = await readFile(inside(rel));
                return catalogText(bytes, displayPath(rel));
            }
            catch (err) {
                if (err.code === 'ENOENT')
                    return undefined;
                if (err.code === 'ENOTDIR' && (await isFile(absRoot)))
                    throw new InputError('a file, expected the folder of a catalog', { path: root });
                throw asFileError(err, displayPath(rel));
            }
        },
        async listFiles(dir) {
            const abs = inside(dir);
            let entries;
            try {
                entries = await readdir(abs);
            }
            catch (err) {
                if (err.code === 'ENOENT')
                    return [];
                throw asFileError(err, displayPath(dir));
            }
            const files = [];
            for (const name of entries.sort()) {
                // A dangling or looping link is part of the catalog that cannot be read: an error,
                // never a smaller catalog.
                const entry = await stat(path.join(abs, name)).catch((err) => {
                    throw asFileError(err, displayPath(path.join(dir, name)));
                });
                if (entry.isFile())
                    files.push(name);
            }
            return files;
        },
    };
}
async function isFile(p) {
    return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

/** `text` in place on a terminal; in a log only when `logged`, on a line of its own. */
function progressLine(stream) {
    let live = false;
    return {
        show: (text, logged) => {
            if (stream.isTTY) {
                stream.write(`\r\x1b[K${text}`);
                live = true;
            }
            else if (logged)
                stream.write(`${text}\n`);
        },
        done: () => {
            if (live)
                stream.write('\r\x1b[K');
            live = false;
        },
    };
}
function commitProgress(stream) {
    const line = progressLine(stream);
    return {
        step: ({ index, total, commit }) => line.show(`cpu-model-guard: checking commit ${index} of ${total} (${commit.slice(0, 12)})`, true),
        done: line.done,
    };
}
/**
 * `verify`'s QEMU processes: every start and end on a terminal; in a log, a line as a phase
 * begins and each time another tenth of it has finished (thousands of guests, a line each,
 * would bury the job's output).
 */
function verifyProgress(stream) {
    const line = progressLine(stream);
    const tenths = new Map();
    return {
        step: ({ phase, started, finished, total }) => {
            const tenth = Math.floor((finished * 10) / total);
            const logged = !tenths.has(phase) || tenth > tenths.get(phase);
            if (logged)
                tenths.set(phase, tenth);
            const what = phase === 'machine-types' ? 'machine types dumped' : 'CPUID guests finished';
            line.show(`cpu-model-guard: verify: ${what}: ${finished} of ${total} (${started - finished} running)`, logged);
        },
        done: line.done,
    };
}

/** Every flag, described once: the parser, the help text and the error messages read this. */
const FLAGS = {
    repo: { type: 'string', value: 'DIR', help: 'the git repository (a working tree or a bare clone)' },
    base: { type: 'string', value: 'REV', help: 'the revision to compare against (a branch, tag or commit)' },
    head: { type: 'string', value: 'REV', help: 'the revision to check' },
    ref: { type: 'string', value: 'REV', help: 'the revision to audit (default HEAD)' },
    root: { type: 'string', value: 'DIR', help: 'a working tree to read instead of a git revision' },
    catalog: {
        type: 'string',
        value: 'FORMAT:PATH',
        help: 'qemu-x86:DIR, libvirt-cpu-map:DIR or catalog:FILE (default: the configuration, else detected)',
    },
    format: {
        type: 'string',
        value: 'FORMAT',
        help: 'text, json, markdown or sarif (expand: json; export: catalog)',
    },
    'fail-on': {
        type: 'string',
        value: 'CLASS',
        help: 'lowest class that fails: type-2, new-model-required or never (default type-2)',
    },
    'fail-on-review': {
        type: 'boolean',
        help: 'findings for review (code hunks no compat property gates) fail the check too',
    },
    'release-ref': {
        type: 'string',
        value: 'REV',
        help: 'names that exist here count as released (default: the newest v* tag reachable from base)',
    },
    'by-commit': {
        type: 'boolean',
        help: 'name, for each finding, the commit of base..head that introduced it',
    },
    config: {
        type: 'string',
        value: 'FILE',
        help: 'the configuration file (default .github/cpu-model-guard.yml)',
    },
    output: { type: 'string', value: 'FILE', help: 'write the report to FILE instead of standard output' },
    machine: {
        type: 'string',
        multiple: true,
        value: 'NAME',
        help: 'only this machine type (or its alias: q35, pc); verify, check with binaries: a glob, repeatable (default pc-*)',
    },
    model: {
        type: 'string',
        multiple: true,
        value: 'NAME',
        help: 'only this model name; verify, check with binaries: a glob, repeatable (default every model but host, max, base)',
    },
    accel: {
        type: 'string',
        value: 'ACCEL',
        help: 'kvm, tcg or none (default kvm); verify, check with binaries: tcg (default) or kvm',
    },
    'base-binary': {
        type: 'string',
        value: 'PATH',
        help: 'the QEMU binary to compare against (qemu-system-x86_64, or a wrapper script that runs it)',
    },
    'head-binary': { type: 'string', value: 'PATH', help: 'the QEMU binary to verify' },
    timeout: {
        type: 'string',
        value: 'SECONDS',
        help: 'longest wait for any one QEMU process to answer or a guest to finish (default 60)',
    },
    'cache-dir': {
        type: 'string',
        value: 'DIR',
        help: 'keep catalogs read from git revisions here for later runs (default $CPU_MODEL_GUARD_CACHE_DIR, else none)',
    },
    pretty: { type: 'boolean', help: 'indent the JSON (the default on a terminal)' },
    color: { type: 'boolean', help: 'colour the text report (the default on a terminal)' },
    help: { type: 'boolean', short: 'h', help: 'show this help' },
    version: { type: 'boolean', help: 'print the version' },
};
const COMMON_FLAGS = ['help'];
/** What selects the measurement of two QEMU binaries, in check (with both binaries) and verify. */
const MEASUREMENT_FLAGS = ['machine', 'model', 'accel', 'timeout'];
const BINARY_FLAGS = ['base-binary', 'head-binary', ...MEASUREMENT_FLAGS];
const COMMANDS = {
    check: {
        summary: 'compare two revisions of a repository and classify every change',
        usage: 'check --repo DIR --base REV --head REV [flags]',
        flags: [
            'repo',
            'base',
            'head',
            'catalog',
            'format',
            'fail-on',
            'fail-on-review',
            'release-ref',
            'by-commit',
            'config',
            'output',
            'color',
            ...BINARY_FLAGS,
            'cache-dir',
        ],
    },
    audit: {
        summary: 'judge one snapshot: type-2 growth between machine types, names registered twice',
        usage: 'audit (--repo DIR [--ref REV] | --root DIR) [flags]',
        flags: ['repo', 'ref', 'root', 'catalog', 'format', 'fail-on', 'config', 'output', 'color', 'cache-dir'],
    },
    expand: {
        summary: 'print effective models per machine type, with QEMU property names',
        usage: 'expand [--root DIR] [--catalog FORMAT:PATH] [--machine NAME] [--model NAME] [--accel kvm|tcg|none]',
        flags: ['root', 'catalog', 'machine', 'model', 'accel', 'format', 'output', 'pretty'],
    },
    verify: {
        summary: 'run two QEMU binaries and classify what they give guests differently',
        usage: 'verify --base-binary PATH --head-binary PATH [--machine GLOB]... [--model GLOB]... [--accel tcg|kvm] [flags]',
        flags: [...BINARY_FLAGS, 'format', 'fail-on', 'config', 'output', 'color'],
    },
    export: {
        summary: 'write a QEMU tree as a generic catalog',
        usage: 'export [--root DIR] [--catalog qemu-x86:PATH] [--output FILE]',
        flags: ['root', 'catalog', 'format', 'output'],
    },
};
function flagLines(names) {
    const rows = names.map((n) => {
        const f = FLAGS[n];
        return [`${f.short ? `-${f.short}, ` : ''}--${n}${f.value ? ` ${f.value}` : ''}`, f.help];
    });
    const width = Math.max(...rows.map(([left]) => left.length));
    return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`).join('\n');
}
const USAGE = `cpu-model-guard ${TOOL.version}: guards CPU model catalogs (QEMU x86, libvirt cpu_map, generic)

Usage: cpu-model-guard COMMAND [flags]

Commands:
${Object.entries(COMMANDS)
    .map(([name, c]) => `  ${name.padEnd(7)} ${c.summary}`)
    .join('\n')}

Run cpu-model-guard help COMMAND (or COMMAND --help) for its flags.
Exit codes: 0 nothing reaches the fail threshold, 1 it does, 2 usage or input error, 3 internal error,
4 a QEMU binary that does not start, is not QEMU, or does not answer in time (verify).`;
function commandHelp(name) {
    const c = COMMANDS[name];
    return `cpu-model-guard ${c.usage}\n\n${c.summary[0].toUpperCase()}${c.summary.slice(1)}.\n\nFlags:\n${flagLines([...c.flags, ...COMMON_FLAGS])}`;
}
const FAIL_ON = ['type-2', 'new-model-required', 'never'];
const options = Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [
    name,
    { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) },
]));
function need(values, name, command) {
    const v = values[name];
    if (typeof v !== 'string' || !v)
        throw new UsageError(`${command} needs --${name}`, undefined, `run cpu-model-guard --help`);
    return v;
}
function failOnOf(values, config) {
    const v = values['fail-on'] ?? config?.failOn ?? 'type-2';
    if (!FAIL_ON.includes(v))
        throw new UsageError(`--fail-on ${v} is not one of ${FAIL_ON.join(', ')}`);
    return v;
}
/**
 * The folder `expand` and `export` read: --root, else the file system root when --catalog
 * names an absolute path, else the current folder.
 */
function workingTreeRoot(values) {
    if (values.root)
        return values.root;
    const given = values.catalog?.slice(values.catalog.indexOf(':') + 1) ?? '';
    return values.catalog?.includes(':') && path.isAbsolute(given) ? path.parse(given).root : '.';
}
/**
 * The catalog named on the command line, if any. Its path is relative to the repository (or
 * the --root folder); an absolute path inside that folder is taken as the same path relative
 * to it, so `--catalog qemu-x86:$PWD` names the repository itself.
 */
function explicitCatalog(values, within) {
    if (!values.catalog)
        return undefined;
    const i = values.catalog.indexOf(':');
    const given = i < 0 ? '' : values.catalog.slice(i + 1);
    if (!path.isAbsolute(given))
        return parseCatalogSpec(values.catalog);
    const relative = path.relative(path.resolve(within), given);
    if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
        throw new UsageError(`--catalog: the catalog path ${given} is outside ${within}`, undefined, 'give a path relative to the repository (or --root) folder, or one inside it');
    }
    return parseCatalogSpec(`${values.catalog.slice(0, i)}:${relative.split(path.sep).join('/') || '.'}`);
}
/**
 * The configuration file as it is in `source`: for a check, the base revision, so that a
 * change cannot configure or waive its own check.
 */
function configFrom(source, values) {
    return loadConfig(source, values.config, values.config !== undefined);
}
async function emit(text, values) {
    if (values.output)
        await writeReportFile(values.output, text);
    else
        process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
async function emitReports(reports, values) {
    const format = parseReportFormat(values.format ?? 'text', '--format');
    await emit(renderReports(reports, format, {
        color: values.color ?? (!values.output && process.stdout.isTTY === true),
    }), values);
    return overallResult(reports).result === 'fail' ? EXIT_FINDINGS : EXIT_OK;
}
async function main(argv) {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    if (values.version) {
        process.stdout.write(`${TOOL.version}\n`);
        return EXIT_OK;
    }
    let command = positionals[0];
    if (command === 'help') {
        command = positionals[1];
        if (command === undefined) {
            process.stdout.write(`${USAGE}\n`);
            return EXIT_OK;
        }
        checkCommand(command);
        process.stdout.write(`${commandHelp(command)}\n`);
        return EXIT_OK;
    }
    if (!command) {
        process.stdout.write(`${USAGE}\n`);
        return values.help ? EXIT_OK : EXIT_INPUT_ERROR;
    }
    checkCommand(command);
    if (values.help) {
        process.stdout.write(`${commandHelp(command)}\n`);
        return EXIT_OK;
    }
    if (positionals.length > 1)
        throw new UsageError(`unexpected argument ${positionals[1]}`, undefined, `run cpu-model-guard help ${command}`);
    const allowed = new Set([...COMMANDS[command].flags, ...COMMON_FLAGS]);
    for (const name of Object.keys(values)) {
        if (!allowed.has(name))
            throw new UsageError(`${command} takes no --${name}`, undefined, `run cpu-model-guard help ${command}`);
    }
    switch (command) {
        case 'check': {
            const repo = new GitRepository(need(values, 'repo', 'check'));
            const [base, head] = await Promise.all([
                repo.resolveCommit(need(values, 'base', 'check')),
                repo.resolveCommit(need(values, 'head', 'check')),
            ]);
            const config = await configFrom(await repo.source(base), values);
            const failOn = failOnOf(values, config);
            const reports = [];
            const withBinaries = values['base-binary'] !== undefined || values['head-binary'] !== undefined;
            for (const flag of MEASUREMENT_FLAGS)
                if (!withBinaries && values[flag] !== undefined)
                    throw new UsageError(`check takes --${flag} only with --base-binary and --head-binary`, undefined, 'it selects what the two binaries are measured on');
            // With both binaries, what they measure is joined with every catalog's findings.
            const verifying = verifyProgress(process.stderr);
            const measured = withBinaries
                ? await verifyBinaries({
                    ...verifyFlags(values, 'check'),
                    failOn,
                    waivers: config.waivers,
                    ignoreModels: config.ignoreModels,
                    onProgress: verifying.step,
                }).finally(verifying.done)
                : undefined;
            const progress = commitProgress(process.stderr);
            for (const catalog of await catalogsToCheck(await repo.source(head), config, explicitCatalog(values, repo.dir))) {
                reports.push(await checkRevisions({
                    repoDir: repo.dir,
                    base: values.base,
                    head: values.head,
                    catalog,
                    failOn,
                    releaseRef: values['release-ref'],
                    attributeCommits: values['by-commit'],
                    failOnReview: values['fail-on-review'] ?? config.failOnReview,
                    cpuidFunctions: config.cpuidFunctions,
                    waivers: config.waivers,
                    ignoreModels: config.ignoreModels,
                    hostRequirements: config.hostRequirements,
                    catalogStore: catalogStoreOf(values),
                    onCommit: progress.step,
                    onStage: sizeYoungGenerationFor,
                })
                    .then((r) => measured
                    ? joinBinaries(r, measured, {
                        failOn,
                        failOnReview: values['fail-on-review'] ?? config.failOnReview,
                        waivers: config.waivers,
                        ignoreModels: config.ignoreModels,
                    })
                    : r)
                    .finally(progress.done));
            }
            return emitReports(reports, values);
        }
        case 'audit': {
            const repo = values.root ? undefined : new GitRepository(need(values, 'repo', 'audit'));
            const ref = values.ref ?? 'HEAD';
            const source = repo ? await repo.source(await repo.resolveCommit(ref)) : fsSource(values.root);
            const config = await configFrom(source, values);
            const failOn = failOnOf(values, config);
            const reports = [];
            for (const catalog of await catalogsToCheck(source, config, explicitCatalog(values, repo?.dir ?? values.root))) {
                const common = {
                    catalog,
                    failOn,
                    waivers: config.waivers,
                    ignoreModels: config.ignoreModels,
                    hostRequirements: config.hostRequirements,
                    catalogStore: catalogStoreOf(values),
                    onStage: sizeYoungGenerationFor,
                };
                reports.push(repo
                    ? await auditRevision({ ...common, repoDir: repo.dir, ref })
                    : await audit({ ...common, head: source, headRef: { ref: values.root } }));
            }
            return emitReports(reports, values);
        }
        case 'expand': {
            keepYoungGenerationSmall();
            const root = workingTreeRoot(values);
            if (values.format && values.format !== 'json')
                throw new UsageError('expand writes JSON only (--format json)');
            const accel = (values.accel ?? 'kvm');
            if (!['kvm', 'tcg', 'none'].includes(accel))
                throw new UsageError(`--accel ${accel} is not one of kvm, tcg, none`);
            const catalog = await readMachineCatalog(explicitCatalog(values, root) ?? (await detectCatalog(fsSource(root))), fsSource(root), { hostSupport: false });
            // Written one machine type at a time as it is rendered, indented for a person at a terminal
            // or on request.
            const indent = (values.pretty ?? (!values.output && process.stdout.isTTY)) ? 2 : undefined;
            const expansions = expandEach({
                catalog,
                machine: single(values.machine, 'machine', 'expand'),
                model: single(values.model, 'model', 'expand'),
                accel,
            });
            const file = values.output ? await openReportFile(values.output) : stdoutFile();
            const write = (text) => {
                if (file)
                    return file.write(text);
                const parts = typeof text === 'string' ? [text] : text;
                process.stdout.cork();
                let flowing = true;
                for (const part of parts)
                    flowing = process.stdout.write(part);
                process.stdout.uncork();
                if (!flowing)
                    return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
            };
            for (const piece of renderExpansionJson(expansions, { indent }))
                await write(piece);
            await file?.close();
            return EXIT_OK;
        }
        case 'verify': {
            const config = values.config ? await configFrom(fsSource('.'), values) : undefined;
            const progress = verifyProgress(process.stderr);
            const { report } = await verifyBinaries({
                ...verifyFlags(values, 'verify'),
                failOn: failOnOf(values, config),
                waivers: config?.waivers,
                ignoreModels: config?.ignoreModels,
                onProgress: progress.step,
            }).finally(progress.done);
            return emitReports([report], values);
        }
        case 'export': {
            const root = workingTreeRoot(values);
            if (values.format !== undefined && values.format !== 'catalog')
                throw new UsageError('export writes the generic catalog format only (--format catalog)');
            const catalog = await readMachineCatalog(explicitCatalog(values, root) ?? (await detectCatalog(fsSource(root))), fsSource(root));
            const { exportCatalog } = await import('./shared-export.js');
            await emit(exportCatalog(catalog), values);
            return EXIT_OK;
        }
        default:
            throw new UsageError(`unknown command ${command}`);
    }
}
/** `--cache-dir`, else `CPU_MODEL_GUARD_CACHE_DIR`: catalogs kept between runs, by content. */
function catalogStoreOf(values) {
    const dir = values['cache-dir'] ?? process.env['CPU_MODEL_GUARD_CACHE_DIR'];
    return dir ? new DiskCatalogStore(dir, TOOL.version) : undefined;
}
/** The binaries and their selection, for `verify` and for `check` with binaries. */
function verifyFlags(values, command) {
    const accel = values.accel ?? 'tcg';
    if (accel !== 'tcg' && accel !== 'kvm')
        throw new UsageError(`${command}: --accel ${accel} is not one of tcg, kvm`);
    const seconds = values.timeout === undefined ? undefined : Number(values.timeout);
    if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0))
        throw new UsageError(`--timeout ${values.timeout} is not a positive number of seconds`);
    return {
        base: need(values, 'base-binary', command),
        head: need(values, 'head-binary', command),
        machines: values.machine,
        models: values.model,
        accel,
        timeoutMs: seconds === undefined ? undefined : seconds * 1000,
    };
}
/** A flag that `command` takes at most once. */
function single(given, name, command) {
    if (given && given.length > 1)
        throw new UsageError(`${command} takes --${name} once`);
    return given?.[0];
}
function checkCommand(command) {
    if (!Object.hasOwn(COMMANDS, command))
        throw new UsageError(`unknown command ${command}`, undefined, didYouMean(command, Object.keys(COMMANDS)) ?? `commands: ${Object.keys(COMMANDS).join(', ')}`);
}
/** parseArgs' own words name the option but not the command, nor what was probably meant. */
function parseArgsError(err, argv) {
    const command = argv.find((a) => Object.hasOwn(COMMANDS, a));
    const helpHint = `run cpu-model-guard help${command ? ` ${command}` : ''}`;
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(err.message)?.[1];
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
        const name = unknown.replace(/^-+/, '');
        const candidates = command ? [...COMMANDS[command].flags, ...COMMON_FLAGS] : Object.keys(FLAGS);
        const suggestion = didYouMean(name, candidates);
        return new UsageError(`unknown flag ${unknown}${command ? ` for ${command}` : ''}`, undefined, suggestion ? suggestion.replace(/^did you mean /, 'did you mean --') : helpHint);
    }
    const missing = /Option '(-{1,2}[^' ]+)(?: [^']*)?' argument missing/.exec(err.message)?.[1];
    if (missing)
        return new UsageError(`${missing} needs a value`, undefined, helpHint);
    return new UsageError(err.message.split('\n')[0], undefined, helpHint);
}
/** Errors a user can act on get one clear message and exit 2; anything else is a bug (exit 3). */
async function run(argv) {
    try {
        return await main(argv);
    }
    catch (err) {
        if (err instanceof QemuBinaryError) {
            process.stderr.write(`cpu-model-guard: ${err.message}\n`);
            return EXIT_BINARY_ERROR;
        }
        if (err instanceof InputError) {
            process.stderr.write(`cpu-model-guard: ${err.describe()}\n`);
            return EXIT_INPUT_ERROR;
        }
        if (err instanceof TypeError && err.code?.startsWith('ERR_PARSE_ARGS')) {
            const usage = parseArgsError(err, argv);
            process.stderr.write(`cpu-model-guard: ${usage.describe()}\n`);
            return EXIT_INPUT_ERROR;
        }
        process.stderr.write(`cpu-model-guard: internal error: ${err?.message ?? String(err)}\n  please report it with the command that caused it\n`);
        return EXIT_INTERNAL_ERROR;
    }
}

// A reader that stops early (`| head`) closes the pipe: that is not an error of the run.
process.stdout.on('error', (err) => {
    if (err.code === 'EPIPE')
        process.exit(process.exitCode ?? 0);
    throw err;
});
process.exitCode = await run(process.argv.slice(2));
