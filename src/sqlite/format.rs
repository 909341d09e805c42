//! The SQLite file format facts every reader here shares (sqlite.org/fileformat2.html): the
//! database header's page size, the WAL header and frame layout, and the WAL checksum. Used by
//! the WAL applier (`sqlite`), the free-space record reader (`recover::sqlite_free`) and the
//! fixture builder, which each had their own copy.

#![deny(clippy::indexing_slicing)]

use crate::bytes::{self, Truncated};

/// "SQLite format 3\0".
pub const MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// WAL magic; the low bit says the checksums are computed over big-endian words.
pub const WAL_MAGIC_LE: u32 = 0x377F_0682;
pub const WAL_MAGIC_BE: u32 = 0x377F_0683;
pub const WAL_HEADER_LEN: usize = 32;
pub const WAL_FRAME_HEADER_LEN: usize = 24;

/// A page size as stored (a 16-bit field where 1 means 65536, or the WAL header's 32-bit
/// field): a power of two from 512 to 65536, else `None`.
pub fn page_size(raw: u32) -> Option<usize> {
    let size = if raw == 1 { 65_536 } else { raw };
    ((512..=65_536).contains(&size) && size.is_power_of_two()).then_some(size as usize)
}

/// The page size in a database header (bytes 16–17).
pub fn db_page_size(db: &[u8]) -> Result<Option<usize>, Truncated> {
    bytes::u16_be(db, 16, "database header page size").map(|raw| page_size(u32::from(raw)))
}

/// Whether a WAL's checksums use big-endian words, from its magic; `None` if it is no WAL.
pub fn wal_big_endian(wal: &[u8]) -> Option<bool> {
    match bytes::u32_be(wal, 0, "WAL magic").ok()? {
        WAL_MAGIC_LE => Some(false),
        WAL_MAGIC_BE => Some(true),
        _ => None,
    }
}

/// The WAL checksum (`walChecksumBytes`): pairs of 32-bit words, in the byte order the magic
/// selects, folded into two running sums. A trailing partial word pair is ignored, as SQLite
/// only ever checksums multiples of 8 bytes.
pub fn wal_checksum(data: &[u8], mut s: (u32, u32), big_endian: bool) -> (u32, u32) {
    for pair in data.chunks_exact(8) {
        let word = |k| {
            let w = if big_endian {
                bytes::u32_be(pair, k, "checksum word")
            } else {
                bytes::u32_le(pair, k, "checksum word")
            };
            w.unwrap_or(0)
        };
        s.0 = s.0.wrapping_add(word(0)).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(word(4)).wrapping_add(s.0);
    }
    s
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes_as_the_format_defines_them() {
        assert_eq!(page_size(1), Some(65_536));
        assert_eq!(page_size(4096), Some(4096));
        for bad in [0, 256, 511, 4097, 131_072] {
            assert_eq!(page_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn wal_checksum_of_a_known_header() {
        // Both word orders over the same 8 bytes.
        let d = [1, 0, 0, 0, 2, 0, 0, 0];
        assert_eq!(wal_checksum(&d, (0, 0), false), (1, 3));
        assert_eq!(wal_checksum(&d, (0, 0), true), (0x0100_0000, 0x0300_0000));
    }
}
