//! `irot` and `imir` applied in one pass, in cache-sized blocks, on the rayon pool if allowed.
//!
//! heic-rs rotates pixel by pixel in image order, so a quarter turn writes one pixel per cache
//! line and each mirror or rotation is its own pass; on a 12 MP portrait photo that was about a
//! tenth of the whole conversion. Here the `irot`/`imir` sequence (in `ipma` order, which the
//! spec says is the order to apply them) is folded into one signed permutation of the axes, and
//! every output pixel is gathered from its source through it, 16×16 output pixels at a time, so
//! both the rows read and the rows written stay in cache.

use heic_rs::{Image, Mirror, Rotation, Transform};
use rayon::prelude::*;

/// dst = M·src + t, M a signed permutation (entries −1, 0, 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Map {
    m: [[i64; 2]; 2],
    t: [i64; 2],
}

impl Map {
    const IDENTITY: Map = Map {
        m: [[1, 0], [0, 1]],
        t: [0, 0],
    };

    /// `op` after `self`: op(self(p)).
    fn then(self, op: Map) -> Map {
        let m = |i: usize, j: usize| op.m[i][0] * self.m[0][j] + op.m[i][1] * self.m[1][j];
        let t = |i: usize| op.m[i][0] * self.t[0] + op.m[i][1] * self.t[1] + op.t[i];
        Map {
            m: [[m(0, 0), m(0, 1)], [m(1, 0), m(1, 1)]],
            t: [t(0), t(1)],
        }
    }

    /// The inverse: src = Mᵀ·(dst − t).
    fn inverse(self) -> Map {
        let mt = [[self.m[0][0], self.m[1][0]], [self.m[0][1], self.m[1][1]]];
        let t = [
            -(mt[0][0] * self.t[0] + mt[0][1] * self.t[1]),
            -(mt[1][0] * self.t[0] + mt[1][1] * self.t[1]),
        ];
        Map { m: mt, t }
    }
}

/// The forward map of one transform on a `w`×`h` image, and the size it leaves.
fn step(t: &Transform, w: i64, h: i64) -> Option<(Map, i64, i64)> {
    let map = |m: [[i64; 2]; 2], t: [i64; 2]| Map { m, t };
    Some(match t {
        // Counter-clockwise: (x, y) → (y, w−1−x), as heic-rs and libheif turn.
        Transform::Rotate(Rotation::None) => (Map::IDENTITY, w, h),
        Transform::Rotate(Rotation::Ccw90) => (map([[0, 1], [-1, 0]], [0, w - 1]), h, w),
        Transform::Rotate(Rotation::Ccw180) => (map([[-1, 0], [0, -1]], [w - 1, h - 1]), w, h),
        Transform::Rotate(Rotation::Ccw270) => (map([[0, -1], [1, 0]], [h - 1, 0]), h, w),
        Transform::Mirror(Mirror::LeftRight) => (map([[-1, 0], [0, 1]], [w - 1, 0]), w, h),
        Transform::Mirror(Mirror::TopBottom) => (map([[1, 0], [0, -1]], [0, h - 1]), w, h),
        // A clean aperture changes the size by a rational crop: left to heic-rs.
        Transform::Crop(_) => return None,
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// What [`apply`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Oriented {
    /// The transforms cancel out (or there are none, or `irot` is 0): use the image as it is.
    Unchanged,
    Done(Image),
    /// Something this pass does not do (`clap`): hand the image to heic-rs instead.
    Unsupported,
}

/// Whether the transforms move any pixel of a `w`×`h` image: a rotation or mirror that does not
/// cancel out. A transform this pass does not do (`clap`) counts as moving.
pub fn turns(transforms: &[Transform], w: u32, h: u32) -> bool {
    let (mut map, mut ow, mut oh) = (Map::IDENTITY, i64::from(w), i64::from(h));
    for t in transforms {
        let Some((m, nw, nh)) = step(t, ow, oh) else {
            return true;
        };
        map = map.then(m);
        (ow, oh) = (nw, nh);
    }
    map != Map::IDENTITY
}

/// Where output sample `(x, y)` of a turned plane lies in the stored plane, row-major with
/// `width` of the stored plane per row: at `base + x·sx + y·sy`. A signed permutation of the
/// axes is affine, so one map reads the whole plane (what the JPEG encoder does instead of
/// turning the planes first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strides {
    /// Size of the turned plane.
    pub width: usize,
    pub height: usize,
    pub base: isize,
    pub sx: isize,
    pub sy: isize,
}

/// The [`Strides`] of a `w`×`h` plane under the transforms, `None` for one this module does not
/// do (`clap`).
pub fn strides(transforms: &[Transform], w: u32, h: u32) -> Option<Strides> {
    let (mut map, mut ow, mut oh) = (Map::IDENTITY, i64::from(w), i64::from(h));
    for t in transforms {
        let (m, nw, nh) = step(t, ow, oh)?;
        map = map.then(m);
        (ow, oh) = (nw, nh);
    }
    let inv = map.inverse();
    let w = i64::from(w);
    let i = |v: i64| isize::try_from(v).ok();
    Some(Strides {
        width: usize::try_from(ow).ok()?,
        height: usize::try_from(oh).ok()?,
        base: i(inv.t[1] * w + inv.t[0])?,
        sx: i(inv.m[1][0] * w + inv.m[0][0])?,
        sy: i(inv.m[1][1] * w + inv.m[0][1])?,
    })
}

/// Apply the transforms to an image in one pass.
pub fn apply(image: &Image, transforms: &[Transform], parallel: bool) -> Oriented {
    let (w, h) = (i64::from(image.width), i64::from(image.height));
    let (mut map, mut ow, mut oh) = (Map::IDENTITY, w, h);
    for t in transforms {
        let Some((m, nw, nh)) = step(t, ow, oh) else {
            return Oriented::Unsupported;
        };
        map = map.then(m);
        (ow, oh) = (nw, nh);
    }
    if map == Map::IDENTITY {
        return Oriented::Unchanged;
    }
    match gather(image, map, (w, h), (ow, oh), parallel) {
        Some(done) => Oriented::Done(done),
        None => Oriented::Unsupported,
    }
}

fn gather(
    image: &Image,
    map: Map,
    wh: (i64, i64),
    owh: (i64, i64),
    parallel: bool,
) -> Option<Image> {
    // The pixel size as a constant, so a pixel copy is a move and not a `memcpy` call.
    match image.layout.bytes_per_pixel() {
        1 => gather_n::<1>(image, map, wh, owh, parallel),
        2 => gather_n::<2>(image, map, wh, owh, parallel),
        3 => gather_n::<3>(image, map, wh, owh, parallel),
        4 => gather_n::<4>(image, map, wh, owh, parallel),
        6 => gather_n::<6>(image, map, wh, owh, parallel),
        8 => gather_n::<8>(image, map, wh, owh, parallel),
        _ => None,
    }
}

fn gather_n<const N: usize>(
    image: &Image,
    map: Map,
    (w, h): (i64, i64),
    (ow, oh): (i64, i64),
    parallel: bool,
) -> Option<Image> {
    let bpp = N;
    let (owu, ohu) = (usize::try_from(ow).ok()?, usize::try_from(oh).ok()?);
    if image.data.len() != usize::try_from(w * h).ok()? * bpp {
        return None;
    }
    let inv = map.inverse();
    let src = &image.data;
    let mut out = vec![0u8; owu * ohu * bpp];
    const BLOCK: usize = 16;
    // The source offset is affine in the output column: step it instead of recomputing it.
    let step = (inv.m[1][0] * w + inv.m[0][0]) * bpp as i64;
    let band = |(b, rows): (usize, &mut [u8])| {
        let y0 = b * BLOCK;
        for x0 in (0..owu).step_by(BLOCK) {
            let x1 = (x0 + BLOCK).min(owu);
            for (dy, row) in rows.chunks_exact_mut(owu * bpp).enumerate() {
                let (x, y) = (x0 as i64, (y0 + dy) as i64);
                let sx = inv.m[0][0] * x + inv.m[0][1] * y + inv.t[0];
                let sy = inv.m[1][0] * x + inv.m[1][1] * y + inv.t[1];
                let mut s = (sy * w + sx) * bpp as i64;
                for o in row[x0 * N..x1 * N].chunks_exact_mut(N) {
                    // In range by construction; `get` keeps a wrong map from panicking.
                    let px = usize::try_from(s)
                        .ok()
                        .and_then(|s| src.get(s..s + N))
                        .and_then(|p| <&[u8; N]>::try_from(p).ok());
                    if let (Some(px), Ok(o)) = (px, <&mut [u8; N]>::try_from(o)) {
                        *o = *px;
                    }
                    s += step;
                }
            }
        }
    };
    let chunk = BLOCK * owu * bpp;
    if chunk == 0 {
        return None;
    }
    if parallel {
        out.par_chunks_mut(chunk).enumerate().for_each(band);
    } else {
        out.chunks_mut(chunk).enumerate().for_each(band);
    }
    Some(Image {
        data: out,
        width: u32::try_from(ow).ok()?,
        height: u32::try_from(oh).ok()?,
        layout: image.layout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use heic_rs::PixelLayout;

    /// No transform, each rotation and mirror, and every pair of them.
    fn sequences() -> Vec<Vec<Transform>> {
        let ops = [
            Transform::Rotate(Rotation::Ccw90),
            Transform::Rotate(Rotation::Ccw180),
            Transform::Rotate(Rotation::Ccw270),
            Transform::Mirror(Mirror::LeftRight),
            Transform::Mirror(Mirror::TopBottom),
        ];
        let mut seqs: Vec<Vec<Transform>> = vec![vec![]];
        for a in ops {
            seqs.push(vec![a]);
            for b in ops {
                seqs.push(vec![a, b]);
            }
        }
        seqs
    }

    /// A 5×3 image whose pixels are all different.
    fn img() -> Image {
        Image {
            data: (0..45u8).collect(),
            width: 5,
            height: 3,
            layout: PixelLayout::Rgb8,
        }
    }

    #[test]
    fn every_rotation_and_mirror_sequence_matches_heic_rs() {
        let seqs = sequences();
        for seq in seqs {
            let want = heic_rs::transform::apply_all(img(), &seq).unwrap();
            for parallel in [false, true] {
                match apply(&img(), &seq, parallel) {
                    Oriented::Done(got) => assert_eq!(got, want, "{seq:?}"),
                    Oriented::Unchanged => assert_eq!(img(), want, "{seq:?}"),
                    Oriented::Unsupported => panic!("{seq:?}"),
                }
            }
        }
    }

    /// Reading a plane through [`strides`] gives what turning it gives, for every sequence and
    /// for sides odd and even.
    #[test]
    fn strides_read_what_the_turned_plane_holds() {
        let seqs = sequences();
        for (w, h) in [(5u32, 3u32), (4, 6)] {
            let plane = Image {
                data: (0..(w * h) as u8).collect(),
                width: w,
                height: h,
                layout: PixelLayout::Gray8,
            };
            for seq in &seqs {
                let want = heic_rs::transform::apply_all(plane.clone(), seq).unwrap();
                let s = strides(seq, w, h).unwrap();
                assert_eq!(
                    (s.width, s.height),
                    (want.width as usize, want.height as usize)
                );
                let got: Vec<u8> = (0..s.height)
                    .flat_map(|y| (0..s.width).map(move |x| (x, y)))
                    .map(|(x, y)| {
                        plane.data[(s.base + x as isize * s.sx + y as isize * s.sy) as usize]
                    })
                    .collect();
                assert_eq!(got, want.data, "{w}x{h} {seq:?}");
            }
        }
    }

    #[test]
    fn a_clean_aperture_is_left_to_heic_rs() {
        let clap = heic_rs::props::simple::Clap {
            width: (2, 1),
            height: (2, 1),
            horiz_off: (0, 1),
            vert_off: (0, 1),
        };
        assert_eq!(
            apply(&img(), &[Transform::Crop(clap)], false),
            Oriented::Unsupported
        );
        let none = [Transform::Rotate(Rotation::None)];
        assert_eq!(apply(&img(), &none, true), Oriented::Unchanged);
    }
}
