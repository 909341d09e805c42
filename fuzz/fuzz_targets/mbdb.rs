//! Manifest.mbdb (iOS 5–9): the record list, its entries, and the copy without per-file keys
//! that `decrypt` writes; a copy must parse to the same entries.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unback::manifest::mbdb::{read_entries, without_keys};

fuzz_target!(|data: &[u8]| {
    let entries = read_entries(data);
    if let Ok(stripped) = without_keys(data) {
        let again = read_entries(&stripped).expect("a stripped index parses");
        if let Ok(e) = entries {
            assert_eq!(e.len(), again.len());
        }
    }
});
