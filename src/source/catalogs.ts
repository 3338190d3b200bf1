import { expandCatalogPaths, type GuardConfig } from '../config/config.js';
import type { CatalogSpec } from '../engine.js';
import { UsageError } from '../errors.js';
import type { CatalogSource } from './catalog-source.js';

/**
 * The catalogs a run checks, the same for the CLI and the action: the one named on the
 * command line or in the action's input; else every catalog the configuration lists, globs
 * expanded; else the one found at the repository root.
 */
export async function catalogsToCheck(
  source: CatalogSource,
  config: GuardConfig,
  explicit?: CatalogSpec,
): Promise<CatalogSpec[]> {
  if (explicit) return [explicit];
  if (config.catalogs.length) {
    const expanded = await Promise.all(
      config.catalogs.map((c) => expandCatalogPaths(source, c, config.path)),
    );
    return expanded.flat().map((c) => ({ format: c.format, path: c.path }));
  }
  return [await detectCatalog(source)];
}

/** A QEMU tree or a libvirt checkout at the repository root. */
export async function detectCatalog(source: CatalogSource): Promise<CatalogSpec> {
  if ((await source.readFile('target/i386/cpu.c')) !== undefined) return { format: 'qemu-x86', path: '.' };
  if ((await source.listFiles('src/cpu_map')).some((f) => f.endsWith('.xml'))) {
    return { format: 'libvirt-cpu-map', path: 'src/cpu_map' };
  }
  throw new UsageError(
    `no CPU model catalog found at the root of ${source.label}`,
    undefined,
    'name the catalog (qemu-x86:PATH, libvirt-cpu-map:PATH or catalog:FILE), or list it in .github/cpu-model-guard.yml',
  );
}
