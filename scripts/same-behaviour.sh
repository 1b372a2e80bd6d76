#!/usr/bin/env bash
# Shows, in one run, that the working tree behaves exactly as revision REV
# (default: the last commit) does: both command lines are built, and every
# lesson's report, exploration and shortest example schedules, and the
# benchmark workloads' reports (with and without trace), are compared byte
# for byte.
#
#   scripts/same-behaviour.sh [REV]
#   CACHESCOPE_BEFORE=path/to/cachescope scripts/same-behaviour.sh
#                                    (compares with that binary instead)
#
# Use it around a change that must not change behaviour (a refactoring):
# it prints one line per output compared and exits non-zero on the first
# difference, showing it.
set -euo pipefail
cd "$(dirname "$0")/.."

rev="${1:-HEAD}"
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/before" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

if [ -n "${CACHESCOPE_BEFORE:-}" ]; then
  before="$CACHESCOPE_BEFORE"
  echo "==> building the working tree (after); before: $before"
else
  echo "==> building $rev (before) and the working tree (after)"
  git worktree add --detach --quiet "$work/before" "$rev"
  # The before side has a target folder of its own, kept between runs so
  # rebuilding it is cheap.
  CARGO_TARGET_DIR=target/same-behaviour-before cargo build --release --quiet \
    --manifest-path "$work/before/Cargo.toml"
  before=target/same-behaviour-before/release/cachescope
fi
cargo build --release --quiet
after=target/release/cachescope

compared=0
# outputs NAME ARGS...: the same command on both sides, stdout, stderr and
# exit code compared.
outputs() {
  local name="$1"
  shift
  local side
  for side in before after; do
    local binary="${!side}"
    set +e
    "$binary" "$@" >"$work/$side.out" 2>"$work/$side.raw-err"
    echo "exit $?" >>"$work/$side.raw-err"
    # Progress lines depend on the machine's speed, not on behaviour.
    grep -v '^explore: about ' "$work/$side.raw-err" >"$work/$side.err" || true
    set -e
  done
  if ! cmp -s "$work/before.out" "$work/after.out" || ! cmp -s "$work/before.err" "$work/after.err"; then
    echo "DIFFERENT: $name"
    diff <(cat "$work/before.out" "$work/before.err") <(cat "$work/after.out" "$work/after.err") | head -40
    exit 1
  fi
  compared=$((compared + 1))
  printf '    same: %s (%s bytes)\n' "$name" "$(wc -c <"$work/after.out")"
}

outputs "presets" presets
mkdir -p "$work/lessons"
for lesson in $("$after" presets); do
  "$before" preset "$lesson" >"$work/lessons/$lesson.json"
  outputs "preset $lesson" preset "$lesson"
  outputs "run $lesson" run "$work/lessons/$lesson.json"
  outputs "run --no-trace $lesson" run --no-trace "$work/lessons/$lesson.json"
  outputs "explore $lesson" explore "$work/lessons/$lesson.json"
  for anomaly in stale divergent_at_end lost_writes; do
    outputs "explore --example $anomaly $lesson" explore --example "$anomaly" "$work/lessons/$lesson.json"
  done
done
for file in benches/*.json; do
  outputs "run $file" run "$file"
  outputs "run --no-trace $file" run --no-trace "$file"
done
echo "==> $compared outputs compared: all identical"
