use crate::error::{Error, Exit, Result};
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

fn count(v: Option<u64>) -> String {
    v.map_or_else(
        || "- (encrypted; give the password to count)".into(),
        |n| n.to_string(),
    )
}

pub fn run_info(a: InfoArgs) -> Result<Exit> {
    // The device details are readable without the password; only the counts need the index.
    let b = super::open_or_locked(&a.backup)?;
    let entries = if b.is_encrypted() && !b.is_unlocked() {
        match b.entries() {
            Ok(e) => Some(e),
            Err(Error::Locked { .. }) => None,
            Err(e) => return Err(e),
        }
    } else {
        Some(b.entries()?)
    };
    let i = backup_info(&b, entries.as_deref());
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
        writeln!(w, "Files:           {}", count(i.files))?;
        writeln!(w, "Directories:     {}", count(i.directories))?;
        writeln!(w, "Symlinks:        {}", count(i.symlinks))?;
        match i.total_size {
            Some(n) => writeln!(w, "Total size:      {n} bytes")?,
            None => writeln!(w, "Total size:      {}", count(None))?,
        }
        writeln!(w, "Domains:         {}", count(i.domains))?;
        if let Some(n) = i.undecodable_records.filter(|&n| n > 0) {
            writeln!(w, "Undecodable:     {n} records")?;
        }
        Ok(())
    })?;
    Ok(if i.undecodable_records.unwrap_or(0) > 0 {
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
