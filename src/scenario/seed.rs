//! The mix of the server's `--seed` and a session id, so a seed and session replay the same
//! faults on every build.

use crate::hash::{fnv1a64, splitmix64};

/// Each session's scenario generator is seeded from the server seed and the session id, so
/// the same seed and session replay the same fault sequence, and sessions do not share one.
/// The mix is fixed (std's `DefaultHasher` may change between Rust releases):
/// `splitmix64(splitmix64(seed) ^ fnv1a64(id))`, with FNV-1a over the id's UTF-8 bytes.
pub fn session_seed(seed: u64, id: &str) -> u64 {
    splitmix64(splitmix64(seed) ^ fnv1a64(id.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_seeds_use_fnv_1a_and_splitmix64() {
        // Computed outside Rust (Python, from the formula in session_seed's documentation).
        assert_eq!(session_seed(0, "default"), 0xff87_af2d_37fa_eecb);
        assert_eq!(session_seed(7, "ci-1"), 0x3c2b_e711_765b_1b28);
        assert_eq!(session_seed(42, "abc"), 0xf6a8_7007_145a_8f15);
    }
}
