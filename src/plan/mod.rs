//! From a selection to a list of jobs: what to write, from where, under which name.
//!
//! Every writing command plans first and writes second. The plan is pure (no I/O beyond asking
//! the backup which blobs it holds), so every naming rule is unit-tested, and the one engine in
//! `export` writes any plan the same way: contained paths, atomic files, the same collision,
//! resume and hashing rules. `files` plans `extract` and `decrypt`; `photos` plans a photo
//! export (and the asset part of `recover`).

pub mod files;
pub mod photos;
pub mod template;
pub mod update;

use std::path::PathBuf;
use std::sync::Arc;

use crate::manifest::Entry;
use crate::time::Timestamp;

/// Where a job's bytes come from.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    /// A backup entry's content, decrypted when the backup is encrypted.
    Entry(&'a Entry),
    /// Bytes already in memory: a carved image, a rewritten index, a report.
    Bytes(Arc<[u8]>),
    /// A file of a plain backup by its name there (`ab/ab12…`), streamed as stored: an orphan
    /// blob, which has no manifest row and can be any size; `size` is its length on disk.
    Blob { name: String, size: u64 },
    /// A folder to create; its modification time is set once its content is written.
    Dir,
    /// A JPEG converted from the entry's HEIC (`--convert`). When the HEIC does not decode, the
    /// original is written at `fallback` instead (or, without one, only reported).
    ToJpeg {
        entry: &'a Entry,
        fallback: Option<PathBuf>,
        quality: u8,
    },
}

/// A file written beside a job's file (`<file>.xmp`), after it and with the same time.
#[derive(Debug, Clone)]
pub struct Sidecar {
    /// Appended to the file's name, dot included.
    pub suffix: String,
    pub bytes: Vec<u8>,
}

/// One output of a plan.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub source: Source<'a>,
    /// Relative to the output folder, every component already made portable.
    pub dest: PathBuf,
    pub mtime: Option<Timestamp>,
    pub sidecar: Option<Sidecar>,
    /// What problem reports call this job; the entry's `domain/path` when `None`.
    pub label: Option<String>,
    /// Size and SHA-256 an earlier run recorded for `dest` from the same source: a resumed
    /// run trusts an existing file of that size instead of reading it again.
    pub known: Option<(u64, String)>,
    /// The file at `dest` is an earlier run's, found as that run wrote it, and this job
    /// supersedes it (`--update` writing a changed version): replaced whatever `existing` says.
    pub replace: bool,
}

impl<'a> Job<'a> {
    pub fn new(source: Source<'a>, dest: impl Into<PathBuf>) -> Job<'a> {
        Job {
            source,
            dest: dest.into(),
            mtime: None,
            sidecar: None,
            label: None,
            known: None,
            replace: false,
        }
    }

    pub fn with_mtime(mut self, t: Option<Timestamp>) -> Job<'a> {
        self.mtime = t;
        self
    }

    /// The entry this job copies, if it copies one.
    pub fn entry(&self) -> Option<&'a Entry> {
        match self.source {
            Source::Entry(e) | Source::ToJpeg { entry: e, .. } => Some(e),
            _ => None,
        }
    }

    /// Bytes the job will write, as far as the plan knows (an entry's recorded size).
    pub fn size(&self) -> u64 {
        match &self.source {
            Source::Entry(e) | Source::ToJpeg { entry: e, .. } => e.size(),
            Source::Bytes(b) => b.len() as u64,
            Source::Blob { size, .. } => *size,
            Source::Dir => 0,
        }
    }

    pub fn label(&self) -> String {
        match (&self.label, &self.source) {
            (Some(l), _) => l.clone(),
            (None, Source::Entry(e) | Source::ToJpeg { entry: e, .. }) => e.display(),
            (None, _) => self.dest.to_string_lossy().into_owned(),
        }
    }
}
