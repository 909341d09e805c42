//! Level, sign and remainder decoding for one 4x4 residual sub-block.

use super::residual_ctx::read_remaining;
use crate::hevc::cabac::{Engine, NUM_CTX, off};
use crate::hevc::error::Result;
use crate::hevc::scan::sub_scan;

/// The flags of the active parameter sets that `decode_levels` depends on.
#[derive(Clone, Copy)]
pub struct LevelFlags {
    /// `sign_data_hiding_enabled_flag && !cu_transquant_bypass_flag`.
    pub sign_hiding: bool,
    /// `persistent_rice_adaptation_enabled_flag`.
    pub persistent_rice: bool,
}

/// Decodes the greater1, greater2, sign and remainder bins of one sub-block.
///
/// `sig` lists the significant scan positions of the sub-block, highest first,
/// which is the order every one of these syntax elements is coded in. Inlined
/// into `residual_coding`, so that the engine `e` stays in its registers.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub fn decode_levels(
    e: &mut Engine<'_>,
    ctx: &mut [u8; NUM_CTX],
    coeffs: &mut [i32; 1024],
    stat_coeff: &mut [i32; 4],
    sig: &[u8],
    i: usize,
    c_idx: usize,
    c1: &mut i32,
    sb_type: usize,
    log2_size: usize,
    scan_idx: usize,
    xs: usize,
    ys: usize,
    flags: LevelFlags,
) -> Result<()> {
    let mut ctx_set = if i > 0 && c_idx == 0 { 2 } else { 0 };
    if *c1 == 0 {
        ctx_set += 1;
    }
    *c1 = 1;
    let num = sig.len();
    if num == 0 {
        return Ok(());
    }
    let base = off::GT1 + ctx_set * 4 + if c_idx > 0 { 16 } else { 0 };
    let gt1_ctx: &mut [u8; 4] = (&mut ctx[base..base + 4]).try_into().unwrap();
    // Bit `k` of `gt1` is `coeff_abs_level_greater1_flag` of `sig[k]`.
    let mut gt1 = 0u32;
    let mut g = *c1 as usize;
    for k in 0..num.min(8) {
        let bin = e.decision(&mut gt1_ctx[g & 3]);
        gt1 |= bin << k;
        // greater1Ctx: 0 for good after a 1, else counts up from 1 to 3.
        g = if bin != 0 {
            0
        } else {
            g + usize::from(g.wrapping_sub(1) < 2)
        };
    }
    *c1 = g as i32;
    let last_gt1 = if gt1 != 0 {
        gt1.trailing_zeros() as usize
    } else {
        usize::MAX
    };
    let hide = flags.sign_hiding && i32::from(sig[0]) - i32::from(sig[num - 1]) > 3;
    let mut gt2 = false;
    if last_gt1 != usize::MAX {
        let ctx_idx = off::GT2 + ctx_set + if c_idx > 0 { 4 } else { 0 };
        gt2 = e.decision(&mut ctx[ctx_idx]) != 0;
    }
    // The sign flags come as one run of bypass bins, `sig[0]`'s first, with
    // the hidden one (the lowest position) simply absent from the end.
    let coded_signs = num - usize::from(hide);
    let signs = e.bypass_bits(coded_signs as u32);
    let mut rice = if flags.persistent_rice {
        (stat_coeff[sb_type] / 4) as u32
    } else {
        0
    };
    let mut first_rem = true;
    let mut sum_abs = 0i64;
    let pos_scan = sub_scan(scan_idx);
    for (k, &m) in sig.iter().enumerate() {
        let m = m as usize & 15;
        let base_level = 1 + i32::from((gt1 >> k) & 1 != 0) + i32::from(k == last_gt1 && gt2);
        let threshold = if k < 8 {
            if k == last_gt1 { 3 } else { 2 }
        } else {
            1
        };
        let mut level = base_level as i64;
        if base_level == threshold {
            let rem = read_remaining(e, rice)?;
            if first_rem && flags.persistent_rice {
                update_stat(stat_coeff, sb_type, rem);
            }
            first_rem = false;
            level += rem as i64;
            if level > 3i64 << rice {
                rice = (rice + 1).min(4);
            }
        } else if level > 3i64 << rice {
            rice = (rice + 1).min(4);
        }
        sum_abs += level;
        let mut v = level;
        if k < coded_signs && (signs >> (coded_signs - 1 - k)) & 1 != 0 {
            v = -v;
        }
        if hide && k == num - 1 && sum_abs % 2 == 1 {
            v = -v;
        }
        let xc = xs * 4 + pos_scan[m][0] as usize;
        let yc = ys * 4 + pos_scan[m][1] as usize;
        // Inside the block by construction; the mask spares a bounds check.
        coeffs[((yc << log2_size) + xc) & 1023] = v.clamp(-32768, 32767) as i32;
    }
    Ok(())
}

/// Applies the `StatCoeff` update of clause 9.3.3.11.
fn update_stat(stat_coeff: &mut [i32; 4], sb_type: usize, rem: u32) {
    let s = stat_coeff[sb_type];
    if rem as i64 >= 3i64 << (s / 4) {
        stat_coeff[sb_type] = s + 1;
    } else if (2 * rem as i64) < (1i64 << (s / 4)) && s > 0 {
        stat_coeff[sb_type] = s - 1;
    }
}
