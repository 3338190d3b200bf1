import type { Classified, RuleId } from '../../classify/classified.js';
import type {
  AliasRetarget,
  MachineCatalogMeta,
  NewPropertyEntry,
  ReleasedRemedy,
} from '../../classify/machine-catalog.js';
import type { FindingWords } from '../finding.js';
import type { RuleWords } from './index.js';

/** A finding of one of this module's rules, with the facts this module states for it. */
type Of<R extends keyof MachineCatalogMeta & RuleId> = Classified<R> & { meta: MachineCatalogMeta[R] };
import { at, causeSentence, compatSetAt, count, fmt, keeps, summary } from './phrases.js';

const NONE_NEEDED = 'none needed';

/** `A, B removed`: a removal's title, whatever its rule. */
const removedTitle = (names: string[]): string => `${names.join(', ')} removed`;

const aliasTitle = (a: AliasRetarget): string =>
  `Alias ${a.name} now points to ${a.to.model}-v${a.to.version}`;

const aliasMessage = (a: AliasRetarget): string =>
  `${a.name} stood for ${a.from.model}-v${a.from.version} and now stands for ${a.to.model}-v${a.to.version}: VMs using the name see a different CPU.`;

const NEW_PROPERTY = 'is a CPU property the base does not have';

/** `pc_compat_10_0 (hw/i386/pc.c:81)`, or `a compat array (...)` when no array holds the entry. */
const entryAt = (e: NewPropertyEntry): string => `${e.set ?? 'a compat array'} (${at(e)})`;

/** `all 51 machine types the base had`, `3 of the 51 machine types the base had`. */
const ofBase = (n: number, of: number): string =>
  n === of ? `all ${n} machine types the base had` : `${n} of the ${of} machine types the base had`;

const TYPE_2 =
  'moving a VM to the newer machine type can make it unrunnable on a host that runs it today, a type-2 machine change.';

const RELEASED_NEVER_CHANGES =
  'A released model never changes: VMs that run today would see another CPU, or stop running, after an update.';

function releasedFix(
  remedy: ReleasedRemedy,
  f: Of<'released-model-changed'>,
  cause: { kind: string; set?: string },
): string {
  const gained = f.hostRequirement?.gained ?? [];
  switch (remedy.kind) {
    case 'new-version':
      return `revert it and add the change as a new version ${remedy.name}`;
    case 'keep-old-value':
      return `keep the old value for released machine types: add ${remedy.entry} to ${remedy.set}`;
    case 'move-compat-entry':
      return remedy.newest
        ? `revert it: ${cause.set} reaches released machine types. To change ${f.property} only on newer ones, make the new value the default and add ${remedy.entry ?? `the old value of ${f.property}`} to ${compatSetAt(remedy.newest)}, the newest compat array only released machine types get`
        : `revert it: ${cause.set} reaches released machine types, and no compat array reaches only released ones. Open the next machine types first; then make the new value the default and keep the old one in the compat array of the newest released machine types`;
    case 'new-versions':
      return `revert it: a default every model shares cannot ask more of the host; put ${summary(gained)} in new model versions`;
    case 'revert':
      return remedy.newest
        ? `revert it, or keep the old value on released machine types with a compat entry in ${compatSetAt(remedy.newest)}`
        : 'revert it; to change newer machine types only, open the next machine types first and keep the old value for the released ones in a compat entry';
  }
}

function releasedModelChanged(f: Of<'released-model-changed'>): FindingWords {
  const { meta } = f;
  if (meta.kind === 'new-property') {
    const value = fmt(f.after);
    return {
      title: `${f.property} is new, and released machine types get its new default ${value}`,
      message:
        `${f.property} ${NEW_PROPERTY}. ${entryAt(meta.keptBy)} sets it to ${meta.keptBy.value} for older machine types: ` +
        `the value that keeps their old behaviour, so the default ${value} is the new one. ` +
        `${count(f.machineTypes.length, 'released machine type')} that the entry does not reach (${summary(f.machineTypes)}) now get the default: ` +
        'the guest of every model on them changes.',
      fix: meta.addTo
        ? `keep the old behaviour on every released machine type: add ${meta.entry} to ${meta.addTo}`
        : `keep the old behaviour on every released machine type with a compat entry ${meta.entry}`,
    };
  }
  const cause = causeSentence(meta.cause);
  const gained = f.hostRequirement?.gained ?? [];
  return {
    title: `${cause}: released models change`,
    message:
      `${cause}. On ${count(f.machineTypes.length, 'released machine type')} the guest of ${count(f.models.length, 'released model name')} now sees ` +
      `${f.property} ${fmt(f.before)} → ${fmt(f.after)}` +
      (gained.length ? `, and the host must now provide ${summary(gained)}` : '') +
      `. ${RELEASED_NEVER_CHANGES}`,
    fix: releasedFix(meta.remedy, f, meta.cause),
  };
}

/**
 * What the host must newly provide, in one sentence, for check and audit alike: who requires
 * what from the host on which machine types, which older ones did not, and the compat entries
 * that keep them so.
 */
function hostGainSentence(f: Of<'machine-type-host-requirement'>, keptOn: string): string {
  const { models, machineTypes } = f;
  const gained = f.hostRequirement?.gained ?? [];
  const { olderMachineTypes, keptBy } = f.meta;
  return (
    `${models.length === 1 ? models[0] : `${count(models.length, 'model name')} (${summary(models)})`} on ${summary(machineTypes)} ` +
    `${models.length === 1 ? 'requires' : 'require'} ${gained.length === 1 ? gained[0] : `${gained.length} properties (${summary(gained)})`} from the host, ` +
    `which ${summary(olderMachineTypes)} did not` +
    (keptBy.length ? `; ${keptBy.map((k) => keeps(k, keptOn)).join('; ')}` : '')
  );
}

function hostRequirementTitle(gained: string[]): string {
  return `${summary(gained)} ${gained.length === 1 ? 'becomes a host requirement' : 'become host requirements'} on newer machine types`;
}

function machineTypeHostRequirement(f: Of<'machine-type-host-requirement'>): FindingWords {
  const { meta } = f;
  const gained = f.hostRequirement?.gained ?? [];
  const them = gained.length === 1 ? 'it' : 'them';
  if (meta.kind === 'snapshot') {
    return {
      title: hostRequirementTitle(gained),
      message: `${hostGainSentence(f, 'on older machine types')}: ${TYPE_2}`,
      fix: `waive it with its reason, or move ${summary(gained)} into a new model version`,
    };
  }
  const cause = causeSentence(meta.cause);
  const cpuVersion = meta.cause.kind === 'machine-type' ? meta.cause.defaultCpuVersion : undefined;
  return {
    title: cpuVersion
      ? `${cause}: ${count(gained.length, 'property')} become host requirements`
      : hostRequirementTitle(gained),
    message: `${cause}. ${hostGainSentence(f, 'on released machine types')}: ${TYPE_2}`,
    fix: cpuVersion
      ? `set the default CPU version of ${summary(f.machineTypes)} back to ${cpuVersion.before} at ${at(f.location)}: ` +
        'unversioned names keep the version older machine types give them, and a guest that wants a newer version names it'
      : meta.newVersion
        ? `leave ${summary(gained)} off by default and add ${them} in a new version ${meta.newVersion}`
        : `leave ${summary(gained)} off by default; put ${them} in a new model version`,
  };
}

function compatConfinedChange(f: Of<'compat-confined-change'>): FindingWords {
  const { meta } = f;
  switch (meta.kind) {
    case 'change': {
      const cause = causeSentence(meta.cause);
      return {
        title: `${cause}, confined to unreleased machine types`,
        message:
          `${cause}. Only ${summary(f.machineTypes)}, not released yet, see ${f.property} ${fmt(f.before)} → ${fmt(f.after)}` +
          (meta.keptBy.length
            ? `; ${meta.keptBy.map((e) => keeps(e, 'for released machine types', '=')).join('; ')}`
            : '') +
          ', and no host requirement grows.',
        fix: NONE_NEEDED,
      };
    }
    case 'new-property-unreleased':
      return {
        title: `${f.property} is new; only unreleased machine types get its default ${fmt(f.after)}`,
        message:
          `${f.property} ${NEW_PROPERTY}. ${entryAt(meta.keptBy)} sets it to ${meta.keptBy.value} for older machine types; ` +
          `the machine types that get the default ${fmt(f.after)} instead (${f.machineTypes.join(', ')}) are not released yet.`,
        fix: NONE_NEEDED,
      };
    case 'new-property-confined': {
      const on = ofBase(meta.confined, meta.baseMachineTypes);
      const set = meta.keptBy.set ?? 'a compat array';
      return {
        title: `${f.property} is new, and ${set} sets it to ${meta.keptBy.value} for ${on}`,
        message:
          `${f.property} ${NEW_PROPERTY}. On ${on}, ${entryAt(meta.keptBy)} sets it to ${meta.keptBy.value} ` +
          `for ${meta.keptBy.target === '*' ? 'every CPU' : meta.keptBy.target}: the value that keeps their old behaviour, ` +
          'so only newer machine types get the new one, and no host requirement grows.' +
          (meta.newDefault
            ? ` The machine types that get the default ${fmt(meta.newDefault.value)} (${meta.newDefault.machineTypes.join(', ')}) are not released yet.`
            : ''),
        fix: NONE_NEEDED,
      };
    }
  }
}

function unreleasedChange(f: Of<'unreleased-change'>): FindingWords {
  const { meta, models } = f;
  switch (meta.kind) {
    case 'name-removed': {
      const many = models.length > 1;
      return {
        title: removedTitle(models),
        message: `${models.join(', ')} ${many ? 'were' : 'was'} never released, so removing ${many ? 'them' : 'it'} affects no VM.`,
        fix: NONE_NEEDED,
      };
    }
    case 'alias-retargeted':
      return { title: aliasTitle(meta), message: aliasMessage(meta), fix: NONE_NEEDED };
    case 'change': {
      const cause = causeSentence(meta.cause);
      return {
        title: `${cause}: only unreleased entries change`,
        message: `${cause}. It reaches only names that were never released${models.length ? `: ${summary(models)}` : ''}.`,
        fix: NONE_NEEDED,
      };
    }
  }
}

export const machineCatalogWords: RuleWords<MachineCatalogMeta> = {
  'model-added': ({ meta }) => ({
    title: `New CPU model ${meta.model}`,
    message: `${meta.model} is a new model (${meta.names.join(', ')}); no existing VM can be using it.`,
    fix: NONE_NEEDED,
  }),
  'version-added': ({ meta }) => ({
    title: `New model version ${meta.name}`,
    message: `${meta.name} is a new version of ${meta.model}${meta.alias ? ` (alias ${meta.alias})` : ''}: released names keep their definitions.`,
    fix: NONE_NEEDED,
  }),
  'alias-added': ({ meta }) => ({
    title: `New alias ${meta.name}`,
    message: `${meta.name} is a new name for ${meta.model}-v${meta.version}.`,
    fix: NONE_NEEDED,
  }),
  'released-name-removed': ({ meta, models }) => ({
    title: removedTitle(models),
    message: `${models.join(', ')} ${models.length > 1 ? 'are released model names' : 'is a released model name'}: VMs configured with ${models.length > 1 ? 'them' : 'it'} no longer start.`,
    fix: `keep ${meta.model}; deprecate it first (a deprecation note) and remove it in a later release`,
  }),
  'deprecated-name-removed': ({ meta, models }) => ({
    title: removedTitle(models),
    message: `${models.join(', ')}: deprecated (${meta.deprecation}) before the removal.`,
    fix: NONE_NEEDED,
  }),
  'alias-retargeted': ({ meta }) => ({
    title: aliasTitle(meta),
    message: aliasMessage(meta),
    fix: `keep ${meta.name} on ${meta.from.model}-v${meta.from.version} and give the new version a new alias`,
  }),
  'name-conflict': ({ meta }) => ({
    title: `${meta.name} is registered twice`,
    message: `${meta.name} is registered by ${meta.first} and again by ${meta.again}; one of them is unreachable.`,
    fix: 'give one of them another name',
  }),
  'released-model-changed': releasedModelChanged,
  'machine-type-host-requirement': machineTypeHostRequirement,
  'compat-confined-change': compatConfinedChange,
  'new-property-default': (f) => ({
    title: `${f.property} is new; the machine types the base had get its default ${fmt(f.after)}`,
    message:
      `${f.property} ${NEW_PROPERTY}${f.meta.declaredAt ? ` (${at(f.meta.declaredAt)})` : ''}, and no model, ` +
      `version or compat entry sets it: on ${ofBase(f.machineTypes.length, f.meta.baseMachineTypes)} it takes its default, ${fmt(f.after)}. ` +
      'A new property names behaviour the base had fixed in code; by the convention that keeps machine types stable, ' +
      'a default that changed old machine types would come with a compat entry restoring the old value. ' +
      'Whether the default equals the old behaviour lies in that code, which the catalog tables do not show.',
    fix: 'none needed; if the default changes what released machine types did, add a compat entry with the old value to the newest released compat array',
  }),
  'unreleased-change': unreleasedChange,
  'no-effective-change': ({ meta }) => {
    const did = [
      ...(meta.addedMachineTypes.length ? [`adds machine types ${meta.addedMachineTypes.join(', ')}`] : []),
      ...(meta.releasedMachineTypes.length ? [`releases ${meta.releasedMachineTypes.join(', ')}`] : []),
    ];
    return {
      title: `${meta.file} changed without changing any CPU model`,
      message: did.length
        ? `The edit changes no effective model of a name the base had on a machine type the base had; it ${did.join(', and ')}.`
        : 'The edit changes no effective model on any machine type: comments, order or formatting.',
      fix: NONE_NEEDED,
    };
  },
};
