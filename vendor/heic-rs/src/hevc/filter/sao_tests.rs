//! Tests for sample adaptive offset.

use super::*;
use crate::hevc::filter::CtbFilter;

const W: usize = 16;
const H: usize = 16;

/// One 16x16 luma-only CTB carrying `s` for every component.
fn mk_info(s: SaoCtb, enabled: bool) -> FilterInfo {
    FilterInfo {
        bit_depth_y: 8,
        bit_depth_c: 8,
        chroma_array_type: 0,
        sub_w: 0,
        sub_h: 0,
        ctb_log2: 4,
        pic_w_ctbs: 1,
        pic_h_ctbs: 1,
        pcm_loop_filter_disabled: false,
        across_tiles: true,
        sao_enabled: enabled,
        ctb: vec![CtbFilter {
            sao: [s; 3],
            ..CtbFilter::default()
        }],
        tile_id: vec![0],
        slice_addr: vec![0],
    }
}

/// A 16x16 luma-only picture filled with `v`.
fn mk_pic(v: u16) -> Picture {
    let mut p = Picture::new(W, H, 0, 0).expect("picture");
    for s in p.y.data.iter_mut() {
        *s = v;
    }
    p
}

#[test]
fn band_offset_shifts_only_the_selected_bands() {
    let mut p = mk_pic(100);
    p.y.put(3, 3, 130);
    p.y.put(4, 4, 111);
    let s = SaoCtb {
        type_idx: 1,
        eo_class: 0,
        band_position: 12,
        offsets: [3, -2, 0, 0],
    };
    sao(&mut p, &mk_info(s, true));
    assert_eq!(p.y.at(0, 0), 103);
    assert_eq!(p.y.at(4, 4), 109);
    assert_eq!(p.y.at(3, 3), 130);
}

#[test]
fn disabled_sao_changes_nothing() {
    let mut p = mk_pic(100);
    let s = SaoCtb {
        type_idx: 1,
        eo_class: 0,
        band_position: 12,
        offsets: [3, 0, 0, 0],
    };
    sao(&mut p, &mk_info(s, false));
    assert!(p.y.data.iter().all(|v| *v == 100));
}

#[test]
fn edge_offset_on_flat_plane_is_a_noop() {
    let mut p = mk_pic(100);
    let s = SaoCtb {
        type_idx: 2,
        eo_class: 0,
        band_position: 0,
        offsets: [5, 5, 5, 5],
    };
    sao(&mut p, &mk_info(s, true));
    assert!(p.y.data.iter().all(|v| *v == 100));
}

#[test]
fn edge_offset_classifies_a_spike() {
    let mut p = mk_pic(100);
    p.y.put(8, 8, 200);
    let s = SaoCtb {
        type_idx: 2,
        eo_class: 0,
        band_position: 0,
        offsets: [1, 2, 3, 4],
    };
    sao(&mut p, &mk_info(s, true));
    assert_eq!(p.y.at(8, 8), 204);
    assert_eq!(p.y.at(7, 8), 102);
    assert_eq!(p.y.at(9, 8), 102);
    assert_eq!(p.y.at(6, 8), 100);
    assert_eq!(p.y.at(8, 7), 100);
}

#[test]
fn edge_offset_leaves_picture_border_alone() {
    let mut p = mk_pic(100);
    for y in 0..H {
        p.y.put(0, y, 50);
    }
    let s = SaoCtb {
        type_idx: 2,
        eo_class: 0,
        band_position: 0,
        offsets: [1, 2, 3, 4],
    };
    sao(&mut p, &mk_info(s, true));
    for y in 0..H {
        assert_eq!(p.y.at(0, y), 50, "column 0 row {y}");
        assert_eq!(p.y.at(1, y), 103, "column 1 row {y}");
        assert_eq!(p.y.at(15, y), 100, "column 15 row {y}");
    }
}

#[test]
fn bypassed_coding_unit_keeps_its_samples() {
    let mut p = mk_pic(100);
    p.cu_flags[0] = flags::TQ_BYPASS;
    let s = SaoCtb {
        type_idx: 1,
        eo_class: 0,
        band_position: 12,
        offsets: [3, 0, 0, 0],
    };
    sao(&mut p, &mk_info(s, true));
    assert_eq!(p.y.at(0, 0), 100);
    assert_eq!(p.y.at(3, 3), 100);
    assert_eq!(p.y.at(4, 0), 103);
}

/// Xorshift, so the pictures below are the same on every run.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// `sao` (which takes `sao_ctb_rows` when nothing is locked) against 0.1.4's
/// per-sample `sao_ctb` on every CTB, on 4:2:0 pictures of partial CTBs with
/// random offsets, classes, band positions, tiles, slices and crossing flags.
#[test]
fn row_slices_match_the_per_sample_filter() {
    let mut st = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..300 {
        let (w, h) = (
            8 * (2 + next(&mut st) % 6) as usize,
            8 * (2 + next(&mut st) % 5) as usize,
        );
        let log2 = 4;
        let (wc, hc) = (w.div_ceil(16), h.div_ceil(16));
        let n = wc * hc;
        let mut ctb = vec![CtbFilter::default(); n];
        let mut tile_id = vec![0u16; n];
        let mut slice_addr = vec![0u32; n];
        for a in 0..n {
            let mut sao = [SaoCtb::default(); 3];
            for s in sao.iter_mut() {
                let r = next(&mut st);
                s.type_idx = (r % 3) as u8;
                s.eo_class = ((r >> 8) % 4) as u8;
                s.band_position = ((r >> 16) % 32) as u8;
                for (k, o) in s.offsets.iter_mut().enumerate() {
                    *o = ((next(&mut st) % 15) as i16 - 7) * if k < 2 { 1 } else { -1 };
                }
            }
            ctb[a] = CtbFilter {
                across_slices: next(&mut st) % 2 == 0,
                sao,
                ..CtbFilter::default()
            };
            tile_id[a] = (next(&mut st) % 2) as u16;
            slice_addr[a] = (next(&mut st) % 3) as u32;
        }
        let info = FilterInfo {
            bit_depth_y: 8,
            bit_depth_c: 8,
            chroma_array_type: 1,
            sub_w: 2,
            sub_h: 2,
            ctb_log2: log2,
            pic_w_ctbs: wc,
            pic_h_ctbs: hc,
            pcm_loop_filter_disabled: false,
            across_tiles: round % 2 == 0,
            sao_enabled: true,
            ctb,
            tile_id,
            slice_addr,
        };
        let mut p = Picture::new(w, h, 2, 2).expect("picture");
        let spread = 1 + next(&mut st) % 255;
        for plane in [&mut p.y, &mut p.cb, &mut p.cr] {
            for v in plane.data.iter_mut() {
                *v = (128 + next(&mut st) % spread - spread / 2).min(255) as u16;
            }
        }
        let mut want = [p.y.clone(), p.cb.clone(), p.cr.clone()];
        let src = want.clone();
        for a in 0..n {
            for c in 0..3 {
                let s = info.ctb[a].sao[c];
                if s.type_idx == 0 {
                    continue;
                }
                let (sw, sh) = if c == 0 { (1, 1) } else { (2, 2) };
                sao_ctb(
                    &mut want[c],
                    &src[c],
                    &p.cu_flags,
                    p.min4_w,
                    &info,
                    s,
                    a,
                    sw,
                    sh,
                    8,
                );
            }
        }
        sao(&mut p, &info);
        assert_eq!(p.y.data, want[0].data, "luma, round {round}");
        assert_eq!(p.cb.data, want[1].data, "cb, round {round}");
        assert_eq!(p.cr.data, want[2].data, "cr, round {round}");
    }
}
