import type { LevelRule } from '../../catalog/model.js';
import { CatalogError } from '../../errors.js';
import { parseStatements, tokenText, type Statement } from '../c/statements.js';
import type { Token } from '../c/tokenizer.js';
import { findFunction, splitTopLevel, type CpuTableReader } from './cpu-tables.js';
import type { QemuTree } from './files.js';

/**
 * QEMU's automatic CPUID level, read from the tree: `x86_cpu_expand_features()` raises the
 * minimum (x)level to the leaf of every feature word in use (`x86_cpu_adjust_feat_level`, whose
 * `switch (region)` says which minimum each leaf region raises) and to fixed leaves under
 * conditions on features and CPU properties (`if (env->features[W] & BIT)`, `if
 * (cpu->full_cpuid_auto_level)`). Every condition above a level adjustment is evaluated; one the
 * reader cannot evaluate is an error naming its line, never a rule guessed or left out.
 */

/**
 * Conditions on the VM's configuration rather than on the CPU model: the topology given with
 * `-smp` and confidential guests (SEV). Effective models describe QEMU's default configuration,
 * one CPU and no confidential guest, where each of these is false.
 */
const DEFAULT_CONFIGURATION_FALSE: { pattern: RegExp; what: string }[] = [
  { pattern: /^sev_enabled \( \)$/, what: 'SEV is not enabled' },
  { pattern: /^env -> nr_dies > 1$/, what: 'one die' },
  { pattern: /^x86_has_cpuid_0x1f \( cpu \)$/, what: 'no multi-die or multi-module topology' },
  { pattern: /^x86_has_extended_topo \( .* \)$/, what: 'no multi-die or multi-module topology' },
];

type Condition =
  | { kind: 'false' }
  | { kind: 'true' }
  /** Every group has a feature on, and every knob is on. */
  | { kind: 'all'; groups: string[][]; knobs: string[] }
  | { kind: 'unknown'; why: string; line: number };

const FALSE: Condition = { kind: 'false' };
const TRUE: Condition = { kind: 'true' };

function and(a: Condition, b: Condition): Condition {
  if (a.kind === 'false' || b.kind === 'false') return FALSE;
  if (a.kind === 'unknown') return a;
  if (b.kind === 'unknown') return b;
  if (a.kind === 'true') return b;
  if (b.kind === 'true') return a;
  return { kind: 'all', groups: [...a.groups, ...b.groups], knobs: [...a.knobs, ...b.knobs] };
}

function or(a: Condition, b: Condition, line: number): Condition {
  if (a.kind === 'true' || b.kind === 'true') return TRUE;
  if (a.kind === 'false') return b;
  if (b.kind === 'false') return a;
  if (a.kind === 'unknown') return a;
  if (b.kind === 'unknown') return b;
  if (!a.knobs.length && !b.knobs.length && a.groups.length === 1 && b.groups.length === 1)
    return { kind: 'all', groups: [[...a.groups[0]!, ...b.groups[0]!]], knobs: [] };
  return { kind: 'unknown', why: 'an || of conditions that are not all feature tests', line };
}

function not(a: Condition, line: number): Condition {
  if (a.kind === 'true') return FALSE;
  if (a.kind === 'false') return TRUE;
  if (a.kind === 'unknown') return a;
  return { kind: 'unknown', why: 'a negated feature test or CPU property', line };
}

export function readLevelRules(tree: QemuTree, cpu: CpuTableReader): LevelRule[] {
  const path = tree.path('cpuC');
  function fail(message: string, line?: number): never {
    throw new CatalogError(
      message,
      { path, line },
      "cpu-model-guard follows x86_cpu_expand_features() to compute QEMU's automatic CPUID level",
    );
  }
  const expand = findFunction(tree, 'x86_cpu_expand_features', ['cpuC']);
  if (!expand) return fail('x86_cpu_expand_features() was not found');
  const adjustFeat = findFunction(tree, 'x86_cpu_adjust_feat_level', ['cpuC']);
  if (!adjustFeat) return fail('x86_cpu_adjust_feat_level() was not found');

  // x86_cpu_adjust_feat_level: `region = eax & MASK; switch (region) { case R: adjust(min_X) }`.
  const featBody = parseStatements(adjustFeat.body.tokens, path);
  let regionMask: bigint | undefined;
  const regionTarget = new Map<bigint, string>();
  const visit = (stmts: Statement[], inRegionSwitch: boolean, caseValue?: bigint): void => {
    let current = caseValue;
    for (const st of stmts) {
      if (st.kind === 'block') visit(st.body, inRegionSwitch, current);
      else if (st.kind === 'loop' && st.keyword === 'switch') {
        visit([st.body], tokenText(st.head) === 'region');
      } else if (st.kind === 'label' && inRegionSwitch) {
        current = st.tokens[0]?.text === 'case' ? cpu.evalTokens('cpuC', st.tokens.slice(1)) : undefined;
      } else if (st.kind === 'expr') {
        const text = tokenText(st.tokens);
        const m = /\bregion = eax & (.+)$/.exec(text);
        if (m)
          regionMask = cpu.evalTokens(
            'cpuC',
            st.tokens.slice(st.tokens.findIndex((t) => t.text === '&') + 1),
          );
        const adj = /^x86_cpu_adjust_level \( cpu , & env -> (cpuid_min_\w+) , eax \)$/.exec(text);
        if (adj && inRegionSwitch) {
          if (current === undefined)
            fail('x86_cpu_adjust_feat_level: a level adjustment outside a case', st.line);
          regionTarget.set(current, adj[1]!);
        }
      }
    }
  };
  visit(featBody, false);
  if (regionMask === undefined || !regionTarget.size) {
    fail(
      'x86_cpu_adjust_feat_level() does not have the form `region = eax & MASK; switch (region) { case ...: x86_cpu_adjust_level(cpu, &env->cpuid_min_X, eax); }`',
      adjustFeat.body.line,
    );
  }

  const body = parseStatements(expand.body.tokens, path);
  // `if (env->cpuid_level == UINT32_MAX) env->cpuid_level = env->cpuid_min_level;`: which
  // property each minimum becomes when the property itself is not set.
  const minimumFeeds = new Map<string, string>();
  const collectFeeds = (stmts: Statement[]): void => {
    for (const st of stmts) {
      if (st.kind === 'block') collectFeeds(st.body);
      else if (st.kind === 'if') collectFeeds([st.then, ...(st.else ? [st.else] : [])]);
      else if (st.kind === 'expr') {
        const m = /^env -> (cpuid_\w+) = env -> (cpuid_min_\w+)$/.exec(tokenText(st.tokens));
        if (m) minimumFeeds.set(m[2]!, m[1]!);
      }
    }
  };
  collectFeeds(body);
  /** The property a minimum raises, or undefined for derived values outside the catalog. */
  const propertyOfMinimum = (field: string, line: number): string | undefined => {
    const fed = minimumFeeds.get(field);
    if (!fed) return fail(`${field} is raised but never becomes a CPUID level`, line);
    const property = cpu.propertyOfField.get(`env.${fed}`);
    // level-func7 and the like are derived at realization: not part of the catalog.
    return property && ['level', 'xlevel', 'xlevel2'].includes(property) ? property : undefined;
  };

  const atom = (tokens: Token[]): Condition => {
    const line = tokens[0]?.line ?? expand.body.line;
    const text = tokenText(tokens);
    const word = /^env -> features \[ (FEAT_\w+) \]( & .+)?$/.exec(text);
    if (word) {
      const names = cpu.featureNames.get(word[1]!);
      if (!names) return fail(`unknown feature word ${word[1]}`, line);
      const features = word[2]
        ? cpu.namesOfBits(
            'cpuC',
            word[1]!,
            cpu.evalTokens('cpuC', tokens.slice(tokens.findIndex((t) => t.text === '&') + 1)),
            line,
            false,
          )
        : names.filter((n): n is string => !!n);
      return features.length ? { kind: 'all', groups: [features], knobs: [] } : FALSE;
    }
    const knob = /^cpu -> (\w+)$/.exec(text);
    if (knob) {
      const property = cpu.propertyOfField.get(knob[1]!);
      return property
        ? { kind: 'all', groups: [], knobs: [property] }
        : { kind: 'unknown', why: `cpu->${knob[1]} is not a CPU property`, line };
    }
    if (DEFAULT_CONFIGURATION_FALSE.some((c) => c.pattern.test(text))) return FALSE;
    return { kind: 'unknown', why: `'${text}'`, line };
  };
  const condition = (tokens: Token[]): Condition => {
    const line = tokens[0]?.line ?? expand.body.line;
    const ors = splitTopLevel(tokens, '||');
    if (ors.length > 1) return ors.map(condition).reduce((a, b) => or(a, b, line));
    const ands = splitTopLevel(tokens, '&&');
    if (ands.length > 1) return ands.map(condition).reduce(and);
    if (tokens[0]?.text === '!') return not(condition(tokens.slice(1)), line);
    if (tokens[0]?.text === '(' && matchingParen(tokens, 0) === tokens.length - 1)
      return condition(tokens.slice(1, -1));
    return atom(tokens);
  };

  const rules: LevelRule[] = [];
  const emit = (
    property: string,
    atLeast: bigint,
    when: Condition,
    extraGroup: string[] | undefined,
    line: number,
  ): void => {
    const c = extraGroup ? and(when, { kind: 'all', groups: [extraGroup], knobs: [] }) : when;
    if (c.kind === 'false') return;
    if (c.kind === 'unknown') {
      fail(`x86_cpu_expand_features: cannot evaluate the condition ${c.why} of a level adjustment`, c.line);
    }
    const groups = c.kind === 'all' ? c.groups : [];
    const knobs = c.kind === 'all' ? c.knobs : [];
    if (groups.length !== 1) {
      fail(
        groups.length
          ? 'x86_cpu_expand_features: a level adjustment under two feature tests at once'
          : 'x86_cpu_expand_features: a level adjustment that does not depend on any feature',
        line,
      );
    }
    rules.push({
      property,
      atLeast: Number(atLeast),
      whenAny: groups[0]!,
      ...(knobs.length ? { enabledBy: knobs[0] } : {}),
      ...(knobs.length > 1 ? { alsoEnabledBy: knobs.slice(1) } : {}),
      location: { path, line },
    });
  };
  const walk = (stmts: Statement[], when: Condition, inLoop: boolean): void => {
    for (const st of stmts) {
      if (st.kind === 'block') walk(st.body, when, inLoop);
      else if (st.kind === 'if') {
        // Conditions are evaluated lazily: only those above a level adjustment must be readable.
        const c = condition(st.condition);
        walk([st.then], and(when, c), inLoop);
        if (st.else) walk([st.else], and(when, not(c, st.line)), inLoop);
      } else if (st.kind === 'loop') walk([st.body], when, true);
      else if (st.kind === 'expr') {
        const head = st.tokens[0]?.text;
        if (head !== 'x86_cpu_adjust_feat_level' && head !== 'x86_cpu_adjust_level') continue;
        if (inLoop) fail(`x86_cpu_expand_features: ${head} inside a loop`, st.line);
        const args = splitTopLevel(st.tokens.slice(2, -1), ',');
        if (head === 'x86_cpu_adjust_feat_level') {
          const word = args[1]?.length === 1 ? args[1][0]!.text : undefined;
          const leaf = word ? cpu.leafOf(word) : undefined;
          if (!word || leaf === undefined)
            fail(
              `x86_cpu_adjust_feat_level(${tokenText(args[1] ?? [])}): not a feature word with a CPUID leaf`,
              st.line,
            );
          const field = regionTarget.get(leaf & regionMask!);
          const property = field ? propertyOfMinimum(field, st.line) : undefined;
          if (!property) continue;
          const features = (cpu.featureNames.get(word) ?? []).filter((n): n is string => !!n);
          emit(property, leaf, when, features, st.line);
        } else {
          const target = /^& (?:env ->|cpu -> env \.) (cpuid_min_\w+)$/.exec(tokenText(args[1] ?? []));
          if (!target || !args[2]?.length)
            fail(
              `x86_cpu_adjust_level(${tokenText(st.tokens.slice(2, -1))}): a form cpu-model-guard does not read`,
              st.line,
            );
          const property = propertyOfMinimum(target[1]!, st.line);
          if (!property) continue;
          emit(property, cpu.evalTokens('cpuC', args[2]), when, undefined, st.line);
        }
      }
    }
  };
  walk(body, TRUE, false);
  return rules;
}

function matchingParen(tokens: Token[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    if (tokens[j]!.text === '(') depth++;
    else if (tokens[j]!.text === ')' && --depth === 0) return j;
  }
  return -1;
}
