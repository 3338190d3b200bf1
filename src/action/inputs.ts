import path from 'node:path';
import type { FailOn } from '../report/finding.js';
import { UsageError } from '../errors.js';

export type CatalogFormat = 'qemu-x86' | 'libvirt-cpu-map' | 'catalog';
export const CATALOG_FORMATS: readonly CatalogFormat[] = ['qemu-x86', 'libvirt-cpu-map', 'catalog'];
export const FAIL_ON: readonly FailOn[] = ['type-2', 'new-model-required', 'never'];

/** `review`: inline review comments plus the sticky summary; `summary`: the sticky summary only. */
export type CommentMode = 'review' | 'summary' | 'none';
export const COMMENT_MODES: readonly CommentMode[] = ['review', 'summary', 'none'];

export interface CatalogChoice {
  format: CatalogFormat;
  /** Catalog root relative to the repository root (`.` for a QEMU tree at the root). */
  path: string;
}

/** The action's inputs, validated. Defaults mirror action.yml so that a missing variable behaves like the runner. */
export interface ActionInputs {
  githubToken: string;
  /** `undefined`: detect the format from the files at the repository root. */
  catalog?: CatalogChoice;
  base?: string;
  head?: string;
  failOn: FailOn;
  comment: CommentMode;
  releaseRef?: string;
  jsonReport?: string;
  sarifReport?: string;
  statusContext?: string;
  /** Pull request label that turns `type-2` findings into waived ones. */
  waiveLabel: string;
}

export const DEFAULT_WAIVE_LABEL = 'cpu-model-guard:waive-type-2';

/** Reads one input as the runner passes it; an unset input reads as the empty string. */
export type InputReader = (name: string) => string;

/** The runner's way of passing inputs: `INPUT_<NAME>`, upper case, spaces as underscores, hyphens kept. */
export function envInputReader(env: NodeJS.ProcessEnv = process.env): InputReader {
  return (name) => (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

function oneOf<T extends string>(read: InputReader, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(name);
  if (raw === '') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new UsageError(
    `input ${name} is "${raw}", which is not one of ${allowed.join(', ')}`,
    undefined,
    `set ${name} to one of: ${allowed.join(', ')} (default ${fallback})`,
  );
}

function optional(read: InputReader, name: string): string | undefined {
  const raw = read(name);
  return raw === '' ? undefined : raw;
}

/** A path inside the workspace: reports written elsewhere would be lost with the runner. */
function repoRelativePath(read: InputReader, name: string): string | undefined {
  const raw = optional(read, name);
  if (raw === undefined) return undefined;
  const normal = path.posix.normalize(raw.replace(/\\/g, '/'));
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new UsageError(
      `input ${name} is "${raw}", which leaves the workspace`,
      undefined,
      `give ${name} a path relative to the repository root`,
    );
  }
  return normal;
}

export function parseCatalogChoice(raw: string, inputName = 'catalog'): CatalogChoice {
  const colon = raw.indexOf(':');
  const format = colon === -1 ? raw : raw.slice(0, colon);
  const where = colon === -1 ? '.' : raw.slice(colon + 1).trim() || '.';
  if (!(CATALOG_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(
      `input ${inputName} is "${raw}": "${format}" is not a catalog format`,
      undefined,
      `write ${inputName} as format:path with format one of ${CATALOG_FORMATS.join(', ')} (qemu-x86:. for a QEMU tree at the repository root)`,
    );
  }
  const normal = path.posix.normalize(where.replace(/\\/g, '/')).replace(/\/$/, '') || '.';
  if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
    throw new UsageError(
      `input ${inputName} is "${raw}": the path leaves the repository`,
      undefined,
      `give the catalog path relative to the repository root`,
    );
  }
  return { format: format as CatalogFormat, path: normal };
}

/** Git would read a leading `-` as an option; revisions never need one. */
function revision(read: InputReader, name: string): string | undefined {
  const raw = optional(read, name);
  if (raw !== undefined && (raw.startsWith('-') || /\s|\.\./.test(raw))) {
    throw new UsageError(
      `input ${name} is "${raw}", which is not a single git revision`,
      undefined,
      `give ${name} one branch, tag or commit id (ranges like a..b are written as base and head)`,
    );
  }
  return raw;
}

export function parseInputs(read: InputReader): ActionInputs {
  const githubToken = read('github-token');
  const catalogRaw = optional(read, 'catalog');
  const statusContext = optional(read, 'status-context');
  if (statusContext !== undefined && statusContext.length > 255) {
    throw new UsageError(
      'input status-context is longer than 255 characters',
      undefined,
      'use a shorter context name',
    );
  }
  const waiveLabel = read('waive-label');
  return {
    githubToken,
    catalog: catalogRaw === undefined ? undefined : parseCatalogChoice(catalogRaw),
    base: revision(read, 'base'),
    head: revision(read, 'head'),
    failOn: oneOf(read, 'fail-on', FAIL_ON, 'type-2'),
    comment: oneOf(read, 'comment', COMMENT_MODES, 'review'),
    releaseRef: revision(read, 'release-ref'),
    jsonReport: repoRelativePath(read, 'json-report'),
    sarifReport: repoRelativePath(read, 'sarif-report'),
    statusContext,
    waiveLabel: waiveLabel === '' ? DEFAULT_WAIVE_LABEL : waiveLabel,
  };
}
