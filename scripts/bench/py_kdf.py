#!/usr/bin/env python3
"""The iOS 10.2+ backup key derivation in Python (hashlib -> OpenSSL), real counts by default:
PBKDF2-HMAC-SHA256 x DPIC over the password with DPSL, then PBKDF2-HMAC-SHA1 x ITER over that.
usage: py_kdf.py PASSWORD [SHA256_ROUNDS] [SHA1_ROUNDS]"""
import hashlib
import sys

pw = sys.argv[1].encode()
dpic = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000_000
iters = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
k1 = hashlib.pbkdf2_hmac("sha256", pw, b"D" * 20, dpic)
k2 = hashlib.pbkdf2_hmac("sha1", k1, b"S" * 20, iters, 32)
print(k2.hex())
