#!/usr/bin/env python3
"""The iOS 10.2+ backup key derivation in Python, real counts by default:
PBKDF2-HMAC-SHA256 x DPIC over the password with DPSL, then PBKDF2-HMAC-SHA1 x ITER over that.

usage: py_kdf.py [--ibd] [--keybag MANIFEST_PLIST] PASSWORD [SHA256_ROUNDS] [SHA1_ROUNDS]

Prints the derived key in hex, and on stderr the seconds the two derivations took in-process.
--ibd          use iphone-backup-decrypt's `pbkdf2_hmac` (pycryptodome here, or fastpbkdf2 when
               installed), the function its keybag unlock calls; default: hashlib (OpenSSL)
--keybag FILE  take DPSL, DPIC, SALT and ITER from the BackupKeyBag of a Manifest.plist
               (rounds given on the command line are then ignored); default: 20-byte salts
"""
import hashlib
import plistlib
import struct
import sys
import time

args = sys.argv[1:]
use_ibd = "--ibd" in args
if use_ibd:
    args.remove("--ibd")
keybag = None
if "--keybag" in args:
    i = args.index("--keybag")
    keybag = args[i + 1]
    del args[i : i + 2]

if use_ibd:
    from iphone_backup_decrypt.utils import pbkdf2_hmac
else:
    pbkdf2_hmac = hashlib.pbkdf2_hmac

pw = args[0].encode()
dpic = int(args[1]) if len(args) > 1 else 10_000_000
iters = int(args[2]) if len(args) > 2 else 10_000
dpsl, salt = b"D" * 20, b"S" * 20
if keybag:
    with open(keybag, "rb") as f:
        data = plistlib.load(f)["BackupKeyBag"]
    tags, pos = {}, 0
    # TLV records; the first of each tag is the keybag header's (class records follow).
    while pos + 8 <= len(data):
        tag, n = data[pos : pos + 4], struct.unpack(">I", data[pos + 4 : pos + 8])[0]
        tags.setdefault(tag, data[pos + 8 : pos + 8 + n])
        pos += 8 + n
    dpsl, salt = tags[b"DPSL"], tags[b"SALT"]
    dpic, iters = struct.unpack(">I", tags[b"DPIC"])[0], struct.unpack(">I", tags[b"ITER"])[0]

t0 = time.perf_counter()
k1 = pbkdf2_hmac("sha256", pw, dpsl, dpic, 32)
k2 = pbkdf2_hmac("sha1", k1, salt, iters, 32)
t1 = time.perf_counter()
print(k2.hex())
print(f"{t1 - t0:.3f}", file=sys.stderr)
