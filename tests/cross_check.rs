//! Faithfulness of the fixture builder, judged by independent public readers from PyPI:
//! `iphone-backup-decrypt` must decrypt the encrypted fixtures, and `pyiosbackup` must read the
//! plain ones (and `unback decrypt`'s output), to exactly the bytes `unback` extracts.
//!
//! The readers live in the virtual environment that `scripts/test.sh` creates; it exports
//! UNBACK_PYTHON. Without it these tests are skipped locally, and fail under CI.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::{BackupBuilder, Encryption, FileSpec};

/// A backup with the awkward cases: empty file, sizes around the block and chunk boundaries,
/// every protection class, a Unicode path.
fn varied(dir: &Path, enc: Option<Encryption>) -> PathBuf {
    let mut b = BackupBuilder::new("VARIED");
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
            "AppDomain-x.y",
            "Documents/Ünïcödé 📷.txt",
            "ü".repeat(100).into_bytes(),
        )
        .with_protection_class(4),
    );
    b.add_parents();
    b.write(dir).unwrap()
}

#[test]
fn iphone_backup_decrypt_agrees_on_encrypted_fixtures() {
    let Some(py) = python() else { return };
    let theirs = run_py(
        &py,
        "decrypt_all.py",
        &[sample_encrypted().to_str().unwrap()],
        Some(SAMPLE_PASSWORD),
    );
    let ours = unback_hashes(&sample_encrypted(), Some(SAMPLE_PASSWORD));
    assert_eq!(theirs.len(), 16);
    assert_eq!(theirs, ours);

    let dir = tempfile::tempdir().unwrap();
    let b = varied(dir.path(), Some(Encryption::new("pässword", 100, 200)));
    let theirs = run_py(
        &py,
        "decrypt_all.py",
        &[b.to_str().unwrap()],
        Some("pässword"),
    );
    assert_eq!(theirs.len(), 5);
    assert_eq!(theirs["HomeDomain/empty.txt"], sha256(b""));
    assert_eq!(theirs, unback_hashes(&b, Some("pässword")));
}

#[test]
fn pyiosbackup_agrees_on_plain_and_decrypted_backups() {
    let Some(py) = python() else { return };
    let plain = run_py(
        &py,
        "read_pyiosbackup.py",
        &[sample().to_str().unwrap()],
        None,
    );
    assert_eq!(plain, unback_hashes(&sample(), None));

    let enc = run_py(
        &py,
        "read_pyiosbackup.py",
        &[sample_encrypted().to_str().unwrap(), SAMPLE_PASSWORD],
        None,
    );
    assert_eq!(enc, plain);

    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("decrypted");
    unback()
        .arg("decrypt")
        .arg(sample_encrypted())
        .arg(&out)
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    assert_eq!(
        run_py(&py, "read_pyiosbackup.py", &[out.to_str().unwrap()], None),
        plain
    );

    let v = varied(dir.path(), None);
    assert_eq!(
        run_py(&py, "read_pyiosbackup.py", &[v.to_str().unwrap()], None),
        unback_hashes(&v, None)
    );
}
