//! The record of one photo-library asset, as `photos ls --json` and `--csv` print it.

use serde::Serialize;

use super::csv_line;
use crate::photos::meta::AssetMeta;
use crate::photos::{Category, MediaKind, PhotoLibrary};

fn subtype_name(s: Option<i64>) -> Option<String> {
    s.map(|v| match v {
        0 => "still".to_string(),
        1 => "panorama".into(),
        2 => "live".into(),
        10 => "screenshot".into(),
        100 => "video".into(),
        101 => "slo-mo".into(),
        102 => "time-lapse".into(),
        103 => "screen-recording".into(),
        other => other.to_string(),
    })
}

/// The stable JSON/CSV record of one asset (`photos ls`; documented in the README).
#[derive(Serialize)]
pub struct AssetRecord<'a> {
    pub uuid: &'a str,
    pub original_filename: Option<&'a str>,
    pub domain: &'a str,
    pub relative_path: &'a str,
    pub capture_date: Option<String>,
    pub time_zone: Option<&'a str>,
    pub kind: MediaKind,
    pub subtype: Option<String>,
    pub size: u64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub favorite: bool,
    pub hidden: bool,
    pub deleted: bool,
    pub trashed_date: Option<String>,
    pub edited: bool,
    pub live: bool,
    pub albums: Vec<String>,
    pub categories: Vec<&'static str>,
    pub versions: Vec<&'static str>,
    pub classified_by: crate::photos::Origin,
    #[serde(flatten)]
    pub meta: AssetMeta,
}

pub fn record<'a>(lib: &'a PhotoLibrary, entries: &[crate::Entry], i: usize) -> AssetRecord<'a> {
    let a = &lib.assets[i];
    let f = &lib.files[i];
    let c = lib.categories[i];
    let mut versions: Vec<&'static str> = f.versions().iter().map(|(r, _)| r.name()).collect();
    if f.original.is_none() && !f.previews.is_empty() {
        versions.retain(|v| *v != "preview");
        versions.push("thumbnail-only");
    }
    let size = f
        .original
        .or(f.previews.first().copied())
        .map(|e| entries[e].size())
        .unwrap_or(0);
    AssetRecord {
        uuid: &a.uuid,
        original_filename: a.original_filename.as_deref(),
        domain: &a.domain,
        relative_path: &a.relative_path,
        capture_date: a.local_date(),
        time_zone: a.tz_name.as_deref(),
        kind: a.kind,
        subtype: subtype_name(a.subtype),
        size,
        width: a.width,
        height: a.height,
        favorite: a.favorite,
        hidden: a.hidden,
        deleted: a.trashed,
        trashed_date: a.trashed_date.map(|t| t.rfc3339()),
        edited: c.contains(Category::Edited),
        live: c.contains(Category::Live),
        albums: a
            .albums
            .iter()
            .map(|&x| lib.albums[x].path_string())
            .collect(),
        categories: c.names(),
        versions,
        classified_by: a.origin,
        meta: AssetMeta::of(a),
    }
}

impl AssetRecord<'_> {
    pub const CSV_HEADER: &'static str = "uuid,original_filename,domain,relative_path,capture_date,time_zone,kind,subtype,size,width,height,favorite,hidden,deleted,trashed_date,edited,live,albums,categories,versions,classified_by,title,caption,keywords,people,unnamed_faces,latitude,longitude,place_street,place_city,place_state,place_postal_code,place_country,place_country_code,camera_make,camera_model\n";

    /// One CSV row, the same fields as the JSON, lists joined with `;`.
    pub fn csv_line(&self) -> String {
        let origin = serde_json::to_value(self.classified_by)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let kind = serde_json::to_value(self.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let mut row = vec![
            self.uuid.to_string(),
            self.original_filename.unwrap_or("").to_string(),
            self.domain.to_string(),
            self.relative_path.to_string(),
            self.capture_date.clone().unwrap_or_default(),
            self.time_zone.unwrap_or("").to_string(),
            kind,
            self.subtype.clone().unwrap_or_default(),
            self.size.to_string(),
            self.width.map(|v| v.to_string()).unwrap_or_default(),
            self.height.map(|v| v.to_string()).unwrap_or_default(),
            self.favorite.to_string(),
            self.hidden.to_string(),
            self.deleted.to_string(),
            self.trashed_date.clone().unwrap_or_default(),
            self.edited.to_string(),
            self.live.to_string(),
            self.albums.join(";"),
            self.categories.join(";"),
            self.versions.join(";"),
            origin,
        ];
        row.extend(self.meta.csv_cells());
        csv_line(&row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_end_with_the_metadata_columns() {
        let tail = format!(",{}\n", AssetMeta::CSV_COLUMNS);
        assert!(AssetRecord::CSV_HEADER.ends_with(&tail));
        assert!(crate::records::journal::JournalRecord::CSV_HEADER.ends_with(&tail));
    }
}
