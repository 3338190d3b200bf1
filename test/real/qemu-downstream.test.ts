/**
 * A distribution's QEMU, as RHEL's qemu-kvm builds it: the upstream machine types are disabled
 * with `#if 0 /* Disabled for Red Hat Enterprise Linux *\/` and the distribution defines its own
 * with DEFINE_PC_MACHINE, chained like upstream's and adding compat arrays of its own names.
 * The tree is Debian's real QEMU 10.0 with those edits made here; the machine-type code follows
 * the shape of qemu-kvm's hw/i386/pc_q35.c and pc_piix.c.
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { EffectiveModels } from '../../src/catalog/effective.js';
import type { Catalog } from '../../src/catalog/model.js';
import { readQemuX86Catalog } from '../../src/parse/qemu-x86/index.js';
import { fsSource } from '../../src/source/fs-source.js';
import { debianSource } from '../support/debian-source.js';
import { QemuTreeCopy } from '../support/qemu-tree-copy.js';

const DISABLED = '#if 0 /* Disabled for Red Hat Enterprise Linux */\n';
const RESUMED = '#endif  /* Disabled for Red Hat Enterprise Linux */\n';

const Q35_TYPES = `
/* Red Hat Enterprise Linux machine types */

/* Options for the latest rhel q35 machine type */
static void pc_q35_machine_rhel_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pcmc->pci_root_uid = 0;
    m->family = "pc_q35_Z";
    m->default_display = "std";
    pcmc->default_cpu_version = 1;
    machine_class_allow_dynamic_sysbus_dev(m, TYPE_RAMFB_DEVICE);
    m->alias = "q35";
    compat_props_add(m->compat_props, pc_rhel_compat, pc_rhel_compat_len);
}

static void pc_q35_init_rhel940(MachineState *machine)
{
    pc_q35_init(machine);
}

static void pc_q35_machine_rhel940_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pc_q35_machine_rhel_options(m);
    m->desc = "RHEL-9.4.0 PC (Q35 + ICH9, 2009)";
    pcmc->smbios_stream_product = "RHEL";
}

DEFINE_PC_MACHINE(q35_rhel940, "pc-q35-rhel9.4.0", pc_q35_init_rhel940,
                  pc_q35_machine_rhel940_options);

static void pc_q35_init_rhel920(MachineState *machine)
{
    pc_q35_init(machine);
}

static void pc_q35_machine_rhel920_options(MachineClass *m)
{
    pc_q35_machine_rhel940_options(m);
    m->desc = "RHEL-9.2.0 PC (Q35 + ICH9, 2009)";
    m->alias = NULL;
    compat_props_add(m->compat_props, hw_compat_rhel_9_3,
                     hw_compat_rhel_9_3_len);
    compat_props_add(m->compat_props, pc_rhel_9_2_compat,
                     pc_rhel_9_2_compat_len);
}

DEFINE_PC_MACHINE(q35_rhel920, "pc-q35-rhel9.2.0", pc_q35_init_rhel920,
                  pc_q35_machine_rhel920_options);

static void pc_q35_init_rhel800(MachineState *machine)
{
    pc_q35_init(machine);
}

static void pc_q35_machine_rhel800_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pc_q35_machine_rhel920_options(m);
    m->desc = "RHEL-8.0.0 PC (Q35 + ICH9, 2009)";
    m->alias = NULL;
    pcmc->default_cpu_version = CPU_VERSION_LEGACY;
    compat_props_add(m->compat_props, pc_rhel_8_0_compat, pc_rhel_8_0_compat_len);
}

DEFINE_PC_MACHINE(q35_rhel800, "pc-q35-rhel8.0.0", pc_q35_init_rhel800,
                  pc_q35_machine_rhel800_options);
`;

const I440FX_TYPES = `
/* Red Hat Enterprise Linux machine types */

static void pc_machine_rhel7_options(MachineClass *m)
{
    m->family = "pc_piix_Y";
    m->default_nic = "e1000";
    compat_props_add(m->compat_props, pc_rhel_compat, pc_rhel_compat_len);
    m->alias = "pc";
    m->is_default = 1;
}

static void pc_init_rhel760(MachineState *machine)
{
    pc_init1(machine, TYPE_I440FX_PCI_DEVICE);
}

static void pc_machine_rhel760_options(MachineClass *m)
{
    PCMachineClass *pcmc = PC_MACHINE_CLASS(m);
    pc_machine_rhel7_options(m);
    m->desc = "RHEL 7.6.0 PC (i440FX + PIIX, 1996)";
    pcmc->default_cpu_version = CPU_VERSION_LEGACY;
    compat_props_add(m->compat_props, hw_compat_rhel_9_3, hw_compat_rhel_9_3_len);
    compat_props_add(m->compat_props, pc_rhel_9_2_compat, pc_rhel_9_2_compat_len);
    compat_props_add(m->compat_props, pc_rhel_8_0_compat, pc_rhel_8_0_compat_len);
}

DEFINE_PC_MACHINE(rhel760, "pc-i440fx-rhel7.6.0", pc_init_rhel760,
                  pc_machine_rhel760_options);
`;

const PC_ARRAYS = `
GlobalProperty pc_rhel_compat[] = {
    { "ICH9-LPC", "disable_s3", "1" },
    { TYPE_X86_CPU, "host-phys-bits", "on" },
};
const size_t pc_rhel_compat_len = G_N_ELEMENTS(pc_rhel_compat);

GlobalProperty pc_rhel_9_2_compat[] = {
    /* pc_rhel_9_2_compat from pc_compat_7_2 */
    { "ICH9-LPC", "noreboot", "true" },
};
const size_t pc_rhel_9_2_compat_len = G_N_ELEMENTS(pc_rhel_9_2_compat);

GlobalProperty pc_rhel_8_0_compat[] = {
    /* pc_rhel_8_0_compat from pc_compat_3_1 */
    { "Opteron_G3" "-" TYPE_X86_CPU, "rdtscp", "off" },
    { "Skylake-Server" "-" TYPE_X86_CPU, "mpx", "on" },
};
const size_t pc_rhel_8_0_compat_len = G_N_ELEMENTS(pc_rhel_8_0_compat);
`;

const HW_ARRAYS = `
GlobalProperty hw_compat_rhel_9_3[] = {
    /* hw_compat_rhel_9_3 from hw_compat_8_0 */
    { "migration", "multifd-flush-after-each-section", "on"},
};
const size_t hw_compat_rhel_9_3_len = G_N_ELEMENTS(hw_compat_rhel_9_3);
`;

let tree: QemuTreeCopy;
let catalog: Catalog;

/** Disables everything from `from` to the end of the file and appends the downstream types. */
const disableUpstream = (file: string, from: string, downstream: string): void => {
  const text = tree.read(file);
  const at = text.indexOf(from);
  if (at < 0) throw new Error(`${file}: ${from} not found`);
  tree.write(file, `${text.slice(0, at)}${DISABLED}${text.slice(at)}${RESUMED}${downstream}`);
};

beforeAll(async () => {
  tree = new QemuTreeCopy(await debianSource('qemu', 'trixie'));
  disableUpstream('hw/i386/pc_q35.c', 'static void pc_q35_machine_options(MachineClass *m)', Q35_TYPES);
  disableUpstream(
    'hw/i386/pc_piix.c',
    'static void pc_i440fx_machine_options(MachineClass *m)',
    I440FX_TYPES,
  );
  tree.edit(
    'hw/i386/pc.c',
    'GlobalProperty pc_compat_9_2[] = {};',
    `${PC_ARRAYS}\nGlobalProperty pc_compat_9_2[] = {};`,
  );
  tree.edit(
    'hw/core/machine.c',
    'GlobalProperty hw_compat_9_2[] = {',
    `${HW_ARRAYS}\nGlobalProperty hw_compat_9_2[] = {`,
  );
  catalog = await readQemuX86Catalog(fsSource(tree.dir));
}, 600_000);
afterAll(() => tree?.remove());

test('every downstream machine type is read, in the order and family its code gives it', () => {
  expect(catalog.machineTypes.map((m) => [m.family, m.name, m.version])).toEqual([
    ['pc_piix_Y', 'pc-i440fx-rhel7.6.0', '1'],
    ['pc_q35_Z', 'pc-q35-rhel8.0.0', '1'],
    ['pc_q35_Z', 'pc-q35-rhel9.2.0', '2'],
    ['pc_q35_Z', 'pc-q35-rhel9.4.0', '3'],
  ]);
  const q35 = (name: string) => catalog.machineTypes.find((m) => m.name === name)!;
  expect(q35('pc-q35-rhel9.4.0')).toMatchObject({
    aliases: ['q35'],
    compatSets: ['pc_rhel_compat'],
    defaultCpuVersion: 1,
    released: true,
    location: {
      path: 'hw/i386/pc_q35.c',
      line: tree.lineOf('hw/i386/pc_q35.c', 'DEFINE_PC_MACHINE(q35_rhel940'),
    },
  });
  expect(q35('pc-q35-rhel8.0.0')).toMatchObject({
    aliases: [],
    compatSets: ['pc_rhel_compat', 'hw_compat_rhel_9_3', 'pc_rhel_9_2_compat', 'pc_rhel_8_0_compat'],
    defaultCpuVersion: 'legacy',
  });
  // Upstream's machine types are under #if 0: none is read, and no note pretends otherwise.
  expect(catalog.machineTypes.some((m) => /^pc-(q35|i440fx)-\d/.test(m.name))).toBe(false);
  expect(catalog.notes.filter((n) => /not registered/.test(n))).toEqual([]);
});

test('compat arrays of any name reach the CPUs of the machine types that add them', () => {
  expect(catalog.compatSets['pc_rhel_8_0_compat']?.location).toEqual({
    path: 'hw/i386/pc.c',
    line: tree.lineOf('hw/i386/pc.c', 'GlobalProperty pc_rhel_8_0_compat[]'),
  });
  const em = new EffectiveModels(catalog);
  expect(em.get('Opteron_G3', 'pc-q35-rhel8.0.0', 'tcg')?.['rdtscp']).toBe(false);
  expect(em.get('Opteron_G3', 'pc-q35-rhel9.2.0', 'tcg')?.['rdtscp']).toBe(true);
  expect(em.get('Skylake-Server', 'pc-i440fx-rhel7.6.0', 'tcg')?.['mpx']).toBe(true);
  // pc-q35-rhel8.0.0 resolves unversioned names to the legacy definitions, like upstream's 4.0.
  expect(em.aliasOf('Haswell', 'pc-q35-rhel8.0.0')).toBeUndefined();
  expect(em.aliasOf('Haswell', 'pc-q35-rhel9.4.0')).toBe('Haswell-v1');
});
