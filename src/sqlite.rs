//! Opening SQLite databases that belong to a backup without writing next to them.
//!
//! Databases are read into memory (from a folder, a zip member or a decryption) and handed to
//! SQLite with `deserialize`, so a plaintext copy never touches disk and the backup is never
//! opened for writing. A `-wal` file, when present, is applied in memory (committed frames only),
//! because in-memory databases cannot use SQLite's own WAL machinery.

use rusqlite::{Connection, OpenFlags, MAIN_DB};

pub const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

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
    if bytes.len() < 100 || &bytes[..16] != SQLITE_MAGIC {
        return Err("not an SQLite database (bad header)".into());
    }
    if let Some(wal) = wal {
        apply_wal(&mut bytes, wal)?;
    }
    let len = bytes.len();
    open_reader(&bytes[..], len)
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
                .and_then(|i| buf[..n].get_mut(i as usize))
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
    let s = b.get(at..at + 4)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Applies the committed frames of a WAL file to the database image, as a reader at the last
/// commit would see it. Frames after the last commit, or whose salts differ from the header's
/// (left over from an older WAL generation), are ignored, as SQLite does. Checksums are verified
/// so a torn tail is not applied.
pub fn apply_wal(db: &mut Vec<u8>, wal: &[u8]) -> Result<usize, String> {
    if wal.len() < 32 {
        return Ok(0);
    }
    let magic = be32(wal, 0).unwrap_or(0);
    let big_endian_sums = match magic {
        0x377f0682 => false,
        0x377f0683 => true,
        _ => return Err("the -wal file has no WAL header".into()),
    };
    let page_size = be32(wal, 8).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(format!(
            "the -wal file has an invalid page size {page_size}"
        ));
    }
    let salt = (be32(wal, 16), be32(wal, 20));
    let mut sum = (0u32, 0u32);
    sum = wal_checksum(&wal[..24], sum, big_endian_sums);
    if Some(sum.0) != be32(wal, 24) || Some(sum.1) != be32(wal, 28) {
        return Err("the -wal header checksum is wrong".into());
    }
    let frame_len = 24 + page_size;
    let mut pending: Vec<(usize, usize, u32)> = Vec::new(); // (page number, frame offset, db size)
    let mut committed: Vec<(usize, usize)> = Vec::new();
    let mut committed_size: Option<u32> = None;
    let mut at = 32;
    while at + frame_len <= wal.len() {
        let frame = &wal[at..at + frame_len];
        if (be32(frame, 8), be32(frame, 12)) != salt {
            break;
        }
        sum = wal_checksum(&frame[..8], sum, big_endian_sums);
        sum = wal_checksum(&frame[24..], sum, big_endian_sums);
        if Some(sum.0) != be32(frame, 16) || Some(sum.1) != be32(frame, 20) {
            break;
        }
        let page = be32(frame, 0).unwrap_or(0) as usize;
        let commit = be32(frame, 4).unwrap_or(0);
        pending.push((page, at + 24, commit));
        if commit != 0 {
            committed.extend(pending.drain(..).map(|(p, o, _)| (p, o)));
            committed_size = Some(commit);
        }
        at += frame_len;
    }
    let db_page_size = match db.get(16..18) {
        Some(b) => match u16::from_be_bytes([b[0], b[1]]) {
            1 => 65536,
            n => n as usize,
        },
        None => return Err("database header truncated".into()),
    };
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
    for (page, off) in &committed {
        if *page == 0 {
            continue;
        }
        let start = (page - 1) * page_size;
        if start + page_size > db.len() {
            db.resize(start + page_size, 0);
        }
        db[start..start + page_size].copy_from_slice(&wal[*off..*off + page_size]);
    }
    db.truncate(new_len);
    // The in-header database size must agree with the truncated image.
    if let Some(h) = db.get_mut(28..32) {
        h.copy_from_slice(&(pages as u32).to_be_bytes());
    }
    Ok(committed.len())
}

fn wal_checksum(data: &[u8], mut s: (u32, u32), big_endian: bool) -> (u32, u32) {
    for c in data.chunks_exact(8) {
        let (x0, x1) = if big_endian {
            (
                u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
            )
        } else {
            (
                u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            )
        };
        s.0 = s.0.wrapping_add(x0).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(x1).wrapping_add(s.0);
    }
    s
}

#[cfg(test)]
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
}
