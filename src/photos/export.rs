//! Running a photo plan: parallel atomic writes with capture dates as modification times,
//! SHA-256 of every written file, sidecars, and the journal (`unback-export.json` / `.csv`) that
//! proves where each file came from and lets `--skip-existing` resume.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::files::Role;
use super::library::PhotoLibrary;
use super::plan::{Job, Plan};
use super::sidecar::{self, SidecarKind};
use crate::backup::Backup;
use crate::error::{Error, Exit, IoContext, Result};
use crate::export::{self, Existing, Progress, WriteResult};
use crate::extract::Problem;
use crate::manifest::Entry;
use crate::safepath;

pub const JOURNAL_JSON: &str = "unback-export.json";
pub const JOURNAL_CSV: &str = "unback-export.csv";

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub existing: Existing,
    pub jobs: usize,
    pub sidecar: SidecarKind,
}

/// One written file, with its provenance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalRecord {
    pub output: String,
    pub asset_uuid: String,
    pub role: String,
    pub categories: Vec<String>,
    pub classified_by: String,
    pub original_filename: Option<String>,
    pub capture_date: Option<String>,
    pub domain: String,
    pub relative_path: String,
    pub file_id: String,
    pub size: u64,
    pub sha256: String,
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

enum Outcome {
    Written {
        rec: Box<JournalRecord>,
        warnings: Vec<String>,
        bad_padding: bool,
        sidecar: bool,
        fresh: bool,
    },
    Failed(Problem),
}

fn record(lib: &PhotoLibrary, job: &Job, e: &Entry, size: u64, sha: String) -> JournalRecord {
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
    }
}

fn hash_file(p: &Path) -> std::io::Result<(u64, String)> {
    let mut f = std::fs::File::open(p)?;
    let mut w = export::HashingWriter::new(std::io::sink());
    std::io::copy(&mut f, &mut w)?;
    let (_, d, n) = w.finish();
    Ok((n, hex::encode(d)))
}

#[allow(clippy::too_many_arguments)]
fn export_one(
    backup: &Backup,
    entries: &[Entry],
    lib: &PhotoLibrary,
    job: &Job,
    out: &Path,
    opts: &ExportOptions,
    previous: &HashMap<String, JournalRecord>,
) -> Outcome {
    let e = &entries[job.entry];
    let problem = |cause: String| {
        Outcome::Failed(Problem {
            entry: format!("{} ({})", job.dest.display(), e.display()),
            cause,
        })
    };
    let dest = match safepath::join_checked(out, &job.dest) {
        Ok(d) => d,
        Err(u) => return problem(u.to_string()),
    };
    if let Err(err) = safepath::create_dirs(out, job.dest.parent().unwrap_or(Path::new(""))) {
        return problem(err.to_string());
    }
    let mut inner_err = None;
    let r = export::write_atomic(&dest, opts.existing, job.mtime, |f| {
        backup.copy_entry(e, f, true).map_err(|err| {
            let m = err.to_string();
            inner_err = Some(err);
            std::io::Error::other(m)
        })
    });
    let (rec, warnings, bad, fresh) = match r {
        Ok(WriteResult::Written(c)) => {
            let sha = c.sha256.map(hex::encode).unwrap_or_default();
            (
                record(lib, job, e, c.bytes, sha),
                c.warnings,
                c.bad_padding,
                true,
            )
        }
        Ok(WriteResult::Skipped) => {
            let key = job.dest.to_string_lossy().replace('\\', "/");
            let len = std::fs::metadata(&dest)
                .map(|m| m.len())
                .unwrap_or(u64::MAX);
            match previous
                .get(&key)
                .filter(|r| r.size == len && r.file_id == e.file_id)
            {
                Some(r) => (r.clone(), Vec::new(), false, false),
                None => match hash_file(&dest) {
                    Ok((n, sha)) => (record(lib, job, e, n, sha), Vec::new(), false, false),
                    Err(err) => return problem(format!("existing file unreadable: {err}")),
                },
            }
        }
        Err(io) => {
            return problem(match inner_err {
                Some(i) => i.to_string(),
                None => io.to_string(),
            })
        }
    };
    let mut sidecar_written = false;
    if let Some(ext) = opts.sidecar.extension() {
        let mut p = dest.as_os_str().to_owned();
        p.push(format!(".{ext}"));
        let text = match opts.sidecar {
            SidecarKind::Xmp => sidecar::xmp(lib, job.asset),
            _ => sidecar::json(lib, job.asset),
        };
        let sidecar_existing = if opts.existing == Existing::Skip {
            Existing::Overwrite
        } else {
            opts.existing
        };
        match export::write_atomic(Path::new(&p), sidecar_existing, job.mtime, |f| {
            f.write_all(text.as_bytes())
        }) {
            Ok(_) => sidecar_written = true,
            Err(err) => return problem(format!("sidecar: {err}")),
        }
    }
    Outcome::Written {
        rec: Box::new(rec),
        warnings,
        bad_padding: bad,
        sidecar: sidecar_written,
        fresh,
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn journal_csv(records: &[JournalRecord]) -> String {
    let mut o = String::from(
        "output,asset_uuid,role,categories,classified_by,original_filename,capture_date,domain,relative_path,file_id,size,sha256\n",
    );
    for r in records {
        let row = [
            r.output.clone(),
            r.asset_uuid.clone(),
            r.role.clone(),
            r.categories.join(";"),
            r.classified_by.clone(),
            r.original_filename.clone().unwrap_or_default(),
            r.capture_date.clone().unwrap_or_default(),
            r.domain.clone(),
            r.relative_path.clone(),
            r.file_id.clone(),
            r.size.to_string(),
            r.sha256.clone(),
        ];
        o.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        o.push('\n');
    }
    o
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
    backup.check_output(out)?;
    crate::export::create_out(out)?;
    let previous = if opts.existing == Existing::Skip {
        load_journal(out)
    } else {
        HashMap::new()
    };
    let total: u64 = plan.jobs.iter().map(|j| entries[j.entry].size()).sum();
    progress.start(plan.jobs.len() as u64, total);
    let pool = export::pool(opts.jobs).at(out)?;
    let outcomes: Vec<Outcome> = pool.install(|| {
        plan.jobs
            .par_iter()
            .map(|job| {
                let o = export_one(backup, entries, lib, job, out, opts, &previous);
                progress.advance(1, entries[job.entry].size());
                o
            })
            .collect()
    });
    progress.finish();

    let mut s = PhotoSummary {
        assets_selected: plan.selected.len() as u64,
        missing_assets: plan.missing.len() as u64,
        ..Default::default()
    };
    for &i in &plan.missing {
        let a = &lib.assets[i];
        s.problems.push(Problem {
            entry: format!("{}/{}", a.domain, a.relative_path),
            cause: format!(
                "asset {}: no original, render or preview of it is in the backup",
                a.uuid
            ),
        });
    }
    let mut records = Vec::new();
    let mut exported_assets = std::collections::BTreeSet::new();
    for (job, o) in plan.jobs.iter().zip(outcomes) {
        match o {
            Outcome::Written {
                rec,
                warnings,
                bad_padding,
                sidecar,
                fresh,
            } => {
                if fresh {
                    s.files_written += 1;
                    s.bytes_written += rec.size;
                } else {
                    s.skipped_existing += 1;
                }
                if job.role == Role::Preview {
                    s.previews += 1;
                }
                s.sidecars += sidecar as u64;
                s.bad_padding += bad_padding as u64;
                s.warnings.extend(warnings);
                exported_assets.insert(job.asset);
                records.push(*rec);
            }
            Outcome::Failed(p) => {
                s.failed += 1;
                s.problems.push(p);
            }
        }
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
    for (name, bytes) in [
        (JOURNAL_JSON, json),
        (JOURNAL_CSV, journal_csv(&records).into_bytes()),
    ] {
        let p = out.join(name);
        export::write_atomic(&p, Existing::Overwrite, None, |f| f.write_all(&bytes)).at(&p)?;
    }
    Ok(s)
}
