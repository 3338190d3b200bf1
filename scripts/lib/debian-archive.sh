# shellcheck shell=bash
# The Debian archive as this machine's own apt configuration names it, and a private apt state
# for any suite of it. Sourced by the scripts that fetch real QEMU and libvirt from Debian, so
# that none of them writes an archive's host name down and the system's apt state is never
# touched.
#
#   . scripts/lib/debian-archive.sh
#   debian_archive <suite>          # sets archive_uri, archive_signed_by (or dies)
#   apt_private_init <state-dir> <types> <suite>...
#                                   # sets apt_private (apt options) for those suites
#   apt_private_update <state-dir> <what> <list-glob>
#                                   # refreshes the lists when older than a day
#
# The caller defines die() (message, exit 2).

# shellcheck source=/dev/null
debian_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# Find the Debian archive in the machine's apt configuration: the entries that serve the
# system's own release (its codename, or a suite named like it). Output lines:
#   <kind> <uri> <signed-by or ->
# where kind is "main" (the archive of <codename>, <codename>-updates, -backports) or
# "security" (the archive of <codename>-security).
debian_archives() {
  local cn=$debian_codename f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822: paragraphs separated by blank lines; comments start with '#'.
    awk -v cn="$cn" '
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
    awk -v cn="$cn" '
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

# The archive that serves <suite>: the one of the machine's own release, or its security
# archive for a *-security suite. Every other suite (older or newer releases, backports,
# sid) lives in the same archive as the machine's own release.
debian_archive() {
  local suite=$1 kind=main entry k u s
  [[ -n $debian_codename ]] ||
    die "cannot tell this system's Debian release (no VERSION_CODENAME in /etc/os-release)"
  [[ $suite == *-security ]] && kind=security
  archive_uri=
  archive_signed_by=-
  while read -r entry; do
    read -r k u s <<<"$entry"
    if [[ $k == "$kind" ]]; then
      archive_uri=$u
      archive_signed_by=$s
      break
    fi
  done < <(debian_archives | sort -u)
  [[ -n $archive_uri ]] ||
    die "no Debian archive for '$debian_codename' found in /etc/apt/sources.list or /etc/apt/sources.list.d/; add the machine's Debian entries (deb or deb-src) and retry"
}

# apt options for a private state in <state-dir> that sees <types> (deb, deb-src) of the given
# suites of the machine's Debian archive, and nothing else. The system's dpkg status is kept:
# apt then knows what this machine already has.
apt_private_init() {
  local state=$1 types=$2
  shift 2
  local sources_dir=$state/sources suite
  mkdir -p -- "$sources_dir" "$state/lists/partial" "$state/cache/archives/partial"
  rm -f -- "$sources_dir"/*.sources
  for suite in "$@"; do
    debian_archive "$suite"
    {
      echo "Types: $types"
      echo "URIs: $archive_uri"
      echo "Suites: $suite"
      echo "Components: main"
      [[ $archive_signed_by == - ]] || echo "Signed-By: $archive_signed_by"
    } >"$sources_dir/$suite.sources"
  done
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
}

# Refresh the private lists when they are older than a day (an index changes daily at most).
# <what> names the index in messages ("source index of bookworm"); <list-glob> is a file name
# pattern under lists/ that the index must have produced (apt-get update exits 0 on a missing
# Release file with some configurations).
apt_private_update() {
  local state=$1 what=$2 glob=$3 stamp=$1/updated out
  if [[ ! -f $stamp ]] || [[ -n $(find "$stamp" -mmin +1440) ]]; then
    echo "reading the $what from $archive_uri" >&2
    if ! out=$(apt-get "${apt_private[@]}" update 2>&1); then
      echo "$out" >&2
      die "apt could not read the $what from $archive_uri (is it a suite this archive serves?)"
    fi
    if ! compgen -G "$state/lists/$glob" >/dev/null; then
      echo "$out" >&2
      die "the archive at $archive_uri has no $what (unknown or retired suite?)"
    fi
    touch -- "$stamp"
  fi
}
