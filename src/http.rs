//! hyper glue: answers CORS preflights, routes `/`, the control prefix and RPCs, reads a
//! request within the body limit and its deadline, runs the pipeline, waits out scripted
//! delays, writes the outcome (gzip-compressed when asked) and journals it. This is the one
//! place an `RpcError` becomes an HTTP response.

use crate::app::App;
pub use crate::body::Body;
use crate::body::{dribble, full};
use crate::codec::compression::Compression;
use crate::error::{Code, RpcError};
use crate::pipeline::{self, Accepted, Answer, Call, Context, Outcome, Reply, Source};
use crate::scenario::spec::ConnectionFault;
use crate::session::Session;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Returned instead of a response when a scenario drops the connection; hyper then closes it
/// without answering.
#[derive(Debug)]
pub struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a gitpod-mock scenario")
    }
}

impl std::error::Error for Dropped {}

/// A request body the server can read: hyper's `Incoming` on a connection, or any in-memory
/// body (`Full<Bytes>`) when a test or the fuzz harness drives [`serve`] directly.
pub trait RequestBody:
    hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>> + Send
{
}

impl<B> RequestBody for B where
    B: hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
        + Send
{
}

/// The prefix of the mock's own endpoints (exported contract, control plane).
pub const CONTROL_PREFIX: &str = "/__mock/";

/// Serves one HTTP request. Every problem becomes a Connect error response; the only failure
/// is a scenario's dropped connection, which sets `reset` when it should end with a TCP reset.
pub async fn serve<B: RequestBody>(
    app: Arc<App>,
    reset: Arc<AtomicBool>,
    request: Request<B>,
) -> Result<Response<Body>, Dropped> {
    let (parts, body) = request.into_parts();
    if crate::cors::is_preflight(&parts.method, &parts.headers) {
        // A preflight answer carries its own CORS headers.
        return Ok(preflight(&app, &parts));
    }
    let mut response = match route(&app, &parts, body).await {
        Ok(response) => response,
        Err(fault) => {
            reset.store(fault == ConnectionFault::Reset, Ordering::Relaxed);
            return Err(Dropped);
        }
    };
    crate::cors::decorate(&app.settings.cors, &parts.headers, response.headers_mut());
    Ok(response)
}

async fn route<B: RequestBody>(
    app: &App,
    parts: &Parts,
    body: B,
) -> Result<Response<Body>, ConnectionFault> {
    let path = parts.uri.path();
    if pipeline::route_path(path) == "/" {
        return Ok(root(app, &parts.method));
    }
    if let Some(rest) = path.strip_prefix(CONTROL_PREFIX) {
        return Ok(control(app, parts, rest, body).await);
    }
    let session = match pipeline::session_of(&app.sessions, &parts.headers) {
        Ok(session) => session,
        Err(e) => return Ok(error_response(&e)),
    };
    rpc(app, parts, body, &session).await
}

fn preflight(app: &App, parts: &Parts) -> Response<Body> {
    match crate::cors::preflight(&app.settings.cors, &parts.headers) {
        Ok(headers) => {
            let mut response = Response::builder().status(StatusCode::NO_CONTENT);
            for (name, value) in headers {
                response = response.header(name, value);
            }
            response
                .body(full(Bytes::new()))
                .unwrap_or_else(|_| error_response(&RpcError::internal("bad CORS header")))
        }
        Err(e) => error_response(&e),
    }
}

/// A Connect call: accept, then read, decompress and execute within the client's deadline,
/// then wait out any scripted delay (still within it), answer, and journal the call.
async fn rpc<B: RequestBody>(
    app: &App,
    parts: &Parts,
    body: B,
    session: &Mutex<Session>,
) -> Result<Response<Body>, ConnectionFault> {
    let started = Instant::now();
    let call = Call {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let (mut outcome, compression) = match pipeline::accept(app, &call) {
        Err(e) => (Outcome::error(e), Compression::Identity),
        Ok(accepted) => (
            within_deadline(app, &accepted, parts, body, session, started).await,
            accepted.response_compression,
        ),
    };
    let request = std::mem::take(&mut outcome.request);
    crate::journal::record(session, parts, &outcome, request, started);
    let Outcome {
        answer,
        dribble: pace,
        headers,
        ..
    } = outcome;
    let mut response = match answer {
        Answer::Reply(reply) => reply_response(reply, compression),
        Answer::Error(e) => error_response(&e),
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

/// Reads and runs the call, then sleeps its scripted delay; past the client's deadline the
/// answer becomes deadline_exceeded, keeping what the journal needs to know.
async fn within_deadline<B: RequestBody>(
    app: &App,
    accepted: &Accepted<'_>,
    parts: &Parts,
    body: B,
    session: &Mutex<Session>,
    started: Instant,
) -> Outcome {
    let work = answer(app, accepted, parts, body, session);
    let Some(limit) = accepted.timeout else {
        let outcome = work.await;
        pause(outcome.delay).await;
        return outcome;
    };
    let mut outcome = match tokio::time::timeout(limit, work).await {
        Ok(outcome) => outcome,
        Err(_) => return Outcome::error(crate::codec::headers::deadline_exceeded(limit)),
    };
    let left = limit.saturating_sub(started.elapsed());
    if outcome.delay >= left {
        tokio::time::sleep(left).await;
        outcome.answer = Answer::Error(crate::codec::headers::deadline_exceeded(limit));
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

/// A scenario's non-Connect answer, such as a proxy's HTML error page.
fn raw_response(status: u16, content_type: Option<&str>, body: String) -> Response<Body> {
    let mut response =
        Response::builder().status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY));
    if let Some(content_type) = content_type {
        response = response.header(http::header::CONTENT_TYPE, content_type);
    }
    response.body(full(body)).unwrap_or_else(|_| {
        error_response(&RpcError::internal(
            "the scenario's raw content_type is not a valid header",
        ))
    })
}

fn reply_response(reply: Reply, compression: Compression) -> Response<Body> {
    let mut response = Response::new(full(compression.compress(reply.body)));
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_static(reply.content_type);
    headers.insert(http::header::CONTENT_TYPE, content_type);
    headers.insert(
        http::header::VARY,
        HeaderValue::from_static("Accept-Encoding"),
    );
    if compression != Compression::Identity {
        let encoding = HeaderValue::from_static(compression.name());
        headers.insert(http::header::CONTENT_ENCODING, encoding);
    }
    response
}

/// `GET /`: the readiness probe SDK test scripts use, describing the mock.
fn root(app: &App, method: &Method) -> Response<Body> {
    if let Err(e) = only_get(method, "/") {
        return error_response(&e);
    }
    json_response(
        StatusCode::OK,
        serde_json::to_vec(&app.describe()).expect("serializable"),
    )
}

/// The mock's own endpoints under `/__mock/`: the exported contract, then the control plane.
async fn control<B: RequestBody>(app: &App, parts: &Parts, rest: &str, body: B) -> Response<Body> {
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok());
    if crate::openapi::is_export_path(rest) {
        if let Err(e) = only_get(&parts.method, parts.uri.path()) {
            return error_response(&e);
        }
        match crate::openapi::serve(&app.contract, rest, host, app.settings.strict) {
            Some(Ok(document)) => {
                return json_response(
                    StatusCode::OK,
                    serde_json::to_vec_pretty(&document).expect("serializable"),
                )
            }
            Some(Err(e)) => return error_response(&e),
            None => {}
        }
    }
    let body = match read_body(body, app.settings.max_body_bytes, &parts.headers).await {
        Ok(body) => body,
        Err(e) => return error_response(&e),
    };
    let call = crate::admin::AdminCall {
        method: &parts.method,
        path: rest,
        query: parts.uri.query(),
        headers: &parts.headers,
        body: &body,
    };
    match crate::admin::handle(app, &call) {
        Ok((status, value)) => json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            serde_json::to_vec_pretty(&value).expect("serializable"),
        ),
        Err(e) => error_response(&e),
    }
}

fn only_get(method: &Method, path: &str) -> Result<(), RpcError> {
    if method == Method::GET || method == Method::HEAD {
        return Ok(());
    }
    Err(RpcError::new(
        Code::Unknown,
        format!("HTTP method {method} is not allowed on {path}: use GET"),
    )
    .with_status(405)
    .with_header("allow", "GET, HEAD"))
}

async fn read_body<B: RequestBody>(
    body: B,
    limit: usize,
    headers: &http::HeaderMap,
) -> Result<Bytes, RpcError> {
    let too_large = |size: Option<u64>| {
        let size = size.map(|s| format!(" of {s} bytes")).unwrap_or_default();
        RpcError::new(
            Code::ResourceExhausted,
            format!("request body{size} exceeds the limit of {limit} bytes (see --max-body-bytes)"),
        )
    };
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large(declared));
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large(None)),
        Err(e) => Err(RpcError::new(
            Code::Canceled,
            format!("reading the request body failed: {e}"),
        )),
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(full(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The Connect JSON error response for `e`. Errors are never compressed: they are small, and
/// every client can read them whatever it sent.
pub fn error_response(e: &RpcError) -> Response<Body> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, e.to_json_bytes());
    for (name, value) in &e.headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response
}
