//! The builder's upstream settings: the real API calls are forwarded to, whose answer the
//! client gets, and which calls go (`--upstream` and the flags beside it).

use super::MockServerBuilder;
use crate::upstream::{Config, Mode};
use std::time::Duration;

impl MockServerBuilder {
    /// Forwards unary Connect calls (JSON, binary, GET) to the real API at `url` too, within `timeout`, and
    /// reports how its answers drift from the mock's (`--upstream`, `--shadow` or `--proxy`,
    /// `--upstream-timeout-ms`).
    pub fn upstream(mut self, url: impl Into<String>, mode: Mode, timeout: Duration) -> Self {
        let config = self.upstream.get_or_insert_with(Config::default);
        config.url = url.into();
        config.mode = mode;
        config.timeout = timeout;
        self
    }

    /// Trusts the PEM certificates in `path` as roots of an https upstream, beside the
    /// system's (`--upstream-ca`, repeatable); the file is read at start, and one that is
    /// missing, empty or not PEM fails it by name.
    pub fn upstream_ca(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        let config = self.upstream.get_or_insert_with(Config::default);
        config.ca_files.push(path.into());
        self
    }

    /// Forwards only the methods this glob matches (`*` any run, `?` one character), by name
    /// (`Get*`) or as `package.Service/Method` (`--shadow-methods`, repeatable).
    pub fn shadow_methods(mut self, glob: impl Into<String>) -> Self {
        let config = self.upstream.get_or_insert_with(Config::default);
        config.methods.push(glob.into());
        self
    }

    /// Forwards this share of the calls, 0 to 1, evenly spaced (`--shadow-sample`).
    pub fn shadow_sample(mut self, share: f64) -> Self {
        self.upstream.get_or_insert_with(Config::default).sample = share;
        self
    }

    /// Writes the records in the upstream's successful answers into `dir` at shutdown, as
    /// a fixtures directory (`--record`).
    pub fn record(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.upstream.get_or_insert_with(Config::default).record = Some(dir.into());
        self
    }
}
