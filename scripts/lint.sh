#!/usr/bin/env bash
# Lint chain for the whole suite: Python, the SAM template (cfn-lint with the serverless
# rules, the SAM translator, sam's lint), and every ASL file. Fails on the first finding.
#
#   SAM     SAM CLI to use        (default: .tools/bin/sam, the tool venv: `make .tools`)
#   CHECKOV checkov to use        (default: .tools/checkov/bin/checkov, its own venv: `make .tools`)
#   VENV    test/dev venv         (default: .venv)
#   REGION  region for sam validate (default: us-east-1; nothing is called in AWS)
#   LINT_CACHE=0  run the chain even when its inputs are those of the last passing run
#
# The chain takes minutes and reads only files of the work tree and the installed tools: after it
# passes, the hash of those inputs is kept in .tools/lint-passed; the next run with the same hash
# (nothing edited, nothing reinstalled) says so and stops. A fresh clone (CI) has no such file.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

VENV="${VENV:-.venv}"
SAM="${SAM:-.tools/bin/sam}"
CHECKOV="${CHECKOV:-.tools/checkov/bin/checkov}"
REGION="${REGION:-us-east-1}"

# sam must not phone home or look for instance credentials.
export SAM_CLI_TELEMETRY=0
export AWS_EC2_METADATA_DISABLED=true

step() { printf '\n==> %s\n' "$*"; }

LINT_PASSED=.tools/lint-passed
# Every file git would commit (tracked or new, as it is on disk: ruff, cfn-lint, sam, checkov,
# bandit and statelint read nothing else of the repo, and this script and the tool pins in the
# Makefile and pyproject.toml are among them), and when each tool venv was last (re)installed.
lint_inputs_hash() {
    {
        git ls-files -z -co --exclude-standard | LC_ALL=C sort -z | xargs -0 sha256sum 2>/dev/null || true
        ls -l --time-style=+%s "$VENV/.installed" "$SAM" "$CHECKOV" 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1
}
inputs_hash=""
if [[ "${LINT_CACHE:-1}" != "0" ]] && git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    inputs_hash=$(lint_inputs_hash)
    if [[ -f "$LINT_PASSED" && "$(cat "$LINT_PASSED")" == "$inputs_hash" ]]; then
        echo "lint: no findings (inputs unchanged since the last passing run; LINT_CACHE=0 runs it again)"
        exit 0
    fi
fi

step "ruff check"
"$VENV/bin/ruff" check .

# The sandbox runtime is typed: mypy over sandbox/ (settings: [tool.mypy] in pyproject.toml).
step "mypy sandbox"
"$VENV/bin/mypy" sandbox

step "cfn-lint template.yaml (rules: .cfnlintrc)"
"$VENV/bin/cfn-lint" template.yaml

if [[ ! -x "$SAM" ]]; then
    echo "SAM CLI not found at $SAM: run 'make .tools' or set SAM=/path/to/sam" >&2
    exit 1
fi

step "sam validate --region $REGION"
"$SAM" validate --template-file template.yaml --region "$REGION"

step "sam validate --lint"
"$SAM" validate --template-file template.yaml --region "$REGION" --lint

# Security: every finding is fixed or suppressed with its reason (.checkov.yaml for suite-wide
# decisions, Metadata.checkov.skip on a resource; `# nosec <id>` under a `# bandit <id>: why`).
if [[ ! -x "$CHECKOV" ]]; then
    echo "checkov not found at $CHECKOV: run 'make .tools' or set CHECKOV=/path/to/checkov" >&2
    exit 1
fi
step "checkov template.yaml (settings: .checkov.yaml)"
"$CHECKOV" --config-file .checkov.yaml --file template.yaml

# functions/ is deployed: every check applies. The sandbox, suite_docs and benchmarks are offline tooling
# whose asserts state internal invariants (B101); tests are not scanned (fake credentials and
# localhost URLs are their point).
step "bandit functions/ (all checks)"
"$VENV/bin/bandit" --quiet --recursive functions
step "bandit sandbox/ suite_docs/ benchmarks/ scripts/ (asserts allowed)"
"$VENV/bin/bandit" --quiet --recursive sandbox suite_docs benchmarks scripts --skip B101

step "statelint statemachines/*.asl.json"
shopt -s nullglob
asl_files=(statemachines/*.asl.json)
if (( ${#asl_files[@]} == 0 )); then
    echo "no ASL files under statemachines/" >&2
    exit 1
fi
# URI: ${...} DefinitionSubstitutions placeholders are not ARNs yet.
# FLOAT: statelint wants floats where AWS accepts integers (BackoffRate).
# statelint 3.1.0 predates the CSV options of a Distributed Map's ItemReader.ReaderConfig
# (InputType, CSVHeaderLocation: documented in the Step Functions ItemReader reference); those
# two findings, and only those, are known-valid and filtered out.
known_valid='Field "(InputType|CSVHeaderLocation)" not allowed in State Machine\.States\.[A-Za-z.]+\.ItemReader\.ReaderConfig'
for asl in "${asl_files[@]}"; do
    echo "$asl"
    findings=$("$VENV/bin/statelint" --ignore=URI,FLOAT "$asl" | grep -Ev "^[0-9]+ errors?:$" | grep -Ev "$known_valid" || true)
    if [[ -n "$findings" ]]; then
        echo "$findings" >&2
        exit 1
    fi
done

# Each workflow's standalone template (patterns/<slug>/template.yaml, generated from template.yaml
# by `make docs`): the same three checks, so that every pattern deploys alone as well.
shopt -s nullglob
pattern_templates=(patterns/*/template.yaml)
for pattern in "${pattern_templates[@]}"; do
    step "cfn-lint, sam validate, sam validate --lint: $pattern"
    "$VENV/bin/cfn-lint" "$pattern"
    "$SAM" validate --template-file "$pattern" --region "$REGION"
    "$SAM" validate --template-file "$pattern" --region "$REGION" --lint
done

step "lint: no findings"
# Kept only if nothing changed while the chain ran (it passed on exactly these inputs).
if [[ -n "$inputs_hash" && -d .tools && "$(lint_inputs_hash)" == "$inputs_hash" ]]; then
    echo "$inputs_hash" > "$LINT_PASSED"
fi
