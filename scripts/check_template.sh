#!/usr/bin/env bash
# Check the SAM template, offline:
#   1. cfn-lint template.yaml                         (zero errors, zero warnings)
#   2. expand it to plain CloudFormation with aws-sam-translator (scripts/expand_template.py)
#      and cfn-lint the expansion                     (zero errors, zero warnings)
#   3. sam validate --lint
#   4. pytest tests/template/                         (the properties the template must have; the archive chain)
#   5. a "central" stack (us-east-1, owns the feedback log group) and a "member" stack (eu-west-1, writes into
#      it), both suppressing into both regions (docs/regions.md): the template with those values as its
#      parameters' defaults, cfn-lint'ed for its region and sam validate --lint'ed in it
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

# The template with some parameters' defaults changed (NAME=VALUE ...), as JSON in $1.
with_defaults() {
    "$bin/python" - "$@" <<'EOF'
import json, sys
from cfnlint.decode import cfn_yaml
out, *settings = sys.argv[1:]
template = json.loads(json.dumps(cfn_yaml.load("template.yaml")))
for name, value in (setting.split("=", 1) for setting in settings):
    template["Parameters"][name]["Default"] = value
json.dump(template, open(out, "w"), indent=1)
EOF
}

central_and_member_stacks() {
    local both="SuppressRegions=us-east-1,eu-west-1" region kind group_region
    for kind in central member; do
        if [ "$kind" = central ]; then region=us-east-1 group_region=""; else region=eu-west-1 group_region=us-east-1; fi
        with_defaults "$out_dir/template.$kind.json" Suppress=hard "$both" "FeedbackLogGroupRegion=$group_region" || return 1
        echo "    $kind stack in $region: $out_dir/template.$kind.json"
        "$bin/cfn-lint" --regions "$region" -- "$out_dir/template.$kind.json" || return 1
        "$bin/sam" validate --lint --template-file "$out_dir/template.$kind.json" --region "$region" || return 1
    done
}

step "cfn-lint template.yaml" lint_template
step "cfn-lint on the aws-sam-translator expansion" lint_expansion
step "sam validate --lint" sam_validate
step "pytest tests/template/" template_tests
step "central and member stacks: cfn-lint and sam validate --lint in their regions" central_and_member_stacks

if [ "${#failed[@]}" -gt 0 ]; then
    echo "check_template: FAILED (${#failed[@]} of 5 checks):" >&2
    printf '  - %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "check_template: all 5 checks passed"
