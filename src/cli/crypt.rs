//! Commands for encrypted backups: password check, key, hash, decrypt.

use std::io::Write;
use std::path::PathBuf;

use crate::backup::{keybag_of, read_manifest_plist, unlock_keybag};
use crate::error::{Error, Exit, Result};
use crate::export::decrypt::decrypt_backup;

use super::{BackupArgs, SecretArgs};

#[derive(Debug, clap::Subcommand)]
pub enum PasswordCmd {
    /// Check a password (one key derivation; only Manifest.plist is read). Exit 0 or 3.
    #[command(
        after_help = "Example:\n  UNBACK_PASSWORD=secret unback password check /path/to/backup"
    )]
    Check(ManifestArgs),
}

#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    /// A backup folder, or its Manifest.plist (a folder holding only Manifest.plist is enough).
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,
    #[command(flatten)]
    pub secret: SecretArgs,
}

#[derive(Debug, clap::Args)]
pub struct KeyArgs {
    #[command(flatten)]
    pub m: ManifestArgs,
    /// Write the key to FILE (created with mode 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct HashArgs {
    /// A backup folder, or its Manifest.plist.
    #[arg(value_name = "BACKUP")]
    pub backup: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct DecryptArgs {
    #[command(flatten)]
    pub backup: BackupArgs,
    /// The new, unencrypted backup folder.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    #[command(flatten)]
    pub write: super::WriteArgs,
}

fn unlock_manifest(m: &ManifestArgs) -> Result<crate::backup::UnlockReport> {
    let (plist, file) = read_manifest_plist(&m.backup)?;
    unlock_keybag_of(&plist, &file, m)
}

fn unlock_keybag_of(
    plist: &crate::plists::ManifestPlist,
    file: &std::path::Path,
    m: &ManifestArgs,
) -> Result<crate::backup::UnlockReport> {
    if !plist.is_encrypted {
        return Err(Error::Usage(format!(
            "{}: the backup is not encrypted",
            file.display()
        )));
    }
    let kb = keybag_of(plist, file)?;
    let secret = super::secrets::obtain(&m.secret, file)?;
    super::secrets::warn_if_slow(&kb, &secret, file);
    let (report, _) = unlock_keybag(&kb, &secret, file)?;
    super::secrets::report_form(&report);
    Ok(report)
}

pub fn run_password(cmd: PasswordCmd) -> Result<Exit> {
    match cmd {
        PasswordCmd::Check(m) => {
            let r = unlock_manifest(&m)?;
            super::out(|w| writeln!(w, "password OK ({} class keys unlocked)", r.class_keys))?;
            Ok(Exit::Ok)
        }
    }
}

pub fn run_key(a: KeyArgs) -> Result<Exit> {
    let (plist, manifest) = read_manifest_plist(&a.m.backup)?;
    if let Some(path) = &a.out {
        // The key file must not land in the backup (or replace one of its files).
        let folder = manifest.parent().unwrap_or(std::path::Path::new("."));
        if crate::safepath::overlap(folder, path, false).is_some() {
            return Err(Error::Usage(format!(
                "{}: inside the backup {}; save the key outside it (unback never writes into a backup)",
                path.display(),
                folder.display()
            )));
        }
        refuse_non_regular(path)?;
    }
    let r = unlock_keybag_of(&plist, &manifest, &a.m)?;
    let hex = r.derived_key.to_hex();
    match &a.out {
        Some(path) => {
            write_secret_file(path, hex.as_bytes())?;
            eprintln!(
                "unback: warning: {} holds the backup's key; anyone with it can decrypt the backup. Keep it private.",
                path.display()
            );
        }
        None => {
            eprintln!("unback: warning: this key decrypts the backup without the password; keep it private.");
            super::out(|w| writeln!(w, "{}", &*hex))?;
        }
    }
    Ok(Exit::Ok)
}

/// `--out` may name a new file or replace a regular one, nothing else: the atomic write
/// renames over the name, so a symlink (to `/dev/stdout`, say), a device node or a FIFO would
/// be silently replaced by a regular file holding the key, and a folder would fail late.
/// `symlink_metadata`, so a link is judged as itself, not by what it points at.
fn refuse_non_regular(path: &std::path::Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => {
            let what = if m.file_type().is_symlink() {
                "a symbolic link"
            } else if m.is_dir() {
                "a folder"
            } else {
                "not a regular file (a device, FIFO or socket)"
            };
            Err(Error::Usage(format!(
                "{}: exists and is {what}; --out writes only a new or regular file",
                path.display()
            )))
        }
        _ => Ok(()),
    }
}

/// Writes the key file atomically (an interrupted write never leaves half a key under the
/// name) and readable by its owner only: the mode is set while the temporary file is still
/// empty, before the key goes in.
fn write_secret_file(path: &PathBuf, bytes: &[u8]) -> Result<()> {
    crate::export::atomic::write_atomic(path, crate::export::Existing::Overwrite, None, |f| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(bytes)?;
        f.write_all(b"\n")
    })
    .map(|_| ())
    .map_err(|e| Error::io(path, e))
}

pub fn run_hash(a: HashArgs) -> Result<Exit> {
    let (plist, file) = read_manifest_plist(&a.backup)?;
    let kb = keybag_of(&plist, &file)?;
    let line = kb
        .hash_line()
        .map_err(|e| Error::unreadable(&file, format!("BackupKeyBag: {e}")))?;
    super::out(|w| writeln!(w, "{line}"))?;
    Ok(Exit::Ok)
}

pub fn run_decrypt(a: DecryptArgs) -> Result<Exit> {
    let b = super::open(&a.backup)?;
    crate::export::check_output(&b, &a.out)?;
    let existing = a.write.existing();
    let bar = super::progress::Bar::new();
    let s = decrypt_backup(&b, &a.out, existing, a.write.jobs.jobs, &bar)?;
    for w in &s.warnings {
        eprintln!("unback: warning: {w}");
    }
    super::print_problems(&s.problems);
    super::out(|w| {
        writeln!(
            w,
            "{} blobs decrypted ({} bytes), {} skipped (existing), {} missing, {} failed, {} with invalid padding; plain backup in {}",
            s.blobs_written, s.bytes_written, s.skipped_existing, s.missing, s.failed, s.bad_padding, a.out.display()
        )
    })?;
    Ok(s.exit())
}
