//! Real file names from a real device: the HomeDomain `Library/` part of the file listing of a
//! public iOS 16 full-file-system image (iLEAPP's `magnet-mvs-2023-ios.csv`, MIT, kept in
//! `../shared/realdata/abrignoni_iLEAPP/`). The listing has names only, so each file's content
//! here is its own path; what is tested is that every real name is listed and extracted, none
//! refused, and each lands under its own output name.

mod common;

use std::collections::BTreeSet;
use std::io::Read;

use common::*;
use unback::builder::{BackupBuilder, FileSpec};

const LISTING: &str = "abrignoni_iLEAPP/admin/data/filepath-lists/magnet-mvs-2023-ios.csv.zip";

/// The first CSV field of each line (quoted fields may hold commas and doubled quotes).
fn first_fields(csv: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in csv.lines().skip(1) {
        let field = if let Some(rest) = line.strip_prefix('"') {
            let mut f = String::new();
            let mut chars = rest.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        f.push('"');
                        chars.next();
                    }
                    '"' => break,
                    c => f.push(c),
                }
            }
            f
        } else {
            line.split(',').next().unwrap_or("").to_string()
        };
        out.push(field);
    }
    out
}

fn home_library_paths() -> Option<BTreeSet<String>> {
    let file = std::fs::File::open(realdata(LISTING)?).unwrap();
    let mut z = zip::ZipArchive::new(file).unwrap();
    let mut csv = String::new();
    z.by_name("magnet-mvs-2023-ios.csv")
        .unwrap()
        .read_to_string(&mut csv)
        .unwrap();
    Some(
        first_fields(&csv)
            .into_iter()
            .filter_map(|p| p.strip_prefix("/private/var/mobile/").map(str::to_string))
            .filter(|p| p.starts_with("Library/"))
            .collect(),
    )
}

#[test]
fn every_real_name_is_listed_and_extracted() {
    let Some(paths) = home_library_paths() else {
        return;
    };
    // Counted when this test was written; a different count means a different listing.
    assert_eq!(paths.len(), 5117);
    let forbidden = |p: &str| {
        p.rsplit('/')
            .next()
            .unwrap_or("")
            .chars()
            .any(|c| "<>:\"|?*\\".contains(c) || c < ' ')
    };
    assert_eq!(paths.iter().filter(|p| forbidden(p)).count(), 272);

    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("REALNAMES");
    for p in &paths {
        b.add(FileSpec::file("HomeDomain", p, p.as_bytes().to_vec()));
    }
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();

    let a = unback()
        .args(["ls", "--type", "f"])
        .arg(&backup)
        .assert()
        .success();
    let listed: BTreeSet<String> = stdout(&a)
        .lines()
        .map(|l| l.strip_prefix("HomeDomain/").unwrap().to_string())
        .collect();
    assert_eq!(listed, paths);

    let out = dir.path().join("out");
    let a = unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .assert()
        .success();
    assert!(
        stdout(&a).starts_with("5117 files written"),
        "{}",
        stdout(&a)
    );
    assert!(
        stdout(&a).contains(" 0 unsafe paths refused"),
        "{}",
        stdout(&a)
    );
    // Every output holds its own entry's bytes: no two entries share an output.
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-extract.json")).unwrap()).unwrap();
    let files = j["files"].as_array().unwrap();
    assert_eq!(files.len(), 5117);
    let mut outputs = BTreeSet::new();
    for f in files {
        let rel = f["relative_path"].as_str().unwrap();
        let output = f["output"].as_str().unwrap();
        assert!(outputs.insert(output.to_string()), "{output} twice");
        let written = std::fs::read(out.join(output)).unwrap();
        assert_eq!(written, rel.as_bytes(), "{output}");
        if forbidden(rel) {
            assert!(output.contains('_') && !forbidden(output), "{output}");
        }
    }
    // The device holds both spellings of these; each is written.
    for p in [
        "Library/Preferences/com.apple.Preferences.plist",
        "Library/Preferences/com.apple.preferences.plist",
        "Library/Preferences/com.apple.SpringBoard.plist",
        "Library/Preferences/com.apple.springboard.plist",
    ] {
        assert!(paths.contains(p), "{p}");
        assert!(
            files.iter().any(|f| f["relative_path"] == p),
            "{p} not extracted"
        );
    }
}
