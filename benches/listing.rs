//! Listing: how far `unback ls --json` is from the bare SQLite scan of Manifest.db.
//!
//! One criterion group, so every figure comes from the same process and the ratios are fair:
//!
//! * `sqlite_scan` — the floor: open Manifest.db read-only, `SELECT fileID, domain,
//!   relativePath, flags, file FROM Files`, touch every column of every row.
//! * `read_bytes` — reading the whole file into memory, which encrypted and zipped backups need.
//! * `open_in_memory` / `scan_in_memory` — `Backup::manifest_db()` and the floor's scan over it;
//!   the names are historical: a plain folder's Manifest.db is now opened in place, immutable.
//! * `entries` — `Backup::open(dir)?.entries()?` (read, decode every MBFile record, sort).
//! * `ls_json` — what `unback ls --json` does (`Backup::listing`: read, decode and render in
//!   parallel, sort the keys), written into a sink through the same 64 KiB buffer.
//! * `decode_records` — only the MBFile decoding of every row's record, one thread, from memory.
//!
//! The backup (300,000 rows by default, `UNBACK_BENCH_ROWS` to change) is built once under
//! /tmp/unback-bench/ by the corpus shared with `scripts/bench/gen`; `UNBACK_BENCH_LISTING`
//! points at an existing backup folder instead. `scripts/bench/ratios.py listing` prints ratios.

#[path = "../scripts/bench/gen/src/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use std::hint::black_box;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use unback::builder::BackupBuilder;
use unback::manifest::listing::Record;
use unback::manifest::mbfile::{decode_with, Detail};
use unback::select::Selection;
use unback::Backup;

const UDID: &str = "00008110-000B3AC40E1B401E";

fn backup_dir() -> PathBuf {
    if let Ok(p) = std::env::var("UNBACK_BENCH_LISTING") {
        return PathBuf::from(p);
    }
    let rows: usize = std::env::var("UNBACK_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300_000);
    let parent = PathBuf::from(format!("/tmp/unback-bench/manifest-{rows}"));
    let dir = parent.join(UDID);
    if !dir.join("Status.plist").exists() {
        let _ = std::fs::remove_dir_all(&parent);
        std::fs::create_dir_all(&parent).expect("create /tmp/unback-bench");
        let mut b = BackupBuilder::new(UDID);
        b.files = corpus::manifest_rows(rows);
        b.add_parents();
        eprintln!("building a {rows}-row backup in {}", parent.display());
        b.write(&parent).expect("write the listing backup");
    }
    dir
}

/// The floor: every column of every row, straight from the file.
fn sqlite_scan(conn: &Connection) -> usize {
    let mut stmt = conn
        .prepare("SELECT fileID, domain, relativePath, flags, file FROM Files")
        .expect("prepare");
    let mut rows = stmt.query([]).expect("query");
    let mut touched = 0usize;
    while let Some(r) = rows.next().expect("row") {
        for i in 0..5 {
            touched += match r.get_ref(i).expect("column") {
                ValueRef::Text(t) | ValueRef::Blob(t) => t.len(),
                ValueRef::Integer(v) => v as usize & 1,
                _ => 0,
            };
        }
    }
    touched
}

/// The `ls --json` path of src/cli/ls.rs, written into a sink.
fn ls_json(dir: &Path) -> usize {
    let b = Backup::open(dir).expect("open");
    let render = |r: &Record<'_>, w: &mut Vec<u8>| r.write_json(w);
    let listing = b.listing(&Selection::all(), &render).expect("listing");
    let mut w = BufWriter::with_capacity(1 << 16, std::io::sink());
    listing.write_json_array(&mut w).expect("write");
    w.flush().expect("flush");
    listing.len()
}

fn listing(c: &mut Criterion) {
    let dir = backup_dir();
    let db = dir.join("Manifest.db");
    let mut g = c.benchmark_group("listing");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15));
    g.bench_function("sqlite_scan", |bch| {
        bch.iter(|| {
            let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .expect("open Manifest.db");
            black_box(sqlite_scan(&conn))
        })
    });
    g.bench_function("read_bytes", |bch| {
        bch.iter(|| {
            let b = Backup::open(&dir).expect("open");
            black_box(b.manifest_db_bytes().expect("bytes").len())
        })
    });
    g.bench_function("open_in_memory", |bch| {
        bch.iter(|| {
            let b = Backup::open(&dir).expect("open");
            black_box(b.manifest_db().expect("db"))
        })
    });
    g.bench_function("scan_in_memory", |bch| {
        bch.iter(|| {
            let b = Backup::open(&dir).expect("open");
            black_box(sqlite_scan(&b.manifest_db().expect("db")))
        })
    });
    g.bench_function("entries", |bch| {
        bch.iter(|| {
            let b = Backup::open(&dir).expect("open");
            black_box(b.entries().expect("entries").len())
        })
    });
    g.bench_function("ls_json", |bch| bch.iter(|| black_box(ls_json(&dir))));
    // The records alone, already in memory: the decoder's share of a listing.
    let records: Vec<Vec<u8>> = {
        let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open Manifest.db");
        let mut stmt = conn.prepare("SELECT file FROM Files").expect("prepare");
        let rows = stmt.query_map([], |r| r.get(0)).expect("query");
        rows.map(|r| r.expect("row")).collect()
    };
    g.bench_function("decode_records", |bch| {
        bch.iter(|| {
            let mut n = 0u64;
            for r in &records {
                let m = decode_with(r, Detail::Listing).expect("record");
                n += m.size.unwrap_or(0);
            }
            black_box(n)
        })
    });
    g.finish();
}

criterion_group!(benches, listing);
criterion_main!(benches);
