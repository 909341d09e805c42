//! The one engine that writes files. `extract`, `photos export`, `decrypt` and `recover` each
//! turn their selection into a plan (`crate::plan::Job`s) and hand it here; everything that must
//! be the same for every writer is done once, in this module:
//!
//! - the output-folder policy: never inside the backup or holding it, never a file;
//! - containment of every path (`safepath`) and never following a symlink inside OUT;
//! - distinct names where two jobs would land on one (portable rewriting, case folding);
//! - a temporary file renamed into place, so no truncated file ever has its final name, and
//!   Ctrl-C removes the temporary files (`atomic`);
//! - `--skip-existing` / `--overwrite`, hashing, modification times, invalid padding kept under
//!   `<name>.badpad`, sidecars, folders' times set last;
//! - progress, the problem list and the exit code.
//!
//! Each writer keeps only what is its own: which jobs, and the journal it writes at the end.

pub mod atomic;
pub mod decrypt;
pub mod extract;
pub mod journal;
mod names;
pub mod photos;
pub mod update;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

pub use atomic::{abandon_partial_files, Existing, NoProgress, Progress};

use crate::backup::Backup;
use crate::error::{Error, Exit, IoContext, Result};
use crate::manifest::Entry;
use crate::plan::{Job, Source};
use crate::safepath;
use crate::time::Timestamp;

/// The largest HEIC decoded (in memory) for `--convert`; larger ones are copied as they are.
pub const MAX_HEIC_BYTES: u64 = 256 << 20;

/// More threads than this only contend for the disk; a larger `-j` is lowered to it.
pub const MAX_JOBS: usize = 64;

/// Why a job did not give a complete file. Decisions (exit codes, how the CLI folds repeated
/// reports) are made on this, never on a message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    /// The backup lists the file but holds no blob for it.
    Missing,
    /// The final name is taken and neither `--overwrite` nor `--skip-existing` was given.
    Exists,
    /// The name could not be mapped safely into the output folder.
    UnsafePath,
    /// Reading, decrypting or writing failed.
    Failed,
    /// A HEIC that did not convert to JPEG: its original was written in the JPEG's place.
    /// Not a failure to export (the photo is there, as the phone stored it), but not what was
    /// asked for either: reported, journalled, and exit 5.
    NotConverted,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub entry: String,
    pub cause: String,
    #[serde(skip)]
    pub kind: ProblemKind,
}

impl Problem {
    pub fn new(kind: ProblemKind, entry: impl Into<String>, cause: impl Into<String>) -> Problem {
        Problem {
            entry: entry.into(),
            cause: cause.into(),
            kind,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub existing: Existing,
    /// Worker threads; 0 means one per core. Capped at `MAX_JOBS`.
    pub jobs: usize,
    /// Compute the SHA-256 of every written file (and of a file left by `--skip-existing`).
    pub hash: bool,
    /// Names at the top of the output folder that belong to the writer's journals: a job that
    /// would land on one is given another name instead of being overwritten by the journal.
    pub reserved: &'static [&'static str],
}

impl Default for Options {
    fn default() -> Self {
        Options {
            existing: Existing::Refuse,
            jobs: 0,
            hash: false,
            reserved: &[],
        }
    }
}

/// What became of one job.
#[derive(Debug, Clone)]
pub enum Outcome {
    Written(Written),
    /// The final name existed and `--skip-existing` left it; hashed when hashing was asked for.
    Skipped {
        bytes: u64,
        sha256: Option<String>,
        sidecar: bool,
    },
    /// A folder, created.
    Dir,
    Problem(Problem),
}

#[derive(Debug, Clone)]
pub struct Written {
    /// Relative to OUT: the job's `dest`, or `<dest>.badpad` when the padding was invalid.
    pub output: PathBuf,
    pub bytes: u64,
    pub sha256: Option<String>,
    pub bad_padding: bool,
    pub sidecar: bool,
    /// For a converted file: the SHA-256 of the HEIC it was made from.
    pub source_sha256: Option<String>,
    /// Written, but not as planned (a HEIC that did not decode, written as it is).
    pub problem: Option<Problem>,
    /// The blob held fewer bytes than recorded: written as it is, and counted as a problem.
    pub short: bool,
}

/// What a run did, counted the same way for every writer.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files_written: u64,
    pub bytes_written: u64,
    pub directories: u64,
    pub skipped_existing: u64,
    pub sidecars: u64,
    pub missing: u64,
    pub failed: u64,
    /// Refused because the final name existed.
    pub refused_existing: u64,
    pub unsafe_paths: u64,
    pub bad_padding: u64,
    /// HEICs written as they are because they did not convert (`ProblemKind::NotConverted`).
    pub not_converted: u64,
    pub warnings: Vec<String>,
    pub problems: Vec<Problem>,
}

impl Summary {
    /// Exit 5 when anything selected did not end up complete under its own name.
    pub fn exit(&self) -> Exit {
        if self.missing
            + self.failed
            + self.refused_existing
            + self.unsafe_paths
            + self.bad_padding
            + self.not_converted
            > 0
        {
            Exit::Partial
        } else {
            Exit::Ok
        }
    }

    fn count(&mut self, o: &Outcome, warnings: Vec<String>, job: &Job<'_>) {
        self.warnings.extend(warnings);
        match o {
            Outcome::Written(w) => {
                self.files_written += 1;
                self.bytes_written += w.bytes;
                self.bad_padding += w.bad_padding as u64;
                self.sidecars += w.sidecar as u64;
                if let Some(p) = &w.problem {
                    match p.kind {
                        ProblemKind::NotConverted => self.not_converted += 1,
                        _ => self.failed += 1,
                    }
                    self.problems.push(p.clone());
                }
                // Incomplete content is a problem (journal, exit 5), though the file is kept.
                if w.short {
                    self.failed += 1;
                    self.problems.push(Problem::new(
                        ProblemKind::Failed,
                        job.label(),
                        format!(
                            "the blob holds {} bytes, fewer than the {} recorded: the file is incomplete (what the backup holds was written)",
                            w.bytes,
                            job.size()
                        ),
                    ));
                }
            }
            Outcome::Skipped { sidecar, .. } => {
                self.skipped_existing += 1;
                self.sidecars += *sidecar as u64;
            }
            Outcome::Dir => self.directories += 1,
            Outcome::Problem(p) => {
                match p.kind {
                    ProblemKind::Missing => self.missing += 1,
                    ProblemKind::Exists => self.refused_existing += 1,
                    ProblemKind::UnsafePath => self.unsafe_paths += 1,
                    // Nothing written at all (no original to fall back to): failed.
                    ProblemKind::Failed | ProblemKind::NotConverted => self.failed += 1,
                }
                self.problems.push(p.clone());
            }
        }
    }
}

/// Refuses an output folder inside the backup, or one that holds it: writing there would
/// change the evidence, and `decrypt` could write over the very backup it reads. A zipped
/// backup's archive is only read, through a memory map, and needs no such guard.
pub fn check_output(backup: &Backup, out: &Path) -> Result<()> {
    if backup.is_zipped() {
        return Ok(());
    }
    match safepath::overlap(backup.path(), out, true) {
        None => Ok(()),
        Some(o) => Err(Error::Usage(format!(
            "{}: the output folder {} the backup {}; choose a folder outside it (unback never writes into a backup)",
            out.display(),
            match o {
                safepath::Overlap::Inside => "is inside",
                safepath::Overlap::Holds => "holds",
            },
            backup.path().display()
        ))),
    }
}

/// Creates the output folder, saying plainly when the name is taken by something else.
fn create_out(out: &Path) -> Result<()> {
    if out.exists() && !out.is_dir() {
        return Err(Error::io(
            out,
            io::Error::new(io::ErrorKind::AlreadyExists, "exists and is not a folder"),
        ));
    }
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))
}

/// The engine, bound to one backup and one output folder.
pub struct Writer<'b> {
    backup: &'b Backup,
    out: PathBuf,
    opts: Options,
    pool: rayon::ThreadPool,
    /// Conversions in flight at once: each holds a decoded image (a 48 MP HEIC is ~140 MB).
    converting: crate::convert::ConvertLimiter,
}

/// HEIC decodes at once, whatever `-j` is: two keep both cores busy (a decode is itself
/// parallel) and bound the memory.
const CONVERSIONS_IN_FLIGHT: usize = 2;

impl<'b> Writer<'b> {
    /// Checks and creates the output folder; nothing is written before this succeeds.
    pub fn new(backup: &'b Backup, out: &Path, opts: Options) -> Result<Writer<'b>> {
        check_output(backup, out)?;
        create_out(out)?;
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(opts.jobs.min(MAX_JOBS))
            .build()
            .map_err(io::Error::other)
            .at(out)?;
        Ok(Writer {
            backup,
            out: out.to_path_buf(),
            opts,
            pool,
            converting: crate::convert::ConvertLimiter::new(CONVERSIONS_IN_FLIGHT),
        })
    }

    pub fn out(&self) -> &Path {
        &self.out
    }

    /// What to do with a file already at a job's final name.
    fn existing(&self, job: &Job<'_>) -> Existing {
        if job.replace {
            Existing::Overwrite
        } else {
            self.opts.existing
        }
    }

    pub fn backup(&self) -> &'b Backup {
        self.backup
    }

    /// Runs `f` on the writer's thread pool (so `-j` bounds a writer's own parallel work too).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Writes every job: folders first, then files in parallel, then folders' times deepest
    /// first (writing into a folder changes its time). Returns each job's outcome, in job
    /// order, and the counts. Names that would collide are made distinct first (`names`).
    pub fn run(&self, jobs: &mut [Job<'_>], progress: &dyn Progress) -> (Vec<Outcome>, Summary) {
        let mut summary = Summary::default();
        let fold_case = atomic::folds_case(&self.out);
        summary
            .warnings
            .extend(names::make_distinct(jobs, fold_case, self.opts.reserved));

        let mut outcomes: Vec<Option<(Outcome, Vec<String>)>> = vec![None; jobs.len()];
        for (i, job) in jobs.iter().enumerate() {
            if let Source::Dir = job.source {
                outcomes[i] = Some(match safepath::create_dirs(&self.out, &job.dest) {
                    Ok(_) => (Outcome::Dir, Vec::new()),
                    Err(e) => (
                        Outcome::Problem(Problem::new(
                            ProblemKind::Failed,
                            job.dest.display().to_string(),
                            e.to_string(),
                        )),
                        Vec::new(),
                    ),
                });
            }
        }
        let files: Vec<usize> = (0..jobs.len()).filter(|&i| outcomes[i].is_none()).collect();
        progress.start(
            files.len() as u64,
            files.iter().map(|&i| jobs[i].size()).sum(),
        );
        let jobs_ref: &[Job<'_>] = jobs;
        let written: Vec<(usize, (Outcome, Vec<String>))> = self.pool.install(|| {
            files
                .par_iter()
                .map(|&i| {
                    let o = self.write(&jobs_ref[i]);
                    progress.advance(1, jobs_ref[i].size());
                    (i, o)
                })
                .collect()
        });
        progress.finish();
        for (i, o) in written {
            outcomes[i] = Some(o);
        }
        let mut dirs: Vec<(&Path, Timestamp)> = jobs
            .iter()
            .zip(&outcomes)
            .filter(|(_, o)| matches!(o, Some((Outcome::Dir, _))))
            .filter_map(|(j, _)| j.mtime.map(|t| (j.dest.as_path(), t)))
            .collect();
        dirs.sort_by_key(|(p, _)| std::cmp::Reverse(p.components().count()));
        for (rel, t) in dirs {
            let p = self.out.join(rel);
            if p.is_dir() {
                let _ = atomic::set_dir_mtime(&p, t);
            }
        }
        let outcomes: Vec<Outcome> = outcomes
            .into_iter()
            .zip(jobs.iter())
            .map(|(o, job)| {
                let (o, w) = o.unwrap_or((
                    Outcome::Problem(Problem::new(ProblemKind::Failed, "", "not run")),
                    Vec::new(),
                ));
                summary.count(&o, w, job);
                o
            })
            .collect();
        (outcomes, summary)
    }

    /// Writes one job's file (and its sidecar), returning the outcome and any warnings. The one
    /// path by which every writer puts a file under OUT.
    pub fn write(&self, job: &Job<'_>) -> (Outcome, Vec<String>) {
        let problem = |kind, cause: String| {
            (
                Outcome::Problem(Problem::new(kind, job.label(), cause)),
                Vec::new(),
            )
        };
        let dest = match safepath::join_checked(&self.out, &job.dest) {
            Ok(d) => d,
            Err(u) => return problem(ProblemKind::UnsafePath, u.to_string()),
        };
        if let Source::ToJpeg {
            entry,
            fallback,
            quality,
        } = &job.source
        {
            return self.convert(job, &dest, entry, fallback.as_deref(), *quality);
        }
        // A file listed with size 0 and no blob is written empty: its content is empty either
        // way. Any other file without its blob is missing.
        let no_blob = matches!(job.source, Source::Entry(e) if self.backup.blob_name(e).is_none());
        if let Source::Entry(e) = job.source {
            if no_blob && e.size() > 0 {
                return problem(
                    ProblemKind::Missing,
                    format!("blob {} is missing from the backup", e.file_id),
                );
            }
        }
        if let Err(err) =
            safepath::create_dirs(&self.out, job.dest.parent().unwrap_or(Path::new("")))
        {
            return problem(ProblemKind::Failed, err.to_string());
        }
        let badpad = {
            let mut s = dest.as_os_str().to_owned();
            s.push(".badpad");
            PathBuf::from(s)
        };
        let mut inner_err = None;
        let r = atomic::write_atomic_as(
            &dest,
            self.existing(job),
            job.mtime,
            |f| match &job.source {
                Source::Entry(_) if no_blob => Ok(crate::backup::Copied {
                    sha256: self.opts.hash.then(|| crate::hashing::sha256(b"")),
                    ..Default::default()
                }),
                Source::Entry(e) => self.backup.copy_entry(e, f, self.opts.hash).map_err(|err| {
                    let m = err.to_string();
                    inner_err = Some(err);
                    io::Error::other(m)
                }),
                Source::Blob { name, .. } => self
                    .backup
                    .copy_blob(name, f, self.opts.hash)
                    .map_err(|err| {
                        let m = err.to_string();
                        inner_err = Some(err);
                        io::Error::other(m)
                    }),
                Source::Bytes(b) => {
                    f.write_all(b)?;
                    Ok(crate::backup::Copied {
                        bytes: b.len() as u64,
                        sha256: self.opts.hash.then(|| crate::hashing::sha256(b)),
                        ..Default::default()
                    })
                }
                Source::Dir | Source::ToJpeg { .. } => Ok(Default::default()),
            },
            |c: &crate::backup::Copied| c.bad_padding.then(|| badpad.clone()),
        );
        let (mut outcome, warnings) = match r {
            Ok(atomic::WriteResult::Written(c)) => {
                let output = if c.bad_padding {
                    let mut s = job.dest.as_os_str().to_owned();
                    s.push(".badpad");
                    PathBuf::from(s)
                } else {
                    job.dest.clone()
                };
                (
                    Outcome::Written(Written {
                        output,
                        bytes: c.bytes,
                        sha256: c.sha256.map(hex::encode),
                        bad_padding: c.bad_padding,
                        sidecar: false,
                        source_sha256: None,
                        problem: None,
                        short: c.short,
                    }),
                    c.warnings,
                )
            }
            Ok(atomic::WriteResult::Skipped) => {
                let len = std::fs::metadata(&dest).map(|m| m.len()).ok();
                match (&job.known, self.opts.hash) {
                    (Some((n, sha)), _) if Some(*n) == len => (
                        Outcome::Skipped {
                            bytes: *n,
                            sha256: Some(sha.clone()),
                            sidecar: false,
                        },
                        Vec::new(),
                    ),
                    (_, true) => match crate::hashing::sha256_file(&dest) {
                        Ok((n, sha)) => (
                            Outcome::Skipped {
                                bytes: n,
                                sha256: Some(sha),
                                sidecar: false,
                            },
                            Vec::new(),
                        ),
                        Err(err) => {
                            return problem(
                                ProblemKind::Failed,
                                format!("existing file unreadable: {err}"),
                            )
                        }
                    },
                    (_, false) => (
                        Outcome::Skipped {
                            bytes: len.unwrap_or(0),
                            sha256: None,
                            sidecar: false,
                        },
                        Vec::new(),
                    ),
                }
            }
            Err(io) if io.kind() == io::ErrorKind::AlreadyExists && inner_err.is_none() => {
                return problem(ProblemKind::Exists, io.to_string())
            }
            Err(io) => {
                return problem(
                    ProblemKind::Failed,
                    match inner_err {
                        Some(i) => i.to_string(),
                        None => io.to_string(),
                    },
                )
            }
        };
        if let Some(sc) = &job.sidecar {
            let mut p = dest.as_os_str().to_owned();
            p.push(&sc.suffix);
            // A resumed run rewrites sidecars: they are cheap and may carry newer metadata.
            let existing = match self.existing(job) {
                Existing::Skip => Existing::Overwrite,
                e => e,
            };
            match atomic::write_atomic(Path::new(&p), existing, job.mtime, |f| {
                f.write_all(&sc.bytes)
            }) {
                Ok(_) => match &mut outcome {
                    Outcome::Written(w) => w.sidecar = true,
                    Outcome::Skipped { sidecar, .. } => *sidecar = true,
                    _ => {}
                },
                Err(err) => return problem(ProblemKind::Failed, format!("sidecar: {err}")),
            }
        }
        (outcome, warnings)
    }

    /// A JPEG made from a HEIC entry, written through `write` like any other bytes. A HEIC that
    /// does not decode (or decrypts with invalid padding) is never half-converted: its original
    /// goes to `fallback` with a problem on the record (exit 5), or, without a fallback (the
    /// original is written beside it anyway), only the problem is reported.
    fn convert(
        &self,
        job: &Job<'_>,
        dest: &Path,
        entry: &Entry,
        fallback: Option<&Path>,
        quality: u8,
    ) -> (Outcome, Vec<String>) {
        let as_bytes = |bytes: Vec<u8>, dest: &Path| Job {
            source: Source::Bytes(bytes.into()),
            dest: dest.to_path_buf(),
            ..job.clone()
        };
        // Resuming: an existing JPEG is left without decoding its source again.
        if self.existing(job) == Existing::Skip && dest.is_file() {
            return self.write(&as_bytes(Vec::new(), &job.dest));
        }
        if self.backup.blob_name(entry).is_none() {
            return (
                Outcome::Problem(Problem::new(
                    ProblemKind::Missing,
                    job.label(),
                    format!("blob {} is missing from the backup", entry.file_id),
                )),
                Vec::new(),
            );
        }
        // A HEIC is decoded in memory; a real one is a few megabytes. One whose blob claims
        // more is not converted but streamed to the fallback as it is, like any undecodable one.
        let blob_len = self
            .backup
            .blob_name(entry)
            .and_then(|b| self.backup.source().len(&b).ok())
            .unwrap_or(0);
        if blob_len > MAX_HEIC_BYTES {
            let problem = Problem::new(
                ProblemKind::NotConverted,
                job.label(),
                format!(
                    "not converted to JPEG: {blob_len} bytes, more than the {} MiB a HEIC is decoded from; the original is exported as it is",
                    MAX_HEIC_BYTES >> 20
                ),
            );
            let Some(fb) = fallback else {
                return (Outcome::Problem(problem), Vec::new());
            };
            let (mut o, w) = self.write(&Job {
                source: Source::Entry(entry),
                dest: fb.to_path_buf(),
                ..job.clone()
            });
            if let Outcome::Written(wr) = &mut o {
                wr.source_sha256 = wr.sha256.clone();
                wr.problem = Some(problem);
            }
            return (o, w);
        }
        let _slot = self.converting.acquire();
        let mut heic = Vec::with_capacity(entry.size().min(MAX_HEIC_BYTES) as usize);
        let copied = match self.backup.copy_entry(entry, &mut heic, true) {
            Ok(c) => c,
            Err(e) => {
                return (
                    Outcome::Problem(Problem::new(
                        ProblemKind::Failed,
                        job.label(),
                        e.to_string(),
                    )),
                    Vec::new(),
                )
            }
        };
        let source_sha = copied.sha256.map(hex::encode);
        let converted = if copied.bad_padding {
            Err("invalid PKCS#7 padding after decryption".to_string())
        } else {
            crate::convert::heic_to_jpeg(
                &heic,
                &crate::convert::JpegOptions {
                    quality,
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())
        };
        let (mut outcome, mut warnings) = match converted {
            Ok(c) => {
                drop(heic);
                self.write(&as_bytes(c.jpeg, &job.dest))
            }
            Err(cause) => {
                let problem = Problem::new(
                    ProblemKind::NotConverted,
                    job.label(),
                    format!("not converted to JPEG: {cause}; the original is exported as it is"),
                );
                let Some(fb) = fallback else {
                    return (Outcome::Problem(problem), copied.warnings);
                };
                // Like every writer, a decryption with invalid padding is kept as `.badpad`.
                let fb = if copied.bad_padding {
                    let mut s = fb.as_os_str().to_owned();
                    s.push(".badpad");
                    PathBuf::from(s)
                } else {
                    fb.to_path_buf()
                };
                let (mut o, w) = self.write(&as_bytes(heic, &fb));
                if let Outcome::Written(wr) = &mut o {
                    wr.problem = Some(problem);
                }
                (o, w)
            }
        };
        if let Outcome::Written(wr) = &mut outcome {
            wr.source_sha256 = source_sha;
        }
        warnings.extend(copied.warnings);
        (outcome, warnings)
    }

    /// Writes one of the writer's own files (a journal, a report, an index) at `rel`,
    /// replacing an earlier run's.
    pub fn write_own(&self, rel: &Path, bytes: &[u8]) -> Result<()> {
        self.write_own_with(rel, |f| f.write_all(bytes))
    }

    /// `write_own` for content made while it is written (`fill` writes it into the file,
    /// through a buffer).
    pub fn write_own_with(
        &self,
        rel: &Path,
        fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        let dest =
            safepath::join_checked(&self.out, rel).map_err(|e| Error::Other(e.to_string()))?;
        safepath::create_dirs(&self.out, rel.parent().unwrap_or(Path::new(""))).at(&dest)?;
        atomic::write_atomic(&dest, Existing::Overwrite, None, |f| {
            let mut buf = io::BufWriter::with_capacity(1 << 20, f);
            fill(&mut buf)?;
            buf.flush()
        })
        .at(&dest)?;
        Ok(())
    }
}
