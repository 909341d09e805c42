//! Recognising images and videos by content, not by name: app containers and attachments use
//! arbitrary extensions (or none), and a `.jpg` may hold anything.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    Jpeg,
    Png,
    Gif,
    Heic,
    Avif,
    Tiff,
    Webp,
    Bmp,
    /// QuickTime (.MOV).
    QuickTime,
    /// MPEG-4 family (.MP4, .M4V, 3GP).
    Mp4,
}

impl MediaType {
    pub fn is_video(self) -> bool {
        matches!(self, MediaType::QuickTime | MediaType::Mp4)
    }

    pub fn is_image(self) -> bool {
        !self.is_video()
    }

    /// The extension a file of this type usually has on an iPhone.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Jpeg => "JPG",
            MediaType::Png => "PNG",
            MediaType::Gif => "GIF",
            MediaType::Heic => "HEIC",
            MediaType::Avif => "AVIF",
            MediaType::Tiff => "TIFF",
            MediaType::Webp => "WEBP",
            MediaType::Bmp => "BMP",
            MediaType::QuickTime => "MOV",
            MediaType::Mp4 => "MP4",
        }
    }
}

/// How many leading bytes `sniff` wants.
pub const SNIFF_LEN: usize = 32;

/// The media type of a file from its first bytes (`SNIFF_LEN` is enough).
pub fn sniff(head: &[u8]) -> Option<MediaType> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(&[0xFF, 0xD8, 0xFF]) {
        return Some(MediaType::Jpeg);
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Some(MediaType::Png);
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Some(MediaType::Gif);
    }
    if starts(b"II*\0") || starts(b"MM\0*") {
        return Some(MediaType::Tiff);
    }
    if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        return Some(MediaType::Webp);
    }
    if starts(b"BM") && head.len() >= 14 && head.get(6..10) == Some(&[0, 0, 0, 0]) {
        return Some(MediaType::Bmp);
    }
    // ISO base media files: a box size then a four-character type.
    let box_type = head.get(4..8)?;
    if box_type == b"ftyp" {
        let major = head.get(8..12)?;
        let brands: Vec<&[u8]> = std::iter::once(major)
            .chain(head.get(16..).unwrap_or(&[]).chunks_exact(4))
            .collect();
        let has = |b: &[u8]| brands.contains(&b);
        if [
            "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1",
        ]
        .iter()
        .any(|b| major == b.as_bytes())
        {
            return Some(MediaType::Heic);
        }
        if major == b"avif" || major == b"avis" {
            return Some(MediaType::Avif);
        }
        if major == b"qt  " {
            return Some(MediaType::QuickTime);
        }
        if has(b"heic") || has(b"mif1") {
            return Some(MediaType::Heic);
        }
        return Some(MediaType::Mp4);
    }
    // Old QuickTime files start straight with a movie or data atom.
    if [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"]
        .iter()
        .any(|t| box_type == *t)
    {
        return Some(MediaType::QuickTime);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures() {
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaType::Png)
        );
        assert_eq!(sniff(b"GIF89a...."), Some(MediaType::Gif));
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Some(MediaType::Heic)
        );
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0qt  "),
            Some(MediaType::QuickTime)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0isomiso2"),
            Some(MediaType::Mp4)
        );
        assert_eq!(
            sniff(b"\0\0\0\x08wide\0\0\0\0mdat"),
            Some(MediaType::QuickTime)
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(MediaType::Webp));
        assert_eq!(sniff(b"SQLite format 3\0"), None);
        assert_eq!(sniff(b"bplist00"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn the_sample_media_are_recognised() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/media/");
        for (f, t) in [
            ("photo_0001.jpg", MediaType::Jpeg),
            ("live.heic", MediaType::Heic),
            ("live.mov", MediaType::QuickTime),
            ("screenshot.png", MediaType::Png),
            ("video.mov", MediaType::QuickTime),
        ] {
            let b = std::fs::read(format!("{dir}{f}")).unwrap();
            assert_eq!(sniff(&b[..SNIFF_LEN.min(b.len())]), Some(t), "{f}");
        }
    }
}
