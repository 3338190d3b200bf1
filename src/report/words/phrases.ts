import type { DefaultCpuVersion, PropValue } from '../../catalog/model.js';
import type { HostRequirementFacts } from '../../classify/classified.js';
import type { Cause, CompatEntryRef } from '../../classify/machine-catalog.js';

/*
 * The phrases findings' sentences are made of: values, counts, lists and the cause of a change.
 * Every rule's wording builds on these, so that one fact reads the same in every finding.
 */

/** QEMU speaks of features as on/off; `null` means the property is not set at all. */
export function formatPropValue(value: PropValue | null | undefined): string {
  if (value === undefined) return '(not stated)';
  if (value === null) return '(absent)';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

export interface CollapsedList {
  shown: string[];
  /** How many items were left out of `shown`. */
  more: number;
}

export function collapseList(items: readonly string[], max: number): CollapsedList {
  if (items.length <= max) return { shown: [...items], more: 0 };
  // Showing all but one item and then "and 1 more" would save nothing.
  const keep = Math.max(1, max - 1);
  return { shown: items.slice(0, keep), more: items.length - keep };
}

/** A value in a sentence: `on`, `off`, `0`, `"GenuineIntel"`; `(unset)` when nothing sets it. */
export const fmt = (v: PropValue | undefined | null): string =>
  v === undefined || v === null ? '(unset)' : formatPropValue(v);

/** `1 machine type`, `51 machine types`, `2 properties`. */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : noun.endsWith('y') ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;
}

/** A list for a sentence: all of it when short, otherwise its first few and how many more. */
export function summary(items: readonly string[], shown = 3): string {
  const { shown: listed, more } = collapseList(items, shown + 1);
  if (more) return `${listed.join(', ')} and ${more} more`;
  return listed.length > 1 ? `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}` : (listed[0] ?? '');
}

/** Sentences start with a capital, unless they start with a property name (`avx512f added ...`). */
export const capitalize = (text: string): string =>
  /^(the|unversioned|machine type) /.test(text) ? `${text[0]!.toUpperCase()}${text.slice(1)}` : text;

/** `path:line`. */
export const at = (l: { path: string; line: number }): string => `${l.path}:${l.line}`;

/** What an unversioned name stands for under a default CPU version. */
export function versionWords(v: DefaultCpuVersion): string {
  return v === 'latest'
    ? 'their latest versions'
    : v === 'legacy'
      ? 'their unversioned definitions'
      : `version ${v}`;
}

/** A prop change in words: features are added and removed, other props change value. */
function propChange(
  where: string,
  property: string,
  before: PropValue | undefined,
  after: PropValue | undefined,
): string {
  if (before === undefined && after === true) return `${property} added to ${where}`;
  if (before === true && after === undefined) return `${property} removed from ${where}`;
  if (before === undefined) return `${where} sets ${property} to ${fmt(after)}`;
  if (after === undefined) return `${where} no longer sets ${property} (was ${fmt(before)})`;
  return `${where} changes ${property} from ${fmt(before)} to ${fmt(after)}`;
}

/** The change a finding comes from, as the start of a sentence. */
export function describeCause(c: Cause): string {
  switch (c.kind) {
    case 'model-prop':
      return propChange(`the definition of ${c.model}`, c.property, c.before, c.after);
    case 'version-prop':
      return propChange(`${c.model}-v${c.version}`, c.property, c.before, c.after);
    case 'compat-entry': {
      const target = c.target === '*' ? 'every CPU' : c.target;
      if (c.before === undefined) return `${c.set} now sets ${c.property} to ${c.after} for ${target}`;
      if (c.after === undefined)
        return `${c.set} no longer sets ${c.property} for ${target}, which was ${c.before}`;
      return `${c.set} changes ${c.property} for ${target} from ${c.before} to ${c.after}`;
    }
    case 'accel-default':
      return `the ${c.accel} accelerator default of ${c.property} ${fmt(c.before)} → ${fmt(c.after)}`;
    case 'property-default':
      return `the default of ${c.property} ${fmt(c.before)} → ${fmt(c.after)}`;
    case 'machine-type':
      return c.defaultCpuVersion && c.what.split('; ').length === 1
        ? `unversioned names on ${c.machineType} resolve to ${versionWords(c.defaultCpuVersion.after)}, not ${versionWords(c.defaultCpuVersion.before)}`
        : `machine type ${c.machineType}: ${c.what}`;
    case 'catalog-rule':
      return `the catalog's ${c.what}`;
  }
}

/** The cause as a sentence of its own. */
export const causeSentence = (c: Cause): string => capitalize(describeCause(c));

/** A compat array by name and place: `pc_compat_10_2 (hw/i386/pc.c:81)`. */
export const compatSetAt = (set: { name: string; path: string; line: number }): string =>
  `${set.name} (${at(set)})`;

/** A compat entry that keeps a property's value on some machine types, with its place. */
export function keeps(e: CompatEntryRef, on: string, join: ' ' | '=' = ' '): string {
  return `${e.set} keeps ${e.property}${join}${e.value} ${on} (${at(e)})`;
}

/** Why a finding's gained properties are host requirements, as reports say it. */
export function hostRequirementWhy(hr: HostRequirementFacts): string {
  switch (hr.cause.source) {
    case 'libvirt-feature':
      return hr.gained.length > 1
        ? 'CPU features: the host CPU must have them'
        : 'a CPU feature: the host CPU must have it';
    case 'measured-feature':
      return 'a CPU feature the guest is given, which the host must provide under KVM';
    case 'table': {
      const { reasons, defaultKind } = hr.cause;
      const why = (p: string): string =>
        reasons[p] ?? (defaultKind === 'kvm' ? 'needs KVM support' : 'needs the host CPU');
      return hr.gained.length === 1 ? why(hr.gained[0]!) : hr.gained.map((p) => `${p}: ${why(p)}`).join('; ');
    }
  }
}
