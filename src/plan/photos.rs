//! From a library and the user's choices to a list of files to write: which assets, which of
//! their versions, and under which names. Pure: no I/O, so every naming rule is unit-tested.

use std::collections::HashSet;
use std::path::PathBuf;

use crate::manifest::{Entry, EntryKind};
use crate::photos::category::Category;
use crate::photos::files::{extension, stem, Role};
use crate::photos::library::PhotoLibrary;
use crate::photos::{Asset, Attachment};
use crate::plan::template::{Context, Template};
use crate::plan::update::Earlier;
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
    /// `YYYY-MM-DD`, or RFC 3339 (`2024-05-18T12:00:00Z`, `…+02:00`; no offset means UTC).
    ///
    /// Validated as RFC 3339 defines the fields, so a mistyped bound is an error rather than a
    /// silently shifted filter: a day that exists in its month (Gregorian leap years), hours
    /// 00–23, minutes 00–59, seconds 00–59 or a leap second `:60` (taken as `:59`, since the
    /// clock has no such instant), and an offset inside RFC 3339's grammar, hours 00–23 and
    /// minutes 00–59 (real zones span −12:00 to +14:00; `+25:00` and `+99:99` are refused).
    /// Fields are read from the bytes, never by slicing the `str`, so a multi-byte character
    /// where a digit belongs (`+0é00`) is an error, not a panic.
    pub fn parse(s: &str) -> Result<DateBound, String> {
        let bad = |why: String| {
            format!("invalid date {s:?}: {why}; use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[Z|+HH:MM]")
        };
        let b = s.as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = b.get(r)?;
            t.iter()
                .all(u8::is_ascii_digit)
                .then(|| t.iter().fold(0i64, |n, &c| n * 10 + i64::from(c - b'0')))
        };
        let at = |i: usize| b.get(i).copied();
        let not_a_date = || bad("not a date".into());
        if b.len() < 10 || at(4) != Some(b'-') || at(7) != Some(b'-') {
            return Err(not_a_date());
        }
        let y = num(0..4).ok_or_else(not_a_date)?;
        let m = num(5..7).ok_or_else(not_a_date)?;
        let d = num(8..10).ok_or_else(not_a_date)?;
        if !(1..=12).contains(&m) {
            return Err(bad(format!("there is no month {m:02}")));
        }
        let month_days = days_in_month(y, m);
        if !(1..=month_days).contains(&d) {
            return Err(bad(format!(
                "{y:04}-{m:02} has {month_days} days, not {d:02}"
            )));
        }
        if b.len() == 10 {
            return Ok(DateBound::Day(s.to_string()));
        }
        let not_a_time = || bad("not a date and time".into());
        if b.len() < 19
            || !matches!(at(10), Some(b'T' | b't' | b' '))
            || at(13) != Some(b':')
            || at(16) != Some(b':')
        {
            return Err(not_a_time());
        }
        let hh = num(11..13).ok_or_else(not_a_time)?;
        let mm = num(14..16).ok_or_else(not_a_time)?;
        let ss = num(17..19).ok_or_else(not_a_time)?;
        if hh > 23 || mm > 59 || ss > 60 {
            return Err(bad(format!(
                "{hh:02}:{mm:02}:{ss:02} is not a time of day (hours 00-23, minutes and seconds 00-59)"
            )));
        }
        let ss = ss.min(59);
        let offset = match b.get(19..).unwrap_or_default() {
            b"" | b"Z" | b"z" => 0,
            [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
                let not_an_offset = || bad("the offset is not +HH:MM or -HH:MM".into());
                let oh = num(20..22).ok_or_else(not_an_offset)?;
                let om = num(23..25).ok_or_else(not_an_offset)?;
                if oh > 23 || om > 59 {
                    return Err(bad(format!(
                        "offset {oh:02}:{om:02} is out of range (hours 00-23, minutes 00-59)"
                    )));
                }
                let o = oh * 3600 + om * 60;
                if *sign == b'-' {
                    -o
                } else {
                    o
                }
            }
            _ => return Err(bad("the offset is not Z, +HH:MM or -HH:MM".into())),
        };
        let days = days_from_civil(y, m as u32, d as u32);
        Ok(DateBound::Instant(Timestamp::from_unix(
            days * 86_400 + hh * 3600 + mm * 60 + ss - offset,
        )))
    }
}

/// Days in month `m` (1–12) of year `y`, leap years by the Gregorian rule.
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
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
    /// `--all`: every asset and media file the backup holds, whatever its category (hidden,
    /// recently deleted, burst frames, shared albums, iCloud, Messages, WhatsApp, other apps).
    /// Album, date and metadata filters still narrow it.
    pub all: bool,
    /// `--person`: a named person in the photo (alternatives).
    pub people: Vec<String>,
    /// `--keyword`: a keyword of the photo (alternatives).
    pub keywords: Vec<String>,
    /// `--place`: text found in any part of the place (alternatives).
    pub places: Vec<String>,
    /// `--search`: text found in the name, title, caption, keywords, people or place; several
    /// must all be found (each narrows, as words typed into a search box do).
    pub search: Vec<String>,
}

impl Filter {
    /// Whether a metadata filter (person, keyword, place, search) was given.
    pub fn has_metadata(&self) -> bool {
        !(self.people.is_empty()
            && self.keywords.is_empty()
            && self.places.is_empty()
            && self.search.is_empty())
    }
}

/// Text as the metadata filters compare it: Unicode NFC, then lower case. Names typed on one
/// system and stored on another differ in normal form (macOS libraries hold NFD, a Linux
/// terminal types NFC) and in case; neither difference should hide a photo.
fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect::<String>().to_lowercase()
}

/// The metadata filters against one asset: each given option must match, and any of its
/// values does (except `--search`, where every value must be found).
fn metadata_ok(a: &Asset, f: &Filter) -> bool {
    if !f.has_metadata() {
        return true;
    }
    let eq_any = |wanted: &[String], have: &[String]| {
        wanted.is_empty()
            || have
                .iter()
                .map(|h| fold(h))
                .any(|h| wanted.iter().any(|w| fold(w.trim()) == h))
    };
    if !eq_any(&f.people, &a.people) || !eq_any(&f.keywords, &a.keywords) {
        return false;
    }
    let place: Vec<String> = a
        .place
        .as_ref()
        .map(|p| p.parts().map(fold).collect())
        .unwrap_or_default();
    if !f.places.is_empty()
        && !f
            .places
            .iter()
            .any(|w| place.iter().any(|p| p.contains(&fold(w.trim()))))
    {
        return false;
    }
    if f.search.is_empty() {
        return true;
    }
    let mut hay: Vec<String> = place;
    hay.extend(
        [
            a.original_filename.as_deref(),
            Some(a.device_name()),
            a.title.as_deref(),
            a.caption.as_deref(),
        ]
        .into_iter()
        .flatten()
        .chain(a.keywords.iter().map(String::as_str))
        .chain(a.people.iter().map(String::as_str))
        .map(fold),
    );
    f.search.iter().all(|w| {
        let w = fold(w.trim());
        hay.iter().any(|h| h.contains(&w))
    })
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
    /// `--update`: the names an earlier export into the same folder gave its files.
    pub earlier: Option<std::sync::Arc<Earlier>>,
    /// `--folder-template`: folders from the asset's fields, in place of `layout`.
    pub folder_template: Option<Template>,
    /// `--name-template`: the file name's stem from the asset's fields, in place of `names`.
    pub name_template: Option<Template>,
    /// What templates take from the backup rather than the library.
    pub context: Context,
    pub album_copies: AlbumCopies,
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
    /// A hard link to the file of this earlier job (same content) rather than a copy.
    pub copy_of: Option<usize>,
}

/// An asset in two albums, with the album layout: written twice, or written once and linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlbumCopies {
    #[default]
    Copy,
    Link,
}

#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub selected: Vec<usize>,
    pub jobs: Vec<PhotoJob>,
    /// Selected assets of which the backup holds no version at all.
    pub missing: Vec<usize>,
}

/// Names the export writes at the top of the output folder; no asset may take them.
pub const RESERVED: &[&str] = &[
    "unback-export.json",
    "unback-export.csv",
    "unback-export.idx",
];

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
    // ASCII by construction, but `get` keeps the rule of no byte-index cut of a `str`.
    let local = t.rfc3339_with_offset(a.tz_offset.unwrap_or(0));
    let day = local.get(..10).unwrap_or(&local).to_string();
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
    /// A burst frame Photos keeps inside the stack (neither the key photo nor picked).
    BurstFrame,
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
    if f.all {
        return None;
    }
    let a = &lib.assets[i];
    let c = lib.categories[i];
    let hidden_ok = f.include_hidden || want.contains(Category::Hidden);
    let deleted_ok = f.include_deleted || want.contains(Category::RecentlyDeleted);
    // As hidden and deleted assets: asking for the category is asking for every frame.
    let bursts_ok = want.contains(Category::Bursts);
    if a.trashed && !deleted_ok {
        Some(HeldBack::RecentlyDeleted)
    } else if a.hidden && !hidden_ok {
        Some(HeldBack::Hidden)
    } else if a.burst_frame_out_of_view() && !bursts_ok {
        Some(HeldBack::BurstFrame)
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
    (f.albums.is_empty() || album_matches(lib, a, &f.albums)) && date_ok(a, f) && metadata_ok(a, f)
}

/// The assets a filter picks. With no category: the camera roll as the Photos app shows it —
/// library assets that are neither hidden, nor recently deleted, nor only in shared albums,
/// nor burst frames Photos keeps inside their stack. With `all`: every asset.
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
    /// Assets, each counted once, under the first of: recently deleted, hidden, burst frames
    /// out of view, only in shared albums.
    pub recently_deleted: usize,
    pub hidden: usize,
    pub burst_frames: usize,
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

/// `None` when categories were asked for: then the user chose, and nothing was left out; and
/// with `--all`, which leaves nothing out.
pub fn left_out(lib: &PhotoLibrary, entries: &[Entry], f: &Filter) -> Option<LeftOut> {
    if !f.categories.is_empty() || f.all {
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
            Some(HeldBack::BurstFrame) => out.burst_frames += 1,
            Some(HeldBack::SharedAlbum) => out.shared_albums += 1,
            _ => {}
        }
    }
    // Attachments have no album, date or metadata to match, so they count as left out only
    // when no such filter was given.
    if f.albums.is_empty() && f.since.is_none() && f.until.is_none() && !f.has_metadata() {
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

/// Where the assets of a selection come from, each counted once: what the default selection
/// takes (the camera roll as Photos shows it), then under the first reason the default passes
/// over it, in the order of `LeftOut`. The parts add up to the selection, so an `--all` summary
/// shows how the whole backup divides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdown {
    pub camera_roll: usize,
    pub recently_deleted: usize,
    pub hidden: usize,
    pub burst_frames: usize,
    pub shared_albums: usize,
    pub messages: usize,
    pub whatsapp: usize,
    pub apps: usize,
}

impl Breakdown {
    pub fn total(&self) -> usize {
        self.camera_roll
            + self.recently_deleted
            + self.hidden
            + self.burst_frames
            + self.shared_albums
            + self.messages
            + self.whatsapp
            + self.apps
    }
}

pub fn breakdown(lib: &PhotoLibrary, selected: &[usize]) -> Breakdown {
    let mut b = Breakdown::default();
    let default = Filter::default();
    let none = crate::photos::CategorySet::default();
    for &i in selected {
        match held_back(lib, i, &default, none) {
            None => b.camera_roll += 1,
            Some(HeldBack::RecentlyDeleted) => b.recently_deleted += 1,
            Some(HeldBack::Hidden) => b.hidden += 1,
            Some(HeldBack::BurstFrame) => b.burst_frames += 1,
            Some(HeldBack::SharedAlbum) => b.shared_albums += 1,
            Some(HeldBack::Attachment | HeldBack::NotAsked) => match lib.assets[i].attachment {
                Some(Attachment::Messages) => b.messages += 1,
                Some(Attachment::Whatsapp) => b.whatsapp += 1,
                // `NotAsked` cannot come with no category asked; counted as apps if it did.
                _ => b.apps += 1,
            },
        }
    }
    b
}

fn safe_name(raw: &str) -> Option<String> {
    let flat = raw.replace(['/', '\\'], "_");
    safe_component(&flat, raw).ok().filter(|s| !s.is_empty())
}

/// A file's extension as it may appear in an output name: every part of a name comes from the
/// backup and goes through the same sanitiser (`IMG_3553.J:P*G?` must not reach the disk raw).
fn safe_ext(path: &str) -> String {
    extension(path).and_then(safe_name).unwrap_or_default()
}

/// (stem, extension) of the name an asset's files share.
fn base_name(a: &Asset, original_entry: Option<&Entry>, names: NamePolicy) -> (String, String) {
    let device = a.device_name();
    let device_ext = original_entry
        .map(|e| safe_ext(&e.relative_path))
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| safe_ext(device));
    // The last resort, the asset's UUID, is the library's own text too: `evil:name*?` or
    // `sub/dir/x` in ZUUID must become one portable component like any other name.
    let uuid = || safe_name(&a.uuid).unwrap_or_else(|| "asset".to_string());
    let chosen = match names {
        NamePolicy::Original => a
            .original_filename
            .as_deref()
            .and_then(safe_name)
            .unwrap_or_else(|| safe_name(device).unwrap_or_else(uuid)),
        NamePolicy::Device => safe_name(device).unwrap_or_else(uuid),
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

impl Layout {
    /// The template each layout names.
    pub fn template(self) -> &'static str {
        match self {
            Layout::Flat => "",
            Layout::Date => "{year}/{month}",
            Layout::Album => "{album}",
            Layout::Category => "{category}",
        }
    }
}

/// `layout` is `opts.layout`'s template, parsed once per plan.
fn folder_for(lib: &PhotoLibrary, i: usize, opts: &PlanOptions, layout: &Template) -> Vec<PathBuf> {
    let a = &lib.assets[i];
    if let Some(t) = &opts.folder_template {
        return t.folders(lib, i, &opts.context);
    }
    let folders = layout.folders(lib, i, &opts.context);
    // By date and by album, what Photos keeps apart stays apart.
    let special = if a.trashed {
        Some("Recently Deleted")
    } else if a.hidden {
        Some("Hidden")
    } else {
        None
    };
    match (opts.layout, special) {
        (Layout::Date | Layout::Album, Some(s)) => folders
            .into_iter()
            .map(|p| PathBuf::from(s).join(p))
            .collect(),
        _ => folders,
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
    // One entry per output folder and name (50,000 in a large export): see Cargo.toml.
    let mut used: foldhash::HashMap<PathBuf, foldhash::HashSet<String>> = Default::default();
    used.entry(PathBuf::new())
        .or_default()
        .extend(RESERVED.iter().map(|s| s.to_string()));
    // The names an earlier export used are looked up in it (`Earlier::is_taken`) rather than
    // copied into `used`: at 50,000 files the copy was 50,000 strings hashed twice.
    let earlier = opts.earlier.as_deref();
    // The layouts' templates are valid by construction.
    let layout = Template::parse(opts.layout.template()).unwrap_or_else(|_| Template::flat());
    let mut next: foldhash::HashMap<String, u64> = Default::default();
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
        // A name template gives the stem; one that ends with the extension ({original_name})
        // does not get it twice.
        let st = match opts
            .name_template
            .as_ref()
            .and_then(|t| t.stem(lib, i, &opts.context))
        {
            Some(n) if extension(&n).is_some_and(|e| e.eq_ignore_ascii_case(&ext)) => {
                stem(&n).to_string()
            }
            Some(n) => n,
            None => st,
        };
        let both = opts.edits == Edits::Both && has_edit;
        let names = |stem: &str| -> Vec<(Role, usize, String, Use)> {
            versions
                .iter()
                .flat_map(|&(role, e)| {
                    let own = safe_ext(&entries[e].relative_path);
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
        for folder in folder_for(lib, i, opts, &layout) {
            let taken = match used.get_mut(&folder) {
                Some(t) => t,
                None => used.entry(folder.clone()).or_default(),
            };
            // Two versions of one asset may want one name (a "Live Photo" whose own file is
            // the video would pair with itself): keep the first, so numbering can end.
            let distinct = |mut cand: Vec<(Role, usize, String, Use)>| {
                let mut mine = foldhash::HashSet::default();
                cand.retain(|(_, _, nm, _)| mine.insert(nm.to_lowercase()));
                cand
            };
            let clash = |cand: &[(Role, usize, String, Use)]| {
                cand.iter().any(|(_, _, nm, _)| {
                    let lower = nm.to_lowercase();
                    taken.contains(&lower) || earlier.is_some_and(|er| er.is_taken(&folder, &lower))
                })
            };
            // A version an earlier run exported into this folder keeps its name; the others
            // are named as if new, around every name the earlier runs used.
            let known = |c: &(Role, usize, String, Use)| -> Option<&str> {
                earlier.and_then(|er| {
                    er.name(
                        &a.uuid,
                        &entries[c.1].relative_path,
                        &folder,
                        matches!(c.3, Use::Jpeg(_)),
                    )
                })
            };
            let fresh = |cand: Vec<(Role, usize, String, Use)>| -> Vec<_> {
                cand.into_iter().filter(|c| known(c).is_none()).collect()
            };
            let all = distinct(names(&st));
            let kept: Vec<(Role, usize, String, Use)> = all
                .iter()
                .filter_map(|c| known(c).map(|n| (c.0, c.1, n.to_string(), c.3.clone())))
                .collect();
            let kept_count = kept.len();
            let first = fresh(all);
            let chosen = if first.is_empty() || !clash(&first) {
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
                    let cand = fresh(distinct(names(&format!("{st} ({n})"))));
                    *n += 1;
                    if !clash(&cand) {
                        break cand;
                    }
                }
            };
            for (n, (role, e, name, usage)) in kept.into_iter().chain(chosen).enumerate() {
                // A kept name is an earlier run's in this folder, so `is_taken` has it already.
                if n >= kept_count {
                    taken.insert(name.to_lowercase());
                }
                let convert = match usage {
                    Use::Reserved => continue,
                    Use::Copy => None,
                    Use::Jpeg(fallback) => Some(ToJpeg {
                        fallback: fallback.map(|f| folder.join(f)),
                    }),
                };
                // The same version already planned in another folder (an asset in two
                // albums): with `--album-copies link`, this one is a hard link to it.
                let copy_of = match opts.album_copies {
                    AlbumCopies::Link => jobs.iter().rposition(|j: &PhotoJob| {
                        j.asset == i
                            && j.entry == e
                            && j.convert.is_some() == convert.is_some()
                            && j.copy_of.is_none()
                    }),
                    AlbumCopies::Copy => None,
                };
                jobs.push(PhotoJob {
                    copy_of,
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
            // Issue 11 item 13: out-of-range fields were accepted.
            "2024-05-18T25:61:61Z",
            "2024-05-18T24:00:00Z",
            "2024-05-18T12:60:00Z",
            "2024-05-18T12:00:61Z",
            "2024-02-31",
            "2024-02-30",
            "2023-02-29",
            "1900-02-29",
            "2024-04-31",
            "2024-00-10",
            "2024-05-00",
            "2024-05-18T12:00:00+99:99",
            "2024-05-18T12:00:00+25:00",
            "2024-05-18T12:00:00+24:00",
            "2024-05-18T12:00:00-02:60",
            "2024-05-18T12:00:00+0200",
            // Issue 11 item 4: multi-byte characters where digits belong panicked.
            "2024-05-18T12:00:00+0é00",
            "2024-05-18T12:00:00+é:00",
            "2024-05-18T12:00:0é",
            "2024-0é-18",
            "éééééééééééééééééééééééé",
            "2024-05-18T12:00:00Zé",
        ] {
            assert!(DateBound::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "2024-02-29",
            "2000-02-29",
            "2023-12-31T23:59:59Z",
            "2024-05-18T12:00:00-23:59",
            "2024-05-18T12:00:00+14:00",
        ] {
            assert!(DateBound::parse(good).is_ok(), "{good}");
        }
        // A leap second is the last second of its minute.
        assert_eq!(
            DateBound::parse("2016-12-31T23:59:60Z").unwrap(),
            DateBound::parse("2016-12-31T23:59:59Z").unwrap()
        );
        let e = DateBound::parse("2024-02-31").unwrap_err();
        assert!(e.contains("2024-02 has 29 days"), "{e}");
    }
}
