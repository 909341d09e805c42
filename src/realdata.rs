//! Where tests find the real samples taken from public repositories. They are kept in
//! `../shared/realdata/` beside the clone (their licences keep them out of this repository), so
//! a test that needs one must cope with it being absent: under CI (`CI=true`) that is a failure,
//! because a check that silently did not run reads the same as one that passed; on a developer's
//! machine the test says it skipped.
//!
//! Compiled into the unit tests and, through `#[path]`, into `tests/common`, so both share one
//! definition.
#![allow(dead_code)]

use std::path::PathBuf;

/// Whether this is a CI run, where a check that cannot run must fail. CI services set `CI=true`;
/// any other value but empty, `0` or `false` counts too, so a typo cannot turn failures into skips.
pub fn under_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// A test that cannot do its check: panics under CI, else prints why it skipped.
pub fn cannot_run(why: &str) {
    if under_ci() {
        panic!("CI=true and this test cannot run its check: {why}");
    }
    eprintln!("skipped: {why}");
}

/// `../shared/realdata/<rel>`, or `None` (after [`cannot_run`]) when it is not there.
pub fn realdata(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/realdata")
        .join(rel);
    if path.is_file() {
        return Some(path);
    }
    cannot_run(&format!(
        "the real sample {} is not there (public samples live in ../shared/realdata/ beside the clone)",
        path.display()
    ));
    None
}

/// The bytes of `../shared/realdata/<rel>`, or `None` as for [`realdata`].
pub fn read_realdata(rel: &str) -> Option<Vec<u8>> {
    realdata(rel)
        .map(|p| std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display())))
}
