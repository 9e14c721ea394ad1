//! The one pipeline every call runs through: route, check the method, protocol headers or
//! GET query, compression and deadline, then (once `http` has the message) decode, apply query
//! overrides, validate, handle, encode. Each step returns
//! `Result<_, RpcError>`; `http` turns the outcome into a response.

use crate::app::{App, Endpoint};
use crate::codec::{self, answer::Response, compression::Compression, headers, Encoding};
use crate::error::{Code, RpcError};
use crate::scenario::{spec::ConnectionFault, CallInfo, Decision};
use crate::session::{Session, Sessions};
use bytes::Bytes;
use http::{HeaderMap, Method};
use parking_lot::Mutex;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The parts of an HTTP request the pipeline reads.
pub struct Call<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
}

/// Where a call's request message comes from.
pub enum Source {
    /// The POST body, still to be read.
    Body,
    /// A Connect GET's `message` parameter, already percent- and base64-decoded.
    Query(Bytes),
}

/// What the request line and headers say about a call, learned before any body is read.
pub struct Accepted<'a> {
    pub endpoint: &'a Endpoint,
    pub encoding: Encoding,
    /// How the request message is compressed.
    pub compression: Compression,
    /// How to compress a successful response, from `Accept-Encoding`.
    pub response_compression: Compression,
    /// The client's `Connect-Timeout-Ms`: the whole call, body included, must finish within it.
    pub timeout: Option<Duration>,
    pub source: Source,
}

/// A successful answer: the encoded body and its content type.
pub struct Reply {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// What a call produced, and how long to hold it back before answering. A scripted delay is
/// decided while the session is locked and slept after the lock is released, inside the call's
/// deadline, so a delay longer than `Connect-Timeout-Ms` answers `deadline_exceeded`.
pub struct Outcome {
    pub answer: Answer,
    pub delay: Duration,
    /// Send the body `n` bytes at a time, this far apart.
    pub dribble: Option<(usize, Duration)>,
    /// Extra response headers from the scenario rule that fired.
    pub headers: Vec<(String, String)>,
    /// The scenario and rule (0-based) that fired, if any.
    pub fired: Option<(String, usize)>,
    /// The canonical request, for the journal; null if it could not be decoded.
    pub request: Value,
}

/// What the client gets: a message, a Connect error, or a scripted answer that is neither.
pub enum Answer {
    Reply(Reply),
    Error(RpcError),
    Raw {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    Connection(ConnectionFault),
}

impl From<Result<Reply, RpcError>> for Answer {
    fn from(result: Result<Reply, RpcError>) -> Answer {
        result.map_or_else(Answer::Error, Answer::Reply)
    }
}

impl Outcome {
    pub fn error(e: RpcError) -> Outcome {
        Outcome {
            answer: Answer::Error(e),
            delay: Duration::ZERO,
            dribble: None,
            headers: Vec::new(),
            fired: None,
            request: Value::Null,
        }
    }
}

/// The session a call belongs to, from its `x-mock-session` header.
pub fn session_of(
    sessions: &Sessions,
    headers: &HeaderMap,
) -> Result<Arc<Mutex<Session>>, RpcError> {
    let id = Sessions::id_from_headers(headers)?;
    Ok(sessions.get(&id))
}

/// The scenario names a call asks for in `x-mock-scenario` headers (comma-separated).
fn requested_scenarios(headers: &HeaderMap) -> Vec<String> {
    let values = headers.get_all("x-mock-scenario").iter();
    let names = values.flat_map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(',')
            .map(|s| s.trim().to_string())
            .collect::<Vec<_>>()
    });
    names.filter(|s| !s.is_empty()).collect()
}

/// Strips the `/api` prefix the SDKs' default base URL carries.
pub fn route_path(path: &str) -> &str {
    path.strip_prefix("/api")
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or(path)
}

/// Routes a call and checks its method and headers (or, for GET, its query), before any body
/// is read.
pub fn accept<'a>(app: &'a App, call: &Call<'_>) -> Result<Accepted<'a>, RpcError> {
    let path = route_path(call.path);
    let endpoint = app.endpoint(path).ok_or_else(|| {
        RpcError::new(
            Code::Unimplemented,
            format!("{path} is not a procedure of {}", crate::contract::SERVICE),
        )
        .with_status(404)
    })?;
    let side_effects = endpoint.procedure.side_effects;
    let (encoding, compression, source) = match *call.method {
        Method::POST => {
            headers::protocol_version(call.headers)?;
            let (encoding, compression) = headers::post_codec(call.headers)?;
            (encoding, compression, Source::Body)
        }
        Method::GET if !side_effects => {
            let get = codec::get::parse(call.query)?;
            (
                get.encoding,
                get.compression,
                Source::Query(get.message.into()),
            )
        }
        ref other => {
            let (allow, why) = if side_effects {
                ("POST", "use POST")
            } else {
                (
                    "GET, POST",
                    "use POST, or GET with the Connect query parameters",
                )
            };
            return Err(RpcError::new(
                Code::Unknown,
                format!("HTTP method {other} is not allowed on {path}: {why}"),
            )
            .with_status(405)
            .with_header("allow", allow));
        }
    };
    let timeout = headers::timeout(call.headers)?;
    if let Some(auth) = &app.auth {
        auth.check(call.headers, &endpoint.procedure.name, side_effects)?;
    }
    if endpoint.handler.is_none() {
        return Err(RpcError::new(
            Code::Unimplemented,
            format!("gitpod-mock does not cover {} yet: the method exists in the real service but is not in the documented API", endpoint.procedure.name),
        ));
    }
    let accept_encoding = call
        .headers
        .get(http::header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok());
    Ok(Accepted {
        endpoint,
        encoding,
        compression,
        response_compression: Compression::negotiate(accept_encoding),
        timeout,
        source,
    })
}

/// What a scenario may look at besides the message: the request headers and deadline.
pub struct Context<'a> {
    pub headers: &'a HeaderMap,
    pub timeout: Option<Duration>,
}

/// Runs a call whose message has been read and decompressed: decode, override, validate,
/// then, under the session's lock, let scenarios intercept and run the handler; the answer is
/// encoded after the lock is released. `query` is the POST query string (SDK 0.x pagination);
/// None for GET.
pub fn execute(
    app: &App,
    endpoint: &Endpoint,
    encoding: Encoding,
    query: Option<&str>,
    message: &[u8],
    cx: &Context<'_>,
    session: &Mutex<Session>,
) -> Outcome {
    let procedure = &endpoint.procedure;
    let request = match decode(app, endpoint, encoding, query, message) {
        Ok(request) => request,
        Err(e) => return Outcome::error(e),
    };
    // Validation reads only the request, so it runs before the lock; a scenario that
    // intercepts the call makes its verdict moot.
    let verdict = app.contract.validate_request(&procedure.input, &request);
    let mut session = session.lock();
    session.last_used = Instant::now();
    let decision = match app.scenarios_for(&requested_scenarios(cx.headers), &session.active) {
        Err(e) => {
            return Outcome {
                request,
                ..Outcome::error(RpcError::invalid_argument(format!("x-mock-scenario: {e}")))
            }
        }
        Ok(scenarios) if scenarios.is_empty() => Decision::pass(),
        Ok(scenarios) => {
            let scenarios: Vec<&crate::scenario::Scenario> =
                scenarios.iter().map(|s| s.as_ref()).collect();
            let call = CallInfo {
                method: &procedure.name,
                body: &request,
                headers: cx.headers,
                timeout: cx.timeout,
            };
            session.scenarios.decide(&scenarios, &call, Instant::now())
        }
    };
    let decided = match decision.outcome {
        crate::scenario::Outcome::Continue => match verdict {
            Err(violations) => Decided::Answer(Answer::Error(
                crate::contract::violations::invalid_argument(&app.contract, &violations),
            )),
            Ok(()) => match run(endpoint, &mut session, &request) {
                Ok(value) => Decided::Handled(value),
                Err(e) => Decided::Answer(Answer::Error(e)),
            },
        },
        crate::scenario::Outcome::Respond(value) => Decided::Scripted(value),
        crate::scenario::Outcome::Error(e) => Decided::Answer(Answer::Error(e)),
        crate::scenario::Outcome::Raw {
            status,
            content_type,
            body,
        } => Decided::Answer(Answer::Raw {
            status,
            content_type,
            body,
        }),
        crate::scenario::Outcome::Connection(fault) => Decided::Answer(Answer::Connection(fault)),
    };
    drop(session);
    let answer = match decided {
        Decided::Handled(value) => reply(&app.contract, procedure, encoding, value).into(),
        Decided::Scripted(value) => respond(&app.contract, procedure, encoding, value).into(),
        Decided::Answer(answer) => answer,
    };
    Outcome {
        answer,
        delay: decision.delay,
        dribble: decision.dribble,
        headers: decision.headers,
        fired: decision.fired,
        request,
    }
}

/// What the locked part of a call decided; messages are encoded after the lock is released.
enum Decided {
    /// The handler's answer.
    Handled(Response),
    /// A scenario's custom success body.
    Scripted(Value),
    Answer(Answer),
}

fn decode(
    app: &App,
    endpoint: &Endpoint,
    encoding: Encoding,
    query: Option<&str>,
    body: &[u8],
) -> Result<Value, RpcError> {
    let message = codec::decode(
        &endpoint.procedure.input,
        encoding,
        body,
        app.settings.strict,
    )?;
    let mut request = codec::canonical(&message);
    codec::get::apply_query_pagination(&mut request, &endpoint.procedure, query)?;
    Ok(request)
}

/// A scenario's custom success body, encoded through the method's response type.
fn respond(
    contract: &crate::contract::Contract,
    procedure: &crate::contract::Procedure,
    encoding: Encoding,
    value: Value,
) -> Result<Reply, RpcError> {
    let body = codec::encode(contract, &procedure.output, encoding, &value).map_err(|e| {
        RpcError::internal(format!(
            "the scenario's respond body is not a valid {}: {}",
            procedure.output.full_name(),
            e.message
        ))
    })?;
    Ok(Reply {
        content_type: encoding.content_type(),
        body,
    })
}

/// Runs the handler on the session's state (the request is already valid).
fn run(endpoint: &Endpoint, session: &mut Session, request: &Value) -> Result<Response, RpcError> {
    let procedure = &endpoint.procedure;
    if procedure.name.starts_with("Create") {
        session.check_budget()?;
    }
    let handler = endpoint
        .handler
        .expect("accept() refuses endpoints without a handler");
    let state = &mut session.state;
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(state, request)))
        .unwrap_or_else(|_| {
            Err(RpcError::internal(format!(
                "the mock's {} handler failed; this is a gitpod-mock bug",
                procedure.name
            )))
        })
}

/// The handler's answer, encoded as the method's response message.
fn reply(
    contract: &crate::contract::Contract,
    procedure: &crate::contract::Procedure,
    encoding: Encoding,
    value: Response,
) -> Result<Reply, RpcError> {
    Ok(Reply {
        content_type: encoding.content_type(),
        body: value.encode(contract, &procedure.output, encoding)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_prefix_is_stripped_only_as_a_whole_segment() {
        assert_eq!(route_path("/api/gitpod.v1.X/Y"), "/gitpod.v1.X/Y");
        assert_eq!(route_path("/apix/Y"), "/apix/Y");
        assert_eq!(route_path("/gitpod.v1.X/Y"), "/gitpod.v1.X/Y");
    }
}
