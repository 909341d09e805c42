//! HEIC/HEIF stills to JPEG (and to RGB for thumbnails), in pure Rust.
//!
//! Decoding is `heic-rs` (container, HEVC intra decoder, grid tiles), driven step by step from
//! here rather than through its one-call `decode`, for two reasons: its colour conversion ignores
//! the colour description in the HEVC bitstream, which is where iPhones declare full-range BT.601
//! (see [`colour`]), and its codec does not bound a tile by its SPS size, which a hostile file
//! could make enormous (checked here before any tile is decoded).
//!
//! The JPEG gets the primary image's pixels upright (`clap`, `irot`, `imir` applied), the
//! original EXIF with Orientation set to 1, the XMP packet if there is one, and the ICC profile
//! (Display P3 on iPhones) in APP2 `ICC_PROFILE` chunks. An HDR gain map (the `tmap` brand, an
//! auxiliary image) is left out: the primary image is the SDR rendition every viewer shows.
//!
//! The JPEG of an iPhone photo is encoded straight from the decoded YCbCr planes, which are
//! already what JFIF stores ([`ycc`]); other files, and thumbnails, go through RGB.
//!
//! Memory: an RGB decode holds the tiles (2 bytes per sample, 1.5 samples per pixel for 4:2:0),
//! the composed planes, and the RGB image: about 9 bytes per pixel at its peak, ~110 MB for a
//! 12 MP photo and ~440 MB for 48 MP. The YCbCr path holds the tiles and then 8-bit planes,
//! about 4.5 bytes per pixel. [`ConvertLimiter`] caps how many run at once; [`MAX_PIXELS`] caps
//! the size of any one before anything is allocated.

mod colour;
mod container;
mod exif;
mod jpeg;
mod orient;
mod ycc;

use std::sync::{Condvar, Mutex};

use heic_rs::color as hcolor;
use heic_rs::context::Context;
use heic_rs::hevc::Frame;
use heic_rs::props::ItemProps;
use heic_rs::{grid, transform, PixelLayout};
use rayon::prelude::*;

pub use crate::media::MediaType;

/// The largest image, in pixels, this module decodes: over twice a 48 MP iPhone photo
/// (8064×6048). A file declaring more is refused before any pixel memory is allocated.
pub const MAX_PIXELS: u64 = 100_000_000;

/// A JPEG's side cannot exceed 65535 pixels (its frame header stores 16 bits).
pub const MAX_JPEG_SIDE: u32 = 65_535;

/// Why a HEIC could not be converted. The engine exports the original instead and reports this.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("not a HEIF image")]
    NotHeif,
    #[error("truncated HEIC: {0}")]
    Truncated(String),
    #[error("bad box `{kind}` at offset {offset}: {reason}")]
    BadBox {
        offset: u64,
        kind: String,
        reason: &'static str,
    },
    #[error("malformed HEIC: {0}")]
    Malformed(String),
    /// `declared` is `WIDTHxHEIGHT` (or a pixel count): what the file asked for.
    #[error("HEIC declares {declared} pixels, above the {max_pixels}-pixel limit")]
    TooLarge { declared: String, max_pixels: u64 },
    #[error("unsupported HEIC: {0}")]
    Unsupported(String),
    #[error("metadata cannot be carried into the JPEG: {0}")]
    Metadata(String),
    #[error("JPEG encoding failed: {0}")]
    Encode(String),
}

impl From<heic_rs::Error> for ConvertError {
    fn from(e: heic_rs::Error) -> Self {
        match e {
            heic_rs::Error::Truncated(_) => ConvertError::Truncated(e.to_string()),
            heic_rs::Error::Unsupported(_) => ConvertError::Unsupported(e.to_string()),
            heic_rs::Error::PixelLimit { pixels, max_pixels } => ConvertError::TooLarge {
                declared: pixels.to_string(),
                max_pixels,
            },
            _ => ConvertError::Malformed(e.to_string()),
        }
    }
}

/// How to decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Shrink (never enlarge) so that neither side exceeds this, keeping the aspect ratio.
    pub max_side: Option<u32>,
    /// Decode the grid's tiles and convert colour on the current rayon pool (the global one, or
    /// the caller's when called from inside one). `false` keeps the whole decode on this thread:
    /// what an engine already running one file per core wants.
    pub parallel: bool,
    /// Refuse images declaring more pixels than this (default [`MAX_PIXELS`]).
    pub max_pixels: u64,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            max_side: None,
            parallel: true,
            max_pixels: MAX_PIXELS,
        }
    }
}

/// How to write the JPEG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JpegOptions {
    /// 1–100 (clamped); default 90.
    pub quality: u8,
    /// As [`DecodeOptions::parallel`].
    pub parallel: bool,
    /// As [`DecodeOptions::max_pixels`].
    pub max_pixels: u64,
}

impl Default for JpegOptions {
    fn default() -> Self {
        JpegOptions {
            quality: 90,
            parallel: true,
            max_pixels: MAX_PIXELS,
        }
    }
}

/// A decoded image: 8-bit RGB, rows top to bottom, upright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbImage {
    pub width: u32,
    pub height: u32,
    /// `width * height * 3` bytes.
    pub data: Vec<u8>,
    /// The ICC profile the samples are in (Display P3 on iPhones); `None` means sRGB.
    pub icc: Option<Vec<u8>>,
}

/// A converted photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converted {
    /// The whole JPEG file.
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The source had EXIF and it was copied (with Orientation set to 1).
    pub exif: bool,
    /// The source had an ICC profile and it was embedded.
    pub icc: bool,
    /// The source had an XMP packet and it was copied.
    pub xmp: bool,
}

/// Is this a HEIF still (HEIC and friends)? Content, not name: `media::sniff` on the first bytes.
pub fn is_heif(bytes: &[u8]) -> bool {
    crate::media::sniff(bytes) == Some(MediaType::Heic)
}

/// Decode the primary image of a HEIC to upright RGB, shrunk to `max_side` if given.
pub fn decode(heic: &[u8], opts: &DecodeOptions) -> Result<RgbImage, ConvertError> {
    let decoded = decode_primary(heic, opts.parallel, opts.max_pixels, None, false)?;
    // Planes are made only when asked for, which this call does not.
    let Pixels::Rgb(mut image) = decoded.pixels else {
        return Err(ConvertError::Unsupported(
            "YCbCr planes where RGB was asked for".into(),
        ));
    };
    image.icc = decoded.icc;
    if let Some(side) = opts.max_side {
        image = shrink(image, side.max(1));
    }
    Ok(image)
}

/// Convert the primary image of a HEIC to a JPEG carrying its EXIF, XMP and ICC profile.
pub fn heic_to_jpeg(heic: &[u8], opts: &JpegOptions) -> Result<Converted, ConvertError> {
    let d = decode_primary(
        heic,
        opts.parallel,
        opts.max_pixels,
        Some(MAX_JPEG_SIDE),
        true,
    )?;
    let (w, h) = match &d.pixels {
        Pixels::Rgb(i) => (i.width, i.height),
        Pixels::Ycc(p) => (p.width, p.height),
    };
    let (Ok(w16), Ok(h16)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(ConvertError::Unsupported(format!(
            "{w}x{h} pixels: a JPEG side is at most {MAX_JPEG_SIDE}"
        )));
    };
    // APPn segments in the order they are written: EXIF, XMP, then the ICC profile.
    let mut segments: Vec<(u8, Vec<u8>)> = Vec::new();
    let has_exif = d.exif.is_some();
    if let Some(tiff) = d.exif {
        let mut app1 = Vec::with_capacity(tiff.len() + 6);
        app1.extend_from_slice(b"Exif\0\0");
        app1.extend_from_slice(&tiff);
        // One APP1 segment holds at most 65533 bytes; an EXIF block cannot be split.
        if app1.len() > 65_533 {
            return Err(ConvertError::Metadata(format!(
                "the EXIF block is {} bytes, more than one JPEG APP1 segment holds",
                tiff.len()
            )));
        }
        segments.push((1, app1));
    }
    let has_xmp = match &d.xmp {
        Some(xmp) => {
            let mut app1 = Vec::with_capacity(xmp.len() + 29);
            app1.extend_from_slice(b"http://ns.adobe.com/xap/1.0/\0");
            app1.extend_from_slice(xmp);
            // Extended XMP (split over several segments) is not written; an oversized packet
            // is left out rather than failing the photo (the EXIF holds the capture facts).
            if app1.len() <= 65_533 {
                segments.push((1, app1));
                true
            } else {
                false
            }
        }
        None => false,
    };
    let has_icc = match &d.icc {
        // An empty profile would be no chunk at all: not reported as kept.
        Some(icc) if !icc.is_empty() => {
            segments.extend(icc_segments(icc)?);
            true
        }
        _ => false,
    };
    let jpeg = match &d.pixels {
        Pixels::Rgb(i) => {
            let mut jpeg = Vec::with_capacity(heic.len() * 2);
            let mut enc = jpeg_encoder::Encoder::new(&mut jpeg, opts.quality.clamp(1, 100));
            // 4:2:0 like the HEVC source (and Pillow's default): 4:4:4 would store chroma
            // detail the HEIC never had, in files a third larger.
            enc.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
            let enc_err = |e: jpeg_encoder::EncodingError| ConvertError::Encode(e.to_string());
            for (n, payload) in &segments {
                enc.add_app_segment(*n, payload).map_err(enc_err)?;
            }
            enc.encode(&i.data, w16, h16, jpeg_encoder::ColorType::Rgb)
                .map_err(enc_err)?;
            jpeg
        }
        Pixels::Ycc(p) => {
            let refs: Vec<(u8, &[u8])> = segments.iter().map(|(n, s)| (*n, &s[..])).collect();
            let [y, cb, cr] = p.views();
            jpeg::encode_420(y, cb, cr, opts.quality, &refs, heic.len() * 2)
                .map_err(|e| ConvertError::Encode(e.to_string()))?
        }
    };
    Ok(Converted {
        jpeg,
        width: w,
        height: h,
        exif: has_exif,
        icc: has_icc,
        xmp: has_xmp,
    })
}

/// An ICC profile as APP2 `ICC_PROFILE` chunks (ICC.1 annex B.4): at most 255 chunks of
/// 65,519 bytes, each numbered from 1 with the count.
fn icc_segments(icc: &[u8]) -> Result<Vec<(u8, Vec<u8>)>, ConvertError> {
    const CHUNK: usize = 65_533 - 14;
    let chunks = icc.len().div_ceil(CHUNK).max(1);
    let Ok(count) = u8::try_from(chunks) else {
        return Err(ConvertError::Metadata(format!(
            "the ICC profile is {} bytes, more than 255 APP2 segments hold",
            icc.len()
        )));
    };
    Ok(icc
        .chunks(CHUNK)
        .enumerate()
        .map(|(i, part)| {
            let mut app2 = Vec::with_capacity(part.len() + 14);
            app2.extend_from_slice(b"ICC_PROFILE\0");
            app2.extend_from_slice(&[i as u8 + 1, count]);
            app2.extend_from_slice(part);
            (2, app2)
        })
        .collect())
}

/// At most `n` conversions in flight: each holds ~9 bytes per pixel at its peak (see the module
/// doc), so an engine converting on every core holds a permit across each decode+encode.
#[derive(Debug)]
pub struct ConvertLimiter {
    free: Mutex<usize>,
    freed: Condvar,
}

/// A held slot of a [`ConvertLimiter`]; dropping it frees the slot.
#[derive(Debug)]
pub struct ConvertPermit<'a> {
    limiter: &'a ConvertLimiter,
}

impl ConvertLimiter {
    /// `n` slots (at least one).
    pub fn new(n: usize) -> Self {
        ConvertLimiter {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Wait for a free slot.
    pub fn acquire(&self) -> ConvertPermit<'_> {
        // A poisoned lock only means another converter panicked holding it; the count is still
        // right, so carry on with it.
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        *free -= 1;
        ConvertPermit { limiter: self }
    }

    /// [`heic_to_jpeg`] inside a slot.
    pub fn heic_to_jpeg(&self, heic: &[u8], opts: &JpegOptions) -> Result<Converted, ConvertError> {
        let _slot = self.acquire();
        heic_to_jpeg(heic, opts)
    }

    /// [`decode`] inside a slot.
    pub fn decode(&self, heic: &[u8], opts: &DecodeOptions) -> Result<RgbImage, ConvertError> {
        let _slot = self.acquire();
        decode(heic, opts)
    }
}

impl Drop for ConvertPermit<'_> {
    fn drop(&mut self) {
        let mut free = self.limiter.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.limiter.freed.notify_one();
    }
}

/// The primary image's pixels, upright.
enum Pixels {
    Rgb(RgbImage),
    /// Only when asked for ([`decode_primary`]'s `ycc`) and the file allows it.
    Ycc(ycc::Ycc420),
}

/// The primary image and the metadata that goes with it.
struct Primary {
    pixels: Pixels,
    /// The ICC profile the pixels are in (Display P3 on iPhones); `None` means sRGB.
    icc: Option<Vec<u8>>,
    /// The TIFF block, Orientation already set to 1.
    exif: Option<Vec<u8>>,
    xmp: Option<Vec<u8>>,
}

/// `max_side`: refuse, before decoding, an image whose upright side is longer (the JPEG limit).
/// `ycc`: the caller can take JPEG-ready YCbCr planes ([`ycc`]), which skip RGB altogether.
fn decode_primary(
    heic: &[u8],
    parallel: bool,
    max_pixels: u64,
    max_side: Option<u32>,
    ycc: bool,
) -> Result<Primary, ConvertError> {
    if !is_heif(heic) {
        return Err(ConvertError::NotHeif);
    }
    // Box sizes first, so a damaged file is reported by offset rather than by whichever parser
    // happened to trip over it.
    container::check(heic)?;
    let ctx = Context::open(heic)?;
    let id = ctx.meta.primary;
    let p = ctx.props(id)?;
    let (cw, ch) = ctx.coded_size(id, &p)?;
    check_size(u64::from(cw), u64::from(ch), max_pixels)?;
    let (tw, th) = transform::transformed_size(cw, ch, &p.transforms)?;
    check_size(u64::from(tw), u64::from(th), max_pixels)?;
    if let Some(side) = max_side.filter(|&s| tw > s || th > s) {
        return Err(ConvertError::Unsupported(format!(
            "{tw}x{th} pixels: a JPEG side is at most {side}"
        )));
    }

    // The grid item is parsed once: its tiles now, its layout when they are put together.
    let (grid, coded) = match ctx.grid(id)? {
        Some((g, tiles)) => (Some(g), tiles),
        None => (None, vec![id]),
    };
    // Every coded picture's own size (its SPS) is bounded too, and their sum: the tiles are all
    // held at once before they are composed.
    let mut inputs = Vec::with_capacity(coded.len());
    let mut total: u64 = 0;
    let mut vui = None;
    for &t in &coded {
        let tp = if t == id { p.clone() } else { ctx.props(t)? };
        let info = ctx.meta.item(t).ok_or(heic_rs::Error::MissingItem(t))?;
        if &info.item_type != b"hvc1" {
            return Err(ConvertError::Unsupported(format!(
                "item type `{}`: only HEVC (`hvc1`) images are decoded",
                String::from_utf8_lossy(&info.item_type)
            )));
        }
        let hvcc = tp.hvcc.as_ref().ok_or(heic_rs::Error::MissingBox("hvcC"))?;
        let params = hvcc.parameter_sets();
        let sps = params
            .iter()
            .find_map(|n| colour::parse_sps(n))
            .ok_or_else(|| {
                ConvertError::Malformed(format!(
                    "item {t}: no readable HEVC sequence parameter set"
                ))
            })?;
        check_size(u64::from(sps.width), u64::from(sps.height), max_pixels)?;
        total = total.saturating_add(u64::from(sps.width) * u64::from(sps.height));
        // Grid padding makes the tiles somewhat larger than the image; twice is generous.
        check_size(total, 1, max_pixels.saturating_mul(2))?;
        if vui.is_none() {
            vui = sps.signal;
        }
        inputs.push((t, tp));
    }
    let nclx = colour::choose(p.nclx, vui);

    let decode_one = |(t, tp): &(u32, ItemProps<'_>)| -> Result<Frame, ConvertError> {
        let hvcc = tp.hvcc.as_ref().ok_or(heic_rs::Error::MissingBox("hvcC"))?;
        let data = ctx.item_data(*t)?;
        let nals = hvcc.split_nals(&data)?;
        let frame = heic_rs::hevc::decode_still(&hvcc.parameter_sets(), &nals)?;
        frame.validate()?;
        Ok(frame)
    };
    let frames: Vec<Frame> = if parallel {
        inputs
            .par_iter()
            .map(decode_one)
            .collect::<Result<_, _>>()?
    } else {
        inputs.iter().map(decode_one).collect::<Result<_, _>>()?
    };
    let frames = if ycc {
        match ycc::planes(grid.as_ref(), frames, nclx, &p.transforms, parallel) {
            Ok(Some(planes)) => Ok(planes),
            Ok(None) => {
                return Err(ConvertError::Malformed(
                    "the YCbCr planes could not be turned upright".into(),
                ))
            }
            Err(frames) => Err(frames),
        }
    } else {
        Err(frames)
    };
    let pixels = match frames {
        Ok(planes) => Pixels::Ycc(planes),
        Err(frames) => Pixels::Rgb(to_rgb(
            grid,
            frames,
            nclx,
            &p.transforms,
            parallel,
            max_pixels,
        )?),
    };

    let exif = match ctx.exif_item(id) {
        Some(e) => {
            let item = ctx.item_data(e)?;
            let tiff = exif::tiff_block(&item).ok_or_else(|| {
                ConvertError::Metadata("the Exif item holds no TIFF header".into())
            })?;
            let mut tiff = tiff.to_vec();
            // An IFD0 that cannot be walked is copied as it is: readers that cannot walk it
            // cannot read an Orientation from it either.
            exif::set_orientation_upright(&mut tiff);
            Some(tiff)
        }
        None => None,
    };
    let xmp = match ctx.xmp_item(id) {
        Some(x) => Some(ctx.item_data(x)?.into_owned()),
        None => None,
    };
    Ok(Primary {
        pixels,
        icc: p.icc.map(<[u8]>::to_vec),
        exif,
        xmp,
    })
}

/// Compose the tiles, convert to RGB and turn upright: every layout and colour description.
fn to_rgb(
    grid: Option<heic_rs::grid::Grid>,
    frames: Vec<Frame>,
    nclx: heic_rs::Nclx,
    transforms: &[heic_rs::Transform],
    parallel: bool,
    max_pixels: u64,
) -> Result<RgbImage, ConvertError> {
    let frame = match grid {
        Some(g) => {
            let composed = grid::compose(&g, &frames, max_pixels)?;
            drop(frames);
            composed
        }
        None => frames
            .into_iter()
            .next()
            .ok_or(heic_rs::Error::Malformed("no coded picture"))?,
    };
    let threads = if parallel { None } else { Some(1) };
    let rgb = hcolor::convert(&frame, None, nclx, PixelLayout::Rgb8, max_pixels, threads)?;
    drop(frame);
    let rgb = match orient::apply(&rgb, transforms, parallel) {
        orient::Oriented::Unchanged => rgb,
        orient::Oriented::Done(turned) => turned,
        orient::Oriented::Unsupported => transform::apply_all(rgb, transforms)?,
    };
    Ok(RgbImage {
        width: rgb.width,
        height: rgb.height,
        data: rgb.data,
        icc: None,
    })
}

fn check_size(width: u64, height: u64, max_pixels: u64) -> Result<(), ConvertError> {
    if width.saturating_mul(height) > max_pixels {
        return Err(ConvertError::TooLarge {
            declared: format!("{width}x{height}"),
            max_pixels,
        });
    }
    Ok(())
}

/// Area-average downscale so that neither side exceeds `side` (box filter: every source pixel
/// counts once, so a thumbnail does not alias).
fn shrink(img: RgbImage, side: u32) -> RgbImage {
    let (w, h) = (img.width as usize, img.height as usize);
    let longest = img.width.max(img.height);
    if longest <= side || w == 0 || h == 0 {
        return img;
    }
    let scale = f64::from(side) / f64::from(longest);
    let nw = ((w as f64 * scale).round() as usize).clamp(1, w);
    let nh = ((h as f64 * scale).round() as usize).clamp(1, h);
    let mut out = vec![0u8; nw * nh * 3];
    // Source column span of each output column, computed once.
    let xs: Vec<(usize, usize)> = (0..nw)
        .map(|x| (x * w / nw, ((x + 1) * w / nw).max(x * w / nw + 1)))
        .collect();
    let mut acc = vec![0u32; nw * 3];
    for y in 0..nh {
        let (y0, y1) = (y * h / nh, ((y + 1) * h / nh).max(y * h / nh + 1));
        acc.iter_mut().for_each(|a| *a = 0);
        for sy in y0..y1 {
            let row = &img.data[sy * w * 3..(sy + 1) * w * 3];
            for (x, &(x0, x1)) in xs.iter().enumerate() {
                for px in row[x0 * 3..x1 * 3].chunks_exact(3) {
                    acc[x * 3] += u32::from(px[0]);
                    acc[x * 3 + 1] += u32::from(px[1]);
                    acc[x * 3 + 2] += u32::from(px[2]);
                }
            }
        }
        let dst = &mut out[y * nw * 3..(y + 1) * nw * 3];
        for (x, &(x0, x1)) in xs.iter().enumerate() {
            let n = ((x1 - x0) * (y1 - y0)) as u32;
            for c in 0..3 {
                dst[x * 3 + c] = ((acc[x * 3 + c] + n / 2) / n) as u8;
            }
        }
    }
    RgbImage {
        width: nw as u32,
        height: nh as u32,
        data: out,
        icc: img.icc,
    }
}

#[cfg(test)]
mod tests;
