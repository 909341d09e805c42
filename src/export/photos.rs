//! Running a photo plan: parallel atomic writes with capture dates as modification times,
//! SHA-256 of every written file, sidecars, and the journal (`unback-export.json` / `.csv`) that
//! proves where each file came from and lets `--skip-existing` resume.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use super::journal::{
    read_journal, read_journal_light, Journal, JournalRecord, RunRecord, JOURNAL_CSV,
    JOURNAL_INDEX, JOURNAL_JSON,
};
use super::{Existing, Options, Outcome, Problem, ProblemKind, Progress, Writer};
use crate::backup::Backup;
use crate::error::{Error, Exit, Result};
use crate::manifest::Entry;
use crate::photos::files::Role;
use crate::photos::library::PhotoLibrary;
use crate::photos::sidecar::{self, SidecarKind};
use crate::plan::photos::{PhotoJob, Plan};
use crate::plan::{Job, Sidecar, Source};
use crate::time::Timestamp;

use super::update;

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub existing: Existing,
    pub jobs: usize,
    pub sidecar: SidecarKind,
    /// JPEG quality of `--convert` (1–100).
    pub jpeg_quality: u8,
    /// `--update`: add to the earlier export in OUT (see `update`).
    pub update: bool,
    /// `--force`: `--update` into an export of another device's backups.
    pub force: bool,
    /// `--dry-run`: decide everything, write nothing (`PhotoSummary::planned`).
    pub dry_run: bool,
    /// Stop before the first file when what is to be written does not fit on OUT's file system.
    pub space_check: bool,
    /// `--dedupe`: content planned twice is written once, the other places hard links to it.
    pub dedupe: bool,
    /// `--verify` (with `update`): earlier files are re-hashed, not only sized and timed.
    pub verify: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            existing: Existing::Refuse,
            jobs: 0,
            sidecar: SidecarKind::None,
            jpeg_quality: 90,
            update: false,
            force: false,
            dry_run: false,
            space_check: true,
            dedupe: false,
            verify: false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PhotoSummary {
    pub assets_selected: u64,
    pub files_written: u64,
    pub bytes_written: u64,
    /// Files exported from a preview or thumbnail because the original is absent.
    pub previews: u64,
    pub sidecars: u64,
    pub skipped_existing: u64,
    /// Files that are hard links to another exported file with the same content.
    pub linked: u64,
    pub failed: u64,
    /// Selected assets of which the backup holds no version at all.
    pub missing_assets: u64,
    pub bad_padding: u64,
    /// HEICs written as they are because they did not convert to JPEG.
    pub not_converted: u64,
    /// Assets exported, per category.
    pub per_category: BTreeMap<String, u64>,
    /// `--update`: what the earlier export already held, and what changed since (see
    /// `update::Decisions`).
    pub unchanged: u64,
    pub same_content: u64,
    pub changed_versions: u64,
    /// `--verify`: earlier files re-hashed and found as the journal records them.
    pub verified: u64,
    pub changed_in_out: Vec<String>,
    pub deleted_in_out: Vec<String>,
    pub gone_assets: Vec<String>,
    /// `--dry-run`: each file that would be written (relative to OUT) and its size as far as
    /// the backup records it.
    pub planned: Vec<(String, u64)>,
    pub warnings: Vec<String>,
    pub problems: Vec<Problem>,
}

impl PhotoSummary {
    pub fn exit(&self) -> Exit {
        if self.failed + self.missing_assets + self.bad_padding + self.not_converted > 0 {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }
}

/// The backup's date: Manifest.plist's, else Status.plist's, else Info.plist's.
fn backup_date(b: &Backup) -> Option<String> {
    b.manifest
        .date
        .or_else(|| b.status.as_ref().and_then(|s| s.date))
        .or_else(|| b.info.as_ref().and_then(|i| i.last_backup_date))
        .map(|t| t.rfc3339())
}

/// `--update` only adds to exports of the same device: another phone's photos in the folder
/// would mix two people's libraries (and their names would collide).
fn check_device(b: &Backup, out: &Path, earlier: &Journal, force: bool) -> Result<()> {
    let udid = b.udid();
    let others: BTreeSet<(&str, Option<&str>)> = earlier
        .runs
        .iter()
        .filter(|r| !r.udid.is_empty() && r.udid != udid)
        .map(|r| (r.udid.as_str(), r.device_name.as_deref()))
        .collect();
    let same = earlier.runs.iter().any(|r| r.udid == udid);
    if force || same || others.is_empty() {
        return Ok(());
    }
    let name = |u: &str, n: Option<&str>| match n {
        Some(n) => format!("{n} ({u})"),
        None => u.to_string(),
    };
    let theirs: Vec<String> = others.iter().map(|(u, n)| name(u, *n)).collect();
    Err(Error::Usage(format!(
        "{} holds an export of {}, but this backup is of {}; --force adds to it anyway",
        out.display(),
        theirs.join(", "),
        name(&udid, b.device_name().as_deref())
    )))
}

/// `--dedupe`: a planned file whose content another planned file also has (the same blob in
/// two albums, a Messages attachment also saved to the camera roll) becomes a link to the first.
/// Only files of equal recorded size are hashed to find out.
fn dedupe(
    backup: &Backup,
    entries: &[Entry],
    plan: &Plan,
    writes: &dyn Fn(usize) -> bool,
    link_to: &mut [Option<usize>],
) {
    use rayon::prelude::*;
    let mut first_of_entry: HashMap<(usize, bool), usize> = HashMap::new();
    let mut by_size: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (k, pj) in plan.jobs.iter().enumerate() {
        if !writes(k) || link_to[k].is_some() {
            continue;
        }
        match first_of_entry.entry((pj.entry, pj.convert.is_some())) {
            std::collections::hash_map::Entry::Occupied(o) => link_to[k] = Some(*o.get()),
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(k);
                let size = entries[pj.entry].size();
                if pj.convert.is_none() && size > 0 {
                    by_size.entry(size).or_default().push(k);
                }
            }
        }
    }
    let groups: Vec<Vec<usize>> = by_size.into_values().filter(|g| g.len() > 1).collect();
    let hashed: Vec<Vec<(usize, Option<String>)>> = groups
        .par_iter()
        .map(|g| {
            g.iter()
                .map(|&k| (k, update::content_sha(backup, &entries[plan.jobs[k].entry])))
                .collect()
        })
        .collect();
    for group in hashed {
        let mut first: HashMap<String, usize> = HashMap::new();
        for (k, sha) in group {
            if let Some(sha) = sha {
                match first.get(&sha) {
                    Some(&f) => link_to[k] = Some(f),
                    None => {
                        first.insert(sha, k);
                    }
                }
            }
        }
    }
}

enum LinkError {
    Exists,
    Io(std::io::Error),
}

/// Hard-links `OUT/to` to `OUT/from`, both contained in OUT; `Ok(false)` when `--skip-existing`
/// left a file already there.
fn hard_link(
    out: &Path,
    from: &Path,
    to: &Path,
    existing: Existing,
) -> std::result::Result<bool, LinkError> {
    let io = |e: std::io::Error| LinkError::Io(e);
    let unsafe_path =
        |e: crate::safepath::UnsafePath| LinkError::Io(std::io::Error::other(e.to_string()));
    let src = crate::safepath::join_checked(out, from).map_err(unsafe_path)?;
    let dst = crate::safepath::join_checked(out, to).map_err(unsafe_path)?;
    crate::safepath::create_dirs(out, to.parent().unwrap_or(Path::new(""))).map_err(io)?;
    if std::fs::symlink_metadata(&dst).is_ok() {
        match existing {
            Existing::Refuse => return Err(LinkError::Exists),
            Existing::Skip => return Ok(false),
            Existing::Overwrite => std::fs::remove_file(&dst).map_err(io)?,
        }
    }
    std::fs::hard_link(&src, &dst).map_err(io)?;
    Ok(true)
}

/// Free bytes on the file system that holds `p` (or its nearest existing ancestor), and its
/// block size: every file takes whole blocks, so forty 700-byte photos need forty blocks.
#[cfg(unix)]
fn free_space(p: &Path) -> Option<(u64, u64)> {
    let mut at = p;
    loop {
        if at.exists() {
            let s = rustix::fs::statvfs(at).ok()?;
            let block = s.f_frsize.max(1);
            return Some((s.f_bavail.saturating_mul(block), block));
        }
        at = at.parent()?;
    }
}

#[cfg(not(unix))]
fn free_space(_: &Path) -> Option<(u64, u64)> {
    None
}

fn record(
    lib: &PhotoLibrary,
    job: &PhotoJob,
    e: &Entry,
    size: u64,
    sha: String,
    run: usize,
) -> JournalRecord {
    let a = &lib.assets[job.asset];
    JournalRecord {
        output: job.dest.to_string_lossy().replace('\\', "/"),
        asset_uuid: a.uuid.clone(),
        role: job.role.name().to_string(),
        categories: lib.categories[job.asset]
            .names()
            .iter()
            .map(|s| s.to_string())
            .collect(),
        classified_by: serde_json::to_value(a.origin)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        original_filename: a.original_filename.clone(),
        capture_date: a.local_date(),
        domain: e.domain.clone(),
        relative_path: e.relative_path.clone(),
        file_id: e.file_id.clone(),
        size,
        sha256: sha,
        source_sha256: None,
        mtime: job.mtime.map(|t| t.rfc3339()),
        source_mtime: e.meta.mtime.map(|t| Timestamp::from_unix(t).rfc3339()),
        linked_to: None,
        run,
        meta: crate::photos::meta::AssetMeta::of(a),
    }
}

/// Exports a plan into `out`, reading the journal of an earlier export there (if any) itself.
pub fn export(
    backup: &Backup,
    entries: &[Entry],
    lib: &PhotoLibrary,
    plan: &Plan,
    out: &Path,
    opts: &ExportOptions,
    progress: &dyn Progress,
) -> Result<PhotoSummary> {
    // Outside `--update`, a journal that cannot be read only costs the history.
    let earlier = match read_journal_light(out) {
        Ok(j) => j,
        Err(e) if opts.update => return Err(e),
        Err(_) => None,
    };
    export_after(backup, entries, lib, plan, out, opts, earlier, progress)
}

/// Exports a plan into `out`, which holds `earlier` (its journal, already read to plan by).
#[allow(clippy::too_many_arguments)]
pub fn export_after(
    backup: &Backup,
    entries: &[Entry],
    lib: &PhotoLibrary,
    plan: &Plan,
    out: &Path,
    opts: &ExportOptions,
    earlier: Option<Journal>,
    progress: &dyn Progress,
) -> Result<PhotoSummary> {
    let started = Timestamp::now();
    super::check_output(backup, out)?;
    let mut journal = earlier.unwrap_or_default();
    if opts.update {
        check_device(backup, out, &journal, opts.force)?;
    }
    let run_index = journal.runs.len();
    let previous: HashMap<&str, &JournalRecord> = if opts.existing == Existing::Skip {
        journal
            .files
            .iter()
            .map(|r| (r.output.as_str(), r))
            .collect()
    } else {
        HashMap::new()
    };
    let decisions = if opts.update {
        update::decide(
            backup,
            entries,
            lib,
            plan,
            &journal.files,
            journal.found(),
            out,
            update::Checks {
                overwrite: opts.existing == Existing::Overwrite,
                verify: opts.verify,
            },
        )
    } else {
        update::Decisions {
            per_job: vec![update::Decision::New; plan.jobs.len()],
            ..Default::default()
        }
    };
    let writes = |k: usize| {
        matches!(
            decisions.per_job[k],
            update::Decision::New | update::Decision::Replace
        )
    };
    // Which planned files are links to another's (an album copy with `--album-copies link`, a
    // duplicate with `--dedupe`) rather than files of their own.
    let mut link_to: Vec<Option<usize>> = plan.jobs.iter().map(|pj| pj.copy_of).collect();
    if opts.dedupe {
        dedupe(backup, entries, plan, &writes, &mut link_to);
    }
    // A link needs its first file written by this run; one whose first file an earlier run
    // wrote (`--update`, the asset now in one more album) is written as a copy instead.
    for l in link_to.iter_mut() {
        if l.is_some_and(|t| !writes(t)) {
            *l = None;
        }
    }
    // The plan's jobs that are written, each with its index in the plan.
    let mut todo: Vec<usize> = Vec::new();
    let mut jobs: Vec<Job<'_>> = Vec::new();
    for (k, pj) in plan.jobs.iter().enumerate() {
        if !writes(k) || link_to[k].is_some() {
            continue;
        }
        let replace = decisions.per_job[k] == update::Decision::Replace;
        let e = &entries[pj.entry];
        let key = pj.dest.to_string_lossy().replace('\\', "/");
        let source = match &pj.convert {
            None => Source::Entry(e),
            Some(c) => Source::ToJpeg {
                entry: e,
                fallback: c.fallback.clone(),
                quality: opts.jpeg_quality,
            },
        };
        let mut job = Job::new(source, pj.dest.clone()).with_mtime(pj.mtime);
        job.label = Some(format!("{} ({})", pj.dest.display(), e.display()));
        job.replace = replace;
        job.known = previous
            .get(key.as_str())
            .filter(|r| r.file_id == e.file_id)
            .map(|r| (r.size, r.sha256.clone()));
        job.sidecar = opts.sidecar.extension().map(|ext| Sidecar {
            suffix: format!(".{ext}"),
            bytes: match opts.sidecar {
                SidecarKind::Xmp => sidecar::xmp(lib, pj.asset),
                _ => sidecar::json(lib, pj.asset),
            }
            .into_bytes(),
        });
        todo.push(k);
        jobs.push(job);
    }
    let mut s = PhotoSummary {
        assets_selected: plan.selected.len() as u64,
        missing_assets: plan.missing.len() as u64,
        unchanged: decisions.unchanged,
        same_content: decisions.same_content,
        changed_versions: decisions.changed_versions,
        verified: decisions.verified,
        changed_in_out: decisions.changed_in_out.clone(),
        deleted_in_out: decisions.deleted_in_out.clone(),
        gone_assets: decisions.gone_assets.clone(),
        ..Default::default()
    };
    for &i in &plan.missing {
        let a = &lib.assets[i];
        s.problems.push(Problem::new(
            ProblemKind::Missing,
            format!("{}/{}", a.domain, a.relative_path),
            format!(
                "asset {}: no original, render or preview of it is in the backup",
                a.uuid
            ),
        ));
    }
    if opts.dry_run {
        s.planned = jobs
            .iter()
            .map(|j| (j.dest.to_string_lossy().replace('\\', "/"), j.size()))
            .collect();
        return Ok(s);
    }
    if opts.space_check {
        if let Some((free, block)) = free_space(out) {
            let blocks = |n: u64| n.div_ceil(block).max(1) * block;
            // The files, their sidecars and the two journals.
            let needed: u64 = jobs
                .iter()
                .map(|j| {
                    blocks(j.size())
                        + j.sidecar
                            .as_ref()
                            .map_or(0, |sc| blocks(sc.bytes.len() as u64))
                })
                .sum::<u64>()
                + 2 * blocks((journal.files.len() + jobs.len()) as u64 * 700);
            if needed > free {
                return Err(Error::Other(format!(
                    "{}: the export needs {needed} bytes and its file system has {free} free; nothing was written (--no-space-check writes until it is full)",
                    out.display()
                )));
            }
        }
    }
    let w = Writer::new(
        backup,
        out,
        Options {
            existing: opts.existing,
            jobs: opts.jobs,
            hash: true,
            reserved: &[JOURNAL_JSON, JOURNAL_CSV, JOURNAL_INDEX],
        },
    )?;
    let (outcomes, run) = w.run(&mut jobs, progress);
    // Where each written job's file is, for the links to it.
    let mut written_at: HashMap<usize, (PathBuf, u64, String)> = HashMap::new();
    for (&k, o) in todo.iter().zip(&outcomes) {
        if let Outcome::Written(wr) = o {
            written_at.insert(
                k,
                (
                    wr.output.clone(),
                    wr.bytes,
                    wr.sha256.clone().unwrap_or_default(),
                ),
            );
        }
    }
    s.files_written = run.files_written;
    s.bytes_written = run.bytes_written;
    s.sidecars = run.sidecars;
    s.skipped_existing = run.skipped_existing;
    s.failed = run.failed + run.missing + run.refused_existing + run.unsafe_paths;
    s.bad_padding = run.bad_padding;
    s.not_converted = run.not_converted;
    s.warnings = run.warnings;
    s.problems.extend(run.problems);
    let mut records = Vec::new();
    let mut exported_assets = BTreeSet::new();
    for (&k, o) in todo.iter().zip(outcomes) {
        let pj = &plan.jobs[k];
        let e = &entries[pj.entry];
        let (output, bytes, sha, source_sha) = match o {
            Outcome::Written(wr) => (Some(wr.output), wr.bytes, wr.sha256, wr.source_sha256),
            Outcome::Skipped { bytes, sha256, .. } => (None, bytes, sha256, None),
            _ => continue,
        };
        if pj.role == Role::Preview {
            s.previews += 1;
        }
        exported_assets.insert(pj.asset);
        let mut rec = record(lib, pj, e, bytes, sha.unwrap_or_default(), run_index);
        if let Some(o) = &output {
            rec.output = o.to_string_lossy().replace('\\', "/");
        }
        // A converted file says so, with the HEIC's hash beside the JPEG's; one whose HEIC did
        // not decode was written as it is and keeps its plain role.
        if pj.convert.is_some() && output.as_deref() == Some(pj.dest.as_path()) {
            rec.role = "converted".into();
            rec.source_sha256 = source_sha;
        } else if pj.convert.is_some() && output.is_none() {
            rec.role = "converted".into();
        }
        records.push(rec);
    }
    // The links, once the files they point at are written.
    for (k, target) in link_to.iter().enumerate() {
        let Some(t) = *target else { continue };
        if !writes(k) {
            continue;
        }
        let pj = &plan.jobs[k];
        let e = &entries[pj.entry];
        let label = format!("{} ({})", pj.dest.display(), e.display());
        let Some((at, bytes, sha)) = written_at.get(&t).cloned() else {
            // Its first file failed (reported there): this place is reported too, not dropped.
            s.failed += 1;
            s.problems.push(Problem::new(
                ProblemKind::Failed,
                label,
                format!(
                    "not linked: the file it shares its content with, {}, was not written",
                    plan.jobs[t].dest.display()
                ),
            ));
            continue;
        };
        let existing = if decisions.per_job[k] == update::Decision::Replace {
            Existing::Overwrite
        } else {
            opts.existing
        };
        let mut rec = record(lib, pj, e, bytes, sha, run_index);
        rec.linked_to = Some(at.to_string_lossy().replace('\\', "/"));
        if pj.convert.is_some() {
            rec.role = "converted".into();
        }
        match hard_link(out, &at, &pj.dest, existing) {
            Ok(true) => {
                s.linked += 1;
                exported_assets.insert(pj.asset);
                records.push(rec);
            }
            Ok(false) => s.skipped_existing += 1,
            Err(LinkError::Exists) => {
                s.failed += 1;
                s.problems.push(Problem::new(
                    ProblemKind::Exists,
                    label,
                    "already exists (use --overwrite or --skip-existing)",
                ));
            }
            // No hard links on this file system (FAT, some network shares): the content is
            // already in OUT once; the record says where.
            Err(LinkError::Io(err)) => {
                s.warnings.push(format!(
                    "{label}: not linked ({err}); the same content is {}",
                    at.display()
                ));
                rec.output = rec.linked_to.take().unwrap_or_default();
                exported_assets.insert(pj.asset);
                records.push(rec);
            }
        }
    }
    for &i in &exported_assets {
        for c in lib.categories[i].iter() {
            *s.per_category.entry(c.name().to_string()).or_default() += 1;
        }
    }
    // The history: earlier records stay unless this run wrote the same output again.
    journal.replace_files(records)?;
    journal.runs.push(RunRecord {
        started: started.rfc3339(),
        finished: Timestamp::now().rfc3339(),
        mode: if opts.update { "update" } else { "export" }.into(),
        backup: backup.path().display().to_string(),
        udid: backup.udid(),
        device_name: backup.device_name(),
        backup_date: backup_date(backup),
        assets_selected: s.assets_selected,
        files_written: s.files_written,
        bytes_written: s.bytes_written,
        skipped_existing: s.skipped_existing,
        unchanged: s.unchanged,
        same_content: s.same_content,
        changed_versions: s.changed_versions,
        verified: s.verified,
        failed: s.failed,
        not_converted: s.not_converted,
        changed_in_out: s.changed_in_out.clone(),
        deleted_in_out: s.deleted_in_out.clone(),
        gone_assets: s.gone_assets.clone(),
    });
    // A journal of 50,000 files is tens of megabytes in each form, written by every run:
    // the two are made side by side.
    let mut index = super::journal::IndexNeed::Remove;
    let (json, csv) = rayon::join(
        || {
            w.write_own_with(Path::new(JOURNAL_JSON), |f| {
                index = journal.write_json_indexed(f)?;
                Ok(())
            })
        },
        || {
            journal.write_csv(out, |fill| {
                w.write_own_with(Path::new(JOURNAL_CSV), |f| fill(f))
            })
        },
    );
    json?;
    csv?;
    // The index is a cache of the journal, checked against it when read: one not written
    // costs the next run a parse of the JSON, not a record.
    if let Err(e) = journal.write_index(out, index, |fill| {
        w.write_own_with(Path::new(JOURNAL_INDEX), |f| fill(f))
    }) {
        s.warnings.push(format!(
            "{JOURNAL_INDEX} (the journal's index) not written: {e}"
        ));
    }
    Ok(s)
}
