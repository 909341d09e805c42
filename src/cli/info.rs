use crate::error::{Exit, Result};
use crate::info::{backup_info, domain_stats};

use super::BackupArgs;

#[derive(Debug, clap::Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub backup: BackupArgs,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DomainsArgs {
    #[command(flatten)]
    pub backup: BackupArgs,
    /// One JSON array of objects.
    #[arg(long)]
    pub json: bool,
}

fn opt(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

pub fn run_info(a: InfoArgs) -> Result<Exit> {
    let b = super::open(&a.backup)?;
    let entries = b.entries()?;
    let i = backup_info(&b, &entries);
    super::out(|w| {
        if a.json {
            serde_json::to_writer_pretty(&mut *w, &i)?;
            return writeln!(w);
        }
        writeln!(w, "Backup:          {}", i.path)?;
        writeln!(w, "Device name:     {}", opt(&i.device_name))?;
        writeln!(w, "Model:           {}", opt(&i.product_type))?;
        writeln!(
            w,
            "iOS version:     {} ({})",
            opt(&i.ios_version),
            opt(&i.build_version)
        )?;
        writeln!(w, "Serial number:   {}", opt(&i.serial_number))?;
        writeln!(w, "UDID:            {}", i.udid)?;
        writeln!(
            w,
            "Backup date:     {}",
            i.backup_date
                .map(|d| d.rfc3339())
                .unwrap_or_else(|| "-".into())
        )?;
        writeln!(
            w,
            "Encrypted:       {}",
            if i.encrypted { "yes" } else { "no" }
        )?;
        writeln!(
            w,
            "Passcode set:    {}",
            match i.passcode_set {
                Some(true) => "yes",
                Some(false) => "no",
                None => "-",
            }
        )?;
        writeln!(w, "Snapshot state:  {}", opt(&i.snapshot_state))?;
        writeln!(w, "Files:           {}", i.files)?;
        writeln!(w, "Directories:     {}", i.directories)?;
        writeln!(w, "Symlinks:        {}", i.symlinks)?;
        writeln!(w, "Total size:      {} bytes", i.total_size)?;
        writeln!(w, "Domains:         {}", i.domains)?;
        if i.undecodable_records > 0 {
            writeln!(w, "Undecodable:     {} records", i.undecodable_records)?;
        }
        Ok(())
    })?;
    Ok(if i.undecodable_records > 0 {
        Exit::Partial
    } else {
        Exit::Ok
    })
}

pub fn run_domains(a: DomainsArgs) -> Result<Exit> {
    let b = super::open(&a.backup)?;
    let entries = b.entries()?;
    let stats = domain_stats(&entries);
    super::out(|w| {
        if a.json {
            serde_json::to_writer_pretty(&mut *w, &stats)?;
            return writeln!(w);
        }
        for s in &stats {
            writeln!(w, "{:>8} {:>14}  {}", s.files, s.bytes, s.domain)?;
        }
        Ok(())
    })?;
    Ok(Exit::Ok)
}
