/**
 * The configuration file's text read into a {@link GuardConfig}: YAML, checked against the
 * configuration schema, every mistake reported with its line. Loaded by `loadConfig` only when
 * there is a file, since the YAML and schema libraries it needs cost a short run's start.
 */
import { InputError, UsageError } from '../errors.js';
import type { FailOn, Waiver } from '../report/finding.js';
import type { HostRequirementKind } from '../catalog/model.js';
import {
  compileSchema,
  lineAt,
  loadYaml,
  validateLoaded,
  type YamlLimits,
} from '../parse/generic/yaml-document.js';
import { MAX_CONFIG_BYTES, repositoryPath, type CatalogFormat, type GuardConfig } from './config.js';
import { configSchema } from './config-schema.js';

const LIMITS: YamlLimits = {
  maxBytes: MAX_CONFIG_BYTES,
  what: 'configuration',
  hint: 'the keys are described in docs/configuration.md and schema/config.schema.json',
};

let validator: ReturnType<typeof compileSchema> | undefined;

interface RawConfig {
  catalogs?: { format: CatalogFormat; path: string }[];
  'fail-on'?: FailOn;
  'fail-on-review'?: boolean;
  'cpuid-functions'?: string[];
  'ignore-models'?: string[];
  'host-requirements'?: Record<string, { kind: HostRequirementKind; why: string }>;
  waivers?: {
    rule: string;
    models?: string | string[];
    functions?: string | string[];
    paths?: string | string[];
    property?: string;
    reason: string;
    expires?: string;
    owner?: string;
  }[];
}

/** Parses configuration text. */
export function parseConfig(text: string, configPath: string): GuardConfig {
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
  } catch (err) {
    if (err instanceof InputError && !(err instanceof UsageError))
      throw new UsageError(err.message, err.location, err.hint);
    throw err;
  }
  const raw = loaded.data as RawConfig;
  const catalogs = (raw.catalogs ?? []).map((c, i) => {
    const line = lineAt(loaded, ['catalogs', i, 'path']);
    const safe = repositoryPath(c.path);
    if (safe === undefined) {
      throw new UsageError(
        `catalog path ${c.path} leaves the repository`,
        { path: configPath, line },
        'write the path relative to the repository root, without ".." or a leading "/"',
      );
    }
    return { format: c.format, path: safe, line: lineAt(loaded, ['catalogs', i]) };
  });
  const list = (v: string | string[] | undefined): string[] | undefined =>
    v === undefined ? undefined : typeof v === 'string' ? [v] : [...v];
  const waivers: Waiver[] = (raw.waivers ?? []).map((w, i) => {
    const waiver: Waiver = {
      rule: w.rule,
      models: list(w.models) ?? [],
      reason: w.reason.trim(),
      source: `${configPath}:${lineAt(loaded, ['waivers', i])}`,
    };
    const functions = list(w.functions);
    const paths = list(w.paths);
    if (functions) waiver.functions = functions;
    if (paths) waiver.paths = paths.map((p) => repositoryPath(p) ?? p);
    if (w.property !== undefined) waiver.property = w.property;
    if (w.expires !== undefined) waiver.expires = w.expires;
    if (w.owner !== undefined) waiver.owner = w.owner;
    return waiver;
  });
  const config: GuardConfig = {
    path: configPath,
    found: true,
    catalogs,
    ignoreModels: [...(raw['ignore-models'] ?? [])],
    hostRequirements: { ...(raw['host-requirements'] ?? {}) },
    waivers,
  };
  if (raw['fail-on'] !== undefined) config.failOn = raw['fail-on'];
  if (raw['fail-on-review'] !== undefined) config.failOnReview = raw['fail-on-review'];
  if (raw['cpuid-functions']?.length) config.cpuidFunctions = [...raw['cpuid-functions']];
  return config;
}
