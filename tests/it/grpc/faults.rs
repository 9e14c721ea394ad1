//! Scenario faults on gRPC: a raw answer goes out as the same HTTP answer as on Connect (a
//! gRPC client then reads the HTTP status, as from a real proxy), a scripted answer is the same
//! message, `reset` and `close` reset only the call's HTTP/2 stream, and a dribbled answer
//! still ends with its status.

use super::*;
use crate::calls::{entries, journal, load};
use crate::protocol::proto_request;
use crate::support::{TestServer, EXAMPLE_ID};
use serde_json::json;
use std::time::{Duration, Instant};

const PAGE: &str = "<html><body><h1>502 Bad Gateway</h1></body></html>";

fn read_example() -> Value {
    json!({ "id": EXAMPLE_ID })
}

#[tokio::test]
async fn a_raw_answer_is_the_same_http_answer_on_every_protocol() {
    let server = TestServer::start().await;
    let yaml = format!(
        "rules:\n  - match: {{method: GetSCMIntegration}}\n    raw: {{status: 502, content_type: text/html, body: \"{PAGE}\"}}\n"
    );
    load(&server, "t", &yaml).await;
    let scenario = [("x-mock-scenario", "t")];
    let connect = server
        .rpc("GetSCMIntegration", &scenario, read_example())
        .await;
    let expected = (502, Some("text/html"), PAGE.to_string());
    assert_eq!(
        (
            connect.status,
            connect.header("content-type"),
            connect.text()
        ),
        expected
    );
    for wire in [GRPC, GRPC_WEB, ("application/grpc-web", Version::H2c)] {
        let answer = call(
            server.addr,
            wire,
            "GetSCMIntegration",
            &scenario,
            read_example(),
        )
        .await;
        let text = String::from_utf8_lossy(&answer.body).into_owned();
        assert_eq!(
            (answer.status, answer.header("content-type"), text),
            expected
        );
        let status_fields = ["grpc-status", "grpc-message"];
        assert!(status_fields
            .iter()
            .all(|f| !answer.headers.contains_key(*f)));
        assert_eq!(answer.trailers, None, "a proxy's page has no gRPC status");
    }
}

#[tokio::test]
async fn a_scripted_response_is_the_same_message_on_every_protocol() {
    let server = TestServer::start().await;
    let custom =
        json!({"integration": {"id": "custom", "host": "on", "scmId": "github", "pat": true}});
    let yaml = format!("rules:\n  - match: {{method: GetSCMIntegration}}\n    respond: {custom}\n");
    load(&server, "t", &yaml).await;
    let scenario = [("x-mock-scenario", "t")];
    let connect = server
        .rpc("GetSCMIntegration", &scenario, read_example())
        .await;
    assert_eq!(connect.json(), custom);
    let wires = [GRPC, GRPC_WEB, ("application/grpc+json", Version::H2c)];
    for wire in wires {
        let answer = call(
            server.addr,
            wire,
            "GetSCMIntegration",
            &scenario,
            read_example(),
        )
        .await;
        assert_eq!(answer.said(), "ok: ");
        let json = wire.0.ends_with("+json");
        let message = decoded("GetSCMIntegration", json, &answer.message());
        assert_eq!(message, custom, "{wire:?}");
    }
}

/// A gRPC request for the example integration with more metadata.
fn example_request(headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let message = proto_request("GetSCMIntegration", read_example());
    grpc_request(
        "GetSCMIntegration",
        "application/grpc",
        headers,
        envelope(0, &message),
    )
}

#[tokio::test]
async fn a_connection_fault_resets_only_its_stream() {
    let server = TestServer::start().await;
    let yaml = r#"rules:
  - match: {headers: {x-fault: reset}}
    connection: reset
  - match: {headers: {x-fault: close}}
    connection: close
  - match: {headers: {x-fault: none}}
    delay: {ms: 300}
"#;
    load(&server, "t", yaml).await;
    let connection = h2_connect(server.addr).await;
    for fault in ["reset", "close"] {
        // A slow call is in flight on the connection when the faulted one fails.
        let slow = example_request(&[("x-mock-scenario", "t"), ("x-fault", "none")]);
        let slow = tokio::spawn({
            let connection = connection.clone();
            async move { h2_call(&connection, slow).await }
        });
        let faulted = example_request(&[("x-mock-scenario", "t"), ("x-fault", fault)]);
        let error = h2_call(&connection, faulted).await.unwrap_err();
        assert!(error.is_reset(), "{fault}: {error:?}");
        assert_eq!(error.reason(), Some(h2::Reason::INTERNAL_ERROR), "{fault}");
        let slow = slow.await.unwrap().expect("the other stream is answered");
        assert_eq!(slow.said(), "ok: ", "{fault}");
        // And the connection takes new calls.
        let after = h2_call(&connection, example_request(&[])).await.unwrap();
        assert_eq!(after.said(), "ok: ", "{fault}");
    }
    let journal = journal(&server, "?scenario=t").await;
    let codes = entries(&journal, "code");
    // In the order they finished: each fault before the slow call beside it.
    assert_eq!(codes, ["reset", "ok", "close", "ok"].map(Value::from));
}

#[tokio::test]
async fn a_dribbled_grpc_answer_still_ends_with_its_status() {
    let server = TestServer::start().await;
    let normal = send(server.addr, Version::H2c, example_request(&[])).await;
    let expected = normal.message();
    load(
        &server,
        "t",
        "rules:\n  - dribble: {chunk_bytes: 64, interval_ms: 20}\n",
    )
    .await;
    let pieces = (expected.len() + 5).div_ceil(64) as u32;
    assert!(pieces >= 3, "the answer is long enough to dribble");
    let started = Instant::now();
    let answer = send(
        server.addr,
        Version::H2c,
        example_request(&[("x-mock-scenario", "t")]),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(answer.said(), "ok: ");
    assert_eq!(answer.message(), expected, "the message arrives whole");
    assert!(answer.trailers.is_some(), "the status trails the message");
    assert!(took >= Duration::from_millis(20) * (pieces - 1), "{took:?}");
    // Over HTTP/1.1 the dribbled body goes chunked, so its trailers still arrive.
    let http1 = send(
        server.addr,
        Version::Http1,
        example_request(&[("x-mock-scenario", "t")]),
    )
    .await;
    assert_eq!(http1.said(), "ok: ");
    assert_eq!(http1.message(), expected);
    // gRPC-Web's trailer frame is part of the dribbled body.
    let headers = [("x-mock-scenario", "t")];
    let web = call(
        server.addr,
        GRPC_WEB,
        "GetSCMIntegration",
        &headers,
        read_example(),
    )
    .await;
    assert_eq!(web.said(), "ok: ");
    assert_eq!(web.message(), expected);
}
