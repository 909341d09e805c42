//! Issue 15, time zones: a capture date is shown with the UTC offset that applies at that
//! instant in the photo's zone. Builder libraries where the zone name and the stored
//! `ZTIMEZONEOFFSET` disagree (a date moved across a daylight-saving change keeps the old
//! offset), and the cases without a usable name. The rule and its evidence on the real
//! libraries: `src/photos/tz.rs`, `tests/osxphotos.rs`, README "Dates and time zones".

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, FileSpec};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;

/// (file, capture instant in Unix seconds, ZTIMEZONENAME, ZTIMEZONEOFFSET, the date unback shows)
type Case = (
    &'static str,
    i64,
    Option<&'static str>,
    Option<i64>,
    &'static str,
);

const CASES: &[Case] = &[
    // 2024-01-01T07:30:00Z in Los Angeles is PST (-08:00), the evening before: the stored
    // -07:00 is summer time's, left from a date in July.
    (
        "IMG_0001.JPG",
        1_704_094_200,
        Some("America/Los_Angeles"),
        Some(-25_200),
        "2023-12-31T23:30:00-08:00",
    ),
    // London the night summer time ends (2024-10-27, 01:00 UTC), both stored as +01:00:
    // half an hour before the change it is BST, half an hour after GMT (offset 0 prints as Z).
    (
        "IMG_0002.JPG",
        1_729_989_000,
        Some("Europe/London"),
        Some(3600),
        "2024-10-27T01:30:00+01:00",
    ),
    (
        "IMG_0003.JPG",
        1_729_992_600,
        Some("Europe/London"),
        Some(3600),
        "2024-10-27T01:30:00Z",
    ),
    // A half-hour zone with its own summer time (Adelaide, ACDT +10:30 in January).
    (
        "IMG_0004.JPG",
        1_704_094_200,
        Some("Australia/Adelaide"),
        Some(34_200),
        "2024-01-01T18:00:00+10:30",
    ),
    // A fixed name as Photos writes one: no rules, the stored offset.
    (
        "IMG_0005.JPG",
        1_704_094_200,
        Some("GMT-0400"),
        Some(-14_400),
        "2024-01-01T03:30:00-04:00",
    ),
    // A name the database does not know: the stored offset.
    (
        "IMG_0006.JPG",
        1_704_094_200,
        Some("Mars/Olympus_Mons"),
        Some(3600),
        "2024-01-01T08:30:00+01:00",
    ),
    // Nothing stored: a fixed name still gives the offset.
    (
        "IMG_0007.JPG",
        1_704_094_200,
        Some("GMT-0430"),
        None,
        "2024-01-01T03:00:00-04:30",
    ),
    // Neither: UTC, as before.
    (
        "IMG_0008.JPG",
        1_704_094_200,
        None,
        None,
        "2024-01-01T07:30:00Z",
    ),
];

fn build(dir: &Path, schema: PhotosSchema) -> PathBuf {
    let mut b = BackupBuilder::new("TIMEZONES");
    let mut db = PhotosDbBuilder::new(schema);
    for (n, (file, t, name, offset, _)) in CASES.iter().enumerate() {
        let mut row = PhotoAsset::photo(
            &format!("0000{n:04X}-CCCC-4BBB-8CCC-{n:012X}"),
            "DCIM/100APPLE",
            file,
            (t - COCOA) as f64,
        );
        row.timezone_name = name.map(str::to_string);
        row.timezone_offset = *offset;
        db.assets.push(row);
        let mut data = std::fs::read(root().join("fixtures/media/photo_0001.jpg")).unwrap();
        data.extend_from_slice(file.as_bytes());
        b.add(FileSpec::file(CR, &format!("Media/DCIM/100APPLE/{file}"), data).with_mtime(*t));
    }
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add_parents();
    b.write(dir).unwrap()
}

fn listed(backup: &Path, args: &[&str]) -> Vec<(String, String)> {
    let a = unback()
        .args(["photos", "ls", "--json"])
        .arg(backup)
        .args(args)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    let mut out: Vec<(String, String)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["original_filename"].as_str().unwrap().to_string(),
                r["capture_date"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_offset_is_the_zones_at_the_capture_instant() {
    for schema in [PhotosSchema::Ios13, PhotosSchema::Ios18] {
        let dir = tempfile::tempdir().unwrap();
        let backup = build(dir.path(), schema);
        let want: Vec<(String, String)> = CASES
            .iter()
            .map(|c| (c.0.to_string(), c.4.to_string()))
            .collect();
        assert_eq!(listed(&backup, &[]), want, "{schema:?}");
        // The local day follows: the Los Angeles photo was taken on New Year's Eve there.
        let since: Vec<String> = listed(&backup, &["--since", "2024-01-01"])
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert!(!since.contains(&"IMG_0001.JPG".to_string()), "{since:?}");
        assert_eq!(since.len(), CASES.len() - 1);
    }

    // The date layout, the XMP sidecar and the journal use the same local date.
    let dir = tempfile::tempdir().unwrap();
    let backup = build(dir.path(), PhotosSchema::Ios18);
    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--sidecar", "xmp"])
        .assert()
        .success();
    let xmp = std::fs::read_to_string(out.join("2023/12/IMG_0001.JPG.xmp")).unwrap();
    assert!(
        xmp.contains("2023-12-31T23:30:00-08:00"),
        "the sidecar's capture date: {xmp}"
    );
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap();
    let rec = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["output"] == "2023/12/IMG_0001.JPG")
        .unwrap();
    assert_eq!(rec["capture_date"], "2023-12-31T23:30:00-08:00");
    assert!(out.join("2024/10/IMG_0003.JPG").is_file());
}
