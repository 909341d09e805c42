//! Reading numbers and ranges out of untrusted bytes without a panic: every read is bounds- and
//! overflow-checked and says what it was reading and where when the data ends first. The binary
//! parsers (SQLite header, WAL and free pages, the carver) read through these, never by indexing.

#![deny(clippy::indexing_slicing)]

use std::fmt;

/// The data ended before `what`, which starts at byte `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated {
    pub what: &'static str,
    pub offset: usize,
}

impl fmt::Display for Truncated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at byte {}: the data ends before it",
            self.what, self.offset
        )
    }
}

impl std::error::Error for Truncated {}

/// `len` bytes at `offset`.
pub fn slice<'a>(
    buf: &'a [u8],
    offset: usize,
    len: usize,
    what: &'static str,
) -> Result<&'a [u8], Truncated> {
    offset
        .checked_add(len)
        .and_then(|end| buf.get(offset..end))
        .ok_or(Truncated { what, offset })
}

/// `N` bytes at `offset`, as an array.
pub fn array<const N: usize>(
    buf: &[u8],
    offset: usize,
    what: &'static str,
) -> Result<[u8; N], Truncated> {
    let mut a = [0u8; N];
    a.copy_from_slice(slice(buf, offset, N, what)?);
    Ok(a)
}

pub fn u8_at(buf: &[u8], offset: usize, what: &'static str) -> Result<u8, Truncated> {
    buf.get(offset).copied().ok_or(Truncated { what, offset })
}

pub fn u16_be(buf: &[u8], offset: usize, what: &'static str) -> Result<u16, Truncated> {
    array(buf, offset, what).map(u16::from_be_bytes)
}

pub fn u32_be(buf: &[u8], offset: usize, what: &'static str) -> Result<u32, Truncated> {
    array(buf, offset, what).map(u32::from_be_bytes)
}

pub fn u32_le(buf: &[u8], offset: usize, what: &'static str) -> Result<u32, Truncated> {
    array(buf, offset, what).map(u32::from_le_bytes)
}

pub fn u64_be(buf: &[u8], offset: usize, what: &'static str) -> Result<u64, Truncated> {
    array(buf, offset, what).map(u64::from_be_bytes)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_bounds_and_names_what_ends_early() {
        let b = [0x12, 0x34, 0x56, 0x78, 0x9A];
        assert_eq!(u16_be(&b, 0, "x"), Ok(0x1234));
        assert_eq!(u32_be(&b, 1, "x"), Ok(0x3456_789A));
        assert_eq!(u32_le(&b, 0, "x"), Ok(0x7856_3412));
        let e = u32_be(&b, 2, "page size").unwrap_err();
        assert_eq!(
            e.to_string(),
            "page size at byte 2: the data ends before it"
        );
        // An offset near usize::MAX must not wrap round to the start.
        assert!(slice(&b, usize::MAX, 2, "x").is_err());
        assert!(u64_be(&b, 0, "x").is_err());
    }
}
