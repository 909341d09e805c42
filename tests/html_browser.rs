//! The recovery page in a real headless browser (Debian's chromium): it renders offline and
//! every thumbnail loads. Skipped when no chromium is installed (`.ci/run` installs it).

mod common;

use std::process::Command;

use common::*;

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

#[test]
fn recovery_page_renders_and_every_thumbnail_loads() {
    let Some(browser) = chromium() else {
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("rec");
    unback()
        .arg("recover")
        .arg(sample())
        .arg(&out)
        .assert()
        .success();
    let profile = dir.path().join("profile");
    let url = format!("file://{}", out.join("index.html").display());
    // No network: the flags keep Chromium's own background traffic off as well.
    let o = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&o.stdout);
    let body = dom
        .split("<body")
        .nth(1)
        .and_then(|b| b.split('>').next())
        .unwrap_or("");
    // The sample yields a recently deleted JPEG and a preview: two thumbnails, both loaded.
    assert!(body.contains("data-images=\"2\""), "{body}");
    assert!(body.contains("data-images-loaded=\"2\""), "{body}");
    assert!(dom.contains("Recently Deleted (ZTRASHEDSTATE = 1)"));
}
