/**
 * Macro expansion as the C preprocessor does it, in the forms QEMU's versioned machine type
 * macros use (include/hw/boards.h): a replacement rescanned with the tokens after it, variadic
 * arguments, stringizing and pasting.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileStructure } from '../../src/parse/c/initializer.js';
import { evaluateExpression, expandMacros, MacroTable, preprocess } from '../../src/parse/c/preprocessor.js';
import { tokenize } from '../../src/parse/c/tokenizer.js';

const table = (src: string): MacroTable => {
  const macros = new MacroTable();
  preprocess(tokenize(src, 'defs.h'), 'defs.h', macros);
  return macros;
};
const expand = (macros: MacroTable, text: string): string =>
  expandMacros(tokenize(text, 'use.c'), macros)
    .map((t) => t.text)
    .join(' ');

const PICK = [
  '#define _PICK(x1, x2, x3, x4, x5, x6, ...) x6',
  '#define _SYM2(sym, prefix, major, minor) prefix ## _machine_ ## major ## _ ## minor ## _ ## sym',
  '#define _SYM3(sym, prefix, major, minor, micro) prefix ## _machine_ ## major ## _ ## minor ## _ ## micro ## _ ## sym',
  '#define SYM(sym, prefix, ...) _PICK(__VA_ARGS__, _SYM5, _SYM4, _SYM3, _SYM2) (sym, prefix, __VA_ARGS__)',
  '#define STR2(major, minor) #major "." #minor',
  '#define STR3(major, minor, micro) #major "." #minor "." #micro',
  '#define STR(...) _PICK(__VA_ARGS__, STR5, STR4, STR3, STR2) (__VA_ARGS__)',
].join('\n');

test('a macro chosen by another is called with the arguments that follow it', () => {
  const macros = table(PICK);
  expect(expand(macros, 'SYM(options, pc_q35, 10, 0)')).toBe('pc_q35_machine_10_0_options');
  expect(expand(macros, 'SYM(options, pc_q35, 4, 0, 1)')).toBe('pc_q35_machine_4_0_1_options');
  expect(evaluateExpression(tokenize('"pc-q35-" STR(4, 0, 1)', 'use.c'), macros, 'use.c', { line: 1 })).toBe(
    'pc-q35-4.0.1',
  );
});

test('a macro is not expanded inside its own replacement, but is again after it', () => {
  const macros = table('#define f(x) (x + f)\n#define g f\n');
  expect(expand(macros, 'f(1) g(2)')).toBe('( 1 + f ) ( 2 + f )');
});

test('file-scope invocations are read as the definitions they expand to', () => {
  const src = [
    PICK,
    '#define DEFINE_M(name, ...) \\',
    '    static void SYM(class_init, m, __VA_ARGS__)(void *oc) \\',
    '    { \\',
    '        SYM(options, m, __VA_ARGS__)(oc); \\',
    '    } \\',
    '    static const TypeInfo SYM(info, m, __VA_ARGS__) = { .name = name "-" STR(__VA_ARGS__) }; \\',
    '    type_init(SYM(register, m, __VA_ARGS__))',
    '',
    'DEFINE_M("pc", 9, 2)',
    'DEFINE_M("pc", 9, 1)',
  ].join('\n');
  const macros = new MacroTable();
  const structure = readFileStructure(preprocess(tokenize(src, 'pc.c'), 'pc.c', macros), macros);
  expect([...structure.functions.keys()]).toEqual(['m_machine_9_2_class_init', 'm_machine_9_1_class_init']);
  expect(structure.calls.map((c) => [c.name, c.args[0]!.map((t) => t.text).join(''), c.line])).toEqual([
    ['type_init', 'm_machine_9_2_register', 16],
    ['type_init', 'm_machine_9_1_register', 17],
  ]);
  const info = structure.initializers.get('m_machine_9_1_info')!;
  expect(info.line).toBe(17);
});

describe('passes reused by the macros they read', () => {
  const texts = (f: { tokens: { text: string }[] }): string => f.tokens.map((t) => t.text).join(' ');
  const FILE = [
    '#ifdef WITH_A',
    'int a;',
    '#else',
    'int b;',
    '#endif',
    '#define MADE_HERE 1',
    '#undef GONE',
    'DEFINE_TYPE(x);',
  ].join('\n');
  const header = (text: string): MacroTable => {
    const macros = new MacroTable();
    preprocess(tokenize(text, 'cfg.h'), 'cfg.h', macros);
    return macros;
  };
  const read = (macros: MacroTable) => {
    const pre = preprocess(tokenize(FILE, 'file.c'), 'file.c', macros);
    return { pre, structure: readFileStructure(pre, macros) };
  };

  test('the same tokens and the same macros give the earlier result, with its definitions replayed', () => {
    const first = read(header('#define WITH_A\n#define GONE 2\n#define DEFINE_TYPE(n) int n##_type = { 1 }'));
    // Other definition objects, same meaning, moved to other lines.
    const again = header('\n\n#define WITH_A\n#define GONE 2\n#define DEFINE_TYPE(n) int n##_type = { 1 }');
    const second = read(again);
    expect(second.pre).toBe(first.pre);
    expect(second.structure).toBe(first.structure);
    expect(texts(second.pre)).toBe('int a ; DEFINE_TYPE ( x ) ;');
    expect(again.has('MADE_HERE')).toBe(true);
    expect(again.has('GONE')).toBe(false);
    expect([...second.structure.initializers.keys()]).toEqual(['x_type']);
  });

  test('a macro read with another meaning runs the pass again', () => {
    const on = read(header('#define WITH_A\n#define DEFINE_TYPE(n) int n##_type = { 1 }'));
    const off = read(header('#define DEFINE_TYPE(n) int n##_type = { 1 }'));
    expect(off.pre).not.toBe(on.pre);
    expect(texts(off.pre)).toBe('int b ; DEFINE_TYPE ( x ) ;');
    // The preprocessed text is the same as an earlier one's, but the file-scope macro differs.
    const renamed = read(header('#define DEFINE_TYPE(n) int n##_kind = { 1 }'));
    expect(renamed.pre).toBe(off.pre);
    expect(renamed.structure).not.toBe(off.structure);
    expect([...renamed.structure.initializers.keys()]).toEqual(['x_kind']);
  });

  test('CPU_MODEL_GUARD_NO_CACHE=1 runs every pass', () => {
    const macros = () => header('#define WITH_A');
    const cached = [read(macros()), read(macros())];
    expect(cached[1]!.pre).toBe(cached[0]!.pre);
    process.env['CPU_MODEL_GUARD_NO_CACHE'] = '1';
    try {
      const fresh = [read(macros()), read(macros())];
      expect(fresh[1]!.pre).not.toBe(fresh[0]!.pre);
      expect(fresh[1]!.pre).toEqual(cached[0]!.pre);
    } finally {
      delete process.env['CPU_MODEL_GUARD_NO_CACHE'];
    }
  });
});
