#!/usr/bin/env bash
# Run a command with a private moto server (CloudWatch Logs emulator) on a free loopback port.
#
#   scripts/with-moto.sh CMD [ARGS...]     e.g. scripts/with-moto.sh cargo test
#
# Exports MOTO_ENDPOINT=http://127.0.0.1:PORT and dummy credentials/region for the command, then stops moto
# however the command ends, and exits with the command's status. AWS_ENDPOINT_URL is deliberately NOT
# exported: each test decides whether its client talks to moto directly or through a recording proxy.
#
# MOTO_SERVER overrides the moto_server executable (default: .venv/bin/moto_server in the repository).
# moto's output goes to $CARGO_TARGET_DIR (or target/)/moto-PORT.log.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
moto_server="${MOTO_SERVER:-$root/.venv/bin/moto_server}"
log_dir="${CARGO_TARGET_DIR:-$root/target}"
startup_timeout_s=20

if [ ! -x "$moto_server" ] && ! command -v "$moto_server" >/dev/null 2>&1; then
    echo "with-moto: moto server not found at '$moto_server'." >&2
    echo "with-moto: install it with: python3 -m venv .venv && .venv/bin/pip install 'moto[server]'" >&2
    echo "with-moto: (or point MOTO_SERVER at an existing moto_server executable)" >&2
    exit 127
fi
mkdir -p "$log_dir"

moto_pid=""
stop_moto() {
    if [ -n "$moto_pid" ] && kill -0 "$moto_pid" 2>/dev/null; then
        kill -TERM "$moto_pid" 2>/dev/null || true
        # Give it a moment to exit cleanly, then make sure it is gone.
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$moto_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$moto_pid" 2>/dev/null || true
        wait "$moto_pid" 2>/dev/null || true
    fi
    moto_pid=""
}
cmd_pid=""
on_signal() { # SIGNAL EXIT_STATUS: pass the signal on to the command, stop moto, exit
    if [ -n "$cmd_pid" ]; then kill -"$1" "$cmd_pid" 2>/dev/null || true; fi
    stop_moto
    exit "$2"
}
trap stop_moto EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

answers() { # URL -> success once moto serves HTTP
    if command -v curl >/dev/null 2>&1; then
        curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null
    else
        python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null
    fi
}

# The port is free when picked but could be taken before moto binds it; retry with a new port then.
started=""
for attempt in 1 2 3; do
    port="$(free_port)"
    log_file="$log_dir/moto-$port.log"
    "$moto_server" -H 127.0.0.1 -p "$port" >"$log_file" 2>&1 &
    moto_pid=$!
    deadline=$((SECONDS + startup_timeout_s))
    while [ "$SECONDS" -lt "$deadline" ]; do
        if answers "http://127.0.0.1:$port/moto-api/"; then
            started=yes
            break
        fi
        kill -0 "$moto_pid" 2>/dev/null || break # moto died: no point waiting
        sleep 0.1
    done
    [ -n "$started" ] && break
    if kill -0 "$moto_pid" 2>/dev/null; then why="did not answer within ${startup_timeout_s}s"; else why="exited"; fi
    echo "with-moto: moto $why on port $port (attempt $attempt); last lines of $log_file:" >&2
    tail -n 20 "$log_file" >&2 || true
    stop_moto
done
if [ -z "$started" ]; then
    echo "with-moto: giving up: could not start '$moto_server'" >&2
    exit 1
fi
echo "with-moto: moto at http://127.0.0.1:$port (log: $log_file)" >&2

export MOTO_ENDPOINT="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1

# Run the command in the background and `wait` for it: bash runs traps only between commands, so a TERM
# (e.g. from `timeout`) would otherwise wait for the command to end. `<&0` keeps its stdin (bash gives
# background commands /dev/null by default).
"$@" <&0 &
cmd_pid=$!
status=0
wait "$cmd_pid" || status=$?
cmd_pid=""
exit "$status"
