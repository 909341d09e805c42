#!/usr/bin/env bash
# Listing benchmark, real binary: `unback ls BACKUP --json > /dev/null` on a 300,000-row
# Manifest.db vs the sqlite3 shell's scan of the same rows. The in-process comparison with the
# bare rusqlite scan (the target's reference) is `cargo bench --bench listing`.
# usage: scripts/bench/listing.sh [ROWS]
source "$(dirname "$0")/common.sh"
ROWS=${1:-300000}
build_tools
B=$(gen_once "manifest-$ROWS" manifest "$ROWS" @DIR)
DB=$B/Manifest.db
SQL="SELECT fileID, domain, relativePath, flags, length(file) FROM Files"
if ! command -v hyperfine > /dev/null; then
    echo "hyperfine not found (apt-get install -y hyperfine)" >&2
    exit 1
fi
if ! command -v sqlite3 > /dev/null; then
    echo "sqlite3 not found (apt-get install -y sqlite3)" >&2
    exit 1
fi
J=$BENCH_DIR/listing-hyperfine.json
hyperfine -N --warmup 1 --runs 7 --export-json "$J" \
    -n sqlite3-scan "sqlite3 $DB '$SQL'" \
    -n unback-ls-json "$UNBACK ls $B --json" > /dev/null
s=$(hf_median "$J" 0)
u=$(hf_median "$J" 1)
echo "rows=$ROWS sqlite3_scan=${s}s unback_ls_json=${u}s ratio=$(ratio "$u" "$s")x"
