//! A Manifest.db or Photos.sqlite from a hostile backup: opened from bytes as every encrypted or
//! zipped index is, then read as a file index and asked for its Photos schema.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(conn) = unback::sqlite::open_bytes(data.to_vec(), None) {
        let _ = unback::manifest::db::read_entries(&conn);
        let _ = unback::photos::schema::discover(&conn);
    }
});
