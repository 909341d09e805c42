//! The backup key derivation (`unback::kdf`), PBKDF2-HMAC-SHA256 × N then PBKDF2-HMAC-SHA1 ×
//! N/1000 over its 32-byte output, the shape of an iOS ≥ 10.2 keybag. N is 1,000,000 by default
//! (a tenth of the real 10,000,000 / 10,000, same ratio); `UNBACK_BENCH_KDF_ROUNDS=10000000`
//! for the real counts.
//!
//! Reference in the same group, `floor`: the compressions any PBKDF2-HMAC must do, 2N calls of
//! `sha2::block_api::compress256` and 2N/1000 of `sha1::block_api::compress`, each on the
//! state the previous call left (a round's two hashes depend on each other, so the real loop
//! is a chain too). `pbkdf2_crate` is the `pbkdf2` crate the derivation replaced.
//! `scripts/bench/ratios.py kdf` prints the ratios to `floor`.
//!
//! On Unix the time measured is the benchmark thread's CPU time, not wall time: the machine's
//! two cores are shared with other jobs, and a single-threaded CPU-bound loop's CPU time is
//! its wall time on an idle machine minus the time it sat descheduled. `UNBACK_BENCH_WALL=1`
//! measures wall time instead.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};

const PASSWORD: &[u8] = b"bench-password";
const DPSL: [u8; 20] = [b'D'; 20];
const SALT: [u8; 20] = [b'S'; 20];

fn floor(rounds256: u32, rounds1: u32) -> u32 {
    let block = [0x5au8; 64];
    let mut s256 = [0x6a09e667u32; 8];
    for _ in 0..2 * rounds256 {
        sha2::block_api::compress256(&mut s256, core::slice::from_ref(black_box(&block)));
    }
    let mut s1 = [0x67452301u32; 5];
    for _ in 0..2 * rounds1 {
        sha1::block_api::compress(&mut s1, core::slice::from_ref(black_box(&block)));
    }
    s256[0] ^ s1[0]
}

/// The same compressions, each block starting with the 32 bytes of the previous state (copied
/// as they lie in memory, no byte swap), as in PBKDF2 where each hash reads the previous one.
/// Not the target's reference: it shows how much of the gap to `floor` is that dependency.
fn floor_chained(rounds256: u32, rounds1: u32) -> u32 {
    let mut block = [0x5au8; 64];
    let mut s256 = [0x6a09e667u32; 8];
    for _ in 0..2 * rounds256 {
        sha2::block_api::compress256(&mut s256, core::slice::from_ref(&block));
        for (d, w) in block.chunks_exact_mut(4).zip(&s256) {
            d.copy_from_slice(&w.to_ne_bytes());
        }
    }
    let mut s1 = [0x67452301u32; 5];
    for _ in 0..2 * rounds1 {
        sha1::block_api::compress(&mut s1, core::slice::from_ref(&block));
        for (d, w) in block.chunks_exact_mut(4).zip(&s1) {
            d.copy_from_slice(&w.to_ne_bytes());
        }
    }
    s256[0] ^ s1[0]
}

fn unback_kdf(rounds256: u32, rounds1: u32) -> [u8; 32] {
    let mut k1 = [0u8; 32];
    let mut key = [0u8; 32];
    unback::kdf::pbkdf2_hmac_sha256(PASSWORD, &DPSL, rounds256, &mut k1);
    unback::kdf::pbkdf2_hmac_sha1(&k1, &SALT, rounds1, &mut key);
    key
}

fn pbkdf2_crate(rounds256: u32, rounds1: u32) -> [u8; 32] {
    let mut k1 = [0u8; 32];
    let mut key = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD, &DPSL, rounds256, &mut k1);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&k1, &SALT, rounds1, &mut key);
    key
}

/// CPU time of the calling thread, or wall time where that is not available or not wanted.
struct ThreadTime {
    wall: WallTime,
    cpu: bool,
}

impl ThreadTime {
    fn now(&self) -> Duration {
        #[cfg(unix)]
        if self.cpu {
            let mut t = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `t` is a valid, writable timespec.
            let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
            assert_eq!(r, 0, "clock_gettime");
            return Duration::new(t.tv_sec as u64, t.tv_nsec as u32);
        }
        #[cfg(not(unix))]
        let _ = self.cpu;
        START.with(|s| s.elapsed())
    }
}

thread_local! {
    static START: std::time::Instant = std::time::Instant::now();
}

impl Measurement for ThreadTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        self.now()
    }
    fn end(&self, start: Duration) -> Duration {
        self.now() - start
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, d: &Duration) -> f64 {
        d.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

fn config() -> Criterion<ThreadTime> {
    let cpu = cfg!(unix) && std::env::var_os("UNBACK_BENCH_WALL").is_none();
    Criterion::default().with_measurement(ThreadTime {
        wall: WallTime,
        cpu,
    })
}

fn kdf(c: &mut Criterion<ThreadTime>) {
    let rounds256: u32 = std::env::var("UNBACK_BENCH_KDF_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let rounds1 = (rounds256 / 1000).max(1);
    assert_eq!(
        unback_kdf(rounds256.min(1000), rounds1),
        pbkdf2_crate(rounds256.min(1000), rounds1),
        "the two derivations disagree"
    );

    let mut g = c.benchmark_group("kdf");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    // The reference runs between the two derivations, so a change of machine load during the
    // run shows on both sides of it rather than favouring one.
    g.bench_function("unback_kdf", |b| {
        b.iter(|| unback_kdf(black_box(rounds256), black_box(rounds1)))
    });
    g.bench_function("floor", |b| {
        b.iter(|| floor(black_box(rounds256), black_box(rounds1)))
    });
    g.bench_function("floor_chained", |b| {
        b.iter(|| floor_chained(black_box(rounds256), black_box(rounds1)))
    });
    g.bench_function("pbkdf2_crate", |b| {
        b.iter(|| pbkdf2_crate(black_box(rounds256), black_box(rounds1)))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = kdf
}
criterion_main!(benches);
