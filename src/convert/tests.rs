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
