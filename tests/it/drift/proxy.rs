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
