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

# Each check below is a job: they read and write nothing the others use, so they run side by side
# (LINT_JOBS at once, default one per core); each one's output is printed whole, in this order.
# A job runs without errexit (its status is collected): a check of several commands chains them with &&.
check_ruff() { "$VENV/bin/ruff" check .; }
# The sandbox runtime is typed: mypy over sandbox/ (settings: [tool.mypy] in pyproject.toml).
check_mypy() { "$VENV/bin/mypy" sandbox; }
# Every template: the suite's and each workflow's standalone one (patterns/<slug>/template.yaml,
# generated from template.yaml by `make docs`), so that every pattern deploys alone as well.
check_cfn_lint() { "$VENV/bin/cfn-lint" template.yaml "${pattern_templates[@]}"; }
check_sam_validate() {
    "$SAM" validate --template-file "$1" --region "$REGION" &&
        "$SAM" validate --template-file "$1" --region "$REGION" --lint
}
# Security: every finding is fixed or suppressed with its reason (.checkov.yaml for suite-wide
# decisions, Metadata.checkov.skip on a resource; `# nosec <id>` under a `# bandit <id>: why`).
check_checkov() { "$CHECKOV" --config-file .checkov.yaml --file template.yaml; }
# functions/ is deployed: every check applies. The sandbox, suite_docs and benchmarks are offline tooling
# whose asserts state internal invariants (B101); tests are not scanned (fake credentials and
# localhost URLs are their point).
check_bandit() {
    "$VENV/bin/bandit" --quiet --recursive functions &&
        "$VENV/bin/bandit" --quiet --recursive sandbox suite_docs benchmarks scripts --skip B101
}
# URI: ${...} DefinitionSubstitutions placeholders are not ARNs yet.
# FLOAT: statelint wants floats where AWS accepts integers (BackoffRate).
# statelint 3.1.0 predates the CSV options of a Distributed Map's ItemReader.ReaderConfig
# (InputType, CSVHeaderLocation: documented in the Step Functions ItemReader reference); those
# two findings, and only those, are known-valid and filtered out.
check_statelint() {
    local known_valid='Field "(InputType|CSVHeaderLocation)" not allowed in State Machine\.States\.[A-Za-z.]+\.ItemReader\.ReaderConfig'
    local asl findings
    for asl in "${asl_files[@]}"; do
        echo "$asl"
        findings=$("$VENV/bin/statelint" --ignore=URI,FLOAT "$asl" | grep -Ev "^[0-9]+ errors?:$" | grep -Ev "$known_valid" || true)
        if [[ -n "$findings" ]]; then
            echo "$findings" >&2
            return 1
        fi
    done
}

for tool in "$SAM:SAM CLI:SAM" "$CHECKOV:checkov:CHECKOV"; do
    IFS=: read -r path name variable <<< "$tool"
    if [[ ! -x "$path" ]]; then
        echo "$name not found at $path: run 'make .tools' or set $variable=/path/to/$name" >&2
        exit 1
    fi
done
shopt -s nullglob
asl_files=(statemachines/*.asl.json)
if (( ${#asl_files[@]} == 0 )); then
    echo "no ASL files under statemachines/" >&2
    exit 1
fi
pattern_templates=(patterns/*/template.yaml)

jobs=(
    "ruff check|check_ruff"
    "mypy sandbox|check_mypy"
    "cfn-lint template.yaml ${pattern_templates[*]} (rules: .cfnlintrc)|check_cfn_lint"
    "checkov template.yaml (settings: .checkov.yaml)|check_checkov"
    "bandit functions/ (all checks); sandbox/ suite_docs/ benchmarks/ scripts/ (asserts allowed)|check_bandit"
    "statelint statemachines/*.asl.json|check_statelint"
)
for template in template.yaml "${pattern_templates[@]}"; do
    jobs+=("sam validate, sam validate --lint: $template|check_sam_validate $template")
done

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
max_jobs="${LINT_JOBS:-$(nproc)}"
pids=()
for i in "${!jobs[@]}"; do
    while (( $(jobs -rp | wc -l) >= max_jobs )); do wait -n || true; done
    ( set +e; ${jobs[$i]#*|} > "$logs/$i" 2>&1; echo $? > "$logs/$i.rc" ) &
    pids+=($!)
done
failed=()
for i in "${!jobs[@]}"; do
    wait "${pids[$i]}" || true
    step "${jobs[$i]%%|*}"
    cat "$logs/$i"
    if [[ "$(cat "$logs/$i.rc")" != 0 ]]; then
        failed+=("${jobs[$i]%%|*}")
    fi
done
if (( ${#failed[@]} )); then
    printf '\nlint: findings in %s\n' "${failed[*]}" >&2
    exit 1
fi

step "lint: no findings"
# Kept only if nothing changed while the chain ran (it passed on exactly these inputs).
if [[ -n "$inputs_hash" && -d .tools && "$(lint_inputs_hash)" == "$inputs_hash" ]]; then
    echo "$inputs_hash" > "$LINT_PASSED"
fi
