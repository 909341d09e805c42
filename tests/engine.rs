//! Promises the one export engine keeps for every writer, each tested through a writer that
//! used to break it while it had its own copy of the write loop.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, BlobSpec, Encryption, FileSpec};

const CR: &str = "CameraRollDomain";

fn media(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/media").join(name)).unwrap()
}

/// An encrypted camera roll whose second photo's blob does not decrypt to valid padding.
fn with_bad_padding(dir: &Path) -> PathBuf {
    let mut b = BackupBuilder::new("BADPAD");
    b.encryption = Some(Encryption::new("pw", 10, 10));
    b.add(
        FileSpec::file(
            CR,
            "Media/DCIM/100APPLE/IMG_0001.JPG",
            media("photo_0001.jpg"),
        )
        .with_mtime(1_716_033_801),
    );
    let garbage: Vec<u8> = (0u8..48)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    b.add(
        FileSpec::file(
            CR,
            "Media/DCIM/100APPLE/IMG_0002.JPG",
            media("photo_0001b.jpg"),
        )
        .with_mtime(1_716_033_802)
        .with_blob(BlobSpec::Replace(garbage)),
    );
    b.add_parents();
    b.write(dir).unwrap()
}

#[test]
fn photos_export_keeps_invalid_padding_under_a_badpad_name_as_extract_does() {
    let dir = tempfile::tempdir().unwrap();
    let backup = with_bad_padding(dir.path());
    let out = dir.path().join("out");
    let a = unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--layout", "flat"])
        .env("UNBACK_PASSWORD", "pw")
        .assert()
        .code(5);
    assert!(
        stderr(&a).contains("invalid PKCS#7 padding"),
        "{}",
        stderr(&a)
    );
    assert!(!out.join("IMG_0002.JPG").exists());
    assert_eq!(
        std::fs::metadata(out.join("IMG_0002.JPG.badpad"))
            .unwrap()
            .len(),
        48
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0001.JPG")).unwrap(),
        media("photo_0001.jpg")
    );
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap();
    let outputs: Vec<&str> = journal["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["output"].as_str().unwrap())
        .collect();
    assert_eq!(outputs, ["IMG_0001.JPG", "IMG_0002.JPG.badpad"]);
}

#[test]
fn a_live_photo_whose_own_file_is_the_video_ends_and_is_written_once() {
    // ZKIND 0 / ZKINDSUBTYPE 2 over a .MOV: the paired-video lookup finds the file itself.
    let dir = tempfile::tempdir().unwrap();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    let mut a = PhotoAsset::photo(
        "11111111-2222-4333-8444-555555555555",
        "DCIM/100APPLE",
        "IMG_0001.MOV",
        700_000_000.0,
    );
    a.kind_subtype = 2;
    a.playback_style = 3;
    db.assets.push(a);
    let mut b = BackupBuilder::new("SELFPAIR");
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/DCIM/100APPLE/IMG_0001.MOV",
        media("video.mov"),
    ));
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();
    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--layout", "flat"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["IMG_0001.MOV", "unback-export.csv", "unback-export.json"]
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0001.MOV")).unwrap(),
        media("video.mov")
    );
}

#[test]
fn an_asset_named_like_the_journal_does_not_overwrite_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios18);
    let mut a = PhotoAsset::photo(
        "11111111-2222-4333-8444-555555555556",
        "DCIM/100APPLE",
        "IMG_0001.JPG",
        700_000_000.0,
    );
    a.original_filename = Some("unback-export.json".into());
    db.assets.push(a);
    let mut b = BackupBuilder::new("JOURNALNAME");
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/DCIM/100APPLE/IMG_0001.JPG",
        media("photo_0001.jpg"),
    ));
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();
    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--layout", "flat"])
        .assert()
        .success();
    let journal: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap();
    let out_name = journal["files"][0]["output"].as_str().unwrap().to_string();
    assert_ne!(out_name, "unback-export.json");
    assert_eq!(
        std::fs::read(out.join(&out_name)).unwrap(),
        media("photo_0001.jpg")
    );
}

#[test]
fn jobs_above_the_cap_are_a_usage_error() {
    let out = tempfile::tempdir().unwrap();
    for cmd in [
        &["extract"][..],
        &["photos", "export"][..],
        &["recover"][..],
    ] {
        let a = unback()
            .args(cmd)
            .arg(sample())
            .arg(out.path().join("x"))
            .args(["-j", "100000"])
            .assert()
            .code(2);
        assert!(
            stderr(&a).contains("at most 64 worker threads"),
            "{}",
            stderr(&a)
        );
    }
    assert!(!out.path().join("x").exists());
}

#[test]
fn every_part_of_an_export_name_is_made_portable() {
    // Issue 11, item 10: the device file's extension reached the disk raw (`IMG_3553.J:P*G?`).
    let dir = tempfile::tempdir().unwrap();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios18);
    let mut a = PhotoAsset::photo(
        "11111111-2222-4333-8444-555555555557",
        "DCIM/100APPLE",
        "IMG_3553.J:P*G?",
        700_000_000.0,
    );
    a.original_filename = None;
    db.assets.push(a);
    let mut b = BackupBuilder::new("EXTNAME");
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/DCIM/100APPLE/IMG_3553.J:P*G?",
        media("photo_0001.jpg"),
    ));
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();
    for names in ["original", "device"] {
        let out = dir.path().join(names);
        unback()
            .args(["photos", "export"])
            .arg(&backup)
            .arg(&out)
            .args(["--layout", "flat", "--name", names])
            .assert()
            .success();
        assert_eq!(
            std::fs::read(out.join("IMG_3553.J_P_G_")).unwrap(),
            media("photo_0001.jpg"),
            "--name {names}"
        );
    }
}
