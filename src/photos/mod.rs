//! The photo library of a backup: assets, albums and categories, read from Photos.sqlite when
//! it is there and usable, else from the manifest (assetsd xattrs, paths and content).
//!
//! `library` builds a `PhotoLibrary`; `files` finds which versions of each asset the backup
//! holds; `plan` turns a selection into output names; `export` writes them.

pub mod category;
pub mod files;
pub mod library;
pub mod meta;
pub mod people;
pub mod revgeo;
pub mod schema;
pub mod sidecar;
pub mod tz;
pub mod xattrs;

use serde::Serialize;

use crate::time::Timestamp;

pub use category::{Category, CategorySet};
pub use library::PhotoLibrary;
pub use revgeo::Place;

/// The camera that made an asset, as the library records it (`ZEXTENDEDATTRIBUTES`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Camera {
    pub make: Option<String>,
    pub model: Option<String>,
}

/// Photo or video, as ZKIND says (0 photo, 1 video) or as content shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Photo,
    Video,
    Unknown,
}

/// What told us about an asset; reported per asset so a user can weigh it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A row of Photos.sqlite.
    PhotosDb,
    /// The `com.apple.assetsd.*` extended attributes recorded in the manifest.
    Xattrs,
    /// Only the file's path and content (attachments, app files, unreferenced camera files).
    Content,
}

/// Where an asset that is not part of the Photos library came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Attachment {
    Messages,
    Whatsapp,
    Apps,
}

#[derive(Debug, Clone, Serialize)]
pub struct Asset {
    /// The asset UUID (Photos.sqlite ZUUID or the assetsd xattr); the fileID for attachments.
    pub uuid: String,
    /// Domain and path of the original, where the library says it is.
    pub domain: String,
    pub relative_path: String,
    pub original_filename: Option<String>,
    pub kind: MediaKind,
    /// ZKINDSUBTYPE: 1 panorama, 2 Live Photo, 10 screenshot, 100 video, 101 slo-mo,
    /// 102 time-lapse, 103 screen recording.
    pub subtype: Option<i64>,
    pub playback_style: Option<i64>,
    pub created: Option<Timestamp>,
    /// Seconds east of UTC at capture, when known: once the library is loaded, the offset of
    /// `tz_name` at `created` when that is a zone with rules, else the stored one (`tz`).
    pub tz_offset: Option<i32>,
    pub tz_name: Option<String>,
    pub added: Option<Timestamp>,
    pub favorite: bool,
    pub hidden: bool,
    pub trashed: bool,
    pub trashed_date: Option<Timestamp>,
    pub edited: bool,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub saved_asset_type: Option<i64>,
    pub bundle_scope: Option<i64>,
    pub burst_uuid: Option<String>,
    /// ZAVALANCHEPICKTYPE: bit flags saying which frames of a burst Photos shows (see
    /// `Asset::burst_frame_out_of_view`).
    pub burst_pick: Option<i64>,
    pub title: Option<String>,
    pub caption: Option<String>,
    pub detected_screenshot: Option<bool>,
    pub creator_bundle_id: Option<String>,
    pub duration: Option<f64>,
    /// Indices into `PhotoLibrary::albums`.
    pub albums: Vec<usize>,
    /// Keyword titles (`ZKEYWORD` through the keyword join table), sorted, no duplicates.
    pub keywords: Vec<String>,
    /// Names of the named persons whose faces were detected, sorted, no duplicates.
    pub people: Vec<String>,
    /// Detected faces without a named person (a person row without a name, or none at all).
    pub unnamed_faces: u32,
    /// The reverse-geocoded place (`ZREVERSELOCATIONDATA`).
    pub place: Option<Place>,
    pub camera: Option<Camera>,
    pub origin: Origin,
    pub attachment: Option<Attachment>,
}

impl Asset {
    /// The file name the device uses (IMG_1234.HEIC).
    pub fn device_name(&self) -> &str {
        self.relative_path
            .rsplit('/')
            .next()
            .unwrap_or(&self.relative_path)
    }

    /// A burst frame the Photos app does not show in the library: only the burst's key photo
    /// (the top of the stack) and the frames the user picked ("Keep Everything" / "Keep Only
    /// Favorites") are shown; the other frames wait inside the stack. The flags of
    /// `ZAVALANCHEPICKTYPE` (named in osxphotos' `_constants.py`): 2 not selected, 4 Photos'
    /// own default pick, 8 selected by the user, 16 the key photo, 32 set with 4. osxphotos
    /// lists a burst member only when 8 or 16 is set, or the value is 0 (seen on single photos
    /// that carry a burst UUID); the same rule here. A missing value (an older schema, a NULL)
    /// hides nothing: unback never leaves out what it cannot tell apart.
    pub fn burst_frame_out_of_view(&self) -> bool {
        const SELECTED: i64 = 8;
        const KEY: i64 = 16;
        let in_burst = self.burst_uuid.as_deref().is_some_and(|u| !u.is_empty());
        match self.burst_pick {
            Some(p) if in_burst => p != 0 && p & (SELECTED | KEY) == 0,
            _ => false,
        }
    }

    /// The capture date as the user saw it: local time at capture.
    pub fn local_date(&self) -> Option<String> {
        self.created
            .map(|t| t.rfc3339_with_offset(self.tz_offset.unwrap_or(0)))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Album {
    pub uuid: Option<String>,
    pub title: String,
    /// ZGENERICALBUM.ZKIND: 2 user album, 1505 shared album, 4000 folder, 3999 root folder.
    pub kind: i64,
    /// Folder titles from the top down, then the album's own title.
    pub path: Vec<String>,
    pub shared: bool,
}

impl Album {
    pub fn path_string(&self) -> String {
        self.path.join("/")
    }
}
