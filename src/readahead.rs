//! Read-ahead of a backup's blob files while the backup key is being derived.
//!
//! Unlocking an encrypted backup costs about a second of one core (PBKDF2, `crate::kdf`), and
//! nothing can be decrypted before it ends, not even Manifest.db. A job that then reads most
//! of the backup would find the disk idle for that second. [`ReadAhead::start`] spends it
//! asking the kernel to read the blob files into the page cache (`posix_fadvise(WILLNEED)`):
//! a hint, so no second copy is held in this process, nothing is written, and the job's own
//! reads later find the pages cached.
//!
//! Bounded: at most half of the memory the kernel reports available is hinted, so the hinted
//! pages do not push each other out before they are read. Cancellable: dropping the handle
//! stops the walk at the next file. Only Linux has the hint; elsewhere [`ReadAhead::start`]
//! does nothing.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// A running read-ahead; dropping it stops issuing hints (reads already queued complete).
pub struct ReadAhead {
    stop: Arc<AtomicBool>,
    hinted: Arc<AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReadAhead {
    /// Starts hinting the blobs of the backup folder `root` (`xx/` folders of iOS 10 and
    /// later, the flat 40-hex-digit names before), in a background thread, within the default
    /// budget. Returns at once.
    pub fn start(root: &Path) -> ReadAhead {
        ReadAhead::with_budget(root, default_budget())
    }

    /// As [`ReadAhead::start`], hinting at most `budget` bytes.
    pub fn with_budget(root: &Path, budget: u64) -> ReadAhead {
        let stop = Arc::new(AtomicBool::new(false));
        let hinted = Arc::new(AtomicU64::new(0));
        let thread = if cfg!(target_os = "linux") && budget > 0 {
            let (root, stop, hinted) = (root.to_path_buf(), stop.clone(), hinted.clone());
            std::thread::Builder::new()
                .name("unback-readahead".into())
                .spawn(move || walk(&root, budget, &stop, &hinted))
                .ok()
        } else {
            None
        };
        ReadAhead {
            stop,
            hinted,
            thread,
        }
    }

    /// Bytes of blob files hinted so far.
    pub fn hinted(&self) -> u64 {
        self.hinted.load(Ordering::Relaxed)
    }

    /// Waits until every blob within the budget has been hinted, and returns their bytes.
    pub fn wait(mut self) -> u64 {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.hinted()
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Half of `MemAvailable` (Linux), or 0 (no read-ahead) where it cannot be read.
fn default_budget() -> u64 {
    let Ok(info) = std::fs::read_to_string("/proc/meminfo") else {
        return 0;
    };
    info.lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024 / 2)
}

fn is_hex(name: &str, len: usize) -> bool {
    name.len() == len && name.bytes().all(|b| b.is_ascii_hexdigit())
}

fn walk(root: &Path, budget: u64, stop: &AtomicBool, hinted: &AtomicU64) {
    let Ok(top) = std::fs::read_dir(root) else {
        return;
    };
    let mut folders: Vec<PathBuf> = Vec::new();
    let mut flat: Vec<PathBuf> = Vec::new();
    for e in top.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        match e.file_type() {
            Ok(t) if t.is_dir() && is_hex(&name, 2) => folders.push(e.path()),
            Ok(t) if t.is_file() && is_hex(&name, 40) => flat.push(e.path()),
            _ => {}
        }
    }
    // Blob names are hashes, so no order is closer to the job's than another; sorted keeps
    // one run the same as the next.
    folders.sort();
    flat.sort();
    let mut left = budget;
    let mut hint_all = |files: &mut dyn Iterator<Item = PathBuf>| -> bool {
        for path in files {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            match hint(&path, left) {
                Some(n) => {
                    left -= n;
                    hinted.fetch_add(n, Ordering::Relaxed);
                }
                None => continue,
            }
            if left == 0 {
                return false;
            }
        }
        true
    };
    if !hint_all(&mut flat.into_iter()) {
        return;
    }
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        files.sort();
        if !hint_all(&mut files.into_iter()) {
            return;
        }
    }
}

/// Hints up to `max` bytes of the file at `path`; returns how many, or `None` when it cannot
/// be opened.
#[cfg(target_os = "linux")]
fn hint(path: &Path, max: u64) -> Option<u64> {
    use std::os::fd::AsRawFd;
    // Linux reads at most the device's read-ahead window (`read_ahead_kb`, often 128 KiB, or
    // the larger largest request) per WILLNEED call, whatever length is asked, so a large
    // file is hinted a window at a time; 1 MiB stays within that cap on common devices.
    const STEP: u64 = 1 << 20;
    let f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len().min(max);
    let mut at = 0;
    while at < len {
        let n = STEP.min(len - at);
        let (Ok(off), Ok(n_)) = (libc::off_t::try_from(at), libc::off_t::try_from(n)) else {
            break;
        };
        // SAFETY: the descriptor is open for the duration of the call; the advice reads
        // nothing into this process's memory.
        unsafe {
            libc::posix_fadvise(f.as_raw_fd(), off, n_, libc::POSIX_FADV_WILLNEED);
        }
        at += n;
    }
    Some(at)
}

#[cfg(not(target_os = "linux"))]
fn hint(_path: &Path, _max: u64) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_blob_files_within_the_budget_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("ab")).unwrap();
        std::fs::create_dir(root.join("notes")).unwrap();
        std::fs::write(root.join("ab").join("ab01"), vec![1u8; 3000]).unwrap();
        std::fs::write(root.join("ab").join("ab02"), vec![1u8; 2000]).unwrap();
        // Larger than one hint step.
        std::fs::write(root.join("ab").join("ab03"), vec![1u8; 2_500_000]).unwrap();
        std::fs::write(root.join("notes").join("x"), vec![1u8; 7000]).unwrap();
        std::fs::write(root.join("Manifest.db"), vec![1u8; 11000]).unwrap();
        std::fs::write(root.join("0".repeat(40)), vec![1u8; 500]).unwrap();

        let all = ReadAhead::with_budget(root, u64::MAX).wait();
        let cut = ReadAhead::with_budget(root, 1000).wait();
        let none = ReadAhead::with_budget(&root.join("missing"), u64::MAX).wait();
        if cfg!(target_os = "linux") {
            assert_eq!(all, 500 + 3000 + 2000 + 2_500_000);
            assert_eq!(cut, 1000);
        } else {
            assert_eq!((all, cut), (0, 0));
        }
        assert_eq!(none, 0);
    }
}
