//! The running export's progress, for the page's progress bar: the engine reports into these
//! counters (`export::Progress`) while a second request, `GET /api/export/progress`, reads them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

use crate::export::Progress;

#[derive(Default)]
pub struct Live {
    running: AtomicBool,
    files_total: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    bytes_done: AtomicU64,
}

#[derive(Serialize)]
pub struct Snapshot {
    running: bool,
    files_total: u64,
    bytes_total: u64,
    files_done: u64,
    bytes_done: u64,
}

impl Live {
    /// Before the engine plans anything: the bar shows a run has begun, with no totals yet.
    pub fn begin(&self) {
        for a in [
            &self.files_total,
            &self.bytes_total,
            &self.files_done,
            &self.bytes_done,
        ] {
            a.store(0, Ordering::Relaxed);
        }
        self.running.store(true, Ordering::Relaxed);
    }

    pub fn end(&self) {
        self.running.store(false, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            running: self.running.load(Ordering::Relaxed),
            files_total: self.files_total.load(Ordering::Relaxed),
            bytes_total: self.bytes_total.load(Ordering::Relaxed),
            files_done: self.files_done.load(Ordering::Relaxed),
            bytes_done: self.bytes_done.load(Ordering::Relaxed),
        }
    }
}

impl Progress for Live {
    fn start(&self, files: u64, bytes: u64) {
        self.files_total.store(files, Ordering::Relaxed);
        self.bytes_total.store(bytes, Ordering::Relaxed);
    }

    fn advance(&self, files: u64, bytes: u64) {
        self.files_done.fetch_add(files, Ordering::Relaxed);
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }
}
