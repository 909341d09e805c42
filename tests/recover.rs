//! `unback recover` and `recover diff` on backups built with everything a recovery can find.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, Encryption, FileSpec};

const CR: &str = "CameraRollDomain";

fn media(name: &str) -> Vec<u8> {
    std::fs::read(root().join("fixtures/media").join(name)).unwrap()
}

/// A Photos.sqlite with 30 assets of which 10 are then deleted (secure_delete off, as on iOS).
fn photos_db_with_deletions(dir: &Path) -> Vec<u8> {
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    for n in 0..30u32 {
        let mut a = PhotoAsset::photo(
            &format!("DEADBEEF-0000-4000-8000-{n:012}"),
            "DCIM/100APPLE",
            &format!("IMG_{:04}.HEIC", 100 + n),
            700_000_000.0 + n as f64 * 3600.0,
        );
        a.original_filename = Some(format!("holiday-{n:02}.HEIC"));
        db.assets.push(a);
    }
    let path = dir.join("Photos.sqlite");
    std::fs::write(&path, db.to_bytes().unwrap()).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch(
        "PRAGMA journal_mode=DELETE; PRAGMA secure_delete=OFF;
         DELETE FROM ZASSET WHERE ZFILENAME IN ('IMG_0110.HEIC','IMG_0111.HEIC','IMG_0112.HEIC');",
    )
    .unwrap();
    drop(c);
    std::fs::read(&path).unwrap()
}

/// A thumbnail cache with two JPEGs and a PNG at odd offsets between noise.
fn ithmb() -> (Vec<u8>, Vec<(u64, u64)>) {
    let mut buf = vec![0x5Au8; 1001];
    let mut spots = Vec::new();
    for m in ["photo_0001.jpg", "screenshot.png", "photo_0001b.jpg"] {
        let b = media(m);
        spots.push((buf.len() as u64, b.len() as u64));
        buf.extend_from_slice(&b);
        buf.extend(std::iter::repeat_n(0xA5u8, 333));
    }
    // A truncated JPEG at the end must not be reported.
    let j = media("photo_0001.jpg");
    buf.extend_from_slice(&j[..j.len() / 2]);
    (buf, spots)
}

fn build(dir: &Path, enc: Option<Encryption>) -> PathBuf {
    let mut b = BackupBuilder::new("RECOVER");
    b.encryption = enc;
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        photos_db_with_deletions(dir),
    ));
    // The deleted IMG_0110 left its thumbnail behind.
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0110.HEIC/5005.JPG",
        media("photo_0001b.jpg"),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Thumbnails/4031.ithmb",
        ithmb().0,
    ));
    for n in 0..30u32 {
        if (10..13).contains(&n) {
            continue;
        }
        b.add(FileSpec::file(
            CR,
            &format!("Media/DCIM/100APPLE/IMG_{:04}.HEIC", 100 + n),
            media("live.heic"),
        ));
    }
    b.add_parents();
    let backup = b.write(dir).unwrap();
    // Blobs left by an earlier backup: a photo, a database, something else.
    let orphan = |id: &str, bytes: &[u8]| {
        std::fs::create_dir_all(backup.join(&id[..2])).unwrap();
        std::fs::write(backup.join(&id[..2]).join(id), bytes).unwrap();
    };
    orphan(&"ab".repeat(20), &media("zurich.jpg"));
    orphan(&"cd".repeat(20), &media("sms.db"));
    orphan(
        &"ef".repeat(20),
        b"just some bytes that are not media at all",
    );
    backup
}

fn run(backup: &Path, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> serde_json::Value {
    let mut c = unback();
    c.arg("recover").arg(backup).arg(out).args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    c.assert().success();
    serde_json::from_slice(&std::fs::read(out.join("unback-recovery.json")).unwrap()).unwrap()
}

fn items<'a>(r: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == kind)
        .collect()
}

#[test]
fn everything_a_recovery_finds_with_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), None);
    let before = fingerprint(&backup);
    let out = dir.path().join("out");
    let r = run(&backup, &out, &[], &[]);
    assert_eq!(fingerprint(&backup), before);

    // Carved: exactly the three complete images, with their offsets and bytes.
    let carved = items(&r, "carved");
    let (_, spots) = ithmb();
    assert_eq!(carved.len(), 3, "{carved:#?}");
    let ithmb_id = unback::manifest::file_id(CR, "Media/PhotoData/Thumbnails/4031.ithmb");
    for (c, (off, len)) in carved.iter().zip(&spots) {
        assert_eq!(c["source"]["file_id"], ithmb_id.as_str());
        assert_eq!(c["source"]["offset"], *off);
        assert_eq!(c["source"]["length"], *len);
        let written = std::fs::read(out.join(c["output"].as_str().unwrap())).unwrap();
        assert_eq!(written.len() as u64, *len);
        assert_eq!(c["sha256"], sha256(&written));
    }
    assert_eq!(
        sha256(&std::fs::read(out.join(carved[1]["output"].as_str().unwrap())).unwrap()),
        sha256(&media("screenshot.png"))
    );

    // Orphans: all three listed, the photo exported under its fileID.
    let orphans = items(&r, "orphans");
    assert_eq!(orphans.len(), 3);
    let photo = orphans
        .iter()
        .find(|o| o["source"]["file_id"] == "ab".repeat(20))
        .unwrap();
    assert_eq!(photo["output"], format!("orphans/{}.JPG", "ab".repeat(20)));
    assert_eq!(photo["sha256"], sha256(&media("zurich.jpg")));
    let db = orphans
        .iter()
        .find(|o| o["source"]["file_id"] == "cd".repeat(20))
        .unwrap();
    assert_eq!(db["details"]["content"], "sqlite");
    assert!(db["output"].is_null());

    // Deleted records: the three deleted rows, with UUID and names, linked to the thumbnail.
    let recs = items(&r, "deleted-records");
    let mut names: Vec<&str> = recs
        .iter()
        .filter_map(|x| x["details"]["filename"].as_str())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(
        names,
        ["IMG_0110.HEIC", "IMG_0111.HEIC", "IMG_0112.HEIC"],
        "{recs:#?}"
    );
    let r110 = recs
        .iter()
        .find(|x| x["details"]["filename"] == "IMG_0110.HEIC")
        .unwrap();
    assert_eq!(
        r110["details"]["uuid"],
        "DEADBEEF-0000-4000-8000-000000000010"
    );
    assert_eq!(r110["details"]["directory"], "DCIM/100APPLE");
    assert!(
        r110["details"]["dates"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("2023-03-09T06:26:40Z")),
        "{r110:#?}"
    );
    let linked = r110["details"]["linked_files"].as_array().unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(
        linked[0]["relative_path"],
        "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0110.HEIC/5005.JPG"
    );
    assert_eq!(linked[0]["sha256"], sha256(&media("photo_0001b.jpg")));
    assert!(out.join(linked[0]["output"].as_str().unwrap()).is_file());

    // The HTML page references every image it shows, by relative path, nothing remote.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!html.contains("http://") && !html.contains("https://"));
    for c in &carved {
        let o = c["output"].as_str().unwrap();
        assert!(html.contains(&unback::recover::html::href(o)), "{o}");
    }
}

#[test]
fn output_does_not_depend_on_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), None);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    run(&backup, &a, &["-j", "1"], &[]);
    run(&backup, &b, &["-j", "2"], &[]);
    assert_eq!(file_hashes(&a), file_hashes(&b));
}

#[test]
fn only_and_encrypted_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), Some(Encryption::new("pw", 10, 10)));
    let out = dir.path().join("out");
    let mut c = unback();
    let a = c
        .arg("recover")
        .arg(&backup)
        .arg(&out)
        .args(["--only", "orphans", "--only", "carved"])
        .env("UNBACK_PASSWORD", "pw")
        .assert()
        .success();
    assert!(stderr(&a).contains("cannot be decrypted"), "{}", stderr(&a));
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-recovery.json")).unwrap()).unwrap();
    assert_eq!(r["counts"], serde_json::json!({"orphans": 3, "carved": 3}));
    assert!(items(&r, "orphans").iter().all(|o| o["output"].is_null()));
    unback()
        .arg("recover")
        .arg(&backup)
        .arg(&out)
        .args(["--only", "everything"])
        .env("UNBACK_PASSWORD", "pw")
        .assert()
        .code(2);
}

#[test]
fn diff_finds_what_is_gone_and_its_traces() {
    let dir = tempfile::tempdir().unwrap();
    let mk = |name: &str, keep_second: bool| {
        let mut db = PhotosDbBuilder::new(PhotosSchema::Ios16);
        let mut b = BackupBuilder::new(name);
        let a1 = PhotoAsset::photo(
            "11111111-1111-4111-8111-111111111111",
            "DCIM/100APPLE",
            "IMG_0001.JPG",
            700_000_000.0,
        );
        let a2 = PhotoAsset::photo(
            "22222222-2222-4222-8222-222222222222",
            "DCIM/100APPLE",
            "IMG_0002.JPG",
            700_003_600.0,
        );
        db.assets.push(a1);
        b.add(FileSpec::file(
            CR,
            "Media/DCIM/100APPLE/IMG_0001.JPG",
            media("photo_0001.jpg"),
        ));
        if keep_second {
            db.assets.push(a2);
            b.add(FileSpec::file(
                CR,
                "Media/DCIM/100APPLE/IMG_0002.JPG",
                media("zurich.jpg"),
            ));
        } else {
            b.add(FileSpec::file(
                CR,
                "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0002.JPG/5005.JPG",
                media("photo_0001b.jpg"),
            ));
        }
        b.add(FileSpec::file(
            CR,
            "Media/PhotoData/Photos.sqlite",
            db.to_bytes().unwrap(),
        ));
        let p = b.write(&dir.path().join(name)).unwrap();
        if !keep_second {
            // The deleted photo's old blob is still in the folder.
            let id = "77".repeat(20);
            std::fs::create_dir_all(p.join("77")).unwrap();
            std::fs::write(p.join("77").join(&id), media("zurich.jpg")).unwrap();
        }
        p
    };
    let older = mk("OLD", true);
    let newer = mk("NEW", false);
    let a = unback()
        .args(["recover", "diff"])
        .arg(&older)
        .arg(&newer)
        .arg("--json")
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v["in_both"], 1);
    assert_eq!(v["gone"].as_array().unwrap().len(), 1);
    let g = &v["gone"][0];
    assert_eq!(g["uuid"], "22222222-2222-4222-8222-222222222222");
    assert_eq!(g["sha256"], sha256(&media("zurich.jpg")));
    assert_eq!(
        g["traces_in_newer"],
        serde_json::json!([
            "thumbnail CameraRollDomain/Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0002.JPG/5005.JPG",
            format!("orphan blob 77/{} with the same content", "77".repeat(20)),
        ])
    );
}
