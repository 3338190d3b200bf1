#!/usr/bin/env bash
# A check of a real example: QEMU 7.2's CPU model catalog (Debian's source package) as the
# base of a fresh git repository, and a head commit that adds a feature to the released
# Haswell model, the mistake the rule exists to catch. Prints the report and exits with the
# CLI's exit code (1: the change needs a new model version).
#
#   scripts/example.sh [--format text|markdown|json|sarif]
set -euo pipefail
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

[[ -f dist/cli.js ]] || { echo "example: dist/cli.js is missing; run npm ci first (dist/ is committed)" >&2; exit 2; }
qemu=.tmp/debian/qemu-bookworm
bash scripts/fetch-debian-source.sh qemu bookworm "$qemu" >&2

repo=$(mktemp -d "${TMPDIR:-/tmp}/cmg-example-XXXXXX")
trap 'rm -rf -- "$repo"' EXIT
# Every file the QEMU reader reads (QEMU_X86_FILES in src/parse/qemu-x86/files.ts; a test keeps
# the two equal): without kvm.c the catalog would fall back to the default host table.
files=(VERSION target/i386/cpu.h target/i386/cpu.c target/i386/kvm/kvm-cpu.c target/i386/kvm/kvm.c
  target/i386/kvm.c target/i386/tcg/tcg-cpu.c hw/i386/pc.c include/hw/i386/pc.h hw/core/machine.c
  include/hw/boards.h hw/i386/pc_q35.c hw/i386/pc_piix.c include/qemu/hw-version.h include/qemu/osdep.h
  qapi/machine.json hw/i386/x86-common.c hw/i386/x86.c)
for f in "${files[@]}"; do
  [[ -f $qemu/$f ]] && install -D -m 644 "$qemu/$f" "$repo/$f"
done
git() { command git -C "$repo" -c user.name=example -c user.email=example@example.org -c commit.gpgsign=false "$@"; }
git init -q -b main
git add -A
git commit -q -m "QEMU 7.2 CPU model catalog"
# The head: AVX-512F added to Haswell's definition, which every Haswell name shares.
sed -i '0,/CPUID_7_0_EBX_FSGSBASE | CPUID_7_0_EBX_BMI1 |/s//CPUID_7_0_EBX_FSGSBASE | CPUID_7_0_EBX_BMI1 |\n            CPUID_7_0_EBX_AVX512F |/' "$repo/target/i386/cpu.c"
git commit -q -am "Haswell: add avx512f"

echo "+ cpu-model-guard check --repo $repo --base HEAD~1 --head HEAD $*" >&2
exec node dist/cli.js check --repo "$repo" --base HEAD~1 --head HEAD "$@"
