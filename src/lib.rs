//! unback: read iPhone/iPad backups made by iTunes or Finder, rebuild their file tree and export
//! photos and files without touching the backup.
//!
//! Data flows one way: `source` (where bytes live) → `backup` (plists, keybag, index) →
//! `manifest` (entries) → `select` / plans → `export` (atomic, parallel writes).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod backup;
pub mod bplist;
pub mod builder;
pub mod cli;
pub mod crypto;
pub mod decrypt;
pub mod discover;
pub mod error;
pub mod export;
pub mod extract;
pub mod info;
pub mod kdf;
pub mod keybag;
pub mod location;
pub mod manifest;
pub mod media;
pub mod photos;
pub mod plists;
pub mod recover;
pub mod safepath;
pub mod secret;
pub mod select;
pub mod source;
pub mod source_zip;
pub mod sqlite;
pub mod time;
pub mod verify;

pub use backup::Backup;
pub use error::{Error, Exit, Result};
pub use manifest::{Entry, EntryKind};
