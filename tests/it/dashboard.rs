//! The control-plane routes the dashboard reads and steers through: its embedded files, the
//! live feed, journal entries with their decoded answers, the Data view's record edits and
//! generated records, the scenario checker and rule summaries, and coverage by code.

mod data;
mod live;

use crate::calls::{journal, said, session};
use crate::support::{TestServer, EXAMPLE_ID};
use serde_json::{json, Value};

#[tokio::test]
async fn the_dashboard_is_served_from_the_binary_with_a_same_origin_policy() {
    let server = TestServer::start().await;
    let client = server.client();
    let bare = client.request("GET /__mock/ui", &[], "").await;
    assert_eq!((bare.status, bare.header("location")), (308, Some("ui/")));
    let page = client.request("GET /__mock/ui/", &[], "").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").unwrap_or_default();
    assert!(policy.starts_with("default-src 'self';"), "{policy}");
    assert!(page.text().contains("app.js"), "the page loads its script");
    for (file, kind) in [("app.js", "text/javascript"), ("app.css", "text/css")] {
        let reply = client
            .request(&format!("GET /__mock/ui/{file}"), &[], "")
            .await;
        assert_eq!(reply.status, 200, "{file}");
        assert!(reply.header("content-type").unwrap().starts_with(kind));
    }
    let missing = client.request("GET /__mock/ui/secret.txt", &[], "").await;
    assert_eq!(
        said(&missing),
        "404 not_found: the dashboard has no file /__mock/ui/secret.txt; open /__mock/ui/"
    );
    let posted = client.request("POST /__mock/ui/", &[], "").await;
    assert_eq!(
        (posted.status, posted.header("allow")),
        (405, Some("GET, HEAD"))
    );
}

#[tokio::test]
async fn a_journal_entry_shows_the_answer_decoded_even_when_the_wire_was_binary() {
    let server = TestServer::start().await;
    let client = server.client();
    // GetEnvironmentClassRequest.environment_class_id is field 2.
    let mut binary = vec![0x12, EXAMPLE_ID.len() as u8];
    binary.extend_from_slice(EXAMPLE_ID.as_bytes());
    let reply = client
        .rpc_as("GetEnvironmentClass", "application/proto", &[], &binary)
        .await;
    assert_eq!(reply.status, 200);
    let missing = json!({ "environmentClassId": "00000000-0000-4000-8000-000000000000" });
    client.call("GetEnvironmentClass", missing).await;
    let entries = journal(&client, "").await["entries"].clone();
    let (found, refused) = (&entries[0], &entries[1]);
    assert_eq!(found["protocol"], "connect+proto");
    assert_eq!(
        found["request"],
        json!({ "environmentClassId": EXAMPLE_ID })
    );
    assert_eq!(found["response"]["environmentClass"]["id"], EXAMPLE_ID);
    assert_eq!(
        found["response"]["environmentClass"]["displayName"],
        "Standard"
    );
    assert_eq!(refused["response"]["code"], "not_found");
    let one = journal(&client, &format!("?seq={}", refused["seq"])).await;
    assert_eq!(one["entries"].as_array().map(Vec::len), Some(1));
    assert_eq!(one["entries"][0]["seq"], refused["seq"]);
    let bad = client.request("GET /__mock/journal?seq=x", &[], "").await;
    assert_eq!(
        said(&bad),
        "400 invalid_argument: seq must be a number, got \"x\""
    );
}

#[tokio::test]
async fn the_scenario_checker_loads_nothing_and_rules_are_summarised() {
    let server = TestServer::start().await;
    let client = server.client();
    let check = |text: &'static str| async move {
        client
            .post("/__mock/scenarios/check", &[], text)
            .await
            .json()
    };
    let good = "name: dash-check\nrules:\n  - match: {method: ListSCMIntegrations}\n    when: {first: 2}\n    error: unavailable\n";
    assert_eq!(
        check(good).await,
        json!({ "ok": true, "name": "dash-check", "rules": 1 })
    );
    let bad = "name: broken\nrules:\n  - match: {method: Nope}\n    error: unavailable\n";
    assert_eq!(
        check(bad).await,
        json!({ "ok": false, "errors": ["broken.yaml: rule 1: match.method: \"Nope\" matches no method of the service"] })
    );
    let listed = client
        .request("GET /__mock/scenarios", &[], "")
        .await
        .json();
    let names: Vec<&Value> = listed["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert!(
        !names.contains(&&json!("dash-check")),
        "checking loads nothing: {names:?}"
    );
    client.post("/__mock/scenarios", &[], good).await;
    let listed = client
        .request("GET /__mock/scenarios", &[], "")
        .await
        .json();
    let flaky = listed["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "dash-check")
        .cloned()
        .unwrap();
    assert_eq!(flaky["source"], good, "the editor can load it back");
    assert_eq!(
        flaky["rules"][0]["summary"],
        "ListSCMIntegrations, when first: 2 → error unavailable"
    );
}

#[tokio::test]
async fn coverage_counts_each_method_by_code_and_lists_the_error_paths_not_taken() {
    let server = TestServer::start().await;
    let client = server.client();
    let s = session("cov");
    let id = |id: &str| json!({ "environmentClassId": id });
    client.rpc("GetEnvironmentClass", &s, id(EXAMPLE_ID)).await;
    client.rpc("GetEnvironmentClass", &s, id(EXAMPLE_ID)).await;
    client.rpc("GetEnvironmentClass", &s, id("x")).await;
    let coverage = client
        .request("GET /__mock/coverage?session=cov", &[], "")
        .await
        .json();
    assert_eq!(
        coverage["matrix"],
        json!({ "GetEnvironmentClass": { "ok": 2, "invalid_argument": 1 } })
    );
    let untaken: Vec<(String, String)> = coverage["errorPathsNotExercised"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["method"].as_str().unwrap().into(),
                p["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    let has = |m: &str, c: &str| untaken.contains(&(m.to_string(), c.to_string()));
    assert!(has("GetEnvironmentClass", "not_found"));
    assert!(!has("GetEnvironmentClass", "invalid_argument"), "taken");
    assert!(has("ListEnvironmentClasses", "invalid_argument"));
    assert!(
        !has("ListEnvironmentClasses", "not_found"),
        "a list names no record"
    );
    assert!(
        !has("ListEnvironmentClasses", "resource_exhausted"),
        "rate-limited is off"
    );
    // Switched on for the session, rate-limited scripts resource_exhausted for every method.
    let on = "POST /__mock/scenarios/rate-limited/activate?session=cov";
    client.request(on, &[], "").await;
    let coverage = client
        .request("GET /__mock/coverage?session=cov", &[], "")
        .await
        .json();
    let paths = coverage["errorPathsNotExercised"].as_array().unwrap();
    let wanted = json!({ "method": "ListEnvironmentClasses", "code": "resource_exhausted" });
    assert!(paths.contains(&wanted), "{paths:?}");
}
