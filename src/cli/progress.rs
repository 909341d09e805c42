//! A progress bar on stderr, only when stderr is a terminal.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::export::Progress;

pub struct Bar {
    pb: Option<ProgressBar>,
    files_done: AtomicU64,
    files_total: AtomicU64,
}

impl Bar {
    pub fn new() -> Bar {
        let pb = std::io::stderr().is_terminal().then(|| {
            let pb = ProgressBar::new(0);
            let style = ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            pb.set_style(style);
            pb
        });
        Bar {
            pb,
            files_done: AtomicU64::new(0),
            files_total: AtomicU64::new(0),
        }
    }
}

impl Progress for Bar {
    fn start(&self, files: u64, bytes: u64) {
        self.files_total.store(files, Ordering::Relaxed);
        if let Some(pb) = &self.pb {
            pb.set_length(bytes);
            pb.set_position(0);
            pb.set_message(format!("0/{files} files"));
        }
    }

    fn advance(&self, files: u64, bytes: u64) {
        let done = self.files_done.fetch_add(files, Ordering::Relaxed) + files;
        if let Some(pb) = &self.pb {
            pb.inc(bytes);
            pb.set_message(format!(
                "{done}/{} files",
                self.files_total.load(Ordering::Relaxed)
            ));
        }
    }

    fn finish(&self) {
        if let Some(pb) = &self.pb {
            pb.finish_and_clear();
        }
    }
}
