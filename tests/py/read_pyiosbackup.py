"""Independent reader for the cross-check of plain backups (the builder's, and `unback
decrypt`'s output): lists every file with the PyPI package pyiosbackup and prints one JSON
object {"domain/relativePath": sha256}.

Usage: python read_pyiosbackup.py BACKUP_DIR [PASSWORD]
"""
import hashlib
import json
import sys

from pyiosbackup import Backup


def main() -> None:
    password = sys.argv[2] if len(sys.argv) > 2 else ""
    backup = Backup.from_path(sys.argv[1], password)
    out = {}
    for entry in backup.iter_files():
        out[f"{entry.domain}/{entry.relative_path}"] = hashlib.sha256(entry.read_bytes()).hexdigest()
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
