/**
 * What changed between two QEMU binaries, as the binaries themselves say: the ground truth a
 * release diff's findings are held against.
 */
import { NOT_CATALOG_MODELS } from './qemu-oracle.js';
import type { QmpDump, QmpValue } from './qmp.js';

export interface BinaryChange {
  machineType: string;
  model: string;
  /** The property as QEMU names it (every spelling QEMU reports is its own property). */
  property: string;
  /** Its value in the older binary's expansion; absent when that binary has no such property. */
  before?: QmpValue;
  /** Its value in the newer binary's expansion; absent when that binary has no such property. */
  after?: QmpValue;
}

/**
 * Every (machine type, model, property) whose `query-cpu-model-expansion type=full` value
 * differs between dump `a` (the older binary) and dump `b` (the newer), on the machine types
 * both dumps hold and the models both offer on that machine type; host, max and base are left
 * out (they follow the host and QEMU's newest features by design, and promise nothing).
 *
 * A property only one binary has counts when it reports a value other than `false`: a feature
 * the older binary does not know is a CPUID bit its guests never saw set, so `false` in the
 * newer one is no change, while `true` (or a knob's value) is. Ordered by machine type as in
 * `b`, then model, then property.
 *
 *   const changes = binaryChanges(await qmpDump({ binary: a }), await qmpDump({ binary: b }));
 *   changes.filter((c) => c.property === 'xlevel')
 */
export function binaryChanges(a: QmpDump, b: QmpDump): BinaryChange[] {
  const inA = new Set(a.machineTypes);
  const changes: BinaryChange[] = [];
  for (const machineType of b.machineTypes) {
    if (!inA.has(machineType)) continue;
    const before = a.expansions[machineType] ?? {};
    const after = b.expansions[machineType] ?? {};
    for (const model of Object.keys(after).sort()) {
      if (NOT_CATALOG_MODELS.has(model) || !(model in before)) continue;
      const x = before[model];
      const y = after[model];
      for (const property of [...new Set([...Object.keys(x), ...Object.keys(y)])].sort()) {
        const has = { a: property in x, b: property in y };
        if (has.a && has.b) {
          if (x[property] !== y[property])
            changes.push({ machineType, model, property, before: x[property], after: y[property] });
        } else if (has.a ? x[property] !== false : y[property] !== false) {
          changes.push({
            machineType,
            model,
            property,
            ...(has.a ? { before: x[property] } : { after: y[property] }),
          });
        }
      }
    }
  }
  return changes;
}
