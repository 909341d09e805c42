#!/usr/bin/env bash
# Recovery benchmark: `unback recover` over a ~2 GB plain backup vs reading every blob once
# (`cat` of the blob folders to /dev/null), cold cache, 3 alternating runs, medians.
# The generated DCIM files are pseudo-random bytes without media headers, so every one of them
# is carved: the worst case for the carver (real photos are recognised and skipped).
# usage: scripts/bench/recover.sh [BYTES]
source "$(dirname "$0")/common.sh"
BYTES=${1:-2000000000}
build_tools
B=$(gen_once "plain-$BYTES" plain-gb "$BYTES" @DIR)
try_drop_caches
echo "drop_caches works: $DROP"
cat_blobs() { find "$B" -mindepth 2 -maxdepth 2 -type f -path "$B/??/*" -print0 | xargs -0 cat > /dev/null; }
run_recover() { rm -rf "$BENCH_DIR/recover-out"; "$UNBACK" recover "$B" "$BENCH_DIR/recover-out" > /dev/null; }
c=() u=()
for i in 1 2 3; do
    drop_caches; c+=("$(seconds cat_blobs)")
    drop_caches; u+=("$(seconds run_recover)")
done
cm=$(median "${c[@]}"); um=$(median "${u[@]}")
echo "cat_blobs=${c[*]} recover=${u[*]}"
echo "bytes=$BYTES cat_median=${cm}s recover_median=${um}s ratio=$(ratio "$um" "$cm")x"
rm -rf "$BENCH_DIR/recover-out"
