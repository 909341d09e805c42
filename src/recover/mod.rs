//! Forensic recovery from raw bytes that may be hostile: images carved out of arbitrary buffers
//! (`carve`) and deleted records recovered from SQLite file images and WAL files (`sqlite_free`).
//!
//! Both parsers read only through bounds-checked accessors and bound every loop and allocation by
//! explicit limits, because their input is, by definition, data nobody vouches for.

pub mod carve;
pub mod sqlite_free;
