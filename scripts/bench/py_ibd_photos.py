#!/usr/bin/env python3
"""iphone-backup-decrypt 0.11.2: extract every camera-roll photo and video (Media/DCIM/%).
usage: py_ibd_photos.py BACKUP OUT   (password from UNBACK_PASSWORD)"""
import os
import sys

from iphone_backup_decrypt import EncryptedBackup

backup, out = sys.argv[1], sys.argv[2]
b = EncryptedBackup(backup_directory=backup, passphrase=os.environ["UNBACK_PASSWORD"])
n = b.extract_files(
    relative_paths_like="Media/DCIM/%", domain_like="CameraRollDomain", output_folder=out
)
print(f"{n} files")
