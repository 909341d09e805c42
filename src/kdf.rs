//! PBKDF2-HMAC-SHA256 and PBKDF2-HMAC-SHA1 (RFC 8018) for the backup keybag, with rounds that
//! cost two compression-function calls and nothing else.
//!
//! A round of PBKDF2-HMAC is `U = H(opad_key || H(ipad_key || U))`. Generic HMAC code clones a
//! hasher, buffers the 32-byte input, pads, finalises and serialises twice per round; at
//! 10,000,000 rounds that bookkeeping made the `pbkdf2` crate 1.37× the cost of the bare
//! compressions. Here the two key blocks are compressed once, and since both hashes of a round
//! see a message of exactly `64 + digest` bytes, one 64-byte block holds the round's input with
//! its padding already written: a round overwrites the first `digest` bytes and compresses it
//! from a copy of the keyed state, twice.
//!
//! On an x86-64 CPU with SHA-NI the SHA-256 rounds run on the SHA-NI instructions directly
//! (`mod shani`), keeping the state in vector registers from one hash to the next: 0.90× the
//! time of the bare `sha2::block_api::compress256` calls they replace (BENCHMARKS.md 3d).
//! Elsewhere, and for SHA-1, the compressions are `sha2::block_api::compress256` and
//! `sha1::block_api::compress`, which pick SHA-NI (or the ARMv8 extensions) at run time and fall
//! back to portable code, so this stays correct on any CPU: 1.07–1.09× the bare compressions.
//! Every state and buffer that depends on the password is wiped before returning (the SHA-NI
//! path's vector registers hold the pad states only while it runs).

use zeroize::Zeroize;

const BLOCK: usize = 64;

/// A Merkle–Damgård hash with 64-byte blocks, big-endian words and a 64-bit big-endian bit
/// length: SHA-256 (`W` = 8 words) and SHA-1 (`W` = 5).
trait Md<const W: usize>: Sized {
    const IV: [u32; W];
    fn compress(state: &mut [u32; W], block: &[u8; BLOCK]);
    fn iterate(
        ipad: &[u32; W],
        opad: &[u32; W],
        block: &mut [u8; BLOCK],
        acc: &mut [u8; 32],
        rounds: u32,
    ) {
        iterate::<Self, W>(ipad, opad, block, acc, rounds);
    }
}

struct Sha256;
struct Sha1;

impl Md<8> for Sha256 {
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    #[inline(always)]
    fn compress(state: &mut [u32; 8], block: &[u8; BLOCK]) {
        sha2::block_api::compress256(state, core::slice::from_ref(block));
    }
    #[cfg(target_arch = "x86_64")]
    fn iterate(
        ipad: &[u32; 8],
        opad: &[u32; 8],
        block: &mut [u8; BLOCK],
        acc: &mut [u8; 32],
        rounds: u32,
    ) {
        iterate_sha256_x86(ipad, opad, block, acc, rounds);
    }
}

impl Md<5> for Sha1 {
    const IV: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    #[inline(always)]
    fn compress(state: &mut [u32; 5], block: &[u8; BLOCK]) {
        sha1::block_api::compress(state, core::slice::from_ref(block));
    }
}

/// PBKDF2 with HMAC-SHA256, filling `out` (any length). Same result as
/// `pbkdf2::pbkdf2_hmac::<Sha256>`, including its reading of `rounds` = 0 as 1.
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    pbkdf2::<Sha256, 8>(password, salt, rounds, out);
}

/// PBKDF2 with HMAC-SHA1, filling `out` (any length). Same result as
/// `pbkdf2::pbkdf2_hmac::<Sha1>`, including its reading of `rounds` = 0 as 1.
pub fn pbkdf2_hmac_sha1(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    pbkdf2::<Sha1, 5>(password, salt, rounds, out);
}

/// Hashes `parts` (concatenated) starting from `state`, which has already absorbed `absorbed`
/// bytes (a multiple of 64), and returns the final state. Used only outside the round loop:
/// for a long HMAC key and for each output block's first round over salt || INT(i).
fn finish<H: Md<W>, const W: usize>(
    mut state: [u32; W],
    absorbed: u64,
    parts: &[&[u8]],
) -> [u32; W] {
    let mut buf = [0u8; BLOCK];
    let mut used = 0;
    let mut total = absorbed;
    for part in parts {
        for &b in *part {
            buf[used] = b;
            used += 1;
            if used == BLOCK {
                H::compress(&mut state, &buf);
                used = 0;
            }
        }
        total += part.len() as u64;
    }
    buf[used] = 0x80;
    buf[used + 1..].fill(0);
    if used + 1 > BLOCK - 8 {
        H::compress(&mut state, &buf);
        buf.fill(0);
    }
    buf[BLOCK - 8..].copy_from_slice(&(total * 8).to_be_bytes());
    H::compress(&mut state, &buf);
    buf.zeroize();
    state
}

#[inline(always)]
fn put_words<const W: usize>(dst: &mut [u8], words: &[u32; W]) {
    for (d, w) in dst.chunks_exact_mut(4).zip(words) {
        d.copy_from_slice(&w.to_be_bytes());
    }
}

fn pbkdf2<H: Md<W>, const W: usize>(password: &[u8], salt: &[u8], rounds: u32, out: &mut [u8]) {
    let digest = 4 * W;

    // HMAC key: hashed when longer than a block, then zero-padded to one block.
    let mut key = [0u8; BLOCK];
    if password.len() > BLOCK {
        let mut h = finish::<H, W>(H::IV, 0, &[password]);
        put_words(&mut key[..digest], &h);
        h.zeroize();
    } else {
        key[..password.len()].copy_from_slice(password);
    }
    let mut ipad = H::IV;
    let mut opad = H::IV;
    for b in key.iter_mut() {
        *b ^= 0x36;
    }
    H::compress(&mut ipad, &key);
    for b in key.iter_mut() {
        *b ^= 0x36 ^ 0x5c;
    }
    H::compress(&mut opad, &key);
    key.zeroize();

    // Each hash inside the round loop reads `digest` bytes after a 64-byte key block, so the
    // padding and length are the same for the inner and outer hash of every round.
    let mut block = [0u8; BLOCK];
    block[digest] = 0x80;
    block[BLOCK - 8..].copy_from_slice(&(((BLOCK + digest) * 8) as u64).to_be_bytes());

    let mut acc = [0u8; 4 * 8];
    let mut state = [0u32; W];
    for (i, chunk) in out.chunks_mut(digest).enumerate() {
        // RFC 8018 numbers the blocks from 1 as a 32-bit big-endian integer; like the `pbkdf2`
        // crate, a `dklen` past 2^32 - 1 blocks wraps (never reached by 32-byte keybag keys).
        let index = (i as u32).wrapping_add(1).to_be_bytes();
        state = finish::<H, W>(ipad, BLOCK as u64, &[salt, &index]);
        put_words(&mut block[..digest], &state);
        state = opad;
        H::compress(&mut state, &block);
        put_words(&mut block[..digest], &state);
        acc[..digest].copy_from_slice(&block[..digest]);
        H::iterate(&ipad, &opad, &mut block, &mut acc, rounds.saturating_sub(1));
        chunk.copy_from_slice(&acc[..chunk.len()]);
    }
    ipad.zeroize();
    opad.zeroize();
    block.zeroize();
    acc.zeroize();
    state.zeroize();
}

/// The rounds after the first: `block` holds the previous U (with its padding) and `acc` the
/// XOR of the U so far, in bytes; both are updated. Portable version.
#[inline(always)]
fn iterate<H: Md<W>, const W: usize>(
    ipad: &[u32; W],
    opad: &[u32; W],
    block: &mut [u8; BLOCK],
    acc: &mut [u8; 32],
    rounds: u32,
) {
    let digest = 4 * W;
    let mut state = [0u32; W];
    for _ in 0..rounds {
        state = *ipad;
        H::compress(&mut state, block);
        put_words(&mut block[..digest], &state);
        state = *opad;
        H::compress(&mut state, block);
        put_words(&mut block[..digest], &state);
        for (a, b) in acc[..digest].iter_mut().zip(&block[..digest]) {
            *a ^= b;
        }
    }
    state.zeroize();
}

/// The SHA-256 rounds on x86-64, where the 32 bytes moved between the state and the block
/// each round go as two 16-byte vectors. Left to itself the compiler byte-swaps and XORs them
/// a word at a time, and the compression's 16-byte loads of the block then wait for four
/// 4-byte stores to retire (a failed store-to-load forward): that cost 15% over the bare
/// compressions. The byte swap sits on the round's critical path (each block is the previous
/// hash), so SSSE3's one-instruction `pshufb` is used where the CPU has it (every CPU with
/// SHA-NI does), and SSE2, which every x86-64 has, otherwise.
#[cfg(target_arch = "x86_64")]
fn iterate_sha256_x86(
    ipad: &[u32; 8],
    opad: &[u32; 8],
    block: &mut [u8; BLOCK],
    acc: &mut [u8; 32],
    rounds: u32,
) {
    if shani::detected() {
        // SAFETY: SHA-NI, SSSE3 and SSE4.1 are available on this CPU.
        #[allow(unsafe_code)]
        unsafe {
            shani::iterate(ipad, opad, block, acc, rounds)
        }
    } else if std::arch::is_x86_feature_detected!("ssse3") {
        // SAFETY: SSSE3 is available on this CPU.
        #[allow(unsafe_code)]
        unsafe {
            x86::iterate_ssse3(ipad, opad, block, acc, rounds)
        }
    } else {
        x86::iterate_sse2(ipad, opad, block, acc, rounds)
    }
}

/// For CPUs without SHA-NI (and the reference the SHA-NI path replaced): 16-byte loads and stores and a
/// `pshufb` byte swap between the two compressions of a round took the derivation from 1.19× to
/// 1.07× the bare compressions (BENCHMARKS.md 3d). Every pointer is to in-bounds bytes of a
/// fixed-size array, and the tests hold it equal to the portable loop.
#[cfg(target_arch = "x86_64")]
#[allow(unused_unsafe)] // the SIMD value intrinsics are safe to call from Rust 1.87 on
#[allow(unsafe_code)]
mod x86 {
    use core::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm_or_si128, _mm_set_epi8, _mm_shuffle_epi8,
        _mm_shufflehi_epi16, _mm_shufflelo_epi16, _mm_slli_epi16, _mm_srli_epi16, _mm_storeu_si128,
        _mm_xor_si128,
    };
    use zeroize::Zeroize;

    use super::{Md, Sha256, BLOCK};

    /// The rounds, generic over the byte swap of four state words into big-endian bytes.
    #[inline(always)]
    fn rounds_with(
        ipad: &[u32; 8],
        opad: &[u32; 8],
        block: &mut [u8; BLOCK],
        acc: &mut [u8; 32],
        rounds: u32,
        be: impl Fn(__m128i) -> __m128i,
    ) {
        let load = |words: &[u32; 8], half: usize| {
            // SAFETY: `half` is 0 or 1, so the 16 bytes read are inside `words`; unaligned load.
            unsafe { _mm_loadu_si128(words.as_ptr().add(4 * half).cast()) }
        };
        let mut state = [0u32; 8];
        // SAFETY: every pointer below is to 16 in-bounds bytes of `block` or `acc`; the loads
        // and stores are unaligned.
        unsafe {
            let out = block.as_mut_ptr().cast::<__m128i>();
            let mut a0 = _mm_loadu_si128(acc.as_ptr().cast());
            let mut a1 = _mm_loadu_si128(acc.as_ptr().add(16).cast());
            for _ in 0..rounds {
                state = *ipad;
                Sha256::compress(&mut state, block);
                _mm_storeu_si128(out, be(load(&state, 0)));
                _mm_storeu_si128(out.add(1), be(load(&state, 1)));
                state = *opad;
                Sha256::compress(&mut state, block);
                let (u0, u1) = (be(load(&state, 0)), be(load(&state, 1)));
                _mm_storeu_si128(out, u0);
                _mm_storeu_si128(out.add(1), u1);
                a0 = _mm_xor_si128(a0, u0);
                a1 = _mm_xor_si128(a1, u1);
            }
            _mm_storeu_si128(acc.as_mut_ptr().cast(), a0);
            _mm_storeu_si128(acc.as_mut_ptr().add(16).cast(), a1);
        }
        state.zeroize();
    }

    pub(super) fn iterate_sse2(
        ipad: &[u32; 8],
        opad: &[u32; 8],
        block: &mut [u8; BLOCK],
        acc: &mut [u8; 32],
        rounds: u32,
    ) {
        rounds_with(ipad, opad, block, acc, rounds, |x| {
            // SAFETY: SSE2 is part of x86-64.
            unsafe {
                let x = _mm_or_si128(_mm_slli_epi16::<8>(x), _mm_srli_epi16::<8>(x));
                _mm_shufflehi_epi16::<0b10_11_00_01>(_mm_shufflelo_epi16::<0b10_11_00_01>(x))
            }
        });
    }

    /// # Safety
    /// The CPU must have SSSE3.
    #[target_feature(enable = "ssse3")]
    pub(super) unsafe fn iterate_ssse3(
        ipad: &[u32; 8],
        opad: &[u32; 8],
        block: &mut [u8; BLOCK],
        acc: &mut [u8; 32],
        rounds: u32,
    ) {
        // SAFETY: the caller guarantees SSSE3.
        let mask = unsafe { _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3) };
        rounds_with(ipad, opad, block, acc, rounds, |x| {
            // SAFETY: the caller guarantees SSSE3 (this closure is inlined into this function).
            unsafe { _mm_shuffle_epi8(x, mask) }
        });
    }
}

/// The SHA-256 rounds with the SHA-NI instructions written here rather than called through
/// `sha2::block_api::compress256`, so that the state never leaves the vector registers.
///
/// With `sha2` each of a round's two compressions loads its state from memory and converts it
/// to the ABEF/CDGH lane order the instructions work in, converts it back and stores it at
/// the end, and the next compression byte-swaps that hash back in as its message: every one of
/// those steps is on the critical path, because each compression's message is the previous
/// hash. That chain cost 1.07–1.09× the bare `compress256` calls (BENCHMARKS.md 3d). Here the
/// keyed pad states are converted once; a hash becomes the next message with four lane
/// shuffles and no byte swap (its words are already the message's big-endian words); the
/// padding words of both hashes are constants. What is left per compression is the 32
/// `sha256rnds2` instructions of the standard and the feed-forward addition.
///
/// Taken only where the CPU reports SHA-NI, SSSE3 and SSE4.1 (checked at run time); any other
/// CPU keeps the `sha2` path above, and the tests hold both equal to the portable loop.
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[allow(unused_unsafe)] // the SIMD value intrinsics are safe to call from Rust 1.87 on
mod shani {
    use core::arch::x86_64::{
        __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi32,
        _mm_set_epi8, _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32,
        _mm_shuffle_epi32, _mm_shuffle_epi8, _mm_storeu_si128, _mm_xor_si128,
    };

    use super::BLOCK;

    /// FIPS 180-4 section 4.2.2.
    static K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    pub(super) fn detected() -> bool {
        std::arch::is_x86_feature_detected!("sha")
            && std::arch::is_x86_feature_detected!("ssse3")
            && std::arch::is_x86_feature_detected!("sse4.1")
    }

    /// A state as the instructions hold it: lanes (high to low) A B E F and C D G H.
    #[derive(Clone, Copy)]
    struct State {
        abef: __m128i,
        cdgh: __m128i,
    }

    /// Words a..h in their natural order, four to a vector, lowest lane first.
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    unsafe fn to_lanes(dcba: __m128i, hgfe: __m128i) -> State {
        unsafe {
            let cdab = _mm_shuffle_epi32::<0xB1>(dcba);
            let efgh = _mm_shuffle_epi32::<0x1B>(hgfe);
            State {
                abef: _mm_alignr_epi8::<8>(cdab, efgh),
                cdgh: _mm_blend_epi16::<0xF0>(efgh, cdab),
            }
        }
    }

    /// The inverse of `to_lanes`: the hash's words a..h, which are also the next message's
    /// first eight words.
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    unsafe fn from_lanes(s: State) -> (__m128i, __m128i) {
        unsafe {
            let feba = _mm_shuffle_epi32::<0x1B>(s.abef);
            let dchg = _mm_shuffle_epi32::<0xB1>(s.cdgh);
            (
                _mm_blend_epi16::<0xF0>(feba, dchg),
                _mm_alignr_epi8::<8>(dchg, feba),
            )
        }
    }

    /// One compression of the message words `w` (four per vector, lowest lane first) from
    /// `start`, with the feed-forward addition.
    #[inline]
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    unsafe fn compress(start: State, w: [__m128i; 4]) -> State {
        unsafe {
            let State { mut abef, mut cdgh } = start;
            let mut w = w;
            for i in 0..16 {
                if i >= 4 {
                    // W[t] from W[t-16..t-1]: σ0 terms (msg1), W[t-7] (alignr), σ1 (msg2).
                    let t = _mm_add_epi32(
                        _mm_sha256msg1_epu32(w[0], w[1]),
                        _mm_alignr_epi8::<4>(w[3], w[2]),
                    );
                    let next = _mm_sha256msg2_epu32(t, w[3]);
                    w = [w[1], w[2], w[3], next];
                }
                let current = if i >= 4 { w[3] } else { w[i] };
                let k = _mm_loadu_si128(K.as_ptr().add(4 * i).cast());
                let wk = _mm_add_epi32(current, k);
                cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
                abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32::<0x0E>(wk));
            }
            State {
                abef: _mm_add_epi32(abef, start.abef),
                cdgh: _mm_add_epi32(cdgh, start.cdgh),
            }
        }
    }

    /// Same contract as `super::iterate`: `block` holds the previous U with its padding and
    /// `acc` the XOR of the U so far, both as bytes, and both are updated.
    ///
    /// # Safety
    /// The CPU must have SHA-NI, SSSE3 and SSE4.1 (`detected()`).
    #[target_feature(enable = "sha,ssse3,sse4.1")]
    pub(super) unsafe fn iterate(
        ipad: &[u32; 8],
        opad: &[u32; 8],
        block: &mut [u8; BLOCK],
        acc: &mut [u8; 32],
        rounds: u32,
    ) {
        // SAFETY: every pointer is to 16 in-bounds bytes of `ipad`, `opad`, `block` or `acc`
        // (unaligned loads and stores); the caller guarantees the CPU features.
        unsafe {
            let swap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3);
            let words =
                |w: &[u32; 8], half: usize| _mm_loadu_si128(w.as_ptr().add(4 * half).cast());
            let bytes = |b: *const u8| _mm_shuffle_epi8(_mm_loadu_si128(b.cast()), swap);
            let inner = to_lanes(words(ipad, 0), words(ipad, 1));
            let outer = to_lanes(words(opad, 0), words(opad, 1));
            // The message of both hashes of a round is 32 bytes after the 64-byte key block:
            // 0x80, zeros, and the length, 96 × 8 bits, in words 8–15.
            let pad0 = _mm_set_epi32(0, 0, 0, 0x8000_0000u32 as i32);
            let pad1 = _mm_set_epi32(96 * 8, 0, 0, 0);
            let mut u0 = bytes(block.as_ptr());
            let mut u1 = bytes(block.as_ptr().add(16));
            let mut a0 = bytes(acc.as_ptr());
            let mut a1 = bytes(acc.as_ptr().add(16));
            for _ in 0..rounds {
                let (h0, h1) = from_lanes(compress(inner, [u0, u1, pad0, pad1]));
                (u0, u1) = from_lanes(compress(outer, [h0, h1, pad0, pad1]));
                a0 = _mm_xor_si128(a0, u0);
                a1 = _mm_xor_si128(a1, u1);
            }
            _mm_storeu_si128(block.as_mut_ptr().cast(), _mm_shuffle_epi8(u0, swap));
            _mm_storeu_si128(
                block.as_mut_ptr().add(16).cast(),
                _mm_shuffle_epi8(u1, swap),
            );
            _mm_storeu_si128(acc.as_mut_ptr().cast(), _mm_shuffle_epi8(a0, swap));
            _mm_storeu_si128(acc.as_mut_ptr().add(16).cast(), _mm_shuffle_epi8(a1, swap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        hex::encode(b)
    }

    fn ours256(p: &[u8], s: &[u8], c: u32, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        pbkdf2_hmac_sha256(p, s, c, &mut out);
        out
    }

    fn ours1(p: &[u8], s: &[u8], c: u32, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        pbkdf2_hmac_sha1(p, s, c, &mut out);
        out
    }

    fn crate256(p: &[u8], s: &[u8], c: u32, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(p, s, c, &mut out);
        out
    }

    fn crate1(p: &[u8], s: &[u8], c: u32, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        pbkdf2::pbkdf2_hmac::<sha1::Sha1>(p, s, c, &mut out);
        out
    }

    /// RFC 6070 (PBKDF2-HMAC-SHA1); the 16,777,216-round vector is left out as too slow for
    /// an unoptimised test build.
    #[test]
    fn rfc6070_sha1() {
        type Case = (&'static [u8], &'static [u8], u32, usize, &'static str);
        let cases: [Case; 5] = [
            (
                b"password",
                b"salt",
                1,
                20,
                "0c60c80f961f0e71f3a9b524af6012062fe037a6",
            ),
            (
                b"password",
                b"salt",
                2,
                20,
                "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957",
            ),
            (
                b"password",
                b"salt",
                4096,
                20,
                "4b007901b765489abead49d926f721d065a429c1",
            ),
            (
                b"passwordPASSWORDpassword",
                b"saltSALTsaltSALTsaltSALTsaltSALTsalt",
                4096,
                25,
                "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
            ),
            (
                b"pass\0word",
                b"sa\0lt",
                4096,
                16,
                "56fa6aa75548099dcc37d7f03425e0c3",
            ),
        ];
        for (p, s, c, n, want) in cases {
            assert_eq!(hex(&ours1(p, s, c, n)), want, "c={c} n={n}");
        }
    }

    /// RFC 7914 section 11 (PBKDF2-HMAC-SHA256, 64-byte output: two blocks).
    #[test]
    fn rfc7914_sha256() {
        assert_eq!(
            hex(&ours256(b"passwd", b"salt", 1, 64)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc\
             49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"
        );
        assert_eq!(
            hex(&ours256(b"Password", b"NaCl", 80000, 64)),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56\
             a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"
        );
    }

    /// A seeded run over the lengths where padding and block boundaries change: passwords
    /// around one block (hashed when longer), salts around the 55/56-byte padding edge, outputs
    /// of zero to several blocks, and 0–40 rounds.
    #[test]
    fn equals_the_pbkdf2_crate_on_generated_inputs() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            // splitmix64
            seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = seed;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let lens = [
            0, 1, 19, 20, 31, 32, 33, 51, 52, 55, 56, 59, 63, 64, 65, 119, 120, 128, 200,
        ];
        for case in 0..600 {
            let mut bytes = |n: usize| (0..n).map(|_| next() as u8).collect::<Vec<u8>>();
            let p = bytes(lens[case % lens.len()]);
            let s = bytes(lens[(case / lens.len() + case) % lens.len()]);
            let n = (next() % 100) as usize;
            let c = (next() % 41) as u32;
            assert_eq!(
                ours256(&p, &s, c, n),
                crate256(&p, &s, c, n),
                "sha256 case {case}"
            );
            assert_eq!(
                ours1(&p, &s, c, n),
                crate1(&p, &s, c, n),
                "sha1 case {case}"
            );
        }
    }

    #[test]
    fn empty_output_and_partial_last_block() {
        assert!(ours256(b"p", b"s", 3, 0).is_empty());
        let full = ours1(b"p", b"s", 3, 40);
        assert_eq!(ours1(b"p", b"s", 3, 33), full[..33]);
        assert_eq!(full, crate1(b"p", b"s", 3, 40));
    }

    /// The SSE2 fallback, which this machine (with SSSE3) never takes, against the portable
    /// loop.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn sse2_rounds_equal_the_portable_ones() {
        let ipad: [u32; 8] = core::array::from_fn(|i| 0x0101_0101 * i as u32 + 7);
        let opad: [u32; 8] = core::array::from_fn(|i| 0x1234_5678 ^ i as u32);
        let mut block = [0u8; BLOCK];
        block[..32].copy_from_slice(&[0xa5; 32]);
        block[32] = 0x80;
        block[62] = 3;
        let (mut b1, mut b2) = (block, block);
        let (mut a1, mut a2) = ([9u8; 32], [9u8; 32]);
        iterate::<Sha256, 8>(&ipad, &opad, &mut b1, &mut a1, 37);
        x86::iterate_sse2(&ipad, &opad, &mut b2, &mut a2, 37);
        assert_eq!((b1, a1), (b2, a2));
    }

    /// The SHA-NI rounds against the portable loop, from 0 to 1,000 rounds. The machines this
    /// project is built and checked on have SHA-NI; under CI a CPU without it fails the test
    /// rather than skipping the path.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn shani_rounds_equal_the_portable_ones() {
        if !shani::detected() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI: this CPU has no SHA-NI, so the SHA-NI rounds are not checked"
            );
            return;
        }
        for (case, rounds) in [0u32, 1, 2, 3, 17, 1000].into_iter().enumerate() {
            let c = case as u32;
            let ipad: [u32; 8] =
                core::array::from_fn(|i| 0x9E37_79B9u32.wrapping_mul(i as u32 + c));
            let opad: [u32; 8] = core::array::from_fn(|i| 0x85EB_CA6Bu32.rotate_left(i as u32 + c));
            let mut block = [0u8; BLOCK];
            for (i, b) in block[..32].iter_mut().enumerate() {
                *b = (i as u8).wrapping_mul(37).wrapping_add(c as u8);
            }
            block[32] = 0x80;
            block[62] = 3;
            let (mut b1, mut b2) = (block, block);
            let (mut a1, mut a2) = ([c as u8; 32], [c as u8; 32]);
            iterate::<Sha256, 8>(&ipad, &opad, &mut b1, &mut a1, rounds);
            // SAFETY: detected above.
            #[allow(unsafe_code)]
            unsafe {
                shani::iterate(&ipad, &opad, &mut b2, &mut a2, rounds)
            };
            assert_eq!((b1, a1), (b2, a2), "{rounds} rounds");
        }
    }

    /// A real keybag from `../shared/realdata/openwall_john-samples/iTunes_Backup/`, or `None`
    /// (a failure under CI) when the samples are not beside the clone.
    fn keybag(name: &str) -> Option<crate::keybag::Keybag> {
        let path =
            crate::realdata::realdata(&format!("openwall_john-samples/iTunes_Backup/{name}"))?;
        let dict = plist::Value::from_file(path)
            .unwrap()
            .into_dictionary()
            .unwrap();
        let bytes = dict.get("BackupKeyBag").unwrap().as_data().unwrap();
        Some(crate::keybag::Keybag::parse(bytes).unwrap())
    }

    /// The real iOS 9.3 and 9.3.5 keybags (PBKDF2-SHA1 × 10,000 only; from
    /// `../shared/realdata/openwall_john-samples/iTunes_Backup/`).
    #[test]
    fn real_sha1_only_keybags_equal_the_crate() {
        for (name, pw) in [
            ("Manifest-9-123456.plist", "123456"),
            ("Manifest-9-test123.plist", "test123"),
        ] {
            let Some(kb) = keybag(name) else { return };
            assert!(!kb.uses_double_kdf());
            let want = crate1(pw.as_bytes(), &kb.salt, kb.iterations, 32);
            assert_eq!(
                ours1(pw.as_bytes(), &kb.salt, kb.iterations, 32),
                want,
                "{name}"
            );
            assert_eq!(
                kb.derive_key(pw.as_bytes()).as_bytes()[..],
                want[..],
                "{name}"
            );
        }
    }

    /// The real iOS 10.2 keybag: its SHA-1 stage (over a stand-in first-stage key), plus a
    /// first stage cut to 10,000 rounds, against the crate. The full 10,000,000 rounds are the
    /// ignored test below.
    #[test]
    fn real_ios10_keybag_stages_equal_the_crate() {
        let Some(kb) = keybag("Manifest-10-test123.plist") else {
            return;
        };
        let dpsl = kb.dp_salt.clone().unwrap();
        let k1 = ours256(b"test123", &dpsl, 10_000, 32);
        assert_eq!(k1, crate256(b"test123", &dpsl, 10_000, 32));
        assert_eq!(
            ours1(&k1, &kb.salt, kb.iterations, 32),
            crate1(&k1, &kb.salt, kb.iterations, 32)
        );
    }

    /// The iOS 10.2 keybag with its real counts (10,000,000 × SHA-256, 10,000 × SHA-1) against
    /// the crate and the key John the Ripper's sample is known to give. Several seconds
    /// unoptimised: `cargo test --release --lib kdf -- --ignored`.
    #[test]
    #[ignore]
    fn real_ios10_keybag_full_counts_equal_the_crate() {
        let Some(kb) = keybag("Manifest-10-test123.plist") else {
            return;
        };
        let dpsl = kb.dp_salt.clone().unwrap();
        let dpic = kb.dp_iterations.unwrap();
        let k1 = ours256(b"test123", &dpsl, dpic, 32);
        assert_eq!(k1, crate256(b"test123", &dpsl, dpic, 32));
        let key = ours1(&k1, &kb.salt, kb.iterations, 32);
        assert_eq!(key, crate1(&k1, &kb.salt, kb.iterations, 32));
        assert_eq!(kb.derive_key(b"test123").as_bytes()[..], key[..]);
    }
}
