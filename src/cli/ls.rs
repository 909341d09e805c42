use std::io::Write;

use crate::error::{Exit, Result};
use crate::manifest::listing::{Record, Render};
use crate::manifest::EntryKind;
use crate::select::Selection;
use crate::time::Timestamp;

use super::BackupArgs;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TypeArg {
    /// Regular files
    F,
    /// Directories
    D,
    /// Symbolic links
    L,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub backup: BackupArgs,
    /// Globs over relativePath (`*` stays within a folder, `**` crosses folders).
    #[arg(value_name = "PATTERN")]
    pub patterns: Vec<String>,
    /// Glob over domains (repeatable), e.g. `CameraRollDomain` or `AppDomain-*`.
    #[arg(long = "domain", value_name = "GLOB")]
    pub domains: Vec<String>,
    /// Only entries of this type.
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<TypeArg>,
    /// Mode, size, modification time, protection class and fileID.
    #[arg(short = 'l', long = "long")]
    pub long: bool,
    /// One JSON array of objects (fields documented in the README).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// A header row, then one row per entry (same fields as --json).
    #[arg(long)]
    pub csv: bool,
}

const CSV_HEADER: &str = "domain,relative_path,file_id,kind,size,mode,mtime,ctime,birth,uid,gid,inode,protection_class,target,problem";

fn csv_row(r: &Record<'_>, w: &mut Vec<u8>) {
    let num = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    let time = |t: Option<Timestamp>| t.map(|t| t.rfc3339()).unwrap_or_default();
    let kind = format!("{:?}", r.kind).to_lowercase();
    let fields: [String; 15] = [
        r.domain.to_string(),
        r.relative_path.to_string(),
        r.file_id.to_string(),
        kind,
        r.size.to_string(),
        num(r.mode.map(u64::from)),
        time(r.mtime),
        time(r.ctime),
        time(r.birth),
        num(r.uid.map(u64::from)),
        num(r.gid.map(u64::from)),
        num(r.inode),
        num(r.protection_class.map(u64::from)),
        r.target.unwrap_or("").to_string(),
        r.problem.unwrap_or("").to_string(),
    ];
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            w.push(b',');
        }
        crate::records::csv_field(w, f);
    }
    w.push(b'\n');
}

fn long_line(r: &Record<'_>, w: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = write!(
        w,
        "{} {:>12} {} {} {} {}",
        mode_string(r.mode, r.kind),
        r.size,
        r.mtime
            .map(Timestamp::rfc3339)
            .unwrap_or_else(|| "-".repeat(20)),
        r.protection_class
            .map(|c| c.to_string())
            .unwrap_or_else(|| "-".into()),
        r.file_id,
        r.display()
    );
    if let Some(t) = r.target {
        let _ = write!(w, " -> {t}");
    }
    w.push(b'\n');
}

fn short_line(r: &Record<'_>, w: &mut Vec<u8>) {
    w.extend_from_slice(r.domain.as_bytes());
    if !r.relative_path.is_empty() {
        w.push(b'/');
        w.extend_from_slice(r.relative_path.as_bytes());
    }
    w.push(b'\n');
}

fn json(r: &Record<'_>, w: &mut Vec<u8>) {
    r.write_json(w)
}

/// `drwxr-xr-x`-style rendering of a POSIX mode.
pub fn mode_string(mode: Option<u32>, kind: EntryKind) -> String {
    let mut s = String::with_capacity(10);
    s.push(match kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::File => '-',
        EntryKind::Other => '?',
    });
    let m = mode.unwrap_or(0);
    for shift in [6u32, 3, 0] {
        let bits = (m >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

pub fn run(a: Args) -> Result<Exit> {
    let kind = a.kind.map(|k| match k {
        TypeArg::F => EntryKind::File,
        TypeArg::D => EntryKind::Dir,
        TypeArg::L => EntryKind::Symlink,
    });
    let sel = Selection::new(&a.patterns, &a.domains, kind)?;
    let b = super::open(&a.backup)?;
    let render: &Render = if a.json {
        &json
    } else if a.csv {
        &csv_row
    } else if a.long {
        &long_line
    } else {
        &short_line
    };
    let listing = b.listing(&sel, render)?;
    super::out(|w| {
        if a.json {
            return listing.write_json_array(w);
        }
        if a.csv {
            writeln!(w, "{CSV_HEADER}")?;
        }
        listing.write(w)
    })?;
    let problems = listing.problems();
    for p in &problems {
        eprintln!(
            "unback: {}: record of {} ({}): {}",
            b.display_path("Manifest.db").display(),
            p.display,
            p.file_id,
            p.message
        );
    }
    // Exit::Partial: the listing is complete, but some records could not be read.
    Ok(if problems.is_empty() {
        Exit::Ok
    } else {
        Exit::Partial
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(mode_string(Some(0o100644), EntryKind::File), "-rw-r--r--");
        assert_eq!(mode_string(Some(0o40711), EntryKind::Dir), "drwx--x--x");
        assert_eq!(mode_string(Some(41453), EntryKind::Symlink), "lrwxr-xr-x");
    }
}
