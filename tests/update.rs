//! `photos export --update` (issue 16): two backups of one device a month apart, the second with
//! 30 new assets, 5 deleted, 2 edited (one re-edited, one edited for the first time) and one
//! photo imported again under another UUID. Exporting the first, then updating from the second,
//! must write exactly the new assets and the changed edits, touch no other file (content, size,
//! modification time and inode), list the deleted ones, and a second update must write nothing.
//! For each kind of backup: folder, encrypted, zip, iOS 9 (Manifest.mbdb).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, Encryption, FileSpec};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;
const T0: i64 = 1_700_000_000;
const UDID: &str = "00008110-0000AAAA0000BBBB";

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Folder,
    Encrypted,
    Zip,
    Mbdb,
}

fn uuid(n: u32) -> String {
    format!("0DA7E000-0000-4000-8000-{n:012}")
}

fn name(n: u32) -> String {
    format!("IMG_{n:04}.JPG")
}

fn jpeg(tag: &str) -> Vec<u8> {
    let mut b = std::fs::read(root().join("fixtures/media/photo_0001.jpg")).unwrap();
    b.extend_from_slice(format!("\0unback-update:{tag}").as_bytes());
    b
}

/// One asset of a backup: its number, the edit render's version (if edited), and the number
/// whose photo it holds (itself, or another asset's for a photo imported again).
#[derive(Clone, Copy)]
struct A {
    n: u32,
    edit: Option<u32>,
    content_of: u32,
}

fn a(n: u32) -> A {
    A {
        n,
        edit: None,
        content_of: n,
    }
}

fn render_path(n: u32) -> String {
    format!("Media/PhotoData/Mutations/DCIM/100APPLE/IMG_{n:04}/Adjustments/FullSizeRender.jpg")
}

/// The device's backup taken `month` months after the first, holding `assets`.
fn backup(dir: &Path, month: i64, assets: &[A], kind: Kind) -> PathBuf {
    let taken = T0 + month * 30 * 86_400;
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    let mut b = BackupBuilder::new(UDID);
    b.device_name = "Ana's iPhone".into();
    b.date = taken;
    for x in assets {
        let mut p = PhotoAsset::photo(
            &uuid(x.n),
            "DCIM/100APPLE",
            &name(x.n),
            (T0 - 100 * 86_400 + i64::from(x.n) * 3600 - COCOA) as f64,
        );
        p.has_adjustments = x.edit.is_some();
        db.assets.push(p);
        b.add(
            FileSpec::file(
                CR,
                &format!("Media/DCIM/100APPLE/{}", name(x.n)),
                jpeg(&format!("photo {}", x.content_of)),
            )
            .with_mtime(T0 - 90 * 86_400),
        );
        if let Some(v) = x.edit {
            // A re-edit keeps the render's path and its size; only its time says it changed.
            b.add(
                FileSpec::file(CR, &render_path(x.n), jpeg(&format!("edit {} v{v}", x.n)))
                    .with_mtime(T0 + i64::from(v) * 86_400),
            );
        }
    }
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add_parents();
    if kind == Kind::Encrypted {
        b.encryption = Some(Encryption::new("pw", 10, 10));
    }
    if kind == Kind::Mbdb {
        b.ios9();
    }
    let parent = dir.join(format!("month{month}"));
    let folder = b.write(&parent).unwrap();
    if kind != Kind::Zip {
        return folder;
    }
    let archive = parent.join("backup.zip");
    zip_folder(&folder, &archive);
    archive
}

fn zip_folder(folder: &Path, archive: &Path) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::fs::File::create(archive).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let prefix = format!("{}/", folder.file_name().unwrap().to_string_lossy());
    w.add_directory(prefix.as_str(), opts).unwrap();
    let mut stack = vec![folder.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(folder)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if p.is_dir() {
                w.add_directory(format!("{prefix}{rel}/"), opts).unwrap();
                stack.push(p);
            } else {
                w.start_file(format!("{prefix}{rel}"), opts).unwrap();
                w.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    w.finish().unwrap();
}

fn export(b: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    unback()
        .args(["photos", "export"])
        .arg(b)
        .arg(out)
        .args(extra)
        .env("UNBACK_PASSWORD", "pw")
        .assert()
}

/// Path → (sha256, size, mtime, inode) of every file below `dir`.
fn state(dir: &Path) -> BTreeMap<String, (String, u64, std::time::SystemTime, u64)> {
    fingerprint(dir)
        .into_iter()
        .filter(|(_, (h, ..))| !h.is_empty())
        .map(|(p, (h, len, _, t))| {
            let ino = inode(&dir.join(&p));
            (p.to_string_lossy().into_owned(), (h, len, t, ino))
        })
        .collect()
}

#[cfg(unix)]
fn inode(p: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap())
}

#[cfg(not(unix))]
fn inode(_: &Path) -> u64 {
    0
}

fn journal(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap()
}

fn first_month() -> Vec<A> {
    let mut v: Vec<A> = (1..=40).map(a).collect();
    v[2].edit = Some(1); // asset 3, edited before the first backup
    v
}

/// Deleted 11–15, new 41–70, asset 3 re-edited, asset 7 edited for the first time, and asset
/// 99 the photo of asset 8 imported again under a new UUID.
fn second_month() -> Vec<A> {
    let mut v: Vec<A> = (1..=10).chain(16..=70).map(a).collect();
    v[2].edit = Some(2);
    v[6].edit = Some(1);
    v.push(A {
        n: 99,
        edit: None,
        content_of: 8,
    });
    v
}

fn scenario(kind: Kind) {
    let dir = tempfile::tempdir().unwrap();
    let one = backup(dir.path(), 0, &first_month(), kind);
    let two = backup(dir.path(), 1, &second_month(), kind);
    let out = dir.path().join("Photos");
    export(&one, &out, &["--layout", "flat"]).success();
    let before = state(&out);
    assert_eq!(
        before.len(),
        40 + 1 + 2,
        "40 originals, 1 render, 2 journals"
    );

    let a = export(&two, &out, &["--layout", "flat", "--update"]).success();
    let so = stdout(&a);
    let after = state(&out);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(p, v)| before.get(*p) != Some(v))
        .map(|(p, _)| p)
        .collect();
    let mut want: Vec<String> = (41..=70).map(name).collect();
    want.push("IMG_0003 (edited).jpg".into());
    want.push("IMG_0007 (edited).jpg".into());
    want.push("unback-export.csv".into());
    want.push("unback-export.json".into());
    want.sort();
    let mut got: Vec<String> = changed.iter().map(|s| s.to_string()).collect();
    got.sort();
    assert_eq!(got, want, "{so}");
    // Nothing removed: the deleted assets' files stay.
    assert!(before.keys().all(|p| after.contains_key(p)));
    assert_eq!(
        std::fs::read(out.join("IMG_0003 (edited).jpg")).unwrap(),
        jpeg("edit 3 v2")
    );
    assert!(
        so.contains(
            "update: 35 already exported and unchanged, 1 already exported from another asset with the same content, 1 changed versions"
        ),
        "{so}"
    );
    assert!(
        so.contains("5 assets exported earlier are no longer in this backup"),
        "{so}"
    );
    let j = journal(&out);
    let runs = j["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1]["mode"], "update");
    assert_eq!(runs[1]["udid"], UDID);
    assert_eq!(runs[1]["files_written"], 32);
    assert_eq!(runs[1]["same_content"], 1);
    let gone: Vec<String> = (11..=15).map(uuid).collect();
    assert_eq!(runs[1]["gone_assets"], serde_json::json!(gone));
    // Every file in OUT is in the journal once, with the run that wrote it.
    let files = j["files"].as_array().unwrap();
    assert_eq!(
        files.len(),
        40 + 1 + 32 - 1,
        "the re-edit replaces its record"
    );
    let rec = |o: &str| files.iter().find(|r| r["output"] == o).unwrap().clone();
    assert_eq!(rec("IMG_0041.JPG")["run"], 1);
    assert_eq!(rec("IMG_0001.JPG")["run"], 0);
    assert_eq!(rec("IMG_0003 (edited).jpg")["run"], 1);

    // A second update from the same backup writes nothing.
    let again = state(&out);
    let a = export(&two, &out, &["--layout", "flat", "--update"]).success();
    assert!(
        stdout(&a).contains("0 files written (0 bytes)"),
        "{}",
        stdout(&a)
    );
    let now = state(&out);
    for (p, v) in &again {
        if !p.starts_with("unback-export") {
            assert_eq!(now.get(p), Some(v), "{p}");
        }
    }
}

#[test]
fn update_from_a_folder_backup() {
    scenario(Kind::Folder);
}

#[test]
fn update_from_an_encrypted_backup() {
    scenario(Kind::Encrypted);
}

#[test]
fn update_from_a_zipped_backup() {
    scenario(Kind::Zip);
}

#[test]
fn update_from_an_ios9_backup() {
    scenario(Kind::Mbdb);
}

#[test]
fn files_the_user_changed_or_deleted_are_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let one = backup(dir.path(), 0, &first_month(), Kind::Folder);
    let out = dir.path().join("Photos");
    export(&one, &out, &["--layout", "flat"]).success();
    std::fs::write(out.join("IMG_0002.JPG"), b"cropped by the user").unwrap();
    std::fs::remove_file(out.join("IMG_0004.JPG")).unwrap();
    // The re-edit of asset 3 comes with a render the user changed: it is kept too.
    std::fs::write(out.join("IMG_0003 (edited).jpg"), b"retouched").unwrap();
    let two = backup(dir.path(), 1, &second_month(), Kind::Folder);
    let a = export(&two, &out, &["--layout", "flat", "--update"]).success();
    let se = stderr(&a);
    assert!(
        se.contains("changed in OUT since it was exported): IMG_0002.JPG")
            && se.contains("changed in OUT since it was exported): IMG_0003 (edited).jpg")
            && se.contains("deleted from OUT since it was exported): IMG_0004.JPG"),
        "{se}"
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0002.JPG")).unwrap(),
        b"cropped by the user"
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0003 (edited).jpg")).unwrap(),
        b"retouched"
    );
    assert!(!out.join("IMG_0004.JPG").exists());
    let j = journal(&out);
    assert_eq!(
        j["runs"][1]["changed_in_out"],
        serde_json::json!(["IMG_0002.JPG", "IMG_0003 (edited).jpg"])
    );
    assert_eq!(
        j["runs"][1]["deleted_in_out"],
        serde_json::json!(["IMG_0004.JPG"])
    );
    // --overwrite decides: the backup's versions are written again.
    export(&two, &out, &["--layout", "flat", "--update", "--overwrite"]).success();
    assert_eq!(
        std::fs::read(out.join("IMG_0002.JPG")).unwrap(),
        jpeg("photo 2")
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0004.JPG")).unwrap(),
        jpeg("photo 4")
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0003 (edited).jpg")).unwrap(),
        jpeg("edit 3 v2")
    );
}

#[test]
fn another_devices_export_is_refused_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let one = backup(dir.path(), 0, &first_month(), Kind::Folder);
    let out = dir.path().join("Photos");
    export(&one, &out, &["--layout", "flat"]).success();
    let mut b = BackupBuilder::new("OTHERPHONE");
    b.device_name = "Ben's iPhone".into();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    db.assets.push(PhotoAsset::photo(
        &uuid(500),
        "DCIM/100APPLE",
        &name(500),
        (T0 - COCOA) as f64,
    ));
    b.add(FileSpec::file(
        CR,
        &format!("Media/DCIM/100APPLE/{}", name(500)),
        jpeg("ben"),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add_parents();
    let other = b.write(&dir.path().join("other")).unwrap();
    let before = state(&out);
    let a = export(&other, &out, &["--layout", "flat", "--update"]).code(2);
    let se = stderr(&a);
    assert!(
        se.contains(&format!("Ana's iPhone ({UDID})")) && se.contains("Ben's iPhone (OTHERPHONE)"),
        "{se}"
    );
    assert_eq!(state(&out), before, "nothing written");
    export(&other, &out, &["--layout", "flat", "--update", "--force"]).success();
    assert!(out.join(name(500)).exists());
}

#[test]
fn dry_run_prints_the_plan_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let one = backup(dir.path(), 0, &first_month(), Kind::Folder);
    let out = dir.path().join("Photos");
    export(&one, &out, &["--layout", "flat"]).success();
    let two = backup(dir.path(), 1, &second_month(), Kind::Folder);
    let before = state(&out);
    let a = export(&two, &out, &["--layout", "flat", "--update", "--dry-run"]).success();
    let so = stdout(&a);
    let size = jpeg("photo 41").len();
    assert!(so.contains(&format!("{size:>12}  IMG_0041.JPG")), "{so}");
    assert!(so.contains("IMG_0007 (edited).jpg"), "{so}");
    assert!(!so.contains("IMG_0001.JPG"), "{so}");
    assert!(
        so.contains("32 files, ")
            && so.contains("bytes would be written (dry run: nothing written)"),
        "{so}"
    );
    assert_eq!(state(&out), before);
    // A fresh folder is not even created.
    let fresh = dir.path().join("fresh");
    export(&two, &fresh, &["--dry-run"]).success();
    assert!(!fresh.exists());
}

/// Free-space refusal on a small tmpfs: needs root to mount one, so outside CI it may skip.
#[cfg(target_os = "linux")]
#[test]
fn an_export_that_does_not_fit_stops_before_the_first_file() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        cannot_run("mounting a 64 KiB tmpfs needs root");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _u = Unmount(mnt.clone());
    let one = backup(dir.path(), 0, &first_month(), Kind::Folder);
    let out = mnt.join("Photos");
    let a = export(&one, &out, &["--layout", "flat"]).code(1);
    let se = stderr(&a);
    assert!(
        se.contains("the export needs") && se.contains("free; nothing was written"),
        "{se}"
    );
    assert!(
        std::fs::read_dir(&mnt).unwrap().next().is_none(),
        "nothing written"
    );
    // --no-space-check writes until the file system is full, then reports the rest.
    export(&one, &out, &["--layout", "flat", "--no-space-check"]).failure();
}

#[test]
fn verify_rehashes_what_size_and_time_cannot_tell() {
    let dir = tempfile::tempdir().unwrap();
    let one = backup(dir.path(), 0, &first_month(), Kind::Folder);
    let out = dir.path().join("Photos");
    export(&one, &out, &["--layout", "flat"]).success();
    // An edit that keeps the size and puts the time back: only the content shows it.
    let p = out.join("IMG_0005.JPG");
    let t = std::fs::metadata(&p).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&p).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&p, &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&p)
        .unwrap()
        .set_modified(t)
        .unwrap();
    let a = export(&one, &out, &["--layout", "flat", "--update"]).success();
    assert!(!stderr(&a).contains("IMG_0005.JPG"), "{}", stderr(&a));
    let a = export(&one, &out, &["--layout", "flat", "--update", "--verify"]).success();
    assert!(
        stderr(&a).contains("changed in OUT since it was exported): IMG_0005.JPG"),
        "{}",
        stderr(&a)
    );
    assert!(
        stdout(&a).contains("verify: 40 files re-hashed and found as the journal records them"),
        "{}",
        stdout(&a)
    );
    assert_eq!(
        std::fs::read(&p).unwrap(),
        bytes,
        "kept as the user left it"
    );
    assert_eq!(journal(&out)["runs"][2]["verified"], 40);
}
