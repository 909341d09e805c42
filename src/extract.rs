//! `extract`: the selected entries written to `OUT/<domain>/<relativePath>`, in parallel.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::backup::Backup;
use crate::error::{Exit, IoContext, Result};
use crate::export::{self, Existing, Progress, WriteResult};
use crate::manifest::{Entry, EntryKind};
use crate::safepath;
use crate::time::Timestamp;

pub const JOURNAL: &str = "unback-extract.json";

#[derive(Debug, Clone)]
pub struct ExtractOptions {
    pub existing: Existing,
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Record the SHA-256 of every written file in the journal.
    pub hash: bool,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            existing: Existing::Refuse,
            jobs: 0,
            hash: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub entry: String,
    pub cause: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct WrittenFile {
    pub domain: String,
    pub relative_path: String,
    pub file_id: String,
    pub output: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Symlink {
    pub domain: String,
    pub relative_path: String,
    pub target: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractSummary {
    pub files_written: u64,
    pub bytes_written: u64,
    pub directories: u64,
    pub symlinks_recorded: u64,
    pub skipped_existing: u64,
    pub missing: u64,
    pub failed: u64,
    /// Encrypted files whose decryption had invalid padding, kept whole as `<name>.badpad`.
    pub bad_padding: u64,
    /// Entries whose path could not be mapped safely into the output folder.
    pub unsafe_paths: u64,
    pub warnings: Vec<String>,
    pub problems: Vec<Problem>,
    pub files: Vec<WrittenFile>,
    pub symlinks: Vec<Symlink>,
}

impl ExtractSummary {
    pub fn exit(&self) -> Exit {
        if self.missing + self.failed + self.unsafe_paths + self.bad_padding > 0 {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }
}

enum Outcome {
    Written(WrittenFile, Vec<String>, bool),
    Skipped,
    Missing(Problem),
    Failed(Problem),
}

/// Extracts `entries` (already selected) from `backup` into `out`.
pub fn extract(
    backup: &Backup,
    entries: &[&Entry],
    out: &Path,
    opts: &ExtractOptions,
    progress: &dyn Progress,
) -> Result<ExtractSummary> {
    backup.check_output(out)?;
    crate::export::create_out(out)?;
    let mut summary = ExtractSummary::default();

    // Map every path first: an unsafe name is reported and its entry skipped, nothing else.
    let mut dirs: Vec<(PathBuf, Option<Timestamp>)> = Vec::new();
    let mut files: Vec<(&Entry, PathBuf)> = Vec::new();
    for e in entries {
        let rel = match safepath::map_entry(&e.domain, &e.relative_path) {
            Ok(r) => r,
            Err(u) => {
                summary.unsafe_paths += 1;
                summary.problems.push(Problem {
                    entry: e.display(),
                    cause: u.to_string(),
                });
                continue;
            }
        };
        match e.kind() {
            EntryKind::Dir => dirs.push((rel, e.meta.mtime.map(Timestamp::from_unix))),
            EntryKind::File => files.push((e, rel)),
            EntryKind::Symlink => {
                summary.symlinks_recorded += 1;
                summary.symlinks.push(Symlink {
                    domain: e.domain.clone(),
                    relative_path: e.relative_path.clone(),
                    target: e.meta.target.clone(),
                });
            }
            EntryKind::Other => summary.warnings.push(format!(
                "{}: flags {} is not a file, folder or link; not extracted",
                e.display(),
                e.flags
            )),
        }
    }

    let fold_case = export::folds_case(out);
    summary
        .warnings
        .extend(disambiguate(&dirs, &mut files, fold_case));

    for (rel, _) in &dirs {
        if let Err(err) = safepath::create_dirs(out, rel) {
            summary.failed += 1;
            summary.problems.push(Problem {
                entry: rel.display().to_string(),
                cause: err.to_string(),
            });
        }
    }

    let total_bytes: u64 = files.iter().map(|(e, _)| e.size()).sum();
    progress.start(files.len() as u64, total_bytes);
    let pool = export::pool(opts.jobs).at(out)?;
    let outcomes: Vec<Outcome> = pool.install(|| {
        files
            .par_iter()
            .map(|(e, rel)| {
                let o = extract_one(backup, e, rel, out, opts);
                progress.advance(1, e.size());
                o
            })
            .collect()
    });
    progress.finish();

    for o in outcomes {
        match o {
            Outcome::Written(w, warn, bad) => {
                summary.files_written += 1;
                summary.bad_padding += bad as u64;
                summary.bytes_written += w.size;
                summary.files.push(w);
                summary.warnings.extend(warn);
            }
            Outcome::Skipped => summary.skipped_existing += 1,
            Outcome::Missing(p) => {
                summary.missing += 1;
                summary.problems.push(p);
            }
            Outcome::Failed(p) => {
                summary.failed += 1;
                summary.problems.push(p);
            }
        }
    }

    // Folder times last, deepest first: writing into a folder changes its time.
    dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
    for (rel, t) in &dirs {
        if let Some(t) = t {
            let p = out.join(rel);
            if p.is_dir() {
                let _ = export::set_dir_mtime(&p, *t);
            }
        }
    }
    summary.directories = dirs.len() as u64;
    write_journal(out, &summary)?;
    Ok(summary)
}

/// Gives every file its own output name. Two entries can map to one: names Windows forbids are
/// rewritten (`1.7:en:.map` → `1.7_en_.map`; a device may hold both), and a case-insensitive
/// output file system (`fold_case`: macOS and Windows by default) folds
/// `com.apple.Preferences.plist` and `com.apple.preferences.plist` together, which one real
/// iOS 16 device holds side by side (iLEAPP's magnet-mvs-2023 file listing). Without this the
/// second one was refused as "already exists" and never extracted. A name the device itself used wins; the others get ` (1)`, ` (2)`… before the
/// extension, and a warning says where each went (the journal records every output).
fn disambiguate(
    dirs: &[(PathBuf, Option<Timestamp>)],
    files: &mut [(&Entry, PathBuf)],
    fold_case: bool,
) -> Vec<String> {
    let key = |p: &Path| {
        let s = p.to_string_lossy();
        if fold_case {
            s.to_lowercase()
        } else {
            s.into_owned()
        }
    };
    let mut taken: std::collections::HashSet<String> = dirs.iter().map(|(p, _)| key(p)).collect();
    // Names kept as the device wrote them are placed first, each group in listing order.
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| {
        let (e, rel) = &files[i];
        let kept = rel.to_string_lossy() == format!("{}/{}", e.domain, e.relative_path);
        (!kept, i)
    });
    let mut warnings = Vec::new();
    for i in order {
        let (e, rel) = &mut files[i];
        if taken.insert(key(rel)) {
            continue;
        }
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (stem, ext) = match name.rfind('.') {
            Some(d) if d > 0 => (&name[..d], &name[d..]),
            _ => (name.as_str(), ""),
        };
        let fresh = (1..)
            .map(|n| rel.with_file_name(format!("{stem} ({n}){ext}")))
            .find(|c| !taken.contains(&key(c)));
        if let Some(fresh) = fresh {
            taken.insert(key(&fresh));
            warnings.push(format!(
                "{}: written as {} (another entry has that name once made portable{})",
                e.display(),
                fresh.display(),
                if fold_case { " or case-folded" } else { "" }
            ));
            *rel = fresh;
        }
    }
    warnings
}

fn extract_one(
    backup: &Backup,
    e: &Entry,
    rel: &Path,
    out: &Path,
    opts: &ExtractOptions,
) -> Outcome {
    let problem = |cause: String| Problem {
        entry: e.display(),
        cause,
    };
    if backup.blob_name(e).is_none() && e.size() > 0 {
        return Outcome::Missing(problem(format!(
            "blob {} is missing from the backup",
            e.file_id
        )));
    }
    let parent = rel.parent().unwrap_or(Path::new(""));
    if let Err(err) = safepath::create_dirs(out, parent) {
        return Outcome::Failed(problem(err.to_string()));
    }
    let dest = out.join(rel);
    let mtime = e.meta.mtime.map(Timestamp::from_unix);
    let mut err_slot = None;
    let badpad = badpad_name(&dest);
    let r = export::write_atomic_as(
        &dest,
        opts.existing,
        mtime,
        |f| {
            if backup.blob_name(e).is_none() {
                // Listed with size 0 and no blob: the content is empty either way.
                return Ok(Default::default());
            }
            backup.copy_entry(e, f, opts.hash).map_err(|err| {
                let msg = err.to_string();
                err_slot = Some(err);
                std::io::Error::other(msg)
            })
        },
        |c: &crate::backup::Copied| c.bad_padding.then(|| badpad.clone()),
    );
    match r {
        Ok(WriteResult::Written(c)) => Outcome::Written(
            WrittenFile {
                domain: e.domain.clone(),
                relative_path: e.relative_path.clone(),
                file_id: e.file_id.clone(),
                output: if c.bad_padding {
                    format!("{}.badpad", rel.to_string_lossy())
                } else {
                    rel.to_string_lossy().into_owned()
                },
                size: c.bytes,
                sha256: c.sha256.map(hex::encode),
            },
            c.warnings,
            c.bad_padding,
        ),
        Ok(WriteResult::Skipped) => Outcome::Skipped,
        Err(io) => Outcome::Failed(problem(match err_slot {
            Some(inner) => inner.to_string(),
            None => io.to_string(),
        })),
    }
}

fn badpad_name(dest: &Path) -> PathBuf {
    let mut s = dest.as_os_str().to_owned();
    s.push(".badpad");
    PathBuf::from(s)
}

fn write_journal(out: &Path, summary: &ExtractSummary) -> Result<()> {
    let dest = out.join(JOURNAL);
    let json = serde_json::to_vec_pretty(summary)
        .map_err(|e| crate::error::Error::Other(e.to_string()))?;
    export::write_atomic(&dest, Existing::Overwrite, None, |f| {
        use std::io::Write;
        f.write_all(&json)
    })
    .at(&dest)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            file_id: String::new(),
            domain: "HomeDomain".into(),
            relative_path: path.into(),
            flags: 1,
            meta: Default::default(),
            problem: None,
        }
    }

    #[test]
    fn case_folding_file_systems_get_distinct_names() {
        let es = [
            entry("P/a.plist"),
            entry("P/A.plist"),
            entry("P/b:c"),
            entry("p"),
        ];
        let mut files: Vec<(&Entry, PathBuf)> = es[..3]
            .iter()
            .map(|e| (e, safepath::map_entry(&e.domain, &e.relative_path).unwrap()))
            .collect();
        // A folder `HomeDomain/P` and a file that folds onto it.
        let dirs = vec![(PathBuf::from("HomeDomain/p"), None)];
        let w = disambiguate(&dirs, &mut files, true);
        let names: Vec<String> = files.iter().map(|(_, p)| p.display().to_string()).collect();
        assert_eq!(
            names,
            [
                "HomeDomain/P/a.plist",
                "HomeDomain/P/A (1).plist",
                "HomeDomain/P/b_c"
            ]
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("or case-folded"), "{w:?}");
        // Told apart by case: nothing to rename.
        let mut files: Vec<(&Entry, PathBuf)> = es[..2]
            .iter()
            .map(|e| (e, safepath::map_entry(&e.domain, &e.relative_path).unwrap()))
            .collect();
        assert!(disambiguate(&dirs, &mut files, false).is_empty());
    }
}
