import type { PropValue } from '../../catalog/model.js';
import type { LibvirtMeta, LibvirtSharedMeta } from '../../classify/libvirt.js';
import type { FindingWords } from '../finding.js';
import type { RuleWords } from './index.js';

const NONE_NEEDED = 'none needed';

/** `model X` or `models X, Y`. */
function describeModels(models: string[]): string {
  return models.length === 1 ? `model ${models[0]}` : `models ${models.join(', ')}`;
}

/** A few names for a title or a sentence; the finding's `properties` has them all. */
function someNames(names: string[], max = 8): string {
  return names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max - 1).join(', ')} and ${names.length - max + 1} more`;
}

/** `them` or `it`, `s` or nothing: one sentence for one feature or many. */
function grammar(features: string[]): { them: string; fs: string; s: string } {
  const plural = features.length > 1;
  return {
    them: plural ? 'them' : 'it',
    fs: `feature${plural ? 's' : ''} ${someNames(features)}`,
    s: plural ? '' : 's',
  };
}

function describeValue(v: PropValue): string {
  return v === false ? 'absent' : v === true ? 'required' : String(v);
}

const FIX_OF: Record<LibvirtMeta['libvirt-model-changed']['change'], string> = {
  gain: "mark the feature added='yes', or add a new model version with it",
  loss: "keep the feature line and mark it removed='yes' (in every model that lists it: libvirt does not pass the mark on to models built on this one), or add a new model version without it",
  mark: "restore the line as it was: only adding removed='yes', or a new line with added='yes', leaves a released model's domains as they were",
  bits: 'revert the definition; define a feature with a new name for the new bits',
  vendor: 'revert and add a new model for the other vendor',
  signature: 'revert the signature change, or add a new model for the other CPUs',
};

/** Why a released model's change breaks its domains, by the kind of change. */
function modelChangedMessage(meta: LibvirtMeta['libvirt-model-changed']): string {
  const who = describeModels(meta.models);
  const { them, fs, s } = grammar(meta.features);
  const list = someNames(meta.features);
  switch (meta.change) {
    case 'gain':
      return `${who} gains ${fs} without added='yes': every domain already using the model would require ${them}, and hosts without ${them} could no longer run those domains.`;
    case 'loss':
      return meta.via
        ? `${who} loses ${fs}: ${meta.via} marks ${them} now, and libvirt passes only a base's plain features on to the models built on it (x86ModelParseAncestor), without disabling the others there: a domain with check='full' would fail to start when the hypervisor still enables ${them}.`
        : `${who} loses ${fs} (${describeValue(meta.before)} before): domains using the model would see their CPU change, with nothing left to keep ${them} for domains restored or migrated in.`;
    case 'mark':
      return `${who}: ${fs} change${s} from ${describeValue(meta.before)} to ${describeValue(meta.after)}.`;
    case 'bits':
      return `${who}: feature ${list} now means other bits (${String(meta.before)} before, ${String(meta.after)} now).`;
    case 'vendor':
      return `${who} changes vendor from ${String(meta.before)} to ${String(meta.after)}.`;
    case 'signature':
      return `${who} changes its CPU signatures from ${String(meta.before)} to ${String(meta.after)}.`;
  }
}

export const libvirtWords: RuleWords<LibvirtMeta> = {
  'libvirt-model-changed': ({ meta }): FindingWords => ({
    title: `released ${describeModels(meta.models)} changed: ${someNames(meta.features)}`,
    message: modelChangedMessage(meta),
    fix: FIX_OF[meta.change],
  }),
  'libvirt-feature-added': ({ meta }) => {
    const who = describeModels(meta.models);
    const { them, fs } = grammar(meta.features);
    return {
      title: `${someNames(meta.features)} added to ${who} with added='yes'`,
      message: `${who} gains ${fs}, marked added='yes': libvirt keeps ${them} out of the model's data, and check='full' does not fail a domain when the hypervisor enables ${them}.`,
      fix: NONE_NEEDED,
    };
  },
  'libvirt-feature-removed': ({ meta }) => {
    const who = describeModels(meta.models);
    const { them, fs } = grammar(meta.features);
    return {
      title: `${someNames(meta.features)} marked removed='yes' in ${who}`,
      message: `${who} marks ${fs} removed='yes': libvirt takes ${them} out of the model's data and writes ${them} disabled into the definition of every domain that starts fresh with the model; a domain restored or migrated in keeps ${them} enabled, so running guests see no change.`,
      fix: NONE_NEEDED,
    };
  },
  'libvirt-model-added': ({ meta }) => ({
    title: `new model ${meta.model}`,
    message: `model ${meta.model} is new; no guest uses it yet.`,
    fix: NONE_NEEDED,
  }),
  'libvirt-model-removed': ({ meta }) => ({
    title: `released model ${meta.model} removed`,
    message: `model ${meta.model} was removed from the cpu_map; guests defined with it can no longer start.`,
    fix: 'restore the model (and its include in index.xml): a released model stays for good',
  }),
};

/** The rules every catalog format has, worded for libvirt's models and files. */
export const libvirtSharedWords: RuleWords<LibvirtSharedMeta> = {
  'unreleased-change': ({ meta, models }) => {
    const who = describeModels(models);
    const list = someNames(meta.features);
    const them = models.length > 1 ? 'them' : 'it';
    const what =
      meta.change === 'model-removed'
        ? 'is removed'
        : `changes${meta.features.length ? ` (${meta.bits ? 'the bits of ' : ''}${list})` : ''}`;
    return {
      title: `unreleased ${who} changes${meta.features.length ? `: ${list}` : ''}`,
      message: `${who} ${what}, but the release revision does not have ${them}: no released libvirt ships ${models.length > 1 ? 'these models' : 'the model'}, so no domain uses ${them} yet.`,
      fix: NONE_NEEDED,
    };
  },
  'no-effective-change': ({ meta }) => ({
    title: `no model changes in ${meta.file}`,
    message: `${meta.file} changed, but no model did: ${meta.noLongerRead ? 'the file is no longer read' : 'comments, order, decode and check hints, or definitions no model uses'}`,
    fix: NONE_NEEDED,
  }),
};
