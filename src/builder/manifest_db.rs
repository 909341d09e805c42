//! Manifest.db: the SQLite file index, written with the real iOS schema and header settings.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::archive::mbfile_archive;
use super::FileSpec;

/// DDL exactly as stored in `sqlite_master` of the real iOS 14.3 Manifest.db, in its order.
const SCHEMA: &str = "\
CREATE TABLE Files (fileID TEXT PRIMARY KEY, domain TEXT, relativePath TEXT, flags INTEGER, file BLOB);
CREATE INDEX FilesDomainIdx ON Files(domain);
CREATE INDEX FilesRelativePathIdx ON Files(relativePath);
CREATE INDEX FilesFlagsIdx ON Files(flags);
CREATE TABLE Properties (key TEXT PRIMARY KEY, value BLOB);";

fn db_err(e: rusqlite::Error) -> io::Error {
    io::Error::other(e)
}

fn side_file(db: &Path, suffix: &str) -> PathBuf {
    let mut s = db.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_exists(p: &Path) -> io::Result<()> {
    match fs::remove_file(p) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Write `files` into a new Manifest.db at `path`.
///
/// Settings copied from the real header: 4096-byte pages, `auto_vacuum = INCREMENTAL`
/// (header largest-root-page 9, incremental flag 1, so page 2 is a pointer-map page and the
/// Files table starts at page 3 as in the real file), `user_version = 2`, and WAL mode (header
/// bytes 18/19 = 2), which readers must cope with. All rows go in one transaction through one
/// prepared statement so 300,000 rows take seconds. The WAL is checkpointed and its side files
/// removed, leaving one self-contained file.
pub(crate) fn write(path: &Path, files: &[FileSpec]) -> io::Result<()> {
    for p in [
        path.to_path_buf(),
        side_file(path, "-wal"),
        side_file(path, "-shm"),
    ] {
        remove_if_exists(&p)?;
    }
    {
        let mut conn = Connection::open(path).map_err(db_err)?;
        conn.execute_batch(
            "PRAGMA page_size = 4096; PRAGMA auto_vacuum = INCREMENTAL; PRAGMA synchronous = OFF; \
             PRAGMA cache_size = -131072;",
        )
        .map_err(db_err)?;
        // Rows go in without a journal (a fresh file needs no rollback protection); WAL is
        // switched on afterwards, which only sets the header bytes, so pages are written once
        // instead of once to the WAL and again at checkpoint.
        let _: String = conn
            .query_row("PRAGMA journal_mode = OFF", [], |r| r.get(0))
            .map_err(db_err)?;
        let tx = conn.transaction().map_err(db_err)?;
        tx.execute_batch(SCHEMA).map_err(db_err)?;
        tx.execute_batch("PRAGMA user_version = 2;")
            .map_err(db_err)?;
        {
            let mut stmt = tx
                .prepare(
                    "INSERT INTO Files (fileID, domain, relativePath, flags, file) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(db_err)?;
            for f in files {
                stmt.execute(rusqlite::params![
                    f.file_id(),
                    f.domain,
                    f.relative_path,
                    f.db_flags(),
                    mbfile_archive(f),
                ])
                .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(db_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(io::Error::other(format!("journal_mode stayed {mode}")));
        }
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(db_err)?;
        conn.close().map_err(|(_, e)| db_err(e))?;
    }
    // The last connection normally deletes both; make sure nothing is left beside the db.
    remove_if_exists(&side_file(path, "-wal"))?;
    remove_if_exists(&side_file(path, "-shm"))?;
    Ok(())
}
