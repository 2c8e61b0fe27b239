# wsflow build entry points. `make test` installs everything it needs on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := $(CURDIR)/.venv
PYTHON ?= python3
export PATH := $(VENV)/bin:$(HOME)/.cargo/bin:$(PATH)
export CARGO_TERM_COLOR ?= never

.PHONY: help venv build lint test test-rust bench clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Python tools (moto server, cfn-lint, cargo-lambda, zig) in ./.venv

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

build: ## Build every crate
	cargo build --workspace --all-targets --locked

lint: ## rustfmt, clippy (warnings are errors), and the emulator/product boundary
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	@if cargo tree --locked -p wsflow-dev -e normal --prefix none | grep -E '^wsflow-(core|aws|authorizer|queue-worker|default-route|cli) '; then \
		echo "error: the emulator depends on the product crate(s) above; emulator/ must stand alone"; exit 1; fi

# The end-to-end tests run the built binaries (wsflow dev, the functions) on the synthesized
# template and drive them with wscat from cdk/node_modules.
test-rust: venv synth runtimes ## Rust unit, integration and end-to-end tests (moto server from the venv)
	cargo build --workspace --bins --locked
	cargo test --workspace --locked

test: lint browser test-rust cdk-test chaos-smoke ## Everything CI runs

# Peers of ../shared/peers that are installed run in the same run; a missing one is named, with
# its setup command, and skipped. wsflow-bench stops everything it started, also on Ctrl-C.
bench: venv synth ## Benchmarks side by side with the peers: prints numbers, writes target/bench-report/index.html
	cargo build --release --locked -p wsflow-bench -p wsflow-cli -p wsflow-queue-worker -p wsflow-default-route -p wsflow-authorizer
	target/release/wsflow-bench

clean: ## Remove build outputs (keeps the venv)
	cargo clean
	rm -rf build

include mk/cdk.mk
include mk/chaos.mk
include mk/dev.mk
include mk/bench.mk
