/**
 * Code hunks: an edit inside a function that computes guest CPUID (the list in
 * parse/qemu-x86/cpuid-code.ts) is a cause of its own, since it reaches every machine type
 * that no CPU property keeps on the old behaviour. QEMU's answer to such patches is always
 * the same: gate the new behaviour on an `x-` CPU property and set it to the old one in the
 * compat array of every released machine type. This judges each hunk by that:
 *
 * - gated: the hunk's code (or an `if` around it) reads an X86CPU field that
 *   x86_cpu_properties[] binds to a property, and on every released machine type a compat
 *   entry sets that property away from its default: `safe`, naming the entry;
 * - half-gated: such entries reach only some released machine types: `new-model-required`;
 * - not gated: `new-model-required` with the verdict `review`, since a refactor can be harmless
 *   and the tables cannot tell.
 *
 * Hunks whose tokens do not change (comments, whitespace, code the build leaves out) are not
 * causes. Compat entries for x86 CPU properties that do not exist are errors.
 */
import { createHash } from 'node:crypto';
import { diffArrays } from 'diff';
import { EffectiveModels } from '../catalog/effective.js';
import type { Catalog, CompatProperty, MachineType, PropValue } from '../catalog/model.js';
import { diffFromFirstChange } from '../diff/line-anchor.js';
import { CatalogError } from '../errors.js';
import { parseStatements, type Statement } from '../parse/c/statements.js';
import type { Token } from '../parse/c/tokenizer.js';
import { splitTopLevel } from '../parse/qemu-x86/cpu-tables.js';
import { fieldsRead, type CodeFunction, type CpuidCode } from '../parse/qemu-x86/cpuid-code.js';
import { classified, type Classified, type FindingLocation } from './classified.js';
import { fingerprint, newestReleasedCompatSet } from './machine-catalog.js';

/** Rules whose findings are listed for review and fail only with `fail-on-review`. */
export const REVIEW_RULES: ReadonlySet<string> = new Set(['cpuid-code-ungated']);

export interface CpuidCodeInput {
  base: Catalog;
  head: Catalog;
  baseCode: CpuidCode;
  headCode: CpuidCode;
  /** File contents by repository path. */
  baseText: (path: string) => Promise<string | undefined>;
  headText: (path: string) => Promise<string | undefined>;
}

/** A run of changed lines, as `git diff -U0` shows it (1-based; `end` exclusive). */
interface LineHunk {
  baseStart: number;
  baseEnd: number;
  headStart: number;
  headEnd: number;
}

/**
 * Changed lines closer than this are one hunk, as `git diff` with its default three lines of
 * context shows them: one finding per hunk a reviewer sees.
 */
const HUNK_GAP = 6;

function lineHunks(base: string, head: string): LineHunk[] {
  const out: LineHunk[] = [];
  const { line, parts } = diffFromFirstChange(base, head);
  let b = line;
  let h = line;
  let open: LineHunk | undefined;
  for (const part of parts) {
    const n = part.count ?? 0;
    if (!part.added && !part.removed) {
      if (open) out.push(open);
      open = undefined;
      b += n;
      h += n;
      continue;
    }
    const last = out.at(-1);
    if (!open && last && h - last.headEnd <= HUNK_GAP) open = out.pop();
    open ??= { baseStart: b, baseEnd: b, headStart: h, headEnd: h };
    if (part.added) {
      h += n;
      open.headEnd = h;
    } else {
      b += n;
      open.baseEnd = b;
    }
  }
  if (open) out.push(open);
  return out;
}

const sameTexts = (a: readonly Token[] | undefined, b: readonly Token[]): boolean =>
  a !== undefined && a.length === b.length && a.every((t, k) => t.text === b[k]!.text);

/** What changed in one function, token by token. */
interface TokenChange {
  /** Head lines holding an added token, base lines holding a removed one. */
  added: Set<number>;
  removed: Set<number>;
  addedTokens: Token[];
  removedTokens: Token[];
}

function tokenChange(base: readonly Token[], head: readonly Token[]): TokenChange {
  const added = new Set<number>();
  const removed = new Set<number>();
  const addedTokens: Token[] = [];
  const removedTokens: Token[] = [];
  let b = 0;
  let h = 0;
  for (const part of diffArrays(
    base.map((t) => t.text),
    head.map((t) => t.text),
  )) {
    const n = part.count ?? part.value.length;
    if (part.added) addedTokens.push(...head.slice(h, h + n));
    else if (part.removed) removedTokens.push(...base.slice(b, b + n));
    if (!part.added) b += n;
    if (!part.removed) h += n;
  }
  for (const t of addedTokens) added.add(t.line);
  for (const t of removedTokens) removed.add(t.line);
  return { added, removed, addedTokens, removedTokens };
}

/** Constants a run of tokens names (`CPUID_7_0_EDX_ARCH_CAPABILITIES`): what code moved carries along. */
const constantsOf = (tokens: readonly Token[]): Set<string> =>
  new Set(
    tokens.filter((t) => t.kind === 'ident' && /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/.test(t.text)).map((t) => t.text),
  );

interface StatementSpan {
  first: number;
  last: number;
}

function spanOf(s: Statement): StatementSpan {
  const lines: number[] = [s.line];
  const visit = (x: Statement): void => {
    switch (x.kind) {
      case 'block':
        lines.push(x.line);
        x.body.forEach(visit);
        break;
      case 'if':
        lines.push(x.line, ...x.condition.map((t) => t.line));
        visit(x.then);
        if (x.else) visit(x.else);
        break;
      case 'loop':
        lines.push(x.line, ...x.head.map((t) => t.line));
        visit(x.body);
        break;
      default:
        lines.push(...x.tokens.map((t) => t.line));
    }
  };
  visit(s);
  return { first: Math.min(...lines), last: Math.max(...lines) };
}

/**
 * What must hold for a branch to run, as far as a gate goes: the then-branch of
 * `if (a && b)` runs only when both hold, so each `&&` term without a top-level `||` gates it;
 * the else-branch gates on its condition only when that is a single test (`if (!cpu->x)`).
 */
function gatingTerms(condition: Token[], branch: 'then' | 'else'): Token[] {
  const terms = splitTopLevel(condition, '&&');
  if (branch === 'else')
    return terms.length === 1 && splitTopLevel(condition, '||').length === 1 ? condition : [];
  return terms.filter((t) => splitTopLevel(t, '||').length === 1).flat();
}

/** The gating terms of the `if`s whose branch holds lines `first..last` of the function. */
function enclosingConditions(statements: Statement[], first: number, last: number): Token[] {
  const out: Token[] = [];
  const inside = (s: Statement): boolean => {
    const span = spanOf(s);
    return span.first <= first && span.last >= last;
  };
  const visit = (list: Statement[]): void => {
    for (const s of list) {
      if (!inside(s)) continue;
      if (s.kind === 'block') visit(s.body);
      else if (s.kind === 'loop') visit([s.body]);
      else if (s.kind === 'if') {
        for (const [which, branch] of [
          ['then', s.then],
          ['else', s.else],
        ] as const) {
          if (branch && inside(branch)) {
            out.push(...gatingTerms(s.condition, which));
            visit([branch]);
          }
        }
      }
    }
  };
  visit(statements);
  return out;
}

type GateStatus = 'gated' | 'half' | 'none';

interface Gate {
  property: string;
  status: GateStatus;
  /** The entry that sets it on the newest released machine type. */
  entry?: CompatProperty;
  set?: string;
  defaultValue?: PropValue;
  uncovered: string[];
}

interface Hunk {
  fn: CodeFunction;
  location: FindingLocation;
  /** Tokens of the hunk's head lines and of the conditions around it. */
  reads: Token[];
  /** The changed tokens' text, for a fingerprint that survives line moves. */
  text: string;
  /** Constants among the tokens the hunk adds or removes. */
  constants: Set<string>;
}

export async function classifyCpuidCode(input: CpuidCodeInput): Promise<Classified[]> {
  const { base, head, baseCode, headCode } = input;
  const baseReleased = new Set(base.machineTypes.filter((m) => m.released).map((m) => m.name));
  const released = head.machineTypes.filter((m) => baseReleased.has(m.name));
  if (!released.length) return [];
  const eh = new EffectiveModels(head);

  // --- The hunks that change tokens of a guest-CPUID function ---
  const hunks: Hunk[] = [];
  const paths = [...new Set([...headCode.functions, ...baseCode.functions].map((f) => f.path))];
  for (const path of paths) {
    const [b, h] = await Promise.all([input.baseText(path), input.headText(path)]);
    if (b === undefined || h === undefined || b === h) continue;
    const headFns = headCode.functions.filter((f) => f.path === path);
    const baseFns = new Map(baseCode.functions.filter((f) => f.path === path).map((f) => [f.name, f]));
    // A hunk counts only where it adds or removes tokens of a function: when every function
    // has the tokens it had, the file's changes lie elsewhere (a model table in cpu.c), and
    // its line diff, the costly part, is not needed.
    if (headFns.every((fn) => sameTexts(baseFns.get(fn.name)?.tokens, fn.tokens))) continue;
    const changes = new Map<string, TokenChange>();
    const statements = new Map<string, Statement[]>();
    for (const lh of lineHunks(b, h)) {
      for (const fn of headFns) {
        const lastHead = Math.max(lh.headStart, lh.headEnd - 1);
        if (fn.line > lastHead || fn.endLine < lh.headStart) continue;
        const before = baseFns.get(fn.name);
        let change = changes.get(fn.name);
        if (!change) changes.set(fn.name, (change = tokenChange(before?.tokens ?? [], fn.tokens)));
        const added = [...change.added]
          .filter((l) => l >= lh.headStart && l < lh.headEnd)
          .sort((x, y) => x - y);
        const removed = [...change.removed]
          .filter((l) => l >= lh.baseStart && l < lh.baseEnd)
          .sort((x, y) => x - y);
        if (!added.length && !removed.length) continue; // comments, blanks, code the build leaves out
        let stmts = statements.get(fn.name);
        if (!stmts) statements.set(fn.name, (stmts = parseStatements(fn.tokens, fn.path)));
        const onLines = fn.tokens.filter((t) => t.line >= lh.headStart && t.line < lh.headEnd);
        const first = added[0] ?? lh.headStart - 1;
        const last = added.at(-1) ?? lh.headStart - 1;
        hunks.push({
          fn,
          // A removal inside a line that stays is shown on that line; a removal of whole lines on the base side.
          location: added.length
            ? { path, line: added[0]!, side: 'RIGHT' }
            : onLines.length
              ? { path, line: onLines[0]!.line, side: 'RIGHT' }
              : { path, line: removed[0]!, side: 'LEFT' },
          reads: [...onLines, ...enclosingConditions(stmts, first, last)],
          constants: constantsOf([
            ...change.addedTokens.filter((t) => t.line >= lh.headStart && t.line < lh.headEnd),
            ...change.removedTokens.filter((t) => t.line >= lh.baseStart && t.line < lh.baseEnd),
          ]),
          text: `${onLines.map((t) => t.text).join(' ')}\0${removed.join(',')}`,
        });
      }
    }
  }
  if (!hunks.length) return [];

  // --- Which CPU properties keep released machine types on the old behaviour ---
  const gates = new Map<string, Gate>();
  const gateOf = (property: string): Gate => {
    let g = gates.get(property);
    if (g) return g;
    const defaultValue = head.propertyDefaults[property];
    const covered: { mt: MachineType; entry: CompatProperty }[] = [];
    const uncovered: string[] = [];
    for (const mt of released) {
      const entry = eh
        .cpuCompatEntries(mt)
        .filter((e) => e.target === '*' && eh.canonicalProperty(e.property) === property)
        .at(-1);
      if (entry && eh.typedValue(property, entry.value) !== defaultValue) covered.push({ mt, entry });
      else uncovered.push(mt.name);
    }
    const newest = covered.at(-1)?.entry;
    const set = newest
      ? Object.values(head.compatSets).find((s) => s.entries.includes(newest))?.name
      : undefined;
    g = {
      property,
      status: !covered.length ? 'none' : uncovered.length ? 'half' : 'gated',
      entry: newest,
      set,
      defaultValue,
      uncovered,
    };
    gates.set(property, g);
    return g;
  };
  const fields = [...headCode.fieldProperties.entries()].filter(([, props]) => props.length === 1);
  const propertiesRead = (hk: Hunk): string[] => {
    const read = new Set(
      fieldsRead(
        hk.reads,
        fields.map(([f]) => f),
        hk.fn.cpuVariables,
      ),
    );
    return fields.filter(([f]) => read.has(f)).map(([, props]) => props[0]!);
  };
  const readByHunk = hunks.map(propertiesRead);
  // QEMU's repairs move code: the hunk that takes the old code out reads nothing, and the code
  // comes back behind the new property elsewhere. A hunk that reads no gate is gated by one the
  // change adds when a gated hunk of the same change adds or removes a constant it touches too.
  const movedBehind = (i: number): { gate: Gate; constant: string; fn: string } | undefined => {
    for (const [j, other] of hunks.entries()) {
      if (j === i) continue;
      const gate = readByHunk[j]!.map(gateOf).find(
        (g) => g.status === 'gated' && !(g.property in base.propertyDefaults),
      );
      const constant = gate && [...hunks[i]!.constants].find((c) => other.constants.has(c));
      if (gate && constant) return { gate, constant, fn: other.fn.name };
    }
    return undefined;
  };

  const releasedNames = released.map((m) => m.name);
  const confining = newestReleasedCompatSet(head, (m) => baseReleased.has(m.name));
  const findings: Classified[] = [];
  const compatGate = (g: Gate): CompatGate => ({
    property: g.property,
    ...(g.set ? { set: g.set } : {}),
    entry: { path: g.entry!.location.path, line: g.entry!.location.line, value: g.entry!.value },
    ...(g.defaultValue !== undefined ? { defaultValue: g.defaultValue } : {}),
  });
  hunks.forEach((hk, i) => {
    const hunk = { function: hk.fn.name, why: hk.fn.why };
    const fp = (rule: string): string =>
      fingerprint(rule, [hk.fn.name], createHash('sha256').update(hk.text).digest('hex').slice(0, 16), []);
    const own = readByHunk[i]!.map(gateOf);
    const gated = own.find((g) => g.status === 'gated');
    // Half-gated is a gate the change brings along whose entry misses released machine types (a
    // patch written for an older cycle). A knob the base already had, with entries for old
    // machine types only (`pmu`, `x-vendor-cpuid-only` up to 6.0), gates nothing the change adds.
    const half = own.find((g) => g.status === 'half' && !(g.property in base.propertyDefaults));
    const olderKnobs = own.filter((g) => g.status === 'half' && g !== half);
    const together = !gated && !half && !own.length ? movedBehind(i) : undefined;
    const g = gated ?? together?.gate;
    if (g) {
      findings.push(
        classified(
          'cpuid-code-gated',
          {
            ...hunk,
            gate: compatGate(g),
            released: releasedNames.length,
            ...(together ? { movedBy: { constant: together.constant, function: together.fn } } : {}),
          },
          {
            class: 'safe',
            models: [],
            machineTypes: [],
            property: g.property,
            before: g.entry ? eh.typedValue(g.property, g.entry.value) : null,
            after: g.defaultValue ?? null,
            location: hk.location,
            fingerprint: fp('cpuid-code-gated'),
          },
        ),
      );
      return;
    }
    if (half) {
      findings.push(
        classified(
          'cpuid-code-half-gated',
          { ...hunk, gate: compatGate(half), ...(confining ? { confining: confining.name } : {}) },
          {
            class: 'new-model-required',
            models: [],
            machineTypes: half.uncovered,
            property: half.property,
            before: eh.typedValue(half.property, half.entry!.value),
            after: half.defaultValue ?? null,
            location: hk.location,
            fingerprint: fp('cpuid-code-half-gated'),
          },
        ),
      );
      return;
    }
    const property = `x-${hk.fn.name.replace(/^(x86_cpu_|cpu_x86_|kvm_arch_)/, '').replace(/_/g, '-')}-compat`;
    const field = property.slice(2).replace(/-/g, '_');
    findings.push(
      classified(
        'cpuid-code-ungated',
        {
          ...hunk,
          reads: readByHunk[i]!,
          olderKnobs: olderKnobs.map((k) => ({
            property: k.property,
            ...(k.set ? { set: k.set } : {}),
            from: k.uncovered[0]!,
          })),
          suggested: { property, field },
          ...(confining ? { confining: confining.name } : {}),
        },
        {
          class: 'new-model-required',
          models: [],
          machineTypes: releasedNames,
          location: hk.location,
          ...(confining
            ? {
                fixLines: {
                  path: confining.location.path,
                  afterLine: confining.location.line,
                  text: `    ${ungatedCompatLine(property)}`,
                },
              }
            : {}),
          fingerprint: fp('cpuid-code-ungated'),
        },
      ),
    );
  });
  return findings;
}

/** The compat entry that keeps released machine types on the old code, for a new `x-` property. */
export const ungatedCompatLine = (property: string): string => `{ TYPE_X86_CPU, "${property}", "false" },`;

/**
 * QEMU refuses a compat entry that sets a property the CPU does not have (a global property
 * that matches no property fails at start-up). Entries for every x86 CPU or for one model are
 * judged against head's x86 CPU properties: x86_cpu_properties[], the features and their
 * spellings, and what cpu.c adds in code. Entries for other CPU types (`host`, `max`, with
 * properties of their own) and for devices are not judged.
 */
export function checkCompatReferences(
  base: Catalog,
  head: Catalog,
  baseCode: CpuidCode,
  headCode: CpuidCode,
): void {
  const known = cpuProperties(head, headCode);
  const models = new Set(
    head.models.flatMap((m) => [
      m.name,
      ...m.versions.map((v) => `${m.name}-v${v.version}`),
      ...m.versions.flatMap((v) => (v.alias ? [v.alias] : [])),
    ]),
  );
  const before = cpuProperties(base, baseCode);
  for (const set of Object.values(head.compatSets)) {
    for (const e of set.entries) {
      if (e.target === null || (e.target !== '*' && !models.has(e.target)) || known.has(e.property)) continue;
      const at = baseCode.propertyLocations[e.property];
      throw new CatalogError(
        before.has(e.property)
          ? `${set.name} sets ${e.property}, a CPU property this change removes${at ? ` (it was defined at ${at.path}:${at.line} in base)` : ''}: QEMU refuses the machine types that apply it`
          : `${set.name} sets ${e.property}, which no x86 CPU has: QEMU refuses the machine types that apply it`,
        { path: e.location.path, line: e.location.line },
        before.has(e.property)
          ? `keep the property (a compat entry needs it for as long as the machine type exists), or remove the entries that set it`
          : 'spell the property as x86_cpu_properties[] or the feature names define it',
      );
    }
  }
}

function cpuProperties(catalog: Catalog, code: CpuidCode): Set<string> {
  const out = new Set<string>([
    ...Object.keys(catalog.propertyDefaults),
    ...Object.keys(catalog.instanceProperties ?? {}),
    ...Object.keys(catalog.minimumOf ?? {}),
    ...Object.keys(code.propertyLocations),
    ...code.classProperties,
  ]);
  for (const f of catalog.features)
    for (const alt of [f.name, f.name.replace(/[._]/g, '-'), f.name.replace(/[.-]/g, '_')]) out.add(alt);
  return out;
}

/** A CPU property that compat entries set away from its default on released machine types. */
export interface CompatGate {
  property: string;
  /** The compat array of the entry on the newest released machine type it reaches (when it is a named array). */
  set?: string;
  /** That entry. */
  entry: { path: string; line: number; value: string };
  /** The property's default (the new behaviour); absent when the property has none. */
  defaultValue?: PropValue;
}

/** The function a hunk changes, and why it counts as computing guest CPUID. */
interface HunkFunction {
  function: string;
  why: string;
}

/** The facts of each rule this module classifies, by rule id. */
export interface CpuidCodeMeta {
  'cpuid-code-gated': HunkFunction & {
    gate: CompatGate;
    /** How many released machine types the gate keeps on the old code (all of them). */
    released: number;
    /** The hunk reads no property: the same change moves this constant behind the gate in that function. */
    movedBy?: { constant: string; function: string };
  };
  /** The machine types the gate misses are the finding's machine types. */
  'cpuid-code-half-gated': HunkFunction & {
    gate: CompatGate;
    /** The newest released compat array, where the entry belongs. */
    confining?: string;
  };
  /** Every released machine type gets the new code: they are the finding's machine types. */
  'cpuid-code-ungated': HunkFunction & {
    /** CPU properties the hunk reads, none of which a released machine type's compat entry sets. */
    reads: string[];
    /** Properties the base already had that it reads, set by compat entries of older machine types only. */
    olderKnobs: { property: string; set?: string; from: string }[];
    /** The `x-` property and X86CPU field a gate would add, named after the function. */
    suggested: { property: string; field: string };
    confining?: string;
  };
}
