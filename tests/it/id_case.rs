//! UUIDs are case-insensitive: every id a request names, in any case, finds the record it
//! names, and every answer shows ids in their canonical lower case.

use crate::support::{TestServer, EXAMPLE_ID, EXAMPLE_USER};
use serde_json::{json, Value};

fn upper(id: &str) -> String {
    id.to_ascii_uppercase()
}

fn ids(list: &Value) -> Vec<&str> {
    let rows = list.as_array().expect("a list");
    rows.iter().map(|r| r["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn gets_updates_and_deletes_find_records_by_upper_case_ids() {
    let server = TestServer::start().await;
    let class = server
        .ok(
            "GetEnvironmentClass",
            json!({"environmentClassId": upper(EXAMPLE_ID)}),
        )
        .await;
    assert_eq!(class["environmentClass"]["id"], EXAMPLE_ID);
    let body = json!({"environmentClassId": upper(EXAMPLE_ID), "displayName": "Renamed"});
    server.ok("UpdateEnvironmentClass", body).await;
    let class = server
        .ok(
            "GetEnvironmentClass",
            json!({"environmentClassId": EXAMPLE_ID}),
        )
        .await;
    assert_eq!(class["environmentClass"]["displayName"], "Renamed");

    for (get, key) in [
        ("GetSCMIntegration", "integration"),
        ("GetHostAuthenticationToken", "token"),
    ] {
        let reply = server.ok(get, json!({"id": upper(EXAMPLE_ID)})).await;
        assert_eq!(reply[key]["id"], EXAMPLE_ID, "{get}");
    }
    let schema = json!({"runnerId": upper(EXAMPLE_ID)});
    server.ok("GetRunnerConfigurationSchema", schema).await;

    for (delete, get) in [
        (
            "DeleteHostAuthenticationToken",
            "GetHostAuthenticationToken",
        ),
        ("DeleteSCMIntegration", "GetSCMIntegration"),
    ] {
        server.ok(delete, json!({"id": upper(EXAMPLE_ID)})).await;
        let gone = server.call(get, json!({"id": EXAMPLE_ID})).await;
        gone.assert_code(404, "not_found");
    }
}

async fn list(server: &TestServer, method: &str, filter: Value) -> Value {
    let body = json!({"filter": filter, "pagination": {"pageSize": 100}});
    server.ok(method, body).await
}

#[tokio::test]
async fn list_filters_match_ids_in_any_case() {
    let server = TestServer::start().await;
    #[rustfmt::skip]
    let cases = [
        ("ListEnvironmentClasses", "environmentClasses", "runnerIds", json!([EXAMPLE_ID])),
        ("ListSCMIntegrations", "integrations", "runnerIds", json!([EXAMPLE_ID])),
        ("ListHostAuthenticationTokens", "tokens", "runnerId", json!(EXAMPLE_ID)),
        ("ListHostAuthenticationTokens", "tokens", "userId", json!(EXAMPLE_USER)),
        ("ListHostAuthenticationTokens", "tokens", "subjectId", json!(EXAMPLE_USER)),
    ];
    for (method, rows, field, value) in cases {
        let expected = list(&server, method, json!({ field: value })).await;
        assert!(
            !ids(&expected[rows]).is_empty(),
            "{method}: the fixtures have matches"
        );
        let shouted: Value = serde_json::from_str(&value.to_string().to_ascii_uppercase()).unwrap();
        let got = list(&server, method, json!({ field: shouted })).await;
        assert_eq!(ids(&got[rows]), ids(&expected[rows]), "{method} by {field}");
    }
}

#[tokio::test]
async fn created_records_keep_and_show_lower_case_ids() {
    let server = TestServer::start().await;
    let body = json!({"runnerId": upper(EXAMPLE_ID), "displayName": "Upper", "description": "abc"});
    let created = server.ok("CreateEnvironmentClass", body).await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(id, id.to_ascii_lowercase());
    let class = server
        .ok(
            "GetEnvironmentClass",
            json!({"environmentClassId": upper(id)}),
        )
        .await;
    assert_eq!(class["environmentClass"]["runnerId"], EXAMPLE_ID);

    let body = json!({
        "runnerId": upper(EXAMPLE_ID), "host": "gitlab.com", "token": "t",
        "integrationId": upper(EXAMPLE_ID), "userId": upper(EXAMPLE_USER),
        "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT",
    });
    let token = &server.ok("CreateHostAuthenticationToken", body).await["token"];
    assert_eq!(
        [
            &token["runnerId"],
            &token["integrationId"],
            &token["userId"],
            &token["subject"]["id"]
        ],
        [EXAMPLE_ID, EXAMPLE_ID, EXAMPLE_USER, EXAMPLE_USER]
    );
}
