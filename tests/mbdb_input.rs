//! iOS 5–9 backups (Manifest.mbdb, flat blobs): exact records through the library, the same
//! files through the binary, encrypted ones with an SHA-1-only keybag, and a cross-check with
//! the PyPI reader pyiosbackup (which reads mbdb backups) when UNBACK_PYTHON is set.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use unback::builder::{BackupBuilder, Encryption, FileSpec};
use unback::{Backup, EntryKind};

/// An iOS 9 backup with the awkward cases: empty file, block-size and chunk-boundary sizes,
/// several protection classes, a Unicode path, a folder, a link and (UTF-8) xattrs.
fn legacy(dir: &Path, enc: Option<Encryption>) -> PathBuf {
    let mut b = BackupBuilder::new("LEGACY9");
    b.ios9();
    b.encryption = enc;
    b.add(FileSpec::file("HomeDomain", "empty.txt", Vec::new()));
    b.add(FileSpec::file("HomeDomain", "block.bin", vec![0xAB; 16]));
    b.add(FileSpec::file("HomeDomain", "odd.bin", vec![0xCD; 17]).with_protection_class(1));
    b.add(
        FileSpec::generated(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0001.MOV",
            (1 << 20) + 3,
            7,
        )
        .with_protection_class(2),
    );
    b.add(
        FileSpec::file(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0002.JPG",
            b"\xFF\xD8jpeg".to_vec(),
        )
        .with_times(1_400_000_001, 1_400_000_002, 1_400_000_003)
        .with_mode(0o600)
        .with_owner(501, 20)
        .with_inode(4_242)
        .with_digest(vec![0x5A; 20])
        .with_xattr("com.apple.assetsd.UUID", b"0E3D1B2A".to_vec())
        .with_xattr("com.apple.assetsd.avalanche.type", b"0".to_vec()),
    );
    b.add(
        FileSpec::file(
            "AppDomain-x.y",
            "Documents/Ünïcödé 📷.txt",
            "ü".repeat(100).into_bytes(),
        )
        .with_protection_class(4),
    );
    b.add(FileSpec::symlink(
        "HomeDomain",
        "Library/link",
        "/private/var/mobile/Library/Preferences",
    ));
    b.add_parents();
    b.write(dir).unwrap()
}

fn expected_hashes(b: &Path) -> BTreeMap<String, String> {
    let _ = b;
    let mut m = BTreeMap::new();
    m.insert("HomeDomain/empty.txt".to_string(), sha256(b""));
    m.insert("HomeDomain/block.bin".to_string(), sha256(&[0xAB; 16]));
    m.insert("HomeDomain/odd.bin".to_string(), sha256(&[0xCD; 17]));
    let mut mov = Vec::new();
    std::io::copy(
        &mut unback::builder::generated_bytes((1 << 20) + 3, 7),
        &mut mov,
    )
    .unwrap();
    m.insert(
        "CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.MOV".to_string(),
        sha256(&mov),
    );
    m.insert(
        "CameraRollDomain/Media/DCIM/100APPLE/IMG_0002.JPG".to_string(),
        sha256(b"\xFF\xD8jpeg"),
    );
    m.insert(
        "AppDomain-x.y/Documents/Ünïcödé 📷.txt".to_string(),
        sha256("ü".repeat(100).as_bytes()),
    );
    m
}

#[test]
fn builder_writes_an_ios9_layout() {
    let dir = tempfile::tempdir().unwrap();
    let b = legacy(dir.path(), None);
    assert!(b.join("Manifest.mbdb").is_file());
    assert!(!b.join("Manifest.db").exists());
    let id = unback::manifest::file_id("HomeDomain", "odd.bin");
    assert!(b.join(&id).is_file(), "flat blob");
    assert!(!b.join(&id[..2]).exists());
    let bytes = std::fs::read(b.join("Manifest.mbdb")).unwrap();
    assert_eq!(&bytes[..6], b"mbdb\x05\x00");
    let backup = Backup::open(&b).unwrap();
    assert_eq!(backup.kind, unback::manifest::ManifestKind::Mbdb);
    let status = plist::Value::from_file(b.join("Status.plist")).unwrap();
    assert_eq!(
        status
            .as_dictionary()
            .and_then(|d| d.get("Version"))
            .and_then(|v| v.as_string()),
        Some("2.4")
    );
    let manifest = plist::Value::from_file(b.join("Manifest.plist")).unwrap();
    let d = manifest.as_dictionary().unwrap();
    assert_eq!(d.get("Version").and_then(|v| v.as_string()), Some("9.1"));
    assert!(d.get("ManifestKey").is_none());
}

#[test]
fn exact_records_of_a_plain_backup() {
    let dir = tempfile::tempdir().unwrap();
    let b = legacy(dir.path(), None);
    let backup = Backup::open(&b).unwrap();
    let entries = backup.entries().unwrap();
    let by: BTreeMap<String, &unback::Entry> = entries.iter().map(|e| (e.display(), e)).collect();

    let jpg = by["CameraRollDomain/Media/DCIM/100APPLE/IMG_0002.JPG"];
    assert_eq!(jpg.kind(), EntryKind::File);
    assert_eq!(jpg.flags, 1);
    assert_eq!(
        jpg.file_id,
        unback::manifest::file_id("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0002.JPG")
    );
    let m = &jpg.meta;
    assert_eq!(m.mode, Some(0o100600));
    assert_eq!(m.mtime, Some(1_400_000_001));
    assert_eq!(m.ctime, Some(1_400_000_002));
    assert_eq!(m.birth, Some(1_400_000_003));
    assert_eq!(m.size, Some(6));
    assert_eq!((m.uid, m.gid, m.inode), (Some(501), Some(20), Some(4_242)));
    assert_eq!(m.protection_class, Some(3));
    assert_eq!(m.digest.as_deref(), Some(&[0x5A; 20][..]));
    assert_eq!(m.encryption_key, None);
    assert_eq!(m.xattrs.len(), 2);
    assert_eq!(m.xattrs["com.apple.assetsd.UUID"], b"0E3D1B2A");
    assert_eq!(m.xattrs["com.apple.assetsd.avalanche.type"], b"0");

    let link = by["HomeDomain/Library/link"];
    assert_eq!(link.kind(), EntryKind::Symlink);
    assert_eq!(link.flags, 4);
    assert_eq!(link.meta.mode, Some(0o120755));
    assert_eq!(
        link.meta.target.as_deref(),
        Some("/private/var/mobile/Library/Preferences")
    );
    assert_eq!(link.meta.size, Some(0));

    let folder = by["HomeDomain/Library"];
    assert_eq!(folder.kind(), EntryKind::Dir);
    assert_eq!(folder.meta.mode, Some(0o040755));
    assert!(by.contains_key("HomeDomain"), "domain root row");

    // The listing through the binary agrees with the library.
    let out = unback()
        .args(["ls", "--json"])
        .arg(&b)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out).unwrap();
    assert_eq!(rows.len(), entries.len());
    let row = rows
        .iter()
        .find(|r| r["relative_path"] == "Media/DCIM/100APPLE/IMG_0002.JPG")
        .unwrap();
    assert_eq!(row["mode"], 0o100600);
    assert_eq!(row["kind"], "file");
    assert_eq!(row["size"], 6);
}

#[test]
fn extract_plain_and_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let plain = legacy(&dir.path().join("p"), None);
    let want = expected_hashes(&plain);
    assert_eq!(unback_hashes(&plain, None), want);

    let enc = legacy(
        &dir.path().join("e"),
        Some(Encryption::sha1_only("pässword", 100)),
    );
    let backup = Backup::open(&enc).unwrap();
    assert!(backup.is_encrypted());
    assert!(backup.keybag().unwrap().dp_salt.is_none());
    assert_eq!(unback_hashes(&enc, Some("pässword")), want);
    // The wrong password is exit 3.
    unback()
        .arg("ls")
        .arg(&enc)
        .env("UNBACK_PASSWORD", "wrong")
        .assert()
        .code(3);
    // The extracted mtime comes from the record.
    let out = tempfile::tempdir().unwrap();
    unback()
        .arg("extract")
        .arg(&enc)
        .arg(out.path())
        .env("UNBACK_PASSWORD", "pässword")
        .assert()
        .success();
    assert_eq!(
        mtime_unix(
            &out.path()
                .join("CameraRollDomain/Media/DCIM/100APPLE/IMG_0002.JPG")
        ),
        1_400_000_001
    );
}

#[test]
fn damaged_mbdb_is_unreadable_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let b = legacy(dir.path(), None);
    let p = b.join("Manifest.mbdb");
    let bytes = std::fs::read(&p).unwrap();
    std::fs::write(&p, &bytes[..bytes.len() - 7]).unwrap();
    let out = unback()
        .arg("ls")
        .arg(&b)
        .assert()
        .code(4)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&out);
    assert!(err.contains("Manifest.mbdb"), "{err}");
    assert!(err.contains("truncated"), "{err}");
}

fn run_pyiosbackup(py: &Path, backup: &Path, password: Option<&str>) -> BTreeMap<String, String> {
    let b = backup.to_string_lossy();
    match password {
        Some(p) => run_py(py, "read_pyiosbackup.py", &[&b, p], None),
        None => run_py(py, "read_pyiosbackup.py", &[&b], None),
    }
}

#[test]
fn pyiosbackup_agrees_on_mbdb_backups() {
    let Some(py) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let plain = legacy(&dir.path().join("p"), None);
    let theirs = run_pyiosbackup(&py, &plain, None);
    assert_eq!(theirs.len(), 6);
    assert_eq!(theirs, unback_hashes(&plain, None));

    let enc = legacy(
        &dir.path().join("e"),
        Some(Encryption::sha1_only("pässword", 100)),
    );
    let theirs_enc = run_pyiosbackup(&py, &enc, Some("pässword"));
    assert_eq!(theirs_enc, theirs);
    assert_eq!(theirs_enc, unback_hashes(&enc, Some("pässword")));
}

#[test]
fn decrypt_writes_a_plain_ios9_backup() {
    let dir = tempfile::tempdir().unwrap();
    let enc = legacy(
        &dir.path().join("e"),
        Some(Encryption::sha1_only("pässword", 100)),
    );
    let out = dir.path().join("plain");
    unback()
        .arg("decrypt")
        .arg(&enc)
        .arg(&out)
        .env("UNBACK_PASSWORD", "pässword")
        .assert()
        .success();
    assert!(out.join("Manifest.mbdb").is_file());
    assert!(!out.join("Manifest.db").exists());
    let id = unback::manifest::file_id("HomeDomain", "odd.bin");
    assert!(out.join(&id).is_file(), "flat blob");
    let plain = Backup::open(&out).unwrap();
    assert!(!plain.is_encrypted());
    let entries = plain.entries().unwrap();
    assert!(entries.iter().all(|e| e.meta.encryption_key.is_none()));
    assert_eq!(
        entries.len(),
        Backup::open(&enc).unwrap().entries().unwrap().len()
    );
    assert_eq!(unback_hashes(&out, None), expected_hashes(&out));
    if let Some(py) = python() {
        assert_eq!(run_pyiosbackup(&py, &out, None), expected_hashes(&out));
    }
}
