//! Recovering deleted records from an SQLite database file image and its `-wal`, by parsing the
//! documented file format directly (SQLite itself only shows live rows).
//!
//! Where deleted rows survive (with `secure_delete` off, the default):
//! - **Free pages**: pages on the freelist keep their former content. A freelist *leaf* page is
//!   usually an intact old table-leaf image (SQLite does not even write freed leaf pages back), so
//!   its header and cell pointers still parse; a *trunk* page has its first bytes overwritten by
//!   freelist pointers, so only its remaining bytes are searched.
//! - **Freeblocks and unallocated space** of live table-leaf pages: a deleted cell stays where it
//!   was, except that its first 4 bytes are overwritten by the freeblock header (next pointer and
//!   size). Those 4 bytes held the payload-length and rowid varints and, for small rowids and
//!   payloads, the record's header-size byte and first serial type: such records are rebuilt from
//!   the column count of the page's live cells (see `Shape`). The rowid is lost.
//! - **WAL frames**: every committed change appends a whole page image, so older frames of a page
//!   hold its earlier versions, with rows later updated or deleted.
//!
//! Records found in free space are only accepted when their header parses completely, every
//! serial type is valid, the body fits the space, text is valid UTF-8 and not every value is
//! NULL; records identical to a live row are dropped (freed pages often hold copies of rows that
//! a b-tree rebalance moved elsewhere). Everything is bounded by `RecoverLimits` and fixed caps;
//! no loop or allocation follows a length read from the file without a bound.

#![deny(clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

/// A column value. Text is decoded lossily; text and blobs are cut at `MAX_VALUE_LEN` bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

/// Where a recovered record was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeSource {
    /// A page on the freelist (or past the header's page count).
    FreePage,
    /// A freeblock of a live table-leaf page.
    FreeBlock,
    /// The gap between the cell pointer array and the cell content area of a live page.
    Unallocated,
    /// An older version of a page in a `-wal` file (or free space in any frame).
    WalFrame { frame: usize },
}

/// One record recovered from free space.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    /// Page number (1-based) in the database, or the page a WAL frame holds.
    pub page: u32,
    /// Byte offset of the cell (or, when the cell start is unknown, the record) in the page.
    pub offset: usize,
    pub source: FreeSource,
    /// Known only when the cell's prefix survived (free pages with cell pointers, WAL frames).
    pub rowid: Option<i64>,
    /// Column values in table order. An `INTEGER PRIMARY KEY` column is stored as NULL (its value
    /// is the rowid).
    pub values: Vec<Value>,
}

/// Bounds on the work `recover_deleted` and `recover_from_wal` do.
#[derive(Debug, Clone)]
pub struct RecoverLimits {
    /// Stop after this many records.
    pub max_records: usize,
    /// Pages (or WAL frames) examined at most, across all phases.
    pub max_pages: usize,
    /// Overflow pages followed for one record at most.
    pub max_overflow_chain: usize,
}

impl Default for RecoverLimits {
    fn default() -> Self {
        RecoverLimits {
            max_records: 1_000_000,
            max_pages: 1_000_000,
            max_overflow_chain: 4096,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SqliteFreeError {
    #[error("not an SQLite database (bad header)")]
    NotSqlite,
    #[error("invalid page size {0}")]
    BadPageSize(u32),
    #[error("invalid usable page size {0} (reserved bytes too large)")]
    BadUsableSize(usize),
}

/// One frame of a `-wal` file.
#[derive(Debug, Clone)]
pub struct WalPage<'a> {
    /// 0-based frame index.
    pub frame: usize,
    pub page_no: u32,
    /// The frame's salts match the WAL header (it belongs to the current WAL generation).
    pub salt_ok: bool,
    /// The checksum chain is intact up to a commit frame at or after this one.
    pub committed: bool,
    pub data: &'a [u8],
}

/// Longest text or blob kept per value.
pub const MAX_VALUE_LEN: usize = 1 << 20;
/// SQLite's hard limit on columns per table.
const MAX_COLUMNS: usize = 32767;
/// Varint/serial-type reads allowed per page when searching free space, as a multiple of the page
/// size: bounds the search at O(page size) even when most offsets look like record headers.
const CARVE_WORK_PER_BYTE: usize = 16;
/// Distinct record shapes (column counts) tried when rebuilding damaged record headers.
const MAX_SHAPES: usize = 16;
/// Nodes visited when walking sqlite_master's b-tree.
const MAX_SCHEMA_PAGES: usize = 100_000;

fn be16(b: &[u8], at: usize) -> Option<usize> {
    crate::bytes::u16_be(b, at, "page field")
        .ok()
        .map(usize::from)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    crate::bytes::u32_be(b, at, "page field").ok()
}

/// SQLite varint: 1 to 9 bytes, big-endian, 7 bits per byte with the high bit as continuation,
/// except the 9th byte, which contributes all 8 bits. Returns (value, length).
fn varint(b: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for k in 0..8 {
        let byte = *b.get(at.checked_add(k)?)?;
        v = (v << 7) | u64::from(byte & 0x7F);
        if byte & 0x80 == 0 {
            return Some((v, k + 1));
        }
    }
    let byte = *b.get(at.checked_add(8)?)?;
    Some(((v << 8) | u64::from(byte), 9))
}

fn varint_len(v: u64) -> usize {
    if v > 0x00FF_FFFF_FFFF_FFFF {
        return 9;
    }
    let mut n = 1;
    let mut x = v >> 7;
    while x != 0 {
        n += 1;
        x >>= 7;
    }
    n
}

/// Size in the record body of a value of serial type `t`; None for the reserved types 10 and 11.
fn serial_size(t: u64) -> Option<u64> {
    Some(match t {
        0 | 8 | 9 => 0,
        1..=4 => t,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        _ => (t - 12) / 2,
    })
}

/// The part of a table-leaf payload of `p` bytes stored on the page itself, per the file format
/// document: X = U-35; M = ((U-12)*32/255)-23; K = M+((P-M)%(U-4)); local = P if P<=X, else K if
/// K<=X, else M. `usable` is at least 480 (checked when the header is read).
fn local_len(p: u64, usable: usize) -> u64 {
    let u = usable as u64;
    let x = u - 35;
    if p <= x {
        return p;
    }
    let m = ((u - 12) * 32 / 255) - 23;
    let k = m + (p - m) % (u - 4);
    if k <= x {
        k
    } else {
        m
    }
}

/// A parsed record header: serial types and total length (header plus body).
struct Layout {
    types: Vec<u64>,
    header_len: usize,
    total: usize,
}

/// Parses the record header at `buf[at..]`; the record must fit inside `buf[at..limit]`.
/// `work` counts serial types read, and parsing stops once it passes `max_work`.
fn layout(
    buf: &[u8],
    at: usize,
    limit: usize,
    work: &mut usize,
    max_work: usize,
) -> Option<Layout> {
    let (h, n) = varint(buf, at)?;
    let avail = limit.checked_sub(at)?;
    if h as usize <= n || h > avail as u64 {
        return None;
    }
    let h = h as usize;
    let mut types = Vec::new();
    let mut off = n;
    let mut body = 0u64;
    while off < h {
        *work += 1;
        if *work > max_work || types.len() >= MAX_COLUMNS {
            return None;
        }
        let (t, k) = varint(buf, at + off)?;
        off += k;
        body = body.checked_add(serial_size(t)?)?;
        if body > avail as u64 {
            return None;
        }
        types.push(t);
    }
    if off != h {
        return None;
    }
    let total = (h as u64).checked_add(body)?;
    (total <= avail as u64).then_some(Layout {
        types,
        header_len: h,
        total: total as usize,
    })
}

fn be_int(b: &[u8]) -> i64 {
    let mut v: i64 = if b.first().is_some_and(|x| x & 0x80 != 0) {
        -1
    } else {
        0
    };
    for &x in b {
        v = (v << 8) | i64::from(x);
    }
    v
}

/// Decodes the values of a record whose body starts at `body`; `strict` rejects invalid UTF-8
/// (used for records found by searching, where it is a strong sign of a misparse).
fn decode(buf: &[u8], body: usize, types: &[u64], strict: bool) -> Option<Vec<Value>> {
    let mut out = Vec::with_capacity(types.len());
    let mut pos = body;
    for &t in types {
        let size = usize::try_from(serial_size(t)?).ok()?;
        let bytes = buf.get(pos..pos.checked_add(size)?)?;
        pos += size;
        out.push(match t {
            0 => Value::Null,
            1..=6 => Value::Int(be_int(bytes)),
            7 => {
                let mut a = [0u8; 8];
                a.copy_from_slice(bytes.get(..8)?);
                Value::Real(f64::from_be_bytes(a))
            }
            8 => Value::Int(0),
            9 => Value::Int(1),
            _ if t % 2 == 0 => Value::Blob(bytes.get(..size.min(MAX_VALUE_LEN))?.to_vec()),
            _ => {
                if strict && std::str::from_utf8(bytes).is_err() {
                    return None;
                }
                let cut = bytes.get(..size.min(MAX_VALUE_LEN))?;
                Value::Text(String::from_utf8_lossy(cut).into_owned())
            }
        });
    }
    Some(out)
}

/// A whole record occupying exactly `payload`.
fn parse_record(payload: &[u8]) -> Option<Vec<Value>> {
    let mut work = 0;
    let l = layout(payload, 0, payload.len(), &mut work, usize::MAX)?;
    if l.total != payload.len() {
        return None;
    }
    decode(payload, l.header_len, &l.types, false)
}

/// Plausibility for records found by searching free space rather than through a cell pointer.
fn plausible(values: &[Value]) -> bool {
    values.len() >= 2 && values.iter().any(|v| *v != Value::Null)
}

fn values_hash(values: &[Value]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    values.len().hash(&mut h);
    for v in values {
        match v {
            Value::Null => 0u8.hash(&mut h),
            Value::Int(i) => (1u8, i).hash(&mut h),
            Value::Real(f) => (2u8, f.to_bits()).hash(&mut h),
            Value::Text(s) => (3u8, s).hash(&mut h),
            Value::Blob(b) => (4u8, b).hash(&mut h),
        }
    }
    h.finish()
}

/// The database geometry from its 100-byte header.
struct Db<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
    /// Whole pages in the file.
    pages: u32,
}

fn check_page_size(raw: u32) -> Result<usize, SqliteFreeError> {
    crate::sqlite::format::page_size(raw).ok_or(SqliteFreeError::BadPageSize(raw))
}

impl<'a> Db<'a> {
    fn open(bytes: &'a [u8]) -> Result<Self, SqliteFreeError> {
        if bytes.get(..16) != Some(&crate::sqlite::SQLITE_MAGIC[..]) || bytes.len() < 100 {
            return Err(SqliteFreeError::NotSqlite);
        }
        let raw = be16(bytes, 16).ok_or(SqliteFreeError::NotSqlite)? as u32;
        let page_size = check_page_size(raw)?;
        let reserved = usize::from(*bytes.get(20).ok_or(SqliteFreeError::NotSqlite)?);
        let usable = page_size - reserved;
        // The format requires a usable size of at least 480; the overflow formulas rely on it.
        if usable < 480 {
            return Err(SqliteFreeError::BadUsableSize(usable));
        }
        let pages = u32::try_from(bytes.len() / page_size).unwrap_or(u32::MAX);
        Ok(Db {
            bytes,
            page_size,
            usable,
            pages,
        })
    }

    fn page(&self, n: u32) -> Option<&'a [u8]> {
        if n == 0 || n > self.pages {
            return None;
        }
        let start = (n as usize - 1).checked_mul(self.page_size)?;
        self.bytes.get(start..start.checked_add(self.page_size)?)
    }

    /// Pages the header says the database has, when that field is trustworthy (it is only valid
    /// when the "version-valid-for" number at 92 equals the change counter at 24).
    fn header_pages(&self) -> Option<u32> {
        let n = be32(self.bytes, 28)?;
        (n > 0 && be32(self.bytes, 92)? == be32(self.bytes, 24)?).then_some(n)
    }
}

/// The b-tree header of a table-leaf page image: (header offset, cell count, content start,
/// first freeblock). Page 1's b-tree header follows the 100-byte file header.
struct LeafHeader {
    hdr: usize,
    ncells: usize,
    content: usize,
    first_free: usize,
}

fn leaf_header(pg: &[u8], page_no: u32, usable: usize) -> Option<LeafHeader> {
    let hdr = if page_no == 1 { 100 } else { 0 };
    if *pg.get(hdr)? != 13 {
        return None;
    }
    let first_free = be16(pg, hdr + 1)?;
    let ncells = be16(pg, hdr + 3)?;
    let content = match be16(pg, hdr + 5)? {
        0 => 65536,
        c => c,
    };
    // Cell pointers must fit before the content area, which must lie within the usable size.
    let ptr_end = hdr + 8 + 2 * ncells;
    if ptr_end > usable || content > usable {
        return None;
    }
    Some(LeafHeader {
        hdr,
        ncells,
        content: content.max(ptr_end),
        first_free,
    })
}

/// A table-leaf cell at `pg[at..]`: (rowid, values). Overflow chains are followed in `db` when
/// given (WAL frames have none to follow, so such cells are skipped there).
fn leaf_cell(
    db: Option<&Db>,
    pg: &[u8],
    at: usize,
    usable: usize,
    limits: &RecoverLimits,
) -> Option<(i64, Vec<Value>)> {
    let (p, n1) = varint(pg, at)?;
    let (rowid, n2) = varint(pg, at + n1)?;
    let start = at + n1 + n2;
    let local = local_len(p, usable) as usize;
    let local_end = start.checked_add(local)?;
    if local_end > usable {
        return None;
    }
    let local_bytes = pg.get(start..local_end)?;
    if local as u64 == p {
        return Some((rowid as i64, parse_record(local_bytes)?));
    }
    let db = db?;
    let chunk = db.usable - 4;
    // Refuse lengths the chain bound cannot reach before allocating anything for them.
    let reachable = (local as u64)
        .saturating_add((limits.max_overflow_chain as u64).saturating_mul(chunk as u64));
    if p > reachable {
        return None;
    }
    let mut payload = local_bytes.to_vec();
    let mut next = be32(pg, local_end)?;
    let mut seen = HashSet::new();
    while (payload.len() as u64) < p {
        if next == 0 || !seen.insert(next) || seen.len() > limits.max_overflow_chain {
            return None;
        }
        let ov = db.page(next)?;
        let want = ((p - payload.len() as u64) as usize).min(chunk);
        payload.extend_from_slice(ov.get(4..4 + want)?);
        next = be32(ov, 0)?;
    }
    Some((rowid as i64, parse_record(&payload)?))
}

/// What the live records of a table look like: searching free space uses it to rebuild records
/// whose header-size byte (and first serial type) the freeblock header overwrote, and to reject
/// byte runs that merely parse as a record.
#[derive(Clone, Debug, PartialEq)]
struct Shape {
    columns: usize,
    /// Column 0 is NULL in every live record (an `INTEGER PRIMARY KEY`, the Core Data `Z_PK`).
    first_null: bool,
    /// Per column, the storage classes seen (bits: 1 NULL, 2 integer, 4 real, 8 text, 16 blob).
    classes: Vec<u8>,
}

fn class_bit(v: &Value) -> u8 {
    match v {
        Value::Null => 1,
        Value::Int(_) => 2,
        Value::Real(_) => 4,
        Value::Text(_) => 8,
        Value::Blob(_) => 16,
    }
}

impl Shape {
    /// A recovered record fits when it has as many columns and every value has a storage class
    /// seen in that column. NULL always fits; so does an integer where reals were seen, because
    /// SQLite stores integral REAL values as integers. A column that was NULL in every live
    /// record (a rowid alias) accepts anything.
    fn fits(&self, values: &[Value]) -> bool {
        values.len() == self.columns
            && values.iter().zip(&self.classes).all(|(v, &mask)| {
                let bit = class_bit(v);
                mask == 1 || bit == 1 || mask & bit != 0 || (bit == 2 && mask & 4 != 0)
            })
    }
}

/// Accumulates shapes, one per column count (classes merged).
#[derive(Default)]
struct ShapeAcc {
    by_cols: HashMap<usize, (usize, Shape)>,
}

impl ShapeAcc {
    fn add(&mut self, r: &[Value]) {
        let e = self.by_cols.entry(r.len()).or_insert_with(|| {
            (
                0,
                Shape {
                    columns: r.len(),
                    first_null: true,
                    classes: vec![0; r.len()],
                },
            )
        });
        e.0 += 1;
        e.1.first_null &= r.first().is_none_or(|v| *v == Value::Null);
        for (m, v) in e.1.classes.iter_mut().zip(r) {
            *m |= class_bit(v);
        }
    }

    /// The shapes, most common first, at most `MAX_SHAPES`.
    fn finish(self) -> Vec<Shape> {
        let mut v: Vec<(usize, Shape)> = self.by_cols.into_values().collect();
        v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.columns.cmp(&b.1.columns)));
        v.into_iter().take(MAX_SHAPES).map(|(_, s)| s).collect()
    }
}

fn shapes_of<'v>(records: impl IntoIterator<Item = &'v Vec<Value>>) -> Vec<Shape> {
    let mut acc = ShapeAcc::default();
    for r in records {
        acc.add(r);
    }
    acc.finish()
}

/// Searches `pg[a..b]` (free space) for records.
struct Carver<'p> {
    pg: &'p [u8],
    work: usize,
    max_work: usize,
    /// Candidate shapes; the page's own when it has live cells, else the database's.
    shapes: &'p [Shape],
    /// Reject records that fit none of `shapes` (set when the shapes are the page's own).
    require_shape: bool,
}

impl Carver<'_> {
    fn accept(&self, v: &[Value]) -> bool {
        plausible(v) && (!self.require_shape || self.shapes.iter().any(|s| s.fits(v)))
    }

    /// A record with an intact header at `at`, fitting before `b`: (values, length).
    fn record(&mut self, at: usize, b: usize) -> Option<(Vec<Value>, usize)> {
        let l = layout(self.pg, at, b, &mut self.work, self.max_work)?;
        let v = decode(self.pg, at + l.header_len, &l.types, true)?;
        self.accept(&v).then_some((v, l.total))
    }

    /// A record whose serial types start at `types_at` but whose header-size byte (and, when
    /// `first_lost`, first serial type) were overwritten: a shape says how many types follow.
    fn rebuilt(
        &mut self,
        shape: &Shape,
        types_at: usize,
        b: usize,
        first_lost: bool,
    ) -> Option<(Vec<Value>, usize)> {
        if first_lost && !shape.first_null {
            return None;
        }
        let want = shape.columns.checked_sub(usize::from(first_lost))?;
        let mut types = Vec::new();
        if first_lost {
            types.push(0);
        }
        let mut off = types_at;
        let mut body = 0u64;
        for _ in 0..want {
            self.work += 1;
            if self.work > self.max_work {
                return None;
            }
            let (t, k) = varint(self.pg, off)?;
            off += k;
            body = body.checked_add(serial_size(t)?)?;
            types.push(t);
        }
        let end = (off as u64).checked_add(body)?;
        if end > b as u64 {
            return None;
        }
        let v = decode(self.pg, off, &types, true)?;
        (plausible(&v) && shape.fits(&v)).then_some((v, end as usize - types_at))
    }

    /// A deleted cell starting exactly at `c`, its first 4 bytes overwritten: tries the record at
    /// each plausible offset past the payload-length and rowid varints, then the rebuilt forms.
    /// Returns (values, end).
    fn cell(&mut self, c: usize, b: usize) -> Option<(Vec<Value>, usize)> {
        let mut loose = None;
        for v in 4..=12 {
            if let Some((vals, len)) = self.record(c + v, b) {
                // The lost prefix held the payload-length varint and a rowid varint (1..=9 bytes).
                if v < varint_len(len as u64) + 1 {
                    continue;
                }
                if self.shapes.iter().any(|s| s.fits(&vals)) {
                    return Some((vals, c + v + len));
                }
                loose.get_or_insert((vals, c + v + len));
            }
        }
        // One-byte payload length and rowid: the header-size byte sat at c+3 (or, with both
        // varints one byte long, at c+2 and the first serial type at c+3).
        let shapes = self.shapes;
        for first_lost in [false, true] {
            for shape in shapes {
                if let Some((vals, len)) = self.rebuilt(shape, c + 4, b, first_lost) {
                    return Some((vals, c + 4 + len));
                }
            }
        }
        loose
    }

    /// Records in `pg[a..b]`: (offset, values). With `cell_start`, a cell is known to begin at
    /// `a` (a freeblock). When shapes are known but not required, records fitting a shape are
    /// searched first and loose ones only in the gaps between them, so a misparse of stale bytes
    /// (an old cell pointer array, say) cannot swallow a real record that starts inside it.
    fn region(&mut self, a: usize, b: usize, cell_start: bool, out: &mut Vec<(usize, Vec<Value>)>) {
        if self.require_shape || self.shapes.is_empty() {
            let mut found = Vec::new();
            self.pass(a, b, cell_start, &mut found);
            out.extend(found.into_iter().map(|(o, _, v)| (o, v)));
            return;
        }
        self.require_shape = true;
        let mut strict = Vec::new();
        self.pass(a, b, cell_start, &mut strict);
        self.require_shape = false;
        let mut loose = Vec::new();
        let mut gap_start = a;
        for &(o, end, _) in &strict {
            self.pass(gap_start, o, gap_start == a && cell_start, &mut loose);
            gap_start = end;
        }
        self.pass(gap_start, b, gap_start == a && cell_start, &mut loose);
        let mut all: Vec<(usize, Vec<Value>)> = strict
            .into_iter()
            .chain(loose)
            .map(|(o, _, v)| (o, v))
            .collect();
        all.sort_by_key(|r| r.0);
        out.extend(all);
    }

    /// One left-to-right search of `pg[a..b]`: (offset, end, values). After each record the next
    /// cell is assumed to follow directly (cells are packed downwards as rows are added).
    fn pass(
        &mut self,
        a: usize,
        b: usize,
        cell_start: bool,
        out: &mut Vec<(usize, usize, Vec<Value>)>,
    ) {
        let mut pos = a;
        let mut at_cell = cell_start;
        while pos < b && self.work <= self.max_work {
            if at_cell {
                if let Some((vals, end)) = self.cell(pos, b) {
                    out.push((pos, end, vals));
                    pos = end;
                    continue;
                }
                at_cell = false;
            }
            self.work += 1;
            if let Some((vals, len)) = self.record(pos, b) {
                out.push((pos, pos + len, vals));
                pos += len;
                at_cell = true;
                continue;
            }
            pos += 1;
        }
    }
}

/// Cells of a table-leaf page image through its cell pointer array: (offset, rowid, values).
fn pointer_cells(
    db: Option<&Db>,
    pg: &[u8],
    h: &LeafHeader,
    usable: usize,
    limits: &RecoverLimits,
) -> Vec<(usize, i64, Vec<Value>)> {
    let mut out = Vec::new();
    for k in 0..h.ncells {
        let Some(ptr) = be16(pg, h.hdr + 8 + 2 * k) else {
            break;
        };
        if ptr < h.hdr + 8 || ptr >= usable {
            continue;
        }
        if let Some((rowid, vals)) = leaf_cell(db, pg, ptr, usable, limits) {
            out.push((ptr, rowid, vals));
        }
    }
    out
}

/// Free space of a table-leaf page: the freeblock chain (as cell-start regions) and the gap
/// between the pointer array and the content area. Returns (offset, values, from_freeblock).
fn free_space_records(
    pg: &[u8],
    h: &LeafHeader,
    usable: usize,
    shapes: &[Shape],
    require_shape: bool,
) -> Vec<(usize, Vec<Value>, bool)> {
    let mut carver = Carver {
        pg,
        work: 0,
        max_work: usable.saturating_mul(CARVE_WORK_PER_BYTE),
        shapes,
        require_shape,
    };
    let mut out = Vec::new();
    // Freeblocks: each is (next u16, size u16); the chain must move forwards (SQLite keeps it
    // sorted), which also makes it finite.
    let mut fb = h.first_free;
    let mut last = 0usize;
    for _ in 0..usable / 4 {
        if fb == 0 || fb <= last || fb < h.hdr + 8 {
            break;
        }
        let (Some(next), Some(size)) = (be16(pg, fb), be16(pg, fb + 2)) else {
            break;
        };
        let end = fb.saturating_add(size).min(usable);
        let mut found = Vec::new();
        carver.region(fb, end, true, &mut found);
        out.extend(found.into_iter().map(|(o, v)| (o, v, true)));
        last = fb;
        fb = next;
    }
    let ptr_end = h.hdr + 8 + 2 * h.ncells;
    let mut found = Vec::new();
    carver.region(ptr_end, h.content, false, &mut found);
    out.extend(found.into_iter().map(|(o, v)| (o, v, false)));
    out
}

/// Freelist pages: (page, is_trunk, leaf count on a trunk). Trunk chains are followed with a
/// visited set and at most `max_pages` pages, whatever the freelist count at offset 36 claims.
fn freelist(db: &Db, max_pages: usize) -> Vec<(u32, bool, usize)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut trunk = be32(db.bytes, 32).unwrap_or(0);
    let per_trunk = db.usable / 4 - 2;
    while trunk != 0 && out.len() < max_pages && seen.insert(trunk) {
        let Some(pg) = db.page(trunk) else {
            break;
        };
        let n = (be32(pg, 4).unwrap_or(0) as usize).min(per_trunk);
        out.push((trunk, true, n));
        for k in 0..n {
            if out.len() >= max_pages {
                break;
            }
            let Some(leaf) = be32(pg, 8 + 4 * k) else {
                break;
            };
            if leaf != 0 && leaf <= db.pages && seen.insert(leaf) {
                out.push((leaf, false, 0));
            }
        }
        trunk = be32(pg, 0).unwrap_or(0);
    }
    out
}

/// Recovers deleted records from a database file image: from free pages, and from freeblocks and
/// unallocated space of live table-leaf pages. Records identical to live rows are omitted.
pub fn recover_deleted(
    db: &[u8],
    limits: &RecoverLimits,
) -> Result<Vec<Recovered>, SqliteFreeError> {
    let db = Db::open(db)?;
    let mut budget = limits.max_pages;
    let free = freelist(&db, budget);
    budget = budget.saturating_sub(free.len());
    let free_set: HashSet<u32> = free.iter().map(|f| f.0).collect();
    // Pages past the header's page count are not part of the database any more either.
    let mut free_pages: Vec<(u32, bool, usize)> = free;
    if let Some(n) = db.header_pages() {
        for p in n.saturating_add(1)..=db.pages {
            if budget == 0 {
                break;
            }
            budget -= 1;
            free_pages.push((p, false, 0));
        }
    }
    let live_limit = db.header_pages().unwrap_or(db.pages).min(db.pages);

    // Live table leaves: their cells define what is *not* deleted, and their free space is
    // searched afterwards with the page's shape.
    let mut live_rows: HashSet<(i64, u64)> = HashSet::new();
    let mut live_vals: HashSet<u64> = HashSet::new();
    let mut live_pages: Vec<(u32, Vec<Shape>)> = Vec::new();
    let mut all_shapes = ShapeAcc::default();
    for p in 1..=live_limit {
        if budget == 0 {
            break;
        }
        if free_set.contains(&p) {
            continue;
        }
        let Some(pg) = db.page(p) else { break };
        let Some(h) = leaf_header(pg, p, db.usable) else {
            continue;
        };
        budget -= 1;
        let cells = pointer_cells(Some(&db), pg, &h, db.usable, limits);
        let mut recs = Vec::with_capacity(cells.len());
        for (_, rowid, vals) in cells {
            let vh = values_hash(&vals);
            live_rows.insert((rowid, vh));
            live_vals.insert(vh);
            all_shapes.add(&vals);
            recs.push(vals);
        }
        live_pages.push((p, shapes_of(&recs)));
    }
    let all_shapes = all_shapes.finish();

    let mut out = Vec::new();
    let push = |out: &mut Vec<Recovered>, r: Recovered| -> bool {
        if out.len() >= limits.max_records {
            return false;
        }
        let vh = values_hash(&r.values);
        let live = match r.rowid {
            Some(id) => live_rows.contains(&(id, vh)),
            None => live_vals.contains(&vh),
        };
        if !live {
            out.push(r);
        }
        true
    };

    for &(p, is_trunk, leaves) in &free_pages {
        let Some(pg) = db.page(p) else { continue };
        let mut found: Vec<Recovered> = Vec::new();
        match (is_trunk, leaf_header(pg, p, db.usable)) {
            (false, Some(h)) => {
                let cells = pointer_cells(Some(&db), pg, &h, db.usable, limits);
                // A freed page's own cells tell its table's shape; without any, the shapes of
                // the live tables are tried but not required (it may belong to a dropped table).
                let own = shapes_of(cells.iter().map(|c| &c.2));
                let (shapes, require) = if own.is_empty() {
                    (&all_shapes, false)
                } else {
                    (&own, true)
                };
                for (off, values, _) in free_space_records(pg, &h, db.usable, shapes, require) {
                    found.push(Recovered {
                        page: p,
                        offset: off,
                        source: FreeSource::FreePage,
                        rowid: None,
                        values,
                    });
                }
                for (off, rowid, values) in cells {
                    found.push(Recovered {
                        page: p,
                        offset: off,
                        source: FreeSource::FreePage,
                        rowid: Some(rowid),
                        values,
                    });
                }
            }
            _ => {
                // No usable header: search everything after the trunk's own pointers.
                let start = if is_trunk { 8 + 4 * leaves } else { 0 };
                let mut carver = Carver {
                    pg,
                    work: 0,
                    max_work: db.usable.saturating_mul(CARVE_WORK_PER_BYTE),
                    shapes: &all_shapes,
                    require_shape: false,
                };
                let mut recs = Vec::new();
                carver.region(start, db.usable, false, &mut recs);
                for (off, values) in recs {
                    found.push(Recovered {
                        page: p,
                        offset: off,
                        source: FreeSource::FreePage,
                        rowid: None,
                        values,
                    });
                }
            }
        }
        for r in found {
            if !push(&mut out, r) {
                return Ok(out);
            }
        }
    }

    for (p, own) in live_pages {
        let Some(pg) = db.page(p) else { continue };
        let Some(h) = leaf_header(pg, p, db.usable) else {
            continue;
        };
        // A live page belongs to one table: its live cells' shape is required of what is found
        // in its free space (an empty page falls back to every live table's shape, loosely).
        let (shapes, require) = if own.is_empty() {
            (&all_shapes, false)
        } else {
            (&own, true)
        };
        for (off, values, freeblock) in free_space_records(pg, &h, db.usable, shapes, require) {
            let source = if freeblock {
                FreeSource::FreeBlock
            } else {
                FreeSource::Unallocated
            };
            let r = Recovered {
                page: p,
                offset: off,
                source,
                rowid: None,
                values,
            };
            if !push(&mut out, r) {
                return Ok(out);
            }
        }
    }
    Ok(out)
}

use crate::sqlite::format::wal_checksum;

/// The frames of a `-wal` file. An unreadable header (bad magic or page size) yields no frames;
/// `wal_pages_with_hint` can supply the page size instead.
pub fn wal_pages(wal: &[u8]) -> Vec<WalPage<'_>> {
    wal_pages_with_hint(wal, None)
}

fn wal_pages_with_hint(wal: &[u8], page_size_hint: Option<usize>) -> Vec<WalPage<'_>> {
    let magic = be32(wal, 0).unwrap_or(0);
    let header_ok = magic == 0x377F_0682 || magic == 0x377F_0683;
    let big_endian = magic & 1 == 1;
    let from_header = be32(wal, 8).and_then(|p| check_page_size(p).ok());
    let Some(ps) = (if header_ok { from_header } else { None }).or_else(|| {
        page_size_hint.filter(|&p| crate::sqlite::format::page_size(p as u32) == Some(p))
    }) else {
        return Vec::new();
    };
    let salts = wal.get(16..24);
    let mut sum = wal.get(..24).map(|h| wal_checksum(h, (0, 0), big_endian));
    let header_sum = (be32(wal, 24), be32(wal, 28));
    if !header_ok || sum.map(|s| (Some(s.0), Some(s.1))) != Some(header_sum) {
        sum = None;
    }
    let frame_len = 24 + ps;
    let mut out = Vec::new();
    let mut last_commit = None;
    let mut frame = 0usize;
    // The number of frames is bounded by the file length.
    while let Some(f) = wal.get(32 + frame * frame_len..32 + (frame + 1) * frame_len) {
        let page_no = be32(f, 0).unwrap_or(0);
        let salt_ok = header_ok && f.get(8..16) == salts;
        if let Some(s) = sum {
            let s = wal_checksum(f.get(..8).unwrap_or(&[]), s, big_endian);
            let s = wal_checksum(f.get(24..).unwrap_or(&[]), s, big_endian);
            if salt_ok && (be32(f, 16), be32(f, 20)) == (Some(s.0), Some(s.1)) {
                sum = Some(s);
                if be32(f, 4).unwrap_or(0) != 0 {
                    last_commit = Some(frame);
                }
            } else {
                sum = None;
            }
        }
        out.push(WalPage {
            frame,
            page_no,
            salt_ok,
            committed: false,
            data: f.get(24..).unwrap_or(&[]),
        });
        frame += 1;
    }
    if let Some(c) = last_commit {
        for w in out.iter_mut().take(c + 1) {
            w.committed = true;
        }
    }
    out
}

/// Recovers records from page versions in a `-wal` that were superseded: every table-leaf cell of
/// a frame that is not the last current-generation frame of its page, plus records in the free
/// space of any frame. Records identical to one in a latest version are omitted, and each
/// distinct (page, rowid, values) is reported once, from its latest frame. Overflow chains cannot
/// be followed from a WAL alone, so cells that overflow are skipped.
pub fn recover_from_wal(
    wal: &[u8],
    page_size_hint: Option<usize>,
    limits: &RecoverLimits,
) -> Vec<Recovered> {
    let frames = wal_pages_with_hint(wal, page_size_hint);
    let Some(first) = frames.first() else {
        return Vec::new();
    };
    // Without the database header, assume no reserved bytes (SQLite's default).
    let usable = first.data.len();
    let mut latest: HashMap<u32, usize> = HashMap::new();
    for w in frames.iter().filter(|w| w.salt_ok) {
        latest.insert(w.page_no, w.frame);
    }
    let mut live_rows: HashSet<(i64, u64)> = HashSet::new();
    let mut live_vals: HashSet<u64> = HashSet::new();
    for &f in latest.values() {
        let Some(w) = frames.get(f) else { continue };
        if let Some(h) = leaf_header(w.data, w.page_no, usable) {
            for (_, rowid, vals) in pointer_cells(None, w.data, &h, usable, limits) {
                let vh = values_hash(&vals);
                live_rows.insert((rowid, vh));
                live_vals.insert(vh);
            }
        }
    }
    let mut out: Vec<Recovered> = Vec::new();
    let mut seen: HashSet<(u32, Option<i64>, u64)> = HashSet::new();
    // Newest first, so duplicates keep their latest frame.
    for w in frames.iter().rev().take(limits.max_pages) {
        let Some(h) = leaf_header(w.data, w.page_no, usable) else {
            continue;
        };
        let cells = pointer_cells(None, w.data, &h, usable, limits);
        let own = shapes_of(cells.iter().map(|c| &c.2));
        let mut found: Vec<(usize, Option<i64>, Vec<Value>)> = Vec::new();
        if latest.get(&w.page_no) != Some(&w.frame) {
            found.extend(cells.into_iter().map(|(o, id, v)| (o, Some(id), v)));
        }
        let require = !own.is_empty();
        for (o, v, _) in free_space_records(w.data, &h, usable, &own, require) {
            found.push((o, None, v));
        }
        for (offset, rowid, values) in found {
            let vh = values_hash(&values);
            let live = match rowid {
                Some(id) => live_rows.contains(&(id, vh)),
                None => live_vals.contains(&vh),
            };
            if live || !seen.insert((w.page_no, rowid, vh)) {
                continue;
            }
            if out.len() >= limits.max_records {
                return out;
            }
            out.push(Recovered {
                page: w.page_no,
                offset,
                source: FreeSource::WalFrame { frame: w.frame },
                rowid,
                values,
            });
        }
    }
    out.sort_by_key(|r| match r.source {
        FreeSource::WalFrame { frame } => (frame, r.offset),
        _ => (0, r.offset),
    });
    out
}

/// Tables and their root pages, from the `sqlite_master` b-tree rooted at page 1 (leaf and
/// interior pages; cycles and bad child pointers are skipped).
pub fn table_root_pages(db: &[u8]) -> Vec<(String, u32)> {
    let Ok(db) = Db::open(db) else {
        return Vec::new();
    };
    let limits = RecoverLimits::default();
    let mut out = Vec::new();
    let mut stack = vec![1u32];
    let mut seen = HashSet::new();
    while let Some(p) = stack.pop() {
        if seen.len() >= MAX_SCHEMA_PAGES || !seen.insert(p) {
            continue;
        }
        let Some(pg) = db.page(p) else { continue };
        let hdr = if p == 1 { 100 } else { 0 };
        match pg.get(hdr) {
            Some(5) => {
                // Interior table page: children are each cell's left pointer plus the right-most
                // pointer; pushed in reverse so leaves are visited in key order.
                let n = be16(pg, hdr + 3).unwrap_or(0).min(db.usable / 2);
                let mut kids = Vec::new();
                for k in 0..n {
                    if let Some(c) = be16(pg, hdr + 12 + 2 * k).and_then(|ptr| be32(pg, ptr)) {
                        kids.push(c);
                    }
                }
                if let Some(r) = be32(pg, hdr + 8) {
                    kids.push(r);
                }
                stack.extend(kids.into_iter().rev());
            }
            Some(13) => {
                let Some(h) = leaf_header(pg, p, db.usable) else {
                    continue;
                };
                for (_, _, vals) in pointer_cells(Some(&db), pg, &h, db.usable, &limits) {
                    if let (
                        Some(Value::Text(ty)),
                        Some(Value::Text(name)),
                        Some(Value::Int(root)),
                    ) = (vals.first(), vals.get(1), vals.get(3))
                    {
                        if ty == "table" {
                            if let Ok(root) = u32::try_from(*root) {
                                out.push((name.clone(), root));
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn uuid(i: i64) -> String {
        format!(
            "{:08X}-{:04X}-4{:03X}-A{:03X}-{:012X}",
            i * 7919,
            i % 65536,
            i % 4096,
            (i * 3) % 4096,
            i * 104_729
        )
    }

    fn filename(i: i64) -> String {
        format!(
            "DCIM/1{:02}APPLE/IMG_{i:04}_recovered_from_a_backup_with_a_long_descriptive_name.HEIC",
            i % 100
        )
    }

    fn date(i: i64) -> f64 {
        600_000_000.0 + i as f64 * 3600.25
    }

    fn create(conn: &Connection) {
        conn.execute_batch(
            "CREATE TABLE ZASSET(Z_PK INTEGER PRIMARY KEY, ZUUID TEXT, ZFILENAME TEXT, \
             ZDATECREATED REAL, ZTRASHEDSTATE INTEGER);",
        )
        .unwrap();
    }

    fn insert(conn: &Connection, ids: impl Iterator<Item = i64>) {
        let tx = conn.unchecked_transaction().unwrap();
        for i in ids {
            tx.execute(
                "INSERT INTO ZASSET VALUES (?1, ?2, ?3, ?4, ?5)",
                rusqlite::params![i, uuid(i), filename(i), date(i), i % 2],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }

    fn is_row(r: &Recovered, i: i64) -> bool {
        // SQLite stores a REAL whose value is integral as an integer in the record.
        let d = date(i);
        let date_ok = match r.values.get(3) {
            Some(Value::Real(x)) => *x == d,
            Some(Value::Int(x)) => d.fract() == 0.0 && *x == d as i64,
            _ => false,
        };
        date_ok
            && r.values.len() == 5
            && r.values[0] == Value::Null
            && r.values[1] == Value::Text(uuid(i))
            && r.values[2] == Value::Text(filename(i))
            && r.values[4] == Value::Int(i % 2)
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    const DELETED_RANGE: std::ops::RangeInclusive<i64> = 100..=300;
    const DELETED_SINGLES: [i64; 6] = [20, 22, 24, 350, 351, 352];

    /// A rollback-journal database with 400 rows, rows 100..=300 deleted (whole pages freed) and
    /// a few rows deleted from pages that stay live.
    fn deleted_db() -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Photos.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "PRAGMA secure_delete=OFF; PRAGMA auto_vacuum=NONE; PRAGMA journal_mode=DELETE;",
            )
            .unwrap();
            create(&conn);
            insert(&conn, 1..=400);
            conn.execute("DELETE FROM ZASSET WHERE Z_PK BETWEEN 100 AND 300", [])
                .unwrap();
            for i in DELETED_SINGLES {
                conn.execute("DELETE FROM ZASSET WHERE Z_PK = ?1", [i])
                    .unwrap();
            }
        }
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn recovers_deleted_rows_from_free_pages_and_freeblocks() {
        let db = deleted_db();
        assert!(be32(&db, 36).unwrap() > 0, "the delete freed pages");
        let got = recover_deleted(&db, &RecoverLimits::default()).unwrap();
        let deleted: Vec<i64> = DELETED_RANGE.chain(DELETED_SINGLES).collect();
        let mut missing = Vec::new();
        for &i in &deleted {
            let hits: Vec<&Recovered> = got.iter().filter(|r| is_row(r, i)).collect();
            if hits.is_empty() {
                // Only acceptable when the row's bytes are really gone from the file (a moved
                // or new cell may overwrite part of a deleted one).
                let mut body = format!("{}{}", uuid(i), filename(i)).into_bytes();
                let d = date(i);
                if d.fract() == 0.0 {
                    body.extend_from_slice(&(d as i32).to_be_bytes());
                } else {
                    body.extend_from_slice(&d.to_be_bytes());
                }
                assert!(
                    !contains(&db, &body),
                    "row {i} is in the file but was not recovered"
                );
                missing.push(i);
            }
            for h in &hits {
                if let Some(id) = h.rowid {
                    assert_eq!(id, i);
                }
            }
        }
        // Rebalancing during the delete overwrites some freed cells for real (46 of 207 with this
        // SQLite); everything still in the file was recovered above.
        assert!(
            deleted.len() - missing.len() >= 150,
            "too many lost: {missing:?}"
        );
        // Free-page cells found through their pointers keep their rowid.
        assert!(got
            .iter()
            .any(|r| r.source == FreeSource::FreePage && r.rowid.is_some()));
        // Rows deleted inside pages that stay live come from their freeblocks.
        for i in DELETED_SINGLES {
            assert!(
                got.iter().any(|r| is_row(r, i)
                    && matches!(r.source, FreeSource::FreeBlock | FreeSource::Unallocated)),
                "row {i}"
            );
        }
        // Nothing live is reported, and nothing that is not a real row either.
        for r in &got {
            let i = (1..=400).find(|&i| is_row(r, i));
            let i = i.unwrap_or_else(|| panic!("not a real row: {r:?}"));
            assert!(deleted.contains(&i), "live row {i} reported: {r:?}");
        }
        assert!(got.iter().any(|r| r.source == FreeSource::FreePage));
    }

    #[test]
    fn short_rows_rebuilt_when_header_bytes_were_overwritten() {
        // Payload < 128 and rowid < 128: both varints are one byte, so the freeblock header also
        // overwrote the record's header-size byte and its first serial type (the NULL of the
        // rowid alias). Those rows come back only through the page's shape.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "PRAGMA secure_delete=OFF; CREATE TABLE ZALBUM(Z_PK INTEGER PRIMARY KEY,                  ZTITLE TEXT, ZKIND INTEGER, ZSTART REAL);",
            )
            .unwrap();
            for i in 1..=60i64 {
                conn.execute(
                    "INSERT INTO ZALBUM VALUES (?1, ?2, ?3, ?4)",
                    rusqlite::params![i, format!("Album number {i}"), i * 3, i as f64 + 0.5],
                )
                .unwrap();
            }
            conn.execute("DELETE FROM ZALBUM WHERE Z_PK IN (10, 20, 30)", [])
                .unwrap();
        }
        let db = std::fs::read(&path).unwrap();
        let got = recover_deleted(&db, &RecoverLimits::default()).unwrap();
        for i in [10i64, 20, 30] {
            let want = vec![
                Value::Null,
                Value::Text(format!("Album number {i}")),
                Value::Int(i * 3),
                Value::Real(i as f64 + 0.5),
            ];
            assert!(
                got.iter()
                    .any(|r| r.values == want && r.source == FreeSource::FreeBlock),
                "row {i}: {got:?}"
            );
        }
        assert_eq!(got.len(), 3, "{got:?}");
    }

    #[test]
    fn table_roots_match_sqlite_master() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let conn = Connection::open(&path).unwrap();
        create(&conn);
        // Enough tables with long SQL that sqlite_master spills into interior pages and
        // overflow pages.
        for t in 0..60 {
            let cols: Vec<String> = (0..40)
                .map(|c| format!("ZCOLUMN_NUMBER_{c} TEXT"))
                .collect();
            conn.execute_batch(&format!("CREATE TABLE T{t}({});", cols.join(", ")))
                .unwrap();
        }
        let mut want: Vec<(String, u32)> = conn
            .prepare("SELECT name, rootpage FROM sqlite_master WHERE type='table'")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        drop(conn);
        let db = std::fs::read(&path).unwrap();
        assert_ne!(
            db[100], 13,
            "sqlite_master should be an interior page by now"
        );
        let mut got = table_root_pages(&db);
        want.sort();
        got.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn wal_old_versions_are_recovered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;")
            .unwrap();
        create(&conn);
        insert(&conn, 1..=50);
        conn.execute(
            "UPDATE ZASSET SET ZFILENAME = 'renamed.jpg' WHERE Z_PK <= 10",
            [],
        )
        .unwrap();
        conn.execute("DELETE FROM ZASSET WHERE Z_PK BETWEEN 20 AND 30", [])
            .unwrap();
        let wal = std::fs::read(dir.path().join("w.sqlite-wal")).unwrap();
        let frames = wal_pages(&wal);
        assert!(frames.len() >= 4);
        assert!(frames.iter().all(|f| f.salt_ok && f.committed));
        assert!(frames.iter().all(|f| f.data.len() == 4096));
        let got = recover_from_wal(&wal, None, &RecoverLimits::default());
        for i in (1..=10).chain(20..=30) {
            assert!(
                got.iter().any(|r| is_row(r, i)
                    && r.rowid == Some(i)
                    && matches!(r.source, FreeSource::WalFrame { .. })),
                "old version of row {i}"
            );
        }
        for r in &got {
            // Unchanged rows are identical in the latest frame and so not reported.
            assert!(!(31..=50).any(|i| is_row(r, i)), "{r:?}");
        }
        // A torn tail: the last frame is no longer committed.
        let mut torn = wal.clone();
        let n = torn.len();
        torn[n - 1] ^= 0xFF;
        let frames = wal_pages(&torn);
        assert!(!frames.last().unwrap().committed);
        drop(conn);
    }

    #[test]
    fn hostile_headers_and_truncation() {
        let db = deleted_db();
        let l = RecoverLimits::default();
        for cut in [0usize, 10, 99, 100, 101, 4095, 4096, 4097, 3 * 4096 + 17] {
            let r = recover_deleted(&db[..cut], &l);
            if cut < 100 {
                assert_eq!(r, Err(SqliteFreeError::NotSqlite));
            }
            let _ = table_root_pages(&db[..cut]);
        }
        for raw in [0u16, 3, 511, 513, 4095, 32769] {
            let mut d = db.clone();
            d[16..18].copy_from_slice(&raw.to_be_bytes());
            assert_eq!(
                recover_deleted(&d, &l),
                Err(SqliteFreeError::BadPageSize(u32::from(raw)))
            );
        }
        let mut d = db.clone();
        d[16..18].copy_from_slice(&512u16.to_be_bytes());
        d[20] = 255;
        assert_eq!(
            recover_deleted(&d, &l),
            Err(SqliteFreeError::BadUsableSize(257))
        );
        // Page size 1 means 65536: the 4 KiB-page file then has no whole page, which is fine.
        let mut d = db.clone();
        d[16..18].copy_from_slice(&1u16.to_be_bytes());
        assert!(recover_deleted(&d, &l).is_ok());
        // Freelist count of 4 billion and a trunk that points to itself.
        let mut d = db.clone();
        d[36..40].copy_from_slice(&u32::MAX.to_be_bytes());
        let trunk = be32(&d, 32).unwrap() as usize;
        let at = (trunk - 1) * 4096;
        d[at..at + 4].copy_from_slice(&(trunk as u32).to_be_bytes());
        d[at + 4..at + 8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(recover_deleted(&d, &l).is_ok());
        // Two trunks pointing at each other.
        let mut d2 = d.clone();
        d2[at..at + 4].copy_from_slice(&2u32.to_be_bytes());
        d2[4096..4100].copy_from_slice(&(trunk as u32).to_be_bytes());
        assert!(recover_deleted(&d2, &l).is_ok());
        assert!(freelist(&Db::open(&d2).unwrap(), 1_000_000).len() < 2000);
    }

    /// A table-leaf page image (page 2 of a 4096-byte database) holding one cell at 3000.
    fn page_with_cell(cell: &[u8]) -> Vec<u8> {
        let mut pg = vec![0u8; 4096];
        pg[0] = 13;
        pg[3..5].copy_from_slice(&1u16.to_be_bytes());
        pg[5..7].copy_from_slice(&3000u16.to_be_bytes());
        pg[8..10].copy_from_slice(&3000u16.to_be_bytes());
        pg[3000..3000 + cell.len()].copy_from_slice(cell);
        pg
    }

    #[test]
    fn cell_pointers_past_end_and_huge_varints() {
        let l = RecoverLimits::default();
        let mut pg = page_with_cell(&[0xFF; 9]);
        let h = leaf_header(&pg, 2, 4096).unwrap();
        assert!(pointer_cells(None, &pg, &h, 4096, &l).is_empty());
        // A pointer past the usable size, and a cell count that would run off the page.
        pg[8..10].copy_from_slice(&0xFFFFu16.to_be_bytes());
        let h = leaf_header(&pg, 2, 4096).unwrap();
        assert!(pointer_cells(None, &pg, &h, 4096, &l).is_empty());
        pg[3..5].copy_from_slice(&0xFFFFu16.to_be_bytes());
        assert!(leaf_header(&pg, 2, 4096).is_none());
        // Payload length of 2^64-1 with an overflow pointer: refused before any allocation.
        let mut cell = vec![0xFF; 9];
        cell.push(1);
        let pg = page_with_cell(&cell);
        let db = {
            let mut d = deleted_db();
            d.truncate(4096 * 3);
            d
        };
        let db = Db::open(&db).unwrap();
        assert!(leaf_cell(Some(&db), &pg, 3000, 4096, &l).is_none());
        assert_eq!(varint(&[0xFF; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0x81], 0), None);
    }

    #[test]
    fn cyclic_overflow_chain_terminates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("o.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("CREATE TABLE t(a BLOB);").unwrap();
            conn.execute("INSERT INTO t VALUES (?1)", [vec![0xABu8; 20_000]])
                .unwrap();
        }
        let mut db = std::fs::read(&path).unwrap();
        let l = RecoverLimits::default();
        // The table's leaf is page 2; its single cell's overflow pointer follows the local part.
        let pg = &db[4096..8192];
        let h = leaf_header(pg, 2, 4096).unwrap();
        let d = Db::open(&db).unwrap();
        let cells = pointer_cells(Some(&d), pg, &h, 4096, &l);
        assert_eq!(cells.len(), 1);
        assert_eq!(cells[0].2, vec![Value::Blob(vec![0xAB; 20_000])]);
        let ptr = be16(pg, 8).unwrap();
        let (p, n1) = varint(pg, ptr).unwrap();
        let (_, n2) = varint(pg, ptr + n1).unwrap();
        let ov_at = 4096 + ptr + n1 + n2 + local_len(p, 4096) as usize;
        let first = be32(&db, ov_at).unwrap();
        // Make the first overflow page point back to itself.
        let at = (first as usize - 1) * 4096;
        db[at..at + 4].copy_from_slice(&first.to_be_bytes());
        let d = Db::open(&db).unwrap();
        let pg = &db[4096..8192];
        assert!(pointer_cells(Some(&d), pg, &h, 4096, &l).is_empty());
        assert!(recover_deleted(&db, &l).is_ok());
        // And a chain bound shorter than the chain.
        let short = RecoverLimits {
            max_overflow_chain: 2,
            ..RecoverLimits::default()
        };
        let db = std::fs::read(&path).unwrap();
        let d = Db::open(&db).unwrap();
        assert!(pointer_cells(Some(&d), &db[4096..8192], &h, 4096, &short).is_empty());
    }

    #[test]
    fn local_payload_formula_matches_sqlite() {
        // U=4096: X=4061, M=((4096-12)*32/255)-23=489.
        assert_eq!(local_len(4061, 4096), 4061);
        // K = 489 + 3573 = 4062 > X, so only M stays local.
        assert_eq!(local_len(4062, 4096), 489);
        // K = 489 + 19511 % 4092 = 3632 <= X.
        assert_eq!(local_len(20_000, 4096), 3632);
        assert_eq!(local_len(4092 + 489 + 4000, 4096), 489);
    }

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
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn seeded_random_mutations_never_panic() {
        let db = deleted_db();
        let l = RecoverLimits {
            max_records: 10_000,
            max_pages: 200,
            max_overflow_chain: 64,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;")
            .unwrap();
        create(&conn);
        insert(&conn, 1..=30);
        conn.execute("DELETE FROM ZASSET WHERE Z_PK > 10", [])
            .unwrap();
        let wal = std::fs::read(dir.path().join("w.sqlite-wal")).unwrap();
        for seed in 1..=120u64 {
            let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut d = db.clone();
            let mut w = wal.clone();
            for _ in 0..1 + r.below(64) {
                // Bias towards headers, where one byte changes the most.
                let at = if r.below(3) == 0 {
                    r.below(120)
                } else {
                    r.below(d.len())
                };
                d[at] = r.next() as u8;
                let at = r.below(w.len());
                w[at] = r.next() as u8;
            }
            // Page-header bytes of every page, set to extremes.
            if r.below(2) == 0 {
                let p = r.below(d.len() / 4096);
                let v = [0u8, 0xFF, 13, 5][r.below(4)];
                let k = r.below(8);
                d[p * 4096 + k] = v;
            }
            let cut = if r.below(4) == 0 {
                r.below(d.len())
            } else {
                d.len()
            };
            let _ = recover_deleted(&d[..cut], &l);
            let _ = table_root_pages(&d[..cut]);
            let _ = recover_from_wal(&w, Some(4096), &l);
            let _ = recover_from_wal(&w[..r.below(w.len())], None, &l);
        }
        drop(conn);
    }
}
