//! Manifest.db: the `Files` table, one archived MBFile per row (FORMAT.md 2.1–2.2).

#![deny(clippy::indexing_slicing)]

use rayon::prelude::*;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

use std::borrow::Cow;

use super::mbfile::{self, Detail};
use super::order::{self, Key, RowRef, Rows};
use super::{Entry, Row};

/// A text column, borrowed when it is valid UTF-8 (always, on real rows).
fn text(v: ValueRef<'_>) -> Cow<'_, str> {
    match v {
        // `from_utf8` first: the lossy decoder is slower even on valid input.
        ValueRef::Text(t) | ValueRef::Blob(t) => match std::str::from_utf8(t) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(t),
        },
        ValueRef::Integer(i) => Cow::Owned(i.to_string()),
        ValueRef::Real(r) => Cow::Owned(r.to_string()),
        ValueRef::Null => Cow::Borrowed(""),
    }
}

/// Reads every row, decoding each MBFile record straight from SQLite's buffer (no copy of the
/// record), then sorts by domain and path so every listing is deterministic whatever order
/// SQLite stored the rows in.
pub fn read_entries(conn: &Connection) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    scan(conn, None, Detail::Row, &mut |r| {
        entries.push(r.into_entry())
    })?;
    sort_entries(&mut entries);
    Ok(entries)
}

/// Splits the table into up to `parts` rowid ranges of about equal span.
fn rowid_ranges(conn: &Connection, parts: usize) -> Result<Vec<Option<(i64, i64)>>, String> {
    // A table without rowids (not Apple's, but possible in a rebuilt file) is read whole.
    let Ok((lo, hi)) = conn.query_row("SELECT min(rowid), max(rowid) FROM Files", [], |r| {
        Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, Option<i64>>(1)?))
    }) else {
        return Ok(vec![None]);
    };
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(Vec::new());
    };
    // In i128: rowids may span all of i64 (they can be negative), and `hi - lo` must not wrap.
    let (lo, hi) = (i128::from(lo), i128::from(hi));
    let parts = parts.clamp(1, 64) as i128;
    let span = (hi - lo) / parts + 1;
    Ok((0..parts)
        .map(|i| (lo + i * span, (lo + (i + 1) * span - 1).min(hi)))
        .filter(|(a, b)| a <= b)
        .map(|(a, b)| Some((a as i64, b as i64)))
        .collect())
}

/// Visits every row in `parts` rowid ranges, each on its own connection and thread, folding
/// each range into a `T` made by `init`; the results come back in rowid order.
pub fn scan_parallel<T: Send>(
    connect: &(dyn Fn() -> Result<Connection, String> + Sync),
    parts: usize,
    detail: Detail,
    init: &(dyn Fn() -> T + Sync),
    visit: &(dyn Fn(&mut T, Row<'_>) + Sync),
) -> Result<Vec<T>, String> {
    let ranges = rowid_ranges(&connect()?, parts)?;
    ranges
        .par_iter()
        .map(|&r| {
            let c = connect()?;
            let mut acc = init();
            scan(&c, r, detail, &mut |row| visit(&mut acc, row))?;
            Ok(acc)
        })
        .collect()
}

/// Visits every row (or those whose rowid is in `range`) in SQLite's order. Strings and the
/// record are borrowed from SQLite's buffer; a record that does not decode is visited with
/// empty metadata and the reason in `problem`.
pub fn scan(
    conn: &Connection,
    range: Option<(i64, i64)>,
    detail: Detail,
    visit: &mut dyn FnMut(Row<'_>),
) -> Result<(), String> {
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
    while let Some(r) = rows
        .next()
        .map_err(|e| format!("damaged Files table ({e})"))?
    {
        let get = |i: usize| r.get_ref(i).map_err(|e| e.to_string());
        let (meta, problem) = match get(4)? {
            ValueRef::Blob(b) => match mbfile::decode_with(b, detail) {
                Ok(m) => (m, None),
                Err(e) => (Default::default(), Some(Cow::Owned(e.to_string()))),
            },
            _ => (Default::default(), Some(Cow::Borrowed("no MBFile record"))),
        };
        let mut file_id = text(get(0)?);
        if file_id.bytes().any(|b| b.is_ascii_uppercase()) {
            file_id.to_mut().make_ascii_lowercase();
        }
        visit(Row {
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
            meta: Cow::Owned(meta),
            problem,
        });
    }
    Ok(())
}

/// Sorts by domain, then path, then fileID (see `order`).
pub fn sort_entries(entries: &mut Vec<Entry>) {
    let mut keys: Vec<Key> = {
        let ranks = order::ranks(entries.iter().map(|e| e.domain.as_str()));
        entries
            .par_iter()
            .enumerate()
            .map(|(i, e)| {
                let rank = ranks.get(e.domain.as_str()).copied().unwrap_or(0);
                Key::new(rank, e.relative_path.as_bytes(), (0, i as u32))
            })
            .collect()
    };
    order::sort(&mut keys, entries);
    // Apply the permutation in place, cycle by cycle: each entry moves once, nothing is copied.
    let mut perm: Vec<u32> = keys.into_iter().map(|k| k.row.1).collect();
    for start in 0..perm.len() {
        let mut cur = start;
        // `perm[cur] = cur` marks an entry as placed, so a finished cycle is never walked again.
        while let Some(slot) = perm.get_mut(cur) {
            let next = *slot as usize;
            *slot = cur as u32;
            if next == start {
                break;
            }
            entries.swap(cur, next);
            cur = next;
        }
    }
}

impl Rows for Vec<Entry> {
    fn path(&self, (_, i): RowRef) -> &[u8] {
        self.get(i as usize)
            .map_or(&[], |e| e.relative_path.as_bytes())
    }

    fn file_id(&self, (_, i): RowRef) -> &[u8] {
        self.get(i as usize).map_or(&[], |e| e.file_id.as_bytes())
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::builder::{mbfile_archive, FileSpec};

    /// A Files table in a file, with the rows given (rowid, path) and `without_rowid` shape.
    fn db(dir: &std::path::Path, rows: &[(i64, &str)], without_rowid: bool) -> std::path::PathBuf {
        let path = dir.join("Manifest.db");
        let c = Connection::open(&path).unwrap();
        let shape = if without_rowid { " WITHOUT ROWID" } else { "" };
        c.execute_batch(&format!(
            "CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB){shape};"
        ))
        .unwrap();
        for &(rowid, p) in rows {
            let spec = FileSpec::file("HomeDomain", p, b"x".to_vec());
            let id = crate::manifest::file_id("HomeDomain", p);
            let blob = mbfile_archive(&spec);
            if without_rowid {
                c.execute(
                    "INSERT INTO Files VALUES (?1, 'HomeDomain', ?2, 1, ?3)",
                    rusqlite::params![id, p, blob],
                )
                .unwrap();
            } else {
                c.execute(
                    "INSERT INTO Files (rowid, fileID, domain, relativePath, flags, file) VALUES (?1, ?2, 'HomeDomain', ?3, 1, ?4)",
                    rusqlite::params![rowid, id, p, blob],
                )
                .unwrap();
            }
        }
        path
    }

    fn paths(path: &std::path::Path, parts: usize) -> Vec<String> {
        let connect = || crate::sqlite::open_file_immutable(path);
        let chunks = scan_parallel(
            &connect,
            parts,
            Detail::Row,
            &Vec::new,
            &|v: &mut Vec<Entry>, r| v.push(r.into_entry()),
        )
        .unwrap();
        let mut e: Vec<Entry> = chunks.into_iter().flatten().collect();
        sort_entries(&mut e);
        e.into_iter().map(|e| e.relative_path).collect()
    }

    #[test]
    fn rowids_across_all_of_i64_are_all_read() {
        let d = tempfile::tempdir().unwrap();
        let rows = [
            (i64::MIN + 1, "a"),
            (-5, "b"),
            (0, "c"),
            (7, "d"),
            (i64::MAX, "e"),
        ];
        let path = db(d.path(), &rows, false);
        for parts in [1, 2, 3, 8, 64] {
            assert_eq!(
                paths(&path, parts),
                ["a", "b", "c", "d", "e"],
                "{parts} parts"
            );
        }
    }

    #[test]
    fn a_table_without_rowid_is_read_whole() {
        let d = tempfile::tempdir().unwrap();
        let path = db(d.path(), &[(0, "x"), (0, "y")], true);
        assert_eq!(paths(&path, 8), ["x", "y"]);
    }
}
