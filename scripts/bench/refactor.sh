#!/usr/bin/env bash
# Before/after of a refactor, in one run: the same commands with an earlier build (BEFORE, a path
# to its `unback` binary) and this tree's release build, alternating so the machine's drift hits
# both alike. Warm cache (nothing dropped), medians of ROUNDS rounds.
#   - `ls --json > /dev/null` of a 300,000-row Manifest.db (7 alternating runs each)
#   - `extract` of a ~2 GB plain backup
#   - `photos export` of a ~2 GB plain backup (real DCIM counts)
# usage: scripts/bench/refactor.sh BEFORE_BINARY [ROUNDS]
#   e.g. git worktree add /tmp/before <commit> && (cd /tmp/before && cargo build --release)
#        scripts/bench/refactor.sh /tmp/before/target/release/unback
source "$(dirname "$0")/common.sh"
BEFORE=${1:?usage: refactor.sh BEFORE_BINARY [ROUNDS]}
ROUNDS=${2:-3}
build_tools
AFTER=$UNBACK
L=$(gen_once manifest-300000 manifest 300000 @DIR)
P=$(gen_once plain-2000000000 plain-gb 2000000000 @DIR)
F=$(gen_once photos-plain-2000000000 photos-gb 2000000000 @DIR)
# Alternating runs (hyperfine would run all of one, then all of the other).
"$BEFORE" ls "$L" --json > /dev/null; "$AFTER" ls "$L" --json > /dev/null
lsb=() lsa=()
for i in $(seq 7); do
    lsb+=("$(seconds sh -c "'$BEFORE' ls '$L' --json > /dev/null")")
    lsa+=("$(seconds sh -c "'$AFTER' ls '$L' --json > /dev/null")")
done
lb=$(median "${lsb[@]}") la=$(median "${lsa[@]}")
OUT=$BENCH_DIR/refactor-out
eb=() ea=() pb=() pa=()
for i in $(seq "$ROUNDS"); do
    rm -rf "$OUT"; eb+=("$(seconds "$BEFORE" extract "$P" "$OUT")")
    rm -rf "$OUT"; ea+=("$(seconds "$AFTER" extract "$P" "$OUT")")
    rm -rf "$OUT"; pb+=("$(seconds "$BEFORE" photos export "$F" "$OUT")")
    rm -rf "$OUT"; pa+=("$(seconds "$AFTER" photos export "$F" "$OUT")")
    echo "round $i: extract ${eb[-1]}s -> ${ea[-1]}s, photos export ${pb[-1]}s -> ${pa[-1]}s" >&2
done
rm -rf "$OUT"
e1=$(median "${eb[@]}") e2=$(median "${ea[@]}") p1=$(median "${pb[@]}") p2=$(median "${pa[@]}")
echo "ls --json 300k rows: before=${lb}s after=${la}s after/before=$(ratio "$la" "$lb") (runs: ${lsb[*]} / ${lsa[*]})"
echo "extract 2 GB:        before=${e1}s after=${e2}s after/before=$(ratio "$e2" "$e1") (runs: ${eb[*]} / ${ea[*]})"
echo "photos export 2 GB:  before=${p1}s after=${p2}s after/before=$(ratio "$p2" "$p1") (runs: ${pb[*]} / ${pa[*]})"
