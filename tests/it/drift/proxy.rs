//! Proxy mode: the client gets the upstream's answer, or a clear error when there is none, and
//! the mock's side of the call changes nothing.

use super::{drift_report, findings, DriftingUpstream, TIMEOUT};
use crate::support::{mock, TestServer, EXAMPLE_ID};
use gitpod_mock::UpstreamMode;
use serde_json::{json, Value};

#[tokio::test]
async fn in_proxy_mode_the_client_gets_the_upstreams_answer() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Proxy, TIMEOUT)).await;
    let headers = [("x-drift", "unknown-field")];
    let reply = server
        .rpc(
            "GetHostAuthenticationToken",
            &headers,
            json!({ "id": EXAMPLE_ID }),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json()["surpriseField"], 1);
    let headers = [("x-drift", "other-code")];
    let reply = server
        .rpc(
            "GetHostAuthenticationToken",
            &headers,
            json!({ "id": EXAMPLE_ID }),
        )
        .await;
    reply.assert_error(404, "not_found", "gone");
    let headers = [("x-drift", "hang")];
    let reply = server
        .rpc(
            "GetHostAuthenticationToken",
            &headers,
            json!({ "id": EXAMPLE_ID }),
        )
        .await;
    reply.assert_error(
        504,
        "deadline_exceeded",
        "gitpod-mock --proxy: the upstream did not answer within 1000 ms (--upstream-timeout-ms)",
    );
    // The journal shows each call as the client saw it, the upstream's code, and no header
    // that carries a credential.
    let journal = server.request("GET /__mock/journal", &[], "").await.json();
    let seen: Vec<(Value, Value, Value)> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["status"].clone(),
                e["code"].clone(),
                e["answeredBy"].clone(),
            )
        })
        .collect();
    let upstream = json!("upstream");
    assert_eq!(
        seen,
        [
            (json!(200), json!("ok"), upstream.clone()),
            (json!(404), json!("not_found"), upstream.clone()),
            (json!(504), json!("deadline_exceeded"), upstream),
        ],
        "{journal:#}"
    );
}

#[tokio::test]
async fn a_proxied_calls_journal_entry_keeps_no_credential() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Proxy, TIMEOUT)).await;
    let headers = [("authorization", "Bearer s3cret-token")];
    let body = json!({ "id": EXAMPLE_ID });
    let reply = server
        .rpc("GetHostAuthenticationToken", &headers, body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let journal = server.request("GET /__mock/journal", &[], "").await;
    assert_eq!(journal.json()["entries"][0]["answeredBy"], "upstream");
    assert!(!journal.text().contains("s3cret"), "{}", journal.text());
    assert_eq!(
        upstream.authorizations.lock().unwrap()[0],
        "Bearer s3cret-token"
    );
}

#[tokio::test]
async fn an_unreachable_upstream_is_a_clear_error_in_proxy_mode_and_a_finding() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let server = TestServer::from(mock().upstream(url, UpstreamMode::Proxy, TIMEOUT)).await;
    let reply = server
        .call("GetHostAuthenticationToken", json!({ "id": EXAMPLE_ID }))
        .await;
    let message = reply.assert_code(503, "unavailable");
    assert!(
        message.starts_with("gitpod-mock --proxy: the upstream could not be reached: "),
        "{message}"
    );
    let report = drift_report(&server).await;
    assert_eq!(
        findings(&report),
        [("".to_string(), "upstream_failure".to_string(), 1)]
    );
}

#[tokio::test]
async fn in_proxy_mode_the_mocks_side_of_a_call_changes_no_state() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Proxy, TIMEOUT)).await;
    let tokens = |state: &Value| state["hostTokens"].as_array().unwrap().len();
    let before = tokens(&server.state().await);
    let id = json!({ "id": EXAMPLE_ID });
    assert_eq!(
        server
            .call("DeleteHostAuthenticationToken", id.clone())
            .await
            .status,
        200
    );
    assert_eq!(tokens(&server.state().await), before);
    // The upstream's data did change: the token is gone there, and the mock still has it.
    let reply = server.call("GetHostAuthenticationToken", id).await;
    reply.assert_code(404, "not_found");
    let report = drift_report(&server).await;
    assert_eq!(
        findings(&report),
        [("".to_string(), "code_differs".to_string(), 1)],
        "{report:#}"
    );
}
