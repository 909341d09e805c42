//! The export journal's record of one written file (`unback-export.json` / `.csv`): the proof
//! of where each file came from, what `--skip-existing` resumes from, and (with the history of
//! runs) what `--update` adds to. Beside a large journal, `unback-export.idx` holds each
//! record's provenance again (`JournalRecord::write_provenance`, and `export::journal` for the
//! file's header): a cache of the JSON, checked against it, never read in its place otherwise.

use serde::{Deserialize, Serialize};

use super::csv_line;
use crate::photos::meta::AssetMeta;

/// One written file, with its provenance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "Wire")]
pub struct JournalRecord {
    pub output: String,
    pub asset_uuid: String,
    pub role: String,
    pub categories: Vec<String>,
    pub classified_by: String,
    pub original_filename: Option<String>,
    pub capture_date: Option<String>,
    pub domain: String,
    pub relative_path: String,
    pub file_id: String,
    pub size: u64,
    pub sha256: String,
    /// For a converted file (role `converted`), the SHA-256 of the HEIC it was made from;
    /// `sha256` is the JPEG's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_sha256: Option<String>,
    /// The modification time the file was given (RFC 3339, UTC): with `size`, how `--update`
    /// tells a file the user changed since from one as it was written, without reading it.
    #[serde(default)]
    pub mtime: Option<String>,
    /// The source's modification time as the backup's index records it (RFC 3339, UTC): how
    /// `--update` tells a re-edited render (same path, same size) from the one it exported.
    #[serde(default)]
    pub source_mtime: Option<String>,
    /// A hard link (`--album-copies link`, `--dedupe`): the output it shares its content with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<String>,
    /// Which run (an index into the journal's `runs`) wrote the file.
    #[serde(default)]
    pub run: usize,
    /// The asset's title, caption, keywords, people, place…; absent from journals written
    /// before issue 15, so each field defaults on reading.
    #[serde(flatten)]
    pub meta: AssetMeta,
}

/// A record as it is read. Serde reads a `flatten`ed field by first buffering every key and
/// value of the record in its own generic form and then matching them: for the 50,000
/// records of a large export's journal that was most of the time `--update` spent before it
/// looked at a file (BENCHMARKS.md 10). The same keys, read straight into their fields.
#[derive(Deserialize)]
struct Wire {
    output: String,
    asset_uuid: String,
    role: String,
    categories: Vec<String>,
    classified_by: String,
    original_filename: Option<String>,
    capture_date: Option<String>,
    domain: String,
    relative_path: String,
    file_id: String,
    size: u64,
    sha256: String,
    #[serde(default)]
    source_sha256: Option<String>,
    #[serde(default)]
    mtime: Option<String>,
    #[serde(default)]
    source_mtime: Option<String>,
    #[serde(default)]
    linked_to: Option<String>,
    #[serde(default)]
    run: usize,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    caption: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    people: Vec<String>,
    #[serde(default)]
    unnamed_faces: u32,
    #[serde(default)]
    latitude: Option<f64>,
    #[serde(default)]
    longitude: Option<f64>,
    #[serde(default)]
    place: Option<crate::photos::Place>,
    #[serde(default)]
    camera: Option<crate::photos::Camera>,
}

impl From<Wire> for JournalRecord {
    fn from(w: Wire) -> JournalRecord {
        JournalRecord {
            output: w.output,
            asset_uuid: w.asset_uuid,
            role: w.role,
            categories: w.categories,
            classified_by: w.classified_by,
            original_filename: w.original_filename,
            capture_date: w.capture_date,
            domain: w.domain,
            relative_path: w.relative_path,
            file_id: w.file_id,
            size: w.size,
            sha256: w.sha256,
            source_sha256: w.source_sha256,
            mtime: w.mtime,
            source_mtime: w.source_mtime,
            linked_to: w.linked_to,
            run: w.run,
            meta: AssetMeta {
                title: w.title,
                caption: w.caption,
                keywords: w.keywords,
                people: w.people,
                unnamed_faces: w.unnamed_faces,
                latitude: w.latitude,
                longitude: w.longitude,
                place: w.place,
                camera: w.camera,
            },
        }
    }
}

/// A record with only its provenance read: what `--update` and `--skip-existing` compare
/// (output, asset, source path and file ID, size, hashes, times, role, run). The categories,
/// names, capture date and asset metadata are left at their defaults; serde skips their text
/// without building it, which in a 50,000-record journal is most of the allocations.
#[derive(Deserialize)]
#[serde(from = "LightWire")]
pub struct Provenance(pub JournalRecord);

#[derive(Deserialize)]
struct LightWire {
    output: String,
    asset_uuid: String,
    role: String,
    relative_path: String,
    file_id: String,
    size: u64,
    sha256: String,
    #[serde(default)]
    source_sha256: Option<String>,
    #[serde(default)]
    mtime: Option<String>,
    #[serde(default)]
    source_mtime: Option<String>,
    #[serde(default)]
    linked_to: Option<String>,
    #[serde(default)]
    run: usize,
}

impl From<LightWire> for Provenance {
    fn from(w: LightWire) -> Provenance {
        Provenance(JournalRecord {
            output: w.output,
            asset_uuid: w.asset_uuid,
            role: w.role,
            categories: Vec::new(),
            classified_by: String::new(),
            original_filename: None,
            capture_date: None,
            domain: String::new(),
            relative_path: w.relative_path,
            file_id: w.file_id,
            size: w.size,
            sha256: w.sha256,
            source_sha256: w.source_sha256,
            mtime: w.mtime,
            source_mtime: w.source_mtime,
            linked_to: w.linked_to,
            run: w.run,
            meta: AssetMeta::default(),
        })
    }
}

impl From<Provenance> for JournalRecord {
    fn from(p: Provenance) -> JournalRecord {
        p.0
    }
}

/// The provenance of a record in the journal's index (`unback-export.idx`, `export::journal`):
/// the fields of `Provenance`, in this order, each string as its length (u32, little-endian)
/// and its UTF-8 bytes, an absent one as the length `u32::MAX`, `size` and `run` as u64:
/// `output`, `asset_uuid`, `role`, `relative_path`, `file_id`, `sha256`, `size`,
/// `source_sha256`, `mtime`, `source_mtime`, `linked_to`, `run`. Reading it is copying bytes,
/// where reading the same from the JSON journal is parsing 50 MB of it (BENCHMARKS.md 10).
impl JournalRecord {
    pub fn write_provenance(&self, o: &mut Vec<u8>) {
        fn text(o: &mut Vec<u8>, s: &str) {
            o.extend_from_slice(&(s.len() as u32).to_le_bytes());
            o.extend_from_slice(s.as_bytes());
        }
        fn opt(o: &mut Vec<u8>, s: &Option<String>) {
            match s {
                Some(s) => text(o, s),
                None => o.extend_from_slice(&u32::MAX.to_le_bytes()),
            }
        }
        for s in [
            &self.output,
            &self.asset_uuid,
            &self.role,
            &self.relative_path,
            &self.file_id,
            &self.sha256,
        ] {
            text(o, s);
        }
        o.extend_from_slice(&self.size.to_le_bytes());
        for s in [
            &self.source_sha256,
            &self.mtime,
            &self.source_mtime,
            &self.linked_to,
        ] {
            opt(o, s);
        }
        o.extend_from_slice(&(self.run as u64).to_le_bytes());
    }

    /// A record written by `write_provenance`, from the front of `at` (which moves past it),
    /// as `Provenance` reads one: the other fields at their defaults. `None` if the bytes do
    /// not hold one.
    pub fn read_provenance(at: &mut &[u8]) -> Option<JournalRecord> {
        fn take<'a>(at: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
            let (head, rest) = at.split_at_checked(n)?;
            *at = rest;
            Some(head)
        }
        fn u64_(at: &mut &[u8]) -> Option<u64> {
            Some(u64::from_le_bytes(take(at, 8)?.try_into().ok()?))
        }
        fn opt(at: &mut &[u8]) -> Option<Option<String>> {
            let n = u32::from_le_bytes(take(at, 4)?.try_into().ok()?);
            if n == u32::MAX {
                return Some(None);
            }
            let b = take(at, n as usize)?;
            Some(Some(std::str::from_utf8(b).ok()?.to_owned()))
        }
        fn text(at: &mut &[u8]) -> Option<String> {
            opt(at)?
        }
        let output = text(at)?;
        let asset_uuid = text(at)?;
        let role = text(at)?;
        let relative_path = text(at)?;
        let file_id = text(at)?;
        let sha256 = text(at)?;
        let size = u64_(at)?;
        let source_sha256 = opt(at)?;
        let mtime = opt(at)?;
        let source_mtime = opt(at)?;
        let linked_to = opt(at)?;
        let run = usize::try_from(u64_(at)?).ok()?;
        Some(
            Provenance::from(LightWire {
                output,
                asset_uuid,
                role,
                relative_path,
                file_id,
                size,
                sha256,
                source_sha256,
                mtime,
                source_mtime,
                linked_to,
                run,
            })
            .0,
        )
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One run of `photos export` into a folder: the journal keeps every run, so a folder filled
/// from monthly backups says what came from which.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRecord {
    /// When the run started and ended (RFC 3339, UTC).
    pub started: String,
    pub finished: String,
    /// `export`, or `update` for `--update`.
    pub mode: String,
    /// The backup as given, its device's UDID and name, and when it was made.
    pub backup: String,
    pub udid: String,
    pub device_name: Option<String>,
    pub backup_date: Option<String>,
    pub assets_selected: u64,
    pub files_written: u64,
    pub bytes_written: u64,
    pub skipped_existing: u64,
    /// `--update`: files an earlier run wrote from the same source, found as written.
    #[serde(default)]
    pub unchanged: u64,
    /// `--update`: files not written because an earlier run wrote the same content (the same
    /// photo under another asset UUID, from another backup of the device).
    #[serde(default)]
    pub same_content: u64,
    /// `--update`: versions an earlier run wrote whose source has changed (a new edit render).
    #[serde(default)]
    pub changed_versions: u64,
    /// `--update --verify`: earlier files re-hashed and found as recorded (absent otherwise).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub verified: u64,
    pub failed: u64,
    /// HEICs written as they are because they did not convert to JPEG (absent when none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub not_converted: u64,
    /// `--update`: files an earlier run wrote that are changed or gone in OUT since, kept as
    /// the user left them (`--overwrite` writes them again).
    #[serde(default)]
    pub changed_in_out: Vec<String>,
    #[serde(default)]
    pub deleted_in_out: Vec<String>,
    /// `--update`: UUIDs of assets an earlier run exported that this backup no longer holds
    /// (deleted on the device since). Their files are kept.
    #[serde(default)]
    pub gone_assets: Vec<String>,
}

impl JournalRecord {
    pub const CSV_HEADER: &'static str = "output,asset_uuid,role,categories,classified_by,original_filename,capture_date,domain,relative_path,file_id,size,sha256,source_sha256,mtime,source_mtime,run,linked_to,title,caption,keywords,people,unnamed_faces,latitude,longitude,place_street,place_city,place_state,place_postal_code,place_country,place_country_code,camera_make,camera_model\n";

    /// The journal as CSV: the header, then one row per record.
    pub fn csv(records: &[JournalRecord]) -> String {
        let mut o = String::from(Self::CSV_HEADER);
        o.push_str(&Self::csv_rows(records));
        o
    }

    /// The rows of `csv`, without the header.
    pub fn csv_rows(records: &[JournalRecord]) -> String {
        let mut o = String::new();
        for r in records {
            let mut row = vec![
                r.output.clone(),
                r.asset_uuid.clone(),
                r.role.clone(),
                r.categories.join(";"),
                r.classified_by.clone(),
                r.original_filename.clone().unwrap_or_default(),
                r.capture_date.clone().unwrap_or_default(),
                r.domain.clone(),
                r.relative_path.clone(),
                r.file_id.clone(),
                r.size.to_string(),
                r.sha256.clone(),
                r.source_sha256.clone().unwrap_or_default(),
                r.mtime.clone().unwrap_or_default(),
                r.source_mtime.clone().unwrap_or_default(),
                r.run.to_string(),
                r.linked_to.clone().unwrap_or_default(),
            ];
            row.extend(r.meta.csv_cells());
            o.push_str(&csv_line(&row));
        }
        o
    }
}
