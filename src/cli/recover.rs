//! `recover` and `recover diff`.

use std::path::PathBuf;

use crate::error::{Error, Exit, Result};
use crate::recover::diff::diff;
use crate::recover::run::{recover, Kind, RecoverOptions};

use super::{BackupArgs, SecretArgs};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub diff: Option<DiffCmd>,
    /// The backup folder, a folder holding several backups, or a .zip of either.
    #[arg(value_name = "BACKUP", required = true)]
    pub backup: Option<PathBuf>,
    /// Output folder: OUT/<kind>/…, OUT/unback-recovery.json, OUT/index.html.
    #[arg(value_name = "OUT", required = true)]
    pub out: Option<PathBuf>,
    /// Which backup, when BACKUP holds several: its folder name, UDID or device name.
    #[arg(long, value_name = "ID")]
    pub udid: Option<String>,
    #[command(flatten)]
    pub secret: SecretArgs,
    /// Only these kinds (repeatable): deleted-assets, previews, deleted-records, orphans, carved.
    #[arg(long = "only", value_name = "KIND")]
    pub only: Vec<String>,
    /// Print the report as JSON on stdout (it is always written to OUT too).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub jobs: super::JobsArg,
}

#[derive(Debug, clap::Subcommand)]
pub enum DiffCmd {
    /// Photos present in the older backup and gone from the newer, and what traces remain.
    #[command(after_help = "Example:\n  unback recover diff BACKUP-MAY BACKUP-JUNE --json")]
    Diff(DiffArgs),
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    #[arg(value_name = "OLDER_BACKUP")]
    pub older: PathBuf,
    #[arg(value_name = "NEWER_BACKUP")]
    pub newer: PathBuf,
    #[command(flatten)]
    pub secret: SecretArgs,
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<Exit> {
    if let Some(DiffCmd::Diff(d)) = a.diff {
        return run_diff(d);
    }
    let (Some(backup), Some(out)) = (a.backup, a.out) else {
        return Err(Error::Usage("recover needs BACKUP and OUT".into()));
    };
    let kinds = a
        .only
        .iter()
        .flat_map(|k| k.split(','))
        .filter(|k| !k.is_empty())
        .map(|k| k.parse::<Kind>().map_err(Error::Usage))
        .collect::<Result<Vec<_>>>()?;
    let b = super::open(&BackupArgs {
        backup,
        udid: a.udid,
        secret: a.secret,
    })?;
    crate::export::check_output(&b, &out)?;
    let entries = b.entries()?;
    let r = recover(
        &b,
        &entries,
        &out,
        &RecoverOptions {
            kinds,
            jobs: a.jobs.jobs,
        },
    )?;
    for n in &r.notes {
        eprintln!("unback: note: {n}");
    }
    for f in &r.failures {
        eprintln!("unback: {f}");
    }
    super::out(|w| {
        if a.json {
            serde_json::to_writer_pretty(&mut *w, &r)?;
            return writeln!(w);
        }
        writeln!(w, "recovered into {}:", out.display())?;
        for (k, n) in &r.counts {
            writeln!(w, "  {k}: {n}")?;
        }
        writeln!(
            w,
            "report: {}, {}",
            out.join("unback-recovery.json").display(),
            out.join("index.html").display()
        )
    })?;
    Ok(if r.failures.is_empty() {
        Exit::Ok
    } else {
        Exit::Partial
    })
}

fn run_diff(d: DiffArgs) -> Result<Exit> {
    let open = |p: &PathBuf| {
        super::open(&BackupArgs {
            backup: p.clone(),
            udid: None,
            secret: d.secret.clone(),
        })
    };
    let older = open(&d.older)?;
    let newer = open(&d.newer)?;
    let (oe, ne) = (older.entries()?, newer.entries()?);
    let r = diff(&older, &oe, &newer, &ne)?;
    super::out(|w| {
        if d.json {
            serde_json::to_writer_pretty(&mut *w, &r)?;
            return writeln!(w);
        }
        writeln!(
            w,
            "{} assets in the older backup, {} in the newer: {} in both, {} with the same content under another UUID, {} gone, {} added",
            r.older_assets, r.newer_assets, r.in_both, r.same_content.len(), r.gone.len(), r.added
        )?;
        for g in &r.gone {
            writeln!(
                w,
                "gone: {} {} {} {}",
                g.uuid,
                g.capture_date.as_deref().unwrap_or("-"),
                g.original_filename.as_deref().unwrap_or(&g.relative_path),
                if g.traces_in_newer.is_empty() {
                    "(no trace in the newer backup)".to_string()
                } else {
                    format!("— still in the newer: {}", g.traces_in_newer.join("; "))
                }
            )?;
        }
        Ok(())
    })?;
    Ok(Exit::Ok)
}
