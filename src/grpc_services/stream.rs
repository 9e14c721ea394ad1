//! The call plumbing the reflection and health services share, in each framing a connect-go
//! handler answers (gRPC, gRPC-Web, Connect's streaming protocol, and unary Connect for a unary
//! method): accepting a call by its headers, reading request messages one envelope at a time as
//! they arrive, and a response body that carries each answer as soon as it is sent, then the
//! closing status.

use crate::body::{Body, RequestBody};
use crate::codec::compression::Compression;
use crate::codec::grpc;
use crate::error::{Code, RpcError};
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Method, Response};
use hyper::body::Frame;
use prost::Message as _;
use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor};
use tokio::sync::mpsc;
use tokio::time::Instant;

mod messages;
pub(super) use messages::Messages;

/// The content types a streaming method accepts, as `Accept-Post` lists them when a request
/// has another.
const STREAMING_CONTENT_TYPES: &str = "application/grpc, application/grpc+proto, \
     application/grpc+json, application/grpc-web, application/grpc-web+proto, \
     application/grpc-web+json, application/connect+proto, application/connect+json";
/// The content types a unary method accepts: those, and unary Connect's.
const UNARY_CONTENT_TYPES: &str = "application/grpc, application/grpc+proto, \
     application/grpc+json, application/grpc-web, application/grpc-web+proto, \
     application/grpc-web+json, application/connect+proto, application/connect+json, \
     application/proto, application/json";

/// Frames buffered between the task answering a stream and hyper sending them. A unary answer,
/// its message then its status, fits without anyone reading; a client that stops reading a
/// stream makes the task wait here instead of piling answers up in memory.
const BUFFERED_FRAMES: usize = 2;

/// How request and response messages are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Codec {
    Proto,
    Json,
}

/// Where a call's status travels, and which headers name its compression and deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Framing {
    /// gRPC: the status in HTTP trailers, or in the headers of a trailers-only answer.
    Grpc,
    /// gRPC-Web: the status in a trailer frame (flag 0x80) at the end of the body.
    GrpcWeb,
    /// Connect's streaming protocol: the status in an end-of-stream frame (flag 0x02), under
    /// HTTP 200 even for an error.
    Connect,
    /// Unary Connect: the body is the one message, bare, and an error is a Connect error
    /// body under its HTTP status.
    ConnectUnary,
}

impl Framing {
    /// The request header that names how flagged request messages are compressed.
    fn encoding_header(self) -> &'static str {
        match self {
            Framing::Connect => "connect-content-encoding",
            Framing::ConnectUnary => "content-encoding",
            Framing::Grpc | Framing::GrpcWeb => "grpc-encoding",
        }
    }

    /// The response header that lists the compressions the server accepts.
    fn accept_encoding_header(self) -> &'static str {
        match self {
            Framing::Connect => "connect-accept-encoding",
            Framing::ConnectUnary => "accept-encoding",
            Framing::Grpc | Framing::GrpcWeb => "grpc-accept-encoding",
        }
    }
}

/// A call's protocol, learned from its headers before any message is read.
#[derive(Debug, Clone, Copy)]
pub(super) struct Call {
    pub(super) framing: Framing,
    pub(super) codec: Codec,
    /// How request messages flagged compressed are compressed (`grpc-encoding`, or
    /// `connect-content-encoding`).
    pub(super) compression: Compression,
    /// When the client's `grpc-timeout` (or `connect-timeout-ms`) runs out.
    pub(super) deadline: Option<Instant>,
}

impl Call {
    /// Checks the method and headers of a call to a `unary` method or a streaming one. A
    /// request in none of the method's protocols gets a plain HTTP error; one with a bad header
    /// gets its protocol's error. (The refusal is boxed to keep the Result small; it is the
    /// rare path.)
    pub(super) fn accept(parts: &Parts, unary: bool) -> Result<Call, Box<Response<Body>>> {
        if parts.method != Method::POST {
            let e = RpcError::new(
                Code::Unknown,
                format!(
                    "HTTP method {} is not allowed on {}: use POST",
                    parts.method,
                    parts.uri.path()
                ),
            )
            .with_status(405)
            .with_header("allow", "POST");
            return Err(Box::new(crate::rpc::error_response(&e)));
        }
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let (framing, codec) = match content_type.as_str() {
            "application/grpc" | "application/grpc+proto" => (Framing::Grpc, Codec::Proto),
            "application/grpc+json" => (Framing::Grpc, Codec::Json),
            "application/grpc-web" | "application/grpc-web+proto" => {
                (Framing::GrpcWeb, Codec::Proto)
            }
            "application/grpc-web+json" => (Framing::GrpcWeb, Codec::Json),
            "application/connect+proto" => (Framing::Connect, Codec::Proto),
            "application/connect+json" => (Framing::Connect, Codec::Json),
            "application/proto" if unary => (Framing::ConnectUnary, Codec::Proto),
            "application/json" if unary => (Framing::ConnectUnary, Codec::Json),
            _ => {
                let accepted = match unary {
                    true => UNARY_CONTENT_TYPES,
                    false => STREAMING_CONTENT_TYPES,
                };
                let e = RpcError::new(
                    Code::Unknown,
                    format!(
                        "content type {content_type:?} is not one this method speaks: use one of {accepted}"
                    ),
                )
                .with_status(415)
                .with_header("accept-post", accepted);
                return Err(Box::new(crate::rpc::error_response(&e)));
            }
        };
        let mut call = Call {
            framing,
            codec,
            compression: Compression::Identity,
            deadline: None,
        };
        let header = framing.encoding_header();
        let encoding = parts
            .headers
            .get(header)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        if let Some(name) = encoding {
            call.compression = Compression::from_name(&name, header).map_err(|e| {
                let mut response = call.refuse(&e);
                let accepted = HeaderValue::from_static(crate::codec::compression::ACCEPTED);
                response
                    .headers_mut()
                    .insert(framing.accept_encoding_header(), accepted);
                response
            })?;
        }
        let timeout = match framing {
            Framing::Connect | Framing::ConnectUnary => {
                crate::codec::headers::protocol_version(&parts.headers)
                    .and_then(|()| crate::codec::headers::timeout(&parts.headers))
            }
            Framing::Grpc | Framing::GrpcWeb => grpc::timeout(&parts.headers),
        };
        let timeout = timeout.map_err(|e| Box::new(call.refuse(&e)))?;
        call.deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        Ok(call)
    }

    /// The response content type, as connect-go names it: plain `application/grpc` for
    /// binary gRPC, the codec spelt out otherwise.
    fn content_type(&self) -> &'static str {
        match (self.framing, self.codec) {
            (Framing::Grpc, Codec::Proto) => "application/grpc",
            (Framing::Grpc, Codec::Json) => "application/grpc+json",
            (Framing::GrpcWeb, Codec::Proto) => "application/grpc-web+proto",
            (Framing::GrpcWeb, Codec::Json) => "application/grpc-web+json",
            (Framing::Connect, Codec::Proto) => "application/connect+proto",
            (Framing::Connect, Codec::Json) => "application/connect+json",
            (Framing::ConnectUnary, Codec::Proto) => "application/proto",
            (Framing::ConnectUnary, Codec::Json) => "application/json",
        }
    }

    fn head(&self, body: Body) -> Response<Body> {
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        let content_type = HeaderValue::from_static(self.content_type());
        headers.insert(http::header::CONTENT_TYPE, content_type);
        let accepted = HeaderValue::from_static(crate::codec::compression::ACCEPTED);
        headers.insert(self.framing.accept_encoding_header(), accepted);
        response
    }

    /// Request messages from `body`, as they arrive, decompressed as the call's headers said.
    pub(super) fn messages<B: RequestBody>(&self, body: B, limit: usize) -> Messages<B> {
        let header = self.framing.encoding_header();
        let mut messages = Messages::new(body, self.compression, header, limit);
        messages.enveloped = self.framing != Framing::ConnectUnary;
        messages
    }

    /// An answer that is only the error, as a server fails a call before it has sent any
    /// message: for gRPC and gRPC-Web, trailers-only (the status in the response headers and no
    /// body); for Connect, an end-of-stream frame holding the error.
    pub(super) fn refuse(&self, e: &RpcError) -> Response<Body> {
        match self.framing {
            Framing::Connect => {
                return self.head(crate::body::full(Bytes::from(grpc::end_stream(Some(e)))));
            }
            Framing::ConnectUnary => return crate::rpc::error_response(e),
            Framing::Grpc | Framing::GrpcWeb => {}
        }
        let mut response = self.head(crate::body::full(Bytes::new()));
        response.headers_mut().extend(grpc::status(Some(e)));
        response
    }

    /// A response whose messages follow as `Replies::send` sends them.
    pub(super) fn open(&self) -> (Response<Body>, Replies) {
        let (sender, receiver) = mpsc::channel(BUFFERED_FRAMES);
        let replies = Replies {
            sender,
            framing: self.framing,
            codec: self.codec,
        };
        (self.head(crate::body::channel(receiver)), replies)
    }

    /// A request message in the call's codec.
    pub(super) fn decode(
        &self,
        desc: &MessageDescriptor,
        bytes: &[u8],
    ) -> Result<DynamicMessage, RpcError> {
        let decoded = match self.codec {
            Codec::Proto => DynamicMessage::decode(desc.clone(), bytes).map_err(|e| e.to_string()),
            Codec::Json => {
                // Unknown fields are dropped, as connect-go's JSON codec drops them.
                let options = DeserializeOptions::new().deny_unknown_fields(false);
                let mut json = serde_json::Deserializer::from_slice(bytes);
                DynamicMessage::deserialize_with_options(desc.clone(), &mut json, &options)
                    .and_then(|m| json.end().map(|()| m))
                    .map_err(|e| e.to_string())
            }
        };
        decoded.map_err(|why| {
            RpcError::invalid_argument(format!("cannot decode {}: {why}", desc.full_name()))
        })
    }

    /// Waits until the client's deadline, or forever when it set none.
    pub(super) async fn deadline(&self) {
        match self.deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending().await,
        }
    }
}

/// The error a call gets when its `grpc-timeout` runs out.
pub(super) fn deadline_exceeded() -> RpcError {
    RpcError::new(Code::DeadlineExceeded, "the grpc-timeout ran out")
}

/// The error open streams end with when the server shuts down.
pub(super) fn shutting_down() -> RpcError {
    RpcError::new(Code::Unavailable, "gitpod-mock is shutting down")
}

/// Resolves once the server has begun shutting down (at once if it already has).
pub(super) async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    // The guard wait_for returns is not Send, so it is dropped here, not held by a caller.
    let _ = stopping.wait_for(|stopping| *stopping).await;
}

/// The sending half of a response: messages, then the status that ends it.
pub(super) struct Replies {
    sender: mpsc::Sender<Frame<Bytes>>,
    framing: Framing,
    codec: Codec,
}

impl Replies {
    /// Sends one message; false when the client has gone away.
    pub(super) async fn send(&self, message: &DynamicMessage) -> bool {
        let bytes = match self.codec {
            Codec::Proto => message.encode_to_vec(),
            Codec::Json => serde_json::to_vec(message).expect("a message serializes as JSON"),
        };
        let bytes = match self.framing {
            Framing::ConnectUnary => bytes,
            _ => grpc::frame(bytes, Compression::Identity),
        };
        self.sender.send(Frame::data(bytes.into())).await.is_ok()
    }

    /// Ends the response with its status: OK, or the error. (A unary Connect answer has its
    /// status in its head, so it simply ends.)
    pub(super) async fn finish(self, error: Option<&RpcError>) {
        let frame = match self.framing {
            Framing::ConnectUnary => return,
            Framing::Grpc => Frame::trailers(grpc::status(error)),
            Framing::GrpcWeb => Frame::data(grpc::web_trailers(&grpc::status(error)).into()),
            Framing::Connect => Frame::data(grpc::end_stream(error).into()),
        };
        let _ = self.sender.send(frame).await;
    }

    /// Resolves when the client has gone away and hyper has dropped the response body.
    pub(super) async fn closed(&self) {
        self.sender.closed().await;
    }
}
