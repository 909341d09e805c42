//! Golden outputs: what every reading and writing command prints and writes, byte for byte, for
//! the committed samples and for builder-made iOS 9 (Manifest.mbdb), iOS 13 and iOS 18 backups.
//! They hold a refactor to its word: a change to any listing, journal, summary line or exported
//! tree shows up as a diff under `tests/golden/`. Regenerate on purpose only, with
//! `UNBACK_UPDATE_GOLDEN=1 cargo test --test golden`, and say in the commit why they changed.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAlbum, PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{assetsd_xattrs, BackupBuilder, Encryption, FileSpec};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;
const T0: i64 = 1_716_033_801;
const PASSWORD: &str = "golden-pw";

fn media(name: &str, tag: &str) -> Vec<u8> {
    let mut b = std::fs::read(root().join("fixtures/media").join(name)).unwrap();
    b.extend_from_slice(format!("\0golden:{tag}").as_bytes());
    b
}

fn uuid(n: u8) -> String {
    format!("60{n:06X}-AAAA-4BBB-8CCC-{n:012X}")
}

fn uuid_bytes(n: u8) -> [u8; 16] {
    let mut u = [0u8; 16];
    u[0] = 0x60;
    u[3] = n;
    u[4] = 0xAA;
    u[5] = 0xAA;
    u[6] = 0x4B;
    u[7] = 0xBB;
    u[8] = 0x8C;
    u[9] = 0xCC;
    u[15] = n;
    u
}

/// A small library with one asset of each shape a writer treats differently: a Live Photo, an
/// edited photo, a screenshot, a hidden video, a recently deleted photo, an asset known only by
/// its thumbnail, an album in a folder; beside it a Messages attachment, an app file, a symlink,
/// an orphan blob and a thumbnail cache holding an image to carve.
fn photo_backup(dir: &Path, udid: &str, schema: Option<PhotosSchema>, enc: bool) -> PathBuf {
    let mut b = BackupBuilder::new(udid);
    if schema.is_none() {
        b.ios9();
    }
    if enc {
        b.encryption = Some(match schema {
            None => Encryption::sha1_only(PASSWORD, 50),
            Some(_) => Encryption::new(PASSWORD, 10, 10),
        });
    }
    let mut rows = Vec::new();
    let mut add = |n: u8,
                   file: &str,
                   media_name: &str,
                   extra: &[(&str, Vec<u8>)],
                   f: &dyn Fn(&mut PhotoAsset)| {
        let t = T0 + n as i64 * 3_600;
        let mut row = if media_name.ends_with(".mov") {
            PhotoAsset::video(&uuid(n), "DCIM/100APPLE", file, (t - COCOA) as f64)
        } else {
            PhotoAsset::photo(&uuid(n), "DCIM/100APPLE", file, (t - COCOA) as f64)
        };
        row.timezone_offset = Some(7_200);
        row.timezone_name = Some("GMT+0200".into());
        f(&mut row);
        if !media_name.is_empty() {
            b.add(
                FileSpec::file(
                    CR,
                    &format!("Media/DCIM/100APPLE/{file}"),
                    media(media_name, &n.to_string()),
                )
                .with_times(t, t + 2, t)
                .with_xattrs(assetsd_xattrs(
                    uuid_bytes(n),
                    row.original_filename.as_deref().unwrap_or(file),
                    t as f64,
                    row.favorite,
                    row.hidden,
                    row.trashed_state == 1,
                )),
            );
        }
        for (path, data) in extra {
            b.add(FileSpec::file(CR, path, data.clone()).with_mtime(t));
        }
        rows.push(row);
    };
    add(
        1,
        "IMG_0001.HEIC",
        "live.heic",
        &[("Media/DCIM/100APPLE/IMG_0001.MOV", media("live.mov", "1v"))],
        &|r| {
            r.kind_subtype = 2;
            r.playback_style = 3;
            r.favorite = true;
            r.latitude = 47.376887;
            r.longitude = 8.541694;
            r.title = Some("Lake <view> & \"quotes\"".into());
        },
    );
    add(
        2,
        "IMG_0002.JPG",
        "photo_0001.jpg",
        &[(
            "Media/PhotoData/Mutations/DCIM/100APPLE/IMG_0002/Adjustments/FullSizeRender.jpg",
            media("edited_render.jpg", "2e"),
        )],
        &|r| {
            r.has_adjustments = true;
            r.original_filename = Some("Été à Zürich, 1.jpg".into());
        },
    );
    add(3, "IMG_0003.PNG", "screenshot.png", &[], &|r| {
        r.kind_subtype = 10
    });
    add(4, "IMG_0004.MOV", "video.mov", &[], &|r| {
        r.hidden = true;
        r.duration = Some(1.0);
    });
    add(5, "IMG_0005.JPG", "zurich.jpg", &[], &|r| {
        r.trashed_state = 1;
        r.trashed_date = Some((T0 + 86_400 - COCOA) as f64);
    });
    add(
        6,
        "IMG_0006.HEIC",
        "",
        &[(
            "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0006.HEIC/5005.JPG",
            media("photo_0001b.jpg", "6t"),
        )],
        &|_| {},
    );
    if let Some(schema) = schema {
        let mut db = PhotosDbBuilder::new(schema);
        db.assets = rows;
        db.albums = vec![
            PhotoAlbum {
                uuid: uuid(200),
                title: Some("Trips".into()),
                kind: 4000,
                parent: None,
                assets: vec![],
                trashed_state: 0,
                cloud_guid: None,
            },
            PhotoAlbum {
                uuid: uuid(201),
                title: Some("Rome".into()),
                kind: 2,
                parent: Some(0),
                assets: vec![0, 2],
                trashed_state: 0,
                cloud_guid: None,
            },
        ];
        b.add(FileSpec::file(
            CR,
            "Media/PhotoData/Photos.sqlite",
            db.to_bytes().unwrap(),
        ));
    }
    b.add(
        FileSpec::file(
            "MediaDomain",
            "Library/SMS/Attachments/4a/10/GUID-1/IMG_5501.jpeg",
            media("sms_5501.jpeg", "sms"),
        )
        .with_mtime(T0 + 100),
    );
    let mut cache = vec![0x5Au8; 777];
    cache.extend_from_slice(&media("photo_0001.jpg", "carve"));
    cache.extend(std::iter::repeat_n(0xA5u8, 99));
    b.add(FileSpec::file(CR, "Media/PhotoData/Thumbnails/4031.ithmb", cache).with_mtime(T0));
    b.add(
        FileSpec::file(
            "HomeDomain",
            "Library/Preferences/a:b.plist",
            b"<plist/>".to_vec(),
        )
        .with_mtime(T0),
    );
    b.add(FileSpec::symlink(
        "HomeDomain",
        "Library/link",
        "/private/var/mobile",
    ));
    b.add_parents();
    let backup = b.write(dir).unwrap();
    if !enc {
        let id = "ab".repeat(20);
        let folder = if schema.is_none() {
            backup.clone()
        } else {
            backup.join(&id[..2])
        };
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(&id), media("whatsapp.jpg", "orphan")).unwrap();
    }
    backup
}

/// Every file and link below `dir` with its size, SHA-256 and modification time; folders by name.
/// A file the tool made itself (a journal, a carved image) has no recorded time: its time is the
/// run's, shown as `now`.
fn tree(dir: &Path, g: &Golden) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut rows = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let row = if m.is_dir() {
                stack.push(p.clone());
                "dir".to_string()
            } else if m.is_file() {
                let t = mtime_unix(&p);
                let t = if (now - t).abs() < 86_400 {
                    "now".to_string()
                } else {
                    t.to_string()
                };
                // A page or report naming the (temporary) backup path is hashed and sized with
                // the path replaced, so it is compared all the same: its raw size depends on
                // where the checkout is (the sample's path is under it), not on the output.
                let bytes = std::fs::read(&p).unwrap();
                let (len, hash) = match std::str::from_utf8(&bytes) {
                    Ok(text) if g.norm(text) != text => {
                        let n = g.norm(text);
                        (
                            n.len() as u64,
                            format!("{} (normalised)", sha256(n.as_bytes())),
                        )
                    }
                    _ => (m.len(), sha256(&bytes)),
                };
                format!("{len} {hash} {t}")
            } else {
                "other".to_string()
            };
            rows.insert(rel, row);
        }
    }
    rows.into_iter().fold(String::new(), |mut s, (p, r)| {
        let _ = writeln!(s, "{p}\t{r}");
        s
    })
}

struct Golden {
    name: String,
    /// Paths that vary from run to run, replaced by a placeholder.
    replace: Vec<(String, &'static str)>,
    env: Vec<(&'static str, &'static str)>,
    failures: Vec<String>,
}

impl Golden {
    fn new(name: &str, backup: &Path, env: &[(&'static str, &'static str)]) -> Golden {
        Golden {
            name: name.into(),
            replace: vec![(backup.display().to_string(), "<BACKUP>")],
            env: env.to_vec(),
            failures: Vec::new(),
        }
    }

    fn norm(&self, s: &str) -> String {
        let mut s = s.to_string();
        for (from, to) in &self.replace {
            s = s.replace(from, to);
            // JSON escapes nothing in these paths, but a CSV or a Debug print might quote them.
        }
        // A journal's run records when it ran: the one thing in it that is not the backup's.
        s.lines()
            .map(|l| match l.trim_start().split_once(": ") {
                Some(("\"started\"" | "\"finished\"", _)) => {
                    let indent = &l[..l.len() - l.trim_start().len()];
                    let key = l.trim_start().split_once(':').map_or("", |k| k.0);
                    let comma = if l.ends_with(',') { "," } else { "" };
                    format!("{indent}{key}: \"<time of the run>\"{comma}")
                }
                _ => l.to_string(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            + if s.ends_with('\n') { "\n" } else { "" }
    }

    /// Compares `text` with `tests/golden/<name>/<file>`, or writes it when asked to.
    fn check(&mut self, file: &str, text: &str) {
        let text = self.norm(text);
        let path = root().join("tests/golden").join(&self.name).join(file);
        if std::env::var_os("UNBACK_UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
            return;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == text => {}
            Ok(want) => {
                let line = want
                    .lines()
                    .zip(text.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(want.lines().count().min(text.lines().count()));
                self.failures.push(format!(
                    "{}: differs from line {}:\n  golden: {:?}\n  now:    {:?}",
                    path.display(),
                    line + 1,
                    want.lines().nth(line),
                    text.lines().nth(line)
                ));
            }
            Err(e) => self.failures.push(format!("{}: {e}", path.display())),
        }
    }

    /// Runs `unback ARGS`, recording stdout and the exit code under `file`.
    fn run(&mut self, file: &str, args: &[&str]) -> String {
        let mut c = unback();
        c.args(args);
        for (k, v) in &self.env {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let text = format!("exit {}\n{stdout}", out.status.code().unwrap_or(-1));
        self.check(file, &text);
        stdout
    }

    fn finish(self) {
        assert!(
            self.failures.is_empty(),
            "golden outputs changed (regenerate with UNBACK_UPDATE_GOLDEN=1 only on purpose):\n{}",
            self.failures.join("\n")
        );
    }
}

/// Every command of the README on one backup; the writers' outputs go to a fresh folder each.
fn all_outputs(name: &str, backup: &Path, encrypted: bool) {
    let env: &[(&str, &str)] = if encrypted {
        &[(
            "UNBACK_PASSWORD",
            if name.starts_with("sample") {
                SAMPLE_PASSWORD
            } else {
                PASSWORD
            },
        )]
    } else {
        &[]
    };
    let mut g = Golden::new(name, backup, env);
    let work = tempfile::tempdir().unwrap();
    g.replace.push((work.path().display().to_string(), "<OUT>"));
    let b = backup.to_str().unwrap();
    g.run("ls.txt", &["ls", b]);
    g.run("ls-l.txt", &["ls", b, "-l"]);
    g.run("ls.json", &["ls", b, "--json"]);
    g.run("ls.csv", &["ls", b, "--csv"]);
    g.run("info.json", &["info", b, "--json"]);
    g.run("domains.json", &["domains", b, "--json"]);
    g.run("photos-ls.json", &["photos", "ls", b, "--json"]);
    g.run(
        "photos-ls-all.csv",
        &[
            "photos",
            "ls",
            b,
            "--csv",
            "--include-hidden",
            "--include-deleted",
        ],
    );
    g.run("verify.json", &["verify", b, "--json", "--deep"]);

    let out = |n: &str| work.path().join(n);
    let o = out("extract");
    g.run(
        "extract.stdout",
        &["extract", b, o.to_str().unwrap(), "--hash"],
    );
    let t = tree(&o, &g);
    g.check("extract.tree", &t);
    g.check(
        "extract.journal",
        &std::fs::read_to_string(o.join("unback-extract.json")).unwrap(),
    );
    // A second run into the same folder: every file refused, then skipped.
    g.run("extract-again.stdout", &["extract", b, o.to_str().unwrap()]);
    g.run(
        "extract-skip.stdout",
        &["extract", b, o.to_str().unwrap(), "--skip-existing"],
    );

    for (label, extra) in [
        ("export", &[][..]),
        (
            "export-album-xmp",
            &["--layout", "album", "--sidecar", "xmp", "--include-hidden"][..],
        ),
        (
            "export-flat-json",
            &[
                "--layout",
                "flat",
                "--sidecar",
                "json",
                "--category",
                "messages,photos",
            ][..],
        ),
        // The samples' HEICs are tiny stand-ins that do not decode: each is written as it is,
        // reported, and the run exits 5.
        (
            "export-convert",
            &["--layout", "flat", "--convert", "jpeg"][..],
        ),
    ] {
        let o = out(label);
        let mut args = vec!["photos", "export", b, o.to_str().unwrap()];
        args.extend_from_slice(extra);
        g.run(&format!("{label}.stdout"), &args);
        let t = tree(&o, &g);
        g.check(&format!("{label}.tree"), &t);
        g.check(
            &format!("{label}.journal.json"),
            &std::fs::read_to_string(o.join("unback-export.json")).unwrap(),
        );
        g.check(
            &format!("{label}.journal.csv"),
            &std::fs::read_to_string(o.join("unback-export.csv")).unwrap(),
        );
    }
    let o = out("export");
    g.run(
        "export-skip.stdout",
        &[
            "photos",
            "export",
            b,
            o.to_str().unwrap(),
            "--skip-existing",
        ],
    );

    let o = out("recover");
    g.run(
        "recover.stdout",
        &["recover", b, o.to_str().unwrap(), "--json"],
    );
    let t = tree(&o, &g);
    g.check("recover.tree", &t);

    if encrypted {
        let o = out("decrypt");
        g.run("decrypt.stdout", &["decrypt", b, o.to_str().unwrap()]);
        let t = tree(&o, &g);
        g.check("decrypt.tree", &t);
    }
    g.finish();
}

#[test]
fn sample_plain() {
    all_outputs("sample", &sample(), false);
}

#[test]
fn sample_enc() {
    all_outputs("sample-encrypted", &sample_encrypted(), true);
}

#[test]
fn ios9_mbdb() {
    let d = tempfile::tempdir().unwrap();
    all_outputs(
        "ios9",
        &photo_backup(d.path(), "GOLDEN9", None, false),
        false,
    );
}

#[test]
fn ios9_mbdb_encrypted() {
    let d = tempfile::tempdir().unwrap();
    all_outputs(
        "ios9-encrypted",
        &photo_backup(d.path(), "GOLDEN9E", None, true),
        true,
    );
}

#[test]
fn ios13() {
    let d = tempfile::tempdir().unwrap();
    all_outputs(
        "ios13",
        &photo_backup(d.path(), "GOLDEN13", Some(PhotosSchema::Ios13), false),
        false,
    );
}

#[test]
fn ios18() {
    let d = tempfile::tempdir().unwrap();
    all_outputs(
        "ios18",
        &photo_backup(d.path(), "GOLDEN18", Some(PhotosSchema::Ios18), false),
        false,
    );
}

#[test]
fn ios18_encrypted() {
    let d = tempfile::tempdir().unwrap();
    all_outputs(
        "ios18-encrypted",
        &photo_backup(d.path(), "GOLDEN18E", Some(PhotosSchema::Ios18), true),
        true,
    );
}
