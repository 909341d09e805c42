//! Plans for the file writers: `extract` (the rebuilt tree, `OUT/<domain>/<relativePath>`) and
//! `decrypt` (the backup's own blob layout, decrypted).

use std::path::PathBuf;

use super::{Job, Source};
use crate::manifest::{Entry, EntryKind};
use crate::safepath;
use crate::source::is_file_id;
use crate::time::Timestamp;

/// What `extract` will write, and what it records or refuses instead.
#[derive(Debug, Default)]
pub struct TreePlan<'a> {
    /// Folders first, in listing order, then files.
    pub jobs: Vec<Job<'a>>,
    /// Links are recorded, never created or followed.
    pub symlinks: Vec<&'a Entry>,
    /// Entries whose path cannot be mapped safely: (entry, cause).
    pub unsafe_paths: Vec<(String, String)>,
    pub warnings: Vec<String>,
}

/// The selected entries as a tree under OUT.
pub fn tree<'a>(entries: &[&'a Entry]) -> TreePlan<'a> {
    let mut plan = TreePlan::default();
    let mut files = Vec::new();
    for &e in entries {
        let rel = match safepath::map_entry(&e.domain, &e.relative_path) {
            Ok(r) => r,
            Err(u) => {
                plan.unsafe_paths.push((e.display(), u.to_string()));
                continue;
            }
        };
        let mtime = e.meta.mtime.map(Timestamp::from_unix);
        match e.kind() {
            EntryKind::Dir => plan.jobs.push(Job::new(Source::Dir, rel).with_mtime(mtime)),
            EntryKind::File => {
                files.push(Job::new(Source::Entry(e), rel).with_mtime(mtime));
            }
            EntryKind::Symlink => plan.symlinks.push(e),
            EntryKind::Other => plan.warnings.push(format!(
                "{}: flags {} is not a file, folder or link; not extracted",
                e.display(),
                e.flags
            )),
        }
    }
    plan.jobs.extend(files);
    plan
}

/// Every blob of the backup, decrypted, where a plain backup keeps it: `xx/<fileID>` (iOS 10+),
/// or flat in the root (`flat`: iOS 5–9).
pub fn blobs<'a>(entries: &'a [Entry], flat: bool) -> Vec<Job<'a>> {
    entries
        .iter()
        .filter(|e| e.kind() == EntryKind::File && is_file_id(&e.file_id))
        .map(|e| {
            let dest = match (flat, e.file_id.get(..2)) {
                (false, Some(dir)) => PathBuf::from(dir).join(&e.file_id),
                _ => PathBuf::from(&e.file_id),
            };
            Job::new(Source::Entry(e), dest).with_mtime(e.meta.mtime.map(Timestamp::from_unix))
        })
        .collect()
}
