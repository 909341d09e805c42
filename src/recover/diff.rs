//! `recover diff`: two backups of one device, matched by asset UUID and by content hash: what
//! the older held that is gone from the newer, and which traces of it the newer still holds.

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use super::sqlite_free::{recover_deleted, recover_from_wal, RecoverLimits, Value};
use crate::backup::Backup;
use crate::error::Result;
use crate::manifest::Entry;
use crate::photos::files::{EntryIndex, CAMERA_ROLL};
use crate::photos::library::{LoadOptions, PhotoLibrary, PHOTOS_SQLITE};
use crate::source::MAX_DATABASE_BYTES;

#[derive(Debug, Clone, Serialize)]
pub struct Gone {
    pub uuid: String,
    pub original_filename: Option<String>,
    pub relative_path: String,
    pub capture_date: Option<String>,
    /// SHA-256 of the original in the older backup, when it held the original.
    pub sha256: Option<String>,
    /// What of it the newer backup still holds: thumbnails, previews, orphan blobs with the
    /// same content, deleted database records naming it.
    pub traces_in_newer: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Renamed {
    pub older_uuid: String,
    pub newer_uuid: String,
    pub relative_path: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DiffReport {
    pub older: String,
    pub newer: String,
    pub older_assets: u64,
    pub newer_assets: u64,
    pub in_both: u64,
    /// Same content under another UUID (re-imported, restored from iCloud).
    pub same_content: Vec<Renamed>,
    pub gone: Vec<Gone>,
    /// Assets only the newer backup has.
    pub added: u64,
}

fn sha_of(b: &Backup, e: &Entry) -> Option<String> {
    let mut w = crate::hashing::HashingWriter::new(std::io::sink());
    b.copy_entry(e, &mut w, false).ok()?;
    Some(hex::encode(w.finish().1))
}

/// Text values of deleted records in the newer Photos.sqlite (and its -wal).
fn deleted_texts(b: &Backup, idx: &EntryIndex<'_>) -> HashSet<String> {
    let mut out = HashSet::new();
    let limits = RecoverLimits::default();
    let Some(i) = idx.file(CAMERA_ROLL, PHOTOS_SQLITE) else {
        return out;
    };
    let Ok(db) = b.read_database(&idx.entries[i]) else {
        return out;
    };
    let mut recs = recover_deleted(&db, &limits).unwrap_or_default();
    if let Some(w) = idx.file(CAMERA_ROLL, &format!("{PHOTOS_SQLITE}-wal")) {
        if let Ok(wal) = b.read_entry(&idx.entries[w], MAX_DATABASE_BYTES) {
            recs.extend(recover_from_wal(&wal, None, &limits));
        }
    }
    for r in recs {
        for v in r.values {
            if let Value::Text(t) = v {
                out.insert(t);
            }
        }
    }
    out
}

pub fn diff(
    older: &Backup,
    older_entries: &[Entry],
    newer: &Backup,
    newer_entries: &[Entry],
) -> Result<DiffReport> {
    let ni = EntryIndex::new(newer_entries);
    let ol = older.photos(older_entries, LoadOptions::default());
    let nl = PhotoLibrary::load(newer, &ni, LoadOptions::default());
    let mut r = DiffReport {
        older: older.path().display().to_string(),
        newer: newer.path().display().to_string(),
        older_assets: ol.assets.len() as u64,
        newer_assets: nl.assets.len() as u64,
        ..Default::default()
    };
    let newer_uuids: HashSet<&str> = nl.assets.iter().map(|a| a.uuid.as_str()).collect();
    let older_uuids: HashSet<&str> = ol.assets.iter().map(|a| a.uuid.as_str()).collect();
    r.added = nl
        .assets
        .iter()
        .filter(|a| !older_uuids.contains(a.uuid.as_str()))
        .count() as u64;
    let missing: Vec<usize> = (0..ol.assets.len())
        .filter(|&i| !newer_uuids.contains(ol.assets[i].uuid.as_str()))
        .collect();
    r.in_both = (ol.assets.len() - missing.len()) as u64;
    if missing.is_empty() {
        return Ok(r);
    }
    // Content hashes: of the missing older originals, of every newer original, of newer orphans.
    let older_sha: Vec<Option<String>> = missing
        .par_iter()
        .map(|&i| {
            ol.files[i]
                .original
                .and_then(|e| sha_of(older, &older_entries[e]))
        })
        .collect();
    let newer_sha: HashMap<String, usize> = (0..nl.assets.len())
        .into_par_iter()
        .filter_map(|i| {
            nl.files[i]
                .original
                .and_then(|e| sha_of(newer, &newer_entries[e]))
                .map(|h| (h, i))
        })
        .collect();
    let referenced: HashSet<&str> = newer_entries.iter().map(|e| e.file_id.as_str()).collect();
    let orphan_sha: HashMap<String, String> = if newer.is_encrypted() {
        HashMap::new()
    } else {
        newer
            .source()
            .blob_names()?
            .into_par_iter()
            .filter(|n| !referenced.contains(n.rsplit('/').next().unwrap_or(n)))
            .filter_map(|n| {
                // Streamed: an orphan blob can be any size.
                let r = newer.source().open(&n).ok()?;
                let (_, sha) = crate::hashing::sha256_reader(r).ok()?;
                Some((sha, n))
            })
            .collect()
    };
    let texts = deleted_texts(newer, &ni);
    for (k, &i) in missing.iter().enumerate() {
        let a = &ol.assets[i];
        let sha = older_sha[k].clone();
        if let Some(n) = sha.as_ref().and_then(|h| newer_sha.get(h)) {
            r.same_content.push(Renamed {
                older_uuid: a.uuid.clone(),
                newer_uuid: nl.assets[*n].uuid.clone(),
                relative_path: nl.assets[*n].relative_path.clone(),
            });
            continue;
        }
        let mut traces = Vec::new();
        let name = a.device_name().to_string();
        if let Some(rest) = a.relative_path.strip_prefix("Media/") {
            let dir = rest.rsplit_once('/').map_or("", |(d, _)| d);
            for t in ni.under(
                CAMERA_ROLL,
                &format!("Media/PhotoData/Thumbnails/V2/{dir}/{name}/"),
            ) {
                traces.push(format!(
                    "thumbnail {}/{}",
                    CAMERA_ROLL, newer_entries[t].relative_path
                ));
            }
            let stem = crate::photos::files::stem(&name);
            for t in ni.under(
                CAMERA_ROLL,
                &format!("Media/PhotoData/Metadata/{dir}/{stem}."),
            ) {
                traces.push(format!(
                    "preview {}/{}",
                    CAMERA_ROLL, newer_entries[t].relative_path
                ));
            }
            if let Some(o) = ni.file(CAMERA_ROLL, &a.relative_path) {
                traces.push(format!(
                    "a file at the same path ({})",
                    newer_entries[o].file_id
                ));
            }
        }
        if let Some(blob) = sha.as_ref().and_then(|h| orphan_sha.get(h)) {
            traces.push(format!("orphan blob {blob} with the same content"));
        }
        if texts.contains(&a.uuid) {
            traces.push("deleted Photos.sqlite record with its UUID".into());
        } else if texts.contains(&name) {
            traces.push("deleted Photos.sqlite record with its file name".into());
        }
        r.gone.push(Gone {
            uuid: a.uuid.clone(),
            original_filename: a.original_filename.clone(),
            relative_path: a.relative_path.clone(),
            capture_date: a.local_date(),
            sha256: sha,
            traces_in_newer: traces,
        });
    }
    r.gone.sort_by(|x, y| {
        (&x.capture_date, &x.relative_path).cmp(&(&y.capture_date, &y.relative_path))
    });
    Ok(r)
}
