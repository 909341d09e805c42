//! A small, allocation-free reader of binary property lists (`bplist00`).
//!
//! The `plist` crate builds a whole owned tree per document; Manifest.db holds one archived
//! `MBFile` plist per row (hundreds of thousands in a large backup), so listing spends most of its
//! time there. This reader borrows from the input, decodes an object only when asked, and checks
//! every offset, so hostile bytes give an error, never a panic or an unbounded allocation.

#![deny(clippy::indexing_slicing)]

use std::fmt;

use crate::bytes;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BplistError {
    pub what: &'static str,
    pub offset: usize,
}

impl fmt::Display for BplistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "binary plist: {} (at byte {})", self.what, self.offset)
    }
}

impl std::error::Error for BplistError {}

type Result<T> = std::result::Result<T, BplistError>;

fn err<T>(what: &'static str, offset: usize) -> Result<T> {
    Err(BplistError { what, offset })
}

pub const MAGIC: &[u8; 8] = b"bplist00";

/// How deeply arrays and dictionaries may nest in a property list the tool hands to the `plist`
/// crate. Real backup plists nest a handful of levels; the crate's `Value` is dropped (and
/// compared, and printed) recursively, so a file nested hundreds of thousands of levels deep
/// would overflow the stack.
pub const MAX_DEPTH: usize = 512;

#[derive(Debug, Clone, Copy)]
pub struct Bplist<'a> {
    data: &'a [u8],
    offset_size: usize,
    ref_size: usize,
    num_objects: usize,
    top: usize,
    table: usize,
}

/// One decoded object. Containers hold the raw reference bytes; `Bplist::refs` walks them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Object<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Real(f64),
    /// Core Data seconds since 2001-01-01.
    Date(f64),
    Data(&'a [u8]),
    Ascii(&'a [u8]),
    /// UTF-16 big-endian code units, undecoded.
    Utf16(&'a [u8]),
    Uid(u64),
    Array(Refs<'a>),
    Dict {
        keys: Refs<'a>,
        values: Refs<'a>,
    },
}

/// A run of object references inside a container.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Refs<'a> {
    bytes: &'a [u8],
    size: usize,
}

impl<'a> Refs<'a> {
    const EMPTY: Refs<'static> = Refs {
        bytes: &[],
        size: 1,
    };

    pub fn len(&self) -> usize {
        self.bytes.len() / self.size.max(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<usize> {
        let start = i.checked_mul(self.size)?;
        let b = self.bytes.get(start..start.checked_add(self.size)?)?;
        Some(be(b) as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + 'a {
        let size = self.size.max(1);
        self.bytes.chunks_exact(size).map(|c| be(c) as usize)
    }
}

fn be(b: &[u8]) -> u64 {
    b.iter().fold(0u64, |acc, &x| (acc << 8) | x as u64)
}

impl<'a> Bplist<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Bplist<'a>> {
        let no_header = || BplistError {
            what: "not a binary property list (no bplist00 header)",
            offset: 0,
        };
        let (head, rest) = data.split_at_checked(MAGIC.len()).ok_or_else(no_header)?;
        if head != MAGIC || rest.len() < 32 {
            return Err(no_header());
        }
        let t = data.len() - 32;
        // The trailer is the last 32 bytes, which the check above guarantees exist.
        let trailer_at = |off: usize| -> Result<u64> {
            bytes::u64_be(data, t + off, "trailer").map_err(truncated)
        };
        let sizes = bytes::u16_be(data, t + 6, "trailer").map_err(truncated)?;
        let offset_size = usize::from(sizes >> 8);
        let ref_size = usize::from(sizes & 0xFF);
        let num_objects = trailer_at(8)?;
        let top = trailer_at(16)?;
        let table = trailer_at(24)?;
        if !(1..=8).contains(&offset_size) || !(1..=8).contains(&ref_size) {
            return err("invalid integer sizes in trailer", t);
        }
        let table_len = num_objects.checked_mul(offset_size as u64);
        let table_end = table_len.and_then(|l| l.checked_add(table));
        match table_end {
            Some(end) if table >= 8 && end <= t as u64 => {}
            _ => return err("offset table outside the file", t),
        }
        if top >= num_objects {
            return err("top object out of range", t);
        }
        Ok(Bplist {
            data,
            offset_size,
            ref_size,
            num_objects: num_objects as usize,
            top: top as usize,
            table: table as usize,
        })
    }

    pub fn top(&self) -> usize {
        self.top
    }

    pub fn len(&self) -> usize {
        self.num_objects
    }

    pub fn is_empty(&self) -> bool {
        self.num_objects == 0
    }

    fn offset_of(&self, index: usize) -> Result<usize> {
        if index >= self.num_objects {
            return err("object reference out of range", self.table);
        }
        // `parse` checked that the whole table lies inside the file, so neither this sum nor the
        // reads below can fail; they are checked all the same rather than trusted.
        let at = self.table + index * self.offset_size;
        let bad = |_| BplistError {
            what: "offset table entry outside the file",
            offset: at,
        };
        // Small plists (every MBFile record) use 1- or 2-byte offsets.
        let off = match self.offset_size {
            1 => bytes::u8_at(self.data, at, "offset").map_err(bad)? as usize,
            2 => bytes::u16_be(self.data, at, "offset").map_err(bad)? as usize,
            n => be(bytes::slice(self.data, at, n, "offset").map_err(bad)?) as usize,
        };
        if off < 8 || off >= self.table {
            return err("object offset outside the object area", at);
        }
        Ok(off)
    }

    /// Reads a length that is either in the marker's low nibble or, when that is 0xF, in the
    /// integer object that follows. Returns (length, offset of the payload).
    fn length(&self, marker_at: usize, nibble: u8) -> Result<(usize, usize)> {
        if nibble != 0x0F {
            return Ok((nibble as usize, marker_at + 1));
        }
        let int_at = marker_at + 1;
        let m = *self.data.get(int_at).ok_or(BplistError {
            what: "truncated length",
            offset: int_at,
        })?;
        if m >> 4 != 0x1 || (m & 0x0F) > 3 {
            return err("invalid length integer", int_at);
        }
        let n = 1usize << (m & 0x0F);
        let b = self.slice(int_at + 1, n)?;
        Ok((be(b) as usize, int_at + 1 + n))
    }

    fn slice(&self, at: usize, len: usize) -> Result<&'a [u8]> {
        let end = at.checked_add(len).ok_or(BplistError {
            what: "length overflow",
            offset: at,
        })?;
        // Objects never overlap the offset table, so bound by it rather than the file end.
        match self.data.get(at..end) {
            Some(b) if end <= self.table => Ok(b),
            _ => err("object runs past the object area", at),
        }
    }

    fn marker(&self, at: usize) -> Result<u8> {
        self.data.get(at).copied().ok_or(BplistError {
            what: "object offset outside the file",
            offset: at,
        })
    }

    pub fn object(&self, index: usize) -> Result<Object<'a>> {
        let at = self.offset_of(index)?;
        let marker = self.marker(at)?;
        let (kind, nibble) = (marker >> 4, marker & 0x0F);
        Ok(match kind {
            0x0 => match marker {
                0x00 => Object::Null,
                0x08 => Object::Bool(false),
                0x09 => Object::Bool(true),
                _ => return err("unsupported singleton", at),
            },
            0x1 => {
                if nibble > 4 {
                    return err("integer too wide", at);
                }
                let n = 1usize << nibble;
                let b = self.slice(at + 1, n)?;
                let v = match n {
                    // 8-byte integers are signed; narrower ones unsigned; 16-byte ones hold a
                    // 64-bit value in the low half.
                    8 => be(b) as i64 as i128,
                    16 => b.get(8..).map_or(0, be) as i128,
                    _ => be(b) as i128,
                };
                Object::Int(v)
            }
            0x2 => match nibble {
                2 => {
                    let b = self.slice(at + 1, 4)?;
                    let a = bytes::array(b, 0, "real").map_err(truncated)?;
                    Object::Real(f32::from_be_bytes(a) as f64)
                }
                3 => Object::Real(f64_be(self.slice(at + 1, 8)?)?),
                _ => return err("unsupported real width", at),
            },
            0x3 => Object::Date(f64_be(self.slice(at + 1, 8)?)?),
            0x4..=0x6 => {
                let (len, start) = self.length(at, nibble)?;
                let bytes_len = if kind == 0x6 {
                    len.checked_mul(2).ok_or(BplistError {
                        what: "length overflow",
                        offset: at,
                    })?
                } else {
                    len
                };
                let b = self.slice(start, bytes_len)?;
                match kind {
                    0x4 => Object::Data(b),
                    0x5 => Object::Ascii(b),
                    _ => Object::Utf16(b),
                }
            }
            0x8 => Object::Uid(be(self.slice(at + 1, nibble as usize + 1)?)),
            0xA | 0xC => {
                let (len, start) = self.length(at, nibble)?;
                let n = len.checked_mul(self.ref_size).ok_or(BplistError {
                    what: "length overflow",
                    offset: at,
                })?;
                Object::Array(Refs {
                    bytes: self.slice(start, n)?,
                    size: self.ref_size,
                })
            }
            0xD => {
                let (len, start) = self.length(at, nibble)?;
                let n = len.checked_mul(self.ref_size).ok_or(BplistError {
                    what: "length overflow",
                    offset: at,
                })?;
                let keys = self.slice(start, n)?;
                let values = self.slice(start + n, n)?;
                Object::Dict {
                    keys: Refs {
                        bytes: keys,
                        size: self.ref_size,
                    },
                    values: Refs {
                        bytes: values,
                        size: self.ref_size,
                    },
                }
            }
            _ => return err("unsupported object type", at),
        })
    }

    /// Refuses an object graph whose containers nest deeper than [`MAX_DEPTH`] below the top
    /// object, or that refers back to itself. The walk is iterative and visits each object once
    /// (a subtree shared by several containers is measured once), so it costs at most the
    /// objects plus the references, and no recursion, whatever the input.
    pub fn check_depth(&self) -> Result<()> {
        self.check_depth_within(MAX_DEPTH)
    }

    fn check_depth_within(&self, limit: usize) -> Result<()> {
        // Per object: 0 = not seen yet, ON_PATH = an open container on the current path,
        // otherwise 1 + its height (the containers nested in it and itself; 0 for a scalar).
        const ON_PATH: usize = usize::MAX;
        let too_deep = |index: usize| BplistError {
            // The number is MAX_DEPTH's; a test holds them together.
            what: "arrays and dictionaries nested more than 512 deep",
            offset: self.offset_of(index).unwrap_or(self.table),
        };
        let mut seen = vec![0usize; self.num_objects];
        // How many values each object becomes once its references are followed: a reader
        // that builds a tree (the `plist` crate) copies a shared sub-object once per
        // reference, so 64 arrays each holding the next one twice become 2^64 values. Without
        // shared containers a file expands to at most one value per reference it holds, and a
        // reference takes at least a byte: twice the file's length is room for any real file.
        let max_values = 2 * self.data.len() as u64 + 1024;
        let too_many = |index: usize| BplistError {
            what:
                "shared arrays or dictionaries that expand to more values than the file could hold",
            offset: self.offset_of(index).unwrap_or(self.table),
        };
        let mut values = vec![0u64; self.num_objects];
        // Open containers: (object, keys or elements, values, next child, tallest child,
        // values so far).
        let mut path: Vec<(usize, Refs<'a>, Refs<'a>, usize, usize, u64)> = Vec::new();
        let mut next = Some(self.top);
        loop {
            if let Some(index) = next.take() {
                let slot = seen.get_mut(index).ok_or(BplistError {
                    what: "object reference out of range",
                    offset: self.table,
                })?;
                let height = match *slot {
                    ON_PATH => return err("an array or dictionary contains itself", self.table),
                    0 => {
                        let children = match self.object(index) {
                            Ok(Object::Array(elements)) => Some((elements, Refs::EMPTY)),
                            Ok(Object::Dict { keys, values }) => Some((keys, values)),
                            // A scalar, or an object this reader cannot decode: no children
                            // either way (the crate reports what it rejects).
                            _ => None,
                        };
                        match children {
                            Some((a, b)) => {
                                *slot = ON_PATH;
                                path.push((index, a, b, 0, 0, 1));
                                if path.len() > limit {
                                    return Err(too_deep(index));
                                }
                                continue;
                            }
                            None => {
                                *slot = 1;
                                if let Some(v) = values.get_mut(index) {
                                    *v = 1;
                                }
                                0
                            }
                        }
                    }
                    known => known - 1,
                };
                let n = values.get(index).copied().unwrap_or(1);
                if let Some(parent) = path.last_mut() {
                    parent.4 = parent.4.max(height);
                    parent.5 = parent.5.saturating_add(n);
                    if parent.5 > max_values {
                        return Err(too_many(parent.0));
                    }
                }
                continue;
            }
            let Some((index, a, b, i, tallest, _)) = path.last_mut() else {
                return Ok(());
            };
            let child = match i.checked_sub(a.len()) {
                None => a.get(*i),
                Some(j) => b.get(j),
            };
            if child.is_some() {
                *i += 1;
                next = child;
                continue;
            }
            // Every child measured: close the container.
            let (index, height) = (*index, *tallest + 1);
            if height > limit {
                return Err(too_deep(index));
            }
            if let Some(slot) = seen.get_mut(index) {
                *slot = height + 1;
            }
            let n = path.pop().map_or(1, |p| p.5);
            if let Some(v) = values.get_mut(index) {
                *v = n;
            }
            if let Some(parent) = path.last_mut() {
                parent.4 = parent.4.max(height);
                parent.5 = parent.5.saturating_add(n);
                if parent.5 > max_values {
                    return Err(too_many(parent.0));
                }
            }
        }
    }

    /// The bytes of an ASCII string object, or `None` for any other object: dictionary keys
    /// are compared this way without decoding the whole object.
    pub fn ascii(&self, index: usize) -> Result<Option<&'a [u8]>> {
        let at = self.offset_of(index)?;
        let marker = self.marker(at)?;
        if marker >> 4 != 0x5 {
            return Ok(None);
        }
        let (len, start) = self.length(at, marker & 0x0F)?;
        self.slice(start, len).map(Some)
    }

    /// The object as a string, if it is one (ASCII or UTF-16).
    pub fn string(&self, index: usize) -> Result<Option<String>> {
        Ok(match self.object(index)? {
            Object::Ascii(b) => Some(String::from_utf8_lossy(b).into_owned()),
            Object::Utf16(b) => Some(utf16_be(b)),
            _ => None,
        })
    }

    /// Looks a key up in a dictionary object, comparing ASCII keys without allocating.
    pub fn dict_get(&self, keys: Refs<'a>, values: Refs<'a>, key: &str) -> Result<Option<usize>> {
        for (i, k) in keys.iter().enumerate() {
            if let Object::Ascii(b) = self.object(k)? {
                if b == key.as_bytes() {
                    return Ok(values.get(i));
                }
            }
        }
        Ok(None)
    }
}

fn truncated(t: bytes::Truncated) -> BplistError {
    BplistError {
        what: t.what,
        offset: t.offset,
    }
}

fn f64_be(b: &[u8]) -> Result<f64> {
    bytes::array(b, 0, "real")
        .map(f64::from_be_bytes)
        .map_err(truncated)
}

pub fn utf16_be(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .filter_map(|c| <[u8; 2]>::try_from(c).ok())
        .map(u16::from_be_bytes)
        .collect();
    String::from_utf16_lossy(&units)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn bytes_of(v: &plist::Value) -> Vec<u8> {
        let mut out = Vec::new();
        v.to_writer_binary(&mut out).unwrap();
        out
    }

    #[test]
    fn reads_what_the_plist_crate_writes() {
        let mut d = plist::Dictionary::new();
        d.insert("n".into(), plist::Value::Integer((-5i64).into()));
        d.insert("big".into(), plist::Value::Integer(5_000_000_000u64.into()));
        d.insert("s".into(), plist::Value::String("héllo wörld".into()));
        d.insert("a".into(), plist::Value::String("ascii".into()));
        d.insert("d".into(), plist::Value::Data(vec![1, 2, 3]));
        d.insert("u".into(), plist::Value::Uid(plist::Uid::new(7)));
        d.insert("r".into(), plist::Value::Real(1.5));
        d.insert("t".into(), plist::Value::Boolean(true));
        let bytes = bytes_of(&plist::Value::Dictionary(d));
        let p = Bplist::parse(&bytes).unwrap();
        let Object::Dict { keys, values } = p.object(p.top()).unwrap() else {
            panic!("not a dict")
        };
        let get = |k: &str| {
            p.object(p.dict_get(keys, values, k).unwrap().unwrap())
                .unwrap()
        };
        assert_eq!(get("n"), Object::Int(-5));
        assert_eq!(get("big"), Object::Int(5_000_000_000));
        let s = p.dict_get(keys, values, "s").unwrap().unwrap();
        assert_eq!(p.string(s).unwrap().as_deref(), Some("héllo wörld"));
        assert_eq!(get("a"), Object::Ascii(b"ascii"));
        assert_eq!(get("d"), Object::Data(&[1, 2, 3]));
        assert_eq!(get("u"), Object::Uid(7));
        assert_eq!(get("r"), Object::Real(1.5));
        assert_eq!(get("t"), Object::Bool(true));
        assert_eq!(p.dict_get(keys, values, "missing").unwrap(), None);
    }

    #[test]
    fn nesting_is_measured_without_recursion() {
        use crate::builder::nested_bplist;
        let depth_ok = |levels: usize| {
            let b = nested_bplist(levels, 0.0);
            Bplist::parse(&b).unwrap().check_depth().is_ok()
        };
        assert!(depth_ok(0));
        assert!(depth_ok(MAX_DEPTH));
        assert!(!depth_ok(MAX_DEPTH + 1));
        let deep = nested_bplist(200_000, 0.0);
        let e = Bplist::parse(&deep).unwrap().check_depth().unwrap_err();
        assert!(
            e.what.contains(&format!("more than {MAX_DEPTH} deep")),
            "{e}"
        );

        // 64 dictionaries, each holding the next under two keys: 2^64 paths through 64 levels,
        // measured once per object. Objects 0..64 are the dictionaries, 64 and 65 the keys, 66
        // the innermost value; written by hand, as a tree that large cannot be built.
        let mut shared = b"bplist00".to_vec();
        let mut offsets = Vec::new();
        for i in 0..64u8 {
            offsets.push(shared.len() as u16);
            shared.extend_from_slice(&[0xD2, 64, 65, i + 1, i + 1]);
        }
        for obj in [&[0x51, b'a'][..], &[0x51, b'b'], &[0x09]] {
            offsets.push(shared.len() as u16);
            shared.extend_from_slice(obj);
        }
        let table = shared.len() as u64;
        let count = offsets.len() as u64;
        // Offsets pass 255, so the table uses two bytes each.
        for o in &offsets {
            shared.extend_from_slice(&o.to_be_bytes());
        }
        shared.extend_from_slice(&[0; 6]);
        shared.extend_from_slice(&[2, 1]);
        shared.extend_from_slice(&count.to_be_bytes());
        shared.extend_from_slice(&0u64.to_be_bytes());
        shared.extend_from_slice(&table.to_be_bytes());
        let p = Bplist::parse(&shared).unwrap();
        // Measured, not expanded: the depth is found within 64 levels, and the 2^64 values
        // the tree would hold are refused (a reader building it would never finish).
        assert!(p
            .check_depth_within(63)
            .unwrap_err()
            .what
            .contains("nested more than 512 deep"));
        assert!(p
            .check_depth()
            .unwrap_err()
            .what
            .starts_with("shared arrays or dictionaries that expand"));
    }

    #[test]
    fn a_container_that_contains_itself_is_refused() {
        // One array whose only element is itself.
        let mut b = b"bplist00".to_vec();
        b.extend_from_slice(&[0xA1, 0x00]);
        b.push(8); // offset table: object 0 at byte 8
        b.extend_from_slice(&[0; 6]);
        b.extend_from_slice(&[1, 1]);
        b.extend_from_slice(&1u64.to_be_bytes());
        b.extend_from_slice(&0u64.to_be_bytes());
        b.extend_from_slice(&10u64.to_be_bytes());
        let e = Bplist::parse(&b).unwrap().check_depth().unwrap_err();
        assert_eq!(e.what, "an array or dictionary contains itself");
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut d = plist::Dictionary::new();
        d.insert("k".into(), plist::Value::Data(vec![9; 40]));
        d.insert(
            "l".into(),
            plist::Value::Array(vec![plist::Value::Boolean(false); 20]),
        );
        let good = bytes_of(&plist::Value::Dictionary(d));
        // Flip every byte to every interesting value and walk all objects.
        for i in 0..good.len() {
            for v in [0x00, 0x0F, 0x7F, 0x80, 0xFF, 0x4F, 0xDF, 0xAF, 0x13, 0x14] {
                let mut b = good.clone();
                b[i] = v;
                if let Ok(p) = Bplist::parse(&b) {
                    for idx in 0..p.len() + 2 {
                        if let Ok(Object::Dict { keys, values }) = p.object(idx) {
                            let _ = p.dict_get(keys, values, "k");
                        }
                        let _ = p.string(idx);
                    }
                }
            }
        }
        for n in 0..good.len() {
            let _ = Bplist::parse(&good[..n]);
        }
    }
}
