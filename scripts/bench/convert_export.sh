#!/usr/bin/env bash
# `photos export --convert jpeg` of 200 real-size HEICs (BENCHMARKS.md 7, issue 14): wall time,
# CPU time and peak RSS of the whole export with both cores converting, against the same
# export without conversion (a byte-for-byte copy) in the same run. The corpus is made by the
# ignored test tests/convert_bench.rs (copies of the eight real iPhone HEICs of ../shared).
# usage: scripts/bench/convert_export.sh   (RUNS=3, HEICS=200, JOBS= for -j)
source "$(dirname "$0")/common.sh"
RUNS=${RUNS:-3}
HEICS=${HEICS:-200}
(cd "$ROOT" && cargo build --release --quiet)
UNBACK=$CARGO_TARGET_DIR/release/unback
B=$(cd "$ROOT" && UNBACK_BENCH_DIR=$BENCH_DIR UNBACK_BENCH_HEICS=$HEICS \
    cargo test --release --quiet --test convert_bench -- --ignored --nocapture 2> /dev/null |
    grep "^$BENCH_DIR" | tail -1)
[ -d "$B" ] || { echo "convert_export.sh: no corpus ($B)" >&2; exit 2; }
OUT=$BENCH_DIR/convert-export-out
J=${JOBS:+-j $JOBS}
one() { # LABEL ARGS... : one export into a fresh OUT; prints wall, cpu, peak RSS
    local label=$1
    shift
    rm -rf "$OUT"
    /usr/bin/time -o "$BENCH_DIR/convert-time.txt" -f '%e %U %S %M' \
        "$UNBACK" photos export "$B" "$OUT" $J "$@" > /dev/null 2>&1 || true
    read -r wall user sys rss < <(tail -1 "$BENCH_DIR/convert-time.txt")
    echo "$label wall=${wall}s cpu=$(python3 -c "print(f'{$user + $sys:.2f}')")s peak_rss=$((rss / 1024))MB" \
        "jpegs=$(find "$OUT" -iname '*.jpg' | wc -l) heics=$(find "$OUT" -iname '*.heic' | wc -l) load=$(cut -d' ' -f1 /proc/loadavg)"
}
for r in $(seq "$RUNS"); do
    one copy
    one convert --convert jpeg
done
rm -rf "$OUT"
