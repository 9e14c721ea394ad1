//! The journal entry of a call in flight. When a client hangs up before the answer, hyper drops
//! the call's future; the guard here then still records the call: `deadline_exceeded` if the
//! client's `Connect-Timeout-Ms` had passed, `canceled` otherwise.

use super::accept::Accepted;
use super::execute::Outcome;
use crate::app::App;
use crate::codec::answer::{Answer, Reply};
use crate::error::Code;
use crate::journal::{Answered, Call, Entry};
use crate::session::Session;
use http::request::Parts;
use http::Method;
use parking_lot::Mutex;
use serde_json::Value;
use std::borrow::Cow;
use std::time::{Duration, Instant};

pub(super) struct InFlight<'a> {
    app: &'a App,
    /// The session's id, so the entry is built before the session is locked.
    session_id: &'a str,
    session: &'a Mutex<Session>,
    parts: &'a Parts,
    pub started: Instant,
    /// Until the call is accepted, only the HTTP method is known.
    protocol: &'static str,
    timeout: Option<Duration>,
    request: Value,
    fired: Option<(String, usize)>,
    why: crate::scenario::Explanation,
    violations: Vec<Value>,
    recorded: bool,
    /// Whether the call gets a request log line; a throwaway call's is logged by whoever
    /// keeps its entry.
    pub logged: bool,
}

impl<'a> InFlight<'a> {
    pub(super) fn new(
        app: &'a App,
        session_id: &'a str,
        session: &'a Mutex<Session>,
        parts: &'a Parts,
    ) -> InFlight<'a> {
        InFlight {
            app,
            session_id,
            session,
            parts,
            started: Instant::now(),
            protocol: if parts.method == Method::GET {
                "connect-get"
            } else {
                "connect"
            },
            timeout: None,
            request: Value::Null,
            fired: None,
            why: Default::default(),
            violations: Vec::new(),
            recorded: false,
            logged: true,
        }
    }

    /// Learns how the call was made and its deadline.
    pub(super) fn accepted(&mut self, accepted: &Accepted<'_>) {
        self.protocol = accepted.protocol();
        self.timeout = accepted.timeout;
    }

    /// Takes the request, the fired rule and any lenient violations from a call that has run.
    pub(super) fn hold(&mut self, outcome: &mut Outcome) {
        self.request = std::mem::take(&mut outcome.request);
        self.fired = outcome.fired.take();
        self.why = std::mem::take(&mut outcome.why);
        self.violations = std::mem::take(&mut outcome.violations);
    }

    /// Records the call with the answer it is about to get.
    pub(super) fn finish(&mut self, answer: &Answer<Reply>) {
        let (status, code) = ending(answer);
        self.record(status, code, Answered::of(answer));
    }

    /// Journals the call in its session, counts it in the session's coverage, and logs it.
    fn record(&mut self, status: u16, code: Cow<'static, str>, answer: Answered) {
        self.recorded = true;
        let call = Call {
            parts: self.parts,
            protocol: self.protocol,
            status,
            code,
            fired: self.fired.take(),
            why: std::mem::take(&mut self.why),
            request: std::mem::take(&mut self.request),
            violations: std::mem::take(&mut self.violations),
            answer,
            started: self.started,
        };
        let entry = Entry::new(self.session_id, call);
        let mut session = self.session.lock();
        match self.logged {
            true => {
                self.app.log.call(&entry);
                self.app.keep(&mut session, entry);
            }
            // A throwaway copy's call is kept, logged and announced by its caller, if at all.
            false => session.record(entry),
        }
    }

    /// Whether the client's deadline has passed. Its clock started before the request
    /// reached the mock, so a client that hangs up at its deadline does so a little before
    /// the mock's; a hang-up in the last tenth of the deadline counts as reaching it.
    fn deadline_passed(&self) -> bool {
        self.timeout
            .is_some_and(|limit| self.started.elapsed() >= limit - limit / 10)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.recorded {
            return;
        }
        let code = if self.deadline_passed() {
            Code::DeadlineExceeded
        } else {
            Code::Canceled
        };
        self.record(
            code.http_status(),
            Cow::Borrowed(code.as_str()),
            Answered::Nothing,
        );
    }
}

/// The status and code the journal shows for an answer.
fn ending(answer: &Answer<Reply>) -> (u16, Cow<'static, str>) {
    match answer {
        Answer::Message(_) => (200, Cow::Borrowed("ok")),
        Answer::Error(e) => (e.status(), Cow::Borrowed(e.code.as_str())),
        Answer::Raw { status, .. } => (*status, Cow::Borrowed("raw")),
        Answer::Connection(fault) => (0, Cow::Owned(format!("{fault:?}").to_lowercase())),
    }
}
