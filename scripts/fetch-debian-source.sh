#!/usr/bin/env bash
# Download and unpack a Debian source package, with Debian's patches applied.
#
#   scripts/fetch-debian-source.sh <package>[=<version>] <suite> <dest-dir>
#
# A suite may list several versions of a package (sid often does, during a transition); without
# =<version> the newest is taken.
#
# Real QEMU and libvirt sources are GPL code: the repository never holds a copy, tests fetch
# them with this script. The archive comes from this machine's own apt configuration (its
# deb/deb-src entries for Debian), with the requested suite substituted, in a private apt
# state so the system's apt lists are never touched. If <dest-dir> already holds the unpacked
# tree, nothing is downloaded.
#
# Some archives serve a version's upstream tarball but not its Debian part (the
# .debian.tar.*: bookworm-backports' QEMU 10.0.2 is one). Then the upstream tarball is
# unpacked alone, as that version's upstream release, without debian/ and without Debian's
# patches; the file .upstream-only in the tree names the package and version and says so.
#
# Environment:
#   CMG_APT_STATE  where the private apt lists live (default: <dest-dir>/../.apt)
set -euo pipefail

die() {
  echo "fetch-debian-source: $*" >&2
  exit 2
}

[[ $# -eq 3 ]] || die "usage: $0 <package> <suite> <dest-dir>  (e.g. $0 qemu bookworm .tmp/debian/qemu-bookworm)"
package=${1%%=*}
pin=
[[ $1 == *=* ]] && pin=${1#*=}
suite=$2
dest=$3
[[ $package =~ ^[a-z0-9][a-z0-9.+-]+$ ]] || die "'$package' is not a Debian source package name"
[[ $suite =~ ^[a-z0-9-]+$ ]] || die "'$suite' is not a Debian suite name (bookworm, trixie, sid, experimental, trixie-backports, ...)"

dest=$(realpath -m -- "$dest")
parent=$(dirname -- "$dest")

# A tree is only ever moved into place complete, so its debian/control naming the package (or
# .upstream-only, for an upstream tarball unpacked alone) is proof enough that it is there.
upstream_only=.upstream-only
tree_complete() {
  { [[ -f $dest/debian/control ]] && grep -qx "Source: $package" "$dest/debian/control"; } ||
    { [[ -f $dest/$upstream_only ]] && grep -q "^Source: $package\$" "$dest/$upstream_only"; }
}
tree_version() {
  if [[ -f $dest/$upstream_only ]]; then
    sed -n 's/^Version: //p' "$dest/$upstream_only"
  else
    dpkg-parsechangelog -l "$dest/debian/changelog" -S Version
  fi
}
if tree_complete; then
  if [[ -n $pin ]]; then
    have=$(tree_version)
    [[ $have == "$pin" ]] || die "$dest holds $package $have, not $pin; remove it to fetch $pin"
  fi
  exit 0
fi
if [[ -e $dest ]]; then
  die "$dest exists but does not hold the $package sources; remove it or choose another directory"
fi

mkdir -p -- "$parent"
state=${CMG_APT_STATE:-$parent/.apt}
state=$(realpath -m -- "$state")/$suite
mkdir -p -- "$state"

# Two tests asking for the same tree at once: the second waits, then finds it complete.
exec 9>"$state/lock"
flock 9
if tree_complete; then
  exit 0
fi

if ! command -v dpkg-source >/dev/null; then
  [[ $(id -u) -eq 0 ]] || die "dpkg-source is missing: install dpkg-dev (apt-get install dpkg-dev)"
  echo "fetch-debian-source: installing dpkg-dev" >&2
  apt-get install -y --no-install-recommends dpkg-dev >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y --no-install-recommends dpkg-dev >/dev/null; } ||
    die "could not install dpkg-dev"
fi

# shellcheck source=lib/debian-archive.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib/debian-archive.sh"
apt_private_init "$state" deb-src "$suite"
apt_private_update "$state" "source index of suite '$suite'" "*_dists_${suite}_*Sources*"

work=$(mktemp -d -p "$parent" ".$package-$suite.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
available=$(apt-cache "${apt_private[@]}" showsrc --only-source "$package" 2>/dev/null |
  awk '/^Version:/ {print $2}' | sort -V)
[[ -n $available ]] || die "suite '$suite' has no source package '$package'"
if [[ -n $pin ]]; then
  grep -qxF -- "$pin" <<<"$available" ||
    die "suite '$suite' has no $package $pin; it has: $(paste -sd' ' <<<"$available")"
  version=$pin
else
  version=$(tail -n 1 <<<"$available")
fi
if ! uris=$(apt-get "${apt_private[@]}" source --print-uris -qq "$package=$version" 2>&1); then
  echo "$uris" >&2
  die "apt could not locate the files of $package $version in '$suite'"
fi
echo "fetch-debian-source: downloading $package $version from $suite" >&2

# Each file is fetched on its own, checked against the hash from the signed index, so that an
# archive that serves the tarballs but not the .dsc (some mirrors and proxies) still works.
dsc=
debian_part=missing
upstream_tarballs=()
while read -r quoted name _size hash; do
  [[ -n $name ]] || continue
  url=${quoted#\'}
  url=${url%\'}
  if /usr/lib/apt/apt-helper -o "APT::Sandbox::User=root" download-file "$url" "$work/$name" "$hash" \
    >"$work/download.log" 2>&1; then
    case $name in
    *.dsc) dsc=$work/$name ;;
    *.orig.tar.* | *.orig-*.tar.*) [[ $name == *.asc ]] || upstream_tarballs+=("$name") ;;
    *) debian_part=present ;;
    esac
    continue
  fi
  case $name in
  *.asc) echo "fetch-debian-source: $name (upstream signature) unavailable; not needed to unpack" >&2 ;;
  *.dsc) echo "fetch-debian-source: $name unavailable; rebuilding it from the signed source index" >&2 ;;
  *.debian.tar.*)
    echo "fetch-debian-source: $name (Debian's part) unavailable; unpacking the upstream tarball alone" >&2
    debian_part=unavailable
    ;;
  *)
    cat "$work/download.log" >&2
    die "could not download $url"
    ;;
  esac
done <<<"$uris"

if [[ $debian_part == unavailable ]]; then
  [[ ${#upstream_tarballs[@]} -gt 0 ]] || die "$package $version: neither Debian's part nor an upstream tarball is served"
  mkdir -- "$work/tree"
  for name in "${upstream_tarballs[@]}"; do
    # dpkg-source's layout: the main tarball's top directory is the tree; a component tarball
    # (.orig-<component>.tar.*) goes into <component>/.
    into=$work/tree
    if [[ $name =~ \.orig-([A-Za-z0-9-]+)\.tar\. ]]; then
      into=$work/tree/${BASH_REMATCH[1]}
      mkdir -p -- "$into"
    fi
    tar -xf "$work/$name" -C "$into" --strip-components=1 || die "could not unpack $name"
  done
  {
    echo "Source: $package"
    echo "Version: $version"
    echo "Suite: $suite"
    echo "Unpacked: ${upstream_tarballs[*]}"
    echo "Debian's part (debian/, Debian's patches) was not served: this is the upstream release alone."
  } >"$work/tree/$upstream_only"
  mv -T -- "$work/tree" "$dest"
  echo "fetch-debian-source: $package $version from $suite (upstream tarball only) unpacked into $dest" >&2
  exit 0
fi

if [[ -z $dsc ]]; then
  # The Sources index carries the .dsc's own fields (Package standing for Source); drop the
  # archive-only fields and the lines naming files that are not here.
  dsc="$work/${package}_${version#*:}.dsc"
  apt-cache "${apt_private[@]}" showsrc --only-source "$package" |
    awk -v want="$version" -v dir="$work" '
      BEGIN { RS = ""; FS = "\n" }
      {
        keep = 0
        for (i = 1; i <= NF; i++) if ($i == "Version: " want) keep = 1
        if (!keep || done) next
        done = 1
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^(Directory|Priority|Section):/) { skip = 1; continue }
          if (line ~ /^[A-Za-z-]+:/) skip = 0
          if (skip) continue
          sub(/^Package:/, "Source:", line)
          if (line ~ /^ / ) {
            n = split(line, w, " ")
            if (w[n] ~ /\.dsc$/) continue
            if ((getline tmp < (dir "/" w[n])) < 0) continue
            close(dir "/" w[n])
          }
          print line
        }
      }' >"$dsc"
  grep -q '^Source: ' "$dsc" || die "the source index holds no entry for $package $version"
fi

# apt has already checked the files against the signed Release file; dpkg-source only unpacks
# and applies Debian's patch series.
if ! out=$(dpkg-source --no-check -x "$dsc" "$work/tree" 2>&1); then
  echo "$out" >&2
  die "dpkg-source could not unpack $(basename "$dsc")"
fi
mv -T -- "$work/tree" "$dest"
echo "fetch-debian-source: $package $version from $suite unpacked into $dest" >&2
