import type {
  AccelDefaultChange,
  CompatProperty,
  CompatSet,
  DefaultCpuVersion,
  MachineType,
  SourceLocation,
} from '../../catalog/model.js';
import { CatalogError } from '../../errors.js';
import { field, readInitList, type FunctionBody, type InitList } from '../c/initializer.js';
import { collectArguments, evaluateExpression } from '../c/preprocessor.js';
import { parseStatements, tokenText, type Statement } from '../c/statements.js';
import type { Token } from '../c/tokenizer.js';
import type { CpuTableReader } from './cpu-tables.js';
import type { QemuFileKey, QemuTree } from './files.js';

const CPU_TYPE_SUFFIX = '-x86_64-cpu';
const ALL_CPUS = 'x86_64-cpu';

/** Every `GlobalProperty NAME[] = { ... }` of the machine files: the compat arrays. */
export function readCompatSets(tree: QemuTree, cpu: CpuTableReader): Record<string, CompatSet> {
  const sets: Record<string, CompatSet> = {};
  for (const key of ['machineC', 'pcC', 'q35C', 'piixC'] as QemuFileKey[]) {
    const structure = tree.structures[key];
    if (!structure) continue;
    for (const init of structure.initializers.values()) {
      if (init.typeName !== 'GlobalProperty') continue;
      sets[init.name] = readCompatSet(tree, cpu, key, init.name, init.list, init.line);
    }
  }
  const inPc = [...(tree.structures.pcC?.initializers.values() ?? [])].filter(
    (i) => i.typeName === 'GlobalProperty',
  );
  if (!inPc.length) {
    const legacy = tree.text.pcH?.split('\n').findIndex((l) => /#define PC_COMPAT_\d/.test(l));
    if (legacy !== undefined && legacy >= 0) {
      throw new CatalogError(
        'no GlobalProperty compat arrays in hw/i386/pc.c, and include/hw/i386/pc.h defines PC_COMPAT_X_Y macros: this tree predates QEMU 3.1',
        { path: tree.path('pcH'), line: legacy + 1 },
        'cpu-model-guard reads QEMU trees from 3.1 on (tested with 5.2, 7.2, 10.0 and 10.2)',
      );
    }
    throw new CatalogError(
      `${tree.path('pcC')} defines no compat arrays (GlobalProperty pc_compat_X_Y[] = { ... })`,
      { path: tree.path('pcC'), line: 1 },
      "point the catalog at a complete QEMU source tree: pc.c holds the PC machines' compat arrays",
    );
  }
  return sets;
}

/** One compat array: `{ driver, property, value }` entries. */
export function readCompatSet(
  tree: QemuTree,
  cpu: CpuTableReader,
  key: QemuFileKey,
  name: string,
  list: InitList,
  line: number,
): CompatSet {
  const init = { name, list };
  const entries: CompatProperty[] = [];
  for (const item of init.list.items) {
    if (item.value.kind !== 'list') {
      throw new CatalogError(`${init.name}: expected { driver, property, value }`, {
        path: tree.path(key),
        line: item.line,
      });
    }
    const [d, p, v] = item.value.items;
    const driver = compatDriver(
      tree,
      cpu,
      key,
      d?.value.kind === 'expr' ? d.value.tokens : [],
      item.line,
      init.name,
    );
    const target =
      driver === ALL_CPUS
        ? '*'
        : driver.endsWith(CPU_TYPE_SUFFIX)
          ? driver.slice(0, -CPU_TYPE_SUFFIX.length)
          : null;
    const str = (x: typeof d, what: string): string => {
      if (target === null && x?.value.kind === 'expr') {
        // Device properties are often macros of device headers outside the catalog;
        // they never reach a CPU, so their text is enough.
        try {
          return cpu.evalString(key, x.value, `${init.name} ${what}`) ?? 'NULL';
        } catch {
          return x.value.tokens.map((t) => t.text).join(' ');
        }
      }
      const value = x ? cpu.evalString(key, x.value, `${init.name} ${what}`) : null;
      if (value === null)
        throw new CatalogError(`${init.name}: the ${what} is missing`, {
          path: tree.path(key),
          line: item.line,
        });
      return value;
    };
    const property = str(p, 'property');
    const value = str(v, 'value');
    entries.push({
      driver,
      target,
      property,
      value,
      location: { path: tree.path(key), line: item.line },
    });
  }
  return { name, location: { path: tree.path(key), line }, entries };
}

/**
 * A compat entry's driver as QOM type name. Drivers of devices are often macros defined in
 * headers outside the catalog (`TYPE_VIRTIO_NET`): those cannot name a CPU, so they are kept
 * as text. A driver that looks like a CPU type but cannot be evaluated is an error.
 */
function compatDriver(
  tree: QemuTree,
  cpu: CpuTableReader,
  key: QemuFileKey,
  tokens: Token[],
  line: number,
  array: string,
): string {
  try {
    const v = cpu.eval(key, tokens, line);
    if (typeof v === 'string') return v;
  } catch (err) {
    const text = tokens.map((t) => t.text).join(' ');
    if (/X86_CPU|x86_64-cpu|-cpu"/.test(text)) throw err;
    return text;
  }
  throw new CatalogError(`${array}: the driver is not a string`, { path: tree.path(key), line });
}

/**
 * QEMU's PC machine types, found the way QEMU registers them. The machine files' file-scope
 * macros (`DEFINE_Q35_MACHINE`, `DEFINE_PC_MACHINE`, `DEFINE_PC_VER_MACHINE`, whatever a tree
 * calls them) are expanded from the tree's own definitions into the functions and `TypeInfo`s
 * they stand for; every `type_init()` registration function is then run, `MACHINE_VER_DELETION`
 * included (with QEMU's default environment: `getenv()` returns NULL), and each registered
 * machine type's class_init with its option functions. What a machine type is (family, alias,
 * compat arrays, default CPU version) is what that code sets; its place in the family is where
 * its option function stands in the chain of option functions. Nothing is read from names.
 */
const MACHINE_FILES: QemuFileKey[] = ['q35C', 'piixC'];
/** Files whose functions machine code calls and the reader follows. */
const FOLLOWED_FILES: QemuFileKey[] = ['q35C', 'piixC', 'pcC', 'machineC'];

type Value =
  | { fn: string }
  | { str: string | null }
  | { num: bigint }
  /** A compat array local to a function (QEMU 5.2's pc-1.x: `static GlobalProperty compat[]`). */
  | { compatSet: string }
  | { opaque: true };

interface ClassState {
  family?: string | null;
  alias?: string | null;
  defaultCpuVersion: bigint;
  /** The assignment that set it last; none when the zeroed class's value stands. */
  defaultCpuVersionLocation?: SourceLocation;
  compatSets: { name: string; location: SourceLocation }[];
  accelDefaultChanges: AccelDefaultChange[];
  init?: string;
  /** Every function the class code ran, for the order of the option-function chain. */
  ran: Set<string>;
  /** The first function class_init calls with the class: the option function. */
  optionFn?: string;
}

interface RegistrationState {
  registered: { info: string; line: number }[];
}

interface Registered {
  name: string;
  key: QemuFileKey;
  line: number;
  state: ClassState;
}

class Return {
  constructor(readonly line: number) {}
}

/** One thing running machine code did to a machine class (or to the compat arrays), in order. */
type ClassEffect =
  | { ran: string }
  | { optionFn: string }
  | { init: string }
  | { defaultCpuVersion: bigint; location: SourceLocation }
  | { family: string | null }
  | { alias: string | null }
  | { compatSet: { name: string; location: SourceLocation } }
  | { accelDefaultChange: AccelDefaultChange }
  | { localCompatSet: string; set: CompatSet };

/**
 * What a run of a function did: its effects, where it returned early, and how deep its calls
 * went below it. Machine code reads nothing of the class it sets (conditions see locals, the
 * macros and the default environment only), so a function does the same on every run in a
 * mode: the option functions of a family run once per older machine type, and its init
 * function once per machine type.
 */
interface RunTrace {
  effects: ClassEffect[];
  returned: Return | undefined;
  depth: number;
}

function applyEffect(cls: ClassState, e: ClassEffect, compatSets: Record<string, CompatSet>): void {
  if ('ran' in e) cls.ran.add(e.ran);
  else if ('optionFn' in e) cls.optionFn ??= e.optionFn;
  else if ('init' in e) cls.init = e.init;
  else if ('defaultCpuVersion' in e) {
    cls.defaultCpuVersion = e.defaultCpuVersion;
    cls.defaultCpuVersionLocation = { ...e.location };
  } else if ('family' in e) cls.family = e.family;
  else if ('alias' in e) cls.alias = e.alias;
  else if ('compatSet' in e) cls.compatSets.push({ ...e.compatSet, location: { ...e.compatSet.location } });
  else if ('accelDefaultChange' in e)
    cls.accelDefaultChanges.push({ ...e.accelDefaultChange, location: { ...e.accelDefaultChange.location } });
  else compatSets[e.localCompatSet] = e.set;
}

/** Fields of a machine class the catalog takes from the code; other fields are not CPU matters. */
const CLASS_FIELDS = new Set(['family', 'alias', 'default_cpu_version', 'init', 'compat_props']);

/**
 * What code the reader runs: the registration (`type_init` functions), a machine type's class
 * (class_init and its option functions), or its init function, where only what changes CPU
 * defaults (`x86_cpu_change_kvm_default`) matters and error exits do not.
 */
type Mode = 'register' | 'class' | 'init';

class MachineCode {
  mode: Mode = 'register';
  private readonly parsed = new Map<string, Statement[]>();
  private readonly relevance = new Map<string, boolean>();
  private depth = 0;
  /** The deepest `depth` reached, for the depth of a trace. */
  private deepest = 0;
  private readonly running: string[] = [];
  private readonly traces = new Map<string, RunTrace>();
  /** Effects of the runs being traced, innermost last. */
  private readonly tracing: ClassEffect[][] = [];

  constructor(
    private readonly tree: QemuTree,
    private readonly cpu: CpuTableReader,
    private readonly compatSets: Record<string, CompatSet>,
  ) {}

  fail(key: QemuFileKey, line: number | undefined, message: string, hint?: string): never {
    throw new CatalogError(
      message,
      { path: this.tree.path(key), line },
      hint ??
        'cpu-model-guard follows the machine code that QEMU runs when it registers its PC machine types',
    );
  }

  function(name: string, prefer?: QemuFileKey): { key: QemuFileKey; body: FunctionBody } | undefined {
    for (const key of prefer ? [prefer, ...FOLLOWED_FILES] : FOLLOWED_FILES) {
      const body = this.tree.structures[key]?.functions.get(name);
      if (body) return { key, body };
    }
    return undefined;
  }

  private statements(key: QemuFileKey, fn: FunctionBody): Statement[] {
    const id = `${key}\0${fn.name}`;
    let st = this.parsed.get(id);
    if (!st) this.parsed.set(id, (st = parseStatements(fn.tokens, this.tree.path(key))));
    return st;
  }

  /** Does running this code touch what the catalog reads? Decides whether an unreadable `if` matters. */
  private relevant(key: QemuFileKey, stmts: Statement[], seen: Set<string>): boolean {
    return stmts.some((st) => {
      const cache = this.statementRelevance[this.mode];
      const cached = cache.get(st);
      if (cached !== undefined) return cached;
      const r = this.statementRelevant(key, st, seen);
      cache.set(st, r);
      return r;
    });
  }

  private readonly statementRelevance: Record<Mode, WeakMap<Statement, boolean>> = {
    register: new WeakMap(),
    class: new WeakMap(),
    init: new WeakMap(),
  };

  private statementRelevant(key: QemuFileKey, st: Statement, seen: Set<string>): boolean {
    if (st.kind === 'block') return this.relevant(key, st.body, seen);
    if (st.kind === 'if') return this.relevant(key, [st.then, ...(st.else ? [st.else] : [])], seen);
    if (st.kind === 'loop') return this.relevant(key, [st.body], seen);
    if (st.kind === 'label') return false;
    const t = st.tokens;
    const text = tokenText(t);
    if (/\b(compat_props_add|x86_cpu_change_kvm_default)\b/.test(text)) return true;
    if (this.mode === 'init')
      return t.some(
        (x, k) => x.kind === 'ident' && t[k + 1]?.text === '(' && this.functionRelevant(x.text, key, seen),
      );
    if (t[0]?.text === 'return') return true;
    if (/\b(type_register_static|type_register)\b/.test(text)) return true;
    if (/-> (family|alias|default_cpu_version|init|compat_props) =/.test(text)) return true;
    return t.some(
      (x, k) => x.kind === 'ident' && t[k + 1]?.text === '(' && this.functionRelevant(x.text, key, seen),
    );
  }

  private functionRelevant(name: string, from: QemuFileKey, seen: Set<string>): boolean {
    const id = `${this.mode}\0${name}`;
    const cached = this.relevance.get(id);
    if (cached !== undefined) return cached;
    const f = this.function(name, from);
    if (!f || seen.has(name)) return false;
    seen.add(name);
    const r = this.relevant(f.key, this.statements(f.key, f.body), seen);
    this.relevance.set(id, r);
    return r;
  }

  /** A condition's value, with QEMU's default environment and the locals in scope. */
  private condition(key: QemuFileKey, tokens: Token[], locals: Map<string, Value>): bigint | undefined {
    const replaced: Token[] = [];
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k]!;
      if (t.text === 'getenv' && tokens[k + 1]?.text === '(') {
        // QEMU's default environment: no variable is set, getenv() returns NULL.
        const { end } = collectArguments(tokens, k + 1);
        replaced.push({ kind: 'number', text: '0', line: t.line });
        k = end;
        continue;
      }
      const local = t.kind === 'ident' ? locals.get(t.text) : undefined;
      if (local && !('opaque' in local)) {
        const v = 'num' in local ? local.num : 'str' in local && local.str === null ? 0n : 1n;
        replaced.push({ kind: 'number', text: String(v), line: t.line });
        continue;
      }
      replaced.push(t);
    }
    try {
      const v = this.cpu.eval(key, replaced, tokens[0]?.line ?? 0);
      return typeof v === 'bigint' ? v : 1n;
    } catch {
      return undefined;
    }
  }

  private value(key: QemuFileKey, tokens: Token[], locals: Map<string, Value>): Value {
    let toks = tokens;
    while (
      toks[0]?.text === '(' &&
      toks.at(-1)?.text === ')' &&
      collectArguments(toks, 0).end === toks.length - 1
    )
      toks = toks.slice(1, -1);
    if (toks.length === 1 && toks[0]!.kind === 'ident') {
      const name = toks[0]!.text;
      const local = locals.get(name);
      if (local) return local;
      if (this.function(name, key)) return { fn: name };
    }
    try {
      const v = this.cpu.eval(key, toks, toks[0]?.line ?? 0);
      return typeof v === 'bigint' ? (v === 0n ? { str: null } : { num: v }) : { str: v };
    } catch {
      return { opaque: true };
    }
  }

  /** The TypeInfos a function hands to type_register_static(), whether or not it gets there. */
  registersInFunction(name: string, from: QemuFileKey): string[] {
    const f = this.function(name, from);
    if (!f) return [];
    const t = f.body.tokens;
    const out: string[] = [];
    t.forEach((x, k) => {
      if ((x.text === 'type_register_static' || x.text === 'type_register') && t[k + 2]?.text === '&')
        out.push(t[k + 3]!.text);
    });
    return out;
  }

  /**
   * Runs a function of the machine code against the state of the class or registration; says
   * where it returned early, if it did.
   */
  run(
    name: string,
    from: QemuFileKey,
    line: number,
    cls: ClassState | undefined,
    reg: RegistrationState | undefined,
  ): Return | undefined {
    const f = this.function(name, from);
    if (!f) this.fail(from, line, `${name}() is called but not defined in the machine files`);
    if (++this.depth > 200)
      this.fail(f.key, f.body.line, `machine functions call each other in a loop at ${name}()`);
    // class_init itself is not traced: an undefined function it calls is an error there only.
    const id =
      cls && this.mode !== 'register' && !(this.mode === 'class' && this.depth === 1)
        ? `${this.mode}\0${f.key}\0${name}`
        : undefined;
    const trace = id === undefined ? undefined : this.traces.get(id);
    if (trace && this.depth + trace.depth <= 200) {
      for (const e of trace.effects) this.effect(cls!, e);
      this.deepest = Math.max(this.deepest, this.depth + trace.depth);
      this.depth--;
      return trace.returned;
    }
    const start = this.depth;
    const outerDeepest = this.deepest;
    this.deepest = start;
    if (id !== undefined) this.tracing.push([]);
    let returned: Return | undefined;
    let done = false;
    this.running.push(name);
    try {
      if (cls) this.effect(cls, { ran: name });
      try {
        this.block(f.key, this.statements(f.key, f.body), new Map(), cls, reg);
      } catch (e) {
        if (!(e instanceof Return)) throw e;
        returned = e;
      }
      done = true;
      return returned;
    } finally {
      this.running.pop();
      this.depth--;
      if (id !== undefined) {
        const effects = this.tracing.pop()!;
        if (done) {
          this.traces.set(id, { effects, returned, depth: this.deepest - start });
          this.tracing.at(-1)?.push(...effects);
        }
      }
      this.deepest = Math.max(outerDeepest, this.deepest);
    }
  }

  /** Does `e` to the class, and notes it in the runs being traced. */
  private effect(cls: ClassState, e: ClassEffect): void {
    applyEffect(cls, e, this.compatSets);
    this.tracing.at(-1)?.push(e);
  }

  private block(
    key: QemuFileKey,
    stmts: Statement[],
    locals: Map<string, Value>,
    cls: ClassState | undefined,
    reg: RegistrationState | undefined,
  ): void {
    for (const st of stmts) {
      if (st.kind === 'block') this.block(key, st.body, locals, cls, reg);
      else if (st.kind === 'label') continue;
      else if (st.kind === 'if') {
        if (!this.relevant(key, [st], new Set())) continue;
        const c = this.condition(key, st.condition, locals);
        if (c === undefined)
          this.fail(
            key,
            st.line,
            `cannot evaluate the condition 'if (${tokenText(st.condition)})', which decides what a machine type gets`,
          );
        if (c !== 0n) this.block(key, [st.then], locals, cls, reg);
        else if (st.else) this.block(key, [st.else], locals, cls, reg);
      } else if (st.kind === 'loop') {
        if (!this.relevant(key, [st.body], new Set())) continue;
        if (st.keyword === 'do' && this.condition(key, st.head, locals) === 0n) {
          this.block(key, [st.body], locals, cls, reg); // do { ... } while (0)
          continue;
        }
        this.fail(key, st.line, `a '${st.keyword}' loop around code that decides what a machine type gets`);
      } else this.expression(key, st.tokens, st.line, locals, cls, reg);
    }
  }

  private expression(
    key: QemuFileKey,
    t: Token[],
    line: number,
    locals: Map<string, Value>,
    cls: ClassState | undefined,
    reg: RegistrationState | undefined,
  ): void {
    const head = t[0]?.text ?? '';
    if (head === 'return') throw new Return(line);
    const text = tokenText(t);
    const assign = t.findIndex((x, k) => x.text === '=' && k > 0);
    if (assign > 0) {
      const lhs = t.slice(0, assign);
      const rhs = t.slice(assign + 1);
      // `void (*compat)(MachineState *m) = (compatfn);`, `PCMachineClass *pcmc = PC_MACHINE_CLASS(m);`
      const fnPointer = /^\w+ \( \* (\w+) \) \(.*\)$/.exec(tokenText(lhs));
      // `T *x`, `static T x[]`: a declaration names its variable last, before any `[...]`.
      let named = lhs.length;
      while (lhs[named - 1]?.text === ']') named = lhs.map((x) => x.text).lastIndexOf('[', named - 1);
      const declared = named > 1 && lhs[named - 1]!.kind === 'ident' ? lhs[named - 1]!.text : undefined;
      const local =
        fnPointer?.[1] ?? (!lhs.some((x) => x.text === '->' || x.text === '.') ? declared : undefined);
      if (local && lhs.some((x) => x.text === 'GlobalProperty') && rhs[0]?.text === '{') {
        // A compat array of the function's own, named after the function it lives in.
        const name = `${this.running.at(-1)}:${local}`;
        const list = readInitList(rhs, 0, this.tree.path(key), this.tree.macros);
        const set = readCompatSet(this.tree, this.cpu, key, name, list, line);
        if (cls) this.effect(cls, { localCompatSet: name, set });
        else this.compatSets[name] = set;
        locals.set(local, { compatSet: name });
        return;
      }
      if (local) {
        // A local is only ever tested or called (`if (compat) compat(machine);`): a function,
        // NULL or a constant; anything computed (`PC_MACHINE_CLASS(m)`) is opaque.
        const computed = rhs.some((x, k) => x.kind === 'ident' && rhs[k + 1]?.text === '(');
        locals.set(local, computed ? { opaque: true } : this.value(key, rhs, locals));
        return;
      }
      const field = lhs.at(-1)?.text ?? '';
      if (lhs.at(-2)?.text === '->' && CLASS_FIELDS.has(field)) {
        if (!cls) return;
        const v = this.value(key, rhs, locals);
        if (field === 'compat_props')
          this.fail(key, line, `'${text}': compat properties replaced, not added`);
        if (field === 'init') {
          if (!('fn' in v))
            this.fail(key, line, `'${text}': the init function is not a function of the machine files`);
          this.effect(cls, { init: v.fn });
        } else if (field === 'default_cpu_version') {
          if (!('num' in v) && !('str' in v && v.str === null))
            this.fail(key, line, `'${text}': not a constant`);
          this.effect(cls, {
            defaultCpuVersion: 'num' in v ? v.num : 0n,
            location: { path: this.tree.path(key), line },
          });
        } else {
          if (!('str' in v)) this.fail(key, line, `'${text}': not a string constant or NULL`);
          this.effect(cls, field === 'family' ? { family: v.str } : { alias: v.str });
        }
      }
      return;
    }
    if (t[1]?.text !== '(' || t.at(-1)?.text !== ')' || t[0]!.kind !== 'ident') {
      if (/\bcompat_props\b/.test(text))
        this.fail(key, line, `'${text}': a use of compat_props cpu-model-guard does not read`);
      return;
    }
    const args = collectArguments(t, 1).args;
    if (head === 'compat_props_add') {
      const array = args[1];
      if (array?.length !== 1 || array[0]!.kind !== 'ident')
        this.fail(key, line, `compat_props_add(${tokenText(args[1] ?? [])}): the array is not named`);
      const local = locals.get(array[0]!.text);
      const name = local && 'compatSet' in local ? local.compatSet : array[0]!.text;
      if (cls) this.effect(cls, { compatSet: { name, location: { path: this.tree.path(key), line } } });
      return;
    }
    if (head === 'x86_cpu_change_kvm_default') {
      const [p, v] = args.map((a) => this.value(key, a, locals));
      if (!p || !('str' in p) || p.str === null)
        this.fail(key, line, `'${text}': the property is not a string`);
      if (!v || !('str' in v)) this.fail(key, line, `'${text}': the value is not a string or NULL`);
      if (cls)
        this.effect(cls, {
          accelDefaultChange: {
            accel: 'kvm',
            property: p.str,
            value: v.str === null ? null : v.str === 'on' ? true : v.str === 'off' ? false : v.str,
            location: { path: this.tree.path(key), line },
          },
        });
      return;
    }
    if (head === 'type_register_static' || head === 'type_register') {
      const m = /^& (\w+)$/.exec(tokenText(args[0] ?? []));
      if (!m) this.fail(key, line, `'${text}': the TypeInfo is not named`);
      reg?.registered.push({ info: m[1]!, line });
      return;
    }
    const local = locals.get(head);
    const callee = local && 'fn' in local ? local.fn : this.function(head, key) ? head : undefined;
    if (callee) {
      if (cls && args.length === 1 && !local) this.effect(cls, { optionFn: callee });
      this.run(callee, key, line, cls, reg);
      return;
    }
    // class_init itself only calls the machine type's option function, which must be there.
    if (this.mode === 'class' && this.depth === 1)
      this.fail(key, line, `${head}() is called but not defined in the machine files`);
    if (/\bcompat_props\b/.test(text))
      this.fail(
        key,
        line,
        `${head}() is given compat_props, and its code is not in the files cpu-model-guard reads`,
      );
  }
}

function stringField(
  tree: QemuTree,
  key: QemuFileKey,
  list: InitList,
  name: string,
  info: string,
): string | undefined {
  const item = field(list, name);
  if (!item || item.value.kind !== 'expr') return undefined;
  try {
    const v = evaluateExpression(item.value.tokens, tree.macros, tree.path(key), { line: item.line });
    return typeof v === 'string' ? v : undefined;
  } catch {
    // A parent named by a macro of a header outside the catalog (TYPE_PCI_DEVICE) is not
    // TYPE_PC_MACHINE, which pc.h defines: that TypeInfo is no machine type.
    if (name === 'parent') return undefined;
    throw new CatalogError(`TypeInfo ${info}: .${name} cannot be evaluated`, {
      path: tree.path(key),
      line: item.line,
    });
  }
}

function macroString(tree: QemuTree, name: string, key: QemuFileKey): string {
  try {
    const v = evaluateExpression([{ kind: 'ident', text: name, line: 0 }], tree.macros, tree.path(key), {
      line: 0,
    });
    if (typeof v === 'string') return v;
  } catch {
    // Reported below.
  }
  throw new CatalogError(`${name} is not defined as a string in the headers read`, {
    path: tree.path(name === 'TYPE_PC_MACHINE' ? 'pcH' : 'boardsH'),
  });
}

export function readMachineTypes(
  tree: QemuTree,
  cpu: CpuTableReader,
  projectVersion: string,
  compatSets: Record<string, CompatSet>,
  notes: string[],
): MachineType[] {
  const code: MachineCode = new MachineCode(tree, cpu, compatSets);
  const pcMachine = macroString(tree, 'TYPE_PC_MACHINE', 'pcH');
  const suffix = macroString(tree, 'TYPE_MACHINE_SUFFIX', 'boardsH');
  const registered: Registered[] = [];
  for (const key of MACHINE_FILES) {
    const structure = tree.structures[key]!;
    const reg: RegistrationState = { registered: [] };
    /** TypeInfo -> the line of the `return` that QEMU's registration code takes before registering it. */
    const skipped = new Map<string, number>();
    for (const call of structure.calls) {
      if (call.name !== 'type_init') {
        if (/MACHINE/.test(call.name))
          code.fail(
            key,
            call.line,
            `${call.name}(...) is not defined in the files read, so the machine type it defines cannot be read`,
          );
        continue;
      }
      const fn = call.args[0];
      if (fn?.length !== 1) code.fail(key, call.line, 'type_init() without a function');
      const before = new Set(reg.registered.map((r) => r.info));
      const returned = code.run(fn[0]!.text, key, call.line, undefined, reg);
      if (returned) {
        for (const info of code.registersInFunction(fn[0]!.text, key))
          if (!before.has(info) && !reg.registered.some((r) => r.info === info))
            skipped.set(info, returned.line);
      }
    }
    const registeredInfos = new Set(reg.registered.map((r) => r.info));
    /** Machine types QEMU's deletion horizon leaves unregistered: one note per file says them all. */
    const deleted: { name: string; at: number }[] = [];
    let found = 0;
    for (const init of structure.initializers.values()) {
      if (init.typeName !== 'TypeInfo') continue;
      const parent = stringField(tree, key, init.list, 'parent', init.name);
      if (parent !== pcMachine) continue;
      const typeName = stringField(tree, key, init.list, 'name', init.name);
      if (!typeName?.endsWith(suffix))
        code.fail(key, init.line, `TypeInfo ${init.name}: its .name does not end in "${suffix}"`);
      const name = typeName.slice(0, -suffix.length);
      found++;
      if (!registeredInfos.has(init.name)) {
        // MACHINE_VER_DELETION returns before type_register_static for machine types past the
        // deletion horizon: evaluated, it is what QEMU does. Anything else is a machine type lost.
        const at = skipped.get(init.name);
        if (at === undefined)
          code.fail(
            key,
            init.line,
            `machine type ${name} is defined but never registered (no type_init() function registers ${init.name})`,
          );
        deleted.push({ name, at: at! });
        continue;
      }
      const classInit = field(init.list, 'class_init');
      const classFn =
        classInit?.value.kind === 'expr' && classInit.value.tokens.length === 1
          ? classInit.value.tokens[0]!.text
          : undefined;
      if (!classFn) code.fail(key, init.line, `TypeInfo ${init.name}: no .class_init function`);
      const state: ClassState = {
        defaultCpuVersion: 0n,
        compatSets: [],
        accelDefaultChanges: [],
        ran: new Set(),
      };
      code.mode = 'class';
      code.run(classFn, key, init.line, state, undefined);
      code.mode = 'init';
      if (state.init) code.run(state.init, key, init.line, state, undefined);
      code.mode = 'register';
      registered.push({ name, key, line: init.line, state });
    }
    if (deleted.length) {
      const names = deleted.map((d) => d.name);
      const lines = [...new Set(deleted.map((d) => d.at))].join(', ');
      notes.push(
        names.length === 1
          ? `${names[0]} is defined in ${tree.path(key)} but not registered: its registration returns early at line ${lines}, as QEMU's machine type deletion decides`
          : `${names.length} machine types are defined in ${tree.path(key)} but not registered: their registration returns early at line ${lines}, as QEMU's machine type deletion decides: ${names.join(', ')}`,
      );
    }
    if (!found) {
      code.fail(
        key,
        structure.calls[0]?.line ?? 1,
        `${tree.path(key)} defines no PC machine type`,
        'point the catalog at a QEMU source tree whose PC machine files are complete',
      );
    }
  }
  for (const r of registered) {
    for (const c of r.state.compatSets) {
      if (!compatSets[c.name])
        throw new CatalogError(
          `machine type ${r.name} adds the compat array ${c.name}, which the tree does not define`,
          c.location,
          `define ${c.name}[] in ${tree.path('pcC')} or ${tree.path('machineC')}, or drop the compat_props_add()`,
        );
    }
  }
  return orderMachineTypes(tree, code, registered, projectVersion, notes);
}

/**
 * A family is what QEMU's own code calls one (`m->family`, `pc_q35`, `pc_piix`); within it, a
 * machine type is older than every machine type whose option function its own one runs.
 * Machine types without a family stand alone in QEMU (`isapc`) and have no history to guard.
 */
function orderMachineTypes(
  tree: QemuTree,
  code: MachineCode,
  registered: Registered[],
  projectVersion: string,
  notes: string[],
): MachineType[] {
  const families = new Map<string, Registered[]>();
  for (const r of registered) {
    if (!r.state.family) {
      notes.push(
        `${r.name} (${tree.path(r.key)}) belongs to no machine type family: it stands alone and is not part of the catalog`,
      );
      continue;
    }
    families.set(r.state.family, [...(families.get(r.state.family) ?? []), r]);
  }
  // A development or release-candidate VERSION (X.Y.50, X.Y.90) is the next release in the
  // making: the newest machine type of each family is the one it adds.
  const development = Number(projectVersion.split('.')[2] ?? 0) >= 50;
  const out: MachineType[] = [];
  for (const [family, members] of [...families.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const newer = (a: Registered): number =>
      members.filter((b) => b !== a && b.state.optionFn && a.state.ran.has(b.state.optionFn)).length;
    const ordered = [...members].sort((a, b) => newer(b) - newer(a));
    for (let i = 1; i < ordered.length; i++) {
      const [older, next] = [ordered[i - 1]!, ordered[i]!];
      if (!next.state.optionFn || !older.state.ran.has(next.state.optionFn))
        code.fail(
          older.key,
          older.line,
          `machine types ${older.name} and ${next.name} of family ${family} do not chain: neither runs the other's option function`,
          'each machine type of a family calls the option function of the next newer one; cpu-model-guard orders them by that chain',
        );
    }
    ordered.forEach((r, i) => {
      out.push({
        name: r.name,
        family,
        version: String(i + 1),
        location: { path: tree.path(r.key), line: r.line },
        compatSets: r.state.compatSets.map((c) => c.name),
        accelDefaultChanges: r.state.accelDefaultChanges,
        defaultCpuVersion: cpuVersion(tree, r),
        ...(r.state.defaultCpuVersionLocation
          ? { defaultCpuVersionLocation: r.state.defaultCpuVersionLocation }
          : {}),
        released: !(development && i === ordered.length - 1),
        aliases: r.state.alias ? [r.state.alias] : [],
      });
    });
  }
  return out;
}

/** pcmc->default_cpu_version: CPU_VERSION_LEGACY (0, the zeroed class's value), _LATEST (-1) or N. */
function cpuVersion(tree: QemuTree, r: Registered): DefaultCpuVersion {
  const v = r.state.defaultCpuVersion;
  if (v === 0n) return 'legacy';
  if (v === -1n) return 'latest';
  if (v > 0n) return Number(v);
  throw new CatalogError(
    `machine type ${r.name}: default_cpu_version ${v} is not a version a PC machine uses`,
    {
      path: tree.path(r.key),
      line: r.line,
    },
  );
}

/** Dotted versions compared numerically: `4.0.1` after `4.0`, `10.0` after `9.2`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}
