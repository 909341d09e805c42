//! `recover`: everything the backup still holds that a normal export misses, written to
//! `OUT/<kind>/…` with its provenance — the file, the byte range, the method that found it, and
//! the SHA-256 of what was written — in `OUT/unback-recovery.json` and an offline `index.html`.
//!
//! Output is deterministic: items are sorted by kind, source and offset, and names derive only
//! from the backup, whatever the number of threads.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use super::carve::{carve, CarveLimits, CarvedKind};
use super::records;
use crate::backup::Backup;
use crate::error::{Error, Result};
use crate::export::{Existing, Options, Outcome, Writer};
use crate::manifest::{Entry, EntryKind};
use crate::media::{self, MediaType};
use crate::photos::files::{EntryIndex, Role};
use crate::photos::library::{LoadOptions, PhotoLibrary};
use crate::plan::photos::{self as plan, Layout, PlanOptions};
use crate::plan::{Job, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    DeletedAssets,
    Previews,
    DeletedRecords,
    Orphans,
    Carved,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::DeletedAssets,
        Kind::Previews,
        Kind::DeletedRecords,
        Kind::Orphans,
        Kind::Carved,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::DeletedAssets => "deleted-assets",
            Kind::Previews => "previews",
            Kind::DeletedRecords => "deleted-records",
            Kind::Orphans => "orphans",
            Kind::Carved => "carved",
        }
    }
}

impl std::str::FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Kind, String> {
        Kind::ALL
            .iter()
            .copied()
            .find(|k| k.name() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown kind {s:?}; one of: {}",
                    Kind::ALL
                        .iter()
                        .map(|k| k.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// Where an item's bytes came from.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Provenance {
    pub file_id: String,
    pub domain: String,
    pub relative_path: String,
    /// Byte offset and length inside that file's plaintext.
    pub offset: u64,
    pub length: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub kind: &'static str,
    /// Relative to OUT; absent for a record whose bytes are not in the backup.
    pub output: Option<String>,
    pub method: String,
    pub source: Option<Provenance>,
    pub media_type: Option<MediaType>,
    pub sha256: Option<String>,
    /// Kind-specific facts: the asset, the trash date, the recovered column values…
    pub details: serde_json::Value,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RecoveryReport {
    pub backup: String,
    pub counts: std::collections::BTreeMap<&'static str, u64>,
    pub notes: Vec<String>,
    pub failures: Vec<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub struct RecoverOptions {
    pub kinds: Vec<Kind>,
    pub jobs: usize,
}

pub const REPORT_JSON: &str = "unback-recovery.json";
pub const REPORT_HTML: &str = "index.html";

/// Files larger than this are not carved (they would have to be read whole into memory).
const MAX_CARVE_FILE: u64 = 1 << 30;

fn provenance(e: &Entry, offset: u64, length: u64) -> Provenance {
    Provenance {
        file_id: e.file_id.clone(),
        domain: e.domain.clone(),
        relative_path: e.relative_path.clone(),
        offset,
        length,
    }
}

pub fn sha_hex(b: &[u8]) -> String {
    crate::hashing::sha256_hex(b)
}

/// Writes bytes under OUT, replacing an earlier run's file (the same backup gives the same
/// bytes), and returns their SHA-256.
fn write_bytes(w: &Writer<'_>, rel: PathBuf, bytes: &[u8]) -> Result<String> {
    write_job(w, &Job::new(Source::Bytes(bytes.into()), rel)).map(|(_, sha)| sha)
}

/// Writes one job under OUT (an earlier run's file replaced) and returns (bytes, sha256).
fn write_job(w: &Writer<'_>, job: &Job<'_>) -> Result<(u64, String)> {
    match w.write(job).0 {
        Outcome::Written(wr) => Ok((wr.bytes, wr.sha256.unwrap_or_default())),
        Outcome::Problem(p) => Err(Error::Other(format!("{}: {}", p.entry, p.cause))),
        _ => Err(Error::Other(format!("{}: not written", job.dest.display()))),
    }
}

/// Copies a whole entry to OUT/rel, returning (bytes, sha256).
pub fn write_entry(
    w: &Writer<'_>,
    e: &Entry,
    rel: &Path,
    mtime: Option<crate::time::Timestamp>,
) -> Result<(u64, String)> {
    let job = Job::new(Source::Entry(e), rel).with_mtime(mtime);
    match w.write(&job).0 {
        Outcome::Written(wr) => Ok((wr.bytes, wr.sha256.unwrap_or_default())),
        Outcome::Problem(p) => Err(Error::Other(format!("{}: {}", p.entry, p.cause))),
        _ => Err(Error::Other(format!("{}: not written", e.display()))),
    }
}

fn ext_of(t: Option<MediaType>) -> &'static str {
    t.map_or("bin", |t| t.extension())
}

/// 1 and 2: hidden and recently deleted assets, and assets known only by a preview.
fn assets(
    w: &Writer<'_>,
    entries: &[Entry],
    lib: &PhotoLibrary,
    kinds: &[Kind],
    report: &mut RecoveryReport,
) {
    let opts = PlanOptions {
        layout: Layout::Category,
        ..Default::default()
    };
    let mut work: Vec<(Kind, plan::PhotoJob)> = Vec::new();
    if kinds.contains(&Kind::DeletedAssets) {
        let sel: Vec<usize> = (0..lib.assets.len())
            .filter(|&i| lib.assets[i].trashed || lib.assets[i].hidden)
            .collect();
        work.extend(
            plan::plan_selected(lib, entries, sel, &opts)
                .jobs
                .into_iter()
                .map(|j| (Kind::DeletedAssets, j)),
        );
    }
    if kinds.contains(&Kind::Previews) {
        let sel: Vec<usize> = (0..lib.assets.len())
            .filter(|&i| lib.files[i].original.is_none() && !lib.files[i].previews.is_empty())
            .collect();
        let flat = PlanOptions {
            layout: Layout::Flat,
            ..Default::default()
        };
        work.extend(
            plan::plan_selected(lib, entries, sel, &flat)
                .jobs
                .into_iter()
                .filter(|j| j.role == Role::Preview || j.role == Role::Edited)
                .map(|j| (Kind::Previews, j)),
        );
    }
    type Written<'a> = (Kind, &'a plan::PhotoJob, Result<(u64, String)>);
    let results: Vec<Written<'_>> = work
        .par_iter()
        .map(|(k, j)| {
            let rel = PathBuf::from(k.name()).join(&j.dest);
            (*k, j, write_entry(w, &entries[j.entry], &rel, j.mtime))
        })
        .collect();
    for (k, j, r) in results {
        let a = &lib.assets[j.asset];
        let e = &entries[j.entry];
        match r {
            Ok((n, sha)) => report.items.push(Item {
                kind: k.name(),
                output: Some(format!("{}/{}", k.name(), j.dest.to_string_lossy())),
                method: match (k, a.trashed, a.hidden) {
                    (Kind::DeletedAssets, true, _) => "Recently Deleted (ZTRASHEDSTATE = 1)".into(),
                    (Kind::DeletedAssets, _, _) => "Hidden album (ZHIDDEN = 1)".into(),
                    _ => format!("original absent; best remaining {}", j.role.name()),
                },
                source: Some(provenance(e, 0, n)),
                media_type: None,
                sha256: Some(sha),
                details: serde_json::json!({
                    "asset_uuid": a.uuid,
                    "original_path": format!("{}/{}", a.domain, a.relative_path),
                    "original_filename": a.original_filename,
                    "capture_date": a.local_date(),
                    "trashed_date": a.trashed_date.map(|t| t.rfc3339()),
                    "hidden": a.hidden,
                    "recently_deleted": a.trashed,
                    "role": j.role.name(),
                    "classified_by": a.origin,
                }),
            }),
            Err(err) => report.failures.push(format!("{}: {err}", e.display())),
        }
    }
}

/// 4: blobs no manifest row references, typed by content.
fn orphans(w: &Writer<'_>, entries: &[Entry], report: &mut RecoveryReport) -> Result<()> {
    let b = w.backup();
    let referenced: BTreeSet<&str> = entries.iter().map(|e| e.file_id.as_str()).collect();
    let names: Vec<String> = b
        .source()
        .blob_names()?
        .into_iter()
        .filter(|n| !referenced.contains(n.rsplit('/').next().unwrap_or(n)))
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    if b.is_encrypted() {
        report.notes.push(format!(
            "{} orphan blobs found; this backup is encrypted and a blob's key lives only in the manifest row that no longer exists, so they cannot be decrypted",
            names.len()
        ));
        for n in &names {
            let id = n.rsplit('/').next().unwrap_or(n).to_string();
            report.items.push(Item {
                kind: Kind::Orphans.name(),
                output: None,
                method: "blob no manifest row references (encrypted: undecryptable)".into(),
                source: Some(Provenance {
                    file_id: id,
                    domain: String::new(),
                    relative_path: n.clone(),
                    offset: 0,
                    length: b.source().len(n).unwrap_or(0),
                }),
                media_type: None,
                sha256: None,
                details: serde_json::json!({}),
            });
        }
        return Ok(());
    }
    let results: Vec<Result<Item>> = names
        .par_iter()
        .map(|n| {
            // Streamed, never held whole: an orphan is any size (a 2 GB video left by an
            // earlier backup), so only its head is read to type it, and the engine copies and
            // hashes it in one pass.
            let head = b.source().read_head(n, media::SNIFF_LEN)?;
            let t = media::sniff(&head);
            let is_sqlite = head.starts_with(crate::sqlite::SQLITE_MAGIC);
            let id = n.rsplit('/').next().unwrap_or(n).to_string();
            let size = b.source().len(n)?;
            let (output, length, sha) = if t.is_some() {
                let rel = PathBuf::from(Kind::Orphans.name()).join(format!("{id}.{}", ext_of(t)));
                let job = Job::new(
                    Source::Blob {
                        name: n.clone(),
                        size,
                    },
                    rel.clone(),
                );
                let (len, sha) = write_job(w, &job)?;
                (Some(rel.to_string_lossy().into_owned()), len, sha)
            } else {
                let (len, sha) = crate::hashing::sha256_reader(b.source().open(n)?)
                    .map_err(|e| Error::io(b.display_path(n), e))?;
                (None, len, sha)
            };
            Ok(Item {
                kind: Kind::Orphans.name(),
                output,
                method: "blob no manifest row references (left by an earlier backup)".into(),
                source: Some(Provenance {
                    file_id: id,
                    domain: String::new(),
                    relative_path: n.clone(),
                    offset: 0,
                    length,
                }),
                media_type: t,
                sha256: Some(sha),
                details: serde_json::json!({ "content": match (t, is_sqlite) {
                    (Some(_), _) => "media",
                    (None, true) => "sqlite",
                    _ => "unknown",
                }}),
            })
        })
        .collect();
    for r in results {
        match r {
            Ok(i) => report.items.push(i),
            Err(e) => report.failures.push(e.to_string()),
        }
    }
    Ok(())
}

/// 5: images embedded in other files, validated by structure.
fn carved(w: &Writer<'_>, entries: &[Entry], report: &mut RecoveryReport) {
    let b = w.backup();
    let candidates: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.kind() == EntryKind::File && e.size() >= 64 && e.size() <= MAX_CARVE_FILE)
        .filter(|e| b.blob_name(e).is_some())
        .collect();
    let results: Vec<Vec<Result<Item>>> = candidates
        .par_iter()
        .map(|e| {
            let head = match b.read_head(e, media::SNIFF_LEN) {
                Ok(h) => h,
                Err(err) => return vec![Err(err)],
            };
            // A photo or video is exported as itself; carving it only finds its own thumbnail.
            if media::sniff(&head).is_some() {
                return Vec::new();
            }
            let bytes = match b.map_entry(e) {
                Ok(v) => v,
                Err(err) => return vec![Err(err)],
            };
            carve(&bytes, &CarveLimits::default())
                .into_iter()
                .filter(|c| !c.nested)
                .map(|c| {
                    let (start, end) = (c.offset as usize, (c.offset + c.len) as usize);
                    let slice = bytes.get(start..end).unwrap_or(&[]);
                    let t = match c.kind {
                        CarvedKind::Jpeg => MediaType::Jpeg,
                        CarvedKind::Png => MediaType::Png,
                        CarvedKind::Gif => MediaType::Gif,
                        CarvedKind::Heif => MediaType::Heic,
                    };
                    let rel = PathBuf::from(Kind::Carved.name()).join(format!(
                        "{}_{:010}.{}",
                        e.file_id,
                        c.offset,
                        t.extension()
                    ));
                    let sha = write_bytes(w, rel.clone(), slice)?;
                    Ok(Item {
                        kind: Kind::Carved.name(),
                        output: Some(rel.to_string_lossy().into_owned()),
                        method: format!("carved {:?}: signature, then structure validated", c.kind),
                        source: Some(provenance(e, c.offset, c.len)),
                        media_type: Some(t),
                        sha256: Some(sha),
                        details: serde_json::json!({}),
                    })
                })
                .collect()
        })
        .collect();
    for r in results.into_iter().flatten() {
        match r {
            Ok(i) => report.items.push(i),
            Err(e) => report.failures.push(e.to_string()),
        }
    }
}

pub fn recover(
    b: &Backup,
    entries: &[Entry],
    out: &Path,
    opts: &RecoverOptions,
) -> Result<RecoveryReport> {
    let w = Writer::new(
        b,
        out,
        Options {
            existing: Existing::Overwrite,
            jobs: opts.jobs,
            hash: true,
            reserved: &[REPORT_JSON, REPORT_HTML],
        },
    )?;
    let kinds: Vec<Kind> = if opts.kinds.is_empty() {
        Kind::ALL.to_vec()
    } else {
        opts.kinds.clone()
    };
    let mut report = RecoveryReport {
        backup: b.path().display().to_string(),
        ..Default::default()
    };
    w.install(|| -> Result<()> {
        let idx = EntryIndex::new(entries);
        if kinds.contains(&Kind::DeletedAssets)
            || kinds.contains(&Kind::Previews)
            || kinds.contains(&Kind::DeletedRecords)
        {
            let lib = PhotoLibrary::load(b, &idx, LoadOptions::default());
            report.notes.extend(lib.notes.iter().cloned());
            assets(&w, entries, &lib, &kinds, &mut report);
            if kinds.contains(&Kind::DeletedRecords) {
                records::deleted_records(&w, &idx, &mut report);
            }
        }
        if kinds.contains(&Kind::Orphans) {
            orphans(&w, entries, &mut report)?;
        }
        if kinds.contains(&Kind::Carved) {
            carved(&w, entries, &mut report);
        }
        Ok(())
    })?;
    let order = |k: &str| Kind::ALL.iter().position(|x| x.name() == k).unwrap_or(9);
    report.items.sort_by(|a, b| {
        let key = |i: &Item| {
            (
                order(i.kind),
                i.source
                    .as_ref()
                    .map(|s| (s.domain.clone(), s.relative_path.clone(), s.offset)),
                i.output.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    report.failures.sort();
    for k in &kinds {
        report.counts.insert(
            k.name(),
            report.items.iter().filter(|i| i.kind == k.name()).count() as u64,
        );
    }
    let json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Other(e.to_string()))?;
    w.write_own(Path::new(REPORT_JSON), &json)?;
    w.write_own(
        Path::new(REPORT_HTML),
        super::html::page(&report).as_bytes(),
    )?;
    Ok(report)
}
