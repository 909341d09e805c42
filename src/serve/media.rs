//! A version's bytes as a download or as the detail view's `<video>` source, with HTTP byte
//! ranges (RFC 9110 §14). Chromium loads a video with `Range: bytes=0-` and seeks with more
//! ranges: a QuickTime file whose movie atom comes after its data (as ffmpeg and older iPhones
//! write them) cannot even start without one. Every reply streams from the backup, never
//! holding a whole file:
//! - a plain folder's blob is a file: the range is a seek;
//! - a zip member, or an encrypted blob (decrypted block by block), has no seek here: the
//!   bytes before the range are read and dropped on the way (memory stays flat; the time grows
//!   with the offset). The plaintext length of an encrypted blob is known only after its last
//!   block's padding, so it is found by one streamed pass, once per file, and kept.

use std::io::{Read, Seek, SeekFrom};

use super::api::{Body, Reply};
use super::State;
use crate::media::MediaType;
use crate::source::BlobReader;

/// What a `Range` header asks of a representation of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// No range, or one this server ignores as RFC 9110 allows (another unit; several ranges,
    /// which no browser sends for media): the whole content, 200.
    Whole,
    /// `start..=end`, both within the content: 206.
    Part { start: u64, end: u64 },
    /// Malformed, or outside the content: 416, with the length in `Content-Range`.
    Unsatisfiable,
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Parses one `Range` header value against a content of `len` bytes.
pub fn wanted(header: Option<&str>, len: u64) -> Wanted {
    let Some(h) = header else {
        return Wanted::Whole;
    };
    let Some((unit, spec)) = h.trim().split_once('=') else {
        return Wanted::Unsatisfiable;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return Wanted::Whole;
    }
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Unsatisfiable;
    };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        // `-N`: the last N bytes (all of them when N is larger).
        match digits(last) {
            Some(n) if n > 0 && len > 0 => Some((len.saturating_sub(n), len - 1)),
            _ => None,
        }
    } else {
        match (digits(first), last) {
            (Some(a), "") if a < len => Some((a, len - 1)),
            (Some(a), b) => match digits(b) {
                Some(b) if a <= b && a < len => Some((a, b.min(len - 1))),
                _ => None,
            },
            (None, _) => None,
        }
    };
    match range {
        Some((start, end)) => Wanted::Part { start, end },
        None => Wanted::Unsatisfiable,
    }
}

fn header<'r>(req: &'r tiny_http::Request, name: &'static str) -> Option<&'r str> {
    req.headers()
        .iter()
        .find(|h| h.field.equiv(name))
        .map(|h| h.value.as_str())
}

/// The plaintext length of entry `e`: the blob's or zip member's own length when the backup is
/// not encrypted (no reading), else one decrypting pass, remembered.
fn plain_len(st: &State, e: usize) -> crate::error::Result<u64> {
    let entry = &st.entries[e];
    if !st.backup.is_encrypted() {
        let r = st.backup.open_entry(entry)?;
        return r
            .byte_len()
            .map_err(|err| crate::error::Error::Other(format!("{}: {err}", entry.display())));
    }
    if let Some(n) = st.lens().get(&e) {
        return Ok(*n);
    }
    let mut r = st.backup.open_plain(entry)?;
    let n = std::io::copy(&mut r, &mut std::io::sink())
        .map_err(|err| crate::error::Error::Other(format!("{}: {err}", entry.display())))?;
    st.lens().insert(e, n);
    Ok(n)
}

/// Entry `e`'s plaintext from byte `start` on: a seek in a plain folder's blob, else the
/// stream with its first `start` bytes read and dropped.
fn open_at(st: &State, e: usize, start: u64) -> crate::error::Result<Box<dyn Read + Send>> {
    let entry = &st.entries[e];
    let fail =
        |err: std::io::Error| crate::error::Error::Other(format!("{}: {err}", entry.display()));
    if !st.backup.is_encrypted() {
        if let BlobReader::File(mut f) = st.backup.open_entry(entry)? {
            f.seek(SeekFrom::Start(start)).map_err(fail)?;
            return Ok(Box::new(f));
        }
    }
    let mut r = st.backup.open_plain(entry)?;
    let skipped = std::io::copy(&mut (&mut r).take(start), &mut std::io::sink()).map_err(fail)?;
    if skipped != start {
        return Err(fail(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("ended after {skipped} bytes, before the range's start {start}"),
        )));
    }
    Ok(r)
}

/// How the reply presents the bytes.
pub enum Present<'a> {
    /// `Content-Disposition: attachment` as `application/octet-stream` (the download links).
    Download(&'a str),
    /// Shown in the page (`<video>`): its own type, inline.
    Inline(&'static str, &'a str),
}

/// The reply to a GET or HEAD of entry `e`, honouring the request's `Range`.
pub fn reply(st: &State, e: usize, req: &tiny_http::Request, how: Present<'_>) -> Reply {
    let entry = &st.entries[e];
    let (content_type, disposition) = match how {
        Present::Download(name) => (
            "application/octet-stream",
            format!("attachment; filename=\"{}\"", header_safe_name(name)),
        ),
        Present::Inline(t, name) => (
            t,
            format!("inline; filename=\"{}\"", header_safe_name(name)),
        ),
    };
    let range = header(req, "Range");
    let cannot = |err: crate::error::Error| {
        Reply::text(500, &format!("cannot read {}: {err}", entry.display()))
    };
    let headers = |status: u16, extra: Vec<(String, String)>, body: Body| {
        let mut h = vec![
            ("Content-Type".into(), content_type.to_string()),
            ("Content-Disposition".into(), disposition.clone()),
            ("Accept-Ranges".into(), "bytes".into()),
        ];
        h.extend(extra);
        Reply {
            status,
            headers: h,
            body,
        }
    };
    // No range asked of an encrypted blob: stream it as it decrypts (a download needs no
    // length up front, and finding it would cost a pass over the file first).
    if range.is_none() && st.backup.is_encrypted() {
        return match st.backup.open_plain(entry) {
            Ok(r) => headers(200, vec![], Body::Stream(r)),
            Err(err) => cannot(err),
        };
    }
    let len = match plain_len(st, e) {
        Ok(n) => n,
        Err(err) => return cannot(err),
    };
    match wanted(range, len) {
        Wanted::Whole => match open_at(st, e, 0) {
            Ok(r) => headers(200, vec![], Body::Sized(r, len)),
            Err(err) => cannot(err),
        },
        Wanted::Part { start, end } => match open_at(st, e, start) {
            Ok(r) => {
                let n = end - start + 1;
                headers(
                    206,
                    vec![("Content-Range".into(), format!("bytes {start}-{end}/{len}"))],
                    Body::Sized(Box::new(r.take(n)), n),
                )
            }
            Err(err) => cannot(err),
        },
        Wanted::Unsatisfiable => Reply::text(416, "range not satisfiable")
            .header("Content-Range", &format!("bytes */{len}"))
            .header("Accept-Ranges", "bytes"),
    }
}

/// The browser's type for a video version, by its content; `None` for anything else.
pub fn video_type(st: &State, e: usize) -> Option<&'static str> {
    let head = st.backup.read_head(&st.entries[e], 64).ok()?;
    match crate::media::sniff(&head)? {
        MediaType::QuickTime => Some("video/quicktime"),
        MediaType::Mp4 => Some("video/mp4"),
        _ => None,
    }
}

/// A name safe in a Content-Disposition header: ASCII letters, digits and `._-()` and spaces.
pub fn header_safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " ._-()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.trim_matches(|c| c == '.' || c == ' ').is_empty() {
        "download".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let p = |start, end| Wanted::Part { start, end };
        for (h, want) in [
            (None, Wanted::Whole),
            (Some("bytes=0-"), p(0, 99)),
            (Some("bytes=0-0"), p(0, 0)),
            (Some("bytes=10-19"), p(10, 19)),
            (Some("BYTES = 10-19"), p(10, 19)),
            (Some("bytes=90-200"), p(90, 99)),
            (Some("bytes=-10"), p(90, 99)),
            (Some("bytes=-1000"), p(0, 99)),
            (Some("bytes=99-"), p(99, 99)),
            (Some("bytes=100-"), Wanted::Unsatisfiable),
            (Some("bytes=100-200"), Wanted::Unsatisfiable),
            (Some("bytes=20-10"), Wanted::Unsatisfiable),
            (Some("bytes=-0"), Wanted::Unsatisfiable),
            (Some("bytes=-"), Wanted::Unsatisfiable),
            (Some("bytes=+1-2"), Wanted::Unsatisfiable),
            (Some("bytes=a-b"), Wanted::Unsatisfiable),
            (
                Some("bytes=99999999999999999999999-"),
                Wanted::Unsatisfiable,
            ),
            (Some("bytes"), Wanted::Unsatisfiable),
            (Some("bytes=0-1,5-6"), Wanted::Whole),
            (Some("items=0-1"), Wanted::Whole),
        ] {
            assert_eq!(wanted(h, 100), want, "{h:?}");
        }
        assert_eq!(wanted(Some("bytes=0-"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-5"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(None, 0), Wanted::Whole);
    }
}
