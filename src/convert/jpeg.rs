//! A baseline JPEG encoder (ITU-T T.81) for the one shape the conversion writes: 8-bit YCbCr
//! planes with the chroma halved both ways (4:2:0), read as they lie in memory, through a
//! signed stride when the picture is to be turned upright on the way.
//!
//! Why not `jpeg-encoder` for this path: it takes pixels a row at a time into its own buffers
//! (every chroma sample twice, for it to subsample again), then quantises each coefficient with
//! a scalar integer multiply, shift and sign fix-up: on the eight real iPhone samples that
//! quantisation alone was about 7% of the whole HEIC→JPEG conversion, and the encoder 19%.
//! Here each 8×8 block is read straight from its plane, transformed with the float AAN DCT on
//! eight lanes at a time (shapes LLVM vectorises for baseline x86-64), quantised by one
//! multiply-and-round per coefficient with the DCT's scale folded into the divisors (as
//! libjpeg's float path does), and entropy-coded by walking a bit mask of the non-zero
//! coefficients instead of testing all 63. Reading through a stride also replaces the separate
//! pass that turned the planes for a mirror or a half turn (`irot`/`imir`); a quarter-turned
//! picture is turned first (see `ycc::planes` for why).
//!
//! Output: SOI, JFIF APP0, the caller's APPn segments in order, DQT, SOF0, DHT, SOS, the scan,
//! EOI; Annex K's quantisation tables scaled by quality as libjpeg scales them, and its typical
//! Huffman tables (what Pillow writes by default), so any JPEG reader opens it.
//! `jpeg-encoder` still writes the RGB fallback and the thumbnails.

use super::orient::Strides;

/// One plane seen as the upright picture: output sample `(x, y)` is
/// `data[base + x·sx + y·sy]`. A signed permutation of the axes (a turn or a mirror) is exactly
/// such a map, so one loop reads every orientation.
#[derive(Debug, Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [u8],
    /// Size of the upright picture.
    pub width: usize,
    pub height: usize,
    pub base: isize,
    pub sx: isize,
    pub sy: isize,
}

impl<'a> View<'a> {
    /// A stored plane read through the strides of its turn.
    pub fn through(data: &'a [u8], s: Strides) -> View<'a> {
        View {
            data,
            width: s.width,
            height: s.height,
            base: s.base,
            sx: s.sx,
            sy: s.sy,
        }
    }

    /// A plane already upright, `width` samples per row.
    #[cfg(test)]
    pub fn upright(data: &'a [u8], width: usize, height: usize) -> View<'a> {
        View {
            data,
            width,
            height,
            base: 0,
            sx: 1,
            sy: width as isize,
        }
    }

    /// Whether every output sample maps inside `data`: checked at the four corners, which is
    /// enough because the map is affine.
    fn fits(&self) -> bool {
        if self.width == 0 || self.height == 0 {
            return false;
        }
        let (w, h) = (self.width as isize - 1, self.height as isize - 1);
        [(0, 0), (w, 0), (0, h), (w, h)].iter().all(|&(x, y)| {
            let i = self.base + x * self.sx + y * self.sy;
            i >= 0 && (i as usize) < self.data.len()
        })
    }

    /// The 8×8 block whose top-left output sample is `(bx, by)`, level-shifted, in rows.
    /// Past the right or bottom edge the last column or row is repeated (what libjpeg pads
    /// with), so the padding costs the fewest bits and decoders crop it away.
    #[inline(always)]
    fn block(&self, bx: usize, by: usize, out: &mut [[f32; 8]; 8]) {
        let mut bytes = [[128u8; 8]; 8];
        let inside = bx + 8 <= self.width && by + 8 <= self.height;
        let at = |x: usize, y: usize| self.base + x as isize * self.sx + y as isize * self.sy;
        // Eight bytes that lie in a row of the stored plane, from `start` forwards or backwards.
        let run = |start: isize, step: isize, out: &mut [u8; 8]| {
            let first = if step == 1 { start } else { start - 7 };
            // `fits` checked the corners; the fallback only keeps a bug from panicking.
            if let Some(src) = usize::try_from(first)
                .ok()
                .and_then(|i| self.data.get(i..i + 8))
            {
                out.copy_from_slice(src);
                if step == -1 {
                    out.reverse();
                }
            }
        };
        match (inside, self.sx, self.sy) {
            // Upright or mirrored left-right: each block row is a stored row.
            (true, 1 | -1, _) => {
                for (r, row) in bytes.iter_mut().enumerate() {
                    run(at(bx, by + r), self.sx, row);
                }
            }
            _ => self.gather(bx, by, &mut bytes),
        }
        // Apart from the gathers, one pass over 64 bytes: widened and converted eight lanes at
        // a time.
        for (d, &s) in out.as_flattened_mut().iter_mut().zip(bytes.as_flattened()) {
            *d = f32::from(i16::from(s) - 128);
        }
    }

    /// A block through the strides of a quarter turn (the caller turns those planes first, so
    /// only tests come here), or one crossing the picture's edge.
    #[inline(never)]
    fn gather(&self, bx: usize, by: usize, bytes: &mut [[u8; 8]; 8]) {
        for (r, row) in bytes.iter_mut().enumerate() {
            let y = (by + r).min(self.height - 1) as isize;
            let o = self.base + y * self.sy;
            for (c, d) in row.iter_mut().enumerate() {
                let x = (bx + c).min(self.width - 1) as isize;
                if let Some(&s) = usize::try_from(o + x * self.sx)
                    .ok()
                    .and_then(|i| self.data.get(i))
                {
                    *d = s;
                }
            }
        }
    }
}

/// Zig-zag position → natural (row-major) index (T.81 figure A.6).
const ZIGZAG: [u8; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/// Annex K.1 quantisation tables, natural order.
const LUMA_Q: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113,
    92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const CHROMA_Q: [u16; 64] = {
    let mut t = [99u16; 64];
    let head: [[u16; 4]; 4] = [
        [17, 18, 24, 47],
        [18, 21, 26, 66],
        [24, 26, 56, 99],
        [47, 66, 99, 99],
    ];
    let mut r = 0;
    while r < 4 {
        let mut c = 0;
        while c < 4 {
            t[r * 8 + c] = head[r][c];
            c += 1;
        }
        r += 1;
    }
    t
};

/// Annex K.3 typical Huffman tables: code counts per length 1–16, then the symbols.
const DC_LUMA: ([u8; 16], &[u8]) = (
    [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0],
    &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
);
const DC_CHROMA: ([u8; 16], &[u8]) = (
    [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0],
    &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
);
const AC_LUMA: ([u8; 16], &[u8]) = (
    [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
    &[
        0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61,
        0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52,
        0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25,
        0x26, 0x27, 0x28, 0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45,
        0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
        0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83,
        0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99,
        0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
        0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3,
        0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
        0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ],
);
const AC_CHROMA: ([u8; 16], &[u8]) = (
    [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
    &[
        0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
        0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
        0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18,
        0x19, 0x1a, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44,
        0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
        0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a,
        0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
        0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
        0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca,
        0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
        0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
    ],
);

/// A table as the scan writes it: code and length per symbol (T.81 Annex C).
struct Huffman {
    code: [u16; 256],
    len: [u8; 256],
}

impl Huffman {
    fn new((counts, symbols): &([u8; 16], &[u8])) -> Huffman {
        let mut h = Huffman {
            code: [0; 256],
            len: [0; 256],
        };
        let (mut code, mut k) = (0u16, 0usize);
        for (i, &n) in counts.iter().enumerate() {
            for _ in 0..n {
                h.code[usize::from(symbols[k])] = code;
                h.len[usize::from(symbols[k])] = i as u8 + 1;
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        h
    }
}

/// Annex K's table scaled for `quality` exactly as libjpeg's `jpeg_quality_scaling` and
/// `jpeg_add_quant_table` (baseline: at most 255), natural order.
fn scaled(base: &[u16; 64], quality: u8) -> [u8; 64] {
    let q = u32::from(quality.clamp(1, 100));
    let scale = if q < 50 { 5000 / q } else { 200 - 2 * q };
    let mut out = [0u8; 64];
    for (o, &b) in out.iter_mut().zip(base) {
        *o = ((u32::from(b) * scale + 50) / 100).clamp(1, 255) as u8;
    }
    out
}

/// The multipliers that turn the AAN DCT's output into quantised coefficients, in the
/// transposed order [`fdct`] leaves them in: `1 / (q · s(u) · s(v) · 8)` with
/// `s(0) = 1`, `s(k) = √2·cos(kπ/16)` (libjpeg's `jcdctmgr.c`, float method).
fn divisors(q: &[u8; 64]) -> [f32; 64] {
    let s = |k: usize| {
        if k == 0 {
            1.0
        } else {
            std::f64::consts::SQRT_2 * (k as f64 * std::f64::consts::PI / 16.0).cos()
        }
    };
    let mut d = [0f32; 64];
    for u in 0..8 {
        for v in 0..8 {
            // Stored at [u][v]: horizontal frequency u, vertical v; natural index v·8 + u.
            d[u * 8 + v] = (1.0 / (f64::from(q[v * 8 + u]) * s(u) * s(v) * 8.0)) as f32;
        }
    }
    d
}

/// The one-dimensional AAN forward DCT (libjpeg `jfdctflt.c`) down the columns of `d`, on
/// all eight columns at once: every statement is an operation on eight lanes.
#[inline(always)]
// Indexing by lane keeps the eight rows as eight vectors; an iterator would pick one row.
#[allow(clippy::needless_range_loop)]
fn dct_columns(d: &mut [[f32; 8]; 8]) {
    for x in 0..8 {
        let t0 = d[0][x] + d[7][x];
        let t7 = d[0][x] - d[7][x];
        let t1 = d[1][x] + d[6][x];
        let t6 = d[1][x] - d[6][x];
        let t2 = d[2][x] + d[5][x];
        let t5 = d[2][x] - d[5][x];
        let t3 = d[3][x] + d[4][x];
        let t4 = d[3][x] - d[4][x];

        let t10 = t0 + t3;
        let t13 = t0 - t3;
        let t11 = t1 + t2;
        let t12 = t1 - t2;
        d[0][x] = t10 + t11;
        d[4][x] = t10 - t11;
        let z1 = (t12 + t13) * 0.707_106_77;
        d[2][x] = t13 + z1;
        d[6][x] = t13 - z1;

        let t10 = t4 + t5;
        let t11 = t5 + t6;
        let t12 = t6 + t7;
        let z5 = (t10 - t12) * 0.382_683_43;
        let z2 = 0.541_196_1 * t10 + z5;
        let z4 = 1.306_563 * t12 + z5;
        let z3 = t11 * 0.707_106_77;
        let z11 = t7 + z3;
        let z13 = t7 - z3;
        d[5][x] = z13 + z2;
        d[3][x] = z13 - z2;
        d[1][x] = z11 + z4;
        d[7][x] = z11 - z4;
    }
}

/// The 2-D DCT: columns, transpose, columns again. The result is at `[u][v]` (horizontal
/// frequency first), which [`divisors`] and the scan order account for, so no second transpose.
#[inline(always)]
fn fdct(d: &mut [[f32; 8]; 8]) {
    dct_columns(d);
    let mut t = [[0f32; 8]; 8];
    for (y, row) in d.iter().enumerate() {
        for (x, &v) in row.iter().enumerate() {
            t[x][y] = v;
        }
    }
    dct_columns(&mut t);
    *d = t;
}

/// Round to nearest and clamp to what a baseline coefficient may hold: 10 bits for AC; the DC
/// of 8-bit samples is within −1024..=1016, so any two differ by at most the 11 bits a DC
/// difference may take. Adding 1.5·2²³ leaves the rounded integer in the low mantissa bits:
/// one add and one subtract per lane, where `round()` is a library call without SSE4.1.
#[inline(always)]
fn quantise(d: &[[f32; 8]; 8], div: &[f32; 64], out: &mut [i16; 64]) {
    const MAGIC: f32 = 12_582_912.0;
    let round = |v: f32, k: f32| ((v * k + MAGIC).to_bits() as i32).wrapping_sub(0x4B40_0000);
    for ((o, &v), &k) in out.iter_mut().zip(d.as_flattened()).zip(div) {
        *o = round(v, k).clamp(-1023, 1023) as i16;
    }
    out[0] = round(d[0][0], div[0]).clamp(-1024, 1023) as i16;
}

/// The entropy-coded scan, with the byte stuffing of T.81 B.1.1.5.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    /// Bits in `acc` not yet written; always < 32 between calls.
    n: u32,
}

impl Bits {
    #[inline(always)]
    fn put(&mut self, code: u32, len: u32) {
        // n < 32 and len ≤ 27 (a 16-bit code and an 11-bit magnitude): it fits in 64.
        self.acc = (self.acc << len) | u64::from(code);
        self.n += len;
        if self.n >= 32 {
            self.n -= 32;
            let word = (self.acc >> self.n) as u32;
            // A byte of 0xFF must be followed by a stuffed 0x00; most words have none. The
            // test is exact: a byte's top bit survives `b & !(b + 1 + carry)` only for 0xFF
            // (0xFF + 1 + carry wraps below 0x80; any other byte with its top bit set keeps
            // it), and only 0xFF carries into the next byte.
            if (word & 0x8080_8080 & !word.wrapping_add(0x0101_0101)) == 0 {
                self.out.extend_from_slice(&word.to_be_bytes());
            } else {
                for b in word.to_be_bytes() {
                    self.out.push(b);
                    if b == 0xFF {
                        self.out.push(0);
                    }
                }
            }
        }
    }

    /// Pads the last byte with 1 bits (T.81 F.1.2.3).
    fn finish(mut self) -> Vec<u8> {
        let pad = (8 - self.n % 8) % 8;
        if pad > 0 {
            self.put((1 << pad) - 1, pad);
        }
        let word = self.acc & ((1u64 << self.n) - 1);
        for i in (0..self.n / 8).rev() {
            let b = (word >> (i * 8)) as u8;
            self.out.push(b);
            if b == 0xFF {
                self.out.push(0);
            }
        }
        self.out
    }
}

/// Magnitude category and the bits that follow the Huffman code (T.81 F.1.2.1).
#[inline(always)]
fn category(v: i32) -> (u32, u32) {
    let a = v.unsigned_abs();
    let n = 32 - a.leading_zeros();
    // Negative values are sent as v − 1 in n bits (one's complement of |v|).
    let bits = (v + (v >> 31)) as u32 & ((1u32 << n) - 1);
    (n, bits)
}

struct Component<'a> {
    view: View<'a>,
    div: [f32; 64],
    dc: Huffman,
    ac: Huffman,
    prev_dc: i32,
}

/// Scan order over the transposed coefficients `fdct` and `quantise` leave.
const SCAN: [u8; 64] = {
    let mut s = [0u8; 64];
    let mut k = 0;
    while k < 64 {
        let nat = ZIGZAG[k] as usize;
        s[k] = ((nat % 8) * 8 + nat / 8) as u8;
        k += 1;
    }
    s
};

impl Component<'_> {
    // Not inlined: six copies of it (four luma blocks, two chroma) cost more in instruction
    // cache than the call.
    #[inline(never)]
    fn encode_block(&mut self, bx: usize, by: usize, bits: &mut Bits) {
        let mut d = [[0f32; 8]; 8];
        self.view.block(bx, by, &mut d);
        fdct(&mut d);
        let mut q = [0i16; 64];
        quantise(&d, &self.div, &mut q);

        // Zig-zag order, then a bit per non-zero coefficient: the gather is plain moves, the
        // flags are one vector compare, and each eight flag bytes become eight mask bits by
        // one multiply (byte i's low bit lands on bit 56 + i).
        let mut zz = [0i16; 64];
        for (z, &s) in zz.iter_mut().zip(&SCAN) {
            *z = q[usize::from(s) & 63];
        }
        let mut nz = [0u8; 64];
        for (f, &v) in nz.iter_mut().zip(&zz) {
            *f = u8::from(v != 0);
        }
        let mut mask = 0u64;
        for (i, c) in nz.chunks_exact(8).enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            let bits = u64::from_le_bytes(w).wrapping_mul(0x0102_0408_1020_4080) >> 56;
            mask |= bits << (8 * i);
        }
        // The DC coefficient is coded on its own.
        mask &= !1;

        let dc = i32::from(q[0]);
        let (n, b) = category(dc - self.prev_dc);
        self.prev_dc = dc;
        let (code, len) = (self.dc.code[n as usize], self.dc.len[n as usize]);
        bits.put((u32::from(code) << n) | b, u32::from(len) + n);

        let mut last = 0u32;
        while mask != 0 {
            let k = mask.trailing_zeros();
            mask &= mask - 1;
            let mut run = k - last - 1;
            while run >= 16 {
                bits.put(u32::from(self.ac.code[0xF0]), u32::from(self.ac.len[0xF0]));
                run -= 16;
            }
            let (n, b) = category(i32::from(zz[k as usize]));
            let sym = ((run << 4) | n) as usize & 0xFF;
            let (code, len) = (self.ac.code[sym], self.ac.len[sym]);
            bits.put((u32::from(code) << n) | b, u32::from(len) + n);
            last = k;
        }
        if last != 63 {
            bits.put(u32::from(self.ac.code[0]), u32::from(self.ac.len[0]));
        }
    }
}

/// Why [`encode_420`] refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// A side is 0 or above 65,535, or a view does not fit its plane, or the chroma views are
    /// not half the luma's size.
    Size,
    /// An APPn segment longer than a segment holds (65,533 bytes).
    Segment,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Refused::Size => "the YCbCr planes do not match the picture's size",
            Refused::Segment => "a metadata segment is longer than a JPEG segment holds",
        })
    }
}

/// Encode a 4:2:0 picture: `y` at full size, `cb` and `cr` at half size rounded up, with the
/// APPn segments `(n, payload)` written in order after JFIF's APP0.
pub fn encode_420(
    y: View<'_>,
    cb: View<'_>,
    cr: View<'_>,
    quality: u8,
    segments: &[(u8, &[u8])],
    capacity: usize,
) -> Result<Vec<u8>, Refused> {
    let (w, h) = (y.width, y.height);
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(Refused::Size);
    };
    let half = (w.div_ceil(2), h.div_ceil(2));
    if !(y.fits() && cb.fits() && cr.fits())
        || (cb.width, cb.height) != half
        || (cr.width, cr.height) != half
    {
        return Err(Refused::Size);
    }
    let mut out = Vec::with_capacity(capacity.max(1024));
    out.extend_from_slice(&[0xFF, 0xD8]);
    let segment = |out: &mut Vec<u8>, marker: u8, payload: &[u8]| -> Result<(), Refused> {
        let len = u16::try_from(payload.len() + 2).map_err(|_| Refused::Segment)?;
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(payload);
        Ok(())
    };
    // JFIF 1.01, no density (aspect ratio 1:1).
    segment(
        &mut out,
        0xE0,
        b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00",
    )?;
    for &(n, payload) in segments {
        segment(&mut out, 0xE0 | (n & 15), payload)?;
    }
    let (ql, qc) = (scaled(&LUMA_Q, quality), scaled(&CHROMA_Q, quality));
    let mut dqt = Vec::with_capacity(130);
    for (id, q) in [(0u8, &ql), (1, &qc)] {
        dqt.push(id);
        dqt.extend(ZIGZAG.iter().map(|&i| q[usize::from(i)]));
    }
    segment(&mut out, 0xDB, &dqt)?;
    let [wh, wl] = w16.to_be_bytes();
    let [hh, hl] = h16.to_be_bytes();
    // Y 2×2 with table 0; Cb, Cr 1×1 with table 1.
    segment(
        &mut out,
        0xC0,
        &[8, hh, hl, wh, wl, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1],
    )?;
    let mut dht = Vec::with_capacity(420);
    for (class_id, (counts, symbols)) in [
        (0x00u8, DC_LUMA),
        (0x10, AC_LUMA),
        (0x01, DC_CHROMA),
        (0x11, AC_CHROMA),
    ] {
        dht.push(class_id);
        dht.extend_from_slice(&counts);
        dht.extend_from_slice(symbols);
    }
    segment(&mut out, 0xC4, &dht)?;
    segment(&mut out, 0xDA, &[3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0])?;

    let component = |view, q: &[u8; 64], dc, ac| Component {
        view,
        div: divisors(q),
        dc: Huffman::new(dc),
        ac: Huffman::new(ac),
        prev_dc: 0,
    };
    let mut cy = component(y, &ql, &DC_LUMA, &AC_LUMA);
    let mut ccb = component(cb, &qc, &DC_CHROMA, &AC_CHROMA);
    let mut ccr = component(cr, &qc, &DC_CHROMA, &AC_CHROMA);
    let mut bits = Bits { out, acc: 0, n: 0 };
    for my in 0..h.div_ceil(16) {
        for mx in 0..w.div_ceil(16) {
            let (x, y) = (mx * 16, my * 16);
            cy.encode_block(x, y, &mut bits);
            cy.encode_block(x + 8, y, &mut bits);
            cy.encode_block(x, y + 8, &mut bits);
            cy.encode_block(x + 8, y + 8, &mut bits);
            ccb.encode_block(mx * 8, my * 8, &mut bits);
            ccr.encode_block(mx * 8, my * 8, &mut bits);
        }
    }
    let mut out = bits.finish();
    out.extend_from_slice(&[0xFF, 0xD9]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jpeg_decoder::Decoder;

    /// A picture with edges, gradients and noise, so every coefficient range is used.
    fn plane(w: usize, h: usize, seed: u32) -> Vec<u8> {
        let mut s = seed;
        (0..w * h)
            .map(|i| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let (x, y) = (i % w, i / w);
                let base =
                    (x * 255 / w.max(1)) as i32 + if (x / 7 + y / 5) % 2 == 0 { 40 } else { -40 };
                (base + (s >> 28) as i32 - 8).clamp(0, 255) as u8
            })
            .collect()
    }

    /// Decoded by jpeg-decoder to RGB (its no-conversion output is not usable in 0.3).
    fn decode_rgb(jpeg: &[u8]) -> (usize, usize, Vec<u8>) {
        let mut d = Decoder::new(jpeg);
        let px = d.decode().expect("a valid JPEG");
        let info = d.info().unwrap();
        (usize::from(info.width), usize::from(info.height), px)
    }

    fn psnr(a: &[u8], b: &[u8]) -> f64 {
        assert_eq!(a.len(), b.len());
        let mse = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum::<f64>()
            / a.len() as f64;
        10.0 * (255.0 * 255.0 / mse.max(1e-9)).log10()
    }

    fn encode(y: &[u8], cb: &[u8], cr: &[u8], w: usize, h: usize, q: u8) -> Vec<u8> {
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        encode_420(
            View::upright(y, w, h),
            View::upright(cb, cw, ch),
            View::upright(cr, cw, ch),
            q,
            &[(1, b"Exif\0\0MM\0*"), (2, b"ICC_PROFILE\0\x01\x01")],
            0,
        )
        .unwrap()
    }

    /// Every size class at the edges of the 16×16 MCU, read back by an independent decoder:
    /// the size, the segments in order, and the samples close to what went in. Luma is checked
    /// with neutral chroma (then R = G = B = Y), chroma with flat luma and a smooth Cb, through
    /// the JFIF conversion B = Y + 1.772·(Cb − 128).
    #[test]
    fn a_reader_gets_the_planes_back() {
        for (w, h) in [
            (1usize, 1usize),
            (7, 3),
            (16, 16),
            (17, 33),
            (64, 48),
            (203, 101),
        ] {
            let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
            let y = plane(w, h, 1);
            let grey = vec![128u8; cw * ch];
            let jpeg = encode(&y, &grey, &grey, w, h, 95);
            assert_eq!(&jpeg[..4], &[0xFF, 0xD8, 0xFF, 0xE0]);
            let exif = jpeg.windows(4).position(|s| s == b"Exif").unwrap();
            let icc = jpeg.windows(4).position(|s| s == b"ICC_").unwrap();
            assert!(exif < icc, "APPn segments keep their order");
            let (dw, dh, px) = decode_rgb(&jpeg);
            assert_eq!((dw, dh), (w, h));
            let red: Vec<u8> = px.chunks_exact(3).map(|p| p[0]).collect();
            let db = psnr(&red, &y);
            assert!(db > 36.0, "{w}x{h}: luma {db:.2} dB");

            let cb: Vec<u8> = (0..cw * ch)
                .map(|i| (100 + (i % cw) * 50 / cw + (i / cw) * 20 / ch) as u8)
                .collect();
            let flat = vec![128u8; w * h];
            let (_, _, px) = decode_rgb(&encode(&flat, &cb, &grey, w, h, 95));
            let blue: Vec<u8> = px.chunks_exact(3).map(|p| p[2]).collect();
            let want: Vec<u8> = (0..w * h)
                .map(|i| {
                    let c = f64::from(cb[(i / w / 2) * cw + (i % w) / 2]);
                    (128.0 + 1.772 * (c - 128.0)).round().clamp(0.0, 255.0) as u8
                })
                .collect();
            let db = psnr(&blue, &want);
            assert!(db > 30.0, "{w}x{h}: Cb {db:.2} dB");
        }
    }

    /// Quality 100 (every divisor 1): what comes back is within the DCT's rounding.
    #[test]
    fn quality_100_is_nearly_lossless() {
        let (w, h) = (48, 32);
        let (y, c) = (plane(w, h, 9), vec![128u8; 24 * 16]);
        let (_, _, px) = decode_rgb(&encode(&y, &c, &c, w, h, 100));
        let worst = px
            .chunks_exact(3)
            .zip(&y)
            .map(|(p, &v)| (i32::from(p[1]) - i32::from(v)).abs())
            .max()
            .unwrap();
        assert!(worst <= 2, "largest luma error {worst}");
    }

    /// The DC of a black block is −1024, one past what an AC coefficient may hold, and is kept;
    /// black and white come back exactly at quality 100.
    #[test]
    fn a_black_block_keeps_its_dc() {
        let p = vec![0u8; 64];
        let mut d = [[0f32; 8]; 8];
        View::upright(&p, 8, 8).block(0, 0, &mut d);
        fdct(&mut d);
        let mut q = [0i16; 64];
        quantise(&d, &divisors(&scaled(&LUMA_Q, 100)), &mut q);
        assert_eq!(q[0], -1024);
        assert!(q[1..].iter().all(|&c| c == 0));
        let c = vec![128u8; 64];
        for v in [0u8, 255] {
            let y = vec![v; 256];
            let (_, _, px) = decode_rgb(&encode(&y, &c, &c, 16, 16, 100));
            assert!(px.iter().all(|&p| p == v), "{v}: {:?}", &px[..6]);
        }
    }

    /// A plane read through the strides of a mirror or a turn is encoded to the same bytes as
    /// the plane turned first: the strides move no sample.
    #[test]
    fn strides_encode_exactly_what_turned_planes_encode() {
        use super::super::orient::strides;
        use heic_rs::{Mirror, Rotation, Transform};
        let (w, h) = (38usize, 22usize);
        let (cw, ch) = (w / 2, h / 2);
        let (y, cb, cr) = (plane(w, h, 4), plane(cw, ch, 5), plane(cw, ch, 6));
        for t in [
            vec![Transform::Mirror(Mirror::LeftRight)],
            vec![Transform::Mirror(Mirror::TopBottom)],
            vec![Transform::Rotate(Rotation::Ccw180)],
            vec![Transform::Rotate(Rotation::Ccw90)],
            vec![
                Transform::Rotate(Rotation::Ccw270),
                Transform::Mirror(Mirror::LeftRight),
            ],
        ] {
            let turn = |p: &[u8], w: usize, h: usize| {
                let img = heic_rs::Image {
                    data: p.to_vec(),
                    width: w as u32,
                    height: h as u32,
                    layout: heic_rs::PixelLayout::Gray8,
                };
                heic_rs::transform::apply_all(img, &t).unwrap()
            };
            let (ty, tcb, tcr) = (turn(&y, w, h), turn(&cb, cw, ch), turn(&cr, cw, ch));
            let want = encode(
                &ty.data,
                &tcb.data,
                &tcr.data,
                ty.width as usize,
                ty.height as usize,
                90,
            );

            let (ls, cs) = (
                strides(&t, w as u32, h as u32).unwrap(),
                strides(&t, cw as u32, ch as u32).unwrap(),
            );
            let got = encode_420(
                View::through(&y, ls),
                View::through(&cb, cs),
                View::through(&cr, cs),
                90,
                &[(1, b"Exif\0\0MM\0*"), (2, b"ICC_PROFILE\0\x01\x01")],
                0,
            )
            .unwrap();
            assert!(got == want, "{t:?}");
        }
    }

    /// The bit writer against a bit-at-a-time reference: codes that make 0xFF bytes get their
    /// stuffed 0x00, and the last byte is padded with ones.
    #[test]
    fn stuffing_and_padding_match_a_bit_at_a_time_writer() {
        let mut s = 7u32;
        let codes: Vec<(u32, u32)> = (0..5000)
            .map(|i| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let len = 1 + (s >> 27) % 27;
                // Every fourth code all ones, to make 0xFF bytes often.
                let code = if i % 4 == 0 {
                    (1 << len) - 1
                } else {
                    s & ((1 << len) - 1)
                };
                (code, len)
            })
            .collect();
        let mut bits = Bits {
            out: Vec::new(),
            acc: 0,
            n: 0,
        };
        let mut flat: Vec<bool> = Vec::new();
        for &(code, len) in &codes {
            bits.put(code, len);
            flat.extend((0..len).rev().map(|b| code >> b & 1 == 1));
        }
        while flat.len() % 8 != 0 {
            flat.push(true);
        }
        let mut want = Vec::new();
        for byte in flat.chunks(8) {
            let b = byte.iter().fold(0u8, |a, &bit| a << 1 | u8::from(bit));
            want.push(b);
            if b == 0xFF {
                want.push(0);
            }
        }
        assert_eq!(bits.finish(), want);
    }

    #[test]
    fn wrong_sizes_are_refused() {
        let p = vec![0u8; 64];
        let v = |w, h| View::upright(&p, w, h);
        assert_eq!(
            encode_420(v(8, 8), v(4, 4), v(3, 4), 90, &[], 0),
            Err(Refused::Size)
        );
        assert_eq!(
            encode_420(v(0, 8), v(0, 4), v(0, 4), 90, &[], 0),
            Err(Refused::Size)
        );
        // A view reaching past its plane.
        assert_eq!(
            encode_420(v(8, 9), v(4, 5), v(4, 5), 90, &[], 0),
            Err(Refused::Size)
        );
        let big = vec![0u8; 70_000];
        assert_eq!(
            encode_420(v(8, 8), v(4, 4), v(4, 4), 90, &[(1, &big)], 0),
            Err(Refused::Segment)
        );
    }
}
