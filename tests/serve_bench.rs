//! The corpus of the `unback serve` benchmarks (BENCHMARKS.md, "serve"): a plain backup of
//! N assets (50,000 by default) whose every asset has, like a real library, the Photos app's
//! own JPEG thumbnail beside it (`Media/PhotoData/Thumbnails/V2/DCIM/…/IMG_n.HEIC/5005.JPG`),
//! so thumbnail latency is measured on the path the page takes for real backups.
//!
//! Ignored: it writes about 1 GB of small files. Run it by hand:
//! `UNBACK_BENCH_DIR=/tmp/unback-bench-serve cargo test --release --test serve_bench -- --ignored`
//! then `tests/py/serve_bench.py` (its docstring says how).

mod common;

use std::path::PathBuf;

use unback::builder::photos_db::{PhotoAlbum, PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{generated_bytes, BackupBuilder, FileSpec, COCOA_EPOCH_OFFSET};

/// A thumbnail of the size the Photos app keeps (5005.JPG is about 20–60 KB at 512 px; these
/// are 256 × 192, about 8 KB), in one of a few colours, made once each.
fn thumbnails() -> Vec<Vec<u8>> {
    (0..16)
        .map(|k| {
            let (w, h) = (256u16, 192u16);
            let mut px = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
            for y in 0..h {
                for x in 0..w {
                    let v = ((u32::from(x) * 7 + u32::from(y) * 5 + k * 40) % 256) as u8;
                    px.extend_from_slice(&[v, v.wrapping_mul(3), (k * 16) as u8]);
                }
            }
            let mut out = Vec::new();
            jpeg_encoder::Encoder::new(&mut out, 85)
                .encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
                .unwrap();
            out
        })
        .collect()
}

#[test]
#[ignore = "writes a large benchmark corpus; run by hand (see the module comment)"]
fn generate_serve_corpus() {
    use std::io::Read;
    let n: usize = std::env::var("UNBACK_BENCH_ASSETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let dir = PathBuf::from(
        std::env::var("UNBACK_BENCH_DIR").unwrap_or_else(|_| "/tmp/unback-bench-serve".into()),
    )
    .join(format!("serve-lib-{n}"));
    if dir.exists() {
        eprintln!("{} exists; remove it to generate again", dir.display());
        return;
    }
    let thumbs = thumbnails();
    let mut files = Vec::with_capacity(2 * n + 1);
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    let start: i64 = 1_600_000_000;
    for k in 0..n {
        let t = start + k as i64 * 1_800;
        let uuid = format!("{k:08X}-BE7C-4000-8000-{k:012X}");
        let d = format!("DCIM/{}APPLE", 100 + k / 999);
        let name = format!("IMG_{:04}.HEIC", k % 10_000);
        let mut body = Vec::new();
        generated_bytes(1_000 + (k as u64 % 1_000), k as u64)
            .read_to_end(&mut body)
            .unwrap();
        files.push(
            FileSpec::file("CameraRollDomain", &format!("Media/{d}/{name}"), body)
                .with_times(t, t, t),
        );
        let mut thumb = thumbs[k % thumbs.len()].clone();
        thumb.extend_from_slice(format!("\0{k}").as_bytes());
        files.push(FileSpec::file(
            "CameraRollDomain",
            &format!("Media/PhotoData/Thumbnails/V2/{d}/{name}/5005.JPG"),
            thumb,
        ));
        let mut row = PhotoAsset::photo(&uuid, &d, &name, t as f64 - COCOA_EPOCH_OFFSET);
        row.favorite = k % 20 == 0;
        row.hidden = k % 100 == 1;
        if k % 100 == 2 {
            row.trashed_state = 1;
            row.trashed_date = Some(t as f64 - COCOA_EPOCH_OFFSET + 86_400.0);
        }
        row.timezone_offset = Some(3600);
        row.timezone_name = Some("Europe/Paris".into());
        db.assets.push(row);
    }
    for a in 0..40usize {
        db.albums.push(PhotoAlbum {
            uuid: format!("A1B00000-0000-4000-8000-{a:012X}"),
            title: Some(format!("Album {a}")),
            kind: 2,
            parent: None,
            assets: (a..n).step_by(97).collect(),
            trashed_state: 0,
            cloud_guid: None,
        });
    }
    files.push(FileSpec::file(
        "CameraRollDomain",
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    let mut b = BackupBuilder::new("00008110-0005E5E0005E5E00");
    b.device_name = "Bench iPhone".into();
    b.files = files;
    b.add_parents();
    std::fs::create_dir_all(&dir).unwrap();
    let out = b.write(&dir).unwrap();
    println!("{}", out.display());
}
