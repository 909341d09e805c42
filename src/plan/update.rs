//! What an earlier export into the same folder holds, as the planner needs it: the names its
//! files have, so an asset exported before keeps its file and a new one never takes that name.
//! Pure, like all planning; what changed on disk is for `export` to find out.

// Keyed by every file of an earlier export (50,000 in a large one): see Cargo.toml.
use foldhash::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::records::journal::JournalRecord;

/// One version of an asset in one folder: the asset's UUID, the source file's path in its
/// domain, the output folder, and whether the file is a JPEG made from it.
pub type VersionKey = (String, String, PathBuf, bool);

#[derive(Debug, Clone, Default)]
pub struct Earlier {
    /// The file name an earlier run gave each version.
    names: HashMap<VersionKey, String>,
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
            let key = (
                r.asset_uuid.clone(),
                r.relative_path.clone(),
                folder,
                r.role == "converted",
            );
            e.names.insert(key, name);
        }
        e
    }

    pub fn name(&self, key: &VersionKey) -> Option<&str> {
        self.names.get(key).map(String::as_str)
    }

    /// The names earlier runs used in `folder`.
    pub fn taken_in(&self, folder: &Path) -> impl Iterator<Item = &String> {
        self.taken.get(folder).into_iter().flatten()
    }

    pub fn folders(&self) -> impl Iterator<Item = &PathBuf> {
        self.taken.keys()
    }
}
