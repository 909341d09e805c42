//! 3: rows deleted from Photos.sqlite and from Messages' sms.db that still lie in the database
//! file (free pages, freeblocks, unallocated space) or in older frames of its `-wal`, each
//! linked to whatever bytes of that photo or attachment the backup still holds.

use std::collections::HashMap;
use std::path::PathBuf;

use super::run::{Item, Kind, Provenance, RecoveryReport};
use super::sqlite_free::{
    recover_deleted, recover_from_wal, FreeSource, RecoverLimits, Recovered, Value,
};
use crate::export::Writer;
use crate::photos::files::{EntryIndex, CAMERA_ROLL};
use crate::source::MAX_DATABASE_BYTES;
use crate::time::Timestamp;

const DATABASES: &[(&str, &str, &str)] = &[
    (
        CAMERA_ROLL,
        "Media/PhotoData/Photos.sqlite",
        "Photos.sqlite",
    ),
    ("HomeDomain", "Library/SMS/sms.db", "sms.db"),
];

fn value_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        Value::Int(i) => serde_json::json!(i),
        Value::Real(r) => serde_json::json!(r),
        Value::Text(t) => serde_json::json!(t.chars().take(300).collect::<String>()),
        Value::Blob(b) => serde_json::json!({ "blob_bytes": b.len() }),
    }
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && [8, 13, 18, 23].iter().all(|&i| b[i] == b'-')
        && b.iter()
            .enumerate()
            .all(|(i, c)| [8, 13, 18, 23].contains(&i) || c.is_ascii_hexdigit())
}

const MEDIA_EXTS: &[&str] = &[
    "heic", "heif", "jpg", "jpeg", "png", "gif", "mov", "mp4", "m4v", "tif", "tiff", "dng", "webp",
    "avif",
];

fn is_media_name(s: &str) -> bool {
    !s.contains('/')
        && s.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && MEDIA_EXTS.contains(&ext.to_ascii_lowercase().as_str())
        })
}

/// What a recovered record says, as far as its values can be recognised.
#[derive(Default)]
struct Meaning {
    uuid: Option<String>,
    filename: Option<String>,
    directory: Option<String>,
    attachment: Option<String>,
    dates: Vec<String>,
}

fn interpret(values: &[Value]) -> Meaning {
    let mut m = Meaning::default();
    for v in values {
        match v {
            Value::Text(t) => {
                if m.uuid.is_none() && is_uuid(t) {
                    m.uuid = Some(t.clone());
                } else if m.attachment.is_none() && t.starts_with("~/Library/SMS/Attachments/") {
                    m.attachment = Some(t.clone());
                } else if m.directory.is_none()
                    && (t.starts_with("DCIM/") || t.starts_with("PhotoData/"))
                {
                    m.directory = Some(t.clone());
                } else if m.filename.is_none() && is_media_name(t) {
                    m.filename = Some(t.clone());
                }
            }
            // Core Data dates: seconds since 2001, plausible between 2004 and 2050.
            Value::Real(r) if (1e8..1.6e9).contains(r) => {
                if let Some(t) = Timestamp::from_cocoa(*r) {
                    m.dates.push(t.rfc3339());
                }
            }
            _ => {}
        }
    }
    m
}

/// Backup files that belong to a photo named `filename` (optionally in `directory`): the
/// original, its thumbnails folder, its Metadata rendition.
fn linked_files(
    idx: &EntryIndex<'_>,
    by_name: &HashMap<&str, Vec<usize>>,
    m: &Meaning,
) -> Vec<usize> {
    let mut out = Vec::new();
    if let Some(att) = &m.attachment {
        if let Some(i) = idx.file("MediaDomain", att.trim_start_matches("~/")) {
            out.push(i);
        }
    }
    let Some(name) = &m.filename else { return out };
    if let Some(dir) = &m.directory {
        if let Some(i) = idx.file(CAMERA_ROLL, &format!("Media/{dir}/{name}")) {
            out.push(i);
        }
        out.extend(idx.under(
            CAMERA_ROLL,
            &format!("Media/PhotoData/Thumbnails/V2/{dir}/{name}/"),
        ));
    } else if let Some(v) = by_name.get(name.as_str()) {
        out.extend(v.iter().copied());
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn source_name(s: FreeSource) -> String {
    match s {
        FreeSource::FreePage => "free page".into(),
        FreeSource::FreeBlock => "freeblock in a live page".into(),
        FreeSource::Unallocated => "unallocated space in a live page".into(),
        FreeSource::WalFrame { frame } => format!("older -wal frame {frame}"),
    }
}

pub fn deleted_records(w: &Writer<'_>, idx: &EntryIndex<'_>, report: &mut RecoveryReport) {
    let b = w.backup();
    // File name → camera-roll entries with that name as their last or second-last component
    // (thumbnails live in a folder named after the photo).
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, e) in idx.entries.iter().enumerate() {
        if e.domain != CAMERA_ROLL {
            continue;
        }
        let mut parts = e.relative_path.rsplit('/');
        if let Some(last) = parts.next() {
            by_name.entry(last).or_default().push(i);
        }
        if e.relative_path.starts_with("Media/PhotoData/Thumbnails/") {
            if let Some(folder) = parts.next() {
                by_name.entry(folder).or_default().push(i);
            }
        }
    }
    let limits = RecoverLimits::default();
    for (domain, path, label) in DATABASES {
        let Some(di) = idx.file(domain, path) else {
            continue;
        };
        let db_entry = &idx.entries[di];
        let bytes = match b.read_database(db_entry) {
            Ok(v) => v,
            Err(e) => {
                report.failures.push(format!("{label}: {e}"));
                continue;
            }
        };
        let mut found: Vec<(Recovered, &crate::manifest::Entry)> =
            match recover_deleted(&bytes, &limits) {
                Ok(v) => v.into_iter().map(|r| (r, db_entry)).collect(),
                Err(e) => {
                    report.failures.push(format!("{label}: {e}"));
                    continue;
                }
            };
        if let Some(wi) = idx.file(domain, &format!("{path}-wal")) {
            let wal_entry = &idx.entries[wi];
            if let Ok(wal) = b.read_entry(wal_entry, MAX_DATABASE_BYTES) {
                let page_size = bytes
                    .get(16..18)
                    .map(|p| match u16::from_be_bytes([p[0], p[1]]) {
                        1 => 65536,
                        n => n as usize,
                    });
                found.extend(
                    recover_from_wal(&wal, page_size, &limits)
                        .into_iter()
                        .map(|r| (r, wal_entry)),
                );
            }
        }
        for (r, src) in found {
            let m = interpret(&r.values);
            // Only records that say something about a photo or an attachment are of interest.
            if m.uuid.is_none() && m.filename.is_none() && m.attachment.is_none() {
                continue;
            }
            let folder = PathBuf::from(Kind::DeletedRecords.name())
                .join(format!("{label}-page{}-offset{}", r.page, r.offset));
            let mut linked = Vec::new();
            for li in linked_files(idx, &by_name, &m) {
                let e = &idx.entries[li];
                let name = e.relative_path.replace('/', "_");
                let rel = folder.join(&name);
                match super::run::write_entry(w, e, &rel, e.meta.mtime.map(Timestamp::from_unix)) {
                    Ok((n, sha)) => linked.push(serde_json::json!({
                        "output": rel.to_string_lossy(),
                        "domain": e.domain,
                        "relative_path": e.relative_path,
                        "file_id": e.file_id,
                        "size": n,
                        "sha256": sha,
                    })),
                    Err(err) => report.failures.push(format!("{}: {err}", e.display())),
                }
            }
            let output = linked
                .first()
                .and_then(|l| l["output"].as_str().map(str::to_string));
            report.items.push(Item {
                kind: Kind::DeletedRecords.name(),
                output,
                method: format!("deleted {label} record from a {}", source_name(r.source)),
                source: Some(Provenance {
                    file_id: src.file_id.clone(),
                    domain: src.domain.clone(),
                    relative_path: src.relative_path.clone(),
                    offset: r.offset as u64,
                    length: 0,
                }),
                media_type: None,
                sha256: None,
                details: serde_json::json!({
                    "database": label,
                    "page": r.page,
                    "offset_in_page": r.offset,
                    "rowid": r.rowid,
                    "uuid": m.uuid,
                    "filename": m.filename,
                    "directory": m.directory,
                    "attachment": m.attachment,
                    "dates": m.dates,
                    "values": r.values.iter().map(value_json).collect::<Vec<_>>(),
                    "linked_files": linked,
                }),
            });
        }
    }
}
