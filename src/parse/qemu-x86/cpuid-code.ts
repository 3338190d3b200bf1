import type { SourceLocation } from '../../catalog/model.js';
import { CatalogError, UsageError } from '../../errors.js';
import { stringValue, tokenize, type Token } from '../c/tokenizer.js';
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
  /** The names the function gives the CPU: its parameters and locals of these types. */
  cpuVariables: CpuVariables;
}

/** Variables declared `X86CPU *` and `CPUX86State *` (QEMU's `cpu` and `env`, by convention but not always). */
export interface CpuVariables {
  cpu: ReadonlySet<string>;
  env: ReadonlySet<string>;
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
  // Each file's own text, once, for the parameter lists.
  const fileTokens = new Map<QemuFileKey, Token[]>();
  const tokensOf = (key: QemuFileKey): Token[] => {
    let toks = fileTokens.get(key);
    if (!toks) fileTokens.set(key, (toks = tokenize(tree.text[key] ?? '', tree.path(key))));
    return toks;
  };
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
      cpuVariables: cpuVariables([...parametersOf(tokensOf(key), tree.path(key), body), ...body.tokens]),
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
 * The parameter list of a function (`CPUX86State *env, uint32_t index, ...`): the function
 * bodies the file structure keeps start at the brace, and `cpu_x86_cpuid()` gets its CPU as a
 * parameter. The declaration is read from the file's text at the function's name.
 */
function parametersOf(toks: readonly Token[], path: string, body: { name: string; line: number }): Token[] {
  const at = toks.findIndex(
    (t, i) => t.line === body.line && t.text === body.name && toks[i + 1]?.text === '(',
  );
  if (at < 0)
    throw new CatalogError(`cannot find the parameters of ${body.name}()`, { path, line: body.line });
  let depth = 0;
  for (let j = at + 1; j < toks.length; j++) {
    if (toks[j]!.text === '(') depth++;
    else if (toks[j]!.text === ')' && --depth === 0) return toks.slice(at + 2, j);
  }
  throw new CatalogError(`the parameter list of ${body.name}() does not close`, { path, line: body.line });
}

/** `X86CPU *cpu`, `X86CPU *const cpu`, `CPUX86State *env = &cpu->env`: the names of the CPU. */
export function cpuVariables(tokens: readonly Token[]): CpuVariables {
  const cpu = new Set<string>();
  const env = new Set<string>();
  tokens.forEach((t, i) => {
    const into = t.text === 'X86CPU' ? cpu : t.text === 'CPUX86State' ? env : undefined;
    if (!into || t.kind !== 'ident' || tokens[i + 1]?.text !== '*') return;
    let j = i + 2;
    while (tokens[j]?.text === 'const') j++;
    if (tokens[j]?.kind === 'ident') into.add(tokens[j]!.text);
  });
  return { cpu, env };
}

/**
 * The X86CPU fields a run of tokens reads through the CPU's own variables: `cpu->enable_pmu`,
 * `cpu->env.cpuid_level` for a variable declared `X86CPU *`, and `env->cpuid_level` for one
 * declared `CPUX86State *` (QEMU's `&cpu->env`). A member of the same name of another struct
 * (`topo_ids.core_id` beside X86CPU's `core_id`) is not the CPU's.
 */
export function fieldsRead(
  tokens: readonly Token[],
  fields: Iterable<string>,
  variables: CpuVariables,
): string[] {
  const out: string[] = [];
  // `base -> p0 . p1 ...`: the tokens after `base` spell the field path.
  const pathAt = (i: number, parts: readonly string[]): boolean =>
    tokens[i + 1]?.text === '->' &&
    parts.every(
      (p, k) => tokens[i + 2 + 2 * k]?.text === p && (k === 0 || tokens[i + 1 + 2 * k]?.text === '.'),
    );
  for (const field of fields) {
    const parts = field.split('.');
    const read = tokens.some(
      (t, i) =>
        t.kind === 'ident' &&
        ((variables.cpu.has(t.text) && pathAt(i, parts)) ||
          (parts[0] === 'env' && parts.length > 1 && variables.env.has(t.text) && pathAt(i, parts.slice(1)))),
    );
    if (read) out.push(field);
  }
  return out;
}
