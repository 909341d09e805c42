//! What the page's detail view shows of one asset beyond its `photos ls` record: where each
//! version lives in the backup (domain, path, fileID, size) and the few fields the listing
//! leaves out (title, caption, location, duration); and the large preview it displays.

use serde::Serialize;

use super::api::Reply;
use super::State;
use crate::media::MediaType;
use crate::records::asset::{record, AssetRecord};

/// A preview read whole is bounded: a larger original is shown by its thumbnail.
const MAX_PREVIEW: u64 = 32 << 20;

#[derive(Serialize)]
struct Version<'a> {
    role: &'static str,
    domain: &'a str,
    relative_path: &'a str,
    file_id: &'a str,
    size: u64,
}

#[derive(Serialize)]
struct Detail<'a> {
    #[serde(flatten)]
    record: AssetRecord<'a>,
    title: Option<&'a str>,
    caption: Option<&'a str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    duration: Option<f64>,
    files: Vec<Version<'a>>,
}

/// `GET /api/asset/UUID`.
pub fn detail(st: &State, i: usize) -> Reply {
    let a = &st.lib.assets[i];
    let files = st.lib.files[i]
        .versions()
        .into_iter()
        .map(|(role, e)| {
            let e = &st.entries[e];
            Version {
                role: role.name(),
                domain: &e.domain,
                relative_path: &e.relative_path,
                file_id: &e.file_id,
                size: e.size(),
            }
        })
        .collect();
    Reply::json(
        200,
        &Detail {
            record: record(&st.lib, &st.entries, i),
            title: a.title.as_deref(),
            caption: a.caption.as_deref(),
            latitude: a.latitude,
            longitude: a.longitude,
            duration: a.duration,
            files,
        },
    )
}

/// `GET /preview/UUID`: the version the Photos app shows (the edit, else the original) when a
/// browser displays it as it is (JPEG, PNG, GIF), else the thumbnail.
pub fn preview(st: &State, i: usize) -> Reply {
    let f = &st.lib.files[i];
    if let Some(e) = f.edited.or(f.original) {
        let entry = &st.entries[e];
        if entry.size() <= MAX_PREVIEW {
            if let Ok(bytes) = st.backup.read_entry(entry, MAX_PREVIEW) {
                let t = match crate::media::sniff(&bytes) {
                    Some(MediaType::Jpeg) => Some("image/jpeg"),
                    Some(MediaType::Png) => Some("image/png"),
                    Some(MediaType::Gif) => Some("image/gif"),
                    _ => None,
                };
                if let Some(t) = t {
                    let mut r = Reply::bytes(200, t, bytes);
                    r.headers
                        .push(("Cache-Control".into(), "private, max-age=86400".into()));
                    return r;
                }
            }
        }
    }
    super::thumbs::reply(st, i)
}
