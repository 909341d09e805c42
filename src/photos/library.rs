//! Building the `PhotoLibrary` from a backup.

use std::collections::{BTreeSet, HashMap};

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::Serialize;

use super::category::{classify, CategorySet};
use super::files::{self, AssetFiles, EntryIndex, CAMERA_ROLL};
use super::people;
use super::revgeo;
use super::schema::{self, Schema};
use super::tz;
use super::xattrs::{self, kind_by_name};
use super::{Album, Asset, Attachment, Camera, MediaKind, Origin};
use crate::backup::Backup;
use crate::manifest::Entry;
use crate::media::{self, SNIFF_LEN};
use crate::source::MAX_DATABASE_BYTES;
use crate::time::Timestamp;

pub const PHOTOS_SQLITE: &str = "Media/PhotoData/Photos.sqlite";

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LibrarySource {
    PhotosDb {
        asset_table: String,
        join_table: Option<String>,
        model_version: Option<i64>,
        wal_frames_applied: usize,
    },
    /// Photos.sqlite missing or unusable: assets from the manifest's xattrs, paths and content.
    Manifest { reason: String },
}

/// Which non-library sources to scan; scanning app containers reads the head of every file in
/// them, so it is done only when asked for.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    pub messages: bool,
    pub whatsapp: bool,
    pub apps: bool,
}

#[derive(Debug, Clone)]
pub struct PhotoLibrary {
    pub assets: Vec<Asset>,
    pub albums: Vec<Album>,
    /// Per asset (same index): the versions present in the backup.
    pub files: Vec<AssetFiles>,
    /// Per asset: its categories.
    pub categories: Vec<CategorySet>,
    pub source: LibrarySource,
    pub notes: Vec<String>,
}

fn int(v: ValueRef<'_>) -> Option<i64> {
    match v {
        ValueRef::Integer(i) => Some(i),
        ValueRef::Real(r) if r.is_finite() => Some(r as i64),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn real(v: ValueRef<'_>) -> Option<f64> {
    match v {
        ValueRef::Integer(i) => Some(i as f64),
        ValueRef::Real(r) => Some(r),
        ValueRef::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: ValueRef<'_>) -> Option<String> {
    match v {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) if b.len() == 16 => Some(xattrs::format_uuid(b)),
        ValueRef::Integer(i) => Some(i.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// One column of the asset query: an expression if the schema has it, else NULL.
struct Select<'s> {
    schema: &'s Schema,
    exprs: Vec<String>,
    names: HashMap<&'static str, usize>,
}

impl<'s> Select<'s> {
    fn col(&mut self, key: &'static str, alias: &str, table: &str, col: &str) {
        let e = if self.schema.has(table, col) {
            format!("{alias}.{col}")
        } else {
            "NULL".to_string()
        };
        self.names.insert(key, self.exprs.len());
        self.exprs.push(e);
    }
}

/// An asset row's primary key and its additional-attributes row's (which keywords hang on).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pks {
    pub asset: i64,
    pub attributes: Option<i64>,
}

fn read_assets(
    conn: &Connection,
    s: &Schema,
    notes: &mut Vec<String>,
) -> Result<(Vec<Asset>, Vec<Pks>), String> {
    let at = s.asset_table.as_str();
    let mut q = Select {
        schema: s,
        exprs: Vec::new(),
        names: HashMap::new(),
    };
    for (k, c) in [
        ("pk", "Z_PK"),
        ("uuid", "ZUUID"),
        ("dir", "ZDIRECTORY"),
        ("file", "ZFILENAME"),
        ("kind", "ZKIND"),
        ("subtype", "ZKINDSUBTYPE"),
        ("playback", "ZPLAYBACKSTYLE"),
        ("created", "ZDATECREATED"),
        ("added", "ZADDEDDATE"),
        ("favorite", "ZFAVORITE"),
        ("hidden", "ZHIDDEN"),
        ("trashed", "ZTRASHEDSTATE"),
        ("trashed_date", "ZTRASHEDDATE"),
        ("adjusted", "ZHASADJUSTMENTS"),
        ("width", "ZWIDTH"),
        ("height", "ZHEIGHT"),
        ("lat", "ZLATITUDE"),
        ("lon", "ZLONGITUDE"),
        ("saved", "ZSAVEDASSETTYPE"),
        ("scope", "ZBUNDLESCOPE"),
        ("burst", "ZAVALANCHEUUID"),
        ("burst_pick", "ZAVALANCHEPICKTYPE"),
        ("screenshot", "ZISDETECTEDSCREENSHOT"),
        ("duration", "ZDURATION"),
    ] {
        q.col(k, "a", at, c);
    }
    let aa = "ZADDITIONALASSETATTRIBUTES";
    for (k, c) in [
        ("orig_name", "ZORIGINALFILENAME"),
        ("tz_offset", "ZTIMEZONEOFFSET"),
        ("tz_name", "ZTIMEZONENAME"),
        ("title", "ZTITLE"),
        ("creator", "ZCREATORBUNDLEID"),
        ("imported_by_bundle", "ZIMPORTEDBYBUNDLEIDENTIFIER"),
        ("aa_pk", "Z_PK"),
        ("revgeo", "ZREVERSELOCATIONDATA"),
    ] {
        q.col(k, "aa", aa, c);
    }
    q.col("caption", "d", "ZASSETDESCRIPTION", "ZLONGDESCRIPTION");
    let ea = "ZEXTENDEDATTRIBUTES";
    q.col("make", "e", ea, "ZCAMERAMAKE");
    q.col("model", "e", ea, "ZCAMERAMODEL");
    // The additional-attributes row: by the asset's pointer when it has one, else by back-reference.
    let join_aa = if s.has(at, "ZADDITIONALATTRIBUTES") && s.has_table(aa) {
        format!(" LEFT JOIN {aa} aa ON aa.Z_PK = a.ZADDITIONALATTRIBUTES")
    } else if s.has(aa, "ZASSET") {
        format!(" LEFT JOIN {aa} aa ON aa.ZASSET = a.Z_PK")
    } else {
        String::new()
    };
    let join_d = if !join_aa.is_empty()
        && s.has(aa, "ZASSETDESCRIPTION")
        && s.has_table("ZASSETDESCRIPTION")
    {
        " LEFT JOIN ZASSETDESCRIPTION d ON d.Z_PK = aa.ZASSETDESCRIPTION"
    } else {
        ""
    };
    // The camera's make and model: by the asset's pointer, else by back-reference, as above.
    let join_e = if s.has(at, "ZEXTENDEDATTRIBUTES") && s.has_table(ea) {
        format!(" LEFT JOIN {ea} e ON e.Z_PK = a.ZEXTENDEDATTRIBUTES")
    } else if s.has(ea, "ZASSET") {
        format!(" LEFT JOIN {ea} e ON e.ZASSET = a.Z_PK")
    } else {
        for k in ["make", "model"] {
            q.exprs[q.names[k]] = "NULL".into();
        }
        String::new()
    };
    if join_aa.is_empty() {
        for k in [
            "orig_name",
            "tz_offset",
            "tz_name",
            "title",
            "creator",
            "imported_by_bundle",
            "aa_pk",
            "revgeo",
        ] {
            q.exprs[q.names[k]] = "NULL".into();
        }
    }
    if join_d.is_empty() {
        q.exprs[q.names["caption"]] = "NULL".into();
    }
    let sql = format!(
        "SELECT {} FROM {at} a{join_aa}{join_d}{join_e} ORDER BY a.Z_PK",
        q.exprs.join(", ")
    );
    let mut st = conn
        .prepare(&sql)
        .map_err(|e| format!("asset query failed ({e})"))?;
    let mut rows = st.query([]).map_err(|e| e.to_string())?;
    let mut assets = Vec::new();
    let mut pks = Vec::new();
    // Column positions resolved once, not hashed per row.
    let c_added = q.names["added"];
    let c_adjusted = q.names["adjusted"];
    let c_burst = q.names["burst"];
    let c_burst_pick = q.names["burst_pick"];
    let c_caption = q.names["caption"];
    let c_created = q.names["created"];
    let c_creator = q.names["creator"];
    let c_dir = q.names["dir"];
    let c_duration = q.names["duration"];
    let c_favorite = q.names["favorite"];
    let c_file = q.names["file"];
    let c_height = q.names["height"];
    let c_hidden = q.names["hidden"];
    let c_imported_by_bundle = q.names["imported_by_bundle"];
    let c_kind = q.names["kind"];
    let c_lat = q.names["lat"];
    let c_lon = q.names["lon"];
    let c_orig_name = q.names["orig_name"];
    let c_pk = q.names["pk"];
    let c_playback = q.names["playback"];
    let c_saved = q.names["saved"];
    let c_scope = q.names["scope"];
    let c_screenshot = q.names["screenshot"];
    let c_subtype = q.names["subtype"];
    let c_title = q.names["title"];
    let c_trashed = q.names["trashed"];
    let c_trashed_date = q.names["trashed_date"];
    let c_tz_name = q.names["tz_name"];
    let c_tz_offset = q.names["tz_offset"];
    let c_uuid = q.names["uuid"];
    let c_width = q.names["width"];
    let c_aa_pk = q.names["aa_pk"];
    let c_revgeo = q.names["revgeo"];
    let c_make = q.names["make"];
    let c_model = q.names["model"];
    let mut damaged_places = 0usize;
    let mut first_damage = None;
    while let Some(r) = rows
        .next()
        .map_err(|e| format!("damaged asset table ({e})"))?
    {
        let g = |i: usize| r.get_ref(i).unwrap_or(ValueRef::Null);
        let (Some(dir), Some(file)) = (text(g(c_dir)), text(g(c_file))) else {
            continue;
        };
        let kind = match int(g(c_kind)) {
            Some(0) => MediaKind::Photo,
            Some(1) => MediaKind::Video,
            _ => kind_by_name(&file),
        };
        let lat = real(g(c_lat)).filter(|v| *v != -180.0 && (-90.0..=90.0).contains(v));
        let lon = real(g(c_lon)).filter(|v| *v != -180.0 && (-180.0..=180.0).contains(v));
        let (lat, lon) = match (lat, lon) {
            (Some(a), Some(b)) if !(a == 0.0 && b == 0.0) => (Some(a), Some(b)),
            _ => (None, None),
        };
        let imported = text(g(c_imported_by_bundle));
        let place = match g(c_revgeo) {
            ValueRef::Blob(b) if !b.is_empty() => match revgeo::decode(b) {
                Ok(p) => p,
                Err(e) => {
                    damaged_places += 1;
                    first_damage.get_or_insert(e);
                    None
                }
            },
            _ => None,
        };
        let camera = Camera {
            make: text(g(c_make)),
            model: text(g(c_model)),
        };
        pks.push(Pks {
            asset: int(g(c_pk)).unwrap_or(-1),
            attributes: int(g(c_aa_pk)),
        });
        assets.push(Asset {
            uuid: text(g(c_uuid)).unwrap_or_default(),
            domain: CAMERA_ROLL.to_string(),
            relative_path: format!("Media/{dir}/{file}"),
            original_filename: text(g(c_orig_name)),
            kind,
            subtype: int(g(c_subtype)),
            playback_style: int(g(c_playback)),
            created: real(g(c_created)).and_then(Timestamp::from_cocoa),
            tz_offset: int(g(c_tz_offset)).and_then(|v| i32::try_from(v).ok()),
            tz_name: text(g(c_tz_name)),
            added: real(g(c_added)).and_then(Timestamp::from_cocoa),
            favorite: int(g(c_favorite)).unwrap_or(0) != 0,
            hidden: int(g(c_hidden)).unwrap_or(0) != 0,
            trashed: int(g(c_trashed)).unwrap_or(0) != 0,
            trashed_date: real(g(c_trashed_date)).and_then(Timestamp::from_cocoa),
            edited: int(g(c_adjusted)).unwrap_or(0) != 0,
            width: int(g(c_width)),
            height: int(g(c_height)),
            latitude: lat,
            longitude: lon,
            saved_asset_type: int(g(c_saved)),
            bundle_scope: int(g(c_scope)),
            burst_uuid: text(g(c_burst)),
            burst_pick: int(g(c_burst_pick)),
            title: text(g(c_title)),
            caption: text(g(c_caption)),
            detected_screenshot: int(g(c_screenshot)).map(|v| v != 0),
            creator_bundle_id: text(g(c_creator)).or(imported),
            duration: real(g(c_duration)),
            albums: Vec::new(),
            keywords: Vec::new(),
            people: Vec::new(),
            unnamed_faces: 0,
            place,
            camera: (camera.make.is_some() || camera.model.is_some()).then_some(camera),
            origin: Origin::PhotosDb,
            attachment: None,
        });
    }
    if let Some(e) = first_damage {
        notes.push(format!(
            "Photos.sqlite: the reverse-geocoded place of {damaged_places} asset(s) is unreadable, listed as null (first: {e})"
        ));
    }
    Ok((assets, pks))
}

/// Albums (user and shared) with their folder paths, and membership from the join table.
///
/// Links go onto the assets only after the album list they index is complete, and only to
/// albums in it: a damaged join table (a read that fails half-way) used to leave links behind
/// while the caller dropped the albums, and the next `albums[i]` panicked. Now such a failure
/// keeps the albums and the links read before it, and says so in `notes`.
fn read_albums(
    conn: &Connection,
    s: &Schema,
    assets: &mut [Asset],
    pks: &[Pks],
    notes: &mut Vec<String>,
) -> Result<Vec<Album>, String> {
    let t = "ZGENERICALBUM";
    if !s.has_table(t) {
        return Ok(Vec::new());
    }
    let c = |col: &str| {
        if s.has(t, col) {
            col.to_string()
        } else {
            "NULL".to_string()
        }
    };
    let sql = format!(
        "SELECT Z_PK, {}, {}, {}, {}, {} FROM {t}",
        c("ZUUID"),
        c("ZTITLE"),
        c("ZKIND"),
        c("ZPARENTFOLDER"),
        c("ZTRASHEDSTATE")
    );
    let mut st = conn
        .prepare(&sql)
        .map_err(|e| format!("album query failed ({e})"))?;
    struct Raw {
        uuid: Option<String>,
        title: Option<String>,
        kind: i64,
        parent: Option<i64>,
        trashed: bool,
    }
    let mut raw: HashMap<i64, Raw> = HashMap::new();
    let mut rows = st.query([]).map_err(|e| e.to_string())?;
    while let Some(r) = rows
        .next()
        .map_err(|e| format!("damaged album table ({e})"))?
    {
        let g = |i: usize| r.get_ref(i).unwrap_or(ValueRef::Null);
        let Some(pk) = int(g(0)) else { continue };
        raw.insert(
            pk,
            Raw {
                uuid: text(g(1)),
                title: text(g(2)),
                kind: int(g(3)).unwrap_or(-1),
                parent: int(g(4)),
                trashed: int(g(5)).unwrap_or(0) != 0,
            },
        );
    }
    // User albums (2) and shared albums (1505); folders (4000) only give paths.
    let mut pk_to_album: HashMap<i64, usize> = HashMap::new();
    let mut albums = Vec::new();
    let mut keys: Vec<&i64> = raw.keys().collect();
    keys.sort();
    for pk in keys {
        let a = &raw[pk];
        if !(a.kind == 2 || a.kind == 1505) || a.trashed {
            continue;
        }
        let title = a.title.clone().unwrap_or_else(|| "Untitled".into());
        let mut path = vec![title.clone()];
        let mut cur = a.parent;
        // Bounded walk: a cycle in ZPARENTFOLDER must not loop.
        for _ in 0..64 {
            let Some(p) = cur.and_then(|p| raw.get(&p)) else {
                break;
            };
            if p.kind == 3999 || p.kind != 4000 {
                break;
            }
            path.insert(0, p.title.clone().unwrap_or_else(|| "Untitled".into()));
            cur = p.parent;
        }
        pk_to_album.insert(*pk, albums.len());
        albums.push(Album {
            uuid: a.uuid.clone(),
            title,
            kind: a.kind,
            path,
            shared: a.kind == 1505,
        });
    }
    if let Some(j) = &s.join {
        let pk_to_asset: HashMap<i64, usize> = pks
            .iter()
            .enumerate()
            .map(|(i, pk)| (pk.asset, i))
            .collect();
        let (links, failure) = read_links(conn, j, &pk_to_album, &pk_to_asset);
        if let Some(e) = failure {
            notes.push(format!(
                "Photos.sqlite album membership incomplete ({} links read before the failure): {e}",
                links.len()
            ));
        }
        for (xi, ai) in links {
            if let Some(a) = assets.get_mut(xi) {
                if ai < albums.len() && !a.albums.contains(&ai) {
                    a.albums.push(ai);
                }
            }
        }
    }
    Ok(albums)
}

/// The join table's (asset index, album index) pairs, and why the read stopped early if it did.
fn read_links(
    conn: &Connection,
    j: &schema::JoinTable,
    pk_to_album: &HashMap<i64, usize>,
    pk_to_asset: &HashMap<i64, usize>,
) -> (Vec<(usize, usize)>, Option<String>) {
    let mut links = Vec::new();
    let sql = format!("SELECT {}, {} FROM {}", j.album_col, j.asset_col, j.table);
    let mut st = match conn.prepare(&sql) {
        Ok(st) => st,
        Err(e) => return (links, Some(format!("album membership query failed ({e})"))),
    };
    let mut rows = match st.query([]) {
        Ok(r) => r,
        Err(e) => return (links, Some(format!("damaged {} ({e})", j.table))),
    };
    loop {
        let r = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => return (links, None),
            Err(e) => return (links, Some(format!("damaged {} ({e})", j.table))),
        };
        let al = r.get_ref(0).ok().and_then(int);
        let as_ = r.get_ref(1).ok().and_then(int);
        if let (Some(al), Some(as_)) = (al, as_) {
            if let (Some(&ai), Some(&xi)) = (pk_to_album.get(&al), pk_to_asset.get(&as_)) {
                links.push((xi, ai));
            }
        }
    }
}

/// What one reading of the library produced: assets, albums, where from, and notes.
type Loaded = (Vec<Asset>, Vec<Album>, LibrarySource, Vec<String>);

/// The assets and albums of an open Photos.sqlite, with the schema they were read by; notes on
/// what was damaged or skipped go to `notes`. Public so that the fuzzer drives exactly the code
/// a hostile library meets.
pub fn read_library(
    conn: &Connection,
    notes: &mut Vec<String>,
) -> Result<(Vec<Asset>, Vec<Album>, Schema), String> {
    let s = schema::discover(conn).map_err(|e| format!("Photos.sqlite: {e}"))?;
    notes.extend(s.notes.iter().cloned());
    let (mut assets, pks) =
        read_assets(conn, &s, notes).map_err(|e| format!("Photos.sqlite: {e}"))?;
    people::read(conn, &s, &mut assets, &pks, notes);
    let albums = match read_albums(conn, &s, &mut assets, &pks, notes) {
        Ok(a) => a,
        Err(e) => {
            notes.push(format!("Photos.sqlite albums unreadable: {e}"));
            Vec::new()
        }
    };
    Ok((assets, albums, s))
}

/// Reads Photos.sqlite (with its -wal applied in memory) into assets and albums.
fn from_photos_db(backup: &Backup, idx: &EntryIndex<'_>) -> Result<Loaded, String> {
    let db_i = idx
        .file(CAMERA_ROLL, PHOTOS_SQLITE)
        .ok_or_else(|| "Photos.sqlite is not in the backup".to_string())?;
    let wal_i = idx.file(CAMERA_ROLL, &format!("{PHOTOS_SQLITE}-wal"));
    let mut frames = 0;
    let mut notes = Vec::new();
    // A plain folder backup's Photos.sqlite with no -wal to apply opens in place, read-only and
    // immutable (as Manifest.db does); anything else is read, decrypted, into memory.
    let in_place = match (backup.is_encrypted(), wal_i) {
        (false, None) => backup
            .blob_name(&idx.entries[db_i])
            .and_then(|n| backup.source().local_file(&n))
            .filter(|p| crate::sqlite::has_magic(p)),
        _ => None,
    };
    let conn = match in_place {
        Some(path) => {
            crate::sqlite::open_file_immutable(&path).map_err(|e| format!("Photos.sqlite: {e}"))?
        }
        None => {
            let mut db = backup
                .read_database(&idx.entries[db_i])
                .map_err(|e| e.to_string())?;
            if let Some(w) = wal_i {
                let wal = backup
                    .read_entry(&idx.entries[w], MAX_DATABASE_BYTES)
                    .map_err(|e| e.to_string())?;
                match crate::sqlite::apply_wal(&mut db, &wal) {
                    Ok(n) => frames = n,
                    Err(e) => notes.push(format!("Photos.sqlite-wal ignored: {e}")),
                }
            }
            crate::sqlite::open_bytes(db, None).map_err(|e| format!("Photos.sqlite: {e}"))?
        }
    };
    let (assets, albums, s) = read_library(&conn, &mut notes)?;
    let source = LibrarySource::PhotosDb {
        asset_table: s.asset_table.clone(),
        join_table: s.join.as_ref().map(|j| j.table.clone()),
        model_version: s.model_version,
        wal_frames_applied: frames,
    };
    Ok((assets, albums, source, notes))
}

impl Backup {
    /// The photo library of this backup, read from `entries` (its `entries()`): Photos.sqlite
    /// when it is usable, else the manifest's xattrs, then the files themselves. Defined here,
    /// beside the reader, so that `backup` knows nothing of photos.
    pub fn photos(&self, entries: &[Entry], opts: LoadOptions) -> PhotoLibrary {
        PhotoLibrary::load(self, &EntryIndex::new(entries), opts)
    }
}

impl PhotoLibrary {
    pub fn load(backup: &Backup, idx: &EntryIndex<'_>, opts: LoadOptions) -> PhotoLibrary {
        let (mut assets, albums, source, mut notes) = match from_photos_db(backup, idx) {
            Ok(v) => v,
            Err(reason) => {
                let a = xattrs::assets_from_manifest(idx);
                (
                    a,
                    Vec::new(),
                    LibrarySource::Manifest {
                        reason: reason.clone(),
                    },
                    vec![format!(
                        "{reason}; classified from the manifest (xattrs, paths, content) instead"
                    )],
                )
            }
        };
        let mut files: Vec<AssetFiles> = assets.iter().map(|a| resolve(idx, a)).collect();

        // Camera-roll originals no library row points at (a stale or partial Photos.sqlite):
        // nothing the backup holds is skipped silently.
        if matches!(source, LibrarySource::PhotosDb { .. }) {
            let claimed: BTreeSet<usize> = files
                .iter()
                .flat_map(|f| [f.original, f.live_video, f.edited, f.edited_video])
                .flatten()
                .collect();
            let mut extra = 0;
            for a in xattrs::assets_from_manifest_except(idx, &claimed) {
                if let Some(i) = idx.file(&a.domain, &a.relative_path) {
                    if !claimed.contains(&i) {
                        files.push(resolve(idx, &a));
                        assets.push(a);
                        extra += 1;
                    }
                }
            }
            if extra > 0 {
                notes.push(format!(
                    "{extra} camera-roll files are not in Photos.sqlite; classified from the manifest"
                ));
            }
        }

        for a in attachments(backup, idx, opts) {
            files.push(AssetFiles {
                original: idx.file(&a.domain, &a.relative_path),
                ..Default::default()
            });
            assets.push(a);
        }

        // The invariant every `lib.albums[i]` relies on, whatever the source of the assets:
        // an asset only names albums the library holds.
        for a in &mut assets {
            a.albums.retain(|&i| i < albums.len());
            // The offset that applies at the capture instant in the asset's zone (`tz`): read
            // as stored, decided here once, for Photos.sqlite and the assetsd xattrs alike.
            a.tz_offset =
                tz::capture_offset(a.created, a.tz_name.as_deref(), a.tz_offset).map(|(o, _)| o);
        }
        let categories = assets
            .iter()
            .zip(&files)
            .map(|(a, f)| {
                let user = a.albums.iter().any(|&i| !albums[i].shared);
                let shared =
                    a.albums.iter().any(|&i| albums[i].shared) || a.bundle_scope == Some(2);
                classify(
                    a,
                    user,
                    shared,
                    f.edited.is_some() || f.edited_video.is_some(),
                )
            })
            .collect();
        PhotoLibrary {
            assets,
            albums,
            files,
            categories,
            source,
            notes,
        }
    }
}

fn resolve(idx: &EntryIndex<'_>, a: &Asset) -> AssetFiles {
    let live = a.subtype == Some(2) || a.playback_style == Some(3) || a.origin != Origin::PhotosDb;
    files::resolve(
        idx,
        &a.domain,
        &a.relative_path,
        a.kind == MediaKind::Photo,
        live,
    )
}

/// Images and videos outside the Photos library: Messages attachments, WhatsApp media, and
/// anything in other app containers, recognised by content.
fn attachments(backup: &Backup, idx: &EntryIndex<'_>, opts: LoadOptions) -> Vec<Asset> {
    if !(opts.messages || opts.whatsapp || opts.apps) {
        return Vec::new();
    }
    use rayon::prelude::*;
    let wanted: Vec<(usize, Attachment)> = idx
        .entries
        .iter()
        .enumerate()
        .filter(|(i, e)| idx.file(&e.domain, &e.relative_path) == Some(*i))
        .filter_map(|(i, e)| {
            let kind = attachment_place(e)?;
            let on = match kind {
                Attachment::Messages => opts.messages,
                Attachment::Whatsapp => opts.whatsapp,
                Attachment::Apps => opts.apps,
            };
            (on && e.size() >= 8).then_some((i, kind))
        })
        .collect();
    let sniffed: Vec<Option<Asset>> = wanted
        .par_iter()
        .map(|&(i, att)| {
            let e = &idx.entries[i];
            let head = read_head(backup, e)?;
            let t = media::sniff(&head)?;
            let name = e.relative_path.rsplit('/').next().unwrap_or("").to_string();
            let mut a = xattrs::asset_from_entry(e, false);
            a.kind = if t.is_video() {
                MediaKind::Video
            } else {
                MediaKind::Photo
            };
            a.subtype = None;
            a.uuid = e.file_id.clone();
            a.original_filename = Some(name);
            a.created = e.meta.mtime.map(Timestamp::from_unix);
            a.origin = Origin::Content;
            a.attachment = Some(att);
            Some(a)
        })
        .collect();
    sniffed.into_iter().flatten().collect()
}

/// Which attachment source a file's place makes it a candidate of (its content decides).
pub fn attachment_place(e: &crate::manifest::Entry) -> Option<Attachment> {
    let d = e.domain.as_str();
    let p = e.relative_path.as_str();
    if d == "MediaDomain" && p.starts_with("Library/SMS/Attachments/") {
        Some(Attachment::Messages)
    } else if d.contains("net.whatsapp.") {
        let media = p.contains("Message/Media/") || p.starts_with("Media/");
        (media && !p.ends_with(".thumb")).then_some(Attachment::Whatsapp)
    } else if d.starts_with("AppDomain") {
        Some(Attachment::Apps)
    } else {
        None
    }
}

fn read_head(backup: &Backup, e: &crate::manifest::Entry) -> Option<Vec<u8>> {
    backup.read_head(e, SNIFF_LEN).ok()
}
