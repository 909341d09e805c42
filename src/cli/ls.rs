use std::io::Write;

use crate::error::{Exit, Result};
use crate::manifest::listing::record;
use crate::manifest::{Entry, EntryKind};
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

fn csv_field(w: &mut dyn Write, s: &str) -> std::io::Result<()> {
    if s.contains([',', '"', '\n', '\r']) {
        write!(w, "\"{}\"", s.replace('"', "\"\""))
    } else {
        w.write_all(s.as_bytes())
    }
}

fn csv_row(w: &mut dyn Write, e: &Entry) -> std::io::Result<()> {
    let r = record(e);
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
            w.write_all(b",")?;
        }
        csv_field(w, f)?;
    }
    w.write_all(b"\n")
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
    let entries = b.entries()?;
    let chosen: Vec<&Entry> = entries.iter().filter(|e| sel.matches(e)).collect();
    let problems = chosen.iter().filter(|e| e.problem.is_some()).count();
    super::out(|w| {
        if a.json {
            // Records are serialised in parallel, a batch at a time, into buffers written in
            // order: escaping strings is a large part of listing a big backup.
            use rayon::prelude::*;
            w.write_all(b"[")?;
            for (b, batch) in chosen.chunks(65_536).enumerate() {
                let parts: Vec<Vec<u8>> = batch
                    .par_chunks(4096)
                    .enumerate()
                    .map(|(c, chunk)| {
                        let mut buf = Vec::with_capacity(chunk.len() * 320);
                        for (i, e) in chunk.iter().enumerate() {
                            let first = b == 0 && c == 0 && i == 0;
                            buf.extend_from_slice(if first { b"\n" } else { b",\n" });
                            // Writing into a Vec cannot fail; a serialisation error would
                            // mean a bug in the record type.
                            let _ = serde_json::to_writer(&mut buf, &record(e));
                        }
                        buf
                    })
                    .collect();
                for p in parts {
                    w.write_all(&p)?;
                }
            }
            return w.write_all(b"\n]\n");
        }
        if a.csv {
            writeln!(w, "{CSV_HEADER}")?;
            for e in &chosen {
                csv_row(w, e)?;
            }
            return Ok(());
        }
        for e in &chosen {
            if a.long {
                let m = &e.meta;
                write!(
                    w,
                    "{} {:>12} {} {} {} {}",
                    mode_string(m.mode, e.kind()),
                    e.size(),
                    m.mtime
                        .map(|t| Timestamp::from_unix(t).rfc3339())
                        .unwrap_or_else(|| "-".repeat(20)),
                    m.protection_class
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "-".into()),
                    e.file_id,
                    e.display()
                )?;
                if let Some(t) = &m.target {
                    write!(w, " -> {t}")?;
                }
                writeln!(w)?;
            } else {
                writeln!(w, "{}", e.display())?;
            }
        }
        Ok(())
    })?;
    for e in chosen.iter().filter(|e| e.problem.is_some()) {
        eprintln!(
            "unback: {}: record of {} ({}): {}",
            b.display_path("Manifest.db").display(),
            e.display(),
            e.file_id,
            e.problem.as_deref().unwrap_or("")
        );
    }
    Ok(if problems > 0 {
        Exit::Partial
    } else {
        Exit::Ok
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
