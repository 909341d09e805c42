//! `photos export --convert` end to end on real iPhone HEICs (osxphotos' test images, read from
//! `../shared/realdata`): an edited photo whose original and render are both HEIC, a Live Photo
//! whose still is HEIC, and a HEIC that does not decode. The JPEG written is exactly what the
//! library's converter makes (its pixels, colour and metadata are held against libheif and
//! exiftool in `tests/convert.rs`); here the export's names, roles, hashes, times and fallbacks.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, FileSpec};
use unback::convert::{heic_to_jpeg, JpegOptions};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;
const T: i64 = 1_600_000_000;
const IMAGES: &str = "RhetTbull_osxphotos/tests/test-images";

struct Heics {
    original: Vec<u8>,
    render: Vec<u8>,
    live: Vec<u8>,
}

fn heics() -> Option<Heics> {
    Some(Heics {
        original: read_realdata(&format!("{IMAGES}/IMG_1853.HEIC"))?,
        render: read_realdata(&format!("{IMAGES}/IMG_E1853.heic"))?,
        live: read_realdata(&format!("{IMAGES}/IMG_6161.HEIC"))?,
    })
}

fn backup(dir: &Path, h: &Heics) -> PathBuf {
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    let uuid = |n: u8| format!("C0DEC000-0000-4000-8000-{n:012X}");
    let mut edited = PhotoAsset::photo(
        &uuid(1),
        "DCIM/100APPLE",
        "IMG_1853.HEIC",
        (T - COCOA) as f64,
    );
    edited.has_adjustments = true;
    let mut live = PhotoAsset::photo(
        &uuid(2),
        "DCIM/100APPLE",
        "IMG_6161.HEIC",
        (T + 60 - COCOA) as f64,
    );
    live.kind_subtype = 2;
    live.playback_style = 3;
    // Named HEIC, but not one: it must come out as it is, with a problem reported.
    let broken = PhotoAsset::photo(
        &uuid(3),
        "DCIM/100APPLE",
        "IMG_0003.HEIC",
        (T + 120 - COCOA) as f64,
    );
    db.assets = vec![edited, live, broken];
    let mut b = BackupBuilder::new("CONVERT");
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/DCIM/100APPLE/IMG_1853.HEIC",
        h.original.clone(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/PhotoData/Mutations/DCIM/100APPLE/IMG_1853/Adjustments/FullSizeRender.heic",
        h.render.clone(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/DCIM/100APPLE/IMG_6161.HEIC",
        h.live.clone(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/DCIM/100APPLE/IMG_6161.MOV",
        std::fs::read(root().join("fixtures/media/live.mov")).unwrap(),
    ));
    b.add(FileSpec::file(
        CR,
        "Media/DCIM/100APPLE/IMG_0003.HEIC",
        b"not a HEIC at all".to_vec(),
    ));
    b.add_parents();
    b.write(dir).unwrap()
}

fn jpeg(heic: &[u8]) -> Vec<u8> {
    heic_to_jpeg(heic, &JpegOptions::default()).unwrap().jpeg
}

fn journal(out: &Path) -> Vec<serde_json::Value> {
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-export.json")).unwrap()).unwrap();
    j["files"].as_array().unwrap().clone()
}

fn names(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("unback-export"))
        .collect();
    v.sort();
    v
}

#[test]
fn convert_jpeg_writes_jpegs_in_place_of_heic_stills() {
    let Some(h) = heics() else { return };
    let dir = tempfile::tempdir().unwrap();
    let b = backup(dir.path(), &h);
    let out = dir.path().join("out");
    let a = unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(&out)
        .args(["--layout", "flat", "--convert", "jpeg"])
        .assert()
        .code(5);
    assert!(
        stderr(&a).contains("IMG_0003.HEIC") && stderr(&a).contains("not converted to JPEG"),
        "{}",
        stderr(&a)
    );
    // The broken HEIC is written, so it is not a failed file: it is counted on its own.
    assert!(
        stdout(&a).contains(" 0 failed,")
            && stdout(&a)
                .contains("  1 HEIC not converted to JPEG: written as the phone stored them"),
        "{}",
        stdout(&a)
    );
    assert_eq!(
        names(&out),
        [
            "IMG_0003.HEIC",
            "IMG_1853 (edited).jpg",
            "IMG_1853.JPG",
            "IMG_6161.JPG",
            "IMG_6161.MOV"
        ]
    );
    assert_eq!(
        std::fs::read(out.join("IMG_1853.JPG")).unwrap(),
        jpeg(&h.original)
    );
    assert_eq!(
        std::fs::read(out.join("IMG_1853 (edited).jpg")).unwrap(),
        jpeg(&h.render)
    );
    assert_eq!(
        std::fs::read(out.join("IMG_6161.JPG")).unwrap(),
        jpeg(&h.live)
    );
    assert_eq!(
        std::fs::read(out.join("IMG_0003.HEIC")).unwrap(),
        b"not a HEIC at all"
    );
    // The capture date, as for every export.
    assert_eq!(mtime_unix(&out.join("IMG_1853.JPG")), T);
    assert_eq!(mtime_unix(&out.join("IMG_6161.JPG")), T + 60);
    let j = journal(&out);
    let rec = |name: &str| j.iter().find(|r| r["output"] == name).unwrap().clone();
    let r = rec("IMG_1853.JPG");
    assert_eq!(r["role"], "converted");
    assert_eq!(r["sha256"], sha256(&jpeg(&h.original)));
    assert_eq!(r["source_sha256"], sha256(&h.original));
    assert_eq!(r["relative_path"], "Media/DCIM/100APPLE/IMG_1853.HEIC");
    assert_eq!(rec("IMG_6161.MOV")["role"], "live-video");
    let fallback = rec("IMG_0003.HEIC");
    assert_eq!(fallback["role"], "original");
    assert!(fallback.get("source_sha256").is_none());
    // The CSV carries the same two hashes.
    let csv = std::fs::read_to_string(out.join("unback-export.csv")).unwrap();
    // (then the asset's metadata columns, issue 15)
    assert!(csv.lines().next().unwrap().ends_with(&format!(
        ",sha256,source_sha256,mtime,source_mtime,run,linked_to,{}",
        unback::photos::meta::AssetMeta::CSV_COLUMNS
    )));
    assert!(csv.contains(&format!(
        "{},{}",
        sha256(&jpeg(&h.original)),
        sha256(&h.original)
    )));
}

#[test]
fn convert_both_writes_the_jpeg_beside_the_original_and_resumes_without_decoding() {
    let Some(h) = heics() else { return };
    let dir = tempfile::tempdir().unwrap();
    let b = backup(dir.path(), &h);
    let out = dir.path().join("out");
    let run = |extra: &[&str]| {
        unback()
            .args(["photos", "export"])
            .arg(&b)
            .arg(&out)
            .args([
                "--layout",
                "flat",
                "--convert",
                "both",
                "--jpeg-quality",
                "75",
            ])
            .args(extra)
            .assert()
            .code(5)
    };
    run(&[]);
    assert_eq!(
        names(&out),
        [
            "IMG_0003.HEIC",
            "IMG_1853 (edited).heic",
            "IMG_1853 (edited).jpg",
            "IMG_1853.HEIC",
            "IMG_1853.JPG",
            "IMG_6161.HEIC",
            "IMG_6161.JPG",
            "IMG_6161.MOV"
        ]
    );
    assert_eq!(
        std::fs::read(out.join("IMG_1853.HEIC")).unwrap(),
        h.original
    );
    let q75 = heic_to_jpeg(
        &h.original,
        &JpegOptions {
            quality: 75,
            ..Default::default()
        },
    )
    .unwrap()
    .jpeg;
    assert_eq!(std::fs::read(out.join("IMG_1853.JPG")).unwrap(), q75);
    let first = journal(&out);
    // A resumed run leaves every file and records the same hashes.
    let before = file_hashes(&out);
    let a = run(&["--skip-existing"]);
    assert!(stdout(&a).contains("0 files written"), "{}", stdout(&a));
    let mut after = file_hashes(&out);
    let mut before = before;
    for m in [&mut after, &mut before] {
        m.remove("unback-export.json");
        m.remove("unback-export.csv");
    }
    assert_eq!(after, before);
    let again = journal(&out);
    let sha = |j: &[serde_json::Value], n: &str| {
        j.iter()
            .find(|r| r["output"] == n)
            .map(|r| r["sha256"].clone())
    };
    assert_eq!(sha(&again, "IMG_1853.JPG"), sha(&first, "IMG_1853.JPG"));
}

#[test]
fn jpeg_quality_outside_1_to_100_is_a_usage_error() {
    let out = tempfile::tempdir().unwrap();
    for q in ["0", "101"] {
        unback()
            .args(["photos", "export"])
            .arg(sample())
            .arg(out.path().join("x"))
            .args(["--convert", "jpeg", "--jpeg-quality", q])
            .assert()
            .code(2);
    }
}
