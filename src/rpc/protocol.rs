//! The three protocols a connect-go handler answers on every procedure's path, Connect, gRPC
//! and gRPC-Web, told apart by the request's content type. Each reads its own headers (codec,
//! compression, deadline) and frames its own answers; everything between is one call path.

use crate::body::{full, Body};
use crate::codec::answer::Reply;
use crate::codec::compression::Compression;
use crate::codec::headers::{self, names, unsupported_media_type};
use crate::codec::{grpc, Encoding};
use crate::error::{Code, RpcError};
use base64::Engine;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Response};
use http_body_util::BodyExt;
use std::time::Duration;

/// The protocol of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// Connect unary: a bare message, errors as JSON with an HTTP status.
    Connect,
    /// gRPC or gRPC-Web: an enveloped message, and a status beside it.
    Grpc(Grpc),
}

/// The gRPC family: one envelope format, three ways of sending the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grpc {
    /// gRPC: the status in HTTP trailers.
    Http2,
    /// gRPC-Web: the status in a trailer frame of the body.
    Web,
    /// gRPC-Web's text form: the same body in base64.
    WebText,
}

/// What the headers say about a call's message: its codec and compression, how to compress
/// the answer, and the client's deadline.
pub(super) struct Negotiated {
    pub encoding: Encoding,
    pub compression: Compression,
    pub response_compression: Compression,
    pub timeout: Option<Duration>,
}

impl Protocol {
    /// The protocol a request's `Content-Type` names; Connect for anything else, which then
    /// answers 415 for a type it does not know either.
    pub(crate) fn of(headers: &HeaderMap) -> Protocol {
        let content_type = headers
            .get(http::header::CONTENT_TYPE)
            .map(|v| v.as_bytes().to_ascii_lowercase())
            .unwrap_or_default();
        if content_type.starts_with(b"application/grpc-web-text") {
            Protocol::Grpc(Grpc::WebText)
        } else if content_type.starts_with(b"application/grpc-web") {
            Protocol::Grpc(Grpc::Web)
        } else if content_type.starts_with(b"application/grpc") {
            Protocol::Grpc(Grpc::Http2)
        } else {
            Protocol::Connect
        }
    }

    /// How the journal and the log name it, with the codec: `grpc+proto`, `grpc-web+json`.
    pub(super) fn name(self, encoding: Encoding) -> &'static str {
        match (self, encoding) {
            (Protocol::Connect, Encoding::Json) => "connect+json",
            (Protocol::Connect, Encoding::Proto) => "connect+proto",
            (Protocol::Grpc(Grpc::Http2), Encoding::Json) => "grpc+json",
            (Protocol::Grpc(Grpc::Http2), Encoding::Proto) => "grpc+proto",
            (Protocol::Grpc(Grpc::Web), Encoding::Json) => "grpc-web+json",
            (Protocol::Grpc(Grpc::Web), Encoding::Proto) => "grpc-web+proto",
            (Protocol::Grpc(Grpc::WebText), Encoding::Json) => "grpc-web-text+json",
            (Protocol::Grpc(Grpc::WebText), Encoding::Proto) => "grpc-web-text+proto",
        }
    }

    /// The error for a call that ran past its deadline, naming the header that set it.
    pub(super) fn deadline_exceeded(self, limit: Duration) -> RpcError {
        match self {
            Protocol::Connect => headers::deadline_exceeded(limit),
            Protocol::Grpc(_) => RpcError::new(
                Code::DeadlineExceeded,
                format!(
                    "the call did not finish within its grpc-timeout of {} ms",
                    limit.as_millis()
                ),
            ),
        }
    }
}

impl Grpc {
    /// Reads the gRPC or gRPC-Web headers of a POST (Connect's are `codec::headers`').
    pub(super) fn negotiate(self, request: &HeaderMap) -> Result<Negotiated, RpcError> {
        let header = |name: &HeaderName| {
            request
                .get(name)
                .map(|v| String::from_utf8_lossy(v.as_bytes()))
        };
        let content_type = header(&http::header::CONTENT_TYPE)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        let subtype = essence
            .strip_prefix("application/grpc-web-text")
            .or_else(|| essence.strip_prefix("application/grpc-web"))
            .or_else(|| essence.strip_prefix("application/grpc"))
            .unwrap_or(essence);
        let encoding = match (subtype, self) {
            ("" | "+proto", _) => Encoding::Proto,
            ("+json", Grpc::Http2 | Grpc::Web) => Encoding::Json,
            _ => return Err(unsupported_media_type(&content_type)),
        };
        let compression = match header(&names::GRPC_ENCODING) {
            Some(name) => Compression::from_name(&name, "grpc-encoding")
                .map_err(|e| e.with_header("grpc-accept-encoding", "gzip"))?,
            None => Compression::Identity,
        };
        let accepts_gzip = header(&names::GRPC_ACCEPT_ENCODING).is_some_and(|accepted| {
            accepted
                .split(',')
                .any(|n| n.trim().eq_ignore_ascii_case("gzip"))
        });
        Ok(Negotiated {
            encoding,
            compression,
            response_compression: if accepts_gzip {
                Compression::Gzip
            } else {
                Compression::Identity
            },
            timeout: grpc::timeout(request)?,
        })
    }

    /// The request message inside a gRPC or gRPC-Web body, decompressed.
    pub(super) fn unframe(
        self,
        body: Bytes,
        compression: Compression,
        limit: usize,
    ) -> Result<Bytes, RpcError> {
        let body = match self {
            Grpc::WebText => Bytes::from(decode_text(&body)?),
            Grpc::Http2 | Grpc::Web => body,
        };
        grpc::unframe(&body, compression, limit)
    }

    /// A successful answer, in this protocol's framing.
    pub(super) fn reply(
        self,
        reply: Reply,
        compression: Compression,
        request: &HeaderMap,
    ) -> Response<Body> {
        let framed = grpc::frame(reply.body, compression);
        let mut response = match self {
            Grpc::Http2 => {
                let body = Trailed {
                    message: Some(Bytes::from(framed)),
                    trailers: Some(grpc::status(None)),
                };
                let mut response = Response::new(body.boxed_unsync());
                // HTTP/1.1 sends trailers only after announcing them (and to a client that
                // sent `te: trailers`), as Go's server does for connect-go's gRPC handler.
                response.headers_mut().insert(
                    http::header::TRAILER,
                    HeaderValue::from_static("grpc-status, grpc-message, grpc-status-details-bin"),
                );
                response
            }
            Grpc::Web | Grpc::WebText => {
                let mut bytes = framed;
                bytes.extend(grpc::web_trailers(&grpc::status(None)));
                Response::new(full(web_body(bytes, self == Grpc::WebText)))
            }
        };
        self.decorate(response.headers_mut(), request, compression);
        response
    }

    /// An error as a trailers-only answer: HTTP 200 with the status in the headers.
    pub(super) fn error(self, e: &RpcError, request: &HeaderMap) -> Response<Body> {
        let mut response = Response::new(full(Bytes::new()));
        let headers = response.headers_mut();
        self.decorate(headers, request, Compression::Identity);
        headers.extend(grpc::status(Some(e)));
        for (name, value) in &e.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(*name, value);
            }
        }
        response
    }

    /// The headers every gRPC answer carries: the request's content type (connect-go echoes
    /// it), the encodings the server accepts, and the one it used.
    fn decorate(self, headers: &mut HeaderMap, request: &HeaderMap, compression: Compression) {
        let content_type = request
            .get(http::header::CONTENT_TYPE)
            .cloned()
            .unwrap_or(HeaderValue::from_static("application/grpc"));
        headers.insert(http::header::CONTENT_TYPE, content_type);
        let gzip = HeaderValue::from_static("gzip");
        headers.insert(names::GRPC_ACCEPT_ENCODING.clone(), gzip);
        if compression != Compression::Identity {
            headers.insert(
                names::GRPC_ENCODING.clone(),
                HeaderValue::from_static(compression.name()),
            );
        }
    }
}

/// A gRPC answer's body: the message, then the status as trailers. Its length is left unknown
/// so that HTTP/1.1 sends it chunked, the one framing that carries trailers; with a known
/// length hyper writes a Content-Length and drops them, and the client never learns the
/// status.
struct Trailed {
    message: Option<Bytes>,
    trailers: Option<HeaderMap>,
}

impl hyper::body::Body for Trailed {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        let frame = match self.message.take() {
            Some(message) => Some(hyper::body::Frame::data(message)),
            None => self.trailers.take().map(hyper::body::Frame::trailers),
        };
        std::task::Poll::Ready(frame.map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        self.message.is_none() && self.trailers.is_none()
    }
}

/// The body as gRPC-Web sends it: as is, or in base64 for the text form.
fn web_body(bytes: Vec<u8>, text: bool) -> Vec<u8> {
    match text {
        false => bytes,
        true => base64::engine::general_purpose::STANDARD
            .encode(bytes)
            .into_bytes(),
    }
}

/// A gRPC-Web text body: base64, possibly several padded chunks one after another (a client
/// may encode each message on its own).
fn decode_text(body: &[u8]) -> Result<Vec<u8>, RpcError> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let engine = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let text: Vec<u8> = body
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let mut out = Vec::new();
    let mut start = 0;
    for at in 1..=text.len() {
        // A chunk ends after its padding, or with the body.
        let ends = at == text.len() || (text[at - 1] == b'=' && text[at] != b'=');
        if ends {
            let decoded = engine.decode(&text[start..at]).map_err(|e| {
                RpcError::invalid_argument(format!("grpc-web-text body is not base64: {e}"))
            })?;
            out.extend(decoded);
            start = at;
        }
    }
    Ok(out)
}
