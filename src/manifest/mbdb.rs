//! Manifest.mbdb: the binary file index of iOS 5–9 backups (FORMAT.md section 3), read into the
//! same `Entry`/`FileMeta` values as Manifest.db rows.
//!
//! Layout: the 6-byte header `mbdb\x05\x00`, then records until the end of the file. Integers
//! are big-endian; a "string" is a u16 length then that many bytes, length 0xFFFF meaning absent.
//! A record is Domain, Path, LinkTarget, DataHash, EncryptionKey (strings), then a fixed 40-byte
//! block (Mode u16, Inode u64, UserID u32, GroupID u32, three u32 Unix times — modification,
//! status change, birth —, Size u64, ProtectionClass u8, PropertyCount u8), then PropertyCount
//! pairs of (name, value) strings: the extended attributes.
//!
//! Every length is checked against the bytes left, so hostile input gives an error, never a
//! panic; lengths are at most 0xFFFE, so nothing large is ever allocated from a length field.

#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;

use super::{file_id, Entry, FileMeta};

pub const MAGIC: &[u8; 6] = b"mbdb\x05\x00";

/// One parsed record, before it becomes an `Entry`: the fields exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub domain: Vec<u8>,
    pub path: Vec<u8>,
    pub link_target: Option<Vec<u8>>,
    pub data_hash: Option<Vec<u8>>,
    pub encryption_key: Option<Vec<u8>>,
    pub mode: u16,
    pub inode: u64,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u32,
    pub ctime: u32,
    pub birth: u32,
    pub size: u64,
    pub protection_class: u8,
    /// Extended attributes, in file order (names may repeat in hostile input).
    pub properties: Vec<(Vec<u8>, Option<Vec<u8>>)>,
}

/// Why a Manifest.mbdb cannot be read: each names where, so a user (or an examiner's report) can
/// find the damage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MbdbError {
    #[error("not a Manifest.mbdb (no \"mbdb\" header)")]
    NoHeader,
    #[error("Manifest.mbdb version {major:02x} {minor:02x} is not the known 05 00")]
    Version { major: u8, minor: u8 },
    #[error("truncated {what} at offset {offset} ({wanted} bytes wanted, {left} left)")]
    Truncated {
        what: &'static str,
        offset: usize,
        wanted: usize,
        left: usize,
    },
    /// A record's field is cut short; `record` counts from 1 and `start` is its first byte.
    #[error("record {record} (offset {start}): {source}")]
    InRecord {
        record: usize,
        start: usize,
        #[source]
        source: Box<MbdbError>,
    },
}

struct Cur<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], MbdbError> {
        let end = self.pos.checked_add(n);
        match end.and_then(|e| Some((e, self.b.get(self.pos..e)?))) {
            Some((e, s)) => {
                self.pos = e;
                Ok(s)
            }
            None => Err(MbdbError::Truncated {
                what,
                offset: self.pos,
                wanted: n,
                left: self.b.len().saturating_sub(self.pos),
            }),
        }
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], MbdbError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, MbdbError> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, MbdbError> {
        Ok(u16::from_be_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, MbdbError> {
        Ok(u32::from_be_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, MbdbError> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }

    /// A string: u16 length, 0xFFFF = absent.
    fn string(&mut self, what: &'static str) -> Result<Option<Vec<u8>>, MbdbError> {
        let len = self.u16(what)?;
        if len == 0xFFFF {
            return Ok(None);
        }
        Ok(Some(self.take(usize::from(len), what)?.to_vec()))
    }
}

/// Checks the magic and version from a file's first six bytes, so that a file that is not a
/// Manifest.mbdb is refused before it is read whole.
pub fn check_header(head: &[u8]) -> Result<(), MbdbError> {
    let header = head
        .first_chunk::<6>()
        .filter(|h| h.starts_with(b"mbdb"))
        .ok_or(MbdbError::NoHeader)?;
    if header != MAGIC {
        let [.., major, minor] = *header;
        return Err(MbdbError::Version { major, minor });
    }
    Ok(())
}

/// Parses every record. A bad header or a record cut short is an error naming the record and the
/// byte offset; nothing is guessed past damage.
pub fn parse(bytes: &[u8]) -> Result<Vec<Record>, MbdbError> {
    check_header(bytes)?;
    let mut c = Cur {
        b: bytes,
        pos: MAGIC.len(),
    };
    let mut out = Vec::new();
    while c.pos < bytes.len() {
        let start = c.pos;
        let r = record(&mut c).map_err(|e| MbdbError::InRecord {
            record: out.len() + 1,
            start,
            source: Box::new(e),
        })?;
        out.push(r);
    }
    Ok(out)
}

fn record(c: &mut Cur<'_>) -> Result<Record, MbdbError> {
    let domain = c.string("Domain")?.unwrap_or_default();
    let path = c.string("Path")?.unwrap_or_default();
    let link_target = c.string("LinkTarget")?;
    let data_hash = c.string("DataHash")?;
    let encryption_key = c.string("EncryptionKey")?;
    // The fixed 40-byte block; taken whole first so a short one is reported as such.
    let mut f = Cur {
        b: c.take(40, "40-byte attribute block")?,
        pos: 0,
    };
    let mode = f.u16("Mode")?;
    let inode = f.u64("Inode")?;
    let uid = f.u32("UserID")?;
    let gid = f.u32("GroupID")?;
    let mtime = f.u32("LastModified")?;
    let ctime = f.u32("LastStatusChange")?;
    let birth = f.u32("Birth")?;
    let size = f.u64("Size")?;
    let protection_class = f.u8("ProtectionClass")?;
    let count = f.u8("PropertyCount")?;
    let mut properties = Vec::with_capacity(usize::from(count));
    for _ in 0..count {
        let name = c.string("property name")?.unwrap_or_default();
        let value = c.string("property value")?;
        properties.push((name, value));
    }
    Ok(Record {
        domain,
        path,
        link_target,
        data_hash,
        encryption_key,
        mode,
        inode,
        uid,
        gid,
        mtime,
        ctime,
        birth,
        size,
        protection_class,
        properties,
    })
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

impl Record {
    /// The `Entry` of this record: fileID computed from domain and path, `flags` 1/2/4 from the
    /// mode's type bits (0 when they name no file, folder or link), times as Unix seconds.
    pub fn into_entry(self) -> Entry {
        let domain = lossy(&self.domain);
        let relative_path = lossy(&self.path);
        // The stored bytes are what was hashed (1.7); lossy text only when they are not UTF-8.
        let id = {
            use sha1::Digest;
            let mut h = sha1::Sha1::new();
            h.update(&self.domain);
            h.update(b"-");
            h.update(&self.path);
            hex::encode(h.finalize())
        };
        debug_assert!(
            std::str::from_utf8(&self.domain).is_err()
                || std::str::from_utf8(&self.path).is_err()
                || id == file_id(&domain, &relative_path)
        );
        let flags = match self.mode & 0xF000 {
            0x8000 => 1,
            0x4000 => 2,
            0xA000 => 4,
            _ => 0,
        };
        let mut xattrs = BTreeMap::new();
        for (name, value) in self.properties {
            xattrs.insert(lossy(&name), value.unwrap_or_default());
        }
        let meta = FileMeta {
            size: Some(self.size),
            mode: Some(u32::from(self.mode)),
            uid: Some(self.uid),
            gid: Some(self.gid),
            mtime: Some(i64::from(self.mtime)),
            ctime: Some(i64::from(self.ctime)),
            birth: Some(i64::from(self.birth)),
            inode: Some(self.inode),
            protection_class: Some(u32::from(self.protection_class)),
            flags: None,
            encryption_key: self.encryption_key.filter(|k| !k.is_empty()),
            target: self.link_target.map(|t| lossy(&t)),
            digest: self.data_hash.filter(|d| !d.is_empty()),
            relative_path: Some(relative_path.clone()),
            xattrs: xattrs.into(),
        };
        Entry {
            file_id: id,
            domain,
            relative_path,
            flags,
            meta,
            problem: None,
        }
    }
}

fn put_string(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        // Parsed strings are at most 0xFFFE bytes, so the length always fits.
        Some(b) if b.len() < 0xFFFF => {
            out.extend_from_slice(&(b.len() as u16).to_be_bytes());
            out.extend_from_slice(b);
        }
        _ => out.extend_from_slice(&[0xFF, 0xFF]),
    }
}

impl Record {
    /// The record's bytes, the inverse of `parse` (absent Domain/Path are written empty).
    pub fn write(&self, out: &mut Vec<u8>) {
        put_string(out, Some(&self.domain));
        put_string(out, Some(&self.path));
        put_string(out, self.link_target.as_deref());
        put_string(out, self.data_hash.as_deref());
        put_string(out, self.encryption_key.as_deref());
        out.extend_from_slice(&self.mode.to_be_bytes());
        out.extend_from_slice(&self.inode.to_be_bytes());
        out.extend_from_slice(&self.uid.to_be_bytes());
        out.extend_from_slice(&self.gid.to_be_bytes());
        out.extend_from_slice(&self.mtime.to_be_bytes());
        out.extend_from_slice(&self.ctime.to_be_bytes());
        out.extend_from_slice(&self.birth.to_be_bytes());
        out.extend_from_slice(&self.size.to_be_bytes());
        out.push(self.protection_class);
        out.push(self.properties.len().min(255) as u8);
        for (name, value) in self.properties.iter().take(255) {
            put_string(out, Some(name));
            put_string(out, value.as_deref());
        }
    }
}

/// Manifest.mbdb as a plain backup has it: every record kept, its EncryptionKey removed (used
/// by `decrypt`, whose blobs are plaintext).
pub fn without_keys(bytes: &[u8]) -> Result<Vec<u8>, MbdbError> {
    let mut out = MAGIC.to_vec();
    for mut r in parse(bytes)? {
        r.encryption_key = None;
        r.write(&mut out);
    }
    Ok(out)
}

/// Every record as an `Entry`, sorted by domain, path and file ID like Manifest.db listings.
pub fn read_entries(bytes: &[u8]) -> Result<Vec<Entry>, MbdbError> {
    let mut entries: Vec<Entry> = parse(bytes)?.into_iter().map(Record::into_entry).collect();
    // The same order as Manifest.db listings: domain, path, fileID.
    super::db::sort_entries(&mut entries);
    Ok(entries)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn s(out: &mut Vec<u8>, v: Option<&[u8]>) {
        match v {
            None => out.extend_from_slice(&[0xFF, 0xFF]),
            Some(b) => {
                out.extend_from_slice(&(b.len() as u16).to_be_bytes());
                out.extend_from_slice(b);
            }
        }
    }

    /// The synthetic record of pyiosbackup's tests (`example_mbdb`), rebuilt field by field.
    fn sample() -> Vec<u8> {
        let mut v = MAGIC.to_vec();
        s(&mut v, Some(b"MyTestDomain"));
        s(&mut v, Some(b"Media/Test.txt"));
        s(&mut v, None);
        s(&mut v, Some(&[0x11; 20]));
        let mut key = 3u32.to_le_bytes().to_vec();
        key.extend_from_slice(&[0x22; 40]);
        s(&mut v, Some(&key));
        v.extend_from_slice(&0o100644u16.to_be_bytes());
        v.extend_from_slice(&123_456u64.to_be_bytes());
        v.extend_from_slice(&501u32.to_be_bytes());
        v.extend_from_slice(&20u32.to_be_bytes());
        v.extend_from_slice(&1_400_000_001u32.to_be_bytes());
        v.extend_from_slice(&1_400_000_002u32.to_be_bytes());
        v.extend_from_slice(&1_400_000_003u32.to_be_bytes());
        v.extend_from_slice(&42u64.to_be_bytes());
        v.push(3);
        v.push(2);
        s(&mut v, Some(b"com.apple.assetsd.UUID"));
        s(&mut v, Some(&[0, 1, 0xFF]));
        s(&mut v, Some(b"empty"));
        s(&mut v, None);
        // A directory and a symlink.
        s(&mut v, Some(b"MyTestDomain"));
        s(&mut v, Some(b"Media"));
        s(&mut v, None);
        s(&mut v, None);
        s(&mut v, None);
        v.extend_from_slice(&0o040755u16.to_be_bytes());
        v.extend_from_slice(&[0; 38]);
        s(&mut v, Some(b"MyTestDomain"));
        s(&mut v, Some(b"link"));
        s(&mut v, Some(b"/var/mobile/Media"));
        s(&mut v, None);
        s(&mut v, None);
        v.extend_from_slice(&0o120755u16.to_be_bytes());
        v.extend_from_slice(&[0; 38]);
        v
    }

    #[test]
    fn exact_fields() {
        let e = read_entries(&sample()).unwrap();
        assert_eq!(e.len(), 3);
        let f = &e[1];
        assert_eq!(f.relative_path, "Media/Test.txt");
        assert_eq!(f.file_id, "5727bd1c5fa1055e15d8b4a75a74793c84b5ffdc");
        assert_eq!(f.flags, 1);
        assert_eq!(f.kind(), crate::EntryKind::File);
        assert_eq!(f.meta.mode, Some(0o100644));
        assert_eq!(f.meta.inode, Some(123_456));
        assert_eq!((f.meta.uid, f.meta.gid), (Some(501), Some(20)));
        assert_eq!(f.meta.mtime, Some(1_400_000_001));
        assert_eq!(f.meta.ctime, Some(1_400_000_002));
        assert_eq!(f.meta.birth, Some(1_400_000_003));
        assert_eq!(f.meta.size, Some(42));
        assert_eq!(f.meta.protection_class, Some(3));
        assert_eq!(f.meta.digest.as_deref(), Some(&[0x11; 20][..]));
        assert_eq!(f.meta.encryption_key.as_ref().map(Vec::len), Some(44));
        assert_eq!(f.meta.xattrs["com.apple.assetsd.UUID"], vec![0, 1, 0xFF]);
        assert_eq!(f.meta.xattrs["empty"], Vec::<u8>::new());
        assert_eq!(e[0].relative_path, "Media");
        assert_eq!(e[0].kind(), crate::EntryKind::Dir);
        assert_eq!(e[0].meta.target, None);
        assert_eq!(e[2].kind(), crate::EntryKind::Symlink);
        assert_eq!(e[2].meta.target.as_deref(), Some("/var/mobile/Media"));
    }

    #[test]
    fn write_is_the_inverse_of_parse() {
        let bytes = sample();
        let mut out = MAGIC.to_vec();
        for r in parse(&bytes).unwrap() {
            r.write(&mut out);
        }
        assert_eq!(out, bytes);
        let plain = without_keys(&bytes).unwrap();
        assert_eq!(plain.len(), bytes.len() - 44);
        assert!(parse(&plain)
            .unwrap()
            .iter()
            .all(|r| r.encryption_key.is_none()));
    }

    /// The synthetic record of pyiosbackup's `test_creating_from_path_mbdb` (FORMAT.md A.4),
    /// with the values that test asserts; its key unwraps with the all-zero class key and the
    /// blob decrypts to "Test data".
    #[test]
    fn pyiosbackup_example_record() {
        let key = "04000000\
                   97317494343807e690fd1e431413963dc0e3deb4907fb89fa36ce65126d0ea1301381fb3a2941e2f";
        let hexed = format!(
            "6d6264620500 000c{} 000e{} ffff ffff 002c{key} 81ed 00000000000012d8 000001f5 \
             000001f5 610a911f 610a914d 6108ed24 0000000000000009 04 00",
            hex::encode("MyTestDomain"),
            hex::encode("Media/Test.txt"),
        );
        let bytes = hex::decode(hexed.replace([' ', '\n'], "")).unwrap();
        let e = read_entries(&bytes).unwrap();
        assert_eq!(e.len(), 1);
        let e = &e[0];
        assert_eq!(e.file_id, "5727bd1c5fa1055e15d8b4a75a74793c84b5ffdc");
        assert_eq!(e.kind(), crate::EntryKind::File);
        assert_eq!(e.meta.mode, Some(33261));
        assert_eq!(e.meta.inode, Some(0x12d8));
        assert_eq!((e.meta.uid, e.meta.gid), (Some(501), Some(501)));
        assert_eq!(e.meta.mtime, Some(1_628_082_463));
        assert_eq!(e.meta.ctime, Some(1_628_082_509));
        assert_eq!(e.meta.birth, Some(1_627_974_948));
        assert_eq!(e.meta.size, Some(9));
        assert_eq!(e.meta.protection_class, Some(4));
        let wrapped = e.meta.encryption_key.as_ref().unwrap();
        assert_eq!(wrapped[..4], 4u32.to_le_bytes());
        let zero = crate::secret::Key32::from_bytes([0; 32]);
        let file_key = crate::crypto::unwrap_key(&zero, &wrapped[4..]).unwrap();
        let blob = hex::decode("78b51ca5374c3ad575174288688cda49").unwrap();
        let (plain, _) = crate::crypto::decrypt_to_vec(&file_key, &blob).unwrap();
        assert_eq!(plain, b"Test data");
    }

    #[test]
    fn header_checked() {
        assert!(parse(b"").is_err());
        assert!(parse(b"mbdb").is_err());
        assert!(parse(b"mbdx\x05\x00").is_err());
        assert!(parse(b"mbdb\x04\x00")
            .unwrap_err()
            .to_string()
            .contains("04 00"));
        assert_eq!(parse(MAGIC).unwrap(), vec![]);
    }

    #[test]
    fn every_prefix_and_bit_flip_is_handled() {
        let full = sample();
        let records = parse(&full).unwrap();
        for n in 0..full.len() {
            let r = parse(&full[..n]);
            // A prefix either ends exactly at a record boundary or is reported as truncated.
            if let Ok(v) = r {
                assert!(v.len() <= records.len());
                assert_eq!(v[..], records[..v.len()]);
            }
        }
        // Deterministic xorshift so failures reproduce.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            let mut b = full.clone();
            for _ in 0..1 + (x % 4) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize) % b.len();
                b[i] ^= 1 << (x % 8);
            }
            let _ = read_entries(&b);
        }
        // Lengths claiming far more than is there.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&[0xFF, 0xFE, b'a']);
        assert!(parse(&huge)
            .unwrap_err()
            .to_string()
            .contains("truncated Domain"));
    }
}
