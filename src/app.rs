//! The application a server serves: the contract, the procedure table joined with it, the
//! sessions holding state, the scenario library, auth, the log, and the settings that shape
//! every call.

use crate::auth::{Auth, ControlAccess};
use crate::contract::Contract;
use crate::scenario::{Library, Scenario};
use crate::service::Table;
use crate::session::{Limits, Sessions, DEFAULT_SESSION};
use crate::store::{Fixtures, State};
use parking_lot::RwLock;
use serde_json::{json, Value};
use std::sync::Arc;

/// Settings that shape how requests are read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Reject unknown JSON fields instead of ignoring them.
    pub strict: bool,
    /// Report contract and domain-rule violations in `x-mock-violations` instead of
    /// refusing the call, as Prism does (`serve --lenient`).
    pub lenient: bool,
    /// The largest request body accepted, in bytes; for a compressed body, also the largest
    /// it may decompress to.
    pub max_body_bytes: usize,
    /// The origins browsers may call the mock from (CORS).
    pub cors: crate::cors::AllowedOrigins,
    /// Who may use the control plane under `/__mock/`.
    pub control: ControlAccess,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            strict: false,
            lenient: false,
            max_body_bytes: 4 * 1024 * 1024,
            cors: crate::cors::AllowedOrigins::default(),
            control: ControlAccess::default(),
        }
    }
}

/// Everything a request needs, shared by all connections.
pub struct App {
    pub contract: Contract,
    pub settings: Settings,
    /// Every procedure, by Connect path: the methods the mock serves and those it does not.
    pub table: Table,
    pub sessions: Sessions,
    pub scenarios: RwLock<Library>,
    /// Scenarios switched on for every session (`serve --scenario`, or the control plane).
    pub active: RwLock<Vec<String>>,
    /// Some when `--require-auth` is on.
    pub auth: Option<Auth>,
    /// The request log; off unless `with_log` turns it on.
    pub log: crate::log::Log,
    /// The seed generated answers are drawn from, with the procedure and the request.
    pub seed: u64,
    /// The contract's secret fields, which the journal keeps redacted.
    pub secrets: crate::secrets::Secrets,
    /// Becomes true when the server starts shutting down, so calls that would otherwise stay
    /// open (a health Watch, an idle reflection stream) end instead of holding up the drain.
    pub stopping: tokio::sync::watch::Sender<bool>,
    /// The real API calls are forwarded to (`serve --upstream`), if any.
    pub upstream: Option<crate::upstream::Upstream>,
    /// How the upstream's answers differ from the contract and the mock's.
    pub drift: crate::drift::Report,
    /// What reloading the watched files did (`serve --watch`); empty when nothing is watched.
    pub reload: crate::reload::Status,
    /// The live feed of calls and reloads (`/__mock/live`).
    pub live: crate::admin::live::Live,
}

impl App {
    /// Keeps a call's entry in its session's journal and coverage, and announces it on the
    /// live feed.
    pub fn keep(&self, session: &mut crate::session::Session, entry: crate::journal::Entry) {
        if self.live.is_heard() {
            self.live.call(session.journal.next_seq(), &entry);
        }
        session.record(entry);
    }

    /// Joins the contract's procedures with the procedure table, which fails at startup if
    /// they disagree (see [`Table::new`]).
    pub fn new(contract: Contract, state: State, settings: Settings) -> App {
        let table = Table::new(&contract);
        App::with_table(contract, table, state, settings)
    }

    /// [`App::new`] with the contract's table already built.
    pub fn with_table(contract: Contract, table: Table, state: State, settings: Settings) -> App {
        let scenarios = Library::load(&contract, None).unwrap_or_default();
        let secrets = crate::secrets::Secrets::of(contract.pool());
        App {
            contract,
            settings,
            table,
            sessions: Sessions::new(state, 0, Limits::default()),
            scenarios: RwLock::new(scenarios),
            active: RwLock::new(Vec::new()),
            auth: None,
            log: crate::log::Log::off(),
            seed: 0,
            secrets,
            stopping: tokio::sync::watch::Sender::new(false),
            upstream: None,
            drift: crate::drift::Report::default(),
            reload: crate::reload::Status::default(),
            live: Default::default(),
        }
    }

    /// An app over the embedded default fixtures, for tests and embedding.
    pub fn with_defaults(seed: Option<u64>) -> App {
        let contract = Contract::load();
        let fixtures =
            crate::store::fixtures::load(&contract, crate::store::fixtures::Source::Embedded)
                .expect("the embedded fixtures are valid");
        App::new(contract, State::new(&fixtures, seed), Settings::default())
            .with_sessions(seed.unwrap_or(0), Limits::default())
    }

    /// Replaces the session limits and the seed sessions derive their scenario generators from.
    pub fn with_sessions(mut self, seed: u64, limits: Limits) -> App {
        self.sessions = Sessions::new(self.sessions.template(), seed, limits);
        self.seed = seed;
        self
    }

    /// Uses this scenario library, with these scenarios on for every session.
    pub fn with_scenarios(mut self, library: Library, active: Vec<String>) -> Result<App, String> {
        if let Some(name) = active.iter().find(|n| library.get(n).is_none()) {
            return Err(library.unknown(name));
        }
        self.scenarios = RwLock::new(library);
        self.active = RwLock::new(active);
        Ok(self)
    }

    /// Logs every call to `log`.
    pub fn with_log(mut self, log: crate::log::Log) -> App {
        self.log = log;
        self
    }

    /// Forwards Connect JSON calls to `upstream` too, and reports how its answers drift.
    pub fn with_upstream(mut self, upstream: crate::upstream::Upstream) -> App {
        self.upstream = Some(upstream);
        self
    }

    /// What `GET /__mock/health` answers: the server is up, and, when it watches files and
    /// the caller may see the control plane (`detailed`), what reloading them did.
    pub fn health(&self, detailed: bool) -> Value {
        let mut health = json!({ "status": "ok" });
        if let Some(reload) = self.reload.to_json().filter(|_| detailed) {
            health["reload"] = reload;
        }
        health
    }

    /// The drift report `GET /__mock/drift` answers.
    pub fn drift_report(&self) -> Value {
        let base = self.upstream.as_ref().map(crate::upstream::Upstream::base);
        self.drift.to_json(base)
    }

    pub fn with_auth(mut self, auth: Auth) -> App {
        self.auth = Some(auth);
        self
    }

    /// Runs `f` with exclusive access to the default session's state.
    pub fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.sessions.get(DEFAULT_SESSION).lock().state)
    }

    /// The scenarios that apply to a call: those named in its `x-mock-scenario` header, then
    /// the session's, then the server-wide ones.
    pub fn scenarios_for(
        &self,
        requested: &[String],
        session_active: &[String],
    ) -> Result<Vec<Arc<Scenario>>, String> {
        let library = self.scenarios.read();
        let global = self.active.read();
        let mut names: Vec<&String> = Vec::new();
        for name in requested.iter().chain(session_active).chain(global.iter()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
            .into_iter()
            .map(|n| library.get(n).ok_or_else(|| library.unknown(n)))
            .collect()
    }

    /// The description `GET /` answers: name, version, the services and every method, with
    /// the behaviour it gets.
    pub fn describe(&self) -> Value {
        let served = self.table.entries().iter().map(|e| {
            let mut method = describe_procedure(&e.procedure, true);
            if !self.contract.is_builtin() {
                method["behaviour"] = json!(e.behaviour());
            }
            method
        });
        let uncovered = self.table.uncovered().iter().map(|(p, why)| {
            let mut method = describe_procedure(p, false);
            if !self.contract.is_builtin() {
                method["behaviour"] = json!(format!("unimplemented: {why}"));
            }
            method
        });
        let mut methods: Vec<Value> = served.chain(uncovered).collect();
        // By name, as ever, for the embedded contract; by path when several services may
        // share method names.
        let key = if self.contract.is_builtin() {
            "name"
        } else {
            "path"
        };
        methods.sort_by(|a, b| a[key].as_str().cmp(&b[key].as_str()));
        let services = self.contract.services();
        let mut description = json!({
            "name": "gitpod-mock",
            "version": env!("CARGO_PKG_VERSION"),
            "service": services.first().copied().unwrap_or(crate::contract::SERVICE),
            "methods": methods,
        });
        if !self.contract.is_builtin() {
            description["services"] = json!(services);
        }
        description
    }
}

fn describe_procedure(p: &crate::contract::Procedure, implemented: bool) -> Value {
    json!({
        "name": p.name,
        "path": p.path,
        "sideEffects": p.side_effects,
        "implemented": implemented,
    })
}

/// The starting state: the fixtures plus the generated fake records.
pub fn state_from(
    fixtures: &Fixtures,
    seed: Option<u64>,
    generate: crate::store::generate::Counts,
) -> State {
    let mut state = State::new(fixtures, seed);
    crate::store::generate(&mut state, generate);
    state
}
