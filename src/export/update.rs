//! `photos export --update`: what of a plan an earlier export into the same folder already
//! holds. The planner has given every version an earlier run wrote the name it has there
//! (`plan::update`); here each planned file is looked at once, without reading any media file
//! the earlier run wrote: the journal's size and time against the file's, the source's manifest
//! record against the journal's. Only a new version whose size equals an earlier file's is read,
//! to be hashed, so that the same photo under another UUID (another backup of the device) is
//! recognised rather than written twice.

use std::collections::BTreeSet;

// The maps below hold every earlier file (50,000 in a large export): see Cargo.toml.
use foldhash::{HashMap, HashMapExt, HashSet};
use std::path::Path;

use crate::backup::Backup;
use crate::manifest::Entry;
use crate::photos::library::PhotoLibrary;
use crate::plan::photos::Plan;
use crate::records::journal::JournalRecord;
use crate::time::Timestamp;

/// File times on FAT file systems (USB sticks, SD cards) are kept to 2 s.
const MTIME_SLACK_SECS: i64 = 2;

/// How `decide` treats the earlier files it finds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Checks {
    /// `--overwrite`: write a file the user changed or removed again.
    pub overwrite: bool,
    /// `--verify`: re-hash every earlier file found by size and time, against the journal.
    pub verify: bool,
}

/// What to do with one planned file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Not in the earlier export: written (refused, as always, if an unknown file has the name).
    New,
    /// Written over the earlier run's file, which is as that run left it: the source changed
    /// (a new edit render), or `--overwrite` re-creates a file the user changed or removed.
    Replace,
    /// The earlier run's file (index into its records) stays: nothing changed, or the user
    /// changed or removed it and `--overwrite` was not given.
    Keep(usize),
    /// An earlier run wrote the same content (index of its record) for another asset.
    SameContent(usize),
}

#[derive(Debug, Clone, Default)]
pub struct Decisions {
    /// One per plan job, in plan order.
    pub per_job: Vec<Decision>,
    pub unchanged: u64,
    pub same_content: u64,
    pub changed_versions: u64,
    /// `--verify`: unchanged files whose content was re-hashed and found as the journal says.
    pub verified: u64,
    /// Outputs (relative to OUT) of earlier files the user changed or removed since.
    pub changed_in_out: Vec<String>,
    pub deleted_in_out: Vec<String>,
    /// Assets an earlier run exported that this backup's library no longer holds.
    pub gone_assets: Vec<String>,
}

/// What one planned file is, before the counting.
enum Look {
    New,
    SameContent(usize),
    Known {
        i: usize,
        changed: bool,
        state: OnDisk,
    },
}

/// The state of an earlier run's file in OUT now.
enum OnDisk {
    AsWritten,
    Changed,
    Gone,
}

/// An earlier run's file as found in OUT: what `decide` compares with its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Gone,
    /// Something other than a file (a folder, a link).
    NotFile,
    File {
        len: u64,
        /// Unix seconds.
        mtime: Option<i64>,
    },
}

/// Looks at an earlier run's file (one `statx`, nothing read).
pub fn find(out: &Path, r: &JournalRecord) -> Found {
    match std::fs::symlink_metadata(out.join(&r.output)) {
        Err(_) => Found::Gone,
        Ok(m) if !m.is_file() => Found::NotFile,
        Ok(m) => Found::File {
            len: m.len(),
            mtime: m
                .modified()
                .ok()
                .map(|t| Timestamp::from_system_time(t).secs),
        },
    }
}

/// Every earlier run's file, looked at in journal order (`decide`'s `found`). At 50,000 files
/// this is 50,000 `statx`: `photos export --update` does it on the thread that read the
/// journal, while the backup's databases are still being read, rather than after planning.
pub fn find_all(out: &Path, earlier: &[JournalRecord]) -> Vec<Found> {
    earlier.iter().map(|r| find(out, r)).collect()
}

fn on_disk(out: &Path, r: &JournalRecord, found: Found, verify: bool) -> OnDisk {
    let path = out.join(&r.output);
    let (len, now) = match found {
        Found::Gone => return OnDisk::Gone,
        Found::NotFile => return OnDisk::Changed,
        Found::File { len, mtime } => (len, mtime),
    };
    if len != r.size {
        return OnDisk::Changed;
    }
    let written = r.mtime.as_deref().and_then(parse_rfc3339_utc);
    let as_written = match (written, now) {
        (Some(w), Some(n)) => (w - n).abs() <= MTIME_SLACK_SECS,
        // A journal from before times were recorded: the size is all there is to go by.
        (None, _) => true,
        _ => false,
    };
    // `--verify`: size and time can be kept by an edit that restores them; the content says.
    if as_written && verify {
        return match crate::hashing::sha256_file(&path) {
            Ok((_, sha)) if sha == r.sha256 => OnDisk::AsWritten,
            _ => OnDisk::Changed,
        };
    }
    if as_written {
        OnDisk::AsWritten
    } else {
        OnDisk::Changed
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` (what the journal writes) as Unix seconds.
fn parse_rfc3339_utc(s: &str) -> Option<i64> {
    match crate::plan::photos::DateBound::parse(s).ok()? {
        crate::plan::photos::DateBound::Instant(t) => Some(t.secs),
        crate::plan::photos::DateBound::Day(_) => None,
    }
}

/// Has the source of an earlier run's file changed since? The manifest's record of the source
/// against the journal's: another blob, another modification time (a re-edit keeps the render's
/// path and often its size), or (for a copy) another size.
fn source_changed(r: &JournalRecord, e: &Entry) -> bool {
    let mtime = e.meta.mtime.map(|t| Timestamp::from_unix(t).rfc3339());
    r.file_id != e.file_id
        || (r.source_mtime.is_some() && r.source_mtime != mtime)
        || (r.role != "converted" && r.size != e.size())
}

/// `found`: the earlier files as `find_all` saw them, if it was run (each is otherwise looked at
/// here).
#[allow(clippy::too_many_arguments)]
pub fn decide(
    backup: &Backup,
    entries: &[Entry],
    lib: &PhotoLibrary,
    plan: &Plan,
    earlier: &[JournalRecord],
    found: Option<&[Found]>,
    out: &Path,
    checks: Checks,
) -> Decisions {
    let Checks { overwrite, verify } = checks;
    let found = found.filter(|f| f.len() == earlier.len());
    let by_output: HashMap<&str, usize> = earlier
        .iter()
        .enumerate()
        .map(|(i, r)| (r.output.as_str(), i))
        .collect();
    // Earlier copies by size, for the content check of new versions.
    let mut by_size: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, r) in earlier.iter().enumerate() {
        if r.role != "converted" && r.size > 0 {
            by_size.entry(r.size).or_default().push(i);
        }
    }
    // Each planned file is looked at on its own (a stat, at most a hash), in parallel; the
    // counts and lists are then gathered in plan order.
    use rayon::prelude::*;
    let looked: Vec<Look> =
        plan.jobs
            .par_iter()
            .map(|pj| {
                let e = &entries[pj.entry];
                let uuid = &lib.assets[pj.asset].uuid;
                let output = pj.dest.to_string_lossy().replace('\\', "/");
                let known = by_output.get(output.as_str()).copied().filter(|&i| {
                    earlier[i].asset_uuid == *uuid && earlier[i].relative_path == e.relative_path
                });
                match known {
                    Some(i) => Look::Known {
                        i,
                        changed: source_changed(&earlier[i], e),
                        state: on_disk(
                            out,
                            &earlier[i],
                            found.map_or_else(|| find(out, &earlier[i]), |f| f[i]),
                            verify,
                        ),
                    },
                    None if pj.convert.is_none() => {
                        let same = by_size.get(&e.size()).and_then(|candidates| {
                            let sha = content_sha(backup, e)?;
                            // Another asset's file: the same asset in a new folder (one more
                            // album) is written there.
                            candidates.iter().copied().find(|&i| {
                                earlier[i].sha256 == sha && earlier[i].asset_uuid != *uuid
                            })
                        });
                        match same {
                            Some(i) => Look::SameContent(i),
                            None => Look::New,
                        }
                    }
                    None => Look::New,
                }
            })
            .collect();
    let mut d = Decisions::default();
    for look in looked {
        let decision = match look {
            Look::New => Decision::New,
            Look::SameContent(i) => {
                d.same_content += 1;
                Decision::SameContent(i)
            }
            Look::Known {
                i,
                changed,
                state: OnDisk::AsWritten,
            } => {
                if changed {
                    d.changed_versions += 1;
                    Decision::Replace
                } else {
                    d.unchanged += 1;
                    if verify {
                        d.verified += 1;
                    }
                    Decision::Keep(i)
                }
            }
            Look::Known { i, changed, state } => {
                let r = &earlier[i];
                match state {
                    OnDisk::Gone => d.deleted_in_out.push(r.output.clone()),
                    _ => d.changed_in_out.push(r.output.clone()),
                }
                if overwrite {
                    if changed {
                        d.changed_versions += 1;
                    }
                    Decision::Replace
                } else {
                    Decision::Keep(i)
                }
            }
        };
        d.per_job.push(decision);
    }
    let present: HashSet<&str> = lib.assets.iter().map(|a| a.uuid.as_str()).collect();
    let gone: BTreeSet<&str> = earlier
        .iter()
        .map(|r| r.asset_uuid.as_str())
        .filter(|u| !present.contains(u))
        .collect();
    d.gone_assets = gone.into_iter().map(str::to_string).collect();
    d
}

/// The SHA-256 of an entry's content, streamed; `None` when it cannot be read (then the file
/// is treated as new, and the write reports why it cannot be read).
pub fn content_sha(backup: &Backup, e: &Entry) -> Option<String> {
    backup
        .copy_entry(e, &mut std::io::sink(), true)
        .ok()
        .and_then(|c| c.sha256)
        .map(hex::encode)
}
