# ses-feedback-logger. `make help` lists the targets; `make demo` and `make test` work on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
CARGO  ?= cargo

.PHONY: help demo test lint fmt tools soak fuzz

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN { FS = ":.*## " } { printf "  make %-15s %s\n", $$1, $$2 }'

# The project's Python tools (moto server, cargo-lambda with zig, SAM CLI, cfn-lint, pytest), pinned in
# requirements-dev.txt and installed once into a private venv.
$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

tools: $(VENV)/.installed ## Install the project's tools into .venv

demo: $(VENV)/.installed ## Run the function locally on every events/ file against a local CloudWatch Logs (moto) and show what landed
	VENV=$(VENV) MOTO_SERVER=$(abspath $(VENV))/bin/moto_server scripts/with-moto.sh scripts/demo.sh

test: lint $(VENV)/.installed ## Run every test: unit, mocks, moto integration, end to end, template checks
	MOTO_SERVER=$(abspath $(VENV))/bin/moto_server scripts/with-moto.sh $(CARGO) test --locked --all-targets
	REPLAY_BINARY=$(abspath $(or $(CARGO_TARGET_DIR),target))/debug/ses-feedback-logger \
		MOTO_SERVER=$(abspath $(VENV))/bin/moto_server scripts/with-moto.sh $(PY) -m pytest -q tests/scripts
	VENV=$(VENV) scripts/check_template.sh

lint: ## cargo fmt --check and clippy with warnings as errors
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings

soak: $(VENV)/.installed ## Longer load run: LOAD_ENVIRONMENTS (8) x LOAD_INVOCATIONS (20000) x LOAD_RECIPIENTS (5) against moto
	LOAD_ENVIRONMENTS=$${LOAD_ENVIRONMENTS:-8} LOAD_INVOCATIONS=$${LOAD_INVOCATIONS:-20000} LOAD_RECIPIENTS=$${LOAD_RECIPIENTS:-5} \
	MOTO_SERVER=$(abspath $(VENV))/bin/moto_server scripts/with-moto.sh $(CARGO) test --locked --release --test moto load:: -- --nocapture

FUZZ_CASES ?= 2500000
fuzz: ## Long property-based fuzz run of the parser and formatter (FUZZ_CASES per property, about 10 minutes by default)
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test --locked --release --test offline fuzz:: -- --nocapture

fmt: ## Format the code
	$(CARGO) fmt --all

include mk/deploy.mk
include mk/bench.mk
