//! Sample adaptive offset, ITU-T H.265 clause 8.7.3.
//!
//! SAO reads the deblocked picture and writes a second picture, so the filter
//! works from a snapshot of every plane taken before the first sample changes.

use super::deblock::clip3;
use super::{FilterInfo, SaoCtb};
use crate::hevc::picture::{Picture, Plane, flags};
use alloc::vec::Vec;

/// Neighbour offsets of each `SaoEoClass`, clause 8.7.3.2.
const EO: [[(isize, isize); 2]; 4] = [
    [(-1, 0), (1, 0)],
    [(0, -1), (0, 1)],
    [(-1, -1), (1, 1)],
    [(1, -1), (-1, 1)],
];

/// `SaoTypeIdx` selecting band offset.
const BAND: u8 = 1;
/// `SaoTypeIdx` selecting edge offset.
const EDGE: u8 = 2;

/// Offset to add to the sample at `(px, py)`, or `None` to leave it alone.
///
/// `sw` and `sh` scale component coordinates back to luma coordinates so that
/// the CTB of a neighbour can be found; `addr` is the CTB being filtered.
#[allow(clippy::too_many_arguments)]
fn edge_offset(
    src: &Plane,
    info: &FilterInfo,
    s: &SaoCtb,
    addr: usize,
    px: usize,
    py: usize,
    sw: usize,
    sh: usize,
) -> Option<i32> {
    let rec = src.at(px, py) as i32;
    let mut idx = 2i32;
    for (dx, dy) in EO[(s.eo_class & 3) as usize] {
        let nx = px as isize + dx;
        let ny = py as isize + dy;
        if nx < 0 || ny < 0 || nx as usize >= src.width || ny as usize >= src.height {
            return None;
        }
        let (nx, ny) = (nx as usize, ny as usize);
        if !info.may_cross(info.ctb_of(nx * sw, ny * sh), addr) {
            return None;
        }
        idx += (rec - src.at(nx, ny) as i32).signum();
    }
    let idx = match idx {
        2 => 0,
        0 => 1,
        1 => 2,
        v => v,
    };
    if idx == 0 {
        return Some(0);
    }
    s.offsets.get(idx as usize - 1).map(|v| *v as i32)
}

/// Applies sample adaptive offset to one component of one coding tree block.
#[allow(clippy::too_many_arguments)]
fn sao_ctb(
    dst: &mut Plane,
    src: &Plane,
    cu_flags: &[u8],
    min4_w: usize,
    info: &FilterInfo,
    s: SaoCtb,
    addr: usize,
    sw: usize,
    sh: usize,
    bd: u8,
) {
    let (cx, cy) = (addr % info.pic_w_ctbs, addr / info.pic_w_ctbs);
    let x0 = (cx << info.ctb_log2) / sw;
    let y0 = (cy << info.ctb_log2) / sh;
    let x1 = (((cx + 1) << info.ctb_log2) / sw).min(dst.width);
    let y1 = (((cy + 1) << info.ctb_log2) / sh).min(dst.height);
    let max = (1i32 << bd) - 1;
    for py in y0..y1 {
        for px in x0..x1 {
            let (lx, ly) = (px * sw, py * sh);
            let f = cu_flags
                .get((ly >> 2) * min4_w + (lx >> 2))
                .map_or(0u8, |v| *v);
            if f & flags::TQ_BYPASS != 0 || (f & flags::PCM != 0 && info.pcm_loop_filter_disabled) {
                continue;
            }
            let rec = src.at(px, py) as i32;
            let delta = if s.type_idx == BAND {
                let k = (rec >> bd.saturating_sub(5)) - s.band_position as i32;
                match s.offsets.get(k as usize) {
                    Some(v) if (0..4).contains(&k) => *v as i32,
                    _ => continue,
                }
            } else {
                match edge_offset(src, info, &s, addr, px, py, sw, sh) {
                    Some(v) => v,
                    None => continue,
                }
            };
            dst.put(px, py, clip3(0, max, rec + delta) as u16);
        }
    }
}

/// `sao_ctb` for a picture with no locked coding unit, on row slices.
///
/// Exact against `sao_ctb` because a sample it does not modify is left at (or
/// rewritten with) its value in `src`, which is what `dst` still holds there:
/// CTBs do not overlap, so no sample is written twice. For edge offset, the
/// availability `edge_offset` works out per sample depends, away from the
/// CTB's first and last column, only on the row, since every neighbour's CTB
/// column is then the CTB's own; those two columns take `edge_offset` itself.
#[allow(clippy::too_many_arguments)]
fn sao_ctb_rows(
    dst: &mut Plane,
    src: &Plane,
    info: &FilterInfo,
    s: SaoCtb,
    addr: usize,
    sw: usize,
    sh: usize,
    bd: u8,
) {
    let (cx, cy) = (addr % info.pic_w_ctbs, addr / info.pic_w_ctbs);
    let x0 = (cx << info.ctb_log2) / sw;
    let y0 = (cy << info.ctb_log2) / sh;
    let x1 = (((cx + 1) << info.ctb_log2) / sw).min(dst.width);
    let y1 = (((cy + 1) << info.ctb_log2) / sh).min(dst.height);
    if x0 >= x1 || y0 >= y1 || dst.stride != src.stride {
        return;
    }
    let max = (1i32 << bd) - 1;
    let stride = src.stride;
    let [o0, o1, o2, o3] = s.offsets.map(i32::from);
    if s.type_idx == BAND {
        let shift = bd.saturating_sub(5);
        let pos = s.band_position as i32;
        for py in y0..y1 {
            let (from, to) = (py * stride + x0, py * stride + x1);
            for (d, &r) in dst.data[from..to].iter_mut().zip(&src.data[from..to]) {
                let rec = r as i32;
                let k = (rec >> shift) - pos;
                let delta = if k == 0 {
                    o0
                } else if k == 1 {
                    o1
                } else if k == 2 {
                    o2
                } else {
                    o3
                };
                *d = if (0..4).contains(&k) {
                    clip3(0, max, rec + delta) as u16
                } else {
                    r
                };
            }
        }
        return;
    }
    let [(ax, ay), (bx, by)] = EO[(s.eo_class & 3) as usize];
    // `edge_offset`'s test for one neighbour, without the sample arithmetic.
    let ok = |nx: usize, ny: isize| {
        ny >= 0
            && (ny as usize) < src.height
            && info.may_cross(info.ctb_of(nx * sw, ny as usize * sh), addr)
    };
    let edge_at = |dst: &mut Plane, px: usize, py: usize| {
        if let Some(v) = edge_offset(src, info, &s, addr, px, py, sw, sh) {
            dst.put(px, py, clip3(0, max, src.at(px, py) as i32 + v) as u16);
        }
    };
    for py in y0..y1 {
        edge_at(dst, x0, py);
        if x1 - x0 < 2 {
            continue;
        }
        edge_at(dst, x1 - 1, py);
        let (ra, rb) = (py as isize + ay, py as isize + by);
        if x1 - x0 < 3 || !ok(x0, ra) || !ok(x0, rb) {
            continue;
        }
        let (ra, rb) = (ra as usize, rb as usize);
        let n = x1 - x0 - 2;
        let c = py * stride + x0 + 1;
        let a = (ra * stride + x0 + 1).wrapping_add_signed(ax);
        let b = (rb * stride + x0 + 1).wrapping_add_signed(bx);
        let (Some(cur), Some(na), Some(nb)) = (
            src.data.get(c..c + n),
            src.data.get(a..a + n),
            src.data.get(b..b + n),
        ) else {
            continue;
        };
        let out = &mut dst.data[c..c + n];
        for (((d, &r), &va), &vb) in out.iter_mut().zip(cur).zip(na).zip(nb) {
            let rec = r as i32;
            let sum = (rec - va as i32).signum() + (rec - vb as i32).signum();
            // `SaoOffsetVal[edgeIdx]` by `2 + sum`: 0 -> 1, 1 -> 2, 2 -> 0.
            let delta = if sum == -2 {
                o0
            } else if sum == -1 {
                o1
            } else if sum == 0 {
                0
            } else if sum == 1 {
                o2
            } else {
                o3
            };
            *d = clip3(0, max, rec + delta) as u16;
        }
    }
}

/// Applies the sample adaptive offset filter of clause 8.7.3 to `pic` in place.
///
/// Does nothing unless `info.sao_enabled`; coding tree blocks whose
/// `SaoTypeIdx` is zero keep their deblocked samples.
pub fn sao(pic: &mut Picture, info: &FilterInfo) {
    if !info.sao_enabled || info.pic_w_ctbs == 0 {
        return;
    }
    let ncomp = if info.chroma_array_type == 0 { 1 } else { 3 };
    let n = info.ctb.len().min(info.pic_w_ctbs * info.pic_h_ctbs);
    // A component that no CTB applies SAO to keeps its deblocked samples, so
    // its snapshot would never be read. Not taking it is what makes a picture
    // that merely signals SAO in its parameter sets cost nothing here.
    let used = |c: usize| {
        info.ctb[..n]
            .iter()
            .any(|f| f.sao[c].type_idx == BAND || f.sao[c].type_idx == EDGE)
    };
    let snapshot = |c: usize, p: &Plane| {
        if c < ncomp && used(c) {
            p.clone()
        } else {
            Plane {
                data: Vec::new(),
                stride: 0,
                width: 0,
                height: 0,
            }
        }
    };
    let src = [
        snapshot(0, &pic.y),
        snapshot(1, &pic.cb),
        snapshot(2, &pic.cr),
    ];
    // Transquant-bypass and (with pcm_loop_filter_disabled_flag) PCM coding
    // units keep their samples; only a picture with one needs the per-sample
    // test of `sao_ctb`.
    let any_locked = pic.cu_flags.iter().any(|&f| {
        f & flags::TQ_BYPASS != 0 || (f & flags::PCM != 0 && info.pcm_loop_filter_disabled)
    });
    let Picture {
        y,
        cb,
        cr,
        cu_flags,
        min4_w,
        ..
    } = pic;
    for addr in 0..n {
        for (c, plane_src) in src.iter().enumerate().take(ncomp) {
            let s = info.ctb[addr].sao[c];
            if s.type_idx != BAND && s.type_idx != EDGE {
                continue;
            }
            let (sw, sh) = if c == 0 {
                (1, 1)
            } else {
                (info.sub_w.max(1), info.sub_h.max(1))
            };
            let bd = if c == 0 {
                info.bit_depth_y
            } else {
                info.bit_depth_c
            };
            let dst: &mut Plane = match c {
                0 => &mut *y,
                1 => &mut *cb,
                _ => &mut *cr,
            };
            if any_locked {
                sao_ctb(dst, plane_src, cu_flags, *min4_w, info, s, addr, sw, sh, bd);
            } else {
                sao_ctb_rows(dst, plane_src, info, s, addr, sw, sh, bd);
            }
        }
    }
}

#[cfg(test)]
#[path = "sao_tests.rs"]
mod tests;
