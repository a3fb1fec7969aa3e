# Suite tasks. The SAM CLI lives in its own venv (.tools): it pins boto3/click versions
# that clash with the test venv (.venv).
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
TOOLS_DIR := .tools
SAM ?= $(TOOLS_DIR)/bin/sam
SAM_CLI_VERSION ?= 1.170.0
CFN_LINT_SERVERLESS_VERSION ?= 0.3.6
# checkov pins dozens of packages (boto3 among them): its own venv, inside .tools.
CHECKOV_VERSION ?= 3.3.30
CHECKOV_DIR := $(TOOLS_DIR)/checkov
# sam build needs each Lambda runtime's interpreter on PATH; pyenv provides them here.
PYENV_VERSIONS ?= 3.11.7:3.12.1:3.13.0
CONFIG_ENV ?= default
# The test/runtime venv: moto is pinned exactly because the sandbox patches its internals.
# Defined before any rule names it: make expands prerequisites as it reads them.
VENV := .venv
VENV_STAMP := $(VENV)/.installed

# No telemetry, no instance-metadata lookups: every sam call runs offline.
export SAM_CLI_TELEMETRY := 0
export AWS_EC2_METADATA_DISABLED := true

.PHONY: help install demo test test-faults bench lint build docs .tools

help: ## list targets
	@grep -E '^[a-zA-Z_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

lint: $(VENV_STAMP) .tools ## ruff, mypy sandbox/, cfn-lint (+serverless rules), sam validate (translator and --lint), checkov, bandit, statelint
	SAM="$(SAM)" scripts/lint.sh

build: .tools ## sam build (Lambda runtimes from pyenv when present)
	if command -v pyenv >/dev/null 2>&1; then \
	    export PYENV_VERSION="$(PYENV_VERSIONS)" PATH="$$(pyenv root)/shims:$$PATH"; \
	fi; \
	"$(SAM)" build --config-env "$(CONFIG_ENV)"

# Installs go through uv (pinned, bootstrapped with pip into its own venv): it resolves and
# installs the same versions as pip, from its cache, in seconds instead of minutes. Bytecode is
# compiled at install, as pip does: where PYTHONDONTWRITEBYTECODE is set nothing would write it
# later, and every process would compile moto, botocore and the tools from source.
UV_VERSION ?= 0.13.9
UV := $(TOOLS_DIR)/uv/bin/uv
$(UV):
	"$(PYTHON)" -m venv "$(TOOLS_DIR)/uv"
	"$(TOOLS_DIR)/uv/bin/python" -m pip install --quiet "uv==$(UV_VERSION)"

# .cfnlintrc appends the serverless rules: `sam validate --lint` imports them from this venv.
.tools: | $(UV) ## create the SAM CLI tool venv (and checkov's, inside it) if missing
	if [[ ! -x "$(SAM)" ]] || ! "$(TOOLS_DIR)/bin/python" -c "import cfn_lint_serverless" 2>/dev/null; then \
	    "$(PYTHON)" -m venv "$(TOOLS_DIR)"; \
	    "$(UV)" pip install --quiet --compile-bytecode --python "$(TOOLS_DIR)/bin/python" \
	        "aws-sam-cli==$(SAM_CLI_VERSION)" "cfn-lint-serverless==$(CFN_LINT_SERVERLESS_VERSION)"; \
	fi
	if [[ "$$("$(CHECKOV_DIR)/bin/checkov" --version 2>/dev/null)" != "$(CHECKOV_VERSION)" ]]; then \
	    "$(PYTHON)" -m venv "$(CHECKOV_DIR)"; \
	    "$(UV)" pip install --quiet --compile-bytecode --python "$(CHECKOV_DIR)/bin/python" "checkov==$(CHECKOV_VERSION)"; \
	fi

$(VENV_STAMP): pyproject.toml | $(UV)
	"$(PYTHON)" -m venv "$(VENV)"
	"$(UV)" pip install --quiet --compile-bytecode --python "$(VENV)/bin/python" -e '.[dev]'
	touch "$@"

# The sandbox's bytecode, as pip writes it for a wheel: an editable install has none until a run writes it,
# and none ever where PYTHONDONTWRITEBYTECODE is set (~0.1 s of every `sandbox` command). Recompiled when a
# source changed (meanwhile an edited module compiles in memory, as before).
BYTECODE_STAMP := $(VENV)/.bytecode
$(BYTECODE_STAMP): $(VENV_STAMP) $(shell find sandbox -name '*.py' 2>/dev/null)
	"$(VENV)/bin/python" -m compileall -q sandbox
	touch "$@"

install: $(VENV_STAMP) $(BYTECODE_STAMP) ## create .venv and install the suite, the sandbox and the dev tools

demo: $(VENV_STAMP) ## run every workflow offline with every sample event and show its path
	"$(VENV)/bin/sandbox" demo

# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
# --asl-coverage-gate: the whole suite must enter every state and take every transition of every
# state machine of template.yaml (report: end of the output and .sandbox/coverage.json).
# pytest-xdist: one worker per logical core, plus one: a worker often waits (a subprocess, a browser, a Node.js child,
# a wheel build) with its core idle, and the extra worker fills that time (measured on 2 cores, paired: wall -6 to -9 %,
# CPU +2 to +4 %). PYTEST_WORKERS=0 runs everything in one process. --dist loadgroup keeps the tests
# that share a module fixture or a workflow's cases on one worker (tests/xdist_groups.py). Workers send their coverage and log scans to the controller, which gates.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
# Bytecode is written during the suite even where PYTHONDONTWRITEBYTECODE is set: pytest keeps each test module's
# assertion rewrite there (__pycache__, ignored by git), and without it every worker and every run rewrote all of
# them again (~1.4 s of each worker's ~3 s collection), and compiled tests/, functions/ and suite_docs/ from source.
# A passing run records pytest's wall time in .sandbox/make-test.json (`make bench` shows it).
test: $(VENV_STAMP) lint ## lint chain (skipped when its inputs passed before), then the whole suite on every core (with the ASL coverage gate)
	start=$$(date +%s); rc=0; \
	env -u PYTHONDONTWRITEBYTECODE "$(VENV)/bin/python" -m pytest --asl-coverage-gate -n "$(PYTEST_WORKERS)" \
	    --dist loadgroup || rc=$$?; \
	if [[ $$rc -eq 5 ]]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	if [[ $$rc -eq 0 ]]; then \
	    mkdir -p .sandbox; \
	    printf '{"pytest_wall_s": %s, "workers": "%s", "at": "%s"}\n' "$$(( $$(date +%s) - start ))" \
	        "$(PYTEST_WORKERS) ($$(nproc) cores)" "$$(date -u +%F)" > .sandbox/make-test.json; \
	fi; exit $$rc

test-faults: $(VENV_STAMP) ## only the fault exploration of every Task (~200 sandbox runs, part of make test)
	"$(VENV)/bin/python" -m pytest tests/hardening/test_faults.py

bench: $(VENV_STAMP) $(BYTECODE_STAMP) ## benchmarks beside their baselines (minutes); rewrites the README's performance table
	"$(VENV)/bin/python" -m benchmarks --write-readme

docs: $(VENV_STAMP) ## regenerate diagrams and cost blocks in docs/<slug>.md, the patterns/ catalogue and the README table
	"$(VENV)/bin/python" -m suite_docs --write
