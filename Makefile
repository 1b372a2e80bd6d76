# The two commands a newcomer needs (both install what is missing first):
#   make serve   build the playground and serve it on http://127.0.0.1:8080
#   make test    run every test: lint, native, in-browser, end-to-end
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

.PHONY: serve test setup setup-test dist cli bench conformance lint test-native test-web test-e2e clean

serve: setup
	. scripts/wasm-env.sh && trunk serve --release --offline --address 127.0.0.1 --port 8080

test: setup-test
	scripts/test-all.sh

setup:
	scripts/setup.sh build

setup-test:
	scripts/setup.sh test

# The release build of the page, into dist/.
dist: setup
	. scripts/wasm-env.sh && trunk build --release --offline

# The native command line, at target/release/cachescope.
cli:
	cargo build --release

lint:
	scripts/test-all.sh lint

test-native:
	scripts/test-all.sh native

test-web: setup-test
	scripts/test-all.sh web

test-e2e: setup-test
	scripts/test-all.sh e2e

# Every lesson on a real Redis and PostgreSQL (throwaway servers on free
# loopback ports): each lesson's run, every schedule the explorer enumerates
# (a 20,000 sample past that), and timed runs with real threads. Prints the
# table; exits 1 if a replayed run disagrees with the model.
conformance: setup-test
	cargo run --release --quiet -- conformance

# Simulator throughput and peak memory (prints figures; asserts nothing).
# Benchmarks (numbers, no assertions); `make bench BEFORE=<rev>` also
# measures that revision's simulator side by side.
bench: setup
	scripts/bench.sh $(if $(BEFORE),--before $(BEFORE))

clean:
	cargo clean
	rm -rf dist
