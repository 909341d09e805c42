//! The CABAC arithmetic decoding engine (clause 9.3.4.3).
//!
//! `ivlOffset` is kept scaled by `1 << SCALE` in a 64-bit `value`, with the
//! next not yet consumed stream bits buffered beneath it, followed by a single
//! marker bit (the lowest set bit of `value`) and zeros. Every comparison the
//! specification makes on `ivlOffset` is made on `value` against
//! `ivlCurrRange << SCALE`, which is the same comparison because everything
//! below bit `SCALE` is below the scaled range's resolution; renormalising is
//! one shift of both. Shifting moves the marker up; once it has climbed past
//! bit `REFILL_BITS`, at most every few bins, four stream bytes are inserted
//! beneath the buffered bits and the marker moved below them, so the count of
//! buffered bits needs no variable of its own (it is how far below `SCALE`
//! the marker sits), as in FFmpeg's CABAC reader.

use super::ctx::{INIT_VALUES, NUM_CTX};
use super::tables::{NEXT_STATE, RANGE_LPS};
use crate::hevc::error::{Error, Result};

/// Number of zero bytes the engine may synthesise past the end of a substream.
///
/// The nine-bit prefetch of `initialization` plus renormalisation legitimately
/// reads a little past the last meaningful byte of a slice segment.
const OVERREAD_SLACK: usize = 16;

/// Position of `ivlOffset`'s least significant bit in `Engine::value`.
const SCALE: u32 = 47;

/// A refill is due once the marker bit is at or above this position, i.e.
/// when the low `REFILL_BITS` bits of `value` are all zero. A refill then
/// has room for 32 bits from the marker's position down, and leaves the
/// marker at most at bit 7, so at least `SCALE - REFILL_BITS = 15` bits are
/// buffered whenever no refill is due: enough for any one decision (7 bits
/// at most) and for `BYPASS_RUN` bypass bins in a row.
const REFILL_BITS: u32 = 32;
const REFILL_MASK: u64 = (1 << REFILL_BITS) - 1;

/// Bypass bins decoded back to back before the buffer is looked at again.
const BYPASS_RUN: u32 = 15;

/// The arithmetic decoder proper: `ivlCurrRange`, `ivlOffset` and its input.
///
/// It is `Copy` so that a hot parser can hold it in a local (in registers)
/// across many bins and store it back once.
#[derive(Clone, Copy)]
pub struct Engine<'a> {
    data: &'a [u8],
    /// Index of the next byte the refill will fetch.
    next: usize,
    /// `ivlCurrRange`, 256..=510 between bins.
    range: u32,
    /// `ivlOffset << SCALE`, the buffered bits beneath it, then the marker.
    value: u64,
}

/// Arithmetic decoder plus the flat array of context variables.
///
/// Context variables are packed as `pStateIdx << 1 | valMps`.
#[derive(Clone)]
pub struct Cabac<'a> {
    /// The arithmetic decoder.
    pub eng: Engine<'a>,
    /// Bit cursor for raw (PCM) reads, counted from the first bit of `data`.
    pos: usize,
    /// `pStateIdx << 1 | valMps` for every context variable.
    pub ctx: [u8; NUM_CTX],
}

/// Inserts four more stream bytes beneath the buffered bits of `value`.
///
/// Out of line and by value: it runs once per few bins, and an engine held in
/// a caller's locals must not have its address taken for it.
#[cold]
#[inline(never)]
fn refill(value: u64, data: &[u8], next: usize) -> (u64, usize) {
    let w = match data.get(next..next + 4) {
        Some(b) => u32::from_be_bytes([b[0], b[1], b[2], b[3]]),
        None => {
            // Past the end the engine reads zeros; `check_overread` bounds that.
            let b = |i: usize| data.get(next + i).copied().unwrap_or(0);
            u32::from_be_bytes([b(0), b(1), b(2), b(3)])
        }
    };
    let t = value.trailing_zeros();
    debug_assert!(t >= REFILL_BITS && t <= SCALE + 8);
    // The marker sits where the next stream bit belongs: the 32 bits land at
    // `t ..= t - 31` and the new marker at `t - 32`.
    let chunk = (u64::from(w) << 1) | 1;
    (value - (1u64 << t) + (chunk << (t - REFILL_BITS)), next + 4)
}

/// Derives every context variable from `SliceQpY` (clause 9.3.2.2).
///
/// Each entry is packed as `pStateIdx << 1 | valMps`.
pub fn initial_contexts(qp: i32) -> [u8; NUM_CTX] {
    let q = qp.clamp(0, 51);
    let mut out = [0u8; NUM_CTX];
    for (o, &init) in out.iter_mut().zip(INIT_VALUES.iter()) {
        let slope = (init >> 4) as i32 * 5 - 45;
        let offset = ((init & 15) as i32) * 8 - 16;
        let pre = (((slope * q) >> 4) + offset).clamp(1, 126);
        let mps = u8::from(pre > 63);
        let state = if mps == 1 { pre - 64 } else { 63 - pre };
        *o = ((state as u8) << 1) | mps;
    }
    out
}

impl<'a> Engine<'a> {
    /// `DecodeDecision`: decodes one bin with the context variable `s`.
    ///
    /// Branchless, as FFmpeg's: `sig_coeff_flag` and friends are too close to
    /// equiprobable for an MPS/LPS branch to predict well.
    #[inline(always)]
    pub fn decision(&mut self, s: &mut u8) -> u32 {
        let st = usize::from(*s);
        // The index stays below 512 by construction (bits 7..8 from the
        // range, 0..7 from the state), so it needs no bounds check.
        let lps = u32::from(RANGE_LPS[((self.range as usize & 0xc0) << 1) | st]);
        let rmps = self.range - lps;
        let scaled = u64::from(rmps) << SCALE;
        let is_lps = self.value >= scaled;
        self.value -= scaled & u64::from(is_lps).wrapping_neg();
        let range = if is_lps { lps } else { rmps };
        *s = NEXT_STATE[(st & 127) | (usize::from(is_lps) << 7)];
        // `range` is at least 2, so `| 1` changes no leading zero and lets
        // the count skip its zero check; nine-bit ranges have 23 of them.
        let shift = (range | 1).leading_zeros() - 23;
        self.range = range << shift;
        self.value <<= shift;
        self.check_refill();
        (st as u32 & 1) ^ u32::from(is_lps)
    }

    #[inline(always)]
    fn check_refill(&mut self) {
        if self.value & REFILL_MASK == 0 {
            (self.value, self.next) = refill(self.value, self.data, self.next);
        }
    }

    /// One bypass bin without the refill check; at most `BYPASS_RUN` in a row.
    #[inline(always)]
    fn bypass_unchecked(&mut self) -> u32 {
        self.value <<= 1;
        let scaled = u64::from(self.range) << SCALE;
        // Bypass bins are equiprobable, so a branch here mispredicts half the
        // time; a mask does the conditional subtraction instead.
        let bit = self.value >= scaled;
        self.value -= scaled & u64::from(bit).wrapping_neg();
        u32::from(bit)
    }

    /// `DecodeBypass`: decodes one bin with the equiprobable model.
    #[inline(always)]
    pub fn bypass(&mut self) -> u32 {
        let bit = self.bypass_unchecked();
        self.check_refill();
        bit
    }

    /// Decodes `n` bypass bins as an unsigned integer, most significant first.
    #[inline(always)]
    pub fn bypass_bits(&mut self, n: u32) -> u32 {
        let mut v = 0u32;
        let mut left = n;
        while left > 0 {
            let k = left.min(BYPASS_RUN);
            for _ in 0..k {
                v = (v << 1) | self.bypass_unchecked();
            }
            self.check_refill();
            left -= k;
        }
        v
    }

    /// The bit position the specification's nine-bit `ivlOffset` has reached.
    #[inline]
    fn bit_pos(&self) -> usize {
        // The buffered bits sit between the marker and bit `SCALE`.
        let buffered = (SCALE - 1 - self.value.trailing_zeros()) as usize;
        self.next * 8 - buffered
    }

    /// Fails once the engine has run more than the permitted slack past the end.
    #[inline]
    fn check_overread(&self) -> Result<()> {
        if self.bit_pos() > (self.data.len() + OVERREAD_SLACK) * 8 {
            return Err(Error::Truncated);
        }
        Ok(())
    }
}

impl<'a> Cabac<'a> {
    /// Creates an engine over `data` starting at byte `byte_off`.
    ///
    /// `qp` is `SliceQpY`, used to initialise the context variables.
    pub fn new(data: &'a [u8], byte_off: usize, qp: i32) -> Result<Cabac<'a>> {
        let mut c = Cabac {
            eng: Engine {
                data,
                next: byte_off,
                range: 510,
                value: 1 << (SCALE + 8),
            },
            pos: byte_off * 8,
            ctx: [0; NUM_CTX],
        };
        c.init_contexts(qp);
        c.init_engine()?;
        Ok(c)
    }

    /// Resets the context variables from the initialisation table (9.3.2.2).
    pub fn init_contexts(&mut self, qp: i32) {
        self.ctx = initial_contexts(qp);
    }

    /// Restarts the arithmetic decoder at the current byte position (9.3.2.5).
    pub fn init_engine(&mut self) -> Result<()> {
        self.pos = (self.pos + 7) & !7;
        let e = &mut self.eng;
        e.next = self.pos >> 3;
        e.range = 510;
        // Marker at the top of `ivlOffset`: nothing buffered, nine bits missing.
        (e.value, e.next) = refill(1 << (SCALE + 8), e.data, e.next);
        if e.value >> SCALE >= 510 {
            return Err(Error::InvalidData("CABAC ivlOffset is 510 or 511"));
        }
        e.check_overread()
    }

    /// Repositions the engine at byte `byte_off` and restarts it.
    pub fn restart_at(&mut self, byte_off: usize) -> Result<()> {
        self.pos = byte_off * 8;
        self.init_engine()
    }

    /// Next byte boundary at or after the current position.
    ///
    /// `DecodeTerminate` consumes no bit when it returns 1 and the last bit it
    /// shifted in is the stop bit, so this is where the next substream starts.
    pub fn aligned_pos(&self) -> usize {
        (self.eng.bit_pos() + 7) >> 3
    }

    /// `DecodeDecision`: decodes one bin with context variable `ctx_idx`.
    #[inline(always)]
    pub fn decision(&mut self, ctx_idx: usize) -> u32 {
        self.eng.decision(&mut self.ctx[ctx_idx])
    }

    /// `DecodeBypass`: decodes one bin with the equiprobable model.
    #[inline(always)]
    pub fn bypass(&mut self) -> u32 {
        self.eng.bypass()
    }

    /// Decodes `n` bypass bins as an unsigned integer, most significant first.
    #[inline]
    pub fn bypass_bits(&mut self, n: u32) -> u32 {
        self.eng.bypass_bits(n)
    }

    /// `DecodeTerminate`: decodes `end_of_slice_segment_flag` and `pcm_flag`.
    ///
    /// This is also where a substream that ran past its end is reported: the
    /// bin decoders never fail, and every syntax structure between two
    /// terminate bins is bounded, so the error surfaces here at the latest.
    #[inline]
    pub fn terminate(&mut self) -> Result<u32> {
        let e = &mut self.eng;
        e.check_overread()?;
        e.range -= 2;
        let scaled = u64::from(e.range) << SCALE;
        if e.value >= scaled {
            return Ok(1);
        }
        if e.range < 256 {
            e.range <<= 1;
            e.value <<= 1;
            e.check_refill();
        }
        Ok(0)
    }

    /// Aligns to the next byte boundary after `DecodeTerminate` returned 1.
    ///
    /// Used before reading PCM samples, which are not arithmetically coded.
    pub fn align_after_terminate(&mut self) {
        // `DecodeTerminate` consumes no bit when it returns 1, and the last bit
        // shifted into ivlOffset is the alignment or stop bit, so the next
        // unread bit is already the first bit after it.
        self.pos = self.aligned_pos() << 3;
    }

    /// Reads `n` raw bits directly from the substream (PCM sample data).
    pub fn raw_bits(&mut self, n: u32) -> Result<u32> {
        let data = self.eng.data;
        let mut v = 0u32;
        for _ in 0..n {
            let byte_idx = self.pos >> 3;
            if byte_idx > data.len() + OVERREAD_SLACK {
                return Err(Error::Truncated);
            }
            let b = data.get(byte_idx).copied().unwrap_or(0);
            v = (v << 1) | u32::from((b >> (7 - (self.pos & 7))) & 1);
            self.pos += 1;
        }
        Ok(v)
    }
}
