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

# A tree is only ever moved into place complete, so its debian/control naming the package is
# proof enough that it is there.
tree_complete() {
  [[ -f $dest/debian/control ]] && grep -qx "Source: $package" "$dest/debian/control"
}
if tree_complete; then
  if [[ -n $pin ]]; then
    have=$(dpkg-parsechangelog -l "$dest/debian/changelog" -S Version)
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

# shellcheck source=/dev/null
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# Find the Debian archive in the machine's apt configuration: the entries that serve the
# system's own release (its codename, or a suite named like it). Output lines:
#   <kind> <uri> <signed-by or ->
# where kind is "main" (the archive of <codename>, <codename>-updates, -backports) or
# "security" (the archive of <codename>-security).
archives() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822: paragraphs separated by blank lines; comments start with '#'.
    awk -v cn="$codename" '
      function flush() {
        if (uris != "" && suites != "") {
          n = split(suites, s, /[ \t]+/)
          kind = ""
          for (i = 1; i <= n; i++) {
            if (s[i] == cn || s[i] == cn "-updates" || s[i] == cn "-backports") kind = "main"
            else if (s[i] == cn "-security" && kind == "") kind = "security"
          }
          if (kind != "" && enabled != "no") {
            m = split(uris, u, /[ \t]+/)
            for (i = 1; i <= m; i++) if (u[i] != "") print kind, u[i], (signed == "" ? "-" : signed)
          }
        }
        uris = ""; suites = ""; signed = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key)
        val = $0; sub(/^[^:]*:[ \t]*/, "", val)
        if (key == "uris") uris = val
        else if (key == "suites") suites = val
        else if (key == "signed-by") signed = val
        else if (key == "enabled") enabled = tolower(val)
      }
      END { flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    # One-line form: deb[-src] [options] uri suite components...
    awk -v cn="$codename" '
      /^[ \t]*(deb|deb-src)[ \t]/ {
        line = $0; signed = "-"
        if (match(line, /\[[^]]*\]/)) {
          opts = substr(line, RSTART + 1, RLENGTH - 2)
          line = substr(line, 1, RSTART - 1) substr(line, RSTART + RLENGTH)
          if (match(opts, /signed-by=[^ \t]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
        }
        n = split(line, w, /[ \t]+/)
        i = (w[1] == "" ? 2 : 1)
        uri = w[i + 1]; s = w[i + 2]
        if (s == cn || s == cn "-updates" || s == cn "-backports") print "main", uri, signed
        else if (s == cn "-security") print "security", uri, signed
      }
    ' "$f"
  done
}

[[ -n $codename ]] || die "cannot tell this system's Debian release (no VERSION_CODENAME in /etc/os-release)"
mapfile -t found < <(archives | sort -u)
kind=main
[[ $suite == *-security ]] && kind=security
uri=
signed=-
for entry in "${found[@]}"; do
  read -r k u s <<<"$entry"
  if [[ $k == "$kind" ]]; then
    uri=$u
    signed=$s
    break
  fi
done
[[ -n $uri ]] ||
  die "no Debian archive for '$codename' found in /etc/apt/sources.list or /etc/apt/sources.list.d/; add the machine's Debian entries (deb or deb-src) and retry"

sources_dir="$state/sources"
mkdir -p -- "$sources_dir" "$state/lists/partial" "$state/cache/archives/partial"
{
  echo "Types: deb-src"
  echo "URIs: $uri"
  echo "Suites: $suite"
  echo "Components: main"
  [[ $signed == - ]] || echo "Signed-By: $signed"
} >"$sources_dir/$suite.sources"
: >"$state/empty.list"

apt_private=(
  -o "Dir::Etc::SourceList=$state/empty.list"
  -o "Dir::Etc::SourceParts=$sources_dir"
  -o "Dir::State::Lists=$state/lists"
  -o "Dir::Cache=$state/cache"
  -o "Dir::Cache::pkgcache="
  -o "Dir::Cache::srcpkgcache="
  -o "APT::Get::List-Cleanup=false"
)

# The Sources index of a suite changes daily at most: refresh it when it is older than a day.
stamp="$state/updated"
if [[ ! -f $stamp ]] || [[ -n $(find "$stamp" -mmin +1440) ]]; then
  echo "fetch-debian-source: reading the $suite source index from $uri" >&2
  if ! out=$(apt-get "${apt_private[@]}" update 2>&1); then
    echo "$out" >&2
    die "apt could not read suite '$suite' from $uri (is '$suite' a Debian suite this archive serves?)"
  fi
  # apt-get update exits 0 on a missing Release file with some configurations: check the lists.
  if ! compgen -G "$state/lists/*_dists_${suite}_*Sources*" >/dev/null; then
    echo "$out" >&2
    die "the archive at $uri has no source index for suite '$suite' (unknown or retired suite?)"
  fi
  touch -- "$stamp"
fi

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
while read -r quoted name _size hash; do
  [[ -n $name ]] || continue
  url=${quoted#\'}
  url=${url%\'}
  if /usr/lib/apt/apt-helper -o "APT::Sandbox::User=root" download-file "$url" "$work/$name" "$hash" \
    >"$work/download.log" 2>&1; then
    [[ $name == *.dsc ]] && dsc=$work/$name
    continue
  fi
  case $name in
  *.asc) echo "fetch-debian-source: $name (upstream signature) unavailable; not needed to unpack" >&2 ;;
  *.dsc) echo "fetch-debian-source: $name unavailable; rebuilding it from the signed source index" >&2 ;;
  *)
    cat "$work/download.log" >&2
    die "could not download $url"
    ;;
  esac
done <<<"$uris"

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
