//! Info.plist, Manifest.plist and Status.plist.
//!
//! Manifest.plist and Status.plist are binary plists written by CoreFoundation on real systems,
//! so they go through our CF-style writer with CF hash key order (the order reproduces the real
//! Manifest-10-test123.plist top level, see `bplist` tests). Info.plist is written as XML, as
//! iTunes/Finder and idevicebackup2 do; CF's XML writer sorts keys, so we insert them sorted.

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha1::{Digest, Sha1};

use super::bplist::{self, cf_dict, Obj};
use super::media::{uuid_string, COCOA_EPOCH_OFFSET};
use super::{BackupBuilder, IndexKind};

fn cocoa(unix: i64) -> Obj {
    Obj::Date(unix as f64 - COCOA_EPOCH_OFFSET)
}

fn s(v: &str) -> Obj {
    Obj::Str(v.to_string())
}

/// `keys` is (BackupKeyBag, ManifestKey) for an encrypted backup. A plain backup from this
/// builder has neither (a real one has a device keybag, which cannot be made without its keys).
pub(crate) fn manifest_plist(b: &BackupBuilder, keys: Option<(&[u8], &[u8])>) -> Vec<u8> {
    let lockdown = cf_dict(vec![
        ("com.apple.MobileDeviceCrashCopy", Obj::Dict(Vec::new())),
        ("com.apple.TerminalFlashr", Obj::Dict(Vec::new())),
        ("ProductVersion", s(&b.product_version)),
        ("ProductType", s(&b.product_type)),
        ("BuildVersion", s(&b.build_version)),
        ("UniqueDeviceID", s(&b.udid)),
        ("SerialNumber", s(&b.serial_number)),
        ("DeviceName", s(&b.device_name)),
    ]);
    let mut top = vec![
        ("IsEncrypted", Obj::Bool(keys.is_some())),
        (
            "Version",
            s(if b.index == IndexKind::Mbdb {
                "9.1"
            } else {
                "10.0"
            }),
        ),
        ("Date", cocoa(b.date)),
        ("SystemDomainsVersion", s("24.0")),
        ("WasPasscodeSet", Obj::Bool(b.passcode_set)),
        ("Lockdown", lockdown),
        ("Applications", Obj::Dict(Vec::new())),
    ];
    if let Some((keybag, manifest_key)) = keys {
        top.push(("BackupKeyBag", Obj::Data(keybag.to_vec())));
        if b.index == IndexKind::Db {
            top.push(("ManifestKey", Obj::Data(manifest_key.to_vec())));
        }
    }
    bplist::write(&cf_dict(top))
}

/// Deterministic backup UUID derived from the UDID and date (real ones are random).
pub(crate) fn backup_uuid(b: &BackupBuilder) -> String {
    let h = Sha1::digest(format!("{}-{}", b.udid, b.date).as_bytes());
    let mut u = [0u8; 16];
    u.copy_from_slice(&h[..16]);
    u[6] = (u[6] & 0x0f) | 0x50; // name-based (v5-like) UUID
    u[8] = (u[8] & 0x3f) | 0x80;
    uuid_string(u)
}

pub(crate) fn status_plist(b: &BackupBuilder) -> Vec<u8> {
    bplist::write(&cf_dict(vec![
        ("IsFullBackup", Obj::Bool(true)),
        (
            "Version",
            s(if b.index == IndexKind::Mbdb {
                "2.4"
            } else {
                "3.3"
            }),
        ),
        ("UUID", s(&backup_uuid(b))),
        ("Date", cocoa(b.date)),
        ("SnapshotState", s(&b.snapshot_state)),
        ("BackupState", s("new")),
    ]))
}

fn system_time(unix: i64) -> SystemTime {
    if unix >= 0 {
        UNIX_EPOCH + Duration::from_secs(unix.unsigned_abs())
    } else {
        UNIX_EPOCH
            .checked_sub(Duration::from_secs(unix.unsigned_abs()))
            .unwrap_or(UNIX_EPOCH)
    }
}

pub(crate) fn info_plist(b: &BackupBuilder) -> io::Result<Vec<u8>> {
    use plist::Value;
    let st = |v: &str| Value::String(v.to_string());
    let mut d = plist::Dictionary::new();
    // Sorted, like CoreFoundation's XML output (and the mvt sample).
    d.insert(
        "Applications".into(),
        Value::Dictionary(plist::Dictionary::new()),
    );
    d.insert("Build Version".into(), st(&b.build_version));
    d.insert("Device Name".into(), st(&b.device_name));
    d.insert("Display Name".into(), st(&b.device_name));
    d.insert("GUID".into(), st("5A1E3C7F9B2D4E6F8A0B1C2D3E4F5A6B"));
    d.insert("ICCID".into(), st("89410000000000000000"));
    d.insert("IMEI".into(), st("350000000000000"));
    d.insert("Installed Applications".into(), Value::Array(Vec::new()));
    d.insert(
        "Last Backup Date".into(),
        Value::Date(system_time(b.date).into()),
    );
    d.insert("Product Type".into(), st(&b.product_type));
    d.insert("Product Version".into(), st(&b.product_version));
    d.insert("Serial Number".into(), st(&b.serial_number));
    d.insert("Target Identifier".into(), st(&b.udid));
    d.insert("Target Type".into(), st("Device"));
    d.insert("Unique Identifier".into(), st(&b.udid.to_uppercase()));
    d.insert("iTunes Version".into(), st("12.13.2.3"));
    let mut out = Vec::new();
    Value::Dictionary(d)
        .to_writer_xml(&mut out)
        .map_err(io::Error::other)?;
    out.push(b'\n');
    Ok(out)
}

/// A binary plist of `levels` arrays, each holding the next, the innermost holding the Cocoa
/// date `inner_date` (so a reader that wants a date must look through every level). Written by
/// hand, flat, because a recursive writer would itself overflow the stack at the depths a
/// hostile file reaches.
pub fn nested_bplist(levels: usize, inner_date: f64) -> Vec<u8> {
    // Objects 0..levels are the arrays (object i holds i + 1); object `levels` is the date.
    let count = levels + 1;
    let mut out = b"bplist00".to_vec();
    let mut offsets = Vec::with_capacity(count);
    for i in 0..levels {
        offsets.push(out.len());
        out.push(0xA1);
        out.extend_from_slice(&u32::try_from(i + 1).unwrap_or(u32::MAX).to_be_bytes());
    }
    offsets.push(out.len());
    out.push(0x33);
    out.extend_from_slice(&inner_date.to_be_bytes());
    let table = out.len();
    for o in offsets {
        out.extend_from_slice(&u32::try_from(o).unwrap_or(u32::MAX).to_be_bytes());
    }
    out.extend_from_slice(&[0; 6]);
    out.extend_from_slice(&[4, 4]);
    out.extend_from_slice(&(count as u64).to_be_bytes());
    out.extend_from_slice(&0u64.to_be_bytes());
    out.extend_from_slice(&(table as u64).to_be_bytes());
    out
}

/// An XML plist whose top dictionary holds `levels` nested arrays under the key `Deep`.
pub fn nested_xml_plist(levels: usize) -> Vec<u8> {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n<key>Deep</key>\n",
    );
    out.push_str(&"<array>".repeat(levels));
    out.push_str(&"</array>".repeat(levels));
    out.push_str("\n</dict>\n</plist>\n");
    out.into_bytes()
}
