/**
 * The configuration file, `.github/cpu-model-guard.yml` by default, shared by the action and
 * the CLI. A missing file means defaults; a file with a mistake fails with the line and what
 * is allowed, never with a partial reading.
 */
import path from 'node:path';
import type { HostRequirementKind, HostRequirementTable } from '../catalog/model.js';
import { UsageError } from '../errors.js';
import type { FailOn, Finding, Waiver } from '../report/finding.js';
import type { CatalogSource } from '../source/catalog-source.js';
import type { CATALOG_FORMATS } from './config-schema.js';

export const DEFAULT_CONFIG_PATH = '.github/cpu-model-guard.yml';
export const MAX_CONFIG_BYTES = 256 * 1024;

export type CatalogFormat = (typeof CATALOG_FORMATS)[number];

export interface ConfiguredCatalog {
  format: CatalogFormat;
  /** Relative to the repository root, normalised; may end in a glob (see `expandCatalogPaths`). */
  path: string;
  /** Line of the entry in the configuration file. */
  line: number;
}

export interface GuardConfig {
  /** The file read, or the path that was looked for. */
  path: string;
  /** False when there was no configuration file: everything is a default. */
  found: boolean;
  /** Empty when the file names none: the front end's own input decides. */
  catalogs: ConfiguredCatalog[];
  failOn?: FailOn;
  /** Findings for review fail the check too. */
  failOnReview?: boolean;
  /** A project's own functions that compute guest CPUID (QEMU catalogs). */
  cpuidFunctions?: string[];
  ignoreModels: string[];
  hostRequirements: Record<string, { kind: HostRequirementKind; why: string }>;
  waivers: Waiver[];
}

/**
 * A repository-relative path, normalised; `undefined` when it is absolute or leaves the
 * repository. The configuration comes from the pull request itself, so it must not be able
 * to point the checker at files outside the checkout.
 */
export function repositoryPath(p: string): string | undefined {
  if (p.includes('\\') || p.includes('\0') || path.posix.isAbsolute(p) || /^[A-Za-z]:/.test(p))
    return undefined;
  const normal = path.posix.normalize(p).replace(/\/$/, '');
  if (normal === '..' || normal.startsWith('../')) return undefined;
  return normal === '' ? '.' : normal;
}

/**
 * Reads the configuration through a catalog source (the working tree, or the base revision
 * when the pull request must not configure its own check). A missing file gives defaults,
 * unless the path was given explicitly: then the user expects it to exist.
 */
export async function loadConfig(
  source: CatalogSource,
  configPath = DEFAULT_CONFIG_PATH,
  explicit = false,
): Promise<GuardConfig> {
  const safe = repositoryPath(configPath);
  if (safe === undefined) {
    throw new UsageError(
      `configuration path ${configPath} leaves the repository`,
      undefined,
      'give a path relative to the repository root',
    );
  }
  const text = await source.readFile(safe);
  if (text === undefined) {
    if (explicit) {
      throw new UsageError(
        `configuration file ${safe} does not exist in ${source.label}`,
        { path: safe },
        'check the path, or leave it out to use the defaults',
      );
    }
    return { path: safe, found: false, catalogs: [], ignoreModels: [], hostRequirements: {}, waivers: [] };
  }
  // The YAML and JSON Schema libraries load only when there is a file to read: most runs have
  // none, and loading them is a good part of a short run's start.
  const { parseConfig } = await import('./config-file.js');
  return parseConfig(text, safe);
}

/** `*` matches any text, `?` one character; everything else literally. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

export function matchesAny(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (/[*?]/.test(p) ? globToRegExp(p).test(name) : p === name));
}

/**
 * Expands a configured catalog whose last path part is a glob into one catalog per matching
 * file. A glob that matches nothing is an error: a catalog that silently vanished must not
 * read as a clean check.
 */
export async function expandCatalogPaths(
  source: CatalogSource,
  catalog: ConfiguredCatalog,
  configPath: string,
): Promise<ConfiguredCatalog[]> {
  if (!/[*?]/.test(catalog.path)) return [catalog];
  const dir = path.posix.dirname(catalog.path);
  const base = path.posix.basename(catalog.path);
  if (/[*?]/.test(dir)) {
    throw new UsageError(
      `catalog path ${catalog.path} has a wildcard before its last part`,
      { path: configPath, line: catalog.line },
      "use '*' or '?' only in the file name (catalogs/*.yaml); list folders one by one",
    );
  }
  const re = globToRegExp(base);
  const files = (await source.listFiles(dir)).filter((f) => re.test(f));
  if (files.length === 0) {
    throw new UsageError(
      `catalog path ${catalog.path} matches no file in ${source.label}`,
      { path: configPath, line: catalog.line },
      'fix the pattern or remove the entry',
    );
  }
  return files.map((f) => ({ ...catalog, path: dir === '.' ? f : `${dir}/${f}` }));
}

/**
 * The host-requirement table with the project's own overrides on top (a project whose
 * minimum kernel has a KVM feature can say it asks nothing of its hosts).
 */
export function applyHostRequirementOverrides(
  table: HostRequirementTable,
  config: GuardConfig,
): HostRequirementTable {
  if (Object.keys(config.hostRequirements).length === 0) return table;
  return {
    ...table,
    properties: { ...table.properties, ...config.hostRequirements },
    source: `${table.source}, overridden by ${config.path}`,
  };
}

/**
 * Leaves out findings all of whose models are ignored; a finding that also concerns a model
 * that is not ignored stays, since it still says something about that model.
 */
export function withoutIgnoredModels(
  findings: Finding[],
  patterns: readonly string[],
): { findings: Finding[]; ignored: Finding[] } {
  if (patterns.length === 0) return { findings, ignored: [] };
  const kept: Finding[] = [];
  const ignored: Finding[] = [];
  for (const f of findings) {
    if (f.models.length > 0 && f.models.every((m) => matchesAny(m, patterns))) ignored.push(f);
    else kept.push(f);
  }
  return { findings: kept, ignored };
}
