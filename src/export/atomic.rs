//! Atomic files: written under a temporary name, renamed into place, removed on Ctrl-C.
//!
//! Every output file is written under a temporary name in its final folder and renamed into
//! place, so an interrupted run never leaves a truncated file under its final name. Renaming also
//! replaces, never follows, whatever sits at the final name.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::time::Timestamp;

/// What to do when the final name already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Existing {
    /// Refuse that file (reported as failed) so nothing is lost by accident.
    #[default]
    Refuse,
    Overwrite,
    /// Leave it: this finishes an interrupted run.
    Skip,
}

/// Receives progress from workers; the CLI draws a bar, tests ignore it.
pub trait Progress: Sync {
    fn start(&self, _files: u64, _bytes: u64) {}
    fn advance(&self, _files: u64, _bytes: u64) {}
    fn finish(&self) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// How a file refused because its final name exists is described; a second run into the same
/// folder refuses every file, and the CLI folds those reports into one line.
pub const EXISTS: &str = "already exists (use --overwrite or --skip-existing)";

/// Whether the file system holding `dir` treats names differing only in case as one (macOS and
/// Windows by default), found by creating a probe file and looking it up in upper case. When
/// the probe cannot be made, the answer is yes: renaming a file needlessly loses nothing.
pub fn folds_case(dir: &Path) -> bool {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let probe = dir.join(format!("{TEMP_PREFIX}case-{}-{n}.part", std::process::id()));
    live().insert(probe.clone());
    let folds = match OpenOptions::new().write(true).create_new(true).open(&probe) {
        Ok(_) => {
            let upper = probe
                .file_name()
                .map(|n| dir.join(n.to_string_lossy().to_uppercase()));
            let folds = upper.is_some_and(|u| u.exists());
            let _ = std::fs::remove_file(&probe);
            folds
        }
        Err(_) => true,
    };
    live().remove(&probe);
    folds
}

/// Temporary names must be unique across threads and across concurrent runs.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

pub const TEMP_PREFIX: &str = ".unback-";

fn temp_path(dir: &Path) -> PathBuf {
    let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{TEMP_PREFIX}{}-{n}.part", std::process::id()))
}

/// Temporary files being written now, so that an interrupted run can remove them: the final
/// names are safe without this, but the output folder should not keep hidden fragments.
static LIVE: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn live() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    // A worker that panicked while holding the lock left the set intact; keep using it.
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every temporary file still being written and returns how many there were. Called
/// on Ctrl-C just before the process exits: the lock stays held, so no worker can register (and
/// then create) another one in between.
pub fn abandon_partial_files() -> (usize, std::sync::MutexGuard<'static, BTreeSet<PathBuf>>) {
    let guard = live();
    let mut n = 0;
    for p in guard.iter() {
        if std::fs::remove_file(p).is_ok() {
            n += 1;
        }
    }
    (n, guard)
}

pub enum WriteResult<T> {
    Written(T),
    /// The final name existed and `Existing::Skip` was asked for.
    Skipped,
}

/// Writes `dest` atomically: `fill` writes the content into a temporary file in the same folder,
/// which then gets `mtime` and is renamed over `dest`. On any error the temporary file is removed.
pub fn write_atomic<T>(
    dest: &Path,
    existing: Existing,
    mtime: Option<Timestamp>,
    fill: impl FnOnce(&mut File) -> io::Result<T>,
) -> io::Result<WriteResult<T>> {
    write_atomic_as(dest, existing, mtime, fill, |_| None)
}

/// Like `write_atomic`, but `rename_to` may pick another final name once the content is known
/// (a decryption with invalid padding is kept under a `.badpad` name).
pub fn write_atomic_as<T>(
    dest: &Path,
    existing: Existing,
    mtime: Option<Timestamp>,
    fill: impl FnOnce(&mut File) -> io::Result<T>,
    rename_to: impl FnOnce(&T) -> Option<PathBuf>,
) -> io::Result<WriteResult<T>> {
    match std::fs::symlink_metadata(dest) {
        Ok(m) => match existing {
            Existing::Skip if m.is_file() => return Ok(WriteResult::Skipped),
            Existing::Overwrite if !m.is_dir() => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{}: {EXISTS}", dest.display()),
                ))
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let dir = dest.parent().unwrap_or(Path::new("."));
    let tmp = temp_path(dir);
    // Registered before it exists: see `abandon_partial_files`.
    live().insert(tmp.clone());
    let opened = OpenOptions::new().write(true).create_new(true).open(&tmp);
    let mut f = match opened {
        Ok(f) => f,
        Err(e) => {
            live().remove(&tmp);
            return Err(e);
        }
    };
    let result = (|| {
        let v = fill(&mut f)?;
        if let Some(t) = mtime {
            f.set_modified(t.to_system_time())?;
        }
        drop(f);
        let target = rename_to(&v).unwrap_or_else(|| dest.to_path_buf());
        std::fs::rename(&tmp, &target)?;
        Ok(v)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    live().remove(&tmp);
    result.map(WriteResult::Written)
}

/// Sets a folder's modification time; done after its content is written, since writing changes it.
pub fn set_dir_mtime(dir: &Path, t: Timestamp) -> io::Result<()> {
    File::open(dir)?.set_modified(t.to_system_time())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn atomic_write_sets_mtime_and_refuses_to_clobber() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("a.txt");
        let t = Timestamp::from_unix(1_600_000_000);
        let r = write_atomic(&dest, Existing::Refuse, Some(t), |f| f.write_all(b"hello")).unwrap();
        assert!(matches!(r, WriteResult::Written(())));
        assert_eq!(std::fs::read(&dest).unwrap(), b"hello");
        let m = std::fs::metadata(&dest).unwrap().modified().unwrap();
        assert_eq!(Timestamp::from_system_time(m), t);
        assert!(write_atomic(&dest, Existing::Refuse, None, |f| f.write_all(b"x")).is_err());
        assert!(matches!(
            write_atomic(&dest, Existing::Skip, None, |f| f.write_all(b"x")).unwrap(),
            WriteResult::Skipped
        ));
        write_atomic(&dest, Existing::Overwrite, None, |f| f.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
    }

    #[test]
    fn failed_fill_leaves_nothing_behind() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join("b.txt");
        let r = write_atomic(&dest, Existing::Refuse, None, |f| {
            f.write_all(b"partial")?;
            Err::<(), _>(io::Error::other("interrupted"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[cfg(unix)]
    #[test]
    fn overwrite_replaces_a_symlink_instead_of_following_it() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("victim");
        std::fs::write(&target, b"keep").unwrap();
        let dest = d.path().join("link");
        std::os::unix::fs::symlink(&target, &dest).unwrap();
        write_atomic(&dest, Existing::Overwrite, None, |f| f.write_all(b"mine")).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(!std::fs::symlink_metadata(&dest)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}
