//! Running a photo plan: parallel atomic writes with capture dates as modification times,
//! SHA-256 of every written file, sidecars, and the journal (`unback-export.json` / `.csv`) that
//! proves where each file came from and lets `--skip-existing` resume.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{Existing, Options, Outcome, Problem, ProblemKind, Progress, Writer};
use crate::backup::Backup;
use crate::error::{Error, Exit, Result};
use crate::manifest::Entry;
use crate::photos::files::Role;
use crate::photos::library::PhotoLibrary;
use crate::photos::sidecar::{self, SidecarKind};
use crate::plan::photos::{PhotoJob, Plan};
use crate::plan::{Job, Sidecar, Source};
pub use crate::records::journal::JournalRecord;

pub const JOURNAL_JSON: &str = "unback-export.json";
pub const JOURNAL_CSV: &str = "unback-export.csv";

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub existing: Existing,
    pub jobs: usize,
    pub sidecar: SidecarKind,
    /// JPEG quality of `--convert` (1–100).
    pub jpeg_quality: u8,
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
    pub failed: u64,
    /// Selected assets of which the backup holds no version at all.
    pub missing_assets: u64,
    pub bad_padding: u64,
    /// Assets exported, per category.
    pub per_category: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
    pub problems: Vec<Problem>,
}

impl PhotoSummary {
    pub fn exit(&self) -> Exit {
        if self.failed + self.missing_assets + self.bad_padding > 0 {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Journal {
    files: Vec<JournalRecord>,
}

fn load_journal(out: &Path) -> HashMap<String, JournalRecord> {
    std::fs::read(out.join(JOURNAL_JSON))
        .ok()
        .and_then(|b| serde_json::from_slice::<Journal>(&b).ok())
        .map(|j| j.files.into_iter().map(|r| (r.output.clone(), r)).collect())
        .unwrap_or_default()
}

fn record(lib: &PhotoLibrary, job: &PhotoJob, e: &Entry, size: u64, sha: String) -> JournalRecord {
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
        meta: crate::photos::meta::AssetMeta::of(a),
    }
}

pub fn export(
    backup: &Backup,
    entries: &[Entry],
    lib: &PhotoLibrary,
    plan: &Plan,
    out: &Path,
    opts: &ExportOptions,
    progress: &dyn Progress,
) -> Result<PhotoSummary> {
    let w = Writer::new(
        backup,
        out,
        Options {
            existing: opts.existing,
            jobs: opts.jobs,
            hash: true,
            reserved: &[JOURNAL_JSON, JOURNAL_CSV],
        },
    )?;
    let previous = if opts.existing == Existing::Skip {
        load_journal(out)
    } else {
        HashMap::new()
    };
    let mut jobs: Vec<Job<'_>> = plan
        .jobs
        .iter()
        .map(|pj| {
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
            job.known = previous
                .get(&key)
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
            job
        })
        .collect();
    let (outcomes, run) = w.run(&mut jobs, progress);

    let mut s = PhotoSummary {
        assets_selected: plan.selected.len() as u64,
        missing_assets: plan.missing.len() as u64,
        files_written: run.files_written,
        bytes_written: run.bytes_written,
        sidecars: run.sidecars,
        skipped_existing: run.skipped_existing,
        failed: run.failed + run.missing + run.refused_existing + run.unsafe_paths,
        bad_padding: run.bad_padding,
        warnings: run.warnings,
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
    s.problems.extend(run.problems);
    let mut records = Vec::new();
    let mut exported_assets = std::collections::BTreeSet::new();
    for (pj, o) in plan.jobs.iter().zip(outcomes) {
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
        let mut rec = record(lib, pj, e, bytes, sha.unwrap_or_default());
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
    for &i in &exported_assets {
        for c in lib.categories[i].iter() {
            *s.per_category.entry(c.name().to_string()).or_default() += 1;
        }
    }
    let json = serde_json::to_vec_pretty(&Journal {
        files: records.clone(),
    })
    .map_err(|e| Error::Other(e.to_string()))?;
    w.write_own(Path::new(JOURNAL_JSON), &json)?;
    w.write_own(
        Path::new(JOURNAL_CSV),
        JournalRecord::csv(&records).as_bytes(),
    )?;
    Ok(s)
}
