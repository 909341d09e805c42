//! A walk over the box tree's sizes before any parser reads the contents, so that a damaged
//! file is reported by where it is damaged ("bad box `iloc` at offset 812") and a cut-off one as
//! truncated, instead of by whichever field a parser happened to trip over.

use super::ConvertError;

/// Boxes whose children are boxes (after `skip` leading bytes: a FullBox's version and flags,
/// or `iinf`'s entry count).
fn children(kind: &[u8; 4]) -> Option<usize> {
    match kind {
        b"meta" => Some(4),
        b"iprp" | b"ipco" | b"dinf" => Some(0),
        _ => None,
    }
}

pub fn check(file: &[u8]) -> Result<(), ConvertError> {
    walk(file, 0, file.len(), 0)
}

fn walk(file: &[u8], mut at: usize, end: usize, depth: u32) -> Result<(), ConvertError> {
    let top = depth == 0;
    while at < end {
        let bad = |kind: &[u8], reason: &'static str| ConvertError::BadBox {
            offset: at as u64,
            kind: String::from_utf8_lossy(kind).into_owned(),
            reason,
        };
        let Some(head) = file.get(at..at + 8).filter(|_| at + 8 <= end) else {
            if top {
                return Err(ConvertError::Truncated(format!(
                    "the file ends inside a box header at offset {at}"
                )));
            }
            return Err(bad(b"?", "fewer than 8 bytes left in the enclosing box"));
        };
        let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let (size, header) = match size32 {
            // Size 0: the box runs to the end of the file; only the last top-level box may.
            0 if top => ((end - at) as u64, 8u64),
            0 => return Err(bad(&kind, "size 0 inside another box")),
            1 => {
                let Some(large) = file.get(at + 8..at + 16).filter(|_| at + 16 <= end) else {
                    return Err(bad(&kind, "64-bit size cut off"));
                };
                let mut b = [0u8; 8];
                b.copy_from_slice(large);
                (u64::from_be_bytes(b), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header {
            return Err(bad(&kind, "declared size is smaller than its own header"));
        }
        let room = (end - at) as u64;
        if size > room {
            if top {
                return Err(ConvertError::Truncated(format!(
                    "box `{}` at offset {at} declares {size} bytes, only {room} are left",
                    String::from_utf8_lossy(&kind)
                )));
            }
            return Err(bad(&kind, "declared size runs past the box that holds it"));
        }
        // `size <= room <= file.len()`, so this fits in usize.
        let next = at + size as usize;
        if let Some(skip) = children(&kind) {
            if depth >= 4 {
                return Err(bad(&kind, "nested too deeply"));
            }
            let body = at + header as usize + skip;
            if body > next {
                return Err(bad(&kind, "too short for its own fields"));
            }
            walk(file, body, next, depth + 1)?;
        }
        at = next;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut v = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        v.extend_from_slice(kind);
        v.extend_from_slice(body);
        v
    }

    #[test]
    fn well_formed_trees_pass() {
        let mut f = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        let mut meta = vec![0, 0, 0, 0];
        meta.extend(bx(b"iprp", &bx(b"ipco", &bx(b"ispe", &[0; 12]))));
        f.extend(bx(b"meta", &meta));
        f.extend(bx(b"mdat", &[1, 2, 3]));
        assert!(check(&f).is_ok());
    }

    #[test]
    fn a_cut_file_is_truncated_and_a_bad_child_is_a_bad_box() {
        let mut f = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        let mdat = bx(b"mdat", &[7; 100]);
        f.extend_from_slice(&mdat[..50]);
        let e = check(&f).unwrap_err();
        assert!(matches!(e, ConvertError::Truncated(_)), "{e}");
        assert!(e.to_string().contains("offset 24"), "{e}");

        let mut f = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
        let mut meta = vec![0, 0, 0, 0];
        let mut iprp = bx(b"iprp", &[0; 8]);
        iprp[8..12].copy_from_slice(&1000u32.to_be_bytes());
        iprp[12..16].copy_from_slice(b"ipco");
        meta.extend(iprp);
        f.extend(bx(b"meta", &meta));
        let e = check(&f).unwrap_err();
        match &e {
            ConvertError::BadBox { offset, kind, .. } => {
                assert_eq!((*offset, kind.as_str()), (44, "ipco"));
            }
            other => panic!("{other}"),
        }
        assert!(e.to_string().contains("at offset 44"), "{e}");
    }

    #[test]
    fn sizes_smaller_than_a_header_are_refused() {
        for size in [2u32, 7] {
            let mut f = size.to_be_bytes().to_vec();
            f.extend_from_slice(b"ftyp");
            f.extend_from_slice(&[0; 16]);
            assert!(matches!(
                check(&f),
                Err(ConvertError::BadBox { offset: 0, .. })
            ));
        }
        // A 64-bit size of 3.
        let mut f = 1u32.to_be_bytes().to_vec();
        f.extend_from_slice(b"mdat");
        f.extend_from_slice(&3u64.to_be_bytes());
        assert!(matches!(check(&f), Err(ConvertError::BadBox { .. })));
        // A 64-bit size far past the end.
        let mut f = 1u32.to_be_bytes().to_vec();
        f.extend_from_slice(b"mdat");
        f.extend_from_slice(&u64::MAX.to_be_bytes());
        assert!(matches!(check(&f), Err(ConvertError::Truncated(_))));
    }
}
