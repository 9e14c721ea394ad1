//! Response bodies: whole ones, and dribbled ones that a scenario sends a few bytes at a time
//! to test a client's read timeouts and streaming.

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Frame, SizeHint};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The body type of every response.
pub type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A body sent in one piece.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

/// A body sent `chunk` bytes at a time, `interval` apart. Its length is known up front, so the
/// response still carries a Content-Length.
pub fn dribble(data: Bytes, chunk: usize, interval: Duration) -> Body {
    Dribble {
        data,
        chunk: chunk.max(1),
        interval,
        wait: None,
    }
    .boxed_unsync()
}

struct Dribble {
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
            return Poll::Ready(None);
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
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
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
        );
        let mut frames = Vec::new();
        while let Some(frame) = body.frame().await {
            frames.push(frame.unwrap().into_data().unwrap());
        }
        assert_eq!(frames, ["hell", "o wo", "rld"]);
    }
}
