//! `verify`: a health report of a backup — blobs present and of a plausible size, optionally
//! decrypted and checked against their recorded digests; declared versus actual encryption;
//! the snapshot state; blobs no row references; photo-library assets with nothing in the backup.

use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Serialize;
use sha1::Digest as _;

use crate::backup::{Backup, MANIFEST_DB};
use crate::error::{Exit, Result};
use crate::manifest::{Entry, EntryKind};
use crate::photos::library::{LibrarySource, LoadOptions};

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// A short stable code: missing-blob, size-mismatch, not-block-aligned, bad-padding,
    /// digest-mismatch, undecodable-record, unreadable-blob.
    pub code: &'static str,
    pub entry: String,
    pub file_id: String,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub path: String,
    pub encrypted_declared: bool,
    /// What Manifest.db's first bytes say: "sqlite" (plaintext) or "encrypted".
    pub manifest_db_content: String,
    pub encryption_consistent: bool,
    pub snapshot_state: Option<String>,
    pub snapshot_finished: bool,
    pub entries: u64,
    pub files: u64,
    pub files_ok: u64,
    pub deep: bool,
    pub digests_checked: u64,
    pub orphan_blobs: Vec<String>,
    pub photo_library: Option<String>,
    pub photo_assets: u64,
    /// Library assets of which the backup holds no original, render or preview.
    pub photo_assets_missing: Vec<String>,
    pub findings: Vec<Finding>,
    pub healthy: bool,
}

impl VerifyReport {
    pub fn exit(&self) -> Exit {
        if self.healthy {
            Exit::Ok
        } else {
            Exit::Partial
        }
    }
}

fn finding(code: &'static str, e: &Entry, detail: String) -> Finding {
    Finding {
        code,
        entry: e.display(),
        file_id: e.file_id.clone(),
        detail,
    }
}

/// Checks one file entry; `None` when it is healthy.
fn check(b: &Backup, e: &Entry, deep: bool) -> (Option<Finding>, bool) {
    let Some(blob) = b.blob_name(e) else {
        if e.size() == 0 {
            return (None, false);
        }
        return (
            Some(finding(
                "missing-blob",
                e,
                format!("no blob for {} recorded bytes", e.size()),
            )),
            false,
        );
    };
    let len = match b.source().len(&blob) {
        Ok(l) => l,
        Err(err) => return (Some(finding("unreadable-blob", e, err.to_string())), false),
    };
    let size = e.meta.size;
    if b.is_encrypted() {
        if len % 16 != 0 {
            return (
                Some(finding(
                    "not-block-aligned",
                    e,
                    format!("ciphertext of {len} bytes is not a multiple of 16"),
                )),
                false,
            );
        }
        if let Some(s) = size {
            // PKCS#7 adds 1..=16 bytes: the ciphertext is the next multiple of 16 above Size.
            if len != (s / 16 + 1) * 16 && !(len == 0 && s == 0) {
                return (
                    Some(finding(
                        "size-mismatch",
                        e,
                        format!(
                            "recorded size {s}, ciphertext {len} bytes (expected {})",
                            (s / 16 + 1) * 16
                        ),
                    )),
                    false,
                );
            }
        }
    } else if let Some(s) = size {
        if s != len {
            return (
                Some(finding(
                    "size-mismatch",
                    e,
                    format!("recorded size {s}, blob {len} bytes"),
                )),
                false,
            );
        }
    }
    if !deep {
        return (None, false);
    }
    let mut plain = sha1::Sha1::new();
    struct W<'a>(&'a mut sha1::Sha1);
    impl std::io::Write for W<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let copied = match b.copy_entry(e, &mut W(&mut plain), false) {
        Ok(c) => c,
        Err(err) => return (Some(finding("unreadable-blob", e, err.to_string())), false),
    };
    if copied.bad_padding {
        return (
            Some(finding(
                "bad-padding",
                e,
                "invalid PKCS#7 padding after decryption".into(),
            )),
            false,
        );
    }
    let Some(d) = &e.meta.digest else {
        return (None, false);
    };
    // What Digest covers is not documented: accept a SHA-1 of the plaintext or of the blob.
    let p: [u8; 20] = plain.finalize().into();
    if d.as_slice() == p {
        return (None, true);
    }
    if b.is_encrypted() {
        // Streamed: a blob is as large as the file it holds.
        let blob_sha1 = b.source().open(&blob).ok().and_then(|mut r| {
            let mut h = sha1::Sha1::new();
            let mut buf = vec![0u8; 1 << 20];
            loop {
                match std::io::Read::read(&mut r, &mut buf) {
                    Ok(0) => return Some(h.finalize()),
                    Ok(n) => h.update(buf.get(..n)?),
                    Err(_) => return None,
                }
            }
        });
        if let Some(c) = blob_sha1 {
            if d.as_slice() == c.as_slice() {
                return (None, true);
            }
        }
    }
    (
        Some(finding(
            "digest-mismatch",
            e,
            format!(
                "recorded SHA-1 {} differs from the content's {}",
                hex::encode(d),
                hex::encode(p)
            ),
        )),
        true,
    )
}

pub fn verify(b: &Backup, entries: &[Entry], deep: bool) -> Result<VerifyReport> {
    let mut r = VerifyReport {
        path: b.path().display().to_string(),
        encrypted_declared: b.is_encrypted(),
        deep,
        snapshot_state: b.status.as_ref().and_then(|s| s.snapshot_state.clone()),
        snapshot_finished: b.status.as_ref().is_none_or(|s| s.is_finished()),
        entries: entries.len() as u64,
        ..Default::default()
    };
    let head = b
        .source()
        .read_head(MANIFEST_DB, 16)
        .map(|v| v.as_slice() == crate::sqlite::SQLITE_MAGIC);
    r.manifest_db_content = match head {
        Ok(true) => "sqlite".into(),
        Ok(false) => "encrypted".into(),
        Err(_) => "unreadable".into(),
    };
    // iOS 10.0–10.1 encrypted backups keep a plaintext Manifest.db (and no ManifestKey).
    r.encryption_consistent = match (r.encrypted_declared, r.manifest_db_content.as_str()) {
        (false, "sqlite") => true,
        (true, "encrypted") => true,
        (true, "sqlite") => b.manifest.manifest_key.is_none(),
        _ => false,
    };
    let files: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind() == EntryKind::File)
        .collect();
    r.files = files.len() as u64;
    for e in entries.iter().filter(|e| e.problem.is_some()) {
        r.findings.push(finding(
            "undecodable-record",
            e,
            e.problem.clone().unwrap_or_default(),
        ));
    }
    let results: Vec<(Option<Finding>, bool)> =
        files.par_iter().map(|e| check(b, e, deep)).collect();
    for (f, digest) in results {
        r.digests_checked += digest as u64;
        match f {
            Some(f) => r.findings.push(f),
            None => r.files_ok += 1,
        }
    }
    let referenced: BTreeSet<&str> = entries.iter().map(|e| e.file_id.as_str()).collect();
    r.orphan_blobs = b
        .source()
        .blob_names()?
        .into_iter()
        .filter(|n| {
            let id = n.rsplit('/').next().unwrap_or(n);
            !referenced.contains(id)
        })
        .collect();

    let lib = b.photos(entries, LoadOptions::default());
    r.photo_library = Some(match &lib.source {
        LibrarySource::PhotosDb { asset_table, .. } => format!("Photos.sqlite ({asset_table})"),
        LibrarySource::Manifest { reason } => format!("none usable: {reason}"),
    });
    r.photo_assets = lib.assets.len() as u64;
    for (a, f) in lib.assets.iter().zip(&lib.files) {
        if f.versions().is_empty() {
            r.photo_assets_missing
                .push(format!("{} {}", a.uuid, a.relative_path));
        }
    }
    r.healthy = r.findings.is_empty()
        && r.encryption_consistent
        && r.snapshot_finished
        && r.orphan_blobs.is_empty()
        && r.photo_assets_missing.is_empty();
    Ok(r)
}
