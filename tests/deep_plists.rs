//! Issue 11, item 2: property lists nested hundreds of thousands of levels deep, wherever the
//! tool reads one (Info.plist, Status.plist, Manifest.plist, a Photos xattr, `Z_METADATA.Z_PLIST`).
//! They used to overflow the stack; an optional file is now skipped with a warning and a required
//! one is an error naming it. Tests are built at opt-level 1, so an overflow would still show.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{nested_bplist, nested_xml_plist, BackupBuilder, FileSpec};

const LEVELS: usize = 200_000;

fn hostile_files() -> [(&'static str, Vec<u8>); 2] {
    [
        ("binary", nested_bplist(LEVELS, 0.0)),
        ("XML", nested_xml_plist(LEVELS)),
    ]
}

fn small_backup(dir: &Path) -> PathBuf {
    let mut b = BackupBuilder::new("DEEP");
    b.add(FileSpec::file("HomeDomain", "x.txt", b"x".to_vec()));
    b.write(dir).unwrap()
}

fn assert_no_crash(a: &assert_cmd::assert::Assert) {
    let e = stderr(a);
    assert!(
        a.get_output().status.code().is_some(),
        "killed by a signal: {e}"
    );
    assert!(!e.contains("overflow") && !e.contains("panicked"), "{e}");
}

#[test]
fn over_deep_info_or_status_plist_is_skipped_with_a_warning() {
    for name in ["Info.plist", "Status.plist"] {
        for (kind, bytes) in hostile_files() {
            let tmp = tempfile::tempdir().unwrap();
            let backup = small_backup(tmp.path());
            std::fs::write(backup.join(name), bytes).unwrap();
            let a = unback().arg("ls").arg(&backup).assert();
            assert_no_crash(&a);
            let a = a.success();
            assert_eq!(stdout(&a), "HomeDomain/x.txt\n", "{name}, {kind}");
            let e = stderr(&a);
            assert!(
                e.contains(name) && e.contains("nested more than 512 deep"),
                "{name}, {kind}: {e}"
            );
        }
    }
}

/// Beside a plaintext Manifest.db a damaged Manifest.plist is only a warning (issue 11, item
/// 16: the index can be read without it); the warning names the file and the depth.
#[test]
fn over_deep_manifest_plist_is_refused_naming_it() {
    for (kind, bytes) in hostile_files() {
        let tmp = tempfile::tempdir().unwrap();
        let backup = small_backup(tmp.path());
        std::fs::write(backup.join("Manifest.plist"), bytes).unwrap();
        let a = unback().arg("info").arg(&backup).assert();
        assert_no_crash(&a);
        let a = a.success();
        let e = stderr(&a);
        assert!(
            e.contains("Manifest.plist") && e.contains("nested more than 512 deep"),
            "{kind}: {e}"
        );
    }
}

/// A photo whose `customCreationDate` xattr is an over-deep plist: the date is not read from it
/// (the file's mtime stands in), and the library is listed.
#[test]
fn over_deep_xattr_date_is_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("DEEPXATTR");
    b.add(
        FileSpec::file(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0001.JPG",
            b"\xFF\xD8\xFF\xD9".to_vec(),
        )
        .with_xattr(
            "com.apple.assetsd.customCreationDate",
            nested_bplist(LEVELS, 0.0),
        ),
    );
    let backup = b.write(tmp.path()).unwrap();
    let a = unback()
        .args(["photos", "ls", "--json"])
        .arg(&backup)
        .assert();
    assert_no_crash(&a);
    let a = a.success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(1), "{v}");
}

/// Photos.sqlite whose `Z_METADATA.Z_PLIST` is an over-deep plist: the model version is unknown,
/// the library is still read from its tables.
#[test]
fn over_deep_z_plist_is_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios18);
    db.assets = vec![PhotoAsset::photo(
        "00000001-AAAA-4BBB-8CCC-000000000001",
        "DCIM/100APPLE",
        "IMG_0001.JPG",
        738_000_000.0,
    )];
    let file = tmp.path().join("Photos.sqlite");
    std::fs::write(&file, db.to_bytes().unwrap()).unwrap();
    let c = rusqlite::Connection::open(&file).unwrap();
    c.execute(
        "UPDATE Z_METADATA SET Z_PLIST = ?1",
        [nested_bplist(LEVELS, 0.0)],
    )
    .unwrap();
    drop(c);

    let mut b = BackupBuilder::new("DEEPZPLIST");
    b.add(FileSpec::file(
        "CameraRollDomain",
        "Media/PhotoData/Photos.sqlite",
        std::fs::read(&file).unwrap(),
    ));
    b.add(FileSpec::file(
        "CameraRollDomain",
        "Media/DCIM/100APPLE/IMG_0001.JPG",
        b"\xFF\xD8\xFF\xD9".to_vec(),
    ));
    let out = tempfile::tempdir().unwrap();
    let backup = b.write(out.path()).unwrap();
    let a = unback()
        .args(["photos", "ls", "--json"])
        .arg(&backup)
        .assert();
    assert_no_crash(&a);
    let a = a.success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v[0]["uuid"], "00000001-AAAA-4BBB-8CCC-000000000001", "{v}");
}

/// A binary plist of `levels` arrays, each holding the next one twice, then an integer: a few
/// hundred bytes that a tree-building reader expands into 2^levels values.
fn shared_bplist(levels: usize) -> Vec<u8> {
    assert!(levels < 250);
    let mut b = b"bplist00".to_vec();
    let mut offsets = Vec::new();
    for k in 0..levels {
        offsets.push(b.len() as u16);
        b.extend_from_slice(&[0xA2, (k + 1) as u8, (k + 1) as u8]);
    }
    offsets.push(b.len() as u16);
    b.extend_from_slice(&[0x10, 1]);
    let table = b.len() as u64;
    for o in &offsets {
        b.extend_from_slice(&o.to_be_bytes());
    }
    b.extend_from_slice(&[0; 6]);
    b.extend_from_slice(&[2, 1]);
    b.extend_from_slice(&(offsets.len() as u64).to_be_bytes());
    b.extend_from_slice(&0u64.to_be_bytes());
    b.extend_from_slice(&table.to_be_bytes());
    b
}

/// Shared sub-objects: 64 levels are 2^64 values once expanded. The file is refused from its
/// object graph before any reader builds it (an optional file skipped with a warning).
#[test]
fn a_plist_of_shared_arrays_is_refused_before_it_expands() {
    for name in ["Info.plist", "Status.plist"] {
        let tmp = tempfile::tempdir().unwrap();
        let backup = small_backup(tmp.path());
        std::fs::write(backup.join(name), shared_bplist(64)).unwrap();
        let a = unback()
            .arg("ls")
            .arg(&backup)
            .timeout(std::time::Duration::from_secs(60))
            .assert();
        assert_no_crash(&a);
        let a = a.success();
        assert_eq!(stdout(&a), "HomeDomain/x.txt\n", "{name}");
        let e = stderr(&a);
        assert!(
            e.contains(name) && e.contains("shared arrays or dictionaries that expand"),
            "{name}: {e}"
        );
    }
    // A few shared levels are what real writers may produce and stay readable.
    assert!(unback::plists::value_from_bytes(&shared_bplist(4)).is_ok());
}
