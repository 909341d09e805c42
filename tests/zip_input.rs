//! Backups inside a .zip archive: stored and deflated members, a backup nested at any depth,
//! several backups in one archive, an encrypted one, ZIP64 records and an iOS 9 one must list
//! and extract exactly as the same backup does from its folder.

mod common;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::*;
use unback::builder::{BackupBuilder, Encryption, FileSpec};
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

#[derive(Clone, Copy)]
struct Opts {
    method: CompressionMethod,
    large: bool,
}

const STORED: Opts = Opts {
    method: CompressionMethod::Stored,
    large: false,
};
const DEFLATED: Opts = Opts {
    method: CompressionMethod::Deflated,
    large: false,
};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    for p in v {
        if p.is_dir() {
            out.push(p.clone());
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Writes `archive` holding each (backup folder, prefix inside the archive), with folder
/// entries as archivers write them.
fn zip_backups(archive: &Path, backups: &[(&Path, &str)], o: Opts) {
    let mut w = zip::ZipWriter::new(File::create(archive).unwrap());
    let opts = SimpleFileOptions::default()
        .compression_method(o.method)
        .large_file(o.large);
    for (dir, prefix) in backups {
        if !prefix.is_empty() {
            w.add_directory(*prefix, opts).unwrap();
        }
        let mut files = Vec::new();
        walk(dir, &mut files);
        for p in files {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
            let name = format!("{prefix}{rel}");
            if p.is_dir() {
                w.add_directory(format!("{name}/"), opts).unwrap();
            } else {
                w.start_file(name, opts).unwrap();
                w.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    w.finish().unwrap();
}

fn ls_json(backup: &Path, udid: Option<&str>, password: Option<&str>) -> Vec<u8> {
    let mut c = unback();
    c.args(["ls", "--json"]).arg(backup);
    if let Some(u) = udid {
        c.args(["--udid", u]);
    }
    if let Some(p) = password {
        c.env("UNBACK_PASSWORD", p);
    }
    c.assert().success().get_output().stdout.clone()
}

fn extract(backup: &Path, udid: Option<&str>, password: Option<&str>) -> BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let mut c = unback();
    c.arg("extract").arg(backup).arg(out.path());
    if let Some(u) = udid {
        c.args(["--udid", u]);
    }
    if let Some(p) = password {
        c.env("UNBACK_PASSWORD", p);
    }
    c.assert().success();
    let mut h = file_hashes(out.path());
    h.remove("unback-extract.json");
    assert!(!h.is_empty());
    h
}

/// The same listing and the same extracted bytes from the folder and from `archive`.
fn assert_same(folder: &Path, archive: &Path, udid: Option<&str>, password: Option<&str>) {
    assert_eq!(
        String::from_utf8(ls_json(archive, udid, password)).unwrap(),
        String::from_utf8(ls_json(folder, None, password)).unwrap()
    );
    assert_eq!(
        extract(archive, udid, password),
        extract(folder, None, password)
    );
}

#[test]
fn stored_and_deflated_archives_read_like_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    for (name, o) in [("stored.zip", STORED), ("deflated.zip", DEFLATED)] {
        let z = dir.path().join(name);
        zip_backups(&z, &[(&sample(), &format!("{UDID}/"))], o);
        assert_same(&sample(), &z, None, None);
    }
    // The backup's files at the archive's top level.
    let z = dir.path().join("flat.zip");
    zip_backups(&z, &[(&sample(), "")], DEFLATED);
    assert_same(&sample(), &z, None, None);
    // The library opens the archive path directly.
    let b = unback::Backup::open(&z).unwrap();
    assert_eq!(b.udid(), UDID);
    assert!(matches!(b.source(), unback::source::Source::Zip(_)));
}

#[test]
fn backup_nested_deep_in_the_archive() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("nested.zip");
    zip_backups(
        &z,
        &[(&sample(), &format!("a/b/Sauvegardes é/{UDID}/"))],
        DEFLATED,
    );
    assert_same(&sample(), &z, None, None);
    let info = unback()
        .args(["info", "--json"])
        .arg(&z)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&info).unwrap();
    assert_eq!(v["udid"], UDID, "{v}");
}

#[test]
fn two_backups_in_one_archive_need_udid() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("SECOND-DEVICE");
    b.device_name = "iPad".into();
    b.add(FileSpec::file(
        "HomeDomain",
        "Library/x.txt",
        b"second".to_vec(),
    ));
    b.add_parents();
    let second = b.write(dir.path()).unwrap();
    let z = dir.path().join("two.zip");
    zip_backups(
        &z,
        &[
            (&sample(), &format!("Backup/{UDID}/")),
            (&second, "Backup/SECOND-DEVICE/"),
        ],
        DEFLATED,
    );
    let err = unback()
        .arg("ls")
        .arg(&z)
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let err = String::from_utf8_lossy(&err);
    assert!(err.contains("holds 2 backups"), "{err}");
    assert!(err.contains("SECOND-DEVICE"), "{err}");
    assert_same(&sample(), &z, Some(UDID), None);
    assert_same(&second, &z, Some("SECOND-DEVICE"), None);
    assert_same(&second, &z, Some("ipad"), None);

    let out = unback()
        .args(["backups", "--json"])
        .arg(&z)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let folders: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["folder"].as_str().unwrap())
        .collect();
    assert_eq!(folders, vec![UDID, "SECOND-DEVICE"]);
}

#[test]
fn encrypted_backup_in_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("enc.zip");
    zip_backups(&z, &[(&sample_encrypted(), &format!("{UDID}/"))], DEFLATED);
    assert_same(&sample_encrypted(), &z, None, Some(SAMPLE_PASSWORD));
    unback()
        .arg("ls")
        .arg(&z)
        .env("UNBACK_PASSWORD", "wrong")
        .assert()
        .code(3);
    // The password tools read Manifest.plist out of the archive too.
    let from_zip = unback()
        .arg("hash")
        .arg(&z)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let from_dir = unback()
        .arg("hash")
        .arg(sample_encrypted())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    assert_eq!(from_zip, from_dir);
}

#[test]
fn zip64_records_are_read() {
    let dir = tempfile::tempdir().unwrap();
    for (name, method) in [
        ("z64s.zip", CompressionMethod::Stored),
        ("z64d.zip", CompressionMethod::Deflated),
    ] {
        let z = dir.path().join(name);
        zip_backups(
            &z,
            &[(&sample(), &format!("{UDID}/"))],
            Opts {
                method,
                large: true,
            },
        );
        // large_file(true) writes ZIP64 extra fields in the local headers.
        let bytes = std::fs::read(&z).unwrap();
        let mut zip64_locals = 0;
        for at in 0..bytes.len().saturating_sub(30) {
            if bytes[at..at + 4] == *b"PK\x03\x04" {
                let n = u16::from_le_bytes([bytes[at + 26], bytes[at + 27]]) as usize;
                let e = u16::from_le_bytes([bytes[at + 28], bytes[at + 29]]) as usize;
                let extra = &bytes[at + 30 + n..at + 30 + n + e];
                if extra.len() >= 4 && extra[..2] == [0x01, 0x00] {
                    zip64_locals += 1;
                }
            }
        }
        assert!(zip64_locals > 10, "{zip64_locals} ZIP64 local headers");
        let a = zip::ZipArchive::new(File::open(&z).unwrap()).unwrap();
        assert!(a.len() > 10);
        assert_same(&sample(), &z, None, None);
    }
}

#[test]
fn ios9_and_encrypted_ios9_backups_in_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    for (sub, enc) in [("p", None), ("e", Some(Encryption::sha1_only("pw", 50)))] {
        let mut b = BackupBuilder::new("OLDPHONE");
        b.ios9();
        b.encryption = enc.clone();
        b.add(FileSpec::file(
            "HomeDomain",
            "Library/a.txt",
            b"legacy".to_vec(),
        ));
        b.add(FileSpec::generated(
            "CameraRollDomain",
            "Media/DCIM/100APPLE/IMG_0001.MOV",
            300_000,
            3,
        ));
        b.add_parents();
        let folder = b.write(&dir.path().join(sub)).unwrap();
        let z = dir.path().join(format!("{sub}.zip"));
        zip_backups(&z, &[(&folder, "OLDPHONE/")], DEFLATED);
        let pw = enc.as_ref().map(|_| "pw");
        assert_same(&folder, &z, None, pw);
    }
}

#[test]
fn damaged_member_is_reported_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("DAMAGED");
    b.add(FileSpec::file(
        "HomeDomain",
        "Library/a.txt",
        vec![b'A'; 4000],
    ));
    b.add_parents();
    let folder = b.write(dir.path()).unwrap();
    let z = dir.path().join("d.zip");
    zip_backups(&z, &[(&folder, "")], STORED);
    // Flip one content byte of the stored blob: the CRC-32 check must catch it.
    let mut bytes = std::fs::read(&z).unwrap();
    let at = bytes
        .windows(64)
        .position(|w| w.iter().all(|&c| c == b'A'))
        .unwrap();
    bytes[at + 10] = b'B';
    std::fs::write(&z, &bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    let r = unback()
        .arg("extract")
        .arg(&z)
        .arg(out.path())
        .assert()
        .code(5)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("CRC-32"), "{err}");
    assert!(!out.path().join("HomeDomain/Library/a.txt").exists());
}

#[test]
fn not_a_backup_archive() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("other.zip");
    let mut w = zip::ZipWriter::new(File::create(&z).unwrap());
    w.start_file("readme.txt", SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"hello").unwrap();
    w.finish().unwrap();
    unback().arg("ls").arg(&z).assert().code(4);
    let junk = dir.path().join("junk.zip");
    std::fs::write(&junk, b"PK\x03\x04 not really").unwrap();
    unback().arg("ls").arg(&junk).assert().code(4);
}

#[test]
fn cp437_folder_names() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("cp437.zip");
    zip_backups(
        &z,
        &[(&sample(), &format!("Sauvegarde_X/{UDID}/"))],
        DEFLATED,
    );
    // Old archivers write names in CP437 without the UTF-8 flag: 0x82 is "é" there (and not
    // valid UTF-8). Patch the ASCII placeholder in every local and central header.
    let mut bytes = std::fs::read(&z).unwrap();
    let needle = b"Sauvegarde_X/";
    let mut patched = 0;
    for i in 0..bytes.len() - needle.len() {
        if &bytes[i..i + needle.len()] == needle {
            bytes[i + needle.len() - 2] = 0x82;
            patched += 1;
        }
    }
    assert!(patched > 20);
    std::fs::write(&z, &bytes).unwrap();
    assert_same(&sample(), &z, None, None);
    let out = unback()
        .args(["backups", "--json"])
        .arg(&z)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let path = v[0]["path"].as_str().unwrap();
    assert!(path.ends_with(&format!("Sauvegarde_é/{UDID}")), "{path}");
}
