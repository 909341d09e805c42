//! The names a backup folder is made of, in one place (FORMAT.md 1): the three plists, the two
//! kinds of index, the `Snapshot/` staging folder of a backup in progress, and how blobs are
//! named (`xx/<fileID>` from iOS 10, flat `<fileID>` before).

use std::path::Path;

pub const MANIFEST_PLIST: &str = "Manifest.plist";
/// The index from iOS 10 on: an SQLite database (encrypted whole from iOS 10.2 when the backup
/// is encrypted).
pub const MANIFEST_DB: &str = "Manifest.db";
/// The index of iOS 5–9: a binary record list.
pub const MANIFEST_MBDB: &str = "Manifest.mbdb";
pub const INFO_PLIST: &str = "Info.plist";
pub const STATUS_PLIST: &str = "Status.plist";
/// The staging folder of a backup in progress (FORMAT.md 1.8).
pub const SNAPSHOT: &str = "Snapshot";

/// Files whose presence makes a folder a backup.
pub const INDEX_FILES: [&str; 3] = [MANIFEST_PLIST, MANIFEST_DB, MANIFEST_MBDB];
/// Files a backup that never finished may hold without an index.
pub const STATUS_FILES: [&str; 2] = [INFO_PLIST, STATUS_PLIST];

/// A backup's folder name: its UDID, or `<UDID>-YYYYMMDD-HHMMSS` for an archived copy.
pub fn folder_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A blob's name: 40 hex digits (the SHA-1 of `domain-relativePath`).
pub fn is_file_id(s: &str) -> bool {
    s.len() == 40 && is_hex(s)
}
