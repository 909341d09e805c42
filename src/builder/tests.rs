//! Tests of the fixture builder against the real iOS 14.3 Manifest.db (mvt sample) and by
//! reading its output back with rusqlite and plist.

use std::collections::BTreeMap;
use std::fs;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use plist::Value;
use rusqlite::{Connection, OpenFlags};
use sha2::Sha256;

use super::*;

/// The real iOS 14.3 Manifest.db of mvt's test artefacts, or `None` when `../shared` is absent.
fn real_db() -> Option<PathBuf> {
    crate::realdata::realdata("mvt-project_mvt/tests/artifacts/ios_backup/Manifest.db")
}

/// Opens a Manifest.db in memory, clearing the WAL bytes first (as CRATES.md explains,
/// deserialising a WAL-mode file fails otherwise). Never touches the file on disk.
fn open_db_bytes(path: &Path) -> Connection {
    let mut bytes = fs::read(path).unwrap();
    bytes[18] = 1;
    bytes[19] = 1;
    let mut conn = Connection::open_in_memory().unwrap();
    let len = bytes.len();
    conn.deserialize_read_exact(rusqlite::MAIN_DB, &bytes[..], len, true)
        .unwrap();
    conn
}

fn decode(bytes: &[u8]) -> Value {
    Value::from_reader(Cursor::new(bytes)).unwrap()
}

fn uid_target<'a>(objects: &'a [Value], v: &Value) -> &'a Value {
    let u = v.as_uid().unwrap().get() as usize;
    &objects[u]
}

/// Rebuilds a FileSpec from a real row so the builder can re-encode it.
fn spec_from_real(domain: &str, path: &str, flags: i64, blob: &[u8]) -> FileSpec {
    let top = decode(blob);
    let top = top.as_dictionary().unwrap();
    let objects = top["$objects"].as_array().unwrap();
    let root = objects[1].as_dictionary().unwrap();
    let int = |k: &str| root[k].as_signed_integer().unwrap();
    let mode = int("Mode") as u32;
    let mut spec = match flags {
        1 => FileSpec::file(domain, path, Vec::new()),
        2 => FileSpec::dir(domain, path),
        4 => {
            let t = uid_target(objects, &root["Target"]).as_string().unwrap();
            FileSpec::symlink(domain, path, t)
        }
        other => panic!("unexpected flags {other}"),
    };
    spec.mode = mode & 0o7777;
    assert_eq!(spec.full_mode(), mode, "type bits agree with flags");
    spec.mtime = int("LastModified");
    spec.ctime = int("LastStatusChange");
    spec.birth = int("Birth");
    spec.uid = int("UserID") as u32;
    spec.gid = int("GroupID") as u32;
    spec.inode = int("InodeNumber") as u64;
    spec.protection_class = int("ProtectionClass") as u32;
    spec.mbfile_flags = int("Flags");
    spec.size_override = Some(int("Size") as u64);
    if let Some(v) = root.get("EncryptionKey") {
        let d = uid_target(objects, v).as_dictionary().unwrap();
        spec.encryption_key = Some(d["NS.data"].as_data().unwrap().to_vec());
    }
    if let Some(v) = root.get("Digest") {
        spec.digest = Some(uid_target(objects, v).as_data().unwrap().to_vec());
    }
    if let Some(v) = root.get("ExtendedAttributes") {
        let nested = decode(uid_target(objects, v).as_data().unwrap());
        spec.xattrs = nested
            .as_dictionary()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_data().unwrap().to_vec()))
            .collect();
    }
    spec
}

#[test]
fn file_id_matches_known_vectors() {
    let f = FileSpec::file(
        "CameraRollDomain",
        "Media/PhotoData/Photos.sqlite",
        b"x".to_vec(),
    );
    assert_eq!(f.file_id(), "12b144c0bd44f2b3dffd9186d3f9c05b917cee25");
    assert_eq!(
        FileSpec::dir("CameraRollDomain", "").file_id(),
        "be1f28f40e6e4e95dba86a2d9fa4b12dc70b9dc5"
    );
    assert_eq!(
        FileSpec::file("HomeDomain", "Library/SMS/sms.db", Vec::new()).file_id(),
        "3d0d7e5fb2ce288813306e4d4636395e047a3d28"
    );
}

/// The strongest check: every one of the 3,721 real rows, re-encoded from its decoded fields,
/// gives the real bytes exactly (key order, object order, uniquing, integer widths, trailer).
#[test]
fn archive_reencodes_every_real_mvt_row_byte_for_byte() {
    let Some(real_db) = real_db() else { return };
    let conn = open_db_bytes(&real_db);
    let mut stmt = conn
        .prepare("SELECT fileID, domain, relativePath, flags, file FROM Files")
        .unwrap();
    let rows: Vec<(String, String, String, i64, Vec<u8>)> = stmt
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), 3721);
    let mut mismatches = Vec::new();
    for (id, domain, path, flags, blob) in &rows {
        let spec = spec_from_real(domain, path, *flags, blob);
        assert_eq!(&spec.file_id(), id);
        assert_eq!(spec.db_flags(), *flags);
        if mbfile_archive(&spec) != *blob {
            mismatches.push(format!("{domain}-{path}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} rows differ, first: {:?}",
        mismatches.len(),
        rows.len(),
        &mismatches[..mismatches.len().min(5)]
    );
}

/// Structure of an unencrypted-style row (no EncryptionKey) next to the real HEIC row.
#[test]
fn archive_structure_matches_real_photo_row() {
    let Some(real_db) = real_db() else { return };
    let conn = open_db_bytes(&real_db);
    let real: Vec<u8> = conn
        .query_row(
            "SELECT file FROM Files WHERE relativePath = 'Media/DCIM/100APPLE/IMG_0011.HEIC'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let real = decode(&real);
    let spec = FileSpec::file(
        "CameraRollDomain",
        "Media/DCIM/100APPLE/IMG_0011.HEIC",
        vec![0u8; 10],
    )
    .with_xattrs(assetsd_xattrs(
        [1; 16],
        "IMG_0011.HEIC",
        1.6e9,
        false,
        false,
        false,
    ))
    .with_encryption_key(vec![3u8; 44]);
    let ours = decode(&mbfile_archive(&spec));
    let (rd, od) = (real.as_dictionary().unwrap(), ours.as_dictionary().unwrap());
    assert_eq!(rd.keys().collect::<Vec<_>>(), od.keys().collect::<Vec<_>>());
    assert_eq!(rd["$archiver"], od["$archiver"]);
    assert_eq!(rd["$version"], od["$version"]);
    assert_eq!(rd["$top"], od["$top"]);
    let (ro, oo) = (
        rd["$objects"].as_array().unwrap(),
        od["$objects"].as_array().unwrap(),
    );
    assert_eq!(ro.len(), oo.len());
    let rroot = ro[1].as_dictionary().unwrap();
    let oroot = oo[1].as_dictionary().unwrap();
    assert_eq!(
        rroot.keys().collect::<Vec<_>>(),
        oroot.keys().collect::<Vec<_>>()
    );
    for k in [
        "$class",
        "RelativePath",
        "EncryptionKey",
        "ExtendedAttributes",
    ] {
        assert_eq!(rroot[k], oroot[k], "UID of {k}");
    }
    assert_eq!(ro[0], oo[0]);
    assert_eq!(ro[2], oo[2]);
    assert_eq!(ro[4], oo[4]); // NSMutableData class dict
    assert_eq!(ro[6], oo[6]); // MBFile class dict
}

fn sample_builder() -> BackupBuilder {
    let mut b = BackupBuilder::new("00008110-00AABBCCDDEE001E");
    b.add(
        FileSpec::file(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0001.JPG",
            b"\xff\xd8\xff\xe0jpeg".to_vec(),
        )
        .with_xattrs(assetsd_xattrs(
            [7; 16],
            "IMG_0001.JPG",
            1.7e9,
            true,
            false,
            false,
        ))
        .with_digest(vec![0xaa; 20]),
    )
    .add(FileSpec::file("HomeDomain", "Library/empty", Vec::new()))
    .add(
        FileSpec::file("HomeDomain", "Library/missing", b"gone".to_vec())
            .with_blob(BlobSpec::Missing),
    )
    .add(
        FileSpec::file("HomeDomain", "Library/replaced", b"original".to_vec())
            .with_blob(BlobSpec::Replace(b"different!".to_vec())),
    )
    .add(FileSpec::file("HomeDomain", "Library/lies", b"abc".to_vec()).with_size_override(999))
    .add(FileSpec::generated(
        "MediaDomain",
        "Media/big.bin",
        300_000,
        42,
    ))
    .add(FileSpec::symlink(
        "AppDomain-com.example.app",
        "Library/link",
        "/var/mobile/Containers/Data/Application/X/Library/target",
    ))
    .add(FileSpec::file(
        "AppDomain-com.example.app",
        "Documents/Résumé/naïve 😀.txt",
        "héllo".as_bytes().to_vec(),
    ));
    b.add_parents();
    b
}

fn list_files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(root).unwrap().to_path_buf(),
                    fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

#[test]
fn written_backup_reads_back() {
    let tmp = tempfile::tempdir().unwrap();
    let b = sample_builder();
    let dest = b.write(tmp.path()).unwrap();
    assert_eq!(dest, tmp.path().join(&b.udid));
    assert!(!dest.join("Manifest.db-wal").exists());
    assert!(!dest.join("Manifest.db-shm").exists());

    let header = fs::read(dest.join("Manifest.db")).unwrap();
    assert_eq!(&header[..16], b"SQLite format 3\0");
    let conn = open_db_bytes(&dest.join("Manifest.db"));
    // Compared with the real file when it is there; the read-back checks below need only ours.
    if let Some(real_db) = real_db() {
        let real = fs::read(&real_db).unwrap();
        // page size, WAL bytes, auto-vacuum flags, text encoding and user_version as in the real file.
        for (off, len) in [(16, 4), (52, 1), (56, 12)] {
            let r = &real[off..off + len];
            let o = &header[off..off + len];
            if off == 52 {
                assert!(r[0] == 0 && o[0] == 0 && real[55] > 0 && header[55] > 0);
            } else {
                assert_eq!(r, o, "header bytes at {off}");
            }
        }
        let real_conn = open_db_bytes(&real_db);
        let schema = |c: &Connection| -> Vec<(String, String, Option<String>)> {
            c.prepare("SELECT type, name, sql FROM sqlite_master")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect()
        };
        assert_eq!(schema(&conn), schema(&real_conn));
    }

    let rows: Vec<(String, String, String, i64, Vec<u8>)> = conn
        .prepare("SELECT fileID, domain, relativePath, flags, file FROM Files ORDER BY rowid")
        .unwrap()
        .query_map([], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(rows.len(), b.files.len());
    for ((id, domain, path, flags, blob), spec) in rows.iter().zip(&b.files) {
        let expect = hex::encode(Sha1::digest(format!("{domain}-{path}").as_bytes()));
        assert_eq!(id, &expect);
        assert_eq!((domain, path), (&spec.domain, &spec.relative_path));
        assert_eq!(*flags, spec.db_flags());
        let v = decode(blob);
        let objects = v.as_dictionary().unwrap()["$objects"].as_array().unwrap();
        let root = objects[1].as_dictionary().unwrap();
        assert_eq!(
            uid_target(objects, &root["RelativePath"]).as_string(),
            Some(path.as_str())
        );
        assert_eq!(
            root["Size"].as_unsigned_integer(),
            Some(spec.recorded_size())
        );
        assert!(root.get("EncryptionKey").is_none());
        let blob_path = dest.join(&id[..2]).join(id);
        assert_eq!(blob_path.exists(), spec.has_blob(), "{path}");
    }

    // Flags and parent rows.
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(count("SELECT count(*) FROM Files WHERE flags = 4"), 1);
    assert_eq!(
        count("SELECT count(*) FROM Files WHERE relativePath = '' AND flags = 2"),
        4
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM Files WHERE relativePath = 'Media/DCIM/100APPLE' AND flags = 2"
        ),
        1
    );

    // Blob contents.
    let blob_of = |domain: &str, path: &str| {
        let id = sha1_hex(&format!("{domain}-{path}"));
        fs::read(dest.join(&id[..2]).join(&id)).unwrap()
    };
    assert_eq!(blob_of("HomeDomain", "Library/replaced"), b"different!");
    assert_eq!(blob_of("HomeDomain", "Library/empty"), b"");
    let mut expect = Vec::new();
    generated_bytes(300_000, 42)
        .read_to_end(&mut expect)
        .unwrap();
    let got = blob_of("MediaDomain", "Media/big.bin");
    assert_eq!(Sha256::digest(&got), Sha256::digest(&expect));

    // xattrs survive as a nested plist.
    let (blob,): (Vec<u8>,) = conn
        .query_row(
            "SELECT file FROM Files WHERE relativePath = 'Media/DCIM/100APPLE/IMG_0001.JPG'",
            [],
            |r| Ok((r.get(0)?,)),
        )
        .unwrap();
    let v = decode(&blob);
    let objects = v.as_dictionary().unwrap()["$objects"].as_array().unwrap();
    let root = objects[1].as_dictionary().unwrap();
    let ea = decode(
        uid_target(objects, &root["ExtendedAttributes"])
            .as_data()
            .unwrap(),
    );
    let ea = ea.as_dictionary().unwrap();
    assert_eq!(
        ea["com.apple.assetsd.favorite"].as_data(),
        Some(&[1u8, 0][..])
    );
    assert_eq!(
        ea["com.apple.assetsd.originalFilename"].as_data(),
        Some(&b"IMG_0001.JPG"[..])
    );
    assert_eq!(
        uid_target(objects, &root["Digest"]).as_data(),
        Some(&[0xaa; 20][..])
    );

    // Plists.
    let m = plist::Value::from_file(dest.join("Manifest.plist")).unwrap();
    let m = m.as_dictionary().unwrap();
    assert_eq!(m["IsEncrypted"].as_boolean(), Some(false));
    assert_eq!(m["Version"].as_string(), Some("10.0"));
    let lockdown = m["Lockdown"].as_dictionary().unwrap();
    assert_eq!(
        lockdown["UniqueDeviceID"].as_string(),
        Some(b.udid.as_str())
    );
    assert_eq!(lockdown["ProductVersion"].as_string(), Some("17.5.1"));
    assert!(fs::read(dest.join("Manifest.plist"))
        .unwrap()
        .starts_with(b"bplist00"));
    let s = plist::Value::from_file(dest.join("Status.plist")).unwrap();
    let s = s.as_dictionary().unwrap();
    assert_eq!(s["SnapshotState"].as_string(), Some("finished"));
    assert_eq!(s["Version"].as_string(), Some("3.3"));
    assert_eq!(s["BackupState"].as_string(), Some("new"));
    assert_eq!(s["UUID"].as_string().unwrap().len(), 36);
    let info = fs::read(dest.join("Info.plist")).unwrap();
    assert!(info.starts_with(b"<?xml"));
    let info = plist::Value::from_reader(Cursor::new(info)).unwrap();
    assert_eq!(
        info.as_dictionary().unwrap()["Target Identifier"].as_string(),
        Some(b.udid.as_str())
    );
}

#[test]
fn output_is_deterministic() {
    let b = sample_builder();
    let (t1, t2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = list_files(&b.write(t1.path()).unwrap());
    let c = list_files(&b.write(t2.path()).unwrap());
    assert_eq!(a.keys().collect::<Vec<_>>(), c.keys().collect::<Vec<_>>());
    for (k, v) in &a {
        assert!(v == &c[k], "{} differs", k.display());
    }
}

#[test]
fn file_db_opens_with_a_normal_connection() {
    // Readers that open the file directly (not from memory) must see the rows too.
    let tmp = tempfile::tempdir().unwrap();
    let dest = sample_builder().write(tmp.path()).unwrap();
    let copy = tmp.path().join("copy.db");
    fs::copy(dest.join("Manifest.db"), &copy).unwrap();
    let conn = Connection::open_with_flags(&copy, OpenFlags::SQLITE_OPEN_READ_WRITE).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM Files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, sample_builder().files.len());
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn add_parents_is_idempotent_and_puts_parents_first() {
    let mut b = sample_builder();
    let before = b.files.clone();
    b.add_parents();
    assert_eq!(b.files, before);
    let pos = |d: &str, p: &str| {
        b.files
            .iter()
            .position(|f| f.domain == d && f.relative_path == p)
            .unwrap()
    };
    assert!(pos("CameraRollDomain", "") < pos("CameraRollDomain", "Media"));
    assert!(
        pos("CameraRollDomain", "Media/DCIM/100APPLE")
            < pos("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.JPG")
    );
    assert!(b
        .files
        .iter()
        .any(|f| f.relative_path == "Documents/Résumé" && f.kind == FileKind::Dir));
}

#[test]
fn flat_layout_and_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("flat");
    b.layout = BlobLayout::Flat;
    b.write_info_plist = false;
    b.add(FileSpec::file("HomeDomain", "a.txt", b"a".to_vec()));
    let dest = b.write(tmp.path()).unwrap();
    let id = b.files[0].file_id();
    assert_eq!(fs::read(dest.join(&id)).unwrap(), b"a");
    assert!(!dest.join("Info.plist").exists());
    // Refuses to write over an existing backup.
    assert_eq!(
        b.write(tmp.path()).unwrap_err().kind(),
        io::ErrorKind::AlreadyExists
    );
    // Duplicate rows cannot share a fileID.
    b.add(FileSpec::file("HomeDomain", "a.txt", b"b".to_vec()));
    let tmp2 = tempfile::tempdir().unwrap();
    assert_eq!(
        b.write(tmp2.path()).unwrap_err().kind(),
        io::ErrorKind::InvalidInput
    );
}

#[test]
fn many_rows_are_fast_enough() {
    // 20,000 rows here; the benchmark's 300,000 use the same single-transaction path.
    let tmp = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("many");
    for i in 0..20_000 {
        b.add(
            FileSpec::file("HomeDomain", &format!("Library/f{i}"), Vec::new())
                .with_blob(BlobSpec::Missing),
        );
    }
    let t = std::time::Instant::now();
    let dest = b.write(tmp.path()).unwrap();
    assert!(t.elapsed().as_secs() < 60);
    let conn = open_db_bytes(&dest.join("Manifest.db"));
    let n: i64 = conn
        .query_row("SELECT count(*) FROM Files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 20_000);
}

/// The benchmark's size: run with `cargo test --release -- --ignored three_hundred`.
#[test]
#[ignore]
fn three_hundred_thousand_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("big");
    for i in 0..300_000u32 {
        b.add(
            FileSpec::file(
                "CameraRollDomain",
                &format!("Media/DCIM/{}APPLE/IMG_{:04}.JPG", 100 + i / 1000, i % 1000),
                Vec::new(),
            )
            .with_blob(BlobSpec::Missing),
        );
    }
    b.add_parents();
    let t = std::time::Instant::now();
    let dest = b.write(tmp.path()).unwrap();
    eprintln!("300k rows written in {:?}", t.elapsed());
    let conn = open_db_bytes(&dest.join("Manifest.db"));
    let n: i64 = conn
        .query_row("SELECT count(*) FROM Files", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n as usize, b.files.len());
}
