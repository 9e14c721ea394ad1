//! Answers as HTTP responses: a message (gzip-compressed when asked), an error of the call's
//! protocol, a scripted raw body, with the firing rule's headers and pace. This is the one place
//! an `RpcError` becomes an HTTP response.

use super::execute::Outcome;
use super::protocol::Protocol;
use crate::body::{dribble, full, Body};
use crate::codec::answer::{Answer, ConnectionFault, Reply};
use crate::codec::compression::Compression;
use crate::error::RpcError;
use http::{HeaderMap, HeaderName, HeaderValue, Response, StatusCode};
use http_body_util::BodyExt;

/// The response for a call's outcome, `compression` applying to a message; a scripted
/// connection fault instead fails, for hyper to drop the connection.
pub(super) async fn respond(
    outcome: Outcome,
    compression: Compression,
    protocol: Protocol,
    request: &HeaderMap,
) -> Result<Response<Body>, ConnectionFault> {
    let Outcome {
        answer,
        dribble: pace,
        headers,
        ..
    } = outcome;
    // An error's own headers (a rate limit's `retry-after`) win over the rule's.
    let own: Vec<&'static str> = match &answer {
        Answer::Error(e) => e.headers.iter().map(|(name, _)| *name).collect(),
        _ => Vec::new(),
    };
    let mut response = match (answer, protocol) {
        (Answer::Message(reply), Protocol::Connect) => reply_response(reply, compression),
        (Answer::Message(reply), Protocol::Grpc(grpc)) => grpc.reply(reply, compression, request),
        (Answer::Error(e), protocol) => error(&e, protocol, request),
        // A proxy's page goes out as it is on every protocol, as a real proxy would send it.
        (
            Answer::Raw {
                status,
                content_type,
                body,
            },
            _,
        ) => raw_response(status, content_type.as_deref(), body),
        (Answer::Connection(fault), _) => return Err(fault),
    };
    for (name, value) in headers {
        if own.iter().any(|own| own.eq_ignore_ascii_case(&name)) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    if let Some((chunk, interval)) = pace {
        let (parts, body) = response.into_parts();
        let Ok(collected) = body.collect().await;
        let trailers = collected.trailers().cloned();
        // gRPC's status trails the dribbled message.
        let body = dribble(collected.to_bytes(), chunk, interval, trailers);
        response = Response::from_parts(parts, body);
    }
    Ok(response)
}

/// An error in the call's protocol. A routing error with its own HTTP status (404, 405, 415)
/// is plain HTTP on every protocol, as connect-go answers it before any protocol takes over.
pub(super) fn error(e: &RpcError, protocol: Protocol, request: &HeaderMap) -> Response<Body> {
    match protocol {
        Protocol::Grpc(grpc) if e.http_status.is_none() => grpc.error(e, request),
        _ => error_response(e),
    }
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

/// A JSON body with `status`.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Body> {
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
