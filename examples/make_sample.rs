//! Writes the committed sample backups: `cargo run --example make_sample -- fixtures`, which
//! makes `fixtures/sample/<udid>/` (plain) and `fixtures/sample-encrypted/<udid>/` (the same
//! content, encrypted with the password `unback-sample` and small key-derivation round counts so
//! tests stay fast; readers take the counts from the keybag).
//!
//! The output is deterministic; running it again (it replaces `<dir>/<udid>/`) must give
//! byte-identical files. Media bytes are the real small files in `fixtures/media/`.

use std::io;
use std::path::PathBuf;

use unback::builder::photos_db::{PhotoAlbum, PhotoAsset, PhotosDbBuilder, PhotosSchema};
use unback::builder::{assetsd_xattrs, uuid_string, BackupBuilder, Encryption, FileSpec};

/// The encrypted sample's password (documented in fixtures/sample/README.md).
const SAMPLE_PASSWORD: &str = "unback-sample";

const UDID: &str = "00008110-001A2B3C4D5E801E";
const CR: &str = "CameraRollDomain";

/// Deterministic asset UUIDs: a fixed prefix and a counter, with version/variant bits set.
fn asset_uuid(n: u8) -> [u8; 16] {
    let mut u = [
        0x5A, 0x1E, 0x00, 0x00, 0x3C, 0x7F, 0x40, 0x00, 0x80, 0x00, 0xA0, 0x0B, 0x1E, 0x5A, 0x00,
        0x00,
    ];
    u[3] = n;
    u[15] = n;
    u
}

/// Inserts an xattr right after `after`, keeping the real on-device key order.
fn insert_after(x: &mut Vec<(String, Vec<u8>)>, after: &str, name: &str, value: Vec<u8>) {
    let full = format!("com.apple.assetsd.{after}");
    let at = x
        .iter()
        .position(|(k, _)| *k == full)
        .map_or(x.len(), |i| i + 1);
    x.insert(at, (name.to_string(), value));
}

fn set(x: &mut [(String, Vec<u8>)], name: &str, value: Vec<u8>) {
    let full = format!("com.apple.assetsd.{name}");
    for (k, v) in x.iter_mut() {
        if *k == full {
            *v = value.clone();
        }
    }
}

/// A DCIM photo shot at `t` (Unix seconds): written `t`, status change 2 s later.
fn dcim(path: &str, data: &[u8], t: i64, xattrs: Vec<(String, Vec<u8>)>) -> FileSpec {
    FileSpec::file(CR, path, data.to_vec())
        .with_times(t, t + 2, t)
        .with_xattrs(xattrs)
}

/// Photos.sqlite for the sample: the six DCIM assets (same UUIDs and flags as their xattrs),
/// one thumbnail-only asset, the album "Zürich" inside the folder "Trips", time zone +02:00.
fn photos_sqlite(t: [i64; 7]) -> Vec<u8> {
    let cocoa = |u: i64| (u - 978_307_200) as f64;
    let u = |n: u8| uuid_string(asset_uuid(n));
    let mut a1 = PhotoAsset::photo(&u(1), "DCIM/100APPLE", "IMG_0001.JPG", cocoa(t[0]));
    a1.favorite = true;
    a1.has_adjustments = true;
    a1.latitude = 47.376887;
    a1.longitude = 8.541694;
    a1.title = Some("Lake view".into());
    let mut a2 = PhotoAsset::photo(&u(2), "DCIM/100APPLE", "IMG_0002.HEIC", cocoa(t[1]));
    a2.kind_subtype = 2;
    a2.playback_style = 3;
    let mut a3 = PhotoAsset::photo(&u(3), "DCIM/100APPLE", "IMG_0003.PNG", cocoa(t[2]));
    a3.kind_subtype = 10;
    let mut a4 = PhotoAsset::video(&u(4), "DCIM/100APPLE", "IMG_0004.MOV", cocoa(t[3]));
    a4.hidden = true;
    a4.duration = Some(1.0);
    let mut a5 = PhotoAsset::photo(&u(5), "DCIM/100APPLE", "IMG_0005.JPG", cocoa(t[4]));
    a5.original_filename = Some("Été à Zürich.jpg".into());
    a5.trashed_state = 1;
    a5.trashed_date = Some(cocoa(1_718_000_000));
    let a6 = PhotoAsset::photo(&u(6), "DCIM/101APPLE", "IMG_0001.JPG", cocoa(t[5]));
    let a7 = PhotoAsset::photo(&u(7), "DCIM/100APPLE", "IMG_0006.HEIC", cocoa(t[6]));
    let mut assets = vec![a1, a2, a3, a4, a5, a6, a7];
    for a in &mut assets {
        a.timezone_offset = Some(7200);
        a.timezone_name = Some("GMT+0200".into());
    }
    let album =
        |n: u8, title: &str, kind: i64, parent: Option<usize>, members: Vec<usize>| PhotoAlbum {
            uuid: u(n),
            title: Some(title.into()),
            kind,
            parent,
            assets: members,
            trashed_state: 0,
            cloud_guid: None,
        };
    let mut db = PhotosDbBuilder::new(PhotosSchema::Ios17_6);
    db.assets = assets;
    db.albums = vec![
        album(100, "Trips", 4000, None, vec![]),
        album(101, "Zürich", 2, Some(0), vec![0, 4, 5]),
    ];
    db.to_bytes().expect("the sample Photos.sqlite")
}

fn main() -> io::Result<()> {
    let out: PathBuf = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("fixtures"), PathBuf::from);

    let mut b = BackupBuilder::new(UDID);
    b.device_name = "Ana's iPhone".to_string();
    b.product_type = "iPhone14,2".to_string();
    b.product_version = "17.5.1".to_string();
    b.build_version = "21F90".to_string();
    b.serial_number = "F4GZX1Q2N7".to_string();
    b.date = 1_718_012_345; // 2024-06-10T09:39:05Z

    // --- Camera roll -------------------------------------------------------------------
    let t1 = 1_716_033_801; // 2024-05-18T12:03:21Z, EXIF 14:03:21+02:00
    b.add(dcim(
        "Media/DCIM/100APPLE/IMG_0001.JPG",
        include_bytes!("../fixtures/media/photo_0001.jpg"),
        t1,
        assetsd_xattrs(asset_uuid(1), "IMG_0001.JPG", t1 as f64, true, false, false),
    ));

    // Live Photo: HEIC carries mediaGroupUUID; its MOV complement has no xattrs (as the real
    // IMG_0011.MOV in the mvt sample).
    let t2 = 1_716_120_000;
    let mut live = assetsd_xattrs(
        asset_uuid(2),
        "IMG_0002.HEIC",
        t2 as f64,
        false,
        false,
        false,
    );
    insert_after(
        &mut live,
        "customCreationDate",
        "com.apple.assetsd.mediaGroupUUID",
        uuid_string(asset_uuid(0x42)).into_bytes(),
    );
    b.add(dcim(
        "Media/DCIM/100APPLE/IMG_0002.HEIC",
        include_bytes!("../fixtures/media/live.heic"),
        t2,
        live,
    ));
    b.add(
        FileSpec::file(
            CR,
            "Media/DCIM/100APPLE/IMG_0002.MOV",
            include_bytes!("../fixtures/media/live.mov").to_vec(),
        )
        .with_times(t2 + 2, t2 + 4, t2 + 2),
    );

    // Screenshot: creatorBundleID springboard, importedBy 8, as the real screenshots.
    let t3 = 1_716_200_000;
    let mut shot = assetsd_xattrs(
        asset_uuid(3),
        "IMG_0003.PNG",
        t3 as f64,
        false,
        false,
        false,
    );
    insert_after(
        &mut shot,
        "trashed",
        "com.apple.assetsd.creatorBundleID",
        b"com.apple.springboard".to_vec(),
    );
    set(&mut shot, "importedBy", vec![8, 0]);
    b.add(dcim(
        "Media/DCIM/100APPLE/IMG_0003.PNG",
        include_bytes!("../fixtures/media/screenshot.png"),
        t3,
        shot,
    ));

    // A video, hidden by the user.
    let t4 = 1_716_300_000;
    b.add(dcim(
        "Media/DCIM/100APPLE/IMG_0004.MOV",
        include_bytes!("../fixtures/media/video.mov"),
        t4,
        assetsd_xattrs(asset_uuid(4), "IMG_0004.MOV", t4 as f64, false, true, false),
    ));

    // Saved from elsewhere: the original (unicode) name lives only in the xattr. Trashed.
    let t5 = 1_712_072_710; // 2024-04-02T15:45:10Z
    b.add(dcim(
        "Media/DCIM/100APPLE/IMG_0005.JPG",
        include_bytes!("../fixtures/media/zurich.jpg"),
        t5,
        assetsd_xattrs(
            asset_uuid(5),
            "Été à Zürich.jpg",
            t5 as f64,
            false,
            false,
            true,
        ),
    ));

    // Same file name as 100APPLE/IMG_0001.JPG in the next DCIM folder.
    let t6 = 1_716_192_900;
    b.add(dcim(
        "Media/DCIM/101APPLE/IMG_0001.JPG",
        include_bytes!("../fixtures/media/photo_0001b.jpg"),
        t6,
        assetsd_xattrs(
            asset_uuid(6),
            "IMG_0001.JPG",
            t6 as f64,
            false,
            false,
            false,
        ),
    ));

    b.add(FileSpec::dir(CR, "Media/DCIM/.MISC/Incoming").with_mode(0o755));
    b.add(FileSpec::dir(CR, "Media/PhotoData/Thumbnails/V2"));

    // Edit of 100APPLE/IMG_0001.JPG.
    let te = 1_716_112_800;
    let adj = "Media/PhotoData/Mutations/DCIM/100APPLE/IMG_0001/Adjustments";
    b.add(
        FileSpec::file(
            CR,
            &format!("{adj}/Adjustments.plist"),
            include_bytes!("../fixtures/media/Adjustments.plist").to_vec(),
        )
        .with_times(te, te, te),
    );
    b.add(
        FileSpec::file(
            CR,
            &format!("{adj}/FullSizeRender.jpg"),
            include_bytes!("../fixtures/media/edited_render.jpg").to_vec(),
        )
        .with_times(te, te, te),
    );

    // An asset whose original was offloaded to iCloud: only its thumbnail remains.
    let t7 = 1_717_000_000;
    b.add(
        FileSpec::file(
            CR,
            "Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0006.HEIC/5005.JPG",
            include_bytes!("../fixtures/media/photo_0001b.jpg").to_vec(),
        )
        .with_times(t7, t7, t7),
    );

    // --- The Photos library (iOS 17.6 schema) describing the camera roll above ----------
    b.add(
        FileSpec::file(
            CR,
            "Media/PhotoData/Photos.sqlite",
            photos_sqlite([t1, t2, t3, t4, t5, t6, t7]),
        )
        .with_times(b.date, b.date, 1_700_000_000),
    );

    // --- Messages ------------------------------------------------------------------------
    let ts = 1_717_243_200;
    b.add(
        FileSpec::file(
            "HomeDomain",
            "Library/SMS/sms.db",
            include_bytes!("../fixtures/media/sms.db").to_vec(),
        )
        .with_times(ts, ts, 1_700_000_000)
        .with_protection_class(4),
    );
    b.add(
        FileSpec::file(
            "MediaDomain",
            "Library/SMS/Attachments/4a/10/A1B2C3D4-E5F6-4711-8899-AABBCCDDEEFF/IMG_5501.jpeg",
            include_bytes!("../fixtures/media/sms_5501.jpeg").to_vec(),
        )
        .with_times(ts, ts, ts),
    );

    // --- Preferences -----------------------------------------------------------------------
    b.add(
        FileSpec::file(
            "HomeDomain",
            "Library/Preferences/com.apple.springboard.plist",
            include_bytes!("../fixtures/media/com.apple.springboard.plist").to_vec(),
        )
        .with_mode(0o600)
        .with_protection_class(4),
    );

    // --- Apps ---------------------------------------------------------------------------------
    let tw = 1_717_500_000;
    b.add(
        FileSpec::file(
            "AppDomainGroup-group.net.whatsapp.WhatsApp.shared",
            "Message/Media/41791234567@s.whatsapp.net/e/3/e3a1c9d2-7b44-4f0e-9a51-0c2d4e6f8a10.jpg",
            include_bytes!("../fixtures/media/whatsapp.jpg").to_vec(),
        )
        .with_times(tw, tw, tw),
    );
    b.add(
        FileSpec::file(
            "AppDomain-com.example.notes",
            "Documents/Résumé/naïve 😀.txt",
            "Ana — notes\nCafé crème à 8h.\n".as_bytes().to_vec(),
        )
        .with_times(tw, tw, tw),
    );
    b.add(FileSpec::symlink(
        "AppDomain-com.example.notes",
        "Library/Caches/current",
        "/var/mobile/Containers/Data/Application/6A0C1F2E-3B4D-4C5E-8F90-A1B2C3D4E5F6/Library/Caches/v2",
    ));
    b.add(FileSpec::dir(
        "AppDomain-com.example.notes",
        "Library/Caches/v2",
    ));

    b.add_parents();

    for (folder, encryption) in [
        ("sample", None),
        (
            "sample-encrypted",
            Some(Encryption::new(SAMPLE_PASSWORD, 1000, 2000)),
        ),
    ] {
        let parent = out.join(folder);
        let dest = parent.join(UDID);
        if dest.exists() {
            std::fs::remove_dir_all(&dest)?;
        }
        b.encryption = encryption;
        let written = b.write(&parent)?;
        println!("{} ({} rows)", written.display(), b.files.len());
    }
    Ok(())
}
