//! Hostile and odd input through the public entry points. Real photos are in tests/convert.rs.

use super::*;

#[test]
fn non_heif_input_is_refused_up_front() {
    for junk in [
        &b""[..],
        b"\xff\xd8\xff\xe0",
        b"\0\0\0\x14ftypqt  \0\0\0\0qt  ",
    ] {
        let e = heic_to_jpeg(junk, &JpegOptions::default()).unwrap_err();
        assert!(matches!(e, ConvertError::NotHeif), "{e}");
    }
    assert!(is_heif(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"));
    assert!(!is_heif(b"\0\0\0\x18ftypavif\0\0\0\0mif1avif"));
}

#[test]
fn a_bare_ftyp_is_malformed_not_a_panic() {
    let f = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    let e = heic_to_jpeg(f, &JpegOptions::default()).unwrap_err();
    assert!(matches!(e, ConvertError::Malformed(_)), "{e}");
}

#[test]
fn the_limiter_never_lets_more_than_n_run() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let limiter = ConvertLimiter::new(2);
    let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let _slot = limiter.acquire();
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                now.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    assert_eq!(peak.load(Ordering::SeqCst), 2);
}

#[test]
fn shrink_averages_and_keeps_the_aspect_ratio() {
    let img = RgbImage {
        width: 4,
        height: 2,
        data: [[0u8, 0, 0], [255, 255, 255]].repeat(4).concat(),
        icc: None,
    };
    let s = shrink(img.clone(), 2);
    assert_eq!((s.width, s.height), (2, 1));
    assert_eq!(s.data, vec![128; 6]);
    assert_eq!(shrink(img.clone(), 10), img);
}

/// A frame of `w`×`h` 4:2:0 8-bit samples, every one different (mod 256).
fn frame(w: u32, h: u32) -> Frame {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let n = |len: u32, base: u16| {
        (0..len)
            .map(|i| (i as u16 + base) % 256)
            .collect::<Vec<_>>()
    };
    Frame {
        width: w,
        height: h,
        bit_depth: 8,
        chroma: heic_rs::ChromaFormat::Yuv420,
        y: n(w * h, 0),
        cb: n(cw * ch, 100),
        cr: n(cw * ch, 200),
        y_stride: w,
        c_stride: cw,
    }
}

fn full_bt601() -> heic_rs::Nclx {
    colour::choose(None, None)
}

#[test]
fn planes_are_the_samples_and_fall_back_where_chroma_would_not_line_up() {
    use heic_rs::{Rotation, Transform};
    let quarter = [Transform::Rotate(Rotation::Ccw90)];
    // Odd sides, not turned: the planes are the samples as they are.
    let p = ycc::planes(None, vec![frame(3, 5)], full_bt601(), &[], false)
        .unwrap()
        .unwrap();
    assert_eq!((p.width, p.height), (3, 5));
    assert_eq!(p.y, (0..15).collect::<Vec<u8>>());
    assert_eq!(p.cb, (100..106).collect::<Vec<u8>>());
    assert_eq!(p.cr, (200..206).collect::<Vec<u8>>());
    // Odd sides, turned: a chroma sample would fall between two of the output's, so RGB.
    assert!(ycc::planes(None, vec![frame(3, 5)], full_bt601(), &quarter, false).is_err());
    // Even sides, turned: each plane turns on its own.
    let p = ycc::planes(None, vec![frame(4, 2)], full_bt601(), &quarter, true)
        .unwrap()
        .unwrap();
    assert_eq!((p.width, p.height), (2, 4));
    // Counter-clockwise: the top row, read right to left, becomes the left column.
    assert_eq!(p.y, vec![3, 7, 2, 6, 1, 5, 0, 4]);
    assert_eq!((p.cb, p.cr), (vec![101, 100], vec![201, 200]));
    // 10-bit samples, another matrix, a crop: RGB.
    let mut deep = frame(4, 2);
    deep.bit_depth = 10;
    assert!(ycc::planes(None, vec![deep], full_bt601(), &[], false).is_err());
    let bt709 = colour::choose(None, Some((1, 1, 1, true)));
    assert!(ycc::planes(None, vec![frame(4, 2)], bt709, &[], false).is_err());
    let clap = heic_rs::props::simple::Clap {
        width: (2, 1),
        height: (2, 1),
        horiz_off: (0, 1),
        vert_off: (0, 1),
    };
    let crop = [Transform::Crop(clap)];
    assert!(ycc::planes(None, vec![frame(4, 2)], full_bt601(), &crop, false).is_err());
}

#[test]
fn limited_range_is_stretched_to_what_jfif_stores() {
    let limited = colour::choose(None, Some((1, 1, 6, false)));
    let mut f = frame(2, 2);
    f.y = vec![16, 235, 0, 126];
    f.cb = vec![16];
    f.cr = vec![240];
    let p = ycc::planes(None, vec![f], limited, &[], false)
        .unwrap()
        .unwrap();
    // (v − 16)·255/219 for luma, (v − 128)·255/224 + 128 for chroma, rounded half away from
    // zero and clamped: chroma 16 is 0.5, 240 is 255.5.
    assert_eq!(p.y, vec![0, 255, 0, 128]);
    assert_eq!((p.cb, p.cr), (vec![1], vec![255]));
}

/// The planes the JPEG is encoded from, for real iPhone photos (grids, one turned a quarter),
/// equal the tiles composed by heic-rs, narrowed to 8 bits and turned by heic-rs's own
/// per-pixel transform: the fast path loses nothing and moves nothing.
#[test]
fn real_iphone_planes_equal_heic_rs_composed_and_turned() {
    for name in ["IMG_1853.HEIC", "IMG_6161.HEIC"] {
        let Some(path) =
            crate::realdata::realdata(&format!("RhetTbull_osxphotos/tests/test-images/{name}"))
        else {
            return;
        };
        let heic = std::fs::read(&path).unwrap();
        let d = decode_primary(&heic, true, MAX_PIXELS, Some(MAX_JPEG_SIDE), true).unwrap();
        let Pixels::Ycc(p) = d.pixels else {
            panic!("{name}: an iPhone HEIC must take the YCbCr path");
        };

        let ctx = Context::open(&heic).unwrap();
        let id = ctx.meta.primary;
        let props = ctx.props(id).unwrap();
        let (g, tiles) = ctx.grid(id).unwrap().expect("iPhone photos are grids");
        let frames: Vec<Frame> = tiles
            .iter()
            .map(|&t| {
                let tp = ctx.props(t).unwrap();
                let hvcc = tp.hvcc.as_ref().unwrap();
                let data = ctx.item_data(t).unwrap();
                let nals = hvcc.split_nals(&data).unwrap();
                heic_rs::hevc::decode_still(&hvcc.parameter_sets(), &nals).unwrap()
            })
            .collect();
        let whole = grid::compose(&g, &frames, MAX_PIXELS).unwrap();
        let (cw, ch) = whole.chroma.chroma_size(whole.width, whole.height);
        let plane = |samples: &[u16], stride: u32, w: u32, h: u32| {
            let data = (0..h as usize)
                .flat_map(|r| &samples[r * stride as usize..][..w as usize])
                .map(|&s| u8::try_from(s).unwrap())
                .collect();
            let img = heic_rs::Image {
                data,
                width: w,
                height: h,
                layout: PixelLayout::Gray8,
            };
            transform::apply_all(img, &props.transforms).unwrap()
        };
        let y = plane(&whole.y, whole.y_stride, whole.width, whole.height);
        assert_eq!((p.width, p.height), (y.width, y.height), "{name}");
        assert!(p.y == y.data, "{name}: luma");
        assert!(
            p.cb == plane(&whole.cb, whole.c_stride, cw, ch).data,
            "{name}: Cb"
        );
        assert!(
            p.cr == plane(&whole.cr, whole.c_stride, cw, ch).data,
            "{name}: Cr"
        );
        if name == "IMG_1853.HEIC" {
            assert!(p.height > p.width, "{name} is stored turned a quarter");
        }
    }
}
