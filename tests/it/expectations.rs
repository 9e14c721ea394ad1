//! Expectations that fail a CI job: `POST /__mock/verify` with `count`, `atLeast` or `atMost`
//! answers 412 with the actual count and the nearest calls when they do not hold, and
//! `GET /__mock/coverage?require=methods` answers 412 while a documented method was never called.

use crate::calls::{get_says, said, session};
use crate::support::{Client, TestServer};
use serde_json::{json, Value};

async fn verify(client: &Client, request: Value) -> (u16, Value) {
    let reply = client
        .request("POST /__mock/verify", &[], &request.to_string())
        .await;
    (reply.status, reply.json())
}

#[tokio::test]
async fn a_met_expectation_answers_200_and_an_unmet_one_412_with_the_count() {
    let server = TestServer::start().await;
    let client = server.client();
    get_says(&client, &[]).await;
    get_says(&client, &[]).await;
    let get = "GetSCMIntegration";
    #[rustfmt::skip]
    let cases = [
        (json!({"method": get, "expect": {"count": 2}}), 200),
        (json!({"method": get, "count": 2}), 200),
        (json!({"method": get, "expect": {"atLeast": 1, "atMost": 2}}), 200),
        (json!({"method": get, "at_least": 3}), 412),
        (json!({"method": get, "expect": {"count": 1}}), 412),
        (json!({"method": get, "atMost": 1}), 412),
        (json!({"method": "Delete*", "expect": {"count": 0}}), 200),
        (json!({"method": "Delete*", "expect": {"atLeast": 1}}), 412),
    ];
    for (request, status) in cases {
        let (got, body) = verify(&client, request.clone()).await;
        assert_eq!(got, status, "{request}: {body}");
        assert_eq!(body["met"], status == 200, "{request}");
        let count = if request["method"] == get { 2 } else { 0 };
        assert_eq!(body["count"], count, "{request}");
    }
    let (_, body) = verify(&client, json!({"method": get, "expect": {"count": 1}})).await;
    assert_eq!(body["code"], "failed_precondition");
    assert_eq!(
        body["message"],
        "expected exactly 1 matching call in session \"default\", got 2"
    );
    assert_eq!(body["expect"], json!({"count": 1}));
    assert_eq!(
        body["seqs"],
        json!([1, 2]),
        "too many: the calls that matched"
    );
    // Without an expectation verify only counts, as before.
    let (status, body) = verify(&client, json!({"method": get})).await;
    assert_eq!((status, body.get("met")), (200, None));
}

#[tokio::test]
async fn an_unmet_expectation_lists_the_nearest_calls_that_did_not_match() {
    let server = TestServer::start().await;
    let client = server.client();
    let missing = json!({"id": "00000000-0000-4000-8000-000000000000"});
    client
        .rpc("GetSCMIntegration", &session("near"), missing)
        .await; // seq 1: not_found
    client
        .rpc("ListSCMIntegrations", &session("near"), json!({}))
        .await; // 2: other method, ok
    get_says(&client, &session("near")).await; // 3: ok
    let request = json!({
        "session": "near",
        "method": "GetSCMIntegration",
        "code": "unavailable",
        "expect": {"atLeast": 1},
    });
    let (status, body) = verify(&client, request).await;
    assert_eq!(status, 412, "{body}");
    let nearest: Vec<(Value, Value)> = body["nearest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["seq"].clone(), n["mismatched"].clone()))
        .collect();
    // Same method first, most recent first among equals; the other method last.
    assert_eq!(
        nearest,
        [
            (
                json!(3),
                json!(["code: wanted \"unavailable\", got \"ok\""])
            ),
            (
                json!(1),
                json!(["code: wanted \"unavailable\", got \"not_found\""])
            ),
            (
                json!(2),
                json!([
                    "method: wanted \"GetSCMIntegration\", got \"ListSCMIntegrations\"",
                    "code: wanted \"unavailable\", got \"ok\""
                ])
            ),
        ]
    );
}

#[tokio::test]
async fn curl_fail_sees_the_unmet_expectation() {
    // The way the README tells CI to use it: any 4xx makes `curl --fail` exit 22.
    let server = TestServer::start().await;
    let url = server.url("/__mock/verify");
    let status = move |expect: &str| {
        std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "--fail",
                "-X",
                "POST",
                &url,
                "-d",
                expect,
            ])
            .status()
            .expect("curl runs")
            .code()
    };
    let checks = tokio::task::spawn_blocking(move || {
        [
            status(r#"{"method": "GetSCMIntegration", "expect": {"count": 1}}"#),
            status(r#"{"method": "GetSCMIntegration", "expect": {"count": 0}}"#),
        ]
    });
    assert_eq!(checks.await.unwrap(), [Some(22), Some(0)]);
}

#[tokio::test]
async fn typos_and_contradictions_in_an_expectation_are_refused() {
    let server = TestServer::start().await;
    #[rustfmt::skip]
    let cases = [
        (json!({"method": "X", "expect": {"cuont": 1}}), "verify: unknown field `cuont`, expected one of `count`, `atLeast`, `at_least`, `atMost`, `at_most`"),
        (json!({"method": "X", "coutn": 1}), "verify: unknown field `coutn`, expected one of "),
        (json!({"expect": {"count": 1, "atLeast": 1}}), "verify: give count, or atLeast and/or atMost, not both"),
        (json!({"expect": {"atLeast": 3, "atMost": 1}}), "verify: atLeast (3) is more than atMost (1)"),
        (json!({"count": 1, "expect": {"count": 1}}), "verify: give the expectation once, in expect or beside the predicate"),
        (json!({"expect": {"count": -1}}), "verify: invalid value: integer `-1`, expected u64"),
    ];
    for (request, message) in cases {
        let (status, body) = verify(&server, request.clone()).await;
        assert_eq!(
            (status, &body["code"]),
            (400, &json!("invalid_argument")),
            "{request}"
        );
        let got = body["message"].as_str().unwrap();
        assert!(got.starts_with(message), "{request}: {got}");
    }
}

#[tokio::test]
async fn coverage_can_require_every_documented_method() {
    let server = TestServer::start().await;
    let client = server.client();
    let require = "GET /__mock/coverage?session=all&require=methods";
    let reply = client.request(require, &[], "").await;
    assert_eq!(reply.status, 412);
    let body = reply.json();
    assert_eq!(body["code"], "failed_precondition");
    let documented = gitpod_mock::service::METHODS;
    let n = documented.len();
    assert_eq!(body["methodsNotCalled"].as_array().unwrap().len(), n);
    let message = body["message"].as_str().unwrap();
    let start = format!("{n} of {n} documented methods were never called in session \"all\": ");
    assert!(message.starts_with(&start), "{message}");
    for name in documented.iter().map(|m| m.name) {
        // Every call may fail validation: coverage counts that it was called.
        client.rpc(name, &session("all"), json!({})).await;
    }
    let reply = client.request(require, &[], "").await;
    assert_eq!(
        (reply.status, &reply.json()["methodsNotCalled"]),
        (200, &json!([]))
    );
    let plain = client
        .request("GET /__mock/coverage?session=other", &[], "")
        .await;
    assert_eq!(plain.status, 200, "without require coverage only reports");
    for (query, message) in [
        ("require=codes", "400 invalid_argument: unknown coverage requirement \"codes\": use require=methods (every documented method was called)"),
        ("requires=methods", "400 invalid_argument: unknown coverage parameter \"requires\": use session or require"),
    ] {
        let reply = client.request(&format!("GET /__mock/coverage?{query}"), &[], "").await;
        assert_eq!(said(&reply), message);
    }
}
