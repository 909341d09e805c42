//! Where one backup is: a folder, or a folder prefix inside a zip archive. `discover::resolve`
//! returns one; `open` turns it into a `Backup`.

use std::path::{Path, PathBuf};

use crate::backup::Backup;
use crate::error::Result;
use crate::source::Source;
use crate::source_zip::{ZipArchiveIndex, ZipSource};

#[derive(Debug, Clone)]
pub enum BackupLocation {
    /// The backup folder (holding Manifest.plist).
    Dir(PathBuf),
    /// A backup inside a zip archive: the archive (mapped once, shared) and the folder prefix.
    Zip(ZipSource),
}

impl BackupLocation {
    pub fn open(&self) -> Result<Backup> {
        match self {
            BackupLocation::Dir(p) => Backup::open(p),
            BackupLocation::Zip(z) => Backup::from_source(Source::Zip(z.clone())),
        }
    }

    /// For messages and listings: the folder, or `<archive.zip>/<prefix>`.
    pub fn display(&self) -> &Path {
        match self {
            BackupLocation::Dir(p) => p,
            BackupLocation::Zip(z) => z.root(),
        }
    }
}

/// Every backup in the zip archive at `path`, in prefix order.
pub fn zip_backups(path: &Path) -> Result<Vec<BackupLocation>> {
    let index = ZipArchiveIndex::open(path)?;
    Ok(index
        .backup_prefixes()
        .iter()
        .map(|p| BackupLocation::Zip(ZipSource::new(index.clone(), p)))
        .collect())
}
