//! hyper glue: reads a request within the body limit, runs the pipeline, and writes the
//! outcome. This is the one place an `RpcError` becomes an HTTP response.

use crate::app::App;
use crate::error::{Code, RpcError};
use crate::pipeline::{self, Call};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use std::convert::Infallible;
use std::sync::Arc;

pub type Body = Full<Bytes>;

/// Serves one HTTP request. Never fails: every problem becomes a Connect error response.
pub async fn serve(
    app: Arc<App>,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = request.into_parts();
    if pipeline::route_path(parts.uri.path()) == "/" {
        return Ok(root(&app, &parts.method));
    }
    let call = Call {
        method: &parts.method,
        path: parts.uri.path(),
        query: parts.uri.query(),
        headers: &parts.headers,
    };
    let (endpoint, encoding) = match pipeline::accept(&app, &call) {
        Ok(accepted) => accepted,
        Err(e) => return Ok(error_response(&e)),
    };
    let body = match read_body(body, app.settings.max_body_bytes, &parts.headers).await {
        Ok(body) => body,
        Err(e) => return Ok(error_response(&e)),
    };
    Ok(
        match pipeline::execute(&app, endpoint, encoding, parts.uri.query(), &body) {
            Ok(reply) => Response::builder()
                .status(StatusCode::OK)
                .header(http::header::CONTENT_TYPE, reply.content_type)
                .body(Full::new(Bytes::from(reply.body)))
                .expect("static headers are valid"),
            Err(e) => error_response(&e),
        },
    )
}

/// `GET /`: the readiness probe SDK test scripts use, describing the mock.
fn root(app: &App, method: &Method) -> Response<Body> {
    if method != Method::GET && method != Method::HEAD {
        let e = RpcError::new(
            Code::Unknown,
            format!("HTTP method {method} is not allowed on /: use GET"),
        )
        .with_status(405)
        .with_header("allow", "GET, HEAD");
        return error_response(&e);
    }
    json_response(
        StatusCode::OK,
        serde_json::to_vec(&app.describe()).expect("serializable"),
    )
}

async fn read_body(
    body: Incoming,
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
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .expect("static headers are valid")
}

/// The Connect JSON error response for `e`.
pub fn error_response(e: &RpcError) -> Response<Body> {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(
        status,
        serde_json::to_vec(&e.to_json()).expect("serializable"),
    );
    for (name, value) in &e.headers {
        if let Ok(value) = http::HeaderValue::from_str(value) {
            response.headers_mut().insert(*name, value);
        }
    }
    response
}
