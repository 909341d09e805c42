//! A binary plist (`bplist00`) writer that lays objects out the way Apple's CoreFoundation
//! writer does, so the bytes we produce look like the ones devices write.
//!
//! The `plist` crate writes valid binary plists, but with its own object order and uniquing;
//! fixtures for a forensic reader should match what real devices emit, so we reproduce the
//! CoreFoundation rules observed in the real iOS 14.3 Manifest.db (mvt sample):
//!
//! * objects are numbered depth first; a dictionary is followed by all of its keys, then all of
//!   its values (each flattened recursively), an array by its elements;
//! * strings, integers, reals, dates, booleans and UIDs are uniqued (the second occurrence reuses
//!   the first object); data, arrays and dictionaries are never uniqued (the real ExtendedAttributes
//!   plists repeat identical `00 00` data objects);
//! * integers that are equal but were different CFNumber types are *not* shared: in MBFile
//!   records `Size` never shares an object with `Flags`/`ProtectionClass` of the same value,
//!   while every other field does. [`Obj::Int`] therefore carries a type class;
//! * integers use the smallest of 1/2/4/8 bytes (negative values 8), UIDs 1/2/4 bytes,
//!   object references and offsets the smallest of 1/2/4/8 bytes that fits.
//!
//! Dictionary key order is CoreFoundation's hash-table order, see [`cf_dict_order`].

use std::collections::HashMap;

/// One plist object. Dictionaries keep the order given (callers compute CF order first).
#[derive(Debug, Clone)]
pub(crate) enum Obj {
    Str(String),
    /// A string that is a separate object even when an equal string exists. CF uniques by
    /// object identity: short ASCII strings are tagged pointers (equal ⇒ identical), longer ones
    /// are heap objects, so the real archives repeat `NSMutableData` in `$classname` and
    /// `$classes` while `MBFile` and `NSObject` are shared.
    DistinctStr(String),
    /// Integer with a uniquing class (CFNumber type stand-in): equal values of different classes
    /// become different objects, as in real MBFile archives.
    Int(i64, u8),
    /// Seconds since 2001-01-01 (Cocoa reference date).
    Date(f64),
    Bool(bool),
    Data(Vec<u8>),
    Uid(u32),
    Array(Vec<Obj>),
    Dict(Vec<(String, Obj)>),
}

#[derive(Hash, PartialEq, Eq)]
enum UniqueKey {
    Str(String),
    Int(i64, u8),
    Date(u64),
    Bool(bool),
    Uid(u32),
}

/// Flattened object: scalars stay as they are, containers hold object indexes.
enum Flat {
    Scalar(Obj),
    Array(Vec<usize>),
    Dict(Vec<usize>, Vec<usize>),
}

struct Flattener {
    objects: Vec<Flat>,
    unique: HashMap<UniqueKey, usize>,
}

impl Flattener {
    fn key_of(obj: &Obj) -> Option<UniqueKey> {
        match obj {
            Obj::Str(s) => Some(UniqueKey::Str(s.clone())),
            Obj::Int(v, c) => Some(UniqueKey::Int(*v, *c)),
            Obj::Date(f) => Some(UniqueKey::Date(f.to_bits())),
            Obj::Bool(b) => Some(UniqueKey::Bool(*b)),
            Obj::Uid(u) => Some(UniqueKey::Uid(*u)),
            Obj::DistinctStr(_) | Obj::Data(_) | Obj::Array(_) | Obj::Dict(_) => None,
        }
    }

    fn flatten(&mut self, obj: &Obj) -> usize {
        let key = Self::key_of(obj);
        if let Some(k) = &key {
            if let Some(&i) = self.unique.get(k) {
                return i;
            }
        }
        let idx = self.objects.len();
        // Reserve the slot before recursing so the container precedes its children.
        self.objects.push(Flat::Array(Vec::new()));
        if let Some(k) = key {
            self.unique.insert(k, idx);
        }
        let flat = match obj {
            Obj::Array(items) => Flat::Array(items.iter().map(|o| self.flatten(o)).collect()),
            Obj::Dict(entries) => {
                let keys: Vec<usize> = entries
                    .iter()
                    .map(|(k, _)| self.flatten(&Obj::Str(k.clone())))
                    .collect();
                let vals: Vec<usize> = entries.iter().map(|(_, v)| self.flatten(v)).collect();
                Flat::Dict(keys, vals)
            }
            other => Flat::Scalar(other.clone()),
        };
        self.objects[idx] = flat;
        idx
    }
}

/// Bytes needed for an unsigned value, as CoreFoundation's `_byteCount` (1, 2, 4 or 8).
fn byte_count(v: u64) -> u8 {
    if v <= u64::from(u8::MAX) {
        1
    } else if v <= u64::from(u16::MAX) {
        2
    } else if v <= u64::from(u32::MAX) {
        4
    } else {
        8
    }
}

fn push_be(out: &mut Vec<u8>, v: u64, n: u8) {
    let bytes = v.to_be_bytes();
    out.extend_from_slice(&bytes[8 - usize::from(n)..]);
}

fn push_int(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(0x13);
        out.extend_from_slice(&v.to_be_bytes());
        return;
    }
    let u = v.unsigned_abs();
    let n = byte_count(u);
    let marker = match n {
        1 => 0x10,
        2 => 0x11,
        4 => 0x12,
        _ => 0x13,
    };
    out.push(marker);
    push_be(out, u, n);
}

fn push_marker_len(out: &mut Vec<u8>, kind: u8, len: usize) {
    if len < 15 {
        out.push(kind << 4 | len as u8);
    } else {
        out.push(kind << 4 | 0x0f);
        push_int(out, len as i64);
    }
}

/// Serialise `root` as a CoreFoundation-style `bplist00`.
pub(crate) fn write(root: &Obj) -> Vec<u8> {
    let mut f = Flattener {
        objects: Vec::new(),
        unique: HashMap::new(),
    };
    f.flatten(root);
    let count = f.objects.len();
    let ref_size = byte_count(count as u64);
    let mut out = Vec::with_capacity(64 + count * 8);
    out.extend_from_slice(b"bplist00");
    let mut offsets = Vec::with_capacity(count);
    for obj in &f.objects {
        offsets.push(out.len() as u64);
        match obj {
            Flat::Scalar(s) => match s {
                Obj::Str(s) | Obj::DistinctStr(s) => {
                    if s.is_ascii() {
                        push_marker_len(&mut out, 0x5, s.len());
                        out.extend_from_slice(s.as_bytes());
                    } else {
                        let units: Vec<u16> = s.encode_utf16().collect();
                        push_marker_len(&mut out, 0x6, units.len());
                        for u in units {
                            out.extend_from_slice(&u.to_be_bytes());
                        }
                    }
                }
                Obj::Int(v, _) => push_int(&mut out, *v),
                Obj::Date(v) => {
                    out.push(0x33);
                    out.extend_from_slice(&v.to_be_bytes());
                }
                Obj::Bool(b) => out.push(if *b { 0x09 } else { 0x08 }),
                Obj::Data(d) => {
                    push_marker_len(&mut out, 0x4, d.len());
                    out.extend_from_slice(d);
                }
                Obj::Uid(u) => {
                    // CF writes UIDs in 1, 2 or 4 bytes; the marker's low nibble is length-1.
                    let n = byte_count(u64::from(*u)).min(4);
                    out.push(0x80 | (n - 1));
                    push_be(&mut out, u64::from(*u), n);
                }
                Obj::Array(_) | Obj::Dict(_) => {}
            },
            Flat::Array(items) => {
                push_marker_len(&mut out, 0xa, items.len());
                for &i in items {
                    push_be(&mut out, i as u64, ref_size);
                }
            }
            Flat::Dict(keys, vals) => {
                push_marker_len(&mut out, 0xd, keys.len());
                for &i in keys.iter().chain(vals.iter()) {
                    push_be(&mut out, i as u64, ref_size);
                }
            }
        }
    }
    let table_at = out.len() as u64;
    let offset_size = byte_count(table_at);
    for o in offsets {
        push_be(&mut out, o, offset_size);
    }
    out.extend_from_slice(&[0u8; 6]);
    out.push(offset_size);
    out.push(ref_size);
    out.extend_from_slice(&(count as u64).to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&table_at.to_be_bytes());
    out
}

/// CoreFoundation's `CFStringHash` for strings of at most 96 characters (64-bit `CFHashCode`).
///
/// Only used on our own ASCII key names. Checked against the real MBFile key orders (see tests).
pub(crate) fn cf_string_hash(s: &str) -> u64 {
    let units: Vec<u64> = s.encode_utf16().map(u64::from).collect();
    let len = units.len() as u64;
    let mut r: u64 = len;
    if units.len() <= 96 {
        let mut chunks = units.chunks_exact(4);
        for c in &mut chunks {
            r = r
                .wrapping_mul(67_503_105)
                .wrapping_add(c[0].wrapping_mul(16_974_593))
                .wrapping_add(c[1].wrapping_mul(66_049))
                .wrapping_add(c[2].wrapping_mul(257))
                .wrapping_add(c[3]);
        }
        for &c in chunks.remainder() {
            r = r.wrapping_mul(257).wrapping_add(c);
        }
    }
    r.wrapping_add(r << (len & 31))
}

/// Bucket counts and capacities of CoreFoundation's `CFBasicHash` for small tables.
const CF_SIZES: [usize; 9] = [0, 3, 7, 13, 23, 41, 71, 127, 191];
const CF_CAPACITIES: [usize; 9] = [0, 3, 6, 11, 19, 32, 52, 85, 118];

/// Order in which a `CFMutableDictionary` filled with `keys` (in insertion order) enumerates
/// them: linear probing over `hash % buckets`, growing (and rehashing in old bucket order)
/// when the count passes the capacity. Returns indexes into `keys`.
///
/// Why: the real MBFile dictionaries come in this order (e.g. `LastModified, Flags, GroupID,
/// $class, …` with `ProtectionClass` wrapping around to second place once `Digest` is present).
/// Falls back to insertion order for tables bigger than the small-size list.
pub(crate) fn cf_dict_order(keys: &[&str]) -> Vec<usize> {
    if keys.len() > CF_CAPACITIES[CF_CAPACITIES.len() - 1] {
        return (0..keys.len()).collect();
    }
    let hashes: Vec<u64> = keys.iter().map(|k| cf_string_hash(k)).collect();
    let mut level = 0;
    let mut table: Vec<Option<usize>> = Vec::new();
    let insert = |table: &mut Vec<Option<usize>>, i: usize| {
        let nb = table.len();
        let mut p = (hashes[i] % nb as u64) as usize;
        while table[p].is_some() {
            p = (p + 1) % nb;
        }
        table[p] = Some(i);
    };
    for i in 0..keys.len() {
        if i + 1 > CF_CAPACITIES[level] {
            level += 1;
            let old: Vec<usize> = table.iter().flatten().copied().collect();
            table = vec![None; CF_SIZES[level]];
            for o in old {
                insert(&mut table, o);
            }
        }
        insert(&mut table, i);
    }
    table.into_iter().flatten().collect()
}

/// Build a dictionary whose entries are ordered as CoreFoundation would enumerate them after
/// inserting `entries` in the given order.
pub(crate) fn cf_dict(entries: Vec<(&str, Obj)>) -> Obj {
    let names: Vec<&str> = entries.iter().map(|(k, _)| *k).collect();
    let order = cf_dict_order(&names);
    let mut slots: Vec<Option<(String, Obj)>> = entries
        .into_iter()
        .map(|(k, v)| Some((k.to_string(), v)))
        .collect();
    Obj::Dict(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_date_matches_real_custom_creation_date() {
        // com.apple.assetsd.customCreationDate of IMG_0034.PNG in the real mvt Manifest.db.
        let real = hex::decode(
            "62706c6973743030 3341c309b7df800000 08 000000000000 0101 0000000000000001 \
             0000000000000000 0000000000000011"
                .replace(' ', ""),
        )
        .unwrap();
        let date = f64::from_be_bytes(real[9..17].try_into().unwrap());
        assert_eq!(write(&Obj::Date(date)), real);
    }

    #[test]
    fn manifest_plist_key_order_matches_real_sample() {
        // Order of the top-level keys in openwall john-samples Manifest-10-test123.plist.
        let order = cf_dict_order(&[
            "IsEncrypted",
            "Version",
            "Date",
            "SystemDomainsVersion",
            "ManifestKey",
            "WasPasscodeSet",
            "Lockdown",
            "Applications",
            "BackupKeyBag",
        ]);
        assert_eq!(order, vec![8, 1, 2, 3, 4, 5, 6, 7, 0]);
    }

    #[test]
    fn long_count_uses_int_marker() {
        let b = write(&Obj::Str("x".repeat(20)));
        assert_eq!(&b[8..11], &[0x5f, 0x10, 20]);
        let v = plist::Value::from_reader(std::io::Cursor::new(b)).unwrap();
        assert_eq!(v.as_string(), Some("x".repeat(20).as_str()));
    }
}
