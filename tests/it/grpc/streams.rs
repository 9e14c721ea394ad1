//! HTTP/2 streams under a test's own control, through the h2 crate: open a connection, call
//! on it, or leave the connection's streams to the test to open and reset.

use super::Answer;
use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Full};
use std::net::SocketAddr;

/// An HTTP/2 connection driven by the h2 crate, for tests that open, reset or interleave
/// streams themselves.
pub async fn h2_connect(addr: SocketAddr) -> h2::client::SendRequest<Bytes> {
    h2_open(addr).await.send
}

/// An HTTP/2 connection of the h2 crate: its streams, and the task driving it.
pub struct H2 {
    pub send: h2::client::SendRequest<Bytes>,
    pub driver: tokio::task::JoinHandle<()>,
}

/// Opens an HTTP/2 connection with prior knowledge.
pub async fn h2_open(addr: SocketAddr) -> H2 {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (send, connection) = h2::client::handshake(tcp).await.unwrap();
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    H2 { send, driver }
}

/// One unary call on an h2 connection; Err with the stream's error when it is reset.
pub async fn h2_call(
    send: &h2::client::SendRequest<Bytes>,
    request: Request<Full<Bytes>>,
) -> Result<Answer, h2::Error> {
    let (mut parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("http://mock{path}").parse::<Uri>().unwrap();
    let body = body.collect().await.unwrap().to_bytes();
    let mut send = send.clone().ready().await?;
    let (response, mut stream) = send.send_request(Request::from_parts(parts, ()), false)?;
    stream.send_data(body, true)?;
    let (parts, mut body) = response.await?.into_parts();
    let mut bytes = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        bytes.extend_from_slice(&chunk);
    }
    let trailers = body.trailers().await?;
    Ok(Answer {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: bytes.into(),
        trailers,
    })
}
