"""osxphotos' view of a Photos library, for tests/osxphotos.rs.

Usage: osxphotos_dump.py DATABASE_DIR

DATABASE_DIR holds Photos.sqlite (and its -wal). It is copied to a temporary folder first and
osxphotos reads the copy: opening the database with SQLite checkpoints the -wal into it and
removes it, which must not happen to the caller's files.

Prints one JSON object: asset UUID -> the fields unback's `photos ls --json` is compared on.
"""

import json
import math
import shutil
import sys
import tempfile
from pathlib import Path

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
        return out


if __name__ == "__main__":
    json.dump(dump(Path(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
    print()
