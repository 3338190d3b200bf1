import type { SourceLocation } from '../../catalog/model.js';
import { CatalogError } from '../../errors.js';
import { matchingBrace } from '../c/initializer.js';
import { tokenize, stringValue } from '../c/tokenizer.js';
import type { QemuTree } from './files.js';

/**
 * The properties that identify one CPU of a machine rather than the CPU model: QEMU's own
 * list is the QAPI struct `CpuInstanceProperties` (qapi/machine.json: node-id, socket-id,
 * die-id, module-id, core-id, thread-id, ...), the properties a machine gives each CPU it
 * plugs. On x86 the machine also sets the architecture id of every CPU it creates, in
 * `x86_cpu_new()` (hw/i386/x86.c, hw/i386/x86-common.c from 9.0): `apic-id`. Both are read
 * from the tree, so a topology level that a release adds is known the day it appears.
 */
export function readInstanceProperties(tree: QemuTree): Record<string, SourceLocation> {
  const out: Record<string, SourceLocation> = {};
  const qapi = tree.text.machineJson;
  if (qapi === undefined) throw missing(tree.path('machineJson'), 'the QAPI struct CpuInstanceProperties');
  Object.assign(out, qapiStructMembers(qapi, 'CpuInstanceProperties', tree.path('machineJson')));
  const key = (['x86CommonC', 'x86C'] as const).find((k) => tree.text[k] !== undefined);
  if (!key) throw missing(tree.path('x86C'), 'x86_cpu_new() (hw/i386/x86-common.c from QEMU 9.0)');
  Object.assign(out, propertiesSetOnNewCpu(tree.text[key]!, tree.path(key)));
  return out;
}

/** A file that says which properties belong to a CPU's place rather than its model is missing. */
function missing(file: string, what: string): CatalogError {
  return new CatalogError(
    `${file} is missing: it defines ${what}, which tells a CPU's place in the machine from its model`,
    { path: file },
    'point the catalog at a complete QEMU source tree',
  );
}

/**
 * The member names of a QAPI struct. QAPI schema files are JSON with single quotes and `#`
 * comments; members are `'name': 'type'` or `'*name': ...` (optional).
 */
function qapiStructMembers(text: string, struct: string, file: string): Record<string, SourceLocation> {
  const lines = text.split('\n').map((l) => l.replace(/#.*$/, ''));
  const start = lines.findIndex((l) => l.includes(`'struct': '${struct}'`));
  if (start < 0) {
    throw new CatalogError(
      `the QAPI struct ${struct} is not defined`,
      { path: file },
      'point the catalog at a QEMU source tree',
    );
  }
  let i = start;
  while (i < lines.length && !/'data'\s*:\s*\{/.test(lines[i]!)) i++;
  if (i === lines.length)
    throw new CatalogError(`${struct} has no 'data' member list`, { path: file, line: start + 1 });
  const out: Record<string, SourceLocation> = {};
  let depth = 0;
  for (let j = i; j < lines.length; j++) {
    const line = j === i ? lines[j]!.slice(lines[j]!.search(/'data'/)) : lines[j]!;
    for (const m of line.matchAll(/\{|\}|'(\*?[A-Za-z0-9_-]+)'\s*:/g)) {
      if (m[0] === '{') depth++;
      else if (m[0] === '}') {
        if (--depth === 0) return out;
      } else if (depth === 1 && m[1] !== 'data') out[m[1]!.replace(/^\*/, '')] = { path: file, line: j + 1 };
    }
  }
  throw new CatalogError(`the member list of ${struct} is not closed`, { path: file, line: i + 1 });
}

/** `object_property_set_*(cpu, "name", ...)` inside `x86_cpu_new()`: what the machine sets on each new CPU. */
function propertiesSetOnNewCpu(text: string, file: string): Record<string, SourceLocation> {
  const toks = tokenize(text, file);
  // The definition: the name, its parameter list, then a body.
  let open = -1;
  for (let k = 0; k < toks.length && open < 0; k++) {
    if (toks[k]!.kind !== 'ident' || toks[k]!.text !== 'x86_cpu_new' || toks[k + 1]?.text !== '(') continue;
    let depth = 0;
    let j = k + 1;
    for (; j < toks.length; j++) {
      if (toks[j]!.text === '(') depth++;
      else if (toks[j]!.text === ')' && --depth === 0) break;
    }
    if (toks[j + 1]?.text === '{') open = j + 1;
  }
  if (open < 0)
    throw new CatalogError(
      'x86_cpu_new() is not defined',
      { path: file },
      'point the catalog at a QEMU source tree',
    );
  const close = matchingBrace(toks, open, file);
  const out: Record<string, SourceLocation> = {};
  for (let k = open; k < close; k++) {
    const t = toks[k]!;
    if (
      t.kind === 'ident' &&
      /^(object_property_set_|qdev_prop_set_)/.test(t.text) &&
      toks[k + 1]?.text === '(' &&
      toks[k + 3]?.text === ',' &&
      toks[k + 4]?.kind === 'string'
    ) {
      out[stringValue(toks[k + 4]!)] = { path: file, line: toks[k + 4]!.line };
    }
  }
  return out;
}
