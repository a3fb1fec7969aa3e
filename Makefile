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

# .cfnlintrc appends the serverless rules: `sam validate --lint` imports them from this venv.
.tools: ## create the SAM CLI tool venv (and checkov's, inside it) if missing
	if [[ ! -x "$(SAM)" ]]; then \
	    "$(PYTHON)" -m venv "$(TOOLS_DIR)"; \
	    "$(TOOLS_DIR)/bin/python" -m pip install --quiet --upgrade pip; \
	    "$(TOOLS_DIR)/bin/python" -m pip install --quiet "aws-sam-cli==$(SAM_CLI_VERSION)"; \
	fi
	if ! "$(TOOLS_DIR)/bin/python" -c "import cfn_lint_serverless" 2>/dev/null; then \
	    "$(TOOLS_DIR)/bin/python" -m pip install --quiet "cfn-lint-serverless==$(CFN_LINT_SERVERLESS_VERSION)"; \
	fi
	if [[ "$$("$(CHECKOV_DIR)/bin/checkov" --version 2>/dev/null)" != "$(CHECKOV_VERSION)" ]]; then \
	    "$(PYTHON)" -m venv "$(CHECKOV_DIR)"; \
	    "$(CHECKOV_DIR)/bin/python" -m pip install --quiet --upgrade pip; \
	    "$(CHECKOV_DIR)/bin/python" -m pip install --quiet "checkov==$(CHECKOV_VERSION)"; \
	fi

$(VENV_STAMP): pyproject.toml
	"$(PYTHON)" -m venv "$(VENV)"
	"$(VENV)/bin/python" -m pip install --quiet --upgrade pip
	"$(VENV)/bin/python" -m pip install --quiet -e '.[dev]'
	touch "$@"

install: $(VENV_STAMP) ## create .venv and install the suite, the sandbox and the dev tools

demo: $(VENV_STAMP) ## run every workflow offline with every sample event and show its path
	"$(VENV)/bin/sandbox" demo

# pytest exits 5 when it collected nothing: that is a failure here, never a pass.
# --asl-coverage-gate: the whole suite must enter every state and take every transition of every
# state machine of template.yaml (report: end of the output and .sandbox/coverage.json).
# pytest-xdist: one worker per logical core ("auto" would count physical cores when psutil is
# installed); PYTEST_WORKERS=0 runs everything in one process. --dist loadgroup keeps the tests
# that share a module fixture or a workflow's cases on one worker (tests/xdist_groups.py). Workers send their coverage and log scans to the controller, which gates.
PYTEST_WORKERS ?= logical
# A passing run records pytest's wall time in .sandbox/make-test.json (`make bench` shows it).
test: $(VENV_STAMP) lint ## lint chain (skipped when its inputs passed before), then the whole suite on every core (with the ASL coverage gate)
	start=$$(date +%s); rc=0; \
	"$(VENV)/bin/python" -m pytest --asl-coverage-gate -n "$(PYTEST_WORKERS)" --dist loadgroup || rc=$$?; \
	if [[ $$rc -eq 5 ]]; then echo "pytest collected no tests" >&2; exit 1; fi; \
	if [[ $$rc -eq 0 ]]; then \
	    mkdir -p .sandbox; \
	    printf '{"pytest_wall_s": %s, "workers": "%s", "at": "%s"}\n' "$$(( $$(date +%s) - start ))" \
	        "$(PYTEST_WORKERS) ($$(nproc) cores)" "$$(date -u +%F)" > .sandbox/make-test.json; \
	fi; exit $$rc

test-faults: $(VENV_STAMP) ## only the fault exploration of every Task (~200 sandbox runs, part of make test)
	"$(VENV)/bin/python" -m pytest tests/hardening/test_faults.py

bench: $(VENV_STAMP) ## benchmarks beside their baselines (minutes); rewrites the README's performance table
	"$(VENV)/bin/python" -m benchmarks --write-readme

docs: $(VENV_STAMP) ## regenerate diagrams and cost blocks in docs/<slug>.md, the patterns/ catalogue and the README table
	"$(VENV)/bin/python" -m suite_docs --write
