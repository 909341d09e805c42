//! Getting the password or saved key: a file, an environment variable, or a prompt.

use std::io::IsTerminal;
use std::path::Path;

use super::SecretArgs;
use crate::backup::{Secret, UnlockReport};
use crate::error::{Error, Result};
use crate::keybag::PasswordForm;
use crate::secret::{Key32, Password};

pub const PASSWORD_ENV: &str = "UNBACK_PASSWORD";
pub const KEY_ENV: &str = "UNBACK_KEY";

/// A secret file's read error; one past the size bound is the user's wrong file (exit 2).
fn secret_file_error(f: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::FileTooLarge {
        Error::Usage(format!("{}: {e}", f.display()))
    } else {
        Error::io(f, e)
    }
}

fn key_from_text(text: &str, origin: &Path) -> Result<Secret> {
    Key32::from_hex(text)
        .map(Secret::Key)
        .map_err(|e| Error::Usage(format!("{}: not a saved key ({e})", origin.display())))
}

/// The secret for an encrypted backup, in the documented order of precedence:
/// --key-file, --password-file, UNBACK_KEY, UNBACK_PASSWORD, then a prompt.
pub fn obtain(args: &SecretArgs, manifest: &Path) -> Result<Secret> {
    if let Some(f) = &args.key_file {
        let bytes = crate::secret::read_secret_file(f).map_err(|e| secret_file_error(f, e))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            Error::io(
                f,
                std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()),
            )
        })?;
        return key_from_text(text, f);
    }
    if let Some(f) = &args.password_file {
        return Password::from_file(f)
            .map(Secret::Password)
            .map_err(|e| secret_file_error(f, e));
    }
    if let Ok(k) = std::env::var(KEY_ENV) {
        let k = zeroize::Zeroizing::new(k);
        return key_from_text(&k, Path::new(KEY_ENV));
    }
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok(Secret::Password(Password::new(p)));
    }
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("Backup password: ")
            .map_err(|e| Error::Other(format!("cannot read the password: {e}")))?;
        return Ok(Secret::Password(Password::new(p)));
    }
    Err(Error::Locked {
        path: manifest.to_path_buf(),
    })
}

/// Tells the user when the password only worked in another Unicode form, so they know how it
/// was stored (e.g. typed on a Mac keyboard vs. a Windows one).
pub fn report_form(r: &UnlockReport) {
    match r.form {
        Some(PasswordForm::Nfc) => {
            eprintln!("unback: the password matched in Unicode NFC form, not as typed")
        }
        Some(PasswordForm::Nfd) => {
            eprintln!("unback: the password matched in Unicode NFD form, not as typed")
        }
        _ => {}
    }
}

/// Real keybags ask for 10,000,000 + 10,000 rounds, about a second here. The counts come from the
/// backup, so a crafted one could ask for hours of work with no word: above this many rounds the
/// user is told how long it will take (and Ctrl-C stops it).
const SANE_ROUNDS: u64 = 20_000_000;
/// Measured here: PBKDF2-HMAC-SHA256 at about 85 ns a round (BENCHMARKS.md 3d); SHA-1 is close.
const NS_PER_ROUND: u64 = 85;

/// Warns before a key derivation far longer than any real backup's.
pub fn warn_if_slow(
    kb: &crate::keybag::Keybag,
    secret: &crate::backup::Secret,
    file: &std::path::Path,
) {
    let rounds = kb.derivation_rounds();
    if matches!(secret, crate::backup::Secret::Password(_)) && rounds > SANE_ROUNDS {
        let secs = rounds.saturating_mul(NS_PER_ROUND) / 1_000_000_000;
        eprintln!(
            "unback: warning: {}: the keybag asks for {rounds} key-derivation rounds (real backups: 10,010,000); deriving the key will take about {} on this machine (Ctrl-C to stop; a saved key skips it)",
            file.display(),
            if secs >= 120 { format!("{} minutes", secs / 60) } else { format!("{secs} s") }
        );
    }
}
