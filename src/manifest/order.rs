//! The order every listing uses: domain, then relative path, then file ID, as bytes.
//!
//! Comparing strings was most of the cost of sorting 300,000 rows: paths share long prefixes
//! (`Library/Application Support/…`) and live far apart in memory. So integers are sorted
//! instead: the domain's rank and the path's first 32 bytes (which tell apart nearly all rows
//! of a real backup); then each run of equal keys is refined with the next 32 bytes, and so on,
//! until only identical paths are left, which the file ID orders.

use rayon::prelude::*;

/// Where a row is, in the caller's terms (a part and a slot, or 0 and an index).
pub type RowRef = (u32, u32);

/// The rows being ordered, as the caller stores them.
pub trait Rows: Sync {
    fn path(&self, row: RowRef) -> &[u8];
    fn file_id(&self, row: RowRef) -> &[u8];
}

/// A row's sort key: its domain's rank and 32 bytes of its path from some offset.
#[derive(Clone, Copy)]
pub struct Key {
    rank: u32,
    bytes: (u128, u128),
    pub row: RowRef,
}

/// How many path bytes a key holds.
const WIDTH: usize = 32;

impl Key {
    /// `rank` is the domain's place among all domains in byte order.
    pub fn new(rank: u32, path: &[u8], row: RowRef) -> Key {
        Key {
            rank,
            bytes: chunk(path, 0),
            row,
        }
    }
}

/// Sorts the keys of `rows` into listing order.
pub fn sort(keys: &mut [Key], rows: &dyn Rows) {
    keys.par_sort_unstable_by_key(|k| (k.rank, k.bytes));
    split_runs(keys)
        .into_par_iter()
        .for_each(|run| refine(run, WIDTH, rows));
}

/// 32 bytes of `path` from `at`, zero-padded, as two big-endian integers so that integer
/// order is byte order.
fn chunk(path: &[u8], at: usize) -> (u128, u128) {
    let mut b = [0u8; WIDTH];
    if at < path.len() {
        let n = (path.len() - at).min(WIDTH);
        b[..n].copy_from_slice(&path[at..at + n]);
    }
    let (hi, lo) = b.split_at(16);
    let int = |h: &[u8]| {
        let mut a = [0u8; 16];
        a.copy_from_slice(h);
        u128::from_be_bytes(a)
    };
    (int(hi), int(lo))
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
/// next 32 bytes and sorted again, run by run, with a work list rather than recursion because
/// a path from a backup may be arbitrarily long. Once no path has bytes left, what remains is
/// ordered exactly: by the whole path (which puts `a` before `a\0`, equal when zero-padded),
/// then by file ID.
fn refine(run: &mut [Key], at: usize, rows: &dyn Rows) {
    let mut work: Vec<(&mut [Key], usize)> = vec![(run, at)];
    while let Some((run, at)) = work.pop() {
        if run.iter().all(|k| rows.path(k.row).len() <= at) {
            run.sort_unstable_by(|a, b| {
                rows.path(a.row)
                    .cmp(rows.path(b.row))
                    .then_with(|| rows.file_id(a.row).cmp(rows.file_id(b.row)))
            });
            continue;
        }
        for k in run.iter_mut() {
            k.bytes = chunk(rows.path(k.row), at);
        }
        run.sort_unstable_by_key(|k| k.bytes);
        work.extend(split_runs(run).into_iter().map(|r| (r, at + WIDTH)));
    }
}

/// Each domain's rank among `domains` in byte order.
pub fn ranks<'a>(
    domains: impl Iterator<Item = &'a str>,
) -> std::collections::HashMap<&'a str, u32> {
    let mut names: Vec<&str> = domains.collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .enumerate()
        .map(|(i, d)| (d, i as u32))
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::manifest::{db::sort_entries, Entry};

    #[test]
    fn entries_sort_by_domain_path_then_file_id() {
        let long = "Library/Application Support/com.example/";
        let paths = [
            format!("{long}b"),
            format!("{long}a"),
            format!("{long}a\0"),
            "a".to_string(),
            "a\0".to_string(),
            String::new(),
            format!("{long}{long}{long}x"),
            format!("{long}{long}{long}"),
        ];
        let mut entries = Vec::new();
        for (d, domain) in ["HomeDomain", "AppDomain-x", "CameraRollDomain", "AppDomain"]
            .iter()
            .enumerate()
        {
            for (i, p) in paths.iter().enumerate().rev() {
                entries.push(Entry {
                    file_id: format!("{}{d}{i}", 9 - i),
                    domain: domain.to_string(),
                    relative_path: p.clone(),
                    flags: 1,
                    meta: Default::default(),
                    problem: None,
                });
            }
        }
        let mut twin = entries[0].clone();
        twin.file_id = "0".into();
        entries.push(twin);
        let key = |e: &Entry| (e.domain.clone(), e.relative_path.clone(), e.file_id.clone());
        let mut expected: Vec<_> = entries.iter().map(key).collect();
        expected.sort();
        sort_entries(&mut entries);
        assert_eq!(entries.iter().map(key).collect::<Vec<_>>(), expected);
    }
}
