//! unback: read iPhone/iPad backups made by iTunes or Finder, rebuild their file tree and export
//! photos and files without touching the backup.
//!
//! Data flows one way: `source` (where bytes live: folder, zip, locations) → `manifest` (the
//! index formats) → `backup` (the facade: open, unlock, entries, open_entry) → `photos` (the
//! library) → `plan` (a selection turned into jobs) → `export` (the one engine that writes) →
//! `cli`. `tests/layering.rs` holds every module to it.
//!
//! No `unsafe` except the two read-only memory maps (a zip archive, a blob being carved) and the
//! key derivation's SIMD byte swap (`kdf::x86`, measured), each allowed where it stands with its
//! SAFETY notes.
#![deny(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod backup;
pub mod bplist;
#[cfg(any(test, feature = "builder"))]
pub mod builder;
pub mod bytes;
pub mod cli;
pub mod convert;
pub mod crypto;
pub mod discover;
pub mod error;
pub mod export;
pub mod hashing;
pub mod info;
pub mod kdf;
pub mod keybag;
pub mod manifest;
pub mod media;
pub mod photos;
pub mod plan;
pub mod plists;
#[cfg(test)]
mod realdata;
pub mod records;
pub mod recover;
pub mod safepath;
pub mod secret;
pub mod select;
pub mod serve;
pub mod source;
pub mod sqlite;
pub mod time;
pub mod verify;

pub use backup::Backup;
pub use error::{Error, Exit, Result};
pub use manifest::{Entry, EntryKind};
