//! A zipped backup: the central directory, the backups found in it, and every member read
//! through the streaming (inflating, CRC-checking) reader.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;
use unback::source::zip::{ZipArchiveIndex, ZipSource};

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("b.zip");
    std::fs::write(&path, data).expect("write");
    let Ok(index) = ZipArchiveIndex::open(&path) else {
        return;
    };
    for prefix in index.backup_prefixes() {
        let src = ZipSource::new(index.clone(), &prefix);
        for name in src.blob_names().into_iter().take(16) {
            if let Ok(mut r) = src.open(&name) {
                let mut buf = [0u8; 65_536];
                // Bounded: a member that inflates without end is read 64 KiB at a time, at most 1 MiB.
                for _ in 0..16 {
                    match r.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                }
            }
        }
    }
});
