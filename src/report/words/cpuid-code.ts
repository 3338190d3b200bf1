import type { PropValue } from '../../catalog/model.js';
import { ungatedCompatLine, type CompatGate, type CpuidCodeMeta } from '../../classify/cpuid-code.js';
import type { RuleWords } from './index.js';

/** A property value as QEMU's compat entries and `-cpu` spell it. */
const qemuValue = (v: PropValue | undefined): string =>
  v === true ? 'on' : v === false ? 'off' : v === undefined ? '(unset)' : String(v);

const where = (meta: { function: string; why: string }): string => `${meta.function}() (${meta.why})`;

const entryText = (g: CompatGate): string =>
  `${g.set ?? 'a compat array'} (${g.entry.path}:${g.entry.line}) sets ${g.property} to ${g.entry.value}`;

export const cpuidCodeWords: RuleWords<CpuidCodeMeta> = {
  'cpuid-code-gated': ({ meta }) => ({
    title: `${meta.function}() changes behind ${meta.gate.property}`,
    message:
      (meta.movedBy
        ? `The change to ${where(meta)} reads no CPU property itself; the same change moves ${meta.movedBy.constant} behind ${meta.gate.property} in ${meta.movedBy.function}().`
        : `The change to ${where(meta)} reads ${meta.gate.property}.`) +
      ` On all ${meta.released} released machine types ${entryText(meta.gate)} against the default ${qemuValue(meta.gate.defaultValue)}: ` +
      'they keep the old behaviour, and only new machine types get the new one.',
    fix: 'none needed',
  }),
  'cpuid-code-half-gated': ({ meta, machineTypes }) => {
    const g = meta.gate;
    const line = `{ TYPE_X86_CPU, "${g.property}", "${g.entry.value}" },`;
    return {
      title: `${meta.function}() changes behind ${g.property}, which ${machineTypes.length} released machine type(s) do not keep off`,
      message:
        `The change to ${where(meta)} reads ${g.property}, and ${entryText(g)} for older machine types, ` +
        `but ${machineTypes.length} released machine type(s) (${machineTypes.join(', ')}) take its default ${qemuValue(g.defaultValue)}: ` +
        'there the guest sees the new behaviour, and a VM migrated from the release sees its CPU change.',
      fix: meta.confining
        ? `gate it on a new x- property set to the old behaviour in ${meta.confining} (the newest released compat array), or add ${line} there if ${g.property} alone describes the old behaviour`
        : `gate it on a new x- property that a compat entry sets to the old behaviour on every released machine type`,
    };
  },
  'cpuid-code-ungated': ({ meta, machineTypes }) => {
    const { property, field } = meta.suggested;
    return {
      title: `${meta.function}() changes what guests may see, on every machine type`,
      message:
        `The change to ${where(meta)} is not gated: ` +
        (meta.olderKnobs.length
          ? `the CPU properties it reads are knobs the base already had, which compat entries set only for older machine types (${meta.olderKnobs
              .map((k) => `${k.property} in ${k.set ?? 'a compat array'}, not from ${k.from} on`)
              .join('; ')})`
          : meta.reads.length
            ? `no compat entry of a released machine type sets the CPU properties it reads (${meta.reads.join(', ')})`
            : 'it reads no CPU property') +
        `, so all ${machineTypes.length} released machine types get the new code. If it changes CPUID, VMs see their CPU change under them and migration from the release breaks. ` +
        'cpu-model-guard does not evaluate this code: a refactor that keeps every leaf as it was is fine.',
      fix:
        `if guests see a difference, gate it on a new CPU property whose default is the new behaviour: ` +
        `DEFINE_PROP_BOOL("${property}", X86CPU, ${field}, true) in x86_cpu_properties[], the new code under \`if (cpu->${field})\`, ` +
        `and ${ungatedCompatLine(property)} in ${meta.confining ?? 'the newest released compat array'} (name the property after the behaviour it keeps)`,
    };
  },
};
