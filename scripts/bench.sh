#!/usr/bin/env bash
# Simulator throughput and memory, natively: the hot-key stampede workload at
# 100,000 reads/s for 100,000 and 1,000,000 requests, without and with
# leases, each in its own process (so each peak memory figure is its own);
# then the explorer benchmark; then the page in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for requests in 100000 1000000; do
  for stampede in none lease; do
    target/release/cachescope bench --requests "$requests" --stampede "$stampede"
  done
done
# The exhaustive explorer: four writers of three operations each (369,600
# schedules), counted through memoised states.
target/release/cachescope bench-explore
# The page in headless Chromium: first render and frame times while playing
# a 10,000-operation run (needs the release build of the page).
. scripts/wasm-env.sh
trunk build --release --offline >/dev/null 2>&1
(cd tests/e2e && node bench-page.mjs)
