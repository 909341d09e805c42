//! Encrypted backups through the binary: unlock from each secret source, wrong passwords,
//! saved keys, decrypt, invalid padding, size mismatches, Unicode password forms.

mod common;

use common::*;
use unback::builder::{BackupBuilder, BlobSpec, Encryption, FileSpec};

fn extract_hashes(
    backup: &std::path::Path,
    envs: &[(&str, &str)],
    extra: &[&str],
) -> std::collections::BTreeMap<String, String> {
    let out = tempfile::tempdir().unwrap();
    let mut c = unback();
    c.arg("extract").arg(backup).arg(out.path()).args(extra);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.assert().success();
    let mut h = file_hashes(out.path());
    h.remove("unback-extract.json");
    h
}

#[test]
fn encrypted_sample_extracts_to_the_same_bytes_as_the_plain_one() {
    let before = fingerprint(&sample_encrypted());
    let plain = extract_hashes(&sample(), &[], &[]);
    let enc = extract_hashes(
        &sample_encrypted(),
        &[("UNBACK_PASSWORD", SAMPLE_PASSWORD)],
        &["-j", "2"],
    );
    assert_eq!(plain, enc);
    assert_eq!(plain.len(), 16);
    assert_eq!(
        fingerprint(&sample_encrypted()),
        before,
        "the backup must not change"
    );
}

#[test]
fn password_sources_and_wrong_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw.txt");
    std::fs::write(&pw, format!("{SAMPLE_PASSWORD}\n")).unwrap();
    unback()
        .arg("ls")
        .arg(sample_encrypted())
        .arg("--password-file")
        .arg(&pw)
        .assert()
        .success();

    let a = unback()
        .arg("ls")
        .arg(sample_encrypted())
        .env("UNBACK_PASSWORD", "nope")
        .assert()
        .code(3);
    assert!(
        stderr(&a).contains("Manifest.plist: the password"),
        "{}",
        stderr(&a)
    );
    // No password anywhere and no terminal: locked, exit 3, and a hint where to give it.
    let a = unback().arg("ls").arg(sample_encrypted()).assert().code(3);
    assert!(stderr(&a).contains("UNBACK_PASSWORD"), "{}", stderr(&a));
    // `info` shows the device all the same, and says the counts need the password.
    let a = unback()
        .args(["info", "--json"])
        .arg(sample_encrypted())
        .assert()
        .success();
    assert!(
        stderr(&a).contains("no password was given"),
        "{}",
        stderr(&a)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(v["device_name"], "Ana's iPhone");
    assert_eq!(v["ios_version"], "17.5.1");
    assert_eq!(v["encrypted"], true);
    assert_eq!(v["index_locked"], true);
    assert_eq!(v["files"], serde_json::Value::Null);
    let a = unback()
        .args(["info", "--json"])
        .arg(sample_encrypted())
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    let v: serde_json::Value = serde_json::from_str(&stdout(&a)).unwrap();
    assert_eq!(
        (v["index_locked"].clone(), v["files"].clone()),
        (false.into(), 16.into())
    );
    // A wrong password is still an error, for `info` too.
    unback()
        .arg("info")
        .arg(sample_encrypted())
        .env("UNBACK_PASSWORD", "nope")
        .assert()
        .code(3);
}

#[test]
fn password_check_needs_only_the_manifest_plist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        sample_encrypted().join("Manifest.plist"),
        dir.path().join("Manifest.plist"),
    )
    .unwrap();
    let a = unback()
        .args(["password", "check"])
        .arg(dir.path())
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    assert_eq!(stdout(&a), "password OK (11 class keys unlocked)\n");
    unback()
        .args(["password", "check"])
        .arg(dir.path().join("Manifest.plist"))
        .env("UNBACK_PASSWORD", "wrong")
        .assert()
        .code(3);
}

#[test]
fn saved_key_skips_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.hex");
    unback()
        .arg("key")
        .arg(sample_encrypted())
        .arg("--out")
        .arg(&key)
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    // Owner-only is a Unix mode; on Windows the key file inherits the folder's ACL.
    #[cfg(unix)]
    let mode = |p: &std::path::Path| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    };
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    let hex = std::fs::read_to_string(&key).unwrap();
    assert_eq!(hex.trim().len(), 64);
    // Saving again over a world-readable file leaves the key 0600, and nothing else behind.
    #[cfg(unix)]
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    unback()
        .arg("key")
        .arg(sample_encrypted())
        .arg("--out")
        .arg(&key)
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    assert_eq!(std::fs::read_to_string(&key).unwrap(), hex);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    let by_file = extract_hashes(
        &sample_encrypted(),
        &[],
        &["--key-file", key.to_str().unwrap()],
    );
    let by_env = extract_hashes(&sample_encrypted(), &[("UNBACK_KEY", hex.trim())], &[]);
    assert_eq!(by_file, extract_hashes(&sample(), &[], &[]));
    assert_eq!(by_file, by_env);
    let a = unback()
        .arg("ls")
        .arg(sample_encrypted())
        .env("UNBACK_KEY", "00".repeat(32))
        .assert()
        .code(3);
    assert!(stderr(&a).contains("saved key"), "{}", stderr(&a));
}

#[test]
fn hash_lines() {
    let a = unback()
        .arg("hash")
        .arg(sample_encrypted())
        .assert()
        .success();
    let line = stdout(&a);
    assert!(line.starts_with("$itunes_backup$*10*"), "{line}");
    assert!(
        line.contains("*1000*") && line.trim_end().split('*').nth(5) == Some("2000"),
        "{line}"
    );
    // The real iOS 9.3.5 sample: John the Ripper's own test vector (openwall/john itunes_fmt_plug.c).
    let Some(real) = realdata("openwall_john-samples/iTunes_Backup/Manifest-9-123456.plist") else {
        return;
    };
    let a = unback().arg("hash").arg(real).assert().success();
    assert_eq!(
        stdout(&a),
        "$itunes_backup$*9*bc707ac0151660426c8114d04caad9d9ee2678a7b7ab05c18ee50cafb2613c31c8978e8b1e9cad2a*10000*266343aaf99102ba7f6af64a3a2d62637793f753**\n"
    );
}

#[test]
fn decrypt_writes_a_plain_backup_that_reads_identically_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plain");
    unback()
        .arg("decrypt")
        .arg(sample_encrypted())
        .arg(&out)
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    let m = plist::Value::from_file(out.join("Manifest.plist")).unwrap();
    let d = m.as_dictionary().unwrap();
    assert_eq!(d["IsEncrypted"].as_boolean(), Some(false));
    assert!(d.get("ManifestKey").is_none());
    assert_eq!(
        &std::fs::read(out.join("Manifest.db")).unwrap()[..16],
        b"SQLite format 3\0"
    );
    assert_eq!(
        extract_hashes(&out, &[], &[]),
        extract_hashes(&sample(), &[], &[])
    );
    // Info.plist and Status.plist are copied unchanged.
    assert_eq!(
        sha256_file(&out.join("Info.plist")),
        sha256_file(&sample_encrypted().join("Info.plist"))
    );

    // Interrupted: lose a blob and the index; --skip-existing finishes it.
    let id = unback::manifest::file_id("HomeDomain", "Library/SMS/sms.db");
    std::fs::remove_file(out.join(&id[..2]).join(&id)).unwrap();
    std::fs::remove_file(out.join("Manifest.db")).unwrap();
    let a = unback()
        .arg("decrypt")
        .arg(sample_encrypted())
        .arg(&out)
        .arg("--skip-existing")
        .env("UNBACK_PASSWORD", SAMPLE_PASSWORD)
        .assert()
        .success();
    assert!(
        stdout(&a).starts_with("1 blobs decrypted (13312 bytes), 15 skipped"),
        "{}",
        stdout(&a)
    );
    assert_eq!(
        extract_hashes(&out, &[], &[]),
        extract_hashes(&sample(), &[], &[])
    );
}

fn small_encrypted(
    dir: &std::path::Path,
    files: Vec<FileSpec>,
    enc: Encryption,
) -> std::path::PathBuf {
    let mut b = BackupBuilder::new("ENC");
    b.encryption = Some(enc);
    for f in files {
        b.add(f);
    }
    b.write(dir).unwrap()
}

#[test]
fn invalid_padding_is_kept_under_a_badpad_name() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    let backup = small_encrypted(
        dir.path(),
        vec![
            FileSpec::file("HomeDomain", "good.txt", b"good".to_vec()),
            FileSpec::file("HomeDomain", "bad.db", vec![0u8; 20])
                .with_blob(BlobSpec::Replace(garbage)),
        ],
        Encryption::new("pw", 10, 10),
    );
    let out = dir.path().join("out");
    let a = unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .env("UNBACK_PASSWORD", "pw")
        .assert()
        .code(5);
    assert!(
        stderr(&a).contains("HomeDomain/bad.db: invalid PKCS#7 padding"),
        "{}",
        stderr(&a)
    );
    assert!(!out.join("HomeDomain/bad.db").exists());
    assert_eq!(
        std::fs::metadata(out.join("HomeDomain/bad.db.badpad"))
            .unwrap()
            .len(),
        32
    );
    assert_eq!(
        std::fs::read(out.join("HomeDomain/good.txt")).unwrap(),
        b"good"
    );
}

#[test]
fn recorded_size_is_checked_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let content = b"SQLite pretend content that grew after the metadata was taken".to_vec();
    let backup = small_encrypted(
        dir.path(),
        vec![FileSpec::file("HomeDomain", "grew.db", content.clone()).with_size_override(16)],
        Encryption::new("pw", 10, 10),
    );
    let out = dir.path().join("out");
    let a = unback()
        .arg("extract")
        .arg(&backup)
        .arg(&out)
        .env("UNBACK_PASSWORD", "pw")
        .assert()
        .success();
    assert!(
        stderr(&a).contains(&format!(
            "recorded size 16 differs from the {} decrypted bytes",
            content.len()
        )),
        "{}",
        stderr(&a)
    );
    assert_eq!(
        std::fs::read(out.join("HomeDomain/grew.db")).unwrap(),
        content
    );
}

#[test]
fn password_in_the_other_unicode_form_unlocks_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // Stored decomposed (as typed on some keyboards), typed composed.
    let backup = small_encrypted(
        dir.path(),
        vec![FileSpec::file("HomeDomain", "x.txt", b"x".to_vec())],
        Encryption::new("cafe\u{301}", 10, 10),
    );
    let a = unback()
        .arg("ls")
        .arg(&backup)
        .env("UNBACK_PASSWORD", "caf\u{e9}")
        .assert()
        .success();
    assert!(stderr(&a).contains("NFD form"), "{}", stderr(&a));
}

#[test]
fn sha1_only_keybag_unlocks() {
    let dir = tempfile::tempdir().unwrap();
    let backup = small_encrypted(
        dir.path(),
        vec![FileSpec::file(
            "HomeDomain",
            "x.txt",
            b"old keybag".to_vec(),
        )],
        Encryption::sha1_only("pw", 50),
    );
    let h = extract_hashes(&backup, &[("UNBACK_PASSWORD", "pw")], &[]);
    assert_eq!(h["HomeDomain/x.txt"], sha256(b"old keybag"));
}

/// The real iOS round counts (10,000,000 PBKDF2-SHA256 then 10,000 PBKDF2-SHA1). Slow in a
/// debug build; run with `cargo test --release --test encrypted -- --ignored`.
#[test]
#[ignore]
fn real_iteration_counts_unlock() {
    let dir = tempfile::tempdir().unwrap();
    let backup = small_encrypted(
        dir.path(),
        vec![FileSpec::file(
            "HomeDomain",
            "x.txt",
            b"real counts".to_vec(),
        )],
        Encryption::new("correct horse", 10_000, 10_000_000),
    );
    unback()
        .args(["password", "check"])
        .arg(&backup)
        .env("UNBACK_PASSWORD", "correct horse")
        .assert()
        .success();
    let h = extract_hashes(&backup, &[("UNBACK_PASSWORD", "correct horse")], &[]);
    assert_eq!(h["HomeDomain/x.txt"], sha256(b"real counts"));
}
