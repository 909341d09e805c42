//! Carving JPEG, PNG, GIF and HEIF/AVIF images out of an arbitrary byte buffer (thumbnail caches,
//! SQLite files holding image BLOBs, attachment previews).
//!
//! A signature only nominates a candidate; an image is reported only when its structure validates
//! end to end (JPEG marker segments up to EOI, every PNG CRC, GIF blocks up to the trailer, ISO-BMFF
//! boxes with `meta` and `mdat`). That is what keeps random `FF D8 FF` noise out of the results and
//! gives every hit an exact length.
//!
//! Cost: the scan visits each byte once. Per candidate, the JPEG header walk is capped by a segment
//! count and the entropy-coded scan search is memoised (a byte is searched for a marker at most
//! once across all candidates), so overlapping JPEG candidates cannot go quadratic. PNG CRCs and
//! GIF sub-blocks of *failed* candidates could in principle be re-read by candidates nested inside
//! them, so all validation work is also charged to a budget linear in the buffer length; once it
//! is spent carving stops with what it has rather than run unbounded.

#![deny(clippy::indexing_slicing)]

use crate::bytes;

/// What kind of image a carved range holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CarvedKind {
    Jpeg,
    Png,
    Heif,
    Gif,
}

/// One image found in the buffer: `buf[offset..offset + len]` is the complete file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carved {
    pub offset: u64,
    pub len: u64,
    pub kind: CarvedKind,
    /// True for a JPEG found inside an APPn segment (EXIF/MPF thumbnail) of another JPEG that is
    /// itself reported: the outer file is the real find, the inner one a convenience.
    pub nested: bool,
}

/// Bounds on what `carve` reports and how far it follows one candidate.
#[derive(Debug, Clone)]
pub struct CarveLimits {
    /// Stop after this many results (nested ones included).
    pub max_results: usize,
    /// Longest image considered; also bounds the work spent validating any one candidate.
    pub max_image_len: u64,
    /// Valid images shorter than this are not reported (tiny icons, accidental structures).
    pub min_image_len: u64,
}

impl Default for CarveLimits {
    fn default() -> Self {
        CarveLimits {
            max_results: 100_000,
            max_image_len: 256 * 1024 * 1024,
            min_image_len: 64,
        }
    }
}

/// Real JPEGs have a few dozen segments (APPn, DQT, SOF, DHT, SOS, and for progressive files a
/// dozen more scans); the cap keeps a chain of tiny crafted segments from costing much.
const MAX_JPEG_SEGMENTS: usize = 512;
/// Bounds ISO-BMFF walks: a HEIF has a handful of top-level boxes and a few dozen in `meta`.
const MAX_BOXES: usize = 4096;
/// Longest `ftyp` accepted; real ones list a few compatible brands.
const MAX_FTYP: u64 = 4096;
/// Bounds GIF block walks (each frame is a couple of blocks; sub-blocks are counted separately
/// through the work budget).
const MAX_GIF_BLOCKS: usize = 1 << 20;
const MAX_PNG_CHUNKS: usize = 1 << 20;

const PNG_SIG: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// Shared state across candidates: the work budget and the memoised entropy-scan search.
struct Ctx<'a> {
    buf: &'a [u8],
    work: u64,
    budget: u64,
    /// Searched entropy-coded ranges: start -> (end, whether a marker sits at end). No marker
    /// starts in `start..end`. See `next_marker`.
    scans: std::collections::BTreeMap<usize, (usize, bool)>,
}

impl Ctx<'_> {
    /// Charges `n` units; false once the budget is spent.
    fn charge(&mut self, n: u64) -> bool {
        self.work = self.work.saturating_add(n);
        self.work <= self.budget
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.buf.get(at).copied()
    }

    fn be16(&self, at: usize) -> Option<u16> {
        bytes::u16_be(self.buf, at, "field").ok()
    }

    fn be32(&self, at: usize) -> Option<u32> {
        bytes::u32_be(self.buf, at, "field").ok()
    }

    fn be64(&self, at: usize) -> Option<u64> {
        bytes::u64_be(self.buf, at, "field").ok()
    }

    /// Position of the first marker (`FF` followed by a byte other than `00`, `D0..=D7` or `FF`)
    /// at or after `from`, with the marker's two bytes inside `..limit`.
    ///
    /// In entropy-coded data `FF 00` is a stuffed byte, `FF D0..D7` a restart marker and `FF FF`
    /// fill; none of their second bytes is `FF`, so skipping pairs and testing every position give
    /// the same answer. The answer therefore depends only on the position, and searched ranges are
    /// remembered as disjoint intervals: a later search that enters one jumps to its end.
    fn next_marker(&mut self, from: usize, limit: usize) -> Option<usize> {
        let end = limit.min(self.buf.len());
        let mut j = from;
        let mut found = false;
        let mut scanned = 0u64;
        // Each pass either ends the search or consumes one remembered interval, which is then
        // merged away, so the passes are bounded by the number of intervals.
        loop {
            if let Some((_, &(to, f))) = self.scans.range(..=j).next_back() {
                if j <= to {
                    j = to;
                    if f {
                        found = true;
                        break;
                    }
                }
            }
            let next_start = self
                .scans
                .range(j.saturating_add(1)..)
                .next()
                .map_or(usize::MAX, |(s, _)| *s);
            let stop = end.min(next_start);
            while j.saturating_add(1) < end && j < stop {
                if self.byte(j) == Some(0xFF) {
                    if let Some(b) = self.byte(j + 1) {
                        if b != 0x00 && b != 0xFF && !(0xD0..=0xD7).contains(&b) {
                            found = true;
                            break;
                        }
                    }
                }
                j += 1;
                scanned += 1;
            }
            if found || j != next_start || j.saturating_add(1) >= end {
                break;
            }
        }
        self.charge(scanned);
        // Merge: every interval starting inside [from, j] is covered by the new one.
        let covered: Vec<usize> = self.scans.range(from..=j).map(|(s, _)| *s).collect();
        for s in covered {
            self.scans.remove(&s);
        }
        let start = match self.scans.range(..from).next_back() {
            Some((&s, &(to, _))) if to >= from => s,
            _ => from,
        };
        self.scans.insert(start, (j, found));
        (found && j.checked_add(2)? <= limit).then_some(j)
    }
}

/// Finds structurally valid images anywhere in `buf`, sorted by offset.
///
/// Bytes of a found image are skipped, so nothing inside it is reported again, except JPEGs in
/// the APPn segments of a JPEG (EXIF thumbnails), which are reported with `nested: true`.
pub fn carve(buf: &[u8], limits: &CarveLimits) -> Vec<Carved> {
    carve_counting(buf, limits).0
}

/// `carve`, also returning the work units spent (tests use it to check the cost stays linear).
fn carve_counting(buf: &[u8], limits: &CarveLimits) -> (Vec<Carved>, u64) {
    let mut ctx = Ctx {
        buf,
        work: 0,
        budget: (buf.len() as u64)
            .saturating_mul(16)
            .saturating_add(1 << 24),
        scans: std::collections::BTreeMap::new(),
    };
    let mut out = Vec::new();
    let mut i = 0usize;
    while i < buf.len() && out.len() < limits.max_results && ctx.work <= ctx.budget {
        // Most bytes can start nothing: skip to the next one that could, in a tight loop, so
        // carving a large file runs at memory speed rather than candidate-check speed.
        i = next_candidate(buf, i);
        if i >= buf.len() {
            break;
        }
        let found = match buf.get(i) {
            Some(0xFF) => jpeg_at(&mut ctx, i, limits, true).map(|(e, n)| (CarvedKind::Jpeg, e, n)),
            Some(0x89) => png_at(&mut ctx, i, limits).map(|e| (CarvedKind::Png, e, Vec::new())),
            Some(b'G') => gif_at(&mut ctx, i, limits).map(|e| (CarvedKind::Gif, e, Vec::new())),
            _ => None,
        };
        // A HEIF starts with the 4-byte size of its `ftyp` box, so it is recognised by the type
        // four bytes further on; any byte can start it.
        let found = found.or_else(|| {
            if buf.get(i + 4..i + 8) == Some(b"ftyp") {
                heif_at(&mut ctx, i, limits).map(|e| (CarvedKind::Heif, e, Vec::new()))
            } else {
                None
            }
        });
        match found {
            Some((kind, end, nested)) if (end - i) as u64 >= limits.min_image_len => {
                out.push(Carved {
                    offset: i as u64,
                    len: (end - i) as u64,
                    kind,
                    nested: false,
                });
                for (s, e) in nested {
                    if out.len() >= limits.max_results {
                        break;
                    }
                    if (e - s) as u64 >= limits.min_image_len {
                        out.push(Carved {
                            offset: s as u64,
                            len: (e - s) as u64,
                            kind: CarvedKind::Jpeg,
                            nested: true,
                        });
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    out.truncate(limits.max_results);
    out.sort_by_key(|c| (c.offset, c.nested));
    (out, ctx.work)
}

/// The first position at or after `from` where an image could start: a JPEG (0xFF), PNG (0x89)
/// or GIF ('G') first byte, or a HEIF whose `ftyp` type begins four bytes later.
fn next_candidate(buf: &[u8], from: usize) -> usize {
    let n = buf.len();
    let Some(tail) = buf.get(from..) else {
        return n;
    };
    tail.iter()
        .enumerate()
        .position(|(k, &b)| b == 0xFF || b == 0x89 || b == b'G' || tail.get(k + 4) == Some(&b'f'))
        .map_or(n, |k| from + k)
}

/// End of the window a candidate at `start` may occupy.
fn limit_end(buf: &[u8], start: usize, limits: &CarveLimits) -> usize {
    let max = usize::try_from(limits.max_image_len).unwrap_or(usize::MAX);
    start.saturating_add(max).min(buf.len())
}

/// Validates a JPEG starting at `s`; returns its end (one past EOI) and, when `with_nested`, the
/// ranges of valid JPEGs inside its APPn segments.
fn jpeg_at(
    ctx: &mut Ctx,
    s: usize,
    limits: &CarveLimits,
    with_nested: bool,
) -> Option<(usize, Vec<(usize, usize)>)> {
    let limit = limit_end(ctx.buf, s, limits);
    jpeg_in(ctx, s, limit, limits, with_nested)
}

fn jpeg_in(
    ctx: &mut Ctx,
    s: usize,
    limit: usize,
    limits: &CarveLimits,
    with_nested: bool,
) -> Option<(usize, Vec<(usize, usize)>)> {
    if ctx.buf.get(s..s.checked_add(3)?) != Some(&[0xFF, 0xD8, 0xFF][..]) {
        return None;
    }
    let mut pos = s + 2;
    let (mut sof, mut sos, mut dqt, mut dht, mut arithmetic) = (false, false, false, false, false);
    let mut app_ranges: Vec<(usize, usize)> = Vec::new();
    for _ in 0..MAX_JPEG_SEGMENTS {
        if !ctx.charge(1) {
            return None;
        }
        if ctx.byte(pos)? != 0xFF {
            return None;
        }
        // Any number of FF fill bytes may precede a marker; bounded by the window.
        let mut m = ctx.byte(pos + 1)?;
        while m == 0xFF {
            pos += 1;
            if pos + 1 >= limit {
                return None;
            }
            m = ctx.byte(pos + 1)?;
        }
        if pos + 2 > limit {
            return None;
        }
        match m {
            0xD9 => {
                // EOI: a decodable image needs a frame, a scan, quantisation tables and, unless
                // it is arithmetic-coded, Huffman tables.
                if !(sof && sos && dqt && (dht || arithmetic)) {
                    return None;
                }
                let end = pos + 2;
                let mut nested = Vec::new();
                if with_nested {
                    for (a, b) in app_ranges {
                        nested.extend(jpegs_in_range(ctx, a, b, limits));
                    }
                }
                return Some((end, nested));
            }
            0x01 => {
                pos += 2;
                continue;
            }
            0x00 | 0x02..=0xBF | 0xC8 | 0xD0..=0xD8 => return None,
            _ => {}
        }
        let len = usize::from(ctx.be16(pos + 2)?);
        if len < 2 {
            return None;
        }
        let data = pos + 4;
        let seg_end = pos + 2 + len;
        if seg_end > limit {
            return None;
        }
        let dlen = len - 2;
        match m {
            0xDB => {
                if !dqt_ok(ctx, data, dlen) {
                    return None;
                }
                dqt = true;
            }
            0xC4 => {
                if !dht_ok(ctx, data, dlen) {
                    return None;
                }
                dht = true;
            }
            0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => {
                if sof {
                    return None;
                }
                let nf = usize::from(ctx.byte(data + 5)?);
                let p = ctx.byte(data)?;
                let x = ctx.be16(data + 3)?;
                if nf == 0 || nf > 4 || dlen != 6 + 3 * nf || !(2..=16).contains(&p) || x == 0 {
                    return None;
                }
                sof = true;
                arithmetic = m >= 0xC9;
            }
            // DRI carries exactly the two-byte restart interval.
            0xDD if dlen != 2 => return None,
            0xDA => {
                let ns = usize::from(ctx.byte(data)?);
                if !sof || ns == 0 || ns > 4 || dlen != 4 + 2 * ns {
                    return None;
                }
                sos = true;
                // The scan runs to the next real marker; that marker is handled by the loop.
                pos = ctx.next_marker(seg_end, limit)?;
                continue;
            }
            0xE0..=0xEF => app_ranges.push((data, seg_end)),
            _ => {}
        }
        pos = seg_end;
    }
    None
}

/// JPEGs (depth one, not reporting their own insides) inside `buf[a..b]`.
fn jpegs_in_range(ctx: &mut Ctx, a: usize, b: usize, limits: &CarveLimits) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = a;
    while i + 3 <= b {
        if ctx.byte(i) == Some(0xFF) {
            if let Some((end, _)) = jpeg_in(ctx, i, b, limits, false) {
                out.push((i, end));
                i = end;
                continue;
            }
        }
        i += 1;
    }
    out
}

/// A DQT segment is a sequence of tables of 64 entries, 8- or 16-bit, ids 0..=3, filling the
/// segment exactly.
fn dqt_ok(ctx: &mut Ctx, data: usize, dlen: usize) -> bool {
    let mut off = 0usize;
    for _ in 0..4 {
        if off == dlen {
            return off > 0;
        }
        let Some(pq_tq) = ctx.byte(data + off) else {
            return false;
        };
        if pq_tq & 0x0F > 3 || pq_tq >> 4 > 1 {
            return false;
        }
        off += 1 + if pq_tq >> 4 == 0 { 64 } else { 128 };
    }
    off == dlen && off > 0
}

/// A DHT segment is a sequence of tables: class/id byte, 16 code-length counts, then that many
/// symbols (at most 256), filling the segment exactly.
fn dht_ok(ctx: &mut Ctx, data: usize, dlen: usize) -> bool {
    let mut off = 0usize;
    for _ in 0..8 {
        if off == dlen {
            return off > 0;
        }
        let Some(tc_th) = ctx.byte(data + off) else {
            return false;
        };
        if tc_th >> 4 > 1 || tc_th & 0x0F > 3 {
            return false;
        }
        let mut n = 0usize;
        for k in 0..16 {
            match ctx.byte(data + off + 1 + k) {
                Some(c) => n += usize::from(c),
                None => return false,
            }
        }
        if n == 0 || n > 256 {
            return false;
        }
        off += 17 + n;
    }
    off == dlen && off > 0
}

/// CRC-32 (IEEE, reflected, as PNG uses), from `crc32fast` (SIMD where the CPU has it).
pub(crate) fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// Validates a PNG at `s`: IHDR first, chunk types alphabetic, IEND last, at least one IDAT, and
/// every CRC correct. The structure is walked before any CRC is computed so a broken chain costs
/// only its chunk headers.
fn png_at(ctx: &mut Ctx, s: usize, limits: &CarveLimits) -> Option<usize> {
    if ctx.buf.get(s..s.checked_add(8)?) != Some(&PNG_SIG[..]) {
        return None;
    }
    let limit = limit_end(ctx.buf, s, limits);
    let walk = |ctx: &mut Ctx, check_crc: bool| -> Option<usize> {
        let mut pos = s + 8;
        let mut idat = false;
        for n in 0..MAX_PNG_CHUNKS {
            if !ctx.charge(1) {
                return None;
            }
            let len = ctx.be32(pos)?;
            if len > 0x7FFF_FFFF {
                return None;
            }
            let ty = ctx.buf.get(pos + 4..pos + 8)?;
            if !ty.iter().all(|b| b.is_ascii_alphabetic()) {
                return None;
            }
            let ty: [u8; 4] = [*ty.first()?, *ty.get(1)?, *ty.get(2)?, *ty.get(3)?];
            let data_end = (pos + 8).checked_add(len as usize)?;
            let end = data_end.checked_add(4)?;
            if end > limit {
                return None;
            }
            if n == 0 && (&ty != b"IHDR" || !ihdr_ok(ctx, pos + 8, len)) {
                return None;
            }
            if n > 0 && &ty == b"IHDR" {
                return None;
            }
            if &ty == b"IDAT" {
                idat = true;
            }
            if check_crc {
                if !ctx.charge(u64::from(len)) {
                    return None;
                }
                let crc = crc32(ctx.buf.get(pos + 4..data_end)?);
                if crc != ctx.be32(data_end)? {
                    return None;
                }
            }
            if &ty == b"IEND" {
                return (len == 0 && idat).then_some(end);
            }
            pos = end;
        }
        None
    };
    walk(ctx, false)?;
    walk(ctx, true)
}

fn ihdr_ok(ctx: &Ctx, data: usize, len: u32) -> bool {
    let (Some(w), Some(h), Some(depth), Some(color), Some(comp), Some(filt), Some(il)) = (
        ctx.be32(data),
        ctx.be32(data + 4),
        ctx.byte(data + 8),
        ctx.byte(data + 9),
        ctx.byte(data + 10),
        ctx.byte(data + 11),
        ctx.byte(data + 12),
    ) else {
        return false;
    };
    len == 13
        && (1..=0x7FFF_FFFF).contains(&w)
        && (1..=0x7FFF_FFFF).contains(&h)
        && [1, 2, 4, 8, 16].contains(&depth)
        && [0, 2, 3, 4, 6].contains(&color)
        && comp == 0
        && filt == 0
        && il <= 1
}

/// Validates a GIF87a/89a at `s`: screen descriptor, colour tables, extension and image blocks
/// with their sub-block chains, at least one image, and the trailer.
fn gif_at(ctx: &mut Ctx, s: usize, limits: &CarveLimits) -> Option<usize> {
    let sig = ctx.buf.get(s..s.checked_add(6)?)?;
    if sig != b"GIF87a" && sig != b"GIF89a" {
        return None;
    }
    let limit = limit_end(ctx.buf, s, limits);
    let packed = ctx.byte(s + 10)?;
    let mut pos = s + 13;
    if packed & 0x80 != 0 {
        pos += 3 << ((packed & 7) + 1);
    }
    let mut images = 0usize;
    for _ in 0..MAX_GIF_BLOCKS {
        if pos >= limit || !ctx.charge(1) {
            return None;
        }
        match ctx.byte(pos)? {
            0x3B => return (images > 0).then_some(pos + 1),
            0x21 => {
                ctx.byte(pos + 1)?;
                pos = gif_sub_blocks(ctx, pos + 2, limit)?;
            }
            0x2C => {
                let w = u16::from_le_bytes([ctx.byte(pos + 5)?, ctx.byte(pos + 6)?]);
                let h = u16::from_le_bytes([ctx.byte(pos + 7)?, ctx.byte(pos + 8)?]);
                let p = ctx.byte(pos + 9)?;
                if w == 0 || h == 0 {
                    return None;
                }
                pos += 10;
                if p & 0x80 != 0 {
                    pos += 3 << ((p & 7) + 1);
                }
                let min_code = ctx.byte(pos)?;
                if !(1..=11).contains(&min_code) {
                    return None;
                }
                pos = gif_sub_blocks(ctx, pos + 1, limit)?;
                images += 1;
            }
            _ => return None,
        }
    }
    None
}

/// Skips a chain of sub-blocks (length byte, data) ending with a zero length; returns the
/// position after the terminator.
fn gif_sub_blocks(ctx: &mut Ctx, mut pos: usize, limit: usize) -> Option<usize> {
    loop {
        if pos >= limit || !ctx.charge(1) {
            return None;
        }
        let n = usize::from(ctx.byte(pos)?);
        pos += 1 + n;
        if n == 0 {
            return Some(pos);
        }
    }
}

const HEIF_BRANDS: [&[u8; 4]; 13] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1",
    b"mif2", b"avif", b"avis",
];

/// Box types that may appear at the top level of a HEIF/AVIF file. The walk stops at the first
/// header that is not one of these, so bytes following the image are not swallowed.
const TOP_LEVEL: [&[u8; 4]; 11] = [
    b"meta", b"mdat", b"free", b"skip", b"uuid", b"wide", b"moov", b"moof", b"mfra", b"pdin",
    b"idat",
];

/// One ISO-BMFF box header at `pos`: (type, header length, box end). `size == 0` runs to `limit`.
fn bmff_box(ctx: &Ctx, pos: usize, limit: usize) -> Option<([u8; 4], usize, usize)> {
    let size32 = ctx.be32(pos)?;
    let t = ctx.buf.get(pos + 4..pos + 8)?;
    let ty = [*t.first()?, *t.get(1)?, *t.get(2)?, *t.get(3)?];
    let (hdr, end) = match size32 {
        0 => (8, limit),
        1 => {
            let big = usize::try_from(ctx.be64(pos + 8)?).ok()?;
            if big < 16 {
                return None;
            }
            (16, pos.checked_add(big)?)
        }
        2..=7 => return None,
        n => (8, pos.checked_add(n as usize)?),
    };
    (end <= limit && end >= pos + hdr).then_some((ty, hdr, end))
}

/// Validates a HEIF/AVIF at `s`: `ftyp` with a HEIF brand first, then top-level boxes walked by
/// size until the chain stops; `meta` (a full box whose children fill it exactly and include a
/// `pict` handler) and `mdat` must both be present.
fn heif_at(ctx: &mut Ctx, s: usize, limits: &CarveLimits) -> Option<usize> {
    let limit = limit_end(ctx.buf, s, limits);
    let (ty, _, ftyp_end) = bmff_box(ctx, s, limit)?;
    let ftyp_len = (ftyp_end - s) as u64;
    if &ty != b"ftyp" || ctx.be32(s)? == 0 || !(16..=MAX_FTYP).contains(&ftyp_len) {
        return None;
    }
    if (ftyp_len - 16) % 4 != 0 {
        return None;
    }
    let brands = ctx.buf.get(s + 8..ftyp_end)?;
    // The major brand and the compatible brands (the minor version between them is skipped).
    let is_heif = brands
        .chunks_exact(4)
        .enumerate()
        .filter(|(k, _)| *k != 1)
        .any(|(_, b)| HEIF_BRANDS.iter().any(|h| &h[..] == b));
    if !is_heif {
        return None;
    }
    let (mut meta, mut mdat) = (false, false);
    let mut pos = ftyp_end;
    for _ in 0..MAX_BOXES {
        if !ctx.charge(1) {
            return None;
        }
        let Some((ty, hdr, end)) = bmff_box(ctx, pos, limit) else {
            break;
        };
        if !TOP_LEVEL.iter().any(|t| **t == ty) {
            break;
        }
        if &ty == b"meta" {
            if meta || !meta_ok(ctx, pos + hdr, end) {
                return None;
            }
            meta = true;
        }
        if &ty == b"mdat" {
            mdat = true;
        }
        pos = end;
        if pos == limit {
            break;
        }
    }
    (meta && mdat).then_some(pos)
}

/// `meta` is a full box (4 bytes version/flags) whose child boxes must tile it exactly, and whose
/// `hdlr` must name the `pict` handler (that is what makes the file an image rather than a movie).
fn meta_ok(ctx: &mut Ctx, content: usize, end: usize) -> bool {
    let mut pos = content + 4;
    let mut pict = false;
    for _ in 0..MAX_BOXES {
        if pos == end {
            return pict;
        }
        if !ctx.charge(1) {
            return false;
        }
        let Some((ty, hdr, child_end)) = bmff_box(ctx, pos, end) else {
            return false;
        };
        if ctx.be32(pos) == Some(0) {
            // A size-0 child would silently claim the rest of `meta`; real files never do that.
            return false;
        }
        if &ty == b"hdlr" && ctx.buf.get(pos + hdr + 8..pos + hdr + 12) == Some(b"pict") {
            pict = true;
        }
        pos = child_end;
    }
    false
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/media")
            .join(name);
        std::fs::read(p).unwrap()
    }

    /// Deterministic xorshift64 so failures reproduce without a rand dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn bytes(&mut self, n: usize) -> Vec<u8> {
            (0..n).map(|_| self.next() as u8).collect()
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    fn chunk(ty: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(ty);
        c.extend_from_slice(data);
        let crc = crc32(&c[4..]);
        c.extend_from_slice(&crc.to_be_bytes());
        c
    }

    /// A hand-built PNG (1x1 grey) with correct CRCs, independent of the fixtures.
    fn tiny_png() -> Vec<u8> {
        let mut p = PNG_SIG.to_vec();
        p.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        p.extend(chunk(b"tEXt", b"Comment\0hand made for the carver"));
        p.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1]));
        p.extend(chunk(b"IEND", &[]));
        p
    }

    /// A minimal GIF89a (1x1, two-colour table).
    fn tiny_gif() -> Vec<u8> {
        let mut g = b"GIF89a".to_vec();
        g.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0]);
        g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        g.extend_from_slice(&[0x21, 0xF9, 4, 0, 0, 0, 0, 0]);
        g.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
        g.extend_from_slice(&[2, 2, 0x44, 0x01, 0]);
        // Padding in a comment extension so it clears the default minimum length.
        g.extend_from_slice(&[0x21, 0xFE, 40]);
        g.extend_from_slice(&[b'x'; 40]);
        g.extend_from_slice(&[0, 0x3B]);
        g
    }

    fn find(v: &[Carved]) -> Vec<(u64, u64, CarvedKind, bool)> {
        v.iter()
            .map(|c| (c.offset, c.len, c.kind, c.nested))
            .collect()
    }

    #[test]
    fn fixtures_validate_alone() {
        let l = CarveLimits::default();
        for (name, kind) in [
            ("photo_0001.jpg", CarvedKind::Jpeg),
            ("photo_0001b.jpg", CarvedKind::Jpeg),
            ("zurich.jpg", CarvedKind::Jpeg),
            ("screenshot.png", CarvedKind::Png),
            ("live.heic", CarvedKind::Heif),
        ] {
            let b = fixture(name);
            assert_eq!(
                find(&carve(&b, &l)),
                vec![(0, b.len() as u64, kind, false)],
                "{name}"
            );
        }
        let p = tiny_png();
        assert_eq!(
            find(&carve(&p, &l)),
            vec![(0, p.len() as u64, CarvedKind::Png, false)]
        );
        let g = tiny_gif();
        assert_eq!(
            find(&carve(&g, &l)),
            vec![(0, g.len() as u64, CarvedKind::Gif, false)]
        );
    }

    #[test]
    fn embedded_at_odd_offsets_in_random_bytes() {
        let mut r = Rng(0x1234_5678);
        let mut buf = r.bytes(1001);
        let mut want = Vec::new();
        for img in [
            (fixture("photo_0001.jpg"), CarvedKind::Jpeg),
            (fixture("screenshot.png"), CarvedKind::Png),
            (fixture("live.heic"), CarvedKind::Heif),
            (tiny_gif(), CarvedKind::Gif),
            (fixture("zurich.jpg"), CarvedKind::Jpeg),
        ] {
            want.push((buf.len() as u64, img.0.len() as u64, img.1, false));
            buf.extend_from_slice(&img.0);
            buf.extend(r.bytes(333));
        }
        assert_eq!(find(&carve(&buf, &CarveLimits::default())), want);
    }

    #[test]
    fn back_to_back_images_split_exactly() {
        let h = fixture("live.heic");
        let j = fixture("photo_0001.jpg");
        let mut buf = h.clone();
        buf.extend_from_slice(&h);
        buf.extend_from_slice(&j);
        buf.extend_from_slice(&j);
        let hl = h.len() as u64;
        let jl = j.len() as u64;
        assert_eq!(
            find(&carve(&buf, &CarveLimits::default())),
            vec![
                (0, hl, CarvedKind::Heif, false),
                (hl, hl, CarvedKind::Heif, false),
                (2 * hl, jl, CarvedKind::Jpeg, false),
                (2 * hl + jl, jl, CarvedKind::Jpeg, false),
            ]
        );
    }

    /// Puts `inner` into a new APPn/COM segment right after the SOI of `outer`.
    fn with_segment(outer: &[u8], marker: u8, inner: &[u8]) -> Vec<u8> {
        let mut o = outer[..2].to_vec();
        o.extend_from_slice(&[0xFF, marker]);
        o.extend_from_slice(&((inner.len() + 2) as u16).to_be_bytes());
        o.extend_from_slice(inner);
        o.extend_from_slice(&outer[2..]);
        o
    }

    #[test]
    fn nested_jpeg_in_app1_reported_flagged_and_other_insides_skipped() {
        let thumb = fixture("zurich.jpg");
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(&thumb);
        let outer = with_segment(&fixture("photo_0001b.jpg"), 0xE1, &exif);
        let mut buf = vec![7u8; 13];
        buf.extend_from_slice(&outer);
        let got = find(&carve(&buf, &CarveLimits::default()));
        assert_eq!(
            got,
            vec![
                (13, outer.len() as u64, CarvedKind::Jpeg, false),
                (13 + 2 + 4 + 6, thumb.len() as u64, CarvedKind::Jpeg, true),
            ]
        );
        // A PNG in a comment segment is part of the outer file: not reported on its own.
        let outer = with_segment(&fixture("photo_0001.jpg"), 0xFE, &tiny_png());
        assert_eq!(
            find(&carve(&outer, &CarveLimits::default())),
            vec![(0, outer.len() as u64, CarvedKind::Jpeg, false)]
        );
    }

    #[test]
    fn truncated_images_are_not_reported() {
        let l = CarveLimits::default();
        for name in ["photo_0001.jpg", "screenshot.png", "live.heic"] {
            let b = fixture(name);
            for cut in [b.len() - 1, b.len() - 2, b.len() / 2, 10] {
                assert!(carve(&b[..cut], &l).is_empty(), "{name} cut at {cut}");
            }
        }
    }

    #[test]
    fn corrupted_png_crc_is_not_reported() {
        let l = CarveLimits::default();
        let good = tiny_png();
        for at in [20usize, 29, 40, good.len() - 1] {
            let mut b = good.clone();
            b[at] ^= 0x01;
            assert!(carve(&b, &l).is_empty(), "flip at {at}");
        }
    }

    #[test]
    fn jpeg_length_past_end_and_marker_noise() {
        let l = CarveLimits::default();
        let mut b = fixture("photo_0001.jpg");
        // APP0's length now claims far more than the file holds.
        b[4] = 0xFF;
        b[5] = 0xF0;
        assert!(carve(&b, &l).is_empty());
        let mut noise = Vec::new();
        for k in 0..5000u32 {
            noise.extend_from_slice(&[0xFF, 0xD8, 0xFF, (k % 256) as u8]);
        }
        assert!(carve(&noise, &l).is_empty());
        // A JPEG without tables is rejected even though its markers chain up to EOI.
        let bare = [
            0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 1, 0, 1, 1, 1, 0x11, 0, 0xFF, 0xDA, 0, 8, 1, 1, 0,
            0, 63, 0, 0x12, 0x34, 0xFF, 0xD9,
        ];
        let l0 = CarveLimits {
            min_image_len: 0,
            ..CarveLimits::default()
        };
        assert!(carve(&bare, &l0).is_empty());
    }

    #[test]
    fn bmff_huge_and_zero_sizes() {
        let l = CarveLimits::default();
        let h = fixture("live.heic");
        // mdat is the last box: rewriting its size to 0 ("to the end") keeps the file valid
        // and its length is the whole buffer.
        let mdat_at = h.len() - 71;
        let mut z = h.clone();
        z[mdat_at..mdat_at + 4].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(
            find(&carve(&z, &l)),
            vec![(0, h.len() as u64, CarvedKind::Heif, false)]
        );
        // A 64-bit size far past the end: the box does not fit, so mdat is missing.
        let mut big = h[..mdat_at].to_vec();
        big.extend_from_slice(&[0, 0, 0, 1]);
        big.extend_from_slice(b"mdat");
        big.extend_from_slice(&u64::MAX.to_be_bytes());
        big.extend_from_slice(&h[mdat_at + 8..]);
        assert!(carve(&big, &l).is_empty());
        // A 32-bit size past the end of meta.
        let mut m = h.clone();
        m[28..32].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        assert!(carve(&m, &l).is_empty());
        // ftyp without a HEIF brand (an MP4) is not an image.
        let mut mp4 = h.clone();
        mp4[8..12].copy_from_slice(b"isom");
        mp4[16..28].copy_from_slice(b"isomiso2mp41");
        assert!(carve(&mp4, &l).is_empty());
    }

    #[test]
    fn limits_are_honoured() {
        let j = fixture("photo_0001.jpg");
        let mut buf = Vec::new();
        for _ in 0..10 {
            buf.extend_from_slice(&j);
        }
        let l = CarveLimits {
            max_results: 3,
            ..CarveLimits::default()
        };
        assert_eq!(carve(&buf, &l).len(), 3);
        let l = CarveLimits {
            max_image_len: 100,
            ..CarveLimits::default()
        };
        assert!(carve(&buf, &l).is_empty());
        let l = CarveLimits {
            min_image_len: 10_000,
            ..CarveLimits::default()
        };
        assert!(carve(&buf, &l).is_empty());
    }

    /// The fixture's marker segments before its first SOS, and the SOS segment itself.
    fn jpeg_segments() -> (Vec<Vec<u8>>, Vec<u8>) {
        let j = fixture("photo_0001.jpg");
        let mut segs = Vec::new();
        let mut pos = 2;
        loop {
            let len = u16::from_be_bytes([j[pos + 2], j[pos + 3]]) as usize;
            let seg = j[pos..pos + 2 + len].to_vec();
            if j[pos + 1] == 0xDA {
                return (segs, seg);
            }
            if j[pos + 1] != 0xE1 {
                segs.push(seg);
            }
            pos += 2 + len;
        }
    }

    #[test]
    fn overlapping_unterminated_jpeg_candidates_stay_linear() {
        // Each level is a JPEG header whose APP1 holds the next level, and every level's scan
        // (empty in itself) runs on into the same 4 MiB tail without EOI: 100 candidates that
        // each must search the tail. Memoised, the tail is searched once.
        let (segs, sos) = jpeg_segments();
        let mut level: Vec<u8> = Vec::new();
        for depth in 0..100 {
            let mut l = vec![0xFF, 0xD8];
            for s in &segs {
                l.extend_from_slice(s);
            }
            if depth > 0 {
                l.extend_from_slice(&[0xFF, 0xE1]);
                l.extend_from_slice(&((level.len() + 2) as u16).to_be_bytes());
                l.extend_from_slice(&level);
            }
            l.extend_from_slice(&sos);
            level = l;
        }
        let mut buf = level.clone();
        buf.extend(std::iter::repeat_n(0x55u8, 4 << 20));
        let (found, work) = carve_counting(&buf, &CarveLimits::default());
        assert!(found.is_empty());
        assert!(
            work < 2 * buf.len() as u64,
            "work {work} for {} bytes",
            buf.len()
        );
        // With EOI the outermost one validates and the insides are skipped.
        buf.extend_from_slice(&[0xFF, 0xD9]);
        let found = carve(&buf, &CarveLimits::default());
        assert_eq!(
            find(&found),
            vec![(0, buf.len() as u64, CarvedKind::Jpeg, false)]
        );
    }

    #[test]
    fn seeded_random_buffers_recover_exactly_what_was_planted() {
        let images = [
            (fixture("photo_0001.jpg"), CarvedKind::Jpeg),
            (fixture("photo_0001b.jpg"), CarvedKind::Jpeg),
            (fixture("edited_render.jpg"), CarvedKind::Jpeg),
            (fixture("screenshot.png"), CarvedKind::Png),
            (fixture("live.heic"), CarvedKind::Heif),
            (tiny_png(), CarvedKind::Png),
            (tiny_gif(), CarvedKind::Gif),
        ];
        for seed in 1..=300u64 {
            let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut buf = Vec::new();
            let mut want = Vec::new();
            let n = r.below(6);
            for _ in 0..n {
                let gap = r.below(700);
                let mut filler = r.bytes(gap);
                // Salt the filler with signature fragments so near-misses get exercised.
                if gap > 8 && r.below(2) == 0 {
                    let at = r.below(gap - 8);
                    filler[at..at + 3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
                }
                buf.extend(filler);
                let (img, kind) = &images[r.below(images.len())];
                want.push((buf.len() as u64, img.len() as u64, *kind, false));
                buf.extend_from_slice(img);
            }
            let tail = r.below(300);
            buf.extend(r.bytes(tail));
            assert_eq!(
                find(&carve(&buf, &CarveLimits::default())),
                want,
                "seed {seed}"
            );
            // Random corruption must never panic, whatever it does to the results.
            for _ in 0..20 {
                if buf.is_empty() {
                    break;
                }
                let at = r.below(buf.len());
                buf[at] = r.next() as u8;
            }
            let _ = carve(&buf, &CarveLimits::default());
            let _ = carve(&buf[..buf.len() / 2], &CarveLimits::default());
        }
    }
}
