//! The JPEG path that never makes RGB.
//!
//! A JPEG (JFIF) stores full-range BT.601 YCbCr, and an iPhone HEIC's tiles are full-range
//! BT.601 YCbCr 4:2:0 (see [`super::colour`]): the samples the HEVC decoder produces are already
//! what the JPEG encoder wants. Going through RGB converts every pixel to RGB and straight back,
//! upsamples the chroma only for the encoder to subsample it again, and rotates three bytes per
//! pixel instead of one and a half. Here the tiles are narrowed to 8-bit planes and the encoder
//! ([`super::jpeg`]) reads them as they are, a mirrored or half-turned picture through signed
//! strides, a quarter-turned one after the planes are turned: on the eight real iPhone samples
//! the planes removed about a fifth of the conversion's CPU time (BENCHMARKS.md, section 7).
//!
//! Anything else (10-bit, 4:2:2/4:4:4, another matrix, a clean aperture, a turned or mirrored
//! image with an odd side, whose chroma samples would land between the output's) goes the RGB
//! way, which handles every case; [`planes`] says `None` for those.

use heic_rs::grid::{Grid, Mosaic};
use heic_rs::hevc::{ChromaFormat, Frame};
use heic_rs::{Image, MatrixCoefficients, Nclx, PixelLayout, Range, Transform};

use super::jpeg::View;
use super::orient::{self, Strides};

/// A picture as 8-bit full-range BT.601 planes, chroma halved both ways (4:2:0), stored as
/// decoded; the JPEG encoder reads them upright through [`Ycc420::views`].
#[derive(Debug)]
pub struct Ycc420 {
    /// Size of the upright picture.
    pub width: u32,
    pub height: u32,
    /// The luma plane as stored, and where each upright sample lies in it.
    pub y: Vec<u8>,
    pub luma: Strides,
    /// The chroma planes as stored (half the stored luma's size, rounded up).
    pub cb: Vec<u8>,
    pub cr: Vec<u8>,
    pub chroma: Strides,
}

impl Ycc420 {
    /// The three planes as the encoder reads them: upright.
    pub fn views(&self) -> [View<'_>; 3] {
        [
            View::through(&self.y, self.luma),
            View::through(&self.cb, self.chroma),
            View::through(&self.cr, self.chroma),
        ]
    }
}

/// The decoded tiles (or the one picture) as JPEG-ready planes, or the tiles back when this path
/// does not apply and the caller must go through RGB. The tiles are dropped as soon as the planes
/// hold their samples: at the peak a 4:2:0 photo holds 3 bytes per pixel of tiles and 1.5 of
/// planes, where the RGB path holds 9. The planes are not turned: the encoder reads a turned
/// picture through strides, in the same pass that reads an upright one.
///
/// `Ok(None)`: the planes were made but their strides could not be derived, which
/// [`orient::turns`] rules out before the tiles are dropped; the caller reports it rather than
/// trusting that.
pub fn planes(
    grid: Option<&Grid>,
    frames: Vec<Frame>,
    nclx: Nclx,
    transforms: &[Transform],
    parallel: bool,
) -> Result<Option<Ycc420>, Vec<Frame>> {
    let Some((mut y, mut cb, mut cr, (mut w, mut h), _)) =
        stitch_all(grid, &frames, nclx, transforms)
    else {
        return Err(frames);
    };
    drop(frames);
    // Both sides are even when the picture turns (`stitch_all`), so every 2×2 luma block lands
    // on a 2×2 block of the output and the chroma planes turn with the same transforms, at
    // their own size.
    let (mut cw, mut ch) = (w.div_ceil(2), h.div_ceil(2));
    let (Some(mut luma), Some(mut chroma)) = (
        orient::strides(transforms, w, h),
        orient::strides(transforms, cw, ch),
    ) else {
        return Ok(None);
    };
    if luma.sx != 1 && luma.sx != -1 {
        // A quarter turn. Read through strides, each block row would come from eight stored
        // rows a page apart, and the encoder stalls on them (measured on the real samples: the
        // encode took a third longer than turning the planes first, blockwise, then encoding
        // them upright). A mirror or a half turn reads stored rows, forwards or backwards.
        let turn = |p, w, h| upright(p, w, h, transforms, parallel);
        let (Some((ty, tw, th)), Some((tcb, tcw, tch)), Some((tcr, ..))) =
            (turn(y, w, h), turn(cb, cw, ch), turn(cr, cw, ch))
        else {
            return Ok(None);
        };
        (y, cb, cr, w, h, cw, ch) = (ty, tcb, tcr, tw, th, tcw, tch);
        let (Some(l), Some(c)) = (orient::strides(&[], w, h), orient::strides(&[], cw, ch)) else {
            return Ok(None);
        };
        (luma, chroma) = (l, c);
    }
    let (Ok(width), Ok(height)) = (u32::try_from(luma.width), u32::try_from(luma.height)) else {
        return Ok(None);
    };
    Ok(Some(Ycc420 {
        width,
        height,
        y,
        luma,
        cb,
        cr,
        chroma,
    }))
}

type Stitched = (Vec<u8>, Vec<u8>, Vec<u8>, (u32, u32), bool);

/// The three planes of the composed picture, its size, and whether it still has to be turned;
/// `None` when the planes cannot carry the picture as the JPEG needs it.
fn stitch_all(
    grid: Option<&Grid>,
    frames: &[Frame],
    nclx: Nclx,
    transforms: &[Transform],
) -> Option<Stitched> {
    if nclx.matrix != MatrixCoefficients::Bt601 {
        return None;
    }
    if transforms.iter().any(|t| matches!(t, Transform::Crop(_))) {
        return None;
    }
    let first = frames.first()?;
    if first.chroma != ChromaFormat::Yuv420 || first.bit_depth != 8 {
        return None;
    }
    let (w, h) = match grid {
        Some(g) => {
            // Checks every tile's size, format and validity, and that they cover the output.
            Mosaic::new(g, frames).ok()?;
            (g.output_width, g.output_height)
        }
        None => {
            first.validate().ok()?;
            (first.width, first.height)
        }
    };
    let turned = orient::turns(transforms, w, h);
    if turned && (w % 2 == 1 || h % 2 == 1) {
        return None;
    }
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let columns = grid.map_or(1, |g| g.columns);
    // Full range needs no table: the samples are stored as they are.
    let tables = (nclx.range == Range::Limited).then(limited_to_full);
    let (lut_y, lut_c) = (tables.as_ref().map(|t| &t.0), tables.as_ref().map(|t| &t.1));
    let y = stitch(
        frames,
        columns,
        (w, h),
        first.width,
        first.height,
        lut_y,
        |f| (&f.y, f.y_stride),
    )?;
    let (tcw, tch) = (first.width.div_ceil(2), first.height.div_ceil(2));
    let cb = stitch(frames, columns, (cw, ch), tcw, tch, lut_c, |f| {
        (&f.cb, f.c_stride)
    })?;
    let cr = stitch(frames, columns, (cw, ch), tcw, tch, lut_c, |f| {
        (&f.cr, f.c_stride)
    })?;
    Some((y, cb, cr, (w, h), turned))
}

/// Limited-range 8-bit sample → full-range sample, for luma and for chroma. Limited range
/// (16–235 luma, 16–240 chroma) is stretched per plane: for the same matrix the range is all
/// that differs from what JFIF stores.
fn limited_to_full() -> ([u8; 256], [u8; 256]) {
    let mut y = [0u8; 256];
    let mut c = [0u8; 256];
    for v in 0..256usize {
        let fy = (v as f64 - 16.0) * 255.0 / 219.0;
        let fc = (v as f64 - 128.0) * 255.0 / 224.0 + 128.0;
        y[v] = fy.round().clamp(0.0, 255.0) as u8;
        c[v] = fc.round().clamp(0.0, 255.0) as u8;
    }
    (y, c)
}

/// One plane of the composed picture, `size` samples, from tiles of `tile_w`×`tile_h` samples
/// laid out row-major `columns` across (one tile for a picture that is not a grid).
fn stitch(
    frames: &[Frame],
    columns: u32,
    (w, h): (u32, u32),
    tile_w: u32,
    tile_h: u32,
    lut: Option<&[u8; 256]>,
    plane: impl Fn(&Frame) -> (&Vec<u16>, u32),
) -> Option<Vec<u8>> {
    let (w, h, tw, th) = (w as usize, h as usize, tile_w as usize, tile_h as usize);
    if tw == 0 || th == 0 {
        return None;
    }
    let mut out = vec![0u8; w.checked_mul(h)?];
    for (y, row) in out.chunks_exact_mut(w).enumerate() {
        let (tile_row, local) = (y / th, y % th);
        for (col, dst) in row.chunks_mut(tw).enumerate() {
            let f = frames.get(tile_row * columns as usize + col)?;
            let (samples, stride) = plane(f);
            let start = local.checked_mul(stride as usize)?;
            let src = samples.get(start..start.checked_add(dst.len())?)?;
            // 8-bit samples: the `min` and the mask only keep a decoder bug from wrapping or
            // from indexing past the table. Without a table the loop vectorises.
            match lut {
                None => dst
                    .iter_mut()
                    .zip(src)
                    .for_each(|(d, &s)| *d = s.min(255) as u8),
                Some(t) => dst
                    .iter_mut()
                    .zip(src)
                    .for_each(|(d, &s)| *d = t[usize::from(s & 0xff)]),
            }
        }
    }
    Some(out)
}

/// A plane with `irot`/`imir` applied (the blocked gather of [`orient`]).
fn upright(
    data: Vec<u8>,
    w: u32,
    h: u32,
    transforms: &[Transform],
    parallel: bool,
) -> Option<(Vec<u8>, u32, u32)> {
    let image = Image {
        data,
        width: w,
        height: h,
        layout: PixelLayout::Gray8,
    };
    match orient::apply(&image, transforms, parallel) {
        orient::Oriented::Unchanged => Some((image.data, w, h)),
        orient::Oriented::Done(i) => Some((i.data, i.width, i.height)),
        orient::Oriented::Unsupported => None,
    }
}
