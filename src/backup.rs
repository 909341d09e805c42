//! `Backup`: the facade a library user sees. It reads the plists, finds the index, and hands out
//! entries and their contents; nothing here writes anywhere.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::manifest::{self, Entry, ManifestKind};
use crate::plists::{InfoPlist, ManifestPlist, StatusPlist};
use crate::source::{BlobReader, Source};
use crate::sqlite;

pub const MANIFEST_PLIST: &str = "Manifest.plist";
pub const MANIFEST_DB: &str = "Manifest.db";
pub const MANIFEST_MBDB: &str = "Manifest.mbdb";
pub const INFO_PLIST: &str = "Info.plist";
pub const STATUS_PLIST: &str = "Status.plist";

#[derive(Debug)]
pub struct Backup {
    source: Source,
    pub manifest: ManifestPlist,
    pub info: Option<InfoPlist>,
    pub status: Option<StatusPlist>,
    pub kind: ManifestKind,
    /// Things a user should know that did not stop the backup from opening.
    pub warnings: Vec<String>,
}

impl Backup {
    /// Opens the backup folder at `path` (the folder holding Manifest.plist).
    pub fn open(path: impl AsRef<Path>) -> Result<Backup> {
        let path = path.as_ref();
        if !path.is_dir() {
            return Err(Error::unreadable(
                path,
                if path.exists() {
                    "not a folder"
                } else {
                    "no such file or folder"
                },
            ));
        }
        Backup::from_source(Source::dir(path))
    }

    pub fn from_source(source: Source) -> Result<Backup> {
        let mut warnings = Vec::new();
        let has_db = source.exists(MANIFEST_DB);
        let has_mbdb = source.exists(MANIFEST_MBDB);
        let kind = if has_db {
            ManifestKind::Db
        } else if has_mbdb {
            ManifestKind::Mbdb
        } else {
            let only = [INFO_PLIST, STATUS_PLIST, MANIFEST_PLIST]
                .iter()
                .filter(|n| source.exists(n))
                .copied()
                .collect::<Vec<_>>();
            let cause = if only.is_empty() {
                "not an iOS backup: no Manifest.db or Manifest.mbdb".to_string()
            } else {
                format!(
                    "incomplete backup: it has {} but no Manifest.db or Manifest.mbdb (the backup did not finish)",
                    only.join(", ")
                )
            };
            return Err(source.unreadable("", cause));
        };
        if kind == ManifestKind::Mbdb {
            return Err(source.unreadable(
                MANIFEST_MBDB,
                "iOS 5–9 backups (Manifest.mbdb) are not supported yet",
            ));
        }

        let manifest = if source.exists(MANIFEST_PLIST) {
            let bytes = source.read(MANIFEST_PLIST)?;
            ManifestPlist::parse(&bytes).map_err(|c| source.unreadable(MANIFEST_PLIST, c))?
        } else {
            warnings.push(format!(
                "{}: missing; reading the index without it (it cannot be decrypted if encrypted)",
                source.display_path(MANIFEST_PLIST).display()
            ));
            ManifestPlist::default()
        };

        let info = if source.exists(INFO_PLIST) {
            match source.read(INFO_PLIST).map(|b| InfoPlist::parse(&b)) {
                Ok(Ok(i)) => Some(i),
                Ok(Err(c)) => {
                    warnings.push(format!(
                        "{}: {c}; ignored",
                        source.display_path(INFO_PLIST).display()
                    ));
                    None
                }
                Err(e) => {
                    warnings.push(format!("{e}; ignored"));
                    None
                }
            }
        } else {
            None
        };

        let status = if source.exists(STATUS_PLIST) {
            match source.read(STATUS_PLIST).map(|b| StatusPlist::parse(&b)) {
                Ok(Ok(s)) => Some(s),
                Ok(Err(c)) => {
                    warnings.push(format!(
                        "{}: {c}; ignored",
                        source.display_path(STATUS_PLIST).display()
                    ));
                    None
                }
                Err(e) => {
                    warnings.push(format!("{e}; ignored"));
                    None
                }
            }
        } else {
            None
        };
        if let Some(s) = &status {
            if !s.is_finished() {
                warnings.push(format!(
                    "{}: SnapshotState is {:?}, not \"finished\": the backup may be incomplete",
                    source.display_path(STATUS_PLIST).display(),
                    s.snapshot_state.as_deref().unwrap_or("")
                ));
            }
        }

        Ok(Backup {
            source,
            manifest,
            info,
            status,
            kind,
            warnings,
        })
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn path(&self) -> &Path {
        self.source.root()
    }

    pub fn is_encrypted(&self) -> bool {
        self.manifest.is_encrypted
    }

    /// The device's UDID: from Manifest.plist's Lockdown, else Info.plist, else the folder name.
    pub fn udid(&self) -> String {
        self.manifest
            .lockdown
            .unique_device_id
            .clone()
            .or_else(|| self.info.as_ref().and_then(|i| i.target_identifier.clone()))
            .unwrap_or_else(|| folder_name(self.path()))
    }

    pub fn device_name(&self) -> Option<String> {
        self.manifest
            .lockdown
            .device_name
            .clone()
            .or_else(|| self.info.as_ref().and_then(|i| i.device_name.clone()))
    }

    /// Opens the file index as an SQLite connection, in memory.
    pub fn manifest_db(&self) -> Result<rusqlite::Connection> {
        let bytes = self.source.read(MANIFEST_DB)?;
        if self.is_encrypted() && bytes.get(..16) != Some(&sqlite::SQLITE_MAGIC[..]) {
            return Err(Error::Locked {
                path: self.source.display_path(MANIFEST_DB),
            });
        }
        let wal_name = format!("{MANIFEST_DB}-wal");
        let wal = if self.source.exists(&wal_name) {
            Some(self.source.read(&wal_name)?)
        } else {
            None
        };
        sqlite::open_bytes(bytes, wal.as_deref())
            .map_err(|c| self.source.unreadable(MANIFEST_DB, c))
    }

    /// Every row of the index, sorted by domain and path.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let conn = self.manifest_db()?;
        manifest::db::read_entries(&conn).map_err(|c| self.source.unreadable(MANIFEST_DB, c))
    }

    /// Where the entry's blob is inside the backup, if it is there.
    pub fn blob_name(&self, entry: &Entry) -> Option<String> {
        self.source.blob_name(&entry.file_id)
    }

    /// The entry's content, streamed.
    pub fn open_entry(&self, entry: &Entry) -> Result<BlobReader> {
        match self.blob_name(entry) {
            Some(name) => self.source.open(&name),
            None => Err(Error::unreadable(
                self.source.display_path(&format!(
                    "{}/{}",
                    entry.file_id.get(..2).unwrap_or(""),
                    entry.file_id
                )),
                format!("blob of {} is missing", entry.display()),
            )),
        }
    }

    pub fn display_path(&self, name: &str) -> PathBuf {
        self.source.display_path(name)
    }
}

pub fn folder_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What copying one entry's content produced.
#[derive(Debug, Clone, Default)]
pub struct Copied {
    pub bytes: u64,
    pub sha256: Option<[u8; 32]>,
    /// Non-fatal findings: a recorded size that differs from the content, invalid padding.
    pub warnings: Vec<String>,
    /// The decrypted content had invalid PKCS#7 padding and was kept whole.
    pub bad_padding: bool,
}

impl Backup {
    /// Streams the entry's plaintext into `out`. Plain blobs go through `io::copy`, which the
    /// kernel serves with `copy_file_range` when no hash is wanted.
    pub fn copy_entry(&self, entry: &Entry, out: &mut std::fs::File, hash: bool) -> Result<Copied> {
        let mut reader = self.open_entry(entry)?;
        let blob = self.blob_name(entry).unwrap_or_default();
        let mut copied = Copied::default();
        if hash {
            let mut w = crate::export::HashingWriter::new(&mut *out);
            std::io::copy(&mut reader, &mut w).map_err(|e| copy_error(self, &blob, e))?;
            let (_, digest, n) = w.finish();
            copied.bytes = n;
            copied.sha256 = Some(digest);
        } else {
            copied.bytes = match &mut reader {
                BlobReader::File(f) => {
                    std::io::copy(f, out).map_err(|e| copy_error(self, &blob, e))?
                }
            };
        }
        if let Some(size) = entry.meta.size {
            if size != copied.bytes && entry.kind() == manifest::EntryKind::File {
                copied.warnings.push(format!(
                    "{}: recorded size {size} differs from the {} bytes in the backup; kept all bytes",
                    entry.display(),
                    copied.bytes
                ));
            }
        }
        Ok(copied)
    }
}

fn copy_error(b: &Backup, blob: &str, e: std::io::Error) -> Error {
    Error::io(b.display_path(blob), e)
}
