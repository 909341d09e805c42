"""Independent reader for the cross-check: decrypts every file of an encrypted backup with the
PyPI package iphone-backup-decrypt and prints one JSON object {"domain/relativePath": sha256}.

Usage: python decrypt_all.py BACKUP_DIR  (password from the UNBACK_PASSWORD environment variable)
"""
import hashlib
import json
import os
import sys

from iphone_backup_decrypt import EncryptedBackup


def main() -> None:
    backup = EncryptedBackup(backup_directory=sys.argv[1], passphrase=os.environ["UNBACK_PASSWORD"])
    out = {}
    with backup.manifest_db_cursor() as cur:
        cur.execute("SELECT domain, relativePath FROM Files WHERE flags = 1 ORDER BY domain, relativePath")
        rows = cur.fetchall()
    for domain, rel in rows:
        data = backup.extract_file_as_bytes(rel, domain_like=domain)
        out[f"{domain}/{rel}"] = hashlib.sha256(data).hexdigest()
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
