#!/usr/bin/env python3
"""Independent reader for UNENCRYPTED iOS 10+ backups (stdlib only: sqlite3 + plistlib).

Cross-checks the Rust fixture builder: for every Files row prints
domain, relativePath, flags, Size, LastModified and sha256 of the blob (or MISSING/-).

Usage: read_plain.py <backup dir containing Manifest.db>
"""
import hashlib
import os
import plistlib
import shutil
import sqlite3
import sys
import tempfile


def resolve(objects, v):
    """Follow NSKeyedArchiver UIDs; unwrap {NS.data}/{NS.string} containers."""
    if isinstance(v, plistlib.UID):
        v = objects[v.data]
    if isinstance(v, dict):
        if "NS.data" in v:
            return resolve(objects, v["NS.data"])
        if "NS.string" in v:
            return resolve(objects, v["NS.string"])
    return v


def main(backup):
    # Work on a copy: the file is in WAL mode, and opening it in place could create
    # -wal/-shm side files inside the backup.
    tmp = tempfile.mkdtemp()
    db_path = os.path.join(tmp, "Manifest.db")
    shutil.copyfile(os.path.join(backup, "Manifest.db"), db_path)
    db = sqlite3.connect(db_path)
    manifest = plistlib.load(open(os.path.join(backup, "Manifest.plist"), "rb"))
    status = plistlib.load(open(os.path.join(backup, "Status.plist"), "rb"))
    lock = manifest.get("Lockdown", {})
    print(f"# device={lock.get('DeviceName')} ios={lock.get('ProductVersion')} "
          f"encrypted={manifest.get('IsEncrypted')} snapshot={status.get('SnapshotState')}")
    for file_id, domain, path, flags, blob in db.execute(
            "SELECT fileID, domain, relativePath, flags, file FROM Files ORDER BY domain, relativePath"):
        arch = plistlib.loads(blob)
        objects = arch["$objects"]
        root = objects[arch["$top"]["root"].data]
        size = root.get("Size")
        mtime = root.get("LastModified")
        rp = resolve(objects, root["RelativePath"])
        assert rp == path, (rp, path)
        assert hashlib.sha1(f"{domain}-{path}".encode()).hexdigest() == file_id
        digest = "-"
        if flags == 1:
            p = os.path.join(backup, file_id[:2], file_id)
            if not os.path.exists(p):
                p = os.path.join(backup, file_id)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
            else:
                digest = "MISSING"
        print(f"{domain}\t{path}\t{flags}\t{size}\t{mtime}\t{digest}")
    db.close()
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main(sys.argv[1])
