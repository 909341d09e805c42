//! Arbitrary bytes into the carver: it must never panic, and everything it reports must lie
//! inside the buffer, in offset order, within the limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unback::recover::carve::{carve, CarveLimits};

fuzz_target!(|data: &[u8]| {
    // Small limits too, so the max_results / max_image_len paths are exercised.
    for limits in [
        CarveLimits {
            min_image_len: 0,
            ..CarveLimits::default()
        },
        CarveLimits {
            max_results: 3,
            max_image_len: 512,
            min_image_len: 16,
        },
    ] {
        let found = carve(data, &limits);
        assert!(found.len() <= limits.max_results);
        let mut last = 0u64;
        for c in &found {
            assert!(c.offset >= last);
            last = c.offset;
            assert!(c.len >= limits.min_image_len && c.len <= limits.max_image_len);
            assert!(c.offset + c.len <= data.len() as u64);
        }
    }
});
