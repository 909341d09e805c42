//! What `ls` prints: the stable per-entry record (field names are documented in the README)
//! and a listing rendered while the index is read.
//!
//! A listing of a large backup is mostly bookkeeping: building an owned `Entry` per row (three
//! strings and the record), sorting them, escaping them into JSON, freeing them. A `Listing`
//! skips the entries: each reader thread renders its rows straight from SQLite's buffer into
//! one byte buffer, keeping only the sort key of each row, and the keys alone are sorted.

use std::collections::HashMap;
use std::io::{self, IoSlice, Write};

use rayon::prelude::*;
use serde::Serialize;

use super::order::{self, Key, RowRef, Rows};
use super::{Entry, EntryKind, FileMeta, Row};
use crate::time::Timestamp;

/// The stable JSON/CSV record of one entry; field names are documented in the README.
#[derive(Serialize)]
pub struct Record<'a> {
    pub domain: &'a str,
    pub relative_path: &'a str,
    pub file_id: &'a str,
    pub kind: EntryKind,
    pub size: u64,
    pub mode: Option<u32>,
    pub mtime: Option<Timestamp>,
    pub ctime: Option<Timestamp>,
    pub birth: Option<Timestamp>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub inode: Option<u64>,
    pub protection_class: Option<u32>,
    pub target: Option<&'a str>,
    pub problem: Option<&'a str>,
}

impl<'a> Record<'a> {
    fn new(
        domain: &'a str,
        relative_path: &'a str,
        file_id: &'a str,
        flags: i64,
        m: &'a FileMeta,
        problem: Option<&'a str>,
    ) -> Record<'a> {
        Record {
            domain,
            relative_path,
            file_id,
            kind: EntryKind::of(flags, m.mode),
            size: m.size.unwrap_or(0),
            mode: m.mode,
            mtime: m.mtime.map(Timestamp::from_unix),
            ctime: m.ctime.map(Timestamp::from_unix),
            birth: m.birth.map(Timestamp::from_unix),
            uid: m.uid,
            gid: m.gid,
            inode: m.inode,
            protection_class: m.protection_class,
            target: m.target.as_deref(),
            problem,
        }
    }

    pub fn of_row(r: &'a Row<'_>) -> Record<'a> {
        Record::new(
            &r.domain,
            &r.relative_path,
            &r.file_id,
            r.flags,
            &r.meta,
            r.problem.as_deref(),
        )
    }

    /// The record as one JSON object, byte for byte what `serde_json` writes for it (a test
    /// holds them equal). Written by hand because it is most of `ls --json`'s own work: no
    /// serializer state, and strings that need no escaping, nearly all, are copied whole.
    pub fn write_json(&self, w: &mut Vec<u8>) {
        w.extend_from_slice(b"{\"domain\":");
        json_str(w, self.domain);
        w.extend_from_slice(b",\"relative_path\":");
        json_str(w, self.relative_path);
        w.extend_from_slice(b",\"file_id\":");
        json_str(w, self.file_id);
        w.extend_from_slice(match self.kind {
            EntryKind::File => b",\"kind\":\"file\"".as_slice(),
            EntryKind::Dir => b",\"kind\":\"dir\"",
            EntryKind::Symlink => b",\"kind\":\"symlink\"",
            EntryKind::Other => b",\"kind\":\"other\"",
        });
        w.extend_from_slice(b",\"size\":");
        json_u64(w, Some(self.size));
        w.extend_from_slice(b",\"mode\":");
        json_u64(w, self.mode.map(u64::from));
        for (name, t) in [
            (b",\"mtime\":".as_slice(), self.mtime),
            (b",\"ctime\":", self.ctime),
            (b",\"birth\":", self.birth),
        ] {
            w.extend_from_slice(name);
            match t {
                Some(t) => {
                    w.push(b'"');
                    t.write_rfc3339(w);
                    w.push(b'"');
                }
                None => w.extend_from_slice(b"null"),
            }
        }
        w.extend_from_slice(b",\"uid\":");
        json_u64(w, self.uid.map(u64::from));
        w.extend_from_slice(b",\"gid\":");
        json_u64(w, self.gid.map(u64::from));
        w.extend_from_slice(b",\"inode\":");
        json_u64(w, self.inode);
        w.extend_from_slice(b",\"protection_class\":");
        json_u64(w, self.protection_class.map(u64::from));
        w.extend_from_slice(b",\"target\":");
        json_opt_str(w, self.target);
        w.extend_from_slice(b",\"problem\":");
        json_opt_str(w, self.problem);
        w.push(b'}');
    }

    /// `domain/relativePath`, the name a user sees.
    pub fn display(&self) -> String {
        if self.relative_path.is_empty() {
            self.domain.to_string()
        } else {
            format!("{}/{}", self.domain, self.relative_path)
        }
    }
}

fn json_str(w: &mut Vec<u8>, s: &str) {
    // Folded without an early exit so that the check runs over whole vectors of bytes.
    let plain = !s.bytes().fold(false, |dirty, b| {
        dirty | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        w.push(b'"');
        w.extend_from_slice(s.as_bytes());
        w.push(b'"');
    } else {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(w, s);
    }
}

fn json_opt_str(w: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(w, s),
        None => w.extend_from_slice(b"null"),
    }
}

fn json_u64(w: &mut Vec<u8>, v: Option<u64>) {
    let Some(mut v) = v else {
        w.extend_from_slice(b"null");
        return;
    };
    let mut b = [0u8; 20];
    let mut at = b.len();
    loop {
        at -= 1;
        b[at] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    w.extend_from_slice(&b[at..]);
}

pub fn record(e: &Entry) -> Record<'_> {
    Record::new(
        &e.domain,
        &e.relative_path,
        &e.file_id,
        e.flags,
        &e.meta,
        e.problem.as_deref(),
    )
}

/// Renders one record into the output buffer (JSON, CSV, a text line…).
pub type Render = dyn Fn(&Record<'_>, &mut Vec<u8>) + Sync;

/// A row whose record could not be decoded: it is listed, and reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub display: String,
    pub file_id: String,
    pub message: String,
}

/// Bytes kept in fixed blocks rather than one growing vector: growing a vector of 100 MB by
/// doubling copies it and faults in its pages twice over.
#[derive(Default)]
struct Arena {
    blocks: Vec<Vec<u8>>,
}

/// Bytes `start..end` of block `block` of an arena. Offsets are `usize`: one record of a
/// hostile backup can exceed 4 GiB once escaped (a 1 GB path of control characters).
#[derive(Clone, Copy)]
struct Span {
    block: u32,
    start: usize,
    end: usize,
}

impl Arena {
    const BLOCK: usize = 1 << 20;

    /// The block to write about `n` more bytes to: the last one if `n` fits, else a new one.
    /// Writing more than `n` is allowed (a renderer's output is not known in advance); the
    /// block then grows.
    fn room(&mut self, n: usize) -> &mut Vec<u8> {
        let fits = self
            .blocks
            .last()
            .is_some_and(|b| b.capacity() - b.len() >= n);
        if !fits {
            self.blocks.push(Vec::with_capacity(Arena::BLOCK.max(n)));
        }
        let last = self.blocks.len() - 1;
        &mut self.blocks[last]
    }

    /// Runs `write` on a block with room for about `n` bytes; the span of what it wrote.
    fn write(&mut self, n: usize, write: impl FnOnce(&mut Vec<u8>)) -> Span {
        let b = self.room(n);
        let start = b.len();
        write(b);
        Span {
            block: (self.blocks.len() - 1) as u32,
            start,
            end: self.blocks[self.blocks.len() - 1].len(),
        }
    }

    fn get(&self, s: Span) -> &[u8] {
        &self.blocks[s.block as usize][s.start..s.end]
    }
}

/// Where one row's pieces sit in its part's arenas.
struct Slot {
    domain: u32,
    /// The path followed by the file ID.
    key: Span,
    path_len: u32,
    out: Span,
    problem: Option<u32>,
}

/// The rows one reader rendered, in the order it read them.
#[derive(Default)]
pub struct Part {
    domains: Vec<String>,
    domain_ids: HashMap<String, u32>,
    keys: Arena,
    out: Arena,
    slots: Vec<Slot>,
    problems: Vec<Problem>,
}

impl Part {
    pub fn push(&mut self, row: &Row<'_>, render: &Render) {
        // Rows come grouped by domain, so the last one usually matches without hashing.
        let domain = match self.slots.last() {
            Some(s) if self.domains[s.domain as usize] == row.domain => s.domain,
            _ => match self.domain_ids.get(row.domain.as_ref()) {
                Some(&id) => id,
                None => {
                    let id = self.domains.len() as u32;
                    self.domains.push(row.domain.to_string());
                    self.domain_ids.insert(row.domain.to_string(), id);
                    id
                }
            },
        };
        let (path, id) = (row.relative_path.as_bytes(), row.file_id.as_bytes());
        let key = self.keys.write(path.len() + id.len(), |b| {
            b.extend_from_slice(path);
            b.extend_from_slice(id);
        });
        let rec = Record::of_row(row);
        let out = self.out.write(4096, |b| render(&rec, b));
        let problem = row.problem.as_ref().map(|p| {
            self.problems.push(Problem {
                display: rec.display(),
                file_id: row.file_id.to_string(),
                message: p.to_string(),
            });
            (self.problems.len() - 1) as u32
        });
        self.slots.push(Slot {
            domain,
            key,
            path_len: path.len() as u32,
            out,
            problem,
        });
    }

    fn path(&self, s: &Slot) -> &[u8] {
        &self.keys.get(s.key)[..s.path_len as usize]
    }

    fn file_id(&self, s: &Slot) -> &[u8] {
        &self.keys.get(s.key)[s.path_len as usize..]
    }
}

/// Rendered records in the order every listing uses: domain, then path, then file ID.
pub struct Listing {
    parts: Vec<Part>,
    /// (part, slot) of each row, in order.
    order: Vec<RowRef>,
}

impl Listing {
    /// Orders the rows of `parts` (see `order`).
    pub fn new(parts: Vec<Part>) -> Listing {
        let ranks = order::ranks(
            parts
                .iter()
                .flat_map(|p| p.domains.iter().map(String::as_str)),
        );
        let local: Vec<Vec<u32>> = parts
            .iter()
            .map(|p| {
                p.domains
                    .iter()
                    .map(|d| ranks.get(d.as_str()).copied().unwrap_or(0))
                    .collect()
            })
            .collect();
        let mut keys: Vec<Key> = parts
            .par_iter()
            .enumerate()
            .flat_map_iter(|(pi, p)| {
                let ranks = &local[pi];
                p.slots.iter().enumerate().map(move |(si, s)| {
                    Key::new(ranks[s.domain as usize], p.path(s), (pi as u32, si as u32))
                })
            })
            .collect();
        drop(ranks);
        order::sort(&mut keys, &parts);
        let order = keys.into_iter().map(|k| k.row).collect();
        Listing { parts, order }
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The rendered records, in order.
    pub fn records(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.order.iter().map(|&(p, s)| {
            let part = &self.parts[p as usize];
            part.out.get(part.slots[s as usize].out)
        })
    }

    /// Writes the records in order, one after the other.
    pub fn write(&self, w: &mut dyn Write) -> io::Result<()> {
        write_slices(w, self.records())
    }

    /// Writes the records in order as one JSON array, one record a line (what `ls --json`
    /// prints); the records must have been rendered as JSON objects.
    pub fn write_json_array(&self, w: &mut dyn Write) -> io::Result<()> {
        w.write_all(b"[")?;
        let records = self
            .records()
            .enumerate()
            .flat_map(|(i, r)| [if i == 0 { &b"\n"[..] } else { &b",\n"[..] }, r]);
        write_slices(w, records)?;
        w.write_all(b"\n]\n")
    }

    /// The rows whose record did not decode, in order.
    pub fn problems(&self) -> Vec<&Problem> {
        self.order
            .iter()
            .filter_map(|&(p, s)| {
                let part = &self.parts[p as usize];
                part.slots[s as usize]
                    .problem
                    .map(|i| &part.problems[i as usize])
            })
            .collect()
    }
}

/// Writes the slices in order, handing the writer up to 1,024 at a time (one `writev` for
/// stdout) instead of copying 100 MB of records through its buffer.
fn write_slices<'a>(w: &mut dyn Write, slices: impl Iterator<Item = &'a [u8]>) -> io::Result<()> {
    let mut batch: Vec<IoSlice<'a>> = Vec::with_capacity(1024);
    let mut slices = slices.peekable();
    while slices.peek().is_some() {
        batch.clear();
        // Empty slices are left out: a write of nothing would read as a writer that is stuck.
        batch.extend(
            slices
                .by_ref()
                .filter(|s| !s.is_empty())
                .take(1024)
                .map(IoSlice::new),
        );
        let mut rest = &mut batch[..];
        while !rest.is_empty() {
            match w.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

impl Rows for Vec<Part> {
    fn path(&self, (p, s): RowRef) -> &[u8] {
        let part = &self[p as usize];
        part.path(&part.slots[s as usize])
    }

    fn file_id(&self, (p, s): RowRef) -> &[u8] {
        let part = &self[p as usize];
        part.file_id(&part.slots[s as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn row<'a>(domain: &'a str, path: &'a str, id: &'a str, meta: &'a FileMeta) -> Row<'a> {
        Row {
            file_id: Cow::Borrowed(id),
            domain: Cow::Borrowed(domain),
            relative_path: Cow::Borrowed(path),
            flags: 1,
            meta: Cow::Borrowed(meta),
            problem: (id == "bad").then_some(Cow::Borrowed("damaged")),
        }
    }

    /// A writer that takes at most 7 bytes a call, as a pipe may, to exercise partial writes.
    struct Trickle<'a>(&'a mut Vec<u8>);

    impl Write for Trickle<'_> {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            let n = b.len().min(7);
            self.0.extend_from_slice(&b[..n]);
            Ok(n)
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            let mut n = 0;
            for b in bufs {
                let take = b.len().min(7 - n);
                self.0.extend_from_slice(&b[..take]);
                n += take;
                if n == 7 {
                    break;
                }
            }
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn id_only(r: &Record<'_>, w: &mut Vec<u8>) {
        w.extend_from_slice(r.file_id.as_bytes());
    }

    #[test]
    fn hand_written_json_is_what_serde_writes() {
        let odd = "tab\there \"quoted\" back\\slash \u{1} \u{7f} é 漢字 \u{1F600} \n\r\u{8}\u{c}";
        let metas = [
            FileMeta::default(),
            FileMeta {
                size: Some(u64::MAX),
                mode: Some(0o120755),
                uid: Some(0),
                gid: Some(u32::MAX),
                mtime: Some(0),
                ctime: Some(-1),
                birth: Some(-62_167_219_201), // year -1: not RFC 3339's four digits
                inode: Some(1),
                protection_class: Some(4),
                target: Some(odd.to_string()),
                ..FileMeta::default()
            },
            FileMeta {
                mode: Some(0o40755),
                mtime: Some(253_402_300_800), // year 10000
                ctime: Some(1_610_659_523),
                ..FileMeta::default()
            },
        ];
        for (i, m) in metas.iter().enumerate() {
            for (path, flags, problem) in [
                ("Media/DCIM/100APPLE/IMG_0001.HEIC", 1, None),
                (odd, 16, Some(odd)),
                ("", 2, Some("plain")),
                ("x", 4, None),
            ] {
                let r = Record::new("HomeDomain", path, "ab\"c", flags + i as i64, m, problem);
                let mut ours = Vec::new();
                r.write_json(&mut ours);
                let theirs = serde_json::to_vec(&r).unwrap();
                assert_eq!(
                    String::from_utf8(ours).unwrap(),
                    String::from_utf8(theirs).unwrap()
                );
            }
        }
    }

    #[test]
    fn order_is_domain_path_file_id_whatever_the_parts() {
        // Paths that tie on their first 16 and 32 bytes, a path and the same path with a NUL
        // after it, duplicate paths told apart by file ID, domains out of order across parts.
        let long = "Library/Application Support/com.example/";
        let paths: Vec<String> = vec![
            format!("{long}b"),
            format!("{long}a"),
            format!("{long}a\0"),
            "a".into(),
            "a\0".into(),
            "".into(),
            format!("{long}{long}{long}x"),
            format!("{long}{long}{long}"),
            "Library/Application Support".into(),
        ];
        let meta = FileMeta::default();
        let mut rows = Vec::new();
        for (d, domain) in ["HomeDomain", "AppDomain-x", "CameraRollDomain"]
            .iter()
            .enumerate()
        {
            for (i, p) in paths.iter().enumerate() {
                rows.push((domain.to_string(), p.clone(), format!("{d}{i}")));
            }
        }
        rows.push(("HomeDomain".into(), "a".into(), "00".into()));
        rows.push(("HomeDomain".into(), "a".into(), "bad".into()));
        let mut expected = rows.clone();
        expected.sort();
        let expected: Vec<&str> = expected.iter().map(|r| r.2.as_str()).collect();
        for n_parts in [1, 2, 3, 7] {
            let mut parts: Vec<Part> = (0..n_parts).map(|_| Part::default()).collect();
            for (i, (d, p, id)) in rows.iter().rev().enumerate() {
                parts[i % n_parts].push(&row(d, p, id, &meta), &id_only);
            }
            let l = Listing::new(parts);
            let got: Vec<&str> = l
                .records()
                .map(|r| std::str::from_utf8(r).unwrap())
                .collect();
            assert_eq!(got, expected, "{n_parts} parts");
            let mut lines = Vec::new();
            l.write(&mut Trickle(&mut lines)).unwrap();
            assert_eq!(lines, expected.concat().into_bytes());
            let mut json = Vec::new();
            l.write_json_array(&mut Trickle(&mut json)).unwrap();
            assert_eq!(
                json,
                format!("[\n{}\n]\n", expected.join(",\n")).into_bytes()
            );
            let problems = l.problems();
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].display, "HomeDomain/a");
            assert_eq!(problems[0].message, "damaged");
        }
    }
}
