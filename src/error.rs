//! The crate's error type and the exit codes the CLI documents.
//!
//! Every variant that comes from a file carries that file's path, so the one line a user sees names
//! the file and the cause. Exit codes live here, next to the errors, so the mapping is one match.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Process exit codes, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    Ok = 0,
    Other = 1,
    Usage = 2,
    Locked = 3,
    Unreadable = 4,
    Partial = 5,
    /// Ctrl-C: 128 + SIGINT, as a shell reports a process that SIGINT stopped.
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Combine the outcome of two steps: a hard failure outranks a partial result, which outranks
    /// success. `Partial` (5) must not outrank `Unreadable` (4), hence the explicit order.
    pub fn merge(self, other: Exit) -> Exit {
        fn rank(e: Exit) -> u8 {
            match e {
                Exit::Ok => 0,
                Exit::Partial => 1,
                Exit::Other => 2,
                Exit::Unreadable => 3,
                Exit::Locked => 4,
                Exit::Usage => 5,
                Exit::Interrupted => 6,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line asked for something impossible (ambiguous backup, bad glob...).
    #[error("{0}")]
    Usage(String),

    /// An I/O failure on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// The backup (or one of its structural files) cannot be read as a backup.
    #[error("{}: {cause}", path.display())]
    Unreadable { path: PathBuf, cause: String },

    /// The backup is encrypted and no password or key was supplied.
    #[error("{}: the backup is encrypted; give the password with --password-file, UNBACK_PASSWORD or the prompt, or a saved key with --key-file / UNBACK_KEY", path.display())]
    Locked { path: PathBuf },

    /// The password (or saved key) does not unlock the keybag.
    #[error("{}: {cause}", path.display())]
    WrongPassword { path: PathBuf, cause: String },

    /// Anything else, with context.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Error {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    pub fn unreadable(path: impl AsRef<Path>, cause: impl fmt::Display) -> Error {
        Error::Unreadable {
            path: path.as_ref().to_path_buf(),
            cause: cause.to_string(),
        }
    }

    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound => {
                Exit::Unreadable
            }
            Error::Io { .. } => Exit::Other,
            Error::Unreadable { .. } => Exit::Unreadable,
            Error::Locked { .. } | Error::WrongPassword { .. } => Exit::Locked,
            Error::Other(_) => Exit::Other,
        }
    }
}

/// Attach a path to an `io::Result`, the one conversion used across the crate.
pub trait IoContext<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_prefers_the_worse_outcome() {
        assert_eq!(Exit::Ok.merge(Exit::Partial), Exit::Partial);
        assert_eq!(Exit::Partial.merge(Exit::Ok), Exit::Partial);
        assert_eq!(Exit::Partial.merge(Exit::Unreadable), Exit::Unreadable);
        assert_eq!(Exit::Locked.merge(Exit::Partial), Exit::Locked);
        assert_eq!(Exit::Ok.merge(Exit::Ok), Exit::Ok);
    }

    #[test]
    fn codes_match_the_readme() {
        let codes: Vec<u8> = [
            Exit::Ok,
            Exit::Other,
            Exit::Usage,
            Exit::Locked,
            Exit::Unreadable,
            Exit::Partial,
            Exit::Interrupted,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        assert_eq!(codes, vec![0, 1, 2, 3, 4, 5, 130]);
    }
}
