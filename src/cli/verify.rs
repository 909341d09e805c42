use crate::error::{Exit, Result};
use crate::verify::verify;

use super::BackupArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub backup: BackupArgs,
    /// Also decrypt (or read) every file: padding valid, recorded digest matches.
    #[arg(long)]
    pub deep: bool,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<Exit> {
    let b = super::open(&a.backup)?;
    let entries = b.entries()?;
    let r = verify(&b, &entries, a.deep)?;
    super::out(|w| {
        if a.json {
            serde_json::to_writer_pretty(&mut *w, &r)?;
            return writeln!(w);
        }
        writeln!(w, "Backup:            {}", r.path)?;
        writeln!(
            w,
            "Encryption:        declared {}, Manifest.db is {}{}",
            if r.encrypted_declared {
                "encrypted"
            } else {
                "plain"
            },
            r.manifest_db_content,
            if r.encryption_consistent {
                ""
            } else {
                "  <- INCONSISTENT"
            }
        )?;
        writeln!(
            w,
            "Snapshot state:    {}{}",
            r.snapshot_state.as_deref().unwrap_or("-"),
            if r.snapshot_finished {
                ""
            } else {
                "  <- backup did not finish"
            }
        )?;
        writeln!(
            w,
            "Entries:           {} ({} files, {} healthy)",
            r.entries, r.files, r.files_ok
        )?;
        if r.deep {
            writeln!(w, "Digests checked:   {}", r.digests_checked)?;
        }
        writeln!(w, "Orphan blobs:      {}", r.orphan_blobs.len())?;
        for o in &r.orphan_blobs {
            writeln!(w, "  {o}")?;
        }
        writeln!(
            w,
            "Photo library:     {}",
            r.photo_library.as_deref().unwrap_or("-")
        )?;
        writeln!(
            w,
            "Photo assets:      {} ({} with nothing in the backup)",
            r.photo_assets,
            r.photo_assets_missing.len()
        )?;
        for m in &r.photo_assets_missing {
            writeln!(w, "  {m}")?;
        }
        for f in &r.findings {
            writeln!(w, "{}: {} ({}): {}", f.code, f.entry, f.file_id, f.detail)?;
        }
        writeln!(
            w,
            "{}",
            if r.healthy {
                "healthy"
            } else {
                "problems found"
            }
        )
    })?;
    Ok(r.exit())
}
