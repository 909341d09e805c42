//! `unback verify`: exact findings on backups damaged in each way a real one can be.

mod common;

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, BlobSpec, Encryption, FileSpec};

fn report(
    backup: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    code: i32,
) -> serde_json::Value {
    let mut c = unback();
    c.arg("verify").arg(backup).arg("--json").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let a = c.assert().code(code);
    serde_json::from_str(&stdout(&a)).unwrap()
}

fn codes(r: &serde_json::Value) -> Vec<(String, String)> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["entry"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_samples_are_healthy() {
    let r = report(&sample(), &["--deep"], &[], 0);
    assert_eq!(r["healthy"], true);
    assert_eq!(r["files"], 16);
    assert_eq!(r["files_ok"], 16);
    assert_eq!(r["photo_library"], "Photos.sqlite (ZASSET)");
    assert_eq!(r["photo_assets"], 7);
    let r = report(
        &sample_encrypted(),
        &["--deep"],
        &[("UNBACK_PASSWORD", SAMPLE_PASSWORD)],
        0,
    );
    assert_eq!(r["manifest_db_content"], "encrypted");
    assert_eq!(r["encryption_consistent"], true);
}

#[test]
fn plain_backup_problems_are_each_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("BROKEN");
    b.snapshot_state = "uploading".into();
    let content = b"hello world".to_vec();
    let sha1_of = |d: &[u8]| {
        use sha1::Digest;
        sha1::Sha1::digest(d).to_vec()
    };
    b.add(FileSpec::file("HomeDomain", "ok.txt", content.clone()).with_digest(sha1_of(&content)));
    b.add(FileSpec::file("HomeDomain", "gone.txt", b"x".to_vec()).with_blob(BlobSpec::Missing));
    b.add(FileSpec::file("HomeDomain", "grew.db", b"12345".to_vec()).with_size_override(3));
    b.add(
        FileSpec::file("HomeDomain", "tampered.txt", b"original".to_vec())
            .with_digest(vec![0xAB; 20]),
    );
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios16);
    db.assets = vec![PhotoAsset::photo(
        "ABSENT-UUID",
        "DCIM/100APPLE",
        "IMG_0001.HEIC",
        700_000_000.0,
    )];
    b.add(FileSpec::file(
        "CameraRollDomain",
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    let backup = b.write(dir.path()).unwrap();
    std::fs::create_dir_all(backup.join("ff")).unwrap();
    std::fs::write(
        backup.join("ff").join("ff".repeat(20)),
        b"left by an earlier backup",
    )
    .unwrap();

    let r = report(&backup, &[], &[], 5);
    assert_eq!(r["healthy"], false);
    assert_eq!(r["snapshot_finished"], false);
    assert_eq!(
        r["orphan_blobs"],
        serde_json::json!([format!("ff/{}", "ff".repeat(20))])
    );
    assert_eq!(
        r["photo_assets_missing"],
        serde_json::json!(["ABSENT-UUID Media/DCIM/100APPLE/IMG_0001.HEIC"])
    );
    let mut c = codes(&r);
    c.sort();
    assert_eq!(
        c,
        vec![
            (
                "missing-blob".to_string(),
                "HomeDomain/gone.txt".to_string()
            ),
            (
                "size-mismatch".to_string(),
                "HomeDomain/grew.db".to_string()
            ),
        ]
    );
    // --deep also recomputes the digests: one matches, one does not.
    let r = report(&backup, &["--deep"], &[], 5);
    assert_eq!(r["digests_checked"], 2);
    assert!(codes(&r).contains(&(
        "digest-mismatch".to_string(),
        "HomeDomain/tampered.txt".to_string()
    )));
    // The text report ends with the verdict.
    let a = unback().arg("verify").arg(&backup).assert().code(5);
    assert!(stdout(&a).trim_end().ends_with("problems found"));
}

#[test]
fn encrypted_backup_problems() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("BROKENENC");
    b.encryption = Some(Encryption::new("pw", 10, 10));
    b.add(FileSpec::file("HomeDomain", "fine.txt", b"fine".to_vec()));
    b.add(
        FileSpec::file("HomeDomain", "ragged.bin", vec![1; 20])
            .with_blob(BlobSpec::Replace(vec![7; 15])),
    );
    let garbage: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    b.add(
        FileSpec::file("HomeDomain", "badpad.bin", vec![2; 20])
            .with_blob(BlobSpec::Replace(garbage)),
    );
    let backup = b.write(dir.path()).unwrap();
    let env = [("UNBACK_PASSWORD", "pw")];
    let r = report(&backup, &[], &env, 5);
    assert_eq!(
        codes(&r),
        vec![(
            "not-block-aligned".to_string(),
            "HomeDomain/ragged.bin".to_string()
        )]
    );
    let r = report(&backup, &["--deep"], &env, 5);
    let mut c = codes(&r);
    c.sort();
    assert_eq!(
        c,
        vec![
            (
                "bad-padding".to_string(),
                "HomeDomain/badpad.bin".to_string()
            ),
            (
                "not-block-aligned".to_string(),
                "HomeDomain/ragged.bin".to_string()
            ),
        ]
    );
}

#[test]
fn declared_encryption_that_the_index_contradicts() {
    let dir = tempfile::tempdir().unwrap();
    // An encrypted backup's Manifest.plist over a plaintext Manifest.db (a half-decrypted copy).
    let backup = dir.path().join("mixed");
    std::fs::create_dir(&backup).unwrap();
    for f in ["Info.plist", "Status.plist", "Manifest.plist"] {
        std::fs::copy(sample_encrypted().join(f), backup.join(f)).unwrap();
    }
    std::fs::copy(sample().join("Manifest.db"), backup.join("Manifest.db")).unwrap();
    let r = report(&backup, &[], &[("UNBACK_PASSWORD", SAMPLE_PASSWORD)], 5);
    assert_eq!(r["encrypted_declared"], true);
    assert_eq!(r["manifest_db_content"], "sqlite");
    assert_eq!(r["encryption_consistent"], false);
}

#[test]
fn unreadable_backup_is_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Manifest.plist"), b"nope").unwrap();
    std::fs::write(dir.path().join("Manifest.db"), b"nope").unwrap();
    unback().arg("verify").arg(dir.path()).assert().code(4);
}
