//! Hostile inputs (issue 11): crafted backups and arguments that used to panic, be accepted
//! silently, or make the tool read or write what it must not. Each test is built from the
//! defect's description and fails without its fix.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use unback::builder::photos_db::{PhotoAlbum, PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{BackupBuilder, FileSpec};

const CR: &str = "CameraRollDomain";
const PHOTOS_SQLITE: &str = "Media/PhotoData/Photos.sqlite";

fn jpeg(tag: &str) -> Vec<u8> {
    let mut b = std::fs::read(root().join("fixtures/media/photo_0001.jpg")).unwrap();
    b.extend_from_slice(format!("\0unback-test:{tag}").as_bytes());
    b
}

fn album(title: &str, assets: Vec<usize>) -> PhotoAlbum {
    PhotoAlbum {
        uuid: format!("ALBUM-{title}"),
        title: Some(title.into()),
        kind: 2,
        parent: None,
        assets,
        trashed_state: 0,
        cloud_guid: None,
    }
}

/// A backup with one photo per (file name, title) and the given albums, Photos.sqlite given
/// as bytes (so a test can damage it first).
fn photo_backup(dir: &Path, udid: &str, photos: &[(&str, &str)], db: Vec<u8>) -> PathBuf {
    let mut b = BackupBuilder::new(udid);
    for (name, _) in photos {
        b.add(FileSpec::file(
            CR,
            &format!("Media/DCIM/100APPLE/{name}"),
            jpeg(name),
        ));
    }
    b.add(FileSpec::file(CR, PHOTOS_SQLITE, db));
    b.add_parents();
    b.write(dir).unwrap()
}

fn photos_db(photos: &[(&str, &str)], albums: Vec<PhotoAlbum>) -> PhotosDbBuilder {
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    db.assets = photos
        .iter()
        .enumerate()
        .map(|(i, (name, title))| {
            let mut a = PhotoAsset::photo(
                &format!("0000{i:04X}-AAAA-4BBB-8CCC-{i:012X}"),
                "DCIM/100APPLE",
                name,
                700_000_000.0 + i as f64 * 60.0,
            );
            a.title = Some(title.to_string());
            a
        })
        .collect();
    db.albums = albums;
    db
}

/// Item 3: the join table's read fails half-way, after the one real link was read. The
/// junk rows make the table (and its primary-key index) span several pages; the last leaf of
/// each b-tree is then given an invalid page type, so a scan fails only at its end.
fn damage_join_table(db: Vec<u8>) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Photos.sqlite");
    std::fs::write(&path, db).unwrap();
    let schema = PhotosSchema::Ios17_6;
    let jt = schema.join_table();
    let page_size: usize;
    let roots: Vec<usize>;
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch("PRAGMA journal_mode=DELETE;").unwrap();
        let sql = format!(
            "INSERT INTO {jt} ({}, {}, {}) VALUES (1, ?1, ?2)",
            schema.join_album_column(),
            schema.join_asset_column(),
            schema.join_order_column()
        );
        c.execute_batch("BEGIN").unwrap();
        for k in 0..5000i64 {
            c.execute(&sql, (1_000_000 + k, k)).unwrap();
        }
        c.execute_batch("COMMIT").unwrap();
        page_size = c
            .query_row("PRAGMA page_size", [], |r| r.get::<_, i64>(0))
            .unwrap() as usize;
        let mut st = c
            .prepare("SELECT rootpage FROM sqlite_master WHERE tbl_name = ?1 AND rootpage > 0")
            .unwrap();
        roots = st
            .query_map([&jt], |r| r.get::<_, i64>(0))
            .unwrap()
            .map(|r| r.unwrap() as usize)
            .collect();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let mut damaged = 0;
    for root in roots {
        let mut page = root;
        // Down the right-most child pointers (interior pages 0x02 and 0x05) to the last leaf.
        loop {
            let at = (page - 1) * page_size;
            match bytes[at] {
                0x02 | 0x05 => {
                    page = u32::from_be_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize
                }
                _ => break,
            }
        }
        if page != root {
            bytes[(page - 1) * page_size] = 0xEE;
            damaged += 1;
        }
    }
    assert!(damaged > 0, "the join table should span several pages");
    bytes
}

#[test]
fn album_join_table_damaged_half_way_is_a_note_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let photos = [("IMG_0001.JPG", "one")];
    let db = photos_db(&photos, vec![album("Rome", vec![0])])
        .to_bytes()
        .unwrap();
    let backup = photo_backup(dir.path(), "DAMAGEDJOIN", &photos, damage_join_table(db));

    let a = unback()
        .args(["photos", "ls"])
        .arg(&backup)
        .arg("--json")
        .assert()
        .success();
    let (so, se) = (stdout(&a), stderr(&a));
    assert!(se.contains("album membership incomplete"), "{se}");
    let v: serde_json::Value = serde_json::from_str(&so).unwrap();
    // The link read before the failure is kept, to an album that exists.
    assert_eq!(v[0]["albums"][0], "Rome", "{so}");

    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--layout", "album", "--sidecar", "xmp"])
        .assert()
        .success();
    assert!(out.join("Rome/IMG_0001.JPG").is_file());
    let a = unback().arg("verify").arg(&backup).assert();
    assert!(!stderr(&a).contains("panicked"), "{}", stderr(&a));
    let a = unback()
        .arg("recover")
        .arg(&backup)
        .arg(dir.path().join("rec"))
        .assert();
    assert!(!stderr(&a).contains("panicked"), "{}", stderr(&a));
}

#[test]
fn multibyte_folder_names_in_a_backups_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("Backups");
    std::fs::create_dir(&root).unwrap();
    let mut b = BackupBuilder::new("MULTIBYTE");
    b.device_name = "Телефон".into();
    b.add(FileSpec::file("HomeDomain", "Library/a.txt", b"a".to_vec()));
    let made = b.write(&root).unwrap();
    for name in ["Резервная копия iPhone", "日本語のバックアップ", "é"] {
        let to = root.join(name);
        std::fs::rename(
            root.read_dir().unwrap().next().unwrap().unwrap().path(),
            &to,
        )
        .unwrap();
        let a = unback().arg("backups").arg(&root).assert().success();
        assert!(stdout(&a).contains(name), "{}", stdout(&a));
        unback()
            .arg("info")
            .arg(&root)
            .args(["--udid", name])
            .assert()
            .success();
    }
    assert!(!made.exists());
}

#[test]
fn multibyte_folder_names_in_a_zip() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("MULTIBYTEZIP");
    b.add(FileSpec::file("HomeDomain", "Library/a.txt", b"a".to_vec()));
    let backup = b.write(dir.path()).unwrap();
    let archive = dir.path().join("backups.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    let prefix = "Резервная копия iPhone/";
    w.add_directory(prefix, opts).unwrap();
    let mut stack = vec![backup.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(&backup)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if p.is_dir() {
                w.add_directory(format!("{prefix}{rel}/"), opts).unwrap();
                stack.push(p);
            } else {
                w.start_file(format!("{prefix}{rel}"), opts).unwrap();
                w.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    w.finish().unwrap();
    let a = unback().arg("backups").arg(&archive).assert().success();
    assert!(
        stdout(&a).contains("Резервная копия iPhone"),
        "{}",
        stdout(&a)
    );
    unback()
        .arg("info")
        .arg(&archive)
        .args(["--udid", "Резервная копия iPhone"])
        .assert()
        .success();
}

#[test]
fn invalid_dates_are_usage_errors() {
    for (date, why) in [
        ("2024-05-18T25:61:61Z", "not a time of day"),
        ("2024-05-18T25:61:61", "not a time of day"),
        ("2024-02-31", "has 29 days"),
        ("2023-02-29", "has 28 days"),
        ("2024-05-18T12:00:00+99:99", "offset 99:99 is out of range"),
        ("2024-05-18T12:00:00+25:00", "offset 25:00 is out of range"),
        ("2024-05-18T12:00:00+0é00", "not Z, +HH:MM or -HH:MM"),
    ] {
        for flag in ["--since", "--until"] {
            let a = unback()
                .args(["photos", "ls"])
                .arg(sample())
                .args([flag, date])
                .assert()
                .code(2);
            let se = stderr(&a);
            assert!(se.contains(why) && se.contains(date), "{flag} {date}: {se}");
        }
    }
    unback()
        .args(["photos", "ls"])
        .arg(sample())
        .args([
            "--since",
            "2024-02-29",
            "--until",
            "2024-05-18T23:59:60+14:00",
        ])
        .assert()
        .success();
}

#[test]
fn xmp_sidecars_are_well_formed_xml() {
    let dir = tempfile::tempdir().unwrap();
    let nasty = [
        ("IMG_0001.JPG", "Tom & Jerry <\"quoted\"> 'x'"),
        ("IMG_0002.JPG", "non\u{FFFE}char\u{FFFF}s"),
        ("IMG_0003.JPG", "bell\u{1}\u{7}\u{1F} tab\there \u{FFFD} 𝄞"),
    ];
    let db = photos_db(
        &nasty,
        vec![
            album("A<&>\"'", vec![0, 1]),
            album("B\u{FFFE}\u{1}", vec![2]),
        ],
    )
    .to_bytes()
    .unwrap();
    let backup = photo_backup(dir.path(), "XMPNASTY", &nasty, db);
    let out = dir.path().join("out");
    unback()
        .args(["photos", "export"])
        .arg(&backup)
        .arg(&out)
        .args(["--layout", "flat", "--sidecar", "xmp"])
        .assert()
        .success();
    let mut seen = 0;
    for (name, title) in nasty {
        let p = out.join(format!("{name}.xmp"));
        let text = std::fs::read_to_string(&p).unwrap();
        let doc = roxmltree::Document::parse(&text)
            .unwrap_or_else(|e| panic!("{}: not well-formed: {e}\n{text}", p.display()));
        let li = doc
            .descendants()
            .find(|n| n.tag_name().name() == "title")
            .and_then(|t| t.descendants().find(|n| n.tag_name().name() == "li"))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string();
        let expected: String = title
            .chars()
            .filter(|&c| !matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}'))
            .collect();
        assert_eq!(li, expected, "{text}");
        seen += 1;
    }
    assert_eq!(seen, 3);
}

#[test]
fn key_out_refuses_links_devices_and_folders() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, SAMPLE_PASSWORD).unwrap();
    let target = dir.path().join("target.txt");
    std::fs::write(&target, "keep me").unwrap();
    let mut refused: Vec<PathBuf> = vec![dir.path().to_path_buf()];
    #[cfg(unix)]
    {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let stdout_link = dir.path().join("stdout");
        std::os::unix::fs::symlink("/dev/stdout", &stdout_link).unwrap();
        refused.extend([link, stdout_link, PathBuf::from("/dev/null")]);
    }
    for out in &refused {
        let a = unback()
            .arg("key")
            .arg(sample_encrypted())
            .arg("--password-file")
            .arg(&pw)
            .arg("--out")
            .arg(out)
            .assert()
            .code(2);
        let (so, se) = (stdout(&a), stderr(&a));
        assert!(se.contains(&out.display().to_string()), "{se}");
        assert!(!so.contains(|c: char| c.is_ascii_hexdigit()), "{so}");
    }
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me");
    #[cfg(unix)]
    assert!(dir
        .path()
        .join("link")
        .symlink_metadata()
        .unwrap()
        .file_type()
        .is_symlink());
}

#[cfg(unix)]
#[test]
fn a_blob_that_is_a_link_is_reported_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "root:x:0:0:SECRET").unwrap();
    let mut b = BackupBuilder::new("LINKBLOB");
    let linked = FileSpec::file("HomeDomain", "Library/linked.txt", b"original".to_vec());
    let in_linked_dir = FileSpec::file("HomeDomain", "Library/dir.txt", b"dir".to_vec());
    let fine = FileSpec::file("HomeDomain", "Library/fine.txt", b"fine".to_vec());
    let (id, dir_id) = (linked.file_id(), in_linked_dir.file_id());
    assert_ne!(id[..2], dir_id[..2]);
    b.add(linked);
    b.add(in_linked_dir);
    b.add(fine);
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();
    // The blob itself a link, and the blob's folder a link to a folder holding a file of its name.
    let blob = backup.join(&id[..2]).join(&id);
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&secret, &blob).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join(&dir_id), "SECRET from a linked folder").unwrap();
    std::fs::remove_dir_all(backup.join(&dir_id[..2])).unwrap();
    std::os::unix::fs::symlink(&elsewhere, backup.join(&dir_id[..2])).unwrap();

    let out = dir.path().join("out");
    let a = unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .assert()
        .code(5);
    let se = stderr(&a);
    assert!(se.contains("a symbolic link"), "{se}");
    assert!(
        se.contains("Library/linked.txt") && se.contains("Library/dir.txt"),
        "{se}"
    );
    for (_, content) in file_hashes(&out) {
        assert_ne!(content, sha256(b"root:x:0:0:SECRET"));
        assert_ne!(content, sha256(b"SECRET from a linked folder"));
    }
    assert_eq!(
        std::fs::read(out.join("HomeDomain/Library/fine.txt")).unwrap(),
        b"fine"
    );
    assert!(!out.join("HomeDomain/Library/linked.txt").exists());
}

#[test]
fn damaged_manifest_plist_beside_a_plain_index_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("BADPLIST");
    b.add(FileSpec::file("HomeDomain", "Library/a.txt", b"a".to_vec()));
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();
    std::fs::write(backup.join("Manifest.plist"), b"bplist00 damaged").unwrap();
    let a = unback().arg("ls").arg(&backup).assert().success();
    assert!(stdout(&a).contains("Library/a.txt"), "{}", stdout(&a));
    assert!(stderr(&a).contains("Manifest.plist"), "{}", stderr(&a));
}

#[test]
fn damaged_manifest_plist_of_an_encrypted_backup_is_still_refused() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join(UDID);
    std::fs::create_dir(&copy).unwrap();
    for name in ["Manifest.db", "Info.plist", "Status.plist"] {
        std::fs::copy(sample_encrypted().join(name), copy.join(name)).unwrap();
    }
    std::fs::write(copy.join("Manifest.plist"), b"bplist00 damaged").unwrap();
    unback().arg("info").arg(&copy).assert().code(4);
}

#[test]
fn a_short_plain_blob_is_a_problem() {
    let dir = tempfile::tempdir().unwrap();
    let mut b = BackupBuilder::new("SHORTBLOB");
    b.add(
        FileSpec::file("HomeDomain", "Library/short.txt", b"12345".to_vec()).with_size_override(9),
    );
    b.add(FileSpec::file(
        "HomeDomain",
        "Library/ok.txt",
        b"ok".to_vec(),
    ));
    b.add_parents();
    let backup = b.write(dir.path()).unwrap();
    let out = dir.path().join("out");
    let a = unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .assert()
        .code(5);
    assert!(
        stderr(&a).contains("fewer than the 9 recorded"),
        "{}",
        stderr(&a)
    );
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-extract.json")).unwrap()).unwrap();
    let problems = j["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{j}");
    assert!(problems[0]["entry"]
        .as_str()
        .unwrap()
        .contains("Library/short.txt"));
    // What the backup holds is kept.
    assert_eq!(
        std::fs::read(out.join("HomeDomain/Library/short.txt")).unwrap(),
        b"12345"
    );
}

#[cfg(unix)]
#[test]
fn endless_secret_files_are_bounded() {
    for flag in ["--password-file", "--key-file"] {
        let a = unback()
            .arg("key")
            .arg(sample_encrypted())
            .args([flag, "/dev/zero"])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .code(2);
        assert!(stderr(&a).contains("larger than 64 KiB"), "{}", stderr(&a));
    }
}

#[test]
fn a_keybag_asking_for_hours_of_key_derivation_says_so_first() {
    // Issue 11, item 8: a crafted DPIC of 2^32 - 1 meant hours of work with no word.
    let dir = tempfile::tempdir().unwrap();
    let src = sample_encrypted();
    let dst = dir.path().join("HOSTILE-KDF");
    std::fs::create_dir(&dst).unwrap();
    let mut plist = plist::Value::from_file(src.join("Manifest.plist"))
        .unwrap()
        .into_dictionary()
        .unwrap();
    let mut kb = plist["BackupKeyBag"].as_data().unwrap().to_vec();
    let at = kb.windows(4).position(|w| w == b"DPIC").unwrap();
    kb[at + 8..at + 12].copy_from_slice(&u32::MAX.to_be_bytes());
    plist.insert("BackupKeyBag".into(), plist::Value::Data(kb));
    plist::Value::Dictionary(plist)
        .to_file_binary(dst.join("Manifest.plist"))
        .unwrap();
    let a = unback()
        .args(["password", "check"])
        .arg(&dst)
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .timeout(std::time::Duration::from_secs(3))
        .assert()
        .failure();
    let e = stderr(&a);
    assert!(
        e.contains("key-derivation rounds")
            && e.contains("minutes")
            && e.contains("Manifest.plist"),
        "{e}"
    );
}

// Item 7: files read whole before being checked. Each run below is capped at `CAP_MB` of address
// space, below the size of the file it is handed: reading that file into memory would abort the
// run, so each test fails without its bound.

const CAP_MB: u64 = 768;
const BIG: u64 = 1200 << 20;

/// `unback ARGS` with its address space capped at `CAP_MB` (`ulimit -v`).
#[cfg(unix)]
fn capped() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new("sh");
    c.arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", CAP_MB * 1024))
        .arg(assert_cmd::cargo::cargo_bin("unback"))
        .timeout(std::time::Duration::from_secs(120));
    c
}

/// Makes `path` a sparse file of `len` bytes that starts with `head`.
fn sparse(path: &Path, head: &[u8], len: u64) {
    std::fs::write(path, head).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

fn small_backup(dir: &Path, udid: &str) -> PathBuf {
    let mut b = BackupBuilder::new(udid);
    b.add(FileSpec::file("HomeDomain", "Library/a.txt", b"a".to_vec()));
    b.add_parents();
    b.write(dir).unwrap()
}

#[cfg(unix)]
#[test]
fn a_huge_manifest_db_without_a_header_is_refused_from_its_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let backup = small_backup(dir.path(), "HUGEDB");
    // With a -wal beside it, Manifest.db cannot be opened in place: it used to be read whole.
    std::fs::write(backup.join("Manifest.db-wal"), b"").unwrap();
    sparse(&backup.join("Manifest.db"), b"", BIG);
    let a = capped().arg("ls").arg(&backup).assert().code(4);
    let se = stderr(&a);
    assert!(
        se.contains("Manifest.db") && se.contains("not an SQLite database (bad header)"),
        "{se}"
    );
}

#[cfg(unix)]
#[test]
fn a_manifest_db_over_the_limit_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let backup = small_backup(dir.path(), "OVERLIMIT");
    std::fs::write(backup.join("Manifest.db-wal"), [7u8; 64]).unwrap();
    let limit = unback::source::MAX_DATABASE_BYTES;
    sparse(
        &backup.join("Manifest.db"),
        unback::sqlite::SQLITE_MAGIC,
        limit + 1,
    );
    let a = capped().arg("ls").arg(&backup).assert().code(4);
    let se = stderr(&a);
    assert!(
        se.contains("Manifest.db")
            && se.contains(&format!("{} bytes, more than the 4096 MiB", limit + 1)),
        "{se}"
    );
}

#[cfg(unix)]
#[test]
fn a_huge_photos_sqlite_without_a_header_falls_back_to_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let photos = [("IMG_0001.JPG", "one")];
    let backup = photo_backup(
        dir.path(),
        "HUGEPHOTOS",
        &photos,
        photos_db(&photos, vec![]).to_bytes().unwrap(),
    );
    let id = FileSpec::file(CR, PHOTOS_SQLITE, Vec::new()).file_id();
    sparse(&backup.join(&id[..2]).join(&id), b"", BIG);
    let a = capped()
        .args(["photos", "ls", "--json"])
        .arg(&backup)
        .assert()
        .success();
    let se = stderr(&a);
    assert!(
        se.contains("Photos.sqlite") && se.contains("not an SQLite database (bad header)"),
        "{se}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
}

/// A zip of `backup` in which member `name` is replaced by `len` zero bytes, deflated (a
/// zip bomb: a megabyte that inflates into `len`).
fn zip_with_bomb(backup: &Path, archive: &Path, name: &str, len: u64) {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::fs::File::create(archive).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    let mut stack = vec![backup.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(backup)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if p.is_dir() {
                w.add_directory(format!("{rel}/"), opts).unwrap();
                stack.push(p);
            } else if rel == name {
                w.start_file(rel, opts).unwrap();
                let zeros = vec![0u8; 1 << 20];
                for _ in 0..len >> 20 {
                    w.write_all(&zeros).unwrap();
                }
            } else {
                w.start_file(rel, opts).unwrap();
                w.write_all(&std::fs::read(&p).unwrap()).unwrap();
            }
        }
    }
    w.finish().unwrap();
}

#[cfg(unix)]
#[test]
fn zip_members_that_inflate_to_gigabytes_are_not_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let backup = small_backup(dir.path(), "ZIPBOMB");
    // Manifest.db: refused after its first 16 inflated bytes.
    let archive = dir.path().join("db-bomb.zip");
    zip_with_bomb(&backup, &archive, "Manifest.db", BIG);
    assert!(std::fs::metadata(&archive).unwrap().len() < 16 << 20);
    let a = capped().arg("ls").arg(&archive).assert().code(4);
    let se = stderr(&a);
    assert!(
        se.contains("Manifest.db") && se.contains("not an SQLite database (bad header)"),
        "{se}"
    );
    // Manifest.plist: refused from its recorded size, before a byte is inflated (and, the
    // index being plaintext, read on without it: item 16).
    let archive = dir.path().join("plist-bomb.zip");
    zip_with_bomb(&backup, &archive, "Manifest.plist", 300 << 20);
    let a = capped().arg("ls").arg(&archive).assert().success();
    assert!(stdout(&a).contains("Library/a.txt"), "{}", stdout(&a));
    let se = stderr(&a);
    assert!(
        se.contains("Manifest.plist") && se.contains("more than the 256 MiB"),
        "{se}"
    );
}

#[cfg(unix)]
#[test]
fn a_huge_orphan_blob_is_hashed_streaming() {
    let dir = tempfile::tempdir().unwrap();
    let backup = small_backup(dir.path(), "HUGEORPHAN");
    let id = "ef".repeat(20);
    std::fs::create_dir_all(backup.join("ef")).unwrap();
    sparse(&backup.join("ef").join(&id), b"", BIG);
    let out = dir.path().join("out");
    capped()
        .args(["recover", "--only", "orphans"])
        .arg(&backup)
        .arg(&out)
        .assert()
        .success();
    let r: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("unback-recovery.json")).unwrap()).unwrap();
    let item = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"]["file_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(item["source"]["length"], BIG);
    use std::io::Read as _;
    let (n, sha) = unback::hashing::sha256_reader(std::io::repeat(0).take(BIG)).unwrap();
    assert_eq!(n, BIG);
    assert_eq!(item["sha256"], sha.as_str());
    assert_eq!(item["details"]["content"], "unknown");
}

#[cfg(unix)]
#[test]
fn a_huge_heic_is_exported_as_it_is_not_decoded_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let photos = [("IMG_0001.HEIC", "big")];
    let backup = photo_backup(
        dir.path(),
        "HUGEHEIC",
        &photos,
        photos_db(&photos, vec![]).to_bytes().unwrap(),
    );
    let id = FileSpec::file(CR, "Media/DCIM/100APPLE/IMG_0001.HEIC", Vec::new()).file_id();
    let len = unback::export::MAX_HEIC_BYTES + (1 << 20);
    sparse(
        &backup.join(&id[..2]).join(&id),
        b"\0\0\0\x18ftypheic\0\0\0\0mif1heic",
        len,
    );
    let out = dir.path().join("out");
    let a = capped()
        .args(["photos", "export", "--layout", "flat", "--convert", "jpeg"])
        .arg(&backup)
        .arg(&out)
        .assert()
        .code(5);
    let se = stderr(&a);
    assert!(
        se.contains("IMG_0001.HEIC")
            && se.contains(&format!(
                "not converted to JPEG: {len} bytes, more than the 256 MiB"
            )),
        "{se}"
    );
    assert_eq!(
        std::fs::metadata(out.join("IMG_0001.HEIC")).unwrap().len(),
        len
    );
}
