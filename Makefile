# The two commands of the README: `make run` and `make test`. Both install what they
# need on a fresh Debian/Ubuntu machine and are quick the second time.
.PHONY: run sandbox test bench lint fmt setup dev

CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR

setup:
	./scripts/setup.sh

## Build and open the desktop app (first run offers the sandbox if you have no Twilio account).
run: setup
	cargo build --release --locked
	$(CARGO_TARGET_DIR)/release/switchboard

## The app wired to the built-in Twilio simulator: no account needed.
sandbox: setup
	cargo build --release --locked
	$(CARGO_TARGET_DIR)/release/switchboard sandbox

## Every test: UI unit tests, Rust unit/integration/keychain tests, desktop end-to-end tests.
test:
	./scripts/test.sh

## Benchmarks: print figures (see docs/PERFORMANCE.md). Never part of `make test`.
bench: setup
	./scripts/bench.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo clippy --all-targets --locked --no-default-features -- -D warnings

fmt:
	cargo fmt
