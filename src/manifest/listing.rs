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

/// Where one row's pieces sit in its part's buffers.
struct Slot {
    domain: u32,
    /// Start of the path in `keys`; the file ID follows it.
    key: usize,
    path_len: u32,
    id_len: u32,
    out: (usize, usize),
    problem: Option<u32>,
}

/// The rows one reader rendered, in the order it read them.
#[derive(Default)]
pub struct Part {
    domains: Vec<String>,
    domain_ids: HashMap<String, u32>,
    keys: Vec<u8>,
    out: Vec<u8>,
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
        let key = self.keys.len();
        self.keys.extend_from_slice(row.relative_path.as_bytes());
        self.keys.extend_from_slice(row.file_id.as_bytes());
        let rec = Record::of_row(row);
        let start = self.out.len();
        render(&rec, &mut self.out);
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
            path_len: row.relative_path.len() as u32,
            id_len: row.file_id.len() as u32,
            out: (start, self.out.len()),
            problem,
        });
    }

    fn path(&self, s: &Slot) -> &[u8] {
        &self.keys[s.key..s.key + s.path_len as usize]
    }

    fn file_id(&self, s: &Slot) -> &[u8] {
        let at = s.key + s.path_len as usize;
        &self.keys[at..at + s.id_len as usize]
    }
}

/// Rendered records in the order every listing uses: domain, then path, then file ID.
pub struct Listing {
    parts: Vec<Part>,
    /// (part, slot) of each row, in order.
    order: Vec<(u32, u32)>,
}

impl Listing {
    /// Orders the rows of `parts`. Comparing strings was most of the cost of sorting 300,000
    /// rows (paths share long prefixes such as `Library/Application Support/`), so integers are
    /// sorted instead: the domain's rank and 16 bytes of the path, then, within each run of
    /// equal keys, the path's next 16 bytes, and so on (see `refine`).
    pub fn new(parts: Vec<Part>) -> Listing {
        let mut names: Vec<&str> = parts
            .iter()
            .flat_map(|p| p.domains.iter().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        let ranks: Vec<Vec<u32>> = parts
            .iter()
            .map(|p| {
                p.domains
                    .iter()
                    .map(|d| names.binary_search(&d.as_str()).unwrap_or(0) as u32)
                    .collect()
            })
            .collect();
        let mut keys: Vec<Key> = parts
            .par_iter()
            .enumerate()
            .flat_map_iter(|(pi, p)| {
                let ranks = &ranks[pi];
                p.slots.iter().enumerate().map(move |(si, s)| Key {
                    rank: ranks[s.domain as usize],
                    bytes: chunk(p.path(s), 0),
                    part: pi as u32,
                    slot: si as u32,
                })
            })
            .collect();
        keys.par_sort_unstable_by_key(|k| (k.rank, k.bytes));
        let runs = split_runs(&mut keys);
        runs.into_par_iter().for_each(|run| refine(run, 16, &parts));
        let order = keys.into_iter().map(|k| (k.part, k.slot)).collect();
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
            let (a, b) = part.slots[s as usize].out;
            &part.out[a..b]
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

/// A row's sort key: its domain's rank and 16 bytes of its path from some offset.
#[derive(Clone, Copy)]
struct Key {
    rank: u32,
    bytes: u128,
    part: u32,
    slot: u32,
}

/// 16 bytes of `path` from `at`, zero-padded, as a big-endian integer so that integer order is
/// byte order.
fn chunk(path: &[u8], at: usize) -> u128 {
    let mut b = [0u8; 16];
    if at < path.len() {
        let n = (path.len() - at).min(16);
        b[..n].copy_from_slice(&path[at..at + n]);
    }
    u128::from_be_bytes(b)
}

/// The runs of two or more keys with equal (rank, bytes) in a sorted slice.
fn split_runs(keys: &mut [Key]) -> Vec<&mut [Key]> {
    let mut runs = Vec::new();
    let mut rest = keys;
    while !rest.is_empty() {
        let first = (rest[0].rank, rest[0].bytes);
        let n = rest
            .iter()
            .position(|k| (k.rank, k.bytes) != first)
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at_mut(n);
        if n > 1 {
            runs.push(run);
        }
        rest = tail;
    }
    runs
}

/// Sorts a run of keys that agree on the path's bytes before `at`. Keys are refilled with the
/// next 16 bytes and sorted again, run by run, with a work list rather than recursion because
/// a path from a backup may be arbitrarily long. Once no path has bytes left, what remains is
/// ordered exactly: by the whole path (which also orders `a` before `a\0`), then the file ID.
fn refine(run: &mut [Key], at: usize, parts: &[Part]) {
    let path = |k: &Key| {
        let p = &parts[k.part as usize];
        p.path(&p.slots[k.slot as usize])
    };
    let mut work: Vec<(&mut [Key], usize)> = vec![(run, at)];
    while let Some((run, at)) = work.pop() {
        if run.iter().all(|k| path(k).len() <= at) {
            run.sort_unstable_by(|a, b| {
                let (pa, pb) = (&parts[a.part as usize], &parts[b.part as usize]);
                let (sa, sb) = (&pa.slots[a.slot as usize], &pb.slots[b.slot as usize]);
                pa.path(sa)
                    .cmp(pb.path(sb))
                    .then_with(|| pa.file_id(sa).cmp(pb.file_id(sb)))
            });
            continue;
        }
        for k in run.iter_mut() {
            k.bytes = chunk(path(k), at);
        }
        run.sort_unstable_by_key(|k| k.bytes);
        work.extend(split_runs(run).into_iter().map(|r| (r, at + 16)));
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
