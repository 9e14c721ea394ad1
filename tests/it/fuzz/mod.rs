//! Property tests and the fuzz harness, on stable Rust with proptest: schema-valid messages
//! generated from the contract's descriptors (`messages`), the whole server driven in
//! process (`support::InProcess`) and judged by one oracle (`oracle`), the property every
//! method must hold (`property`), and the structure-aware fuzzer of bodies, queries, headers,
//! gzip frames, scenario and fixture files (`harness`). `cargo test` runs a short seeded
//! version of each; the README's "Fuzzing" section gives the long-run command.

mod cases;
mod files;
mod findings;
mod harness;
mod inputs;
mod messages;
mod mutate;
mod oracle;
mod property;
mod requests;

use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A runner for `cases` cases whose choices follow from `seed` alone, so a failure repeats;
/// it shrinks what it finds and writes no files.
pub fn runner(cases: u32, seed: u64) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    };
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(
            &(seed ^ i as u64)
                .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                .to_le_bytes(),
        );
    }
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// A count from the environment variable `name`, or `default`.
pub fn case_count(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} must be a number, got {v:?}"))
        })
        .unwrap_or(default)
}
