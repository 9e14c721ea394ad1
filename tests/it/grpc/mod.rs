//! gRPC and gRPC-Web tests: the same calls over every protocol, framing, headers, metadata,
//! scenario faults, HTTP/2 robustness and TLS. The helpers here send a request over HTTP/2
//! (h2c with prior knowledge) or HTTP/1.1 on a fresh connection, and read its answer whole:
//! the envelopes of the body and the status, wherever the protocol put it (trailers, the
//! headers of a trailers-only answer, or gRPC-Web's trailer frame).

mod faults;
mod framing;
mod headers;
mod metadata;
mod parity;
mod robustness;
mod streams;
mod tls;

pub use streams::{h2_call, h2_connect, h2_open, H2};

use crate::protocol::{gunzip, json_response, proto_response};
use crate::support::SERVICE;
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::net::SocketAddr;

/// The gRPC status names by number, as connect-go names the codes.
pub const CODES: [&str; 17] = [
    "ok",
    "canceled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

/// `google.rpc.Status`, what `grpc-status-details-bin` carries.
#[derive(Clone, PartialEq, prost::Message)]
pub struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// The HTTP version a call goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    Http1,
    /// HTTP/2 with prior knowledge, as gRPC clients speak to `http://`.
    H2c,
}

/// One message in its envelope: the flag byte, the length, the bytes.
pub fn envelope(flags: u8, message: &[u8]) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend_from_slice(&(message.len() as u32).to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// A POST to a method of the service with `te: trailers`, as gRPC clients send it.
pub fn grpc_request(
    method: &str,
    content_type: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Request<Full<Bytes>> {
    let mut request = Request::post(format!("{SERVICE}/{method}"))
        .header("content-type", content_type)
        .header("te", "trailers");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Full::new(body.into())).unwrap()
}

/// Sends a request to `addr` on a fresh connection; Err when no whole answer comes.
pub async fn try_send(
    addr: SocketAddr,
    version: Version,
    request: Request<Full<Bytes>>,
) -> Result<Answer, String> {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("http://{addr}{path}").parse::<Uri>().unwrap();
    let client = Client::builder(TokioExecutor::new())
        .http2_only(version == Version::H2c)
        .build_http();
    let response = client.request(Request::from_parts(parts, body)).await;
    Answer::read(response.map_err(|e| format!("{e:?}"))?).await
}

/// Sends a request and reads its answer, failing the test when none comes.
pub async fn send(addr: SocketAddr, version: Version, request: Request<Full<Bytes>>) -> Answer {
    try_send(addr, version, request).await.expect("an answer")
}

/// Calls `method` with a request given as proto3 JSON, enveloped in the codec the gRPC or
/// gRPC-Web (not text) content type names.
pub async fn call(
    addr: SocketAddr,
    (content_type, version): (&str, Version),
    method: &str,
    headers: &[(&str, &str)],
    request: Value,
) -> Answer {
    let message = match content_type.ends_with("+json") {
        true => request.to_string().into_bytes(),
        false => crate::protocol::proto_request(method, request),
    };
    let request = grpc_request(method, content_type, headers, envelope(0, &message));
    send(addr, version, request).await
}

/// gRPC in its binary codec over h2c, as grpc-go and connect-go's gRPC clients call.
pub const GRPC: (&str, Version) = ("application/grpc", Version::H2c);
/// gRPC-Web in its binary codec over HTTP/1.1, as a browser calls.
pub const GRPC_WEB: (&str, Version) = ("application/grpc-web+proto", Version::Http1);

/// An answer read whole. A gRPC-Web text body is already base64-decoded.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub trailers: Option<HeaderMap>,
}

/// A gRPC status, from wherever the answer carried it.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub code: u32,
    /// `grpc-message`, percent-decoded.
    pub message: String,
    pub details: Option<RpcStatus>,
}

impl Status {
    /// The code's name, as Connect spells it.
    pub fn name(&self) -> &'static str {
        CODES[self.code as usize]
    }
}

impl Answer {
    pub async fn read<B: hyper::body::Body>(response: Response<B>) -> Result<Answer, String>
    where
        B::Error: std::fmt::Display,
    {
        let (parts, body) = response.into_parts();
        let collected = body.collect().await.map_err(|e| e.to_string())?;
        let trailers = collected.trailers().cloned();
        let mut body = collected.to_bytes();
        let text = parts.headers.get("content-type").map(|v| v.as_bytes());
        if text.is_some_and(|t| t.starts_with(b"application/grpc-web-text")) {
            let decoded = base64::engine::general_purpose::STANDARD.decode(&body);
            body = decoded.map_err(|e| format!("not base64: {e}"))?.into();
        }
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
            trailers,
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The body's envelopes, flags and payload; fails the test on a broken one.
    pub fn frames(&self) -> Vec<(u8, Bytes)> {
        let mut rest = self.body.clone();
        let mut frames = Vec::new();
        while !rest.is_empty() {
            assert!(rest.len() >= 5, "a cut envelope prefix: {rest:?}");
            let size = u32::from_be_bytes(rest[1..5].try_into().unwrap()) as usize;
            assert!(rest.len() >= 5 + size, "a cut envelope: {rest:?}");
            frames.push((rest[0], rest.slice(5..5 + size)));
            rest = rest.slice(5 + size..);
        }
        frames
    }

    /// The messages of the body (frames without gRPC-Web's trailer flag), decompressed when
    /// flagged so.
    pub fn messages(&self) -> Vec<Bytes> {
        let frames = self
            .frames()
            .into_iter()
            .filter(|(flags, _)| flags & 0x80 == 0);
        let message = |(flags, payload): (u8, Bytes)| match flags {
            0 => payload,
            1 => gunzip(&payload).into(),
            other => panic!("message flags {other:#04x}"),
        };
        frames.map(message).collect()
    }

    /// The one message of a successful unary answer.
    pub fn message(&self) -> Bytes {
        let messages = self.messages();
        assert_eq!(messages.len(), 1, "{self:?}");
        messages.into_iter().next().unwrap()
    }

    /// The status fields, from exactly one place: the headers of a trailers-only answer, the
    /// HTTP trailers, or gRPC-Web's trailer frame.
    pub fn status_fields(&self) -> HeaderMap {
        let web: Vec<HeaderMap> = self
            .frames()
            .into_iter()
            .filter(|(flags, _)| flags & 0x80 != 0)
            .map(|(_, block)| web_trailers(&block))
            .collect();
        let in_headers = self.headers.contains_key("grpc-status");
        let places = [in_headers, self.trailers.is_some(), !web.is_empty()];
        assert_eq!(
            places.iter().filter(|p| **p).count(),
            1,
            "the status in one place: {self:?}"
        );
        if in_headers {
            assert!(self.messages().is_empty(), "trailers-only has no message");
            return self.headers.clone();
        }
        assert!(web.len() <= 1, "one trailer frame: {self:?}");
        self.trailers.clone().or(web.into_iter().next()).unwrap()
    }

    /// The gRPC status of the call, checking that the answer is HTTP 200 as gRPC's are.
    pub fn status(&self) -> Status {
        assert_eq!(self.status, 200, "{self:?}");
        let fields = self.status_fields();
        let text = |name: &str| fields.get(name).map(|v| v.to_str().unwrap().to_string());
        let code = text("grpc-status").expect("grpc-status").parse().unwrap();
        let message = percent_decode(&text("grpc-message").unwrap_or_default());
        let details = text("grpc-status-details-bin").map(|bin| {
            let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
            let bytes = engine.decode(bin.trim_end_matches('=')).unwrap();
            <RpcStatus as prost::Message>::decode(&bytes[..]).unwrap()
        });
        Status {
            code,
            message,
            details,
        }
    }

    /// The status as `code: message`, for one-line assertions.
    pub fn said(&self) -> String {
        let status = self.status();
        format!("{}: {}", status.name(), status.message)
    }
}

/// gRPC-Web's trailer block: `name: value` lines.
fn web_trailers(block: &[u8]) -> HeaderMap {
    let text = std::str::from_utf8(block).unwrap();
    let mut fields = HeaderMap::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').expect("a name: value line");
        assert_eq!(name, name.to_ascii_lowercase(), "lower-case trailer names");
        let name = http::HeaderName::from_bytes(name.as_bytes()).unwrap();
        fields.append(name, value.trim().parse().unwrap());
    }
    fields
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' && at + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[at + 1..at + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            at += 3;
        } else {
            out.push(bytes[at]);
            at += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// A response message of `method` in proto3 JSON, from either codec.
pub fn decoded(method: &str, json: bool, bytes: &[u8]) -> Value {
    match json {
        true => json_response(method, bytes),
        false => proto_response(method, bytes),
    }
}
