//! The HEIC's EXIF, made fit for a JPEG whose pixels are already upright.
//!
//! A HEIC's `Exif` item is a 4-byte big-endian count of the bytes before the TIFF header (6 on
//! iPhones: the `Exif\0\0` marker), then those bytes, then the TIFF block. The JPEG's APP1 holds
//! `Exif\0\0` and the TIFF block. The decoder applies `irot`/`imir`, so the JPEG's pixels are
//! upright; the EXIF Orientation (tag 0x0112 in IFD0) must then say 1, or viewers that honour it
//! rotate a second time.

/// Where the TIFF block starts in a HEIF `Exif` item, bounds-checked.
pub fn tiff_block(item: &[u8]) -> Option<&[u8]> {
    let skip = u32::from_be_bytes(item.get(..4)?.try_into().ok()?) as usize;
    let tiff = item.get(4usize.checked_add(skip)?..)?;
    let magic = tiff.get(..4)?;
    if magic == b"II*\0" || magic == b"MM\0*" {
        return Some(tiff);
    }
    // Some writers count the marker wrongly; find the header within the first bytes rather than
    // drop the photo's metadata.
    let head = item.get(4..item.len().min(4 + 64))?;
    let at = head
        .windows(4)
        .position(|w| w == b"II*\0" || w == b"MM\0*")?;
    item.get(4 + at..)
}

/// Set every Orientation entry of IFD0 to 1 (top-left) in place. Returns whether one was found.
/// A TIFF block whose IFD0 does not fit is left alone (`None`): the caller then drops nothing and
/// changes nothing it cannot read.
pub fn set_orientation_upright(tiff: &mut [u8]) -> Option<bool> {
    let le = match tiff.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |b: &[u8], at: usize| -> Option<u16> {
        let v: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if le {
            u16::from_le_bytes(v)
        } else {
            u16::from_be_bytes(v)
        })
    };
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        let v: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if le {
            u32::from_le_bytes(v)
        } else {
            u32::from_be_bytes(v)
        })
    };
    let ifd0 = u32_at(tiff, 4)? as usize;
    let count = usize::from(u16_at(tiff, ifd0)?);
    // The whole directory must be inside the block before any entry is touched.
    let end = ifd0.checked_add(2)?.checked_add(count.checked_mul(12)?)?;
    if end > tiff.len() {
        return None;
    }
    let mut found = false;
    for i in 0..count {
        let entry = ifd0 + 2 + i * 12;
        if u16_at(tiff, entry)? != 0x0112 {
            continue;
        }
        // SHORT (3), count 1: the value sits in the first two bytes of the value field.
        if u16_at(tiff, entry + 2)? != 3 || u32_at(tiff, entry + 4)? != 1 {
            return None;
        }
        let one = if le { [1, 0] } else { [0, 1] };
        tiff.get_mut(entry + 8..entry + 10)?.copy_from_slice(&one);
        found = true;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A TIFF block with one IFD0 entry: Orientation = `o`.
    fn tiff(le: bool, o: u16) -> Vec<u8> {
        let w16 = |v: u16| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let w32 = |v: u32| if le { v.to_le_bytes() } else { v.to_be_bytes() };
        let mut t = Vec::new();
        t.extend_from_slice(if le { b"II" } else { b"MM" });
        t.extend_from_slice(&w16(42));
        t.extend_from_slice(&w32(8));
        t.extend_from_slice(&w16(1));
        t.extend_from_slice(&w16(0x0112));
        t.extend_from_slice(&w16(3));
        t.extend_from_slice(&w32(1));
        t.extend_from_slice(&w16(o));
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&w32(0));
        t
    }

    #[test]
    fn orientation_becomes_one_in_both_byte_orders() {
        for le in [true, false] {
            let mut t = tiff(le, 6);
            assert_eq!(set_orientation_upright(&mut t), Some(true));
            assert_eq!(t, tiff(le, 1));
        }
    }

    #[test]
    fn the_item_header_is_stripped() {
        let t = tiff(false, 6);
        let mut item = vec![0, 0, 0, 6];
        item.extend_from_slice(b"Exif\0\0");
        item.extend_from_slice(&t);
        assert_eq!(tiff_block(&item), Some(&t[..]));
        // A zero count straight before the TIFF header.
        let mut item = vec![0, 0, 0, 0];
        item.extend_from_slice(&t);
        assert_eq!(tiff_block(&item), Some(&t[..]));
        // A wrong count: the header is still found.
        let mut item = vec![0, 0, 0, 2];
        item.extend_from_slice(b"Exif\0\0");
        item.extend_from_slice(&t);
        assert_eq!(tiff_block(&item), Some(&t[..]));
        assert_eq!(tiff_block(&[0, 0, 0]), None);
        assert_eq!(tiff_block(&[0xff, 0xff, 0xff, 0xff, 1, 2]), None);
    }

    #[test]
    fn a_directory_past_the_end_is_left_alone() {
        let mut t = tiff(true, 6);
        t.truncate(16);
        let before = t.clone();
        assert_eq!(set_orientation_upright(&mut t), None);
        assert_eq!(t, before);
        let mut t = tiff(true, 6);
        t[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(set_orientation_upright(&mut t), None);
        assert_eq!(set_orientation_upright(&mut []), None);
    }
}
