# Shared by the bench scripts: builds unback and the fixture generator, and small helpers.
# Generated data lives under $BENCH_DIR (default /tmp/unback-bench); delete it when done.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_DIR=${BENCH_DIR:-/tmp/unback-bench}
UDID=00008110-000B3AC40E1B401E
mkdir -p "$BENCH_DIR"

build_tools() {
    (cd "$ROOT" && cargo build --release --quiet)
    (cd "$ROOT/scripts/bench/gen" && cargo build --release --quiet)
    UNBACK=$CARGO_TARGET_DIR/release/unback
    GEN=$CARGO_TARGET_DIR/release/unback-bench-gen
}

# gen_once NAME ARGS... : runs `unback-bench-gen ARGS` into $BENCH_DIR/NAME unless it exists.
# The generator's DIR argument is the token "@DIR".
gen_once() {
    local name=$1
    shift
    local dir=$BENCH_DIR/$name
    if [ ! -f "$dir/$UDID/Status.plist" ]; then
        rm -rf "$dir"
        local args=()
        for a in "$@"; do [ "$a" = "@DIR" ] && args+=("$dir") || args+=("$a"); done
        "$GEN" "${args[@]}" > /dev/null
    fi
    echo "$dir/$UDID"
}

# Tries to empty the page cache; sets DROP=1 when that works here.
DROP=0
try_drop_caches() {
    sync
    if echo 3 2> /dev/null > /proc/sys/vm/drop_caches; then DROP=1; else DROP=0; fi
}
drop_caches() {
    sync
    if [ "$DROP" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi
}

# seconds CMD... : runs CMD, prints its wall time in seconds (output of CMD goes to stderr).
seconds() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >&2
    t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.3f}')"
}

median() { python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:])):.3f}')" "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }

# hf_median FILE.json INDEX : median of one command of a hyperfine --export-json file.
hf_median() { python3 -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['results'][int(sys.argv[2])]['median']:.3f}\")" "$1" "$2"; }
