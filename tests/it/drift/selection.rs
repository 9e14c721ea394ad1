//! Which calls go to the upstream: `--shadow-methods` globs and the `--shadow-sample` share.

use super::{drift_report, DriftingUpstream, TIMEOUT};
use crate::support::{mock, TestServer, EXAMPLE_ID};
use gitpod_mock::UpstreamMode;
use serde_json::json;

#[tokio::test]
async fn only_the_methods_a_glob_matches_go_to_the_upstream() {
    let upstream = DriftingUpstream::start().await;
    let builder = mock()
        .upstream(upstream.url(), UpstreamMode::Shadow, TIMEOUT)
        .shadow_methods("List*")
        .shadow_methods("gitpod.v1.RunnerConfigurationService/GetSCM*");
    let server = TestServer::from(builder).await;
    let token = json!({ "id": EXAMPLE_ID });
    let drifted = [("x-drift", "unknown-field")];
    server
        .rpc("GetHostAuthenticationToken", &drifted, token)
        .await;
    assert_eq!(drift_report(&server).await["calls"], 0);
    let page = json!({ "pagination": { "pageSize": 1 } });
    server.rpc("ListEnvironmentClasses", &drifted, page).await;
    server
        .rpc("GetSCMIntegration", &drifted, json!({ "id": EXAMPLE_ID }))
        .await;
    let report = drift_report(&server).await;
    assert_eq!(report["calls"], 2, "{report:#}");
    let methods: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["method"].as_str().unwrap())
        .collect();
    assert_eq!(methods, ["GetSCMIntegration", "ListEnvironmentClasses"]);
}

#[tokio::test]
async fn a_sample_forwards_its_share_of_the_calls_evenly_spaced() {
    let upstream = DriftingUpstream::start().await;
    let builder = mock()
        .upstream(upstream.url(), UpstreamMode::Shadow, TIMEOUT)
        .shadow_sample(0.25);
    let server = TestServer::from(builder).await;
    for _ in 0..8 {
        let reply = server
            .call("GetHostAuthenticationToken", json!({ "id": EXAMPLE_ID }))
            .await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(drift_report(&server).await["calls"], 2);
}

#[tokio::test]
async fn a_sample_outside_0_to_1_or_a_selection_without_upstream_fails_at_start() {
    let builder = mock().upstream("http://127.0.0.1:9", UpstreamMode::Shadow, TIMEOUT);
    let error = builder.shadow_sample(1.5).start().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "--shadow-sample 1.5 must be between 0 and 1"
    );
    let error = mock().shadow_methods("Get*").start().await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "--shadow-methods and --shadow-sample need --upstream"
    );
}
