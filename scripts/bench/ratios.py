#!/usr/bin/env python3
"""Print criterion medians of one group and each benchmark's ratio to the group's reference.

usage: ratios.py GROUP [REFERENCE]   (reads $CARGO_TARGET_DIR/criterion/GROUP/*/new/estimates.json)
Defaults: listing -> sqlite_scan, decrypt -> bare_cbc, kdf -> floor.
"""
import json
import os
import sys

DEFAULT_REF = {"listing": "sqlite_scan", "decrypt": "bare_cbc", "kdf": "floor"}


def main():
    group = sys.argv[1]
    ref = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_REF[group]
    target = os.environ.get("CARGO_TARGET_DIR", "target")
    base = os.path.join(target, "criterion", group)
    medians = {}
    for name in sorted(os.listdir(base)):
        path = os.path.join(base, name, "new", "estimates.json")
        if os.path.exists(path):
            with open(path) as f:
                medians[name] = json.load(f)["median"]["point_estimate"] / 1e9
    bench_json = os.path.join(base, ref, "new", "benchmark.json")
    throughput = None
    if os.path.exists(bench_json):
        with open(bench_json) as f:
            throughput = (json.load(f).get("throughput") or {}).get("Bytes")
    r = medians[ref]
    print(f"{'benchmark':<16} {'median':>10} {'ratio':>7}" + ("   GiB/s" if throughput else ""))
    for name, m in medians.items():
        line = f"{name:<16} {m:>9.3f}s {m / r:>6.2f}x"
        if throughput:
            line += f" {throughput / m / 2**30:>7.2f}"
        print(line)


if __name__ == "__main__":
    main()
