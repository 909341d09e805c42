//! Backups inside a `.zip` archive, read in place: the archive is memory-mapped, its central
//! directory parsed once (by the `zip` crate: ZIP64, UTF-8 or CP437 names) into a name → member
//! table, and every member is read by random access straight from the map. Nothing is extracted
//! to disk, and only small members (plists, the index) are ever read whole.
//!
//! Concurrency: a member reader only needs a shared `&` to the table and the map (no `&mut
//! ZipArchive`, no seek position), so any number of rayon workers read members at once. Stored
//! members are a window of the map; deflated ones stream through a `DeflateDecoder` over it.
//! Every read checks the member's length and CRC-32 from the central directory at its end.

#![deny(clippy::indexing_slicing)]

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;
use zip::CompressionMethod;

use super::layout::is_file_id;
use super::layout::{INFO_PLIST, MANIFEST_DB, MANIFEST_MBDB, MANIFEST_PLIST, STATUS_PLIST};
use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Method {
    Stored,
    Deflated,
    Other(String),
}

#[derive(Debug, Clone)]
struct Member {
    header_start: u64,
    compressed: u64,
    size: u64,
    crc: u32,
    method: Method,
    encrypted: bool,
}

/// One opened archive: its map and member table, shared by every backup inside it.
pub struct ZipArchiveIndex {
    path: PathBuf,
    map: Mmap,
    members: HashMap<String, Member>,
}

impl fmt::Debug for ZipArchiveIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZipArchiveIndex")
            .field("path", &self.path)
            .field("members", &self.members.len())
            .finish()
    }
}

/// True when `path` is a file starting with a zip signature (a local header, or the end record
/// of an empty archive).
pub fn is_zip_file(path: &Path) -> bool {
    if !path.is_file() {
        return false;
    }
    let mut sig = [0u8; 4];
    match File::open(path).and_then(|mut f| f.read_exact(&mut sig)) {
        Ok(()) => matches!(&sig, b"PK\x03\x04" | b"PK\x05\x06" | b"PK\x07\x08"),
        Err(_) => false,
    }
}

impl ZipArchiveIndex {
    /// Maps the archive and reads its central directory.
    pub fn open(path: &Path) -> Result<Arc<ZipArchiveIndex>> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if len == 0 {
            return Err(Error::unreadable(path, "empty file, not a zip archive"));
        }
        // SAFETY: the map is only read. Like every reader of a mapped file, we rely on nobody
        // truncating the archive while it is open (that would fault, as it would for any
        // mmap-based tool); the backup is treated as read-only input throughout.
        #[allow(unsafe_code)]
        let map = unsafe { Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let bad = |e: zip::result::ZipError| Error::unreadable(path, format!("zip archive: {e}"));
        let archive = zip::ZipArchive::new(Cursor::new(&map[..])).map_err(bad)?;
        let mut members = HashMap::with_capacity(archive.len());
        for i in 0..archive.len() {
            let entry = archive.by_index_data(i).map_err(bad)?;
            if entry.is_dir() {
                continue;
            }
            let name = match entry.name() {
                Ok(n) => n.replace('\\', "/"),
                Err(_) => continue,
            };
            let method = match entry.compression() {
                CompressionMethod::Stored => Method::Stored,
                CompressionMethod::Deflated => Method::Deflated,
                other => Method::Other(format!("{other:?}")),
            };
            members.insert(
                name.trim_start_matches('/').to_string(),
                Member {
                    header_start: entry.header_start(),
                    compressed: entry.compressed_size(),
                    size: entry.size(),
                    crc: entry.crc32(),
                    method,
                    encrypted: entry.encrypted(),
                },
            );
        }
        drop(archive);
        Ok(Arc::new(ZipArchiveIndex {
            path: path.to_path_buf(),
            map,
            members,
        }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder prefixes ("" or "a/b/<udid>/") of every backup in the archive: folders
    /// holding Manifest.plist, Manifest.db or Manifest.mbdb — or, for a backup that did not
    /// finish, only Info.plist/Status.plist. Folders inside another backup (its `Snapshot/`)
    /// and macOS `__MACOSX/` resource forks are not backups. Sorted.
    pub fn backup_prefixes(&self) -> Vec<String> {
        let markers = [
            MANIFEST_PLIST,
            MANIFEST_DB,
            MANIFEST_MBDB,
            INFO_PLIST,
            STATUS_PLIST,
        ];
        let mut found = BTreeSet::new();
        for name in self.members.keys() {
            if name.starts_with("__MACOSX/") {
                continue;
            }
            let (prefix, base) = match name.rfind('/') {
                Some(i) => (&name[..=i], &name[i + 1..]),
                None => ("", name.as_str()),
            };
            if markers.contains(&base) {
                found.insert(prefix.to_string());
            }
        }
        let mut out: Vec<String> = Vec::new();
        for p in found {
            // BTreeSet order puts a parent before everything under it.
            if !out.iter().any(|o| p.starts_with(o.as_str())) {
                out.push(p);
            }
        }
        out
    }

    fn member(&self, name: &str) -> Option<&Member> {
        self.members.get(name)
    }

    /// Where a member's data starts: after its local header, whose name and extra lengths
    /// (ZIP64 fields included) may differ from the central directory's.
    fn data_range(&self, m: &Member) -> io::Result<(usize, usize)> {
        let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_string());
        let h = usize::try_from(m.header_start).map_err(|_| bad("offset too large"))?;
        let header: &[u8; 30] = self
            .map
            .get(h..)
            .and_then(<[u8]>::first_chunk)
            .ok_or_else(|| bad("local header past the end of the archive"))?;
        if !header.starts_with(b"PK\x03\x04") {
            return Err(bad("no local header where the central directory points"));
        }
        let [.., n0, n1, e0, e1] = *header;
        let n = usize::from(u16::from_le_bytes([n0, n1]));
        let e = usize::from(u16::from_le_bytes([e0, e1]));
        let start = h + 30 + n + e;
        let end = usize::try_from(m.compressed)
            .ok()
            .and_then(|c| start.checked_add(c))
            .filter(|&end| end <= self.map.len())
            .ok_or_else(|| bad("member data runs past the end of the archive"))?;
        Ok((start, end))
    }
}

/// A window of the archive's map, owned (through the `Arc`) so readers need no lifetime.
#[derive(Clone)]
struct Window {
    index: Arc<ZipArchiveIndex>,
    start: usize,
    end: usize,
}

impl AsRef<[u8]> for Window {
    fn as_ref(&self) -> &[u8] {
        // `data_range` checked the window against the map when the reader was made.
        self.index.map.get(self.start..self.end).unwrap_or_default()
    }
}

enum Inner {
    Stored(Cursor<Window>),
    Deflated(Box<flate2::bufread::DeflateDecoder<Cursor<Window>>>),
}

/// Streams one member's uncompressed bytes, checking length and CRC-32 at the end.
pub struct ZipReader {
    inner: Inner,
    hasher: crc32fast::Hasher,
    crc: u32,
    size: u64,
    got: u64,
}

impl ZipReader {
    pub fn byte_len(&self) -> u64 {
        self.size
    }
}

impl Read for ZipReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let n = match &mut self.inner {
            Inner::Stored(c) => c.read(buf)?,
            Inner::Deflated(d) => d.read(buf)?,
        };
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        let read = buf
            .get(..n)
            .ok_or_else(|| bad("zip member reader returned more bytes than asked".into()))?;
        self.hasher.update(read);
        self.got += n as u64;
        if self.got > self.size {
            return Err(bad(format!(
                "zip member is longer than the {} bytes its directory entry records",
                self.size
            )));
        }
        if n == 0 {
            if self.got != self.size {
                return Err(bad(format!(
                    "zip member ended after {} of its {} bytes",
                    self.got, self.size
                )));
            }
            let crc = self.hasher.clone().finalize();
            if crc != self.crc {
                return Err(bad(format!(
                    "zip member CRC-32 {crc:08x} differs from the recorded {:08x} (damaged archive)",
                    self.crc
                )));
            }
        }
        Ok(n)
    }
}

/// One backup inside an archive: the shared archive plus the backup's folder prefix.
#[derive(Debug, Clone)]
pub struct ZipSource {
    index: Arc<ZipArchiveIndex>,
    prefix: String,
    root: PathBuf,
}

impl ZipSource {
    pub fn new(index: Arc<ZipArchiveIndex>, prefix: &str) -> ZipSource {
        let root = index.path.join(prefix.trim_end_matches('/'));
        ZipSource {
            index,
            prefix: prefix.to_string(),
            root,
        }
    }

    /// The only backup in the archive at `path`; an error listing them when there are several.
    pub fn open_single(path: &Path) -> Result<ZipSource> {
        let index = ZipArchiveIndex::open(path)?;
        let prefixes = index.backup_prefixes();
        match prefixes.as_slice() {
            [one] => Ok(ZipSource::new(index.clone(), one)),
            [] => Err(Error::unreadable(
                path,
                "no iOS backup in this zip archive (no Manifest.plist, Manifest.db or Manifest.mbdb in it)",
            )),
            many => Err(Error::Usage(format!(
                "{}: holds {} backups; choose one with --udid (folder name, UDID or device name):\n{}",
                path.display(),
                many.len(),
                many.iter()
                    .map(|p| format!("  {p}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            ))),
        }
    }

    /// `<archive>/<prefix>`, for messages.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn archive(&self) -> &Path {
        &self.index.path
    }

    /// The backup's folder inside the archive ("" or "a/b/<udid>/").
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn member(&self, name: &str) -> Option<&Member> {
        self.index.member(&format!("{}{}", self.prefix, name))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.member(name).is_some()
    }

    pub fn len(&self, name: &str) -> io::Result<u64> {
        self.member(name)
            .map(|m| m.size)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    pub fn open(&self, name: &str) -> io::Result<ZipReader> {
        let m = self
            .member(name)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        let unsupported = |what: String| io::Error::new(io::ErrorKind::Unsupported, what);
        if m.encrypted {
            return Err(unsupported(
                "the zip member is encrypted (zip passwords are not supported)".into(),
            ));
        }
        let (start, end) = self.index.data_range(m)?;
        let window = Cursor::new(Window {
            index: self.index.clone(),
            start,
            end,
        });
        let inner = match &m.method {
            Method::Stored => Inner::Stored(window),
            Method::Deflated => {
                Inner::Deflated(Box::new(flate2::bufread::DeflateDecoder::new(window)))
            }
            Method::Other(n) => {
                return Err(unsupported(format!(
                    "zip compression method {n} is not supported (only stored and deflated)"
                )))
            }
        };
        Ok(ZipReader {
            inner,
            hasher: crc32fast::Hasher::new(),
            crc: m.crc,
            size: m.size,
            got: 0,
        })
    }

    /// Members of this backup named like blobs (`xx/<id>` or `<id>`), sorted.
    pub fn blob_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .index
            .members
            .keys()
            .filter_map(|k| k.strip_prefix(self.prefix.as_str()))
            .filter(|rest| match rest.split_once('/') {
                None => is_file_id(rest),
                Some((dir, id)) => dir.len() == 2 && is_file_id(id) && id.starts_with(dir),
            })
            .map(str::to_string)
            .collect();
        out.sort();
        out
    }
}
