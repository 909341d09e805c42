//! The chroma half of the deblocking filter, clause 8.7.2.5.5.
//!
//! Chroma is only ever filtered with the short two-tap form — there is no
//! strong filter and no `dE` derivation — so it shares nothing with the luma
//! path but the tables and the segment addressing, both of which stay in the
//! parent module.

use super::super::{FilterInfo, chroma_qp_from_luma};
use super::{BS, TC_TABLE, clip3, locked};
use crate::hevc::picture::{Picture, Plane, edge};

/// Filters one four-line chroma segment of both chroma planes.
fn segment(pic: &mut Picture, info: &FilterInfo, ver: bool, e: usize, s: usize) {
    let (sw, sh) = (info.sub_w, info.sub_h);
    let (lqx, lqy) = if ver {
        (e * sw, s * sh)
    } else {
        (s * sw, e * sh)
    };
    let (lpx, lpy) = if ver { (lqx - 1, lqy) } else { (lqx, lqy - 1) };
    let qc = info.ctb_of(lqx, lqy);
    let Some(cf) = info.ctb.get(qc) else {
        return;
    };
    if cf.deblock_disabled || !info.may_cross(info.ctb_of(lpx, lpy), qc) {
        return;
    }
    let pl = locked(pic.cu_flags[pic.idx4(lpx, lpy)], info);
    let ql = locked(pic.cu_flags[pic.idx4(lqx, lqy)], info);
    if pl && ql {
        return;
    }
    let qpl = (pic.qp_y[pic.idx4(lqx, lqy)] as i32 + pic.qp_y[pic.idx4(lpx, lpy)] as i32 + 1) >> 1;
    let scale = 1i32 << info.bit_depth_c.saturating_sub(8);
    let max = (1i32 << info.bit_depth_c) - 1;
    for comp in 0..2 {
        let off = i32::from(if comp == 0 {
            cf.cb_qp_offset
        } else {
            cf.cr_qp_offset
        });
        let qpc = chroma_qp_from_luma(qpl + off, info.chroma_array_type);
        let qtc = clip3(
            0,
            53,
            qpc + 2 * (BS - 1) + ((cf.tc_offset_div2 as i32) << 1),
        );
        let tc = TC_TABLE[qtc as usize] * scale;
        let plane: &mut Plane = if comp == 0 { &mut pic.cb } else { &mut pic.cr };
        let stride = plane.stride;
        let data = &mut plane.data;
        // The four lines are gathered tap by tap (`p1, p0, q0, q1`) into
        // fixed-size arrays (four-wide row slices for a horizontal edge, one
        // row slice per line for a vertical one), so the filter is a four-lane
        // expression per tap, and only `p0` and `q0` are written back.
        let mut t = [[0i32; 4]; 4];
        if ver {
            for i in 0..4 {
                let o = (s + i) * stride + e - 2;
                let Some(row) = data.get(o..o + 4) else {
                    return;
                };
                for (tap, &r) in t.iter_mut().zip(row) {
                    tap[i] = r as i32;
                }
            }
        } else {
            for (j, tap) in t.iter_mut().enumerate() {
                let o = (e - 2 + j) * stride + s;
                let Some(row) = data.get(o..o + 4) else {
                    return;
                };
                for (v, &r) in tap.iter_mut().zip(row) {
                    *v = r as i32;
                }
            }
        }
        let [p1, p0, q0, q1] = t;
        let mut np0 = p0;
        let mut nq0 = q0;
        for i in 0..4 {
            let d = clip3(-tc, tc, (((q0[i] - p0[i]) << 2) + p1[i] - q1[i] + 4) >> 3);
            if !pl {
                np0[i] = clip3(0, max, p0[i] + d);
            }
            if !ql {
                nq0[i] = clip3(0, max, q0[i] - d);
            }
        }
        if ver {
            for i in 0..4 {
                let at = (s + i) * stride + e - 1;
                if let Some([a, b]) = data.get_mut(at..at + 2) {
                    *a = np0[i] as u16;
                    *b = nq0[i] as u16;
                }
            }
        } else {
            for (j, tap) in [(1, np0), (2, nq0)] {
                let at = (e - 2 + j) * stride + s;
                for (d, &v) in data[at..at + 4].iter_mut().zip(&tap) {
                    *d = v as u16;
                }
            }
        }
    }
}

/// Filters every marked chroma edge of one direction over the whole picture.
pub(super) fn dir(pic: &mut Picture, info: &FilterInfo, ver: bool) {
    if info.chroma_array_type == 0 || info.sub_w == 0 || info.sub_h == 0 {
        return;
    }
    let kind = if ver { edge::VER } else { edge::HOR };
    let (sw, sh) = (info.sub_w, info.sub_h);
    let (cw, ch) = (pic.cb.width, pic.cb.height);
    let (elen, slen) = if ver { (cw, ch) } else { (ch, cw) };
    let visit = |pic: &mut Picture, e: usize, s: usize| {
        let (lx, ly) = if ver {
            (e * sw, s * sh)
        } else {
            (s * sw, e * sh)
        };
        let cell = (ly >> 3) * pic.min8_w + (lx >> 3);
        if pic.edges.get(cell).map_or(0u8, |v| *v) & kind != 0 {
            segment(pic, info, ver, e, s);
        }
    };
    // Segments of one direction neither overlap nor read what another one
    // writes (edges are 8 apart, the filter reads 2 and writes 1 sample on
    // each side), so they may go in any order: row by row, which for vertical
    // edges is not 0.1.4's column by column, which walked the plane against
    // its memory order.
    if ver {
        let mut s = 0;
        while s + 3 < slen {
            let mut e = 8;
            while e + 1 < elen {
                visit(pic, e, s);
                e += 8;
            }
            s += 4;
        }
    } else {
        let mut e = 8;
        while e + 1 < elen {
            let mut s = 0;
            while s + 3 < slen {
                visit(pic, e, s);
                s += 4;
            }
            e += 8;
        }
    }
}
