#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) cachescope needs, and
# skips whatever is already present. Safe to run again and again.
#
#   scripts/setup.sh build   wasm toolchain, wasm-bindgen-cli, trunk, Node.js
#                            and wasm-opt (binaryen from npm)
#   scripts/setup.sh test    all of the above, plus Chromium, ChromeDriver,
#                            the end-to-end test's npm packages, and Redis
#                            and PostgreSQL (Debian's) for the real-systems
#                            check
#
# The wasm route: a rustup toolchain that already has the wasm32 target is
# used as is. Otherwise Debian's rustc-web builds wasm with build-std (this
# is how our machines work: they reach package registries only, so rustup
# cannot download a target). See scripts/wasm-env.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

purpose="${1:-build}"
case "$purpose" in build | test) ;; *)
  echo "usage: scripts/setup.sh [build|test]" >&2
  exit 2
  ;;
esac

step() {
  step_started=$SECONDS
  printf '==> %s\n' "$*"
}
ok() { printf '    ok: %s (%ss)\n' "$*" $((SECONDS - step_started)); }
fail() {
  printf '\nsetup failed: %s\n' "$*" >&2
  exit 1
}

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  as_root=(false)
fi

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || fail "apt-get not found; install these by hand: $*"
  [ "${as_root[0]:-}" != false ] || fail "installing $* needs root (or sudo)"
  if [ "$apt_updated" -eq 0 ]; then
    step "apt-get update"
    "${as_root[@]}" apt-get update -q >/dev/null || fail "apt-get update"
    apt_updated=1
  fi
  step "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -q "$@" >/dev/null ||
    fail "apt-get install $*"
}

have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The exact version of a package in Cargo.lock.
locked_version() {
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

step "Rust toolchain"
command -v cargo >/dev/null 2>&1 || fail "cargo not found: install Rust with rustup first"
ok "$(cargo --version)"

step "WebAssembly compiler"
if command -v rustup >/dev/null 2>&1 &&
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  ok "rustup's wasm32-unknown-unknown target"
else
  missing=()
  for pkg in rustc-web rust-web-src lld-22; do have_deb "$pkg" || missing+=("$pkg"); done
  if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 ||
      fail "no wasm32 target: run 'rustup target add wasm32-unknown-unknown'"
    apt_install -t bookworm-security "${missing[@]}"
  fi
  [ -x /usr/bin/rustc ] && [ -e /usr/bin/rust-lld ] || fail "Debian rustc-web is incomplete (/usr/bin/rustc, /usr/bin/rust-lld)"
  ok "Debian $(/usr/bin/rustc --version) with build-std"
fi

step "wasm-bindgen-cli"
bindgen_version="$(locked_version wasm-bindgen)"
[ -n "$bindgen_version" ] || fail "wasm-bindgen is not in Cargo.lock"
grep -q "wasm_bindgen = \"$bindgen_version\"" Trunk.toml ||
  fail "Trunk.toml's [tools] wasm_bindgen must be $bindgen_version, as in Cargo.lock"
if [ "$(wasm-bindgen --version 2>/dev/null)" = "wasm-bindgen $bindgen_version" ] &&
  command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
  ok "wasm-bindgen $bindgen_version"
else
  step "cargo install wasm-bindgen-cli $bindgen_version (about 2 minutes)"
  # Not --locked: the crate's own lock file names a dependency version the
  # registry no longer serves.
  cargo install --quiet wasm-bindgen-cli --version "$bindgen_version" ||
    fail "cargo install wasm-bindgen-cli"
  ok "$(wasm-bindgen --version)"
fi

step "trunk"
if trunk --version 2>/dev/null | grep -q '^trunk 0\.21\.'; then
  ok "$(trunk --version)"
else
  step "cargo install trunk ^0.21 (about 5 minutes)"
  # 0.21, not 0.22: trunk 0.22 needs a newer rustc than our toolchain.
  cargo install --quiet trunk --version '^0.21' --locked || fail "cargo install trunk"
  ok "$(trunk --version)"
fi

step "Node.js (wasm-opt for the build; the end-to-end tests)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
node_major="$(node --version | sed 's/^v\([0-9]*\).*/\1/')"
[ "$node_major" -ge 20 ] || fail "the build and the end-to-end tests need Node.js 20 or newer (found $(node --version))"
ok "node $(node --version)"

# npm ci in $1 unless its packages are already installed from its lock file.
npm_packages() {
  step "npm packages of $1"
  if [ -f "$1/node_modules/.package-lock.json" ] &&
    [ "$1/node_modules/.package-lock.json" -nt "$1/package-lock.json" ]; then
    ok "up to date"
  else
    (cd "$1" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in $1"
    ok "installed"
  fi
}

# binaryen's wasm-opt shrinks the release wasm (scripts/post_build.py).
npm_packages tools

if [ "$purpose" = test ]; then
  step "Chromium and ChromeDriver"
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  ok "$(/usr/bin/chromium --version 2>/dev/null | head -n1)"
  ok "$(/usr/bin/chromedriver --version 2>/dev/null | head -n1)"

  npm_packages tests/e2e

  # The real-systems check (tests/real.rs, make conformance) starts its own
  # throwaway servers from these packages on free loopback ports.
  step "Redis and PostgreSQL servers"
  missing=()
  command -v redis-server >/dev/null 2>&1 || have_deb redis-server || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
  ok "$(redis-server --version | cut -d' ' -f1-3)"
  postgres_bin="$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -n1)"
  ok "$("$postgres_bin" --version)"
fi

printf '==> setup complete in %ss\n' "$SECONDS"
