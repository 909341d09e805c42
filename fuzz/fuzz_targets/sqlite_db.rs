//! A Manifest.db or Photos.sqlite from a hostile backup: opened from bytes as every encrypted or
//! zipped index is, then read as a file index and as a Photos library (assets, albums, joins).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(conn) = unback::sqlite::open_bytes(data.to_vec(), None) {
        let _ = unback::manifest::db::read_entries(&conn);
        let mut notes = Vec::new();
        if let Ok((assets, albums, _)) = unback::photos::library::read_library(&conn, &mut notes) {
            // The invariant the rest of the tool relies on: no asset names an album it lacks.
            for a in &assets {
                assert!(a.albums.iter().all(|&i| i < albums.len()));
            }
        }
    }
});
