import { createWriteStream, type WriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadConfig, type GuardConfig } from '../config/config.js';
import { audit, expandEach, parseCatalogSpec, readMachineCatalog, TOOL, type CatalogSpec } from '../engine.js';
import { EXIT_FINDINGS, EXIT_INPUT_ERROR, EXIT_INTERNAL_ERROR, EXIT_OK, InputError, UsageError } from '../errors.js';
import { exportCatalog } from '../parse/generic/export.js';
import type { FailOn, Report } from '../report/finding.js';
import { parseReportFormat, renderReport } from '../report/render.js';
import { fsSource } from '../source/fs-source.js';
import { auditRevision, checkRevisions } from '../source/revisions.js';

const USAGE = `cpu-model-guard ${TOOL.version}: guards CPU model catalogs (QEMU x86, libvirt cpu_map, generic)

Usage:
  cpu-model-guard check  --repo DIR --base REV --head REV [--catalog FORMAT:PATH] [--format text|json|markdown|sarif]
                         [--fail-on type-2|new-model-required|never] [--release-ref REV] [--config FILE] [--output FILE]
  cpu-model-guard audit  (--repo DIR [--ref REV] | --root DIR) [--catalog FORMAT:PATH] [--format ...] [--fail-on ...]
  cpu-model-guard expand --root DIR [--catalog FORMAT:PATH] [--machine NAME] [--model NAME] [--accel kvm|tcg|none] [--format json]
  cpu-model-guard export --root DIR [--catalog qemu-x86:PATH] --format catalog

Catalog formats: qemu-x86:DIR (default qemu-x86:.), libvirt-cpu-map:DIR, catalog:FILE.
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
  if (typeof v !== 'string' || !v) throw new UsageError(`${command} needs --${name}`, undefined, `run cpu-model-guard --help`);
  return v;
}

function failOnOf(values: Values, config?: GuardConfig): FailOn {
  const v = values['fail-on'] ?? config?.failOn ?? 'type-2';
  if (!FAIL_ON.includes(v as FailOn)) throw new UsageError(`--fail-on ${v} is not one of ${FAIL_ON.join(', ')}`);
  return v as FailOn;
}

async function configOf(values: Values, dir: string | undefined): Promise<GuardConfig | undefined> {
  if (!dir) return undefined;
  return loadConfig(fsSource(dir), values.config, values.config !== undefined);
}

function catalogOf(values: Values, config?: GuardConfig): CatalogSpec {
  if (values.catalog) return parseCatalogSpec(values.catalog);
  const configured = config?.catalogs[0];
  if (configured) return { format: configured.format, path: configured.path };
  return { format: 'qemu-x86', path: '.' };
}

async function emit(text: string, values: Values): Promise<void> {
  if (values.output) await writeFile(values.output, text.endsWith('\n') ? text : `${text}\n`);
  else process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function emitReport(report: Report, values: Values): Promise<number> {
  const format = parseReportFormat(values.format ?? 'text', '--format');
  await emit(renderReport(report, format, { color: values.color ?? (!values.output && process.stdout.isTTY === true) }), values);
  return report.result === 'fail' ? EXIT_FINDINGS : EXIT_OK;
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
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`, undefined, 'run cpu-model-guard --help');
  switch (command) {
    case 'check': {
      const repoDir = need(values, 'repo', 'check');
      const config = await configOf(values, repoDir);
      const report = await checkRevisions({
        repoDir,
        base: need(values, 'base', 'check'),
        head: need(values, 'head', 'check'),
        catalog: catalogOf(values, config),
        failOn: failOnOf(values, config),
        releaseRef: values['release-ref'],
        waivers: config?.waivers,
        ignoreModels: config?.ignoreModels,
        hostRequirements: config?.hostRequirements,
      });
      return emitReport(report, values);
    }
    case 'audit': {
      const dir = values.root ?? need(values, 'repo', 'audit');
      const config = await configOf(values, dir);
      const common = {
        catalog: catalogOf(values, config),
        failOn: failOnOf(values, config),
        waivers: config?.waivers,
        ignoreModels: config?.ignoreModels,
        hostRequirements: config?.hostRequirements,
      };
      const report = values.root
        ? await audit({ ...common, head: fsSource(values.root), headRef: { ref: values.root } })
        : await auditRevision({ ...common, repoDir: dir, ref: values.ref ?? 'HEAD' });
      return emitReport(report, values);
    }
    case 'expand': {
      const root = need(values, 'root', 'expand');
      if (values.format && values.format !== 'json') throw new UsageError('expand writes JSON only (--format json)');
      const accel = (values.accel ?? 'kvm') as 'kvm' | 'tcg' | 'none';
      if (!['kvm', 'tcg', 'none'].includes(accel)) throw new UsageError(`--accel ${accel} is not one of kvm, tcg, none`);
      const catalog = await readMachineCatalog(catalogOf(values), fsSource(root));
      // Everything on every machine type is tens of megabytes: written one machine type at a
      // time, and indented only for a person at a terminal.
      const indent = !values.output && process.stdout.isTTY ? 2 : undefined;
      const expansions = expandEach({ catalog, machine: values.machine, model: values.model, accel });
      const out = values.output ? createWriteStream(values.output) : process.stdout;
      const write = (text: string): Promise<void> | void => {
        if (!out.write(text)) return new Promise((resolve) => out.once('drain', () => resolve()));
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
          .map(([name, props]) => (indent ? `\n    ${JSON.stringify(name)}: ${json(props).replace(/\n/g, '\n    ')}` : `${JSON.stringify(name)}:${json(props)}`))
          .join(',');
        await write(`${first ? '' : ','}${indent ? '\n  ' : ''}${JSON.stringify(machineType)}:${indent ? ' ' : ''}{${body}${indent ? '\n  ' : ''}}`);
        first = false;
      }
      await write(`${indent ? '\n' : ''}}\n`);
      if (out !== process.stdout) await new Promise<void>((resolve, reject) => (out as WriteStream).end((err?: Error | null) => (err ? reject(err) : resolve())));
      return EXIT_OK;
    }
    case 'export': {
      const root = need(values, 'root', 'export');
      if (values.format !== 'catalog') throw new UsageError('export writes the generic catalog format: pass --format catalog');
      const catalog = await readMachineCatalog(catalogOf(values), fsSource(root));
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
    process.stderr.write(`cpu-model-guard: internal error: ${(err as Error)?.message ?? String(err)}\n  please report it with the command that caused it\n`);
    return EXIT_INTERNAL_ERROR;
  }
}

