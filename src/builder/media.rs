//! Photo-library xattrs in their on-device encodings, and deterministic generated content.

use std::io::{self, Read};

use super::bplist::{self, Obj};

/// Seconds between the Unix epoch and the Cocoa reference date (2001-01-01T00:00:00Z).
pub const COCOA_EPOCH_OFFSET: f64 = 978_307_200.0;

/// A one-object binary plist holding a date, the encoding of `com.apple.assetsd.addedDate`
/// and `…customCreationDate` (bit-identical layout to the real ones in the mvt sample).
pub fn date_bplist(unix_seconds: f64) -> Vec<u8> {
    bplist::write(&Obj::Date(unix_seconds - COCOA_EPOCH_OFFSET))
}

/// Little-endian 16-bit integer, the encoding of `…favorite`, `…hidden`, `…trashed`,
/// `…assetType` and similar flags (`00 00` / `03 00` in the real sample).
pub fn le16(v: u16) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

/// Upper-case hyphenated text form of a 16-byte UUID (as in `…cloudAsset.UUID`).
pub fn uuid_string(uuid: [u8; 16]) -> String {
    let h = hex::encode_upper(uuid);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The `com.apple.assetsd.*` xattrs the Photos daemon puts on a DCIM file, in the order the
/// real sample lists them (IMG_0034.PNG of the mvt Manifest.db, minus fields we don't model:
/// `dbRebuildUuid`, `timeZone*`, `publicGlobalUUID`, `cloudAsset.UUID`, `creatorBundleID`).
///
/// Encodings: UUID = 16 raw bytes, originalFilename = UTF-8 without NUL, flags = LE int16,
/// grouping.state = 8 zero bytes, dates = one-object bplist with a Cocoa date. The added date
/// equals the creation date here. Add more (e.g. `creatorBundleID`, `mediaGroupUUID`) with
/// [`super::FileSpec::with_xattr`].
pub fn assetsd_xattrs(
    uuid: [u8; 16],
    original_filename: &str,
    creation_date_unix: f64,
    favorite: bool,
    hidden: bool,
    trashed: bool,
) -> Vec<(String, Vec<u8>)> {
    let a = |n: &str| format!("com.apple.assetsd.{n}");
    vec![
        (a("favorite"), le16(u16::from(favorite))),
        (a("avalanche.type"), le16(0)),
        (a("grouping.state"), vec![0u8; 8]),
        // 3 on every real DCIM photo (HEIC and PNG screenshots alike).
        (a("assetType"), le16(3)),
        (a("trashed"), le16(u16::from(trashed))),
        // 1 on the real camera HEIC, 8 on the real screenshots (with creatorBundleID).
        (a("importedBy"), le16(1)),
        (a("hidden"), le16(u16::from(hidden))),
        (a("videoComplementVisibility"), le16(0)),
        (a("addedDate"), date_bplist(creation_date_unix)),
        (a("UUID"), uuid.to_vec()),
        (a("customCreationDate"), date_bplist(creation_date_unix)),
        (a("deferredProcessing"), le16(0)),
        (a("originalFilename"), original_filename.as_bytes().to_vec()),
    ]
}

/// Deterministic pseudo-random content (xorshift64*), streamed so multi-GB files never sit in
/// memory. The same `(len, seed)` always yields the same bytes, so tests can recompute hashes.
pub struct GeneratedReader {
    state: u64,
    remaining: u64,
    buf: [u8; 8],
    buf_pos: usize,
}

impl GeneratedReader {
    fn next_word(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

impl Read for GeneratedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let want = (out.len() as u64).min(self.remaining) as usize;
        let mut n = 0;
        while n < want {
            if self.buf_pos == 8 {
                self.buf = self.next_word().to_le_bytes();
                self.buf_pos = 0;
            }
            let take = (8 - self.buf_pos).min(want - n);
            out[n..n + take].copy_from_slice(&self.buf[self.buf_pos..self.buf_pos + take]);
            self.buf_pos += take;
            n += take;
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// Reader over the content of `FileKind::Generated { len, seed }`.
pub fn generated_bytes(len: u64, seed: u64) -> GeneratedReader {
    // Mix the seed so that 0 (an invalid xorshift state) and small seeds still differ.
    let state = (seed ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(0xBF58_476D_1CE4_E5B9) | 1;
    GeneratedReader {
        state,
        remaining: len,
        buf: [0; 8],
        buf_pos: 8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_is_deterministic_and_chunking_independent() {
        let mut a = Vec::new();
        generated_bytes(1001, 7).read_to_end(&mut a).unwrap();
        assert_eq!(a.len(), 1001);
        let mut b = Vec::new();
        let mut r = generated_bytes(1001, 7);
        let mut chunk = [0u8; 3];
        loop {
            let n = r.read(&mut chunk).unwrap();
            if n == 0 {
                break;
            }
            b.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(a, b);
        let mut c = Vec::new();
        generated_bytes(1001, 8).read_to_end(&mut c).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn xattr_encodings() {
        let x = assetsd_xattrs(
            [0xab; 16],
            "Été à Zürich.jpg",
            1_700_000_000.0,
            true,
            false,
            true,
        );
        let get = |n: &str| {
            x.iter()
                .find(|(k, _)| k == &format!("com.apple.assetsd.{n}"))
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        assert_eq!(get("favorite"), vec![1, 0]);
        assert_eq!(get("hidden"), vec![0, 0]);
        assert_eq!(get("trashed"), vec![1, 0]);
        assert_eq!(get("UUID"), vec![0xab; 16]);
        assert_eq!(get("originalFilename"), "Été à Zürich.jpg".as_bytes());
        let d = plist::Value::from_reader(std::io::Cursor::new(get("customCreationDate"))).unwrap();
        let st: std::time::SystemTime = d.as_date().unwrap().into();
        let secs = st.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(secs, 1_700_000_000);
        assert_eq!(
            uuid_string([0xab; 16]),
            "ABABABAB-ABAB-ABAB-ABAB-ABABABABABAB"
        );
    }
}
