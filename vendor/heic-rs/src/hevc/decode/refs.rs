//! Reference sample gathering and substitution (clauses 8.4.4.2.1 and .2.2).

use super::state::Dec;
use crate::hevc::intra::Refs;

/// Collects the neighbouring samples of a transform block and substitutes
/// the unavailable ones.
///
/// `x` and `y` are in the coordinates of component `c_idx`, `n` is `nTbS`.
///
/// `Dec::available` reads its argument only through `z`, which is indexed in
/// minimum transform blocks, and through the CTB address, which is coarser
/// still. Every reference sample inside one minimum transform block therefore
/// gets the same answer, so the three runs — left column, corner, top row —
/// are walked one such block at a time: one clause 6.4.1 derivation per
/// block, and the samples of an available block copied as a run rather than
/// addressed one by one.
///
/// The result is written into `r` (whose `n` is set) rather than returned, so
/// the caller's buffer is filled in place instead of being copied out.
pub fn gather_refs(d: &Dec<'_>, x: usize, y: usize, n: usize, c_idx: usize, r: &mut Refs) {
    let (sw, sh) = if c_idx == 0 {
        (1usize, 1usize)
    } else {
        (d.sps.sub_w, d.sps.sub_h)
    };
    let plane = match c_idx {
        0 => &d.pic.y,
        1 => &d.pic.cb,
        _ => &d.pic.cr,
    };
    let bit_depth = if c_idx == 0 {
        d.sps.bit_depth_y
    } else {
        d.sps.bit_depth_c
    };
    let (xc, yc) = (x * sw, y * sh);
    let total = 4 * n + 1;
    let (stride, data) = (plane.stride, plane.data.as_slice());
    r.n = n;
    let buf = &mut r.buf[..total];
    // One minimum transform block spans this many samples of this component
    // along each axis; never zero, as `sub_w` and `sub_h` are 1 or 2 and the
    // minimum transform block is at least 4 luma samples wide. (Written without
    // a division for the subsampling factors that exist: a `div` per call.)
    let min_tb = 1usize << d.geo.min_tb_log2;
    let per = |s: usize| match s {
        1 => min_tb,
        2 => (min_tb >> 1).max(1),
        _ => (min_tb / s).max(1),
    };
    let (step_x, step_y) = (per(sw), per(sh));
    // The column left of the block and the row above it exist only inside the plane. A block that
    // starts right of or below the picture has no samples there to read: unavailable, as a
    // column below the plane already was (reported by s17sh70x2jfl031ag against 0.1.3).
    let left_in = x > 0 && x - 1 < plane.width;
    let above_in = y > 0 && y - 1 < plane.height;
    let mut av = Avail::new(d, xc, yc);

    // Substitution (clause 8.4.4.2.2) is folded into the walk. It fills an
    // unavailable sample with the one before it in this buffer order, except
    // that a leading unavailable run takes the first available sample after
    // it. So every hole after the first available sample is filled as soon as
    // it is passed, and the leading one once the walk is over; `first` is the
    // index of the first available sample (`total` while there is none).
    let mut first = total;

    // Index 0 is p[-1][2n-1] and index 2n-1 is p[-1][0]: the left column,
    // walked downwards from the block's top edge. Down a column of the
    // picture the z-order index only grows, and a CTB below the current
    // one's row comes later in the tile scan (or lies in another tile), so
    // once one block is unavailable every block below it is too: the
    // available part is a run from index 2n-1 downwards, ending at the first
    // unavailable block.
    if left_in {
        let col = x - 1;
        let mut k = 0;
        while k < 2 * n {
            let yy = y + k;
            if yy >= plane.height || !av.at(col * sw, yy * sh) {
                break;
            }
            let end = (yy + step_y).min(plane.height).min(y + 2 * n);
            for (j, yj) in (yy..end).enumerate() {
                buf[2 * n - 1 - k - j] = data[yj * stride + col];
            }
            k += end - yy;
            if end < yy + step_y {
                break;
            }
        }
        if k > 0 {
            first = 2 * n - k;
        }
    }

    // Index 2n is the corner p[-1][-1].
    if left_in && above_in && av.at((x - 1) * sw, (y - 1) * sh) {
        buf[2 * n] = data[(y - 1) * stride + x - 1];
        if first == total {
            first = 2 * n;
        }
    } else if first < total {
        buf[2 * n] = buf[2 * n - 1];
    }

    // Indices 2n+1 ..= 4n are p[0][-1] ..= p[2n-1][-1]: the top row. `pos`
    // is where the part not yet written starts.
    let mut pos = 2 * n + 1;
    if above_in {
        let row = (y - 1) * stride;
        let mut k = 0;
        while k < 2 * n {
            let xx = x + k;
            if xx >= plane.width {
                break;
            }
            if av.at(xx * sw, (y - 1) * sh) {
                let end = (xx + step_x).min(plane.width).min(x + 2 * n);
                let i0 = 2 * n + 1 + k;
                if first == total {
                    first = i0;
                } else if pos < i0 {
                    let v = buf[pos - 1];
                    buf[pos..i0].fill(v);
                }
                // A plain loop: the run is two or four samples, for which a
                // library copy is all call overhead.
                let i1 = i0 + (end - xx);
                for (o, &v) in buf[i0..i1].iter_mut().zip(&data[row + xx..row + end]) {
                    *o = v;
                }
                pos = i1;
            }
            k += step_x;
        }
    }
    if first == total {
        let mid = 1u16 << (bit_depth - 1);
        buf.fill(mid);
        return;
    }
    if pos < total {
        let v = buf[pos - 1];
        buf[pos..].fill(v);
    }
    if first > 0 {
        let v = buf[first];
        buf[..first].fill(v);
    }
}

/// `Dec::available` for the neighbours of one block, with the current
/// block's side (z-order index, CTB) derived once: a neighbour in the same CTB
/// needs only the z comparison.
///
/// Across CTBs the answer depends only on the neighbour's CTB (the tile scan
/// order, tile and slice of the two CTBs), and the walks pass through one
/// neighbouring CTB after another, so the last answer is kept. (Only for a
/// current block inside the picture, as the decoder's always is: outside it
/// `available_across` goes by the z-order index.)
struct Avail<'d, 'a> {
    d: &'d Dec<'a>,
    xc: usize,
    yc: usize,
    zc: u32,
    ctb: (usize, usize),
    inside: bool,
    last: (usize, usize, bool),
}

impl<'d, 'a> Avail<'d, 'a> {
    #[inline(always)]
    fn new(d: &'d Dec<'a>, xc: usize, yc: usize) -> Self {
        let l = d.geo.ctb_log2;
        Avail {
            d,
            xc,
            yc,
            zc: d.geo.z(xc, yc),
            ctb: (xc >> l, yc >> l),
            inside: xc < d.sps.width && yc < d.sps.height,
            last: (usize::MAX, usize::MAX, false),
        }
    }

    /// Whether the luma position `(xn, yn)` is available.
    #[inline(always)]
    fn at(&mut self, xn: usize, yn: usize) -> bool {
        let d = self.d;
        if xn >= d.sps.width || yn >= d.sps.height {
            return false;
        }
        let l = d.geo.ctb_log2;
        let c = (xn >> l, yn >> l);
        if c == self.ctb {
            return (xn <= self.xc && yn <= self.yc) || d.geo.z(xn, yn) <= self.zc;
        }
        if !self.inside {
            return d.available_across(self.xc, self.yc, xn, yn);
        }
        if c != (self.last.0, self.last.1) {
            self.last = (c.0, c.1, d.available_across(self.xc, self.yc, xn, yn));
        }
        self.last.2
    }
}
