//! The fuzz harness: structure-aware and mutated inputs of every kind a client or a user can
//! give, driven through the whole pipeline in process. Oracle: no panic, no 5xx but 501 and
//! 504 (or what a scenario scripts), no hang (a virtual-time limit per call, a wall-clock
//! watchdog per case), and no unbounded growth of sessions, records or journals.
//!
//! `cargo test` runs a short seeded run. The long run (see the README's "Fuzzing"):
//! `GITPOD_MOCK_FUZZ_CASES=1000000 cargo test --release --test it fuzz::harness -- --nocapture`.

use super::cases::{cases, Call, Case, Kind};
use super::files::{scratch_dir, FixtureEdit};
use super::oracle::judge;
use super::requests::request;
use super::{case_count, runner};
use crate::support::InProcess;
use bytes::Bytes;
use gitpod_mock::app::App;
use gitpod_mock::contract::Procedure;
use gitpod_mock::scenario::Scenario;
use gitpod_mock::session::Limits;
use gitpod_mock::store::{fixtures, State};
use http::Request;
use http_body_util::Full;
use proptest::test_runner::TestCaseError;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Cases in `cargo test`: a few seconds in a debug build.
const CASES: u32 = 400;

/// Small limits, so a run reaches them: more sessions than fit, more creates than allowed.
const LIMITS: Limits = Limits {
    max_sessions: 24,
    idle_ttl: Duration::from_secs(15 * 60),
    max_new_records: 150,
    journal_size: 64,
    journal_max_bytes: 256 * 1024,
};

struct Harness {
    server: InProcess,
    procedures: Vec<Procedure>,
    /// Cases run and the time spent running them (not generating them), by input kind.
    counts: RefCell<BTreeMap<Kind, (u64, Duration)>>,
    statuses: RefCell<BTreeMap<String, u64>>,
    /// The most records a session template held, for the growth bound.
    template_records: RefCell<usize>,
}

impl Harness {
    fn new(seed: u64) -> Harness {
        let app = App::with_defaults(Some(seed)).with_sessions(seed, LIMITS);
        let procedures = app.contract.procedures().to_vec();
        let template = app.sessions.template();
        let records = template.records();
        Harness {
            server: InProcess::new(app),
            procedures,
            counts: RefCell::default(),
            statuses: RefCell::default(),
            template_records: RefCell::new(records),
        }
    }

    fn run(&self, case: Case) -> Result<(), String> {
        let started = Instant::now();
        let (kind, result) = match case {
            Case::Rpc(kind, rpc) => (kind, self.send(rpc.request(&self.procedures))),
            Case::Scenario(text, call) => (Kind::ScenarioFile, self.scenario(&text, call)),
            Case::Fixtures(edit, call) => (Kind::FixtureFiles, self.fixtures(&edit, call)),
        };
        let mut counts = self.counts.borrow_mut();
        let (cases, time) = counts.entry(kind).or_default();
        *cases += 1;
        *time += started.elapsed();
        result
    }

    fn send(&self, request: Request<Full<Bytes>>) -> Result<(), String> {
        let exchange = self.server.send(request)?;
        let status = match &exchange.reply {
            Some(reply) => reply.status.to_string(),
            None => "dropped".into(),
        };
        *self.statuses.borrow_mut().entry(status).or_default() += 1;
        judge(&exchange)
    }

    /// Parses a scenario file; one that loads is switched on for a call. Delays and
    /// dribbles are the file's to choose, so the call carries a deadline that bounds them.
    fn scenario(&self, text: &str, call: Call) -> Result<(), String> {
        let contract = &self.server.app.contract;
        let mut scenario = match Scenario::parse(contract, "fuzz.yaml", text) {
            Ok(scenario) => scenario,
            Err(e) if e.starts_with("fuzz.yaml: ") => return Ok(()),
            Err(e) => return Err(format!("a scenario error that names no file: {e}")),
        };
        let slow_body = scenario
            .rules
            .iter()
            .any(|r| r.dribble.as_ref().is_some_and(|d| d.interval_ms > 100));
        if slow_body {
            return Ok(());
        }
        scenario.name = "fuzz".into();
        self.server.app.scenarios.write().insert(scenario);
        let mut request = request(&self.procedures[call.procedure], &call.message, call.wire);
        let headers = request.headers_mut();
        headers.insert("x-mock-scenario", "fuzz".parse().unwrap());
        headers.insert("x-mock-session", "fuzz-scenario".parse().unwrap());
        headers.insert("connect-timeout-ms", "5000".parse().unwrap());
        self.send(request)
    }

    /// Loads an edited fixture set; one that loads becomes the template of new sessions, and
    /// a fresh session takes a call on it.
    fn fixtures(&self, edit: &FixtureEdit, call: Call) -> Result<(), String> {
        let dir = scratch_dir();
        edit.write(&dir);
        let contract = &self.server.app.contract;
        let loaded = match fixtures::load(contract, fixtures::Source::Dir(&dir)) {
            Ok(loaded) => loaded,
            Err(e) if !e.to_string().is_empty() => return Ok(()),
            Err(_) => return Err(format!("{}: refused with no reason", edit.file())),
        };
        let state = State::new(&loaded, Some(1));
        let records = state.records();
        let mut most = self.template_records.borrow_mut();
        *most = (*most).max(records);
        self.server.app.sessions.set_template(state);
        self.server.app.sessions.drop_session("fuzz-fixtures");
        let mut request = request(&self.procedures[call.procedure], &call.message, call.wire);
        request
            .headers_mut()
            .insert("x-mock-session", "fuzz-fixtures".parse().unwrap());
        self.send(request)
    }

    /// Sessions, their records and their journals stay within the limits.
    fn bounded(&self) -> Result<(), String> {
        let sessions = self.server.app.sessions.existing();
        if sessions.len() > LIMITS.max_sessions {
            return Err(format!(
                "{} sessions, more than the limit of {}",
                sessions.len(),
                LIMITS.max_sessions
            ));
        }
        let most = *self.template_records.borrow() + LIMITS.max_new_records;
        for session in sessions {
            let session = session.lock();
            let state = &session.state;
            let records = state.records();
            let journal = &session.journal;
            let over =
                journal.len() > LIMITS.journal_size || journal.bytes() > LIMITS.journal_max_bytes;
            if records > most || over {
                return Err(format!(
                    "session {} holds {records} records and {} journal entries of {} bytes",
                    session.id,
                    journal.len(),
                    journal.bytes()
                ));
            }
        }
        Ok(())
    }
}

/// The resident set size of this process, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// Aborts the process if one case runs longer than this on the wall clock: a hang that the
/// virtual clock cannot see, such as a loop that never yields.
const WATCHDOG: Duration = Duration::from_secs(120);

#[test]
fn the_pipeline_survives_every_input_kind() {
    let count = case_count("GITPOD_MOCK_FUZZ_CASES", CASES);
    let seed = u64::from(case_count("GITPOD_MOCK_FUZZ_SEED", 1));
    let harness = Harness::new(seed);
    let started = Instant::now();
    let rss_before = rss_mib();
    let current = std::sync::Arc::new(parking_lot::Mutex::new((Instant::now(), 0u64)));
    let watched = current.clone();
    std::thread::spawn(move || loop {
        std::thread::sleep(Duration::from_secs(1));
        let (since, case) = *watched.lock();
        if since.elapsed() > WATCHDOG {
            eprintln!(
                "fuzz: case {case} has run for over {} s; aborting",
                WATCHDOG.as_secs()
            );
            std::process::abort();
        }
    });
    let mut runner = runner(count, seed);
    let done = std::cell::Cell::new(0u64);
    let result = runner.run(&cases(&harness.procedures), |case| {
        *current.lock() = (Instant::now(), done.get());
        done.set(done.get() + 1);
        let outcome = harness.run(case).and_then(|()| match done.get() % 1000 {
            0 => harness.bounded(),
            _ => Ok(()),
        });
        outcome.map_err(TestCaseError::fail)
    });
    let _ = std::fs::remove_dir_all(scratch_dir());
    eprintln!(
        "fuzz: {} cases in {:.1} s, seed {seed}; by input kind {:?}; answers by status {:?}; RSS {rss_before:.0} MiB before, {:.0} MiB after",
        done.get(),
        started.elapsed().as_secs_f64(),
        harness.counts.borrow(),
        harness.statuses.borrow(),
        rss_mib()
    );
    if let Err(e) = result {
        panic!("fuzz (seed {seed}): {e}");
    }
    harness.bounded().unwrap();
}
