//! Finding backups: a backup folder, a folder holding several (the MobileSync `Backup` folder), or
//! the default locations iTunes, Finder and Apple Devices use.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::backup::Backup;
use crate::error::{Error, Result};
use crate::source::layout::{folder_name, INDEX_FILES, STATUS_FILES};
use crate::source::location::{self, BackupLocation};
use crate::source::zip::is_zip_file;
use crate::time::Timestamp;

/// One backup found on disk, summarised for `unback backups`.
#[derive(Debug, Clone, Serialize)]
pub struct Found {
    pub path: PathBuf,
    /// The folder name: the UDID, or `<UDID>-YYYYMMDD-HHMMSS` for an archived copy.
    pub folder: String,
    pub udid: String,
    pub archived: bool,
    pub device_name: Option<String>,
    pub product_type: Option<String>,
    pub ios_version: Option<String>,
    pub date: Option<Timestamp>,
    pub encrypted: Option<bool>,
    /// Why it cannot be opened, if it cannot (an unfinished backup, a damaged plist...).
    pub problem: Option<String>,
    /// How to open it (a folder, or a prefix inside a zip archive).
    #[serde(skip)]
    pub location: BackupLocation,
}

/// True when `dir` looks like a single backup rather than a folder of backups.
pub fn is_backup_dir(dir: &Path) -> bool {
    INDEX_FILES.iter().any(|n| dir.join(n).is_file())
}

fn looks_like_failed_backup(dir: &Path) -> bool {
    STATUS_FILES.iter().any(|n| dir.join(n).is_file())
}

/// `<UDID>-YYYYMMDD-HHMMSS`: how iTunes names an archived copy beside the live backup.
pub fn archived_suffix(folder: &str) -> Option<(&str, &str)> {
    // Checked on bytes first: the folder name is anyone's (`Резервная копия iPhone`), and
    // `len() - 16` need not fall on a character boundary. Once the last 16 bytes are known to
    // be ASCII, the cut before them is on one, and `get` says so without a panic either way.
    let t = folder.as_bytes();
    let cut = t.len().checked_sub(16).filter(|&c| c > 0)?;
    let tail = &t[cut..];
    let ok = tail[0] == b'-'
        && tail[9] == b'-'
        && tail[1..9].iter().all(u8::is_ascii_digit)
        && tail[10..].iter().all(u8::is_ascii_digit);
    if !ok {
        return None;
    }
    Some((folder.get(..cut)?, folder.get(cut + 1..)?))
}

fn summarise(location: BackupLocation) -> Found {
    let dir = location.display();
    let folder = folder_name(dir);
    let archived = archived_suffix(&folder).is_some();
    let mut f = Found {
        path: dir.to_path_buf(),
        udid: archived_suffix(&folder)
            .map(|(u, _)| u.to_string())
            .unwrap_or_else(|| folder.clone()),
        folder,
        archived,
        device_name: None,
        product_type: None,
        ios_version: None,
        date: None,
        encrypted: None,
        problem: None,
        location: location.clone(),
    };
    match Backup::open_location(&location) {
        Ok(b) => {
            f.udid = b.udid();
            f.device_name = b.device_name();
            f.product_type = b
                .manifest
                .lockdown
                .product_type
                .clone()
                .or_else(|| b.info.as_ref().and_then(|i| i.product_type.clone()));
            f.ios_version = b
                .manifest
                .lockdown
                .product_version
                .clone()
                .or_else(|| b.info.as_ref().and_then(|i| i.product_version.clone()));
            f.date = b
                .manifest
                .date
                .or_else(|| b.status.as_ref().and_then(|s| s.date))
                .or_else(|| b.info.as_ref().and_then(|i| i.last_backup_date));
            f.encrypted = Some(b.is_encrypted());
            if let Some(w) = b.warnings.first() {
                f.problem = Some(w.clone());
            }
        }
        Err(e) => f.problem = Some(e.to_string()),
    }
    f
}

/// Every backup at or directly under `root`, sorted by folder name.
pub fn find_backups(root: &Path) -> Result<Vec<Found>> {
    if is_zip_file(root) {
        return Ok(location::zip_backups(root)?
            .into_iter()
            .map(summarise)
            .collect());
    }
    if is_backup_dir(root) {
        return Ok(vec![summarise(BackupLocation::Dir(root.to_path_buf()))]);
    }
    let rd = std::fs::read_dir(root).map_err(|e| Error::io(root, e))?;
    let mut dirs: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && (is_backup_dir(p) || looks_like_failed_backup(p)))
        .collect();
    dirs.sort();
    Ok(dirs
        .into_iter()
        .map(|d| summarise(BackupLocation::Dir(d)))
        .collect())
}

/// The folders where iTunes, Finder and Apple Devices keep backups on this machine's user
/// account: macOS, Windows with iTunes from apple.com, and the Microsoft Store version.
pub fn default_roots() -> Vec<PathBuf> {
    let mut roots = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        roots.push(PathBuf::from(home).join("Library/Application Support/MobileSync/Backup"));
    }
    if let Some(appdata) = std::env::var_os("APPDATA") {
        roots.push(
            PathBuf::from(appdata)
                .join("Apple Computer")
                .join("MobileSync")
                .join("Backup"),
        );
    }
    if let Some(profile) = std::env::var_os("USERPROFILE") {
        roots.push(
            PathBuf::from(profile)
                .join("Apple")
                .join("MobileSync")
                .join("Backup"),
        );
    }
    roots
}

/// Turns the user's BACKUP argument (and an optional `--udid`/device-name selector) into one
/// backup folder, or one backup inside a zip archive. A folder or archive of several backups
/// needs the selector unless it holds exactly one.
pub fn resolve(path: &Path, selector: Option<&str>) -> Result<BackupLocation> {
    if !path.exists() {
        return Err(Error::unreadable(path, "no such file or folder"));
    }
    if is_backup_dir(path) {
        return Ok(BackupLocation::Dir(path.to_path_buf()));
    }
    if !path.is_dir() && !is_zip_file(path) {
        return Err(Error::unreadable(path, "not a backup folder"));
    }
    let found = find_backups(path)?;
    if found.is_empty() {
        let cause = if looks_like_failed_backup(path) {
            "incomplete backup: Info.plist/Status.plist but no Manifest.plist or Manifest.db (the backup did not finish)"
        } else {
            "no iOS backup here (no Manifest.plist, Manifest.db or Manifest.mbdb in it or in its sub-folders)"
        };
        return Err(Error::unreadable(path, cause));
    }
    let candidates: Vec<&Found> = match selector {
        None => found.iter().collect(),
        Some(sel) => {
            let exact: Vec<&Found> = found.iter().filter(|f| f.folder == sel).collect();
            if !exact.is_empty() {
                exact
            } else {
                found
                    .iter()
                    .filter(|f| {
                        f.udid.eq_ignore_ascii_case(sel)
                            || f.device_name
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(sel))
                    })
                    .collect()
            }
        }
    };
    match candidates.as_slice() {
        [one] => Ok(one.location.clone()),
        [] => Err(Error::Usage(format!(
            "{}: no backup matches {:?}; candidates:\n{}",
            path.display(),
            selector.unwrap_or(""),
            list(&found)
        ))),
        many => Err(Error::Usage(format!(
            "{}: holds {} backups; choose one with --udid (folder name, UDID or device name):\n{}",
            path.display(),
            many.len(),
            list(&many.iter().map(|f| (*f).clone()).collect::<Vec<_>>())
        ))),
    }
}

fn list(found: &[Found]) -> String {
    found
        .iter()
        .map(|f| {
            format!(
                "  {}  {}  {}",
                f.folder,
                f.device_name.as_deref().unwrap_or("?"),
                f.date.map(|d| d.rfc3339()).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archived_names() {
        assert_eq!(
            archived_suffix("000e903852948d1b9729e79c039fc3f14941535b-20180801-210921"),
            Some((
                "000e903852948d1b9729e79c039fc3f14941535b",
                "20180801-210921"
            ))
        );
        assert_eq!(archived_suffix("00008110-001A2B3C4D5E801E"), None);
        assert_eq!(archived_suffix("short"), None);
    }

    /// Issue 11 item 4: a name whose 16th byte from the end is inside a character panicked.
    #[test]
    fn archived_suffix_multibyte_names() {
        for name in [
            "Резервная копия iPhone",
            "Резервная копия",
            "ééééééééééééééééé",
            "日本語のバックアップ",
        ] {
            assert_eq!(archived_suffix(name), None, "{name}");
        }
        // Every cut of a multi-byte name, so no length escapes.
        let long = "Резервная копия iPhone — 2024";
        for (i, _) in long.char_indices() {
            assert_eq!(archived_suffix(&long[i..]), None);
        }
        assert_eq!(
            archived_suffix("Копия-20180801-210921"),
            Some(("Копия", "20180801-210921"))
        );
    }
}
