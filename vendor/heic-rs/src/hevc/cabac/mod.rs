//! CABAC entropy decoding.

pub mod ctx;
#[cfg(any(test, feature = "bench"))]
pub mod encoder;
mod engine;
#[cfg(test)]
mod engine_v014;
mod tables;

pub use ctx::{NUM_CTX, off};
#[cfg(any(test, feature = "bench"))]
pub use engine::initial_contexts;
pub use engine::{Cabac, Engine};

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
