#!/usr/bin/env bash
# Key derivation with the real counts (10,000,000 x PBKDF2-HMAC-SHA256 + 10,000 x PBKDF2-HMAC-SHA1)
# of the real iOS 10.2 keybag ../shared/realdata/openwall_john-samples/iTunes_Backup/Manifest-10-test123.plist (password test123):
#   1. `unback password check` (release build; reads Manifest.plist, derives, unwraps the class keys)
#   2. iphone-backup-decrypt's `pbkdf2_hmac` (pycryptodome) over the same DPSL/DPIC/SALT/ITER,
#      `scripts/bench/py_kdf.py --ibd --keybag`
#   3. Python hashlib (OpenSSL), `py_kdf.py --keybag`, the reference of BENCHMARKS.md 3a
# The three alternate, RUNS rounds (default 7) after one warm-up each; medians of the wall time and
# of the child's CPU time (user + sys, which load from other jobs on the machine inflates less).
# The derived keys are checked equal first (`unback key` against py_kdf.py).
# usage: scripts/bench/kdf.sh   (RUNS=N; PY=python with iphone-backup-decrypt, default ./.venv)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/scripts/bench
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH_DIR=${BENCH_DIR:-/tmp/unback-bench}
RUNS=${RUNS:-7}
PY=${PY:-$ROOT/.venv/bin/python}
if [ ! -x "$PY" ]; then
    echo "kdf.sh: $PY missing; run ./scripts/test.sh once (it makes .venv) or set PY" >&2
    exit 2
fi
(cd "$ROOT" && cargo build --release --quiet)
UNBACK=$CARGO_TARGET_DIR/release/unback

B=$BENCH_DIR/kdf-ios10
PLIST=$ROOT/../shared/realdata/openwall_john-samples/iTunes_Backup/Manifest-10-test123.plist
mkdir -p "$B"
cp "$PLIST" "$B/Manifest.plist"
export UNBACK_PASSWORD=test123

ours=$("$UNBACK" key "$B")
peer=$("$PY" "$HERE/py_kdf.py" --ibd --keybag "$PLIST" test123 2> /dev/null)
if [ "$ours" != "$peer" ]; then
    echo "kdf.sh: keys differ: unback $ours, iphone-backup-decrypt $peer" >&2
    exit 1
fi

python3 - "$RUNS" "$UNBACK" "$B" "$PY" "$HERE/py_kdf.py" "$PLIST" << 'EOF'
import os, statistics, subprocess, sys, time

runs, unback, backup, py, py_kdf, plist = sys.argv[1:]
cmds = {
    "unback password check": [unback, "password", "check", backup],
    "iphone-backup-decrypt pbkdf2_hmac": [py, py_kdf, "--ibd", "--keybag", plist, "test123"],
    "hashlib (OpenSSL)": [py, py_kdf, "--keybag", plist, "test123"],
}
wall = {k: [] for k in cmds}
cpu = {k: [] for k in cmds}
inproc = {k: [] for k in cmds}


def run(cmd):
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    t1 = time.perf_counter()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"{cmd} exited {p.returncode}: {err.decode(errors='replace')}")
    return t1 - t0, ru.ru_utime + ru.ru_stime, err


for k, c in cmds.items():
    run(c)
for _ in range(int(runs)):
    for k, c in cmds.items():
        w, u, err = run(c)
        wall[k].append(w)
        cpu[k].append(u)
        if "py_kdf" in c[1]:
            inproc[k].append(float(err.split()[-1]))

med = statistics.median
print(f"KDF 10,000,000 x SHA-256 + 10,000 x SHA-1 (real iOS 10.2 keybag), {runs} alternating runs, medians:")
for k in cmds:
    line = f"  {k:<34} wall {med(wall[k]):.3f} s  cpu {med(cpu[k]):.3f} s"
    if inproc[k]:
        line += f"  (derivation alone, in-process: {med(inproc[k]):.3f} s)"
    print(line)
    print(f"    wall runs: {' '.join(f'{x:.3f}' for x in wall[k])}")
u = "unback password check"
for k in list(cmds)[1:]:
    print(
        f"  {k} / unback: wall {med(wall[k]) / med(wall[u]):.2f}x, cpu {med(cpu[k]) / med(cpu[u]):.2f}x,"
        f" its in-process derivation / unback's whole process {med(inproc[k]) / med(wall[u]):.2f}x"
    )
EOF
