//! A throwaway copy of a session, for a call whose effects must not stay: the mock's side of
//! a call `serve --upstream --proxy` answers from the upstream.

use super::Session;
use crate::journal::{Coverage, Journal};

impl Session {
    /// The same data, scenario counters and switched-on scenarios, with an empty journal and
    /// coverage, so a call on it costs a copy of the data and changes nothing here.
    pub fn throwaway(&self) -> Session {
        Session {
            id: self.id.clone(),
            state: self.state.clone(),
            scenarios: self.scenarios.clone(),
            active: self.active.clone(),
            journal: Journal::new(1, 64 * 1024),
            coverage: Coverage::default(),
            ..*self
        }
    }
}
