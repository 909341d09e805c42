//! unback: read iPhone/iPad backups made by iTunes or Finder, rebuild their file tree and export
//! photos and files without touching the backup.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
#![forbid(unsafe_op_in_unsafe_fn)]
pub mod builder;
