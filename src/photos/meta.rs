//! The metadata people search by (issue 15), one record shared by every output that carries an
//! asset's description: `photos ls --json`/`--csv`, the export journal (both in `records`) and
//! the JSON sidecar (here, in `photos`, the lowest stage of the three, hence its place). One
//! struct, flattened into each, so the four cannot drift apart.

use serde::{Deserialize, Serialize};

use super::{Asset, Camera, Place};

/// Title, caption, keywords, people, location, place and camera of one asset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AssetMeta {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Names of the named persons; faces without a name are only counted.
    #[serde(default)]
    pub people: Vec<String>,
    #[serde(default)]
    pub unnamed_faces: u32,
    /// Null when absent or the library's "no location" sentinel (-180, -180).
    #[serde(default)]
    pub latitude: Option<f64>,
    #[serde(default)]
    pub longitude: Option<f64>,
    #[serde(default)]
    pub place: Option<Place>,
    #[serde(default)]
    pub camera: Option<Camera>,
}

impl AssetMeta {
    pub fn of(a: &Asset) -> AssetMeta {
        AssetMeta {
            title: a.title.clone(),
            caption: a.caption.clone(),
            keywords: a.keywords.clone(),
            people: a.people.clone(),
            unnamed_faces: a.unnamed_faces,
            latitude: a.latitude,
            longitude: a.longitude,
            place: a.place.clone(),
            camera: a.camera.clone(),
        }
    }

    /// The CSV columns these fields take, in order.
    pub const CSV_COLUMNS: &'static str = "title,caption,keywords,people,unnamed_faces,latitude,longitude,place_street,place_city,place_state,place_postal_code,place_country,place_country_code,camera_make,camera_model";

    /// The CSV cells, in `CSV_COLUMNS` order: lists joined with `;`, the place and camera
    /// objects spread over one column per part (a spreadsheet filters by city, not by object).
    pub fn csv_cells(&self) -> Vec<String> {
        let o = |s: &Option<String>| s.clone().unwrap_or_default();
        let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let p = self.place.clone().unwrap_or_default();
        let c = self.camera.clone().unwrap_or_default();
        vec![
            o(&self.title),
            o(&self.caption),
            self.keywords.join(";"),
            self.people.join(";"),
            self.unnamed_faces.to_string(),
            f(self.latitude),
            f(self.longitude),
            o(&p.street),
            o(&p.city),
            o(&p.state),
            o(&p.postal_code),
            o(&p.country),
            o(&p.country_code),
            o(&c.make),
            o(&c.model),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_match_columns() {
        let n = AssetMeta::CSV_COLUMNS.split(',').count();
        assert_eq!(AssetMeta::default().csv_cells().len(), n);
    }
}
