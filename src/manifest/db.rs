//! Manifest.db: the `Files` table, one archived MBFile per row (FORMAT.md 2.1–2.2).

use rayon::prelude::*;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use super::{mbfile, Entry};

fn text(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Text(t) | ValueRef::Blob(t) => match std::str::from_utf8(t) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(t).into_owned(),
        },
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => r.to_string(),
        ValueRef::Null => String::new(),
    }
}

/// Reads every row, decoding each MBFile record straight from SQLite's buffer (no copy of the
/// record), then sorts by domain and path so every listing is deterministic whatever order
/// SQLite stored the rows in.
pub fn read_entries(conn: &Connection) -> Result<Vec<Entry>, String> {
    let mut entries = read_rows(conn, None)?;
    sort_entries(&mut entries);
    Ok(entries)
}

/// The same, reading `parts` rowid ranges on separate connections in parallel: decoding the
/// records is most of a large listing's work. `connect` opens one more read-only connection.
pub fn read_entries_parallel(
    connect: &(dyn Fn() -> Result<Connection, String> + Sync),
    parts: usize,
) -> Result<Vec<Entry>, String> {
    let first = connect()?;
    let (lo, hi): (Option<i64>, Option<i64>) = first
        .query_row("SELECT min(rowid), max(rowid) FROM Files", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .map_err(|e| format!("no readable Files table ({e})"))?;
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(Vec::new());
    };
    let parts = parts.clamp(1, 64) as i64;
    let span = (hi - lo) / parts + 1;
    let ranges: Vec<(i64, i64)> = (0..parts)
        .map(|i| (lo + i * span, (lo + (i + 1) * span - 1).min(hi)))
        .filter(|(a, b)| a <= b)
        .collect();
    let chunks: Vec<Result<Vec<Entry>, String>> = ranges
        .par_iter()
        .map(|&r| {
            let c = connect()?;
            read_rows(&c, Some(r))
        })
        .collect();
    let mut entries = Vec::new();
    for c in chunks {
        entries.extend(c?);
    }
    sort_entries(&mut entries);
    Ok(entries)
}

fn read_rows(conn: &Connection, range: Option<(i64, i64)>) -> Result<Vec<Entry>, String> {
    let sql = match range {
        None => "SELECT fileID, domain, relativePath, flags, file FROM Files".to_string(),
        Some((a, b)) => format!(
            "SELECT fileID, domain, relativePath, flags, file FROM Files WHERE rowid BETWEEN {a} AND {b}"
        ),
    };
    let mut stmt = conn
        .prepare(&sql)
        .map_err(|e| format!("no readable Files table ({e})"))?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut entries = Vec::new();
    while let Some(r) = rows
        .next()
        .map_err(|e| format!("damaged Files table ({e})"))?
    {
        let get = |i: usize| r.get_ref(i).map_err(|e| e.to_string());
        let (meta, problem) = match get(4)? {
            ValueRef::Blob(b) => match mbfile::decode_with(b, false) {
                Ok(m) => (m, None),
                Err(e) => (Default::default(), Some(e.to_string())),
            },
            _ => (Default::default(), Some("no MBFile record".to_string())),
        };
        let mut file_id = text(get(0)?);
        file_id.make_ascii_lowercase();
        entries.push(Entry {
            file_id,
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
            meta,
            problem,
        });
    }
    Ok(entries)
}

/// Sorts by domain, then path, then fileID. Domains repeat across thousands of rows and share
/// long prefixes ("AppDomain-com.…"), so each is ranked once; and a permutation of small keys is
/// sorted rather than the entries themselves, which are large to move.
pub fn sort_entries(entries: &mut Vec<Entry>) {
    let mut domains: Vec<&str> = entries.iter().map(|e| e.domain.as_str()).collect();
    domains.par_sort_unstable();
    domains.dedup();
    let rank: std::collections::HashMap<&str, u32> = domains
        .iter()
        .enumerate()
        .map(|(i, d)| (*d, i as u32))
        .collect();
    let mut order: Vec<(u32, u32)> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (rank.get(e.domain.as_str()).copied().unwrap_or(0), i as u32))
        .collect();
    {
        let es = &entries[..];
        order.par_sort_unstable_by(|&(ra, a), &(rb, b)| {
            let (a, b) = (&es[a as usize], &es[b as usize]);
            ra.cmp(&rb)
                .then_with(|| a.relative_path.cmp(&b.relative_path))
                .then_with(|| a.file_id.cmp(&b.file_id))
        });
    }
    drop(rank);
    let mut slots: Vec<Option<Entry>> = std::mem::take(entries).into_iter().map(Some).collect();
    *entries = order
        .into_iter()
        .filter_map(|(_, i)| slots.get_mut(i as usize).and_then(Option::take))
        .collect();
}
