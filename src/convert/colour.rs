//! Which YCbCr→RGB transform a HEIC's samples need.
//!
//! The answer comes from, in this order (ISO/IEC 23008-12 §6.5.5 and H.273): a `colr` box of type
//! `nclx` on the image item; else the colour description in the HEVC bitstream's VUI (the SPS
//! `video_signal_type`), which is where iPhones put it; else the HEIF default that libheif uses
//! (BT.601 matrix, full range — the same as JFIF, so an unlabelled HEIC converts without a shift).
//!
//! iPhone HEICs carry only an ICC profile in `colr` (`prof`, Display P3) and declare
//! `video_full_range_flag = 1`, `matrix_coefficients = 6` (BT.601) in every tile's SPS.
//! `heic-rs` ignores the VUI and falls back to BT.709 limited range, which expands the samples by
//! 255/219 around mid-grey and tilts the hues: that is the 26–28 dB PSNR gap against libheif.
//! libheif reads the VUI, so it is the one that follows the file.

use heic_rs::{MatrixCoefficients, Nclx, Range};

/// What an SPS says about the picture: size and its colour description, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpsInfo {
    pub width: u32,
    pub height: u32,
    /// `(colour_primaries, transfer_characteristics, matrix_coefficients, full_range)`, when the
    /// VUI carries a video signal type. Absent colour-description fields are 2 (unspecified).
    pub signal: Option<(u8, u8, u8, bool)>,
}

/// The transform to use for an item: its own `nclx` wins, then the bitstream's VUI, then the
/// libheif default.
pub fn choose(item_nclx: Option<Nclx>, vui: Option<(u8, u8, u8, bool)>) -> Nclx {
    if let Some(n) = item_nclx {
        return normalise(n);
    }
    match vui {
        Some((p, t, m, full)) => normalise(Nclx {
            primaries: u16::from(p),
            transfer: u16::from(t),
            matrix: MatrixCoefficients::from_code(u16::from(m)),
            matrix_code: u16::from(m),
            range: if full { Range::Full } else { Range::Limited },
        }),
        None => Nclx {
            primaries: 1,
            transfer: 13,
            matrix: MatrixCoefficients::Bt601,
            matrix_code: 6,
            range: Range::Full,
        },
    }
}

/// `heic-rs` reads an unspecified (2) or unknown matrix as BT.709; libheif, and JFIF viewers,
/// read it as BT.601. Follow libheif, whose output is what users have seen so far.
fn normalise(mut n: Nclx) -> Nclx {
    if matches!(
        n.matrix,
        MatrixCoefficients::Unspecified | MatrixCoefficients::Other(_)
    ) {
        n.matrix = MatrixCoefficients::Bt601;
    }
    n
}

/// Bits of an RBSP (emulation-prevention bytes already removed).
struct Bits {
    data: Vec<u8>,
    pos: usize,
}

impl Bits {
    fn u(&mut self, n: u32) -> Option<u32> {
        let mut v = 0u32;
        for _ in 0..n {
            let byte = *self.data.get(self.pos / 8)?;
            let bit = (byte >> (7 - (self.pos % 8))) & 1;
            v = (v << 1) | u32::from(bit);
            self.pos += 1;
        }
        Some(v)
    }

    fn flag(&mut self) -> Option<bool> {
        self.u(1).map(|b| b != 0)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.pos = self.pos.checked_add(n)?;
        (self.pos <= self.data.len() * 8).then_some(())
    }

    /// Exp-Golomb, refusing codes longer than 32 bits (no valid SPS field needs them).
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while !self.flag()? {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        let rest = self.u(zeros)?;
        Some(((1u64 << zeros) - 1 + u64::from(rest)).min(u64::from(u32::MAX)) as u32)
    }
}

/// Parse an SPS NAL unit (with its two-byte header) as far as the VUI's colour description.
/// `None` for anything that is not an SPS or does not parse: the caller then has no VUI colour
/// and the size check falls back to the container's figures.
pub fn parse_sps(nal: &[u8]) -> Option<SpsInfo> {
    let header = nal.get(..2)?;
    if (header[0] >> 1) & 0x3f != 33 {
        return None;
    }
    // Emulation prevention: 00 00 03 → 00 00.
    let mut data = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &b in &nal[2..] {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        data.push(b);
    }
    let mut r = Bits { data, pos: 0 };
    r.skip(4)?; // sps_video_parameter_set_id
    let max_sub = r.u(3)?;
    r.skip(1)?;
    profile_tier_level(&mut r, max_sub)?;
    r.ue()?; // sps_seq_parameter_set_id
    let chroma = r.ue()?;
    if chroma == 3 {
        r.skip(1)?;
    }
    let width = r.ue()?;
    let height = r.ue()?;
    if r.flag()? {
        for _ in 0..4 {
            r.ue()?;
        }
    }
    r.ue()?; // bit_depth_luma_minus8
    r.ue()?; // bit_depth_chroma_minus8
    let poc_lsb_bits = r.ue()?.checked_add(4)?;
    if poc_lsb_bits > 16 {
        return None;
    }
    let all_layers = r.flag()?;
    let first = if all_layers { 0 } else { max_sub };
    for _ in first..=max_sub {
        r.ue()?;
        r.ue()?;
        r.ue()?;
    }
    for _ in 0..6 {
        r.ue()?; // block sizes and transform hierarchy depths
    }
    if r.flag()? && r.flag()? {
        scaling_list_data(&mut r)?;
    }
    r.skip(2)?; // amp_enabled_flag, sample_adaptive_offset_enabled_flag
    if r.flag()? {
        // pcm: sample bit depths, block sizes, loop filter flag
        r.skip(8)?;
        r.ue()?;
        r.ue()?;
        r.skip(1)?;
    }
    let sets = r.ue()?;
    if sets > 64 {
        return None;
    }
    let mut deltas: Vec<u32> = Vec::new();
    for i in 0..sets as usize {
        let n = st_ref_pic_set(&mut r, i, &deltas)?;
        deltas.push(n);
    }
    if r.flag()? {
        let n = r.ue()?;
        if n > 32 {
            return None;
        }
        for _ in 0..n {
            r.skip(poc_lsb_bits as usize + 1)?;
        }
    }
    r.skip(2)?; // sps_temporal_mvp_enabled_flag, strong_intra_smoothing_enabled_flag
    let mut signal = None;
    if r.flag()? {
        // vui_parameters()
        if r.flag()? && r.u(8)? == 255 {
            r.skip(32)?;
        }
        if r.flag()? {
            r.skip(1)?;
        }
        if r.flag()? {
            r.skip(3)?; // video_format
            let full = r.flag()?;
            let (mut p, mut t, mut m) = (2, 2, 2);
            if r.flag()? {
                p = r.u(8)? as u8;
                t = r.u(8)? as u8;
                m = r.u(8)? as u8;
            }
            signal = Some((p, t, m, full));
        }
    }
    Some(SpsInfo {
        width,
        height,
        signal,
    })
}

fn profile_tier_level(r: &mut Bits, max_sub: u32) -> Option<()> {
    r.skip(88 + 8)?; // general profile fields and general_level_idc
    let mut present = Vec::new();
    for _ in 0..max_sub {
        present.push((r.flag()?, r.flag()?));
    }
    if max_sub > 0 {
        r.skip(2 * (8 - max_sub as usize))?;
    }
    for (profile, level) in present {
        if profile {
            r.skip(88)?;
        }
        if level {
            r.skip(8)?;
        }
    }
    Some(())
}

fn scaling_list_data(r: &mut Bits) -> Option<()> {
    for size in 0..4u32 {
        let step = if size == 3 { 3 } else { 1 };
        for _ in (0..6).step_by(step) {
            if !r.flag()? {
                r.ue()?; // scaling_list_pred_matrix_id_delta
            } else {
                let coefs = 64.min(1 << (4 + (size << 1)));
                if size > 1 {
                    r.ue()?; // dc coefficient (se(v), same length as ue(v))
                }
                for _ in 0..coefs {
                    r.ue()?;
                }
            }
        }
    }
    Some(())
}

/// `st_ref_pic_set(idx)` in an SPS; returns its NumDeltaPocs.
fn st_ref_pic_set(r: &mut Bits, idx: usize, previous: &[u32]) -> Option<u32> {
    if idx != 0 && r.flag()? {
        // Predicted from the set before it (delta_idx_minus1 exists only in slice headers).
        r.skip(1)?;
        r.ue()?;
        let reference = *previous.get(idx - 1)?;
        let mut n = 0;
        for _ in 0..=reference {
            let used = r.flag()?;
            let keep = used || r.flag()?;
            n += u32::from(keep);
        }
        return Some(n);
    }
    let neg = r.ue()?;
    let pos = r.ue()?;
    if neg > 16 || pos > 16 {
        return None;
    }
    for _ in 0..neg + pos {
        r.ue()?;
        r.skip(1)?;
    }
    Some(neg + pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_nclx_and_no_vui_is_bt601_full_range() {
        let n = choose(None, None);
        assert_eq!(n.matrix, MatrixCoefficients::Bt601);
        assert_eq!(n.range, Range::Full);
    }

    #[test]
    fn the_vui_is_used_when_colr_has_only_a_profile() {
        // An iPhone tile: P3 primaries, BT.709 transfer, BT.601 matrix, full range.
        let n = choose(None, Some((12, 1, 6, true)));
        assert_eq!(n.matrix, MatrixCoefficients::Bt601);
        assert_eq!(n.range, Range::Full);
        let n = choose(None, Some((1, 1, 1, false)));
        assert_eq!(n.matrix, MatrixCoefficients::Bt709);
        assert_eq!(n.range, Range::Limited);
    }

    #[test]
    fn an_item_nclx_wins_over_the_vui() {
        let item = Nclx {
            primaries: 9,
            transfer: 16,
            matrix: MatrixCoefficients::Bt2020Ncl,
            matrix_code: 9,
            range: Range::Limited,
        };
        assert_eq!(choose(Some(item), Some((12, 1, 6, true))), item);
        let unspecified = Nclx {
            matrix: MatrixCoefficients::Unspecified,
            matrix_code: 2,
            ..item
        };
        assert_eq!(
            choose(Some(unspecified), None).matrix,
            MatrixCoefficients::Bt601
        );
    }

    /// An SPS written bit by bit, emulation prevention included (the profile fields are all
    /// zero bytes, as real encoders' are not, which forces 0x03 escapes).
    fn sps(width: u32, height: u32, signal: Option<(u8, u8, u8, bool)>) -> Vec<u8> {
        let mut bits: Vec<bool> = Vec::new();
        let mut u = |n: u32, v: u32| (0..n).rev().for_each(|i| bits.push((v >> i) & 1 == 1));
        let ue = |u: &mut dyn FnMut(u32, u32), v: u32| {
            let len = 32 - (v + 1).leading_zeros();
            u(len - 1, 0);
            u(len, v + 1);
        };
        u(4, 0);
        u(3, 0);
        u(1, 1);
        for _ in 0..3 {
            u(32, 0); // profile_tier_level: 96 zero bits
        }
        ue(&mut u, 0); // sps id
        ue(&mut u, 1); // 4:2:0
        ue(&mut u, width);
        ue(&mut u, height);
        u(1, 0); // no conformance window
        ue(&mut u, 0);
        ue(&mut u, 0);
        ue(&mut u, 4); // log2_max_pic_order_cnt_lsb_minus4
        u(1, 1);
        for v in [0, 0, 0, 0, 1, 0, 3, 0, 0] {
            ue(&mut u, v);
        }
        u(1, 0); // no scaling lists
        u(2, 0b01); // amp off, SAO on
        u(1, 0); // no PCM
        ue(&mut u, 0); // no short-term RPS
        u(1, 0);
        u(2, 0b01);
        u(1, 1); // VUI
        u(2, 0); // no aspect ratio, no overscan
        match signal {
            Some((p, t, m, full)) => {
                u(1, 1);
                u(3, 5);
                u(1, u32::from(full));
                u(1, 1);
                u(8, u32::from(p));
                u(8, u32::from(t));
                u(8, u32::from(m));
            }
            None => u(1, 0),
        }
        u(1, 0); // no chroma location
        u(1, 1); // rbsp stop bit
        while bits.len() % 8 != 0 {
            bits.push(false);
        }
        let mut nal = vec![0x42, 0x01];
        let mut zeros = 0;
        for byte in bits.chunks(8) {
            let b = byte.iter().fold(0u8, |a, &x| (a << 1) | u8::from(x));
            if zeros >= 2 && b <= 3 {
                nal.push(3);
                zeros = 0;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            nal.push(b);
        }
        nal
    }

    #[test]
    fn an_sps_gives_its_size_and_colour_description() {
        let iphone = Some((12, 1, 6, true));
        let nal = sps(512, 512, iphone);
        assert!(nal.windows(3).any(|w| w == [0, 0, 3]), "escapes exercised");
        assert_eq!(
            parse_sps(&nal),
            Some(SpsInfo {
                width: 512,
                height: 512,
                signal: iphone
            })
        );
        let none = parse_sps(&sps(4032, 3024, None)).unwrap();
        assert_eq!((none.width, none.height, none.signal), (4032, 3024, None));
        // A hostile tile: the size the decoder would allocate for is read, so it can be refused.
        let huge = parse_sps(&sps(1 << 20, 1 << 20, iphone)).unwrap();
        assert_eq!((huge.width, huge.height), (1 << 20, 1 << 20));
        // Cut anywhere: no answer, no panic.
        for cut in 2..nal.len() - 4 {
            let _ = parse_sps(&nal[..cut]);
        }
    }

    #[test]
    fn garbage_is_not_an_sps() {
        assert_eq!(parse_sps(&[]), None);
        assert_eq!(parse_sps(&[0x42, 0x01]), None);
        assert_eq!(parse_sps(&[0x40, 0x01, 0xff, 0xff]), None);
        // An SPS header followed by all-zero bits: the Exp-Golomb reader must stop, not spin.
        let mut nal = vec![0x42, 0x01];
        nal.extend(std::iter::repeat_n(0u8, 200));
        assert_eq!(parse_sps(&nal), None);
    }
}
