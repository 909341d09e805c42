//! The corpus of the `photos export --convert jpeg` benchmark (BENCHMARKS.md 7, issue 14): a
//! plain backup of 200 HEIC photos, copies of the eight real iPhone HEICs of
//! `../shared/realdata/RhetTbull_osxphotos/tests/test-images/` (12.2, 7.2 and 24.5 Mpx) in turn,
//! each made distinct by a top-level `free` box appended with its number (ISO/IEC 14496-12
//! lets a reader skip a `free` box anywhere at the top level, so every copy decodes to the
//! same pixels while its SHA-256 differs, as 200 real photos' would).
//!
//! Ignored: it writes about 330 MB. Run it by hand, then the script that times the export:
//! `UNBACK_BENCH_DIR=/tmp/unback-bench cargo test --release --test convert_bench -- --ignored`
//! `scripts/bench/convert_export.sh`

mod common;

use std::path::PathBuf;

use common::read_realdata;
use unback::builder::photos_db::{PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, FileSpec, COCOA_EPOCH_OFFSET};

const SAMPLES: [&str; 8] = [
    "IMG_1853.HEIC",
    "IMG_3092.heic",
    "IMG_6161.HEIC",
    "IMG_E1853.heic",
    "media_types/IMG_0102.HEIC",
    "media_types/IMG_3582.HEIC",
    "media_types/IMG_4076.HEIC",
    "media_types/IMG_5747.HEIC",
];

#[test]
#[ignore = "writes a large benchmark corpus; run by hand (see the module comment)"]
fn generate_convert_corpus() {
    let n: usize = std::env::var("UNBACK_BENCH_HEICS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = PathBuf::from(
        std::env::var("UNBACK_BENCH_DIR").unwrap_or_else(|_| "/tmp/unback-bench".into()),
    )
    .join(format!("convert-heic-{n}"));
    if dir.exists() {
        eprintln!("{} exists; remove it to generate again", dir.display());
        println!("{}", dir.join("00008110-000C0BE4C0BE4C00").display());
        return;
    }
    let samples: Vec<Vec<u8>> = SAMPLES
        .iter()
        .map(|s| {
            read_realdata(&format!("RhetTbull_osxphotos/tests/test-images/{s}"))
                .expect("the real HEICs of ../shared/realdata")
        })
        .collect();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    let mut files = Vec::with_capacity(n + 1);
    let start: i64 = 1_700_000_000;
    for k in 0..n {
        let t = start + k as i64 * 600;
        let uuid = format!("{k:08X}-C0BE-4000-8000-{k:012X}");
        let name = format!("IMG_{:04}.HEIC", k + 1);
        let mut body = samples[k % samples.len()].clone();
        // size (12), type, then the copy's number: one more top-level box.
        body.extend_from_slice(&12u32.to_be_bytes());
        body.extend_from_slice(b"free");
        body.extend_from_slice(&(k as u32).to_be_bytes());
        files.push(
            FileSpec::file(
                "CameraRollDomain",
                &format!("Media/DCIM/100APPLE/{name}"),
                body,
            )
            .with_times(t, t, t),
        );
        db.assets.push(PhotoAsset::photo(
            &uuid,
            "DCIM/100APPLE",
            &name,
            t as f64 - COCOA_EPOCH_OFFSET,
        ));
    }
    files.push(FileSpec::file(
        "CameraRollDomain",
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    let mut b = BackupBuilder::new("00008110-000C0BE4C0BE4C00");
    b.device_name = "Bench iPhone".into();
    b.files = files;
    b.add_parents();
    std::fs::create_dir_all(&dir).unwrap();
    let out = b.write(&dir).unwrap();
    println!("{}", out.display());
}
