//! Where a backup's bytes live. Everything above this module names files by their path inside the
//! backup ("Manifest.db", "ab/ab12…"); only this module knows whether that is a folder on disk or
//! a member of a zip archive (`zip`), what a backup folder's files are called (`layout`), and
//! where on this computer backups are (`location`).

pub mod layout;
pub mod location;
pub mod zip;

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use self::layout::is_hex;
pub use self::layout::{is_file_id, SNAPSHOT};
pub use self::zip::{ZipReader, ZipSource};
use crate::error::{Error, IoContext, Result};

/// The largest plist read whole (Manifest.plist, Info.plist, Status.plist). Info.plist carries
/// iTunes' app data and icons and reaches tens of megabytes on real devices; this leaves room.
pub const MAX_PLIST_BYTES: u64 = 256 << 20;

/// The largest database (Manifest.db, Manifest.mbdb, Photos.sqlite, a -wal) read into memory:
/// the largest real ones are around a gigabyte. A plain folder backup's Manifest.db and
/// Photos.sqlite without a -wal are opened in place and not bound by it. README: "Limits".
pub const MAX_DATABASE_BYTES: u64 = 4 << 30;

/// The error for a file over its in-memory limit: the file, its size and the limit.
pub fn over_limit(path: &Path, len: u64, limit: u64) -> Error {
    Error::unreadable(
        path,
        format!(
            "{len} bytes, more than the {} MiB unback reads of such a file into memory (a damaged or hostile backup?)",
            limit >> 20
        ),
    )
}

#[derive(Debug, Clone)]
pub enum Source {
    Dir(DirSource),
    /// A backup inside a .zip archive (see `zip`).
    Zip(ZipSource),
}

#[derive(Debug, Clone)]
pub struct DirSource {
    root: PathBuf,
    /// Reading an interrupted backup: files in `Snapshot/` (where the device writes during a
    /// backup) take precedence over the top level.
    snapshot: bool,
}

impl DirSource {
    fn path_of(&self, name: &str) -> PathBuf {
        if self.snapshot {
            let s = self.root.join(SNAPSHOT).join(name);
            if present(&s) {
                return s;
            }
        }
        self.root.join(name)
    }

    /// The path of `name` once it is known to be a regular file inside the backup: every
    /// folder on the way a real folder and the file itself a regular file, none of them a
    /// symbolic link. A backup folder comes from elsewhere (a zip, another disk, an adversary):
    /// a blob that is a link to `/etc/passwd` must be reported, not read into OUT (issue 11
    /// item 15). Only the backup's own folder (given by the user) may be reached through links.
    fn regular(&self, name: &str) -> io::Result<PathBuf> {
        let path = self.path_of(name);
        let rel = path.strip_prefix(&self.root).unwrap_or(Path::new(name));
        let mut cur = self.root.clone();
        let mut parts = rel.components().peekable();
        while let Some(c) = parts.next() {
            cur.push(c);
            let t = std::fs::symlink_metadata(&cur)?.file_type();
            let last = parts.peek().is_none();
            if last && t.is_file() || !last && t.is_dir() {
                continue;
            }
            let what = if t.is_symlink() {
                "a symbolic link"
            } else if t.is_dir() {
                "a folder"
            } else {
                "not a regular file (a device, FIFO or socket)"
            };
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "{} is {what}, not a file of the backup; not read",
                    cur.display()
                ),
            ));
        }
        Ok(path)
    }

    /// Opens `name` for reading if it is a regular file inside the backup (`regular`). The
    /// opened file is checked again, so a swap between the check and the open is caught
    /// (on Unix by device and inode).
    fn open(&self, name: &str) -> io::Result<File> {
        let path = self.regular(name)?;
        let before = std::fs::symlink_metadata(&path)?;
        let f = File::open(&path)?;
        let after = f.metadata()?;
        #[cfg(unix)]
        let same = {
            use std::os::unix::fs::MetadataExt;
            before.dev() == after.dev() && before.ino() == after.ino()
        };
        #[cfg(not(unix))]
        let same = before.is_file();
        if !same || !after.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "changed while being opened; not read",
            ));
        }
        Ok(f)
    }
}

/// Something is at `p` (a link counts, so that it is found and refused, not taken as absent).
fn present(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir())
}

/// A readable blob. Kept as an enum (not a boxed trait) so the plain-folder case can hand its
/// `File` to `io::copy`, which the standard library turns into `copy_file_range` on Linux.
pub enum BlobReader {
    File(File),
    /// A zip member, streamed (and inflated) from the archive's memory map.
    Zip(ZipReader),
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            BlobReader::File(f) => f.read(buf),
            BlobReader::Zip(z) => z.read(buf),
        }
    }
}

impl BlobReader {
    pub fn byte_len(&self) -> io::Result<u64> {
        match self {
            BlobReader::File(f) => Ok(f.metadata()?.len()),
            BlobReader::Zip(z) => Ok(z.byte_len()),
        }
    }
}

impl Source {
    pub fn dir(root: impl Into<PathBuf>) -> Source {
        Source::Dir(DirSource {
            root: root.into(),
            snapshot: false,
        })
    }

    /// A folder whose backup did not finish: `Snapshot/` first, then the top level.
    pub fn dir_with_snapshot(root: impl Into<PathBuf>) -> Source {
        Source::Dir(DirSource {
            root: root.into(),
            snapshot: true,
        })
    }

    /// The backup's location, for messages and reports.
    pub fn root(&self) -> &Path {
        match self {
            Source::Dir(d) => &d.root,
            Source::Zip(z) => z.root(),
        }
    }

    /// A displayable path for a file inside the backup, so errors name the file.
    pub fn display_path(&self, name: &str) -> PathBuf {
        match self {
            Source::Dir(d) => d.path_of(name),
            Source::Zip(_) => self.root().join(name),
        }
    }

    /// The file's own path on disk, when the backup is a plain folder (not a zip member) and
    /// the file is a regular one inside it; a link is `None`, so callers that open files in
    /// place (SQLite, memory maps) fall back to `read`, which reports it.
    pub fn local_file(&self, name: &str) -> Option<PathBuf> {
        match self {
            Source::Dir(d) => d.regular(name).ok(),
            Source::Zip(_) => None,
        }
    }

    /// Whether the backup has `name`. In a folder, anything but a folder counts, links too:
    /// found, then refused when read, rather than reported as absent.
    pub fn exists(&self, name: &str) -> bool {
        match self {
            Source::Dir(d) => present(&d.path_of(name)),
            Source::Zip(z) => z.exists(name),
        }
    }

    pub fn len(&self, name: &str) -> Result<u64> {
        let path = self.display_path(name);
        match self {
            Source::Dir(d) => Ok(std::fs::metadata(d.regular(name).at(&path)?)
                .at(&path)?
                .len()),
            Source::Zip(z) => z.len(name).at(&path),
        }
    }

    /// The whole of `name`, refused (before any of it is read) when it is longer than `limit`:
    /// every file read into memory has a bound the caller chose, never one a hostile backup
    /// sets (a 2 GB "Manifest.plist", a zip member that inflates 1 MB into 1 GB).
    pub fn read(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let path = self.display_path(name);
        let len = self.len(name)?;
        if len > limit {
            return Err(over_limit(&path, len, limit));
        }
        let mut v = Vec::with_capacity(len.min(1 << 26) as usize);
        // `take` too: a file can grow between the length check and the read.
        self.open(name)?
            .take(limit.saturating_add(1))
            .read_to_end(&mut v)
            .at(&path)?;
        if v.len() as u64 > limit {
            return Err(over_limit(&path, v.len() as u64, limit));
        }
        Ok(v)
    }

    /// The first `n` bytes of `name` (fewer when it is shorter): a header to check before
    /// anything is read whole.
    pub fn read_head(&self, name: &str, n: usize) -> Result<Vec<u8>> {
        let path = self.display_path(name);
        let mut v = Vec::with_capacity(n);
        self.open(name)?
            .take(n as u64)
            .read_to_end(&mut v)
            .at(&path)?;
        Ok(v)
    }

    pub fn open(&self, name: &str) -> Result<BlobReader> {
        let path = self.display_path(name);
        match self {
            Source::Dir(d) => Ok(BlobReader::File(d.open(name).at(&path)?)),
            Source::Zip(z) => Ok(BlobReader::Zip(z.open(name).at(&path)?)),
        }
    }

    /// Where the blob of `file_id` is: `xx/<id>` (iOS 10+) or `<id>` in the root (iOS 5–9 and
    /// some copies). `None` when neither exists: a listed file whose blob is absent.
    pub fn blob_name(&self, file_id: &str) -> Option<String> {
        if !is_file_id(file_id) {
            return None;
        }
        let nested = format!("{}/{}", &file_id[..2], file_id);
        if self.exists(&nested) {
            return Some(nested);
        }
        if self.exists(file_id) {
            return Some(file_id.to_string());
        }
        None
    }

    /// Every file name in the backup that looks like a blob, for orphan detection and `verify`.
    pub fn blob_names(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        match self {
            Source::Dir(d) => {
                let mut roots = vec![(d.root.clone(), String::new())];
                if d.snapshot {
                    roots.push((d.root.join(SNAPSHOT), format!("{SNAPSHOT}/")));
                }
                for (root, prefix) in roots {
                    list_blobs(&root, &prefix, &mut out)?;
                }
            }
            Source::Zip(z) => out = z.blob_names(),
        }
        out.sort();
        Ok(out)
    }

    pub fn unreadable(&self, name: &str, cause: impl std::fmt::Display) -> Error {
        Error::unreadable(self.display_path(name), cause)
    }
}

fn list_blobs(root: &Path, prefix: &str, out: &mut Vec<String>) -> Result<()> {
    let rd = std::fs::read_dir(root).at(root)?;
    for ent in rd.flatten() {
        let name = ent.file_name().to_string_lossy().into_owned();
        let ft = match ent.file_type() {
            Ok(t) => t,
            Err(_) => continue,
        };
        if ft.is_file() && is_file_id(&name) {
            out.push(format!("{prefix}{name}"));
        } else if ft.is_dir() && name.len() == 2 && is_hex(&name) {
            let sub = root.join(&name);
            for e in std::fs::read_dir(&sub).at(&sub)?.flatten() {
                let n = e.file_name().to_string_lossy().into_owned();
                if is_file_id(&n) && n.starts_with(&name) {
                    out.push(format!("{prefix}{name}/{n}"));
                }
            }
        }
    }
    Ok(())
}
