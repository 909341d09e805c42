//! The backup's file index: Manifest.db (iOS 10+) or Manifest.mbdb (iOS 5–9) read into `Entry`
//! values.

pub mod db;
pub mod listing;
pub mod mbdb;
pub mod mbfile;
pub mod order;

pub use mbfile::FileMeta;

use std::borrow::Cow;

use serde::Serialize;

/// Which index the backup has; detected from the files present, never from version numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ManifestKind {
    /// `Manifest.db`, SQLite, iOS 10 and later.
    Db,
    /// `Manifest.mbdb`, iOS 5–9.
    Mbdb,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    /// A `flags` value with no known meaning (16 has been seen); kept for forensic listings.
    Other,
}

impl EntryKind {
    /// The kind comes from `flags` (1/2/4), which matched the mode bits on every real row seen;
    /// when flags are unknown the mode's type bits decide.
    pub fn of(flags: i64, mode: Option<u32>) -> EntryKind {
        match flags {
            1 => EntryKind::File,
            2 => EntryKind::Dir,
            4 => EntryKind::Symlink,
            _ => match mode.map(|m| m & 0o170000) {
                Some(0o100000) => EntryKind::File,
                Some(0o040000) => EntryKind::Dir,
                Some(0o120000) => EntryKind::Symlink,
                _ => EntryKind::Other,
            },
        }
    }

    pub fn letter(self) -> char {
        match self {
            EntryKind::File => 'f',
            EntryKind::Dir => 'd',
            EntryKind::Symlink => 'l',
            EntryKind::Other => '?',
        }
    }
}

/// One row of the manifest: a file, folder or link of the device, in its domain.
#[derive(Debug, Clone)]
pub struct Entry {
    pub file_id: String,
    pub domain: String,
    pub relative_path: String,
    pub flags: i64,
    pub meta: FileMeta,
    /// Why the MBFile record could not be decoded, if it could not; the row is still listed.
    pub problem: Option<String>,
}

impl Entry {
    pub fn kind(&self) -> EntryKind {
        EntryKind::of(self.flags, self.meta.mode)
    }

    pub fn size(&self) -> u64 {
        self.meta.size.unwrap_or(0)
    }

    /// `domain/relativePath`, the name a user sees.
    pub fn display(&self) -> String {
        if self.relative_path.is_empty() {
            self.domain.clone()
        } else {
            format!("{}/{}", self.domain, self.relative_path)
        }
    }
}

/// One entry of the index, borrowed where it can be: what a scan hands its visitor, so a
/// listing can print a row straight from SQLite's buffer without building an `Entry`.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub file_id: Cow<'a, str>,
    pub domain: Cow<'a, str>,
    pub relative_path: Cow<'a, str>,
    pub flags: i64,
    pub meta: Cow<'a, FileMeta>,
    pub problem: Option<Cow<'a, str>>,
}

impl<'a> Row<'a> {
    pub fn of(e: &'a Entry) -> Row<'a> {
        Row {
            file_id: Cow::Borrowed(&e.file_id),
            domain: Cow::Borrowed(&e.domain),
            relative_path: Cow::Borrowed(&e.relative_path),
            flags: e.flags,
            meta: Cow::Borrowed(&e.meta),
            problem: e.problem.as_deref().map(Cow::Borrowed),
        }
    }

    pub fn kind(&self) -> EntryKind {
        EntryKind::of(self.flags, self.meta.mode)
    }

    pub fn into_entry(self) -> Entry {
        Entry {
            file_id: self.file_id.into_owned(),
            domain: self.domain.into_owned(),
            relative_path: self.relative_path.into_owned(),
            flags: self.flags,
            meta: self.meta.into_owned(),
            problem: self.problem.map(Cow::into_owned),
        }
    }
}

/// The file ID of `domain` + `relative_path`: SHA-1 of "domain-relativePath", lower-case hex.
pub fn file_id(domain: &str, relative_path: &str) -> String {
    use sha1::Digest;
    let mut h = sha1::Sha1::new();
    h.update(domain.as_bytes());
    h.update(b"-");
    h.update(relative_path.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_id_vectors() {
        // From FORMAT.md 1.7, verified against the real mvt Manifest.db.
        assert_eq!(
            file_id("CameraRollDomain", "Media/PhotoData/Photos.sqlite"),
            "12b144c0bd44f2b3dffd9186d3f9c05b917cee25"
        );
        assert_eq!(
            file_id("HomeDomain", "Library/SMS/sms.db"),
            "3d0d7e5fb2ce288813306e4d4636395e047a3d28"
        );
        assert_eq!(
            file_id("CameraRollDomain", ""),
            "be1f28f40e6e4e95dba86a2d9fa4b12dc70b9dc5"
        );
        assert_eq!(
            file_id("MyTestDomain", "Media/Test.txt"),
            "5727bd1c5fa1055e15d8b4a75a74793c84b5ffdc"
        );
    }
}
