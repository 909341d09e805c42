#!/usr/bin/env bash
# Zip input (see BENCHMARKS.md, section 5): `unback photos export` of a ~2 GB PLAIN backup read
# from the folder, from a STORED zip of it (`zip -0 -r`) and from a DEFLATED zip (`zip -1 -r`),
# 3 rounds, alternating, caches dropped before every run, medians and ratios to the folder.
# usage: scripts/bench/zip.sh [BYTES] [ROUNDS]   (BENCH_DIR=…)
source "$(dirname "$0")/common.sh"
BYTES=${1:-2000000000}
ROUNDS=${2:-3}
if ! command -v zip > /dev/null; then
    echo "zip not found (apt-get install -y zip)" >&2
    exit 1
fi
build_tools
B=$(gen_once "photos-plain-$BYTES" photos-gb "$BYTES" @DIR)
Z0=$BENCH_DIR/photos-plain-$BYTES-stored.zip
Z1=$BENCH_DIR/photos-plain-$BYTES-deflated.zip
# The archives hold the backup folder <UDID>/ at their root; built once, reused.
[ -f "$Z0" ] || (cd "$(dirname "$B")" && zip -q -0 -r "$Z0.tmp" "$UDID" && mv "$Z0.tmp" "$Z0")
[ -f "$Z1" ] || (cd "$(dirname "$B")" && zip -q -1 -r "$Z1.tmp" "$UDID" && mv "$Z1.tmp" "$Z1")
echo "folder $(du -sb "$B" | cut -f1) B, stored zip $(stat -c %s "$Z0") B, deflated zip $(stat -c %s "$Z1") B" >&2
OUT=$BENCH_DIR/zip-out
try_drop_caches
echo "drop_caches: $([ "$DROP" = 1 ] && echo works, runs start cold || echo not permitted, runs are warm)" >&2
dir=() st=() df=()
for i in $(seq "$ROUNDS"); do
    rm -rf "$OUT"; drop_caches
    dir+=("$(seconds "$UNBACK" photos export "$B" "$OUT")")
    rm -rf "$OUT"; drop_caches
    st+=("$(seconds "$UNBACK" photos export "$Z0" "$OUT")")
    rm -rf "$OUT"; drop_caches
    df+=("$(seconds "$UNBACK" photos export "$Z1" "$OUT")")
    echo "round $i: folder ${dir[-1]}s, stored zip ${st[-1]}s, deflated zip ${df[-1]}s" >&2
done
rm -rf "$OUT"
d=$(median "${dir[@]}"); s=$(median "${st[@]}"); f=$(median "${df[@]}")
echo "photos export of $BYTES B plain: folder=${d}s stored_zip=${s}s deflated_zip=${f}s"
echo "   runs: folder ${dir[*]}; stored ${st[*]}; deflated ${df[*]}"
echo "   stored/folder=$(ratio "$s" "$d")x (target <= 1.2)  deflated/folder=$(ratio "$f" "$d")x"
