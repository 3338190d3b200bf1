#!/usr/bin/env bash
# The one test command: everything CI checks, in the order that fails fastest.
#
#   bash scripts/test.sh [jest arguments...]
#
# Jest arguments (test paths, -t patterns) narrow the jest step while working on a few files;
# CI passes none.
#
# Works on a fresh Debian machine with Node 20, as root: installs QEMU (the binary the tests
# use as an oracle), dpkg-dev (to unpack real QEMU/libvirt sources) and debootstrap (for other
# releases' QEMU binaries) when they are missing, installs the locked npm dependencies, fetches
# the real QEMU sources and binaries the oracle tests compare, then typechecks, lints, checks
# that the committed dist/ is what the sources build to, and runs jest. The last line is always
#   N passed, N failed
# counting jest's tests, plus one failure for every other step that failed (named above it).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/cmg-test.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

jest_args=("$@")
failed_steps=()
run_step() {
  local name=$1
  shift
  echo
  echo "==> $name"
  local started=$SECONDS
  if "$@"; then
    echo "==> $name: ok ($((SECONDS - started))s)"
  else
    echo "==> $name: FAILED ($((SECONDS - started))s)"
    failed_steps+=("$name")
  fi
}

system_packages() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
  command -v dpkg-source >/dev/null || missing+=(dpkg-dev)
  command -v git >/dev/null || missing+=(git)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  [[ ${#missing[@]} -eq 0 ]] && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing: ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root" >&2
    return 1
  fi
  echo "installing ${missing[*]}"
  # apt-get update only when something is missing: it is the slow part.
  DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

npm_dependencies() {
  # npm ci replaces node_modules wholesale; skip it when the last successful run installed
  # exactly this lock file.
  local stamp=node_modules/.cmg-lock.sha256
  local want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    echo "node_modules already matches package-lock.json"
    return 0
  fi
  npm ci --no-audit --no-fund && echo "$want" >"$stamp"
}

# Run "<name> <command...>" lines in parallel (downloads wait on the network, not the CPU);
# each one's output is shown when it ends, and any failure fails the whole.
in_parallel() {
  local -a names=() pids=()
  local line name status=0 i
  while IFS= read -r line; do
    [[ -n $line ]] || continue
    name=${line%% *}
    names+=("$name")
    eval "${line#* }" >"$work/$name.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then
      sed "s/^/  ${names[$i]}: /" "$work/${names[$i]}.log"
    else
      sed "s/^/  ${names[$i]}: /" "$work/${names[$i]}.log" >&2
      echo "  ${names[$i]}: FAILED" >&2
      status=1
    fi
  done
  return $status
}

real_sources() {
  # The trees the tests read: QEMU 7.2 (most tests), and every release the oracle tests hold
  # against its binary; others are fetched on first use by test/support/debian-source.ts.
  in_parallel <<'LIST'
qemu-bookworm bash scripts/fetch-debian-source.sh qemu bookworm .tmp/debian/qemu-bookworm
qemu-bullseye bash scripts/fetch-debian-source.sh qemu bullseye .tmp/debian/qemu-bullseye
qemu-bookworm-backports bash scripts/fetch-debian-source.sh qemu bookworm-backports .tmp/debian/qemu-bookworm-backports
qemu-trixie bash scripts/fetch-debian-source.sh qemu trixie .tmp/debian/qemu-trixie
qemu-sid-10.2.2 bash scripts/fetch-debian-source.sh qemu=1:10.2.2+ds-1 sid .tmp/debian/qemu-sid-10.2.2+ds-1
LIST
}

real_binaries() {
  # Other releases' qemu-system-x86 (test/support/qemu-binary.ts): 10.0.2 unpacked, chroots
  # for 5.2, 10.0.13 and 11.1.3. Minutes on a fresh machine, nothing once cached in .tmp/qemu.
  in_parallel <<'LIST'
bookworm-backports bash scripts/fetch-qemu-binary.sh bookworm-backports .tmp/qemu/bookworm-backports
bullseye bash scripts/fetch-qemu-binary.sh bullseye .tmp/qemu/bullseye
trixie bash scripts/fetch-qemu-binary.sh trixie .tmp/qemu/trixie
sid bash scripts/fetch-qemu-binary.sh sid .tmp/qemu/sid
LIST
}

dist_is_fresh() {
  if [[ ! -d dist ]]; then
    echo "dist/ is missing: run 'npm run build' and commit dist/ (the action runs the committed bundle)" >&2
    return 1
  fi
  # Build a copy of the tree (what git would check out, plus new files not ignored) so that a
  # stale dist/ is reported, never silently rewritten.
  local copy=$work/build
  mkdir -p "$copy"
  local f
  while IFS= read -r -d '' f; do
    [[ -e $f && $f != dist/* ]] && printf '%s\0' "$f"
  done < <(git ls-files -z --cached --others --exclude-standard) |
    tar --null -T - -cf - | tar -xf - -C "$copy" || return 1
  ln -s "$root/node_modules" "$copy/node_modules"
  (cd "$copy" && npm run --silent build >"$work/build.log" 2>&1) || {
    cat "$work/build.log" >&2
    echo "npm run build failed" >&2
    return 1
  }
  if ! diff -r --brief "$copy/dist" dist; then
    echo "dist/ differs from a fresh build of the sources: run 'npm run build' and commit dist/" >&2
    return 1
  fi
}

jest_json=$work/jest.json
jest_tests() {
  node --experimental-vm-modules node_modules/jest/bin/jest.js --ci --maxWorkers=2 \
    --json --outputFile="$jest_json" "${jest_args[@]}"
}

run_step "system packages (qemu-system-x86, dpkg-dev, git, debootstrap)" system_packages
run_step "npm ci" npm_dependencies
run_step "real QEMU sources (Debian bullseye, bookworm, bookworm-backports, trixie, sid 10.2.2)" real_sources
run_step "real QEMU binaries (Debian bullseye, bookworm-backports, trixie, sid)" real_binaries
run_step "typecheck" npm run --silent typecheck
run_step "lint" npm run --silent lint
run_step "format (prettier --check)" npm run --silent format:check
run_step "dist/ matches a fresh build" dist_is_fresh
run_step "jest" jest_tests

# Jest's own count; a test file that could not even load counts as one failed test, so that
# a syntax error never reads as "0 failed".
read -r passed failed < <(
  node -e '
    const fs = require("node:fs");
    let r;
    try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 0"); process.exit(0); }
    const unloadable = r.testResults.filter((s) => s.status === "failed" && s.assertionResults.length === 0).length;
    console.log(r.numPassedTests, r.numFailedTests + unloadable);
  ' "$jest_json"
)
if [[ ! -s $jest_json ]]; then
  echo "jest wrote no results: counted as a failure"
fi

echo
for step in "${failed_steps[@]}"; do
  echo "failed step: $step"
done
# A failed jest step is already in jest's count, unless jest failed without a failed test
# (no results, or an error outside any test): then it counts once.
step_failures=0
for step in "${failed_steps[@]}"; do
  if [[ $step != jest || $failed -eq 0 ]]; then
    step_failures=$((step_failures + 1))
  fi
done
failed=$((failed + step_failures))
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
