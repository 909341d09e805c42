//! The categories a user exports by, and how an asset falls into them.

use std::fmt;
use std::str::FromStr;

use super::{Asset, Attachment, MediaKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Photos,
    Videos,
    Live,
    Screenshots,
    ScreenRecordings,
    Panoramas,
    SloMo,
    TimeLapse,
    Bursts,
    Edited,
    Favorites,
    Hidden,
    RecentlyDeleted,
    Albums,
    SharedAlbums,
    Icloud,
    Messages,
    Whatsapp,
    Apps,
}

impl Category {
    pub const ALL: [Category; 19] = [
        Category::Photos,
        Category::Videos,
        Category::Live,
        Category::Screenshots,
        Category::ScreenRecordings,
        Category::Panoramas,
        Category::SloMo,
        Category::TimeLapse,
        Category::Bursts,
        Category::Edited,
        Category::Favorites,
        Category::Hidden,
        Category::RecentlyDeleted,
        Category::Albums,
        Category::SharedAlbums,
        Category::Icloud,
        Category::Messages,
        Category::Whatsapp,
        Category::Apps,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Category::Photos => "photos",
            Category::Videos => "videos",
            Category::Live => "live",
            Category::Screenshots => "screenshots",
            Category::ScreenRecordings => "screen-recordings",
            Category::Panoramas => "panoramas",
            Category::SloMo => "slo-mo",
            Category::TimeLapse => "time-lapse",
            Category::Bursts => "bursts",
            Category::Edited => "edited",
            Category::Favorites => "favorites",
            Category::Hidden => "hidden",
            Category::RecentlyDeleted => "recently-deleted",
            Category::Albums => "albums",
            Category::SharedAlbums => "shared-albums",
            Category::Icloud => "icloud",
            Category::Messages => "messages",
            Category::Whatsapp => "whatsapp",
            Category::Apps => "apps",
        }
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// The folder an asset goes to with `--layout category`: the most specific thing it is.
    pub const PRIMARY_ORDER: [Category; 15] = [
        Category::RecentlyDeleted,
        Category::Hidden,
        Category::Messages,
        Category::Whatsapp,
        Category::Apps,
        Category::SharedAlbums,
        Category::Screenshots,
        Category::ScreenRecordings,
        Category::Live,
        Category::Panoramas,
        Category::SloMo,
        Category::TimeLapse,
        Category::Bursts,
        Category::Videos,
        Category::Photos,
    ];
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase().replace('_', "-");
        Category::ALL
            .iter()
            .copied()
            .find(|c| c.name() == t || (t == "slomo" && *c == Category::SloMo))
            .ok_or_else(|| {
                format!(
                    "unknown category {s:?}; one of: {}",
                    Category::ALL
                        .iter()
                        .map(|c| c.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CategorySet(u32);

impl CategorySet {
    pub fn insert(&mut self, c: Category) {
        self.0 |= c.bit();
    }

    pub fn contains(self, c: Category) -> bool {
        self.0 & c.bit() != 0
    }

    pub fn intersects(self, other: CategorySet) -> bool {
        self.0 & other.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Category> {
        Category::ALL.into_iter().filter(move |c| self.contains(*c))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Category::name).collect()
    }

    pub fn primary(self) -> Category {
        Category::PRIMARY_ORDER
            .iter()
            .copied()
            .find(|c| self.contains(*c))
            .unwrap_or(Category::Photos)
    }
}

impl FromIterator<Category> for CategorySet {
    fn from_iter<I: IntoIterator<Item = Category>>(iter: I) -> Self {
        let mut s = CategorySet::default();
        for c in iter {
            s.insert(c);
        }
        s
    }
}

/// The categories of one asset. `in_user_album` / `in_shared_album` come from the library's
/// album membership; `has_edit` from the files present (a render in Mutations) or ZHASADJUSTMENTS.
pub fn classify(
    a: &Asset,
    in_user_album: bool,
    in_shared_album: bool,
    has_edit: bool,
) -> CategorySet {
    let mut s = CategorySet::default();
    if let Some(att) = a.attachment {
        s.insert(match att {
            Attachment::Messages => Category::Messages,
            Attachment::Whatsapp => Category::Whatsapp,
            Attachment::Apps => Category::Apps,
        });
    }
    match a.kind {
        MediaKind::Photo => s.insert(Category::Photos),
        MediaKind::Video => s.insert(Category::Videos),
        MediaKind::Unknown => {}
    }
    let sub = a.subtype.unwrap_or(-1);
    if sub == 2 || a.playback_style == Some(3) {
        s.insert(Category::Live);
    }
    if sub == 10 || a.detected_screenshot == Some(true) {
        s.insert(Category::Screenshots);
    }
    match sub {
        1 => s.insert(Category::Panoramas),
        101 => s.insert(Category::SloMo),
        102 => s.insert(Category::TimeLapse),
        103 => s.insert(Category::ScreenRecordings),
        _ => {}
    }
    if a.burst_uuid.as_deref().is_some_and(|u| !u.is_empty()) {
        s.insert(Category::Bursts);
    }
    if a.edited || has_edit {
        s.insert(Category::Edited);
    }
    if a.favorite {
        s.insert(Category::Favorites);
    }
    if a.hidden {
        s.insert(Category::Hidden);
    }
    if a.trashed {
        s.insert(Category::RecentlyDeleted);
    }
    if in_user_album {
        s.insert(Category::Albums);
    }
    let path = a.relative_path.as_str();
    if in_shared_album
        || path.starts_with("Media/PhotoData/PhotoCloudSharingData/")
        || path.starts_with("Media/PhotoStreamsData/")
    {
        s.insert(Category::SharedAlbums);
    }
    if path.starts_with("Media/PhotoData/CPLAssets/") {
        s.insert(Category::Icloud);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.name().parse::<Category>().unwrap(), c);
        }
        assert!("selfies"
            .parse::<Category>()
            .unwrap_err()
            .contains("screen-recordings"));
        let s: CategorySet = [Category::Live, Category::Hidden, Category::Photos]
            .into_iter()
            .collect();
        assert_eq!(s.names(), vec!["photos", "live", "hidden"]);
        assert_eq!(s.primary(), Category::Hidden);
    }
}
