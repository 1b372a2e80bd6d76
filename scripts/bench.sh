#!/usr/bin/env bash
# Benchmarks that print numbers (nothing here asserts a time):
#
# 1. Simulator throughput and memory, natively: the hot-key stampede
#    workload (`cachescope bench`: 100,000 reads/s on one key, TTL 1 s, DB
#    read 120 ms) for 100,000 and 1,000,000 requests, without and with
#    leases, each run in its own process (so each peak memory figure is its
#    own), three times each; the median is summed up.
# 2. The same workload modelled in SimPy (benches/simpy_stampede.py; SimPy
#    is installed from the package index into target/bench-venv if
#    missing), in the same run, and the ratio of the two.
# 3. The exhaustive explorer.
# 4. The page in headless Chromium (tests/e2e/bench-page.mjs).
#
#   scripts/bench.sh                  all of it
#   scripts/bench.sh --before REV     also builds REV (in target/bench-before)
#                                     and measures it side by side in step 1,
#                                     and its page's frames, explorer and
#                                     large runs in step 4
#   scripts/bench.sh --native         steps 1-3 only
set -euo pipefail
cd "$(dirname "$0")/.."

before=""
page=1
while [ $# -gt 0 ]; do
  case "$1" in
  --before)
    before="$2"
    shift 2
    ;;
  --native)
    page=0
    shift
    ;;
  *)
    echo "usage: scripts/bench.sh [--before REV] [--native]" >&2
    exit 2
    ;;
  esac
done

cargo build --release --quiet
binaries=(target/release/cachescope)
labels=("this tree")
if [ -n "$before" ]; then
  rev=$(git rev-parse --short "$before")
  src=target/bench-before/src
  rm -rf "$src"
  mkdir -p "$src"
  git archive "$rev" | tar -x -C "$src"
  echo "building $rev for comparison..."
  CARGO_TARGET_DIR=target/bench-before cargo build --release --quiet --manifest-path "$src/Cargo.toml"
  binaries+=(target/bench-before/release/cachescope)
  labels+=("$rev")
fi

# SimPy, from the package index, in a virtual environment of its own.
venv=target/bench-venv
if ! "$venv/bin/python" -c 'import simpy' 2>/dev/null; then
  echo "installing SimPy into $venv..."
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet simpy
fi
simpy_version=$("$venv/bin/python" -c 'import simpy; print(simpy.__version__)')
python_version=$("$venv/bin/python" -c 'import platform; print(platform.python_version())')

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
# The median of numbers, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
millions() { awk -v x="$1" 'BEGIN { printf "%.2f M", x / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", a / b }'; }

runs=3
for requests in 100000 1000000; do
  duration_ms=$((requests / 100))
  echo
  echo "== $requests requests: hot key, 100,000 reads/s, TTL 1 s, DB read 120 ms =="
  simpy_line=$("$venv/bin/python" benches/simpy_stampede.py 100000 "$duration_ms")
  echo "simpy $simpy_version (python $python_version), none: $simpy_line"
  simpy_ops=$(echo " $simpy_line" | field ops_per_s)
  summary=()
  for i in "${!binaries[@]}"; do
    for stampede in none lease; do
      lines=""
      for _ in $(seq "$runs"); do
        line=$("${binaries[$i]}" bench --requests "$requests" --stampede "$stampede")
        echo "${labels[$i]}: $line"
        lines+=" $line"$'\n'
      done
      ops=$(echo "$lines" | field ops_per_s | median)
      rss=$(echo "$lines" | field peak_rss_kib | median)
      summary+=("$(printf '%-10s %-6s %10s ops/s  %7s SimPy  peak RSS %6s KiB' \
        "${labels[$i]}" "$stampede" "$(millions "$ops")" "$(ratio "$ops" "$simpy_ops")" "$rss")")
    done
  done
  echo "-- median of $runs, against SimPy's $(millions "$simpy_ops") ops/s in the same run:"
  printf '   %s\n' "${summary[@]}"
done

# The exhaustive explorer: four writers of three operations each (369,600
# schedules), counted through memoised states.
echo
target/release/cachescope bench-explore

[ "$page" -eq 1 ] || exit 0
# The page in headless Chromium: first render and frame times while playing
# a 10,000-operation run, the explorer, the 100,000-request workload against
# the native command line, and the million-a-second hot key.
. scripts/wasm-env.sh
trunk build --release --offline >/dev/null 2>&1
echo
(cd tests/e2e && CACHESCOPE_BENCH_LABEL="this tree" node bench-page.mjs)
if [ -n "$before" ]; then
  # The same page figures for REV (frames, explorer, large runs), its page
  # built from its own tree with this tree's tools, compared with its own
  # command line.
  echo "building $rev's page for comparison..."
  root=$(pwd)
  ln -sfn "$root/tools/node_modules" "$src/tools/node_modules"
  (cd "$src" && CARGO_TARGET_DIR="$root/target/bench-before" \
    trunk build --release --offline --dist "$root/target/bench-before/dist" >/dev/null 2>&1)
  (cd tests/e2e && CACHESCOPE_BENCH_LABEL="$rev" CACHESCOPE_BENCH_PARTS=load,frames,charts,explorer,large \
    CACHESCOPE_DIST="$root/target/bench-before/dist" CACHESCOPE_NATIVE="$root/target/bench-before/release/cachescope" \
    node bench-page.mjs)
fi
