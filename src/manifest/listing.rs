//! The stable per-entry record that `ls --json` and `ls --csv` print (field names are
//! documented in the README); in the library so that tools and benchmarks share it.

use serde::Serialize;

use super::{Entry, EntryKind};
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

pub fn record(e: &Entry) -> Record<'_> {
    let m = &e.meta;
    Record {
        domain: &e.domain,
        relative_path: &e.relative_path,
        file_id: &e.file_id,
        kind: e.kind(),
        size: e.size(),
        mode: m.mode,
        mtime: m.mtime.map(Timestamp::from_unix),
        ctime: m.ctime.map(Timestamp::from_unix),
        birth: m.birth.map(Timestamp::from_unix),
        uid: m.uid,
        gid: m.gid,
        inode: m.inode,
        protection_class: m.protection_class,
        target: m.target.as_deref(),
        problem: e.problem.as_deref(),
    }
}
