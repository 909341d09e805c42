//! `Backup`: the facade a library user sees. It reads the plists, finds the index, and hands out
//! entries and their contents; nothing here writes anywhere.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::crypto::{self, Padding};
use crate::error::{Error, Result};
use crate::keybag::{ClassKeys, Keybag, KeybagError, PasswordForm};
use crate::manifest::listing::{Listing, Part, Render};
use crate::manifest::mbfile::Detail;
use crate::manifest::{self, Entry, ManifestKind, Row};
use crate::plists::{InfoPlist, ManifestPlist, StatusPlist};
use crate::secret::{Key32, Password};
use crate::select::Selection;
use crate::source::{BlobReader, Source, MAX_DATABASE_BYTES, MAX_PLIST_BYTES};
use crate::sqlite;

pub use crate::source::layout::{
    folder_name, INFO_PLIST, MANIFEST_DB, MANIFEST_MBDB, MANIFEST_PLIST, STATUS_PLIST,
};
use crate::source::location::BackupLocation;

#[derive(Debug)]
pub struct Backup {
    source: Source,
    pub manifest: ManifestPlist,
    pub info: Option<InfoPlist>,
    pub status: Option<StatusPlist>,
    pub kind: ManifestKind,
    /// Things a user should know that did not stop the backup from opening.
    pub warnings: Vec<String>,
    /// Class keys after a successful unlock; shared read-only by export workers.
    class_keys: Option<Arc<ClassKeys>>,
}

/// What unlocks an encrypted backup: the password, or the key derived from it earlier (which
/// skips the slow key derivation).
pub enum Secret {
    Password(Password),
    Key(Key32),
}

/// How an unlock went, for the user.
#[derive(Debug, Clone)]
pub struct UnlockReport {
    /// Which Unicode form of the password worked (None when a saved key was used).
    pub form: Option<PasswordForm>,
    pub derived_key: Key32,
    pub class_keys: usize,
}

impl Backup {
    /// Opens the backup folder at `path` (the folder holding Manifest.plist), or the one backup
    /// inside the zip archive at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Backup> {
        let path = path.as_ref();
        if crate::source::zip::is_zip_file(path) {
            return Backup::from_source(Source::Zip(crate::source::zip::ZipSource::open_single(
                path,
            )?));
        }
        if !path.is_dir() {
            return Err(Error::unreadable(
                path,
                if path.exists() {
                    "not a folder"
                } else {
                    "no such file or folder"
                },
            ));
        }
        Backup::from_source(Source::dir(path))
    }

    /// Opens the backup `discover::resolve` found: a folder, or a prefix inside a zip archive.
    pub fn open_location(location: &BackupLocation) -> Result<Backup> {
        match location {
            BackupLocation::Dir(p) => Backup::open(p),
            BackupLocation::Zip(z) => Backup::from_source(Source::Zip(z.clone())),
        }
    }

    pub fn from_source(source: Source) -> Result<Backup> {
        let mut warnings = Vec::new();
        // An interrupted backup may have its index only in Snapshot/, where the device writes
        // until the backup completes: read that rather than refuse.
        let source = match &source {
            Source::Dir(_)
                if !source.exists(MANIFEST_DB)
                    && !source.exists(MANIFEST_MBDB)
                    && [MANIFEST_DB, MANIFEST_MBDB].iter().any(|n| {
                        source
                            .root()
                            .join(crate::source::SNAPSHOT)
                            .join(n)
                            .is_file()
                    }) =>
            {
                warnings.push(format!(
                    "{}: the backup did not finish; reading its Snapshot/ folder (files may be missing or stale)",
                    source.root().display()
                ));
                Source::dir_with_snapshot(source.root())
            }
            _ => source,
        };
        let has_db = source.exists(MANIFEST_DB);
        let has_mbdb = source.exists(MANIFEST_MBDB);
        let kind = if has_db {
            ManifestKind::Db
        } else if has_mbdb {
            ManifestKind::Mbdb
        } else {
            let only = [INFO_PLIST, STATUS_PLIST, MANIFEST_PLIST]
                .iter()
                .filter(|n| source.exists(n))
                .copied()
                .collect::<Vec<_>>();
            let cause = if only.is_empty() {
                "not an iOS backup: no Manifest.db or Manifest.mbdb".to_string()
            } else {
                format!(
                    "incomplete backup: it has {} but no Manifest.db or Manifest.mbdb (the backup did not finish)",
                    only.join(", ")
                )
            };
            return Err(source.unreadable("", cause));
        };

        let manifest = if source.exists(MANIFEST_PLIST) {
            let parsed = source.read(MANIFEST_PLIST, MAX_PLIST_BYTES).and_then(|b| {
                ManifestPlist::parse(&b).map_err(|c| source.unreadable(MANIFEST_PLIST, c))
            });
            match parsed {
                Ok(m) => m,
                // Where the index is plaintext the plist is needed for nothing but the device
                // details, so a damaged one is as good as a missing one: say so and read on.
                // Where the index may be encrypted, its key is in the plist: refuse.
                Err(e) if kind == ManifestKind::Db && plaintext_manifest_db(&source) => {
                    warnings.push(format!(
                        "{e}; the index (Manifest.db) is not encrypted, so it is read without it (device details unknown)"
                    ));
                    ManifestPlist::default()
                }
                Err(e) => return Err(e),
            }
        } else {
            warnings.push(format!(
                "{}: missing; reading the index without it (it cannot be decrypted if encrypted)",
                source.display_path(MANIFEST_PLIST).display()
            ));
            ManifestPlist::default()
        };

        let info = optional_plist(&source, INFO_PLIST, InfoPlist::parse, &mut warnings);
        let status = optional_plist(&source, STATUS_PLIST, StatusPlist::parse, &mut warnings);
        if let Some(s) = &status {
            if !s.is_finished() {
                warnings.push(format!(
                    "{}: SnapshotState is {:?}, not \"finished\": the backup may be incomplete",
                    source.display_path(STATUS_PLIST).display(),
                    s.snapshot_state.as_deref().unwrap_or("")
                ));
            }
        }

        Ok(Backup {
            source,
            manifest,
            info,
            status,
            kind,
            warnings,
            class_keys: None,
        })
    }

    pub fn source(&self) -> &Source {
        &self.source
    }

    pub fn path(&self) -> &Path {
        self.source.root()
    }

    pub fn is_encrypted(&self) -> bool {
        self.manifest.is_encrypted
    }

    /// The device's UDID: from Manifest.plist's Lockdown, else Info.plist, else the folder name.
    pub fn udid(&self) -> String {
        self.manifest
            .lockdown
            .unique_device_id
            .clone()
            .or_else(|| self.info.as_ref().and_then(|i| i.target_identifier.clone()))
            .unwrap_or_else(|| folder_name(self.path()))
    }

    pub fn device_name(&self) -> Option<String> {
        self.manifest
            .lockdown
            .device_name
            .clone()
            .or_else(|| self.info.as_ref().and_then(|i| i.device_name.clone()))
    }

    /// Opens the file index as an SQLite connection, in memory.
    pub fn manifest_db(&self) -> Result<rusqlite::Connection> {
        let wal_name = format!("{MANIFEST_DB}-wal");
        // A plaintext Manifest.db in a folder, with no WAL to apply, is opened where it is:
        // read-only and immutable (SQLite then creates no lock, -shm or -wal file and never
        // writes), which saves reading and copying what can be hundreds of megabytes.
        if let Some(path) = self.in_place_manifest_db() {
            return sqlite::open_file_immutable(&path)
                .map_err(|c| self.source.unreadable(MANIFEST_DB, c));
        }
        let wal = if self.source.exists(&wal_name) {
            Some(self.source.read(&wal_name, MAX_DATABASE_BYTES)?)
        } else {
            None
        };
        let bytes = self.manifest_db_raw()?;
        let plain = bytes.get(..16) == Some(&sqlite::SQLITE_MAGIC[..]);
        if !plain && self.is_encrypted() && wal.is_none() {
            // Decrypted straight into SQLite's buffer: no second 100 MB-scale copy. Anything
            // unusual (bad padding, not SQLite) takes the path below, which says what is wrong.
            let key = self.manifest_db_key()?;
            if let Some((head, len)) = crypto::head_and_len(&key, &bytes) {
                if &head == sqlite::SQLITE_MAGIC {
                    let reader = crypto::DecryptReader::new(&key, &bytes[..]);
                    return sqlite::open_reader(reader, len)
                        .map_err(|c| self.source.unreadable(MANIFEST_DB, c));
                }
            }
        }
        sqlite::open_bytes(self.plain_manifest_db(bytes)?, wal.as_deref())
            .map_err(|c| self.source.unreadable(MANIFEST_DB, c))
    }

    /// The plaintext bytes of Manifest.db, decrypted in memory when the backup is encrypted
    /// (iOS 10.2+ encrypt it whole; 10.0–10.1 leave it plain and have no ManifestKey).
    pub fn manifest_db_bytes(&self) -> Result<Vec<u8>> {
        self.plain_manifest_db(self.manifest_db_raw()?)
    }

    /// Manifest.db as stored, read whole only once its first block (decrypted, when the backup
    /// is encrypted) is SQLite's header: a 2 GB file that is not a database is refused after
    /// 16 bytes, not after 2 GB of memory.
    fn manifest_db_raw(&self) -> Result<Vec<u8>> {
        let head = self.source.read_head(MANIFEST_DB, 16)?;
        if head.as_slice() != sqlite::SQLITE_MAGIC {
            if !self.is_encrypted() {
                return Err(self
                    .source
                    .unreadable(MANIFEST_DB, "not an SQLite database (bad header)"));
            }
            let key = self.manifest_db_key()?;
            let first = head.first_chunk().map(|c| crypto::first_block(&key, c));
            if first.as_ref() != Some(sqlite::SQLITE_MAGIC) {
                return Err(self.source.unreadable(MANIFEST_DB, NOT_SQLITE_AFTER_KEY));
            }
        }
        self.source.read(MANIFEST_DB, MAX_DATABASE_BYTES)
    }

    /// Manifest.mbdb whole, once its first bytes are the mbdb magic and version.
    pub fn mbdb_bytes(&self) -> Result<Vec<u8>> {
        let head = self.source.read_head(MANIFEST_MBDB, 6)?;
        manifest::mbdb::check_header(&head)
            .map_err(|c| self.source.unreadable(MANIFEST_MBDB, c))?;
        self.source.read(MANIFEST_MBDB, MAX_DATABASE_BYTES)
    }

    fn plain_manifest_db(&self, bytes: Vec<u8>) -> Result<Vec<u8>> {
        let plain = bytes.get(..16) == Some(&sqlite::SQLITE_MAGIC[..]);
        if plain || !self.is_encrypted() {
            return Ok(bytes);
        }
        let path = self.source.display_path(MANIFEST_DB);
        let key = self.manifest_db_key()?;
        let (plain, _padding) = crypto::decrypt_to_vec(&key, &bytes)
            .map_err(|e| Error::unreadable(&path, format!("cannot decrypt: {e}")))?;
        if plain.get(..16) != Some(&sqlite::SQLITE_MAGIC[..]) {
            return Err(Error::unreadable(&path, NOT_SQLITE_AFTER_KEY));
        }
        Ok(plain)
    }

    /// Manifest.db's own key, unwrapped from Manifest.plist's ManifestKey with the class keys.
    fn manifest_db_key(&self) -> Result<Key32> {
        let path = self.source.display_path(MANIFEST_DB);
        let keys = self.class_keys.as_ref().ok_or(Error::Locked { path })?;
        let wrapped = self.manifest.manifest_key.as_ref().ok_or_else(|| {
            Error::unreadable(
                self.source.display_path(MANIFEST_PLIST),
                "Manifest.db is encrypted but Manifest.plist has no ManifestKey",
            )
        })?;
        keys.unwrap_wrapped(wrapped).map_err(|e| {
            Error::unreadable(
                self.source.display_path(MANIFEST_PLIST),
                format!("ManifestKey: {e}"),
            )
        })
    }

    /// The keybag from Manifest.plist.
    pub fn keybag(&self) -> Result<Keybag> {
        keybag_of(&self.manifest, &self.source.display_path(MANIFEST_PLIST))
    }

    /// Unlocks an encrypted backup. A password that fails as typed is retried in the other
    /// Unicode normalisation forms before it is declared wrong.
    pub fn unlock(&mut self, secret: &Secret) -> Result<UnlockReport> {
        let report = unlock_keybag(
            &self.keybag()?,
            secret,
            &self.source.display_path(MANIFEST_PLIST),
        )?;
        self.class_keys = Some(Arc::new(report.1));
        Ok(report.0)
    }

    pub fn is_unlocked(&self) -> bool {
        self.class_keys.is_some()
    }

    /// The per-file key of an entry of an encrypted backup.
    fn file_key(&self, entry: &Entry) -> Result<Key32> {
        let blob = self.display_path(&self.blob_name(entry).unwrap_or_default());
        let keys = self
            .class_keys
            .as_ref()
            .ok_or(Error::Locked { path: blob.clone() })?;
        let wrapped = entry.meta.encryption_key.as_ref().ok_or_else(|| {
            Error::unreadable(
                &blob,
                format!(
                    "{}: encrypted backup but the record has no EncryptionKey",
                    entry.display()
                ),
            )
        })?;
        keys.unwrap_wrapped(wrapped)
            .map_err(|e| Error::unreadable(&blob, format!("{}: file key: {e}", entry.display())))
    }

    /// Every row of the index, sorted by domain and path.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        if self.kind == ManifestKind::Mbdb {
            let bytes = self.mbdb_bytes()?;
            return manifest::mbdb::read_entries(&bytes)
                .map_err(|c| self.source.unreadable(MANIFEST_MBDB, c));
        }
        let parts = self.scan(Detail::Row, &Vec::new, &|v: &mut Vec<Entry>, r| {
            v.push(r.into_entry())
        })?;
        let mut entries = Vec::with_capacity(parts.iter().map(Vec::len).sum());
        for p in parts {
            entries.extend(p);
        }
        manifest::db::sort_entries(&mut entries);
        Ok(entries)
    }

    /// Whether the backup is read from a zip archive (only ever memory-mapped, never written).
    pub fn is_zipped(&self) -> bool {
        matches!(self.source, Source::Zip(_))
    }

    /// Visits every row of the index, folding them into one `T` per part (`init` makes each):
    /// several parts are read in parallel when Manifest.db can be opened in place, else one.
    /// Rows borrow from SQLite's buffer; `detail` says how much of each record to copy out.
    pub fn scan<T: Send>(
        &self,
        detail: Detail,
        init: &(dyn Fn() -> T + Sync),
        visit: &(dyn Fn(&mut T, Row<'_>) + Sync),
    ) -> Result<Vec<T>> {
        if self.kind == ManifestKind::Mbdb {
            let bytes = self.mbdb_bytes()?;
            let entries = manifest::mbdb::read_entries(&bytes)
                .map_err(|c| self.source.unreadable(MANIFEST_MBDB, c))?;
            let mut acc = init();
            for e in &entries {
                visit(&mut acc, Row::of(e));
            }
            return Ok(vec![acc]);
        }
        let threads = rayon::current_num_threads();
        if threads > 1 {
            if let Some(path) = self.in_place_manifest_db() {
                let connect = || sqlite::open_file_immutable(&path);
                // More ranges than threads, so that a range of heavier rows does not leave a
                // core idle at the end.
                return manifest::db::scan_parallel(&connect, threads * 4, detail, init, visit)
                    .map_err(|c| self.source.unreadable(MANIFEST_DB, c));
            }
        }
        let conn = self.manifest_db()?;
        let mut acc = init();
        manifest::db::scan(&conn, None, detail, &mut |r| visit(&mut acc, r))
            .map_err(|c| self.source.unreadable(MANIFEST_DB, c))?;
        Ok(vec![acc])
    }

    /// The selected rows rendered by `render`, in domain and path order, without building an
    /// `Entry` per row (see `manifest::listing`).
    pub fn listing(&self, sel: &Selection, render: &Render) -> Result<Listing> {
        let parts = self.scan(Detail::Listing, &Part::default, &|part: &mut Part, row| {
            if sel.matches_row(&row) {
                part.push(&row, render);
            }
        })?;
        Ok(Listing::new(parts))
    }

    /// Manifest.db's path when it can be opened in place: a plaintext file in a folder with no
    /// WAL to apply.
    fn in_place_manifest_db(&self) -> Option<PathBuf> {
        let path = self.source.local_file(MANIFEST_DB)?;
        let wal_empty = self
            .source
            .len(&format!("{MANIFEST_DB}-wal"))
            .map_or(true, |n| n == 0);
        (wal_empty && sqlite::has_magic(&path)).then_some(path)
    }

    /// Where the entry's blob is inside the backup, if it is there.
    pub fn blob_name(&self, entry: &Entry) -> Option<String> {
        self.source.blob_name(&entry.file_id)
    }

    /// The entry's content, streamed.
    pub fn open_entry(&self, entry: &Entry) -> Result<BlobReader> {
        match self.blob_name(entry) {
            Some(name) => self.source.open(&name),
            None => Err(Error::unreadable(
                self.source.display_path(&format!(
                    "{}/{}",
                    entry.file_id.get(..2).unwrap_or(""),
                    entry.file_id
                )),
                format!("blob of {} is missing", entry.display()),
            )),
        }
    }

    pub fn display_path(&self, name: &str) -> PathBuf {
        self.source.display_path(name)
    }
}

const NOT_SQLITE_AFTER_KEY: &str =
    "decrypted with the ManifestKey but the result is not SQLite (damaged file or wrong key)";

/// Reads Manifest.plist from a backup folder, or from the file itself when `path` names it. Only
/// this file is needed to check a password or print the recovery hash.
pub fn read_manifest_plist(path: &Path) -> Result<(ManifestPlist, PathBuf)> {
    if crate::source::zip::is_zip_file(path) {
        let z = crate::source::zip::ZipSource::open_single(path)?;
        let file = z.root().join(MANIFEST_PLIST);
        let bytes = Source::Zip(z).read(MANIFEST_PLIST, MAX_PLIST_BYTES)?;
        let m = ManifestPlist::parse(&bytes).map_err(|c| Error::unreadable(&file, c))?;
        return Ok((m, file));
    }
    let file = if path.is_dir() {
        path.join(MANIFEST_PLIST)
    } else {
        path.to_path_buf()
    };
    let bytes = {
        use std::io::Read;
        let f = std::fs::File::open(&file).map_err(|e| Error::io(&file, e))?;
        let len = f.metadata().map_err(|e| Error::io(&file, e))?.len();
        if len > MAX_PLIST_BYTES {
            return Err(crate::source::over_limit(&file, len, MAX_PLIST_BYTES));
        }
        let mut v = Vec::with_capacity(len as usize);
        f.take(MAX_PLIST_BYTES)
            .read_to_end(&mut v)
            .map_err(|e| Error::io(&file, e))?;
        v
    };
    let m = ManifestPlist::parse(&bytes).map_err(|c| Error::unreadable(&file, c))?;
    Ok((m, file))
}

/// Whether the backup's Manifest.db starts with SQLite's header, i.e. is not encrypted. Reads
/// the first 16 bytes only.
fn plaintext_manifest_db(source: &Source) -> bool {
    use std::io::Read;
    let mut head = Vec::with_capacity(16);
    source
        .open(MANIFEST_DB)
        .and_then(|r| {
            r.take(16)
                .read_to_end(&mut head)
                .map_err(|e| source.unreadable(MANIFEST_DB, e))
        })
        .is_ok_and(|_| head == sqlite::SQLITE_MAGIC[..])
}

/// Info.plist and Status.plist are informational: a damaged one is a warning, not a refusal.
fn optional_plist<T>(
    source: &Source,
    name: &str,
    parse: fn(&[u8]) -> std::result::Result<T, String>,
    warnings: &mut Vec<String>,
) -> Option<T> {
    if !source.exists(name) {
        return None;
    }
    match source.read(name, MAX_PLIST_BYTES).map(|b| parse(&b)) {
        Ok(Ok(v)) => Some(v),
        Ok(Err(c)) => {
            warnings.push(format!(
                "{}: {c}; ignored",
                source.display_path(name).display()
            ));
            None
        }
        Err(e) => {
            warnings.push(format!("{e}; ignored"));
            None
        }
    }
}

pub fn keybag_of(manifest: &ManifestPlist, path: &Path) -> Result<Keybag> {
    let bytes = manifest
        .backup_keybag
        .as_ref()
        .ok_or_else(|| Error::unreadable(path, "no BackupKeyBag"))?;
    Keybag::parse(bytes).map_err(|e| Error::unreadable(path, format!("BackupKeyBag: {e}")))
}

/// Derives (or takes) the key and unwraps the class keys; a failed integrity check is the wrong
/// password signal (exit 3).
pub fn unlock_keybag(
    kb: &Keybag,
    secret: &Secret,
    path: &Path,
) -> Result<(UnlockReport, ClassKeys)> {
    let wrong = |what: &str| Error::WrongPassword {
        path: path.to_path_buf(),
        cause: format!("{what} does not unlock the backup's keybag"),
    };
    match secret {
        Secret::Password(p) => match kb.unlock_with_password(p) {
            Ok(u) => {
                let n = u.class_keys.len();
                Ok((
                    UnlockReport {
                        form: Some(u.form),
                        derived_key: u.key.clone(),
                        class_keys: n,
                    },
                    u.class_keys,
                ))
            }
            Err(KeybagError::WrongPassword) => {
                Err(wrong("the password (tried as typed, NFC and NFD)"))
            }
            Err(e) => Err(Error::unreadable(path, format!("BackupKeyBag: {e}"))),
        },
        Secret::Key(k) => match kb.unlock_with_key(k) {
            Ok(ck) => {
                let n = ck.len();
                Ok((
                    UnlockReport {
                        form: None,
                        derived_key: k.clone(),
                        class_keys: n,
                    },
                    ck,
                ))
            }
            Err(KeybagError::WrongPassword) => Err(wrong("the saved key")),
            Err(e) => Err(Error::unreadable(path, format!("BackupKeyBag: {e}"))),
        },
    }
}

/// What copying one entry's content produced.
#[derive(Debug, Clone, Default)]
pub struct Copied {
    pub bytes: u64,
    pub sha256: Option<[u8; 32]>,
    /// Non-fatal findings: a recorded size that differs from the content, invalid padding.
    pub warnings: Vec<String>,
    /// The decrypted content had invalid PKCS#7 padding and was kept whole.
    pub bad_padding: bool,
    /// A plain blob held fewer bytes than the manifest records: what it holds was copied, but
    /// the file is incomplete, a problem for the engine to report, not only a warning.
    pub short: bool,
}

impl Backup {
    /// Streams the entry's plaintext into `out`. Plain blobs go through `io::copy`, which the
    /// kernel serves with `copy_file_range` when no hash is wanted.
    pub fn copy_entry<W: std::io::Write>(
        &self,
        entry: &Entry,
        out: &mut W,
        hash: bool,
    ) -> Result<Copied> {
        let mut reader = self.open_entry(entry)?;
        let blob = self.blob_name(entry).unwrap_or_default();
        let mut copied = Copied::default();
        if self.is_encrypted() {
            let key = self.file_key(entry)?;
            let mut w = crate::hashing::HashingWriter::new(&mut *out);
            let outcome =
                crypto::decrypt_stream(&key, &mut reader, &mut w).map_err(|e| match e {
                    crypto::DecryptError::Io(io) => copy_error(self, &blob, io),
                    other => Error::unreadable(
                        self.display_path(&blob),
                        format!("{}: {other}", entry.display()),
                    ),
                })?;
            let (_, digest, n) = w.finish();
            copied.bytes = n;
            copied.sha256 = hash.then_some(digest);
            match outcome.padding {
                Padding::Valid { .. } | Padding::Empty => {}
                Padding::Invalid => {
                    copied.bad_padding = true;
                    copied.warnings.push(format!(
                        "{}: invalid PKCS#7 padding; kept the whole raw decryption",
                        entry.display()
                    ));
                }
            }
            if let Some(size) = entry.meta.size {
                if size != copied.bytes && !copied.bad_padding {
                    copied.warnings.push(format!(
                        "{}: recorded size {size} differs from the {} decrypted bytes; kept all bytes",
                        entry.display(),
                        copied.bytes
                    ));
                }
            }
            return Ok(copied);
        }
        (copied.bytes, copied.sha256) =
            copy_plain(&mut reader, out, hash).map_err(|e| copy_error(self, &blob, e))?;
        if let Some(size) = entry.meta.size {
            if size > copied.bytes && entry.kind() == manifest::EntryKind::File {
                copied.short = true;
            } else if size != copied.bytes && entry.kind() == manifest::EntryKind::File {
                copied.warnings.push(format!(
                    "{}: recorded size {size} differs from the {} bytes in the backup; kept all bytes",
                    entry.display(),
                    copied.bytes
                ));
            }
        }
        Ok(copied)
    }
}

/// Streams a plain reader into `out`, hashing on the way when asked. Without a hash `io::copy`
/// lets the kernel use `copy_file_range`; with one, 1 MiB reads (io::copy's 8 KiB buffer made
/// hashing a plain blob slower than decrypting an encrypted one).
fn copy_plain<W: std::io::Write>(
    reader: &mut BlobReader,
    out: &mut W,
    hash: bool,
) -> std::io::Result<(u64, Option<[u8; 32]>)> {
    if !hash {
        return match reader {
            BlobReader::File(f) => std::io::copy(f, out),
            BlobReader::Zip(z) => std::io::copy(z, out),
        }
        .map(|n| (n, None));
    }
    let mut w = crate::hashing::HashingWriter::new(&mut *out);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match std::io::Read::read(reader, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        std::io::Write::write_all(&mut w, buf.get(..n).unwrap_or(&buf))?;
    }
    let (_, digest, n) = w.finish();
    Ok((n, Some(digest)))
}

impl Backup {
    /// Streams a file of the backup, by its name there, into `out` as it is stored: an orphan
    /// blob (no manifest row, so no key and no recorded size) of a plain backup.
    pub fn copy_blob<W: std::io::Write>(
        &self,
        name: &str,
        out: &mut W,
        hash: bool,
    ) -> Result<Copied> {
        let mut reader = self.source.open(name)?;
        let (bytes, sha256) =
            copy_plain(&mut reader, out, hash).map_err(|e| copy_error(self, name, e))?;
        Ok(Copied {
            bytes,
            sha256,
            ..Default::default()
        })
    }
}

impl Backup {
    /// The first `n` plaintext bytes of an entry (fewer if it is shorter), for recognising its
    /// type by content without reading it whole.
    pub fn read_head(&self, entry: &Entry, n: usize) -> Result<Vec<u8>> {
        use std::io::Read;
        let reader = self.open_entry(entry)?;
        let blob = self.blob_name(entry).unwrap_or_default();
        let mut head = Vec::with_capacity(n);
        let r = if self.is_encrypted() {
            let key = self.file_key(entry)?;
            crypto::DecryptReader::new(&key, reader)
                .take(n as u64)
                .read_to_end(&mut head)
        } else {
            reader.take(n as u64).read_to_end(&mut head)
        };
        match r {
            Ok(_) => Ok(head),
            // A short file with bad padding still has a recognisable head.
            Err(_) if !head.is_empty() => Ok(head),
            Err(e) => Err(copy_error(self, &blob, e)),
        }
    }

    /// The entry's plaintext for a whole-file scan: a read-only memory map of the blob when the
    /// backup is a plain folder (no copy; pages come in as the scan reaches them), else the
    /// bytes read (and decrypted) into memory.
    pub fn map_entry(&self, entry: &Entry) -> Result<EntryBytes> {
        if !self.is_encrypted() {
            if let Some(path) = self
                .blob_name(entry)
                .and_then(|n| self.source.local_file(&n))
            {
                let f = std::fs::File::open(&path).map_err(|e| Error::io(&path, e))?;
                if f.metadata().map(|m| m.len() > 0).unwrap_or(false) {
                    // SAFETY: read-only map of a file in the backup, which this program never
                    // writes; as with any mapped reader, another process truncating it while we
                    // scan would fault.
                    #[allow(unsafe_code)]
                    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(&path, e))?;
                    return Ok(EntryBytes::Mapped(map));
                }
            }
        }
        self.read_entry(entry, MAX_DATABASE_BYTES)
            .map(EntryBytes::Owned)
    }

    /// The entry's plaintext as a stream: the blob itself, or decrypted block by block. A bad
    /// pad surfaces as an `InvalidData` error at the end (see `crypto::DecryptReader`): right for
    /// a download, where the whole content is wanted and nothing is held; writers use
    /// `copy_entry`, which keeps a badly padded file whole and says so.
    pub fn open_plain(&self, entry: &Entry) -> Result<Box<dyn std::io::Read + Send>> {
        let reader = self.open_entry(entry)?;
        if self.is_encrypted() {
            let key = self.file_key(entry)?;
            return Ok(Box::new(crypto::DecryptReader::new(&key, reader)));
        }
        Ok(Box::new(reader))
    }

    /// The whole plaintext of an entry, refused before it is read when its blob is longer than
    /// `limit` (plus the padding of an encrypted one): the caller's bound, not the backup's.
    pub fn read_entry(&self, entry: &Entry, limit: u64) -> Result<Vec<u8>> {
        if let Some(blob) = self.blob_name(entry) {
            let len = self.source.len(&blob)?;
            let allowed = if self.is_encrypted() {
                limit.saturating_add(16)
            } else {
                limit
            };
            if len > allowed {
                return Err(crate::source::over_limit(
                    &self.display_path(&blob),
                    len,
                    limit,
                ));
            }
        }
        let mut v = Vec::with_capacity(entry.size().min(limit).min(1 << 30) as usize);
        let c = self.copy_entry(entry, &mut v, false)?;
        if c.bad_padding {
            return Err(Error::unreadable(
                self.display_path(&self.blob_name(entry).unwrap_or_default()),
                format!("{}: invalid padding after decryption", entry.display()),
            ));
        }
        Ok(v)
    }
}

impl Backup {
    /// An SQLite database of the backup (Photos.sqlite, sms.db …) read whole into memory, once
    /// its first 16 bytes (decrypted) are SQLite's header and its size is within
    /// `MAX_DATABASE_BYTES`: a 2 GB blob that is not a database costs 16 bytes, not 2 GB.
    pub fn read_database(&self, entry: &Entry) -> Result<Vec<u8>> {
        let head = self.read_head(entry, 16)?;
        if head.as_slice() != sqlite::SQLITE_MAGIC {
            let blob = self.blob_name(entry).unwrap_or_default();
            return Err(Error::unreadable(
                self.display_path(&blob),
                format!("{}: not an SQLite database (bad header)", entry.display()),
            ));
        }
        self.read_entry(entry, MAX_DATABASE_BYTES)
    }
}

/// An entry's bytes, mapped or owned.
pub enum EntryBytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for EntryBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            EntryBytes::Mapped(m) => m,
            EntryBytes::Owned(v) => v,
        }
    }
}

fn copy_error(b: &Backup, blob: &str, e: std::io::Error) -> Error {
    Error::io(b.display_path(blob), e)
}
