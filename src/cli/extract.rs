use std::path::PathBuf;

use crate::error::{Exit, Result};
use crate::export::extract::{extract, ExtractOptions};
use crate::manifest::Entry;
use crate::select::Selection;

use super::BackupArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub backup: BackupArgs,
    /// Output folder; files go to OUT/<domain>/<relativePath>.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    /// Globs over relativePath; default: everything.
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Glob over domains (repeatable).
    #[arg(long = "domain", value_name = "GLOB")]
    pub domains: Vec<String>,
    #[command(flatten)]
    pub write: super::WriteArgs,
    /// Record each written file's SHA-256 in OUT/unback-extract.json.
    #[arg(long)]
    pub hash: bool,
}

pub fn run(a: Args) -> Result<Exit> {
    let sel = Selection::new(&a.patterns, &a.domains, None)?;
    let b = super::open(&a.backup)?;
    crate::export::check_output(&b, &a.out)?;
    let entries = b.entries()?;
    let chosen: Vec<&Entry> = entries.iter().filter(|e| sel.matches(e)).collect();
    let opts = ExtractOptions {
        existing: a.write.existing(),
        jobs: a.write.jobs.jobs,
        hash: a.hash,
    };
    let bar = super::progress::Bar::new();
    let s = extract(&b, &chosen, &a.out, &opts, &bar)?;
    for w in &s.warnings {
        eprintln!("unback: warning: {w}");
    }
    super::print_problems(&s.problems);
    super::out(|w| {
        writeln!(
            w,
            "{} files written ({} bytes), {} folders, {} symlinks recorded, {} skipped (existing), {} missing, {} failed, {} unsafe paths refused, {} kept with invalid padding",
            s.files_written,
            s.bytes_written,
            s.directories,
            s.symlinks_recorded,
            s.skipped_existing,
            s.missing,
            s.failed,
            s.unsafe_paths,
            s.bad_padding
        )
    })?;
    Ok(s.exit())
}
