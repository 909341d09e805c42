//! Filtering of the neighbouring reference samples, clause 8.4.4.2.3.

use super::Refs;

/// Filters the neighbouring reference samples (clause 8.4.4.2.3).
///
/// `mode` is predModeIntra (0 planar, 1 DC, 2..=34 angular), `c_idx` 0 for luma,
/// `chroma_array_type` is 0..=3, `strong_smoothing` is
/// `strong_intra_smoothing_enabled_flag`, `disable_smoothing` is
/// `intra_smoothing_disabled_flag` from the SPS range extension.
/// (The decoder itself fills a caller's buffer with [`filter_refs_into`].)
#[cfg(any(test, feature = "bench"))]
pub fn filter_refs(
    r: &Refs,
    mode: u8,
    c_idx: usize,
    bit_depth: u8,
    chroma_array_type: u8,
    strong_smoothing: bool,
    disable_smoothing: bool,
) -> Refs {
    let mut o = Refs::new(r.n);
    if filter_refs_into(
        r,
        &mut o,
        mode,
        c_idx,
        bit_depth,
        chroma_array_type,
        strong_smoothing,
        disable_smoothing,
    ) {
        o
    } else {
        r.clone()
    }
}

/// [`filter_refs`] into a caller's buffer: writes the filtered samples to `o`
/// and returns true, or returns false (leaving `o` alone) when the clause
/// leaves the samples unfiltered, so the caller can use `r` itself instead of
/// a copy of it.
#[allow(clippy::too_many_arguments)]
pub fn filter_refs_into(
    r: &Refs,
    o: &mut Refs,
    mode: u8,
    c_idx: usize,
    bit_depth: u8,
    chroma_array_type: u8,
    strong_smoothing: bool,
    disable_smoothing: bool,
) -> bool {
    let n = r.n;
    let nn = 2 * n as isize;
    if disable_smoothing || (c_idx != 0 && chroma_array_type != 3) {
        return false;
    }
    let m = mode as i32;
    let thresh = match n {
        8 => 7,
        16 => 1,
        _ => 0,
    };
    let dist = core::cmp::min((m - 26).abs(), (m - 10).abs());
    if mode == 1 || mode > 34 || n == 4 || dist <= thresh {
        return false;
    }
    let c = r.top(-1) as i32;
    let (te, le) = (r.top(nn - 1) as i32, r.left(nn - 1) as i32);
    // `1 << (bit_depth - 5)`, written so a nonsensical small bit depth cannot
    // underflow the shift amount.
    let lim = (1i32 << bit_depth) >> 5;
    let bilin = strong_smoothing
        && c_idx == 0
        && n == 32
        && (c + te - 2 * r.top(nn / 2 - 1) as i32).abs() < lim
        && (c + le - 2 * r.left(nn / 2 - 1) as i32).abs() < lim;
    o.n = n;
    if bilin {
        o.set_top(-1, c as u16);
        for i in 0..nn - 1 {
            let (w0, w1) = (nn - 1 - i, i + 1);
            o.set_left(i, (((w0 as i32) * c + (w1 as i32) * le + 32) >> 6) as u16);
            o.set_top(i, (((w0 as i32) * c + (w1 as i32) * te + 32) >> 6) as u16);
        }
    } else {
        // In the flattened order (left column bottom-up, corner, top row) every
        // sample's two neighbours in the clause's formulas, the corner's
        // included, are the entries either side of it, so the filter is one
        // 3-tap pass over the interior of the buffer.
        let len = 4 * n + 1;
        let (src, dst) = (&r.buf[..len], &mut o.buf[1..len - 1]);
        for (d, w) in dst.iter_mut().zip(src.windows(3)) {
            *d = ((w[0] as u32 + 2 * w[1] as u32 + w[2] as u32 + 2) >> 2) as u16;
        }
    }
    o.set_left(nn - 1, le as u16);
    o.set_top(nn - 1, te as u16);
    true
}
