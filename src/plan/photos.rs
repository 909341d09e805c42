//! From a library and the user's choices to a list of files to write: which assets, which of
//! their versions, and under which names. Pure: no I/O, so every naming rule is unit-tested.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use crate::manifest::{Entry, EntryKind};
use crate::photos::category::Category;
use crate::photos::files::{extension, stem, Role};
use crate::photos::library::PhotoLibrary;
use crate::photos::{Asset, Attachment};
use crate::safepath::safe_component;
use crate::time::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layout {
    Flat,
    #[default]
    Date,
    Album,
    Category,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NamePolicy {
    /// ZORIGINALFILENAME (the name before import), else the device name.
    #[default]
    Original,
    /// The name on the device (IMG_1234.HEIC).
    Device,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Edits {
    Original,
    Edited,
    #[default]
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Live {
    #[default]
    Both,
    Still,
    Video,
}

/// A date bound: a calendar day compared with the local capture day, or an exact instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateBound {
    Day(String),
    Instant(Timestamp),
}

impl DateBound {
    /// `YYYY-MM-DD`, or RFC 3339 (`2024-05-18T12:00:00Z`, `…+02:00`).
    pub fn parse(s: &str) -> Result<DateBound, String> {
        let bad = || format!("invalid date {s:?}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z|+HH:MM]");
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
            let t = s.get(r).ok_or_else(bad)?;
            if t.bytes().all(|c| c.is_ascii_digit()) {
                t.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(bad());
        }
        if b.len() == 10 {
            return Ok(DateBound::Day(s.to_string()));
        }
        if b.len() < 19 || b[10] != b'T' && b[10] != b' ' || b[13] != b':' || b[16] != b':' {
            return Err(bad());
        }
        let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let zone = &s[19..];
        let offset = match zone {
            "" | "Z" | "z" => 0,
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
                let h: i64 = z[1..3].parse().map_err(|_| bad())?;
                let mi: i64 = z[4..6].parse().map_err(|_| bad())?;
                let o = h * 3600 + mi * 60;
                if z.starts_with('-') {
                    -o
                } else {
                    o
                }
            }
            _ => return Err(bad()),
        };
        let days = days_from_civil(y, m as u32, d as u32);
        Ok(DateBound::Instant(Timestamp::from_unix(
            days * 86_400 + hh * 3600 + mm * 60 + ss - offset,
        )))
    }
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub categories: Vec<Category>,
    pub albums: Vec<String>,
    pub since: Option<DateBound>,
    pub until: Option<DateBound>,
    pub include_hidden: bool,
    pub include_deleted: bool,
}

/// What to do with HEIC/HEIF stills (`--convert`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Convert {
    /// Originals byte for byte.
    #[default]
    None,
    /// A JPEG in place of each HEIC still.
    Jpeg,
    /// The original and a JPEG beside it.
    Both,
}

#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub filter: Filter,
    pub layout: Layout,
    pub names: NamePolicy,
    pub edits: Edits,
    pub live: Live,
    pub convert: Convert,
}

/// A job that writes a JPEG made from its HEIC entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToJpeg {
    /// Where the original goes if it does not decode (`--convert jpeg`: the name the HEIC
    /// would have had, kept free for it); `None` with `--convert both`, where it is written anyway.
    pub fallback: Option<PathBuf>,
}

/// How one planned name is used: a copy, a conversion, or a name only held for a fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Use {
    Copy,
    Jpeg(Option<String>),
    Reserved,
}

fn is_heif_name(ext: &str) -> bool {
    ext.eq_ignore_ascii_case("heic") || ext.eq_ignore_ascii_case("heif")
}

/// `.JPG` for an upper-case source extension (`IMG_0001.HEIC` → `IMG_0001.JPG`), else `.jpg`.
fn jpeg_name(heic_name: &str) -> String {
    let ext = extension(heic_name).unwrap_or("");
    let jpg = if ext.chars().any(|c| c.is_ascii_lowercase()) {
        "jpg"
    } else {
        "JPG"
    };
    format!("{}.{jpg}", stem(heic_name))
}

#[derive(Debug, Clone)]
pub struct PhotoJob {
    pub asset: usize,
    pub role: Role,
    /// Index into the manifest entries.
    pub entry: usize,
    /// Relative to the output folder.
    pub dest: PathBuf,
    pub mtime: Option<Timestamp>,
    /// Written as a JPEG converted from the entry's HEIC.
    pub convert: Option<ToJpeg>,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub selected: Vec<usize>,
    pub jobs: Vec<PhotoJob>,
    /// Selected assets of which the backup holds no version at all.
    pub missing: Vec<usize>,
}

/// Names the export writes at the top of the output folder; no asset may take them.
pub const RESERVED: &[&str] = &["unback-export.json", "unback-export.csv"];

fn album_matches(lib: &PhotoLibrary, a: &Asset, wanted: &[String]) -> bool {
    a.albums.iter().any(|&i| {
        let al = &lib.albums[i];
        let p = al.path_string().to_lowercase();
        wanted.iter().any(|w| {
            let w = w.trim_matches('/').to_lowercase();
            p == w || p.starts_with(&format!("{w}/")) || al.title.to_lowercase() == w
        })
    })
}

fn date_ok(a: &Asset, f: &Filter) -> bool {
    if f.since.is_none() && f.until.is_none() {
        return true;
    }
    let Some(t) = a.created else { return false };
    let day = t.rfc3339_with_offset(a.tz_offset.unwrap_or(0))[..10].to_string();
    let after = match &f.since {
        None => true,
        Some(DateBound::Day(d)) => day.as_str() >= d.as_str(),
        Some(DateBound::Instant(i)) => t >= *i,
    };
    let before = match &f.until {
        None => true,
        Some(DateBound::Day(d)) => day.as_str() <= d.as_str(),
        Some(DateBound::Instant(i)) => t <= *i,
    };
    after && before
}

/// Why a filter passes over an asset that its album and date filters would keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeldBack {
    RecentlyDeleted,
    Hidden,
    /// Default selection only: an attachment, not a library asset.
    Attachment,
    /// Default selection only: the asset is only in shared albums.
    SharedAlbum,
    /// Categories were asked for and this asset is in none of them.
    NotAsked,
}

/// The one place that decides which assets the categories and the hidden/deleted options take,
/// shared by `select` and by `left_out`'s account of what the default left behind.
fn held_back(
    lib: &PhotoLibrary,
    i: usize,
    f: &Filter,
    want: crate::photos::CategorySet,
) -> Option<HeldBack> {
    let a = &lib.assets[i];
    let c = lib.categories[i];
    let hidden_ok = f.include_hidden || want.contains(Category::Hidden);
    let deleted_ok = f.include_deleted || want.contains(Category::RecentlyDeleted);
    if a.trashed && !deleted_ok {
        Some(HeldBack::RecentlyDeleted)
    } else if a.hidden && !hidden_ok {
        Some(HeldBack::Hidden)
    } else if !want.is_empty() {
        (!c.intersects(want)).then_some(HeldBack::NotAsked)
    } else if a.attachment.is_some() {
        Some(HeldBack::Attachment)
    } else if c.contains(Category::SharedAlbums) {
        Some(HeldBack::SharedAlbum)
    } else {
        None
    }
}

fn albums_and_dates_ok(lib: &PhotoLibrary, a: &Asset, f: &Filter) -> bool {
    (f.albums.is_empty() || album_matches(lib, a, &f.albums)) && date_ok(a, f)
}

/// The assets a filter picks. With no category: the camera roll as the Photos app shows it —
/// library assets that are neither hidden, nor recently deleted, nor only in shared albums.
pub fn select(lib: &PhotoLibrary, f: &Filter) -> Vec<usize> {
    let want: crate::photos::CategorySet = f.categories.iter().copied().collect();
    (0..lib.assets.len())
        .filter(|&i| {
            held_back(lib, i, f, want).is_none() && albums_and_dates_ok(lib, &lib.assets[i], f)
        })
        .collect()
}

/// The assets named by UUID (`photos export --uuid`, the page's selection): exactly those, in
/// the library's order, whatever their categories, since the user picked each one. A UUID the
/// library does not hold is an error naming it, so a typo never exports less than asked for.
pub fn by_uuid(lib: &PhotoLibrary, uuids: &[String]) -> Result<Vec<usize>, String> {
    let want: HashSet<&str> = uuids.iter().map(|u| u.trim()).collect();
    let chosen: Vec<usize> = (0..lib.assets.len())
        .filter(|&i| want.contains(lib.assets[i].uuid.as_str()))
        .collect();
    let found: HashSet<&str> = chosen
        .iter()
        .map(|&i| lib.assets[i].uuid.as_str())
        .collect();
    let mut unknown: Vec<&str> = want.difference(&found).copied().collect();
    if !unknown.is_empty() {
        unknown.sort_unstable();
        return Err(format!(
            "no asset with UUID {} in this backup's library",
            unknown.join(", ")
        ));
    }
    Ok(chosen)
}

/// What the default selection (no `--category`) leaves out although the backup holds it, so a
/// summary can say so: nothing is skipped silently.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Assets, each counted once, under the first of: recently deleted, hidden, only in shared
    /// albums.
    pub recently_deleted: usize,
    pub hidden: usize,
    pub shared_albums: usize,
    /// Files where Messages and WhatsApp keep attachments; not read unless asked for, so these
    /// are files, not yet recognised images and videos.
    pub messages_files: usize,
    pub whatsapp_files: usize,
}

impl LeftOut {
    pub fn is_empty(&self) -> bool {
        *self == LeftOut::default()
    }
}

/// `None` when categories were asked for: then the user chose, and nothing was left out.
pub fn left_out(lib: &PhotoLibrary, entries: &[Entry], f: &Filter) -> Option<LeftOut> {
    if !f.categories.is_empty() {
        return None;
    }
    let mut out = LeftOut::default();
    let none = crate::photos::CategorySet::default();
    for (i, a) in lib.assets.iter().enumerate() {
        if !albums_and_dates_ok(lib, a, f) {
            continue;
        }
        match held_back(lib, i, f, none) {
            Some(HeldBack::RecentlyDeleted) => out.recently_deleted += 1,
            Some(HeldBack::Hidden) => out.hidden += 1,
            Some(HeldBack::SharedAlbum) => out.shared_albums += 1,
            _ => {}
        }
    }
    if f.albums.is_empty() && f.since.is_none() && f.until.is_none() {
        for e in entries.iter().filter(|e| e.kind() == EntryKind::File) {
            match crate::photos::library::attachment_place(e) {
                Some(Attachment::Messages) => out.messages_files += 1,
                Some(Attachment::Whatsapp) => out.whatsapp_files += 1,
                _ => {}
            }
        }
    }
    Some(out)
}

fn safe_name(raw: &str) -> Option<String> {
    let flat = raw.replace(['/', '\\'], "_");
    safe_component(&flat, raw).ok().filter(|s| !s.is_empty())
}

/// (stem, extension) of the name an asset's files share.
fn base_name(a: &Asset, original_entry: Option<&Entry>, names: NamePolicy) -> (String, String) {
    let device = a.device_name();
    let device_ext = original_entry
        .and_then(|e| extension(&e.relative_path).map(str::to_string))
        .or_else(|| extension(device).map(str::to_string))
        .unwrap_or_default();
    let chosen = match names {
        NamePolicy::Original => a
            .original_filename
            .as_deref()
            .and_then(safe_name)
            .unwrap_or_else(|| safe_name(device).unwrap_or_else(|| a.uuid.clone())),
        NamePolicy::Device => safe_name(device).unwrap_or_else(|| a.uuid.clone()),
    };
    let st = stem(&chosen).to_string();
    // Keep the chosen name's own extension when it names the same type; otherwise the stored
    // file's extension, so the name never lies about the content.
    let ext = match extension(&chosen) {
        Some(e) if e.eq_ignore_ascii_case(&device_ext) || device_ext.is_empty() => e.to_string(),
        _ => device_ext,
    };
    (st, ext)
}

fn folder_for(lib: &PhotoLibrary, i: usize, layout: Layout) -> Vec<PathBuf> {
    let a = &lib.assets[i];
    let c = lib.categories[i];
    let special = if a.trashed {
        Some("Recently Deleted")
    } else if a.hidden {
        Some("Hidden")
    } else {
        None
    };
    let date_dir = || match a.created {
        Some(t) => {
            let (y, m) = t.year_month(a.tz_offset.unwrap_or(0));
            PathBuf::from(format!("{y:04}")).join(format!("{m:02}"))
        }
        None => PathBuf::from("Undated"),
    };
    let with_special = |p: PathBuf| match special {
        Some(s) => PathBuf::from(s).join(p),
        None => p,
    };
    match layout {
        Layout::Flat => vec![PathBuf::new()],
        Layout::Date => vec![with_special(date_dir())],
        Layout::Category => vec![PathBuf::from(c.primary().name())],
        Layout::Album => {
            if a.albums.is_empty() {
                return vec![with_special(PathBuf::from("Not in an album"))];
            }
            a.albums
                .iter()
                .map(|&al| {
                    let mut p = PathBuf::new();
                    for part in &lib.albums[al].path {
                        p.push(safe_name(part).unwrap_or_else(|| "_".into()));
                    }
                    with_special(p)
                })
                .collect()
        }
    }
}

/// Builds the plan: selection, versions, names (unique per folder, case-insensitively, since
/// macOS and Windows file systems ignore case), and modification times.
pub fn plan(lib: &PhotoLibrary, entries: &[Entry], opts: &PlanOptions) -> Plan {
    plan_selected(lib, entries, select(lib, &opts.filter), opts)
}

/// The same for assets chosen by the caller (recovery picks its own); `opts.filter` is ignored.
pub fn plan_selected(
    lib: &PhotoLibrary,
    entries: &[Entry],
    mut selected: Vec<usize>,
    opts: &PlanOptions,
) -> Plan {
    // A stable order makes names deterministic: capture date, then path, then UUID.
    selected.sort_by(|&x, &y| {
        let (a, b) = (&lib.assets[x], &lib.assets[y]);
        (a.created, &a.relative_path, &a.uuid).cmp(&(b.created, &b.relative_path, &b.uuid))
    });
    let mut used: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    used.entry(PathBuf::new())
        .or_default()
        .extend(RESERVED.iter().map(|s| s.to_string()));
    let mut next: HashMap<String, u64> = HashMap::new();
    let mut jobs = Vec::new();
    let mut missing = Vec::new();
    for &i in &selected {
        let a = &lib.assets[i];
        let f = &lib.files[i];
        let mut versions = f.versions();
        if versions.is_empty() {
            missing.push(i);
            continue;
        }
        let has_edit = f.edited.is_some() || f.edited_video.is_some();
        versions.retain(|(role, _)| match (opts.edits, role) {
            (Edits::Original, Role::Edited | Role::EditedLiveVideo) => false,
            (Edits::Edited, Role::Original) => f.edited.is_none(),
            (Edits::Edited, Role::LiveVideo) => f.edited_video.is_none(),
            _ => true,
        });
        let is_live_pair = f.live_video.is_some() || f.edited_video.is_some();
        versions.retain(|(role, _)| match (opts.live, role) {
            (Live::Still, Role::LiveVideo | Role::EditedLiveVideo) => false,
            (Live::Video, Role::Original | Role::Edited | Role::Preview) => !is_live_pair,
            _ => true,
        });
        let (st, ext) = base_name(a, f.original.map(|o| &entries[o]), opts.names);
        let both = opts.edits == Edits::Both && has_edit;
        let names = |stem: &str| -> Vec<(Role, usize, String, Use)> {
            versions
                .iter()
                .flat_map(|&(role, e)| {
                    let own = extension(&entries[e].relative_path)
                        .unwrap_or("")
                        .to_string();
                    let name = match role {
                        Role::Original => format!("{stem}.{ext}"),
                        Role::LiveVideo => format!("{stem}.{own}"),
                        Role::Edited | Role::EditedLiveVideo if both => {
                            format!("{stem} (edited).{own}")
                        }
                        Role::Edited | Role::EditedLiveVideo => format!("{stem}.{own}"),
                        Role::Preview => format!("{stem} (preview).{own}"),
                    };
                    let name = name.trim_end_matches('.').to_string();
                    // Stills only: a Live Photo's video and a preview JPEG stay as they are.
                    let still = matches!(role, Role::Original | Role::Edited);
                    let heif = still && extension(&name).is_some_and(is_heif_name);
                    match (opts.convert, heif) {
                        (Convert::Jpeg, true) => vec![
                            (role, e, jpeg_name(&name), Use::Jpeg(Some(name.clone()))),
                            (role, e, name, Use::Reserved),
                        ],
                        (Convert::Both, true) => vec![
                            (role, e, name.clone(), Use::Copy),
                            (role, e, jpeg_name(&name), Use::Jpeg(None)),
                        ],
                        _ => vec![(role, e, name, Use::Copy)],
                    }
                })
                .collect()
        };
        for folder in folder_for(lib, i, opts.layout) {
            let taken = used.entry(folder.clone()).or_default();
            // Two versions of one asset may want one name (a "Live Photo" whose own file is
            // the video would pair with itself): keep the first, so numbering can end.
            let distinct = |mut cand: Vec<(Role, usize, String, Use)>| {
                let mut mine = HashSet::new();
                cand.retain(|(_, _, nm, _)| mine.insert(nm.to_lowercase()));
                cand
            };
            let clash = |cand: &[(Role, usize, String, Use)]| {
                cand.iter()
                    .any(|(_, _, nm, _)| taken.contains(&nm.to_lowercase()))
            };
            let first = distinct(names(&st));
            let chosen = if !clash(&first) {
                first
            } else {
                // Numbering resumes where the last asset with the same names stopped: every
                // lower number is taken for them, so this is the smallest free one, found in
                // O(1) per asset instead of a scan from 1 (20,000 `IMG_0001`s in one folder).
                let key = first.iter().fold(
                    folder.to_string_lossy().to_lowercase(),
                    |k, (_, _, nm, _)| k + "\0" + &nm.to_lowercase(),
                );
                let n = next.entry(key).or_insert(1);
                loop {
                    let cand = distinct(names(&format!("{st} ({n})")));
                    *n += 1;
                    if !clash(&cand) {
                        break cand;
                    }
                }
            };
            for (role, e, name, usage) in chosen {
                taken.insert(name.to_lowercase());
                let convert = match usage {
                    Use::Reserved => continue,
                    Use::Copy => None,
                    Use::Jpeg(fallback) => Some(ToJpeg {
                        fallback: fallback.map(|f| folder.join(f)),
                    }),
                };
                jobs.push(PhotoJob {
                    convert,
                    asset: i,
                    role,
                    entry: e,
                    dest: folder.join(name),
                    mtime: a
                        .created
                        .or_else(|| entries[e].meta.mtime.map(Timestamp::from_unix)),
                });
            }
        }
    }
    Plan {
        selected,
        jobs,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            DateBound::parse("2024-05-18").unwrap(),
            DateBound::Day("2024-05-18".into())
        );
        assert_eq!(
            DateBound::parse("2024-05-18T12:03:21Z").unwrap(),
            DateBound::Instant(Timestamp::from_unix(1716033801))
        );
        assert_eq!(
            DateBound::parse("2024-05-18T14:03:21+02:00").unwrap(),
            DateBound::Instant(Timestamp::from_unix(1716033801))
        );
        for bad in [
            "2024-13-01",
            "18/05/2024",
            "2024-05-18T12",
            "2024-05-18Tab:cd:efZ",
            "",
        ] {
            assert!(DateBound::parse(bad).is_err(), "{bad}");
        }
    }
}
