#!/usr/bin/env bash
# make demo: the function end to end on every sample event in events/, against a local CloudWatch Logs.
#
# Run under scripts/with-moto.sh (which starts moto and exports MOTO_ENDPOINT). Starts the real function with
# `cargo lambda watch` (cargo-lambda's local Lambda runtime), sends it each events/*.json with
# `cargo lambda invoke --data-file`, prints what landed the way an engineer browses it, and stops everything.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
: "${MOTO_ENDPOINT:?run me through scripts/with-moto.sh (make demo does)}"
venv="${VENV:-.venv}"
case "$venv" in /*) ;; *) venv="$root/$venv" ;; esac
venv_bin="$venv/bin"
export PATH="$venv_bin:$PATH"
group="${LOG_GROUP_NAME:-ses-feedback}"
log_dir="${CARGO_TARGET_DIR:-$root/target}"
mkdir -p "$log_dir"
watch_log="$log_dir/demo-cargo-lambda-watch.log"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"

echo "==> building the function"
cargo build --quiet --bin ses-feedback-logger

watch_pid=""
stop_watch() {
    if [ -n "$watch_pid" ]; then
        kill -TERM -- "-$watch_pid" 2>/dev/null || kill -TERM "$watch_pid" 2>/dev/null || true
        wait "$watch_pid" 2>/dev/null || true
    fi
}
trap stop_watch EXIT

echo "==> starting the function under cargo lambda watch on 127.0.0.1:$port (log: $watch_log)"
# Its own process group, so stopping it also stops the function process it runs.
set -m
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" --ignore-changes \
    --env-var "AWS_ENDPOINT_URL=$MOTO_ENDPOINT" --env-var "LOG_GROUP_NAME=$group" \
    --env-var "AWS_REGION=us-east-1" --env-var "AWS_ACCESS_KEY_ID=testing" \
    --env-var "AWS_SECRET_ACCESS_KEY=testing" --env-var "AWS_EC2_METADATA_DISABLED=true" \
    >"$watch_log" 2>&1 &
watch_pid=$!
set +m
for _ in $(seq 1 300); do
    if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$port" 2>/dev/null; then
        break
    fi
    kill -0 "$watch_pid" 2>/dev/null || { echo "cargo lambda watch exited:" >&2; tail -n 30 "$watch_log" >&2; exit 1; }
    sleep 0.2
done

echo "==> invoking it with every file in events/"
failed=0
for event in events/*.json; do
    if response="$(cargo lambda invoke --invoke-address 127.0.0.1 --invoke-port "$port" --data-file "$event" 2>&1)"; then
        printf '  %-36s -> %s\n' "$event" "$response"
    else
        printf '  %-36s -> FAILED: %s\n' "$event" "$response"
        failed=1
    fi
done

echo
python3 "$root/scripts/browse_logs.py" --endpoint "$MOTO_ENDPOINT" --group "$group"
if [ "$failed" -ne 0 ]; then
    echo "demo: some invocations failed; the function's own log is in $watch_log" >&2
    exit 1
fi
echo
echo "The function's own log (what CloudWatch would show for the Lambda itself): $watch_log"
