//! Which assets a selection takes (issue 15): `--all` (everything the backup holds, in one
//! switch) and bursts as the Photos app shows them (the key photo and the frames the user
//! picked; the other frames with `--category bursts` or `--all`). One builder backup holds one
//! of each kind, and every listing and export is checked by exact names and counts, and the
//! summaries by their exact lines.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, FileSpec};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;
/// 2024-05-18T12:03:21Z.
const T0: i64 = 1_716_033_801;

fn media(name: &str, tag: &str) -> Vec<u8> {
    let mut b = std::fs::read(root().join("fixtures/media").join(name)).unwrap();
    b.extend_from_slice(format!("\0unback-test:{tag}").as_bytes());
    b
}

fn uuid(n: u8) -> String {
    format!("0000{n:04X}-BBBB-4BBB-8CCC-{n:012X}")
}

/// `ZAVALANCHEPICKTYPE` values as Photos writes them (flags named in osxphotos'
/// `_constants.py`): the key photo Photos chose itself (16 key | 4 default pick | 32, which
/// comes with 4), a frame the user kept (8), and frames left in the stack (2).
const KEY: i64 = 16 | 4 | 32;
const PICKED: i64 = 8;
const NOT_SELECTED: i64 = 2;

/// One of each kind: a camera photo, an iCloud photo, a hidden and a deleted photo, a
/// shared-album photo, a five-frame burst (key, user-picked, three others), and outside the
/// library a Messages attachment, WhatsApp media and an app's image (each beside a file of the
/// same place that is not media).
fn build(dir: &Path, schema: PhotosSchema) -> PathBuf {
    let mut b = BackupBuilder::new("SELECTION");
    let mut rows = Vec::new();
    let mut add = |n: u8, dir: &str, file: &str, f: &dyn Fn(&mut PhotoAsset)| {
        let t = T0 + i64::from(n) * 60;
        let mut row = PhotoAsset::photo(&uuid(n), dir, file, (t - COCOA) as f64);
        row.timezone_offset = Some(7200);
        row.timezone_name = Some("GMT+0200".into());
        f(&mut row);
        b.add(
            FileSpec::file(
                CR,
                &format!("Media/{dir}/{file}"),
                media("photo_0001.jpg", &n.to_string()),
            )
            .with_mtime(t),
        );
        rows.push(row);
    };
    add(1, "DCIM/100APPLE", "IMG_0001.JPG", &|_| {});
    add(
        2,
        "PhotoData/CPLAssets/group3",
        &format!("{}.JPG", uuid(2)),
        &|r| {
            r.saved_asset_type = 6;
            r.original_filename = Some("cloud.jpg".into());
        },
    );
    add(3, "DCIM/100APPLE", "IMG_0003.JPG", &|r| r.hidden = true);
    add(4, "DCIM/100APPLE", "IMG_0004.JPG", &|r| {
        r.trashed_state = 1;
        r.trashed_date = Some((T0 + 86_400 - COCOA) as f64);
    });
    add(
        5,
        "PhotoData/PhotoCloudSharingData/1/ALBUM/100CLOUD",
        "IMG_0005.JPG",
        &|r| r.saved_asset_type = 4,
    );
    for (n, pick) in [
        (10, NOT_SELECTED),
        (11, KEY),
        (12, NOT_SELECTED),
        (13, PICKED),
        (14, NOT_SELECTED),
    ] {
        add(n, "DCIM/100APPLE", &format!("IMG_00{n}.JPG"), &|r| {
            r.avalanche_uuid = Some("BURST-A".into());
            r.avalanche_pick_type = pick;
        });
    }
    let mut db = PhotosDbBuilder::new(schema);
    db.assets = rows;
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    for (domain, path, data, t) in [
        (
            "MediaDomain",
            "Library/SMS/Attachments/0a/10/GUID-1/IMG_7001.jpeg",
            media("sms_5501.jpeg", "sms"),
            T0 + 2000,
        ),
        (
            "MediaDomain",
            "Library/SMS/Attachments/0a/10/GUID-2/card.vcf",
            b"BEGIN:VCARD\nEND:VCARD\n".to_vec(),
            T0 + 2001,
        ),
        (
            "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
            "Message/Media/4179@s.whatsapp.net/a/b/wa.jpg",
            media("whatsapp.jpg", "wa"),
            T0 + 2100,
        ),
        (
            "AppDomain-com.example.app",
            "Library/Caches/cached.bin",
            media("photo_0001.jpg", "app"),
            T0 + 2200,
        ),
        (
            "AppDomain-com.example.app",
            "Documents/notes.txt",
            b"not an image".to_vec(),
            T0 + 2201,
        ),
    ] {
        b.add(FileSpec::file(domain, path, data).with_mtime(t));
    }
    b.add_parents();
    b.write(dir).unwrap()
}

/// The file names `photos ls --json` lists, in its order (capture date), and its stderr.
fn ls(backup: &Path, args: &[&str]) -> (Vec<String>, String) {
    let a = unback()
        .args(["photos", "ls", "--json"])
        .arg(backup)
        .args(args)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    let names = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let p = r["relative_path"].as_str().unwrap();
            p.rsplit('/').next().unwrap().to_string()
        })
        .collect();
    (names, stderr(&a))
}

fn exported(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = file_hashes(out)
        .into_keys()
        .filter(|p| !p.starts_with("unback-export."))
        .collect();
    v.sort();
    v
}

fn summary_tail(stdout: &str, from: &str) -> Vec<String> {
    stdout
        .lines()
        .skip_while(|l| !l.starts_with(from))
        .map(str::to_string)
        .collect()
}

const CAMERA_ROLL: [&str; 4] = [
    "IMG_0001.JPG",
    "00000002-BBBB-4BBB-8CCC-000000000002.JPG",
    "IMG_0011.JPG",
    "IMG_0013.JPG",
];

#[test]
fn bursts_show_the_key_and_picked_frames_unless_asked() {
    for schema in [PhotosSchema::Ios13, PhotosSchema::Ios18] {
        let dir = tempfile::tempdir().unwrap();
        let backup = build(dir.path(), schema);
        // Default: the key photo (11) and the frame the user kept (13), no other frame.
        let (names, err) = ls(&backup, &[]);
        assert_eq!(names, CAMERA_ROLL, "{schema:?}");
        assert!(
            err.contains("unback: not listed by default: bursts: 3 burst frame(s) Photos keeps inside their stack, neither the key photo nor picked (add --category bursts)\n"),
            "{err}"
        );
        // `--category bursts`: every frame of the burst.
        let (names, _) = ls(&backup, &["--category", "bursts"]);
        assert_eq!(
            names,
            [
                "IMG_0010.JPG",
                "IMG_0011.JPG",
                "IMG_0012.JPG",
                "IMG_0013.JPG",
                "IMG_0014.JPG"
            ],
            "{schema:?}"
        );
        // Another category does not bring the frames in the stack in, as it does not bring
        // hidden photos in (the shared-album photo is a photo, so it is there).
        let (names, _) = ls(&backup, &["--category", "photos"]);
        assert_eq!(
            names,
            [
                "IMG_0001.JPG",
                "00000002-BBBB-4BBB-8CCC-000000000002.JPG",
                "IMG_0005.JPG",
                "IMG_0011.JPG",
                "IMG_0013.JPG"
            ],
            "{schema:?}"
        );
    }

    // The export says the same, and writes the two frames Photos shows.
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), PhotosSchema::Ios18);
    let out = dir.path().join("out");
    let a = unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .assert()
        .success();
    let so = stdout(&a);
    assert_eq!(
        exported(&out),
        [
            "2024/05/IMG_0001.JPG",
            "2024/05/IMG_0011.JPG",
            "2024/05/IMG_0013.JPG",
            "2024/05/cloud.jpg"
        ]
    );
    assert_eq!(
        summary_tail(&so, "not exported by default"),
        [
            "not exported by default, also in the backup:",
            "  recently-deleted: 1 (add --include-deleted)",
            "  hidden: 1 (add --include-hidden)",
            "  bursts: 3 burst frame(s) Photos keeps inside their stack, neither the key photo nor picked (add --category bursts)",
            "  shared-albums: 1 (add --category shared-albums)",
            "  messages: 2 file(s) in Messages attachments, not read (add --category messages)",
            "  whatsapp: 1 file(s) in WhatsApp media, not read (add --category whatsapp)",
        ],
        "{so}"
    );
    let out = dir.path().join("bursts");
    unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--category", "bursts", "--layout", "flat"])
        .assert()
        .success();
    assert_eq!(
        exported(&out),
        [
            "IMG_0010.JPG",
            "IMG_0011.JPG",
            "IMG_0012.JPG",
            "IMG_0013.JPG",
            "IMG_0014.JPG"
        ]
    );
}

#[test]
fn all_takes_every_asset_and_media_file_and_the_counts_add_up() {
    for schema in [PhotosSchema::Ios13, PhotosSchema::Ios18] {
        let dir = tempfile::tempdir().unwrap();
        let backup = build(dir.path(), schema);
        let (names, err) = ls(&backup, &["--all"]);
        assert_eq!(
            names,
            [
                "IMG_0001.JPG",
                "00000002-BBBB-4BBB-8CCC-000000000002.JPG",
                "IMG_0003.JPG",
                "IMG_0004.JPG",
                "IMG_0005.JPG",
                "IMG_0010.JPG",
                "IMG_0011.JPG",
                "IMG_0012.JPG",
                "IMG_0013.JPG",
                "IMG_0014.JPG",
                "IMG_7001.jpeg",
                "wa.jpg",
                "cached.bin",
            ],
            "{schema:?}"
        );
        // Nothing is "not listed by default"; the parts of the whole add up to it.
        assert!(!err.contains("not listed by default"), "{err}");
        assert!(
            err.contains("unback: everything (--all): 13 assets: 4 in the camera roll, 1 recently-deleted, 1 hidden, 3 burst frames out of view, 1 only in shared albums, 1 from Messages, 1 from WhatsApp, 1 from other apps\n"),
            "{err}"
        );
        // The default plus what it says it left out is the library part of --all: 4 + 1 + 1
        // + 3 + 1 = 10 assets; the 3 other files are the media among the files it names (the
        // vCard and the text file are not media).
        let (default, _) = ls(&backup, &[]);
        assert_eq!(default.len() + 1 + 1 + 3 + 1, 10);
        // The union of every category is --all.
        let (union, _) = ls(
            &backup,
            &[
                "--category",
                "photos,videos,hidden,recently-deleted,bursts,shared-albums,icloud,messages,whatsapp,apps",
            ],
        );
        let mut u = union.clone();
        u.sort();
        let mut n = names.clone();
        n.sort();
        assert_eq!(u, n, "{schema:?}");
        // Filters still narrow it: the morning's library assets only.
        let (names, _) = ls(&backup, &["--all", "--until", "2024-05-18T12:10:00Z"]);
        assert_eq!(
            names,
            [
                "IMG_0001.JPG",
                "00000002-BBBB-4BBB-8CCC-000000000002.JPG",
                "IMG_0003.JPG",
                "IMG_0004.JPG",
                "IMG_0005.JPG",
            ]
        );
    }

    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), PhotosSchema::Ios18);
    let out = dir.path().join("out");
    let a = unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .arg("--all")
        .assert()
        .success();
    let so = stdout(&a);
    assert_eq!(
        exported(&out),
        [
            "2024/05/IMG_0001.JPG",
            "2024/05/IMG_0005.JPG",
            "2024/05/IMG_0010.JPG",
            "2024/05/IMG_0011.JPG",
            "2024/05/IMG_0012.JPG",
            "2024/05/IMG_0013.JPG",
            "2024/05/IMG_0014.JPG",
            "2024/05/IMG_7001.jpeg",
            "2024/05/cached.bin",
            "2024/05/cloud.jpg",
            "2024/05/wa.jpg",
            "Hidden/2024/05/IMG_0003.JPG",
            "Recently Deleted/2024/05/IMG_0004.JPG",
        ]
    );
    assert!(
        so.starts_with("13 assets selected (library read from Photos.sqlite): 13 files written"),
        "{so}"
    );
    assert_eq!(
        summary_tail(&so, "everything"),
        ["everything (--all): 13 assets: 4 in the camera roll, 1 recently-deleted, 1 hidden, 3 burst frames out of view, 1 only in shared albums, 1 from Messages, 1 from WhatsApp, 1 from other apps"],
        "{so}"
    );
    // --all is every category: combining it with one is a usage error.
    unback()
        .args(["photos", "ls", "--all", "--category", "hidden"])
        .arg(&backup)
        .assert()
        .code(2);
}
