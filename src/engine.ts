import { EffectiveModels, registeredNames } from './catalog/effective.js';
import { overrideHostRequirements } from './catalog/host-requirements.js';
import type { Accel, Catalog, EffectiveModel, HostRequirementKind } from './catalog/model.js';
import { checkCompatReferences, classifyCpuidCode } from './classify/cpuid-code.js';
import { catalogLine, libvirtCatalog } from './catalog/libvirt.js';
import { classifyLibvirt } from './classify/libvirt.js';
import { diffLibvirtCatalogs } from './diff/libvirt.js';
import { joinMeasured } from './classify/measured.js';
import { firstChangedLine, headLineOf } from './diff/line-anchor.js';
import { classifyMachineCatalog, fingerprint } from './classify/machine-catalog.js';
import { auditMachineCatalog } from './classify/audit.js';
import { findingVerdict } from './classify/verdict.js';
import { applyWaivers } from './classify/waivers.js';
import { withoutIgnoredModels } from './config/config.js';
import { classified, type Draft } from './classify/classified.js';
import { CatalogError, didYouMean, UsageError } from './errors.js';
import { readLibvirtCpuMap, type LibvirtCpuMap } from './parse/libvirt/cpu-map.js';
import type { CpuidCode } from './parse/qemu-x86/cpuid-code.js';
import { readQemuX86 } from './parse/qemu-x86/index.js';
import {
  CLASS_ORDER,
  type FailOn,
  type Finding,
  type Report,
  type ReportNote,
  type Waiver,
} from './report/finding.js';
import { worded } from './report/words/index.js';
import { waiverSubjects } from './report/text.js';
import { subdirSource, type CatalogSource } from './source/catalog-source.js';
import { ReadCache, type CatalogStore } from './source/read-cache.js';
import type { BinarySnapshot } from './verify/snapshot.js';

/**
 * The engine: reads catalogs through `CatalogSource`, compares them and returns a report.
 * It never writes, posts or prints; the CLI and the action decide what to do with the data.
 */
export const TOOL = { name: 'cpu-model-guard', version: '0.1.0' };

export type CatalogFormat = 'qemu-x86' | 'libvirt-cpu-map' | 'catalog';
export const CATALOG_FORMATS: readonly CatalogFormat[] = ['qemu-x86', 'libvirt-cpu-map', 'catalog'];

export interface CatalogSpec {
  format: CatalogFormat;
  /** Relative to the source's root: a folder (qemu-x86, libvirt-cpu-map) or a file (catalog). */
  path: string;
}

/** `qemu-x86:SUBDIR`, `libvirt-cpu-map:src/cpu_map`, `catalog:cpu-models.yml`. */
export function parseCatalogSpec(text: string, where = '--catalog'): CatalogSpec {
  const i = text.indexOf(':');
  const format = (i < 0 ? text : text.slice(0, i)) as CatalogFormat;
  const path = i < 0 ? '.' : text.slice(i + 1) || '.';
  if (!CATALOG_FORMATS.includes(format)) {
    throw new UsageError(
      `${where}: unknown catalog format "${format}"`,
      undefined,
      `use FORMAT:PATH with FORMAT one of ${CATALOG_FORMATS.join(', ')}`,
    );
  }
  if (path.startsWith('/') || path.split(/[\\/]/).includes('..')) {
    throw new UsageError(
      `${where}: the catalog path ${path} leaves the repository`,
      undefined,
      'give a path relative to the repository root',
    );
  }
  return { format, path };
}

export interface EngineOptions {
  failOn: FailOn;
  waivers?: Waiver[];
  /** Model names (globs) whose findings are left out. */
  ignoreModels?: string[];
  /** A project's host-requirement overrides (a newer minimum kernel). */
  hostRequirements?: Record<string, { kind: HostRequirementKind; why: string }>;
  /** YYYY-MM-DD, for waiver expiry; default today (UTC). */
  today?: string;
  /** Findings with the verdict `review` (ungated code hunks) fail the check too. */
  failOnReview?: boolean;
  /** A project's own functions that compute guest CPUID, besides the built-in list. */
  cpuidFunctions?: string[];
  /** Catalogs read by earlier runs, by the content they were read from (`--cache-dir`). */
  catalogStore?: CatalogStore;
  /**
   * Told as a check or an audit starts to read catalogs and then to compare them: the two
   * allocate differently, and a front end may tune its runtime for each (src/cli/young-generation.ts).
   */
  onStage?: (stage: EngineStage) => void;
}

export type EngineStage = 'read' | 'compare';

/** The revision whose names count as released, and why it is the one. */
export interface ReleaseRevision {
  source?: CatalogSource;
  ref?: string;
  commit?: string;
  explanation: string;
}

export interface CheckRequest extends EngineOptions {
  catalog: CatalogSpec;
  base: CatalogSource;
  head: CatalogSource;
  baseRef: { ref: string; commit?: string };
  headRef: { ref: string; commit?: string };
  /** May still be being found (a git tag lookup): it is awaited while base and head are read. */
  release: ReleaseRevision | Promise<ReleaseRevision>;
}

/** A check whose release revision has been found. */
interface ResolvedCheck extends CheckRequest {
  release: ReleaseRevision;
}

export interface AuditRequest extends EngineOptions {
  catalog: CatalogSpec;
  head: CatalogSource;
  headRef: { ref: string; commit?: string };
}

type AnyCatalog =
  { kind: 'machine'; catalog: Catalog; cpuidCode?: CpuidCode } | { kind: 'libvirt'; map: LibvirtCpuMap };

export interface ReadOptions extends Pick<
  EngineOptions,
  'hostRequirements' | 'cpuidFunctions' | 'catalogStore'
> {
  /** Whether host requirements are needed (expand needs none, and QEMU's kvm.c is large). */
  hostSupport?: boolean;
  /** Read QEMU's guest-CPUID functions too (checks of code hunks). */
  cpuidCode?: boolean;
}

/**
 * Catalogs read so far in this run, by the content of every file they were read from: a
 * range audit reads each commit's tree once, and only what a commit changed is parsed again.
 */
const catalogReads = new ReadCache<AnyCatalog>(2);

export async function readCatalog(
  spec: CatalogSpec,
  source: CatalogSource,
  options: ReadOptions = {},
): Promise<AnyCatalog> {
  const hostSupport = options.hostSupport ?? true;
  const cpuidCode = options.cpuidCode ? { extraFunctions: options.cpuidFunctions ?? [] } : undefined;
  const read = await catalogReads.get(
    [
      spec.format,
      spec.path,
      hostSupport,
      cpuidCode ? ['cpuid', ...cpuidCode.extraFunctions].join(',') : '',
    ].join('\0'),
    source,
    async (from): Promise<AnyCatalog> => {
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
          const { readGenericCatalog } = await import('./parse/generic/catalog.js');
          return { kind: 'machine', catalog: await readGenericCatalog(from, spec.path) };
        }
        case 'libvirt-cpu-map':
          return { kind: 'libvirt', map: await readLibvirtCpuMap(subdirSource(from, spec.path)) };
      }
    },
    options.catalogStore,
  );
  return read.kind === 'machine' ? { ...read, catalog: withOverrides(read.catalog, options) } : read;
}

/** A catalog with machine types (QEMU, generic); libvirt's cpu_map has none and is refused. */
export async function readMachineCatalog(
  spec: CatalogSpec,
  source: CatalogSource,
  options: ReadOptions = {},
): Promise<Catalog> {
  const c = await readCatalog(spec, source, options);
  if (c.kind !== 'machine')
    throw new UsageError(
      `${spec.format} catalogs have no machine types`,
      undefined,
      'expand and export read qemu-x86 and catalog formats',
    );
  return c.catalog;
}

function withOverrides(catalog: Catalog, options: Pick<EngineOptions, 'hostRequirements'>): Catalog {
  if (!options.hostRequirements) return catalog;
  return {
    ...catalog,
    hostRequirements: overrideHostRequirements(
      catalog.hostRequirements,
      options.hostRequirements,
      'the configuration',
    ),
  };
}

const today = (): string => new Date().toISOString().slice(0, 10);

/** Verdicts, waivers, ignores, order and counts: the same for every catalog format. */
export function finish(
  findings: Finding[],
  options: EngineOptions,
  report: Omit<Report, 'result' | 'counts' | 'findings' | 'unusedWaivers' | 'failOn' | 'tool'>,
): Report {
  let kept = findings.map((f) => ({
    ...f,
    verdict: findingVerdict(f, options.failOn, options.failOnReview),
  }));
  const notes: ReportNote[] = [...report.notes];
  const { findings: notIgnored, ignored } = withoutIgnoredModels(kept, options.ignoreModels ?? []);
  if (ignored.length) {
    notes.push({
      kind: 'info',
      message: `${ignored.length} finding(s) left out: they concern only ignored models (${options.ignoreModels!.join(', ')})`,
    });
  }
  const waived = applyWaivers(notIgnored, options.waivers ?? [], options.today ?? today());
  kept = waived.findings;
  for (const w of waived.expired)
    notes.push({
      kind: 'warning',
      message: `waiver for ${w.rule} (${waiverSubjects(w)}) expired on ${w.expires} and no longer applies`,
    });
  kept.sort(
    (a, b) =>
      CLASS_ORDER.indexOf(a.class) - CLASS_ORDER.indexOf(b.class) ||
      a.location.path.localeCompare(b.location.path) ||
      a.location.line - b.location.line ||
      a.rule.localeCompare(b.rule),
  );
  const counts = { safe: 0, 'type-2': 0, 'new-model-required': 0, waived: 0, review: 0 };
  for (const f of kept) {
    counts[f.class]++;
    if (f.verdict === 'waived') counts.waived++;
    if (f.verdict === 'review') counts.review++;
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
export function withFingerprints(drafts: (Draft | Finding)[]): Finding[] {
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
async function cosmeticFinding(
  files: string[],
  base: CatalogSource,
  head: CatalogSource,
  /** What the edit does change, when more than text: machine types it adds or releases. */
  machineTypes: { added: string[]; released: string[] } = { added: [], released: [] },
): Promise<Finding | undefined> {
  for (const file of files) {
    const [b, h] = await Promise.all([base.readFile(file), head.readFile(file)]);
    if (b === h || b === undefined || h === undefined) continue;
    const line = firstChangedLine(b, h);
    return withFingerprints([
      classified(
        'no-effective-change',
        {
          kind: 'catalog-file',
          file,
          addedMachineTypes: machineTypes.added,
          releasedMachineTypes: machineTypes.released,
        },
        {
          class: 'safe',
          models: [],
          machineTypes: [],
          location: { path: file, line, side: 'RIGHT' },
          fingerprint: fingerprint('no-effective-change', [], file, []),
        },
      ),
    ])[0];
  }
  return undefined;
}

/** Gives each removal the head line it sits at, for viewers that show only head's files. */
async function anchorRemovals(
  findings: Finding[],
  base: CatalogSource,
  head: CatalogSource,
): Promise<Finding[]> {
  return Promise.all(
    findings.map(async (f) => {
      if (f.location.side !== 'LEFT') return f;
      const [b, h] = await Promise.all([base.readFile(f.location.path), head.readFile(f.location.path)]);
      const headLine = b !== undefined && h !== undefined ? headLineOf(b, h, f.location.line) : undefined;
      return headLine ? { ...f, location: { ...f.location, headLine } } : f;
    }),
  );
}

/** The cpu_map reader speaks of paths inside the catalog folder; reviews need repository paths. */
function inCatalog(catalog: CatalogSpec, path: string): string {
  return catalog.path === '.' ? path : `${catalog.path.replace(/\/+$/, '')}/${path}`;
}

/**
 * Whether the check runs from the release commit itself (the usual case right after a
 * release): its catalog is base's, already read.
 */
const releaseIsBase = (req: ResolvedCheck): boolean =>
  req.release.commit !== undefined && req.release.commit === req.baseRef.commit;

/**
 * The models of the release revision: without a readable one (said in a note), every model of
 * base counts as released.
 */
async function releasedLibvirtModels(
  req: ResolvedCheck,
  base: LibvirtCpuMap,
  notes: ReportNote[],
): Promise<Set<string> | undefined> {
  if (releaseIsBase(req)) return new Set(Object.keys(base.models));
  if (!req.release.source) return undefined;
  try {
    const r = await readCatalog(req.catalog, req.release.source, { catalogStore: req.catalogStore });
    return r.kind === 'libvirt' ? new Set(Object.keys(r.map.models)) : undefined;
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    notes.push({
      kind: 'warning',
      message: `the release revision has no readable catalog (${err.message}); every model in base counts as released`,
    });
    return undefined;
  }
}

/** libvirt's cpu_map: catalog models, their diff, the rule's findings. */
async function checkLibvirt(
  req: ResolvedCheck,
  base: LibvirtCpuMap,
  head: LibvirtCpuMap,
  notes: ReportNote[],
): Promise<Finding[]> {
  const released = await releasedLibvirtModels(req, base, notes);
  const headCatalog = libvirtCatalog(head);
  const diff = diffLibvirtCatalogs(libvirtCatalog(base), headCatalog);
  notes.push(...headCatalog.notes.map((message) => ({ kind: 'info' as const, message })));
  const inRepo = (p: string) => inCatalog(req.catalog, p);
  return withFingerprints(
    classifyLibvirt({ diff, ...(released ? { released } : {}), headLine: catalogLine(headCatalog) }),
  ).map((f) => ({
    ...f,
    location: { ...f.location, path: inRepo(f.location.path) },
    ...(f.suggestion ? { suggestion: { ...f.suggestion, path: inRepo(f.suggestion.path) } } : {}),
    ...(f.fixLines ? { fixLines: { ...f.fixLines, path: inRepo(f.fixLines.path) } } : {}),
  }));
}

type MachineRead = Extract<AnyCatalog, { kind: 'machine' }>;

export async function check(request: CheckRequest): Promise<Report> {
  const options = { ...request, cpuidCode: true };
  request.onStage?.('read');
  const [base, head, release] = await Promise.all([
    readCatalog(request.catalog, request.base, options),
    readCatalog(request.catalog, request.head, options),
    request.release,
  ]);
  request.onStage?.('compare');
  const req: ResolvedCheck = { ...request, release };
  const notes: ReportNote[] = [];
  let findings: Finding[];
  let files: string[];
  let machineTypeChanges = { added: [] as string[], released: [] as string[] };
  if (base.kind === 'libvirt' && head.kind === 'libvirt') {
    findings = await checkLibvirt(req, base.map, head.map, notes);
    files = Object.keys(head.map.files).map((p) => inCatalog(req.catalog, p));
  } else if (base.kind === 'machine' && head.kind === 'machine') {
    findings = await checkMachineCatalog(req, base, head, notes);
    files = head.catalog.files;
    machineTypeChanges = machineTypesChanged(base.catalog, head.catalog, notes);
  } else {
    throw new CatalogError('base and head catalogs are of different kinds');
  }
  if (!findings.length) {
    const cosmetic = await cosmeticFinding(files, req.base, req.head, machineTypeChanges);
    if (cosmetic) findings.push(cosmetic);
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
async function releasedMachineCatalogNames(
  req: ResolvedCheck,
  base: Catalog,
  notes: ReportNote[],
): Promise<Set<string>> {
  const names = (c: Catalog) => new Set(registeredNames(c).map((n) => n.name));
  if (releaseIsBase(req) || !req.release.source) return names(base);
  try {
    // Names only: host support (QEMU's kvm.c) has no part in them.
    return names(
      await readMachineCatalog(req.catalog, req.release.source, {
        catalogStore: req.catalogStore,
        hostSupport: false,
      }),
    );
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    notes.push({
      kind: 'warning',
      message: `the release revision has no readable catalog (${err.message}); every name in base counts as released`,
    });
    return names(base);
  }
}

/** A catalog with machine types: its names and models, then the code that computes guest CPUID. */
async function checkMachineCatalog(
  req: ResolvedCheck,
  base: MachineRead,
  head: MachineRead,
  notes: ReportNote[],
): Promise<Finding[]> {
  const releasedNames = await releasedMachineCatalogNames(req, base.catalog, notes);
  const headTexts = new Map(
    await Promise.all(head.catalog.files.map(async (f) => [f, await req.head.readFile(f)] as const)),
  );
  // Split into lines only when a finding quotes a line of the file.
  const headLines = new Map<string, string[] | undefined>();
  const headLine = (path: string, line: number): string | undefined => {
    if (!headLines.has(path)) headLines.set(path, headTexts.get(path)?.split('\n'));
    return headLines.get(path)?.[line - 1];
  };
  const findings = withFingerprints(
    classifyMachineCatalog({ base: base.catalog, head: head.catalog, releasedNames, headLine }),
  );
  if (base.cpuidCode && head.cpuidCode) {
    checkCompatReferences(base.catalog, head.catalog, base.cpuidCode, head.cpuidCode);
    findings.push(
      ...withFingerprints(
        await classifyCpuidCode({
          base: base.catalog,
          head: head.catalog,
          baseCode: base.cpuidCode,
          headCode: head.cpuidCode,
          baseText: (p) => req.base.readFile(p),
          headText: (p) => req.head.readFile(p),
        }),
      ),
    );
  }
  notes.push(
    ...head.catalog.notes
      .filter((n) => !base.catalog.notes.includes(n))
      .map((message) => ({ kind: 'info' as const, message })),
  );
  return findings;
}

/**
 * Machine types added, removed and released: noted (removals follow the project's own
 * deprecation policy and are not judged), and returned for a change that does nothing else.
 */
function machineTypesChanged(
  base: Catalog,
  head: Catalog,
  notes: ReportNote[],
): { added: string[]; released: string[] } {
  const headTypes = new Set(head.machineTypes.map((m) => m.name));
  const baseTypes = new Set(base.machineTypes.map((m) => m.name));
  for (const m of base.machineTypes)
    if (!headTypes.has(m.name))
      notes.push({
        kind: 'info',
        message: `machine type ${m.name} removed (machine types follow the project's own deprecation policy; not judged by the rule)`,
      });
  const added = head.machineTypes.filter((m) => !baseTypes.has(m.name)).map((m) => m.name);
  for (const name of added) notes.push({ kind: 'info', message: `machine type ${name} added` });
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
export function joinBinaries(
  checked: Report,
  measured: { report: Report; base: BinarySnapshot; head: BinarySnapshot },
  options: EngineOptions,
): Report {
  const joined = joinMeasured({
    findings: checked.findings,
    measured: measured.report.findings,
    base: measured.base,
    head: measured.head,
    machineTypes: checked.machineTypes ?? [],
  });
  const notes: ReportNote[] = [
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
  const seen = new Set<string>();
  report.notes = [...notes, ...report.notes].filter((n) => !seen.has(n.message) && !!seen.add(n.message));
  return report;
}

/**
 * One snapshot: every place where a newer machine type asks more of the host than the one
 * before it (each is a type-2 change that was made at some point), and names registered twice.
 */
export async function audit(req: AuditRequest): Promise<Report> {
  req.onStage?.('read');
  const read = await readCatalog(req.catalog, req.head, req);
  req.onStage?.('compare');
  if (read.kind !== 'machine') {
    throw new UsageError(
      'audit needs a catalog with machine types (qemu-x86 or catalog)',
      undefined,
      'libvirt cpu_map models have no machine types: use check between two revisions',
    );
  }
  const catalog = read.catalog;
  const findings = withFingerprints(auditMachineCatalog(catalog));
  return finish(findings, req, {
    mode: 'audit',
    machineTypes: catalog.machineTypes.map((m) => m.name),
    catalog: { format: req.catalog.format, path: req.catalog.path },
    head: req.headRef,
    release: {
      explanation:
        'an audit judges the snapshot as a whole: every machine type change that grew host requirements is reported',
    },
    notes: catalog.notes.map((message) => ({ kind: 'info' as const, message })),
  });
}

export interface ExpandRequest {
  catalog: Catalog;
  machine?: string;
  model?: string;
  accel?: Accel;
}

/**
 * `[machineType, { modelName: { property: value } }]`, one machine type at a time, with the
 * catalog's property names: everything on every machine type is large, so callers can write
 * it out as it comes instead of holding it all.
 */
export function expandEach(req: ExpandRequest): Generator<[string, Record<string, EffectiveModel>]> {
  // Unknown names fail here, before the caller has written anything.
  const em = new EffectiveModels(req.catalog, { cache: false });
  const machineTypes = req.catalog.machineTypes.filter(
    (m) => !req.machine || m.name === req.machine || m.aliases.includes(req.machine),
  );
  if (req.machine && !machineTypes.length) {
    const known = req.catalog.machineTypes.flatMap((m) => [m.name, ...m.aliases]);
    throw new UsageError(
      `no machine type ${req.machine} in this catalog`,
      undefined,
      didYouMean(req.machine, known) ??
        `choose one of ${req.catalog.machineTypes
          .map((m) => m.name)
          .slice(-5)
          .join(', ')}, ...`,
    );
  }
  const names = em.registeredNames().filter((n) => !req.model || n.name === req.model);
  if (req.model && !names.length) {
    const known = em.registeredNames().map((n) => n.name);
    throw new UsageError(
      `no model ${req.model} in this catalog`,
      undefined,
      didYouMean(req.model, known) ?? `it has ${known.length} model names; expand without --model lists them`,
    );
  }
  return (function* () {
    for (const mt of machineTypes) {
      const models: Record<string, EffectiveModel> = {};
      for (const n of names) {
        const e = em.get(n.name, mt.name, req.accel ?? 'kvm');
        if (e) models[n.name] = e;
      }
      yield [mt.name, models] as [string, Record<string, EffectiveModel>];
    }
  })();
}

/** `{ machineType: { modelName: { property: value } } }`. */
export function expand(req: ExpandRequest): Record<string, Record<string, EffectiveModel>> {
  return Object.fromEntries(expandEach(req));
}
