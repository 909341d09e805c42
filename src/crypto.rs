//! AES primitives used by iOS backups: RFC 3394 key unwrap (class keys, Manifest.db key,
//! per-file keys) and AES-256-CBC with a zero IV and PKCS#7 padding (Manifest.db, file blobs).
//!
//! Decryption never discards data: when the final block is not a valid PKCS#7 pad, the whole
//! decrypted output is kept and the caller is told, because real backups contain such files
//! (FORMAT.md 5.3) and a recovery tool must not lose their last bytes.

#![deny(clippy::indexing_slicing)]

use std::io::{self, Read, Write};

#[cfg(any(test, feature = "builder"))]
use aes::cipher::BlockModeEncrypt;
use aes::cipher::{BlockModeDecrypt, KeyInit, KeyIvInit};
use aes_kw::KwAes256;

use crate::secret::Key32;

const BLOCK: usize = 16;
/// Wrapped form of a 32-byte key: 8-byte integrity value plus the key.
const WRAPPED_LEN: usize = 40;
/// Chunk for streaming; large enough that per-call overhead vanishes next to AES-NI
/// throughput, small enough that memory stays flat for multi-GB files.
const STREAM_CHUNK: usize = 1 << 20;
/// Smaller chunk for the `Read` adapter, which is typically created once per (often small) file.
const READER_CHUNK: usize = 256 << 10;
const ZERO_IV: [u8; BLOCK] = [0u8; BLOCK];

type CbcDec = cbc::Decryptor<aes::Aes256>;
#[cfg(any(test, feature = "builder"))]
type CbcEnc = cbc::Encryptor<aes::Aes256>;

/// Errors from key wrapping.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("wrapped key must be 40 bytes, got {0}")]
    WrappedKeyLength(usize),
    /// The RFC 3394 integrity value did not match: wrong unwrapping key (wrong password,
    /// wrong class key) or corrupted wrapped key.
    #[error("key unwrap integrity check failed (wrong key or corrupted wrapped key)")]
    UnwrapIntegrity,
}

/// Errors from CBC decryption.
#[derive(Debug, thiserror::Error)]
pub enum DecryptError {
    #[error("ciphertext length {len} is not a multiple of 16 bytes")]
    NotBlockAligned { len: u64 },
    #[error("I/O error during decryption: {0}")]
    Io(#[from] io::Error),
}

/// State of the PKCS#7 padding found in the last decrypted block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// A valid pad of `pad` bytes (1..=16) was found and removed.
    Valid { pad: u8 },
    /// The last block is not a valid pad; all decrypted bytes were kept.
    Invalid,
    /// The ciphertext was empty, so there is no block that could hold a pad.
    Empty,
}

/// Summary of one streaming decryption.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecryptOutcome {
    pub plaintext_len: u64,
    pub ciphertext_len: u64,
    pub padding: Padding,
}

/// RFC 3394 unwrap of a 40-byte wrapped key with the default IV A6A6A6A6A6A6A6A6.
pub fn unwrap_key(kek: &Key32, wrapped: &[u8]) -> Result<Key32, CryptoError> {
    if wrapped.len() != WRAPPED_LEN {
        return Err(CryptoError::WrappedKeyLength(wrapped.len()));
    }
    let kw = KwAes256::new(kek.as_bytes().into());
    let mut key = Key32::from_bytes([0u8; 32]);
    kw.unwrap_key(wrapped, &mut key.as_mut_bytes()[..])
        .map_err(|_| CryptoError::UnwrapIntegrity)?;
    Ok(key)
}

#[cfg(any(test, feature = "builder"))]
/// RFC 3394 wrap of a 32-byte key (for building test backups).
pub fn wrap_key(kek: &Key32, key: &Key32) -> [u8; 40] {
    let kw = KwAes256::new(kek.as_bytes().into());
    let wrapped = kw.wrap_fixed_key::<aes::cipher::consts::U32>(key.as_bytes().into());
    wrapped.into()
}

#[cfg(any(test, feature = "builder"))]
/// AES-256-CBC with a zero IV and PKCS#7 padding, the way iOS encrypts backup files. A whole
/// pad block is added when the plaintext is block-aligned, as PKCS#7 requires.
pub fn encrypt_cbc_pkcs7(key: &Key32, plaintext: &[u8]) -> Vec<u8> {
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut buf = Vec::with_capacity(plaintext.len() + pad);
    buf.extend_from_slice(plaintext);
    // `pad` is 1..=16, so the cast cannot truncate.
    buf.resize(plaintext.len() + pad, pad as u8);
    let mut enc = CbcEnc::new(key.as_bytes().into(), &ZERO_IV.into());
    let (blocks, _rest) = aes::Block::slice_as_chunks_mut(&mut buf);
    enc.encrypt_blocks(blocks);
    buf
}

fn new_decryptor(key: &Key32) -> CbcDec {
    CbcDec::new(key.as_bytes().into(), &ZERO_IV.into())
}

/// Decrypts `data` (whose length must be a multiple of 16) in place, continuing the CBC chain.
fn decrypt_in_place(dec: &mut CbcDec, data: &mut [u8]) {
    let (blocks, _rest) = aes::Block::slice_as_chunks_mut(data);
    dec.decrypt_blocks(blocks);
}

/// Strict PKCS#7 check: last byte n in 1..=16 and the last n bytes all equal n. Lenient
/// checks (range only) would silently cut up to 16 real bytes off files whose last plaintext
/// byte happens to be small.
fn pkcs7_pad_len(last_block: &[u8; BLOCK]) -> Option<u8> {
    let n = last_block[BLOCK - 1];
    if n == 0 || usize::from(n) > BLOCK {
        return None;
    }
    let tail = last_block.get(BLOCK - usize::from(n)..)?;
    tail.iter().all(|&b| b == n).then_some(n)
}

/// The final block without its `pad` bytes (a pad `pkcs7_pad_len` accepted, so at most 16).
fn unpadded(last_block: &[u8; BLOCK], pad: u8) -> &[u8] {
    let keep = BLOCK.saturating_sub(usize::from(pad));
    last_block
        .split_at_checked(keep)
        .map_or(&[], |(kept, _)| kept)
}

/// Fills `buf` from `input` until it is full or the input ends; returns the bytes read.
/// Filling completely keeps every chunk block-aligned, so only the final chunk can end with a
/// partial block, whatever sizes the reader returns.
fn fill<R: Read>(input: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let Some(rest) = buf.get_mut(filled..) else {
            break;
        };
        match input.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn to_u64(n: usize) -> u64 {
    // usize is at most 64 bits on every supported target.
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// Streams AES-256-CBC (zero IV) from `input` to `output` with a fixed-size buffer.
///
/// The last decrypted block is held back until EOF so the padding can be judged: a valid
/// PKCS#7 pad is removed; an invalid one leaves every decrypted byte in the output. Empty input
/// gives [`Padding::Empty`]. If the ciphertext turns out not to be block-aligned,
/// [`DecryptError::NotBlockAligned`] is returned, and `output` may already hold a decrypted
/// prefix.
pub fn decrypt_stream<R: Read, W: Write>(
    key: &Key32,
    mut input: R,
    mut output: W,
) -> Result<DecryptOutcome, DecryptError> {
    let mut dec = new_decryptor(key);
    let mut buf = vec![0u8; STREAM_CHUNK];
    let mut pending: Option<[u8; BLOCK]> = None;
    let mut ciphertext_len: u64 = 0;
    let mut plaintext_len: u64 = 0;

    loop {
        let filled = fill(&mut input, &mut buf)?;
        ciphertext_len += to_u64(filled);
        if filled % BLOCK != 0 {
            return Err(DecryptError::NotBlockAligned {
                len: ciphertext_len,
            });
        }
        if filled == 0 {
            break;
        }
        let Some(chunk) = buf.get_mut(..filled) else {
            break;
        };
        decrypt_in_place(&mut dec, chunk);
        let (body, last) = chunk.split_at(filled - BLOCK);
        if let Some(prev) = pending.take() {
            output.write_all(&prev)?;
            plaintext_len += to_u64(BLOCK);
        }
        output.write_all(body)?;
        plaintext_len += to_u64(body.len());
        let mut held = [0u8; BLOCK];
        held.copy_from_slice(last);
        pending = Some(held);
        if filled < buf.len() {
            break;
        }
    }

    let padding = match pending {
        None => Padding::Empty,
        Some(last) => match pkcs7_pad_len(&last) {
            Some(pad) => {
                let kept = unpadded(&last, pad);
                output.write_all(kept)?;
                plaintext_len += to_u64(kept.len());
                Padding::Valid { pad }
            }
            None => {
                output.write_all(&last)?;
                plaintext_len += to_u64(BLOCK);
                Padding::Invalid
            }
        },
    };
    output.flush()?;
    Ok(DecryptOutcome {
        plaintext_len,
        ciphertext_len,
        padding,
    })
}

/// Decrypts a whole buffer (e.g. Manifest.db) with the same padding rules as
/// [`decrypt_stream`].
pub fn decrypt_to_vec(key: &Key32, ciphertext: &[u8]) -> Result<(Vec<u8>, Padding), DecryptError> {
    if ciphertext.len() % BLOCK != 0 {
        return Err(DecryptError::NotBlockAligned {
            len: to_u64(ciphertext.len()),
        });
    }
    if ciphertext.is_empty() {
        return Ok((Vec::new(), Padding::Empty));
    }
    let mut data = ciphertext.to_vec();
    decrypt_in_place(&mut new_decryptor(key), &mut data);
    let mut last = [0u8; BLOCK];
    if let Some(tail) = data.get(data.len() - BLOCK..) {
        last.copy_from_slice(tail);
    }
    let padding = match pkcs7_pad_len(&last) {
        Some(pad) => {
            data.truncate(data.len() - usize::from(pad));
            Padding::Valid { pad }
        }
        None => Padding::Invalid,
    };
    Ok((data, padding))
}

/// The first plaintext block of a ciphertext from its first block alone (the IV is zero): a
/// file's magic, checked before the file is read whole.
pub fn first_block(key: &Key32, c: &[u8; BLOCK]) -> [u8; BLOCK] {
    let mut b = *c;
    let mut dec = CbcDec::new(key.as_bytes().into(), &ZERO_IV.into());
    decrypt_in_place(&mut dec, &mut b);
    b
}

/// The first plaintext block and the plaintext length of a whole ciphertext, from its first and
/// last two blocks only: enough to check a decrypted file's magic and size it before streaming
/// it anywhere. `None` when the ciphertext is not whole blocks or its padding is invalid.
pub fn head_and_len(key: &Key32, ciphertext: &[u8]) -> Option<([u8; BLOCK], usize)> {
    let n = ciphertext.len();
    if n == 0 || n % BLOCK != 0 {
        return None;
    }
    let block = |iv: &[u8; BLOCK], c: &[u8; BLOCK]| -> [u8; BLOCK] {
        let mut b = *c;
        let mut dec = CbcDec::new(key.as_bytes().into(), &(*iv).into());
        decrypt_in_place(&mut dec, &mut b);
        b
    };
    let head = first_block(key, ciphertext.first_chunk()?);
    let (rest, last) = ciphertext.split_last_chunk::<BLOCK>()?;
    // The IV of the last block is the block before it, or the zero IV for a one-block file.
    let iv = rest.last_chunk::<BLOCK>().unwrap_or(&ZERO_IV);
    let last = block(iv, last);
    let pad = pkcs7_pad_len(&last)?;
    Some((head, n - usize::from(pad)))
}

/// A `Read` adapter yielding the plaintext of an AES-256-CBC (zero IV) ciphertext.
///
/// A valid PKCS#7 pad is stripped. Unlike [`decrypt_stream`], an invalid pad is reported as
/// an `io::Error` of kind `InvalidData` ("invalid PKCS#7 padding") after all earlier blocks
/// have been delivered, since `Read` has no side channel to flag it; the last 16 bytes are
/// then withheld. Callers that must keep everything should use [`decrypt_stream`].
pub struct DecryptReader<R: Read> {
    input: R,
    dec: CbcDec,
    /// `[16-byte slot for the previously held block][chunk]`, so the held block and the new
    /// blocks form one contiguous run of ready plaintext.
    buf: Vec<u8>,
    ready_start: usize,
    ready_end: usize,
    pending: Option<[u8; BLOCK]>,
    ciphertext_len: u64,
    state: ReaderState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReaderState {
    Reading,
    Finished,
    BadPadding,
    NotAligned,
}

impl<R: Read> DecryptReader<R> {
    pub fn new(key: &Key32, input: R) -> DecryptReader<R> {
        DecryptReader {
            input,
            dec: new_decryptor(key),
            buf: vec![0u8; BLOCK + READER_CHUNK],
            ready_start: 0,
            ready_end: 0,
            pending: None,
            ciphertext_len: 0,
            state: ReaderState::Reading,
        }
    }

    /// Ciphertext bytes consumed so far.
    pub fn ciphertext_len(&self) -> u64 {
        self.ciphertext_len
    }

    pub fn into_inner(self) -> R {
        self.input
    }

    fn sticky_error(&self) -> Option<io::Error> {
        match self.state {
            ReaderState::BadPadding => Some(io::Error::new(
                io::ErrorKind::InvalidData,
                "invalid PKCS#7 padding in the last block",
            )),
            ReaderState::NotAligned => Some(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "ciphertext length {} is not a multiple of 16 bytes",
                    self.ciphertext_len
                ),
            )),
            ReaderState::Reading | ReaderState::Finished => None,
        }
    }

    /// Reads and decrypts the next chunk, making some plaintext ready or changing state.
    fn refill(&mut self) -> io::Result<()> {
        let filled = match self.buf.get_mut(BLOCK..) {
            Some(area) => fill(&mut self.input, area)?,
            None => 0,
        };
        self.ciphertext_len += to_u64(filled);
        if filled % BLOCK != 0 {
            self.state = ReaderState::NotAligned;
            return Ok(());
        }
        if filled == 0 {
            self.finish();
            return Ok(());
        }
        let end = BLOCK + filled;
        if let Some(chunk) = self.buf.get_mut(BLOCK..end) {
            decrypt_in_place(&mut self.dec, chunk);
        }
        self.ready_start = BLOCK;
        if let Some(prev) = self.pending.take() {
            if let Some(slot) = self.buf.get_mut(..BLOCK) {
                slot.copy_from_slice(&prev);
                self.ready_start = 0;
            }
        }
        self.ready_end = end - BLOCK;
        let mut held = [0u8; BLOCK];
        if let Some(last) = self.buf.get(end - BLOCK..end) {
            held.copy_from_slice(last);
        }
        self.pending = Some(held);
        if filled < READER_CHUNK {
            // Short fill means EOF was reached: resolve the padding now, after the ready data.
            // The final block is appended behind the ready run (the slot after it is free).
            self.finish_after_ready(end);
        }
        Ok(())
    }

    /// EOF with nothing ready: the held block (if any) is the final one.
    fn finish(&mut self) {
        self.ready_start = 0;
        self.ready_end = 0;
        self.finish_after_ready(0);
    }

    /// Resolves the held final block. `free` is where the ready run ends in `buf` plus the
    /// held block, i.e. the held block sits at `free - 16..free` when `free > 0`.
    fn finish_after_ready(&mut self, free: usize) {
        let Some(last) = self.pending.take() else {
            self.state = ReaderState::Finished;
            return;
        };
        match pkcs7_pad_len(&last) {
            Some(pad) => {
                let kept = unpadded(&last, pad);
                let keep = kept.len();
                if free == 0 {
                    if let Some(slot) = self.buf.get_mut(..keep) {
                        slot.copy_from_slice(kept);
                    }
                    self.ready_start = 0;
                    self.ready_end = keep;
                } else {
                    // The held block is already in place right after the ready run.
                    self.ready_end += keep;
                }
                self.state = ReaderState::Finished;
            }
            None => self.state = ReaderState::BadPadding,
        }
    }
}

impl<R: Read> Read for DecryptReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.ready_start < self.ready_end {
                let ready = self
                    .buf
                    .get(self.ready_start..self.ready_end)
                    .unwrap_or(&[]);
                let n = ready.len().min(out.len());
                if let (Some(dst), Some(src)) = (out.get_mut(..n), ready.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.ready_start += n;
                return Ok(n);
            }
            if let Some(e) = self.sticky_error() {
                return Err(e);
            }
            if self.state == ReaderState::Finished {
                return Ok(0);
            }
            self.refill()?;
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn head_and_len_from_three_blocks() {
        let k = key("0101010101010101010101010101010101010101010101010101010101010101");
        for n in [0usize, 1, 15, 16, 17, 31, 32, 100, 4096] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 7 + 3) as u8).collect();
            let c = encrypt_cbc_pkcs7(&k, &plain);
            let (head, len) = head_and_len(&k, &c).unwrap();
            assert_eq!(len, n);
            let want = decrypt_to_vec(&k, &c).unwrap().0;
            let mut first = [0u8; BLOCK];
            let m = n.min(BLOCK);
            first[..m].copy_from_slice(&want[..m]);
            if n < BLOCK {
                // The rest of the first block is padding.
                assert_eq!(&head[..m], &first[..m]);
            } else {
                assert_eq!(head, first);
            }
        }
        // Not whole blocks, or a last block that is not PKCS#7: no answer.
        assert!(head_and_len(&k, &[0u8; 15]).is_none());
        let mut c = encrypt_cbc_pkcs7(&k, b"sixteen bytes!!!");
        let last = c.len() - 1;
        c[last - 16] ^= 0x20; // flips the pad byte of the plaintext's last block
        assert!(head_and_len(&k, &c).is_none());
    }

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn key(s: &str) -> Key32 {
        Key32::from_hex(s).unwrap()
    }

    fn pyios_blob() -> Option<Vec<u8>> {
        crate::realdata::read_realdata("matan1008_pyiosbackup/tests/encrypted_sqlite3_db.bin")
    }

    /// Returns at most `step` bytes per call, to exercise chunk boundaries.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn pseudo_random(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn rfc3394_4_6_wrap_and_unwrap() {
        // RFC 3394 section 4.6: wrap 256 bits of key data with a 256-bit KEK.
        let kek = key("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F");
        let data = key("00112233445566778899AABBCCDDEEFF000102030405060708090A0B0C0D0E0F");
        let expected =
            h("28C9F404C4B810F4CBCCB35CFB87F8263F5786E2D80ED326CBC7F0E71A99F43BFB988B9B7A02DD21");
        assert_eq!(wrap_key(&kek, &data).to_vec(), expected);
        assert_eq!(unwrap_key(&kek, &expected).unwrap(), data);

        let mut corrupted = expected.clone();
        corrupted[20] ^= 1;
        assert!(matches!(
            unwrap_key(&kek, &corrupted),
            Err(CryptoError::UnwrapIntegrity)
        ));
        assert!(matches!(
            unwrap_key(&kek, &expected[..32]),
            Err(CryptoError::WrappedKeyLength(32))
        ));
        assert!(matches!(
            unwrap_key(&kek, &[]),
            Err(CryptoError::WrappedKeyLength(0))
        ));
    }

    #[test]
    fn pyiosbackup_manifest_key_and_blobs() {
        // FORMAT.md appendix A.4 (matan1008/pyiosbackup tests).
        let zero = Key32::from_bytes([0u8; 32]);
        let manifest_key = h("0200000097317494343807e690fd1e431413963dc0e3deb4907fb89fa36ce65126d0ea1301381fb3a2941e2f");
        let db_key = unwrap_key(&zero, &manifest_key[4..]).unwrap();
        assert_eq!(db_key, zero);

        let Some(blob) = pyios_blob() else { return };
        assert_eq!(blob.len(), 8192);
        let (plain, padding) = decrypt_to_vec(&db_key, &blob).unwrap();
        assert_eq!(padding, Padding::Invalid);
        assert_eq!(plain.len(), 8192);
        assert_eq!(&plain[..16], b"SQLite format 3\0");

        let mut out = Vec::new();
        let outcome = decrypt_stream(&db_key, &blob[..], &mut out).unwrap();
        assert_eq!(out, plain);
        assert_eq!(
            outcome,
            DecryptOutcome {
                plaintext_len: 8192,
                ciphertext_len: 8192,
                padding: Padding::Invalid
            }
        );

        let file = h("78b51ca5374c3ad575174288688cda49");
        let (text, padding) = decrypt_to_vec(&zero, &file).unwrap();
        assert_eq!(text, b"Test data");
        assert_eq!(padding, Padding::Valid { pad: 7 });
        let mut out = Vec::new();
        let outcome = decrypt_stream(&zero, &file[..], &mut out).unwrap();
        assert_eq!(out, b"Test data");
        assert_eq!(outcome.plaintext_len, 9);
        assert_eq!(outcome.padding, Padding::Valid { pad: 7 });
        let mut out = Vec::new();
        DecryptReader::new(&zero, &file[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"Test data");
        // Encrypting back gives the same blob: the builder matches iOS's format.
        assert_eq!(encrypt_cbc_pkcs7(&zero, b"Test data"), file);
    }

    #[test]
    fn stream_matches_vec_over_odd_chunking() {
        let k = key("0fa447b306577e8aeb2165a3d480c40fa70eaf99f83a74c5b334b687c488a2cd");
        let plain = pseudo_random(5 * 1024 * 1024 + 5, 1);
        let ct = encrypt_cbc_pkcs7(&k, &plain);
        let (expected, padding) = decrypt_to_vec(&k, &ct).unwrap();
        assert_eq!(padding, Padding::Valid { pad: 11 });
        assert_eq!(expected, plain);
        for step in [7usize, 16, 4093, STREAM_CHUNK + 1, usize::MAX] {
            let mut out = Vec::new();
            let outcome = decrypt_stream(&k, Trickle { data: &ct, step }, &mut out).unwrap();
            assert!(out == expected, "stream differs for step {step}");
            assert_eq!(outcome.plaintext_len, plain.len() as u64);
            assert_eq!(outcome.ciphertext_len, ct.len() as u64);
            assert_eq!(outcome.padding, Padding::Valid { pad: 11 });

            let mut out = Vec::new();
            DecryptReader::new(&k, Trickle { data: &ct, step })
                .read_to_end(&mut out)
                .unwrap();
            assert!(out == expected, "reader differs for step {step}");
        }
    }

    #[test]
    fn boundary_lengths_round_trip() {
        // Lengths around the chunk sizes catch off-by-one errors in the held-back block.
        let k = Key32::from_bytes([3u8; 32]);
        for len in [
            0usize,
            1,
            15,
            16,
            17,
            READER_CHUNK - 16,
            READER_CHUNK - 1,
            READER_CHUNK,
            READER_CHUNK + 16,
            STREAM_CHUNK - 16,
            STREAM_CHUNK - 17,
            STREAM_CHUNK,
            STREAM_CHUNK + 1,
        ] {
            let plain = pseudo_random(len, len as u32);
            let ct = encrypt_cbc_pkcs7(&k, &plain);
            assert_eq!(ct.len(), (len / 16 + 1) * 16);
            let mut out = Vec::new();
            let outcome = decrypt_stream(&k, &ct[..], &mut out).unwrap();
            assert!(out == plain, "stream len {len}");
            assert_eq!(
                outcome.padding,
                Padding::Valid {
                    pad: (16 - len % 16) as u8
                }
            );
            let mut out = Vec::new();
            DecryptReader::new(&k, &ct[..])
                .read_to_end(&mut out)
                .unwrap();
            assert!(out == plain, "reader len {len}");
            assert_eq!(decrypt_to_vec(&k, &ct).unwrap().0, plain);
        }
    }

    #[test]
    fn reader_serves_small_reads() {
        let k = Key32::from_bytes([4u8; 32]);
        let plain = pseudo_random(READER_CHUNK + 100, 3);
        let ct = encrypt_cbc_pkcs7(&k, &plain);
        let mut reader = DecryptReader::new(
            &k,
            Trickle {
                data: &ct,
                step: 999,
            },
        );
        let mut out = Vec::new();
        let mut small = [0u8; 5];
        loop {
            let n = reader.read(&mut small).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&small[..n]);
        }
        assert!(out == plain);
        assert_eq!(reader.ciphertext_len(), ct.len() as u64);
        // Finished stays finished.
        assert_eq!(reader.read(&mut small).unwrap(), 0);
    }

    #[test]
    fn invalid_padding_keeps_everything() {
        let k = Key32::from_bytes([9u8; 32]);
        // Block-aligned plaintext encrypted without a pad block; the last byte 0x05 is preceded
        // by bytes that are not 0x05, so the strict check must reject it even though the last
        // byte alone is in range.
        let mut plain = pseudo_random(STREAM_CHUNK + 64, 7);
        let n = plain.len();
        plain[n - 1] = 5;
        plain[n - 2] = 4;
        let mut ct = encrypt_cbc_pkcs7(&k, &plain);
        ct.truncate(n);

        let (v, padding) = decrypt_to_vec(&k, &ct).unwrap();
        assert_eq!(padding, Padding::Invalid);
        assert!(v == plain);

        let mut out = Vec::new();
        let outcome = decrypt_stream(
            &k,
            Trickle {
                data: &ct,
                step: 1000,
            },
            &mut out,
        )
        .unwrap();
        assert_eq!(outcome.padding, Padding::Invalid);
        assert_eq!(outcome.plaintext_len, n as u64);
        assert!(out == plain);

        let mut out = Vec::new();
        let err = DecryptReader::new(&k, &ct[..])
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("invalid PKCS#7 padding"));
        assert!(out[..] == plain[..n - 16]);

        // A last byte of 0 or > 16 is never a pad.
        for last in [0u8, 17, 0xff] {
            let mut block = [last; 16];
            block[15] = last;
            assert_eq!(pkcs7_pad_len(&block), None);
        }
        assert_eq!(pkcs7_pad_len(&[16u8; 16]), Some(16));
    }

    #[test]
    fn unaligned_and_empty_inputs() {
        let k = Key32::from_bytes([1u8; 32]);
        let ct = vec![0u8; 33];
        assert!(matches!(
            decrypt_to_vec(&k, &ct),
            Err(DecryptError::NotBlockAligned { len: 33 })
        ));
        let mut out = Vec::new();
        assert!(matches!(
            decrypt_stream(&k, Trickle { data: &ct, step: 5 }, &mut out),
            Err(DecryptError::NotBlockAligned { len: 33 })
        ));
        let err = DecryptReader::new(&k, &ct[..])
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("33"));

        assert_eq!(
            decrypt_to_vec(&k, &[]).unwrap(),
            (Vec::new(), Padding::Empty)
        );
        let mut out = Vec::new();
        let outcome = decrypt_stream(&k, &[][..], &mut out).unwrap();
        assert_eq!(
            outcome,
            DecryptOutcome {
                plaintext_len: 0,
                ciphertext_len: 0,
                padding: Padding::Empty
            }
        );
        let mut out = Vec::new();
        assert_eq!(
            DecryptReader::new(&k, &[][..])
                .read_to_end(&mut out)
                .unwrap(),
            0
        );
    }

    #[test]
    fn stream_propagates_io_errors() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk gone"))
            }
        }
        let k = Key32::from_bytes([1u8; 32]);
        let err = decrypt_stream(&k, Failing, Vec::new()).unwrap_err();
        assert!(matches!(err, DecryptError::Io(_)));
        assert!(err.to_string().contains("disk gone"));
    }

    /// Throughput check; run with `cargo test --release -- --ignored --nocapture throughput`.
    #[test]
    #[ignore]
    fn throughput() {
        let k = Key32::from_bytes([5u8; 32]);
        // Non-zero fill: a zeroed vec is lazily mapped and page faults would dominate.
        let ct = vec![0x5au8; 512 << 20];
        let start = std::time::Instant::now();
        let outcome = decrypt_stream(&k, &ct[..], io::sink()).unwrap();
        let secs = start.elapsed().as_secs_f64();
        let gib = outcome.ciphertext_len as f64 / (1u64 << 30) as f64;
        eprintln!("decrypt_stream: {:.2} GiB/s", gib / secs);
    }
}
