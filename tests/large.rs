//! Memory stays flat whatever the file size: multi-GB (sparse) blobs extracted plain and
//! decrypted, with the peak resident size measured by GNU time. Slow and disk-hungry, so
//! ignored by default: `cargo test --release --test large -- --ignored`. Linux only: GNU time
//! and sparse files are what make a 3 GB blob cheap to create and measure.
#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::Command;

use unback::builder::{BackupBuilder, Encryption, FileSpec};

const SIZE: u64 = 3 << 30;

/// Runs unback under GNU time; returns (exit code, peak RSS in KiB).
fn peak_rss(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> (i32, u64) {
    let bin = assert_cmd::cargo::cargo_bin("unback");
    let mut c = Command::new("/usr/bin/time");
    c.arg("-f").arg("%M").arg(bin).args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c
        .output()
        .expect("GNU time at /usr/bin/time (Debian package `time`)");
    let err = String::from_utf8_lossy(&out.stderr);
    let kb = err
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(u64::MAX);
    (out.status.code().unwrap_or(-1), kb)
}

fn sparse_blob(backup: &Path, domain: &str, path: &str) {
    let id = unback::manifest::file_id(domain, path);
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(backup.join(&id[..2]).join(&id))
        .unwrap();
    f.set_len(SIZE).unwrap();
}

#[test]
#[ignore]
fn plain_multi_gb_file_extracts_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("BIG");
    b.add(
        FileSpec::file(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0001.MOV",
            vec![0u8; 16],
        )
        .with_size_override(SIZE),
    );
    let backup = b.write(dir.path()).unwrap();
    sparse_blob(
        &backup,
        "CameraRollDomain",
        "Media/DCIM/100APPLE/IMG_0001.MOV",
    );
    let out = dir.path().join("out");
    let (code, kb) = peak_rss(
        &[
            "extract".as_ref(),
            backup.as_os_str(),
            out.as_os_str(),
            "--hash".as_ref(),
        ],
        &[],
    );
    assert_eq!(code, 0);
    assert!(kb < 100_000, "peak RSS {kb} KiB");
    assert_eq!(
        std::fs::metadata(out.join("CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.MOV"))
            .unwrap()
            .len(),
        SIZE
    );
}

#[test]
#[ignore]
fn encrypted_multi_gb_file_decrypts_in_flat_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("BIGENC");
    b.encryption = Some(Encryption::new("pw", 10, 10));
    b.add(
        FileSpec::file(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0001.MOV",
            vec![0u8; 16],
        )
        .with_size_override(SIZE - 16),
    );
    let backup = b.write(dir.path()).unwrap();
    sparse_blob(
        &backup,
        "CameraRollDomain",
        "Media/DCIM/100APPLE/IMG_0001.MOV",
    );
    let out = dir.path().join("out");
    let (code, kb) = peak_rss(
        &["extract".as_ref(), backup.as_os_str(), out.as_os_str()],
        &[("UNBACK_PASSWORD", "pw")],
    );
    // Zeros are not a valid ciphertext ending: kept whole as .badpad, exit 5.
    assert_eq!(code, 5);
    assert!(kb < 100_000, "peak RSS {kb} KiB");
    let kept = out.join("CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.MOV.badpad");
    assert_eq!(std::fs::metadata(kept).unwrap().len(), SIZE);
}
