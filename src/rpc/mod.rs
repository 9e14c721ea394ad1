//! The RPC path, one straight line from request to response: find the call's session, accept
//! the call (`accept`: route it once, check its method, headers or GET query, deadline and
//! auth), read and decompress its message, run it (`execute`: decode, validate, let scenarios
//! intercept, handle under the session's lock, encode after it), wait out any scripted delay
//! within the client's deadline, journal it (`flight`) and answer (`respond`). A call whose
//! client hangs up first is journalled all the same, by the guard in `flight` that hyper's drop
//! of the future runs.

mod accept;
mod execute;
mod flight;
mod lenient;
mod protocol;
mod respond;

pub(crate) use protocol::Protocol;
pub use respond::{error_response, json_response};

use crate::app::App;
use crate::body::{Body, RequestBody};
use crate::codec::answer::{Answer, ConnectionFault};
use crate::codec::compression::Compression;
use crate::session::{Session, Sessions};
use accept::{Accepted, Source};
use execute::Outcome;
use flight::InFlight;
use http::request::Parts;
use http::Response;
use parking_lot::Mutex;

/// The path a procedure is routed by: the request's, without the `/api` prefix the SDKs'
/// default base URL carries.
pub fn strip_api_prefix(path: &str) -> &str {
    path.strip_prefix("/api")
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(path)
}

/// Serves a call to the procedure at `path` (see [`strip_api_prefix`]) in the protocol its
/// content type names: Connect, gRPC or gRPC-Web. Every problem becomes an error of that
/// protocol; only a scripted connection fault fails, so that hyper drops the connection.
pub async fn call<B: RequestBody>(
    app: &App,
    parts: &Parts,
    path: &str,
    body: B,
) -> Result<Response<Body>, ConnectionFault> {
    Ok(call_in(app, parts, path, body, Scope::Kept).await?.0)
}

/// Which copy of its session a call runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The session itself.
    Kept,
    /// A throwaway copy, so the call changes nothing (`serve --upstream --proxy`).
    Throwaway,
}

/// [`call`], on the session or a throwaway copy of it; for a throwaway call, also the
/// journal entry it made there, which the caller may keep in the session.
pub(crate) async fn call_in<B: RequestBody>(
    app: &App,
    parts: &Parts,
    path: &str,
    body: B,
    scope: Scope,
) -> Result<(Response<Body>, Option<crate::journal::Entry>), ConnectionFault> {
    let protocol = Protocol::of(&parts.headers);
    let id = match Sessions::id_from_headers(&parts.headers) {
        Ok(id) => id,
        Err(e) => return Ok((respond::error(&e, protocol, &parts.headers), None)),
    };
    let session = match scope {
        Scope::Kept => app.sessions.get(&id),
        // peek: a session the call names but that does not exist yet is not made for it.
        Scope::Throwaway => {
            std::sync::Arc::new(Mutex::new(app.sessions.peek(&id).lock().throwaway()))
        }
    };
    let logged = scope == Scope::Kept;
    let response = on_session(app, parts, path, body, (&id, &session), protocol, logged).await?;
    let entry = match scope {
        Scope::Kept => None,
        Scope::Throwaway => session.lock().journal.entries().last().cloned(),
    };
    Ok((response, entry))
}

/// Runs a call on `session`, journalling it there.
async fn on_session<B: RequestBody>(
    app: &App,
    parts: &Parts,
    path: &str,
    body: B,
    (id, session): (&str, &std::sync::Arc<Mutex<crate::session::Session>>),
    protocol: Protocol,
    logged: bool,
) -> Result<Response<Body>, ConnectionFault> {
    let mut flight = InFlight::new(app, id, session, parts);
    flight.logged = logged;
    let (outcome, compression) = match accept::accept(app, parts, path, protocol) {
        Err(e) => (Outcome::error(e), Compression::Identity),
        Ok(accepted) => {
            flight.accepted(&accepted);
            let outcome = within_deadline(app, &accepted, parts, body, session, &mut flight).await;
            (outcome, accepted.response_compression)
        }
    };
    flight.finish(&outcome.answer);
    respond::respond(outcome, compression, protocol, &parts.headers).await
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
    let work = read_and_execute(app, accepted, parts, body, session);
    let Some(limit) = accepted.timeout else {
        let mut outcome = work.await;
        flight.hold(&mut outcome);
        pause(outcome.delay).await;
        return outcome;
    };
    let mut outcome = match tokio::time::timeout(limit, work).await {
        Ok(outcome) => outcome,
        Err(_) => return Outcome::error(accepted.protocol.deadline_exceeded(limit)),
    };
    flight.hold(&mut outcome);
    let left = limit.saturating_sub(flight.started.elapsed());
    if outcome.delay >= left {
        tokio::time::sleep(left).await;
        outcome.answer = Answer::Error(accepted.protocol.deadline_exceeded(limit));
    } else {
        pause(outcome.delay).await;
    }
    outcome
}

/// Waits out a scripted delay. Most calls have none, and even a zero-length tokio sleep waits
/// for the timer driver's next tick (about a millisecond), so that case returns at once.
async fn pause(delay: std::time::Duration) {
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
}

/// Reads the request message (the POST body, or the GET query's), unframes and decompresses it,
/// and runs it.
async fn read_and_execute<B: RequestBody>(
    app: &App,
    accepted: &Accepted<'_>,
    parts: &Parts,
    body: B,
    session: &Mutex<Session>,
) -> Outcome {
    let limit = app.settings.max_body_bytes;
    let raw = match &accepted.source {
        Source::Body => match crate::body::read(body, limit, &parts.headers).await {
            Ok(raw) => raw,
            Err(e) => return Outcome::error(e),
        },
        Source::Query(message) => message.clone(),
    };
    let message = match accepted.protocol {
        Protocol::Connect => accepted.compression.decompress(raw, limit),
        Protocol::Grpc(grpc) => grpc.unframe(raw, accepted.compression, limit),
    };
    match message {
        Ok(message) => execute::execute(app, accepted, parts, &message, session),
        Err(e) => Outcome::error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_prefix_is_stripped_only_as_a_whole_segment() {
        assert_eq!(strip_api_prefix("/api/gitpod.v1.X/Y"), "/gitpod.v1.X/Y");
        assert_eq!(strip_api_prefix("/apix/Y"), "/apix/Y");
        assert_eq!(strip_api_prefix("/gitpod.v1.X/Y"), "/gitpod.v1.X/Y");
    }
}
