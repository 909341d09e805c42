//! The `file` column of Manifest.db: an NSKeyedArchiver binary plist of an `MBFile` object.
//!
//! Real rows put the MBFile dictionary at `$objects[$top.root]` and reach strings and data through
//! UIDs; other archivers (and older iOS) inline values, wrap data in `{NS.data: …}` (itself
//! possibly a UID) or strings in `{NS.string: …}`. Every field is optional. See FORMAT.md 2.2.

#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use crate::bplist::{Bplist, BplistError, Object, Refs};

/// What an MBFile record says about one file. Every field is optional because real records
/// (and other archivers' records) omit fields freely.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileMeta {
    pub size: Option<u64>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// Unix seconds.
    pub mtime: Option<i64>,
    pub ctime: Option<i64>,
    pub birth: Option<i64>,
    pub inode: Option<u64>,
    pub protection_class: Option<u32>,
    pub flags: Option<i64>,
    /// 4-byte little-endian class + 40-byte RFC 3394-wrapped file key (encrypted backups).
    pub encryption_key: Option<Vec<u8>>,
    pub target: Option<String>,
    pub digest: Option<Vec<u8>>,
    pub relative_path: Option<String>,
    /// The nested ExtendedAttributes plist: xattr name → raw value, decoded on first use.
    pub xattrs: Xattrs,
}

/// Extended attributes, kept as the record's nested plist until something reads them: most
/// listings never do, and decoding twenty attributes of every camera-roll row dominated them.
#[derive(Debug, Default)]
pub struct Xattrs {
    raw: Option<Vec<u8>>,
    decoded: std::sync::OnceLock<BTreeMap<String, Vec<u8>>>,
}

impl Xattrs {
    pub fn from_raw(raw: Vec<u8>) -> Xattrs {
        Xattrs {
            raw: Some(raw),
            decoded: std::sync::OnceLock::new(),
        }
    }

    /// The decoded map. A damaged nested plist reads as no attributes; `check` says why.
    pub fn map(&self) -> &BTreeMap<String, Vec<u8>> {
        self.decoded.get_or_init(|| match &self.raw {
            Some(r) => decode_xattrs(r).unwrap_or_default(),
            None => BTreeMap::new(),
        })
    }

    /// Whether the nested plist decodes, with the reason when it does not.
    pub fn check(&self) -> Result<(), MbFileError> {
        match &self.raw {
            Some(r) => decode_xattrs(r).map(|_| ()),
            None => Ok(()),
        }
    }
}

impl From<BTreeMap<String, Vec<u8>>> for Xattrs {
    fn from(m: BTreeMap<String, Vec<u8>>) -> Xattrs {
        let cell = std::sync::OnceLock::new();
        let _ = cell.set(m);
        Xattrs {
            raw: None,
            decoded: cell,
        }
    }
}

impl Clone for Xattrs {
    fn clone(&self) -> Xattrs {
        match self.decoded.get() {
            Some(m) => Xattrs::from(m.clone()),
            None => Xattrs {
                raw: self.raw.clone(),
                decoded: std::sync::OnceLock::new(),
            },
        }
    }
}

impl PartialEq for Xattrs {
    fn eq(&self, other: &Xattrs) -> bool {
        self.map() == other.map()
    }
}

impl std::ops::Deref for Xattrs {
    type Target = BTreeMap<String, Vec<u8>>;
    fn deref(&self) -> &Self::Target {
        self.map()
    }
}

/// How deep UID chains and wrapper dictionaries may nest before the record is called malformed;
/// real records use one level, so a cycle is caught quickly.
const MAX_HOPS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MbFileError(pub String);

impl std::fmt::Display for MbFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<BplistError> for MbFileError {
    fn from(e: BplistError) -> Self {
        MbFileError(e.to_string())
    }
}

fn bad(what: &str) -> MbFileError {
    MbFileError(format!("MBFile record: {what}"))
}

struct Archive<'a> {
    p: Bplist<'a>,
    objects: Refs<'a>,
}

impl<'a> Archive<'a> {
    /// Follows UIDs into `$objects` until a non-UID object, bounded by `MAX_HOPS`: its index
    /// and the object itself, already parsed (parsing it again doubled the work of a record).
    // Inlined: it runs for most fields of every record, and returning the pair through memory
    // showed in the decoding benchmark.
    #[inline(always)]
    fn follow(&self, mut index: usize) -> Result<(usize, Object<'a>), MbFileError> {
        for _ in 0..MAX_HOPS {
            match self.p.object(index)? {
                Object::Uid(u) => {
                    index = self
                        .objects
                        .get(u as usize)
                        .ok_or_else(|| bad("UID points past $objects"))?;
                }
                o => return Ok((index, o)),
            }
        }
        Err(bad("UID chain too long (cycle?)"))
    }

    fn resolve(&self, index: usize) -> Result<Object<'a>, MbFileError> {
        self.follow(index).map(|(_, o)| o)
    }

    fn resolve_index(&self, index: usize) -> Result<usize, MbFileError> {
        self.follow(index).map(|(i, _)| i)
    }

    /// Bytes of a data value: raw data, or a `{NS.data: …}` wrapper (whose value may be a UID).
    fn data(&self, index: usize, depth: usize) -> Result<Option<&'a [u8]>, MbFileError> {
        if depth > MAX_HOPS {
            return Err(bad("NS.data nesting too deep"));
        }
        match self.resolve(index)? {
            Object::Data(b) => Ok(Some(b)),
            Object::Dict { keys, values } => match self.p.dict_get(keys, values, "NS.data")? {
                Some(v) => self.data(v, depth + 1),
                None => Ok(None),
            },
            // `$null` (a UID to object 0) means "no value".
            Object::Ascii(b"$null") => Ok(None),
            _ => Ok(None),
        }
    }

    fn string(&self, index: usize, depth: usize) -> Result<Option<String>, MbFileError> {
        if depth > MAX_HOPS {
            return Err(bad("NS.string nesting too deep"));
        }
        let (i, o) = self.follow(index)?;
        match o {
            Object::Ascii(b"$null") => Ok(None),
            Object::Ascii(_) | Object::Utf16(_) => Ok(self.p.string(i)?),
            Object::Dict { keys, values } => match self.p.dict_get(keys, values, "NS.string")? {
                Some(v) => self.string(v, depth + 1),
                None => Ok(None),
            },
            Object::Data(b) => Ok(Some(String::from_utf8_lossy(b).into_owned())),
            _ => Ok(None),
        }
    }

    fn int(&self, index: usize) -> Result<Option<i128>, MbFileError> {
        Ok(match self.resolve(index)? {
            Object::Int(v) => Some(v),
            Object::Real(r) if r.is_finite() => Some(r as i128),
            Object::Bool(b) => Some(b as i128),
            _ => None,
        })
    }
}

fn as_u64(v: Option<i128>) -> Option<u64> {
    v.and_then(|x| u64::try_from(x).ok())
}
fn as_u32(v: Option<i128>) -> Option<u32> {
    v.and_then(|x| u32::try_from(x).ok())
}
fn as_i64(v: Option<i128>) -> Option<i64> {
    v.and_then(|x| i64::try_from(x).ok())
}

/// How much of a record to copy out. Each byte string copied is an allocation per row, and a
/// large listing is mostly rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every field.
    Full,
    /// Every field but RelativePath, which Manifest.db already has in a column.
    Row,
    /// What a listing prints: the numbers and the link target; no keys, digest or xattrs.
    Listing,
}

pub fn decode(bytes: &[u8]) -> Result<FileMeta, MbFileError> {
    decode_with(bytes, Detail::Full)
}

pub fn decode_with(bytes: &[u8], detail: Detail) -> Result<FileMeta, MbFileError> {
    let want_path = detail == Detail::Full;
    let want_blobs = detail != Detail::Listing;
    let p = Bplist::parse(bytes)?;
    let Object::Dict { keys, values } = p.object(p.top())? else {
        return Err(bad("top level is not a dictionary"));
    };
    // One pass over the top dictionary's keys for both entries.
    let (mut objects_ref, mut top_ref) = (None, None);
    for (k, v) in keys.iter().zip(values.iter()) {
        match p.ascii(k)? {
            Some(b"$objects") => objects_ref = Some(v),
            Some(b"$top") => top_ref = Some(v),
            _ => {}
        }
    }
    let objects_ref =
        objects_ref.ok_or_else(|| bad("no $objects (not an NSKeyedArchiver archive)"))?;
    let Object::Array(objects) = p.object(objects_ref)? else {
        return Err(bad("$objects is not an array"));
    };
    let archive = Archive { p, objects };

    // The root is `$top.root`; real archives always use index 1, so fall back to it.
    let mut root_index = objects.get(1);
    if let Some(top_ref) = top_ref {
        if let Object::Dict {
            keys: tk,
            values: tv,
        } = p.object(top_ref)?
        {
            if let Some(r) = p.dict_get(tk, tv, "root")? {
                root_index = Some(archive.resolve_index(r)?);
            }
        }
    }
    let root_index = root_index.ok_or_else(|| bad("no root object"))?;
    let Object::Dict {
        keys: fk,
        values: fv,
    } = archive.resolve(root_index)?
    else {
        return Err(bad("root object is not a dictionary"));
    };

    let mut m = FileMeta::default();
    for (k, v) in fk.iter().zip(fv.iter()) {
        // Keys are ASCII strings in every archiver seen; compare bytes, allocate nothing.
        let Some(key) = p.ascii(k)? else { continue };
        match key {
            b"Size" => m.size = as_u64(archive.int(v)?),
            b"Mode" => m.mode = as_u32(archive.int(v)?),
            b"UserID" => m.uid = as_u32(archive.int(v)?),
            b"GroupID" => m.gid = as_u32(archive.int(v)?),
            b"LastModified" => m.mtime = as_i64(archive.int(v)?),
            b"LastStatusChange" => m.ctime = as_i64(archive.int(v)?),
            b"Birth" => m.birth = as_i64(archive.int(v)?),
            b"InodeNumber" => m.inode = as_u64(archive.int(v)?),
            b"ProtectionClass" => m.protection_class = as_u32(archive.int(v)?),
            b"Flags" => m.flags = as_i64(archive.int(v)?),
            // Data values are always resolved, so a damaged one is reported whatever the
            // detail; only the copy is skipped.
            b"EncryptionKey" => {
                let d = archive.data(v, 0)?;
                if want_blobs {
                    m.encryption_key = d.map(<[u8]>::to_vec);
                }
            }
            b"Digest" => {
                let d = archive.data(v, 0)?;
                if want_blobs {
                    m.digest = d.map(<[u8]>::to_vec);
                }
            }
            b"Target" => m.target = archive.string(v, 0)?,
            b"RelativePath" if want_path => m.relative_path = archive.string(v, 0)?,
            b"ExtendedAttributes" => {
                let d = archive.data(v, 0)?;
                if let (true, Some(x)) = (want_blobs, d) {
                    m.xattrs = Xattrs::from_raw(x.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok(m)
}

/// The ExtendedAttributes value is itself a binary plist: a dictionary of xattr name → data.
pub fn decode_xattrs(bytes: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, MbFileError> {
    let p = Bplist::parse(bytes).map_err(|e| MbFileError(format!("ExtendedAttributes: {e}")))?;
    let Object::Dict { keys, values } = p.object(p.top())? else {
        return Err(bad("ExtendedAttributes is not a dictionary"));
    };
    let mut out = BTreeMap::new();
    for (k, v) in keys.iter().zip(values.iter()) {
        let Some(name) = p.string(k)? else { continue };
        let value = match p.object(v)? {
            Object::Data(b) | Object::Ascii(b) => b.to_vec(),
            Object::Utf16(b) => crate::bplist::utf16_be(b).into_bytes(),
            Object::Int(i) => i.to_le_bytes()[..8].to_vec(),
            _ => continue,
        };
        out.insert(name, value);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use plist::{Dictionary, Uid, Value};

    fn archive(objects: Vec<Value>) -> Vec<u8> {
        let mut top = Dictionary::new();
        top.insert("root".into(), Value::Uid(Uid::new(1)));
        let mut d = Dictionary::new();
        d.insert("$version".into(), Value::Integer(100000.into()));
        d.insert("$archiver".into(), Value::String("NSKeyedArchiver".into()));
        d.insert("$top".into(), Value::Dictionary(top));
        d.insert("$objects".into(), Value::Array(objects));
        let mut out = Vec::new();
        Value::Dictionary(d).to_writer_binary(&mut out).unwrap();
        out
    }

    fn class() -> Value {
        let mut c = Dictionary::new();
        c.insert("$classname".into(), Value::String("MBFile".into()));
        c.insert(
            "$classes".into(),
            Value::Array(vec![
                Value::String("MBFile".into()),
                Value::String("NSObject".into()),
            ]),
        );
        Value::Dictionary(c)
    }

    #[test]
    fn ns_data_wrapper_whose_value_is_a_uid() {
        // The shape pyiosbackup's synthetic archiver writes: EncryptionKey → {NS.data: UID → data}.
        let mut f = Dictionary::new();
        f.insert("$class".into(), Value::Uid(Uid::new(5)));
        f.insert("RelativePath".into(), Value::Uid(Uid::new(2)));
        f.insert("EncryptionKey".into(), Value::Uid(Uid::new(3)));
        f.insert("Size".into(), Value::Integer(9.into()));
        f.insert("Mode".into(), Value::Integer(33261.into()));
        let mut w = Dictionary::new();
        w.insert("NS.data".into(), Value::Uid(Uid::new(4)));
        let bytes = archive(vec![
            Value::String("$null".into()),
            Value::Dictionary(f),
            Value::String("Media/Test.txt".into()),
            Value::Dictionary(w),
            Value::Data(vec![7; 44]),
            class(),
        ]);
        let m = decode(&bytes).unwrap();
        assert_eq!(m.encryption_key, Some(vec![7; 44]));
        assert_eq!(m.relative_path.as_deref(), Some("Media/Test.txt"));
        assert_eq!(m.size, Some(9));
        assert_eq!(m.mode, Some(33261));
        assert_eq!(m.mtime, None);
    }

    #[test]
    fn inline_values_and_ns_string() {
        let mut s = Dictionary::new();
        s.insert("NS.string".into(), Value::String("/var/target".into()));
        let mut f = Dictionary::new();
        f.insert("Target".into(), Value::Dictionary(s));
        f.insert("LastModified".into(), Value::Integer(1610659523.into()));
        let bytes = archive(vec![Value::String("$null".into()), Value::Dictionary(f)]);
        let m = decode(&bytes).unwrap();
        assert_eq!(m.target.as_deref(), Some("/var/target"));
        assert_eq!(m.mtime, Some(1610659523));
    }

    #[test]
    fn uid_cycle_is_an_error() {
        let mut f = Dictionary::new();
        f.insert("Target".into(), Value::Uid(Uid::new(2)));
        let bytes = archive(vec![
            Value::String("$null".into()),
            Value::Dictionary(f),
            Value::Uid(Uid::new(2)),
        ]);
        assert!(decode(&bytes).is_err());
    }

    #[test]
    fn not_a_plist() {
        let e = decode(b"hello").unwrap_err();
        assert!(e.0.contains("bplist00"), "{e}");
    }
}
