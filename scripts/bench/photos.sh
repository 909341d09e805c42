#!/usr/bin/env bash
# Photos benchmarks (see BENCHMARKS.md, section 4):
#   a. `unback photos export` of every photo and video of a ~2 GB ENCRYPTED backup (real
#      iteration counts) vs iphone-backup-decrypt's extract_files(Media/DCIM/%) vs `cp` of the
#      exported files' blobs (the floor) and the key derivation (`unback password check`).
#      3 rounds, alternating, caches dropped before every run, medians.
#   b. `unback photos ls --json` of a 50,000-asset library vs the sqlite3 shell running the
#      equivalent join over the same Photos.sqlite (hyperfine, warm cache, 7 runs).
# usage: scripts/bench/photos.sh [a|b ...]   (default: both)   BYTES=… ASSETS=… BENCH_DIR=…
source "$(dirname "$0")/common.sh"
PARTS=${*:-a b}
PW=bench-password
BYTES=${BYTES:-2000000000}
ASSETS=${ASSETS:-50000}
VENV=${VENV:-/tmp/venv-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
build_tools

part_a() {
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q iphone-backup-decrypt==0.11.2
    fi
    local PY=$VENV/bin/python B OUT=$BENCH_DIR/photos-out LIST=$BENCH_DIR/photos-blobs.txt J
    B=$(gen_once "photos-enc-$BYTES" photos-gb "$BYTES" @DIR "$PW")
    export UNBACK_PASSWORD=$PW
    # Key derivation alone (reads only Manifest.plist), warm: 1 warm-up + 5 runs.
    J=$BENCH_DIR/photos-kdf-hyperfine.json
    hyperfine -N --warmup 1 --runs 5 --export-json "$J" \
        -n unback-password-check "$UNBACK password check $B" > /dev/null
    local kdf
    kdf=$(hf_median "$J" 0)
    # One untimed export gives the list of blobs that the export reads (the copy's input).
    rm -rf "$OUT"
    "$UNBACK" photos export "$B" "$OUT" > /dev/null
    python3 "$HERE/photos_blobs.py" "$OUT/unback-export.json" > "$LIST"
    echo "export writes $(wc -l < "$LIST") files, $(du -sb "$OUT" | cut -f1) bytes (journal included)" >&2
    try_drop_caches
    echo "drop_caches: $([ "$DROP" = 1 ] && echo works, runs start cold || echo not permitted, runs are warm)" >&2
    copy_blobs() { mkdir "$OUT" && (cd "$B" && xargs -a "$LIST" cp --parents -t "$OUT"); }
    local ub=() py=() cp=()
    for i in 1 2 3; do
        rm -rf "$OUT"; drop_caches
        ub+=("$(seconds "$UNBACK" photos export "$B" "$OUT")")
        rm -rf "$OUT"; drop_caches
        py+=("$(seconds "$PY" "$HERE/py_ibd_photos.py" "$B" "$OUT")")
        rm -rf "$OUT"; drop_caches
        cp+=("$(seconds copy_blobs)")
        echo "round $i: unback photos export ${ub[-1]}s, iphone-backup-decrypt ${py[-1]}s, cp ${cp[-1]}s" >&2
    done
    rm -rf "$OUT" "$LIST"
    local mu my mc
    mu=$(median "${ub[@]}"); my=$(median "${py[@]}"); mc=$(median "${cp[@]}")
    echo "a. photos export of $BYTES B encrypted: unback=${mu}s iphone-backup-decrypt=${my}s cp=${mc}s kdf=${kdf}s"
    echo "   runs: unback ${ub[*]}; ibd ${py[*]}; cp ${cp[*]}"
    echo "   ibd/unback=$(ratio "$my" "$mu")x (target >= 2)  unback/(kdf+1.4*cp)=$(python3 -c "print(f'{$mu / ($kdf + 1.4 * $mc):.2f}')") (target <= 1; budget $(python3 -c "print(f'{$kdf + 1.4 * $mc:.3f}')")s)"
}

part_b() {
    local B DB J s u
    B=$(gen_once "photos-lib-$ASSETS" photos-lib "$ASSETS" @DIR)
    DB=$B/12/$(printf 'CameraRollDomain-Media/PhotoData/Photos.sqlite' | sha1sum | cut -c1-40)
    # What `photos ls` reports, from Photos.sqlite alone: asset + additional attributes, albums
    # through the iOS 17.6 join table Z_29ASSETS (album Z_29ALBUMS, asset Z_3ASSETS), and the
    # metadata of issue 15: title, caption, coordinates, the place archive (as stored; unback
    # decodes it), camera, the named people of the faces and the keywords.
    local KW
    KW=$(sqlite3 -readonly "$DB" "SELECT name FROM pragma_table_info('Z_1KEYWORDS') WHERE name GLOB 'Z_*KEYWORDS'")
    local SQL="SELECT a.ZUUID, a.ZDIRECTORY, a.ZFILENAME, a.ZDATECREATED, a.ZADDEDDATE,
 a.ZMODIFICATIONDATE, a.ZTRASHEDDATE, a.ZKIND, a.ZKINDSUBTYPE, a.ZPLAYBACKSTYLE, a.ZFAVORITE,
 a.ZHIDDEN, a.ZTRASHEDSTATE, a.ZHASADJUSTMENTS, a.ZWIDTH, a.ZHEIGHT, a.ZSAVEDASSETTYPE,
 aa.ZORIGINALFILENAME, aa.ZTIMEZONENAME, aa.ZTIMEZONEOFFSET, aa.ZORIGINALFILESIZE,
 aa.ZTITLE, d.ZLONGDESCRIPTION, a.ZLATITUDE, a.ZLONGITUDE, aa.ZREVERSELOCATIONDATA,
 e.ZCAMERAMAKE, e.ZCAMERAMODEL,
 (SELECT group_concat(p.ZFULLNAME) FROM ZDETECTEDFACE f JOIN ZPERSON p ON p.Z_PK = f.ZPERSONFORFACE WHERE f.ZASSETFORFACE = a.Z_PK),
 (SELECT group_concat(k.ZTITLE) FROM Z_1KEYWORDS jk JOIN ZKEYWORD k ON k.Z_PK = jk.$KW WHERE jk.Z_1ASSETATTRIBUTES = aa.Z_PK),
 group_concat(g.ZTITLE)
 FROM ZASSET a LEFT JOIN ZADDITIONALASSETATTRIBUTES aa ON aa.Z_PK = a.ZADDITIONALATTRIBUTES
 LEFT JOIN ZASSETDESCRIPTION d ON d.Z_PK = aa.ZASSETDESCRIPTION
 LEFT JOIN ZEXTENDEDATTRIBUTES e ON e.Z_PK = a.ZEXTENDEDATTRIBUTES
 LEFT JOIN Z_29ASSETS j ON j.Z_3ASSETS = a.Z_PK LEFT JOIN ZGENERICALBUM g ON g.Z_PK = j.Z_29ALBUMS
 GROUP BY a.Z_PK ORDER BY a.ZDATECREATED"
    SQL=$(echo "$SQL" | tr '\n' ' ')
    # Counted in SQL: the place archives are printed as they are stored, newlines included.
    echo "b. sqlite3 rows: $(sqlite3 -readonly "$DB" "SELECT count(*) FROM ($SQL)"); unback rows:" \
        "$("$UNBACK" photos ls "$B" --json --include-hidden --include-deleted | grep -c '"uuid"')" >&2
    J=$BENCH_DIR/photos-ls-hyperfine.json
    hyperfine -N --warmup 1 --runs 7 --export-json "$J" \
        -n sqlite3-join "sqlite3 -readonly $DB '$SQL'" \
        -n unback-photos-ls-json "$UNBACK photos ls $B --json --include-hidden --include-deleted" > /dev/null
    s=$(hf_median "$J" 0)
    u=$(hf_median "$J" 1)
    echo "b. photos ls, $ASSETS assets: sqlite3_join=${s}s unback_photos_ls_json=${u}s ratio=$(ratio "$u" "$s")x (target <= 2)"
}

for p in $PARTS; do "part_$p"; done
