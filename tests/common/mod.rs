//! Shared helpers for the integration tests: the committed samples, the binary, and a
//! fingerprint of a folder to prove a command left the backup untouched.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

#[path = "../../src/realdata.rs"]
mod realdata;
#[allow(unused_imports)]
pub use realdata::{cannot_run, read_realdata, realdata, under_ci};

pub const UDID: &str = "00008110-001A2B3C4D5E801E";
pub const SAMPLE_PASSWORD: &str = "unback-sample";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample() -> PathBuf {
    root().join("fixtures/sample").join(UDID)
}

pub fn sample_encrypted() -> PathBuf {
    root().join("fixtures/sample-encrypted").join(UDID)
}

pub fn unback() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::cargo_bin("unback").unwrap();
    c.env_remove("UNBACK_PASSWORD").env_remove("UNBACK_KEY");
    c
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn sha256_file(p: &Path) -> String {
    sha256(&std::fs::read(p).unwrap())
}

/// Every file, folder and link below `dir`: content hash, size, mode and modification time.
/// Equal fingerprints before and after a command mean nothing in the folder changed.
pub fn fingerprint(dir: &Path) -> BTreeMap<PathBuf, (String, u64, u32, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let h = if m.is_file() {
                sha256_file(&p)
            } else {
                String::new()
            };
            if m.is_dir() {
                stack.push(p.clone());
            }
            out.insert(
                p.strip_prefix(dir).unwrap().to_path_buf(),
                (h, m.len(), mode(&m), m.modified().unwrap()),
            );
        }
    }
    out
}

/// The permission bits; elsewhere than Unix only the read-only flag exists to compare.
#[cfg(unix)]
fn mode(m: &std::fs::Metadata) -> u32 {
    std::os::unix::fs::PermissionsExt::mode(&m.permissions())
}

#[cfg(not(unix))]
fn mode(m: &std::fs::Metadata) -> u32 {
    u32::from(m.permissions().readonly())
}

/// Relative path → sha256 of every regular file below `dir`.
pub fn file_hashes(dir: &Path) -> BTreeMap<String, String> {
    fingerprint(dir)
        .into_iter()
        .filter(|(_, (h, ..))| !h.is_empty())
        .map(|(p, (h, ..))| (p.to_string_lossy().into_owned(), h))
        .collect()
}

/// Names, content and modification times of every file an export wrote under `dir`: an exported
/// file's time is its capture date, so two exports of the same photos compare equal. The
/// journals' times are when they were written, so only their content counts, and the JSON
/// journal is left out (it records when its run was; the CSV, without times, is compared).
pub fn export_tree(dir: &Path) -> BTreeMap<String, (String, i64)> {
    file_hashes(dir)
        .into_iter()
        .filter(|(p, _)| p != "unback-export.json")
        .map(|(p, h)| {
            let t = if p.starts_with("unback-export.") {
                0
            } else {
                mtime_unix(&dir.join(&p))
            };
            (p, (h, t))
        })
        .collect()
}

pub fn mtime_unix(p: &Path) -> i64 {
    std::fs::metadata(p)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stdout.clone()).unwrap()
}

pub fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8(a.get_output().stderr.clone()).unwrap()
}

/// The Python of the independent readers' virtual environment (`scripts/test.sh` exports it).
/// Without it the cross-checks are skipped locally, and fail under CI.
pub fn python() -> Option<PathBuf> {
    match std::env::var_os("UNBACK_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            cannot_run("UNBACK_PYTHON is not set (./scripts/test.sh sets it)");
            None
        }
    }
}

/// Runs a reader script of tests/py; it prints {"domain/relativePath": sha256}.
pub fn run_py(
    py: &Path,
    script: &str,
    args: &[&str],
    password: Option<&str>,
) -> BTreeMap<String, String> {
    let mut c = std::process::Command::new(py);
    c.arg(root().join("tests/py").join(script)).args(args);
    if let Some(p) = password {
        c.env("UNBACK_PASSWORD", p);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Relative path → SHA-256 of what `unback extract` writes (journal left out).
pub fn unback_hashes(backup: &Path, password: Option<&str>) -> BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let mut c = unback();
    c.arg("extract").arg(backup).arg(out.path());
    if let Some(p) = password {
        c.env("UNBACK_PASSWORD", p);
    }
    c.assert().success();
    let mut h = file_hashes(out.path());
    h.remove("unback-extract.json");
    h
}

/// Runs headless Chromium and returns what it printed. Chromium's `--dump-dom` and
/// `--screenshot` now and then never exit (seen here: one run in several stayed up minutes after
/// the page had loaded), which would hang the suite until CI's limit; so each attempt gets a
/// minute, a stuck one is killed, and a third stuck attempt fails the test with that reason.
pub fn headless_chromium(browser: &str, args: &[String]) -> std::process::Output {
    for attempt in 1..=3 {
        let dir = tempfile::tempdir().unwrap();
        let out = std::fs::File::create(dir.path().join("out")).unwrap();
        let err = std::fs::File::create(dir.path().join("err")).unwrap();
        let mut child = std::process::Command::new(browser)
            .args(args)
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if started.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        if let Some(status) = status {
            return std::process::Output {
                status,
                stdout: std::fs::read(dir.path().join("out")).unwrap(),
                stderr: std::fs::read(dir.path().join("err")).unwrap(),
            };
        }
        eprintln!("chromium did not exit within a minute (attempt {attempt} of 3); killed");
    }
    panic!("headless chromium did not exit within a minute, three times");
}
