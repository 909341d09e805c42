//! Encrypted fixture backups: a real keybag protected by the password, per-file keys wrapped
//! with class keys, AES-256-CBC blobs, and Manifest.db encrypted whole under a ManifestKey —
//! the iOS 10.2+ scheme of FORMAT.md sections 4 and 5. Iteration counts are the builder's to
//! choose (tests use small ones); readers take them from the keybag.
//!
//! All key material is derived from a seed so output stays byte-reproducible.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use aes::cipher::{BlockModeEncrypt, KeyIvInit};
use sha2::{Digest, Sha256};

use crate::crypto;
use crate::keybag::build_keybag;
use crate::secret::Key32;

/// How to encrypt a built backup.
#[derive(Debug, Clone)]
pub struct Encryption {
    pub password: String,
    /// PBKDF2-HMAC-SHA1 salt and rounds (SALT / ITER).
    pub salt: [u8; 20],
    pub iterations: u32,
    /// PBKDF2-HMAC-SHA256 salt and rounds (DPSL / DPIC), present in iOS 10.2+ keybags.
    pub double: Option<([u8; 20], u32)>,
    /// Seeds class, file and database keys.
    pub seed: u64,
}

impl Encryption {
    /// An iOS 10.2+ style keybag with the given round counts (real devices: 10,000 and
    /// 10,000,000).
    pub fn new(password: &str, sha1_rounds: u32, sha256_rounds: u32) -> Encryption {
        Encryption {
            password: password.to_string(),
            salt: derive20(b"SALT", password),
            iterations: sha1_rounds,
            double: Some((derive20(b"DPSL", password), sha256_rounds)),
            seed: 0x5eed,
        }
    }

    /// An iOS 10.0–10.1 style keybag: PBKDF2-SHA1 only.
    pub fn sha1_only(password: &str, rounds: u32) -> Encryption {
        Encryption {
            double: None,
            ..Encryption::new(password, rounds, 0)
        }
    }

    fn key(&self, label: &str) -> Key32 {
        let mut h = Sha256::new();
        h.update(self.seed.to_le_bytes());
        h.update(label.as_bytes());
        Key32::from_bytes(h.finalize().into())
    }
}

fn derive20(tag: &[u8], password: &str) -> [u8; 20] {
    let h = Sha256::digest([tag, password.as_bytes()].concat());
    let mut out = [0u8; 20];
    out.copy_from_slice(&h[..20]);
    out
}

/// Everything derived once per backup.
pub(crate) struct Keys {
    pub keybag: Vec<u8>,
    pub class_keys: BTreeMap<u32, Key32>,
    pub manifest_key: Vec<u8>,
    pub db_key: Key32,
    enc: Encryption,
}

/// Protection class of Manifest.db's key, as in the real iOS 10.2 sample.
const MANIFEST_CLASS: u32 = 4;

impl Keys {
    pub fn new(enc: &Encryption) -> Keys {
        let class_keys: BTreeMap<u32, Key32> = (1..=11u32)
            .map(|c| (c, enc.key(&format!("class-{c}"))))
            .collect();
        let list: Vec<(u32, Key32)> = class_keys
            .iter()
            .rev()
            .map(|(c, k)| (*c, k.clone()))
            .collect();
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(&enc.key("keybag-uuid").as_bytes()[..16]);
        let kb = build_keybag(
            enc.password.as_bytes(),
            enc.salt,
            enc.iterations,
            enc.double,
            &list,
            uuid,
        );
        let db_key = enc.key("manifest-db");
        let manifest_key = wrapped_blob(MANIFEST_CLASS, &class_keys[&MANIFEST_CLASS], &db_key);
        Keys {
            keybag: kb.to_bytes(),
            class_keys,
            manifest_key,
            db_key,
            enc: enc.clone(),
        }
    }

    pub fn file_key(&self, file_id: &str) -> Key32 {
        self.enc.key(&format!("file-{file_id}"))
    }

    /// The 44-byte EncryptionKey of a file: little-endian class, then the wrapped file key.
    pub fn encryption_key(&self, class: u32, file_id: &str) -> Vec<u8> {
        let class = if (1..=11).contains(&class) { class } else { 4 };
        wrapped_blob(class, &self.class_keys[&class], &self.file_key(file_id))
    }
}

fn wrapped_blob(class: u32, kek: &Key32, key: &Key32) -> Vec<u8> {
    let mut v = class.to_le_bytes().to_vec();
    v.extend_from_slice(&crypto::wrap_key(kek, key));
    v
}

/// AES-256-CBC with a zero IV and PKCS#7, streamed in 1 MiB chunks so multi-GB generated
/// files never sit in memory.
pub(crate) fn encrypt_stream(
    key: &Key32,
    mut input: impl Read,
    mut out: impl Write,
) -> io::Result<u64> {
    let mut enc = cbc::Encryptor::<aes::Aes256>::new(key.as_bytes().into(), &[0u8; 16].into());
    let mut buf = vec![0u8; 1 << 20];
    let mut filled = 0usize;
    let mut written = 0u64;
    loop {
        let n = input.read(&mut buf[filled..])?;
        filled += n;
        if n == 0 || filled == buf.len() {
            let whole = if n == 0 { filled / 16 * 16 } else { filled };
            let (blocks, _) = aes::Block::slice_as_chunks_mut(&mut buf[..whole]);
            enc.encrypt_blocks(blocks);
            out.write_all(&buf[..whole])?;
            written += whole as u64;
            if n == 0 {
                // The tail plus a PKCS#7 pad: always 1..=16 bytes of padding.
                let rest = filled - whole;
                let pad = (16 - rest) as u8;
                let mut last = [pad; 16];
                last[..rest].copy_from_slice(&buf[whole..filled]);
                let (blocks, _) = aes::Block::slice_as_chunks_mut(&mut last);
                enc.encrypt_blocks(blocks);
                out.write_all(&last)?;
                return Ok(written + 16);
            }
            filled = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_encryption_matches_whole_buffer_encryption() {
        let k = Key32::from_bytes([7; 32]);
        for len in [0usize, 1, 15, 16, 17, (1 << 20) - 1, 1 << 20, (1 << 20) + 5] {
            let data: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut out = Vec::new();
            encrypt_stream(&k, &data[..], &mut out).unwrap();
            assert_eq!(out, crypto::encrypt_cbc_pkcs7(&k, &data), "len {len}");
        }
    }
}
