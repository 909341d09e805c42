use std::path::PathBuf;

use crate::discover;
use crate::error::{Exit, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Folder to search (a MobileSync `Backup` folder or any folder of backups). Default: the
    /// macOS and Windows MobileSync folders of the current user.
    pub root: Option<PathBuf>,
    /// One JSON array of objects.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<Exit> {
    let roots = match a.root {
        Some(r) => vec![r],
        None => discover::default_roots()
            .into_iter()
            .filter(|p| p.is_dir())
            .collect(),
    };
    let mut found = Vec::new();
    for r in &roots {
        found.extend(discover::find_backups(r)?);
    }
    super::out(|w| {
        if a.json {
            serde_json::to_writer_pretty(&mut *w, &found)?;
            writeln!(w)?;
            return Ok(());
        }
        if found.is_empty() {
            writeln!(w, "no backups found")?;
        }
        for f in &found {
            writeln!(
                w,
                "{}\t{}\t{}\tiOS {}\t{}\t{}{}{}",
                f.folder,
                f.device_name.as_deref().unwrap_or("?"),
                f.product_type.as_deref().unwrap_or("?"),
                f.ios_version.as_deref().unwrap_or("?"),
                f.date.map(|d| d.rfc3339()).unwrap_or_else(|| "?".into()),
                match f.encrypted {
                    Some(true) => "encrypted",
                    Some(false) => "not encrypted",
                    None => "?",
                },
                if f.archived { "\tarchived copy" } else { "" },
                f.problem
                    .as_deref()
                    .map(|p| format!("\tproblem: {p}"))
                    .unwrap_or_default(),
            )?;
            let _ = &f.path;
        }
        Ok(())
    })?;
    Ok(Exit::Ok)
}
