//! `decrypt`: an encrypted backup rewritten as a plain one that other tools read — plists,
//! plaintext Manifest.db, and every blob decrypted in the `xx/<fileID>` layout (iOS 5–9
//! backups: Manifest.mbdb without its per-file keys, blobs flat in the root).
//!
//! Blobs are written first and the index last (Manifest.db, then Manifest.plist), so a folder
//! whose run was interrupted is never mistaken for a complete backup; a re-run with
//! `--skip-existing` finishes it.

use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use crate::backup::{Backup, INFO_PLIST, MANIFEST_DB, MANIFEST_MBDB, MANIFEST_PLIST, STATUS_PLIST};
use crate::error::{Error, Exit, IoContext, Result};
use crate::export::{self, Existing, Progress, WriteResult};
use crate::extract::Problem;
use crate::manifest::{Entry, EntryKind, ManifestKind};
use crate::safepath;
use crate::source::is_file_id;
use crate::time::Timestamp;

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

enum Outcome {
    Written(u64, Vec<String>, bool),
    Skipped,
    Missing(Problem),
    Failed(Problem),
}

pub fn decrypt_backup(
    backup: &Backup,
    out: &Path,
    existing: Existing,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<DecryptSummary> {
    backup.check_output(out)?;
    if !backup.is_encrypted() {
        return Err(Error::Usage(format!(
            "{}: the backup is not encrypted; nothing to decrypt",
            backup.path().display()
        )));
    }
    let flat = backup.kind == ManifestKind::Mbdb;
    let (index_name, db, entries) = if flat {
        let raw = backup.source().read(MANIFEST_MBDB)?;
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
    crate::export::create_out(out)?;
    let files: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind() == EntryKind::File && is_file_id(&e.file_id))
        .collect();
    let mut s = DecryptSummary::default();
    progress.start(files.len() as u64, files.iter().map(|e| e.size()).sum());
    let pool = export::pool(jobs).at(out)?;
    let outcomes: Vec<Outcome> = pool.install(|| {
        files
            .par_iter()
            .map(|e| {
                let o = decrypt_one(backup, e, out, existing, flat);
                progress.advance(1, e.size());
                o
            })
            .collect()
    });
    progress.finish();
    for o in outcomes {
        match o {
            Outcome::Written(n, w, bad) => {
                s.blobs_written += 1;
                s.bytes_written += n;
                s.bad_padding += bad as u64;
                s.warnings.extend(w);
            }
            Outcome::Skipped => s.skipped_existing += 1,
            Outcome::Missing(p) => {
                s.missing += 1;
                s.problems.push(p);
            }
            Outcome::Failed(p) => {
                s.failed += 1;
                s.problems.push(p);
            }
        }
    }

    // The index last. Info.plist and Status.plist are copied as they are.
    for name in [INFO_PLIST, STATUS_PLIST] {
        if backup.source().exists(name) {
            let bytes = backup.source().read(name)?;
            write_file(&out.join(name), &bytes)?;
        }
    }
    write_file(&out.join(index_name), &db)?;
    let plist = plain_manifest_plist(&backup.source().read(MANIFEST_PLIST)?)
        .map_err(|c| Error::unreadable(backup.display_path(MANIFEST_PLIST), c))?;
    write_file(&out.join(MANIFEST_PLIST), &plist)?;
    Ok(s)
}

fn write_file(dest: &Path, bytes: &[u8]) -> Result<()> {
    export::write_atomic(dest, Existing::Overwrite, None, |f| f.write_all(bytes)).at(dest)?;
    Ok(())
}

/// Manifest.plist as a plain backup has it: `IsEncrypted` false and no `ManifestKey` (readers
/// decide from these whether to decrypt). Everything else, the keybag included, is kept.
pub fn plain_manifest_plist(bytes: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut v = plist::Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| format!("not a valid property list ({e})"))?;
    let d = v
        .as_dictionary_mut()
        .ok_or("the property list is not a dictionary")?;
    d.insert("IsEncrypted".into(), plist::Value::Boolean(false));
    d.remove("ManifestKey");
    let mut out = Vec::new();
    v.to_writer_binary(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn decrypt_one(backup: &Backup, e: &Entry, out: &Path, existing: Existing, flat: bool) -> Outcome {
    let problem = |cause: String| Problem {
        entry: e.display(),
        cause,
    };
    if backup.blob_name(e).is_none() {
        return Outcome::Missing(problem(format!("blob {} is missing", e.file_id)));
    }
    let dir = match flat {
        true => out.to_path_buf(),
        false => match safepath::create_dirs(out, Path::new(&e.file_id[..2])) {
            Ok(d) => d,
            Err(err) => return Outcome::Failed(problem(err.to_string())),
        },
    };
    let dest = dir.join(&e.file_id);
    let mut err_slot = None;
    let r = export::write_atomic(
        &dest,
        existing,
        e.meta.mtime.map(Timestamp::from_unix),
        |f| {
            backup.copy_entry(e, f, false).map_err(|err| {
                let msg = err.to_string();
                err_slot = Some(err);
                std::io::Error::other(msg)
            })
        },
    );
    match r {
        Ok(WriteResult::Written(c)) => Outcome::Written(c.bytes, c.warnings, c.bad_padding),
        Ok(WriteResult::Skipped) => Outcome::Skipped,
        Err(io) => Outcome::Failed(problem(match err_slot {
            Some(inner) => inner.to_string(),
            None => io.to_string(),
        })),
    }
}
