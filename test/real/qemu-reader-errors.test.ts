/**
 * No silent degradation, on real releases: a real tree damaged in one place is an error naming
 * the file and line, never a smaller catalog. Each case edits a scratch copy of Debian's tree.
 */
import { describe, expect, test } from '@jest/globals';
import { CatalogError } from '../../src/errors.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';
import { QemuTreeCopy } from '../support/qemu-tree-copy.js';

const failure = async (suite: string, change: (tree: QemuTreeCopy) => void): Promise<CatalogError> => {
  const tree = new QemuTreeCopy(await debianSource('qemu', suite));
  try {
    change(tree);
    const result = await readQemuX86Catalog(fsSource(tree.dir)).then(
      (c) => c,
      (e: unknown) => e,
    );
    expect(result).toBeInstanceOf(CatalogError);
    return result as CatalogError;
  } finally {
    tree.remove();
  }
};

describe('QEMU 10.0 (trixie)', () => {
  test('an empty pc_q35.c', async () => {
    const err = await failure('trixie', (t) => t.write('hw/i386/pc_q35.c', ''));
    expect(err.location).toEqual({ path: 'hw/i386/pc_q35.c', line: 1 });
    expect(err.message).toMatch(/empty/);
  });

  test('a pc_piix.c that defines no machine type', async () => {
    const err = await failure('trixie', (t) =>
      t.write('hw/i386/pc_piix.c', '#include "qemu/osdep.h"\n\nstatic int unrelated;\n'),
    );
    expect(err.location?.path).toBe('hw/i386/pc_piix.c');
    expect(err.message).toMatch(/defines no PC machine type/);
  });

  test('an empty machine.c', async () => {
    const err = await failure('trixie', (t) => t.write('hw/core/machine.c', '/* nothing */\n'));
    expect(err.location).toEqual({ path: 'hw/core/machine.c', line: 1 });
  });

  test('an empty pc.c is not called older than 3.1', async () => {
    const err = await failure('trixie', (t) => t.write('hw/i386/pc.c', '#include "qemu/osdep.h"\nint x;\n'));
    expect(err.message).toMatch(/hw\/i386\/pc\.c defines no compat arrays/);
    expect(err.message).not.toMatch(/3\.1/);
    expect(err.location).toEqual({ path: 'hw/i386/pc.c', line: 1 });
  });

  test('a stray } in an option function', async () => {
    let line = 0;
    const err = await failure('trixie', (t) => {
      t.edit('hw/i386/pc_q35.c', '    m->hw_version = "2.4.0";\n', '    m->hw_version = "2.4.0";\n    }\n');
      line = t.lineOf('hw/i386/pc_q35.c', 'm->hw_version = "2.4.0";');
    });
    expect(err.location?.path).toBe('hw/i386/pc_q35.c');
    expect(err.location?.line).toBeGreaterThan(line);
    expect(err.message).toMatch(/'}' at file scope closes nothing/);
  });

  test('an option function adds a compat array the tree does not define', async () => {
    let line = 0;
    const err = await failure('trixie', (t) => {
      t.edit('hw/i386/pc.c', /GlobalProperty pc_compat_3_1\[\] = \{[^}]*\{[\s\S]*?\n\};\n/, '');
      line = t.lineOf('hw/i386/pc_piix.c', 'pc_compat_3_1, pc_compat_3_1_len');
    });
    expect(err.message).toMatch(/adds the compat array pc_compat_3_1, which the tree does not define/);
    expect(err.location?.line).toBeGreaterThan(0);
    expect(['hw/i386/pc_piix.c', 'hw/i386/pc_q35.c']).toContain(err.location?.path);
    if (err.location?.path === 'hw/i386/pc_piix.c') expect(err.location.line).toBe(line);
  });

  test('a machine type whose option function is not defined', async () => {
    const err = await failure('trixie', (t) =>
      t.edit(
        'hw/i386/pc_q35.c',
        'static void pc_q35_machine_2_4_options(MachineClass *m)',
        'static void pc_q35_machine_2_4_renamed(MachineClass *m)',
      ),
    );
    expect(err.message).toMatch(/pc_q35_machine_2_4_options\(\) is called but not defined/);
    expect(err.location).toEqual({ path: 'hw/i386/pc_q35.c', line: expect.any(Number) });
  });

  test('an option function that decides on something the reader cannot evaluate', async () => {
    let line = 0;
    const err = await failure('trixie', (t) => {
      t.edit(
        'hw/i386/pc_q35.c',
        '    compat_props_add(m->compat_props, pc_compat_2_4, pc_compat_2_4_len);\n',
        '    if (runtime_choice(m)) {\n        compat_props_add(m->compat_props, pc_compat_2_4, pc_compat_2_4_len);\n    }\n',
      );
      line = t.lineOf('hw/i386/pc_q35.c', 'if (runtime_choice(m))');
    });
    expect(err.message).toMatch(/cannot evaluate the condition 'if \(runtime_choice \( m \)\)'/);
    expect(err.location).toEqual({ path: 'hw/i386/pc_q35.c', line });
  });

  test('a kvm_arch_get_supported_cpuid() the reader cannot follow', async () => {
    const err = await failure('trixie', (t) =>
      t.edit(
        'target/i386/kvm/kvm.c',
        /\buint32_t kvm_arch_get_supported_cpuid\(/,
        'uint32_t kvm_arch_get_supported_cpuid_renamed(',
      ),
    );
    expect(err.location?.path).toBe('target/i386/kvm/kvm.c');
    expect(err.message).toMatch(/kvm_arch_get_supported_cpuid/);
  });

  test('x86_cpu_expand_features() without the statement that drops KVM features elsewhere', async () => {
    let line = 0;
    const err = await failure('trixie', (t) => {
      t.edit(
        'target/i386/cpu.c',
        '        env->features[FEAT_KVM] = 0;\n',
        '        env->features[FEAT_KVM] &= ~0;\n',
      );
      line = t.lineOf('target/i386/cpu.c', 'void x86_cpu_expand_features(X86CPU *cpu, Error **errp)');
    });
    expect(err.message).toMatch(/clears no feature word without KVM/);
    expect(err.location).toEqual({ path: 'target/i386/cpu.c', line });
  });

  test('a machine type defined but never registered', async () => {
    const err = await failure('trixie', (t) =>
      t.edit(
        'include/hw/i386/pc.h',
        '        type_register_static(&MACHINE_VER_SYM(info, namesym, __VA_ARGS__)); \\\n',
        '        /* registration dropped */ \\\n',
      ),
    );
    expect(err.message).toMatch(/is defined but never registered/);
    expect(err.location?.path).toMatch(/^hw\/i386\/pc_(q35|piix)\.c$/);
  });
});
