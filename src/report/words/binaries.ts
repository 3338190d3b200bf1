import {
  describeBits,
  describeCpuidRegister,
  type BinariesMeta,
  type CpuidRegisterChange,
} from '../../classify/binaries.js';
import type { FindingFacts } from '../../classify/classified.js';
import type { RuleWords } from './index.js';

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** Where a measured difference shows: `2 model(s) on 3 machine type(s) both binaries register (6 pair(s))`. */
const on = (f: Pick<FindingFacts, 'models' | 'machineTypes'>, pairs: number): string =>
  `${f.models.length} model(s) on ${f.machineTypes.length} machine type(s) both binaries register (${pairs} pair(s))`;

const registerBits = (r: CpuidRegisterChange): string =>
  `${describeCpuidRegister(r.leaf, r.subleaf, r.register)} ${describeBits(r.mask)}`;

export const binariesWords: RuleWords<BinariesMeta> = {
  'alias-retargeted': (f) => {
    const { base, head } = f.meta.binaries;
    return {
      title: `${f.models.join(', ')} resolves to ${f.after ?? 'no version'} instead of ${f.before ?? 'no version'}`,
      message: `query-cpu-definitions: alias-of was ${f.before ?? 'absent'} in ${base} and is ${f.after ?? 'absent'} in ${head}, for ${on(f, f.meta.pairs)}. A VM started on these machine types gets another model version after the upgrade.`,
      fix: 'keep the alias pointing where it did on released machine types (a compat property), or name the new version explicitly',
    };
  },
  'released-model-changed': (f) => {
    const { meta } = f;
    const { base, head } = meta.binaries;
    if (meta.measured === 'expansion')
      return {
        title: `${f.property} changed from ${String(f.before)} to ${String(f.after)} on machine types both binaries have`,
        message: `query-cpu-model-expansion type=full: ${f.property} is ${String(f.before)} in ${base} and ${String(f.after)} in ${head}, for ${on(f, meta.pairs)}. Released machine types must keep what their guests see.`,
        fix: `restore ${f.property}=${String(f.before)} on the released machine types (a compat property), or put the change in a new model version`,
      };
    const places = meta.registers.map((r) => {
      const presence =
        r.onlyIn === 'head'
          ? ` (only ${head}'s guest reads this leaf)`
          : r.onlyIn === 'base'
            ? ` (only ${base}'s guest reads this leaf)`
            : '';
      return `${registerBits(r)} (mask ${hex(r.mask)})${presence}`;
    });
    const shown =
      meta.registers.slice(0, 3).map(registerBits).join(', ') +
      (meta.registers.length > 3 ? ` and ${meta.registers.length - 3} more` : '');
    return {
      title: `The guest's CPUID differs on machine types both binaries have: ${shown}`,
      message:
        `The CPUID guest of ${head} reads other values than that of ${base}, for ${on(f, meta.pairs)}: ${places.join('; ')}` +
        (meta.explainedBy.length
          ? `. Expansion properties that changed on every one of these pairs: ${meta.explainedBy.join(', ')}.`
          : '. No expansion property changed value on all of these pairs: the difference comes from code, not from a property.') +
        (meta.accelGained.length
          ? ` Under ${meta.accel}, ${base} warned that it could not give, and ${head} gives: ${meta.accelGained.join(', ')}.`
          : '') +
        (meta.accelLost.length
          ? ` Under ${meta.accel}, ${head} warns that it cannot give: ${meta.accelLost.join(', ')}.`
          : ''),
      fix: 'gate the new behaviour on a CPU property that compat properties keep at the old value for released machine types, or put it in a new model version',
    };
  },
  'new-property-default': (f) => onlyOne(f, f.meta.binaries.head, f.after, f.meta.pairs),
  'property-removed': (f) => onlyOne(f, f.meta.binaries.base, f.before, f.meta.pairs),
  'machine-type-host-requirement': (f) => {
    const { base, head } = f.meta.binaries;
    return {
      title: `${f.property} turns on from one machine type to the next in ${head}`,
      message: `query-cpu-model-expansion type=full of ${head}: ${f.property} is on for ${f.models.join(', ')} on ${f.machineTypes.join(', ')} and off on the machine type before each (${f.meta.from.join(', ')}), which ${base} does not show. A VM moved to the newer machine type needs it from the host.`,
      fix: `leave ${f.property} off by default on the new machine type and put it in a new model version instead`,
    };
  },
};

/** A property one binary reports and the other does not have. */
function onlyOne(
  f: Pick<FindingFacts, 'models' | 'machineTypes' | 'property'>,
  binary: string,
  value: FindingFacts['before'],
  pairs: number,
) {
  return {
    title: `${f.property} is a property only ${binary} reports (${String(value)})`,
    message: `query-cpu-model-expansion type=full: only ${binary} has the property ${f.property} (${String(value)}), for ${on(f, pairs)}: a knob the other binary does not have. Whether guests see a difference is what the CPUID comparison of the same pairs shows.`,
    fix: 'none needed',
  };
}
