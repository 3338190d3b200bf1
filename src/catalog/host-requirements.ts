import type { FeatureInfo, HostRequirementTable, HostRequirementKind } from './model.js';

/**
 * QEMU x86 under KVM: what a feature asks of the host. Features KVM or QEMU offer without host
 * CPU support ask nothing; KVM paravirtual features ask the host kernel, except the baseline
 * that QEMU's minimum supported kernel (Linux 4.5) always has. Projects override entries in
 * their configuration (a newer minimum kernel, say).
 */
export const QEMU_EMULATED_FEATURES: Record<string, string> = {
  x2apic: 'emulated by KVM',
  'tsc-adjust': 'emulated by KVM',
  'kvm-msi-ext-dest-id': 'implemented in QEMU userspace',
};

/**
 * What QEMU adds in kvm_arch_get_supported_cpuid() (target/i386/kvm/kvm.c) as of QEMU 10.x:
 * used only for a tree whose kvm.c is not there to be read.
 */
export const QEMU_OFFERED_FEATURES: Record<string, string> = {
  hypervisor: 'set by QEMU itself',
  'tsc-deadline': 'offered by QEMU with the in-kernel irqchip',
  arat: 'offered by QEMU on every host',
  topoext: 'offered by QEMU on every host',
  'overflow-recov': 'offered by QEMU on every host',
  succor: 'offered by QEMU on every host',
};

export const QEMU_KVM_BASELINE = [
  'kvmclock',
  'kvm-nopiodelay',
  'kvm-asyncpf',
  'kvm-steal-time',
  'kvm-pv-eoi',
  'kvmclock-stable-bit',
];

const KVM_WORDS = new Set(['FEAT_KVM', 'FEAT_KVM_HINTS']);

/**
 * `offered`: what the tree's own kvm_arch_get_supported_cpuid() adds, when it could be read;
 * `undefined` falls back to QEMU_OFFERED_FEATURES.
 */
export function qemuHostRequirements(
  features: FeatureInfo[],
  offered?: { feature: string; why: string }[],
): HostRequirementTable {
  const properties: HostRequirementTable['properties'] = {};
  const offeredWhy = new Map(
    offered ? offered.map((o) => [o.feature, o.why]) : Object.entries(QEMU_OFFERED_FEATURES),
  );
  for (const f of features) {
    let kind: HostRequirementKind = 'cpu';
    let why = `needs the host CPU to have it (${f.word})`;
    const emulated = QEMU_EMULATED_FEATURES[f.name] ?? offeredWhy.get(f.name);
    if (emulated) {
      kind = 'none';
      why = emulated;
    } else if (KVM_WORDS.has(f.word)) {
      kind = QEMU_KVM_BASELINE.includes(f.name) ? 'none' : 'kvm';
      why =
        kind === 'none'
          ? "in the KVM baseline of QEMU's minimum host kernel"
          : 'needs KVM support in the host kernel';
    }
    properties[f.name] = { kind, why };
  }
  return {
    defaultKind: 'none',
    properties,
    source: offered
      ? "QEMU x86 defaults, with the tree's kvm_arch_get_supported_cpuid()"
      : 'QEMU x86 defaults',
  };
}

/** Applies a project's overrides on top of a table. */
export function overrideHostRequirements(
  table: HostRequirementTable,
  overrides: Record<string, { kind: HostRequirementKind; why: string }>,
  source: string,
): HostRequirementTable {
  if (!Object.keys(overrides).length) return table;
  return {
    ...table,
    properties: { ...table.properties, ...overrides },
    source: `${table.source}; overrides from ${source}`,
  };
}
