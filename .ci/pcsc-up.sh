#!/usr/bin/env bash
# Starts pcscd (with the vsmartcard vpcd driver) in the foreground as a background child of this
# script, records its PID and waits until PC/SC answers. Idempotent: does nothing if the pcscd
# recorded in the PID file is still running. Stop it with .ci/pcsc-down.sh.
#
# Readers then seen by PC/SC: "Virtual PCD 00 00" (vpcd listens on TCP 35963 for a virtual
# card) and "Virtual PCD 00 01" (35964). Serve a card with e.g.
# `cargo run --example null_card` (or any stk_wallet::transport::vpcd::serve user).
#
# Environment: PCSC_STATE_DIR (default /tmp/stk-wallet-pcsc) holds pcscd.pid and pcscd.log;
# PCSCD_ARGS (default "-f") is passed to pcscd; add -a to log APDUs, -d for debug.
set -euo pipefail

STATE_DIR="${PCSC_STATE_DIR:-/tmp/stk-wallet-pcsc}"
PIDFILE="$STATE_DIR/pcscd.pid"
LOGFILE="$STATE_DIR/pcscd.log"
read -r -a PCSCD_ARGV <<<"${PCSCD_ARGS:--f}"


# Running and not a zombie (a reparented child may stay unreaped where PID 1 does not reap).
alive() {
    kill -0 "$1" 2>/dev/null || return 1
    [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || echo Z)" != Z ]
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo -n"; fi

need=()
command -v pcscd >/dev/null 2>&1 || need+=(pcscd)
[ -e /usr/lib/pcsc/drivers/serial/libifdvpcd.so ] || need+=(vsmartcard-vpcd)
command -v pcsc_scan >/dev/null 2>&1 || need+=(pcsc-tools)
[ -e /usr/include/PCSC/winscard.h ] || need+=(libpcsclite-dev)
if [ "${#need[@]}" -gt 0 ]; then
    echo "pcsc-up: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Update the package lists only if the packages are not installable as they are.
    if ! $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null; then
        $SUDO apt-get update -q </dev/null
        $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" </dev/null
    fi
fi

mkdir -p "$STATE_DIR"
if [ -s "$PIDFILE" ] && alive "$(cat "$PIDFILE")"; then
    echo "pcsc-up: pcscd already running (pid $(cat "$PIDFILE"))"
    exit 0
fi
rm -f "$PIDFILE"

# A pcscd we did not start (e.g. a system service) would own /run/pcscd/pcscd.comm.
if [ -S /run/pcscd/pcscd.comm ] && pcsc_scan -r >/dev/null 2>&1 </dev/null; then
    echo "pcsc-up: a pcscd not started by this script is already answering; using it" >&2
    exit 0
fi

# pcscd creates /run/pcscd itself; a stale socket or pid file from a killed pcscd would make
# it refuse to start.
$SUDO rm -f /run/pcscd/pcscd.comm /run/pcscd/pcscd.pid
$SUDO mkdir -p /run/pcscd

# setsid: its own session, so it outlives this script and no terminal signal reaches it.
setsid $SUDO pcscd "${PCSCD_ARGV[@]}" </dev/null >"$LOGFILE" 2>&1 &
echo $! >"$PIDFILE"

for _ in $(seq 1 100); do
    if ! alive "$(cat "$PIDFILE")"; then
        echo "pcsc-up: pcscd exited early; its log:" >&2
        cat "$LOGFILE" >&2
        rm -f "$PIDFILE"
        exit 1
    fi
    if [ -S /run/pcscd/pcscd.comm ] && pcsc_scan -r >/dev/null 2>&1 </dev/null; then
        echo "pcsc-up: pcscd ready (pid $(cat "$PIDFILE"), log $LOGFILE)"
        pcsc_scan -r </dev/null 2>/dev/null | sed -n 's/^[0-9]*: /pcsc-up: reader: /p'
        exit 0
    fi
    sleep 0.1
done
echo "pcsc-up: pcscd not ready after 10 s; its log:" >&2
cat "$LOGFILE" >&2
exit 1
