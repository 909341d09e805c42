#!/usr/bin/env bash
# `photos export --update` into an export that already holds everything (BENCHMARKS.md, section
# 9): no media file may be read or hashed, so it should cost about what `photos ls` costs on the
# same backup (target <= 1.5x). The corpus is the 50,000-asset library of section 4b; OUT is
# filled by one untimed export first. hyperfine, warm cache, 1 warm-up + 7 runs, alternating by
# hyperfine's own order.
# usage: scripts/bench/update.sh   ASSETS=… BENCH_DIR=…
source "$(dirname "$0")/common.sh"
ASSETS=${ASSETS:-50000}
build_tools
B=$(gen_once "photos-lib-$ASSETS" photos-lib "$ASSETS" @DIR)
OUT=$BENCH_DIR/update-out
rm -rf "$OUT"
"$UNBACK" photos export "$B" "$OUT" > /dev/null
echo "export: $(find "$OUT" -type f | wc -l) files, $(du -sb "$OUT" | cut -f1) bytes" >&2
"$UNBACK" photos export "$B" "$OUT" --update | head -2 >&2
# The untimed export just wrote 125 MB: let the kernel write it back before timing, so the
# flush does not land on whichever command runs first.
sync
J=$BENCH_DIR/update-hyperfine.json
hyperfine -N --warmup 1 --runs 7 --export-json "$J" \
    -n unback-photos-ls "$UNBACK photos ls $B --json" \
    -n unback-photos-export-update "$UNBACK photos export $B $OUT --update" > /dev/null
l=$(hf_median "$J" 0)
u=$(hf_median "$J" 1)
echo "update of a fully exported $ASSETS-asset backup: photos_ls=${l}s update=${u}s ratio=$(ratio "$u" "$l")x (target <= 1.5)"
rm -rf "$OUT"
