//! The list filters of every resource, with expected results computed from the fixture files
//! themselves: each filter must select exactly the rows the fixtures say, some but not all.

use super::{ids, rows, EXAMPLE_ID, GCP, STAGING, UNKNOWN_RUNNER};
use crate::support::TestServer;
use serde_json::{json, Value};

/// Lists with `filter` and returns the ids, checking the list array is present.
async fn list_ids(server: &TestServer, method: &str, list: &str, filter: &Value) -> Vec<String> {
    let request = json!({"filter": filter, "pagination": {"pageSize": 100}});
    let body = server.ok(method, request).await;
    assert!(body[list].is_array(), "{method} {filter}: {body}");
    assert_eq!(body["pagination"], json!({}), "one page holds all");
    ids(&body[list])
}

/// A filter and the rows it must keep, judged from the fixture record (and its runner).
type Case = (Value, Box<dyn Fn(&Value, &Value) -> bool>);

/// Checks each filter selects exactly the fixture rows `keep` accepts, some but not all.
async fn check_filters(
    server: &TestServer,
    method: &str,
    file: &str,
    list: &str,
    cases: Vec<Case>,
) {
    let runners = rows("runners.json", "runners");
    let records = rows(file, list);
    for (filter, keep) in cases {
        let runner = |r: &Value| {
            runners
                .iter()
                .find(|x| x["id"] == r["runnerId"])
                .unwrap()
                .clone()
        };
        let expected: Vec<String> = records
            .iter()
            .filter(|r| keep(r, &runner(r)))
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        assert!(
            !expected.is_empty() && expected.len() < records.len(),
            "{filter} must select some"
        );
        assert_eq!(
            list_ids(server, method, list, &filter).await,
            expected,
            "{method} {filter}"
        );
    }
}

#[tokio::test]
async fn list_filters_follow_the_fixtures() {
    let server = TestServer::start().await;
    let (alice, bob) = (
        "f53d2330-3795-4c5d-a1f3-453121af9c60",
        "157e96f6-5371-48ee-b03e-9d627c95a736",
    );
    let robot = "07326f0a-5a17-4c5d-9ba4-e8279a7bff6c"; // a service account: the subject, no userId
    let can_create = |c: &Value, r: &Value| c["enabled"] == true && r["online"] == true;
    #[rustfmt::skip]
    let classes: Vec<Case> = vec![
        (json!({"runnerIds": [EXAMPLE_ID]}), Box::new(|c, _| c["runnerId"] == EXAMPLE_ID)),
        (json!({"runnerIds": [GCP, STAGING]}), Box::new(|c, _| c["runnerId"] == GCP || c["runnerId"] == STAGING)),
        (json!({"enabled": true}), Box::new(|c, _| c["enabled"] == true)),
        (json!({"enabled": false}), Box::new(|c, _| c["enabled"] != true)),
        (json!({"canCreateEnvironments": true}), Box::new(can_create)),
        (json!({"canCreateEnvironments": false}), Box::new(move |c, r| !can_create(c, r))),
        (json!({"runnerKinds": ["RUNNER_KIND_LOCAL_CONFIGURATION"]}), Box::new(|_, r| r["kind"] == "RUNNER_KIND_LOCAL_CONFIGURATION")),
        (json!({"runnerKinds": [2]}), Box::new(|_, r| r["kind"] == "RUNNER_KIND_REMOTE")),
        (json!({"runnerProviders": ["RUNNER_PROVIDER_GCP", "RUNNER_PROVIDER_MANAGED"]}), Box::new(|_, r| r["provider"] == "RUNNER_PROVIDER_GCP" || r["provider"] == "RUNNER_PROVIDER_MANAGED")),
        (json!({"runnerProviders": ["RUNNER_PROVIDER_AWS_EC2"], "enabled": true}), Box::new(|c, r| r["provider"] == "RUNNER_PROVIDER_AWS_EC2" && c["enabled"] == true)),
    ];
    check_filters(
        &server,
        "ListEnvironmentClasses",
        "environment_classes.json",
        "environmentClasses",
        classes,
    )
    .await;
    #[rustfmt::skip]
    let tokens: Vec<Case> = vec![
        (json!({"runnerId": EXAMPLE_ID}), Box::new(|t, _| t["runnerId"] == EXAMPLE_ID)),
        (json!({"userId": bob}), Box::new(move |t, _| t["userId"] == bob)),
        (json!({"subjectId": robot}), Box::new(move |t, _| t["subject"]["id"] == robot)),
        (json!({"subjectId": alice}), Box::new(move |t, _| t["subject"]["id"] == alice)),
        (json!({"runnerId": EXAMPLE_ID, "userId": bob}), Box::new(move |t, _| t["runnerId"] == EXAMPLE_ID && t["userId"] == bob)),
    ];
    check_filters(
        &server,
        "ListHostAuthenticationTokens",
        "host_authentication_tokens.json",
        "tokens",
        tokens,
    )
    .await;
    #[rustfmt::skip]
    let integrations: Vec<Case> = vec![
        (json!({"runnerIds": [EXAMPLE_ID]}), Box::new(|i, _| i["runnerId"] == EXAMPLE_ID)),
        (json!({"runnerIds": [STAGING, GCP]}), Box::new(|i, _| i["runnerId"] == STAGING || i["runnerId"] == GCP)),
    ];
    check_filters(
        &server,
        "ListSCMIntegrations",
        "scm_integrations.json",
        "integrations",
        integrations,
    )
    .await;
}

#[tokio::test]
async fn a_filter_naming_an_unknown_runner_matches_nothing() {
    let server = TestServer::start().await;
    let cases = [
        (
            "ListEnvironmentClasses",
            "environmentClasses",
            json!({"runnerIds": [UNKNOWN_RUNNER]}),
        ),
        (
            "ListSCMIntegrations",
            "integrations",
            json!({"runnerIds": [UNKNOWN_RUNNER]}),
        ),
        (
            "ListHostAuthenticationTokens",
            "tokens",
            json!({"runnerId": UNKNOWN_RUNNER}),
        ),
    ];
    for (method, list, filter) in cases {
        let body = server.ok(method, json!({"filter": filter})).await;
        assert_eq!(body, json!({ list: [], "pagination": {} }), "{method}");
    }
}
