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
            if s.is_file() {
                return s;
            }
        }
        self.root.join(name)
    }
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

    /// The file's own path on disk, when the backup is a plain folder (not a zip member).
    pub fn local_file(&self, name: &str) -> Option<PathBuf> {
        match self {
            Source::Dir(d) => Some(d.path_of(name)),
            Source::Zip(_) => None,
        }
    }

    pub fn exists(&self, name: &str) -> bool {
        match self {
            Source::Dir(d) => d.path_of(name).is_file(),
            Source::Zip(z) => z.exists(name),
        }
    }

    pub fn len(&self, name: &str) -> Result<u64> {
        let path = self.display_path(name);
        match self {
            Source::Dir(_) => Ok(std::fs::metadata(&path).at(&path)?.len()),
            Source::Zip(z) => z.len(name).at(&path),
        }
    }

    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.display_path(name);
        match self {
            Source::Dir(_) => std::fs::read(&path).at(&path),
            Source::Zip(z) => z.read(name).at(&path),
        }
    }

    pub fn open(&self, name: &str) -> Result<BlobReader> {
        let path = self.display_path(name);
        match self {
            Source::Dir(_) => Ok(BlobReader::File(File::open(&path).at(&path)?)),
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
