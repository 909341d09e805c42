//! Which versions of an asset the backup holds: the original, a Live Photo's video, the edited
//! render from Mutations, and — when the original is gone (iCloud "Optimize Storage",
//! offloaded) — the previews and thumbnails that remain.

use std::collections::HashMap;

use serde::Serialize;

use crate::manifest::{Entry, EntryKind};

pub const CAMERA_ROLL: &str = "CameraRollDomain";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Original,
    LiveVideo,
    Edited,
    EditedLiveVideo,
    Preview,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Original => "original",
            Role::LiveVideo => "live-video",
            Role::Edited => "edited",
            Role::EditedLiveVideo => "edited-live-video",
            Role::Preview => "preview",
        }
    }
}

/// Indices into the manifest's entries.
#[derive(Debug, Clone, Default)]
pub struct AssetFiles {
    pub original: Option<usize>,
    pub live_video: Option<usize>,
    pub edited: Option<usize>,
    pub edited_video: Option<usize>,
    /// Derivatives, largest first; only looked for when the original is absent.
    pub previews: Vec<usize>,
}

impl AssetFiles {
    /// The versions present, in a fixed order.
    pub fn versions(&self) -> Vec<(Role, usize)> {
        let mut v = Vec::new();
        if let Some(i) = self.original {
            v.push((Role::Original, i));
        }
        if let Some(i) = self.live_video {
            v.push((Role::LiveVideo, i));
        }
        if let Some(i) = self.edited {
            v.push((Role::Edited, i));
        }
        if let Some(i) = self.edited_video {
            v.push((Role::EditedLiveVideo, i));
        }
        if self.original.is_none() {
            if let Some(&i) = self.previews.first() {
                v.push((Role::Preview, i));
            }
        }
        v
    }
}

/// Fast lookups over the manifest's entries (sorted by domain, then path).
pub struct EntryIndex<'a> {
    pub entries: &'a [Entry],
    by_path: HashMap<(&'a str, &'a str), usize>,
}

impl<'a> EntryIndex<'a> {
    pub fn new(entries: &'a [Entry]) -> EntryIndex<'a> {
        let by_path = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind() == EntryKind::File)
            .map(|(i, e)| ((e.domain.as_str(), e.relative_path.as_str()), i))
            .collect();
        EntryIndex { entries, by_path }
    }

    pub fn file(&self, domain: &str, path: &str) -> Option<usize> {
        self.by_path.get(&(domain, path)).copied()
    }

    /// Regular files whose path starts with `prefix`, in path order (binary search: entries
    /// are sorted by domain, then path).
    pub fn under(&self, domain: &str, prefix: &str) -> Vec<usize> {
        let start = self
            .entries
            .partition_point(|e| (e.domain.as_str(), e.relative_path.as_str()) < (domain, prefix));
        self.entries[start..]
            .iter()
            .enumerate()
            .take_while(|(_, e)| e.domain == domain && e.relative_path.starts_with(prefix))
            .filter(|(_, e)| e.kind() == EntryKind::File)
            .map(|(i, _)| start + i)
            .collect()
    }

    /// A file in the same folder with the same stem and one of `exts` (any case).
    pub fn sibling(&self, domain: &str, path: &str, exts: &[&str]) -> Option<usize> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let stem = stem(name);
        let prefix = if dir.is_empty() {
            format!("{stem}.")
        } else {
            format!("{dir}/{stem}.")
        };
        self.under(domain, &prefix).into_iter().find(|&i| {
            let p = &self.entries[i].relative_path[prefix.len()..];
            !p.contains('/') && exts.iter().any(|x| p.eq_ignore_ascii_case(x))
        })
    }
}

pub fn stem(name: &str) -> &str {
    match name.rfind('.') {
        Some(0) | None => name,
        Some(i) => &name[..i],
    }
}

pub fn extension(name: &str) -> Option<&str> {
    match name.rfind('.') {
        Some(0) | None => None,
        Some(i) => Some(&name[i + 1..]),
    }
}

const VIDEO_EXTS: &[&str] = &["MOV", "MP4", "M4V"];

/// Finds the versions of an asset whose original the library places at `Media/<dir>/<file>`
/// in `domain`. `is_photo` and `live` decide whether a paired video is looked for.
pub fn resolve(
    idx: &EntryIndex<'_>,
    domain: &str,
    relative_path: &str,
    is_photo: bool,
    live: bool,
) -> AssetFiles {
    let mut f = AssetFiles {
        original: idx.file(domain, relative_path),
        ..Default::default()
    };
    if is_photo && live {
        f.live_video = idx.sibling(domain, relative_path, VIDEO_EXTS);
    }
    // Media/<dir>/<stem>.<ext> → Media/PhotoData/Mutations/<dir>/<stem>/Adjustments/FullSizeRender.*
    if let Some(rest) = relative_path.strip_prefix("Media/") {
        let (dir, name) = rest.rsplit_once('/').unwrap_or(("", rest));
        let base = format!(
            "Media/PhotoData/Mutations/{dir}/{}/Adjustments/",
            stem(name)
        );
        for i in idx.under(domain, &base) {
            let n = &idx.entries[i].relative_path[base.len()..];
            if n.contains('/') || !n.starts_with("FullSizeRender") {
                continue;
            }
            let is_video =
                extension(n).is_some_and(|x| VIDEO_EXTS.iter().any(|v| x.eq_ignore_ascii_case(v)));
            if is_video && is_photo {
                f.edited_video.get_or_insert(i);
            } else {
                f.edited.get_or_insert(i);
            }
        }
        if f.original.is_none() {
            let mut p = Vec::new();
            let (meta_stem, thumbs) = (
                format!("Media/PhotoData/Metadata/{dir}/{}.", stem(name)),
                format!("Media/PhotoData/Thumbnails/V2/{dir}/{name}/"),
            );
            for i in idx.under(domain, &meta_stem) {
                let n = &idx.entries[i].relative_path[meta_stem.len()..];
                if ["JPG", "JPEG", "HEIC", "THM"]
                    .iter()
                    .any(|x| n.eq_ignore_ascii_case(x))
                {
                    p.push(i);
                }
            }
            p.extend(idx.under(domain, &thumbs));
            p.sort_by_key(|&i| (std::cmp::Reverse(idx.entries[i].size()), i));
            f.previews = p;
        }
    }
    f
}
