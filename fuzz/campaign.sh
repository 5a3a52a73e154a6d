#!/bin/bash
# A fuzzing campaign over every target, with the figures a closing note needs.
#
#   fuzz/campaign.sh [SECONDS_PER_TARGET] [TARGET…]     (default: 600 s, every target)
#
# Builds the targets with cargo-fuzz (`cargo install cargo-fuzz`; on a stable toolchain the
# sanitizer flags need RUSTC_BOOTSTRAP=1, set here), seeds the corpora from the shipped vectors,
# runs each target for SECONDS_PER_TARGET under libFuzzer with AddressSanitizer, and prints one
# line per target: wall and CPU seconds, runs (libFuzzer's own count), runs per second, and for
# card_sequence the APDUs the card processed, counted by the harness. Crashes go to
# fuzz/artifacts/TARGET/; the logs to fuzz/logs/TARGET.log. Exits 1 if any target found a crash.
set -u
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(apdu_parser card_sequence stk_tlv vector_loader image_loader)
export RUSTC_BOOTSTRAP=1
cargo fuzz build -O >/dev/null || exit 2
python3 make_seeds.py >/dev/null || exit 2
mkdir -p logs
bin=target/x86_64-unknown-linux-gnu/release
status=0
printf '%-14s %8s %8s %12s %10s %s\n' target wall_s cpu_s runs runs_per_s apdus
for t in "${targets[@]}"; do
    mkdir -p "artifacts/$t" "corpus/$t"
    /usr/bin/time -f 'time: %e %U %S' -o "logs/$t.time" \
        "$bin/$t" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" "corpus/$t" >"logs/$t.log" 2>&1 || status=1
    read -r _ wall user sys <"logs/$t.time"
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
    apdus=$(sed -n 's/^card_sequence: \([0-9]*\) APDUs.*/\1/p' "logs/$t.log" | tail -1)
    cpu=$(echo "$user + $sys" | bc)
    printf '%-14s %8s %8s %12s %10s %s\n' "$t" "$wall" "$cpu" "${runs:-?}" \
        "$(echo "${runs:-0} / $wall" | bc)" "${apdus:--}"
done
ls artifacts/*/crash-* 2>/dev/null && status=1
exit $status
