#!/usr/bin/env bash
# Runs the test levels named on the command line (default: all of them, in
# this order) and prints each level's counts, then one total:
#   lint    cargo fmt --check, cargo clippy --all-targets -D warnings
#   native  cargo test (the core, the command line, the view models)
#   web     wasm-bindgen-test in headless Chrome (components)
#   e2e     the release build served on loopback, driven in headless Chromium
# Exits non-zero if any level fails; later levels still run so one report
# shows everything.
set -uo pipefail
cd "$(dirname "$0")/.."

logs=target/test-logs
mkdir -p "$logs"
total_passed=0
total_failed=0
failed_levels=()

# Sums the "N passed" / "N failed" counts a runner printed.
count() { grep -oE "$1" "$2" | grep -oE '[0-9]+' | awk '{s += $1} END {print s + 0}'; }

# level NAME PASS_REGEX FAIL_REGEX COMMAND...
level() {
  local name="$1" pass_re="$2" fail_re="$3"
  shift 3
  printf '\n=== %s: %s\n' "$name" "$*"
  "$@" 2>&1 | tee "$logs/$name.log"
  local status=${PIPESTATUS[0]}
  local passed failed
  passed=$(count "$pass_re" "$logs/$name.log")
  failed=$(count "$fail_re" "$logs/$name.log")
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  [ "$status" -eq 0 ] || failed_levels+=("$name")
  printf '=== %s: %s passed, %s failed (exit %s)\n' "$name" "$passed" "$failed" "$status"
}

cargo_pass='[0-9]+ passed;'
cargo_fail='[0-9]+ failed;'

lint() {
  cargo fmt --check || return 1
  cargo clippy --all-targets --quiet -- -D warnings || return 1
  echo "lint: 2 passed; 0 failed;"
}

web() {
  # shellcheck source=scripts/wasm-env.sh
  . scripts/wasm-env.sh
  # clippy cannot run for wasm32 here (Debian's rustc-web ships no clippy),
  # so at least the compiler's own warnings in the browser code fail the run.
  local warnings
  warnings=$(cargo build --target wasm32-unknown-unknown --lib --bins --features worker --test web --message-format short 2>&1 |
    grep -E '^(src|tests)/.*(warning|error)') && {
    printf 'wasm build warnings:\n%s\n' "$warnings"
    return 1
  }
  CHROMEDRIVER=/usr/bin/chromedriver \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
    cargo test --target wasm32-unknown-unknown --test web
}

e2e() {
  # shellcheck source=scripts/wasm-env.sh
  . scripts/wasm-env.sh
  trunk build --release --offline || return 1
  # The page with the switches only tests use (?panic=1, for the error
  # banner), which the release above has not: a debug build, in its own
  # target folder so that neither build undoes the other's.
  CACHESCOPE_TEST_SWITCHES=1 CARGO_TARGET_DIR=target/test-switches \
    trunk build --offline --dist target/e2e/dist-test-switches || return 1
  (cd tests/e2e && node --test --test-reporter=tap)
}

native() { cargo test; }

[ $# -gt 0 ] || set -- lint native web e2e
for name in "$@"; do
  case "$name" in
  lint | native | web) level "$name" "$cargo_pass" "$cargo_fail" "$name" ;;
  e2e) level e2e '^# pass [0-9]+' '^# fail [0-9]+' e2e ;;
  *)
    echo "unknown test level: $name (expected lint, native, web or e2e)" >&2
    exit 2
    ;;
  esac
done

printf '\n'
if [ ${#failed_levels[@]} -gt 0 ]; then
  printf 'failing levels: %s\n' "${failed_levels[*]}"
fi
printf 'tests: %s passed, %s failed\n' "$total_passed" "$total_failed"
[ ${#failed_levels[@]} -eq 0 ]
