//! Why an embedded mock could not be built or started.

use std::fmt;

/// Why a mock could not start: invalid fixtures or scenarios, a contradictory setting, or a
/// port that cannot be bound. The message names the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub(super) String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error(message)
    }
}
