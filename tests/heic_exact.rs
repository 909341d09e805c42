//! The vendored heic-rs (vendor/heic-rs, see its UNBACK-PATCHES.md) carries speed-ups that must
//! not change a single decoded sample. This decodes every tile of the 8 real iPhone HEICs in
//! `../shared/realdata/RhetTbull_osxphotos/tests/test-images` (and its `media_types/`) with
//! `heic_rs::hevc::decode_still` and compares the SHA-256 of the planes (Y, Cb, Cr of each tile
//! in the container's order, samples little-endian, as `examples/hevc_planes.rs` prints them)
//! against what the unmodified heic-rs 0.1.4 from crates.io decodes.
//!
//! Skipped (with a message) when the samples are missing; under CI that is a failure.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// `cargo run --release --example hevc_planes 0` with heic-rs 0.1.4 as published.
const V014: [(&str, &str); 8] = [
    (
        "IMG_1853.HEIC",
        "d15db92a7c7597450d6419e4e053040503d839407784e2a1d23547b0cdcd5162",
    ),
    (
        "IMG_3092.heic",
        "1016324a7bd467c11c492ab782fc95ceeff9a2013032967965e7a6b7d721752d",
    ),
    (
        "IMG_6161.HEIC",
        "104def0a85f2de1e19321801735b2213dff64d6a5b7443a47ee2a78295b9eb84",
    ),
    (
        "IMG_E1853.heic",
        "1d4c38dbe8e4aa5ce1de39992bb7e9f19966ea00b1e1cfae3b44d68b8293846b",
    ),
    (
        "media_types/IMG_0102.HEIC",
        "70dc5863ee7a1d8d44ebd5627cefe69f403734811efd73c7e74609c5b73e2646",
    ),
    (
        "media_types/IMG_3582.HEIC",
        "e98d540743c01671ad08d828724e36508b79997a52e70e71ddd04338a997a22c",
    ),
    (
        "media_types/IMG_4076.HEIC",
        "a68343bfcb465b2ac046a80f85ce077f732f19936e52143fff7f1179390fd61e",
    ),
    (
        "media_types/IMG_5747.HEIC",
        "eda4171729dbfe04a877c29665c4ca92e068ba1568aaaafa09da6ec83036ceda",
    ),
];

fn planes_sha256(heic: &[u8]) -> String {
    let ctx = heic_rs::context::Context::open(heic).expect("container");
    let id = ctx.meta.primary;
    let tiles = match ctx.grid(id).expect("grid") {
        Some((_, t)) => t,
        None => vec![id],
    };
    let mut h = Sha256::new();
    for t in tiles {
        let p = ctx.props(t).expect("props");
        let hvcc = p.hvcc.as_ref().expect("hvcC");
        let data = ctx.item_data(t).expect("data");
        let nals = hvcc.split_nals(&data).expect("nals");
        let f = heic_rs::hevc::decode_still(&hvcc.parameter_sets(), &nals).expect("tile");
        for plane in [&f.y, &f.cb, &f.cr] {
            for s in plane.iter() {
                h.update(s.to_le_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

#[test]
fn vendored_heic_rs_decodes_the_real_photos_exactly_as_0_1_4() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata/RhetTbull_osxphotos/tests/test-images");
    if !dir.is_dir() {
        let why = format!("{} is missing", dir.display());
        assert!(std::env::var_os("CI").is_none(), "required under CI: {why}");
        eprintln!("skipped: {why}");
        return;
    }
    let mut wrong = Vec::new();
    for (name, want) in V014 {
        let heic = std::fs::read(dir.join(name)).expect("sample");
        let got = planes_sha256(&heic);
        if got != want {
            wrong.push(format!("{name}: {got}, 0.1.4 gave {want}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "decoded planes differ:\n{}",
        wrong.join("\n")
    );
}
