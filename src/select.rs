//! Which entries a command works on: globs over relative paths and domains, and a kind.

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};

use crate::error::{Error, Result};
use crate::manifest::{Entry, EntryKind, Row};

#[derive(Debug, Clone, Default)]
pub struct Selection {
    paths: Option<GlobSet>,
    domains: Option<GlobSet>,
    pub kind: Option<EntryKind>,
}

fn glob(p: &str) -> Result<Glob> {
    // `*` stays within one path segment and `**` crosses them, as in a shell.
    GlobBuilder::new(p)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| Error::Usage(format!("invalid pattern {p:?}: {e}")))
}

fn set(patterns: &[String]) -> Result<Option<GlobSet>> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(glob(p)?);
    }
    b.build()
        .map(Some)
        .map_err(|e| Error::Usage(format!("invalid pattern: {e}")))
}

impl Selection {
    /// `paths` are globs over `relativePath`; `domains` globs over the domain. Several patterns
    /// of one sort are alternatives; the two sorts must both match.
    pub fn new(paths: &[String], domains: &[String], kind: Option<EntryKind>) -> Result<Selection> {
        Ok(Selection {
            paths: set(paths)?,
            domains: set(domains)?,
            kind,
        })
    }

    pub fn all() -> Selection {
        Selection::default()
    }

    pub fn matches(&self, e: &Entry) -> bool {
        self.matches_parts(&e.domain, &e.relative_path, e.kind())
    }

    pub fn matches_row(&self, r: &Row<'_>) -> bool {
        self.matches_parts(&r.domain, &r.relative_path, r.kind())
    }

    fn matches_parts(&self, domain: &str, relative_path: &str, kind: EntryKind) -> bool {
        if self.kind.is_some_and(|k| k != kind) {
            return false;
        }
        if let Some(d) = &self.domains {
            if !d.is_match(domain) {
                return false;
            }
        }
        if let Some(p) = &self.paths {
            if !p.is_match(relative_path) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::FileMeta;

    fn e(domain: &str, path: &str, flags: i64) -> Entry {
        Entry {
            file_id: String::new(),
            domain: domain.into(),
            relative_path: path.into(),
            flags,
            meta: FileMeta::default(),
            problem: None,
        }
    }

    #[test]
    fn globs() {
        let s =
            Selection::new(&["Media/DCIM/**/*.HEIC".into()], &["Camera*".into()], None).unwrap();
        assert!(s.matches(&e("CameraRollDomain", "Media/DCIM/100APPLE/IMG_1.HEIC", 1)));
        assert!(!s.matches(&e("CameraRollDomain", "Media/DCIM/100APPLE/IMG_1.JPG", 1)));
        assert!(!s.matches(&e("HomeDomain", "Media/DCIM/100APPLE/IMG_1.HEIC", 1)));
        let star = Selection::new(&["Media/*".into()], &[], Some(EntryKind::File)).unwrap();
        assert!(star.matches(&e("X", "Media/a", 1)));
        assert!(!star.matches(&e("X", "Media/a/b", 1)));
        assert!(!star.matches(&e("X", "Media/a", 2)));
        assert!(Selection::new(&["a[".into()], &[], None).is_err());
    }
}
