#!/usr/bin/env bash
# Encryption benchmarks (see BENCHMARKS.md):
#   a. key derivation with real counts: `unback password check` vs Python hashlib PBKDF2
#   b. AES-256-CBC throughput on 1 GiB: decrypt_stream (unback-bench-gen decrypt) vs openssl enc
#   c. whole job on a ~2 GB encrypted backup: unback extract (password, --key-file) vs
#      iphone-backup-decrypt vs cp -r of the blob folders
# usage: scripts/bench/crypto.sh [a|b|c ...]   (default: all)
source "$(dirname "$0")/common.sh"
PARTS=${*:-a b c}
PW=bench-password
SHA1_ROUNDS=10000
SHA256_ROUNDS=10000000
BYTES=${BYTES:-2000000000}
VENV=${VENV:-/tmp/venv-bench}
HERE=$(cd "$(dirname "$0")" && pwd)
build_tools
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q iphone-backup-decrypt==0.11.2
fi
PY=$VENV/bin/python
export UNBACK_PASSWORD=$PW

kdf_unback=
part_a() {
    local B J
    B=$(gen_once kdf encrypted-gb 100000 @DIR "$PW" $SHA1_ROUNDS $SHA256_ROUNDS)
    J=$BENCH_DIR/kdf-hyperfine.json
    hyperfine -N --warmup 1 --runs 5 --export-json "$J" \
        -n unback-password-check "$UNBACK password check $B" \
        -n python-hashlib "$PY $HERE/py_kdf.py $PW $SHA256_ROUNDS $SHA1_ROUNDS" > /dev/null
    kdf_unback=$(hf_median "$J" 0)
    local p
    p=$(hf_median "$J" 1)
    echo "a. KDF 10,000,000 x SHA-256 + 10,000 x SHA-1: unback=${kdf_unback}s python=${p}s speed-up=$(ratio "$p" "$kdf_unback")x"
}

part_b() {
    local F=$BENCH_DIR/cipher-1g.bin KEY J o u
    KEY=$(printf '42%.0s' $(seq 32))
    [ -f "$F" ] || head -c $((1 << 30)) /dev/urandom > "$F"
    J=$BENCH_DIR/aes-hyperfine.json
    hyperfine -N --warmup 1 --runs 5 --export-json "$J" \
        -n openssl "openssl enc -d -aes-256-cbc -K $KEY -iv 00000000000000000000000000000000 -nopad -in $F -out /dev/null" \
        -n unback-decrypt_stream "$GEN decrypt $F $KEY" > /dev/null
    o=$(hf_median "$J" 0)
    u=$(hf_median "$J" 1)
    echo "b. AES-256-CBC 1 GiB (page cache): openssl=${o}s ($(python3 -c "print(f'{1/$o:.2f}')") GiB/s) unback=${u}s ($(python3 -c "print(f'{1/$u:.2f}')") GiB/s) unback/openssl throughput=$(ratio "$o" "$u")x"
}

part_c() {
    local B OUT=$BENCH_DIR/crypto-out KEYF=$BENCH_DIR/backup.key
    B=$(gen_once "encrypted-$BYTES" encrypted-gb "$BYTES" @DIR "$PW" $SHA1_ROUNDS $SHA256_ROUNDS)
    rm -f "$KEYF"
    "$UNBACK" key "$B" --out "$KEYF"
    try_drop_caches
    echo "drop_caches: $([ "$DROP" = 1 ] && echo works, runs start cold || echo not permitted, runs are warm)" >&2
    copy_blobs() { mkdir "$OUT" && cp -r "$B"/[0-9a-f][0-9a-f] "$OUT"/; }
    local pw=() key=() py=() cp=()
    for i in 1 2 3; do
        rm -rf "$OUT"; drop_caches
        pw+=("$(seconds "$UNBACK" extract "$B" "$OUT" --domain CameraRollDomain)")
        rm -rf "$OUT"; drop_caches
        key+=("$(seconds "$UNBACK" extract "$B" "$OUT" --domain CameraRollDomain --key-file "$KEYF")")
        rm -rf "$OUT"; drop_caches
        py+=("$(seconds "$PY" "$HERE/py_ibd_extract.py" "$B" "$OUT" CameraRollDomain)")
        rm -rf "$OUT"; drop_caches
        cp+=("$(seconds copy_blobs)")
        echo "round $i: password ${pw[-1]}s, key-file ${key[-1]}s, iphone-backup-decrypt ${py[-1]}s, cp -r ${cp[-1]}s" >&2
    done
    rm -rf "$OUT" "$KEYF"
    local mp mk my mc
    mp=$(median "${pw[@]}"); mk=$(median "${key[@]}"); my=$(median "${py[@]}"); mc=$(median "${cp[@]}")
    echo "c. extract CameraRollDomain of $BYTES B: unback(password)=${mp}s unback(--key-file)=${mk}s iphone-backup-decrypt=${my}s cp_r=${mc}s"
    echo "   ibd/unback(password)=$(ratio "$my" "$mp")x ibd/unback(key-file)=$(ratio "$my" "$mk")x unback(key-file)/cp=$(ratio "$mk" "$mc")x"
    if [ -n "$kdf_unback" ]; then
        echo "   unback(password) vs kdf+1.3*cp: ${mp}s vs $(python3 -c "print(f'{$kdf_unback + 1.3 * $mc:.3f}')")s"
    fi
}

for p in $PARTS; do "part_$p"; done
