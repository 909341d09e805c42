//! HEIC → JPEG throughput per core: `unback::convert` against libheif 1.23 (PyPI `pillow-heif`
//! decode + Pillow JPEG save at quality 90, `tests/py/libheif_bench.py`), on the same real
//! iPhone photos (`../shared/realdata/RhetTbull_osxphotos`) in the same run, both on one thread.
//! Best of `UNBACK_BENCH_CONVERT_REPS` (default 3) per file and stage, in process CPU time (what
//! "per core" means, and what other jobs on a shared machine do not inflate); wall time is
//! printed beside it.
//!
//! Where the time goes, ours: HEVC (decoding the grid's tiles, timed alone through heic-rs),
//! then the rest of `heic_to_jpeg` (the tiles stitched into 8-bit YCbCr planes, turned upright,
//! and JPEG-encoded with the metadata). The RGB decode that thumbnails use (`decode`) is timed
//! beside it, for the record.
//!
//! `cargo bench --bench convert` (uses UNBACK_PYTHON, else `.venv/bin/python` from
//! `scripts/test.sh`). Not criterion: one conversion takes most of a second, and the
//! comparison needs the two sides interleaved in one process run.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use unback::convert::{self, DecodeOptions, JpegOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// CPU seconds used by the whole process so far. Per-core throughput is CPU time: on a shared
/// machine wall time also counts the time other jobs held the core.
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the pointer it is given.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Best of `reps`: (CPU seconds, wall seconds).
fn best<T>(reps: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    (0..reps)
        .map(|_| {
            let (c0, t0) = (cpu_seconds(), Instant::now());
            black_box(f());
            (cpu_seconds() - c0, t0.elapsed().as_secs_f64())
        })
        .fold((f64::INFINITY, f64::INFINITY), |a, b| {
            (a.0.min(b.0), a.1.min(b.1))
        })
}

/// The HEVC part alone: every tile of the primary image, serially.
fn hevc_only(heic: &[u8]) -> usize {
    let ctx = heic_rs::context::Context::open(heic).expect("container");
    let id = ctx.meta.primary;
    let tiles = match ctx.grid(id).expect("grid") {
        Some((_, t)) => t,
        None => vec![id],
    };
    let mut samples = 0;
    for t in tiles {
        let p = ctx.props(t).expect("props");
        let hvcc = p.hvcc.as_ref().expect("hvcC");
        let data = ctx.item_data(t).expect("data");
        let nals = hvcc.split_nals(&data).expect("nals");
        let f = heic_rs::hevc::decode_still(&hvcc.parameter_sets(), &nals).expect("tile");
        samples += f.y.len();
    }
    samples
}

fn main() {
    let reps: usize = std::env::var("UNBACK_BENCH_CONVERT_REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let dir = root().join("../shared/realdata/RhetTbull_osxphotos/tests/test-images");
    let mut files: Vec<PathBuf> = [dir.clone(), dir.join("media_types")]
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("heic"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        eprintln!("no samples in {}: nothing to measure", dir.display());
        return;
    }
    let py = std::env::var_os("UNBACK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".venv/bin/python"));

    let serial_decode = DecodeOptions {
        parallel: false,
        ..DecodeOptions::default()
    };
    let serial_jpeg = JpegOptions {
        parallel: false,
        ..JpegOptions::default()
    };
    println!(
        "{:<16} {:>6} | {:>7} {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} | {:>5}",
        "file", "Mpx", "hevc", "rest", "ours", "rgb", "heif", "save", "libheif", "ratio"
    );
    let (mut ours_total, mut theirs_total, mut mpx_total) = (0.0, 0.0, 0.0);
    let (mut ours_wall, mut theirs_wall_total) = (0.0, 0.0);
    let (mut hevc_total, mut rest_total, mut rgb_total) = (0.0, 0.0, 0.0);
    for f in &files {
        let heic = std::fs::read(f).expect("read sample");
        let (hevc, _) = best(reps, || hevc_only(&heic));
        let (decode, _) = best(reps, || {
            convert::decode(&heic, &serial_decode).expect("decode")
        });
        let mut mpx = 0.0;
        let (whole, whole_wall) = best(reps, || {
            let c = convert::heic_to_jpeg(&heic, &serial_jpeg).expect("convert");
            mpx = f64::from(c.width) * f64::from(c.height) / 1e6;
            c.jpeg.len()
        });
        let (dec, save, theirs_wall) = libheif(&py, f, reps);
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        println!(
            "{:<16} {:>6.1} | {:>7.3} {:>7.3} {:>7.3} {:>7.3} | {:>7.3} {:>7.3} {:>7.3} | {:>5.2}",
            name.unwrap_or_default(),
            mpx,
            hevc,
            whole - hevc,
            whole,
            decode,
            dec,
            save,
            dec + save,
            (dec + save) / whole
        );
        ours_total += whole;
        ours_wall += whole_wall;
        theirs_wall_total += theirs_wall;
        theirs_total += dec + save;
        mpx_total += mpx;
        hevc_total += hevc;
        rest_total += whole - hevc;
        rgb_total += decode;
    }
    println!(
        "total: ours {ours_total:.2} s ({:.1} Mpx/s per core), libheif+Pillow {theirs_total:.2} s \
         ({:.1} Mpx/s): ratio {:.2}x (above 1 = ours faster)",
        mpx_total / ours_total,
        mpx_total / theirs_total,
        theirs_total / ours_total
    );
    println!(
        "wall clock (shared machine, for context): ours {ours_wall:.2} s, libheif+Pillow \
         {theirs_wall_total:.2} s: {:.2}x",
        theirs_wall_total / ours_wall
    );
    println!(
        "ours by stage: HEVC {:.0}%, planes + upright + JPEG encode {:.0}%; the RGB decode \
         (thumbnails) {rgb_total:.2} s",
        100.0 * hevc_total / ours_total,
        100.0 * rest_total / ours_total,
    );
}

/// libheif's best decode and Pillow's best save (CPU seconds), and the best wall time of the
/// two together, for one file.
fn libheif(py: &Path, file: &Path, reps: usize) -> (f64, f64, f64) {
    let out = Command::new(py)
        .arg(root().join("tests/py/libheif_bench.py"))
        .arg(reps.to_string())
        .arg(file)
        .output()
        .expect("run the libheif reference (./scripts/test.sh creates the venv)");
    assert!(
        out.status.success(),
        "libheif_bench.py: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().skip(1).map(|n| n.parse::<f64>());
    match (it.next(), it.next(), it.next()) {
        (Some(Ok(d)), Some(Ok(s)), Some(Ok(w))) => (d, s, w),
        _ => panic!("unexpected libheif_bench.py output: {text}"),
    }
}
