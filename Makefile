# The two commands of the README: `make run` and `make test`. Both install what they
# need on a fresh Debian/Ubuntu machine and are quick the second time.
.PHONY: run sandbox test bench lint fmt setup dev screenshots dist dist-windows windows-check

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

## The UI from Vite's dev server with hot reload, in the app's window (ARGS=sandbox for the sandbox).
dev:
	./scripts/dev.sh $(ARGS)

## Every test: UI unit tests, Rust unit/integration/keychain tests, desktop end-to-end tests.
test:
	./scripts/test.sh

## Refresh docs/screenshots/ from the end-to-end run's screenshots (run `make test` first).
screenshots:
	@test -d .e2e-out/screenshots || { echo "no .e2e-out/screenshots: run make test (or ./e2e/run.sh) first" >&2; exit 1; }
	cp .e2e-out/screenshots/*.png docs/screenshots/
	@echo "docs/screenshots/ refreshed from .e2e-out/screenshots/"

## Benchmarks: print figures (see docs/PERFORMANCE.md). Never part of `make test`.
bench: setup
	./scripts/bench.sh

## Release packages in dist/: .deb and .rpm for Linux (scripts/dist.sh), then the Windows
## installer (scripts/dist-windows.sh, a cross build; DIST_WINDOWS=0 skips it).
dist:
	./scripts/dist.sh
	@if [ "$${DIST_WINDOWS:-1}" != 0 ]; then ./scripts/dist-windows.sh; fi

## Only the Windows installer (scripts/dist-windows.sh): dist/Switchboard-<version>-setup.exe.
dist-windows: setup
	./scripts/dist-windows.sh

## Cross-check (clippy) the Windows build, headless and desktop; CI runs it too.
windows-check: setup
	./scripts/windows-check.sh

lint: setup
	cargo fmt --check
	cargo clippy --all-targets --locked -- -D warnings
	cargo clippy --all-targets --locked --no-default-features -- -D warnings

fmt:
	cargo fmt
