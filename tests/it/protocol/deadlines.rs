//! `Connect-Timeout-Ms`: honoured over the whole call (a body that arrives too slowly gets
//! `deadline_exceeded`), and malformed values are invalid arguments.

use super::*;
use crate::support::EXAMPLE_ID;
use std::time::{Duration, Instant};

#[tokio::test]
async fn malformed_timeouts_are_invalid_arguments() {
    let server = TestServer::start().await;
    let body = format!(r#"{{"id":"{EXAMPLE_ID}"}}"#).into_bytes();
    for value in ["abc", "-5", "0", "1.5", "12345678901", "+5", ""] {
        let reply = server
            .rpc_as(
                "GetSCMIntegration",
                "application/json",
                &[("connect-timeout-ms", value)],
                body.clone(),
            )
            .await;
        assert_connect_error(
            &reply,
            400,
            "invalid_argument",
            "connect-timeout-ms must be a positive integer of at most 10 digits",
        );
    }
    for value in ["1000", "9999999999", "0000000100"] {
        let reply = server
            .rpc_as(
                "GetSCMIntegration",
                "application/json",
                &[("connect-timeout-ms", value)],
                body.clone(),
            )
            .await;
        assert_eq!(reply.status, 200, "{value}: {}", reply.text());
    }
}

#[tokio::test]
async fn a_call_that_outlives_its_deadline_gets_deadline_exceeded() {
    let server = TestServer::start().await;
    // The headers promise 64 bytes; only half arrive. The deadline covers reading the body.
    let head = format!(
        "POST {SERVICE}/GetSCMIntegration HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nconnect-timeout-ms: 150\r\ncontent-length: 64\r\n\r\n{{\"id\":"
    );
    let started = Instant::now();
    let answer = server.raw(head.as_bytes(), Duration::from_secs(5)).await;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 504"), "{text}");
    assert!(text.contains(r#""code":"deadline_exceeded""#), "{text}");
    assert!(
        text.contains("did not finish within its connect-timeout-ms of 150 ms"),
        "{text}"
    );
    assert!(
        elapsed >= Duration::from_millis(150) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn the_deadline_applies_to_get_and_binary_calls_alike() {
    let server = TestServer::start().await;
    let message = base64url(&proto_request(
        "GetSCMIntegration",
        serde_json::json!({ "id": EXAMPLE_ID }),
    ));
    let path =
        format!("{SERVICE}/GetSCMIntegration?connect=v1&encoding=proto&base64=1&message={message}");
    let reply = server
        .request(
            &format!("GET {path}"),
            &[("connect-timeout-ms", "5000")],
            "",
        )
        .await;
    assert_eq!(reply.status, 200);
    let reply = server
        .request(
            &format!("GET {path}"),
            &[("connect-timeout-ms", "soon")],
            "",
        )
        .await;
    assert_connect_error(&reply, 400, "invalid_argument", "connect-timeout-ms");
}
