//! What `ls` prints: the stable per-entry record (field names are documented in the README)
//! and a listing rendered while the index is read.
//!
//! A listing of a large backup is mostly bookkeeping: building an owned `Entry` per row (three
//! strings and the record), sorting them, escaping them into JSON, freeing them. A `Listing`
//! skips the entries: each reader thread renders its rows straight from SQLite's buffer into
//! one byte buffer, keeping only the sort key of each row, and the keys alone are sorted.

use std::collections::HashMap;

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

    /// `domain/relativePath`, the name a user sees.
    pub fn display(&self) -> String {
        if self.relative_path.is_empty() {
            self.domain.to_string()
        } else {
            format!("{}/{}", self.domain, self.relative_path)
        }
    }
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

/// Bytes `start..end` of block `block` of an arena.
#[derive(Clone, Copy)]
struct Span {
    block: u32,
    start: u32,
    end: u32,
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
            start: start as u32,
            end: self.blocks[self.blocks.len() - 1].len() as u32,
        }
    }

    fn get(&self, s: Span) -> &[u8] {
        &self.blocks[s.block as usize][s.start as usize..s.end as usize]
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

    fn id_only(r: &Record<'_>, w: &mut Vec<u8>) {
        w.extend_from_slice(r.file_id.as_bytes());
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
            let problems = l.problems();
            assert_eq!(problems.len(), 1);
            assert_eq!(problems[0].display, "HomeDomain/a");
            assert_eq!(problems[0].message, "damaged");
        }
    }
}
