//! Fixed, documented hashes (FNV-1a, SplitMix64) for seeds and sealed secrets, and the mix of the server's
//! `--seed` and the session id, so a seed and session replay the same faults on every build.

/// Each session's scenario generator is seeded from the server seed and the session id, so
/// the same seed and session replay the same fault sequence, and sessions do not share one.
/// The mix is fixed (std's `DefaultHasher` may change between Rust releases):
/// `splitmix64(splitmix64(seed) ^ fnv1a64(id))`, with FNV-1a over the id's UTF-8 bytes.
pub fn session_seed(seed: u64, id: &str) -> u64 {
    splitmix64(splitmix64(seed) ^ fnv1a64(id.as_bytes()))
}

/// 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One step of SplitMix64 (Steele, Lea and Flood), the usual way to spread a 64-bit seed.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_seeds_use_fnv_1a_and_splitmix64() {
        // Published FNV-1a 64 test vectors, and SplitMix64's first output from state 0.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        // Computed outside Rust (Python, from the formula in session_seed's documentation).
        assert_eq!(session_seed(0, "default"), 0xff87_af2d_37fa_eecb);
        assert_eq!(session_seed(7, "ci-1"), 0x3c2b_e711_765b_1b28);
        assert_eq!(session_seed(42, "abc"), 0xf6a8_7007_145a_8f15);
    }
}
