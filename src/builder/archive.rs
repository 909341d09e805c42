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

/// `ZADDITIONALASSETATTRIBUTES.ZREVERSELOCATIONDATA`: an NSKeyedArchiver archive of a
/// `PLRevGeoLocationInfo`, shaped as the macOS 15.4.1 library of `RhetTbull/osxphotos`'s tests
/// stores it: the root holds `postalAddress` (a `CNPostalAddress` with `_street`, `_city`,
/// `_state`, `_postalCode`, `_country`, `_ISOCountryCode`, `_subLocality`,
/// `_subAdministrativeArea`, `_formattedAddress` = `$null`), `countryCode`, `addressString`,
/// `isHome`, `version` 13 and a `mapItem` (`PLRevGeoMapItem` with its three place-info lists,
/// left empty here).
pub fn revgeo_archive(p: &super::photos_db::PhotoPlace) -> Vec<u8> {
    let mut objects: Vec<Obj> = vec![Obj::Str("$null".into()), Obj::Dict(Vec::new())];
    let push = |objects: &mut Vec<Obj>, o: Obj| -> u32 {
        objects.push(o);
        (objects.len() - 1) as u32
    };
    let string = |objects: &mut Vec<Obj>, s: &Option<String>| -> Obj {
        match s {
            Some(s) => Obj::Uid(push(objects, Obj::Str(s.clone()))),
            None => Obj::Uid(0),
        }
    };
    // The map item and its (empty) place lists.
    let list_class = (objects.len() + 4) as u32;
    let map_item = push(&mut objects, Obj::Dict(Vec::new()));
    let mut lists = Vec::new();
    for _ in 0..3 {
        lists.push(push(
            &mut objects,
            Obj::Dict(vec![
                ("NS.objects".into(), Obj::Array(Vec::new())),
                ("$class".into(), Obj::Uid(list_class)),
            ]),
        ));
    }
    push(
        &mut objects,
        class_dict(&["NSMutableArray", "NSArray", "NSObject"]),
    );
    let map_class = push(&mut objects, class_dict(&["PLRevGeoMapItem", "NSObject"]));
    objects[map_item as usize] = Obj::Dict(vec![
        ("$class".into(), Obj::Uid(map_class)),
        ("finalPlaceInfos".into(), Obj::Uid(lists[0])),
        ("sortedPlaceInfos".into(), Obj::Uid(lists[1])),
        ("backupPlaceInfos".into(), Obj::Uid(lists[2])),
    ]);
    let country_code = string(&mut objects, &p.country_code);
    let address = push(&mut objects, Obj::Dict(Vec::new()));
    let fields = vec![
        ("_state".to_string(), string(&mut objects, &p.state)),
        ("_formattedAddress".to_string(), Obj::Uid(0)),
        ("_city".to_string(), string(&mut objects, &p.city)),
        ("_street".to_string(), string(&mut objects, &p.street)),
        (
            "_postalCode".to_string(),
            string(&mut objects, &p.postal_code),
        ),
        ("_country".to_string(), string(&mut objects, &p.country)),
        ("_subAdministrativeArea".to_string(), Obj::Uid(0)),
        ("_subLocality".to_string(), Obj::Uid(0)),
        ("_ISOCountryCode".to_string(), country_code.clone()),
    ];
    let address_class = push(&mut objects, class_dict(&["CNPostalAddress", "NSObject"]));
    let mut fields = fields;
    fields.insert(1, ("$class".to_string(), Obj::Uid(address_class)));
    objects[address as usize] = Obj::Dict(fields);
    let line: Vec<&str> = [&p.street, &p.city, &p.postal_code, &p.country]
        .into_iter()
        .filter_map(|s| s.as_deref())
        .collect();
    let address_string = string(&mut objects, &Some(line.join(", ")));
    let info_class = push(
        &mut objects,
        class_dict(&["PLRevGeoLocationInfo", "NSObject"]),
    );
    objects[1] = Obj::Dict(vec![
        ("isHome".into(), Obj::Bool(false)),
        ("$class".into(), Obj::Uid(info_class)),
        ("postalAddress".into(), Obj::Uid(address)),
        ("compoundSecondaryNames".into(), Obj::Uid(0)),
        ("countryCode".into(), country_code),
        ("addressString".into(), address_string),
        ("version".into(), Obj::Int(13, INT)),
        ("compoundNames".into(), Obj::Uid(0)),
        ("mapItem".into(), Obj::Uid(map_item)),
    ]);
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
