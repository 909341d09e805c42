//! What an earlier export into the same folder holds, as the planner needs it: the names its
//! files have, so an asset exported before keeps its file and a new one never takes that name.
//! Pure, like all planning; what changed on disk is for `export` to find out.

// Keyed by every file of an earlier export (50,000 in a large one): see Cargo.toml.
use foldhash::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::records::journal::JournalRecord;

#[derive(Debug, Clone, Default)]
pub struct Earlier {
    /// Per asset UUID, the versions an earlier run wrote: the source file's path in its
    /// domain, the output folder, whether the file is a JPEG made from it, and the file name
    /// it was given. Looked up by borrowed keys: the planner asks twice per version of every
    /// asset, and building owned keys for that was most of its allocations.
    names: HashMap<String, Vec<(String, PathBuf, bool, String)>>,
    /// Every name earlier runs used, per folder, lower-cased (names are unique regardless of
    /// case, as on macOS and Windows).
    taken: HashMap<PathBuf, HashSet<String>>,
}

/// `(folder, file name)` of a journal's `output` (always written with `/`).
pub fn split_output(output: &str) -> (PathBuf, String) {
    match output.rsplit_once('/') {
        Some((dir, name)) => (PathBuf::from(dir), name.to_string()),
        None => (PathBuf::new(), output.to_string()),
    }
}

impl Earlier {
    pub fn from_records(records: &[JournalRecord]) -> Earlier {
        let mut e = Earlier::default();
        for r in records {
            let (folder, name) = split_output(&r.output);
            e.taken
                .entry(folder.clone())
                .or_default()
                .insert(name.to_lowercase());
            let versions = e.names.entry(r.asset_uuid.clone()).or_default();
            let version = (r.relative_path.clone(), folder, r.role == "converted", name);
            // A later record of the same version (a later run's) is the one that counts.
            match versions
                .iter_mut()
                .find(|v| (&v.0, &v.1, v.2) == (&version.0, &version.1, version.2))
            {
                Some(v) => *v = version,
                None => versions.push(version),
            }
        }
        e
    }

    /// The name an earlier run gave this version of the asset in `folder`.
    pub fn name(&self, uuid: &str, relative_path: &str, folder: &Path, jpeg: bool) -> Option<&str> {
        self.names.get(uuid)?.iter().find_map(|(p, f, j, name)| {
            (p == relative_path && f == folder && *j == jpeg).then_some(name.as_str())
        })
    }

    /// Did an earlier run use this name (lower-cased) in `folder`?
    pub fn is_taken(&self, folder: &Path, lower: &str) -> bool {
        self.taken.get(folder).is_some_and(|t| t.contains(lower))
    }
}
