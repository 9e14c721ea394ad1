//! The library API a Rust user embeds: `MockServer::start`, the builder's settings reaching
//! every call, its errors naming the problem, and dropping the server stopping it.

use crate::calls::GCP;
use crate::support::{Client, TestServer, EXAMPLE_ID};
use gitpod_mock::MockServer;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_started_mock_answers_and_dropping_it_stops_it() {
    let mock = MockServer::start().await;
    let address = mock.address();
    assert!(address.ip().is_loopback(), "{address}");
    assert_eq!(mock.uri(), format!("http://{address}"));
    let client = Client { addr: address };
    let got = client
        .ok("GetSCMIntegration", json!({ "id": EXAMPLE_ID }))
        .await;
    assert_eq!(got["integration"]["id"], EXAMPLE_ID);
    let journal = mock.journal("default");
    assert_eq!(
        journal["entries"][0]["method"], "GetSCMIntegration",
        "{journal}"
    );
    assert_eq!(mock.journal("nobody")["entries"], json!([]));

    drop(mock);
    // The accept loop ends on the runtime's next turn; the port then refuses connections.
    let deadline = Instant::now() + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(address).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "{address} still accepts after drop"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn stop_lets_an_open_call_finish() {
    let dir = scenario_dir("slow", "delay: {ms: 300}");
    let mock = MockServer::builder()
        .scenario_dir(&dir)
        .scenario("slow")
        .start()
        .await
        .unwrap();
    let client = Client {
        addr: mock.address(),
    };
    let call = tokio::spawn(async move {
        client
            .call("GetSCMIntegration", json!({ "id": EXAMPLE_ID }))
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    mock.stop().await;
    let reply = call.await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn the_builders_settings_reach_every_call() {
    let strict = TestServer::from(MockServer::builder().strict(true)).await;
    let reply = strict
        .call("GetSCMIntegration", json!({ "id": EXAMPLE_ID, "extra": 1 }))
        .await;
    reply.assert_code(400, "invalid_argument");

    let authed = TestServer::from(MockServer::builder().require_auth()).await;
    let reply = authed.call("ListSCMIntegrations", json!({})).await;
    reply.assert_code(401, "unauthenticated");

    let small = TestServer::from(MockServer::builder().max_body_bytes(16)).await;
    let reply = small
        .call("ListSCMIntegrations", json!({ "pagination": {} }))
        .await;
    reply.assert_code(429, "resource_exhausted");

    // A state export starts the next mock where this one left off.
    let first = TestServer::start().await;
    let created = first
        .ok(
            "CreateSCMIntegration",
            json!({ "runnerId": GCP, "scmId": "github", "host": "embedded.example.com", "pat": true }),
        )
        .await;
    let id = created["id"].as_str().unwrap().to_string();
    let second = TestServer::from(MockServer::builder().state(first.state().await)).await;
    let got = second.ok("GetSCMIntegration", json!({ "id": id })).await;
    assert_eq!(got["integration"]["host"], "embedded.example.com");
}

#[tokio::test]
async fn the_builders_errors_name_the_problem() {
    let error = |builder: gitpod_mock::MockServerBuilder| async move {
        builder.start().await.map(drop).unwrap_err().to_string()
    };
    let missing = error(MockServer::builder().fixtures("/no/such/fixtures")).await;
    assert!(missing.starts_with("invalid fixtures:"), "{missing}");
    assert!(missing.contains("/no/such/fixtures"), "{missing}");
    let unknown = error(MockServer::builder().scenario("no-such-scenario")).await;
    assert!(unknown.contains("\"no-such-scenario\""), "{unknown}");
    let empty = error(MockServer::builder().control_token(" ")).await;
    assert_eq!(empty, "--control-token must not be empty");
    let state = error(MockServer::builder().state(json!({ "scmIntegrations": 3 }))).await;
    assert!(state.starts_with("state: "), "{state}");

    let taken = MockServer::start().await;
    let port = taken.address().port();
    let busy = error(MockServer::builder().bind("127.0.0.1", port)).await;
    assert!(
        busy.starts_with(&format!("cannot listen on 127.0.0.1:{port}: ")),
        "{busy}"
    );
}

/// A directory holding one scenario file, `NAME.yaml`, whose one rule does `action` to every
/// call.
fn scenario_dir(name: &str, action: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gitpod-mock-embed-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let yaml = format!("name: {name}\ndescription: every call waits\nrules:\n  - {action}\n");
    std::fs::write(dir.join(format!("{name}.yaml")), yaml).unwrap();
    dir
}
