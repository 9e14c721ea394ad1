//! Binary Connect calls (`application/proto`, what gitpod-sdk 1.x sends) are forwarded too,
//! and their answers compared as the JSON they decode to: a field number the contract lacks is
//! an unknown field, and a different code is one. A Connect GET is forwarded as well, its
//! query's message the finding's example request.

use super::{drift_report, findings, DriftingUpstream, TIMEOUT};
use crate::protocol::{proto_request, proto_response};
use crate::support::{mock, TestServer, EXAMPLE_ID};
use gitpod_mock::UpstreamMode;
use serde_json::json;

const METHOD: &str = "GetHostAuthenticationToken";

async fn binary_call(server: &TestServer, drift: &str) -> crate::support::Reply {
    let body = proto_request(METHOD, json!({ "id": EXAMPLE_ID }));
    let headers = [("x-drift", drift), ("authorization", "Bearer s3cret-token")];
    server
        .rpc_as(METHOD, "application/proto", &headers, body)
        .await
}

#[tokio::test]
async fn binary_calls_are_shadowed_and_their_drift_found_by_field_number() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Shadow, TIMEOUT)).await;
    for drift in ["none", "unknown-field", "unknown-field", "other-code"] {
        let reply = binary_call(&server, drift).await;
        assert_eq!(reply.status, 200, "{drift}: {}", reply.text());
        let token = proto_response(METHOD, &reply.body);
        assert_eq!(
            token["token"]["id"], EXAMPLE_ID,
            "the client got the mock's answer"
        );
    }
    let report = drift_report(&server).await;
    assert_eq!(report["calls"], 4, "{report:#}");
    assert_eq!(
        findings(&report),
        [
            ("".to_string(), "code_differs".to_string(), 1),
            ("#99".to_string(), "unknown_field".to_string(), 2),
        ],
        "{report:#}"
    );
    let finding = &report["findings"][1];
    assert_eq!(finding["exampleRequest"], json!({ "id": EXAMPLE_ID }));
    assert!(!report.to_string().contains("s3cret"));
    let seen = upstream.authorizations.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        4,
        "every binary call went upstream with its header"
    );
}

#[tokio::test]
async fn a_binary_proxied_call_gets_the_upstreams_bytes() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Proxy, TIMEOUT)).await;
    let reply = binary_call(&server, "unknown-field").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.headers["content-type"], "application/proto");
    assert!(
        reply.body.ends_with(&[0x98, 0x06, 0x01]),
        "the upstream's own bytes"
    );
    let report = drift_report(&server).await;
    assert_eq!(
        findings(&report),
        [("#99".to_string(), "unknown_field".to_string(), 1)]
    );
}

#[tokio::test]
async fn a_connect_get_is_shadowed_and_its_query_message_is_the_example() {
    let upstream = crate::serve_flags::Serving::start(&["--scenario", "not-found-everything"]);
    let url = format!("http://{}", upstream.1.addr);
    let server = TestServer::from(mock().upstream(url, UpstreamMode::Shadow, TIMEOUT)).await;
    let message = json!({ "pagination": { "pageSize": 2 } }).to_string();
    let query = format!(
        "connect=v1&encoding=json&message={}",
        crate::protocol::urlencode(message.as_bytes())
    );
    let reply = crate::protocol::get(&server.client(), "ListEnvironmentClasses", &query).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = drift_report(&server).await;
    let finding = &report["findings"][0];
    assert_eq!(finding["kind"], "code_differs", "{report:#}");
    assert_eq!(finding["upstream"], "code not_found", "{report:#}");
    assert_eq!(
        finding["exampleRequest"]["pagination"]["pageSize"], 2,
        "{report:#}"
    );
}
