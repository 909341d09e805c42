//! `extract`: the selected entries written to `OUT/<domain>/<relativePath>`, and the journal
//! `OUT/unback-extract.json` listing every written file, every link and every problem.

use std::path::Path;

use serde::Serialize;

use super::{Existing, Options, Outcome, Problem, ProblemKind, Progress, Writer};
use crate::backup::Backup;
use crate::error::{Error, Exit, Result};
use crate::manifest::Entry;

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

/// The journal's content, and the counts the summary line prints.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExtractSummary {
    pub files_written: u64,
    pub bytes_written: u64,
    pub directories: u64,
    pub symlinks_recorded: u64,
    pub skipped_existing: u64,
    pub missing: u64,
    /// Failed to read or write, or refused because the name exists.
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

/// Extracts `entries` (already selected) from `backup` into `out`.
pub fn extract(
    backup: &Backup,
    entries: &[&Entry],
    out: &Path,
    opts: &ExtractOptions,
    progress: &dyn Progress,
) -> Result<ExtractSummary> {
    let w = Writer::new(
        backup,
        out,
        Options {
            existing: opts.existing,
            jobs: opts.jobs,
            hash: opts.hash,
            reserved: &[JOURNAL],
        },
    )?;
    let mut plan = crate::plan::files::tree(entries);
    let (outcomes, run) = w.run(&mut plan.jobs, progress);

    let mut s = ExtractSummary {
        files_written: run.files_written,
        bytes_written: run.bytes_written,
        directories: plan
            .jobs
            .iter()
            .filter(|j| matches!(j.source, crate::plan::Source::Dir))
            .count() as u64,
        symlinks_recorded: plan.symlinks.len() as u64,
        skipped_existing: run.skipped_existing,
        missing: run.missing,
        failed: run.failed + run.refused_existing,
        bad_padding: run.bad_padding,
        unsafe_paths: (plan.unsafe_paths.len() as u64) + run.unsafe_paths,
        ..Default::default()
    };
    s.warnings = plan.warnings;
    s.warnings.extend(run.warnings);
    s.problems = plan
        .unsafe_paths
        .into_iter()
        .map(|(entry, cause)| Problem::new(ProblemKind::UnsafePath, entry, cause))
        .collect();
    s.problems.extend(run.problems);
    for (job, o) in plan.jobs.iter().zip(outcomes) {
        if let (Outcome::Written(wr), Some(e)) = (o, job.entry()) {
            s.files.push(WrittenFile {
                domain: e.domain.clone(),
                relative_path: e.relative_path.clone(),
                file_id: e.file_id.clone(),
                output: wr.output.to_string_lossy().into_owned(),
                size: wr.bytes,
                sha256: wr.sha256,
            });
        }
    }
    s.symlinks = plan
        .symlinks
        .iter()
        .map(|e| Symlink {
            domain: e.domain.clone(),
            relative_path: e.relative_path.clone(),
            target: e.meta.target.clone(),
        })
        .collect();
    let json = serde_json::to_vec_pretty(&s).map_err(|e| Error::Other(e.to_string()))?;
    w.write_own(Path::new(JOURNAL), &json)?;
    Ok(s)
}
