import type { Catalog } from '../../catalog/model.js';
import { qemuHostRequirements } from '../../catalog/host-requirements.js';
import { CatalogError } from '../../errors.js';
import type { CatalogSource } from '../../source/catalog-source.js';
import { readLevelRules } from './cpu-levels.js';
import { CpuTableReader, findFunction } from './cpu-tables.js';
import { readCpuidCode, type CpuidCode } from './cpuid-code.js';
import { loadQemuTree } from './files.js';
import { readInstanceProperties } from './instance-properties.js';
import { readCompatSets, readMachineTypes } from './machines.js';

/**
 * Reads the x86 CPU model catalog of a QEMU source tree (format `qemu-x86`): every model,
 * version and alias, the machine types of both PC families with the compat arrays they really
 * get, and the accelerator defaults. Anything it cannot read is an error naming the file and
 * line; it never returns part of a catalog.
 */
export interface QemuReadOptions {
  /**
   * Read target/i386/kvm/kvm.c for what QEMU offers on every KVM host (default). Only host
   * requirements need it; effective models do not.
   */
  hostSupport?: boolean;
  /** Also read the guest-CPUID functions (for checks of code hunks), with a project's own. */
  cpuidCode?: { extraFunctions?: readonly string[] };
}

export async function readQemuX86Catalog(
  source: CatalogSource,
  root = '.',
  options: QemuReadOptions = {},
): Promise<Catalog> {
  return (await readQemuX86(source, root, options)).catalog;
}

/** The catalog, and with `cpuidCode` the functions whose code decides guest CPUID. */
export async function readQemuX86(
  source: CatalogSource,
  root = '.',
  options: QemuReadOptions = {},
): Promise<{ catalog: Catalog; cpuidCode?: CpuidCode }> {
  const hostSupport = options.hostSupport ?? true;
  const tree = await loadQemuTree(source, root, hostSupport ? [] : ['kvmC', 'kvmOldC']);
  const projectVersion = tree.text.version!.trim();
  if (!/^\d+\.\d+\.\d+$/.test(projectVersion)) {
    throw new CatalogError(`VERSION says "${projectVersion.slice(0, 40)}", expected MAJOR.MINOR.MICRO`, {
      path: tree.path('version'),
      line: 1,
    });
  }
  const cpu = new CpuTableReader(tree);
  cpu.readFeatureWords();
  const propertyDefaults = cpu.readPropertyDefaults();
  for (const f of cpu.features) propertyDefaults[f.name] = false;
  // A model's .level/.xlevel/.xlevel2 are minimums (`min-level`); the CPUID level a guest sees
  // starts from them, not from the "unset" marker the level properties default to.
  Object.assign(propertyDefaults, {
    level: 0,
    xlevel: 0,
    xlevel2: 0,
    family: 0,
    model: 0,
    stepping: 0,
    vendor: '',
    'model-id': '',
  });
  const models = cpu.readModels();
  const notes: string[] = [];
  const compatSets = readCompatSets(tree, cpu);
  const machineTypes = readMachineTypes(tree, cpu, projectVersion, compatSets, notes);
  let offered: ReturnType<CpuTableReader['readFeaturesOfferedByQemu']> | undefined;
  if (hostSupport && tree.text.kvmC === undefined && tree.text.kvmOldC === undefined) {
    // Without it every feature would be judged a host requirement: a guess, not QEMU's word.
    throw new CatalogError(
      `neither ${tree.path('kvmC')} nor ${tree.path('kvmOldC')} is in ${source.label}`,
      { path: tree.path('kvmC') },
      'kvm_arch_get_supported_cpuid() in it says which features QEMU offers on every KVM host; point the catalog at a complete QEMU source tree',
    );
  }
  if (tree.text.kvmC !== undefined || tree.text.kvmOldC !== undefined) {
    offered = cpu.readFeaturesOfferedByQemu();
    if (!offered.length) {
      const found = findFunction(tree, 'kvm_arch_get_supported_cpuid', ['kvmC', 'kvmOldC']);
      const key = found?.key ?? (tree.text.kvmC !== undefined ? 'kvmC' : 'kvmOldC');
      throw new CatalogError(
        found
          ? 'kvm_arch_get_supported_cpuid() adds no feature cpu-model-guard can read (`if (function == LEAF && reg == R_X) { ret |= BITS; }`)'
          : 'kvm_arch_get_supported_cpuid() was not found',
        { path: tree.path(key), line: found?.body.line ?? 1 },
        'it says which features QEMU offers on every KVM host; host requirements are judged from it',
      );
    }
  }
  const hypervisor = cpu.features.find((f) => f.name === 'hypervisor');
  const cpuidCode = options.cpuidCode
    ? readCpuidCode(tree, cpu, options.cpuidCode.extraFunctions ?? [])
    : undefined;
  const catalog: Catalog = {
    format: 'qemu-x86',
    projectVersion,
    models,
    machineTypes,
    compatSets,
    accelDefaults: cpu.readAccelDefaults(),
    propertyDefaults,
    instanceProperties: readInstanceProperties(tree),
    propertyDefaultLocations: cpu.propertyDefaultLocations,
    // x86_cpu_load_model sets CPUID_EXT_HYPERVISOR on every model.
    alwaysOn: hypervisor ? [{ property: 'hypervisor', value: true, location: hypervisor.location! }] : [],
    features: cpu.features,
    featureDependencies: cpu.readFeatureDependencies(),
    levelRules: readLevelRules(tree, cpu),
    minimumOf: { 'min-level': 'level', 'min-xlevel': 'xlevel', 'min-xlevel2': 'xlevel2' },
    accelClears: { tcg: cpu.readWordsClearedWithoutKvm(), none: cpu.readWordsClearedWithoutKvm() },
    hostRequirements: qemuHostRequirements(cpu.features, offered),
    files: tree.files,
    notes,
  };
  return cpuidCode ? { catalog, cpuidCode } : { catalog };
}
