//! hyper glue: answers CORS preflights, routes `/`, the control prefix and RPCs (the RPC path
//! itself is in `rpc`), reads a request within the body limit, writes the outcome
//! (gzip-compressed when asked). This is the one place an `RpcError` becomes an HTTP response.

mod rpc;

use crate::app::App;
use crate::body::full;
pub use crate::body::Body;
use crate::codec::compression::Compression;
use crate::error::{Code, RpcError};
use crate::pipeline::{self, Reply};
use crate::scenario::spec::ConnectionFault;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

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
    rpc::rpc(app, parts, body, &session).await
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
