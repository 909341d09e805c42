//! A database image and a `-wal` beside it (Manifest.db, Photos.sqlite): applying the committed
//! frames never grows the image past what the two files can hold, and the result opens or is
//! refused cleanly. The first two bytes give the database part's length in 512-byte units.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unback::sqlite::{apply_wal, open_bytes};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let n = (usize::from(u16::from_be_bytes([data[0], data[1]])) * 512).min(data.len() - 2);
    let (db, wal) = data[2..].split_at(n);
    let mut image = db.to_vec();
    if apply_wal(&mut image, wal).is_ok() {
        assert!(image.len() <= db.len() + wal.len() + 65_536);
    }
    let _ = open_bytes(db.to_vec(), Some(wal));
});
