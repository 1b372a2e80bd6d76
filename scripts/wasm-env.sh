# Sourced (not run) before any cargo call that builds for wasm32, including
# the one Trunk makes. Chooses how wasm is built on this machine:
#   - a rustup toolchain with the wasm32-unknown-unknown target: use it as is;
#   - otherwise Debian's rustc-web with build-std (see scripts/setup.sh), which
#     needs these variables. They are set only here, never globally, so native
#     builds keep using the rustup toolchain.
if command -v rustup >/dev/null 2>&1 \
  && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  export CACHESCOPE_WASM_ROUTE=rustup
else
  export CACHESCOPE_WASM_ROUTE=debian
  export RUSTC=/usr/bin/rustc
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  # A smaller wasm (an unstable flag, allowed by RUSTC_BOOTSTRAP on this
  # route): panics say what but not where; their message is kept. Measured:
  # 9 KB less gzip. (-Zfmt-debug=shallow saved only 1 KB more: not used.)
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zlocation-detail=none"
fi
# Tools installed by `cargo install` live here; make sure they are found.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
