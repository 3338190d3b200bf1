import type {
  CpuModel,
  FeatureDependency,
  FeatureInfo,
  ModelVersion,
  PropSetting,
  PropValue,
  SourceLocation,
} from '../../catalog/model.js';
import { CatalogError } from '../../errors.js';
import { field, type FunctionBody, type InitExpr, type InitList, type InitValue } from '../c/initializer.js';
import { evaluateExpression, type ConstValue } from '../c/preprocessor.js';
import type { Token } from '../c/tokenizer.js';
import type { QemuFileKey, QemuTree } from './files.js';

/**
 * Reads the tables of target/i386: feature names per feature word, feature dependencies,
 * the CPU's own property defaults, accelerator defaults and the model definitions.
 */
export class CpuTableReader {
  /** Feature word -> bit -> property name. */
  readonly featureNames = new Map<string, (string | undefined)[]>();
  readonly features: FeatureInfo[] = [];
  private readonly featureWordOf = new Map<string, string>();
  /** CPUID leaf per feature word (for the automatic level). */
  private readonly wordLeaf = new Map<string, { eax: bigint; ecx?: bigint; reg?: string }>();
  /** X86CPU field (`env.cpuid_min_level`, `full_cpuid_auto_level`) -> its property, per x86_cpu_properties[]. */
  readonly propertyOfField = new Map<string, string>();
  /** X86CPU field -> every property bound to it (bit properties share one field). */
  readonly fieldProperties = new Map<string, string[]>();
  /** Property -> its type, for turning QEMU's string values into typed ones. */
  readonly propTypes = new Map<string, 'bool' | 'number' | 'string'>();

  constructor(private readonly tree: QemuTree) {}

  loc(key: QemuFileKey, line: number, endLine?: number): SourceLocation {
    return endLine && endLine !== line
      ? { path: this.tree.path(key), line, endLine }
      : { path: this.tree.path(key), line };
  }

  private fail(key: QemuFileKey, line: number | undefined, message: string, hint?: string): never {
    throw new CatalogError(message, { path: this.tree.path(key), line }, hint);
  }

  /**
   * Values of the expressions evaluated so far, by their tokens' text: the macros are all
   * defined once the tree is loaded, and the models name the same feature bits over and over.
   * Only values are kept; an expression that fails is evaluated again, to fail at its own line.
   */
  private readonly values = new Map<string, ConstValue>();

  eval(key: QemuFileKey, tokens: Token[], line: number): ConstValue {
    const text = tokens.length === 1 ? tokens[0]!.text : tokens.map((t) => t.text).join('\0');
    let value = this.values.get(text);
    if (value === undefined) {
      value = evaluateExpression(tokens, this.tree.macros, this.tree.path(key), { line });
      this.values.set(text, value);
    }
    return value;
  }

  evalInt(key: QemuFileKey, value: InitValue | undefined, what: string): bigint {
    if (!value || value.kind !== 'expr') return this.fail(key, value?.line, `${what}: expected a number`);
    const v = this.eval(key, value.tokens, value.line);
    if (typeof v !== 'bigint')
      return this.fail(key, value.line, `${what}: expected a number, found a string`);
    return v;
  }

  tryInt(key: QemuFileKey, value: InitValue): bigint | undefined {
    try {
      return this.evalInt(key, value, 'value');
    } catch {
      return undefined;
    }
  }

  /** A constant expression that must be a number; anything else is an error at its line. */
  evalTokens(key: QemuFileKey, tokens: Token[]): bigint {
    const line = tokens[0]?.line;
    if (!tokens.length) return this.fail(key, line, 'expected a number, found nothing');
    const v = this.eval(key, tokens, line ?? 0);
    if (typeof v !== 'bigint') return this.fail(key, line, 'expected a number, found a string');
    return v;
  }

  /** The CPUID leaf (EAX) a feature word is read from, per feature_word_info[]. */
  leafOf(word: string): bigint | undefined {
    return this.wordLeaf.get(word)?.eax;
  }

  evalString(key: QemuFileKey, value: InitValue | undefined, what: string): string | null {
    if (!value || value.kind !== 'expr') return this.fail(key, value?.line, `${what}: expected a string`);
    if (value.tokens.length === 1 && value.tokens[0]!.text === 'NULL') return null;
    const v = this.eval(key, value.tokens, value.line);
    if (typeof v !== 'string') {
      if (v === 0n) return null;
      return this.fail(key, value.line, `${what}: expected a string, found a number`);
    }
    return v;
  }

  /** The initializer of a file-scope table, searched in the files that have held it over time. */
  table(name: string, keys: QemuFileKey[]): { key: QemuFileKey; list: InitList; line: number } | undefined {
    for (const key of keys) {
      const init = this.tree.structures[key]?.initializers.get(name);
      if (init) return { key, list: init.list, line: init.line };
    }
    return undefined;
  }

  requireTable(name: string, keys: QemuFileKey[]): { key: QemuFileKey; list: InitList; line: number } {
    const t = this.table(name, keys);
    if (!t) {
      this.fail(
        keys[0]!,
        undefined,
        `the table ${name}[] was not found`,
        'this QEMU tree uses a layout cpu-model-guard does not read (QEMU 5.2 and later are supported)',
      );
    }
    return t;
  }

  readFeatureWords(): void {
    const { key, list } = this.requireTable('feature_word_info', ['cpuC']);
    for (const item of list.items) {
      const d = item.designators[0];
      if (!d || !('index' in d) || item.value.kind !== 'list') {
        this.fail(key, item.line, 'feature_word_info: expected [FEAT_X] = { ... }');
      }
      const word = d.index.map((t) => t.text).join('');
      const namesItem = field(item.value, 'feat_names');
      const names: (string | undefined)[] = [];
      if (namesItem?.value.kind === 'list') {
        let bit = 0;
        for (const n of namesItem.value.items) {
          // Sparse words name their bits by index: `[54] = "vmx-ins-outs"`.
          const d = n.designators[0];
          if (d && 'index' in d)
            bit = Number(
              this.evalInt(
                key,
                { kind: 'expr', tokens: d.index, line: n.line, endLine: n.line },
                `feature_word_info[${word}] index`,
              ),
            );
          const name = this.evalString(key, n.value, `feature_word_info[${word}].feat_names[${bit}]`);
          names[bit] = name ?? undefined;
          if (name) {
            this.features.push({ name, word, bit, location: this.loc(key, n.line) });
            this.featureWordOf.set(name, word);
            this.propTypes.set(name, 'bool');
          }
          bit++;
        }
      }
      this.featureNames.set(word, names);
      const cpuid = field(item.value, 'cpuid');
      if (cpuid?.value.kind === 'list') {
        const eax = field(cpuid.value, 'eax');
        const ecx = field(cpuid.value, 'ecx');
        // Some leaves are macros of kernel headers (KVM_CPUID_FEATURES); those leaves lie
        // outside the ranges the automatic level adjusts, so they are not needed.
        const reg = field(cpuid.value, 'reg');
        const leaf = eax ? this.tryInt(key, eax.value) : undefined;
        if (leaf !== undefined) {
          this.wordLeaf.set(word, {
            eax: leaf,
            ecx: ecx ? this.tryInt(key, ecx.value) : undefined,
            reg: reg?.value.kind === 'expr' ? reg.value.tokens.map((t) => t.text).join('') : undefined,
          });
        }
      }
    }
  }

  /** The names of the bits set in `mask` within a feature word; unnamed bits are reported. */
  namesOfBits(key: QemuFileKey, word: string, mask: bigint, line: number, strict: boolean): string[] {
    const names = this.featureNames.get(word);
    if (!names)
      this.fail(
        key,
        line,
        `unknown feature word ${word}`,
        'feature words are the [FEAT_*] entries of feature_word_info in target/i386/cpu.c',
      );
    const out: string[] = [];
    // Bits from the lowest up, read off the binary digits: this runs for every term of every model.
    const digits = (mask & 0xffffffffffffffffn).toString(2);
    for (let bit = 0; bit < digits.length; bit++) {
      if (digits[digits.length - 1 - bit] !== '1') continue;
      const name = names[bit];
      if (name) out.push(name);
      else if (strict && bit < names.length) {
        this.fail(
          key,
          line,
          `bit ${bit} of ${word} has no feature name, so no property can express it`,
          'give the bit a name in feature_word_info or drop it',
        );
      }
    }
    return out;
  }

  readFeatureDependencies(): FeatureDependency[] {
    const t = this.table('feature_dependencies', ['cpuC']);
    if (!t) return [];
    const out: FeatureDependency[] = [];
    for (const item of t.list.items) {
      if (item.value.kind !== 'list') continue;
      const from = field(item.value, 'from');
      const to = field(item.value, 'to');
      if (from?.value.kind !== 'list' || to?.value.kind !== 'list') {
        this.fail(
          t.key,
          item.line,
          'feature_dependencies: expected { .from = { WORD, MASK }, .to = { WORD, MASK } }',
        );
      }
      const [fw, fm] = from.value.items;
      const [tw, tm] = to.value.items;
      const fromWord = exprText(fw?.value);
      const toWord = exprText(tw?.value);
      const fromNames = this.namesOfBits(
        t.key,
        fromWord,
        this.evalInt(t.key, fm?.value, 'feature_dependencies .from'),
        item.line,
        true,
      );
      const clears = this.namesOfBits(
        t.key,
        toWord,
        this.evalInt(t.key, tm?.value, 'feature_dependencies .to') & 0xffffffffffffffffn,
        item.line,
        false,
      );
      for (const feature of fromNames)
        out.push({ feature, clears, location: this.loc(t.key, item.line, item.value.endLine) });
    }
    return out;
  }

  /**
   * Defaults of the CPU object's own properties (`x86_cpu_properties[]`): the knobs compat
   * properties turn (`legacy-cache`, `x-vendor-cpuid-only`, ...) need a value before and after.
   */
  /** Where each default of `readPropertyDefaults` is written. */
  readonly propertyDefaultLocations: Record<string, SourceLocation> = {};

  readPropertyDefaults(): Record<string, PropValue> {
    const t = this.requireTable('x86_cpu_properties', ['cpuC']);
    const out: Record<string, PropValue> = {};
    for (const item of t.list.items) {
      if (item.value.kind !== 'expr') continue;
      const toks = item.value.tokens;
      const macro = toks[0]?.text ?? '';
      if (!macro.startsWith('DEFINE_PROP_') || toks[1]?.text !== '(') continue;
      const args = splitArgs(toks.slice(2, -1));
      const nameTok = args[0];
      if (!nameTok?.length || nameTok[0]!.kind !== 'string') continue;
      const name = String(this.eval(t.key, nameTok, item.line));
      this.propertyDefaultLocations[name] = this.loc(t.key, item.line);
      if (args[1]?.length === 1 && args[1][0]!.text === 'X86CPU' && args[2]?.length) {
        const fieldName = args[2].map((x) => x.text).join('');
        this.propertyOfField.set(fieldName, name);
        this.fieldProperties.set(fieldName, [...(this.fieldProperties.get(fieldName) ?? []), name]);
      }
      const kind = macro.replace('DEFINE_PROP_', '');
      const tryEval = (a: Token[] | undefined): ConstValue | undefined => {
        if (!a?.length) return undefined;
        try {
          return this.eval(t.key, a, item.line);
        } catch {
          return undefined; // Defaults built from macros outside the catalog are not catalog facts.
        }
      };
      if (kind === 'BOOL') {
        const v = tryEval(args[3]);
        if (v !== undefined) out[name] = v !== 0n;
        this.propTypes.set(name, 'bool');
      } else if (kind === 'BIT' || kind === 'BIT64') {
        const v = tryEval(args[4]);
        if (v !== undefined) out[name] = v !== 0n;
        this.propTypes.set(name, 'bool');
      } else if (/^U?INT(8|16|32|64)$/.test(kind)) {
        const v = tryEval(args[3]);
        if (typeof v === 'bigint') out[name] = Number(v);
        this.propTypes.set(name, 'number');
      } else if (kind === 'STRING') {
        this.propTypes.set(name, 'string');
      }
    }
    for (const p of [
      'family',
      'model',
      'stepping',
      'level',
      'xlevel',
      'xlevel2',
      'min-level',
      'min-xlevel',
      'avx10-version',
    ]) {
      this.propTypes.set(p, 'number');
    }
    this.propTypes.set('vendor', 'string');
    this.propTypes.set('model-id', 'string');
    return out;
  }

  /** QEMU's string values (`"on"`, `"0x1bbc"`) as typed values, per the property's type. */
  typedValue(key: QemuFileKey, property: string, raw: string, line: number): PropValue {
    const type = this.propTypes.get(property) ?? 'string';
    if (type === 'bool') {
      if (['on', 'true', 'yes'].includes(raw)) return true;
      if (['off', 'false', 'no'].includes(raw)) return false;
      this.fail(key, line, `property ${property} takes on/off, not "${raw}"`);
    }
    if (type === 'number') {
      const n = /^-?(0x[0-9a-f]+|\d+)$/i.test(raw) ? Number(raw) : NaN;
      if (Number.isNaN(n)) this.fail(key, line, `property ${property} takes a number, not "${raw}"`);
      return n;
    }
    return raw;
  }

  /** `{ "prop", "value" }, ..., { NULL, NULL }` lists: version props, accelerator defaults. */
  readPropValueList(key: QemuFileKey, list: InitList, what: string): PropSetting[] {
    const out: PropSetting[] = [];
    for (const item of list.items) {
      if (item.value.kind !== 'list') this.fail(key, item.line, `${what}: expected { "property", "value" }`);
      const fields = item.value.items;
      if (!fields.length) continue; // { /* end of list */ }
      const prop = this.evalString(key, (field(item.value, 'prop') ?? fields[0])?.value, what);
      if (prop === null) continue; // { NULL, NULL }
      const value = this.evalString(key, (field(item.value, 'value') ?? fields[1])?.value, `${what} ${prop}`);
      if (value === null) continue;
      out.push({
        property: prop,
        value: this.typedValue(key, prop, value, item.line),
        location: this.loc(key, item.line),
      });
    }
    return out;
  }

  readAccelDefaults(): { kvm: PropSetting[]; tcg: PropSetting[] } {
    const kvm = this.requireTable('kvm_default_props', ['kvmCpuC', 'cpuC']);
    const tcg =
      this.table('x86_tcg_default_props', ['tcgCpuC', 'cpuC']) ??
      this.requireTable('tcg_default_props', ['tcgCpuC', 'cpuC']);
    return {
      kvm: this.readPropValueList(kvm.key, kvm.list, 'kvm_default_props'),
      tcg: this.readPropValueList(tcg.key, tcg.list, 'tcg_default_props'),
    };
  }

  /**
   * Feature words QEMU empties when the accelerator is not KVM
   * (`if (!kvm_enabled() || ...) env->features[FEAT_KVM] = 0`).
   */
  readWordsClearedWithoutKvm(): string[] {
    const fn = findFunction(this.tree, 'x86_cpu_expand_features', ['cpuC']);
    const out: string[] = [];
    if (!fn) return this.fail('cpuC', undefined, 'x86_cpu_expand_features() was not found');
    const { statements } = fn.body;
    statements.forEach((st, k) => {
      const text = st.map((t) => t.text).join(' ');
      const m = /^env -> features \[ (FEAT_\w+) \] = 0$/.exec(text);
      const cond = statements[k - 1]?.map((t) => t.text).join(' ') ?? '';
      if (m && /^if .*! kvm_enabled \( \)/.test(cond)) {
        out.push(...(this.featureNames.get(m[1]!) ?? []).filter((n): n is string => !!n));
      }
    });
    if (!out.length) {
      // Without it, KVM's own features would stay on under TCG: a wrong model, not a smaller one.
      this.fail(
        fn.key,
        fn.body.line,
        'x86_cpu_expand_features() clears no feature word without KVM (`if (!kvm_enabled() ...) env->features[FEAT_KVM] = 0;`)',
        'cpu-model-guard follows x86_cpu_expand_features() to know which features exist only under KVM',
      );
    }
    return out;
  }

  /**
   * Features QEMU offers under KVM whatever the host CPU says: the bits
   * `kvm_arch_get_supported_cpuid()` adds to what the kernel reports (`ret |= CPUID_EXT_HYPERVISOR`),
   * unconditionally or under the in-kernel irqchip that QEMU uses by default. That function is
   * the authority on what asks nothing of the host, and it changes between releases.
   */
  readFeaturesOfferedByQemu(): { feature: string; why: string; location: SourceLocation }[] {
    const fn = findFunction(this.tree, 'kvm_arch_get_supported_cpuid', ['kvmC', 'kvmOldC']);
    if (!fn) return [];
    const { statements, depths } = fn.body;
    const out: { feature: string; why: string; location: SourceLocation }[] = [];
    let words: string[] = [];
    let nestedAccepted = false;
    statements.forEach((st, k) => {
      const depth = depths[k]!;
      const text = st.map((t) => t.text).join(' ');
      if (depth === 0) {
        words = [];
        const m = /^(?:else )?if \( function == (.+?) (?:&& index == (\S+) )?&& reg == (R_\w+) \)$/.exec(
          text,
        );
        if (!m) return;
        const leaf = this.tryEvalTokens(st.filter((t) => m[1]!.split(' ').includes(t.text)));
        const index = m[2] !== undefined ? BigInt(m[2]) : undefined;
        if (leaf === undefined) return;
        for (const [word, info] of this.wordLeaf) {
          if (
            info.eax === leaf &&
            info.reg === m[3] &&
            (info.ecx === undefined || index === undefined || info.ecx === index)
          )
            words.push(word);
        }
        return;
      }
      if (!words.length) return;
      if (depth === 1 && st[0]?.text === 'if') {
        // The in-kernel irqchip is QEMU's default under KVM; other conditions (cpu-pm, a
        // split irqchip) are choices a VM makes, not what a model can count on.
        nestedAccepted = /^if \( kvm_irqchip_in_kernel \( \)/.test(text);
        return;
      }
      if (st[0]?.text !== 'ret' || st[1]?.text !== '|=' || (depth === 2 && !nestedAccepted) || depth > 2)
        return;
      const bits = this.tryEvalTokens(st.slice(2));
      if (bits === undefined) return; // Host bits passed through (`ret |= ebx & ...`).
      for (const word of words) {
        for (const feature of this.namesOfBits(fn.key, word, bits, st[0].line, false)) {
          out.push({
            feature,
            why: `offered by QEMU on every KVM host (kvm_arch_get_supported_cpuid, ${this.tree.path(fn.key)}:${st[0].line})`,
            location: this.loc(fn.key, st[0].line),
          });
        }
      }
    });
    return out;
  }

  private tryEvalTokens(tokens: Token[]): bigint | undefined {
    try {
      const v = this.eval('cpuC', tokens, tokens[0]?.line ?? 0);
      return typeof v === 'bigint' ? v : undefined;
    } catch {
      return undefined;
    }
  }

  readModels(): CpuModel[] {
    const { key, list } = this.requireTable('builtin_x86_defs', ['cpuC']);
    const models: CpuModel[] = [];
    for (const item of list.items) {
      if (item.value.kind !== 'list')
        this.fail(key, item.line, 'builtin_x86_defs: expected a { .name = ..., ... } entry');
      models.push(this.readModel(key, item.value));
    }
    return models;
  }

  private readModel(key: QemuFileKey, def: InitList): CpuModel {
    const nameItem = field(def, 'name');
    const name = this.evalString(key, nameItem?.value, 'model .name');
    if (!name) this.fail(key, def.line, 'a CPU model definition without .name');
    const props: PropSetting[] = [];
    let deprecation: CpuModel['deprecation'];
    let versions: ModelVersion[] | undefined;
    const numeric: Record<string, string> = {
      level: 'level',
      xlevel: 'xlevel',
      xlevel2: 'xlevel2',
      family: 'family',
      model: 'model',
      stepping: 'stepping',
      avx10_version: 'avx10-version',
    };
    for (const item of def.items) {
      const d0 = item.designators[0];
      const fieldName = d0 && 'field' in d0 ? d0.field : undefined;
      if (!fieldName) this.fail(key, item.line, `model ${name}: expected a designated field`);
      const loc = this.loc(key, item.line, item.value.endLine);
      if (fieldName === 'name') continue;
      if (numeric[fieldName]) {
        props.push({
          property: numeric[fieldName]!,
          value: Number(this.evalInt(key, item.value, `${name}.${fieldName}`)),
          location: loc,
        });
      } else if (fieldName === 'vendor') {
        props.push({
          property: 'vendor',
          value: this.evalString(key, item.value, `${name}.vendor`) ?? '',
          location: loc,
        });
      } else if (fieldName === 'model_id') {
        props.push({
          property: 'model-id',
          value: this.evalString(key, item.value, `${name}.model_id`) ?? '',
          location: loc,
        });
      } else if (fieldName === 'features') {
        const d1 = item.designators[1];
        if (!d1 || !('index' in d1))
          this.fail(key, item.line, `model ${name}: .features needs a [FEAT_*] index`);
        props.push(...this.readFeatureTerms(key, d1.index.map((t) => t.text).join(''), item.value, name));
      } else if (fieldName === 'cache_info') {
        // QEMU turns legacy-cache off for models that describe their caches.
        props.push({ property: 'legacy-cache', value: false, location: loc });
      } else if (fieldName === 'deprecation_note') {
        deprecation = {
          note: this.evalString(key, item.value, `${name}.deprecation_note`) ?? '',
          location: loc,
        };
      } else if (fieldName === 'versions') {
        if (item.value.kind !== 'list') this.fail(key, item.line, `model ${name}: .versions must be a list`);
        versions = this.readVersions(key, name, item.value);
      } else {
        this.fail(
          key,
          item.line,
          `model ${name}: unknown field .${fieldName}`,
          'cpu-model-guard reads the fields of X86CPUDefinition it knows; a new field needs support before its changes can be judged',
        );
      }
    }
    const location = this.loc(key, nameItem!.line, def.endLine);
    return {
      name,
      location,
      props,
      deprecation,
      versions: versions ?? [{ version: 1, props: [], location }],
    };
  }

  /**
   * An OR chain: each term's bits get the line of the term, so findings point at it. Bits
   * without a feature name (fixed capability bits such as MSR_VMX_EPT_WB) have no property
   * a guest or a user can see or set, so they are not part of the effective model.
   */
  private readFeatureTerms(key: QemuFileKey, word: string, value: InitValue, model: string): PropSetting[] {
    if (value.kind !== 'expr')
      this.fail(key, value.line, `model ${model}: .features[${word}] must be an expression`);
    const out: PropSetting[] = [];
    const seen = new Set<string>();
    for (const term of splitTopLevel(value.tokens, '|')) {
      if (!term.length) continue;
      const bits = this.evalInt(
        key,
        { kind: 'expr', tokens: term, line: term[0]!.line, endLine: term.at(-1)!.line },
        `${model}.features[${word}]`,
      );
      for (const name of this.namesOfBits(key, word, bits, term[0]!.line, false)) {
        if (seen.has(name)) continue;
        seen.add(name);
        out.push({ property: name, value: true, location: this.loc(key, term[0]!.line) });
      }
    }
    return out;
  }

  private readVersions(key: QemuFileKey, model: string, list: InitList): ModelVersion[] {
    const out: ModelVersion[] = [];
    for (const item of list.items) {
      if (item.value.kind !== 'list')
        this.fail(key, item.line, `model ${model}: a version must be { .version = N, ... }`);
      if (!item.value.items.length) continue; // { /* end of list */ }
      const v = item.value;
      const versionItem = field(v, 'version');
      if (!versionItem) this.fail(key, item.line, `model ${model}: a version without .version`);
      const version = Number(this.evalInt(key, versionItem.value, `${model} .version`));
      const entry: ModelVersion = { version, props: [], location: this.loc(key, item.line, v.endLine) };
      for (const f of v.items) {
        const d0 = f.designators[0];
        const fname = d0 && 'field' in d0 ? d0.field : '';
        if (fname === 'version') continue;
        if (fname === 'alias') {
          entry.alias = this.evalString(key, f.value, `${model}-v${version} .alias`) ?? undefined;
          entry.aliasLocation = this.loc(key, f.line);
        } else if (fname === 'note') {
          entry.note = this.evalString(key, f.value, `${model}-v${version} .note`) ?? undefined;
        } else if (fname === 'props') {
          if (f.value.kind !== 'list') this.fail(key, f.line, `${model}-v${version}: .props must be a list`);
          entry.props.push(...this.readPropValueList(key, f.value, `${model}-v${version} .props`));
        } else if (fname === 'cache_info') {
          entry.props.push({ property: 'legacy-cache', value: false, location: this.loc(key, f.line) });
        } else {
          this.fail(
            key,
            f.line,
            `${model}-v${version}: unknown version field .${fname}`,
            'a new field of X86CPUVersionDefinition needs support before its changes can be judged',
          );
        }
      }
      out.push(entry);
    }
    out.sort((a, b) => a.version - b.version);
    return out;
  }
}

export function findFunction(
  tree: QemuTree,
  name: string,
  keys: QemuFileKey[],
): { key: QemuFileKey; body: FunctionBody } | undefined {
  for (const key of keys) {
    const body = tree.structures[key]?.functions.get(name);
    if (body) return { key, body };
  }
  return undefined;
}

function exprText(v: InitValue | undefined): string {
  return v && v.kind === 'expr' ? v.tokens.map((t) => t.text).join('') : '';
}

/** Splits tokens at a separator that is outside parentheses. */
export function splitTopLevel(tokens: Token[], sep: string): Token[][] {
  const out: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    if (t.text === sep && depth === 0) {
      out.push([]);
      continue;
    }
    out[out.length - 1]!.push(t);
  }
  return out;
}

function splitArgs(tokens: Token[]): Token[][] {
  return splitTopLevel(tokens, ',');
}

export type { InitExpr };
