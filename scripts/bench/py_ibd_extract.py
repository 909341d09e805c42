#!/usr/bin/env python3
"""iphone-backup-decrypt 0.11.2: extract every file of DOMAIN (default CameraRollDomain).
usage: py_ibd_extract.py BACKUP OUT [DOMAIN]   (password from UNBACK_PASSWORD)"""
import os
import sys

from iphone_backup_decrypt import EncryptedBackup

backup, out = sys.argv[1], sys.argv[2]
domain = sys.argv[3] if len(sys.argv) > 3 else "CameraRollDomain"
b = EncryptedBackup(backup_directory=backup, passphrase=os.environ["UNBACK_PASSWORD"])
n = b.extract_files(relative_paths_like="%", domain_like=domain, output_folder=out)
print(f"{n} files")
