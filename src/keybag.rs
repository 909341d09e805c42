//! The backup keybag (`BackupKeyBag` in Manifest.plist): TLV parsing, password → key
//! derivation, class-key unwrapping, and the John the Ripper / hashcat hash line.
//!
//! Layout (FORMAT.md 4.1): records of 4-byte ASCII tag, u32 big-endian length, value. Tags up
//! to the second `UUID` describe the keybag; each later `UUID` starts a class-key record.

#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt;

use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

use crate::crypto::{self, CryptoError};
use crate::kdf;
use crate::secret::{Key32, Password};

/// Bit in a class record's WRAP meaning "wrapped with the password-derived key".
const WRAP_PASSCODE: u32 = 2;
/// Bit meaning "also wrapped with the device key" (unusable off-device).
#[cfg(any(test, feature = "builder"))]
const WRAP_DEVICE: u32 = 1;
const WRAPPED_KEY_LEN: usize = 40;
/// ManifestKey / EncryptionKey: u32 little-endian class + 40-byte wrapped key.
const CLASS_WRAPPED_LEN: usize = 4 + WRAPPED_KEY_LEN;
const TLV_HEADER: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum KeybagError {
    #[error("keybag truncated at offset {offset} in tag {tag}")]
    Truncated { offset: usize, tag: String },
    #[error("keybag tag {tag} at offset {offset} has length {len}, expected 4")]
    BadIntLength {
        tag: &'static str,
        offset: usize,
        len: usize,
    },
    #[error("keybag has no {0} tag")]
    Missing(&'static str),
    #[error("keybag class record {record} has no {tag} tag")]
    MissingClassTag { record: usize, tag: &'static str },
    #[error("wrong password or key (class key unwrap failed its integrity check)")]
    WrongPassword,
    #[error("keybag has no class key that can be unwrapped with the password")]
    NoClassKeys,
    #[error("class-wrapped key must be 44 bytes (4-byte class + 40-byte wrapped key), got {len}")]
    BadWrappedKey { len: usize },
    #[error("no key for protection class {0} in the keybag")]
    NoClassKey(u32),
    #[error("key unwrap failed: {0}")]
    Unwrap(#[from] CryptoError),
}

/// One class-key record of the keybag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassKeyRecord {
    pub uuid: Vec<u8>,
    /// Protection class (1–4 for files, 5–11 keychain and others); kept as stored.
    pub class: u32,
    /// Bit 0x2: wrapped with the password key; bit 0x1: wrapped with the device key.
    pub wrap: u32,
    /// 0 = AES, 1 = Curve25519.
    pub key_type: u32,
    pub wrapped_key: Vec<u8>,
    pub public_key: Option<Vec<u8>>,
}

/// A parsed keybag. Field order follows the tag order real keybags use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keybag {
    pub version: Option<u32>,
    pub kind: Option<u32>,
    pub uuid: Vec<u8>,
    /// Kept only so a parsed keybag serialises back byte-for-byte; all zero in backups.
    pub hmck: Option<Vec<u8>>,
    pub wrap: Option<u32>,
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub dp_wrap_type: Option<u32>,
    pub dp_iterations: Option<u32>,
    pub dp_salt: Option<Vec<u8>>,
    pub classes: Vec<ClassKeyRecord>,
}

/// Which Unicode form of the password unlocked the keybag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordForm {
    AsTyped,
    Nfc,
    Nfd,
}

/// Unwrapped class keys, by protection class.
#[derive(Clone, Default)]
pub struct ClassKeys {
    keys: BTreeMap<u32, Key32>,
}

impl fmt::Debug for ClassKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClassKeys")
            .field("classes", &self.keys.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ClassKeys {
    pub fn get(&self, class: u32) -> Option<&Key32> {
        self.keys.get(&class)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Protection classes present, ascending.
    pub fn classes(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys.keys().copied()
    }

    /// Unwraps the 44-byte form used by Manifest.plist `ManifestKey` and MBFile / mbdb
    /// `EncryptionKey`: u32 little-endian protection class, then a 40-byte RFC 3394 wrapped key.
    pub fn unwrap_wrapped(&self, blob: &[u8]) -> Result<Key32, KeybagError> {
        let (class_bytes, wrapped) = match blob.split_first_chunk::<4>() {
            Some(parts) if blob.len() == CLASS_WRAPPED_LEN => parts,
            _ => return Err(KeybagError::BadWrappedKey { len: blob.len() }),
        };
        let class = u32::from_le_bytes(*class_bytes);
        let class_key = self.get(class).ok_or(KeybagError::NoClassKey(class))?;
        Ok(crypto::unwrap_key(class_key, wrapped)?)
    }
}

/// Result of a successful password unlock.
#[derive(Debug, Clone)]
pub struct Unlocked {
    pub class_keys: ClassKeys,
    /// The derived key; can be cached instead of the password (it unlocks without the KDF).
    pub key: Key32,
    pub form: PasswordForm,
}

/// Printable form of a tag for error messages; hostile bytes are escaped.
fn tag_name(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

fn read_u32(tag: &'static str, offset: usize, value: &[u8]) -> Result<u32, KeybagError> {
    let arr: [u8; 4] = value.try_into().map_err(|_| KeybagError::BadIntLength {
        tag,
        offset,
        len: value.len(),
    })?;
    Ok(u32::from_be_bytes(arr))
}

/// A class record while parsing, before required tags are checked.
#[derive(Default)]
struct PartialClass {
    uuid: Vec<u8>,
    class: Option<u32>,
    wrap: Option<u32>,
    key_type: Option<u32>,
    wrapped_key: Option<Vec<u8>>,
    public_key: Option<Vec<u8>>,
}

impl PartialClass {
    fn finish(self, record: usize) -> Result<ClassKeyRecord, KeybagError> {
        Ok(ClassKeyRecord {
            uuid: self.uuid,
            class: self.class.ok_or(KeybagError::MissingClassTag {
                record,
                tag: "CLAS",
            })?,
            // Absent WRAP means "not password-wrapped": the record is kept but never unwrapped.
            wrap: self.wrap.unwrap_or(0),
            key_type: self.key_type.unwrap_or(0),
            wrapped_key: self.wrapped_key.ok_or(KeybagError::MissingClassTag {
                record,
                tag: "WPKY",
            })?,
            public_key: self.public_key,
        })
    }
}

#[cfg(any(test, feature = "builder"))]
fn push_tlv(out: &mut Vec<u8>, tag: &[u8; 4], value: &[u8]) {
    out.extend_from_slice(tag);
    // Values come from parsed keybags (lengths fit in u32) or from the builder (tiny).
    let len = u32::try_from(value.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
}

#[cfg(any(test, feature = "builder"))]
fn push_u32(out: &mut Vec<u8>, tag: &[u8; 4], value: u32) {
    push_tlv(out, tag, &value.to_be_bytes());
}

impl Keybag {
    /// Parses keybag TLV bytes. Unknown tags are ignored; never panics on hostile input.
    pub fn parse(bytes: &[u8]) -> Result<Keybag, KeybagError> {
        let mut version = None;
        let mut kind = None;
        let mut uuid = None;
        let mut hmck = None;
        let mut wrap = None;
        let mut salt = None;
        let mut iterations = None;
        let mut dp_wrap_type = None;
        let mut dp_iterations = None;
        let mut dp_salt = None;
        let mut classes = Vec::new();
        let mut current: Option<PartialClass> = None;

        let mut offset = 0usize;
        while offset < bytes.len() {
            let header = bytes.get(offset..offset.saturating_add(TLV_HEADER));
            let Some((tag, len_bytes)) = header.and_then(|h| h.split_first_chunk::<4>()) else {
                return Err(KeybagError::Truncated {
                    offset,
                    tag: tag_name(bytes.get(offset..).unwrap_or_default()),
                });
            };
            let len_arr: [u8; 4] = len_bytes.try_into().map_err(|_| KeybagError::Truncated {
                offset,
                tag: tag_name(tag),
            })?;
            let len = usize::try_from(u32::from_be_bytes(len_arr)).unwrap_or(usize::MAX);
            let start = offset + TLV_HEADER;
            let value = start
                .checked_add(len)
                .and_then(|end| bytes.get(start..end))
                .ok_or_else(|| KeybagError::Truncated {
                    offset,
                    tag: tag_name(tag),
                })?;

            match (tag, current.as_mut()) {
                (b"UUID", _) if uuid.is_none() => uuid = Some(value.to_vec()),
                (b"UUID", _) => {
                    if let Some(done) = current.take() {
                        classes.push(done.finish(classes.len())?);
                    }
                    current = Some(PartialClass {
                        uuid: value.to_vec(),
                        ..PartialClass::default()
                    });
                }
                (b"CLAS", Some(c)) => c.class = Some(read_u32("CLAS", offset, value)?),
                (b"WRAP", Some(c)) => c.wrap = Some(read_u32("WRAP", offset, value)?),
                (b"KTYP", Some(c)) => c.key_type = Some(read_u32("KTYP", offset, value)?),
                (b"WPKY", Some(c)) => c.wrapped_key = Some(value.to_vec()),
                (b"PBKY", Some(c)) => c.public_key = Some(value.to_vec()),
                (b"VERS", None) => version = Some(read_u32("VERS", offset, value)?),
                (b"TYPE", None) => kind = Some(read_u32("TYPE", offset, value)?),
                (b"HMCK", None) => hmck = Some(value.to_vec()),
                (b"WRAP", None) => wrap = Some(read_u32("WRAP", offset, value)?),
                (b"SALT", None) => salt = Some(value.to_vec()),
                (b"ITER", None) => iterations = Some(read_u32("ITER", offset, value)?),
                (b"DPWT", None) => dp_wrap_type = Some(read_u32("DPWT", offset, value)?),
                (b"DPIC", None) => dp_iterations = Some(read_u32("DPIC", offset, value)?),
                (b"DPSL", None) => dp_salt = Some(value.to_vec()),
                // Unknown tags (and header tags inside class records) are skipped so newer
                // keybag versions still parse.
                _ => {}
            }
            offset = start + value.len();
        }
        if let Some(done) = current.take() {
            classes.push(done.finish(classes.len())?);
        }

        Ok(Keybag {
            version,
            kind,
            uuid: uuid.unwrap_or_default(),
            hmck,
            wrap,
            salt: salt.ok_or(KeybagError::Missing("SALT"))?,
            iterations: iterations.ok_or(KeybagError::Missing("ITER"))?,
            dp_wrap_type,
            dp_iterations,
            dp_salt,
            classes,
        })
    }

    #[cfg(any(test, feature = "builder"))]
    /// Serialises in the tag order of real keybags, so a parsed real keybag comes back
    /// byte-for-byte. A missing `hmck` is written as 40 zero bytes, as in backup keybags.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.classes.len() * 100);
        if let Some(v) = self.version {
            push_u32(&mut out, b"VERS", v);
        }
        if let Some(v) = self.kind {
            push_u32(&mut out, b"TYPE", v);
        }
        // Always written: the parser tells the header from class records by counting UUIDs.
        push_tlv(&mut out, b"UUID", &self.uuid);
        match &self.hmck {
            Some(h) => push_tlv(&mut out, b"HMCK", h),
            None => push_tlv(&mut out, b"HMCK", &[0u8; 40]),
        }
        if let Some(v) = self.wrap {
            push_u32(&mut out, b"WRAP", v);
        }
        push_tlv(&mut out, b"SALT", &self.salt);
        push_u32(&mut out, b"ITER", self.iterations);
        if let Some(v) = self.dp_wrap_type {
            push_u32(&mut out, b"DPWT", v);
        }
        if let Some(v) = self.dp_iterations {
            push_u32(&mut out, b"DPIC", v);
        }
        if let Some(v) = &self.dp_salt {
            push_tlv(&mut out, b"DPSL", v);
        }
        for c in &self.classes {
            push_tlv(&mut out, b"UUID", &c.uuid);
            push_u32(&mut out, b"CLAS", c.class);
            push_u32(&mut out, b"WRAP", c.wrap);
            push_u32(&mut out, b"KTYP", c.key_type);
            push_tlv(&mut out, b"WPKY", &c.wrapped_key);
            if let Some(p) = &c.public_key {
                push_tlv(&mut out, b"PBKY", p);
            }
        }
        out
    }

    /// True when the password goes through PBKDF2-SHA256 (DPSL/DPIC) before PBKDF2-SHA1.
    /// Decided by tag presence, never by iOS version (the real iOS 10.2 sample already has
    /// the tags, which version checks like "> 10.2" miss).
    /// PBKDF2 rounds a password unlock costs: the SHA-256 stage (iOS 10.2+) plus the SHA-1 stage.
    /// Both come from the backup, so a hostile keybag can ask for 2^32 - 1 of each.
    pub fn derivation_rounds(&self) -> u64 {
        let double = if self.uses_double_kdf() {
            u64::from(self.dp_iterations.unwrap_or(0))
        } else {
            0
        };
        double + u64::from(self.iterations)
    }

    pub fn uses_double_kdf(&self) -> bool {
        self.dp_salt.is_some() && self.dp_iterations.is_some()
    }

    /// Derives the key-encryption key from the password bytes (UTF-8 as given; see
    /// [`Keybag::unlock_with_password`] for Unicode forms). This is the slow step: with
    /// DPIC = 10,000,000 about one second in an optimised build.
    pub fn derive_key(&self, password: &[u8]) -> Key32 {
        let mut key = Key32::from_bytes([0u8; 32]);
        match (&self.dp_salt, self.dp_iterations) {
            (Some(dp_salt), Some(dp_iterations)) => {
                let mut k1 = Zeroizing::new([0u8; 32]);
                kdf::pbkdf2_hmac_sha256(password, dp_salt, dp_iterations, &mut k1[..]);
                kdf::pbkdf2_hmac_sha1(
                    &k1[..],
                    &self.salt,
                    self.iterations,
                    &mut key.as_mut_bytes()[..],
                );
            }
            _ => kdf::pbkdf2_hmac_sha1(
                password,
                &self.salt,
                self.iterations,
                &mut key.as_mut_bytes()[..],
            ),
        }
        key
    }

    /// Unwraps every password-wrapped class key with `key`.
    ///
    /// The first unwrap decides: if it fails the RFC 3394 integrity check, the key (password)
    /// is wrong. A later record that fails is skipped rather than failing the whole unlock,
    /// since one damaged record should not hide the file classes. WRAP = 3 records unwrap too,
    /// but their result is still device-wrapped and only stored for completeness; file data
    /// uses classes 1–4 (WRAP = 2).
    pub fn unlock_with_key(&self, key: &Key32) -> Result<ClassKeys, KeybagError> {
        let mut keys = ClassKeys::default();
        let mut first = true;
        for record in &self.classes {
            if record.wrap & WRAP_PASSCODE == 0 || record.wrapped_key.len() != WRAPPED_KEY_LEN {
                continue;
            }
            match crypto::unwrap_key(key, &record.wrapped_key) {
                Ok(class_key) => {
                    keys.keys.entry(record.class).or_insert(class_key);
                }
                Err(CryptoError::UnwrapIntegrity) if first => {
                    return Err(KeybagError::WrongPassword)
                }
                Err(_) => {}
            }
            first = false;
        }
        if keys.is_empty() {
            return Err(KeybagError::NoClassKeys);
        }
        Ok(keys)
    }

    /// Tries the password as typed, then its NFC form, then its NFD form, skipping forms
    /// identical to one already tried. A backup set on an iPhone may have been typed in a
    /// different normalisation than on this machine (macOS input tends to NFD). Each form
    /// tried costs one full key derivation (about a second for iOS ≥ 10.2 keybags), so a
    /// wrong non-ASCII password can take up to three times as long as an ASCII one.
    pub fn unlock_with_password(&self, password: &Password) -> Result<Unlocked, KeybagError> {
        let typed = password.as_str();
        let nfc = normalise(typed, typed.nfc());
        let nfd = normalise(typed, typed.nfd());
        let mut candidates: Vec<(PasswordForm, &str)> = vec![(PasswordForm::AsTyped, typed)];
        if nfc.as_str() != typed {
            candidates.push((PasswordForm::Nfc, nfc.as_str()));
        }
        if nfd.as_str() != typed && nfd.as_str() != nfc.as_str() {
            candidates.push((PasswordForm::Nfd, nfd.as_str()));
        }
        for (form, candidate) in candidates {
            let key = self.derive_key(candidate.as_bytes());
            match self.unlock_with_key(&key) {
                Ok(class_keys) => {
                    return Ok(Unlocked {
                        class_keys,
                        key,
                        form,
                    })
                }
                Err(KeybagError::WrongPassword) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(KeybagError::WrongPassword)
    }

    /// The John the Ripper / hashcat line (`itunes-backup` format, hashcat modes 14700 and
    /// 14800): `$itunes_backup$*9*<WPKY>*<ITER>*<SALT>**` for SHA-1-only keybags and
    /// `$itunes_backup$*10*<WPKY>*<ITER>*<SALT>*<DPIC>*<DPSL>` for double-KDF keybags, where
    /// WPKY is the first class record's wrapped key (class 11 in real keybags), as
    /// philsmd's itunes_backup2hashcat extracts it.
    pub fn hash_line(&self) -> Result<String, KeybagError> {
        let first = self.classes.first().ok_or(KeybagError::NoClassKeys)?;
        if first.wrapped_key.len() != WRAPPED_KEY_LEN {
            return Err(KeybagError::BadWrappedKey {
                len: first.wrapped_key.len(),
            });
        }
        let wpky = hex::encode(&first.wrapped_key);
        let salt = hex::encode(&self.salt);
        Ok(match (&self.dp_salt, self.dp_iterations) {
            (Some(dp_salt), Some(dp_iterations)) => format!(
                "$itunes_backup$*10*{wpky}*{}*{salt}*{dp_iterations}*{}",
                self.iterations,
                hex::encode(dp_salt)
            ),
            _ => format!("$itunes_backup$*9*{wpky}*{}*{salt}**", self.iterations),
        })
    }
}

/// Collects a normalised password into a zeroizing string. The capacity covers the UTF-8
/// growth bound of normalisation (3x, UAX #15), so no reallocation leaves an unwiped copy.
fn normalise(typed: &str, chars: impl Iterator<Item = char>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(typed.len().saturating_mul(3)));
    out.extend(chars);
    out
}

#[cfg(any(test, feature = "builder"))]
/// Builds a keybag the way a device does, for test fixtures: derives the key from
/// `password` and wraps each class key with it. Classes 5, 9, 10 and 11 get WRAP = 3 like in
/// real keybags (here they are only password-wrapped, so unlocking returns them unchanged),
/// the others WRAP = 2. The header mirrors the real iOS 10.2 sample: VERS 3, TYPE 1, zero
/// HMCK, WRAP 0, and DPWT 1 when `dp` is given.
pub fn build_keybag(
    password: &[u8],
    salt: [u8; 20],
    iterations: u32,
    dp: Option<([u8; 20], u32)>,
    class_keys: &[(u32, Key32)],
    uuid: [u8; 16],
) -> Keybag {
    let mut keybag = Keybag {
        version: Some(3),
        kind: Some(1),
        uuid: uuid.to_vec(),
        hmck: Some(vec![0u8; 40]),
        wrap: Some(0),
        salt: salt.to_vec(),
        iterations,
        dp_wrap_type: dp.map(|_| 1),
        dp_iterations: dp.map(|(_, n)| n),
        dp_salt: dp.map(|(s, _)| s.to_vec()),
        classes: Vec::new(),
    };
    let kek = keybag.derive_key(password);
    for (class, class_key) in class_keys {
        let mut record_uuid = uuid;
        // Distinct, deterministic record UUIDs; real ones are random.
        for (b, c) in record_uuid.iter_mut().rev().zip(class.to_le_bytes()) {
            *b ^= c.wrapping_add(0x5a);
        }
        let wrap = if matches!(class, 5 | 9 | 10 | 11) {
            WRAP_PASSCODE | WRAP_DEVICE
        } else {
            WRAP_PASSCODE
        };
        keybag.classes.push(ClassKeyRecord {
            uuid: record_uuid.to_vec(),
            class: *class,
            wrap,
            key_type: 0,
            wrapped_key: crypto::wrap_key(&kek, class_key).to_vec(),
            public_key: None,
        });
    }
    keybag
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    const K_10: &str = "14b002704b801f2f6afabd38cd5bee2b2a8151071f93375cc76cfc7e19539e69";
    const K_9_123456: &str = "e3b46feb8370ba6caedc4925ef30b7d6c93c1462cfecc71901810ef92fb14405";
    const K_9_TEST123: &str = "0fa447b306577e8aeb2165a3d480c40fa70eaf99f83a74c5b334b687c488a2cd";
    const MANIFEST_DB_KEY_10: &str =
        "1a9c2ccd6de10aba7bc59181ce06b4f2b8da7b5391084c2118e4264c28a6c045";

    // John the Ripper test vectors, openwall/john src/itunes_fmt_plug.c (`itunes_tests`); the
    // iOS 10.2 one is commented out there as "real hash, this is very very slow!".
    const JOHN_9_123456: &str = "$itunes_backup$*9*bc707ac0151660426c8114d04caad9d9ee2678a7b7ab05c18ee50cafb2613c31c8978e8b1e9cad2a*10000*266343aaf99102ba7f6af64a3a2d62637793f753**";
    const JOHN_9_TEST123: &str = "$itunes_backup$*9*06dc04bca4eeea2fbc1bc7356fa758243bead479673640a668db285c8f48c402cc435539d935509e*10000*37d2bd7caefbb24a9729e41a3257ef06188dc01e**";
    const JOHN_10_TEST123: &str = "$itunes_backup$*10*deff6d646eb1fa2b6741efee8b70eda84341a838cef2bb10e582669759d7e33c399a0ba2a52cb9ec*10000*f09cfa82cc1695657cb2c347ee127c2523795fda*10000000*66f159e15f3ddbbdd4057f8babef7ad4472fac10";

    /// A real Manifest.plist of openwall's john-samples, or `None` when `../shared` is absent.
    fn manifest(name: &str) -> Option<plist::Dictionary> {
        let path =
            crate::realdata::realdata(&format!("openwall_john-samples/iTunes_Backup/{name}"))?;
        Some(
            plist::Value::from_file(path)
                .unwrap()
                .into_dictionary()
                .unwrap(),
        )
    }

    fn data(dict: &plist::Dictionary, key: &str) -> Vec<u8> {
        dict.get(key).unwrap().as_data().unwrap().to_vec()
    }

    fn real(name: &str) -> Option<(Vec<u8>, Keybag)> {
        let bytes = data(&manifest(name)?, "BackupKeyBag");
        let kb = Keybag::parse(&bytes).unwrap();
        Some((bytes, kb))
    }

    fn key(s: &str) -> Key32 {
        Key32::from_hex(s).unwrap()
    }

    fn assert_real_shape(kb: &Keybag, double: bool) {
        assert_eq!(kb.version, Some(3));
        assert_eq!(kb.kind, Some(1));
        assert_eq!(kb.wrap, Some(0));
        assert_eq!(kb.uuid.len(), 16);
        assert_eq!(kb.hmck.as_deref(), Some(&[0u8; 40][..]));
        assert_eq!(kb.salt.len(), 20);
        assert_eq!(kb.iterations, 10_000);
        assert_eq!(kb.uses_double_kdf(), double);
        assert_eq!(kb.dp_salt.is_some(), double);
        assert_eq!(kb.dp_iterations, double.then_some(10_000_000));
        assert_eq!(kb.dp_wrap_type, double.then_some(1));
        let classes: Vec<u32> = kb.classes.iter().map(|c| c.class).collect();
        assert_eq!(classes, (1..=11).rev().collect::<Vec<_>>());
        for c in &kb.classes {
            let expected_wrap = if matches!(c.class, 5 | 9 | 10 | 11) {
                3
            } else {
                2
            };
            assert_eq!(c.wrap, expected_wrap, "class {}", c.class);
            assert_eq!(c.key_type, 0);
            assert_eq!(c.wrapped_key.len(), 40);
            assert_eq!(c.uuid.len(), 16);
            assert!(c.public_key.is_none());
        }
    }

    #[test]
    fn real_ios9_samples_derive_and_unlock() {
        for (name, pw, k) in [
            ("Manifest-9-123456.plist", "123456", K_9_123456),
            ("Manifest-9-test123.plist", "test123", K_9_TEST123),
        ] {
            let Some((_, kb)) = real(name) else { return };
            assert_real_shape(&kb, false);
            let derived = kb.derive_key(pw.as_bytes());
            assert_eq!(derived.to_hex().as_str(), k, "{name}");
            let unlocked = kb.unlock_with_password(&Password::new(pw.into())).unwrap();
            assert_eq!(unlocked.form, PasswordForm::AsTyped);
            assert_eq!(unlocked.key, derived);
            assert_eq!(unlocked.class_keys.len(), 11, "{name}");
        }
    }

    #[test]
    fn real_ios9_wrong_password() {
        let Some((_, kb)) = real("Manifest-9-123456.plist") else {
            return;
        };
        assert!(matches!(
            kb.unlock_with_password(&Password::new("1234567".into())),
            Err(KeybagError::WrongPassword)
        ));
        // The other sample's key is a well-formed but wrong key.
        assert!(matches!(
            kb.unlock_with_key(&key(K_9_TEST123)),
            Err(KeybagError::WrongPassword)
        ));
    }

    #[test]
    fn real_ios10_unlock_with_known_key() {
        let Some((_, kb)) = real("Manifest-10-test123.plist") else {
            return;
        };
        assert_real_shape(&kb, true);
        let class_keys = kb.unlock_with_key(&key(K_10)).unwrap();
        assert_eq!(class_keys.len(), 11);
        assert_eq!(
            class_keys.classes().collect::<Vec<_>>(),
            (1..=11).collect::<Vec<_>>()
        );
        let manifest_key = data(
            &manifest("Manifest-10-test123.plist").unwrap(),
            "ManifestKey",
        );
        assert_eq!(manifest_key.len(), 44);
        assert_eq!(&manifest_key[..4], &[4, 0, 0, 0]);
        let db_key = class_keys.unwrap_wrapped(&manifest_key).unwrap();
        assert_eq!(db_key.to_hex().as_str(), MANIFEST_DB_KEY_10);
    }

    /// PBKDF2-SHA256 × 10,000,000: about 1 s optimised. Run with `cargo test -- --ignored`.
    #[test]
    #[ignore]
    fn real_10m_iteration_unlock() {
        let Some((_, kb)) = real("Manifest-10-test123.plist") else {
            return;
        };
        let unlocked = kb
            .unlock_with_password(&Password::new("test123".into()))
            .unwrap();
        assert_eq!(unlocked.key.to_hex().as_str(), K_10);
        assert_eq!(unlocked.form, PasswordForm::AsTyped);
        assert_eq!(unlocked.class_keys.len(), 11);
        let manifest_key = data(
            &manifest("Manifest-10-test123.plist").unwrap(),
            "ManifestKey",
        );
        let db_key = unlocked.class_keys.unwrap_wrapped(&manifest_key).unwrap();
        assert_eq!(db_key.to_hex().as_str(), MANIFEST_DB_KEY_10);
    }

    #[test]
    fn real_samples_round_trip_exactly() {
        for name in [
            "Manifest-10-test123.plist",
            "Manifest-9-123456.plist",
            "Manifest-9-test123.plist",
        ] {
            let Some((bytes, kb)) = real(name) else {
                return;
            };
            assert!(kb.to_bytes() == bytes, "{name} does not round-trip");
        }
    }

    #[test]
    fn hash_lines_match_john_vectors() {
        for (name, expected) in [
            ("Manifest-9-123456.plist", JOHN_9_123456),
            ("Manifest-9-test123.plist", JOHN_9_TEST123),
            ("Manifest-10-test123.plist", JOHN_10_TEST123),
        ] {
            let Some((_, kb)) = real(name) else { return };
            assert_eq!(kb.hash_line().unwrap(), expected, "{name}");
        }
    }

    #[test]
    fn nfd_password_unlocks_with_nfc_input() {
        let nfd = "cafe\u{301}";
        let nfc = "caf\u{e9}";
        let class_keys: Vec<(u32, Key32)> = (1..=11u32)
            .rev()
            .map(|c| (c, Key32::from_bytes([c as u8; 32])))
            .collect();
        let kb = build_keybag(
            nfd.as_bytes(),
            [7u8; 20],
            10,
            Some(([8u8; 20], 1)),
            &class_keys,
            [1u8; 16],
        );
        assert!(kb.uses_double_kdf());
        let unlocked = kb.unlock_with_password(&Password::new(nfc.into())).unwrap();
        assert_eq!(unlocked.form, PasswordForm::Nfd);
        assert_eq!(unlocked.key, kb.derive_key(nfd.as_bytes()));
        assert_eq!(unlocked.class_keys.len(), 11);
        for (c, k) in &class_keys {
            assert_eq!(unlocked.class_keys.get(*c), Some(k));
        }
        // As typed wins when it already matches.
        let typed = kb.unlock_with_password(&Password::new(nfd.into())).unwrap();
        assert_eq!(typed.form, PasswordForm::AsTyped);
        assert!(matches!(
            kb.unlock_with_password(&Password::new("cafe".into())),
            Err(KeybagError::WrongPassword)
        ));

        // And the other way round: NFC password, NFD input.
        let kb = build_keybag(nfc.as_bytes(), [7u8; 20], 1, None, &class_keys, [2u8; 16]);
        let unlocked = kb.unlock_with_password(&Password::new(nfd.into())).unwrap();
        assert_eq!(unlocked.form, PasswordForm::Nfc);
    }

    #[test]
    fn built_keybag_round_trips_and_looks_real() {
        let class_keys: Vec<(u32, Key32)> = (1..=11u32)
            .rev()
            .map(|c| (c, Key32::from_bytes([c as u8 * 3; 32])))
            .collect();
        for dp in [None, Some(([9u8; 20], 2))] {
            let kb = build_keybag(b"pw", [4u8; 20], 3, dp, &class_keys, [5u8; 16]);
            let bytes = kb.to_bytes();
            let parsed = Keybag::parse(&bytes).unwrap();
            assert_eq!(parsed, kb);
            assert_eq!(parsed.to_bytes(), bytes);
            let wraps: Vec<u32> = kb.classes.iter().map(|c| c.wrap).collect();
            assert_eq!(wraps, [3, 3, 3, 2, 2, 2, 3, 2, 2, 2, 2]);
            let uuids: std::collections::BTreeSet<&[u8]> =
                kb.classes.iter().map(|c| &c.uuid[..]).collect();
            assert_eq!(uuids.len(), 11);
            assert!(!uuids.contains(&kb.uuid[..]));
            assert!(kb.hash_line().unwrap().starts_with(if dp.is_some() {
                "$itunes_backup$*10*"
            } else {
                "$itunes_backup$*9*"
            }));
        }
        // Same tag sequence as the real iOS 10.2 keybag.
        let Some((real_bytes, _)) = real("Manifest-10-test123.plist") else {
            return;
        };
        let kb = build_keybag(
            b"pw",
            [4u8; 20],
            3,
            Some(([9u8; 20], 2)),
            &class_keys,
            [5u8; 16],
        );
        assert_eq!(tag_sequence(&kb.to_bytes()), tag_sequence(&real_bytes));
    }

    fn tag_sequence(bytes: &[u8]) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let len = u32::from_be_bytes(bytes[i + 4..i + 8].try_into().unwrap()) as usize;
            out.push((String::from_utf8_lossy(&bytes[i..i + 4]).into_owned(), len));
            i += 8 + len;
        }
        out
    }

    #[test]
    fn pyiosbackup_vector() {
        // FORMAT.md appendix A.4: every WPKY wraps 32 zero bytes under K.
        let k = key("ec8edc160b5745ccae000bfb4787630f322821191fba7eea38feab2c6307cd9b");
        let wpky = hex::decode(
            "528c9c5171bf8bef1ea397cf29d2a838c90529df02a6ad2f823a1c6f3a5b2040e2a309c520c6a2ab",
        )
        .unwrap();
        let kb = Keybag {
            version: Some(5),
            kind: Some(1),
            uuid: vec![0; 16],
            hmck: Some(vec![0; 40]),
            wrap: Some(0),
            salt: vec![0; 20],
            iterations: 10_000,
            dp_wrap_type: Some(1),
            dp_iterations: Some(10_000_000),
            dp_salt: Some(vec![0; 20]),
            classes: (1..=11u32)
                .rev()
                .map(|class| ClassKeyRecord {
                    uuid: vec![0; 16],
                    class,
                    wrap: if class >= 9 { 3 } else { 2 },
                    key_type: 0,
                    wrapped_key: wpky.clone(),
                    public_key: None,
                })
                .collect(),
        };
        let parsed = Keybag::parse(&kb.to_bytes()).unwrap();
        let class_keys = parsed.unlock_with_key(&k).unwrap();
        assert_eq!(class_keys.len(), 11);
        let zero = Key32::from_bytes([0; 32]);
        for class in 1..=11 {
            assert_eq!(class_keys.get(class), Some(&zero));
        }
        let manifest_key = hex::decode("0200000097317494343807e690fd1e431413963dc0e3deb4907fb89fa36ce65126d0ea1301381fb3a2941e2f").unwrap();
        let db_key = class_keys.unwrap_wrapped(&manifest_key).unwrap();
        assert_eq!(db_key, zero);

        let Some(blob) =
            crate::realdata::read_realdata("matan1008_pyiosbackup/tests/encrypted_sqlite3_db.bin")
        else {
            return;
        };
        let (db, padding) = crypto::decrypt_to_vec(&db_key, &blob).unwrap();
        assert_eq!(padding, crypto::Padding::Invalid);
        assert_eq!(db.len(), 8192);
        assert!(db.starts_with(b"SQLite format 3\0"));
    }

    #[test]
    fn unwrap_wrapped_errors() {
        let Some((_, kb)) = real("Manifest-10-test123.plist") else {
            return;
        };
        let class_keys = kb.unlock_with_key(&key(K_10)).unwrap();
        let manifest_key = data(
            &manifest("Manifest-10-test123.plist").unwrap(),
            "ManifestKey",
        );
        assert!(matches!(
            class_keys.unwrap_wrapped(&manifest_key[..43]),
            Err(KeybagError::BadWrappedKey { len: 43 })
        ));
        assert!(matches!(
            class_keys.unwrap_wrapped(&[]),
            Err(KeybagError::BadWrappedKey { len: 0 })
        ));
        let mut other_class = manifest_key.clone();
        other_class[0] = 3;
        assert!(matches!(
            class_keys.unwrap_wrapped(&other_class),
            Err(KeybagError::Unwrap(CryptoError::UnwrapIntegrity))
        ));
        other_class[0] = 12;
        assert!(matches!(
            class_keys.unwrap_wrapped(&other_class),
            Err(KeybagError::NoClassKey(12))
        ));
    }

    #[test]
    fn missing_and_malformed_tags() {
        let Some((bytes, kb)) = real("Manifest-9-test123.plist") else {
            return;
        };
        let mut no_salt = kb.clone();
        no_salt.salt.clear();
        let without = remove_tag(&bytes, b"SALT");
        assert!(matches!(
            Keybag::parse(&without),
            Err(KeybagError::Missing("SALT"))
        ));
        let without = remove_tag(&bytes, b"ITER");
        assert!(matches!(
            Keybag::parse(&without),
            Err(KeybagError::Missing("ITER"))
        ));
        // An unknown tag is skipped.
        let mut extra = bytes.clone();
        extra.splice(0..0, *b"ZZZZ\0\0\0\x03abc");
        assert_eq!(Keybag::parse(&extra).unwrap(), kb);
        // A 3-byte ITER is rejected with its offset.
        let mut bad = b"ITER\0\0\0\x03abc".to_vec();
        bad.extend_from_slice(&bytes);
        assert!(matches!(
            Keybag::parse(&bad),
            Err(KeybagError::BadIntLength {
                tag: "ITER",
                offset: 0,
                len: 3
            })
        ));
        // No class records: parses, but nothing to unlock.
        let header_only = Keybag {
            classes: Vec::new(),
            ..kb.clone()
        };
        let parsed = Keybag::parse(&header_only.to_bytes()).unwrap();
        assert!(matches!(
            parsed.unlock_with_key(&key(K_9_TEST123)),
            Err(KeybagError::NoClassKeys)
        ));
        assert!(matches!(parsed.hash_line(), Err(KeybagError::NoClassKeys)));
    }

    fn remove_tag(bytes: &[u8], tag: &[u8; 4]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            let len = u32::from_be_bytes(bytes[i + 4..i + 8].try_into().unwrap()) as usize;
            if &bytes[i..i + 4] != tag {
                out.extend_from_slice(&bytes[i..i + 8 + len]);
            }
            i += 8 + len;
        }
        out
    }

    #[test]
    fn truncated_inputs_report_offset_and_tag() {
        let Some((bytes, _)) = real("Manifest-10-test123.plist") else {
            return;
        };
        // Cut inside the SALT value (its header follows VERS, TYPE, UUID, HMCK, WRAP).
        let salt_offset = 12 + 12 + 24 + 48 + 12;
        assert_eq!(&bytes[salt_offset..salt_offset + 4], b"SALT");
        match Keybag::parse(&bytes[..salt_offset + 10]) {
            Err(KeybagError::Truncated { offset, tag }) => {
                assert_eq!(offset, salt_offset);
                assert_eq!(tag, "SALT");
            }
            other => panic!("unexpected {other:?}"),
        }
        // Cut inside a tag header.
        match Keybag::parse(&bytes[..salt_offset + 3]) {
            Err(KeybagError::Truncated { offset, tag }) => {
                assert_eq!(offset, salt_offset);
                assert_eq!(tag, "SAL");
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = Keybag::parse(&bytes[..salt_offset + 10])
            .unwrap_err()
            .to_string();
        assert!(msg.contains("SALT") && msg.contains("108"), "{msg}");
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let Some((bytes, _)) = real("Manifest-10-test123.plist") else {
            return;
        };
        // Every prefix of a real keybag.
        for n in 0..=bytes.len() {
            let _ = Keybag::parse(&bytes[..n]);
        }
        // Huge and boundary lengths.
        for len in [u32::MAX, u32::MAX - 7, 0x8000_0000, 1 << 20, 4, 0] {
            let mut b = b"UUID".to_vec();
            b.extend_from_slice(&len.to_be_bytes());
            b.extend_from_slice(&[0xAA; 16]);
            let _ = Keybag::parse(&b);
            let mut b = bytes.clone();
            b[4..8].copy_from_slice(&len.to_be_bytes());
            let _ = Keybag::parse(&b);
        }
        // Pseudo-random garbage and bit flips of the real keybag; then use what parses.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..3000 {
            let candidate: Vec<u8> = if round % 2 == 0 {
                let mut b = bytes.clone();
                for _ in 0..(1 + next() % 4) {
                    let pos = (next() as usize) % b.len();
                    b[pos] ^= 1 << (next() % 8);
                }
                b
            } else {
                let len = (next() % 300) as usize;
                let tags: [&[u8; 4]; 8] = [
                    b"UUID", b"CLAS", b"WRAP", b"WPKY", b"SALT", b"ITER", b"DPIC", b"KTYP",
                ];
                let mut b = Vec::new();
                while b.len() < len {
                    if next() % 3 == 0 {
                        b.extend_from_slice(tags[(next() % 8) as usize]);
                        let l = (next() % 48) as u32;
                        b.extend_from_slice(&l.to_be_bytes());
                    } else {
                        b.push(next() as u8);
                    }
                }
                b
            };
            if let Ok(kb) = Keybag::parse(&candidate) {
                let _ = kb.to_bytes();
                let _ = kb.hash_line();
                let _ = kb.uses_double_kdf();
                // No derivation here: hostile ITER/DPIC values make the KDF slow, not unsafe.
                if let Ok(ck) = kb.unlock_with_key(&key(K_10)) {
                    let _ = ck.unwrap_wrapped(&[0u8; 44]);
                }
            }
        }
    }
}
