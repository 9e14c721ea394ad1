//! The application a server serves: the contract, the endpoint table built from it, the
//! shared state, and the settings that shape every call.

use crate::contract::{Contract, Procedure};
use crate::service::{self, Handler};
use crate::store::{Fixtures, State};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Settings that shape how requests are read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Reject unknown JSON fields instead of ignoring them.
    pub strict: bool,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            strict: false,
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

/// One routable procedure: what the contract says about it and the handler that serves it.
pub struct Endpoint {
    pub procedure: Procedure,
    /// None for methods the contract has but the mock does not cover yet.
    pub handler: Option<Handler>,
}

/// Everything a request needs, shared by all connections.
pub struct App {
    pub contract: Contract,
    pub settings: Settings,
    endpoints: HashMap<String, Endpoint>,
    state: Mutex<State>,
}

impl App {
    /// Joins the contract's procedures with the handler table. Every handler must name a
    /// procedure of the contract, so a renamed method fails here, at startup.
    pub fn new(contract: Contract, state: State, settings: Settings) -> App {
        for (name, _) in service::HANDLERS {
            assert!(
                contract.procedure(name).is_some(),
                "handler {name} has no procedure in the contract"
            );
        }
        let endpoints = contract
            .procedures()
            .iter()
            .map(|p| {
                (
                    p.path.clone(),
                    Endpoint {
                        procedure: p.clone(),
                        handler: service::handler(&p.name),
                    },
                )
            })
            .collect();
        App {
            contract,
            settings,
            endpoints,
            state: Mutex::new(state),
        }
    }

    /// An app over the embedded default fixtures, for tests and embedding.
    pub fn with_defaults(seed: Option<u64>) -> App {
        let contract = Contract::load();
        let fixtures =
            crate::store::fixtures::load(&contract, crate::store::fixtures::Source::Embedded)
                .expect("the embedded fixtures are valid");
        App::new(contract, State::new(&fixtures, seed), Settings::default())
    }

    pub fn endpoint(&self, path: &str) -> Option<&Endpoint> {
        self.endpoints.get(path)
    }

    /// Runs `f` with exclusive access to the state. Handlers are synchronous, so the lock is
    /// never held across an `.await`; parking_lot's mutex does not poison if a handler panics.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock())
    }

    /// The description `GET /` answers: name, version and every method.
    pub fn describe(&self) -> Value {
        let mut methods: Vec<Value> = self
            .contract
            .procedures()
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "path": p.path,
                    "sideEffects": p.side_effects,
                    "implemented": service::handler(&p.name).is_some(),
                })
            })
            .collect();
        methods.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
        json!({
            "name": "gitpod-mock",
            "version": env!("CARGO_PKG_VERSION"),
            "service": crate::contract::SERVICE,
            "methods": methods,
        })
    }
}

/// Reuses the fixtures type so callers building an App by hand need only this module.
pub fn state_from(fixtures: &Fixtures, seed: Option<u64>, generate: usize) -> State {
    let mut state = State::new(fixtures, seed);
    crate::store::generate(&mut state, generate);
    state
}
