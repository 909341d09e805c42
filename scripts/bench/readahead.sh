#!/usr/bin/env bash
# Cold-cache read-ahead check (BENCHMARKS.md 3d): `unback extract BACKUP OUT --domain
# CameraRollDomain` with the password on the 500 MB encrypted corpus, by two unback binaries
# (or one binary with and without an environment setting), against iphone-backup-decrypt, plus
# the --key-file run and `password check` that bound what overlapping can save.
# The page cache is dropped before every run (needs root); the jobs alternate, and the order of
# the two unback runs swaps every round.
# usage: BEFORE=/path/unback AFTER=/path/unback [AFTER_ENV='RA=1'] scripts/bench/readahead.sh
#        (ROUNDS=6, BYTES=500000000; PY=python with iphone-backup-decrypt, default ./.venv)
source "$(dirname "$0")/common.sh"
HERE=$ROOT/scripts/bench
BYTES=${BYTES:-500000000}
ROUNDS=${ROUNDS:-6}
PY=${PY:-$ROOT/.venv/bin/python}
PW=bench-password
build_tools
BEFORE=${BEFORE:-$UNBACK}
AFTER=${AFTER:-$UNBACK}
read -r -a AFTER_ENV <<< "${AFTER_ENV:-}"
try_drop_caches
[ "$DROP" = 1 ] || { echo "readahead.sh: cannot drop the page cache (not root?)" >&2; exit 2; }
B=$(gen_once "encrypted-$BYTES" encrypted-gb "$BYTES" @DIR "$PW" 10000 10000000)
OUT=$BENCH_DIR/readahead-out
KEYF=$BENCH_DIR/readahead.key
export UNBACK_PASSWORD=$PW
rm -f "$KEYF"
"$BEFORE" key "$B" --out "$KEYF" 2> /dev/null

before=() after=() py=() key=() check=()
run() { rm -rf "$OUT"; drop_caches; seconds "$@" 2> /dev/null; }
for i in $(seq "$ROUNDS"); do
    if [ $((i % 2)) = 1 ]; then
        before+=("$(run "$BEFORE" extract "$B" "$OUT" --domain CameraRollDomain)")
        after+=("$(run env "${AFTER_ENV[@]}" "$AFTER" extract "$B" "$OUT" --domain CameraRollDomain)")
    else
        after+=("$(run env "${AFTER_ENV[@]}" "$AFTER" extract "$B" "$OUT" --domain CameraRollDomain)")
        before+=("$(run "$BEFORE" extract "$B" "$OUT" --domain CameraRollDomain)")
    fi
    py+=("$(run "$PY" "$HERE/py_ibd_extract.py" "$B" "$OUT" CameraRollDomain)")
    key+=("$(run "$BEFORE" extract "$B" "$OUT" --domain CameraRollDomain --key-file "$KEYF")")
    check+=("$(run "$BEFORE" password check "$B")")
    echo "round $i: before ${before[-1]}s after ${after[-1]}s iphone-backup-decrypt ${py[-1]}s key-file ${key[-1]}s password-check ${check[-1]}s load $(cut -d' ' -f1 /proc/loadavg)" >&2
done
rm -rf "$OUT" "$KEYF"
mb=$(median "${before[@]}"); ma=$(median "${after[@]}"); mp=$(median "${py[@]}")
echo "extract CameraRollDomain of $BYTES B, cold, medians of $ROUNDS: before=${mb}s after=${ma}s iphone-backup-decrypt=${mp}s key-file=$(median "${key[@]}")s password-check=$(median "${check[@]}")s"
echo "  after/before=$(ratio "$ma" "$mb")x ibd/before=$(ratio "$mp" "$mb")x ibd/after=$(ratio "$mp" "$ma")x"
