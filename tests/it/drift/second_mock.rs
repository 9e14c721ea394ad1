//! Shadowing a second gitpod-mock process with other data (generated records beside the
//! default ones) and a scenario (writes fail with permission_denied): the same request answered
//! with different codes is a finding, and a record both have is none.

use super::{described, drift_report, TIMEOUT};
use crate::serve_flags::Serving;
use crate::support::{mock, TestServer, EXAMPLE_ID};
use gitpod_mock::UpstreamMode;
use serde_json::{json, Value};

const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";

#[tokio::test]
async fn a_second_mock_with_other_data_and_a_scenario_drifts_by_code() {
    let args = [
        "--generate",
        "2",
        "--seed",
        "8",
        "--scenario",
        "permission-denied-writes",
        "--quiet",
    ];
    let upstream = Serving::start(&args);
    let url = format!("http://{}", upstream.1.addr);
    let server = TestServer::from(mock().upstream(url, UpstreamMode::Shadow, TIMEOUT)).await;
    let all = json!({ "pagination": { "pageSize": 100 } });
    let ids = |reply: Value| -> Vec<Value> {
        let classes = reply["environmentClasses"].as_array().unwrap();
        classes.iter().map(|c| c["id"].clone()).collect()
    };
    let theirs = ids(upstream
        .1
        .call("ListEnvironmentClasses", all.clone())
        .await
        .json());
    let ours = ids(server.call("ListEnvironmentClasses", all).await.json());
    let generated = theirs.iter().find(|id| !ours.contains(id)).unwrap();

    let token = server
        .call("GetHostAuthenticationToken", json!({ "id": EXAMPLE_ID }))
        .await;
    assert_eq!(token.status, 200, "{}", token.text());
    let class = json!({ "environmentClassId": generated });
    let reply = server.call("GetEnvironmentClass", class).await;
    assert_eq!(reply.status, 404, "the mock's own answer: {}", reply.text());
    let integration = json!({ "runnerId": GCP, "scmId": "github", "host": "h1.example.com" });
    let reply = server.call("CreateSCMIntegration", integration).await;
    assert_eq!(reply.status, 200, "the mock's own answer: {}", reply.text());

    let report = drift_report(&server).await;
    let found: Vec<[String; 4]> = described(&report, ["method", "kind", "upstream", "mock"])
        .into_iter()
        .filter(|[method, ..]| method != "ListEnvironmentClasses")
        .collect();
    assert_eq!(
        found,
        [
            [
                "CreateSCMIntegration",
                "code_differs",
                "code permission_denied",
                "code ok"
            ],
            [
                "GetEnvironmentClass",
                "code_differs",
                "code ok",
                "code not_found"
            ],
        ]
        .map(|row| row.map(String::from)),
        "{report:#}"
    );
}
