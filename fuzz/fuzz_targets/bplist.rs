//! Binary plists as the manifest stores them: the MBFile record decoder (keyed archive of one
//! file's metadata) and the xattr dictionary inside it; and the keyed archive of a photo's
//! reverse-geocoded place (Photos.sqlite `ZREVERSELOCATIONDATA`). Never a panic, a hang or a
//! huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unback::manifest::mbfile::{decode, decode_xattrs};

fuzz_target!(|data: &[u8]| {
    let _ = decode(data);
    let _ = decode_xattrs(data);
    let _ = unback::bplist::Bplist::parse(data);
    let _ = unback::photos::revgeo::decode(data);
});
