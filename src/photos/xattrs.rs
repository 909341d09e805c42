//! The library without Photos.sqlite: every camera-roll file carries the Photos daemon's
//! `com.apple.assetsd.*` extended attributes in its manifest record (FORMAT.md 2.3): asset UUID,
//! original file name, trashed / hidden / favorite flags, creation date, time zone.

use std::collections::BTreeMap;

use super::files::{extension, EntryIndex, CAMERA_ROLL};
use super::{Asset, MediaKind, Origin};
use crate::manifest::Entry;
use crate::time::Timestamp;

const A: &str = "com.apple.assetsd.";

fn x<'a>(m: &'a BTreeMap<String, Vec<u8>>, name: &str) -> Option<&'a [u8]> {
    m.get(&format!("{A}{name}")).map(Vec::as_slice)
}

fn flag(m: &BTreeMap<String, Vec<u8>>, name: &str) -> bool {
    x(m, name).is_some_and(|v| v.iter().any(|&b| b != 0))
}

fn text(m: &BTreeMap<String, Vec<u8>>, name: &str) -> Option<String> {
    x(m, name)
        .map(|v| {
            String::from_utf8_lossy(v)
                .trim_end_matches('\0')
                .to_string()
        })
        .filter(|s| !s.is_empty())
}

/// `customCreationDate` / `addedDate`: a one-object bplist holding a date (or a number).
fn date(m: &BTreeMap<String, Vec<u8>>, name: &str) -> Option<Timestamp> {
    let v = crate::plists::value_from_bytes(x(m, name)?).ok()?;
    match v {
        plist::Value::Date(d) => Some(Timestamp::from_system_time(d.into())),
        plist::Value::Real(r) => Timestamp::from_cocoa(r),
        _ => None,
    }
}

pub fn format_uuid(b: &[u8]) -> String {
    if b.len() != 16 {
        return String::from_utf8_lossy(b).to_uppercase();
    }
    let h = hex::encode_upper(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

pub const IMAGE_EXTS: &[&str] = &[
    "HEIC", "HEIF", "JPG", "JPEG", "PNG", "GIF", "TIF", "TIFF", "DNG", "WEBP", "AVIF", "BMP",
];
pub const VIDEO_EXTS: &[&str] = &["MOV", "MP4", "M4V", "3GP"];

pub fn kind_by_name(name: &str) -> MediaKind {
    match extension(name) {
        Some(e) if IMAGE_EXTS.iter().any(|x| e.eq_ignore_ascii_case(x)) => MediaKind::Photo,
        Some(e) if VIDEO_EXTS.iter().any(|x| e.eq_ignore_ascii_case(x)) => MediaKind::Video,
        _ => MediaKind::Unknown,
    }
}

/// Camera-roll folders whose files are library originals.
pub fn is_library_path(p: &str) -> bool {
    (p.starts_with("Media/DCIM/") && !p.starts_with("Media/DCIM/.MISC/"))
        || p.starts_with("Media/PhotoData/CPLAssets/")
        || p.starts_with("Media/PhotoData/PhotoCloudSharingData/")
        || p.starts_with("Media/PhotoStreamsData/")
}

/// A library-less asset for one camera-roll file, from its xattrs where it has them.
pub fn asset_from_entry(e: &Entry, live_pair: bool) -> Asset {
    let m = &e.meta.xattrs;
    let name = e.relative_path.rsplit('/').next().unwrap_or("");
    let has_xattrs = x(m, "UUID").is_some();
    let kind = kind_by_name(name);
    let creator = text(m, "creatorBundleID");
    let screenshot = creator.as_deref().is_some_and(|c| {
        c == "com.apple.springboard" || c.starts_with("com.apple.ScreenshotServices")
    });
    let tz_offset = x(m, "timeZoneOffset").and_then(|v| match v.len() {
        4 => Some(i32::from_le_bytes([v[0], v[1], v[2], v[3]])),
        2 => Some(i16::from_le_bytes([v[0], v[1]]) as i32),
        _ => None,
    });
    Asset {
        uuid: x(m, "UUID")
            .map(format_uuid)
            .unwrap_or_else(|| e.file_id.clone()),
        domain: e.domain.clone(),
        relative_path: e.relative_path.clone(),
        original_filename: text(m, "originalFilename"),
        kind,
        subtype: if screenshot {
            Some(10)
        } else if live_pair {
            Some(2)
        } else if kind == MediaKind::Video {
            Some(100)
        } else {
            None
        },
        playback_style: None,
        // Without the daemon's date, the file's last modification is the capture time for
        // camera files (birth can be a restore's time).
        created: date(m, "customCreationDate")
            .or_else(|| e.meta.mtime.map(Timestamp::from_unix))
            .or_else(|| e.meta.birth.map(Timestamp::from_unix)),
        tz_offset,
        tz_name: text(m, "timeZoneName"),
        added: date(m, "addedDate"),
        favorite: flag(m, "favorite"),
        hidden: flag(m, "hidden"),
        trashed: flag(m, "trashed"),
        trashed_date: None,
        edited: false,
        width: None,
        height: None,
        latitude: None,
        longitude: None,
        saved_asset_type: None,
        bundle_scope: None,
        burst_uuid: None,
        burst_pick: None,
        title: None,
        caption: None,
        detected_screenshot: None,
        creator_bundle_id: creator,
        duration: None,
        albums: Vec::new(),
        keywords: Vec::new(),
        people: Vec::new(),
        unnamed_faces: 0,
        place: None,
        camera: None,
        origin: if has_xattrs {
            Origin::Xattrs
        } else {
            Origin::Content
        },
        attachment: None,
    }
}

/// Every camera-roll original, one asset per photo or video; a Live Photo's video (same folder
/// and stem, no asset UUID of its own) joins its photo instead of becoming an asset.
pub fn assets_from_manifest(idx: &EntryIndex<'_>) -> Vec<Asset> {
    assets_from_manifest_except(idx, &Default::default())
}

/// The same, skipping entries already accounted for (by Photos.sqlite), so a library of tens of
/// thousands of assets does not build every asset twice.
pub fn assets_from_manifest_except(
    idx: &EntryIndex<'_>,
    claimed: &std::collections::BTreeSet<usize>,
) -> Vec<Asset> {
    let mut out = Vec::new();
    for (i, e) in idx.entries.iter().enumerate() {
        if claimed.contains(&i) {
            continue;
        }
        if e.domain != CAMERA_ROLL || !is_library_path(&e.relative_path) {
            continue;
        }
        if idx.file(&e.domain, &e.relative_path) != Some(i) {
            continue;
        }
        let name = e.relative_path.rsplit('/').next().unwrap_or("");
        let kind = kind_by_name(name);
        if kind == MediaKind::Unknown {
            continue;
        }
        if kind == MediaKind::Video && x(&e.meta.xattrs, "UUID").is_none() {
            // A paired video: a photo with the same stem in the same folder owns it.
            let photo = idx.sibling(&e.domain, &e.relative_path, IMAGE_EXTS);
            if photo.is_some() {
                continue;
            }
        }
        let live = kind == MediaKind::Photo
            && idx
                .sibling(&e.domain, &e.relative_path, VIDEO_EXTS)
                .is_some_and(|v| x(&idx.entries[v].meta.xattrs, "UUID").is_none());
        out.push(asset_from_entry(e, live));
    }
    out
}
