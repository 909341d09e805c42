//! Thumbnails, cheapest first: the backup's own JPEG derivative (`Thumbnails/V2/…/5005.JPG`,
//! no decoding), else the version itself when a browser shows it (JPEG, PNG, GIF), else for a
//! HEIC a small JPEG decoded here, else a placeholder. Decodes are bounded by a fixed limiter
//! and their results kept in a bounded cache, so a client scrolling fast cannot exhaust memory
//! or CPU.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::api::Reply;
use super::State;
use crate::convert::{ConvertLimiter, DecodeOptions};
use crate::manifest::{Entry, EntryKind};
use crate::media::MediaType;
use crate::photos::PhotoLibrary;

/// Longest side of a thumbnail made here.
const SIDE: u32 = 512;
/// HEIC decodes at once, as the export engine allows.
const DECODES: usize = 2;
/// Thumbnails made here kept in memory (≈30 KB each).
const CACHED: usize = 2000;
/// A version larger than this is not read whole for a thumbnail.
const MAX_SOURCE: u64 = 64 << 20;

pub struct Thumbs {
    limiter: ConvertLimiter,
    cache: Mutex<HashMap<usize, Arc<Vec<u8>>>>,
}

impl Thumbs {
    pub fn new() -> Thumbs {
        Thumbs {
            limiter: ConvertLimiter::new(DECODES),
            cache: Mutex::new(HashMap::new()),
        }
    }
}

fn is_jpeg_name(p: &str) -> bool {
    crate::photos::files::extension(p)
        .is_some_and(|x| x.eq_ignore_ascii_case("jpg") || x.eq_ignore_ascii_case("jpeg"))
}

/// Per asset, the largest JPEG the Photos app keeps beside the library for it (its own
/// thumbnails, or the previews left when the original was offloaded).
pub fn derivatives(entries: &[Entry], lib: &PhotoLibrary) -> Vec<Option<usize>> {
    lib.assets
        .iter()
        .zip(&lib.files)
        .map(|(a, f)| {
            let mut found: Vec<usize> = Vec::new();
            if let Some(rest) = a.relative_path.strip_prefix("Media/") {
                let (dir, name) = rest.rsplit_once('/').unwrap_or(("", rest));
                let base = format!("Media/PhotoData/Thumbnails/V2/{dir}/{name}/");
                found.extend(under(entries, &a.domain, &base));
            }
            found.extend(f.previews.iter().copied());
            found
                .into_iter()
                .filter(|&i| {
                    entries[i].kind() == EntryKind::File && is_jpeg_name(&entries[i].relative_path)
                })
                .max_by_key(|&i| (entries[i].size(), std::cmp::Reverse(i)))
        })
        .collect()
}

/// Regular files of `domain` whose path starts with `prefix`, by binary search (entries are
/// sorted by domain, then path), as `EntryIndex::under` finds them: without building the
/// index's map of every path (some 6 MB for 100,000 entries), which this search never reads.
fn under<'e>(
    entries: &'e [Entry],
    domain: &'e str,
    prefix: &'e str,
) -> impl Iterator<Item = usize> + 'e {
    let start = entries
        .partition_point(|e| (e.domain.as_str(), e.relative_path.as_str()) < (domain, prefix));
    entries
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(move |e| e.domain == domain && e.relative_path.starts_with(prefix))
        .enumerate()
        .filter(|(_, e)| e.kind() == EntryKind::File)
        .map(move |(i, _)| start + i)
}

fn image(content_type: &str, bytes: Vec<u8>) -> Reply {
    let mut r = Reply::bytes(200, content_type, bytes);
    // The backup does not change while the server runs: the browser may keep it.
    r.headers
        .push(("Cache-Control".into(), "private, max-age=86400".into()));
    r
}

fn placeholder(video: bool) -> Reply {
    let label = if video { "video" } else { "no preview" };
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"256\" height=\"256\" viewBox=\"0 0 256 256\"><rect width=\"256\" height=\"256\" fill=\"#ddd\"/><text x=\"128\" y=\"136\" font-family=\"sans-serif\" font-size=\"22\" text-anchor=\"middle\" fill=\"#666\">{label}</text></svg>"
    );
    image("image/svg+xml", svg.into_bytes())
}

fn read(st: &State, e: usize) -> Option<Vec<u8>> {
    let entry = &st.entries[e];
    if entry.size() > MAX_SOURCE {
        return None;
    }
    st.backup.read_entry(entry, MAX_SOURCE).ok()
}

pub fn reply(st: &State, i: usize) -> Reply {
    let video = st.lib.assets[i].kind == crate::photos::MediaKind::Video;
    if let Some(bytes) = st.derivative(i).and_then(|e| read(st, e)) {
        if crate::media::sniff(&bytes) == Some(MediaType::Jpeg) {
            return image("image/jpeg", bytes);
        }
    }
    let f = &st.lib.files[i];
    // What the Photos app shows: the edit if there is one.
    let Some(e) = f.edited.or(f.original).or(f.previews.first().copied()) else {
        return placeholder(video);
    };
    if let Some(hit) = st
        .thumbs
        .cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&i)
    {
        return image("image/jpeg", hit.as_ref().clone());
    }
    let Some(bytes) = read(st, e) else {
        return placeholder(video);
    };
    match crate::media::sniff(&bytes) {
        Some(MediaType::Jpeg) => image("image/jpeg", bytes),
        Some(MediaType::Png) => image("image/png", bytes),
        Some(MediaType::Gif) => image("image/gif", bytes),
        Some(MediaType::Heic) => match heic_thumb(st, &bytes) {
            Some(jpeg) => {
                let jpeg = Arc::new(jpeg);
                let mut cache = st.thumbs.cache.lock().unwrap_or_else(|p| p.into_inner());
                // Emptied when full: simpler than an LRU and as good for a grid scrolled once.
                if cache.len() >= CACHED {
                    cache.clear();
                }
                cache.insert(i, jpeg.clone());
                image("image/jpeg", jpeg.as_ref().clone())
            }
            None => placeholder(video),
        },
        _ => placeholder(video),
    }
}

fn heic_thumb(st: &State, heic: &[u8]) -> Option<Vec<u8>> {
    let img = st
        .thumbs
        .limiter
        .decode(
            heic,
            &DecodeOptions {
                max_side: Some(SIDE),
                // Handlers already run side by side; one thread per decode keeps the two
                // decode slots at two cores.
                parallel: false,
                ..DecodeOptions::default()
            },
        )
        .ok()?;
    let (w, h) = (
        u16::try_from(img.width).ok()?,
        u16::try_from(img.height).ok()?,
    );
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
    if let Some(icc) = &img.icc {
        // Display P3 samples shown as sRGB would look washed out.
        enc.add_icc_profile(icc).ok()?;
    }
    enc.encode(&img.data, w, h, jpeg_encoder::ColorType::Rgb)
        .ok()?;
    Some(out)
}
