//! Secret values (passwords and 256-bit keys) that wipe their memory on drop and never print
//! their contents through `Debug`.

use std::fmt;
use std::io;
use std::path::Path;

use zeroize::Zeroizing;

/// Errors from parsing secrets given by the user.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The hex key did not have exactly 64 hex digits after trimming whitespace.
    #[error("key must be 64 hex digits (32 bytes), got {0} characters")]
    HexLength(usize),
    /// The hex key contained a character that is not a hex digit.
    #[error("key contains a non-hex character at position {0}")]
    HexDigit(usize),
}

/// The most a password or key file may hold. A saved key is 64 hex digits and a password a
/// line; anything larger is the wrong file, and `/dev/zero` or a FIFO would otherwise be read
/// forever (issue 11 item 8).
pub const MAX_SECRET_FILE: u64 = 64 * 1024;

/// Reads a password or key file of at most `MAX_SECRET_FILE` bytes, into memory that is wiped
/// when dropped. Larger is an error of kind `FileTooLarge`, found after reading one byte past
/// the limit, so an endless file costs 64 KiB. The buffer is allocated once at its full size:
/// a growing `Vec` would leave copies of the secret behind in freed memory.
pub fn read_secret_file(path: &Path) -> io::Result<Zeroizing<Vec<u8>>> {
    use std::io::Read;
    let f = std::fs::File::open(path)?;
    let mut bytes = Zeroizing::new(Vec::with_capacity(MAX_SECRET_FILE as usize + 1));
    f.take(MAX_SECRET_FILE + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SECRET_FILE {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} KiB: not a password or key file",
                MAX_SECRET_FILE / 1024
            ),
        ));
    }
    Ok(bytes)
}

/// A backup password. The string is wiped when dropped.
pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new(password: String) -> Password {
        Password(Zeroizing::new(password))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Reads a password file. Only one trailing line ending is removed, because editors and
    /// `echo` add exactly one, while other trailing whitespace may be part of the password.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<Password> {
        let bytes = read_secret_file(path.as_ref())?;
        let text = std::str::from_utf8(&bytes).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "password file is not valid UTF-8 (at byte {})",
                    e.valid_up_to()
                ),
            )
        })?;
        let trimmed = text
            .strip_suffix("\r\n")
            .or_else(|| text.strip_suffix('\n'))
            .unwrap_or(text);
        Ok(Password::new(trimmed.to_owned()))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A 256-bit key (derived key, class key, file key). Wiped when dropped.
#[derive(Clone)]
pub struct Key32(Zeroizing<[u8; 32]>);

impl Key32 {
    pub fn from_bytes(bytes: [u8; 32]) -> Key32 {
        Key32(Zeroizing::new(bytes))
    }

    /// Returns `None` unless `bytes` is exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Option<Key32> {
        let mut key = Key32::from_bytes([0u8; 32]);
        if bytes.len() != 32 {
            return None;
        }
        key.0.copy_from_slice(bytes);
        Some(key)
    }

    /// Parses 64 hex digits (either case), ignoring surrounding whitespace such as the newline
    /// at the end of a key file.
    pub fn from_hex(text: &str) -> Result<Key32, SecretError> {
        let text = text.trim();
        if text.len() != 64 {
            return Err(SecretError::HexLength(text.chars().count()));
        }
        let mut key = Key32::from_bytes([0u8; 32]);
        // Decoding into the zeroizing buffer directly avoids an unwiped temporary copy.
        if let Err(e) = hex::decode_to_slice(text, &mut key.0[..]) {
            let pos = match e {
                hex::FromHexError::InvalidHexCharacter { index, .. } => index,
                _ => 0,
            };
            return Err(SecretError::HexDigit(pos));
        }
        Ok(key)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lets crypto code write a key in place, so no unwiped copy of it is made.
    pub(crate) fn as_mut_bytes(&mut self) -> &mut [u8; 32] {
        &mut self.0
    }

    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.0[..]))
    }
}

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key32(<redacted>)")
    }
}

impl PartialEq for Key32 {
    // Constant-time comparison is not needed: keys are compared only in tests and fixture
    // checks, never against attacker-controlled guesses in a timing-observable setting.
    fn eq(&self, other: &Key32) -> bool {
        self.0[..] == other.0[..]
    }
}

impl Eq for Key32 {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn password_debug_is_redacted() {
        let pw = Password::new("hunter2".into());
        assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
        assert_eq!(pw.as_str(), "hunter2");
    }

    #[test]
    fn password_from_file_strips_one_line_ending() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&[u8], &str); 5] = [
            (b"test123\n", "test123"),
            (b"test123\r\n", "test123"),
            (b"test123\n\n", "test123\n"),
            (b"test123 ", "test123 "),
            (b"", ""),
        ];
        for (i, (content, expected)) in cases.iter().enumerate() {
            let path = dir.path().join(format!("pw{i}"));
            std::fs::File::create(&path)
                .unwrap()
                .write_all(content)
                .unwrap();
            assert_eq!(Password::from_file(&path).unwrap().as_str(), *expected);
        }
        let path = dir.path().join("bad");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let err = Password::from_file(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        // The limit itself is accepted; one byte more is not.
        let path = dir.path().join("max");
        std::fs::write(&path, vec![b'a'; MAX_SECRET_FILE as usize]).unwrap();
        assert_eq!(
            Password::from_file(&path).unwrap().as_str().len(),
            64 * 1024
        );
        std::fs::write(&path, vec![b'a'; MAX_SECRET_FILE as usize + 1]).unwrap();
        let err = Password::from_file(&path).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn key_hex_round_trip() {
        let hex = "14b002704b801f2f6afabd38cd5bee2b2a8151071f93375cc76cfc7e19539e69";
        let key = Key32::from_hex(&format!("  {}\n", hex.to_uppercase())).unwrap();
        assert_eq!(key.to_hex().as_str(), hex);
        assert_eq!(key.as_bytes()[0], 0x14);
        assert_eq!(format!("{key:?}"), "Key32(<redacted>)");
        assert_eq!(key.clone(), key);
    }

    #[test]
    fn key_hex_errors() {
        assert!(matches!(
            Key32::from_hex("abcd"),
            Err(SecretError::HexLength(4))
        ));
        let bad = format!("{}zz", "0".repeat(62));
        assert!(matches!(
            Key32::from_hex(&bad),
            Err(SecretError::HexDigit(62))
        ));
        // Multibyte characters must give an error, not a panic on a char boundary.
        let multi = "é".repeat(32);
        assert!(Key32::from_hex(&multi).is_err());
    }

    #[test]
    fn key_from_slice_checks_length() {
        assert!(Key32::from_slice(&[0u8; 31]).is_none());
        assert!(Key32::from_slice(&[0u8; 33]).is_none());
        assert_eq!(
            Key32::from_slice(&[7u8; 32]).unwrap().as_bytes(),
            &[7u8; 32]
        );
    }
}
