//! The page of `unback serve` in a real browser driven through WebDriver: Debian's
//! `chromium-driver` and Selenium (pinned in tests/py/requirements.txt) run
//! `tests/py/serve_browser.py`, which clicks, shift-clicks, scrolls and exports as a person
//! would and prints what the page showed. This file compares that with `photos ls` and with
//! what `photos export --uuid` writes, on the committed sample and on a 2,000-asset builder
//! library. Screenshots go to `target/ui-screens/`.
//!
//! The script runs in its own process group, killed whole (chromedriver and Chromium with it)
//! if it has not finished within its limit; a check that cannot run (no browser, no driver, no
//! Selenium) fails under CI.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use sha1::{Digest, Sha1};
use unback::builder::photos_db::{PhotoAlbum, PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, Encryption, FileSpec, COCOA_EPOCH_OFFSET};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The whole script: a page load, every category scrolled through, two or three exports.
const SCRIPT_LIMIT: Duration = Duration::from_secs(600);
/// fixtures/media/video.mov: a real H.264 QuickTime file of 2 s (its README says how it was
/// made), the movie atom after the data, so the browser needs byte ranges to play it.
const VIDEO_SECONDS: f64 = 2.0;

struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(backup: &Path) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unback"))
        .arg("serve")
        .arg(backup)
        .args(["--port", "0", "--no-open"])
        .env_remove("UNBACK_PASSWORD")
        .env_remove("UNBACK_KEY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.starts_with("http://127.0.0.1:"), "{line:?}");
    Served {
        child,
        url: line.trim().to_string(),
    }
}

/// The venv's Python with Selenium, and the browser and its driver; `None` after
/// `cannot_run` when one is missing.
fn tools() -> Option<PathBuf> {
    for (p, pkg) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
        if !Path::new(p).exists() {
            cannot_run(&format!("{p} is missing (apt-get install {pkg})"));
            return None;
        }
    }
    let py = python()?;
    let ok = Command::new(&py)
        .args(["-c", "import selenium"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        cannot_run("selenium is not installed in UNBACK_PYTHON (tests/py/requirements.txt)");
        return None;
    }
    Some(py)
}

fn screens_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("ui-screens")
}

/// Runs the script to its end or its limit; the report it printed.
fn drive(py: &Path, url: &str, args: &[String]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut c = Command::new(py);
    c.arg(root().join("tests/py/serve_browser.py"))
        .arg(url)
        .arg(screens_dir())
        .args(args)
        .env("UNBACK_CHROMIUM", CHROMIUM)
        .env("UNBACK_CHROMEDRIVER", CHROMEDRIVER)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    run_limited(c, &out, &err)
}

/// Runs the script in its own process group to its end or `SCRIPT_LIMIT`; what it printed.
fn run_limited(mut c: Command, out: &Path, err: &Path) -> Value {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut c, 0);
    let mut child = c.spawn().unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > SCRIPT_LIMIT {
            kill_group(&mut child);
            panic!(
                "the browser script did not finish in {SCRIPT_LIMIT:?}; killed\n{}",
                std::fs::read_to_string(err).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stderr = std::fs::read_to_string(err).unwrap_or_default();
    assert!(status.success(), "serve_browser.py failed:\n{stderr}");
    let stdout = std::fs::read(out).unwrap();
    serde_json::from_slice(&stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&stdout)))
}

/// The script, chromedriver and every Chromium process: they share the group the script leads.
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    // Safety: kill(2) with a negative pid signals the process group this test created.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn ls(backup: &Path, args: &[&str]) -> Vec<Value> {
    let a = unback()
        .args(["photos", "ls"])
        .arg(backup)
        .args(args)
        .arg("--json")
        .assert()
        .success();
    serde_json::from_str(&stdout(&a)).unwrap()
}

fn uuids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|a| a["uuid"].as_str().unwrap().to_string())
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// Everything the page showed and did on `backup`, checked against the command line.
/// `big`: also export the whole camera roll through the page (its progress screenshot).
fn check_page(backup: &Path, prefix: &str, big: bool) -> Value {
    let Some(py) = tools() else {
        return Value::Null;
    };
    let roll = ls(backup, &[]);
    // The camera roll as the page shows it, newest first; three neighbours around a Live Photo.
    let view: Vec<&Value> = roll.iter().rev().collect();
    let live = (1..view.len() - 1)
        .find(|&i| view[i]["live"] == true)
        .expect("a Live Photo with neighbours in the camera roll");
    let picks: Vec<String> = view[live - 1..=live + 1]
        .iter()
        .map(|a| a["uuid"].as_str().unwrap().to_string())
        .collect();

    let tmp = tempfile::tempdir().unwrap();
    let (web, cli, big_out) = (
        tmp.path().join("web"),
        tmp.path().join("cli"),
        tmp.path().join("all"),
    );
    let bad = backup.join("exported");
    let before = fingerprint(backup);
    let s = serve(backup);
    let mut args = vec![
        "--pick".to_string(),
        picks.join(","),
        "--out".into(),
        web.to_string_lossy().into_owned(),
        "--bad-out".into(),
        bad.to_string_lossy().into_owned(),
        "--prefix".into(),
        prefix.into(),
    ];
    let day = |a: &Value| a["capture_date"].as_str().unwrap()[..10].to_string();
    let (lo, hi) = (day(view[live + 1]), day(view[live - 1]));
    args.push("--dates".into());
    args.push(format!("{lo},{hi}"));
    // A video of the camera roll, played in the detail view (the builder library's videos
    // record the file's real duration; the sample's does not, so only there).
    let video = view
        .iter()
        .find(|a| a["kind"] == "video")
        .map(|a| a["uuid"].as_str().unwrap().to_string());
    if big {
        args.push("--big-out".into());
        args.push(big_out.to_string_lossy().into_owned());
        args.push("--video".into());
        args.push(video.clone().expect("a video in the camera roll"));
    }
    let r = drive(&py, &s.url, &args);
    drop(s);

    // No script error and no CSP violation: the one error the console may show is the refused
    // export's 400, which the browser logs for any failed request.
    for m in strings(&r["console"]) {
        assert!(
            m.contains("/api/export") && m.contains("400"),
            "console: {m}"
        );
    }
    assert!(r["title"].as_str().unwrap().starts_with("unback — "));

    // The sidebar: every category `photos ls` has, with its count; clicking one shows exactly
    // its assets, newest first, whatever the grid rendered at a time.
    let side = r["sidebar"].as_object().unwrap();
    let mut names = vec!["camera-roll"];
    names.extend(unback::photos::Category::ALL.iter().map(|c| c.name()));
    for name in names {
        let want = if name == "camera-roll" {
            roll.clone()
        } else {
            ls(backup, &["--category", name])
        };
        let shown = side.get(name).and_then(Value::as_u64);
        if want.is_empty() {
            assert_eq!(shown, None, "{name} is empty and not in the sidebar");
            continue;
        }
        assert_eq!(shown, Some(want.len() as u64), "sidebar count of {name}");
        let v = &r["views"][name];
        let mut newest_first = uuids(&want);
        newest_first.reverse();
        assert_eq!(strings(&v["uuids"]), newest_first, "the view of {name}");
        assert_eq!(v["count"], want.len(), "{name}");
    }
    assert_eq!(side.len(), r["views"].as_object().unwrap().len());

    // Albums: the tree of every asset's album paths, each with exactly its assets.
    let all = ls(
        backup,
        &[
            "--category",
            "photos,videos,messages,whatsapp",
            "--include-hidden",
            "--include-deleted",
        ],
    );
    let albums = r["albums"].as_object().unwrap();
    assert!(!albums.is_empty(), "the sidebar shows the albums");
    for (path, count) in albums {
        let mut want: Vec<String> = all
            .iter()
            .filter(|a| {
                a["albums"].as_array().unwrap().iter().any(|p| {
                    let p = p.as_str().unwrap();
                    p == path || p.starts_with(&format!("{path}/"))
                })
            })
            .map(|a| a["uuid"].as_str().unwrap().to_string())
            .collect();
        want.reverse();
        assert_eq!(count.as_u64(), Some(want.len() as u64), "album {path}");
        assert_eq!(strings(&r["album_views"][path]), want, "album {path}");
    }

    // Search over names: every camera-roll asset named IMG_….
    let img = roll
        .iter()
        .filter(|a| {
            let n = a["original_filename"]
                .as_str()
                .or_else(|| a["relative_path"].as_str())
                .unwrap();
            n.to_lowercase().contains("img_")
                || a["relative_path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_lowercase()
                    .contains("img_")
        })
        .count();
    assert_eq!(r["search_img_count"], img);

    // The date range: the camera roll's assets captured on those days (local dates).
    let in_range: Vec<String> = view
        .iter()
        .filter(|a| {
            a["capture_date"]
                .as_str()
                .is_some_and(|d| d[..10] >= *lo && d[..10] <= *hi)
        })
        .map(|a| a["uuid"].as_str().unwrap().to_string())
        .collect();
    assert!(in_range.len() >= 3, "{lo}..{hi}");
    assert_eq!(strings(&r["date_range"]), in_range, "{lo}..{hi}");

    // The detail view of the Live Photo.
    let d = &r["detail"];
    let rec = view[live];
    assert_eq!(d["uuid"], rec["uuid"]);
    let f = &d["fields"];
    if let Some(n) = rec["original_filename"].as_str() {
        assert_eq!(f["Original name"], n);
    }
    let captured = f["Captured"].as_str().unwrap();
    assert!(
        captured.contains(rec["capture_date"].as_str().unwrap()),
        "{captured}"
    );
    assert!(f["Versions present"]
        .as_str()
        .unwrap()
        .contains("original, live-video"));
    assert!(f["Flags"].as_str().unwrap().contains("live"));
    let links = strings(&d["links"]);
    let uuid = rec["uuid"].as_str().unwrap();
    assert!(
        links[0].ends_with(&format!("/file/{uuid}/original")),
        "{links:?}"
    );
    assert!(
        links[1].ends_with(&format!("/file/{uuid}/live-video")),
        "{links:?}"
    );
    let files = strings(&d["files"]);
    let (domain, path) = (
        rec["domain"].as_str().unwrap(),
        rec["relative_path"].as_str().unwrap(),
    );
    let file_id = hex::encode(Sha1::digest(format!("{domain}-{path}").as_bytes()));
    assert!(files[0].contains(&file_id), "{files:?}");
    assert!(files[0].contains(&format!("{domain}/{path}")), "{files:?}");

    // Click and shift-click selected the three; the forbidden folder was refused with a clear
    // message and nothing written; the export wrote what `photos export --uuid` writes.
    assert_eq!(r["selected"], 3, "{}", r["counter_text"]);
    let mut sel = strings(&r["selected_uuids"]);
    sel.sort();
    let mut want = picks.clone();
    want.sort();
    assert_eq!(sel, want);
    let b = &r["bad_export"];
    assert_eq!(b["state"], "error", "{b}");
    let msg = b["text"].as_str().unwrap();
    assert!(
        msg.starts_with("Not exported: ") && msg.contains("inside"),
        "{msg}"
    );
    assert!(!bad.exists(), "nothing written for a refused export");
    let e = &r["export"];
    assert_eq!(e["state"], "done", "{e}");
    let mut c = unback();
    c.args(["photos", "export"]).arg(backup).arg(&cli);
    for u in &picks {
        c.args(["--uuid", u]);
    }
    c.args(["--layout", "date"]).assert().success();
    let (w, k) = (export_tree(&web), export_tree(&cli));
    assert!(w.len() >= 4, "three assets, one of them Live: {w:?}");
    assert_eq!(w, k, "the page's export is photos export --uuid's");
    let cmd = e["command"].as_str().unwrap();
    for u in &picks {
        assert!(cmd.contains(&format!("--uuid {u}")), "{cmd}");
    }
    if big {
        // The <video> loaded its metadata through the server's byte ranges, under the CSP:
        // the duration the browser read from the file is the asset's.
        let v = &r["video"];
        let loaded = &v["loaded"];
        assert_eq!(loaded["error"], Value::Null, "{v}");
        assert!(loaded["ready"].as_u64().unwrap() >= 1, "{v}");
        assert_eq!(loaded["hidden"], false, "{v}");
        assert_eq!(loaded["img_hidden"], true, "{v}");
        let uuid = video.unwrap();
        assert!(
            loaded["src"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/media/{uuid}/original")),
            "{v}"
        );
        let secs = loaded["duration"].as_f64().unwrap();
        assert!((secs - VIDEO_SECONDS).abs() < 1e-3, "duration {secs}: {v}");
        // Seeking to the middle decoded a frame there (readyState >= 2, HAVE_CURRENT_DATA).
        let seek = &v["seek"];
        assert!(seek["ready"].as_u64().unwrap() >= 2, "{v}");
        assert!(
            (seek["time"].as_f64().unwrap() - VIDEO_SECONDS / 2.0).abs() < 1e-3,
            "{v}"
        );
        assert_eq!(r["big_selected"], roll.len());
        assert_eq!(r["big_export"]["state"], "done", "{}", r["big_export"]);
        assert!(file_hashes(&big_out).len() > roll.len());
    }
    assert_eq!(fingerprint(backup), before, "the backup is unchanged");
    for shot in ["grid", "detail", "exported"] {
        assert!(screens_dir().join(format!("{prefix}{shot}.png")).is_file());
    }
    r
}

#[test]
fn the_page_in_a_browser_on_the_sample() {
    // A copy: the forbidden destination is inside the backup, and must stay absent.
    let tmp = tempfile::tempdir().unwrap();
    let backup = tmp.path().join(UDID);
    copy_dir(&sample(), &backup);
    check_page(&backup, "sample-", false);
}

#[test]
fn the_page_in_a_browser_on_2000_assets() {
    let tmp = tempfile::tempdir().unwrap();
    let backup = build_library(tmp.path(), 2000);
    let r = check_page(&backup, "", true);
    if r.is_null() {
        return;
    }
    // Virtualised: a few screens of tiles in the document, never the whole view.
    let v = &r["views"]["camera-roll"];
    assert!(v["count"].as_u64().unwrap() > 1800);
    assert!(v["rendered"].as_u64().unwrap() < 400, "{}", v["rendered"]);
    eprintln!(
        "page load {:.3} s, grid painted at {} ms",
        r["load_seconds"].as_f64().unwrap(),
        r["paint_ms"]
    );
}

/// No BACKUP: the page lists two backups of a folder (`--root`), and opens the encrypted one
/// once its password is typed there; a wrong one is refused with a message and asked again.
/// The passwords reach the script through its environment, never its argv.
#[test]
fn without_backup_the_page_chooses_and_unlocks() {
    let Some(py) = tools() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("Backup");
    let pw = "open sesame 42";
    build_library_as(
        &folder,
        60,
        "00008110-0000AAAA0000AAAA",
        "Anna's iPhone",
        None,
    );
    build_library_as(
        &folder,
        30,
        "00008110-0000BBBB0000BBBB",
        "Work iPhone",
        Some(Encryption::new(pw, 10, 10)),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_unback"))
        .args(["serve", "--port", "0", "--no-open", "--root"])
        .arg(&folder)
        .env_remove("UNBACK_PASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let s = Served {
        child,
        url: line.trim().to_string(),
    };
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("out"), dir.path().join("err"));
    let mut c = Command::new(&py);
    c.arg(root().join("tests/py/serve_browser.py"))
        .args(["--choose", &s.url])
        .arg(screens_dir())
        .args(["--device", "Work iPhone", "--then", "Anna's iPhone"])
        .env("UNBACK_TEST_PASSWORD", pw)
        .env("UNBACK_TEST_WRONG", "not it")
        .env("UNBACK_CHROMIUM", CHROMIUM)
        .env("UNBACK_CHROMEDRIVER", CHROMEDRIVER)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    let r = run_limited(c, &out, &err);
    let rows = r["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let work = rows
        .iter()
        .find(|r| r[0] == "Work iPhone")
        .expect("the encrypted backup is listed");
    assert_eq!(work[5], "encrypted");
    assert!(rows
        .iter()
        .any(|r| r[0] == "Anna's iPhone" && r[5] == "not encrypted"));
    assert_eq!(r["asked"], true, "{}", r["ask_text"]);
    assert!(r["wrong_text"]
        .as_str()
        .unwrap()
        .starts_with("wrong password"));
    assert_eq!(r["wrong_field_cleared"], true);
    assert_eq!(r["title"], "unback — Work iPhone");
    assert_eq!(
        r["count"],
        ls(
            &folder.join("00008110-0000BBBB0000BBBB"),
            &["--password-file", &write_pw(dir.path(), pw)]
        )
        .len()
    );
    assert!(!r["url"].as_str().unwrap().contains(pw), "never in a URL");
    // Back to the list and into the other backup, without a restart: its sidebar is its own.
    assert_eq!(r["back_rows"], 2);
    for t in strings(&r["size_titles"]) {
        assert_eq!(t, "The backup folder's size on disk");
    }
    assert_eq!(r["then_title"], "unback — Anna's iPhone");
    let anna = folder.join("00008110-0000AAAA0000AAAA");
    let side = r["then_sidebar"].as_object().unwrap();
    let mut names = vec!["camera-roll"];
    names.extend(unback::photos::Category::ALL.iter().map(|c| c.name()));
    let mut shown = 0;
    for name in names {
        let want = if name == "camera-roll" {
            ls(&anna, &[])
        } else {
            ls(&anna, &["--category", name])
        }
        .len();
        let got = side.get(name).and_then(Value::as_u64).unwrap_or(0);
        assert_eq!(got, want as u64, "sidebar count of {name} in Anna's iPhone");
        shown += usize::from(want > 0);
    }
    assert_eq!(side.len(), shown, "{side:?}");
    assert!(shown >= 5, "{side:?}");
    // The encrypted one, chosen again: the server kept no key, the page asks again.
    assert_eq!(r["asked_again"], true, "{}", r["ask_again_text"]);
    for m in strings(&r["console"]) {
        assert!(m.contains("/api/open") && m.contains("401"), "console: {m}");
    }
    drop(s);
}

fn write_pw(dir: &Path, pw: &str) -> String {
    let p = dir.join("pw");
    std::fs::write(&p, pw).unwrap();
    p.to_string_lossy().into_owned()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

fn media(name: &str, tag: &str) -> Vec<u8> {
    let mut b = std::fs::read(root().join("fixtures/media").join(name)).unwrap();
    b.extend_from_slice(format!("\0unback-test:{tag}").as_bytes());
    b
}

/// A small JPEG of one colour band per asset, so the grid and its screenshots show pictures.
fn jpeg(k: usize) -> Vec<u8> {
    let (w, h) = (160u16, 120u16);
    let hue = (k * 47 % 360) as f32;
    let mut px = Vec::with_capacity(usize::from(w) * usize::from(h) * 3);
    for y in 0..h {
        for x in 0..w {
            let t = f32::from(x + y) / f32::from(w + h);
            let (r, g, b) = hsv(hue + 40.0 * t, 0.55, 0.55 + 0.4 * t);
            px.extend_from_slice(&[r, g, b]);
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(&px, w, h, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn hsv(h: f32, s: f32, v: f32) -> (u8, u8, u8) {
    let h = h.rem_euclid(360.0) / 60.0;
    let c = v * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    let q = |f: f32| ((f + m) * 255.0).round() as u8;
    (q(r), q(g), q(b))
}

/// `n` assets seven hours apart (about 19 months): JPEG photos, every 50th a Live Photo
/// (JPEG + MOV), a video and a screenshot among each 50; favourites, hidden and recently
/// deleted ones; albums Trips/Rome, Trips/Oslo (in the folder Trips) and Family.
fn build_library(dir: &Path, n: usize) -> PathBuf {
    build_library_as(dir, n, "00008110-0000200020002000", "Test iPhone", None)
}

fn build_library_as(
    dir: &Path,
    n: usize,
    udid: &str,
    device: &str,
    encryption: Option<Encryption>,
) -> PathBuf {
    const CR: &str = "CameraRollDomain";
    let mut files = Vec::new();
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    let start: i64 = 1_700_000_000;
    for k in 0..n {
        let t = start + k as i64 * 7 * 3600;
        let cocoa = t as f64 - COCOA_EPOCH_OFFSET;
        let uuid = format!("{k:08X}-5E7E-4000-8000-{k:012X}");
        let d = format!("DCIM/{}APPLE", 100 + k / 1000);
        let stem = format!("IMG_{:04}", k % 10_000);
        let mut add = |name: &str, bytes: Vec<u8>| {
            files.push(
                FileSpec::file(CR, &format!("Media/{d}/{name}"), bytes).with_times(t, t + 2, t),
            );
        };
        let mut row = match k % 50 {
            // A Live Photo with a JPEG still, as older iPhones shot them.
            0 => {
                add(&format!("{stem}.JPG"), jpeg(k));
                add(&format!("{stem}.MOV"), media("live.mov", &uuid));
                let mut r = PhotoAsset::photo(&uuid, &d, &format!("{stem}.JPG"), cocoa);
                (r.width, r.height) = (160, 120);
                r.kind_subtype = 2;
                r.playback_style = 3;
                r.title = Some(format!("Harbour at dusk {k}"));
                r.caption = Some("From the ferry".into());
                r
            }
            1 => {
                add(&format!("{stem}.MOV"), media("video.mov", &uuid));
                let mut r = PhotoAsset::video(&uuid, &d, &format!("{stem}.MOV"), cocoa);
                // What fixtures/media/video.mov lasts (its movie header: 2000 / 1000): the
                // detail view plays it and the browser's duration must be this.
                r.duration = Some(VIDEO_SECONDS);
                r
            }
            2 => {
                add(&format!("{stem}.PNG"), media("screenshot.png", &uuid));
                let mut r = PhotoAsset::photo(&uuid, &d, &format!("{stem}.PNG"), cocoa);
                r.kind_subtype = 10;
                r
            }
            _ => {
                add(&format!("{stem}.JPG"), jpeg(k));
                let mut r = PhotoAsset::photo(&uuid, &d, &format!("{stem}.JPG"), cocoa);
                (r.width, r.height) = (160, 120);
                r
            }
        };
        row.timezone_offset = Some(3600);
        row.timezone_name = Some("Europe/Oslo".into());
        row.favorite = k % 37 == 0;
        row.hidden = k % 97 == 5;
        if k % 89 == 7 {
            row.trashed_state = 1;
            row.trashed_date = Some(cocoa + 86_400.0);
        }
        if k % 41 == 0 {
            row.title = Some(format!("Harbour {k}"));
        }
        if k % 50 == 0 && k % 200 == 0 {
            row.favorite = true;
        }
        db.assets.push(row);
    }
    let album =
        |i: u8, title: &str, kind: i64, parent: Option<usize>, assets: Vec<usize>| PhotoAlbum {
            uuid: format!("A1B00000-0000-4000-8000-0000000000{i:02X}"),
            title: Some(title.into()),
            kind,
            parent,
            assets,
            trashed_state: 0,
            cloud_guid: None,
        };
    db.albums = vec![
        album(1, "Trips", 4000, None, vec![]),
        album(2, "Rome", 2, Some(0), (3..n).step_by(10).collect()),
        album(3, "Oslo", 2, Some(0), (4..n).step_by(13).collect()),
        album(4, "Family", 2, None, (0..n).step_by(17).collect()),
    ];
    files.push(FileSpec::file(
        CR,
        "Media/PhotoData/Photos.sqlite",
        db.to_bytes().unwrap(),
    ));
    let mut b = BackupBuilder::new(udid);
    b.device_name = device.into();
    b.files = files;
    b.add_parents();
    b.encryption = encryption;
    b.write(dir).unwrap()
}
