//! Bench helper for unback (see BENCHMARKS.md):
//!
//! ```text
//! unback-bench-gen manifest N DIR
//! unback-bench-gen plain-gb BYTES DIR
//! unback-bench-gen encrypted-gb BYTES DIR PASSWORD SHA1_ROUNDS SHA256_ROUNDS
//! unback-bench-gen decrypt FILE KEYHEX
//! ```
//!
//! The backup commands write `DIR/<UDID>/` and print that path on stdout. `decrypt` runs
//! `unback::crypto::decrypt_stream` over FILE into a sink, single-threaded, and prints
//! bytes, seconds and GiB/s.

mod corpus;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use unback::builder::{BackupBuilder, Encryption, FileSpec};
use unback::secret::Key32;

const UDID: &str = "00008110-000B3AC40E1B401E";

fn usage() -> ExitCode {
    eprintln!(
        "usage: unback-bench-gen manifest N DIR | plain-gb BYTES DIR | \
         encrypted-gb BYTES DIR PASSWORD SHA1_ROUNDS SHA256_ROUNDS | decrypt FILE KEYHEX"
    );
    ExitCode::from(2)
}

fn num(s: &str) -> Result<u64, String> {
    s.replace('_', "")
        .parse()
        .map_err(|e| format!("{s}: not a number ({e})"))
}

fn build(files: Vec<FileSpec>, enc: Option<Encryption>, dir: &Path) -> Result<(), String> {
    let mut b = BackupBuilder::new(UDID);
    b.files = files;
    b.add_parents();
    b.encryption = enc;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let t = Instant::now();
    let out = b
        .write(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    eprintln!(
        "wrote {} rows in {:.1} s",
        b.files.len(),
        t.elapsed().as_secs_f64()
    );
    println!("{}", out.display());
    Ok(())
}

fn decrypt(file: &str, key_hex: &str) -> Result<(), String> {
    let key = Key32::from_hex(key_hex).map_err(|e| format!("key: {e}"))?;
    let f = std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?;
    let t = Instant::now();
    let outcome = unback::crypto::decrypt_stream(&key, f, std::io::sink())
        .map_err(|e| format!("{file}: {e}"))?;
    let secs = t.elapsed().as_secs_f64();
    let gib = outcome.ciphertext_len as f64 / (1u64 << 30) as f64;
    println!(
        "{} bytes in {secs:.3} s: {:.2} GiB/s",
        outcome.ciphertext_len,
        gib / secs
    );
    Ok(())
}

fn run(args: &[String]) -> Result<bool, String> {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        ["manifest", n, dir] => {
            build(
                corpus::manifest_rows(num(n)? as usize),
                None,
                Path::new(dir),
            )?;
        }
        ["plain-gb", bytes, dir] => build(corpus::media_rows(num(bytes)?), None, Path::new(dir))?,
        ["encrypted-gb", bytes, dir, pw, r1, r256] => {
            let enc = Encryption::new(pw, num(r1)? as u32, num(r256)? as u32);
            build(corpus::media_rows(num(bytes)?), Some(enc), Path::new(dir))?;
        }
        ["decrypt", file, key] => decrypt(file, key)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => usage(),
        Err(e) => {
            eprintln!("unback-bench-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
