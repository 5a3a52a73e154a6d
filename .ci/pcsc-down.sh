#!/usr/bin/env bash
# Stops the pcscd started by .ci/pcsc-up.sh, by the PID it recorded. Idempotent.
set -euo pipefail

STATE_DIR="${PCSC_STATE_DIR:-/tmp/stk-wallet-pcsc}"
PIDFILE="$STATE_DIR/pcscd.pid"


# Running and not a zombie (a reparented child may stay unreaped where PID 1 does not reap).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo Z)" != Z ]
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi

if [ ! -s "$PIDFILE" ]; then
    echo "pcsc-down: no pcscd recorded in $PIDFILE; nothing to do"
    exit 0
fi
pid="$(cat "$PIDFILE")"
if alive "$pid"; then
    $SUDO kill -TERM "$pid"
    for _ in $(seq 1 50); do
        alive "$pid" || break
        sleep 0.1
    done
    if alive "$pid"; then
        echo "pcsc-down: pcscd (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL" >&2
        $SUDO kill -KILL "$pid" || true
        $SUDO rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
    fi
    echo "pcsc-down: stopped pcscd (pid $pid)"
else
    echo "pcsc-down: pcscd (pid $pid) was not running"
fi
rm -f "$PIDFILE"
