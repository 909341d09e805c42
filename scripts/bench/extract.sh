#!/usr/bin/env bash
# Extraction benchmark: `unback extract BACKUP OUT` of a ~2 GB plain backup vs `cp -r` of its
# blob folders (xx/) into a fresh folder; 3 rounds, alternating, medians and ratio.
# usage: scripts/bench/extract.sh [BYTES] [ROUNDS]
source "$(dirname "$0")/common.sh"
BYTES=${1:-2000000000}
ROUNDS=${2:-3}
build_tools
B=$(gen_once "plain-$BYTES" plain-gb "$BYTES" @DIR)
OUT=$BENCH_DIR/extract-out
try_drop_caches
echo "drop_caches: $([ "$DROP" = 1 ] && echo works, runs start cold || echo not permitted, runs are warm)"
copy_blobs() { mkdir "$OUT" && cp -r "$B"/[0-9a-f][0-9a-f] "$OUT"/; }
ub=() cp=()
for i in $(seq "$ROUNDS"); do
    rm -rf "$OUT"; drop_caches
    ub+=("$(seconds "$UNBACK" extract "$B" "$OUT")")
    rm -rf "$OUT"; drop_caches
    cp+=("$(seconds copy_blobs)")
    echo "round $i: unback ${ub[-1]}s, cp -r ${cp[-1]}s" >&2
done
rm -rf "$OUT"
u=$(median "${ub[@]}")
c=$(median "${cp[@]}")
echo "bytes=$BYTES unback_extract=${u}s cp_r=${c}s ratio=$(ratio "$u" "$c")x (runs: unback ${ub[*]}; cp ${cp[*]})"
