//! Manifest.db: the `Files` table, one archived MBFile per row (FORMAT.md 2.1–2.2).

use rayon::prelude::*;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::{mbfile, Entry};

fn text(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Null => String::new(),
    }
}

struct Row {
    file_id: String,
    domain: String,
    relative_path: String,
    flags: i64,
    file: Option<Vec<u8>>,
}

/// Reads every row and decodes the MBFile records in parallel; rows come back sorted by domain,
/// then path, so every listing is deterministic whatever order SQLite stored them in.
pub fn read_entries(conn: &Connection) -> Result<Vec<Entry>, String> {
    let mut stmt = conn
        .prepare("SELECT fileID, domain, relativePath, flags, file FROM Files")
        .map_err(|e| format!("no readable Files table ({e})"))?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    while let Some(r) = rows
        .next()
        .map_err(|e| format!("damaged Files table ({e})"))?
    {
        let get = |i: usize| r.get_ref(i).map_err(|e| e.to_string());
        raw.push(Row {
            file_id: text(get(0)?).to_ascii_lowercase(),
            domain: text(get(1)?),
            relative_path: text(get(2)?),
            flags: match get(3)? {
                ValueRef::Integer(i) => i,
                ValueRef::Text(t) => std::str::from_utf8(t)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or(0),
                _ => 0,
            },
            file: match get(4)? {
                ValueRef::Blob(b) => Some(b.to_vec()),
                _ => None,
            },
        });
    }
    let mut entries: Vec<Entry> = raw
        .into_par_iter()
        .map(|row| {
            let (meta, problem) = match &row.file {
                Some(b) => match mbfile::decode(b) {
                    Ok(m) => (m, None),
                    Err(e) => (Default::default(), Some(e.to_string())),
                },
                None => (Default::default(), Some("no MBFile record".to_string())),
            };
            Entry {
                file_id: row.file_id,
                domain: row.domain,
                relative_path: row.relative_path,
                flags: row.flags,
                meta,
                problem,
            }
        })
        .collect();
    entries.par_sort_unstable_by(|a, b| {
        (
            a.domain.as_str(),
            a.relative_path.as_str(),
            a.file_id.as_str(),
        )
            .cmp(&(
                b.domain.as_str(),
                b.relative_path.as_str(),
                b.file_id.as_str(),
            ))
    });
    Ok(entries)
}
