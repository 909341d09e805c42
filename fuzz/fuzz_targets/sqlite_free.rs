//! Arbitrary bytes as an SQLite file image and as a `-wal`: recovery must never panic and must
//! stay within its limits. Inputs shorter than a page mostly exercise header checks; seeding the
//! corpus with real databases (see README) reaches the page parsers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unback::recover::sqlite_free::{
    recover_deleted, recover_from_wal, table_root_pages, wal_pages, RecoverLimits,
};

fuzz_target!(|data: &[u8]| {
    let limits = RecoverLimits {
        max_records: 1000,
        max_pages: 64,
        max_overflow_chain: 16,
    };
    if let Ok(found) = recover_deleted(data, &limits) {
        assert!(found.len() <= limits.max_records);
    }
    let _ = table_root_pages(data);
    let frames = wal_pages(data);
    for f in &frames {
        assert!(f.data.len() >= 512);
    }
    let found = recover_from_wal(data, Some(512), &limits);
    assert!(found.len() <= limits.max_records);
});
