//! `--folder-template` / `--name-template` (issue 16): exact folders and names from the tokens,
//! hostile album names, original names and device names kept inside OUT as single components,
//! and templates that would climb out refused before anything is written.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{
    PhotoAlbum, PhotoAsset, PhotoFace, PhotoPlace, PhotosDbBuilder, PhotosSchema,
};
use unback::builder::{BackupBuilder, FileSpec};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;
/// 2024-05-18 13:03:21 UTC.
const T: i64 = 1_716_037_401;

fn jpeg(tag: &str) -> Vec<u8> {
    let mut b = std::fs::read(root().join("fixtures/media/photo_0001.jpg")).unwrap();
    b.extend_from_slice(format!("\0unback-template:{tag}").as_bytes());
    b
}

fn album(title: &str, assets: Vec<usize>) -> PhotoAlbum {
    PhotoAlbum {
        uuid: format!("ALBUM-{}", title.len()),
        title: Some(title.into()),
        kind: 2,
        parent: None,
        assets,
        trashed_state: 0,
        cloud_guid: None,
    }
}

/// Three photos: one in two albums with hostile titles, one whose original name is hostile,
/// one in no album; the device's name is hostile too.
fn backup(dir: &Path) -> PathBuf {
    backup_with(
        dir,
        vec![album("../../Rome", vec![0]), album("Trips/2024", vec![0])],
    )
}

fn backup_with(dir: &Path, albums: Vec<PhotoAlbum>) -> PathBuf {
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    let names = ["IMG_0001.JPG", "IMG_0002.JPG", "IMG_0003.JPG"];
    for (i, n) in names.iter().enumerate() {
        let mut p = PhotoAsset::photo(
            &format!("7E3A0000-0000-4000-8000-{i:012}"),
            "DCIM/100APPLE",
            n,
            (T + i as i64 * 3600 - COCOA) as f64,
        );
        p.timezone_offset = Some(7200);
        p.timezone_name = Some("Europe/Rome".into());
        if i == 1 {
            p.original_filename = Some("../../escape\\me.JPG".into());
        }
        if i == 0 {
            p.faces = vec![
                PhotoFace::Named("Ana".into()),
                PhotoFace::Named("Ben/Bo".into()),
            ];
            p.place = Some(PhotoPlace {
                city: Some("Rome".into()),
                country: Some("Italy".into()),
                ..Default::default()
            });
            p.camera_make = Some("Apple".into());
            p.camera_model = Some("iPhone 15 Pro".into());
        }
        db.assets.push(p);
    }
    db.albums = albums;
    let mut b = BackupBuilder::new("TEMPLATES");
    b.device_name = "../Ana's iPhone".into();
    for n in names {
        b.add(FileSpec::file(
            CR,
            &format!("Media/DCIM/100APPLE/{n}"),
            jpeg(n),
        ));
    }
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add_parents();
    b.write(dir).unwrap()
}

fn files(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = file_hashes(out)
        .into_keys()
        .filter(|p| !p.starts_with("unback-export"))
        .collect();
    v.sort();
    v
}

#[test]
fn tokens_make_exact_folders_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let b = backup(dir.path());
    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(&out)
        .args([
            "--folder-template",
            "{year}/{month}-{day}",
            "--name-template",
            "{date:%Y%m%d_%H%M%S}_{original_stem}",
        ])
        .assert()
        .success();
    // Local time: UTC+2.
    assert_eq!(
        files(&out),
        [
            "2024/05-18/20240518_150321_IMG_0001.JPG",
            "2024/05-18/20240518_160321_.._.._escape_me.JPG",
            "2024/05-18/20240518_170321_IMG_0003.JPG",
        ]
    );
    assert_eq!(
        std::fs::read(out.join("2024/05-18/20240518_150321_IMG_0001.JPG")).unwrap(),
        jpeg("IMG_0001.JPG")
    );
}

#[test]
fn hostile_albums_names_and_devices_stay_inside_out() {
    let dir = tempfile::tempdir().unwrap();
    let b = backup(dir.path());
    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(&out)
        .args([
            "--folder-template",
            "{device_name}/{album}",
            "--name-template",
            "{original_name}",
        ])
        .assert()
        .success();
    // An asset in two albums lands in both; every value is one component, its slashes made
    // underscores; the template's own slashes are the only levels.
    assert_eq!(
        files(&out),
        [
            ".._Ana's iPhone/.._.._Rome/IMG_0001.JPG",
            ".._Ana's iPhone/Not in an album/.._.._escape_me.JPG",
            ".._Ana's iPhone/Not in an album/IMG_0003.JPG",
            ".._Ana's iPhone/Trips_2024/IMG_0001.JPG",
        ]
    );
    // Nothing beside OUT.
    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    beside.sort();
    assert_eq!(beside, ["TEMPLATES", "out"]);
}

#[test]
fn templates_that_leave_out_or_name_unknown_tokens_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let b = backup(dir.path());
    let out = dir.path().join("out");
    for (flag, t, why) in [
        (
            "--folder-template",
            "../{year}",
            "'..' would leave the output folder",
        ),
        (
            "--folder-template",
            "/tmp/{year}",
            "relative to the output folder",
        ),
        ("--name-template", "{nope}", "unknown token {nope}"),
        ("--folder-template", "{year", "not closed"),
    ] {
        let a = unback()
            .args(["photos", "export"])
            .arg(&b)
            .arg(&out)
            .args([flag, t])
            .assert()
            .code(2);
        assert!(stderr(&a).contains(why), "{t}: {}", stderr(&a));
        assert!(!out.exists());
    }
}

#[cfg(unix)]
fn ino(p: &Path) -> u64 {
    std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap())
}

fn journal_files(out: &Path) -> Vec<serde_json::Value> {
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap();
    j["files"].as_array().unwrap().clone()
}

#[cfg(unix)]
#[test]
fn album_copies_link_writes_an_asset_once_and_links_its_other_album() {
    let dir = tempfile::tempdir().unwrap();
    let b = backup(dir.path());
    let out = dir.path().join("out");
    let a = unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(&out)
        .args(["--folder-template", "{album}", "--album-copies", "link"])
        .assert()
        .success();
    assert!(stdout(&a).contains("1 hard links"), "{}", stdout(&a));
    let (x, y) = (
        out.join(".._.._Rome/IMG_0001.JPG"),
        out.join("Trips_2024/IMG_0001.JPG"),
    );
    assert_eq!(ino(&x), ino(&y));
    assert_eq!(std::fs::read(&y).unwrap(), jpeg("IMG_0001.JPG"));
    let files = journal_files(&out);
    let linked: Vec<&serde_json::Value> = files
        .iter()
        .filter(|r| r.get("linked_to").is_some())
        .collect();
    assert_eq!(linked.len(), 1, "{files:?}");
    assert_eq!(linked[0]["output"], "Trips_2024/IMG_0001.JPG");
    assert_eq!(linked[0]["linked_to"], ".._.._Rome/IMG_0001.JPG");
    assert_eq!(linked[0]["sha256"], sha256(&jpeg("IMG_0001.JPG")));
    // Without the option, two copies.
    let out2 = dir.path().join("out2");
    unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(&out2)
        .args(["--folder-template", "{album}"])
        .assert()
        .success();
    assert_ne!(
        ino(&out2.join(".._.._Rome/IMG_0001.JPG")),
        ino(&out2.join("Trips_2024/IMG_0001.JPG"))
    );
}

#[cfg(unix)]
#[test]
fn dedupe_writes_the_same_content_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    // IMG_0002 holds IMG_0001's bytes; IMG_0003 is as long but different.
    let content = [jpeg("same"), jpeg("same"), jpeg("diff")];
    let mut b = BackupBuilder::new("DEDUPE");
    for (i, c) in content.iter().enumerate() {
        let n = format!("IMG_000{}.JPG", i + 1);
        db.assets.push(PhotoAsset::photo(
            &format!("DED00000-0000-4000-8000-{i:012}"),
            "DCIM/100APPLE",
            &n,
            (T + i as i64 * 60 - COCOA) as f64,
        ));
        b.add(FileSpec::file(
            CR,
            &format!("Media/DCIM/100APPLE/{n}"),
            c.clone(),
        ));
    }
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();
    let out = dir.path().join("out");
    let a = unback()
        .args(["photos", "export", "--layout", "flat", "--dedupe"])
        .arg(&backup)
        .arg(&out)
        .assert()
        .success();
    let so = stdout(&a);
    assert!(
        so.contains("2 files written") && so.contains("1 hard links"),
        "{so}"
    );
    assert_eq!(
        ino(&out.join("IMG_0001.JPG")),
        ino(&out.join("IMG_0002.JPG"))
    );
    assert_ne!(
        ino(&out.join("IMG_0001.JPG")),
        ino(&out.join("IMG_0003.JPG"))
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0003.JPG")).unwrap(),
        jpeg("diff")
    );
    let files = journal_files(&out);
    assert_eq!(files.len(), 3, "every asset is recorded");
    let r2 = files
        .iter()
        .find(|r| r["output"] == "IMG_0002.JPG")
        .unwrap();
    assert_eq!(r2["linked_to"], "IMG_0001.JPG");
    assert_eq!(r2["asset_uuid"], "DED00000-0000-4000-8000-000000000001");
}

#[test]
fn people_places_and_cameras_make_folders_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let b = backup(dir.path());
    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(&out)
        .args([
            "--folder-template",
            "{place.country}/{place.city}/{person}",
            "--name-template",
            "{camera} {original_stem}",
        ])
        .assert()
        .success();
    assert_eq!(
        files(&out),
        [
            "Italy/Rome/Ana, Ben_Bo/Apple iPhone 15 Pro IMG_0001.JPG",
            "Unknown place/Unknown place/No person/Unknown camera .._.._escape_me.JPG",
            "Unknown place/Unknown place/No person/Unknown camera IMG_0003.JPG",
        ]
    );
}

/// `--update` with links: an asset exported earlier that is now in one more album gets a copy
/// there (its first file is an earlier run's, not this run's), not nothing.
#[cfg(unix)]
#[test]
fn an_asset_added_to_an_album_since_is_written_there_by_update() {
    let dir = tempfile::tempdir().unwrap();
    let one = backup_with(&dir.path().join("1"), vec![album("Rome", vec![0])]);
    let two = backup_with(
        &dir.path().join("2"),
        vec![album("Rome", vec![0]), album("Oslo", vec![0])],
    );
    let out = dir.path().join("out");
    let args = ["--folder-template", "{album}", "--album-copies", "link"];
    unback()
        .args(["photos", "export"])
        .arg(&one)
        .arg(&out)
        .args(args)
        .assert()
        .success();
    let a = unback()
        .args(["photos", "export"])
        .arg(&two)
        .arg(&out)
        .args(args)
        .arg("--update")
        .assert()
        .success();
    assert!(stdout(&a).contains("1 files written"), "{}", stdout(&a));
    assert_eq!(
        std::fs::read(out.join("Oslo/IMG_0001.JPG")).unwrap(),
        jpeg("IMG_0001.JPG")
    );
}
