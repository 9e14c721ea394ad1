//! Accepting a call, before any body is read: route it (once), check the HTTP method, the
//! protocol's headers (Connect's, gRPC's or gRPC-Web's) or the GET query, the deadline and
//! auth, and refuse methods the mock does not cover.

use super::protocol::{Negotiated, Protocol};
use crate::app::App;
use crate::codec::{self, compression::Compression, headers, Encoding};
use crate::error::{Code, RpcError};
use crate::service::{Entry, Route};
use bytes::Bytes;
use http::request::Parts;
use http::Method;
use std::time::Duration;

/// Where a call's request message comes from.
pub(super) enum Source {
    /// The POST body, still to be read.
    Body,
    /// A Connect GET's `message` parameter, already percent- and base64-decoded.
    Query(Bytes),
}

/// What the request line and headers say about a call, learned before any body is read.
pub(super) struct Accepted<'a> {
    pub entry: &'a Entry,
    pub protocol: Protocol,
    pub encoding: Encoding,
    /// How the request message is compressed.
    pub compression: Compression,
    /// How to compress a successful response, from `Accept-Encoding`.
    pub response_compression: Compression,
    /// The client's `Connect-Timeout-Ms` or `grpc-timeout`: the whole call, body included, must
    /// finish within it.
    pub timeout: Option<Duration>,
    pub source: Source,
}

impl Accepted<'_> {
    /// How the call was made, as the journal and the log show it.
    pub(super) fn protocol(&self) -> &'static str {
        match (&self.source, self.encoding) {
            (Source::Body, encoding) => self.protocol.name(encoding),
            (Source::Query(_), Encoding::Json) => "connect-get+json",
            (Source::Query(_), Encoding::Proto) => "connect-get+proto",
        }
    }
}

/// Routes a call to `path` and checks its method and headers (or, for GET, its query).
pub(super) fn accept<'a>(
    app: &'a App,
    parts: &Parts,
    path: &str,
    protocol: Protocol,
) -> Result<Accepted<'a>, RpcError> {
    let route = app.table.route(path).ok_or_else(|| {
        RpcError::new(
            Code::Unimplemented,
            format!("{path} is not a procedure of {}", served_services(app)),
        )
        .with_status(404)
    })?;
    let procedure = route.procedure();
    let side_effects = procedure.side_effects;
    let (negotiated, source) = read_headers(parts, path, protocol, side_effects)?;
    if let Some(auth) = &app.auth {
        auth.check(&parts.headers, &procedure.name, side_effects)?;
    }
    let entry = match route {
        Route::Served(entry) => entry,
        Route::Uncovered(_, why) => return Err(RpcError::new(Code::Unimplemented, why)),
    };
    Ok(Accepted {
        entry,
        protocol,
        encoding: negotiated.encoding,
        compression: negotiated.compression,
        response_compression: negotiated.response_compression,
        timeout: negotiated.timeout,
        source,
    })
}

/// The services a path may name, for the error of one that names none: `a`, `a or b`, or `a,
/// b or c`, with a count past a handful.
fn served_services(app: &App) -> String {
    let services = app.contract.services();
    match services.as_slice() {
        [one] => one.to_string(),
        [rest @ .., last] if services.len() <= 4 => format!("{} or {last}", rest.join(", ")),
        _ => format!("any of the contract's {} services", services.len()),
    }
}

/// What the HTTP method and the protocol's headers (or a Connect GET's query) say about the
/// message: its codec, compression and deadline, and where it comes from.
fn read_headers(
    parts: &Parts,
    path: &str,
    protocol: Protocol,
    side_effects: bool,
) -> Result<(Negotiated, Source), RpcError> {
    let response_compression = || {
        let accept_encoding = parts.headers.get(http::header::ACCEPT_ENCODING);
        Compression::negotiate(accept_encoding.and_then(|v| v.to_str().ok()))
    };
    match (protocol, &parts.method) {
        (Protocol::Grpc(grpc), &Method::POST) => {
            Ok((grpc.negotiate(&parts.headers)?, Source::Body))
        }
        // gRPC has no GET; connect-go finds no protocol for the content type, hence 415.
        (Protocol::Grpc(_), &Method::GET) if !side_effects => {
            let content_type = parts.headers.get(http::header::CONTENT_TYPE);
            let shown = content_type.map(|v| String::from_utf8_lossy(v.as_bytes()));
            Err(headers::unsupported_media_type(&shown.unwrap_or_default()))
        }
        (Protocol::Connect, &Method::POST) => {
            headers::protocol_version(&parts.headers)?;
            let (encoding, compression) = headers::post_codec(&parts.headers)?;
            let negotiated = Negotiated {
                encoding,
                compression,
                response_compression: response_compression(),
                timeout: headers::timeout(&parts.headers)?,
            };
            Ok((negotiated, Source::Body))
        }
        (Protocol::Connect, &Method::GET) if !side_effects => {
            let get = codec::get::parse(parts.uri.query())?;
            let negotiated = Negotiated {
                encoding: get.encoding,
                compression: get.compression,
                response_compression: response_compression(),
                timeout: headers::timeout(&parts.headers)?,
            };
            Ok((negotiated, Source::Query(get.message.into())))
        }
        (_, other) => {
            let (allow, why) = if side_effects {
                ("POST", "use POST")
            } else {
                (
                    "GET, POST",
                    "use POST, or GET with the Connect query parameters",
                )
            };
            Err(RpcError::new(
                Code::Unknown,
                format!("HTTP method {other} is not allowed on {path}: {why}"),
            )
            .with_status(405)
            .with_header("allow", allow))
        }
    }
}
