import path from 'node:path';
import { U as UsageError } from './shared-errors.js';

/**
 * The configuration file, `.github/cpu-model-guard.yml` by default, shared by the action and
 * the CLI. A missing file means defaults; a file with a mistake fails with the line and what
 * is allowed, never with a partial reading.
 */
const DEFAULT_CONFIG_PATH = '.github/cpu-model-guard.yml';
const MAX_CONFIG_BYTES = 256 * 1024;
/**
 * A repository-relative path, normalised; `undefined` when it is absolute or leaves the
 * repository. The configuration comes from the pull request itself, so it must not be able
 * to point the checker at files outside the checkout.
 */
function repositoryPath(p) {
    if (p.includes('\\') || p.includes('\0') || path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p))
        return undefined;
    const normal = path.posix.normalize(p).replace(/\/$/, '');
    if (normal === '..' || normal.startsWith('../'))
        return undefined;
    return normal === '' ? '.' : normal;
}
/**
 * Reads the configuration through a catalog source (the working tree, or the base revision
 * when the pull request must not configure its own check). A missing file gives defaults,
 * unless the path was given explicitly: then the user expects it to exist.
 */
async function loadConfig(source, configPath = DEFAULT_CONFIG_PATH, explicit = false) {
    const safe = repositoryPath(configPath);
    if (safe === undefined) {
        throw new UsageError(`configuration path ${configPath} leaves the repository`, undefined, 'give a path relative to the repository root');
    }
    const text = await source.readFile(safe);
    if (text === undefined) {
        if (explicit) {
            throw new UsageError(`configuration file ${safe} does not exist in ${source.label}`, { path: safe }, 'check the path, or leave it out to use the defaults');
        }
        return { path: safe, found: false, catalogs: [], ignoreModels: [], hostRequirements: {}, waivers: [] };
    }
    // The YAML and JSON Schema libraries load only when there is a file to read: most runs have
    // none, and loading them is a good part of a short run's start.
    const { parseConfig } = await import('./shared-config-file.js');
    return parseConfig(text, safe);
}
/** `*` matches any text, `?` one character; everything else literally. */
function globToRegExp(glob) {
    const body = glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.');
    return new RegExp(`^${body}$`);
}
function matchesAny(name, patterns) {
    return patterns.some((p) => (/[*?]/.test(p) ? globToRegExp(p).test(name) : p === name));
}
/**
 * Expands a configured catalog whose last path part is a glob into one catalog per matching
 * file. A glob that matches nothing is an error: a catalog that silently vanished must not
 * read as a clean check.
 */
async function expandCatalogPaths(source, catalog, configPath) {
    if (!/[*?]/.test(catalog.path))
        return [catalog];
    const dir = path.posix.dirname(catalog.path);
    const base = path.posix.basename(catalog.path);
    if (/[*?]/.test(dir)) {
        throw new UsageError(`catalog path ${catalog.path} has a wildcard before its last part`, { path: configPath, line: catalog.line }, "use '*' or '?' only in the file name (catalogs/*.yaml); list folders one by one");
    }
    const re = globToRegExp(base);
    const files = (await source.listFiles(dir)).filter((f) => re.test(f));
    if (files.length === 0) {
        throw new UsageError(`catalog path ${catalog.path} matches no file in ${source.label}`, { path: configPath, line: catalog.line }, 'fix the pattern or remove the entry');
    }
    return files.map((f) => ({ ...catalog, path: dir === '.' ? f : `${dir}/${f}` }));
}
/**
 * Leaves out findings all of whose models are ignored; a finding that also concerns a model
 * that is not ignored stays, since it still says something about that model.
 */
function withoutIgnoredModels(findings, patterns) {
    if (patterns.length === 0)
        return { findings, ignored: [] };
    const kept = [];
    const ignored = [];
    for (const f of findings) {
        if (f.models.length > 0 && f.models.every((m) => matchesAny(m, patterns)))
            ignored.push(f);
        else
            kept.push(f);
    }
    return { findings: kept, ignored };
}

export { MAX_CONFIG_BYTES as M, expandCatalogPaths as e, loadConfig as l, matchesAny as m, repositoryPath as r, withoutIgnoredModels as w };
