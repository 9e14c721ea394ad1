//! The Data view's routes: record edits run as the resource's own API calls, with violations
//! named by record field, deletes where the API has them, and generated records within the
//! session's budget.

use crate::calls::{said, session};
use crate::support::{TestServer, EXAMPLE_ID};
use serde_json::{json, Value};

#[tokio::test]
async fn resources_list_each_resources_records_methods_and_editable_fields() {
    let server = TestServer::start().await;
    let listed = server
        .client()
        .request("GET /__mock/resources?session=d", &[], "")
        .await
        .json();
    let classes = listed["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "environment-classes")
        .cloned()
        .unwrap();
    assert_eq!(classes["key"], "environmentClasses");
    assert_eq!(
        classes["updates"],
        json!(["displayName", "description", "enabled"])
    );
    assert!(
        classes["methods"].get("delete").is_none(),
        "the API deletes no class"
    );
    let ids: Vec<&Value> = classes["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert!(ids.contains(&&json!(EXAMPLE_ID)));
    assert!(!listed["runners"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_edit_goes_through_the_api_and_a_broken_rule_is_named_at_its_field() {
    let server = TestServer::start().await;
    let client = server.client();
    let path = format!("PUT /__mock/records/environment-classes/{EXAMPLE_ID}?session=e");
    let edited = json!({ "displayName": "Edited here", "description": "From the dashboard" });
    let reply = client.request(&path, &[], edited.to_string()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let name = || async {
        let got = client
            .rpc(
                "GetEnvironmentClass",
                &session("e"),
                json!({ "environmentClassId": EXAMPLE_ID }),
            )
            .await
            .json();
        got["environmentClass"]["displayName"].clone()
    };
    assert_eq!(name().await, "Edited here");
    let broken = json!({ "displayName": "ab", "description": "Fine words" });
    let refused = client.request(&path, &[], broken.to_string()).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json()["violations"],
        json!([{ "field": "displayName", "message": "value length must be at least 3 characters", "rule": "string.min_len" }])
    );
    assert_eq!(
        name().await,
        "Edited here",
        "a refused edit changes nothing"
    );
    let journal = client
        .request(
            "GET /__mock/journal?session=e&method=UpdateEnvironmentClass",
            &[],
            "",
        )
        .await
        .json();
    let agents: Vec<&Value> = journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["headers"]["user-agent"])
        .collect();
    assert_eq!(
        agents,
        [&json!("gitpod-mock-dashboard"); 2],
        "edits are journaled calls"
    );
}

#[tokio::test]
async fn deletes_go_where_the_api_has_them_and_routes_name_their_mistakes() {
    let server = TestServer::start().await;
    let client = server.client();
    let state = client
        .request("GET /__mock/state?session=x", &[], "")
        .await
        .json();
    let token = state["hostTokens"][0]["id"].as_str().unwrap().to_string();
    let deleted = client
        .request(
            &format!("DELETE /__mock/records/host-tokens/{token}?session=x"),
            &[],
            "",
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    let gone = client
        .rpc(
            "GetHostAuthenticationToken",
            &session("x"),
            json!({ "id": token }),
        )
        .await;
    assert_eq!(gone.status, 404);
    let class = format!("DELETE /__mock/records/environment-classes/{EXAMPLE_ID}");
    assert_eq!(
        said(&client.request(&class, &[], "").await),
        "400 failed_precondition: the contract has no Delete method for environment-classes: its records cannot be deleted through the API"
    );
    let unknown = said(
        &client
            .request("POST /__mock/records/shelves", &[], "{}")
            .await,
    );
    assert!(
        unknown.starts_with("404 not_found: no resource \"shelves\": use one of"),
        "{unknown}"
    );
    let not_json = client
        .request("POST /__mock/records/host-tokens", &[], "[1]")
        .await;
    assert_eq!(
        said(&not_json),
        "400 invalid_argument: the body must be a record: a JSON object"
    );
}

#[tokio::test]
async fn generated_records_fill_a_resource_within_the_sessions_budget() {
    let server = TestServer::start().await;
    let client = server.client();
    let count = |state: &Value| state["hostTokens"].as_array().unwrap().len();
    let before = count(
        &client
            .request("GET /__mock/state?session=g", &[], "")
            .await
            .json(),
    );
    let reply = client
        .post(
            "/__mock/generate?session=g&resource=host-tokens&count=5",
            &[],
            "",
        )
        .await;
    assert_eq!(reply.json()["generated"], 5);
    let after = count(
        &client
            .request("GET /__mock/state?session=g", &[], "")
            .await
            .json(),
    );
    assert_eq!(after, before + 5);
    let sessions = client.request("GET /__mock/sessions", &[], "").await.json();
    let g = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "g")
        .cloned()
        .unwrap();
    assert_eq!(
        g["followsFiles"], false,
        "generated records are the session's own"
    );
    for (query, says) in [
        ("resource=host-tokens&count=0", "400 invalid_argument: count must be 1 to 1000, got 0"),
        ("resource=runners&count=1", "400 invalid_argument: cannot generate: \"runners\" is not a resource: use environment-classes, scm-integrations or host-tokens"),
        ("count=1", "400 invalid_argument: name the resource: ?resource=NAME"),
    ] {
        let reply = client.post(&format!("/__mock/generate?session=g&{query}"), &[], "").await;
        assert_eq!(said(&reply), says, "{query}");
    }
}
