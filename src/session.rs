//! Sessions: isolated worlds on one server, chosen by the `x-mock-session` header. Each has
//! its own copy of the fixture state, scenario counters, journal and coverage. Sessions are
//! made on first use, bounded in number and size, and expire when idle.

mod follow;
mod limits;
mod throwaway;
use crate::error::{Code, RpcError};
use crate::hash::{fnv1a64, splitmix64};
use crate::journal::{Coverage, Entry, Journal};
use crate::scenario::{session_seed, Runtime};
use crate::store::State;
use http::HeaderMap;
pub use limits::Limits;
use parking_lot::Mutex;
// FxHash: session ids are bounded in number (--max-sessions), so no input makes lookups slow.
use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;
use std::time::Instant;

/// The session of requests that name none.
pub const DEFAULT_SESSION: &str = "default";

/// One isolated world.
#[derive(Debug)]
pub struct Session {
    pub id: String,
    pub state: State,
    pub scenarios: Runtime,
    /// Scenarios switched on for this session through the control plane.
    pub active: Vec<String>,
    pub journal: Journal,
    pub coverage: Coverage,
    pub last_used: Instant,
    start_records: usize,
    max_new_records: usize,
    /// Whether a call or an import has changed its data; until then it follows the fixture
    /// files as they are reloaded (`serve --watch`).
    wrote: bool,
}

impl Session {
    /// A session with its own copy of `state`. Its ids, sealed-secret salts and scenario
    /// choices are all drawn from generators seeded by the server's seed and the session id,
    /// so sessions draw different ids and a session replays the same ones on every run.
    fn new(id: &str, mut state: State, seed: u64, limits: &Limits) -> Session {
        let start_records = state.records();
        let seed = session_seed(seed, id);
        state.reseed(state_seed(seed));
        Session {
            id: id.to_string(),
            state,
            scenarios: Runtime::new(seed),
            active: Vec::new(),
            journal: Journal::new(limits.journal_size, limits.journal_max_bytes),
            coverage: Coverage::default(),
            last_used: Instant::now(),
            start_records,
            max_new_records: limits.max_new_records,
            wrote: false,
        }
    }

    /// Replaces the session's data with an exported snapshot (see `State::import`). The record
    /// budget then counts from the imported records, as a fresh session's counts from its
    /// fixtures. On error nothing changes.
    pub fn import(&mut self, snapshot: &serde_json::Value) -> Result<(), String> {
        self.state.import(snapshot)?;
        self.start_records = self.state.records();
        self.wrote = true;
        Ok(())
    }

    /// Keeps a call's journal entry and counts it in the session's coverage.
    pub fn record(&mut self, entry: Entry) {
        self.coverage.record(&entry);
        self.journal.push(entry);
    }

    /// Fails with resource_exhausted unless `n` more records fit in the session's budget.
    pub fn check_room(&self, n: usize) -> Result<(), RpcError> {
        let room = (self.start_records + self.max_new_records).saturating_sub(self.state.records());
        match n <= room {
            true => Ok(()),
            false => Err(RpcError::new(
                Code::ResourceExhausted,
                format!("session {:?} has room for {room} more records, not {n}; reset it or raise --session-max-records", self.id),
            )),
        }
    }

    /// Fails with resource_exhausted when the session has grown by its record budget.
    pub fn check_budget(&self) -> Result<(), RpcError> {
        if self.state.records() >= self.start_records + self.max_new_records {
            return Err(RpcError::new(
                Code::ResourceExhausted,
                format!("session {:?} has created {} records, its limit; reset it or raise --session-max-records", self.id, self.max_new_records),
            ));
        }
        Ok(())
    }
}

/// The seed of a session's state generator, from its own seed: a stream of its own, so ids
/// do not repeat the scenario generator's draws.
fn state_seed(session_seed: u64) -> u64 {
    splitmix64(session_seed ^ fnv1a64(b"state"))
}

/// All sessions, made from one template state.
pub struct Sessions {
    map: Mutex<HashMap<String, Arc<Mutex<Session>>>>,
    template: Mutex<State>,
    seed: u64,
    limits: Limits,
}

impl Sessions {
    pub fn new(template: State, seed: u64, limits: Limits) -> Sessions {
        Sessions {
            map: Mutex::new(HashMap::default()),
            template: Mutex::new(template),
            seed,
            limits,
        }
    }

    /// Checks a session id from a header: 1 to 128 of letters, digits and `-_.:`.
    pub fn check_id(id: &str) -> Result<(), RpcError> {
        let ok = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
        if ok {
            Ok(())
        } else {
            Err(RpcError::invalid_argument(format!(
                "x-mock-session {id:?} is not a session id: use 1-128 letters, digits and -_.:"
            )))
        }
    }

    /// A session id as a request gives it, in the one form every path uses: surrounding
    /// whitespace trimmed, then checked. The RPC path and the control plane both call this, so
    /// `x-mock-session: " ci-1 "` and `?session=ci-1` name the same session.
    pub fn normalize_id(raw: &str) -> Result<String, RpcError> {
        let id = raw.trim();
        Sessions::check_id(id)?;
        Ok(id.to_string())
    }

    /// The session a request's `x-mock-session` header names, normalised; `default` without one.
    pub fn id_from_headers(headers: &HeaderMap) -> Result<String, RpcError> {
        match headers.get(&crate::codec::headers::names::X_MOCK_SESSION) {
            None => Ok(DEFAULT_SESSION.to_string()),
            Some(v) => Sessions::normalize_id(&String::from_utf8_lossy(v.as_bytes())),
        }
    }

    /// The session `id`, made from the template on first use. Idle sessions expire here, and
    /// when the server holds the most sessions it may, the least recently used one goes.
    /// A session busy with another call is not waited for while the map is locked: the
    /// RPC path marks it used again once it holds the session.
    pub fn get(&self, id: &str) -> Arc<Mutex<Session>> {
        let mut map = self.map.lock();
        if let Some(session) = map.get(id) {
            if let Some(mut s) = session.try_lock() {
                s.last_used = Instant::now();
            }
            return session.clone();
        }
        let ttl = self.limits.idle_ttl;
        map.retain(|key, s| {
            key == DEFAULT_SESSION || s.try_lock().is_none_or(|s| s.last_used.elapsed() < ttl)
        });
        if map.len() >= self.limits.max_sessions {
            let oldest = map
                .iter()
                .filter(|(key, _)| *key != DEFAULT_SESSION)
                .filter_map(|(key, s)| s.try_lock().map(|s| (s.last_used, key.clone())))
                .min();
            if let Some((_, key)) = oldest {
                map.remove(&key);
            }
        }
        let state = self.template.lock().clone();
        let session = Arc::new(Mutex::new(Session::new(id, state, self.seed, &self.limits)));
        map.insert(id.to_string(), session.clone());
        session
    }

    /// The session `id` if it exists, else a fresh one from the template that is not kept.
    /// Control-plane reads use this: looking at a session must not make one, which on a full
    /// server would evict the least recently used session and its data.
    pub fn peek(&self, id: &str) -> Arc<Mutex<Session>> {
        if let Some(session) = self.map.lock().get(id) {
            return session.clone();
        }
        let state = self.template.lock().clone();
        Arc::new(Mutex::new(Session::new(id, state, self.seed, &self.limits)))
    }

    /// Existing sessions, without making any.
    pub fn existing(&self) -> Vec<Arc<Mutex<Session>>> {
        let mut all: Vec<_> = self.map.lock().values().cloned().collect();
        all.sort_by_key(|s| s.lock().id.clone());
        all
    }

    /// Drops a session; its next request starts afresh. Returns whether it existed.
    pub fn drop_session(&self, id: &str) -> bool {
        self.map.lock().remove(id).is_some()
    }

    /// Drops every session.
    pub fn reset_all(&self) {
        self.map.lock().clear();
    }

    /// Replaces the state new sessions start from (and that resets return to).
    pub fn set_template(&self, state: State) {
        *self.template.lock() = state;
    }

    pub fn template(&self) -> State {
        self.template.lock().clone()
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::records::{EnvironmentClass, HostToken};
    use crate::store::Fixtures;
    use std::time::Duration;

    fn sessions(limits: Limits) -> Sessions {
        Sessions::new(State::new(&Fixtures::default(), Some(1)), 1, limits)
    }

    #[test]
    fn sessions_are_isolated_copies() {
        let all = sessions(Limits::default());
        let a = all.get("a");
        let id = a.lock().state.new_id();
        a.lock().state.table_mut::<EnvironmentClass>().insert(
            crate::store::records::EnvironmentClass {
                id: id.clone(),
                ..Default::default()
            },
        );
        assert!(all
            .get("b")
            .lock()
            .state
            .table::<EnvironmentClass>()
            .get(&id)
            .is_none());
        assert!(all
            .get("a")
            .lock()
            .state
            .table::<EnvironmentClass>()
            .get(&id)
            .is_some());
    }

    #[test]
    fn the_least_recently_used_session_goes_when_full() {
        let all = sessions(Limits {
            max_sessions: 2,
            ..Limits::default()
        });
        all.get("a");
        std::thread::sleep(Duration::from_millis(2));
        all.get("b");
        all.get("a");
        all.get("c");
        let ids: Vec<String> = all.existing().iter().map(|s| s.lock().id.clone()).collect();
        assert_eq!(ids, ["a", "c"]);
    }

    #[test]
    fn peeking_makes_no_session() {
        let all = sessions(Limits {
            max_sessions: 1,
            ..Limits::default()
        });
        all.get("a");
        assert_eq!(all.peek("b").lock().id, "b");
        let ids: Vec<String> = all.existing().iter().map(|s| s.lock().id.clone()).collect();
        assert_eq!(ids, ["a"]);
    }

    #[test]
    fn idle_sessions_expire() {
        let all = sessions(Limits {
            idle_ttl: Duration::from_millis(1),
            ..Limits::default()
        });
        all.get("old");
        std::thread::sleep(Duration::from_millis(5));
        all.get("new");
        let ids: Vec<String> = all.existing().iter().map(|s| s.lock().id.clone()).collect();
        assert_eq!(ids, ["new"]);
    }

    #[test]
    fn ids_are_checked() {
        assert!(Sessions::check_id("ci-job_42.run:1").is_ok());
        for bad in ["", "a b", "x/y", &"x".repeat(129)] {
            assert_eq!(
                Sessions::check_id(bad).unwrap_err().code,
                Code::InvalidArgument,
                "{bad:?}"
            );
        }
    }

    /// Creates one host token, as a Create call would.
    fn add_token(state: &mut State) {
        let id = state.new_id();
        state
            .table_mut::<HostToken>()
            .insert(crate::store::records::HostToken {
                id,
                ..Default::default()
            });
    }

    #[test]
    fn the_record_budget_is_enforced() {
        let all = sessions(Limits {
            max_new_records: 1,
            ..Limits::default()
        });
        let s = all.get("a");
        assert!(s.lock().check_budget().is_ok());
        let mut guard = s.lock();
        add_token(&mut guard.state);
        assert_eq!(
            guard.check_budget().unwrap_err().code,
            Code::ResourceExhausted
        );
    }

    #[test]
    fn ids_are_trimmed_then_checked_and_headers_default() {
        assert_eq!(Sessions::normalize_id(" abc\t").unwrap(), "abc");
        assert_eq!(Sessions::normalize_id("abc").unwrap(), "abc");
        for bad in ["", "   ", " a b "] {
            assert!(Sessions::normalize_id(bad).is_err(), "{bad:?}");
        }
        let mut headers = HeaderMap::new();
        assert_eq!(Sessions::id_from_headers(&headers).unwrap(), "default");
        headers.insert("x-mock-session", " ci-1 ".parse().unwrap());
        assert_eq!(Sessions::id_from_headers(&headers).unwrap(), "ci-1");
    }

    #[test]
    fn an_import_restarts_the_record_budget_from_the_imported_records() {
        let contract = crate::contract::Contract::load();
        let fixtures =
            crate::store::fixtures::load(&contract, crate::store::fixtures::Source::Embedded);
        let limits = Limits {
            max_new_records: 1,
            ..Limits::default()
        };
        let all = Sessions::new(State::new(&fixtures.unwrap(), Some(1)), 1, limits);
        let s = all.get("a");
        let mut guard = s.lock();
        let mut bigger = guard.state.clone();
        for _ in 0..3 {
            let id = bigger.new_id();
            bigger
                .table_mut::<HostToken>()
                .insert(crate::store::records::HostToken {
                    id,
                    runner_id: guard.state.runners.list[0].id.clone(),
                    ..Default::default()
                });
        }
        guard.import(&bigger.export()).unwrap();
        assert!(guard.check_budget().is_ok(), "three more records, none new");
        guard.import(&serde_json::json!({})).unwrap();
        assert!(guard.check_budget().is_ok());
        add_token(&mut guard.state);
        assert_eq!(
            guard.check_budget().unwrap_err().code,
            Code::ResourceExhausted,
            "one record after importing none is the budget"
        );
    }
}
