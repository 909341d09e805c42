//! Decryption throughput of `unback::crypto::decrypt_stream` (AES-256-CBC, zero IV, PKCS#7
//! judged at the end), single-threaded, over 1 GiB held in memory (`UNBACK_BENCH_DECRYPT_MIB`
//! to change), into a sink.
//!
//! Reference in the same group: the bare cipher — one `cbc::Decryptor` run over the same bytes
//! copied chunk by chunk (1 MiB) into a scratch buffer, which is the least any streaming
//! decryption must do. `scripts/bench/ratios.py decrypt` prints the ratio; OpenSSL is compared in
//! `scripts/bench/crypto.sh`.

use std::hint::black_box;
use std::io::Read;
use std::time::Duration;

use aes::cipher::{BlockModeDecrypt, KeyIvInit};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use unback::builder::generated_bytes;
use unback::secret::Key32;

const CHUNK: usize = 1 << 20;

fn ciphertext(len: usize) -> Vec<u8> {
    // Any block-aligned bytes are a valid ciphertext; the padding is judged invalid and kept.
    let mut buf = Vec::with_capacity(len);
    generated_bytes(len as u64, 7)
        .read_to_end(&mut buf)
        .expect("generate");
    buf
}

fn bare_cbc(key: &[u8; 32], data: &[u8], scratch: &mut [u8]) -> u8 {
    let mut dec = cbc::Decryptor::<aes::Aes256>::new(key.into(), &[0u8; 16].into());
    let mut acc = 0u8;
    for chunk in data.chunks(CHUNK) {
        let s = &mut scratch[..chunk.len()];
        s.copy_from_slice(chunk);
        let (blocks, _) = aes::Block::slice_as_chunks_mut(s);
        dec.decrypt_blocks(blocks);
        acc ^= s[s.len() - 1];
    }
    acc
}

fn decrypt(c: &mut Criterion) {
    let mib: usize = std::env::var("UNBACK_BENCH_DECRYPT_MIB")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1024);
    let data = ciphertext(mib << 20);
    let raw = [0x42u8; 32];
    let key = Key32::from_bytes(raw);
    let mut scratch = vec![0u8; CHUNK];

    let mut g = c.benchmark_group("decrypt");
    g.throughput(Throughput::Bytes(data.len() as u64))
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    g.bench_function("bare_cbc", |b| {
        b.iter(|| black_box(bare_cbc(&raw, &data, &mut scratch)))
    });
    g.bench_function("decrypt_stream", |b| {
        b.iter(|| {
            let out =
                unback::crypto::decrypt_stream(&key, &data[..], std::io::sink()).expect("decrypt");
            black_box(out.plaintext_len)
        })
    });
    g.finish();
}

criterion_group!(benches, decrypt);
criterion_main!(benches);
