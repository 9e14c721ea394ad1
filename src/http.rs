//! hyper glue: answers CORS preflights, routes `/`, the control prefix and RPCs (the RPC path
//! itself is `rpc`), and decorates every answer for CORS.

use crate::admin::PREFIX as CONTROL_PREFIX;
use crate::app::App;
use crate::body::full;
pub use crate::body::{Body, RequestBody};
use crate::codec::answer::ConnectionFault;
use crate::error::{Code, RpcError};
use crate::rpc::{self, error_response, json_response};
use bytes::Bytes;
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
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
            // On HTTP/1.1 a reset ends the connection with a TCP RST; on HTTP/2 hyper resets
            // just the call's stream (RST_STREAM), leaving the connection's other calls be.
            let tcp_reset =
                fault == ConnectionFault::Reset && parts.version < http::Version::HTTP_2;
            reset.store(tcp_reset, Ordering::Relaxed);
            return Err(Dropped);
        }
    };
    crate::cors::decorate(&app.settings.cors, &parts.headers, response.headers_mut());
    Ok(response)
}

async fn route<B: RequestBody>(
    app: &Arc<App>,
    parts: &Parts,
    body: B,
) -> Result<Response<Body>, ConnectionFault> {
    let path = parts.uri.path();
    let routed = rpc::strip_api_prefix(path);
    if routed == "/" {
        return Ok(root(app, &parts.method));
    }
    if let Some(rest) = path.strip_prefix(CONTROL_PREFIX) {
        return Ok(control(app, parts, rest, body).await);
    }
    if crate::grpc_services::handles(routed) {
        return Ok(crate::grpc_services::serve(app, parts, routed, body).await);
    }
    if crate::upstream::shadow::applies(app, parts, routed) {
        return crate::upstream::shadow::call(app, parts, routed, body).await;
    }
    rpc::call(app, parts, routed, body).await
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
    if crate::admin::ui::handles(rest) {
        return crate::admin::ui::serve(&parts.method, rest).unwrap_or_else(|e| error_response(&e));
    }
    if rest.trim_end_matches('/') == "live" {
        return crate::admin::live::serve(app, parts).unwrap_or_else(|e| error_response(&e));
    }
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
    let body = match crate::body::read(body, app.settings.max_body_bytes, &parts.headers).await {
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
    // Record edits run calls through the RPC path, so they are the one async part.
    let answer = match crate::admin::records::handles(rest) {
        true => crate::admin::records::serve(app, &call).await,
        false => crate::admin::handle(app, &call),
    };
    match answer {
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
