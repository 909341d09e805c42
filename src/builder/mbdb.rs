//! Manifest.mbdb: the binary index of iOS 5–9 backups, written per FORMAT.md section 3 (the
//! reader is `manifest::mbdb`). With it go the flat blob layout and the older plist versions.

use std::fs;
use std::io;
use std::path::Path;

use super::{BackupBuilder, BlobLayout, FileKind, FileSpec};

/// Which file index a built backup has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexKind {
    /// `Manifest.db` (iOS 10+), the default.
    #[default]
    Db,
    /// `Manifest.mbdb` (iOS 5–9): blobs flat in the root, Manifest.db absent, no ManifestKey.
    Mbdb,
}

impl BackupBuilder {
    /// Makes this an iOS 9 backup: Manifest.mbdb, flat blobs, an iPhone 6s (iPhone8,1) on
    /// iOS 9.3.5 (13G36). For an encrypted one use [`super::Encryption::sha1_only`]: keybags of
    /// that era have no DPSL/DPIC.
    pub fn ios9(&mut self) -> &mut Self {
        self.index = IndexKind::Mbdb;
        self.layout = BlobLayout::Flat;
        self.product_type = "iPhone8,1".to_string();
        self.product_version = "9.3.5".to_string();
        self.build_version = "13G36".to_string();
        self
    }
}

fn string(out: &mut Vec<u8>, v: Option<&[u8]>) -> io::Result<()> {
    match v {
        None => out.extend_from_slice(&[0xFF, 0xFF]),
        Some(b) => {
            let len = u16::try_from(b.len())
                .ok()
                .filter(|&l| l != 0xFFFF)
                .ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "mbdb string longer than 65534 bytes",
                    )
                })?;
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(b);
        }
    }
    Ok(())
}

fn u32_time(t: i64) -> u32 {
    t.clamp(0, i64::from(u32::MAX)) as u32
}

/// One record, exactly as FORMAT.md section 3 lays it out.
pub fn record(f: &FileSpec) -> io::Result<Vec<u8>> {
    let mut v = Vec::with_capacity(128);
    string(&mut v, Some(f.domain.as_bytes()))?;
    string(&mut v, Some(f.relative_path.as_bytes()))?;
    let target = match &f.kind {
        FileKind::Symlink(t) => Some(t.as_bytes()),
        _ => None,
    };
    string(&mut v, target)?;
    string(&mut v, f.digest.as_deref())?;
    string(&mut v, f.encryption_key.as_deref())?;
    v.extend_from_slice(&(f.full_mode() as u16).to_be_bytes());
    v.extend_from_slice(&f.inode.to_be_bytes());
    v.extend_from_slice(&f.uid.to_be_bytes());
    v.extend_from_slice(&f.gid.to_be_bytes());
    v.extend_from_slice(&u32_time(f.mtime).to_be_bytes());
    v.extend_from_slice(&u32_time(f.ctime).to_be_bytes());
    v.extend_from_slice(&u32_time(f.birth).to_be_bytes());
    v.extend_from_slice(&f.recorded_size().to_be_bytes());
    v.push(f.protection_class.min(255) as u8);
    let count = u8::try_from(f.xattrs.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "more than 255 xattrs in one record",
        )
    })?;
    v.push(count);
    for (name, value) in &f.xattrs {
        string(&mut v, Some(name.as_bytes()))?;
        string(&mut v, Some(value))?;
    }
    Ok(v)
}

/// Writes `files` as a Manifest.mbdb at `path`.
pub(crate) fn write(path: &Path, files: &[FileSpec]) -> io::Result<()> {
    let mut out = crate::manifest::mbdb::MAGIC.to_vec();
    for f in files {
        out.extend_from_slice(&record(f)?);
    }
    fs::write(path, out)
}
