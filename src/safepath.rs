//! The one gate between names from a backup and paths on the user's disk.
//!
//! Domains and relative paths come from the backup and are untrusted. A name that could climb out
//! of the output folder (`..`, an absolute path, a NUL, a backslash that Windows would read as a
//! separator) is refused; a name that is merely unportable (characters or device names Windows
//! forbids, trailing dots or spaces) is rewritten so the same tree can be written on Windows,
//! macOS and Linux alike. Writing then goes through `create_dirs`, which refuses to follow a
//! symlink that already exists inside the output folder.

use std::fmt;
use std::io;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsafePath {
    pub name: String,
    pub cause: &'static str,
}

impl fmt::Display for UnsafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: unsafe path ({})", self.name, self.cause)
    }
}

impl std::error::Error for UnsafePath {}

const WINDOWS_RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Most file systems cap a name at 255 bytes.
const MAX_NAME_BYTES: usize = 255;

/// Makes one path component portable, or refuses it when it could change the path's meaning.
pub fn safe_component(raw: &str, whole: &str) -> Result<String, UnsafePath> {
    let refuse = |cause| {
        Err(UnsafePath {
            name: whole.to_string(),
            cause,
        })
    };
    if raw.contains('\0') {
        return refuse("contains a NUL byte");
    }
    if raw.contains('\\') {
        return refuse("contains a backslash, a path separator on Windows");
    }
    if raw == ".." {
        return refuse("contains a '..' segment");
    }
    if raw.is_empty() || raw == "." {
        return refuse("contains an empty or '.' segment");
    }
    let mut s: String = raw
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c if (c as u32) < 0x20 => '_',
            c => c,
        })
        .collect();
    // Windows strips trailing dots and spaces, which would merge "a." with "a".
    let kept = s.trim_end_matches(['.', ' ']).len();
    let run = s.len() - kept;
    if run > 0 {
        s.truncate(kept);
        s.push_str(&"_".repeat(run));
    }
    let stem = s
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        s.insert(0, '_');
    }
    if s.len() > MAX_NAME_BYTES {
        return refuse("a name longer than 255 bytes");
    }
    Ok(s)
}

/// Maps `domain` + `relative_path` to a relative path below the output folder:
/// `<domain>/<relative path components>`.
pub fn map_entry(domain: &str, relative_path: &str) -> Result<PathBuf, UnsafePath> {
    let whole = if relative_path.is_empty() {
        domain.to_string()
    } else {
        format!("{domain}/{relative_path}")
    };
    if domain.contains('/') {
        return Err(UnsafePath {
            name: whole,
            cause: "the domain contains '/'",
        });
    }
    let mut out = PathBuf::from(safe_component(domain, &whole)?);
    if relative_path.is_empty() {
        return Ok(out);
    }
    if relative_path.starts_with('/') {
        return Err(UnsafePath {
            name: whole,
            cause: "an absolute path",
        });
    }
    // A trailing '/' on a directory row is harmless; other empty segments are not expected.
    let rel = relative_path.strip_suffix('/').unwrap_or(relative_path);
    for part in rel.split('/') {
        out.push(safe_component(part, &whole)?);
    }
    Ok(out)
}

/// Joins a relative path produced by this module to `root`, checking again that nothing in it
/// can leave `root` (defence in depth for paths built elsewhere, e.g. photo names).
pub fn join_checked(root: &Path, rel: &Path) -> Result<PathBuf, UnsafePath> {
    for c in rel.components() {
        match c {
            Component::Normal(_) => {}
            _ => {
                return Err(UnsafePath {
                    name: rel.display().to_string(),
                    cause: "not a plain relative path",
                })
            }
        }
    }
    Ok(root.join(rel))
}

/// Creates `root/rel` and every folder between, refusing to pass through an existing symlink or
/// non-folder: a link planted inside the output folder must not redirect writes elsewhere.
/// `root` itself is trusted (the user chose it).
pub fn create_dirs(root: &Path, rel: &Path) -> io::Result<PathBuf> {
    let mut cur = root.to_path_buf();
    for c in rel.components() {
        let Component::Normal(name) = c else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{}: not a plain relative path", rel.display()),
            ));
        };
        cur.push(name);
        match std::fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: is a symlink; refusing to follow it", cur.display()),
                ))
            }
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: exists and is not a folder", cur.display()),
                ))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::create_dir(&cur) {
                Ok(()) => {}
                // Another worker made it in the meantime; re-check it is a real folder.
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let m = std::fs::symlink_metadata(&cur)?;
                    if !m.is_dir() || m.file_type().is_symlink() {
                        return Err(io::Error::new(
                            io::ErrorKind::AlreadyExists,
                            format!("{}: exists and is not a folder", cur.display()),
                        ));
                    }
                }
                Err(e) => return Err(e),
            },
            Err(e) => return Err(e),
        }
    }
    Ok(cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_sees_through_spellings_and_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let backup = d.path().join("Backup/UDID");
        std::fs::create_dir_all(&backup).unwrap();
        let inside = Some(Overlap::Inside);
        assert_eq!(overlap(&backup, &backup, true), inside);
        assert_eq!(overlap(&backup, &backup.join("new/deeper"), true), inside);
        assert_eq!(
            overlap(&backup, &d.path().join("Backup/missing/../UDID/x"), true),
            inside
        );
        assert_eq!(
            overlap(&backup, &d.path().join("Backup"), true),
            Some(Overlap::Holds)
        );
        assert_eq!(overlap(&backup, &d.path().join("Backup"), false), None);
        assert_eq!(overlap(&backup, &d.path().join("Backup/UDID2"), true), None);
        assert_eq!(overlap(&backup, &d.path().join("out"), true), None);
        #[cfg(unix)]
        {
            let link = d.path().join("link");
            std::os::unix::fs::symlink(&backup, &link).unwrap();
            assert_eq!(overlap(&backup, &link.join("out"), true), inside);
            assert_eq!(overlap(&link, &backup.join("out"), true), inside);
        }
    }

    #[test]
    fn ordinary_paths_map_unchanged() {
        assert_eq!(
            map_entry("CameraRollDomain", "Media/DCIM/100APPLE/IMG_0001.HEIC").unwrap(),
            PathBuf::from("CameraRollDomain/Media/DCIM/100APPLE/IMG_0001.HEIC")
        );
        assert_eq!(
            map_entry("AppDomain-x", "Documents/Résumé/naïve 😀.txt").unwrap(),
            PathBuf::from("AppDomain-x/Documents/Résumé/naïve 😀.txt")
        );
        assert_eq!(
            map_entry("HomeDomain", "").unwrap(),
            PathBuf::from("HomeDomain")
        );
    }

    #[test]
    fn hostile_paths_are_refused() {
        for (d, p) in [
            ("HomeDomain", "../../etc/passwd"),
            ("HomeDomain", "a/../../b"),
            ("HomeDomain", "/etc/passwd"),
            ("HomeDomain", "a\\..\\..\\b"),
            ("HomeDomain", "a\0b"),
            ("..", "x"),
            ("a/b", "x"),
            ("HomeDomain", "a//b"),
            ("HomeDomain", "./a"),
        ] {
            assert!(map_entry(d, p).is_err(), "{d} {p}");
        }
    }

    #[test]
    fn unportable_names_are_rewritten() {
        assert_eq!(safe_component("a:b?c", "").unwrap(), "a_b_c");
        assert_eq!(safe_component("CON", "").unwrap(), "_CON");
        assert_eq!(safe_component("com1.txt", "").unwrap(), "_com1.txt");
        assert_eq!(safe_component("name.", "").unwrap(), "name_");
        assert_eq!(safe_component("name. .", "").unwrap(), "name___");
        assert_eq!(safe_component("tab\there", "").unwrap(), "tab_here");
        assert!(safe_component(&"x".repeat(300), "").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn create_dirs_refuses_planted_symlinks() {
        let out = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.path().join("HomeDomain")).unwrap();
        let err = create_dirs(out.path(), Path::new("HomeDomain/Library")).unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
        assert!(!elsewhere.path().join("Library").exists());
        let ok = create_dirs(out.path(), Path::new("CameraRollDomain/Media")).unwrap();
        assert!(ok.is_dir());
        assert!(join_checked(out.path(), Path::new("../x")).is_err());
    }
}

/// `path` made absolute with `.` and `..` resolved, symlinks included for the part that exists,
/// so that two spellings of one place compare equal even before the output folder is created.
fn resolved(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut lexical = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            c => lexical.push(c),
        }
    }
    // Canonicalise the longest existing prefix and keep the rest as written.
    let mut existing = lexical.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(c) = std::fs::canonicalize(existing) {
            let mut out = c;
            out.extend(rest.iter().rev());
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(p), Some(n)) => {
                rest.push(n.to_os_string());
                existing = p;
            }
            _ => return lexical,
        }
    }
}

/// Where something is about to be written, relative to the backup being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlap {
    /// The output is the backup folder or inside it.
    Inside,
    /// The output folder holds the backup (its files could be written over).
    Holds,
}

/// How `out` overlaps the folder `backup`, if it does. `tree`: `out` is a folder that will
/// receive a tree of files (then holding the backup counts too); else it is one file.
pub fn overlap(backup: &Path, out: &Path, tree: bool) -> Option<Overlap> {
    let (backup, out) = (resolved(backup), resolved(out));
    if out.starts_with(&backup) {
        Some(Overlap::Inside)
    } else if tree && backup.starts_with(&out) {
        Some(Overlap::Holds)
    } else {
        None
    }
}
