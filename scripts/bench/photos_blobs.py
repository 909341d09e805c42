#!/usr/bin/env python3
"""The blob paths (xx/<fileID>) of the files an export wrote, from its journal.
fileID = sha1(domain + "-" + relativePath), checked against the journal's file_id.
usage: photos_blobs.py OUT/unback-export.json > LIST"""
import hashlib
import json
import sys

journal = json.load(open(sys.argv[1]))
rows = journal["files"] if isinstance(journal, dict) else journal
seen = set()
for r in rows:
    fid = hashlib.sha1(f"{r['domain']}-{r['relative_path']}".encode()).hexdigest()
    if fid != r["file_id"]:
        sys.exit(f"{r['relative_path']}: file_id {r['file_id']} != sha1 {fid}")
    if fid not in seen:
        seen.add(fid)
        print(f"{fid[:2]}/{fid}")
