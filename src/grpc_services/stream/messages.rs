//! Request messages of a call, read one envelope at a time as the body delivers them (or, for
//! unary Connect, the whole body as the one message), decompressed and bounded in size.

use crate::body::RequestBody;
use crate::codec::compression::Compression;
use crate::error::{Code, RpcError};
use bytes::{Buf, Bytes, BytesMut};
use http_body_util::BodyExt;
use std::pin::Pin;

/// Request messages read one envelope at a time, as the body delivers them. At most one
/// message (of at most `limit` bytes) and one body frame are held at once.
pub(in crate::grpc_services) struct Messages<B> {
    body: Pin<Box<B>>,
    buffer: BytesMut,
    ended: bool,
    compression: Compression,
    /// The header that should have named the compression, for the error when none did.
    encoding_header: &'static str,
    limit: usize,
    /// Whether messages come in envelopes; if not, the whole body is the one message.
    pub(in crate::grpc_services) enveloped: bool,
    /// Whether the whole body has been handed out as the one message.
    delivered: bool,
}

impl<B: RequestBody> Messages<B> {
    pub(in crate::grpc_services) fn new(
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
    pub(in crate::grpc_services) async fn next(&mut self) -> Result<Option<Bytes>, RpcError> {
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
    pub(in crate::grpc_services) async fn only(&mut self) -> Result<Bytes, RpcError> {
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
    use hyper::body::Frame;
    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::task::{Context, Poll};

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
