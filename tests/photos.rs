//! The photo export end to end: libraries of every Photos.sqlite generation (iOS 13 to 18), a
//! library whose newest rows live only in the -wal, a backup without Photos.sqlite, and every
//! category, with exact names, bytes, modification times and sidecar fields.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAlbum, PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{assetsd_xattrs, BackupBuilder, Encryption, FileSpec};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;

fn media(name: &str, tag: &str) -> Vec<u8> {
    let mut b = std::fs::read(root().join("fixtures/media").join(name)).unwrap();
    // Trailing bytes after the media's end: every file gets its own hash, the type stays.
    b.extend_from_slice(format!("\0unback-test:{tag}").as_bytes());
    b
}

fn uuid(n: u8) -> String {
    format!("0000{n:04X}-AAAA-4BBB-8CCC-{n:012X}")
}

fn uuid_bytes(n: u8) -> [u8; 16] {
    let mut u = [0u8; 16];
    u[2] = 0;
    u[3] = n;
    u[4] = 0xAA;
    u[5] = 0xAA;
    u[6] = 0x4B;
    u[7] = 0xBB;
    u[8] = 0x8C;
    u[9] = 0xCC;
    u[15] = n;
    u
}

/// One asset of the test library: its row, its files, and what we expect of it.
struct Spec {
    row: PhotoAsset,
    files: Vec<(String, Vec<u8>)>,
}

/// Unix time of a local wall-clock time at UTC+2.
const T0: i64 = 1_716_033_801; // 2024-05-18T12:03:21Z = 14:03:21+02:00

fn specs() -> Vec<Spec> {
    let mut v = Vec::new();
    let mut add =
        |n: u8, dir: &str, file: &str, media_name: &str, t: i64, f: &dyn Fn(&mut PhotoAsset)| {
            let mut row = if media_name.ends_with(".mov") {
                PhotoAsset::video(&uuid(n), dir, file, (t - COCOA) as f64)
            } else {
                PhotoAsset::photo(&uuid(n), dir, file, (t - COCOA) as f64)
            };
            row.timezone_offset = Some(7200);
            row.timezone_name = Some("Europe/Rome".into());
            f(&mut row);
            let files = vec![(
                format!("Media/{dir}/{file}"),
                media(media_name, &format!("{n}")),
            )];
            v.push(Spec { row, files });
        };
    // 1 Live Photo, favourite, in Trips/Rome, with GPS, title and caption.
    add(1, "DCIM/100APPLE", "IMG_0001.HEIC", "live.heic", T0, &|r| {
        r.kind_subtype = 2;
        r.playback_style = 3;
        r.favorite = true;
        r.latitude = 41.890251;
        r.longitude = 12.492373;
        r.title = Some("Colosseum".into());
        r.caption = Some("Evening light & <warm> \"tones\"".into());
    });
    // 2 and 3: the same name in 100APPLE and 101APPLE, same month.
    add(
        2,
        "DCIM/100APPLE",
        "IMG_0002.JPG",
        "photo_0001.jpg",
        T0 + 3600,
        &|_| {},
    );
    add(
        3,
        "DCIM/101APPLE",
        "IMG_0002.JPG",
        "photo_0001b.jpg",
        T0 + 7200,
        &|_| {},
    );
    // 4 screenshot, 5 edited photo, 6 edited video.
    add(
        4,
        "DCIM/100APPLE",
        "IMG_0004.PNG",
        "screenshot.png",
        T0 + 10_000,
        &|r| r.kind_subtype = 10,
    );
    add(
        5,
        "DCIM/100APPLE",
        "IMG_0005.JPG",
        "photo_0001.jpg",
        T0 + 20_000,
        &|r| r.has_adjustments = true,
    );
    add(
        6,
        "DCIM/100APPLE",
        "IMG_0006.MOV",
        "video.mov",
        T0 + 30_000,
        &|r| r.has_adjustments = true,
    );
    // 7 trashed, 8 hidden, 9 unicode original name.
    add(
        7,
        "DCIM/100APPLE",
        "IMG_0007.JPG",
        "photo_0001.jpg",
        T0 + 40_000,
        &|r| {
            r.trashed_state = 1;
            r.trashed_date = Some((T0 + 90_000 - COCOA) as f64);
        },
    );
    add(
        8,
        "DCIM/100APPLE",
        "IMG_0008.JPG",
        "photo_0001.jpg",
        T0 + 50_000,
        &|r| r.hidden = true,
    );
    add(
        9,
        "DCIM/100APPLE",
        "IMG_0009.JPG",
        "zurich.jpg",
        T0 + 60_000,
        &|r| r.original_filename = Some("Été à Zürich.jpg".into()),
    );
    // 10 slo-mo, 11 time-lapse, 12 screen recording, 13 panorama, 14 burst frame.
    add(
        10,
        "DCIM/100APPLE",
        "IMG_0010.MOV",
        "video.mov",
        T0 + 70_000,
        &|r| r.kind_subtype = 101,
    );
    add(
        11,
        "DCIM/100APPLE",
        "IMG_0011.MOV",
        "video.mov",
        T0 + 71_000,
        &|r| r.kind_subtype = 102,
    );
    add(
        12,
        "DCIM/100APPLE",
        "RPReplay_0012.MP4",
        "video.mov",
        T0 + 72_000,
        &|r| r.kind_subtype = 103,
    );
    add(
        13,
        "DCIM/100APPLE",
        "IMG_0013.JPG",
        "photo_0001.jpg",
        T0 + 73_000,
        &|r| r.kind_subtype = 1,
    );
    add(
        14,
        "DCIM/100APPLE",
        "IMG_0014.JPG",
        "photo_0001.jpg",
        T0 + 74_000,
        &|r| {
            r.avalanche_uuid = Some("BURST-1".into());
            r.avalanche_pick_type = 16; // the key photo: Photos shows it
        },
    );
    // 15 iCloud (CPL) asset, 16 shared-album asset, in June.
    add(
        15,
        "PhotoData/CPLAssets/group12",
        &format!("{}.JPG", uuid(15)),
        "photo_0001.jpg",
        T0 + 30 * 86_400,
        &|r| {
            r.saved_asset_type = 6;
            r.original_filename = Some("beach.jpg".into());
        },
    );
    add(
        16,
        "PhotoData/PhotoCloudSharingData/1234/ABCD/100CLOUD",
        "IMG_0016.JPG",
        "photo_0001.jpg",
        T0 + 31 * 86_400,
        &|r| {
            r.saved_asset_type = 4;
            r.cloud_batch_publish_date = Some((T0 + 31 * 86_400 - COCOA) as f64);
        },
    );
    // 17: only a thumbnail remains (iCloud "Optimize Storage").
    add(
        17,
        "DCIM/100APPLE",
        "IMG_0017.HEIC",
        "live.heic",
        T0 + 80_000,
        &|_| {},
    );
    // Extra files: the Live Photo's video, the edit renders, the thumbnail in place of 17.
    v[0].files.push((
        "Media/DCIM/100APPLE/IMG_0001.MOV".into(),
        media("live.mov", "1v"),
    ));
    v[4].files.push((
        "Media/PhotoData/Mutations/DCIM/100APPLE/IMG_0005/Adjustments/FullSizeRender.jpg".into(),
        media("edited_render.jpg", "5e"),
    ));
    v[4].files.push((
        "Media/PhotoData/Mutations/DCIM/100APPLE/IMG_0005/Adjustments/Adjustments.plist".into(),
        std::fs::read(root().join("fixtures/media/Adjustments.plist")).unwrap(),
    ));
    v[5].files.push((
        "Media/PhotoData/Mutations/DCIM/100APPLE/IMG_0006/Adjustments/FullSizeRender.mov".into(),
        media("video.mov", "6e"),
    ));
    v[16].files = vec![
        (
            "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0017.HEIC/5005.JPG".into(),
            media("photo_0001.jpg", "17t-big"),
        ),
        (
            "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0017.HEIC/5003.JPG".into(),
            b"\xFF\xD8\xFF small".to_vec(),
        ),
    ];
    v
}

fn albums() -> Vec<PhotoAlbum> {
    let album =
        |id: u8, title: &str, kind: i64, parent: Option<usize>, assets: Vec<usize>| PhotoAlbum {
            uuid: uuid(200 + id),
            title: Some(title.into()),
            kind,
            parent,
            assets,
            trashed_state: 0,
            cloud_guid: None,
        };
    vec![
        album(0, "Trips", 4000, None, vec![]),
        album(1, "Rome", 2, Some(0), vec![0, 7]),
        album(2, "Favourites of 2024", 2, None, vec![1]),
        album(3, "Family", 1505, None, vec![15]),
    ]
}

struct Opts {
    schema: PhotosSchema,
    /// Assets written to the main database file; the rest only in the -wal.
    wal_split: Option<usize>,
    with_db: bool,
    encryption: Option<Encryption>,
}

fn build(dir: &Path, o: Opts) -> PathBuf {
    let specs = specs();
    let mut b = BackupBuilder::new("PHOTOS");
    b.encryption = o.encryption;
    for (i, s) in specs.iter().enumerate() {
        for (k, (path, data)) in s.files.iter().enumerate() {
            let t = (s.row.date_created as i64) + COCOA;
            let mut f = FileSpec::file(CR, path, data.clone()).with_times(t, t + 2, t);
            // The primary file carries the Photos daemon's xattrs, as on a device.
            if k == 0 && path.starts_with("Media/DCIM/") {
                f = f.with_xattrs(assetsd_xattrs(
                    uuid_bytes(i as u8 + 1),
                    s.row
                        .original_filename
                        .as_deref()
                        .unwrap_or(&s.row.filename),
                    t as f64,
                    s.row.favorite,
                    s.row.hidden,
                    s.row.trashed_state == 1,
                ));
            }
            b.add(f);
        }
    }
    if o.with_db {
        let mut db = PhotosDbBuilder::new(o.schema);
        db.assets = specs.iter().map(|s| s.row.clone()).collect();
        db.albums = albums();
        match o.wal_split {
            None => {
                b.add(FileSpec::file(
                    CR,
                    "Media/PhotoData/Photos.sqlite",
                    db.to_bytes().unwrap(),
                ));
            }
            Some(n) => {
                let (main, wal) = db.to_bytes_with_wal(n).unwrap();
                b.add(FileSpec::file(CR, "Media/PhotoData/Photos.sqlite", main));
                b.add(FileSpec::file(CR, "Media/PhotoData/Photos.sqlite-wal", wal));
            }
        }
    }
    // Outside the library: a Messages attachment, WhatsApp media and its thumb, an app's
    // image under a misleading extension, and an app file that is not media.
    b.add(
        FileSpec::file(
            "MediaDomain",
            "Library/SMS/Attachments/4a/10/GUID-1/IMG_5501.jpeg",
            media("sms_5501.jpeg", "sms"),
        )
        .with_mtime(T0 + 100),
    );
    b.add(FileSpec::file(
        "MediaDomain",
        "Library/SMS/Attachments/4a/10/GUID-2/contact.vcf",
        b"BEGIN:VCARD\nEND:VCARD\n".to_vec(),
    ));
    b.add(
        FileSpec::file(
            "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
            "Message/Media/4179@s.whatsapp.net/e/3/abc.jpg",
            media("whatsapp.jpg", "wa"),
        )
        .with_mtime(T0 + 200),
    );
    b.add(FileSpec::file(
        "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
        "Message/Media/4179@s.whatsapp.net/e/3/abc.jpg.thumb",
        media("whatsapp.jpg", "wa-thumb"),
    ));
    b.add(
        FileSpec::file(
            "AppDomain-com.example.app",
            "Library/Caches/blob.dat",
            media("photo_0001.jpg", "app"),
        )
        .with_mtime(T0 + 300),
    );
    b.add(FileSpec::file(
        "AppDomain-com.example.app",
        "Documents/notes.txt",
        b"not an image".to_vec(),
    ));
    b.add_parents();
    b.write(dir).unwrap()
}

fn default_opts(schema: PhotosSchema) -> Opts {
    Opts {
        schema,
        wal_split: None,
        with_db: true,
        encryption: None,
    }
}

fn export(backup: &Path, out: &Path, args: &[&str]) -> (String, String) {
    let a = unback()
        .args(["photos", "export"])
        .arg(backup)
        .arg(out)
        .args(args)
        .assert()
        .success();
    (stdout(&a), stderr(&a))
}

fn outputs(out: &Path) -> BTreeMap<String, String> {
    let mut h = file_hashes(out);
    h.remove("unback-export.json");
    h.remove("unback-export.csv");
    h
}

fn hash_of(n: u8, media_name: &str) -> String {
    sha256(&media(media_name, &n.to_string()))
}

/// The camera roll by date with the default options: what every schema must produce.
fn expected_default() -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let mut put = |p: &str, h: String| {
        m.insert(p.to_string(), h);
    };
    put("2024/05/IMG_0001.HEIC", hash_of(1, "live.heic"));
    put("2024/05/IMG_0001.MOV", sha256(&media("live.mov", "1v")));
    put("2024/05/IMG_0002.JPG", hash_of(2, "photo_0001.jpg"));
    put("2024/05/IMG_0002 (1).JPG", hash_of(3, "photo_0001b.jpg"));
    put("2024/05/IMG_0004.PNG", hash_of(4, "screenshot.png"));
    put("2024/05/IMG_0005.JPG", hash_of(5, "photo_0001.jpg"));
    put(
        "2024/05/IMG_0005 (edited).jpg",
        sha256(&media("edited_render.jpg", "5e")),
    );
    put("2024/05/IMG_0006.MOV", hash_of(6, "video.mov"));
    put(
        "2024/05/IMG_0006 (edited).mov",
        sha256(&media("video.mov", "6e")),
    );
    put("2024/05/Été à Zürich.jpg", hash_of(9, "zurich.jpg"));
    put("2024/05/IMG_0010.MOV", hash_of(10, "video.mov"));
    put("2024/05/IMG_0011.MOV", hash_of(11, "video.mov"));
    put("2024/05/RPReplay_0012.MP4", hash_of(12, "video.mov"));
    put("2024/05/IMG_0013.JPG", hash_of(13, "photo_0001.jpg"));
    put("2024/05/IMG_0014.JPG", hash_of(14, "photo_0001.jpg"));
    put(
        "2024/05/IMG_0017 (preview).JPG",
        sha256(&media("photo_0001.jpg", "17t-big")),
    );
    put("2024/06/beach.jpg", hash_of(15, "photo_0001.jpg"));
    m
}

#[test]
fn every_schema_generation_exports_the_same_camera_roll() {
    for schema in [
        PhotosSchema::Ios13,
        PhotosSchema::Ios14,
        PhotosSchema::Ios15,
        PhotosSchema::Ios16,
        PhotosSchema::Ios17_6,
        PhotosSchema::Ios18,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let backup = build(dir.path(), default_opts(schema));
        let out = dir.path().join("out");
        let (so, _) = export(&backup, &out, &[]);
        assert_eq!(outputs(&out), expected_default(), "{schema:?}");
        assert!(so.contains("library read from Photos.sqlite"), "{so}");
        assert!(so.contains("1 from previews"), "{so}");
        // Capture date as modification time, for the Live Photo's both halves.
        assert_eq!(mtime_unix(&out.join("2024/05/IMG_0001.HEIC")), T0);
        assert_eq!(mtime_unix(&out.join("2024/05/IMG_0001.MOV")), T0);
        assert_eq!(
            mtime_unix(&out.join("2024/05/Été à Zürich.jpg")),
            T0 + 60_000
        );
    }
}

#[test]
fn newest_rows_only_in_the_wal_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(
        dir.path(),
        Opts {
            wal_split: Some(5),
            ..default_opts(PhotosSchema::Ios17_6)
        },
    );
    let out = dir.path().join("out");
    export(&backup, &out, &[]);
    assert_eq!(outputs(&out), expected_default());
    // The albums written only in the -wal are there too.
    let a = unback()
        .args(["photos", "ls", "--json", "--album", "Trips"])
        .arg(&backup)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["relative_path"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Media/DCIM/100APPLE/IMG_0001.HEIC"]);
}

#[test]
fn categories_hidden_deleted_and_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), default_opts(PhotosSchema::Ios18));
    let ls = |args: &[&str]| -> Vec<String> {
        let a = unback()
            .args(["photos", "ls", "--json"])
            .arg(&backup)
            .args(args)
            .assert()
            .success();
        let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["relative_path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let cat = |c: &str| ls(&["--category", c]);
    assert_eq!(cat("live"), ["IMG_0001.HEIC"]);
    assert_eq!(cat("screenshots"), ["IMG_0004.PNG"]);
    assert_eq!(cat("edited"), ["IMG_0005.JPG", "IMG_0006.MOV"]);
    assert_eq!(cat("favorites"), ["IMG_0001.HEIC"]);
    assert_eq!(cat("hidden"), ["IMG_0008.JPG"]);
    assert_eq!(cat("recently-deleted"), ["IMG_0007.JPG"]);
    assert_eq!(cat("slo-mo"), ["IMG_0010.MOV"]);
    assert_eq!(cat("time-lapse"), ["IMG_0011.MOV"]);
    assert_eq!(cat("screen-recordings"), ["RPReplay_0012.MP4"]);
    assert_eq!(cat("panoramas"), ["IMG_0013.JPG"]);
    assert_eq!(cat("bursts"), ["IMG_0014.JPG"]);
    assert_eq!(cat("icloud"), [format!("{}.JPG", uuid(15))]);
    assert_eq!(cat("shared-albums"), ["IMG_0016.JPG"]);
    assert_eq!(cat("albums"), ["IMG_0001.HEIC", "IMG_0002.JPG"]);
    assert_eq!(cat("messages"), ["IMG_5501.jpeg"]);
    assert_eq!(cat("whatsapp"), ["abc.jpg"]);
    assert_eq!(cat("apps"), ["blob.dat"]);
    assert_eq!(
        cat("videos"),
        [
            "IMG_0006.MOV",
            "IMG_0010.MOV",
            "IMG_0011.MOV",
            "RPReplay_0012.MP4"
        ]
    );
    // The default leaves out hidden, deleted, shared-album and attachment media, and says so.
    let a = unback()
        .args(["photos", "ls"])
        .arg(&backup)
        .assert()
        .success();
    let err = stderr(&a);
    let lines: Vec<&str> = err
        .lines()
        .filter_map(|l| l.strip_prefix("unback: not listed by default: "))
        .map(|l| l.split(" (").next().unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            "recently-deleted: 1",
            "hidden: 1",
            "shared-albums: 1",
            "messages: 2 file(s) in Messages attachments, not read",
            "whatsapp: 1 file(s) in WhatsApp media, not read"
        ],
        "{err}"
    );
    // Hidden and deleted join other categories only when asked for.
    assert!(!cat("photos").contains(&"IMG_0008.JPG".to_string()));
    let all = ls(&[
        "--category",
        "photos",
        "--include-hidden",
        "--include-deleted",
    ]);
    assert!(all.contains(&"IMG_0008.JPG".to_string()) && all.contains(&"IMG_0007.JPG".to_string()));
    // Dates are local days at capture (UTC+2 here).
    assert_eq!(
        ls(&["--since", "2024-06-01"]),
        [format!("{}.JPG", uuid(15))]
    );
    assert_eq!(
        ls(&["--until", "2024-05-18", "--category", "photos"]),
        // 19:36 local on the 18th is still the 18th, although 17:36 UTC; 01:10 on the 19th is not.
        [
            "IMG_0001.HEIC",
            "IMG_0002.JPG",
            "IMG_0002.JPG",
            "IMG_0004.PNG",
            "IMG_0005.JPG"
        ]
    );

    // One record in full.
    let a = unback()
        .args(["photos", "ls", "--json", "--category", "live"])
        .arg(&backup)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    let r = &v[0];
    assert_eq!(r["uuid"], uuid(1));
    assert_eq!(r["original_filename"], "IMG_0001.HEIC");
    assert_eq!(r["capture_date"], "2024-05-18T14:03:21+02:00");
    assert_eq!(r["time_zone"], "Europe/Rome");
    assert_eq!(r["kind"], "photo");
    assert_eq!(r["subtype"], "live");
    assert_eq!(r["favorite"], true);
    assert_eq!(r["albums"], serde_json::json!(["Trips/Rome"]));
    assert_eq!(r["versions"], serde_json::json!(["original", "live-video"]));
    assert_eq!(r["classified_by"], "photos-db");
    let a = unback()
        .args(["photos", "ls", "--json", "--category", "recently-deleted"])
        .arg(&backup)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v[0]["trashed_date"], "2024-05-19T13:03:21Z");
    let a = unback()
        .args(["photos", "ls", "--json", "--category", "apps"])
        .arg(&backup)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v[0]["classified_by"], "content");
}

#[test]
fn hidden_and_deleted_exports_are_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), default_opts(PhotosSchema::Ios16));
    let out = dir.path().join("out");
    let (so, _) = export(
        &backup,
        &out,
        &[
            "--category",
            "hidden",
            "--category",
            "recently-deleted",
            "--category",
            "messages",
        ],
    );
    let got: Vec<String> = outputs(&out).into_keys().collect();
    assert_eq!(
        got,
        [
            "2024/05/IMG_5501.jpeg",
            "Hidden/2024/05/IMG_0008.JPG",
            "Recently Deleted/2024/05/IMG_0007.JPG"
        ]
    );
    assert!(
        so.contains("  hidden: 1")
            && so.contains("  recently-deleted: 1")
            && so.contains("  messages: 1"),
        "{so}"
    );
    assert_eq!(mtime_unix(&out.join("2024/05/IMG_5501.jpeg")), T0 + 100);
}

#[test]
fn layouts_names_and_version_choices() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), default_opts(PhotosSchema::Ios14));
    let run = |args: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        export(&backup, out.path(), args);
        outputs(out.path()).into_keys().collect::<Vec<_>>()
    };
    assert_eq!(
        run(&["--layout", "album", "--category", "albums"]),
        [
            "Favourites of 2024/IMG_0002.JPG",
            "Trips/Rome/IMG_0001.HEIC",
            "Trips/Rome/IMG_0001.MOV"
        ]
    );
    assert_eq!(
        run(&[
            "--album",
            "Trips/Rome",
            "--layout",
            "flat",
            "--live",
            "still"
        ]),
        ["IMG_0001.HEIC"]
    );
    assert_eq!(
        run(&["--album", "rome", "--layout", "flat", "--live", "video"]),
        ["IMG_0001.MOV"]
    );
    assert_eq!(
        run(&[
            "--category",
            "edited",
            "--layout",
            "flat",
            "--edits",
            "edited"
        ]),
        ["IMG_0005.jpg", "IMG_0006.mov"]
    );
    assert_eq!(
        run(&[
            "--category",
            "edited",
            "--layout",
            "flat",
            "--edits",
            "original"
        ]),
        ["IMG_0005.JPG", "IMG_0006.MOV"]
    );
    assert_eq!(
        run(&[
            "--category",
            "screenshots",
            "--category",
            "slo-mo",
            "--layout",
            "category"
        ]),
        ["screenshots/IMG_0004.PNG", "slo-mo/IMG_0010.MOV"]
    );
    assert_eq!(
        run(&[
            "--layout",
            "flat",
            "--name",
            "device",
            "--category",
            "icloud"
        ]),
        [format!("{}.JPG", uuid(15))]
    );
}

#[test]
fn journal_and_sidecars_prove_provenance_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), default_opts(PhotosSchema::Ios17_6));
    let out = dir.path().join("out");
    export(&backup, &out, &["--sidecar", "xmp", "--category", "live"]);
    let xmp = std::fs::read_to_string(out.join("2024/05/IMG_0001.HEIC.xmp")).unwrap();
    for want in [
        "xmp:CreateDate=\"2024-05-18T14:03:21+02:00\"",
        "xmp:Rating=\"5\"",
        "exif:GPSLatitude=\"41,53.415060N\"",
        "exif:GPSLongitude=\"12,29.542380E\"",
        "<rdf:li xml:lang=\"x-default\">Colosseum</rdf:li>",
        "<rdf:li xml:lang=\"x-default\">Evening light &amp; &lt;warm&gt; &quot;tones&quot;</rdf:li>",
        "<rdf:li>Rome</rdf:li>",
        "<rdf:li>Albums|Trips|Rome</rdf:li>",
    ] {
        assert!(xmp.contains(want), "{want} not in\n{xmp}");
    }
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap();
    let files = j["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let heic = &files[0];
    assert_eq!(heic["output"], "2024/05/IMG_0001.HEIC");
    assert_eq!(heic["asset_uuid"], uuid(1));
    assert_eq!(heic["role"], "original");
    assert_eq!(heic["domain"], CR);
    assert_eq!(heic["relative_path"], "Media/DCIM/100APPLE/IMG_0001.HEIC");
    assert_eq!(
        heic["file_id"],
        unback::manifest::file_id(CR, "Media/DCIM/100APPLE/IMG_0001.HEIC")
    );
    assert_eq!(heic["sha256"], hash_of(1, "live.heic"));
    assert_eq!(
        heic["categories"],
        serde_json::json!(["photos", "live", "favorites", "albums"])
    );
    assert_eq!(files[1]["role"], "live-video");
    let csv = std::fs::read_to_string(out.join("unback-export.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with(&format!(
        "2024/05/IMG_0001.HEIC,{},original,photos;live;favorites;albums,photos-db,",
        uuid(1)
    )));

    // JSON sidecars carry the same facts.
    let out2 = dir.path().join("out2");
    export(
        &backup,
        &out2,
        &[
            "--sidecar",
            "json",
            "--category",
            "live",
            "--layout",
            "flat",
        ],
    );
    let s: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out2.join("IMG_0001.HEIC.json")).unwrap()).unwrap();
    assert_eq!(s["capture_date"], "2024-05-18T14:03:21+02:00");
    assert_eq!(s["favorite"], true);
    assert_eq!(s["albums"], serde_json::json!(["Trips/Rome"]));
    assert_eq!(s["title"], "Colosseum");

    // Resume: one file lost; --skip-existing rewrites it and keeps the journal whole.
    std::fs::remove_file(out.join("2024/05/IMG_0001.MOV")).unwrap();
    let (so, _) = export(
        &backup,
        &out,
        &["--sidecar", "xmp", "--category", "live", "--skip-existing"],
    );
    assert!(
        so.contains("1 files written") && so.contains("1 skipped"),
        "{so}"
    );
    let j2: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap();
    // The same files with the same provenance; the history gained the resuming run, which
    // wrote the lost file again.
    let without_run = |j: &serde_json::Value| -> Vec<serde_json::Value> {
        let mut v: Vec<serde_json::Value> = j["files"].as_array().unwrap().clone();
        for r in &mut v {
            r.as_object_mut().unwrap().remove("run");
        }
        v.sort_by_key(|r| r["output"].as_str().unwrap().to_string());
        v
    };
    assert_eq!(without_run(&j), without_run(&j2));
    assert_eq!(j2["runs"].as_array().unwrap().len(), 2);
    assert_eq!(j2["runs"][1]["files_written"], 1);
    assert_eq!(j2["runs"][1]["skipped_existing"], 1);
    // Without a flag, an existing output is not replaced.
    let a = unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--category", "live"])
        .assert()
        .code(5);
    assert!(stderr(&a).contains("already exists"), "{}", stderr(&a));
}

#[test]
fn without_photos_sqlite_the_manifest_classifies() {
    let dir = tempfile::tempdir().unwrap();
    let backup = build(
        dir.path(),
        Opts {
            with_db: false,
            ..default_opts(PhotosSchema::Ios18)
        },
    );
    let out = dir.path().join("out");
    let (so, se) = export(&backup, &out, &[]);
    assert!(so.contains("library read from the manifest"), "{so}");
    assert!(se.contains("Photos.sqlite is not in the backup"), "{se}");
    let got = outputs(&out);
    // The xattrs give the original names (the unicode one too), the dates, and the hidden and
    // trashed flags; the Live Photo pairs by folder and stem; edits come from Mutations.
    assert_eq!(got["2024/05/IMG_0001.HEIC"], hash_of(1, "live.heic"));
    assert_eq!(
        got["2024/05/IMG_0001.MOV"],
        sha256(&media("live.mov", "1v"))
    );
    assert_eq!(got["2024/05/Été à Zürich.jpg"], hash_of(9, "zurich.jpg"));
    assert_eq!(
        got["2024/05/IMG_0005 (edited).jpg"],
        sha256(&media("edited_render.jpg", "5e"))
    );
    assert!(!got
        .keys()
        .any(|k| k.contains("IMG_0007") || k.contains("IMG_0008")));
    assert_eq!(
        mtime_unix(&out.join("2024/05/Été à Zürich.jpg")),
        T0 + 60_000
    );
    let a = unback()
        .args(["photos", "ls", "--json", "--category", "live"])
        .arg(&backup)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v[0]["classified_by"], "xattrs");
    assert_eq!(v[0]["uuid"], "00000001-AAAA-4BBB-8CCC-000000000001");
}

#[test]
fn damaged_photos_sqlite_falls_back_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("DAMAGEDPHOTOS");
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        b"SQLite format 3\0 but then garbage".to_vec(),
    ));
    b.add(
        FileSpec::file(
            CR,
            "Media/DCIM/100APPLE/IMG_0001.JPG",
            media("photo_0001.jpg", "d"),
        )
        .with_mtime(T0),
    );
    let backup = b.write(dir.path()).unwrap();
    let out = dir.path().join("out");
    let (so, se) = export(&backup, &out, &["--layout", "flat"]);
    assert!(se.contains("Photos.sqlite"), "{se}");
    assert!(so.contains("from the manifest"), "{so}");
    assert_eq!(
        outputs(&out)["IMG_0001.JPG"],
        sha256(&media("photo_0001.jpg", "d"))
    );
    assert_eq!(mtime_unix(&out.join("IMG_0001.JPG")), T0);
}

#[test]
fn encrypted_library_exports_identically() {
    let dir = tempfile::tempdir().unwrap();
    let plain = build(&dir.path().join("p"), default_opts(PhotosSchema::Ios17_6));
    let enc = build(
        &dir.path().join("e"),
        Opts {
            wal_split: Some(8),
            encryption: Some(Encryption::new("pw", 10, 10)),
            ..default_opts(PhotosSchema::Ios17_6)
        },
    );
    let (o1, o2) = (dir.path().join("o1"), dir.path().join("o2"));
    export(&plain, &o1, &["--category", "apps", "--category", "photos"]);
    let a = unback()
        .args(["photos", "export"])
        .arg(&enc)
        .arg(&o2)
        .args(["--category", "apps", "--category", "photos", "-j", "2"])
        .env("UNBACK_PASSWORD", "pw")
        .assert()
        .success();
    assert!(stdout(&a).contains("library read from Photos.sqlite"));
    assert_eq!(outputs(&o1), outputs(&o2));
    assert!(outputs(&o2).contains_key("2024/05/blob.dat"));
}

#[test]
fn bad_filters_are_usage_errors() {
    unback()
        .args(["photos", "ls"])
        .arg(sample())
        .args(["--category", "selfies"])
        .assert()
        .code(2);
    unback()
        .args(["photos", "ls"])
        .arg(sample())
        .args(["--since", "yesterday"])
        .assert()
        .code(2);
}

/// The README's main job on the committed sample backups, plain and encrypted.
#[test]
fn main_job_on_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let before = fingerprint(&sample());
    let out = dir.path().join("plain");
    let (so, _) = export(&sample(), &out, &[]);
    assert!(so.starts_with("5 assets selected (library read from Photos.sqlite): 7 files written (6944 bytes), 1 from previews"), "{so}");
    // What the default leaves out is said, with the option that adds it.
    assert!(
        so.ends_with(
            "not exported by default, also in the backup:\n  recently-deleted: 1 (add --include-deleted)\n  hidden: 1 (add --include-hidden)\n  messages: 1 file(s) in Messages attachments, not read (add --category messages)\n  whatsapp: 1 file(s) in WhatsApp media, not read (add --category whatsapp)\n"
        ),
        "{so}"
    );
    let want: BTreeMap<String, String> = [
        (
            "2024/05/IMG_0001.JPG",
            "c4500ebbb91322a23e2650f9830aafc8449cf6643b88513fa0d6b37d6d43c3e2",
        ),
        (
            "2024/05/IMG_0001 (edited).jpg",
            "3d8f0268a7b1d00938deb549a74b9b096d0e521e7da53646e0df90f4fce6cfba",
        ),
        (
            "2024/05/IMG_0001 (1).JPG",
            "0c9b182252f7dce50f503c606f4cbfd35e91abfa478be5a0f0307eb1459e6102",
        ),
        (
            "2024/05/IMG_0002.HEIC",
            "38c875a8784ef72bc169c4f4bf5f23d75b4c587632d6655e85395f031de530fc",
        ),
        (
            "2024/05/IMG_0002.MOV",
            "92b8377f39014e7e7089b2ccf250c8f73048bb544bb76b25c036ab0c62c53a03",
        ),
        (
            "2024/05/IMG_0003.PNG",
            "d0e1c5c259c5cc7201af63b298438a46728cb753aa2c33514307de710fd0cefa",
        ),
        (
            "2024/05/IMG_0006 (preview).JPG",
            "0c9b182252f7dce50f503c606f4cbfd35e91abfa478be5a0f0307eb1459e6102",
        ),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(outputs(&out), want);
    assert_eq!(mtime_unix(&out.join("2024/05/IMG_0001.JPG")), 1_716_033_801);
    assert_eq!(mtime_unix(&out.join("2024/05/IMG_0002.MOV")), 1_716_120_000);
    assert_eq!(fingerprint(&sample()), before);

    let out2 = dir.path().join("enc");
    unback()
        .args(["photos", "export"])
        .arg(sample_encrypted())
        .arg(&out2)
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    assert_eq!(outputs(&out2), want);
    let a = unback()
        .args(["photos", "export"])
        .arg(sample())
        .arg(dir.path().join("all"))
        .args(["--include-hidden", "--include-deleted", "--layout", "album"])
        .assert()
        .success();
    // Hidden and deleted were asked for; only the unread attachments are left to mention.
    assert!(
        stdout(&a).ends_with("also in the backup:\n  messages: 1 file(s) in Messages attachments, not read (add --category messages)\n  whatsapp: 1 file(s) in WhatsApp media, not read (add --category whatsapp)\n"),
        "{}",
        stdout(&a)
    );
    let got: Vec<String> = outputs(&dir.path().join("all")).into_keys().collect();
    assert_eq!(
        got,
        [
            "Hidden/Not in an album/IMG_0004.MOV",
            "Not in an album/IMG_0002.HEIC",
            "Not in an album/IMG_0002.MOV",
            "Not in an album/IMG_0003.PNG",
            "Not in an album/IMG_0006 (preview).JPG",
            "Recently Deleted/Trips/Zürich/Été à Zürich.jpg",
            "Trips/Zürich/IMG_0001 (1).JPG",
            "Trips/Zürich/IMG_0001 (edited).jpg",
            "Trips/Zürich/IMG_0001.JPG",
        ],
        "{}",
        stdout(&a)
    );
}
