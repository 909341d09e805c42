//! Keybag TLVs (Manifest.plist `BackupKeyBag`): parsing and the password-recovery hash line.
//! No key derivation: hostile ITER/DPIC values make it slow, not unsafe.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unback::keybag::Keybag;

fuzz_target!(|data: &[u8]| {
    if let Ok(kb) = Keybag::parse(data) {
        let _ = kb.hash_line();
        let _ = kb.uses_double_kdf();
    }
});
