//! Forensic recovery: what a normal export misses, with provenance.
//!
//! `carve` and `sqlite_free` read raw bytes nobody vouches for (images inside other files,
//! deleted SQLite records); `run` drives them over a backup and writes the report; `html`
//! renders it; `diff` compares two backups of one device.

pub mod carve;
pub mod diff;
pub mod html;
pub mod records;
pub mod run;
pub mod sqlite_free;
