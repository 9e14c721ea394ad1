//! Running a call whose message has been read: decode it, apply query overrides and validate
//! it, then, under the session's lock, let scenarios intercept and run the handler. The answer
//! is encoded after the lock is released.

use super::accept::{Accepted, Source};
use crate::app::App;
use crate::codec::answer::{Answer, Reply, Response};
use crate::codec::{self, Encoding};
use crate::contract::Procedure;
use crate::error::RpcError;
use crate::profile;
use crate::scenario::{CallInfo, Decision, Scenario};
use crate::service::{Entry, Handling, ProfileCall};
use crate::session::Session;
use http::request::Parts;
use http::HeaderMap;
use parking_lot::Mutex;
use serde_json::Value;
use std::time::{Duration, Instant};

/// What a call produced, and how long to hold it back before answering. A scripted delay is
/// decided while the session is locked and slept after the lock is released, inside the call's
/// deadline, so a delay longer than `Connect-Timeout-Ms` answers `deadline_exceeded`.
pub(super) struct Outcome {
    pub answer: Answer<Reply>,
    pub delay: Duration,
    /// Send the body `n` bytes at a time, this far apart.
    pub dribble: Option<(usize, Duration)>,
    /// Extra response headers from the scenario rule that fired.
    pub headers: Vec<(String, String)>,
    /// The scenario and rule (0-based) that fired, if any.
    pub fired: Option<(String, usize)>,
    /// Each active rule's verdict, for the journal.
    pub why: crate::scenario::Explanation,
    /// The canonical request, for the journal; null if it could not be decoded.
    pub request: Value,
    /// What a lenient call broke, for the journal (see [`super::lenient`]).
    pub violations: Vec<Value>,
}

impl Outcome {
    pub(super) fn error(e: RpcError) -> Outcome {
        Outcome {
            answer: Answer::Error(e),
            delay: Duration::ZERO,
            dribble: None,
            headers: Vec::new(),
            fired: None,
            why: Default::default(),
            request: Value::Null,
            violations: Vec::new(),
        }
    }
}

/// Runs an accepted call on its decompressed `message`. The POST query string may override
/// the request's pagination (SDK 0.x sends it there).
pub(super) fn execute(
    app: &App,
    accepted: &Accepted<'_>,
    parts: &Parts,
    message: &[u8],
    session: &Mutex<Session>,
) -> Outcome {
    let entry = accepted.entry;
    let procedure = &entry.procedure;
    let query = match accepted.source {
        Source::Body => parts.uri.query(),
        Source::Query(_) => None,
    };
    let mut violations = Vec::new();
    let message = match accepted.encoding {
        Encoding::Json if app.settings.lenient => {
            super::lenient::one_member_each(&procedure.input, message, &mut violations)
        }
        _ => std::borrow::Cow::Borrowed(message),
    };
    let request = match decode(app, entry, accepted.encoding, query, &message) {
        Ok(request) => request,
        Err(e) => return Outcome::error(e),
    };
    // Validation reads only the request, so it runs before the lock; a scenario that
    // intercepts the call makes its verdict moot.
    let verdict = app.contract.validate_request(&procedure.input, &request);
    let requested = requested_scenarios(&parts.headers);
    let mut session = session.lock();
    session.last_used = Instant::now();
    let decision = match app.scenarios_for(&requested, &session.active) {
        Err(e) => {
            let e = RpcError::invalid_argument(format!("x-mock-scenario: {e}"));
            return Outcome {
                request: journalled(app, procedure, request),
                ..Outcome::error(e)
            };
        }
        Ok(scenarios) if scenarios.is_empty() => Decision::pass(),
        Ok(scenarios) => {
            let scenarios: Vec<&Scenario> = scenarios.iter().map(|s| s.as_ref()).collect();
            let call = CallInfo {
                method: &procedure.name,
                body: &request,
                headers: &parts.headers,
                timeout: accepted.timeout,
            };
            session.scenarios.decide(&scenarios, &call, Instant::now())
        }
    };
    let Decision {
        fired,
        why,
        delay,
        answer,
        dribble,
        mut headers,
    } = decision;
    let answer = match (answer, verdict) {
        (Some(scripted), _) => scripted,
        (None, Err(broken)) if app.settings.lenient => {
            violations.extend(super::lenient::notes_of(&broken));
            lenient_handle(app, entry, &mut session, &request, &mut violations).into()
        }
        (None, Err(violations)) => Answer::Error(crate::contract::violations::invalid_argument(
            &app.contract,
            &violations,
        )),
        (None, Ok(())) if app.settings.lenient => {
            lenient_handle(app, entry, &mut session, &request, &mut violations).into()
        }
        (None, Ok(())) => handle(app, entry, &mut session, &request).into(),
    };
    drop(session);
    headers.extend(super::lenient::header(&violations));
    Outcome {
        answer: answer.encode(&app.contract, &procedure.output, accepted.encoding),
        delay,
        dribble,
        headers,
        fired,
        why,
        request: journalled(app, procedure, request),
        violations,
    }
}

/// [`handle`] in lenient mode: a refusal the handler's rules make is noted in `notes` and
/// answered past (see [`super::lenient::recover`]).
fn lenient_handle(
    app: &App,
    entry: &Entry,
    session: &mut Session,
    request: &Value,
    notes: &mut Vec<Value>,
) -> Result<Response, RpcError> {
    handle(app, entry, session, request).or_else(|refused| {
        let again = |session: &mut Session, request: &Value| handle(app, entry, session, request);
        super::lenient::recover(app, entry, session, request, refused, notes, again)
    })
}

/// The request as the journal keeps it: its secrets redacted.
fn journalled(app: &App, procedure: &Procedure, mut request: Value) -> Value {
    app.secrets
        .redact(procedure.input.full_name(), &mut request);
    request
}

/// The scenario names a call asks for in `x-mock-scenario` headers (comma-separated).
fn requested_scenarios(headers: &HeaderMap) -> Vec<String> {
    let values = headers
        .get_all(&crate::codec::headers::names::X_MOCK_SCENARIO)
        .iter();
    let names = values.flat_map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(',')
            .map(|s| s.trim().to_string())
            .collect::<Vec<_>>()
    });
    names.filter(|s| !s.is_empty()).collect()
}

/// The request in canonical JSON, with query overrides applied.
fn decode(
    app: &App,
    entry: &Entry,
    encoding: Encoding,
    query: Option<&str>,
    body: &[u8],
) -> Result<Value, RpcError> {
    let procedure = &entry.procedure;
    let strict = app.settings.strict;
    let mut request =
        codec::decode_canonical(&app.contract, &procedure.input, encoding, body, strict)?;
    codec::get::apply_query_pagination(&mut request, procedure, query)?;
    Ok(request)
}

/// Answers the call from the session's state (the request is already valid): by a profile
/// (its engine with its rules, or a method of its rules), the generic resource store or
/// generated data. A method that adds records first checks the session's record budget.
fn handle(
    app: &App,
    entry: &Entry,
    session: &mut Session,
    request: &Value,
) -> Result<Response, RpcError> {
    if entry.creates_records() {
        session.check_budget()?;
    }
    let state = &mut session.state;
    let answered =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &entry.handling {
            Handling::Profile(method) => match &method.call {
                ProfileCall::Engine(plan) => {
                    profile::engine::call(method.rules, plan, state, request)
                }
                ProfileCall::Custom(custom) => (custom.handler)(state, request),
            },
            Handling::Resource(method) => {
                // What a client sends as a secret is not kept in the record to be answered back.
                let input = entry.procedure.input.full_name();
                if !app.secrets.holds(input) {
                    return crate::service::generic::resource(state, method, request);
                }
                let mut kept = request.clone();
                app.secrets.strip(input, &mut kept);
                crate::service::generic::resource(state, method, &kept)
            }
            Handling::Generated(_) => Ok(crate::service::generic::generated(
                &app.contract,
                state,
                app.seed,
                &entry.procedure,
                request,
            )),
        }))
        .unwrap_or_else(|_| {
            Err(RpcError::internal(format!(
                "the mock's {} handler failed; this is a gitpod-mock bug",
                entry.procedure.name
            )))
        });
    // A method with side effects that answered may have changed the data: the session keeps
    // it from now on rather than following reloaded fixture files (`serve --watch`).
    if answered.is_ok() && entry.procedure.side_effects {
        session.mark_written();
    }
    answered
}
