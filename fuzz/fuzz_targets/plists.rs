//! Manifest.plist, Info.plist and Status.plist, binary or XML, from a hostile backup folder.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unback::plists::{InfoPlist, ManifestPlist, StatusPlist};

fuzz_target!(|data: &[u8]| {
    let _ = ManifestPlist::parse(data);
    let _ = InfoPlist::parse(data);
    let _ = StatusPlist::parse(data);
});
