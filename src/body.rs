//! Bodies: a request's, read within the body limit, and responses: whole ones, and dribbled
//! ones that a scenario sends a few bytes at a time to test a client's read timeouts and
//! streaming.

use crate::error::{Code, RpcError};
use bytes::Bytes;
use http::HeaderMap;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Frame, SizeHint};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// A request body the server can read: hyper's `Incoming` on a connection, or any in-memory
/// body (`Full<Bytes>`) when a test or the fuzz harness drives `http::serve` directly. It is
/// `'static` so a streaming call can hand it to the task that keeps reading after the
/// response has started (`grpc_services`).
pub trait RequestBody:
    hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
    + Send
    + 'static
{
}

impl<B> RequestBody for B where
    B: hyper::body::Body<Data = Bytes, Error: Into<Box<dyn std::error::Error + Send + Sync>>>
        + Send
        + 'static
{
}

/// Reads a request body of at most `limit` bytes; a declared `Content-Length` over it fails at
/// once, before anything is read.
pub async fn read<B: RequestBody>(
    body: B,
    limit: usize,
    headers: &HeaderMap,
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

/// The body type of every response.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A body sent in one piece.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// A body sent `chunk` bytes at a time, `interval` apart, then `trailers` if any. Without
/// trailers its length is known up front, so the response still carries a Content-Length; with
/// them it is left unknown, so HTTP/1.1 sends the body chunked, the framing that carries them.
pub fn dribble(data: Bytes, chunk: usize, interval: Duration, trailers: Option<HeaderMap>) -> Body {
    Dribble {
        data,
        chunk: chunk.max(1),
        interval,
        wait: None,
        trailers,
    }
    .boxed_unsync()
}

/// A body fed by a channel, frame by frame; it ends when the sender is dropped. Streams use it:
/// a gRPC server-streaming call's messages, the live feed's events.
pub fn channel(receiver: tokio::sync::mpsc::Receiver<Frame<Bytes>>) -> Body {
    ChannelBody(receiver).boxed_unsync()
}

struct ChannelBody(tokio::sync::mpsc::Receiver<Frame<Bytes>>);

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

struct Dribble {
    trailers: Option<HeaderMap>,
    data: Bytes,
    chunk: usize,
    interval: Duration,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl hyper::body::Body for Dribble {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.data.is_empty() {
            return Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))));
        }
        if let Some(wait) = self.wait.as_mut() {
            if wait.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
        let n = self.chunk.min(self.data.len());
        let piece = self.data.split_to(n);
        let interval = self.interval;
        self.wait = Some(Box::pin(tokio::time::sleep(interval)));
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty() && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        match self.trailers {
            None => SizeHint::with_exact(self.data.len() as u64),
            Some(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_dribbled_body_arrives_whole_in_small_frames() {
        let mut body = dribble(
            Bytes::from_static(b"hello world"),
            4,
            Duration::from_millis(1),
            None,
        );
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            frames.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(frames, ["hell", "o wo", "rld"]);
    }
}
