//! The HEVC decode of heic-rs alone, on the real iPhone photos the convert bench uses
//! (`../shared/realdata/RhetTbull_osxphotos/tests/test-images`, `*.heic` there and in
//! `media_types/`): every tile of each primary image decoded serially with
//! `heic_rs::hevc::decode_still`, as `benches/convert.rs`'s `hevc_only` does.
//!
//! Prints, per file, the SHA-256 of every decoded plane of every tile (so two builds of the
//! vendored decoder can be compared byte for byte), then the process CPU time of each round.
//! `cargo run --release --example hevc_planes [ROUNDS]` (default 3).

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is given.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Every tile of the primary image of `heic`, in the container's order.
fn frames(heic: &[u8]) -> Vec<heic_rs::hevc::Frame> {
    let ctx = heic_rs::context::Context::open(heic).expect("container");
    let id = ctx.meta.primary;
    let tiles = match ctx.grid(id).expect("grid") {
        Some((_, t)) => t,
        None => vec![id],
    };
    tiles
        .into_iter()
        .map(|t| {
            let p = ctx.props(t).expect("props");
            let hvcc = p.hvcc.as_ref().expect("hvcC");
            let data = ctx.item_data(t).expect("data");
            let nals = hvcc.split_nals(&data).expect("nals");
            heic_rs::hevc::decode_still(&hvcc.parameter_sets(), &nals).expect("tile")
        })
        .collect()
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata/RhetTbull_osxphotos/tests/test-images");
    let mut files: Vec<PathBuf> = [dir.clone(), dir.join("media_types")]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("heic"))
        })
        .collect();
    files.sort();
    let data: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    for (f, heic) in files.iter().zip(&data) {
        let mut h = Sha256::new();
        for fr in frames(heic) {
            for plane in [&fr.y, &fr.cb, &fr.cr] {
                for s in plane.iter() {
                    h.update(s.to_le_bytes());
                }
            }
        }
        println!(
            "{} {}",
            hex::encode(h.finalize()),
            f.file_name().unwrap_or_default().to_string_lossy()
        );
    }
    for r in 0..rounds {
        let c0 = cpu_seconds();
        for heic in &data {
            std::hint::black_box(frames(heic));
        }
        println!("round {r}: {:.3} s CPU", cpu_seconds() - c0);
    }
}
