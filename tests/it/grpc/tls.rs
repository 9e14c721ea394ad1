//! TLS: a self-signed certificate written where clients can trust it, gRPC over HTTP/2 and
//! Connect over HTTP/1.1 chosen by ALPN on the one port, a missing certificate file refused at
//! start by name, and a cleartext client on the TLS port sent away (a TLS alert, then the close) without harm.

use super::*;
use crate::protocol::proto_request;
use crate::support::{mock, EXAMPLE_ID, SERVICE};
use gitpod_mock::tls::TlsSource;
use gitpod_mock::MockServer;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A fresh directory for one test's certificate.
fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("gitpod-mock-it-{}-tls-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A mock with a self-signed certificate written into `dir`.
async fn self_signed(dir: &Path) -> MockServer {
    let source = TlsSource::SelfSigned {
        dir: dir.to_path_buf(),
    };
    mock().tls(source).start().await.unwrap()
}

/// A TLS connection to the mock that trusts only its written certificate and offers `alpn`.
async fn connect(mock: &MockServer, alpn: &[u8]) -> TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    let written = mock.certificate().expect("the certificate file");
    for cert in CertificateDer::pem_file_iter(written).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(mock.address()).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(alpn), "negotiated");
    tls
}

/// A gRPC call of the example integration over HTTP/2 on TLS.
async fn grpc_over_tls(mock: &MockServer) -> Answer {
    let io = TokioIo::new(connect(mock, b"h2").await);
    let (mut send, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .unwrap();
    tokio::spawn(connection);
    let message = proto_request("GetSCMIntegration", json!({ "id": EXAMPLE_ID }));
    let mut request = grpc_request("GetSCMIntegration", "application/grpc", &[], {
        envelope(0, &message)
    });
    let uri = format!("https://localhost{SERVICE}/GetSCMIntegration");
    *request.uri_mut() = uri.parse().unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_2);
    Answer::read(response).await.unwrap()
}

#[tokio::test]
async fn grpc_over_h2_and_connect_over_http1_share_the_tls_port() {
    let dir = scratch("both");
    let mock = self_signed(&dir).await;
    assert!(mock.uri().starts_with("https://"), "{}", mock.uri());
    assert_eq!(
        mock.certificate(),
        Some(&*dir.join("gitpod-mock-localhost.pem"))
    );
    let grpc = grpc_over_tls(&mock).await;
    assert_eq!(grpc.said(), "ok: ");
    let message = decoded("GetSCMIntegration", false, &grpc.message());
    assert_eq!(message["integration"]["id"], EXAMPLE_ID);
    // Connect over HTTP/1.1 on the same port, by ALPN.
    let io = TokioIo::new(connect(&mock, b"http/1.1").await);
    let (mut send, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(connection);
    let body = json!({ "id": EXAMPLE_ID }).to_string();
    let request = Request::post(format!("{SERVICE}/GetSCMIntegration"))
        .header("host", "localhost")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let response = send.send_request(request).await.unwrap();
    assert_eq!(response.version(), http::Version::HTTP_11);
    let connect = Answer::read(response).await.unwrap();
    assert_eq!(connect.status, 200, "{connect:?}");
    let json = decoded("GetSCMIntegration", true, &connect.body);
    assert_eq!(json, message, "the same integration either way");
    mock.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_missing_certificate_file_fails_start_by_name() {
    let dir = scratch("missing");
    let cert = dir.join("no-such-cert.pem");
    let key = dir.join("no-such-key.pem");
    let source = TlsSource::Files {
        cert: cert.clone(),
        key,
    };
    let error = mock().tls(source).start().await.unwrap_err().to_string();
    let named = format!("--tls-cert {}", cert.display());
    assert!(error.starts_with(&named), "{error}");
}

#[tokio::test]
async fn a_cleartext_client_on_the_tls_port_gets_no_answer() {
    let dir = scratch("cleartext");
    let mock = self_signed(&dir).await;
    let http1 = format!("POST {SERVICE}/GetSCMIntegration HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}");
    let h2c = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    for hello in [http1.into_bytes(), h2c] {
        let mut tcp = TcpStream::connect(mock.address()).await.unwrap();
        tcp.write_all(&hello).await.unwrap();
        let mut got = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut got)).await;
        assert!(read.is_ok(), "the server ends the connection");
        // At most a TLS alert record (content type 21), then the close: no HTTP answer.
        assert!(got.is_empty() || got[0] == 21, "no HTTP answer: {got:?}");
        assert!(got.len() <= 7, "one alert at most: {got:?}");
    }
    // The server still serves TLS clients.
    assert_eq!(grpc_over_tls(&mock).await.said(), "ok: ");
    mock.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
