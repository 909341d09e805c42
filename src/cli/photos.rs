//! `photos ls` and `photos export`.

use std::path::PathBuf;

use crate::error::{Error, Exit, Result};
use std::sync::Arc;

use crate::export::photos::{export_after, read_journal_light, ExportOptions, PhotoSummary};
use crate::photos::library::{LoadOptions, PhotoLibrary};
use crate::photos::sidecar::SidecarKind;
use crate::photos::Category;
use crate::plan::photos::{
    self as plan, Convert, DateBound, Edits, Filter, Layout, Live, NamePolicy, PlanOptions,
};
use crate::plan::template::Template;
use crate::plan::update::Earlier;
use crate::records::asset::{record, AssetRecord};

use super::BackupArgs;

#[derive(Debug, clap::Subcommand)]
pub enum PhotosCmd {
    /// List photos and videos with their dates, flags, albums and the versions present.
    #[command(
        after_help = "Examples:\n  unback photos ls BACKUP\n  unback photos ls BACKUP --category favorites --json\n  unback photos ls BACKUP --include-deleted --since 2024-01-01 --csv\n  unback photos ls BACKUP --person Anna --place Zürich\n  unback photos ls BACKUP --search wedding --json"
    )]
    Ls(LsArgs),
    /// Export photos and videos with their real names and capture dates.
    #[command(
        after_help = "Examples:\n  unback photos export BACKUP out/\n  unback photos export BACKUP out/ --category screenshots --layout flat\n  unback photos export BACKUP out/ --album Trips --sidecar xmp\n  unback photos export BACKUP out/ --skip-existing   # finish an interrupted run\n  unback photos export NEWER_BACKUP out/ --update    # add what this month's backup brings"
    )]
    Export(ExportArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct FilterArgs {
    /// Only these categories (repeatable): photos, videos, live, screenshots, screen-recordings,
    /// panoramas, slo-mo, time-lapse, bursts, edited, favorites, hidden, recently-deleted,
    /// albums, shared-albums, icloud, messages, whatsapp, apps. Default: the camera roll as the
    /// Photos app shows it.
    #[arg(long = "category", value_name = "C")]
    pub categories: Vec<String>,
    /// Only assets in this album (repeatable); a folder path ("Trips/2024") matches its albums.
    #[arg(long = "album", value_name = "NAME")]
    pub albums: Vec<String>,
    /// Captured on or after DATE (YYYY-MM-DD local day, or RFC 3339).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Captured on or before DATE.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    /// Also assets in the Hidden album.
    #[arg(long)]
    pub include_hidden: bool,
    /// Also assets in Recently Deleted.
    #[arg(long)]
    pub include_deleted: bool,
    /// Everything the backup holds, in one switch: every asset (hidden, recently deleted,
    /// every burst frame, shared albums, iCloud) and every image and video outside the library
    /// (Messages, WhatsApp, other apps). --album, --since, --until and the metadata filters
    /// still narrow it.
    #[arg(long, conflicts_with_all = ["categories", "include_hidden", "include_deleted"])]
    pub all: bool,
    /// Only photos of this named person (repeatable: any of them); case and Unicode form
    /// do not matter.
    #[arg(long = "person", value_name = "NAME")]
    pub people: Vec<String>,
    /// Only photos with this keyword (repeatable: any of them).
    #[arg(long = "keyword", value_name = "K")]
    pub keywords: Vec<String>,
    /// Only photos whose place (street, city, state, postal code, country, country code)
    /// contains TEXT (repeatable: any of them).
    #[arg(long = "place", value_name = "TEXT")]
    pub places: Vec<String>,
    /// Only photos whose name, title, caption, keywords, people or place contain TEXT
    /// (repeatable: each must be found).
    #[arg(long, value_name = "TEXT")]
    pub search: Vec<String>,
}

impl FilterArgs {
    /// The validated filter; pure, so bad values are usage errors before any I/O.
    pub fn to_filter(&self) -> Result<Filter> {
        let categories = self
            .categories
            .iter()
            .flat_map(|c| c.split(','))
            .filter(|c| !c.trim().is_empty())
            .map(|c| c.parse::<Category>().map_err(Error::Usage))
            .collect::<Result<Vec<_>>>()?;
        let date = |s: &Option<String>| -> Result<Option<DateBound>> {
            s.as_deref()
                .map(DateBound::parse)
                .transpose()
                .map_err(Error::Usage)
        };
        Ok(Filter {
            categories,
            albums: self.albums.clone(),
            since: date(&self.since)?,
            until: date(&self.until)?,
            include_hidden: self.include_hidden,
            include_deleted: self.include_deleted,
            all: self.all,
            people: nonempty(&self.people, "--person")?,
            keywords: nonempty(&self.keywords, "--keyword")?,
            places: nonempty(&self.places, "--place")?,
            search: nonempty(&self.search, "--search")?,
        })
    }
}

/// The values of a metadata filter; an empty one would match everything (or nothing), so it
/// is a usage error rather than a silent no-op.
fn nonempty(v: &[String], flag: &str) -> Result<Vec<String>> {
    if v.iter().any(|s| s.trim().is_empty()) {
        return Err(Error::Usage(format!("{flag} needs a non-empty value")));
    }
    Ok(v.to_vec())
}

fn load_options(f: &Filter) -> LoadOptions {
    LoadOptions {
        messages: f.all || f.categories.contains(&Category::Messages),
        whatsapp: f.all || f.categories.contains(&Category::Whatsapp),
        apps: f.all || f.categories.contains(&Category::Apps),
    }
}

#[derive(Debug, clap::Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub backup: BackupArgs,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// One JSON array of objects.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// A header row, then one row per asset.
    #[arg(long)]
    pub csv: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LayoutArg {
    Flat,
    Date,
    Album,
    Category,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NameArg {
    Original,
    Device,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum EditsArg {
    Original,
    Edited,
    Both,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum LiveArg {
    Both,
    Still,
    Video,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ConvertArg {
    None,
    Jpeg,
    Both,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AlbumCopiesArg {
    Copy,
    Link,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SidecarArg {
    Xmp,
    Json,
    None,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub backup: BackupArgs,
    /// Output folder.
    #[arg(value_name = "OUT")]
    pub out: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Exactly this asset (repeatable), whatever its category; the filters do not apply.
    #[arg(long = "uuid", value_name = "U", conflicts_with_all = ["categories", "albums", "since", "until", "people", "keywords", "places", "search", "all"])]
    pub uuids: Vec<String>,
    /// Exactly the assets whose UUIDs FILE lists, one a line (blank lines and # comments ignored).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["categories", "albums", "since", "until", "people", "keywords", "places", "search", "all"])]
    pub uuids_from: Option<PathBuf>,
    /// Folders: date (YYYY/MM), album, category, or flat.
    #[arg(long, value_enum, default_value = "date")]
    pub layout: LayoutArg,
    /// File names: the original name before import, or the device's (IMG_1234.HEIC).
    #[arg(long, value_enum, default_value = "original")]
    pub name: NameArg,
    /// Folders built from each asset's fields, in place of --layout: "{year}/{month}-{day}",
    /// "{album}", "{device_name}/{category}" … (tokens: {year} {month} {day} {date:%Y-%m-%d}
    /// {album} {category} {kind} {original_name} {original_stem} {ext} {device_name} {uuid}).
    #[arg(long, value_name = "T", conflicts_with = "layout")]
    pub folder_template: Option<String>,
    /// File names (the extension is added) built from each asset's fields, in place of --name:
    /// "{date:%Y%m%d_%H%M%S}_{original_stem}" ….
    #[arg(long, value_name = "T", conflicts_with = "name")]
    pub name_template: Option<String>,
    /// For edited assets: the original, the edited render, or both ("<name> (edited).<ext>").
    #[arg(long, value_enum, default_value = "both")]
    pub edits: EditsArg,
    /// For Live Photos: both parts, the still only, or the video only.
    #[arg(long, value_enum, default_value = "both")]
    pub live: LiveArg,
    /// Metadata beside each file: XMP (digiKam, darktable, Lightroom, exiftool) or JSON.
    #[arg(long, value_enum, default_value = "none")]
    pub sidecar: SidecarArg,
    /// HEIC/HEIF stills (camera originals, Live Photo stills, HEIC edit renders, Messages and
    /// WhatsApp images): none keeps every original byte for byte; jpeg writes a JPEG in place of
    /// each, with its EXIF, GPS and colour profile, upright; both writes the JPEG beside the
    /// original. Videos are never converted. A HEIC that does not decode is written as it is,
    /// with a warning (exit 5).
    #[arg(long, value_enum, default_value = "none")]
    pub convert: ConvertArg,
    /// JPEG quality for --convert, 1 to 100.
    #[arg(long, value_name = "N", default_value_t = 90, value_parser = clap::value_parser!(u8).range(1..=100))]
    pub jpeg_quality: u8,
    /// Add to the earlier export in OUT (its journal): only assets it does not hold (by UUID,
    /// and by content), and versions changed since (a new edit). Files changed or deleted in
    /// OUT since are reported and kept (--overwrite writes them again); assets gone from the
    /// backup are listed, nothing is removed.
    #[arg(long, conflicts_with = "skip_existing")]
    pub update: bool,
    /// With --update: add to an export made from another device's backups.
    #[arg(long, requires = "update")]
    pub force: bool,
    /// With --update: re-hash every file the earlier export wrote (not only compare its size
    /// and time) and report any whose content is not what the journal records.
    #[arg(long, requires = "update")]
    pub verify: bool,
    /// Print what would be written (paths, sizes, total) and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write even when the files do not fit in the free space of OUT's file system.
    #[arg(long)]
    pub no_space_check: bool,
    /// Content selected twice (a Messages attachment also in the camera roll, a DCIM original
    /// and its iCloud copy, an asset in two albums) is written once; the other places are hard
    /// links to it (or, where the file system has none, recorded in the journal only).
    #[arg(long)]
    pub dedupe: bool,
    /// An asset in two albums ({album} in the folder template, --layout album): two copies, or
    /// one file and a hard link.
    #[arg(long, value_enum, default_value = "copy")]
    pub album_copies: AlbumCopiesArg,
    #[command(flatten)]
    pub write: super::WriteArgs,
}

impl ExportArgs {
    /// `--uuid` and `--uuids-from` together, or `None` when neither was given.
    fn uuids(&self) -> Result<Option<Vec<String>>> {
        let mut v = self.uuids.clone();
        if let Some(f) = &self.uuids_from {
            let text = std::fs::read_to_string(f).map_err(|e| Error::io(f, e))?;
            v.extend(
                text.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_string),
            );
            if v.is_empty() {
                return Err(Error::Usage(format!("{}: lists no UUID", f.display())));
            }
        }
        Ok((!v.is_empty()).then_some(v))
    }

    pub fn plan_options(&self) -> Result<PlanOptions> {
        Ok(PlanOptions {
            filter: self.filter.to_filter()?,
            layout: match self.layout {
                LayoutArg::Flat => Layout::Flat,
                LayoutArg::Date => Layout::Date,
                LayoutArg::Album => Layout::Album,
                LayoutArg::Category => Layout::Category,
            },
            names: match self.name {
                NameArg::Original => NamePolicy::Original,
                NameArg::Device => NamePolicy::Device,
            },
            edits: match self.edits {
                EditsArg::Original => Edits::Original,
                EditsArg::Edited => Edits::Edited,
                EditsArg::Both => Edits::Both,
            },
            live: match self.live {
                LiveArg::Both => Live::Both,
                LiveArg::Still => Live::Still,
                LiveArg::Video => Live::Video,
            },
            convert: match self.convert {
                ConvertArg::None => Convert::None,
                ConvertArg::Jpeg => Convert::Jpeg,
                ConvertArg::Both => Convert::Both,
            },
            earlier: None,
            folder_template: self
                .folder_template
                .as_deref()
                .map(Template::parse)
                .transpose()
                .map_err(Error::Usage)?,
            name_template: self
                .name_template
                .as_deref()
                .map(Template::parse)
                .transpose()
                .map_err(Error::Usage)?,
            context: Default::default(),
            album_copies: match self.album_copies {
                AlbumCopiesArg::Copy => plan::AlbumCopies::Copy,
                AlbumCopiesArg::Link => plan::AlbumCopies::Link,
            },
        })
    }
}

/// What `--update` found of the earlier export, for the summary line.
fn update_line(s: &PhotoSummary) -> String {
    format!(
        " {} already exported and unchanged, {} already exported from another asset with the same content, {} changed versions, {} changed and {} deleted in OUT (kept), {} assets gone from the backup",
        s.unchanged,
        s.same_content,
        s.changed_versions,
        s.changed_in_out.len(),
        s.deleted_in_out.len(),
        s.gone_assets.len()
    )
}

fn print_notes(lib: &PhotoLibrary) {
    for n in &lib.notes {
        eprintln!("unback: note: {n}");
    }
}

pub fn run(cmd: PhotosCmd) -> Result<Exit> {
    match cmd {
        PhotosCmd::Ls(a) => run_ls(a),
        PhotosCmd::Export(a) => run_export(a),
    }
}

/// One line per kind of thing the default selection left out, with the option that adds it.
fn left_out_lines(l: &plan::LeftOut) -> Vec<String> {
    let mut v = Vec::new();
    let mut add = |n: usize, what: String| {
        if n > 0 {
            v.push(what);
        }
    };
    add(
        l.recently_deleted,
        format!(
            "recently-deleted: {} (add --include-deleted)",
            l.recently_deleted
        ),
    );
    add(
        l.hidden,
        format!("hidden: {} (add --include-hidden)", l.hidden),
    );
    add(
        l.burst_frames,
        format!(
            "bursts: {} burst frame(s) Photos keeps inside their stack, neither the key photo nor picked (add --category bursts)",
            l.burst_frames
        ),
    );
    add(
        l.shared_albums,
        format!(
            "shared-albums: {} (add --category shared-albums)",
            l.shared_albums
        ),
    );
    add(
        l.messages_files,
        format!(
            "messages: {} file(s) in Messages attachments, not read (add --category messages)",
            l.messages_files
        ),
    );
    add(
        l.whatsapp_files,
        format!(
            "whatsapp: {} file(s) in WhatsApp media, not read (add --category whatsapp)",
            l.whatsapp_files
        ),
    );
    v
}

/// With `--all`: how the selection divides, each asset once; the parts add up to the total.
fn breakdown_line(b: &plan::Breakdown) -> String {
    format!(
        "{} assets: {} in the camera roll, {} recently-deleted, {} hidden, {} burst frames out of view, {} only in shared albums, {} from Messages, {} from WhatsApp, {} from other apps",
        b.total(),
        b.camera_roll,
        b.recently_deleted,
        b.hidden,
        b.burst_frames,
        b.shared_albums,
        b.messages,
        b.whatsapp,
        b.apps
    )
}

fn run_ls(a: LsArgs) -> Result<Exit> {
    let filter = a.filter.to_filter()?;
    let b = super::open(&a.backup)?;
    let entries = b.entries()?;
    let lib = b.photos(&entries, load_options(&filter));
    print_notes(&lib);
    let mut chosen = plan::select(&lib, &filter);
    if let Some(l) = plan::left_out(&lib, &entries, &filter) {
        for line in left_out_lines(&l) {
            eprintln!("unback: not listed by default: {line}");
        }
    }
    if filter.all {
        eprintln!(
            "unback: everything (--all): {}",
            breakdown_line(&plan::breakdown(&lib, &chosen))
        );
    }
    chosen.sort_by(|&x, &y| {
        let (p, q) = (&lib.assets[x], &lib.assets[y]);
        (p.created, &p.relative_path).cmp(&(q.created, &q.relative_path))
    });
    super::out(|w| {
        if a.json {
            // Serialised in parallel chunks into buffers written in order (as `ls --json`).
            use rayon::prelude::*;
            let parts: Vec<Vec<u8>> = chosen
                .par_chunks(2048)
                .enumerate()
                .map(|(c, chunk)| {
                    let mut buf = Vec::with_capacity(chunk.len() * 600);
                    for (n, &i) in chunk.iter().enumerate() {
                        buf.extend_from_slice(if c == 0 && n == 0 { b"\n" } else { b",\n" });
                        // Writing into a Vec cannot fail.
                        let _ = serde_json::to_writer(&mut buf, &record(&lib, &entries, i));
                    }
                    buf
                })
                .collect();
            w.write_all(b"[")?;
            for p in parts {
                w.write_all(&p)?;
            }
            return w.write_all(b"\n]\n");
        }
        if a.csv {
            w.write_all(AssetRecord::CSV_HEADER.as_bytes())?;
            for &i in &chosen {
                let r = record(&lib, &entries, i);
                w.write_all(r.csv_line().as_bytes())?;
            }
            return Ok(());
        }
        for &i in &chosen {
            let r = record(&lib, &entries, i);
            let mut flags = Vec::new();
            for (on, name) in [
                (r.favorite, "favorite"),
                (r.hidden, "hidden"),
                (r.deleted, "deleted"),
                (r.edited, "edited"),
                (r.live, "live"),
            ] {
                if on {
                    flags.push(name);
                }
            }
            writeln!(
                w,
                "{}  {:<25}  {:<28}  {:<5} {:<16} {:>10}  {:>9}  [{}]  albums: {}  versions: {}",
                r.uuid,
                r.capture_date.as_deref().unwrap_or("-"),
                r.original_filename.unwrap_or(lib.assets[i].device_name()),
                format!("{:?}", r.kind).to_lowercase(),
                r.subtype.as_deref().unwrap_or("-"),
                r.size,
                match (r.width, r.height) {
                    (Some(x), Some(y)) => format!("{x}x{y}"),
                    _ => "-".into(),
                },
                flags.join(","),
                if r.albums.is_empty() {
                    "-".to_string()
                } else {
                    r.albums.join("; ")
                },
                r.versions.join(","),
            )?;
        }
        Ok(())
    })?;
    Ok(Exit::Ok)
}

fn run_export(a: ExportArgs) -> Result<Exit> {
    let popts = a.plan_options()?;
    let uuids = a.uuids()?;
    let b = super::open(&a.backup)?;
    crate::export::check_output(&b, &a.out)?;
    // A UUID may name a Messages or WhatsApp attachment, so those are read too (as `serve` does).
    let load = match &uuids {
        Some(_) => LoadOptions {
            messages: true,
            whatsapp: true,
            apps: false,
        },
        None => load_options(&popts.filter),
    };
    // The earlier export's journal (`--update` plans around its names) is read beside the
    // backup's databases: in a large export it is tens of megabytes of JSON, and the
    // manifest and library reads leave the other core idle much of the time.
    let (read, earlier) = std::thread::scope(|s| {
        let journal = s.spawn(|| {
            read_journal_light(&a.out).map(|mut j| {
                let names = match (&mut j, a.update) {
                    (Some(j), true) => {
                        let names = Arc::new(Earlier::from_records(&j.files));
                        // Every earlier file is looked at (a `statx` each) here, while the
                        // main thread still reads the databases, not after planning.
                        j.look_in(&a.out);
                        Some(names)
                    }
                    _ => None,
                };
                (j, names)
            })
        });
        let read = b.entries().map(|entries| {
            let lib = b.photos(&entries, load);
            (entries, lib)
        });
        (read, journal.join())
    });
    let (entries, lib) = read?;
    print_notes(&lib);
    let (earlier, names) = match earlier {
        Ok(Ok(j)) => j,
        Ok(Err(e)) if a.update => return Err(e),
        Ok(Err(_)) => (None, None),
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut popts = popts;
    popts.context.device_name = b.device_name().unwrap_or_default();
    popts.earlier = names;
    if a.update && earlier.is_none() {
        eprintln!(
            "unback: note: {} holds no earlier export (no {}); exporting everything",
            a.out.display(),
            crate::export::photos::JOURNAL_JSON
        );
    }
    let plan = match &uuids {
        Some(u) => plan::plan_selected(
            &lib,
            &entries,
            plan::by_uuid(&lib, u).map_err(Error::Usage)?,
            &popts,
        ),
        None => plan::plan(&lib, &entries, &popts),
    };
    let opts = ExportOptions {
        jpeg_quality: a.jpeg_quality,
        existing: a.write.existing(),
        jobs: a.write.jobs.jobs,
        sidecar: match a.sidecar {
            SidecarArg::Xmp => SidecarKind::Xmp,
            SidecarArg::Json => SidecarKind::Json,
            SidecarArg::None => SidecarKind::None,
        },
        update: a.update,
        force: a.force,
        dry_run: a.dry_run,
        space_check: !a.no_space_check,
        dedupe: a.dedupe,
        verify: a.verify,
    };
    let bar = super::progress::Bar::new();
    let s = export_after(&b, &entries, &lib, &plan, &a.out, &opts, earlier, &bar)?;
    // What the export was made from is not freed one allocation at a time: the process ends
    // after the summary, and at 50,000 assets the library, the manifest, the plan and the
    // earlier export's names are a million allocations, freed in about 0.1 s on one core
    // (BENCHMARKS.md 10).
    let (entries, lib, plan) = (
        std::mem::ManuallyDrop::new(entries),
        std::mem::ManuallyDrop::new(lib),
        std::mem::ManuallyDrop::new(plan),
    );
    let popts = std::mem::ManuallyDrop::new(popts);
    if a.dry_run {
        super::out(|w| {
            let mut total = 0u64;
            for (path, size) in &s.planned {
                writeln!(w, "{size:>12}  {path}")?;
                total += size;
            }
            writeln!(
                w,
                "{} files, {total} bytes would be written (dry run: nothing written){}",
                s.planned.len(),
                if a.update {
                    format!(";{}", update_line(&s))
                } else {
                    String::new()
                }
            )
        })?;
        return Ok(Exit::Ok);
    }
    for p in &s.changed_in_out {
        eprintln!("unback: kept as you left it (changed in OUT since it was exported): {p}");
    }
    for p in &s.deleted_in_out {
        eprintln!("unback: not written again (deleted from OUT since it was exported): {p}");
    }
    for w in &s.warnings {
        eprintln!("unback: warning: {w}");
    }
    super::print_problems(&s.problems);
    let source = match &lib.source {
        crate::photos::library::LibrarySource::PhotosDb { .. } => "Photos.sqlite",
        crate::photos::library::LibrarySource::Manifest { .. } => {
            "the manifest (no usable Photos.sqlite)"
        }
    };
    super::out(|w| {
        writeln!(
            w,
            "{} assets selected (library read from {source}): {} files written ({} bytes), {} from previews, {} skipped (existing), {} failed, {} assets with nothing in the backup",
            s.assets_selected, s.files_written, s.bytes_written, s.previews, s.skipped_existing, s.failed, s.missing_assets
        )?;
        if s.not_converted > 0 {
            writeln!(
                w,
                "  {} HEIC not converted to JPEG: written as the phone stored them (see the problems above)",
                s.not_converted
            )?;
        }
        if s.linked > 0 {
            writeln!(
                w,
                "  {} hard links to files with the same content",
                s.linked
            )?;
        }
        if a.update {
            writeln!(w, "update:{}", update_line(&s))?;
            if a.verify {
                writeln!(
                    w,
                    "  verify: {} files re-hashed and found as the journal records them",
                    s.verified
                )?;
            }
            if !s.gone_assets.is_empty() {
                writeln!(
                    w,
                    "  {} assets exported earlier are no longer in this backup (their files are kept; the journal lists them)",
                    s.gone_assets.len()
                )?;
            }
        }
        for (c, n) in &s.per_category {
            writeln!(w, "  {c}: {n}")?;
        }
        if popts.filter.all && uuids.is_none() {
            writeln!(
                w,
                "everything (--all): {}",
                breakdown_line(&plan::breakdown(&lib, &plan.selected))
            )?;
        }
        if let Some(l) = plan::left_out(&lib, &entries, &popts.filter).filter(|_| uuids.is_none()) {
            let lines = left_out_lines(&l);
            if !lines.is_empty() {
                writeln!(w, "not exported by default, also in the backup:")?;
                for l in lines {
                    writeln!(w, "  {l}")?;
                }
            }
        }
        Ok(())
    })?;
    Ok(s.exit())
}
