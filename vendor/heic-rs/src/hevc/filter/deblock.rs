//! Deblocking filter for intra-coded pictures, ITU-T H.265 clause 8.7.2.
//!
//! Every filtered edge of an intra-only picture has boundary strength 2, so the
//! derivation of clause 8.7.2.4 collapses to the constant [`BS`].

use super::FilterInfo;
use crate::hevc::picture::{Picture, edge, flags};

#[path = "deblock_chroma.rs"]
mod chroma;

/// `beta'` of Table 8-12, indexed by `Q` in `0..=51`.
const BETA_TABLE: [i32; 52] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18,
    20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64,
];

/// `tc'` of Table 8-12, indexed by `Q` in `0..=53`.
const TC_TABLE: [i32; 54] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3,
    3, 3, 3, 4, 4, 4, 5, 5, 6, 6, 7, 8, 9, 10, 11, 13, 14, 16, 18, 20, 22, 24,
];

/// Boundary strength of every filtered edge of an intra-only picture.
const BS: i32 = 2;

/// `Clip3(lo, hi, v)` of clause 5.8, with no panicking path.
#[inline]
pub(super) fn clip3(lo: i32, hi: i32, v: i32) -> i32 {
    v.max(lo).min(hi)
}

/// True when loop filtering must leave the samples of this coding unit alone.
#[inline]
fn locked(f: u8, info: &FilterInfo) -> bool {
    f & flags::TQ_BYPASS != 0 || (f & flags::PCM != 0 && info.pcm_loop_filter_disabled)
}

/// Filters the four lines of a luma segment, clause 8.7.2.5.7.
///
/// `t[j][i]` is tap `j` (`p3,p2,p1,p0,q0,q1,q2,q3`) of line `i`: held tap by
/// tap, each output tap is one four-lane expression over whole arrays, which
/// LLVM vectorises, and a per-line condition of the normal filter becomes a
/// select instead of a branch. The arithmetic per line is 0.1.4's.
#[inline]
fn filter_lines(
    t: &[[i32; 4]; 8],
    de: u8,
    dep: bool,
    deq: bool,
    tc: i32,
    max: i32,
) -> [[i32; 4]; 8] {
    let mut o = *t;
    let [p3, p2, p1, p0, q0, q1, q2, q3] = *t;
    if de == 2 {
        let tc2 = 2 * tc;
        for i in 0..4 {
            let (p3, p2, p1, p0) = (p3[i], p2[i], p1[i], p0[i]);
            let (q0, q1, q2, q3) = (q0[i], q1[i], q2[i], q3[i]);
            o[3][i] = clip3(
                p0 - tc2,
                p0 + tc2,
                (p2 + 2 * p1 + 2 * p0 + 2 * q0 + q1 + 4) >> 3,
            );
            o[2][i] = clip3(p1 - tc2, p1 + tc2, (p2 + p1 + p0 + q0 + 2) >> 2);
            o[1][i] = clip3(
                p2 - tc2,
                p2 + tc2,
                (2 * p3 + 3 * p2 + p1 + p0 + q0 + 4) >> 3,
            );
            o[4][i] = clip3(
                q0 - tc2,
                q0 + tc2,
                (p1 + 2 * p0 + 2 * q0 + 2 * q1 + q2 + 4) >> 3,
            );
            o[5][i] = clip3(q1 - tc2, q1 + tc2, (p0 + q0 + q1 + q2 + 2) >> 2);
            o[6][i] = clip3(
                q2 - tc2,
                q2 + tc2,
                (p0 + q0 + q1 + 3 * q2 + 2 * q3 + 4) >> 3,
            );
        }
    } else if de == 1 {
        let tc10 = tc * 10;
        let half = tc >> 1;
        for i in 0..4 {
            let (p2, p1, p0) = (p2[i], p1[i], p0[i]);
            let (q0, q1, q2) = (q0[i], q1[i], q2[i]);
            let raw = (9 * (q0 - p0) - 3 * (q1 - p1) + 8) >> 4;
            let on = raw.abs() < tc10;
            let d = clip3(-tc, tc, raw);
            let np0 = clip3(0, max, p0 + d);
            let nq0 = clip3(0, max, q0 - d);
            let np1 = clip3(
                0,
                max,
                p1 + clip3(-half, half, (((p2 + p0 + 1) >> 1) - p1 + d) >> 1),
            );
            let nq1 = clip3(
                0,
                max,
                q1 + clip3(-half, half, (((q2 + q0 + 1) >> 1) - q1 - d) >> 1),
            );
            o[3][i] = if on { np0 } else { p0 };
            o[4][i] = if on { nq0 } else { q0 };
            o[2][i] = if on && dep { np1 } else { p1 };
            o[5][i] = if on && deq { nq1 } else { q1 };
        }
    }
    o
}

/// Filters one four-line luma segment of the edge at `e` starting at `s`.
fn luma_segment(pic: &mut Picture, info: &FilterInfo, ver: bool, e: usize, s: usize) {
    let (px, py) = if ver { (e - 1, s) } else { (s, e - 1) };
    let (qx, qy) = if ver { (e, s) } else { (s, e) };
    let qc = info.ctb_of(qx, qy);
    let Some(cf) = info.ctb.get(qc) else {
        return;
    };
    if cf.deblock_disabled || !info.may_cross(info.ctb_of(px, py), qc) {
        return;
    }
    let (pi, qi) = (pic.idx4(px, py), pic.idx4(qx, qy));
    let pl = locked(pic.cu_flags[pi], info);
    let ql = locked(pic.cu_flags[qi], info);
    if pl && ql {
        return;
    }
    let qpl = (pic.qp_y[qi] as i32 + pic.qp_y[pi] as i32 + 1) >> 1;
    let scale = 1i32 << info.bit_depth_y.saturating_sub(8);
    let beta = BETA_TABLE[clip3(0, 51, qpl + ((cf.beta_offset_div2 as i32) << 1)) as usize] * scale;
    let qtc = clip3(
        0,
        53,
        qpl + 2 * (BS - 1) + ((cf.tc_offset_div2 as i32) << 1),
    );
    let tc = TC_TABLE[qtc as usize] * scale;
    let max = (1i32 << info.bit_depth_y) - 1;
    let stride = pic.y.stride;
    let data = &mut pic.y.data;
    // The four lines are gathered tap by tap into fixed-size arrays (a
    // horizontal edge's taps are four-wide row slices, a vertical edge's lines
    // one row slice each), so the decision and the filter below run without a
    // bounds check or an index multiplication per sample.
    let mut t = [[0i32; 4]; 8];
    if ver {
        for i in 0..4 {
            let o = (s + i) * stride + e - 4;
            let Some(row) = data.get(o..o + 8) else {
                return;
            };
            for (tap, &r) in t.iter_mut().zip(row) {
                tap[i] = r as i32;
            }
        }
    } else {
        for (j, tap) in t.iter_mut().enumerate() {
            let o = (e - 4 + j) * stride + s;
            let Some(row) = data.get(o..o + 4) else {
                return;
            };
            for (v, &r) in tap.iter_mut().zip(row) {
                *v = r as i32;
            }
        }
    }
    let dp = |i: usize| (t[1][i] - 2 * t[2][i] + t[3][i]).abs();
    let dq = |i: usize| (t[6][i] - 2 * t[5][i] + t[4][i]).abs();
    let (dp0, dq0) = (dp(0), dq(0));
    let (dp3, dq3) = (dp(3), dq(3));
    let (dpq0, dpq3) = (dp0 + dq0, dp3 + dq3);
    if dpq0 + dpq3 >= beta {
        return;
    }
    let sam = |i: usize, dpq: i32| {
        2 * dpq < (beta >> 2)
            && (t[0][i] - t[3][i]).abs() + (t[4][i] - t[7][i]).abs() < (beta >> 3)
            && (t[3][i] - t[4][i]).abs() < ((5 * tc + 1) >> 1)
    };
    let de = if sam(0, dpq0) && sam(3, dpq3) {
        2u8
    } else {
        1u8
    };
    let thr = (beta + (beta >> 1)) >> 3;
    let (dep, deq) = (dp0 + dp3 < thr, dq0 + dq3 < thr);
    let mut out = filter_lines(&t, de, dep, deq, tc, max);
    // A locked side keeps its samples.
    if pl {
        out[..4].copy_from_slice(&t[..4]);
    }
    if ql {
        out[4..].copy_from_slice(&t[4..]);
    }
    // Only p2..q2 can change; p3 and q3 are not written back.
    if ver {
        for i in 0..4 {
            let at = (s + i) * stride + e - 3;
            for (d, tap) in data[at..at + 6].iter_mut().zip(&out[1..7]) {
                *d = tap[i] as u16;
            }
        }
    } else {
        for (j, tap) in out.iter().enumerate().take(7).skip(1) {
            let at = (e - 4 + j) * stride + s;
            for (d, &v) in data[at..at + 4].iter_mut().zip(tap) {
                *d = v as u16;
            }
        }
    }
}

/// Filters every marked luma edge of one direction over the whole picture.
fn luma_dir(pic: &mut Picture, info: &FilterInfo, ver: bool) {
    let kind = if ver { edge::VER } else { edge::HOR };
    let (w, h) = (pic.y.width, pic.y.height);
    let (elen, slen) = if ver { (w, h) } else { (h, w) };
    for by in 0..pic.min8_h {
        for bx in 0..pic.min8_w {
            if pic.edges[by * pic.min8_w + bx] & kind == 0 {
                continue;
            }
            let (e, s0) = if ver {
                (bx * 8, by * 8)
            } else {
                (by * 8, bx * 8)
            };
            if e == 0 || e + 3 >= elen {
                continue;
            }
            for seg in 0..2 {
                let s = s0 + seg * 4;
                if s + 3 < slen {
                    luma_segment(pic, info, ver, e, s);
                }
            }
        }
    }
}

/// Applies the in-loop deblocking filter of clause 8.7.2 to `pic` in place.
///
/// All vertical edges of the picture are filtered before any horizontal edge,
/// so the horizontal pass reads samples the vertical pass already modified.
pub fn deblock(pic: &mut Picture, info: &FilterInfo) {
    luma_dir(pic, info, true);
    chroma::dir(pic, info, true);
    luma_dir(pic, info, false);
    chroma::dir(pic, info, false);
}

#[cfg(test)]
#[path = "deblock_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "deblock_v014.rs"]
mod v014;
