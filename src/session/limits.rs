//! The bounds on sessions: how many, how long idle, how many records and journal entries.

use std::time::Duration;

/// Bounds on sessions.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Sessions kept at once; beyond it the least recently used one is dropped.
    pub max_sessions: usize,
    /// How long an idle session is kept.
    pub idle_ttl: Duration,
    /// Records a session may add beyond its starting state.
    pub max_new_records: usize,
    /// Journal entries kept per session; the oldest go first.
    pub journal_size: usize,
    /// About how many bytes a session's journal may hold; the oldest entries go first.
    pub journal_max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sessions: 256,
            idle_ttl: Duration::from_secs(15 * 60),
            max_new_records: 10_000,
            journal_size: 1000,
            journal_max_bytes: 4 * 1024 * 1024,
        }
    }
}
