import type {
  AccelDefaultChange,
  CompatProperty,
  CompatSet,
  DefaultCpuVersion,
  MachineType,
} from '../../catalog/model.js';
import { CatalogError } from '../../errors.js';
import type { FunctionBody } from '../c/initializer.js';
import { evaluateExpression } from '../c/preprocessor.js';
import type { Token } from '../c/tokenizer.js';
import { splitTopLevel, type CpuTableReader } from './cpu-tables.js';
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
      sets[init.name] = { name: init.name, location: { path: tree.path(key), line: init.line }, entries };
    }
  }
  if (!Object.keys(sets).some((n) => n.startsWith('pc_compat_'))) {
    const legacy = tree.text.pcH?.split('\n').findIndex((l) => /#define PC_COMPAT_\d/.test(l));
    throw new CatalogError(
      'no pc_compat_X_Y[] arrays in hw/i386/pc.c: this tree predates QEMU 3.1, where compat properties were PC_COMPAT_X_Y macros',
      legacy !== undefined && legacy >= 0
        ? { path: tree.path('pcH'), line: legacy + 1 }
        : { path: tree.path('pcC') },
      'cpu-model-guard reads QEMU trees from 3.1 on (tested with 5.2, 7.2, 10.0 and 10.2)',
    );
  }
  return sets;
}

/**
 * A compat entry's driver as QOM type name. Drivers of devices are often macros defined in
 * headers outside the catalog (`TYPE_VIRTIO_NET`): those cannot name a CPU, so they are kept
 * as text. A driver that looks like a CPU type but cannot be evaluated is an error.
 */
function compatDriver(
  tree: QemuTree,
  key: QemuFileKey,
  tokens: Token[],
  line: number,
  array: string,
): string {
  try {
    const v = evaluateExpression(tokens, tree.macros, tree.path(key), { line });
    if (typeof v === 'string') return v;
  } catch (err) {
    const text = tokens.map((t) => t.text).join(' ');
    if (/X86_CPU|x86_64-cpu|-cpu"/.test(text)) throw err;
    return text;
  }
  throw new CatalogError(`${array}: the driver is not a string`, { path: tree.path(key), line });
}

interface MachineDefinition {
  family: 'pc-q35' | 'pc-i440fx';
  name: string;
  version: string;
  key: QemuFileKey;
  line: number;
  optionFn: string;
  initFn?: string;
  alias?: string;
  latest: boolean;
}

/** Reads `DEFINE_Q35_MACHINE(...)` and `DEFINE_I440FX_MACHINE(...)` in both of their eras. */
function machineDefinitions(tree: QemuTree): MachineDefinition[] {
  const out: MachineDefinition[] = [];
  for (const [key, family, sym] of [
    ['q35C', 'pc-q35', 'q35'],
    ['piixC', 'pc-i440fx', 'i440fx'],
  ] as const) {
    const structure = tree.structures[key]!;
    for (const call of structure.calls) {
      const m = /^DEFINE_(Q35|I440FX)_MACHINE(_AS_LATEST|_BUGFIX)?$/.exec(call.name);
      if (!m) continue;
      const args = call.args.map((a) => a.map((t) => t.text).join(''));
      if (args.length === 4 && args[1]!.startsWith('"')) {
        // QEMU before 9.1: (suffix, "pc-q35-7.2", compatfn, optionfn)
        // The oldest i440fx machine types are named `pc-1.3`: the version is the name's tail.
        const name = JSON.parse(args[1]!) as string;
        const version = /(\d+(?:\.\d+)+)$/.exec(name)?.[1];
        if (!version)
          throw new CatalogError(`machine type ${name}: no version in its name`, {
            path: tree.path(key),
            line: call.line,
          });
        out.push({
          family,
          name,
          version,
          key,
          line: call.line,
          optionFn: args[3]!,
          initFn: args[2] !== 'NULL' ? args[2] : undefined,
          latest: false,
        });
      } else if (args.length >= 2 && args.every((a) => /^\d+$/.test(a))) {
        // QEMU 9.1 and later: (major, minor[, micro]); names and functions follow from them.
        const version = args.join('.');
        out.push({
          family,
          name: `${family}-${version}`,
          version,
          key,
          line: call.line,
          optionFn: `pc_${sym}_machine_${args.join('_')}_options`,
          alias: m[2] === '_AS_LATEST' ? (family === 'pc-q35' ? 'q35' : 'pc') : undefined,
          latest: m[2] === '_AS_LATEST',
        });
      } else {
        throw new CatalogError(
          `${call.name}(${args.join(', ')}): arguments of a form cpu-model-guard does not read`,
          {
            path: tree.path(key),
            line: call.line,
          },
        );
      }
    }
  }
  return out;
}

interface MachineState {
  compatSets: string[];
  defaultCpuVersion?: DefaultCpuVersion;
  alias?: string | null;
  accelDefaultChanges: AccelDefaultChange[];
}

/**
 * Runs a machine's option function the way QEMU does: each calls the newer one first and then
 * adds its own compat arrays, so the chain is followed, never assumed.
 */
function runFunction(
  tree: QemuTree,
  key: QemuFileKey,
  fn: FunctionBody,
  state: MachineState,
  depth: number,
): void {
  if (depth > 200)
    throw new CatalogError(`machine option functions call each other in a loop at ${fn.name}`, {
      path: tree.path(key),
      line: fn.line,
    });
  const functions = tree.structures[key]!.functions;
  for (const st of fn.statements) {
    const head = st[0]?.text ?? '';
    if (head === 'compat_props_add') {
      // compat_props_add(m->compat_props, ARRAY, ARRAY_len)
      const array = splitTopLevel(st.slice(2, -1), ',')[1];
      if (array?.length === 1) state.compatSets.push(array[0]!.text);
      else
        throw new CatalogError('compat_props_add with an array argument cpu-model-guard cannot read', {
          path: tree.path(key),
          line: st[0]!.line,
        });
      continue;
    }
    if (head === 'x86_cpu_change_kvm_default') {
      const propTok = st[2];
      const valueTok = st[4];
      if (propTok?.kind !== 'string') continue;
      const property = JSON.parse(propTok.text) as string;
      const value = valueTok?.kind === 'string' ? (JSON.parse(valueTok.text) as string) : null;
      state.accelDefaultChanges.push({
        accel: 'kvm',
        property,
        value: value === null ? null : value === 'on' ? true : value === 'off' ? false : value,
        location: { path: tree.path(key), line: st[0]!.line },
      });
      continue;
    }
    const assign = st.findIndex((t) => t.text === '=');
    if (assign > 0) {
      const target = st
        .slice(0, assign)
        .map((t) => t.text)
        .join('');
      const value = st.slice(assign + 1);
      if (target.endsWith('->default_cpu_version')) {
        const v = evaluateExpression(value, tree.macros, tree.path(key), { line: st[0]!.line });
        const n = Number(v);
        state.defaultCpuVersion =
          n === 0 ? 'legacy' : n === -1 ? 'latest' : n > 0 ? n : state.defaultCpuVersion;
      } else if (target.endsWith('->alias')) {
        state.alias = value[0]?.kind === 'string' ? (JSON.parse(value[0].text) as string) : null;
      }
      continue;
    }
    if (st[1]?.text === '(' && functions.has(head)) {
      runFunction(tree, key, functions.get(head)!, state, depth + 1);
    }
  }
}

/**
 * Machine types that a tree defines but does not register: QEMU 9.1 and later skip machine
 * types older than the deletion horizon (include/hw/boards.h) at run time.
 */
function isDeleted(tree: QemuTree, version: string, projectVersion: string): boolean {
  if (!tree.macros.has('MACHINE_VER_DELETION_MAJOR') || !tree.macros.has('_MACHINE_VER_IS_EXPIRED_IMPL'))
    return false;
  const [major, minor, micro] = projectVersion.split('.').map(Number);
  const [mMajor, mMinor] = version.split('.');
  const text = `_MACHINE_VER_IS_EXPIRED_IMPL(MACHINE_VER_DELETION_MAJOR, ${mMajor}, ${mMinor})`;
  const seed = (name: string, value: number | undefined): void =>
    tree.macros.define({
      name,
      body: [{ kind: 'number', text: String(value ?? 0), line: 0 }],
      path: '<VERSION>',
      line: 0,
    });
  seed('QEMU_VERSION_MAJOR', major);
  seed('QEMU_VERSION_MINOR', minor);
  seed('QEMU_VERSION_MICRO', micro);
  const tokens: Token[] = text
    .match(/[A-Za-z_]\w*|\d+|[(),]/g)!
    .map((t) => ({ kind: /^\d/.test(t) ? 'number' : /^\w/.test(t) ? 'ident' : 'punct', text: t, line: 0 }));
  return evaluateExpression(tokens, tree.macros, tree.path('boardsH'), { line: 0 }) !== 0n;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/**
 * The newest released QEMU version a `VERSION` file implies: `10.1.50` (development of 10.2)
 * and `10.1.90` (its release candidates) say 10.1; `10.2.0` says 10.2.
 */
export function releasedVersionOf(projectVersion: string): string {
  const [major = 0, minor = 0] = projectVersion.split('.').map(Number);
  return `${major}.${minor}`;
}

export function readMachineTypes(tree: QemuTree, projectVersion: string, notes: string[]): MachineType[] {
  const released = releasedVersionOf(projectVersion);
  const out: MachineType[] = [];
  for (const def of machineDefinitions(tree)) {
    const name = def.name;
    if (isDeleted(tree, def.version, projectVersion)) {
      notes.push(
        `${name} is defined in ${tree.path(def.key)} but no longer registered (older than QEMU's machine type deletion horizon)`,
      );
      continue;
    }
    const functions = tree.structures[def.key]!.functions;
    const optionFn = functions.get(def.optionFn);
    if (!optionFn) {
      throw new CatalogError(`machine type ${name}: its option function ${def.optionFn} is not in the file`, {
        path: tree.path(def.key),
        line: def.line,
      });
    }
    const state: MachineState = { compatSets: [], accelDefaultChanges: [] };
    runFunction(tree, def.key, optionFn, state, 0);
    if (def.initFn) {
      const initFn = functions.get(def.initFn);
      if (!initFn)
        throw new CatalogError(`machine type ${name}: its init function ${def.initFn} is not in the file`, {
          path: tree.path(def.key),
          line: def.line,
        });
      runFunction(tree, def.key, initFn, state, 0);
    }
    if (state.defaultCpuVersion === undefined) {
      throw new CatalogError(
        `machine type ${name}: no default_cpu_version is set along its option functions`,
        { path: tree.path(def.key), line: def.line },
        'cpu-model-guard needs to know which version unversioned model names resolve to',
      );
    }
    const alias = def.alias ?? (state.alias || undefined);
    // A machine type of the version under development is not released yet.
    const isReleased = compareVersions(def.version, released) <= 0;
    out.push({
      name,
      family: def.family,
      version: def.version,
      location: { path: tree.path(def.key), line: def.line },
      compatSets: state.compatSets,
      accelDefaultChanges: state.accelDefaultChanges,
      defaultCpuVersion: state.defaultCpuVersion,
      released: isReleased,
      aliases: alias ? [alias] : [],
    });
  }
  out.sort((a, b) => a.family.localeCompare(b.family) || compareVersions(a.version, b.version));
  return out;
}
