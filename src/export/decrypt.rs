//! `decrypt`: an encrypted backup rewritten as a plain one that other tools read — plists,
//! plaintext Manifest.db, and every blob decrypted in the `xx/<fileID>` layout (iOS 5–9
//! backups: Manifest.mbdb without its per-file keys, blobs flat in the root).
//!
//! Blobs are written first and the index last (Manifest.db, then Manifest.plist), so a folder
//! whose run was interrupted is never mistaken for a complete backup; a re-run with
//! `--skip-existing` finishes it.

use std::path::Path;

use serde::Serialize;

use super::{Existing, Options, Problem, Progress, Writer};
use crate::backup::{Backup, INFO_PLIST, MANIFEST_DB, MANIFEST_MBDB, MANIFEST_PLIST, STATUS_PLIST};
use crate::error::{Error, Exit, Result};
use crate::manifest::ManifestKind;
use crate::source::MAX_PLIST_BYTES;

#[derive(Debug, Clone, Default, Serialize)]
pub struct DecryptSummary {
    pub blobs_written: u64,
    pub bytes_written: u64,
    pub skipped_existing: u64,
    pub missing: u64,
    pub failed: u64,
    pub bad_padding: u64,
    pub warnings: Vec<String>,
    pub problems: Vec<Problem>,
}

impl DecryptSummary {
    pub fn exit(&self) -> Exit {
        if self.missing + self.failed + self.bad_padding > 0 {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }
}

pub fn decrypt_backup(
    backup: &Backup,
    out: &Path,
    existing: Existing,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<DecryptSummary> {
    super::check_output(backup, out)?;
    if !backup.is_encrypted() {
        return Err(Error::Usage(format!(
            "{}: the backup is not encrypted; nothing to decrypt",
            backup.path().display()
        )));
    }
    let flat = backup.kind == ManifestKind::Mbdb;
    let (index_name, db, entries) = if flat {
        let raw = backup.mbdb_bytes()?;
        let plain = crate::manifest::mbdb::without_keys(&raw)
            .map_err(|c| Error::unreadable(backup.display_path(MANIFEST_MBDB), c))?;
        (MANIFEST_MBDB, plain, backup.entries()?)
    } else {
        let db = backup.manifest_db_bytes()?;
        let conn = crate::sqlite::open_bytes(db.clone(), None)
            .map_err(|c| Error::unreadable(backup.display_path(MANIFEST_DB), c))?;
        let entries = crate::manifest::db::read_entries(&conn)
            .map_err(|c| Error::unreadable(backup.display_path(MANIFEST_DB), c))?;
        (MANIFEST_DB, db, entries)
    };
    let w = Writer::new(
        backup,
        out,
        Options {
            existing,
            jobs,
            ..Default::default()
        },
    )?;
    let mut blobs = crate::plan::files::blobs(&entries, flat);
    let (_, run) = w.run(&mut blobs, progress);
    let s = DecryptSummary {
        blobs_written: run.files_written,
        bytes_written: run.bytes_written,
        skipped_existing: run.skipped_existing,
        missing: run.missing,
        failed: run.failed + run.refused_existing + run.unsafe_paths,
        bad_padding: run.bad_padding,
        warnings: run.warnings,
        problems: run.problems,
    };

    // The index last, replacing an earlier run's: Info.plist and Status.plist copied as they
    // are, the plaintext index, then Manifest.plist saying the backup is not encrypted.
    for name in [INFO_PLIST, STATUS_PLIST] {
        if backup.source().exists(name) {
            w.write_own(
                Path::new(name),
                &backup.source().read(name, MAX_PLIST_BYTES)?,
            )?;
        }
    }
    w.write_own(Path::new(index_name), &db)?;
    let plist = plain_manifest_plist(&backup.source().read(MANIFEST_PLIST, MAX_PLIST_BYTES)?)
        .map_err(|c| Error::unreadable(backup.display_path(MANIFEST_PLIST), c))?;
    w.write_own(Path::new(MANIFEST_PLIST), &plist)?;
    Ok(s)
}

/// Manifest.plist as a plain backup has it: `IsEncrypted` false and no `ManifestKey` (readers
/// decide from these whether to decrypt). Everything else, the keybag included, is kept.
pub fn plain_manifest_plist(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut v = crate::plists::value_from_bytes(bytes)?;
    let d = v
        .as_dictionary_mut()
        .ok_or("the property list is not a dictionary")?;
    d.insert("IsEncrypted".into(), plist::Value::Boolean(false));
    d.remove("ManifestKey");
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}
