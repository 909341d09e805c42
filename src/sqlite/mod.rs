//! Opening SQLite databases that belong to a backup without writing next to them.
//!
//! Databases are read into memory (from a folder, a zip member or a decryption) and handed to
//! SQLite with `deserialize`, so a plaintext copy never touches disk and the backup is never
//! opened for writing. A `-wal` file, when present, is applied in memory (committed frames only),
//! because in-memory databases cannot use SQLite's own WAL machinery.

#![deny(clippy::indexing_slicing)]

use rusqlite::{Connection, OpenFlags, MAIN_DB};

pub mod format;

pub const SQLITE_MAGIC: &[u8; 16] = format::MAGIC;

/// True when the file starts with the SQLite header (a plaintext database).
pub fn has_magic(path: &std::path::Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == SQLITE_MAGIC
}

/// Percent-encodes a path for an SQLite `file:` URI, where `?`, `#` and `%` have meanings.
fn uri_path(path: &std::path::Path) -> String {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::new();
    for b in abs.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Opens a database file in place, read-only and `immutable=1`: SQLite assumes nobody changes
/// it, takes no locks and creates no side files, so the backup folder is never written to.
pub fn open_file_immutable(path: &std::path::Path) -> Result<Connection, String> {
    let uri = format!("file:{}?mode=ro&immutable=1", uri_path(path));
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("SQLite cannot open it ({e})"))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| format!("damaged SQLite database ({e})"))?;
    Ok(conn)
}

/// Opens `bytes` as a read-only in-memory database. `label` names the file in errors.
pub fn open_bytes(mut bytes: Vec<u8>, wal: Option<&[u8]>) -> Result<Connection, String> {
    if bytes.len() < 100 || !bytes.starts_with(SQLITE_MAGIC) {
        return Err("not an SQLite database (bad header)".into());
    }
    if let Some(wal) = wal {
        apply_wal(&mut bytes, wal)?;
    }
    let len = bytes.len();
    open_reader(bytes.as_slice(), len)
}

/// Opens the `len` bytes that `reader` yields as a read-only in-memory database. SQLite's own
/// buffer is filled straight from the reader, so a database decrypted on the fly is never held
/// twice (for a 350 MB Manifest.db that was a second copy and its page faults).
pub fn open_reader(reader: impl std::io::Read, len: usize) -> Result<Connection, String> {
    if len < 100 {
        return Err("not an SQLite database (bad header)".into());
    }
    let mut conn = Connection::open_in_memory_with_flags(
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| e.to_string())?;
    let reader = RollbackHeader {
        inner: reader,
        at: 0,
    };
    conn.deserialize_read_exact(MAIN_DB, reader, len, true)
        .map_err(|e| format!("SQLite cannot open it ({e})"))?;
    // Nothing is ever written, but make that a guarantee rather than a habit.
    conn.pragma_update(None, "query_only", true)
        .map_err(|e| e.to_string())?;
    // A truncated or corrupt file opens lazily; touch the schema now so the error is reported
    // against the file, not against whichever query runs first.
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| format!("damaged SQLite database ({e})"))?;
    Ok(conn)
}

/// Passes a database through, turning header bytes 18 and 19 from 2 (WAL mode) into 1: SQLite
/// refuses to deserialize a WAL-mode file ("unable to open database file"), and rollback mode
/// reads the same pages.
struct RollbackHeader<R> {
    inner: R,
    at: u64,
}

impl<R: std::io::Read> std::io::Read for RollbackHeader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for pos in [18u64, 19] {
            if let Some(b) = pos
                .checked_sub(self.at)
                .and_then(|i| buf.get_mut(..n)?.get_mut(usize::try_from(i).ok()?))
            {
                if *b == 2 {
                    *b = 1;
                }
            }
        }
        self.at += n as u64;
        Ok(n)
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    crate::bytes::u32_be(b, at, "WAL field").ok()
}

/// Applies the committed frames of a WAL file to the database image, as a reader at the last
/// commit would see it. Frames after the last commit, or whose salts differ from the header's
/// (left over from an older WAL generation), are ignored, as SQLite does. Checksums are verified
/// so a torn tail is not applied. Frames for pages past the committed database size are ignored
/// too, as SQLite ignores them: the image never grows past that size, which is itself bounded by
/// the two files' sizes, so a hostile frame for page 2^32-1 cannot make us allocate terabytes.
pub fn apply_wal(db: &mut Vec<u8>, wal: &[u8]) -> Result<usize, String> {
    if wal.len() < format::WAL_HEADER_LEN {
        return Ok(0);
    }
    let big_endian_sums = format::wal_big_endian(wal).ok_or("the -wal file has no WAL header")?;
    let raw_page_size = be32(wal, 8).unwrap_or(0);
    let page_size = format::page_size(raw_page_size)
        .filter(|_| raw_page_size != 1)
        .ok_or_else(|| format!("the -wal file has an invalid page size {raw_page_size}"))?;
    let salt = (be32(wal, 16), be32(wal, 20));
    let header = wal.get(..24).unwrap_or(&[]);
    let mut sum = format::wal_checksum(header, (0, 0), big_endian_sums);
    if Some(sum.0) != be32(wal, 24) || Some(sum.1) != be32(wal, 28) {
        return Err("the -wal header checksum is wrong".into());
    }
    let frame_len = format::WAL_FRAME_HEADER_LEN + page_size;
    let mut pending: Vec<(usize, usize, u32)> = Vec::new(); // (page number, frame offset, db size)
    let mut committed: Vec<(usize, usize)> = Vec::new();
    let mut committed_size: Option<u32> = None;
    let mut at = format::WAL_HEADER_LEN;
    while let Some(frame) = wal.get(at..at + frame_len) {
        if (be32(frame, 8), be32(frame, 12)) != salt {
            break;
        }
        sum = format::wal_checksum(frame.get(..8).unwrap_or(&[]), sum, big_endian_sums);
        sum = format::wal_checksum(frame.get(24..).unwrap_or(&[]), sum, big_endian_sums);
        if Some(sum.0) != be32(frame, 16) || Some(sum.1) != be32(frame, 20) {
            break;
        }
        let page = be32(frame, 0).unwrap_or(0) as usize;
        let commit = be32(frame, 4).unwrap_or(0);
        pending.push((page, at + format::WAL_FRAME_HEADER_LEN, commit));
        if commit != 0 {
            committed.extend(pending.drain(..).map(|(p, o, _)| (p, o)));
            committed_size = Some(commit);
        }
        at += frame_len;
    }
    let db_page_size = format::db_page_size(db)
        .map_err(|_| "database header truncated")?
        .unwrap_or(0);
    if committed.is_empty() {
        return Ok(0);
    }
    if db_page_size != page_size {
        return Err(format!(
            "the -wal page size {page_size} differs from the database's {db_page_size}"
        ));
    }
    let pages = committed_size.unwrap_or(0) as usize;
    let new_len = pages
        .checked_mul(page_size)
        .ok_or("the -wal database size overflows")?;
    // Bound the growth: a commit frame claiming a huge database would otherwise allocate it.
    if new_len > db.len() + committed.len() * page_size + page_size {
        return Err("the -wal commit size is implausible".into());
    }
    db.resize(new_len.max(db.len()), 0);
    let mut applied = 0usize;
    for &(page, off) in &committed {
        if page == 0 || page > pages {
            continue;
        }
        let start = (page - 1) * page_size;
        let (Some(dst), Some(src)) = (
            db.get_mut(start..start + page_size),
            wal.get(off..off + page_size),
        ) else {
            continue;
        };
        dst.copy_from_slice(src);
        applied += 1;
    }
    db.truncate(new_len);
    // The in-header database size must agree with the truncated image.
    if let Some(h) = db.get_mut(28..32) {
        h.copy_from_slice(&(pages as u32).to_be_bytes());
    }
    let _ = applied;
    Ok(committed.len())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Makes a real WAL-mode database on disk with SQLite itself, leaving rows in the -wal file.
    fn wal_db(dir: &std::path::Path) -> (Vec<u8>, Vec<u8>) {
        let path = dir.join("t.db");
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "journal_mode", "wal").unwrap();
        c.execute_batch("PRAGMA wal_autocheckpoint=0; CREATE TABLE t(x TEXT); INSERT INTO t VALUES('base'); PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        c.execute_batch("INSERT INTO t VALUES('in-wal-1'); INSERT INTO t VALUES('in-wal-2'); DELETE FROM t WHERE x='base';").unwrap();
        let db = std::fs::read(&path).unwrap();
        let wal = std::fs::read(dir.join("t.db-wal")).unwrap();
        std::mem::forget(c); // keep the -wal from being checkpointed away on close
        (db, wal)
    }

    /// One byte a call: the header rewrite must find bytes 18 and 19 whatever the read sizes.
    struct OneByte<'a>(&'a [u8]);

    impl std::io::Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let Some((&b, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            if buf.is_empty() {
                return Ok(0);
            }
            buf[0] = b;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn a_wal_mode_database_opens_from_any_reader() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = wal_db(dir.path());
        assert_eq!((db[18], db[19]), (2, 2));
        for conn in [
            open_reader(OneByte(&db), db.len()).unwrap(),
            open_reader(&db[..], db.len()).unwrap(),
        ] {
            let n: i64 = conn
                .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 1); // 'base', checkpointed into the file
        }
        assert!(open_reader(&db[..50], 50).is_err());
    }

    #[test]
    fn applies_committed_wal_frames_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let (db, wal) = wal_db(dir.path());
        let rows = |c: &Connection| -> Vec<String> {
            c.prepare("SELECT x FROM t ORDER BY x")
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        let without = open_bytes(db.clone(), None).unwrap();
        assert_eq!(rows(&without), vec!["base"]);
        let with = open_bytes(db, Some(&wal)).unwrap();
        assert_eq!(rows(&with), vec!["in-wal-1", "in-wal-2"]);
    }

    #[test]
    fn torn_wal_tail_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let (db, mut wal) = wal_db(dir.path());
        let n = wal.len();
        wal[n - 10] ^= 0xFF; // corrupt the last frame: its transaction must not apply
        let c = open_bytes(db, Some(&wal)).unwrap();
        let count: i64 = c
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert!(count >= 1);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(open_bytes(b"hello".to_vec(), None).is_err());
        let mut fake = SQLITE_MAGIC.to_vec();
        fake.resize(4096, 0xAB);
        assert!(open_bytes(fake, None).is_err());
    }

    /// A WAL whose one committed frame writes `page` of a `db_pages`-page database.
    fn hostile_wal(page: u32, db_pages: u32, page_size: usize) -> Vec<u8> {
        let mut wal = Vec::new();
        for w in [
            format::WAL_MAGIC_LE,
            3_007_000,
            page_size as u32,
            0,
            0xAAAA,
            0xBBBB,
        ] {
            wal.extend_from_slice(&w.to_be_bytes());
        }
        let sum = format::wal_checksum(&wal, (0, 0), false);
        wal.extend_from_slice(&sum.0.to_be_bytes());
        wal.extend_from_slice(&sum.1.to_be_bytes());
        let mut frame = Vec::new();
        for w in [page, db_pages, 0xAAAA, 0xBBBB] {
            frame.extend_from_slice(&w.to_be_bytes());
        }
        let body = vec![0x5Au8; page_size];
        let sum = format::wal_checksum(&frame[..8], sum, false);
        let sum = format::wal_checksum(&body, sum, false);
        frame.extend_from_slice(&sum.0.to_be_bytes());
        frame.extend_from_slice(&sum.1.to_be_bytes());
        frame.extend_from_slice(&body);
        wal.extend_from_slice(&frame);
        wal
    }

    #[test]
    fn a_frame_for_a_page_past_the_database_is_ignored_not_allocated() {
        // Found by an attacker's -wal: page 0xFFFFFFFF used to grow the image to ~17 TB.
        let mut db = SQLITE_MAGIC.to_vec();
        db.resize(4096, 0);
        db[16..18].copy_from_slice(&4096u16.to_be_bytes());
        for page in [u32::MAX, 1 << 31, 300_000] {
            let mut image = db.clone();
            let wal = hostile_wal(page, 2, 4096);
            assert_eq!(apply_wal(&mut image, &wal), Ok(1));
            assert_eq!(image.len(), 2 * 4096, "page {page}");
            assert!(image[4096..].iter().all(|&b| b == 0));
        }
        // The same frame for a page inside the database is applied.
        let mut image = db.clone();
        apply_wal(&mut image, &hostile_wal(2, 2, 4096)).unwrap();
        assert!(image[4096..].iter().all(|&b| b == 0x5A));
    }
}
