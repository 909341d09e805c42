"""osxphotos' view of a Photos library, for tests/osxphotos.rs.

Usage: osxphotos_dump.py DATABASE_DIR

DATABASE_DIR holds Photos.sqlite (and its -wal). It is copied to a temporary folder first and
osxphotos reads the copy: opening the database with SQLite checkpoints the -wal into it and
removes it, which must not happen to the caller's files.

Prints one JSON object: asset UUID -> the fields unback's `photos ls --json` is compared on.
"""

import datetime
import json
import math
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import osxphotos

UNKNOWN = "_UNKNOWN_"


def dump(dbdir: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "database"
        copy.mkdir()
        for f in dbdir.iterdir():
            if f.name.startswith("Photos.sqlite"):
                shutil.copy2(f, copy / f.name)
        db = osxphotos.PhotosDB(dbfile=str(copy / "Photos.sqlite"), verbose=None)
        # photos_by_uuid returns every asset, trashed and hidden and burst members included.
        uuids = list(db._dbphotos.keys())
        out = {}
        for p in db.photos_by_uuid(uuids):
            place = p.place
            addr = place.address if place is not None else None
            lat, lon = p.location
            date = p.date
            albums = sorted(
                "/".join(list(a.folder_names) + [a.title]) for a in p.album_info
            )
            people = sorted({n for n in p.persons if n and n != UNKNOWN})
            exif = p.exif_info
            out[p.uuid] = {
                "title": p.title,
                "caption": p.description,
                "keywords": sorted(set(p.keywords)),
                "people": people,
                "latitude": lat,
                "longitude": lon,
                "street": addr.street if addr is not None else None,
                "city": addr.city if addr is not None else None,
                "state": addr.state_province if addr is not None else None,
                "postal_code": addr.postal_code if addr is not None else None,
                "country": addr.country if addr is not None else None,
                # The address's ISO code, else the geocoder's (the root's countryCode).
                "country_code": (addr.iso_country_code or place.country_code)
                if addr is not None
                else None,
                "original_filename": p.original_filename,
                # Whole seconds: unback prints capture dates to the second.
                "capture_unix": math.floor(date.timestamp()),
                "offset": int(date.utcoffset().total_seconds()),
                "favorite": bool(p.favorite),
                "hidden": bool(p.hidden),
                "trashed": bool(p.intrash),
                "albums": albums,
                "camera_make": exif.camera_make if exif is not None else None,
                "camera_model": exif.camera_model if exif is not None else None,
                "ismovie": bool(p.ismovie),
            }
        add_time_zones(copy / "Photos.sqlite", out)
        return out


def add_time_zones(db: Path, out: dict) -> None:
    """Beside osxphotos' view, what the library stores about each capture date's zone, read
    from the copy (osxphotos has applied its -wal): the zone name, ZTIMEZONEOFFSET,
    ZINFERREDTIMEZONEOFFSET, and the offset the name's rules give at the capture instant
    (Python's zoneinfo, from the system's time-zone database: not the copy bundled in unback),
    for region names only (a fixed "GMT-0400" has no rules)."""
    conn = sqlite3.connect(str(db))
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    asset = "ZASSET" if "ZASSET" in tables else "ZGENERICASSET"
    rows = conn.execute(
        f"SELECT a.ZUUID, a.ZDATECREATED, aa.ZTIMEZONENAME, aa.ZTIMEZONEOFFSET, "
        f"aa.ZINFERREDTIMEZONEOFFSET FROM {asset} a "
        f"JOIN ZADDITIONALASSETATTRIBUTES aa ON aa.ZASSET = a.Z_PK"
    ).fetchall()
    conn.close()
    for uuid, created, name, stored, inferred in rows:
        if uuid not in out:
            continue
        name_offset = None
        if name and "/" in name and not name.startswith("Etc/") and created is not None:
            try:
                instant = datetime.datetime.fromtimestamp(
                    created + 978307200, tz=datetime.timezone.utc
                )
                name_offset = int(
                    instant.astimezone(ZoneInfo(name)).utcoffset().total_seconds()
                )
            except (OverflowError, OSError, ValueError, ZoneInfoNotFoundError):
                name_offset = None
        out[uuid]["tz_name"] = name
        out[uuid]["tz_stored"] = stored
        out[uuid]["tz_inferred"] = inferred
        out[uuid]["tz_name_offset"] = name_offset


if __name__ == "__main__":
    json.dump(dump(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
    print()
