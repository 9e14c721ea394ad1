//! The call plumbing the reflection and health services share, in each framing a connect-go
//! handler answers (gRPC, gRPC-Web, Connect's streaming protocol, and unary Connect for a unary
//! method): accepting a call by its headers, reading request messages one envelope at a time as
//! they arrive, and a response body that carries each answer as soon as it is sent, then the
//! closing status.

use crate::body::{Body, RequestBody};
use crate::codec::compression::Compression;
use crate::codec::grpc;
use crate::error::{Code, RpcError};
use bytes::{Buf, Bytes, BytesMut};
use http::request::Parts;
use http::{HeaderValue, Method, Response};
use http_body_util::BodyExt;
use hyper::body::Frame;
use prost::Message as _;
use prost_reflect::{DeserializeOptions, DynamicMessage, MessageDescriptor};
use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::mpsc;
use tokio::time::Instant;

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
        (self.head(ChannelBody(receiver).boxed_unsync()), replies)
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

/// A response body fed by a channel; it ends when the sender is dropped.
struct ChannelBody(mpsc::Receiver<Frame<Bytes>>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0.poll_recv(cx).map(|frame| frame.map(Ok))
    }
}

/// Request messages read one envelope at a time, as the body delivers them. At most one
/// message (of at most `limit` bytes) and one body frame are held at once.
pub(super) struct Messages<B> {
    body: Pin<Box<B>>,
    buffer: BytesMut,
    ended: bool,
    compression: Compression,
    /// The header that should have named the compression, for the error when none did.
    encoding_header: &'static str,
    limit: usize,
    /// Whether messages come in envelopes; if not, the whole body is the one message.
    enveloped: bool,
    /// Whether the whole body has been handed out as the one message.
    delivered: bool,
}

impl<B: RequestBody> Messages<B> {
    fn new(
        body: B,
        compression: Compression,
        encoding_header: &'static str,
        limit: usize,
    ) -> Messages<B> {
        Messages {
            body: Box::pin(body),
            buffer: BytesMut::new(),
            ended: false,
            compression,
            encoding_header,
            limit,
            enveloped: true,
            delivered: false,
        }
    }

    /// The next message, or None when the client has ended its stream cleanly.
    pub(super) async fn next(&mut self) -> Result<Option<Bytes>, RpcError> {
        loop {
            if let Some(message) = self.take()? {
                return Ok(Some(message));
            }
            if self.ended {
                if !self.enveloped {
                    return Ok(None);
                }
                return match self.buffer.len() {
                    0 => Ok(None),
                    n @ 1..5 => Err(RpcError::invalid_argument(format!(
                        "protocol error: incomplete envelope: {n} of its 5 prefix bytes"
                    ))),
                    n => Err(RpcError::invalid_argument(format!(
                        "protocol error: promised {} bytes in enveloped message, got {} bytes",
                        promised(&self.buffer),
                        n - 5
                    ))),
                };
            }
            match self.body.frame().await {
                None => self.ended = true,
                Some(Ok(frame)) => {
                    // Request trailers carry nothing a gRPC server reads.
                    if let Ok(data) = frame.into_data() {
                        self.buffer.extend_from_slice(&data);
                    }
                    if !self.enveloped && self.buffer.len() > self.limit {
                        return Err(self.too_large(self.buffer.len()));
                    }
                }
                Some(Err(e)) => {
                    let e: Box<dyn std::error::Error + Send + Sync> = e.into();
                    return Err(RpcError::new(
                        Code::Canceled,
                        format!("reading the request stream failed: {e}"),
                    ));
                }
            }
        }
    }

    /// Exactly one message, then the end of the stream: a unary or server-streaming request.
    pub(super) async fn only(&mut self) -> Result<Bytes, RpcError> {
        let cardinality = |how_many: &str| {
            RpcError::new(
                Code::Unimplemented,
                format!("unary request has {how_many} messages"),
            )
        };
        let message = self.next().await?.ok_or_else(|| cardinality("zero"))?;
        match self.next().await? {
            None => Ok(message),
            Some(_) => Err(cardinality("multiple")),
        }
    }

    /// The first whole message in the buffer, decompressed; None until one has arrived.
    fn take(&mut self) -> Result<Option<Bytes>, RpcError> {
        if !self.enveloped {
            return self.take_whole();
        }
        if self.buffer.len() < 5 {
            return Ok(None);
        }
        let size = promised(&self.buffer);
        if size > self.limit {
            return Err(self.too_large(size));
        }
        if self.buffer.len() < 5 + size {
            // Room for the rest now, so the frames that bring it append without regrowing.
            self.buffer.reserve(5 + size - self.buffer.len());
            return Ok(None);
        }
        let flags = self.buffer[0];
        self.buffer.advance(5);
        let message = self.buffer.split_to(size).freeze();
        match flags {
            0 => Ok(Some(message)),
            // Refused as connect-go's envelope reader refuses it (invalid_argument).
            1 if self.compression == Compression::Identity => {
                Err(RpcError::invalid_argument(format!(
                    "protocol error: sent compressed message without compression support (no {})",
                    self.encoding_header
                )))
            }
            1 => self.compression.decompress(message, self.limit).map(Some),
            _ => Err(RpcError::invalid_argument(format!(
                "protocol error: invalid envelope flags {flags:#04x} on a request message"
            ))),
        }
    }
}

impl<B> Messages<B> {
    /// The whole body, once it has all arrived, as the one message of a unary Connect call.
    fn take_whole(&mut self) -> Result<Option<Bytes>, RpcError> {
        if !self.ended || self.delivered {
            return Ok(None);
        }
        self.delivered = true;
        let body = self.buffer.split().freeze();
        match self.compression {
            Compression::Identity => Ok(Some(body)),
            compression => compression.decompress(body, self.limit).map(Some),
        }
    }

    fn too_large(&self, size: usize) -> RpcError {
        RpcError::new(
            Code::ResourceExhausted,
            format!(
                "request message of {size} bytes exceeds the limit of {} bytes (see --max-body-bytes)",
                self.limit
            ),
        )
    }
}

/// The message length an envelope's prefix promises; the buffer holds at least 5 bytes.
fn promised(buffer: &[u8]) -> usize {
    u32::from_be_bytes([buffer[1], buffer[2], buffer[3], buffer[4]]) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    fn envelope(flags: u8, message: &[u8]) -> Vec<u8> {
        let mut out = vec![flags];
        out.extend_from_slice(&(message.len() as u32).to_be_bytes());
        out.extend_from_slice(message);
        out
    }

    /// A request body delivering these chunks as separate frames, as a network would.
    struct Chunks(VecDeque<Bytes>);

    impl hyper::body::Body for Chunks {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            Poll::Ready(self.0.pop_front().map(|c| Ok(Frame::data(c))))
        }
    }

    /// `stream` cut into pieces of `size` bytes.
    fn messages(stream: &[u8], size: usize, compression: Compression) -> Messages<Chunks> {
        let chunks = stream.chunks(size).map(Bytes::copy_from_slice).collect();
        Messages::new(Chunks(chunks), compression, "grpc-encoding", 16)
    }

    #[tokio::test]
    async fn messages_split_across_frames_arrive_whole_and_in_order() {
        let stream = [envelope(0, b"one"), envelope(0, b""), envelope(0, b"three")].concat();
        for size in [1, 3, 7, stream.len()] {
            let mut read = messages(&stream, size, Compression::Identity);
            assert_eq!(&read.next().await.unwrap().unwrap()[..], b"one");
            assert_eq!(&read.next().await.unwrap().unwrap()[..], b"");
            assert_eq!(&read.next().await.unwrap().unwrap()[..], b"three");
            assert!(read.next().await.unwrap().is_none(), "{size}");
        }
    }

    #[tokio::test]
    async fn a_broken_stream_fails_with_the_reason() {
        let error = |stream: Vec<u8>, compression| async move {
            let mut read = messages(&stream, 4, compression);
            loop {
                match read.next().await {
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("{stream:?} reads cleanly"),
                    Err(e) => return (e.code, e.message),
                }
            }
        };
        let (code, message) = error(envelope(0, b"abc")[..6].to_vec(), Compression::Identity).await;
        assert_eq!(code, Code::InvalidArgument);
        assert_eq!(
            message,
            "protocol error: promised 3 bytes in enveloped message, got 1 bytes"
        );
        let (code, message) = error(vec![0, 0, 0], Compression::Identity).await;
        assert_eq!(code, Code::InvalidArgument);
        assert!(message.contains("3 of its 5 prefix bytes"), "{message}");
        // The size is refused from the prefix alone, before the message is buffered.
        let (code, message) = error(vec![0, 0, 0, 0, 17], Compression::Identity).await;
        assert_eq!(code, Code::ResourceExhausted);
        assert!(
            message.contains("17 bytes exceeds the limit of 16"),
            "{message}"
        );
        let (code, message) = error(envelope(1, b"x"), Compression::Identity).await;
        assert_eq!(code, Code::InvalidArgument, "as connect-go refuses it");
        assert!(message.contains("without compression support"), "{message}");
        let (code, message) = error(envelope(0x80, b""), Compression::Identity).await;
        assert_eq!(code, Code::InvalidArgument);
        assert!(message.contains("flags 0x80"), "{message}");
        let (code, _) = error(envelope(1, b"not gzip"), Compression::Gzip).await;
        assert_eq!(code, Code::InvalidArgument);
    }

    #[tokio::test]
    async fn compressed_messages_are_inflated_within_the_limit() {
        let packed = Compression::Gzip.compress(b"hello".to_vec());
        let body = Chunks([Bytes::from(envelope(1, &packed))].into());
        let mut read = Messages::new(body, Compression::Gzip, "grpc-encoding", 40);
        assert_eq!(&read.next().await.unwrap().unwrap()[..], b"hello");
        // Small on the wire, over the limit once inflated.
        let bomb = Compression::Gzip.compress(vec![b'a'; 1000]);
        assert!(bomb.len() < 64, "{}", bomb.len());
        let body = Chunks([Bytes::from(envelope(1, &bomb))].into());
        let mut read = Messages::new(body, Compression::Gzip, "grpc-encoding", 64);
        let e = read.next().await.unwrap_err();
        assert_eq!(e.code, Code::ResourceExhausted);
        assert!(
            e.message.contains("decompresses to more than"),
            "{}",
            e.message
        );
    }

    #[tokio::test]
    async fn a_unary_request_holds_exactly_one_message() {
        let one = envelope(0, b"x");
        assert_eq!(
            &messages(&one, 2, Compression::Identity)
                .only()
                .await
                .unwrap()[..],
            b"x"
        );
        let zero = messages(b"", 2, Compression::Identity)
            .only()
            .await
            .unwrap_err();
        assert_eq!(
            (zero.code, zero.message.as_str()),
            (Code::Unimplemented, "unary request has zero messages")
        );
        let two = [one.clone(), one].concat();
        let two = messages(&two, 2, Compression::Identity)
            .only()
            .await
            .unwrap_err();
        assert_eq!(two.message, "unary request has multiple messages");
    }
}
