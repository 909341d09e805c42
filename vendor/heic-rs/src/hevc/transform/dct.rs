//! Inverse DCT-II / DST-VII and transform-skip residual derivation,
//! ITU-T H.265 clause 8.6.4.2 ("Transformation process for scaled transform
//! coefficients") and the final bit-depth shift of clause 8.6.2.
//!
//! Written from the specification text alone. No code, table layout or
//! butterfly schedule was taken from any existing decoder. The matrices
//! themselves are built in `matrix`, which is the only place the standard's
//! tabulated cosine appears.

#[path = "dct_matrix.rs"]
mod matrix;

#[cfg(test)]
pub(crate) use matrix::{DCT_MATRIX, DST_MATRIX};
use matrix::{M4, M8, M16, M32, MDST};

use super::extent::extent;

/// Lower bound `coeffMin` on an intermediate transform coefficient (16 bit).
const COEFF_MIN: i32 = -32768;
/// Upper bound `coeffMax` on an intermediate transform coefficient (16 bit).
const COEFF_MAX: i32 = 32767;
/// Right shift applied between the two one-dimensional stages (clause 8.6.4.2).
const STAGE1_SHIFT: u32 = 7;
/// Lowest bit depth this module accepts; below it `bdShift` would be undefined.
const MIN_BIT_DEPTH: u8 = 8;
/// Highest bit depth this module accepts (H.265 range extensions cap).
const MAX_BIT_DEPTH: u8 = 16;

/// `Clip3(coeffMin, coeffMax, v)` of clause 5, written without `clamp` so that
/// the transform keeps no panicking path at all.
#[allow(clippy::manual_clamp)]
fn clip_coeff(v: i32) -> i32 {
    if v < COEFF_MIN {
        COEFF_MIN
    } else if v > COEFF_MAX {
        COEFF_MAX
    } else {
        v
    }
}

/// `bdShift` of clause 8.6.2, or `None` when the bit depth is out of range.
const fn bd_shift_of(bit_depth: u8) -> Option<u32> {
    if bit_depth >= MIN_BIT_DEPTH && bit_depth <= MAX_BIT_DEPTH {
        Some(20 - bit_depth as u32)
    } else {
        None
    }
}

/// One 1-D inverse transform by the full matrix: `out[i] = sum_j m[j][i] * src[j]`.
///
/// The sum index is the *row* of `m`, i.e. this multiplies by the transpose,
/// exactly as clause 8.6.4.2 writes it. Accumulating over `j` on the outside
/// keeps the inner loop a contiguous multiply-accumulate over two slices.
/// Only the 4-point DST-VII, whose matrix has no even/odd symmetry, uses it.
fn mul_1d<const N: usize>(m: &[[i32; N]; N], src: &[i32; N]) -> [i32; N] {
    let mut acc = [0i32; N];
    for (row, &c) in m.iter().zip(src) {
        for (a, &w) in acc.iter_mut().zip(row) {
            *a += w * c;
        }
    }
    acc
}

// The partial butterfly (UNBACK-PATCHES.md, patch 1).
//
// Row `k` of the `N`-point DCT matrix is even about its middle when `k` is even
// and odd when `k` is odd: `m[k][N-1-i] = (-1)^k m[k][i]` (the angle
// `k(2(N-1-i)+1)` is `2kN - k(2i+1)`). So for `i < N/2` the transpose product
// `out[i] = sum_k m[k][i] src[k]` splits into
//
//   E[i] = sum over even k of m[k][i] src[k],   O[i] = sum over odd k of m[k][i] src[k],
//   out[i] = E[i] + O[i],   out[N-1-i] = E[i] - O[i],
//
// and since the `N`-point matrix is the row sub-sampling of the 32-point one,
// `m_N[2k][i] = m_{N/2}[k][i]`: E is the `N/2`-point inverse transform of the
// even-indexed inputs. Only integer additions are regrouped. Every partial sum
// is a sum of a subset of the products the full matrix adds, so its magnitude
// stays under the full product's bound (94_371_840) and nothing can overflow:
// the result is the same integer, bit for bit.

/// Rows `1, 3, 5, ...` of the `N`-point matrix, left half: `ODD[k][i] = m[2k+1][i]`,
/// narrowed to `i16` (every entry is at most 90 in magnitude).
const fn odd_half<const N: usize, const H: usize>(m: &[[i32; N]; N]) -> [[i16; H]; H] {
    let mut o = [[0i16; H]; H];
    let mut k = 0;
    while k < H {
        let mut i = 0;
        while i < H {
            o[k][i] = m[2 * k + 1][i] as i16;
            i += 1;
        }
        k += 1;
    }
    o
}

const ODD8: [[i16; 4]; 4] = odd_half::<8, 4>(&M8);
const ODD16: [[i16; 8]; 8] = odd_half::<16, 8>(&M16);
const ODD32: [[i16; 16]; 16] = odd_half::<32, 16>(&M32);

/// A transform input: `i16` when the block is known to hold only 16-bit
/// values (always, for a conforming stream: clause 8.6.3 clips the scaled
/// coefficients and clause 8.6.4.2 the first stage's output to 16 bits), so
/// that the products are 16x16->32-bit multiplies, which SSE2 has
/// (`pmullw`/`pmulhw`) where it has no 32-bit one; `i32` otherwise. The
/// product is formed in `i32` either way, so both give the same integers.
trait Coeff: Copy + Default + Into<i32> + PartialEq {}
impl Coeff for i16 {}
impl Coeff for i32 {}

/// The odd part `O[i] = sum_k ODD[k][i] * odd[k]` over the first `terms` odd
/// inputs (the rest are zero and add nothing). A zero input is skipped, as the
/// full product did, which pays on the sparse large blocks.
#[inline(never)]
fn odd_part<const H: usize, T: Coeff>(o: &[[i16; H]; H], odd: &[T; H], terms: usize) -> [i32; H] {
    let mut acc = [0i32; H];
    for (row, &c) in o.iter().zip(odd).take(terms) {
        if c == T::default() {
            continue;
        }
        let c: i32 = c.into();
        for (a, &w) in acc.iter_mut().zip(row) {
            *a += i32::from(w) * c;
        }
    }
    acc
}

/// Joins the even and odd halves: `out[i] = E[i] + O[i]`, `out[N-1-i] = E[i] - O[i]`.
fn join<const H: usize, const N: usize>(e: &[i32; H], o: &[i32; H]) -> [i32; N] {
    let mut out = [0i32; N];
    for i in 0..H {
        out[i] = e[i] + o[i];
        out[N - 1 - i] = e[i] - o[i];
    }
    out
}

/// Splits the first `terms` inputs into the even- and odd-indexed halves and
/// how many of each may be non-zero.
fn split<const N: usize, const H: usize, T: Coeff>(
    src: &[T; N],
    terms: usize,
) -> ([T; H], [T; H], usize, usize) {
    let mut e = [T::default(); H];
    let mut o = [T::default(); H];
    for k in 0..H {
        e[k] = src[2 * k];
        o[k] = src[2 * k + 1];
    }
    let terms = core::cmp::min(terms, N);
    (e, o, terms.div_ceil(2), terms / 2)
}

/// 4-point inverse DCT-II. The even part is `64 * (s0 +- s2)` and the odd part
/// the 2x2 product of rows 1 and 3; the matrix entries are read from `M4`.
fn idct4<T: Coeff>(s: &[T; 4], _terms: usize) -> [i32; 4] {
    let [s0, s1, s2, s3]: [i32; 4] = [s[0].into(), s[1].into(), s[2].into(), s[3].into()];
    let e0 = M4[0][0] * s0 + M4[2][0] * s2;
    let e1 = M4[0][1] * s0 + M4[2][1] * s2;
    let o0 = M4[1][0] * s1 + M4[3][0] * s3;
    let o1 = M4[1][1] * s1 + M4[3][1] * s3;
    [e0 + o0, e1 + o1, e1 - o1, e0 - o0]
}

fn idct8<T: Coeff>(s: &[T; 8], terms: usize) -> [i32; 8] {
    let (e, o, te, to) = split::<8, 4, T>(s, terms);
    join(&idct4(&e, te), &odd_part(&ODD8, &o, to))
}

fn idct16<T: Coeff>(s: &[T; 16], terms: usize) -> [i32; 16] {
    let (e, o, te, to) = split::<16, 8, T>(s, terms);
    join(&idct8(&e, te), &odd_part(&ODD16, &o, to))
}

fn idct32<T: Coeff>(s: &[T; 32], terms: usize) -> [i32; 32] {
    let (e, o, te, to) = split::<32, 16, T>(s, terms);
    join(&idct16(&e, te), &odd_part(&ODD32, &o, to))
}

/// One `N`-point 1-D inverse transform, `out[i] = sum_j m[j][i] * src[j]`,
/// where `src[terms..]` is known to be zero.
trait Kernel<const N: usize> {
    /// `m[0][0]`, the flat first basis row's value, for the collapsed paths.
    const DC: i32;
    fn apply<T: Coeff>(src: &[T; N], terms: usize) -> [i32; N];
}

struct Dct;
struct Dst;

impl Kernel<4> for Dct {
    const DC: i32 = M4[0][0];
    fn apply<T: Coeff>(src: &[T; 4], terms: usize) -> [i32; 4] {
        idct4(src, terms)
    }
}
impl Kernel<8> for Dct {
    const DC: i32 = M8[0][0];
    fn apply<T: Coeff>(src: &[T; 8], terms: usize) -> [i32; 8] {
        idct8(src, terms)
    }
}
impl Kernel<16> for Dct {
    const DC: i32 = M16[0][0];
    fn apply<T: Coeff>(src: &[T; 16], terms: usize) -> [i32; 16] {
        idct16(src, terms)
    }
}
impl Kernel<32> for Dct {
    const DC: i32 = M32[0][0];
    fn apply<T: Coeff>(src: &[T; 32], terms: usize) -> [i32; 32] {
        idct32(src, terms)
    }
}
impl Kernel<4> for Dst {
    const DC: i32 = MDST[0][0];
    fn apply<T: Coeff>(src: &[T; 4], _terms: usize) -> [i32; 4] {
        mul_1d(&MDST, &src.map(Into::into))
    }
}

/// Whether every entry of `b` fits in 16 bits, so the first stage may take
/// `i16` inputs. A branch-free sweep that vectorises.
fn fits_i16(b: &[i32]) -> bool {
    b.iter()
        .fold(true, |ok, &v| ok & (v >= COEFF_MIN) & (v <= COEFF_MAX))
}

/// The two-dimensional inverse transform for one `N`x`N` block.
///
/// `block` is row-major with `d[x][y]` at `block[y * N + x]`; it is overwritten
/// with the residual `r[x][y]` at the same position.
///
/// With `BOUNDED` set, both stages sum only over the rectangle that holds the
/// non-zero coefficients. A 4x4 block is too small for the scan to pay for
/// itself, so it runs the full transform instead; the two give identical
/// results because the skipped terms are all zero. The collapsed one-row and
/// one-column paths rest on the DCT's flat first basis row and are only taken
/// with `BOUNDED`, which the DST never is.
fn two_stage<const N: usize, const BOUNDED: bool, K: Kernel<N>>(block: &mut [i32], bd_shift: u32) {
    let b = &mut block[..N * N];
    let (rows, cols) = if BOUNDED { extent(b, N) } else { (N, N) };
    let rnd = 1i32 << (bd_shift - 1);
    if BOUNDED && rows == 1 {
        // Only the first coefficient row is non-zero, so the column stage
        // gives every row of g the same values, m[0][y] * d[x] with m[0][y]
        // equal to m[0][0] for every y of the DCT. The row stage therefore
        // produces one residual row, repeated down the block.
        let mut g0 = [0i16; N];
        for (g, &c) in g0.iter_mut().zip(b.iter()).take(cols) {
            *g = clip_coeff((K::DC * c + (1 << (STAGE1_SHIFT - 1))) >> STAGE1_SHIFT) as i16;
        }
        let mut row = K::apply(&g0, cols);
        for v in row.iter_mut() {
            *v = (*v + rnd) >> bd_shift;
        }
        for out in b.chunks_exact_mut(N) {
            out.copy_from_slice(&row);
        }
        return;
    }
    // g[y][x], the clipped output of the column stage, which fits `i16` by
    // construction. Columns at or past `cols` have an all-zero source, so they
    // stay zero and are not computed; the second stage is then told to stop
    // summing there.
    let mut g = [[0i16; N]; N];
    if fits_i16(b) {
        column_stage::<N, K, i16>(b, rows, cols, &mut g, |v| v as i16);
    } else {
        column_stage::<N, K, i32>(b, rows, cols, &mut g, |v| v);
    }
    for y in 0..N {
        if BOUNDED && cols == 1 {
            // One column of g means every sample of row y is m[0][i] * g[y][0]
            // with m[0][i] flat across the DCT's first basis row.
            b[y * N..y * N + N].fill((K::DC * i32::from(g[y][0]) + rnd) >> bd_shift);
            continue;
        }
        let r = K::apply(&g[y], cols);
        for i in 0..N {
            b[y * N + i] = (r[i] + rnd) >> bd_shift;
        }
    }
}

/// The first (column) stage of [`two_stage`] over the `rows` x `cols`
/// rectangle, each input narrowed by `narrow` (lossless: see [`Coeff`]).
fn column_stage<const N: usize, K: Kernel<N>, T: Coeff>(
    b: &[i32],
    rows: usize,
    cols: usize,
    g: &mut [[i16; N]; N],
    narrow: impl Fn(i32) -> T,
) {
    let mut col = [T::default(); N];
    for x in 0..cols {
        for j in 0..rows {
            col[j] = narrow(b[j * N + x]);
        }
        let e = K::apply(&col, rows);
        for y in 0..N {
            g[y][x] = clip_coeff((e[y] + (1 << (STAGE1_SHIFT - 1))) >> STAGE1_SHIFT) as i16;
        }
    }
}

// Both stages on whole rows (UNBACK-PATCHES.md, patch 3).
//
// A 1-D stage computes `out[y][x] = sum_{j < rows} m[j][y] * src[j][x]` for
// every lane `x` of a row at once, so its multiply-accumulates run along
// contiguous memory and vectorise; the column stage reads the coefficient rows
// as they are and the row stage reads the transposed first-stage output. The
// sum over `j` is split by the same symmetries as the butterfly above, two
// levels deep: odd `j` (O), `j = 2 mod 4` (EO) and `j = 0 mod 4` (EE), with
//
//   E[y] = EE[y] + EO[y],  E[H-1-y] = EE[y] - EO[y]   (y < Q = N/4)
//   out[y] = E[y] + O[y],  out[N-1-y] = E[y] - O[y]   (y < H = N/2)
//
// Again only integer additions are regrouped, every partial sum is bounded by
// the full product's bound, and so the integers are the same.

/// Lanes processed together; the row widths used are rounded up to it.
const LANES: usize = 8;

/// `R` rows of `m` from `start` in steps of `step`, the first `C` entries of
/// each, narrowed to `i16` (every entry is at most 90 in magnitude).
const fn pick<const N: usize, const R: usize, const C: usize>(
    m: &[[i32; N]; N],
    start: usize,
    step: usize,
) -> [[i16; C]; R] {
    let mut o = [[0i16; C]; R];
    let mut k = 0;
    while k < R {
        let mut i = 0;
        while i < C {
            o[k][i] = m[start + step * k][i] as i16;
            i += 1;
        }
        k += 1;
    }
    o
}

/// The O, EO and EE weight tables of the `N`-point DCT.
struct Split<const N: usize, const H: usize, const Q: usize> {
    odd: [[i16; H]; H],
    eo: [[i16; Q]; Q],
    ee: [[i16; Q]; Q],
}

impl<const N: usize, const H: usize, const Q: usize> Split<N, H, Q> {
    const fn of(m: &[[i32; N]; N]) -> Self {
        Split {
            odd: pick::<N, H, H>(m, 1, 2),
            eo: pick::<N, Q, Q>(m, 2, 4),
            ee: pick::<N, Q, Q>(m, 0, 4),
        }
    }
}

const SPLIT8: Split<8, 4, 2> = Split::of(&M8);
const SPLIT16: Split<16, 8, 4> = Split::of(&M16);
const SPLIT32: Split<32, 16, 8> = Split::of(&M32);

/// `acc[y][..W] = sum over k < terms of tab[k][y] * src[first + step * k][..W]`.
/// With the width a constant, each output row's accumulator stays in registers.
#[inline(always)]
fn part<const N: usize, const R: usize, const W: usize, T: Coeff>(
    tab: &[[i16; R]; R],
    src: &[[T; N]; N],
    first: usize,
    step: usize,
    terms: usize,
    out: &mut [[i32; W]; R],
) {
    for (y, o) in out.iter_mut().enumerate() {
        let mut acc = [0i32; W];
        for (k, wt) in tab.iter().enumerate().take(terms) {
            let wt = i32::from(wt[y]);
            let s = &src[first + step * k];
            for x in 0..W {
                acc[x] += wt * s[x].into();
            }
        }
        *o = acc;
    }
}

/// One 1-D stage over whole rows: `out[y][x] = sum_{j < rows} m[j][y] * src[j][x]`
/// for `x < W` (at most `N`), by the split above. `emit(y, &out[y])` receives
/// each output row.
#[inline(never)]
fn rows_stage<const N: usize, const H: usize, const Q: usize, const W: usize, T: Coeff>(
    t: &Split<N, H, Q>,
    src: &[[T; N]; N],
    rows: usize,
    mut emit: impl FnMut(usize, &[i32; W]),
) {
    let mut o = [[0i32; W]; H];
    let mut eo = [[0i32; W]; Q];
    let mut ee = [[0i32; W]; Q];
    // j = 1, 3, ... < rows; j = 2, 6, ... < rows; j = 0, 4, ... < rows.
    part(&t.odd, src, 1, 2, rows / 2, &mut o);
    part(&t.eo, src, 2, 4, (rows + 1) / 4, &mut eo);
    part(&t.ee, src, 0, 4, (rows + 3) / 4, &mut ee);
    let mut row = [0i32; W];
    for y in 0..Q {
        for (hi, lo) in [(false, y), (true, H - 1 - y)] {
            // E for row `lo` of the H-point half.
            let mut e = [0i32; W];
            for x in 0..W {
                e[x] = if hi {
                    ee[y][x] - eo[y][x]
                } else {
                    ee[y][x] + eo[y][x]
                };
            }
            for x in 0..W {
                row[x] = e[x] + o[lo][x];
            }
            emit(lo, &row);
            for x in 0..W {
                row[x] = e[x] - o[lo][x];
            }
            emit(N - 1 - lo, &row);
        }
    }
}

/// The two-dimensional DCT of an `N`x`N` block (8, 16 or 32) by [`rows_stage`],
/// for a block whose non-zero coefficients span `rows` x `cols` with both at
/// least 2 (the one-row and one-column blocks take [`two_stage`]'s shortcuts).
fn two_stage_rows<const N: usize, const H: usize, const Q: usize, T: Coeff>(
    t: &Split<N, H, Q>,
    b: &mut [i32],
    rows: usize,
    cols: usize,
    bd_shift: u32,
    narrow: impl Fn(i32) -> T,
) {
    let w1 = cols.div_ceil(LANES) * LANES;
    let mut src = [[T::default(); N]; N];
    for (s, r) in src.iter_mut().zip(b.chunks_exact(N)).take(rows) {
        for (d, &v) in s.iter_mut().zip(r).take(w1) {
            *d = narrow(v);
        }
    }
    // gt[x][y] = g[y][x], the clipped first-stage output, transposed so that
    // the row stage can read it by rows too. Rows x >= cols stay zero.
    let mut gt = [[0i16; N]; N];
    let clip = |v: i32| clip_coeff((v + (1 << (STAGE1_SHIFT - 1))) >> STAGE1_SHIFT) as i16;
    // The first stage only needs the lanes up to `cols`, rounded up to LANES.
    match w1 {
        8 => rows_stage::<N, H, Q, 8, T>(t, &src, rows, |y, out| {
            for (g, &v) in gt.iter_mut().zip(out).take(cols) {
                g[y] = clip(v);
            }
        }),
        16 if N >= 16 => rows_stage::<N, H, Q, 16, T>(t, &src, rows, |y, out| {
            for (g, &v) in gt.iter_mut().zip(out).take(cols) {
                g[y] = clip(v);
            }
        }),
        _ => rows_stage::<N, H, Q, N, T>(t, &src, rows, |y, out| {
            for (g, &v) in gt.iter_mut().zip(out).take(cols) {
                g[y] = clip(v);
            }
        }),
    }
    let rnd = 1i32 << (bd_shift - 1);
    rows_stage::<N, H, Q, N, i16>(t, &gt, cols, |i, out| {
        for (y, &v) in out.iter().enumerate() {
            b[y * N + i] = (v + rnd) >> bd_shift;
        }
    });
}

/// Picks the row-wise tables for `N`.
trait RowsDct<const N: usize> {
    fn run(b: &mut [i32], rows: usize, cols: usize, bd_shift: u32);
}

impl RowsDct<8> for Dct {
    fn run(b: &mut [i32], rows: usize, cols: usize, bd_shift: u32) {
        rows_any(&SPLIT8, b, rows, cols, bd_shift);
    }
}
impl RowsDct<16> for Dct {
    fn run(b: &mut [i32], rows: usize, cols: usize, bd_shift: u32) {
        rows_any(&SPLIT16, b, rows, cols, bd_shift);
    }
}
impl RowsDct<32> for Dct {
    fn run(b: &mut [i32], rows: usize, cols: usize, bd_shift: u32) {
        rows_any(&SPLIT32, b, rows, cols, bd_shift);
    }
}

/// [`two_stage_rows`] on `i16` inputs when the block fits 16 bits, else `i32`.
fn rows_any<const N: usize, const H: usize, const Q: usize>(
    t: &Split<N, H, Q>,
    b: &mut [i32],
    rows: usize,
    cols: usize,
    bd_shift: u32,
) {
    if fits_i16(&b[..N * N]) {
        two_stage_rows::<N, H, Q, i16>(t, b, rows, cols, bd_shift, |v| v as i16);
    } else {
        two_stage_rows::<N, H, Q, i32>(t, b, rows, cols, bd_shift, |v| v);
    }
}

/// The bounded DCT of an `N`x`N` block: the one-row and one-column shortcuts
/// of [`two_stage`], and [`two_stage_rows`] for everything else.
fn two_stage_bounded<const N: usize>(block: &mut [i32], bd_shift: u32)
where
    Dct: Kernel<N> + RowsDct<N>,
{
    let b = &mut block[..N * N];
    let (rows, cols) = extent(b, N);
    if rows <= 1 || cols <= 1 {
        two_stage::<N, true, Dct>(b, bd_shift);
    } else {
        <Dct as RowsDct<N>>::run(b, rows, cols, bd_shift);
    }
}

/// Applies the two-dimensional inverse transform in place (clause 8.6.4.2)
/// followed by the final `bdShift` of clause 8.6.2.
///
/// `block` holds the scaled transform coefficients d[x][y] at
/// `block[y * n + x]` and receives the residual samples r[x][y].
/// `tr_type` is 0 for DCT-II and 1 for the 4x4 DST-VII.
///
/// `block` is left untouched when `n` is not 4, 8, 16 or 32, when `tr_type` is
/// 1 and `n` is not 4, when `bit_depth` is outside 8..=16, or when `block` is
/// shorter than `n * n`.
pub fn inverse_transform(block: &mut [i32], n: usize, tr_type: u8, bit_depth: u8) {
    let bd_shift = match bd_shift_of(bit_depth) {
        Some(s) => s,
        None => return,
    };
    match (tr_type, n) {
        (1, 4) if block.len() >= 16 => two_stage::<4, false, Dst>(block, bd_shift),
        (0, 4) if block.len() >= 16 => two_stage::<4, false, Dct>(block, bd_shift),
        (0, 8) if block.len() >= 64 => two_stage_bounded::<8>(block, bd_shift),
        (0, 16) if block.len() >= 256 => two_stage_bounded::<16>(block, bd_shift),
        (0, 32) if block.len() >= 1024 => two_stage_bounded::<32>(block, bd_shift),
        _ => {}
    }
}

/// Transform-skip residual derivation (clause 8.6.2) for one block.
///
/// `block` holds d[x][y] and receives r[x][y]. `rotate` is
/// `transform_skip_rotation_enabled_flag` (always false for Main profiles).
///
/// `block` is left untouched when `n` is not 4, 8, 16 or 32, when `bit_depth`
/// is outside 8..=16, or when `block` is shorter than `n * n`.
pub fn transform_skip(block: &mut [i32], n: usize, bit_depth: u8, rotate: bool) {
    let log2_n: u32 = match n {
        4 => 2,
        8 => 3,
        16 => 4,
        32 => 5,
        _ => return,
    };
    let bd_shift = match bd_shift_of(bit_depth) {
        Some(s) => s,
        None => return,
    };
    if block.len() < n * n {
        return;
    }
    let b = &mut block[..n * n];
    // Reading d[n-1-x][n-1-y] into r[x][y] is exactly a reversal of the
    // row-major block, since (n-1-y) * n + (n-1-x) == n * n - 1 - (y * n + x).
    if rotate {
        b.reverse();
    }
    let ts_shift = 5 + log2_n;
    let rnd = 1i32 << (bd_shift - 1);
    for v in b.iter_mut() {
        *v = ((*v << ts_shift) + rnd) >> bd_shift;
    }
}

#[cfg(test)]
#[path = "dct_ref.rs"]
mod reference;

#[cfg(test)]
#[path = "dct_v014.rs"]
mod v014;

#[cfg(test)]
#[path = "dct_tests.rs"]
mod tests;
