import { parseArgs } from 'node:util';
import { loadConfig, type GuardConfig } from '../config/config.js';
import {
  audit,
  expandEach,
  parseCatalogSpec,
  readMachineCatalog,
  TOOL,
  type CatalogSpec,
} from '../engine.js';
import {
  EXIT_FINDINGS,
  EXIT_INPUT_ERROR,
  EXIT_INTERNAL_ERROR,
  EXIT_OK,
  InputError,
  UsageError,
} from '../errors.js';
import { exportCatalog } from '../parse/generic/export.js';
import type { FailOn, Report } from '../report/finding.js';
import { overallResult, parseReportFormat, renderReports } from '../report/render.js';
import type { CatalogSource } from '../source/catalog-source.js';
import { catalogsToCheck, detectCatalog } from '../source/catalogs.js';
import { GitRepository } from '../source/git-source.js';
import { fsSource } from '../source/fs-source.js';
import { openReportFile, writeReportFile } from '../source/report-file.js';
import { auditRevision, checkRevisions } from '../source/revisions.js';

const USAGE = `cpu-model-guard ${TOOL.version}: guards CPU model catalogs (QEMU x86, libvirt cpu_map, generic)

Usage:
  cpu-model-guard check  --repo DIR --base REV --head REV [--catalog FORMAT:PATH] [--format text|json|markdown|sarif]
                         [--fail-on type-2|new-model-required|never] [--release-ref REV] [--by-commit]
                         [--config FILE] [--output FILE]
  cpu-model-guard audit  (--repo DIR [--ref REV] | --root DIR) [--catalog FORMAT:PATH] [--format ...] [--fail-on ...]
  cpu-model-guard expand --root DIR [--catalog FORMAT:PATH] [--machine NAME] [--model NAME] [--accel kvm|tcg|none] [--format json]
  cpu-model-guard export --root DIR [--catalog qemu-x86:PATH] --format catalog

Catalog formats: qemu-x86:DIR, libvirt-cpu-map:DIR, catalog:FILE (default: the configuration's
catalogs, else the one found at the repository root).
--by-commit names, for each finding, the commit of base..head that introduced it.
Exit codes: 0 nothing reaches the fail threshold, 1 it does, 2 usage or input error, 3 internal error.`;

const FAIL_ON: readonly FailOn[] = ['type-2', 'new-model-required', 'never'];

const options = {
  repo: { type: 'string' },
  base: { type: 'string' },
  head: { type: 'string' },
  ref: { type: 'string' },
  root: { type: 'string' },
  catalog: { type: 'string' },
  format: { type: 'string' },
  'fail-on': { type: 'string' },
  'release-ref': { type: 'string' },
  'by-commit': { type: 'boolean' },
  config: { type: 'string' },
  output: { type: 'string' },
  machine: { type: 'string' },
  model: { type: 'string' },
  accel: { type: 'string' },
  color: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

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

/** The catalog named on the command line, if any. */
function explicitCatalog(values: Values): CatalogSpec | undefined {
  return values.catalog ? parseCatalogSpec(values.catalog) : undefined;
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
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? EXIT_OK : EXIT_INPUT_ERROR;
  }
  if (positionals.length > 1)
    throw new UsageError(`unexpected argument ${positionals[1]}`, undefined, 'run cpu-model-guard --help');
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
      for (const catalog of await catalogsToCheck(await repo.source(head), config, explicitCatalog(values))) {
        reports.push(
          await checkRevisions({
            repoDir: repo.dir,
            base: values.base!,
            head: values.head!,
            catalog,
            failOn,
            releaseRef: values['release-ref'],
            attributeCommits: values['by-commit'],
            waivers: config.waivers,
            ignoreModels: config.ignoreModels,
            hostRequirements: config.hostRequirements,
          }),
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
      for (const catalog of await catalogsToCheck(source, config, explicitCatalog(values))) {
        const common = {
          catalog,
          failOn,
          waivers: config.waivers,
          ignoreModels: config.ignoreModels,
          hostRequirements: config.hostRequirements,
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
      const root = need(values, 'root', 'expand');
      if (values.format && values.format !== 'json')
        throw new UsageError('expand writes JSON only (--format json)');
      const accel = (values.accel ?? 'kvm') as 'kvm' | 'tcg' | 'none';
      if (!['kvm', 'tcg', 'none'].includes(accel))
        throw new UsageError(`--accel ${accel} is not one of kvm, tcg, none`);
      const catalog = await readMachineCatalog(
        explicitCatalog(values) ?? (await detectCatalog(fsSource(root))),
        fsSource(root),
        { hostSupport: false },
      );
      // Everything on every machine type is tens of megabytes: written one machine type at a
      // time, and indented only for a person at a terminal.
      const indent = !values.output && process.stdout.isTTY ? 2 : undefined;
      const expansions = expandEach({ catalog, machine: values.machine, model: values.model, accel });
      const file = values.output ? await openReportFile(values.output) : undefined;
      const write = (text: string): Promise<void> | void => {
        if (file) return file.write(text);
        if (!process.stdout.write(text))
          return new Promise((resolve) => process.stdout.once('drain', () => resolve()));
      };
      let first = true;
      await write('{');
      // Machine types share effective models (the same object when nothing that reaches the
      // model differs), so each distinct one is serialized once.
      const serialized = new Map<object, string>();
      const json = (value: object): string => {
        let text = serialized.get(value);
        if (text === undefined) serialized.set(value, (text = JSON.stringify(value, null, indent)));
        return text;
      };
      for (const [machineType, models] of expansions) {
        const body = Object.entries(models)
          .map(([name, props]) =>
            indent
              ? `\n    ${JSON.stringify(name)}: ${json(props).replace(/\n/g, '\n    ')}`
              : `${JSON.stringify(name)}:${json(props)}`,
          )
          .join(',');
        await write(
          `${first ? '' : ','}${indent ? '\n  ' : ''}${JSON.stringify(machineType)}:${indent ? ' ' : ''}{${body}${indent ? '\n  ' : ''}}`,
        );
        first = false;
      }
      await write(`${indent ? '\n' : ''}}\n`);
      await file?.close();
      return EXIT_OK;
    }
    case 'export': {
      const root = need(values, 'root', 'export');
      if (values.format !== 'catalog')
        throw new UsageError('export writes the generic catalog format: pass --format catalog');
      const catalog = await readMachineCatalog(
        explicitCatalog(values) ?? (await detectCatalog(fsSource(root))),
        fsSource(root),
      );
      await emit(exportCatalog(catalog), values);
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown command ${command}`, undefined, 'commands: check, audit, expand, export');
  }
}

/** Errors a user can act on get one clear message and exit 2; anything else is a bug (exit 3). */
export async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`cpu-model-guard: ${err.describe()}\n`);
      return EXIT_INPUT_ERROR;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`cpu-model-guard: ${err.message}\n  hint: run cpu-model-guard --help\n`);
      return EXIT_INPUT_ERROR;
    }
    process.stderr.write(
      `cpu-model-guard: internal error: ${(err as Error)?.message ?? String(err)}\n  please report it with the command that caused it\n`,
    );
    return EXIT_INTERNAL_ERROR;
  }
}
