//! The RPC path: accept a Connect call, read, decompress and execute it within the client's
//! deadline, wait out any scripted delay, then journal it and answer. A call whose client
//! hangs up first is journalled all the same, by a guard hyper's drop of the future runs.

use super::{raw_response, read_body, reply_response, RequestBody};
use crate::app::App;
use crate::body::{dribble, Body};
use crate::codec::{compression::Compression, Encoding};
use crate::error::Code;
use crate::pipeline::{self, Accepted, Answer, Call, Context, Outcome, Source};
use crate::scenario::spec::ConnectionFault;
use crate::session::Session;
use http::request::Parts;
use http::{HeaderValue, Method, Response};
use http_body_util::BodyExt;
use parking_lot::Mutex;
use serde_json::Value;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// A Connect call: accept, then read, decompress and execute within the client's deadline,
/// then wait out any scripted delay (still within it), journal the call, and answer.
pub(super) async fn rpc<B: RequestBody>(
    app: &App,
    parts: &Parts,
    body: B,
    session: &Mutex<Session>,
) -> Result<Response<Body>, ConnectionFault> {
    let mut flight = InFlight::new(app, session, parts);
    let call = Call {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let (outcome, compression) = match pipeline::accept(app, &call) {
        Err(e) => (Outcome::error(e), Compression::Identity),
        Ok(accepted) => {
            flight.protocol = protocol(&accepted);
            flight.timeout = accepted.timeout;
            let outcome = within_deadline(app, &accepted, parts, body, session, &mut flight).await;
            (outcome, accepted.response_compression)
        }
    };
    flight.finish(&outcome.answer);
    let Outcome {
        answer,
        dribble: pace,
        headers,
        ..
    } = outcome;
    let mut response = match answer {
        Answer::Reply(reply) => reply_response(reply, compression),
        Answer::Error(e) => super::error_response(&e),
        Answer::Raw {
            status,
            content_type,
            body,
        } => raw_response(status, content_type.as_deref(), body),
        Answer::Connection(fault) => return Err(fault),
    };
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    if let Some((chunk, interval)) = pace {
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        response = Response::from_parts(parts, dribble(bytes, chunk, interval));
    }
    Ok(response)
}

/// How a call was made, as the journal and the log show it.
fn protocol(accepted: &Accepted<'_>) -> &'static str {
    match (&accepted.source, accepted.encoding) {
        (Source::Body, Encoding::Json) => "connect+json",
        (Source::Body, Encoding::Proto) => "connect+proto",
        (Source::Query(_), Encoding::Json) => "connect-get+json",
        (Source::Query(_), Encoding::Proto) => "connect-get+proto",
    }
}

/// Reads and runs the call, then sleeps its scripted delay; past the client's deadline the
/// answer becomes deadline_exceeded. What the journal needs goes to `flight` as soon as the
/// call has run, so a client that hangs up during the delay still leaves a full entry.
async fn within_deadline<B: RequestBody>(
    app: &App,
    accepted: &Accepted<'_>,
    parts: &Parts,
    body: B,
    session: &Mutex<Session>,
    flight: &mut InFlight<'_>,
) -> Outcome {
    let work = answer(app, accepted, parts, body, session);
    let Some(limit) = accepted.timeout else {
        let mut outcome = work.await;
        flight.hold(&mut outcome);
        pause(outcome.delay).await;
        return outcome;
    };
    let mut outcome = match tokio::time::timeout(limit, work).await {
        Ok(outcome) => outcome,
        Err(_) => return Outcome::error(crate::codec::headers::deadline_exceeded(limit)),
    };
    flight.hold(&mut outcome);
    let left = limit.saturating_sub(flight.started.elapsed());
    if outcome.delay >= left {
        tokio::time::sleep(left).await;
        outcome.answer = Answer::Error(crate::codec::headers::deadline_exceeded(limit));
    } else {
        pause(outcome.delay).await;
    }
    outcome
}

/// The journal entry of a call in flight. When a client hangs up before the answer, hyper
/// drops the call's future; this guard then still records the call: `deadline_exceeded` if
/// the client's `Connect-Timeout-Ms` had passed, `canceled` otherwise.
struct InFlight<'a> {
    app: &'a App,
    session: &'a Mutex<Session>,
    parts: &'a Parts,
    started: Instant,
    /// Until the call is accepted, only the HTTP method is known.
    protocol: &'static str,
    timeout: Option<Duration>,
    request: Value,
    fired: Option<(String, usize)>,
    recorded: bool,
}

impl<'a> InFlight<'a> {
    fn new(app: &'a App, session: &'a Mutex<Session>, parts: &'a Parts) -> InFlight<'a> {
        InFlight {
            app,
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
            recorded: false,
        }
    }

    /// Takes the request and the fired rule from a call that has run.
    fn hold(&mut self, outcome: &mut Outcome) {
        self.request = std::mem::take(&mut outcome.request);
        self.fired = outcome.fired.take();
    }

    /// Records the call with the answer it is about to get.
    fn finish(&mut self, answer: &Answer) {
        let (status, code) = crate::journal::ending(answer);
        self.record(status, code);
    }

    fn record(&mut self, status: u16, code: Cow<'static, str>) {
        self.recorded = true;
        let call = crate::journal::Call {
            parts: self.parts,
            protocol: self.protocol,
            status,
            code,
            fired: self.fired.take(),
            request: std::mem::take(&mut self.request),
            started: self.started,
        };
        crate::journal::record(self.session, &self.app.log, call);
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
        self.record(code.http_status(), Cow::Borrowed(code.as_str()));
    }
}

/// Waits out a scripted delay. Most calls have none, and even a zero-length tokio sleep waits
/// for the timer driver's next tick (about a millisecond), so that case returns at once.
async fn pause(delay: std::time::Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

async fn answer<B: RequestBody>(
    app: &App,
    accepted: &Accepted<'_>,
    parts: &Parts,
    body: B,
    session: &Mutex<Session>,
) -> Outcome {
    let limit = app.settings.max_body_bytes;
    let (raw, query) = match &accepted.source {
        Source::Body => match read_body(body, limit, &parts.headers).await {
            Ok(raw) => (raw, parts.uri.query()),
            Err(e) => return Outcome::error(e),
        },
        Source::Query(message) => (message.clone(), None),
    };
    let message = match accepted.compression.decompress(raw, limit) {
        Ok(message) => message,
        Err(e) => return Outcome::error(e),
    };
    let cx = Context {
        headers: &parts.headers,
        timeout: accepted.timeout,
    };
    pipeline::execute(
        app,
        accepted.endpoint,
        accepted.encoding,
        query,
        &message,
        &cx,
        session,
    )
}
