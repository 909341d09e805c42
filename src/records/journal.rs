//! The export journal's record of one written file (`unback-export.json` / `.csv`): the proof
//! of where each file came from, and what `--skip-existing` resumes from.

use serde::{Deserialize, Serialize};

use super::csv_line;
use crate::photos::meta::AssetMeta;

/// One written file, with its provenance.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The asset's title, caption, keywords, people, place…; absent from journals written
    /// before issue 15, so each field defaults on reading.
    #[serde(flatten)]
    pub meta: AssetMeta,
}

impl JournalRecord {
    pub const CSV_HEADER: &'static str = "output,asset_uuid,role,categories,classified_by,original_filename,capture_date,domain,relative_path,file_id,size,sha256,source_sha256,title,caption,keywords,people,unnamed_faces,latitude,longitude,place_street,place_city,place_state,place_postal_code,place_country,place_country_code,camera_make,camera_model\n";

    /// The journal as CSV: the header, then one row per record.
    pub fn csv(records: &[JournalRecord]) -> String {
        let mut o = String::from(Self::CSV_HEADER);
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
            ];
            row.extend(r.meta.csv_cells());
            o.push_str(&csv_line(&row));
        }
        o
    }
}
