//! The envelope of a unary gRPC or gRPC-Web call, and its compression: an empty message, a
//! compressed flag with no grpc-encoding, a cut envelope, two messages or none, gzip both ways,
//! an encoding the mock does not know, and bodies over the limit. Each case runs over gRPC on
//! HTTP/2 and gRPC-Web on HTTP/1.1: both read the envelope the same way.

use super::*;
use crate::protocol::{gzip, proto_request};
use crate::support::{mock, TestServer, EXAMPLE_ID};
use serde_json::json;

/// gRPC over h2c, and gRPC-Web over HTTP/1.1.
const WIRES: [(&str, Version); 2] = [
    ("application/grpc", Version::H2c),
    ("application/grpc-web+proto", Version::Http1),
];

/// The example integration's read, as a bare message.
fn get_example() -> Vec<u8> {
    proto_request("GetSCMIntegration", json!({ "id": EXAMPLE_ID }))
}

/// GetSCMIntegration with this body and headers, over both wires: each answer.
async fn both(server: &TestServer, headers: &[(&str, &str)], body: &[u8]) -> Vec<Answer> {
    let mut answers = Vec::new();
    for (content_type, version) in WIRES {
        let body = body.to_vec();
        let request = grpc_request("GetSCMIntegration", content_type, headers, body);
        answers.push(send(server.addr, version, request).await);
    }
    answers
}

/// What GetSCMIntegration with this body says over both wires, checked equal.
async fn says(server: &TestServer, headers: &[(&str, &str)], body: &[u8]) -> String {
    let answers = both(server, headers, body).await;
    let said: Vec<String> = answers.iter().map(Answer::said).collect();
    assert_eq!(said[0], said[1], "gRPC and gRPC-Web");
    said[0].clone()
}

#[tokio::test]
async fn broken_envelopes_are_protocol_errors() {
    let server = TestServer::start().await;
    let message = get_example();
    let one = envelope(0, &message);
    let cut = &one[..one.len() - 3];
    let promised = format!(
        "invalid_argument: protocol error: promised {} bytes in enveloped message, got {} bytes",
        message.len(),
        message.len() - 3
    );
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<u8>, String)> = vec![
        ("compressed flag, no grpc-encoding", envelope(1, &gzip(&message)),
            "invalid_argument: protocol error: sent compressed message without compression support (no grpc-encoding)".into()),
        ("frame longer than the body", cut.to_vec(), promised),
        ("half a prefix", one[..3].to_vec(),
            "invalid_argument: protocol error: incomplete envelope: 3 of its 5 prefix bytes".into()),
        ("two messages", [one.clone(), one.clone()].concat(),
            "unimplemented: unary request has multiple messages".into()),
        ("no message", Vec::new(), "unimplemented: unary request has zero messages".into()),
        ("a trailer frame", envelope(0x80, b""),
            "invalid_argument: protocol error: invalid envelope flags 0x80 on a request message".into()),
    ];
    for (case, body, expected) in cases {
        assert_eq!(says(&server, &[], &body).await, expected, "{case}");
    }
}

#[tokio::test]
async fn an_empty_message_is_the_empty_request_and_validation_answers() {
    let server = TestServer::start().await;
    let connect = server.call("GetSCMIntegration", json!({})).await;
    let expected = format!("invalid_argument: {}", connect.message());
    assert_eq!(connect.code(), "invalid_argument");
    assert_eq!(says(&server, &[], &envelope(0, b"")).await, expected);
    // An empty message flagged compressed is still the empty message, as in connect-go.
    let gzip_header = [("grpc-encoding", "gzip")];
    let compressed_empty = envelope(1, b"");
    assert_eq!(
        says(&server, &gzip_header, &compressed_empty).await,
        expected
    );
}

#[tokio::test]
async fn gzip_works_both_ways() {
    let server = TestServer::start().await;
    let message = get_example();
    let plain = both(&server, &[], &envelope(0, &message)).await;
    let expected = plain[0].message();
    assert_eq!(plain[0].frames()[0].0, 0, "uncompressed unless asked");
    assert_eq!(plain[0].header("grpc-encoding"), None);
    let gzipped = envelope(1, &gzip(&message));
    let answers = both(&server, &[("grpc-encoding", "gzip")], &gzipped).await;
    for answer in &answers {
        assert_eq!(answer.said(), "ok: ");
        assert_eq!(answer.message(), expected, "a gzip request reads the same");
    }
    let accept = [("grpc-accept-encoding", "identity, gzip")];
    for answer in both(&server, &accept, &envelope(0, &message)).await {
        assert_eq!(answer.said(), "ok: ");
        assert_eq!(answer.header("grpc-encoding"), Some("gzip"));
        assert_eq!(answer.frames()[0].0, 1, "the message is flagged compressed");
        assert_eq!(answer.message(), expected);
    }
}

#[tokio::test]
async fn an_unknown_grpc_encoding_is_unimplemented_and_lists_gzip() {
    let server = TestServer::start().await;
    let body = envelope(1, b"compressed somehow");
    for answer in both(&server, &[("grpc-encoding", "br")], &body).await {
        let expected = "unimplemented: grpc-encoding \"br\" is not supported: supported encodings are gzip, identity";
        assert_eq!(answer.said(), expected);
        assert_eq!(answer.header("grpc-accept-encoding"), Some("gzip"));
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_resource_exhausted() {
    let server = TestServer::from(mock().max_body_bytes(1024)).await;
    let big = envelope(0, &vec![b'x'; 2000]);
    let expected = "resource_exhausted: request body of 2005 bytes exceeds the limit of 1024 bytes (see --max-body-bytes)";
    assert_eq!(says(&server, &[], &big).await, expected);
    // Streamed with no content-length, the limit stops the read instead.
    let connection = h2_connect(server.addr).await;
    let request = grpc_request("GetSCMIntegration", "application/grpc", &[], big);
    let answer = h2_call(&connection, request).await.unwrap();
    let expected =
        "resource_exhausted: request body exceeds the limit of 1024 bytes (see --max-body-bytes)";
    assert_eq!(answer.said(), expected);
    // A small body that inflates past the limit is caught while it is decompressed.
    let bomb = envelope(1, &gzip(&vec![0; 100_000]));
    assert!(bomb.len() < 1024);
    let expected = "resource_exhausted: the gzip-compressed request message decompresses to more than the limit of 1024 bytes (see --max-body-bytes)";
    assert_eq!(
        says(&server, &[("grpc-encoding", "gzip")], &bomb).await,
        expected
    );
}
