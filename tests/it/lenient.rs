//! `serve --lenient`, the Prism stand-in for generated SDK tests: rule violations are reported
//! in `x-mock-violations` and the journal instead of refused, unknown ids answer a record
//! carrying the id, unknown page tokens the first page, conflicts are allowed; malformed
//! bodies stay errors, and the strict default is unchanged.

use crate::calls::{create_scm, entries, journal, said, GCP};
use crate::support::{mock, Reply, TestServer};
use serde_json::{json, Value};

const MISSING: &str = "00000000-0000-4000-8000-000000000000";

async fn lenient() -> TestServer {
    TestServer::from(mock().lenient(true)).await
}

/// The notes of a reply's `x-mock-violations` header, as `code: message` lines.
fn violations(reply: &Reply) -> Vec<String> {
    let Some(text) = reply.header("x-mock-violations") else {
        return Vec::new();
    };
    let notes: Vec<Value> = serde_json::from_str(text).expect("the header is a JSON array");
    notes
        .iter()
        .map(|n| {
            assert_eq!(n["severity"], "Error", "{n}");
            format!(
                "{}: {}",
                n["code"].as_str().unwrap(),
                n["message"].as_str().unwrap()
            )
        })
        .collect()
}

#[tokio::test]
async fn a_violation_is_reported_in_the_header_and_the_journal_and_the_call_answers() {
    let server = lenient().await;
    let body = json!({ "pagination": { "pageSize": 1000 } });
    let reply = server.call("ListEnvironmentClasses", body).await;
    assert_eq!(said(&reply), "200");
    let range =
        "int32.gte_lte: value must be greater than or equal to 0 and less than or equal to 100";
    assert_eq!(violations(&reply), [range]);
    let notes: Vec<Value> =
        serde_json::from_str(reply.header("x-mock-violations").unwrap()).unwrap();
    assert_eq!(
        notes[0]["location"],
        json!(["request", "body", "pagination", "page_size"])
    );
    let classes = reply.json()["environmentClasses"].as_array().unwrap().len();
    assert!(classes > 0, "the page is answered: {}", reply.text());

    let journal = journal(&server, "?method=ListEnvironmentClasses").await;
    assert_eq!(entries(&journal, "code"), ["ok"]);
    assert_eq!(entries(&journal, "violations"), [json!(notes)]);
    // A call that breaks nothing gets neither the header nor a journal note.
    let clean = server.call("ListEnvironmentClasses", json!({})).await;
    assert_eq!(clean.header("x-mock-violations"), None);
    let journal = journal_of(&server).await;
    assert!(
        journal["entries"][1].get("violations").is_none(),
        "{journal}"
    );
}

async fn journal_of(server: &TestServer) -> Value {
    journal(server, "?method=ListEnvironmentClasses").await
}

#[tokio::test]
async fn an_unknown_id_answers_a_fixture_shaped_record_carrying_it() {
    let server = lenient().await;
    let reply = server
        .call("GetSCMIntegration", json!({ "id": MISSING }))
        .await;
    assert_eq!(said(&reply), "200");
    let integration = &reply.json()["integration"];
    assert_eq!(integration["id"], MISSING);
    assert!(
        integration["host"].as_str().is_some_and(|h| !h.is_empty()),
        "{integration}"
    );
    assert!(integration["runnerId"].is_string(), "{integration}");
    assert_eq!(
        violations(&reply),
        [format!("not_found: SCM integration {MISSING} not found")]
    );
    // Nothing was stored: the stand-in is an answer, not a record.
    let strict = TestServer::start().await;
    let listed = |s: Value| s["integrations"].as_array().unwrap().len();
    let list = json!({ "runnerId": GCP });
    assert_eq!(
        listed(server.ok("ListSCMIntegrations", list.clone()).await),
        listed(strict.ok("ListSCMIntegrations", list).await)
    );
    // An update and a delete of an unknown record answer too.
    let update = json!({ "id": MISSING, "pat": false });
    let updated = server.call("UpdateSCMIntegration", update).await;
    assert_eq!(said(&updated), "200");
    let deleted = server
        .call("DeleteSCMIntegration", json!({ "id": MISSING }))
        .await;
    assert_eq!((said(&deleted), deleted.json()), ("200".into(), json!({})));
}

#[tokio::test]
async fn an_unknown_page_token_answers_the_first_page() {
    let server = lenient().await;
    let first = server.ok("ListEnvironmentClasses", json!({})).await;
    let body = json!({ "pagination": { "token": "token" } });
    let reply = server.call("ListEnvironmentClasses", body).await;
    assert_eq!(said(&reply), "200");
    assert_eq!(reply.json(), first);
    let notes = violations(&reply);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("invalid_argument: invalid pagination token \"token\""),
        "{notes:?}"
    );
}

#[tokio::test]
async fn a_conflict_is_allowed_and_reported() {
    let server = lenient().await;
    let client = server.client();
    assert_eq!(create_scm(&client, "a", "gitlab.example.com").await, "200");
    let body =
        json!({"runnerId": GCP, "scmId": "github", "host": "gitlab.example.com", "pat": true});
    let again = client
        .rpc("CreateSCMIntegration", &[("x-mock-session", "a")], body)
        .await;
    assert_eq!(said(&again), "200");
    let created = &again.json()["id"];
    assert!(
        created.as_str().is_some_and(|id| id.len() == 36),
        "{}",
        again.text()
    );
    let notes = violations(&again);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("already_exists: runner "), "{notes:?}");

    let strict = TestServer::start().await;
    let client = strict.client();
    assert_eq!(create_scm(&client, "a", "gitlab.example.com").await, "200");
    let twice = create_scm(&client, "a", "gitlab.example.com").await;
    assert!(twice.starts_with("409 already_exists: "), "{twice}");
}

#[tokio::test]
async fn both_members_of_a_oneof_keep_the_first_and_note_the_other() {
    let server = lenient().await;
    let scm = json!({
        "id": "github", "host": "github.com", "scmId": "github",
        "oauthClientId": "client_id",
        "oauthEncryptedClientSecret": "U3RhaW5sZXNzIHJvY2tz",
        "oauthPlaintextClientSecret": "s3cr3t-value",
    });
    let body = json!({ "runnerId": GCP, "scmIntegration": scm });
    let reply = server
        .call("ValidateRunnerConfiguration", body.clone())
        .await;
    assert_eq!(said(&reply), "200", "{}", reply.text());
    let dropped = violations(&reply);
    assert!(
        dropped
            .iter()
            .any(|n| n.starts_with("oneof.single: oneof oauth_client_secret sets ")),
        "{dropped:?}"
    );
    assert!(!reply
        .header("x-mock-violations")
        .unwrap()
        .contains("s3cr3t"));
    let strict = TestServer::start().await;
    let refused = said(&strict.call("ValidateRunnerConfiguration", body).await);
    assert!(refused.starts_with("400 invalid_argument: "), "{refused}");
}

#[tokio::test]
async fn malformed_json_and_wrong_content_types_are_still_errors() {
    let server = lenient().await;
    let client = server.client();
    let broken = client
        .rpc_as("ListEnvironmentClasses", "application/json", &[], "{")
        .await;
    broken.assert_code(400, "invalid_argument");
    assert_eq!(broken.header("x-mock-violations"), None);
    let typed = client
        .rpc_as("ListEnvironmentClasses", "text/plain", &[], "{}")
        .await;
    assert_eq!(typed.status, 415, "{}", typed.text());
    let wrong_type = json!({ "pagination": { "pageSize": "many" } });
    let refused = server.call("ListEnvironmentClasses", wrong_type).await;
    refused.assert_code(400, "invalid_argument");
}

#[tokio::test]
async fn the_strict_default_still_refuses_and_sends_no_violations_header() {
    let server = TestServer::start().await;
    let cases = [
        (
            "ListEnvironmentClasses",
            json!({ "pagination": { "pageSize": 1000 } }),
            "400 invalid_argument: ",
        ),
        (
            "ListEnvironmentClasses",
            json!({ "pagination": { "token": "token" } }),
            "400 invalid_argument: invalid pagination token",
        ),
        (
            "GetSCMIntegration",
            json!({ "id": MISSING }),
            "404 not_found: ",
        ),
    ];
    for (method, body, expected) in cases {
        let reply = server.call(method, body.clone()).await;
        assert!(
            said(&reply).starts_with(expected),
            "{method} {body}: {}",
            said(&reply)
        );
        assert_eq!(reply.header("x-mock-violations"), None);
    }
    let journal = journal(&server, "").await;
    assert!(journal["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e.get("violations").is_none()));
}

#[tokio::test]
async fn another_contracts_unknown_record_answers_a_sample_carrying_its_name() {
    let library = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/library/proto");
    let server = TestServer::from(mock().contract(library).lenient(true)).await;
    let get = crate::support::request(
        "POST /library.v1.LibraryService/GetShelf",
        &[("content-type", "application/json")],
        r#"{"name":"shelves/nope"}"#,
    );
    let reply = server.send(get).await;
    assert_eq!(said(&reply), "200");
    assert_eq!(reply.json()["name"], "shelves/nope");
    assert_eq!(
        violations(&reply),
        ["not_found: Shelf \"shelves/nope\" not found"]
    );
}
