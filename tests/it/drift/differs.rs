//! Differences in behaviour rather than shape: a request one side rejects as invalid and the
//! other accepts, and a list one side answers with a next page and the other without.

use super::{described, drift_report, DriftingUpstream, TIMEOUT};
use crate::support::{mock, TestServer, EXAMPLE_ID};
use gitpod_mock::UpstreamMode;
use serde_json::json;

#[tokio::test]
async fn validation_one_side_applies_and_a_next_page_one_side_answers_are_findings() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Shadow, TIMEOUT)).await;
    let rejects = [("x-drift", "rejects")];
    let get = json!({ "id": EXAMPLE_ID });
    let reply = server
        .rpc("GetHostAuthenticationToken", &rejects, get)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let next_page = [("x-drift", "next-page")];
    let list = json!({ "pagination": { "pageSize": 2 } });
    let reply = server
        .rpc("ListHostAuthenticationTokens", &next_page, list)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(
        reply.json()["pagination"]["nextToken"].is_string(),
        "the mock has a next page too"
    );
    let list_all = json!({ "pagination": { "pageSize": 100 } });
    server
        .rpc("ListHostAuthenticationTokens", &next_page, list_all)
        .await;
    let report = drift_report(&server).await;
    assert_eq!(
        described(&report, ["method", "path", "kind", "upstream", "mock"]),
        [
            [
                "GetHostAuthenticationToken",
                "",
                "validation_differs",
                "rejects the request as invalid_argument",
                "accepts the request",
            ]
            .map(String::from),
            [
                "ListHostAuthenticationTokens",
                "pagination.nextToken",
                "pagination_differs",
                "answers 9 records and a next page",
                "answers 9 records and no next page",
            ]
            .map(String::from),
        ],
        "{report:#}"
    );
}
