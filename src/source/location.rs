//! Where one backup is: a folder, or a folder prefix inside a zip archive. `discover::resolve`
//! returns one; `Backup::open_location` opens it.

use std::path::{Path, PathBuf};

use super::zip::{ZipArchiveIndex, ZipSource};
use crate::error::Result;

#[derive(Debug, Clone)]
pub enum BackupLocation {
    /// The backup folder (holding Manifest.plist).
    Dir(PathBuf),
    /// A backup inside a zip archive: the archive (mapped once, shared) and the folder prefix.
    Zip(ZipSource),
}

impl BackupLocation {
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
