#!/usr/bin/env bash
# Install a real QEMU binary (Debian's qemu-system-x86) of any Debian suite, for tests that use
# it as an oracle, without touching the system's own QEMU.
#
#   scripts/fetch-qemu-binary.sh <suite> <dest-dir>
#
# How it is installed depends on whether the suite's binary runs on this machine:
#   - <codename>-backports (and -updates) of the machine's own release: built for this
#     release's libraries. apt (a private state that sees the suite and the release) downloads
#     qemu-system-x86 and whatever this machine lacks for it; dpkg-deb -x unpacks every .deb
#     into <dest-dir>. Run <dest-dir>/usr/bin/qemu-system-x86_64 with
#     QEMU_MODULE_DIR=<dest-dir>/usr/lib/x86_64-linux-gnu/qemu (the system's modules are
#     another version's), LD_LIBRARY_PATH=<dest-dir>/usr/lib/x86_64-linux-gnu and
#     <dest-dir>/lib/x86_64-linux-gnu, and
#     -L <dest-dir>/usr/share/qemu -L <dest-dir>/usr/share/seabios.
#   - any other suite (an older or newer release, sid): debootstrap makes a minimal chroot of
#     that suite in <dest-dir> with qemu-system-x86 in it (no recommends). Run it as
#     `chroot <dest-dir> /usr/bin/qemu-system-x86_64` (as root).
# The machine's own suite is refused: its binary is the system package (apt-get install
# qemu-system-x86).
#
# The archive comes from this machine's own apt configuration (scripts/lib/debian-archive.sh).
# <dest-dir> is moved into place only when complete; its .qemu-binary file then says how it
# was installed (Mode: unpacked|chroot) and which version, and a second call does nothing.
# Concurrent calls for one <dest-dir> wait for each other, and installs on one machine run one
# at a time (apt and dpkg keep machine-wide locks). A call that is stopped midway unmounts
# what debootstrap mounted in its work folder before removing it.
#
# Needs root (chroot, debootstrap); installs debootstrap when it is missing.
set -euo pipefail

die() {
  echo "fetch-qemu-binary: $*" >&2
  exit 2
}

[[ $# -eq 2 ]] || die "usage: $0 <suite> <dest-dir>  (e.g. $0 trixie .tmp/qemu/trixie)"
suite=$1
[[ $suite =~ ^[a-z0-9-]+$ ]] || die "'$suite' is not a Debian suite name (bullseye, trixie, sid, bookworm-backports, ...)"
dest=$(realpath -m -- "$2")
parent=$(dirname -- "$dest")
marker=.qemu-binary

# shellcheck source=lib/debian-archive.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/debian-archive.sh"

complete() { [[ -f $dest/$marker ]]; }
complete && exit 0
[[ -e $dest ]] && die "$dest exists but holds no complete QEMU binary; remove it or choose another directory"
[[ $(id -u) -eq 0 ]] || die "installing a QEMU binary of '$suite' needs root (debootstrap, chroot)"
[[ -n $debian_codename ]] || die "cannot tell this system's Debian release (no VERSION_CODENAME in /etc/os-release)"
[[ $suite != "$debian_codename" ]] ||
  die "'$suite' is this machine's own release: its QEMU is the system package (apt-get install qemu-system-x86)"

mkdir -p -- "$parent"
exec 9>"$parent/.$(basename -- "$dest").lock"
flock 9
complete && exit 0

# Two test runs of different checkouts install into different folders, but apt and dpkg lock
# the machine's package state: the second would fail on the first's lock rather than wait.
exec 8>/run/lock/cpu-model-guard-fetch-qemu-binary.lock
flock 8
complete && exit 0

work=$(mktemp -d -p "$parent" ".$(basename -- "$dest").XXXXXX")
cleanup() {
  # debootstrap mounts /proc (and more) inside the chroot; a killed run leaves them mounted,
  # and removing the folder must not descend into them.
  local mounts
  mounts=$(findmnt -rn -o TARGET | awk -v w="$work/" 'index($0, w) == 1' | sort -r) || true
  [[ -z $mounts ]] || xargs -r -d '\n' umount -l <<<"$mounts" || true
  rm -rf --one-file-system -- "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
started=$SECONDS
version=

case $suite in
"$debian_codename"-backports | "$debian_codename"-updates)
  state=$parent/.apt/$suite
  apt_private_init "$state" deb "$debian_codename" "$debian_codename-updates" "$suite"
  apt_private_update "$state" "package index of suite '$suite'" "*_dists_${suite}_*Packages*"
  echo "fetch-qemu-binary: downloading qemu-system-x86 from $suite" >&2
  # The system's dpkg status stays in view: apt downloads qemu-system-x86 and only what this
  # machine lacks for it (everything, on a machine without the system's QEMU).
  rm -f -- "$state/cache/archives/"*.deb
  if ! out=$(apt-get "${apt_private[@]}" install --download-only -y -qq --no-install-recommends \
    -t "$suite" qemu-system-x86 2>&1); then
    echo "$out" >&2
    die "apt could not download qemu-system-x86 from '$suite'"
  fi
  debs=("$state/cache/archives/"*.deb)
  [[ -f ${debs[0]} ]] || die "apt downloaded nothing for qemu-system-x86 from '$suite'"
  mkdir -- "$work/root"
  for deb in "${debs[@]}"; do
    dpkg-deb -x "$deb" "$work/root" || die "could not unpack $(basename -- "$deb")"
    [[ $(dpkg-deb -f "$deb" Package) == qemu-system-x86 ]] && version=$(dpkg-deb -f "$deb" Version)
  done
  rm -f -- "${debs[@]}"
  mode=unpacked
  ;;
*)
  if ! command -v debootstrap >/dev/null; then
    echo "fetch-qemu-binary: installing debootstrap" >&2
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; } ||
      die "could not install debootstrap"
  fi
  debian_archive "$suite"
  keyring=()
  [[ $archive_signed_by == - ]] || keyring=(--keyring="$archive_signed_by")
  echo "fetch-qemu-binary: debootstrap $suite with qemu-system-x86 from $archive_uri" >&2
  # debootstrap resolves Depends (not Recommends) of what --include names: qemu-system-x86
  # and what it needs to start, the firmware included.
  if ! debootstrap --variant=minbase --include=qemu-system-x86 "${keyring[@]}" \
    "$suite" "$work/root" "$archive_uri" >"$work/debootstrap.log" 2>&1; then
    tail -n 30 "$work/debootstrap.log" >&2
    [[ -f $work/root/debootstrap/debootstrap.log ]] && tail -n 30 "$work/root/debootstrap/debootstrap.log" >&2
    die "debootstrap of '$suite' failed"
  fi
  # The package cache is 100+ MB nobody reads again.
  rm -rf -- "$work/root/var/cache/apt/archives/"*.deb
  mode=chroot
  ;;
esac

binary=$work/root/usr/bin/qemu-system-x86_64
[[ -x $binary ]] || die "qemu-system-x86 of '$suite' has no usr/bin/qemu-system-x86_64"
if [[ $mode == chroot ]]; then
  version=$(chroot "$work/root" dpkg-query -W -f '${Version}' qemu-system-x86)
fi
{
  echo "Suite: $suite"
  echo "Mode: $mode"
  echo "Package: qemu-system-x86 ${version:-unknown}"
  echo "Seconds: $((SECONDS - started))"
} >"$work/root/$marker"
mv -T -- "$work/root" "$dest"
echo "fetch-qemu-binary: qemu-system-x86 ${version:-} of $suite ($mode) in $dest, $((SECONDS - started)) s" >&2
