import type { SourceLocation } from '../../catalog/model.js';
import { UsageError } from '../../errors.js';
import { stringValue, type Token } from '../c/tokenizer.js';
import type { CpuTableReader } from './cpu-tables.js';
import type { QemuFileKey, QemuTree } from './files.js';

/**
 * The functions of QEMU's x86 target whose code decides what a guest sees in CPUID, beyond the
 * tables: an edit there reaches every machine type unless a CPU property gates it. This list
 * is the one place that names them (docs/rules.md, "Code that computes guest CPUID", repeats
 * it); a project adds its own through the configuration's `cpuid-functions`.
 */
export interface GuestCpuidFunction {
  name: string;
  /** The files that have held it over QEMU's history, newest first. */
  files: readonly QemuFileKey[];
  /** Why its code is guest-visible, as a finding says it. */
  why: string;
  /**
   * `encoders`: the leaf encoders it calls count as well: the functions of the same file whose
   * names start with `encode_` (QEMU's `encode_cache_cpuid4()`, `encode_topo_cpuid1f()`, ...),
   * read from its body, so that an encoder a release adds is known the day it appears.
   */
  callees?: 'encoders';
}

const KVM_FILES: readonly QemuFileKey[] = ['kvmC', 'kvmOldC'];

export const GUEST_CPUID_FUNCTIONS: readonly GuestCpuidFunction[] = [
  {
    name: 'cpu_x86_cpuid',
    files: ['cpuC'],
    why: 'computes every CPUID leaf the guest reads',
    callees: 'encoders',
  },
  {
    name: 'x86_cpu_expand_features',
    files: ['cpuC'],
    why: "expands the model's features (automatic levels, accelerator defaults, feature dependencies)",
  },
  {
    name: 'x86_cpu_filter_features',
    files: ['cpuC'],
    why: 'takes away the features the accelerator does not offer',
  },
  {
    name: 'x86_cpu_get_supported_feature_word',
    files: ['cpuC'],
    why: 'says which features the accelerator offers; x86_cpu_expand_features() and x86_cpu_filter_features() ask it',
  },
  {
    name: 'x86_cpu_realizefn',
    files: ['cpuC'],
    why: 'sets up the CPU before the guest runs (levels, caches, phys-bits)',
  },
  {
    name: 'kvm_arch_get_supported_cpuid',
    files: KVM_FILES,
    why: 'says which CPUID bits QEMU offers on a KVM host',
  },
  {
    name: 'kvm_arch_init_vcpu',
    files: KVM_FILES,
    why: 'builds the CPUID table KVM hands to the guest',
  },
];

/** The files a project's own functions are looked for in, in this order. */
const PROJECT_FUNCTION_FILES: readonly QemuFileKey[] = ['cpuC', 'kvmC', 'kvmOldC', 'kvmCpuC', 'tcgCpuC'];

export interface CodeFunction {
  name: string;
  path: string;
  /** The line of the function's name, and of its closing brace. */
  line: number;
  endLine: number;
  /** The body as the build compiles it (code under inactive `#if` branches left out). */
  tokens: Token[];
  why: string;
}

export interface CpuidCode {
  functions: CodeFunction[];
  /** X86CPU field (`enable_pmu`, `env.cpuid_level`) -> the properties `x86_cpu_properties[]` binds to it. */
  fieldProperties: ReadonlyMap<string, readonly string[]>;
  /** Property names every x86 CPU accepts besides x86_cpu_properties[] and the features. */
  classProperties: ReadonlySet<string>;
  /** Where each property of x86_cpu_properties[] is defined. */
  propertyLocations: Readonly<Record<string, SourceLocation>>;
}

/**
 * The guest-CPUID functions of a tree, with what a hunk in them needs: their compiled bodies
 * and which X86CPU fields are CPU properties. `extra` are a project's own function names; one
 * that none of the files defines is an error, so that a typo does not silently check less.
 */
export function readCpuidCode(tree: QemuTree, cpu: CpuTableReader, extra: readonly string[] = []): CpuidCode {
  const functions: CodeFunction[] = [];
  const seen = new Set<string>();
  const add = (name: string, key: QemuFileKey, why: string): boolean => {
    const body = tree.structures[key]?.functions.get(name);
    if (!body || seen.has(name)) return Boolean(body);
    seen.add(name);
    functions.push({
      name,
      path: tree.path(key),
      line: body.line,
      endLine: body.endLine,
      tokens: body.tokens,
      why,
    });
    return true;
  };
  for (const f of GUEST_CPUID_FUNCTIONS) {
    const key = f.files.find((k) => tree.structures[k]?.functions.has(f.name));
    if (!key) continue; // kvm.c is not read when host support is not needed
    add(f.name, key, f.why);
    if (f.callees !== 'encoders') continue;
    const defined = tree.structures[key]!.functions;
    const body = defined.get(f.name)!;
    body.tokens.forEach((t, i) => {
      if (
        t.kind === 'ident' &&
        t.text.startsWith('encode_') &&
        body.tokens[i + 1]?.text === '(' &&
        defined.has(t.text)
      )
        add(t.text, key, `encodes CPUID leaves for ${f.name}()`);
    });
  }
  for (const name of extra) {
    const key = PROJECT_FUNCTION_FILES.find((k) => tree.structures[k]?.functions.has(name));
    if (!key) {
      throw new UsageError(
        `cpuid-functions: ${name}() is not defined in ${PROJECT_FUNCTION_FILES.map((k) => tree.path(k)).join(', ')}`,
        undefined,
        'list functions of those files by their exact name, or remove the entry',
      );
    }
    add(name, key, "computes what guests see (the project's configuration lists it)");
  }
  return {
    functions,
    fieldProperties: cpu.fieldProperties,
    classProperties: classProperties(tree),
    propertyLocations: cpu.propertyDefaultLocations,
  };
}

/**
 * Properties that cpu.c adds to every x86 CPU in code rather than in x86_cpu_properties[]:
 * `object_property_add_alias(obj, "sse3", obj, "pni")`, `object_class_property_add(oc, "family", ...)`.
 */
function classProperties(tree: QemuTree): Set<string> {
  const out = new Set<string>();
  for (const body of tree.structures.cpuC?.functions.values() ?? []) {
    const toks = body.tokens;
    for (let i = 0; i < toks.length; i++) {
      const t = toks[i]!;
      if (t.kind !== 'ident' || !/^object_(class_)?property_add/.test(t.text) || toks[i + 1]?.text !== '(')
        continue;
      let j = i + 2;
      let depth = 0;
      for (; j < toks.length; j++) {
        const x = toks[j]!.text;
        if (x === '(') depth++;
        else if (x === ')') {
          if (depth-- === 0) break;
        } else if (x === ',' && depth === 0) break;
      }
      const name = toks[j + 1];
      if (toks[j]?.text === ',' && name?.kind === 'string') out.add(stringValue(name));
    }
  }
  return out;
}

/**
 * The X86CPU fields a run of tokens reads: `cpu->enable_pmu`, `cpu->env.cpuid_level`, or, for
 * fields of the CPU's CPUX86State, `env->cpuid_level` (QEMU's name for `&cpu->env`).
 */
export function fieldsRead(tokens: readonly Token[], fields: Iterable<string>): string[] {
  const out: string[] = [];
  for (const field of fields) {
    const parts = field.split('.');
    const matchesAt = (i: number): boolean =>
      parts.every((p, k) => {
        const sep = tokens[i + 2 * k];
        return (sep?.text === '->' || sep?.text === '.') && tokens[i + 2 * k + 1]?.text === p;
      });
    let found = false;
    for (let i = 0; i < tokens.length && !found; i++) {
      if (matchesAt(i)) found = true;
      else if (
        parts[0] === 'env' &&
        parts.length > 1 &&
        tokens[i]?.text === 'env' &&
        tokens[i + 1]?.text === '->' &&
        parts
          .slice(1)
          .every(
            (p, k) => tokens[i + 2 + 2 * k]?.text === p && (k === 0 || tokens[i + 1 + 2 * k]?.text === '.'),
          )
      )
        found = true;
    }
    if (found) out.push(field);
  }
  return out;
}
