//! The headers of a gRPC call: `grpc-timeout`'s grammar and deadline, content types no
//! protocol takes (HTTP 415 with `Accept-Post`, before any protocol answers), and HTTP
//! methods other than POST (405 with `Allow`).

use super::*;
use crate::calls::load;
use crate::protocol::proto_request;
use crate::support::{TestServer, EXAMPLE_ID};
use serde_json::json;
use std::time::{Duration, Instant};

fn get_example() -> Vec<u8> {
    envelope(
        0,
        &proto_request("GetSCMIntegration", json!({ "id": EXAMPLE_ID })),
    )
}

/// gRPC over h2c, gRPC-Web over HTTP/1.1.
const WIRES: [(&str, Version); 2] = [
    ("application/grpc", Version::H2c),
    ("application/grpc-web", Version::Http1),
];

#[tokio::test]
async fn a_malformed_grpc_timeout_is_invalid_and_named() {
    let server = TestServer::start().await;
    let rule = "send at most 8 digits and a unit, H, M, S, m, u or n";
    #[rustfmt::skip]
    let cases = [
        ("100", "has no valid unit"),
        ("123456789m", "is too long"),
        ("abcS", "is not a number"),
        ("S", "is not a number"),
        ("1.5S", "is not a number"),
        ("-1S", "is not a number"),
        ("10s", "has no valid unit"),
    ];
    for (content_type, version) in WIRES {
        for (timeout, why) in cases {
            let headers = [("grpc-timeout", timeout)];
            let request = grpc_request("GetSCMIntegration", content_type, &headers, get_example());
            let answer = send(server.addr, version, request).await;
            let expected = format!("invalid_argument: grpc-timeout {timeout:?} {why}: {rule}");
            assert_eq!(answer.said(), expected, "{content_type}");
        }
        // A well-formed one long enough lets the call through.
        let headers = [("grpc-timeout", "99999999n")];
        let request = grpc_request("GetSCMIntegration", content_type, &headers, get_example());
        assert_eq!(send(server.addr, version, request).await.said(), "ok: ");
    }
}

#[tokio::test]
async fn a_delay_past_the_grpc_timeout_is_deadline_exceeded() {
    let server = TestServer::start().await;
    load(&server, "slow", "rules:\n  - delay: {ms: 5000}\n").await;
    let headers = [("grpc-timeout", "150m"), ("x-mock-scenario", "slow")];
    for (content_type, version) in WIRES {
        let started = Instant::now();
        let request = grpc_request("GetSCMIntegration", content_type, &headers, get_example());
        let answer = send(server.addr, version, request).await;
        let took = started.elapsed();
        let status = answer.status();
        let expected = "the call did not finish within its grpc-timeout of 150 ms";
        assert_eq!((status.code, status.message.as_str()), (4, expected));
        let window = Duration::from_millis(150)..Duration::from_millis(3000);
        assert!(window.contains(&took), "answered after {took:?}");
    }
}

/// Whether an answer is the HTTP 415 of a content type no protocol takes.
#[track_caller]
fn assert_unsupported(answer: &Answer, content_type: &str) {
    assert_eq!(answer.status, 415, "{content_type}: {answer:?}");
    let accepted = answer.header("accept-post").unwrap();
    for listed in [
        "application/json",
        "application/grpc+proto",
        "application/grpc-web-text",
    ] {
        assert!(accepted.contains(listed), "{listed} in {accepted}");
    }
    assert!(!answer.headers.contains_key("grpc-status"), "{answer:?}");
}

#[tokio::test]
async fn a_content_type_no_protocol_takes_is_415_with_accept_post() {
    let server = TestServer::start().await;
    let types = [
        "application/grpc+xml",
        "application/grpc-web+xml",
        // The text form only has the binary codec.
        "application/grpc-web-text+json",
        "text/plain",
    ];
    for version in [Version::H2c, Version::Http1] {
        for content_type in types {
            let request = grpc_request("GetSCMIntegration", content_type, &[], get_example());
            let answer = send(server.addr, version, request).await;
            assert_unsupported(&answer, content_type);
        }
    }
}

#[tokio::test]
async fn only_post_carries_a_grpc_call() {
    let server = TestServer::start().await;
    // (method, procedure, Allow): a read also answers Connect's GET, a write only POST.
    let cases = [
        ("PUT", "GetSCMIntegration", "GET, POST"),
        ("DELETE", "GetSCMIntegration", "GET, POST"),
        ("GET", "CreateSCMIntegration", "POST"),
        ("PUT", "CreateSCMIntegration", "POST"),
    ];
    for (content_type, version) in WIRES {
        for (verb, procedure, allow) in cases {
            let mut request = grpc_request(procedure, content_type, &[], get_example());
            *request.method_mut() = verb.parse().unwrap();
            let answer = send(server.addr, version, request).await;
            let said = (answer.status, answer.header("allow"));
            assert_eq!(
                said,
                (405, Some(allow)),
                "{verb} {procedure} {content_type}"
            );
            assert!(!answer.headers.contains_key("grpc-status"), "{answer:?}");
        }
        // A GET of a read with a gRPC content type: gRPC has no GET, and connect-go finds no
        // protocol for the type, so 415.
        let mut request = grpc_request("GetSCMIntegration", content_type, &[], get_example());
        *request.method_mut() = http::Method::GET;
        let answer = send(server.addr, version, request).await;
        assert_unsupported(&answer, content_type);
    }
}
