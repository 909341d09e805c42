//! Interrupted and partial backups: each command does what it can and says what it could not.

mod common;

use common::*;
use unback::builder::{mbfile_archive, BackupBuilder, BlobSpec, FileSpec};

#[test]
fn index_only_in_snapshot_is_read_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("SNAP");
    b.snapshot_state = "uploading".into();
    b.add(FileSpec::file(
        "HomeDomain",
        "early.txt",
        b"copied before the stop".to_vec(),
    ));
    b.add(FileSpec::file(
        "HomeDomain",
        "late.txt",
        b"still in the snapshot".to_vec(),
    ));
    let backup = b.write(dir.path()).unwrap();
    // The device had not moved the index and one blob out of Snapshot/ yet.
    let snap = backup.join("Snapshot");
    let late = unback::manifest::file_id("HomeDomain", "late.txt");
    std::fs::create_dir_all(snap.join(&late[..2])).unwrap();
    std::fs::rename(backup.join("Manifest.db"), snap.join("Manifest.db")).unwrap();
    std::fs::rename(
        backup.join(&late[..2]).join(&late),
        snap.join(&late[..2]).join(&late),
    )
    .unwrap();
    let before = fingerprint(&backup);
    let out = dir.path().join("out");
    let a = unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .assert()
        .success();
    let e = stderr(&a);
    assert!(e.contains("reading its Snapshot/ folder"), "{e}");
    assert!(e.contains("SnapshotState is \"uploading\""), "{e}");
    assert_eq!(
        std::fs::read(out.join("HomeDomain/early.txt")).unwrap(),
        b"copied before the stop"
    );
    assert_eq!(
        std::fs::read(out.join("HomeDomain/late.txt")).unwrap(),
        b"still in the snapshot"
    );
    assert_eq!(fingerprint(&backup), before);
}

#[test]
fn manifest_db_wal_rows_are_listed_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("WALDB");
    b.add(FileSpec::file("HomeDomain", "old.txt", b"old".to_vec()));
    let backup = b.write(dir.path()).unwrap();
    // A newer row that only the -wal holds, as when a backup tool was stopped before its
    // checkpoint.
    let newer = FileSpec::file("HomeDomain", "new.txt", b"new".to_vec());
    let blob_dir = backup.join(&newer.file_id()[..2]);
    std::fs::create_dir_all(&blob_dir).unwrap();
    std::fs::write(blob_dir.join(newer.file_id()), b"new").unwrap();
    {
        let c = rusqlite::Connection::open(backup.join("Manifest.db")).unwrap();
        c.pragma_update(None, "journal_mode", "wal").unwrap();
        c.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        c.execute(
            "INSERT INTO Files VALUES (?1, 'HomeDomain', 'new.txt', 1, ?2)",
            rusqlite::params![newer.file_id(), mbfile_archive(&newer)],
        )
        .unwrap();
        std::mem::forget(c); // leave the -wal un-checkpointed
    }
    assert!(
        std::fs::metadata(backup.join("Manifest.db-wal"))
            .unwrap()
            .len()
            > 0
    );
    let before = fingerprint(&backup);
    let a = unback().arg("ls").arg(&backup).assert().success();
    assert_eq!(stdout(&a), "HomeDomain/new.txt\nHomeDomain/old.txt\n");
    let out = dir.path().join("out");
    unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        std::fs::read(out.join("HomeDomain/new.txt")).unwrap(),
        b"new"
    );
    assert_eq!(
        fingerprint(&backup),
        before,
        "nothing in the backup may change"
    );
}

#[test]
fn zero_length_blob_is_kept_and_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("ZERO");
    b.add(
        FileSpec::file("HomeDomain", "cut.db", b"twelve bytes".to_vec())
            .with_blob(BlobSpec::Replace(Vec::new())),
    );
    let backup = b.write(dir.path()).unwrap();
    let out = dir.path().join("out");
    // Shorter than recorded: kept as it is, and a problem, exit 5 (issue 11 item 16).
    let a = unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .assert()
        .code(5);
    assert!(
        stderr(&a).contains("the blob holds 0 bytes, fewer than the 12 recorded"),
        "{}",
        stderr(&a)
    );
    assert_eq!(std::fs::read(out.join("HomeDomain/cut.db")).unwrap(), b"");
    let a = unback()
        .args(["verify", "--json"])
        .arg(&backup)
        .assert()
        .code(5);
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v["findings"][0]["code"], "size-mismatch");
}
