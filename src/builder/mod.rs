//! Fixture builder: writes byte-faithful *unencrypted* iOS 10+ backups (Manifest.db layout) so
//! tests and benchmarks can create any case they need, from a realistic sample to broken ones
//! (missing blobs, wrong sizes, odd flags) and very large ones (streamed generated content).
//!
//! The shapes (MBFile archive, Manifest.db schema and header, xattr encodings, plist keys)
//! were copied from a real iOS 14.3 Manifest.db (mvt sample, read by the tests from
//! `../shared/realdata/mvt-project_mvt/`) and real Manifest.plist files; see each module for what
//! was observed and what is inferred.

mod archive;
mod bplist;
mod encrypt;
mod manifest_db;
mod mbdb;
mod media;
pub mod photos_db;
mod plists;

use std::collections::HashSet;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

pub use archive::{mbfile_archive, revgeo_archive, xattrs_plist};
pub use encrypt::Encryption;
pub use mbdb::{record as mbdb_record, IndexKind};
pub use media::{
    assetsd_xattrs, date_bplist, generated_bytes, le16, uuid_string, GeneratedReader,
    COCOA_EPOCH_OFFSET,
};
pub use plists::{nested_bplist, nested_xml_plist};

/// Default timestamps (2024-05-29T16:26:40Z): fixed so output is reproducible.
pub const DEFAULT_FILE_TIME: i64 = 1_717_000_000;

/// Where blobs go: `xx/<fileID>` (iOS 10+, the default) or `<fileID>` in the backup root
/// (pre-iOS-10 layout, which some readers still probe first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobLayout {
    Nested,
    Flat,
}

/// What the row describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    File(Vec<u8>),
    Dir,
    /// Symlink with its (absolute device) target path.
    Symlink(String),
    /// Regular file whose content is [`generated_bytes`]`(len, seed)`, streamed to disk.
    Generated {
        len: u64,
        seed: u64,
    },
}

/// What happens to the blob of a regular file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobSpec {
    Normal,
    /// Row present, blob absent (e.g. interrupted or pruned backups).
    Missing,
    /// Blob content differs from the file's data (recorded Size stays from the data).
    Replace(Vec<u8>),
}

/// One Manifest.db row plus its blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub domain: String,
    pub relative_path: String,
    pub kind: FileKind,
    /// Permission bits only; the type bits come from `kind`.
    pub mode: u32,
    pub mtime: i64,
    pub ctime: i64,
    pub birth: i64,
    pub uid: u32,
    pub gid: u32,
    pub inode: u64,
    pub protection_class: u32,
    /// Written as the nested ExtendedAttributes bplist, in this order.
    pub xattrs: Vec<(String, Vec<u8>)>,
    /// 20 bytes when set (stored raw, as in real rows).
    pub digest: Option<Vec<u8>>,
    pub blob: BlobSpec,
    /// Recorded `Size` differs from the real length.
    pub size_override: Option<u64>,
    /// 44-byte `EncryptionKey` (LE class + wrapped key). Real unencrypted backups carry none;
    /// set it only to mimic rows of decrypted encrypted backups (like the mvt sample).
    pub encryption_key: Option<Vec<u8>>,
    /// The MBFile `Flags` field (0 in every real row).
    pub mbfile_flags: i64,
    /// Overrides the `flags` column (1/2/4 from `kind`), e.g. to test the unexplained 16.
    pub flags_override: Option<i64>,
}

fn sha1_hex(s: &str) -> String {
    hex::encode(Sha1::digest(s.as_bytes()))
}

/// A stable, realistic-looking inode (real ones are 5-6 digit numbers) from the file ID.
fn default_inode(domain: &str, path: &str) -> u64 {
    let h = Sha1::digest(format!("{domain}-{path}").as_bytes());
    100_000 + u64::from(u32::from_be_bytes([h[0], h[1], h[2], h[3]]) % 900_000)
}

impl FileSpec {
    fn base(domain: &str, path: &str, kind: FileKind, mode: u32, class: u32) -> FileSpec {
        FileSpec {
            domain: domain.to_string(),
            relative_path: path.to_string(),
            kind,
            mode,
            mtime: DEFAULT_FILE_TIME,
            ctime: DEFAULT_FILE_TIME,
            birth: DEFAULT_FILE_TIME,
            uid: 501,
            gid: 501,
            inode: default_inode(domain, path),
            protection_class: class,
            xattrs: Vec::new(),
            digest: None,
            blob: BlobSpec::Normal,
            size_override: None,
            encryption_key: None,
            mbfile_flags: 0,
            flags_override: None,
        }
    }

    /// Regular file: mode 0644, protection class 3, uid/gid 501. DCIM files get gid 0 as 48 of
    /// 50 do in the real sample (which also shows class 3 for DCIM, not 4).
    pub fn file(domain: &str, path: &str, data: impl Into<Vec<u8>>) -> FileSpec {
        let mut f = Self::base(domain, path, FileKind::File(data.into()), 0o644, 3);
        if domain == "CameraRollDomain" && path.starts_with("Media/DCIM/") {
            f.gid = 0;
        }
        f
    }

    /// Regular file with streamed pseudo-random content of `len` bytes.
    pub fn generated(domain: &str, path: &str, len: u64, seed: u64) -> FileSpec {
        Self::base(domain, path, FileKind::Generated { len, seed }, 0o644, 3)
    }

    /// Directory: mode 0755, class 0, size 0.
    pub fn dir(domain: &str, path: &str) -> FileSpec {
        Self::base(domain, path, FileKind::Dir, 0o755, 0)
    }

    /// Symlink: mode 0755 (real rows show 0o120755), class 0, size 0.
    pub fn symlink(domain: &str, path: &str, target: &str) -> FileSpec {
        Self::base(
            domain,
            path,
            FileKind::Symlink(target.to_string()),
            0o755,
            0,
        )
    }

    pub fn with_mtime(mut self, t: i64) -> Self {
        self.mtime = t;
        self
    }

    /// Sets LastModified, LastStatusChange and Birth.
    pub fn with_times(mut self, mtime: i64, ctime: i64, birth: i64) -> Self {
        self.mtime = mtime;
        self.ctime = ctime;
        self.birth = birth;
        self
    }

    pub fn with_mode(mut self, mode: u32) -> Self {
        self.mode = mode;
        self
    }

    pub fn with_owner(mut self, uid: u32, gid: u32) -> Self {
        self.uid = uid;
        self.gid = gid;
        self
    }

    pub fn with_inode(mut self, inode: u64) -> Self {
        self.inode = inode;
        self
    }

    pub fn with_protection_class(mut self, class: u32) -> Self {
        self.protection_class = class;
        self
    }

    pub fn with_xattr(mut self, name: &str, value: impl Into<Vec<u8>>) -> Self {
        self.xattrs.push((name.to_string(), value.into()));
        self
    }

    pub fn with_xattrs(mut self, xattrs: Vec<(String, Vec<u8>)>) -> Self {
        self.xattrs.extend(xattrs);
        self
    }

    pub fn with_digest(mut self, digest: impl Into<Vec<u8>>) -> Self {
        self.digest = Some(digest.into());
        self
    }

    pub fn with_blob(mut self, blob: BlobSpec) -> Self {
        self.blob = blob;
        self
    }

    pub fn with_size_override(mut self, size: u64) -> Self {
        self.size_override = Some(size);
        self
    }

    pub fn with_encryption_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.encryption_key = Some(key.into());
        self
    }

    pub fn with_flags_override(mut self, flags: i64) -> Self {
        self.flags_override = Some(flags);
        self
    }

    /// Lower-case hex SHA-1 of `domain-relativePath` (the blob name and `fileID` column).
    pub fn file_id(&self) -> String {
        sha1_hex(&format!("{}-{}", self.domain, self.relative_path))
    }

    /// `st_mode` with type bits, as stored in MBFile `Mode`.
    pub fn full_mode(&self) -> u32 {
        let kind = match self.kind {
            FileKind::File(_) | FileKind::Generated { .. } => 0o100000,
            FileKind::Dir => 0o040000,
            FileKind::Symlink(_) => 0o120000,
        };
        kind | (self.mode & 0o7777)
    }

    /// The `flags` column: 1 file, 2 directory, 4 symlink (or the override).
    pub fn db_flags(&self) -> i64 {
        self.flags_override.unwrap_or(match self.kind {
            FileKind::File(_) | FileKind::Generated { .. } => 1,
            FileKind::Dir => 2,
            FileKind::Symlink(_) => 4,
        })
    }

    /// The actual content length (0 for directories and symlinks).
    pub fn data_len(&self) -> u64 {
        match &self.kind {
            FileKind::File(d) => d.len() as u64,
            FileKind::Generated { len, .. } => *len,
            FileKind::Dir | FileKind::Symlink(_) => 0,
        }
    }

    /// MBFile `Size`: the override if set, else the content length.
    pub fn recorded_size(&self) -> u64 {
        self.size_override.unwrap_or_else(|| self.data_len())
    }

    fn has_blob(&self) -> bool {
        matches!(self.kind, FileKind::File(_) | FileKind::Generated { .. })
            && self.blob != BlobSpec::Missing
    }

    fn write_blob(&self, path: &Path, keys: Option<&encrypt::Keys>) -> io::Result<()> {
        let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(path)?);
        if let Some(k) = keys {
            let key = k.file_key(&self.file_id());
            match (&self.blob, &self.kind) {
                (BlobSpec::Replace(bytes), _) => out.write_all(bytes)?,
                (_, FileKind::File(data)) => {
                    encrypt::encrypt_stream(&key, &data[..], &mut out)?;
                }
                (_, FileKind::Generated { len, seed }) => {
                    encrypt::encrypt_stream(&key, generated_bytes(*len, *seed), &mut out)?;
                }
                _ => {}
            }
            return out.flush();
        }
        match (&self.blob, &self.kind) {
            (BlobSpec::Replace(bytes), _) => out.write_all(bytes)?,
            (_, FileKind::File(data)) => out.write_all(data)?,
            (_, FileKind::Generated { len, seed }) => {
                io::copy(&mut generated_bytes(*len, *seed), &mut out)?;
            }
            _ => {}
        }
        out.flush()
    }
}

/// Builds one backup directory `<dest_parent>/<udid>/`.
#[derive(Debug, Clone)]
pub struct BackupBuilder {
    pub udid: String,
    pub device_name: String,
    pub product_type: String,
    pub product_version: String,
    pub build_version: String,
    pub serial_number: String,
    /// Backup date, Unix seconds.
    pub date: i64,
    /// Status.plist `SnapshotState`; "finished" for a complete backup.
    pub snapshot_state: String,
    pub passcode_set: bool,
    pub write_info_plist: bool,
    pub layout: BlobLayout,
    pub files: Vec<FileSpec>,
    /// Encrypt the backup with this password and keybag settings (None: a plain backup).
    /// `BlobSpec::Replace` bytes are written as given, unencrypted, for damaged-blob cases.
    pub encryption: Option<Encryption>,
    /// Manifest.db (default) or Manifest.mbdb; see [`BackupBuilder::ios9`].
    pub index: IndexKind,
}

impl BackupBuilder {
    /// Realistic defaults: an iPhone 13 Pro (iPhone14,2) on iOS 17.5.1 (21F90).
    pub fn new(udid: &str) -> Self {
        BackupBuilder {
            udid: udid.to_string(),
            device_name: "iPhone".to_string(),
            product_type: "iPhone14,2".to_string(),
            product_version: "17.5.1".to_string(),
            build_version: "21F90".to_string(),
            serial_number: "F4GZX1Q2N7".to_string(),
            date: 1_718_000_000,
            snapshot_state: "finished".to_string(),
            passcode_set: true,
            write_info_plist: true,
            layout: BlobLayout::Nested,
            files: Vec::new(),
            encryption: None,
            index: IndexKind::Db,
        }
    }

    pub fn add(&mut self, f: FileSpec) -> &mut Self {
        self.files.push(f);
        self
    }

    /// Adds a directory row for every missing parent folder and the domain root row
    /// (relativePath ""), as real backups have, each placed before its first child.
    /// Idempotent: a second call changes nothing.
    pub fn add_parents(&mut self) {
        let mut present: HashSet<(String, String)> = self
            .files
            .iter()
            .map(|f| (f.domain.clone(), f.relative_path.clone()))
            .collect();
        let mut out = Vec::with_capacity(self.files.len());
        for f in std::mem::take(&mut self.files) {
            if !f.relative_path.is_empty() {
                let mut ancestors = vec![""];
                ancestors.extend(
                    f.relative_path
                        .match_indices('/')
                        .map(|(i, _)| &f.relative_path[..i]),
                );
                for a in ancestors {
                    if present.insert((f.domain.clone(), a.to_string())) {
                        out.push(FileSpec::dir(&f.domain, a));
                    }
                }
            }
            out.push(f);
        }
        self.files = out;
    }

    /// Writes `dest_parent/<udid>/` (which must not exist yet) and returns that path.
    /// Output is deterministic: the same builder always gives byte-identical files.
    pub fn write(&self, dest_parent: &Path) -> io::Result<PathBuf> {
        let mut ids = HashSet::with_capacity(self.files.len());
        for f in &self.files {
            if !ids.insert(f.file_id()) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("duplicate row {}-{}", f.domain, f.relative_path),
                ));
            }
        }
        let dest = dest_parent.join(&self.udid);
        if dest.exists() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} already exists", dest.display()),
            ));
        }
        fs::create_dir_all(&dest)?;
        let keys = self.encryption.as_ref().map(encrypt::Keys::new);
        let with_keys: Vec<FileSpec>;
        let files: &[FileSpec] = match &keys {
            None => &self.files,
            Some(k) => {
                with_keys = self
                    .files
                    .iter()
                    .map(|f| {
                        let mut f = f.clone();
                        let is_file =
                            matches!(f.kind, FileKind::File(_) | FileKind::Generated { .. });
                        if is_file && f.encryption_key.is_none() {
                            f.encryption_key =
                                Some(k.encryption_key(f.protection_class, &f.file_id()));
                        }
                        f
                    })
                    .collect();
                &with_keys
            }
        };
        let mut made_dirs = HashSet::new();
        for f in files.iter().filter(|f| f.has_blob()) {
            let id = f.file_id();
            let path = match self.layout {
                _ if self.index == IndexKind::Mbdb => dest.join(&id),
                BlobLayout::Flat => dest.join(&id),
                BlobLayout::Nested => {
                    let sub = dest.join(&id[..2]);
                    if made_dirs.insert(id[..2].to_string()) {
                        fs::create_dir_all(&sub)?;
                    }
                    sub.join(&id)
                }
            };
            f.write_blob(&path, keys.as_ref())?;
        }
        let db_path = dest.join("Manifest.db");
        if self.index == IndexKind::Mbdb {
            // iOS 5–9: the index is never encrypted; the per-file keys are inside it.
            mbdb::write(&dest.join("Manifest.mbdb"), files)?;
        } else {
            manifest_db::write(&db_path, files)?;
        }
        if let (Some(k), IndexKind::Db) = (&keys, self.index) {
            // iOS 10.2+ encrypts Manifest.db whole, PKCS#7-padded (the real decrypted sample
            // ends with a leftover 16-byte pad block).
            let plain = fs::read(&db_path)?;
            fs::write(
                &db_path,
                crate::crypto::encrypt_cbc_pkcs7(&k.db_key, &plain),
            )?;
        }
        if self.write_info_plist {
            fs::write(dest.join("Info.plist"), plists::info_plist(self)?)?;
        }
        fs::write(
            dest.join("Manifest.plist"),
            plists::manifest_plist(
                self,
                keys.as_ref().map(|k| (&k.keybag[..], &k.manifest_key[..])),
            ),
        )?;
        fs::write(dest.join("Status.plist"), plists::status_plist(self))?;
        Ok(dest)
    }
}

#[cfg(test)]
mod tests;
