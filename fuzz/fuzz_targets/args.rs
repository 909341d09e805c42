//! The user's own strings: `--since`/`--until` dates and path/domain globs.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let _ = unback::plan::photos::DateBound::parse(s);
    let _ = unback::select::Selection::new(&[s.to_string()], &[s.to_string()], None);
});
