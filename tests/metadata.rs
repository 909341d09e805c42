//! The metadata people search by (issue 15) on builder libraries of every Photos.sqlite
//! generation, iOS 13 (`ZGENERICASSET`, `ZDETECTEDFACE.ZPERSON`) to iOS 18 (`ZASSET`,
//! `ZPERSONFORFACE`): title, caption, keywords, named people and unnamed faces, location,
//! reverse-geocoded place and camera in `photos ls`, the filters that search them, the XMP
//! sidecar as exiftool reads it back, and damaged or hostile place archives.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use serde_json::{json, Value};
use unback::builder::photos_db::{
    PhotoAsset, PhotoFace, PhotoPlace, PhotosDbBuilder, PhotosSchema,
};
use unback::builder::{BackupBuilder, FileSpec};

const CR: &str = "CameraRollDomain";
const COCOA: i64 = 978_307_200;
const T0: i64 = 1_716_033_801;

fn uuid(n: u8) -> String {
    format!("0000{n:04X}-AAAA-4BBB-8CCC-{n:012X}")
}

fn zurich() -> PhotoPlace {
    PhotoPlace {
        street: Some("Bahnhofstrasse 1".into()),
        city: Some("Zürich".into()),
        state: Some("ZH".into()),
        postal_code: Some("8001".into()),
        country: Some("Switzerland".into()),
        country_code: Some("CH".into()),
    }
}

fn rows() -> Vec<PhotoAsset> {
    let dir = "DCIM/100APPLE";
    let mut a = PhotoAsset::photo(&uuid(1), dir, "IMG_0001.JPG", (T0 - COCOA) as f64);
    a.title = Some("Wedding party".into());
    a.caption = Some("Anna & Ben".into());
    a.keywords = vec!["Zürich trip".into(), "Wedding".into()];
    a.faces = vec![
        PhotoFace::Named("Ben".into()),
        PhotoFace::Named("Anna Müller".into()),
        PhotoFace::Unnamed,
        PhotoFace::NoPerson,
    ];
    a.latitude = 47.376887;
    a.longitude = 8.541694;
    a.place = Some(zurich());
    a.camera_make = Some("Apple".into());
    a.camera_model = Some("iPhone 15 Pro".into());

    let mut b = PhotoAsset::photo(&uuid(2), dir, "IMG_0002.JPG", (T0 + 60 - COCOA) as f64);
    b.keywords = vec!["Wedding".into()];
    // Two faces of one person: the name once.
    b.faces = vec![
        PhotoFace::Named("Anna Müller".into()),
        PhotoFace::Named("Anna Müller".into()),
    ];

    let mut c = PhotoAsset::photo(&uuid(3), dir, "IMG_0003.JPG", (T0 + 120 - COCOA) as f64);
    c.latitude = 48.8584;
    c.longitude = 2.2945;
    c.place = Some(PhotoPlace {
        city: Some("Paris".into()),
        country: Some("France".into()),
        country_code: Some("FR".into()),
        ..PhotoPlace::default()
    });

    // A place archive that will be damaged after the build.
    let mut d = PhotoAsset::photo(&uuid(4), dir, "IMG_0004.JPG", (T0 + 180 - COCOA) as f64);
    d.place = Some(zurich());
    vec![a, b, c, d]
}

/// A library of `schema`; `patch` runs SQL on the finished database (to damage it).
fn build(dir: &Path, schema: PhotosSchema, patch: &[(&str, Vec<u8>)]) -> PathBuf {
    let mut db = PhotosDbBuilder::new(schema);
    db.assets = rows();
    let mut bytes = db.to_bytes().unwrap();
    if !patch.is_empty() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("Photos.sqlite");
        std::fs::write(&p, &bytes).unwrap();
        let c = rusqlite::Connection::open(&p).unwrap();
        for (sql, blob) in patch {
            c.execute(sql, [blob]).unwrap();
        }
        c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .unwrap();
        drop(c);
        bytes = std::fs::read(&p).unwrap();
    }
    let mut b = BackupBuilder::new("METADATA");
    for (i, r) in db.assets.iter().enumerate() {
        let jpg = std::fs::read(root().join("fixtures/media/photo_0001.jpg")).unwrap();
        let mut data = jpg;
        data.extend_from_slice(format!("\0unback-test:{i}").as_bytes());
        b.add(FileSpec::file(
            CR,
            &format!("Media/{}/{}", r.directory, r.filename),
            data,
        ));
    }
    b.add(FileSpec::file(CR, "Media/PhotoData/Photos.sqlite", bytes));
    b.add_parents();
    b.write(dir).unwrap()
}

fn ls(backup: &Path, args: &[&str]) -> (Vec<Value>, String) {
    let a = unback()
        .args(["photos", "ls"])
        .arg(backup)
        .arg("--json")
        .args(args)
        .assert()
        .success();
    (serde_json::from_str(&stdout(&a)).unwrap(), stderr(&a))
}

fn uuids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|r| r["uuid"].as_str().unwrap().to_string())
        .collect()
}

fn meta(r: &Value) -> Value {
    let keys = [
        "title",
        "caption",
        "keywords",
        "people",
        "unnamed_faces",
        "latitude",
        "longitude",
        "place",
        "camera",
    ];
    Value::Object(
        keys.iter()
            .map(|k| (k.to_string(), r[*k].clone()))
            .collect(),
    )
}

fn place_json(p: &PhotoPlace) -> Value {
    json!({
        "street": p.street, "city": p.city, "state": p.state,
        "postal_code": p.postal_code, "country": p.country, "country_code": p.country_code,
    })
}

#[test]
fn every_generation_lists_the_metadata() {
    for schema in PhotosSchema::ALL {
        let dir = tempfile::tempdir().unwrap();
        let b = build(dir.path(), schema, &[]);
        let (v, _) = ls(&b, &[]);
        assert_eq!(v.len(), 4, "{schema:?}");
        assert_eq!(
            meta(&v[0]),
            json!({
                "title": "Wedding party", "caption": "Anna & Ben",
                "keywords": ["Wedding", "Zürich trip"], "people": ["Anna Müller", "Ben"],
                "unnamed_faces": 2, "latitude": 47.376887, "longitude": 8.541694,
                "place": place_json(&zurich()),
                "camera": {"make": "Apple", "model": "iPhone 15 Pro"},
            }),
            "{schema:?}"
        );
        assert_eq!(
            meta(&v[1]),
            json!({
                "title": null, "caption": null, "keywords": ["Wedding"],
                "people": ["Anna Müller"], "unnamed_faces": 0,
                // -180/-180 is the library's "no location".
                "latitude": null, "longitude": null, "place": null, "camera": null,
            }),
            "{schema:?}"
        );
        assert_eq!(
            v[2]["place"],
            json!({"street": null, "city": "Paris", "state": null, "postal_code": null,
                   "country": "France", "country_code": "FR"}),
            "{schema:?}"
        );
        assert_eq!(v[3]["place"], place_json(&zurich()));
    }
}

#[test]
fn filters_search_people_keywords_and_places() {
    for schema in [PhotosSchema::Ios13, PhotosSchema::Ios18] {
        let dir = tempfile::tempdir().unwrap();
        let b = build(dir.path(), schema, &[]);
        let cases: &[(&[&str], &[u8])] = &[
            // Case and Unicode form do not matter: "Mu\u{308}ller" is NFD.
            (&["--person", "anna mu\u{308}ller"], &[1, 2]),
            (&["--person", "Ben"], &[1]),
            (&["--person", "Nobody", "--person", "BEN"], &[1]),
            (&["--person", "Anna"], &[]),
            (&["--keyword", "wedding"], &[1, 2]),
            (
                &["--keyword", "Zürich trip", "--person", "Anna Müller"],
                &[1],
            ),
            (&["--place", "zürich"], &[1, 4]),
            (&["--place", "fr"], &[3]),
            (&["--place", "8001"], &[1, 4]),
            (&["--place", "Paris", "--place", "ZH"], &[1, 3, 4]),
            (&["--search", "party"], &[1]),
            (&["--search", "img_0003"], &[3]),
            (&["--search", "anna"], &[1, 2]),
            (&["--search", "anna", "--search", "zürich"], &[1]),
            (&["--search", "france"], &[3]),
            (&["--search", "iphone"], &[]),
        ];
        for (args, want) in cases {
            let (v, _) = ls(&b, args);
            let want: Vec<String> = want.iter().map(|&n| uuid(n)).collect();
            assert_eq!(uuids(&v), want, "{schema:?} {args:?}");
        }
        // The same filters choose what an export writes.
        let out = tempfile::tempdir().unwrap();
        let a = unback()
            .args(["photos", "export"])
            .arg(&b)
            .arg(out.path())
            .args(["--person", "ben", "--layout", "flat"])
            .assert()
            .success();
        assert!(
            stdout(&a).starts_with("1 assets selected"),
            "{}",
            stdout(&a)
        );
        // An empty value is a usage error, not "match everything".
        unback()
            .args(["photos", "ls"])
            .arg(&b)
            .args(["--search", " "])
            .assert()
            .code(2);
    }
}

#[test]
fn csv_spreads_place_and_camera_over_columns() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(dir.path(), PhotosSchema::Ios18, &[]);
    let a = unback()
        .args(["photos", "ls"])
        .arg(&b)
        .arg("--csv")
        .assert()
        .success();
    let text = stdout(&a);
    let header = text.lines().next().unwrap();
    assert!(header.ends_with(",title,caption,keywords,people,unnamed_faces,latitude,longitude,place_street,place_city,place_state,place_postal_code,place_country,place_country_code,camera_make,camera_model"), "{header}");
    let first = text.lines().nth(1).unwrap();
    assert!(
        first.ends_with(",Wedding party,Anna & Ben,Wedding;Zürich trip,Anna Müller;Ben,2,47.376887,8.541694,Bahnhofstrasse 1,Zürich,ZH,8001,Switzerland,CH,Apple,iPhone 15 Pro"),
        "{first}"
    );
}

#[test]
fn xmp_sidecars_are_read_back_by_exiftool() {
    let exiftool = which("exiftool");
    let Some(exiftool) = exiftool else {
        cannot_run("exiftool is not installed (Debian: libimage-exiftool-perl)");
        return;
    };
    for schema in [PhotosSchema::Ios13, PhotosSchema::Ios18] {
        let dir = tempfile::tempdir().unwrap();
        let b = build(dir.path(), schema, &[]);
        let out = tempfile::tempdir().unwrap();
        unback()
            .args(["photos", "export"])
            .arg(&b)
            .arg(out.path())
            .args(["--layout", "flat", "--sidecar", "xmp"])
            .assert()
            .success();
        let x = std::process::Command::new(&exiftool)
            .args(["-j", "-struct", "-XMP:all"])
            .arg(out.path().join("IMG_0001.JPG.xmp"))
            .arg(out.path().join("IMG_0002.JPG.xmp"))
            .output()
            .unwrap();
        assert!(x.status.success(), "{}", String::from_utf8_lossy(&x.stderr));
        let v: Vec<Value> = serde_json::from_slice(&x.stdout).unwrap();
        let r = &v[0];
        assert_eq!(r["Title"], "Wedding party", "{r}");
        assert_eq!(r["Description"], "Anna & Ben");
        assert_eq!(r["Subject"], json!(["Wedding", "Zürich trip"]));
        assert_eq!(r["PersonInImage"], json!(["Anna Müller", "Ben"]));
        assert_eq!(r["City"], "Zürich");
        assert_eq!(r["State"], "ZH");
        assert_eq!(r["Country"], "Switzerland");
        assert_eq!(r["CountryCode"], "CH");
        assert_eq!(v[1]["Subject"], json!(["Wedding"]));
        assert_eq!(v[1]["PersonInImage"], json!(["Anna Müller"]));
        assert!(v[1].get("City").is_none());
    }
}

#[test]
fn json_sidecar_and_journal_carry_the_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let b = build(dir.path(), PhotosSchema::Ios13, &[]);
    let out = tempfile::tempdir().unwrap();
    unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(out.path())
        .args(["--layout", "flat", "--sidecar", "json"])
        .assert()
        .success();
    let (v, _) = ls(&b, &[]);
    let side: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("IMG_0001.JPG.json")).unwrap())
            .unwrap();
    assert_eq!(meta(&side), meta(&v[0]));
    let j: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("unback-export.json")).unwrap())
            .unwrap();
    let rec = j["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["asset_uuid"] == uuid(1))
        .unwrap();
    assert_eq!(meta(rec), meta(&v[0]));
    // A resumed export reads the journal back.
    unback()
        .args(["photos", "export"])
        .arg(&b)
        .arg(out.path())
        .args(["--layout", "flat", "--sidecar", "json", "--skip-existing"])
        .assert()
        .success();
}

/// A keyed archive whose root is a chain of UIDs that loops.
fn cyclic_archive() -> Vec<u8> {
    use plist::{Dictionary, Uid, Value as P};
    let mut top = Dictionary::new();
    top.insert("root".into(), P::Uid(Uid::new(1)));
    let mut d = Dictionary::new();
    d.insert("$archiver".into(), P::String("NSKeyedArchiver".into()));
    d.insert("$version".into(), P::Integer(100_000.into()));
    d.insert("$top".into(), P::Dictionary(top));
    d.insert(
        "$objects".into(),
        P::Array(vec![
            P::String("$null".into()),
            P::Uid(Uid::new(2)),
            P::Uid(Uid::new(1)),
        ]),
    );
    let mut out = Vec::new();
    P::Dictionary(d).to_writer_binary(&mut out).unwrap();
    out
}

/// A postal address whose fields point to each other instead of to strings.
fn self_referencing_address() -> Vec<u8> {
    use plist::{Dictionary, Uid, Value as P};
    let mut top = Dictionary::new();
    top.insert("root".into(), P::Uid(Uid::new(1)));
    let mut root = Dictionary::new();
    root.insert("postalAddress".into(), P::Uid(Uid::new(2)));
    root.insert("countryCode".into(), P::Uid(Uid::new(1)));
    let mut addr = Dictionary::new();
    addr.insert("_city".into(), P::Uid(Uid::new(2)));
    addr.insert("_country".into(), P::Uid(Uid::new(99)));
    let mut d = Dictionary::new();
    d.insert("$archiver".into(), P::String("NSKeyedArchiver".into()));
    d.insert("$top".into(), P::Dictionary(top));
    d.insert(
        "$objects".into(),
        P::Array(vec![
            P::String("$null".into()),
            P::Dictionary(root),
            P::Dictionary(addr),
        ]),
    );
    let mut out = Vec::new();
    P::Dictionary(d).to_writer_binary(&mut out).unwrap();
    out
}

#[test]
fn damaged_and_hostile_place_archives_are_null_with_a_note() {
    let sql = |n: u8| {
        format!("UPDATE ZADDITIONALASSETATTRIBUTES SET ZREVERSELOCATIONDATA = ?1 WHERE Z_PK = {n}")
    };
    for schema in [PhotosSchema::Ios13, PhotosSchema::Ios18] {
        let (s1, s3, s4) = (sql(1), sql(3), sql(4));
        let mut truncated = unback::builder::revgeo_archive(&zurich());
        truncated.truncate(truncated.len() / 2);
        let dir = tempfile::tempdir().unwrap();
        let b = build(
            dir.path(),
            schema,
            &[
                (s1.as_str(), truncated),
                (s3.as_str(), cyclic_archive()),
                (s4.as_str(), self_referencing_address()),
            ],
        );
        let (v, err) = ls(&b, &[]);
        assert_eq!(v.len(), 4);
        for r in [&v[0], &v[2]] {
            assert_eq!(r["place"], Value::Null, "{schema:?} {r}");
        }
        // The address that points at itself has no strings to give: nothing, not a loop.
        assert_eq!(v[3]["place"], Value::Null, "{schema:?}");
        // Everything else about the asset is intact.
        assert_eq!(v[0]["people"], json!(["Anna Müller", "Ben"]));
        // Truncated, cyclic, and a UID past $objects in the address.
        assert!(
            err.contains("the reverse-geocoded place of 3 asset(s) is unreadable"),
            "{err}"
        );
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}
