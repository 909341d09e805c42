//! NSKeyedArchiver encoding of `MBFile` records (the `file` column of Manifest.db).
//!
//! Shape copied from the real iOS 14.3 Manifest.db (mvt sample, all 3,721 rows):
//!
//! ```text
//! { $version: 100000, $archiver: "NSKeyedArchiver", $top: { root: UID(1) }, $objects: [
//!     0 "$null",
//!     1 MBFile dict (CF hash order, see below), its "$class" = UID(last),
//!     2 RelativePath string,
//!     . Target string                       (symlinks only)
//!     . Digest data, raw                    (only when set)
//!     . { NS.data: <44 bytes>, $class: UID(next) }, { $classname: NSMutableData,
//!       $classes: [NSMutableData, NSData, NSObject] }   (EncryptionKey, encrypted backups only)
//!     . ExtendedAttributes data, raw (a nested bplist)
//!     n { $classname: MBFile, $classes: [MBFile, NSObject] } ] }
//! ```
//!
//! The MBFile dictionary's key order is not fixed: it is CoreFoundation's hash-table order and
//! depends on which optional keys are present. [`MBFILE_INSERTION_ORDER`] is one insertion order
//! that reproduces all seven key sets seen in the real database through
//! [`super::bplist::cf_dict_order`]; for key sets never observed the order is a prediction.

use super::bplist::{self, Obj};
use super::{FileKind, FileSpec};

/// Integer uniquing classes: `Size` is a different CFNumber type from the other fields (see
/// `bplist` module docs).
const INT: u8 = 0;
const INT_SIZE: u8 = 1;

/// An insertion order consistent with every key order in the real database (several are; the
/// choice only matters for key sets that were not observed, e.g. Digest without EncryptionKey).
const MBFILE_INSERTION_ORDER: [&str; 16] = [
    "RelativePath",
    "GroupID",
    "Target",
    "Flags",
    "LastModified",
    "EncryptionKey",
    "LastStatusChange",
    "Birth",
    "UserID",
    "Mode",
    "Size",
    "Digest",
    "ExtendedAttributes",
    "InodeNumber",
    "ProtectionClass",
    "$class",
];

/// Encode the xattrs as the nested binary plist stored in `ExtendedAttributes`: a dictionary
/// name → raw data, keys in the order given (the real order is not CF hash order).
pub fn xattrs_plist(xattrs: &[(String, Vec<u8>)]) -> Vec<u8> {
    bplist::write(&Obj::Dict(
        xattrs
            .iter()
            .map(|(k, v)| (k.clone(), Obj::Data(v.clone())))
            .collect(),
    ))
}

fn class_dict(names: &[&str]) -> Obj {
    Obj::Dict(vec![
        (
            "$classname".to_string(),
            Obj::Str(names.first().copied().unwrap_or_default().to_string()),
        ),
        (
            "$classes".to_string(),
            Obj::Array(
                names
                    .iter()
                    .map(|n| {
                        // Names too long to be tagged-pointer strings are separate objects
                        // from the equal `$classname` string (see `Obj::DistinctStr`).
                        if n.len() > 9 {
                            Obj::DistinctStr((*n).to_string())
                        } else {
                            Obj::Str((*n).to_string())
                        }
                    })
                    .collect(),
            ),
        ),
    ])
}

/// The NSKeyedArchiver bplist for the `file` column, in the real devices' shape.
pub fn mbfile_archive(spec: &FileSpec) -> Vec<u8> {
    let mut objects: Vec<Obj> = vec![Obj::Str("$null".into()), Obj::Dict(Vec::new())];
    let mut fields: Vec<(&str, Obj)> = Vec::new();
    let push_obj = |objects: &mut Vec<Obj>, o: Obj| -> u32 {
        objects.push(o);
        (objects.len() - 1) as u32
    };
    let rp = push_obj(&mut objects, Obj::Str(spec.relative_path.clone()));
    fields.push(("RelativePath", Obj::Uid(rp)));
    if let FileKind::Symlink(target) = &spec.kind {
        let t = push_obj(&mut objects, Obj::Str(target.clone()));
        fields.push(("Target", Obj::Uid(t)));
    }
    if let Some(d) = &spec.digest {
        let u = push_obj(&mut objects, Obj::Data(d.clone()));
        fields.push(("Digest", Obj::Uid(u)));
    }
    if let Some(k) = &spec.encryption_key {
        let u = objects.len() as u32;
        objects.push(Obj::Dict(vec![
            ("NS.data".into(), Obj::Data(k.clone())),
            ("$class".into(), Obj::Uid(u + 1)),
        ]));
        objects.push(class_dict(&["NSMutableData", "NSData", "NSObject"]));
        fields.push(("EncryptionKey", Obj::Uid(u)));
    }
    if !spec.xattrs.is_empty() {
        let u = push_obj(&mut objects, Obj::Data(xattrs_plist(&spec.xattrs)));
        fields.push(("ExtendedAttributes", Obj::Uid(u)));
    }
    let class = push_obj(&mut objects, class_dict(&["MBFile", "NSObject"]));
    fields.push(("$class", Obj::Uid(class)));

    let int = |v: i64| Obj::Int(v, INT);
    fields.push(("LastModified", int(spec.mtime)));
    fields.push(("LastStatusChange", int(spec.ctime)));
    fields.push(("Birth", int(spec.birth)));
    // uid_t/gid_t are archived as signed 32-bit values: real rows store nobody (4294967294)
    // as the 8-byte integer -2.
    fields.push(("UserID", int(i64::from(spec.uid as i32))));
    fields.push(("GroupID", int(i64::from(spec.gid as i32))));
    fields.push(("Mode", int(i64::from(spec.full_mode()))));
    fields.push(("InodeNumber", int(spec.inode as i64)));
    fields.push(("ProtectionClass", int(i64::from(spec.protection_class))));
    fields.push(("Flags", int(spec.mbfile_flags)));
    fields.push(("Size", Obj::Int(spec.recorded_size() as i64, INT_SIZE)));

    // Insert in the device's (reconstructed) order, then let CF hashing decide the layout.
    fields.sort_by_key(|(k, _)| {
        MBFILE_INSERTION_ORDER
            .iter()
            .position(|n| n == k)
            .unwrap_or(usize::MAX)
    });
    objects[1] = bplist::cf_dict(fields);

    // The top-level dictionary is always in this order in real rows (not CF hash order of a
    // 4-entry table, so the archiver builds it differently; copied as observed).
    let root = Obj::Dict(vec![
        ("$version".into(), Obj::Int(100_000, INT)),
        ("$archiver".into(), Obj::Str("NSKeyedArchiver".into())),
        ("$top".into(), Obj::Dict(vec![("root".into(), Obj::Uid(1))])),
        ("$objects".into(), Obj::Array(objects)),
    ]);
    bplist::write(&root)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL_ORDERS: [&[&str]; 7] = [
        &[
            "LastModified",
            "Flags",
            "GroupID",
            "$class",
            "LastStatusChange",
            "RelativePath",
            "Birth",
            "Size",
            "InodeNumber",
            "Mode",
            "UserID",
            "ProtectionClass",
        ],
        &[
            "LastModified",
            "Flags",
            "GroupID",
            "Target",
            "$class",
            "LastStatusChange",
            "RelativePath",
            "Birth",
            "Size",
            "InodeNumber",
            "Mode",
            "UserID",
            "ProtectionClass",
        ],
        &[
            "LastModified",
            "Flags",
            "GroupID",
            "$class",
            "LastStatusChange",
            "RelativePath",
            "Birth",
            "EncryptionKey",
            "Size",
            "Mode",
            "UserID",
            "InodeNumber",
            "ProtectionClass",
        ],
        &[
            "LastModified",
            "Flags",
            "ExtendedAttributes",
            "GroupID",
            "$class",
            "LastStatusChange",
            "RelativePath",
            "Birth",
            "EncryptionKey",
            "Size",
            "Mode",
            "UserID",
            "InodeNumber",
            "ProtectionClass",
        ],
        &[
            "LastModified",
            "ProtectionClass",
            "Flags",
            "GroupID",
            "$class",
            "LastStatusChange",
            "RelativePath",
            "Birth",
            "EncryptionKey",
            "Size",
            "Mode",
            "UserID",
            "Digest",
            "InodeNumber",
        ],
        &[
            "LastModified",
            "ProtectionClass",
            "Flags",
            "GroupID",
            "ExtendedAttributes",
            "$class",
            "LastStatusChange",
            "RelativePath",
            "Birth",
            "EncryptionKey",
            "Size",
            "Mode",
            "UserID",
            "Digest",
            "InodeNumber",
        ],
        &[
            "LastModified",
            "Flags",
            "ExtendedAttributes",
            "GroupID",
            "$class",
            "LastStatusChange",
            "RelativePath",
            "Birth",
            "Size",
            "InodeNumber",
            "Mode",
            "UserID",
            "ProtectionClass",
        ],
    ];

    #[test]
    fn insertion_order_reproduces_every_real_key_order() {
        for real in REAL_ORDERS {
            let inserted: Vec<&str> = MBFILE_INSERTION_ORDER
                .iter()
                .copied()
                .filter(|k| real.contains(k))
                .collect();
            let got: Vec<&str> = bplist::cf_dict_order(&inserted)
                .into_iter()
                .map(|i| inserted[i])
                .collect();
            assert_eq!(got, real.to_vec());
        }
    }
}
