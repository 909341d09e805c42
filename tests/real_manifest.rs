//! The real iOS 14.3 Manifest.db from mvt's test artefacts (MVT License 1.1, kept in
//! `../shared/realdata/mvt-project_mvt/`, provenance in its README), read completely: exact
//! counts and exact records.

mod common;

use std::collections::BTreeSet;

use unback::manifest::{db, file_id};
use unback::{EntryKind, Error};

const MVT_DB: &str = "mvt-project_mvt/tests/artifacts/ios_backup/Manifest.db";

fn entries() -> Option<Vec<unback::Entry>> {
    let bytes = common::read_realdata(MVT_DB)?;
    // The real file is in WAL mode (header bytes 18/19 = 2): the in-memory open must cope.
    assert_eq!(&bytes[18..20], &[2, 2]);
    let conn = unback::sqlite::open_bytes(bytes, None).unwrap();
    Some(db::read_entries(&conn).unwrap())
}

#[test]
fn every_row_is_read_and_decoded() {
    let Some(e) = entries() else { return };
    assert_eq!(e.len(), 3721);
    assert!(e.iter().all(|e| e.problem.is_none()), "undecodable rows");
    let count = |k| e.iter().filter(|e| e.kind() == k).count();
    assert_eq!(count(EntryKind::File), 1089);
    assert_eq!(count(EntryKind::Dir), 2618);
    assert_eq!(count(EntryKind::Symlink), 14);
    let domains: BTreeSet<&str> = e.iter().map(|e| e.domain.as_str()).collect();
    assert_eq!(domains.len(), 562);
    assert_eq!(
        e.iter()
            .filter(|e| e.domain == "CameraRollDomain" && e.kind() == EntryKind::File)
            .count(),
        147
    );
    // Every stored fileID is the SHA-1 of domain-relativePath, and the record's own RelativePath
    // agrees with the column.
    let conn = unback::sqlite::open_bytes(common::read_realdata(MVT_DB).unwrap(), None).unwrap();
    let mut st = conn
        .prepare("SELECT relativePath, file FROM Files")
        .unwrap();
    let mut rows = st.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let path: String = r.get(0).unwrap();
        let rec: Vec<u8> = r.get(1).unwrap();
        let m = unback::manifest::mbfile::decode(&rec).unwrap();
        assert_eq!(m.relative_path.as_deref(), Some(path.as_str()));
    }
    for x in &e {
        assert_eq!(x.file_id, file_id(&x.domain, &x.relative_path));
    }
    // The type bits of Mode agree with flags on every row.
    for x in &e {
        let t = x.meta.mode.unwrap() & 0o170000;
        let want = match x.kind() {
            EntryKind::File => 0o100000,
            EntryKind::Dir => 0o040000,
            EntryKind::Symlink => 0o120000,
            EntryKind::Other => unreachable!(),
        };
        assert_eq!(t, want, "{}", x.display());
    }
    // Every regular file of this (decrypted-from-encrypted) backup carries an EncryptionKey whose
    // little-endian class prefix equals its ProtectionClass.
    for x in e.iter().filter(|x| x.kind() == EntryKind::File) {
        let k = x.meta.encryption_key.as_ref().unwrap();
        assert_eq!(k.len(), 44);
        assert_eq!(
            u32::from_le_bytes([k[0], k[1], k[2], k[3]]),
            x.meta.protection_class.unwrap()
        );
    }
    let xattr_files = e.iter().filter(|x| !x.meta.xattrs.is_empty()).count();
    assert!(xattr_files >= 62, "{xattr_files}");
    let digests = e.iter().filter(|x| x.meta.digest.is_some()).count();
    assert_eq!(digests, 477);
}

#[test]
fn live_photo_heic_record() {
    let Some(e) = entries() else { return };
    let h = e
        .iter()
        .find(|x| x.relative_path == "Media/DCIM/100APPLE/IMG_0011.HEIC")
        .unwrap();
    assert_eq!(h.file_id, "03a87665954e6b1d4dd9cac84b67ba429c86124b");
    assert_eq!(h.domain, "CameraRollDomain");
    let m = &h.meta;
    assert_eq!(m.size, Some(739403));
    assert_eq!(m.mode, Some(33188));
    assert_eq!((m.uid, m.gid), (Some(501), Some(501)));
    assert_eq!(m.mtime, Some(1610913847));
    assert_eq!(m.ctime, Some(1610913987));
    assert_eq!(m.birth, Some(1610913847));
    assert_eq!(m.inode, Some(232210));
    assert_eq!(m.protection_class, Some(3));
    assert_eq!(m.flags, Some(0));
    assert_eq!(
        hex::encode(m.encryption_key.as_ref().unwrap()),
        "030000007f0aeba6cb07953872c1f563e6e94b49c1504fac338149d17ad0ef7b15ff4cd49da6e7d6551be652"
    );
    let x = &m.xattrs;
    assert_eq!(
        hex::encode(&x["com.apple.assetsd.UUID"]),
        "1b4dee7a7231469e9df277c97c37d6d5"
    );
    assert_eq!(x["com.apple.assetsd.originalFilename"], b"IMG_0011.HEIC");
    assert_eq!(x["com.apple.assetsd.timeZoneName"], b"GMT+0100");
    assert_eq!(
        x["com.apple.assetsd.timeZoneOffset"],
        vec![0x10, 0x0e, 0, 0]
    );
    assert_eq!(x["com.apple.assetsd.trashed"], vec![0, 0]);
    assert_eq!(
        x["com.apple.assetsd.mediaGroupUUID"],
        b"D4F15BF7-E83C-4C5D-A556-089E1F0D569A"
    );
    assert_eq!(x.len(), 19);
}

#[test]
fn sms_db_and_symlink_records() {
    let Some(e) = entries() else { return };
    let s = e
        .iter()
        .find(|x| x.relative_path == "Library/SMS/sms.db" && x.domain == "HomeDomain")
        .unwrap();
    assert_eq!(s.file_id, "3d0d7e5fb2ce288813306e4d4636395e047a3d28");
    assert_eq!(s.meta.size, Some(278528));
    assert_eq!(s.meta.protection_class, Some(4));
    assert_eq!(
        hex::encode(s.meta.digest.as_ref().unwrap()),
        "999681dd3eee8fe87844fba89c268ba7a7ba502e"
    );
    let l = e
        .iter()
        .find(|x| x.domain == "DatabaseDomain" && x.relative_path == "timezone/localtime")
        .unwrap();
    assert_eq!(l.kind(), EntryKind::Symlink);
    assert_eq!(
        l.meta.target.as_deref(),
        Some("/var/db/timezone/zoneinfo/Europe/London")
    );
    assert_eq!(l.meta.mode, Some(41453));
    assert_eq!(l.meta.size, Some(0));
}

#[test]
fn truncated_database_is_a_clear_error() {
    let Some(bytes) = common::read_realdata(MVT_DB) else {
        return;
    };
    let cut = bytes[..8192].to_vec();
    let r = unback::sqlite::open_bytes(cut, None).and_then(|c| db::read_entries(&c));
    let err = r.unwrap_err();
    assert!(
        err.contains("damaged") || err.contains("malformed"),
        "{err}"
    );
    let _ = Error::Other(err);
}
