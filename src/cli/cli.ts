import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type GuardConfig } from '../config/config.js';
import {
  audit,
  expandEach,
  joinBinaries,
  parseCatalogSpec,
  readMachineCatalog,
  TOOL,
  type CatalogSpec,
} from '../engine.js';
import {
  EXIT_BINARY_ERROR,
  EXIT_FINDINGS,
  EXIT_INPUT_ERROR,
  EXIT_INTERNAL_ERROR,
  EXIT_OK,
  didYouMean,
  InputError,
  UsageError,
} from '../errors.js';
import type { FailOn, Report } from '../report/finding.js';
import { renderExpansionJson } from '../report/expansion-json.js';
import { keepYoungGenerationSmall, sizeYoungGenerationFor } from './young-generation.js';
import { overallResult, parseReportFormat, renderReports } from '../report/render.js';
import type { CatalogSource } from '../source/catalog-source.js';
import { catalogsToCheck, detectCatalog } from '../source/catalogs.js';
import { GitRepository } from '../source/git-source.js';
import { fsSource } from '../source/fs-source.js';
import { QemuBinaryError } from '../source/qemu-binary.js';
import { openReportFile, stdoutFile, writeReportFile } from '../source/report-file.js';
import { verifyBinaries, type VerifyOptions } from '../source/verify-binaries.js';
import { auditRevision, checkRevisions } from '../source/revisions.js';
import { DiskCatalogStore } from '../source/disk-cache.js';
import { commitProgress, verifyProgress } from './progress.js';

interface FlagSpec {
  type: 'string' | 'boolean';
  /** The flag may be given more than once. */
  multiple?: boolean;
  short?: string;
  /** What the value is, for the help text (`REV`, `FILE`). */
  value?: string;
  help: string;
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
} as const satisfies Record<string, FlagSpec>;

type FlagName = keyof typeof FLAGS;

const COMMON_FLAGS: FlagName[] = ['help'];
/** What selects the measurement of two QEMU binaries, in check (with both binaries) and verify. */
const MEASUREMENT_FLAGS = ['machine', 'model', 'accel', 'timeout'] as const satisfies readonly FlagName[];
const BINARY_FLAGS: FlagName[] = ['base-binary', 'head-binary', ...MEASUREMENT_FLAGS];
const COMMANDS: Record<string, { summary: string; usage: string; flags: FlagName[] }> = {
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
    usage:
      'expand [--root DIR] [--catalog FORMAT:PATH] [--machine NAME] [--model NAME] [--accel kvm|tcg|none]',
    flags: ['root', 'catalog', 'machine', 'model', 'accel', 'format', 'output', 'pretty'],
  },
  verify: {
    summary: 'run two QEMU binaries and classify what they give guests differently',
    usage:
      'verify --base-binary PATH --head-binary PATH [--machine GLOB]... [--model GLOB]... [--accel tcg|kvm] [flags]',
    flags: [...BINARY_FLAGS, 'format', 'fail-on', 'config', 'output', 'color'],
  },
  export: {
    summary: 'write a QEMU tree as a generic catalog',
    usage: 'export [--root DIR] [--catalog qemu-x86:PATH] [--output FILE]',
    flags: ['root', 'catalog', 'format', 'output'],
  },
};

function flagLines(names: readonly FlagName[]): string {
  const rows = names.map((n) => {
    const f: FlagSpec = FLAGS[n];
    return [`${f.short ? `-${f.short}, ` : ''}--${n}${f.value ? ` ${f.value}` : ''}`, f.help] as const;
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

function commandHelp(name: string): string {
  const c = COMMANDS[name]!;
  return `cpu-model-guard ${c.usage}\n\n${c.summary[0]!.toUpperCase()}${c.summary.slice(1)}.\n\nFlags:\n${flagLines([...c.flags, ...COMMON_FLAGS])}`;
}

const FAIL_ON: readonly FailOn[] = ['type-2', 'new-model-required', 'never'];

const options = Object.fromEntries(
  Object.entries(FLAGS).map(([name, f]: [string, FlagSpec]) => [
    name,
    { type: f.type, ...(f.short ? { short: f.short } : {}), ...(f.multiple ? { multiple: true } : {}) },
  ]),
) as {
  [K in FlagName]: (typeof FLAGS)[K] extends { multiple: true }
    ? { type: (typeof FLAGS)[K]['type']; multiple: true }
    : { type: (typeof FLAGS)[K]['type'] };
};

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function need(values: Values, name: keyof Values, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || !v)
    throw new UsageError(`${command} needs --${name}`, undefined, `run cpu-model-guard --help`);
  return v;
}

function failOnOf(values: Values, config?: GuardConfig): FailOn {
  const v = values['fail-on'] ?? config?.failOn ?? 'type-2';
  if (!FAIL_ON.includes(v as FailOn))
    throw new UsageError(`--fail-on ${v} is not one of ${FAIL_ON.join(', ')}`);
  return v as FailOn;
}

/**
 * The folder `expand` and `export` read: --root, else the file system root when --catalog
 * names an absolute path, else the current folder.
 */
function workingTreeRoot(values: Values): string {
  if (values.root) return values.root;
  const given = values.catalog?.slice(values.catalog.indexOf(':') + 1) ?? '';
  return values.catalog?.includes(':') && path.isAbsolute(given) ? path.parse(given).root : '.';
}

/**
 * The catalog named on the command line, if any. Its path is relative to the repository (or
 * the --root folder); an absolute path inside that folder is taken as the same path relative
 * to it, so `--catalog qemu-x86:$PWD` names the repository itself.
 */
function explicitCatalog(values: Values, within: string): CatalogSpec | undefined {
  if (!values.catalog) return undefined;
  const i = values.catalog.indexOf(':');
  const given = i < 0 ? '' : values.catalog.slice(i + 1);
  if (!path.isAbsolute(given)) return parseCatalogSpec(values.catalog);
  const relative = path.relative(path.resolve(within), given);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
    throw new UsageError(
      `--catalog: the catalog path ${given} is outside ${within}`,
      undefined,
      'give a path relative to the repository (or --root) folder, or one inside it',
    );
  }
  return parseCatalogSpec(`${values.catalog.slice(0, i)}:${relative.split(path.sep).join('/') || '.'}`);
}

/**
 * The configuration file as it is in `source`: for a check, the base revision, so that a
 * change cannot configure or waive its own check.
 */
function configFrom(source: CatalogSource, values: Values): Promise<GuardConfig> {
  return loadConfig(source, values.config, values.config !== undefined);
}

async function emit(text: string, values: Values): Promise<void> {
  if (values.output) await writeReportFile(values.output, text);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function emitReports(reports: Report[], values: Values): Promise<number> {
  const format = parseReportFormat(values.format ?? 'text', '--format');
  await emit(
    renderReports(reports, format, {
      color: values.color ?? (!values.output && process.stdout.isTTY === true),
    }),
    values,
  );
  return overallResult(reports).result === 'fail' ? EXIT_FINDINGS : EXIT_OK;
}

export async function main(argv: string[]): Promise<number> {
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
    throw new UsageError(
      `unexpected argument ${positionals[1]}`,
      undefined,
      `run cpu-model-guard help ${command}`,
    );
  const allowed = new Set<string>([...COMMANDS[command]!.flags, ...COMMON_FLAGS]);
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
      const reports: Report[] = [];
      const withBinaries = values['base-binary'] !== undefined || values['head-binary'] !== undefined;
      for (const flag of MEASUREMENT_FLAGS)
        if (!withBinaries && values[flag] !== undefined)
          throw new UsageError(
            `check takes --${flag} only with --base-binary and --head-binary`,
            undefined,
            'it selects what the two binaries are measured on',
          );
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
      for (const catalog of await catalogsToCheck(
        await repo.source(head),
        config,
        explicitCatalog(values, repo.dir),
      )) {
        reports.push(
          await checkRevisions({
            repoDir: repo.dir,
            base: values.base!,
            head: values.head!,
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
            .then((r) =>
              measured
                ? joinBinaries(r, measured, {
                    failOn,
                    failOnReview: values['fail-on-review'] ?? config.failOnReview,
                    waivers: config.waivers,
                    ignoreModels: config.ignoreModels,
                  })
                : r,
            )
            .finally(progress.done),
        );
      }
      return emitReports(reports, values);
    }
    case 'audit': {
      const repo = values.root ? undefined : new GitRepository(need(values, 'repo', 'audit'));
      const ref = values.ref ?? 'HEAD';
      const source = repo ? await repo.source(await repo.resolveCommit(ref)) : fsSource(values.root!);
      const config = await configFrom(source, values);
      const failOn = failOnOf(values, config);
      const reports: Report[] = [];
      for (const catalog of await catalogsToCheck(
        source,
        config,
        explicitCatalog(values, repo?.dir ?? values.root!),
      )) {
        const common = {
          catalog,
          failOn,
          waivers: config.waivers,
          ignoreModels: config.ignoreModels,
          hostRequirements: config.hostRequirements,
          catalogStore: catalogStoreOf(values),
          onStage: sizeYoungGenerationFor,
        };
        reports.push(
          repo
            ? await auditRevision({ ...common, repoDir: repo.dir, ref })
            : await audit({ ...common, head: source, headRef: { ref: values.root! } }),
        );
      }
      return emitReports(reports, values);
    }
    case 'expand': {
      keepYoungGenerationSmall();
      const root = workingTreeRoot(values);
      if (values.format && values.format !== 'json')
        throw new UsageError('expand writes JSON only (--format json)');
      const accel = (values.accel ?? 'kvm') as 'kvm' | 'tcg' | 'none';
      if (!['kvm', 'tcg', 'none'].includes(accel))
        throw new UsageError(`--accel ${accel} is not one of kvm, tcg, none`);
      const catalog = await readMachineCatalog(
        explicitCatalog(values, root) ?? (await detectCatalog(fsSource(root))),
        fsSource(root),
        { hostSupport: false },
      );
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
      const write = (text: string | readonly Uint8Array[]): Promise<void> | void => {
        if (file) return file.write(text);
        const parts = typeof text === 'string' ? [text] : text;
        process.stdout.cork();
        let flowing = true;
        for (const part of parts) flowing = process.stdout.write(part);
        process.stdout.uncork();
        if (!flowing) return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
      };
      for (const piece of renderExpansionJson(expansions, { indent })) await write(piece);
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
      const catalog = await readMachineCatalog(
        explicitCatalog(values, root) ?? (await detectCatalog(fsSource(root))),
        fsSource(root),
      );
      const { exportCatalog } = await import('../parse/generic/export.js');
      await emit(exportCatalog(catalog), values);
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

/** `--cache-dir`, else `CPU_MODEL_GUARD_CACHE_DIR`: catalogs kept between runs, by content. */
function catalogStoreOf(values: Values): DiskCatalogStore | undefined {
  const dir = values['cache-dir'] ?? process.env['CPU_MODEL_GUARD_CACHE_DIR'];
  return dir ? new DiskCatalogStore(dir, TOOL.version) : undefined;
}

/** The binaries and their selection, for `verify` and for `check` with binaries. */
function verifyFlags(
  values: Values,
  command: string,
): Pick<VerifyOptions, 'base' | 'head' | 'machines' | 'models' | 'accel' | 'timeoutMs'> {
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
function single(given: string[] | undefined, name: string, command: string): string | undefined {
  if (given && given.length > 1) throw new UsageError(`${command} takes --${name} once`);
  return given?.[0];
}

function checkCommand(command: string): void {
  if (!Object.hasOwn(COMMANDS, command))
    throw new UsageError(
      `unknown command ${command}`,
      undefined,
      didYouMean(command, Object.keys(COMMANDS)) ?? `commands: ${Object.keys(COMMANDS).join(', ')}`,
    );
}

/** parseArgs' own words name the option but not the command, nor what was probably meant. */
function parseArgsError(err: TypeError & { code: string }, argv: string[]): UsageError {
  const command = argv.find((a) => Object.hasOwn(COMMANDS, a));
  const helpHint = `run cpu-model-guard help${command ? ` ${command}` : ''}`;
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const name = unknown.replace(/^-+/, '');
    const candidates = command ? [...COMMANDS[command]!.flags, ...COMMON_FLAGS] : Object.keys(FLAGS);
    const suggestion = didYouMean(name, candidates);
    return new UsageError(
      `unknown flag ${unknown}${command ? ` for ${command}` : ''}`,
      undefined,
      suggestion ? suggestion.replace(/^did you mean /, 'did you mean --') : helpHint,
    );
  }
  const missing = /Option '(-{1,2}[^' ]+)(?: [^']*)?' argument missing/.exec(err.message)?.[1];
  if (missing) return new UsageError(`${missing} needs a value`, undefined, helpHint);
  return new UsageError(err.message.split('\n')[0]!, undefined, helpHint);
}

/** Errors a user can act on get one clear message and exit 2; anything else is a bug (exit 3). */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    if (err instanceof QemuBinaryError) {
      process.stderr.write(`cpu-model-guard: ${err.message}\n`);
      return EXIT_BINARY_ERROR;
    }
    if (err instanceof InputError) {
      process.stderr.write(`cpu-model-guard: ${err.describe()}\n`);
      return EXIT_INPUT_ERROR;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      const usage = parseArgsError(err as TypeError & { code: string }, argv);
      process.stderr.write(`cpu-model-guard: ${usage.describe()}\n`);
      return EXIT_INPUT_ERROR;
    }
    process.stderr.write(
      `cpu-model-guard: internal error: ${(err as Error)?.message ?? String(err)}\n  please report it with the command that caused it\n`,
    );
    return EXIT_INTERNAL_ERROR;
  }
}
