#!/usr/bin/env bash
# Check the SAM template, offline:
#   1. cfn-lint template.yaml                         (zero errors, zero warnings)
#   2. expand it to plain CloudFormation with aws-sam-translator (scripts/expand_template.py)
#      and cfn-lint the expansion                     (zero errors, zero warnings)
#   3. sam validate --lint
#   4. pytest tests/template/                         (the properties the template must have; the archive chain)
#
#   scripts/check_template.sh            VENV=path/to/venv scripts/check_template.sh
#
# Tools come from $VENV (default .venv, relative to the repository root), installed from
# requirements-dev.txt. The expansion is written to $TEMPLATE_CHECK_DIR (default
# ${CARGO_TARGET_DIR:-target}/template-check). No AWS call is made: credentials are dummies, the
# region is fixed, SAM CLI's telemetry and its weekly PyPI version check are switched off.
# Every step runs; the script exits non-zero if any failed and names the ones that did.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv="${VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
bin="$venv/bin"

missing=()
for tool in python cfn-lint sam; do
    [ -x "$bin/$tool" ] || missing+=("$bin/$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "check_template: missing ${missing[*]}" >&2
    echo "check_template: create the venv first: make .venv/.installed" >&2
    echo "check_template:   (or: python3 -m venv $venv && $bin/pip install -r requirements-dev.txt; or set VENV)" >&2
    exit 127
fi

out_dir="${TEMPLATE_CHECK_DIR:-${CARGO_TARGET_DIR:-$root/target}/template-check}"
mkdir -p "$out_dir/sam-app-dir"
expanded="$out_dir/template.expanded.json"

# Offline: nothing below needs AWS. Dummy credentials and an empty config make sure nothing could
# pick up a real account by accident.
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_DEFAULT_PROFILE
# SAM CLI: no telemetry, and a private settings dir whose last version check is "now", so it does
# not ask PyPI for a newer release after the command.
export SAM_CLI_TELEMETRY=0
export __SAM_CLI_APP_DIR="$out_dir/sam-app-dir"
"$bin/python" - "$__SAM_CLI_APP_DIR/metadata.json" <<'EOF'
import json, sys, time
json.dump({"telemetryEnabled": False, "lastVersionCheck": time.time()}, open(sys.argv[1], "w"))
EOF
export PYTHONDONTWRITEBYTECODE=1

failed=()
step() {
    local name="$1"
    shift
    echo "==> $name"
    if "$@"; then
        echo "    ok: $name"
    else
        echo "    FAILED: $name" >&2
        failed+=("$name")
    fi
}

lint_template() {
    "$bin/cfn-lint" -- template.yaml
}

lint_expansion() {
    rm -f "$expanded"
    "$bin/python" scripts/expand_template.py template.yaml "$expanded" || return 1
    echo "    expanded template: $expanded"
    "$bin/cfn-lint" -- "$expanded"
}

sam_validate() {
    "$bin/sam" validate --lint --template-file template.yaml --region us-east-1
}

template_tests() {
    "$bin/python" -m pytest -q -p no:cacheprovider tests/template
}

step "cfn-lint template.yaml" lint_template
step "cfn-lint on the aws-sam-translator expansion" lint_expansion
step "sam validate --lint" sam_validate
step "pytest tests/template/" template_tests

if [ "${#failed[@]}" -gt 0 ]; then
    echo "check_template: FAILED (${#failed[@]} of 4 checks):" >&2
    printf '  - %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "check_template: all 4 checks passed"
