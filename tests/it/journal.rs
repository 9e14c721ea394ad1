//! The journal and what reads it: the ring's bound, filters, redaction of secrets,
//! `POST /__mock/verify` and `GET /__mock/coverage`.

use crate::calls::{
    create_scm, entries, get_says, journal, said, serving, session, with_limits, GCP,
};
use crate::support::{request, TestServer, EXAMPLE_ID, EXAMPLE_USER};
use gitpod_mock::session::Limits;
use serde_json::{json, Value};

#[tokio::test]
async fn the_journal_is_a_bounded_ring_and_counts_what_it_dropped() {
    let server = TestServer::from(with_limits(Limits {
        journal_size: 3,
        ..Limits::default()
    }))
    .await;
    for _ in 0..5 {
        get_says(&server, &[]).await;
    }
    let journal = journal(&server, "").await;
    assert_eq!(entries(&journal, "seq"), [3, 4, 5], "the newest three");
    assert_eq!(journal["dropped"], 2);
}

#[tokio::test]
async fn the_journal_filters_by_method_code_status_scenario_and_limit() {
    let server = TestServer::start().await;
    let client = server.client();
    let missing = json!({ "id": "00000000-0000-4000-8000-000000000000" });
    client.rpc("GetSCMIntegration", &[], missing.clone()).await;
    get_says(&client, &[]).await;
    let expired = [("x-mock-scenario", "auth-expired")];
    client.rpc("ListSCMIntegrations", &expired, json!({})).await;
    client.rpc("GetHostAuthenticationToken", &[], missing).await;
    let (get, list, token) = (
        "GetSCMIntegration",
        "ListSCMIntegrations",
        "GetHostAuthenticationToken",
    );
    #[rustfmt::skip]
    let cases = [
        ("", vec![get, get, list, token]),
        ("?method=GetSCM*", vec![get, get]),
        ("?code=not_found", vec![get, token]),
        ("?status=401", vec![list]),
        ("?scenario=auth-expired", vec![list]),
        ("?method=Get*&code=ok", vec![get]),
        ("?limit=2", vec![list, token]),
    ];
    for (query, expected) in cases {
        assert_eq!(
            entries(&journal(&client, query).await, "method"),
            expected,
            "{query}"
        );
    }
    let entry = journal(&client, "?status=401").await["entries"][0].clone();
    let seen = ["session", "code", "scenario", "rule"].map(|k| entry[k].clone());
    assert_eq!(
        seen,
        [
            json!("default"),
            json!("unauthenticated"),
            json!("auth-expired"),
            json!(1)
        ]
    );
    for query in ["?status=four", "?limit=x", "?mehtod=Get*"] {
        let reply = client
            .request(&format!("GET /__mock/journal{query}"), &[], "")
            .await;
        let got = said(&reply);
        assert!(got.starts_with("400 invalid_argument: "), "{query}: {got}");
    }
}

#[tokio::test]
async fn secrets_never_reach_the_journal() {
    let server = TestServer::start().await;
    let client = server.client();
    #[rustfmt::skip]
    let calls = [
        ("CreateHostAuthenticationToken", json!({"runnerId": EXAMPLE_ID, "userId": EXAMPLE_USER, "host": "h.example.com", "token": "secret-token-1", "refresh_token": "secret-refresh-1"})),
        ("UpdateHostAuthenticationToken", json!({"id": EXAMPLE_ID, "token": "secret-token-2", "refreshToken": "secret-refresh-2"})),
        ("CreateSCMIntegration", json!({"runnerId": GCP, "scmId": "github", "host": "s.example.com", "oauthClientId": "c", "oauthPlaintextClientSecret": "secret-oauth-1"})),
        ("UpdateSCMIntegration", json!({"id": EXAMPLE_ID, "oauthClientId": "c", "oauthPlaintextClientSecret": "secret-oauth-2"})),
        // Refused by validation, and still redacted.
        ("UpdateSCMIntegration", json!({"id": "nope", "oauthPlaintextClientSecret": "secret-oauth-3"})),
    ];
    let bearer = [("authorization", "Bearer secret-bearer")];
    for (method, body) in calls {
        client.rpc(method, &bearer, body).await;
    }
    let journal = client.request("GET /__mock/journal", &[], "").await;
    let text = String::from_utf8_lossy(&journal.body);
    assert!(!text.contains("secret-"), "{text}");
    let requests = entries(&journal.json(), "request");
    assert_eq!(requests.len(), 5);
    let redacted = |r: &Value, k: &str| r[k] == "[REDACTED]";
    assert!(redacted(&requests[0], "token") && redacted(&requests[0], "refreshToken"));
    assert!(redacted(&requests[1], "token") && redacted(&requests[1], "refreshToken"));
    let oauth = requests[2..]
        .iter()
        .all(|r| redacted(r, "oauthPlaintextClientSecret"));
    assert!(oauth, "{requests:?}");
    assert_eq!(
        requests[2]["host"], "s.example.com",
        "other fields stay readable"
    );
}

#[tokio::test]
async fn verify_counts_the_calls_that_match_a_predicate() {
    let server = TestServer::start().await;
    let client = server.client();
    for attempt in ["0", "1"] {
        let headers = [
            ("x-mock-scenario", "flaky"),
            ("x-stainless-retry-count", attempt),
        ];
        client.rpc("ListSCMIntegrations", &headers, json!({})).await;
    }
    get_says(&client, &session("other")).await;
    create_scm(&client, "default", "v.example.com").await;
    #[rustfmt::skip]
    let cases = [
        (json!({}), 3),
        (json!({"method": "List*"}), 2),
        (json!({"code": "unavailable", "scenario": "flaky"}), 1),
        (json!({"status": 200}), 2),
        (json!({"headers": {"x-stainless-retry-count": 1}}), 1),
        (json!({"method": "CreateSCMIntegration", "body": {"host": "v.example.com"}}), 1),
        (json!({"body": {"host": "elsewhere"}}), 0),
        (json!({"session": "other"}), 1),
    ];
    for (predicate, count) in cases {
        let reply = client
            .request("POST /__mock/verify", &[], &predicate.to_string())
            .await;
        assert_eq!(reply.json()["count"], count, "{predicate}");
    }
    for bad in [json!({"mehtod": "List*"}), json!({"status": "503"})] {
        let reply = client
            .request("POST /__mock/verify", &[], &bad.to_string())
            .await;
        let got = said(&reply);
        assert!(got.starts_with("400 invalid_argument: verify: "), "{got}");
    }
}

#[tokio::test]
async fn coverage_shows_what_each_session_exercised() {
    let server = TestServer::start().await;
    let client = server.client();
    get_says(&client, &session("cov")).await;
    let missing = json!({ "id": "00000000-0000-4000-8000-000000000000" });
    client
        .rpc("GetSCMIntegration", &session("cov"), missing)
        .await;
    let headers = [("x-mock-session", "cov"), ("x-mock-scenario", "flaky")];
    client.rpc("ListSCMIntegrations", &headers, json!({})).await;
    let coverage = |id: &'static str| async move {
        client
            .request(&format!("GET /__mock/coverage?session={id}"), &[], "")
            .await
            .json()
    };
    let cov = coverage("cov").await;
    assert_eq!(
        cov["methods"],
        json!({"GetSCMIntegration": 2, "ListSCMIntegrations": 1})
    );
    assert_eq!(
        cov["codes"],
        json!({"ok": 1, "not_found": 1, "unavailable": 1})
    );
    assert_eq!(cov["scenarios"], json!({"flaky": 1}));
    let not_called = cov["methodsNotCalled"].as_array().unwrap();
    let documented = gitpod_mock::service::METHODS.len();
    assert_eq!(not_called.len(), documented - 2);
    let list = [json!("GetSCMIntegration"), json!("DeleteSCMIntegration")];
    assert_eq!(list.map(|m| not_called.contains(&m)), [false, true]);
    let quiet = coverage("quiet").await;
    assert_eq!(quiet["methods"], json!({}));
    assert_eq!(
        quiet["methodsNotCalled"].as_array().unwrap().len(),
        documented
    );
}

#[tokio::test]
async fn page_tokens_stay_visible_while_secrets_stay_redacted() {
    let server = TestServer::start().await;
    let client = server.client();
    let first = json!({"pagination": {"pageSize": 1}});
    let page = client.rpc("ListSCMIntegrations", &[], first).await.json();
    let next = page["pagination"]["nextToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!next.is_empty(), "{page}");
    let second = json!({"pagination": {"pageSize": 1, "token": next}});
    client.rpc("ListSCMIntegrations", &[], second).await;
    let token = json!({"runnerId": EXAMPLE_ID, "userId": EXAMPLE_USER, "host": "p.example.com", "token": "secret-token", "refreshToken": "secret-refresh"});
    client
        .rpc("CreateHostAuthenticationToken", &[], token)
        .await;
    let requests = entries(&journal(&client, "").await, "request");
    assert_eq!(
        requests[1]["pagination"]["token"],
        json!(next),
        "which page was asked for"
    );
    let redacted = [&requests[2]["token"], &requests[2]["refreshToken"]];
    assert_eq!(redacted, [&json!("[REDACTED]"), &json!("[REDACTED]")]);
}

#[tokio::test]
async fn an_entry_keeps_at_most_64_kib_of_a_body_and_says_so() {
    let server = TestServer::start().await;
    let client = server.client();
    let big =
        json!({"runnerId": EXAMPLE_ID, "displayName": "n".repeat(1_000_000), "description": "big"});
    let reply = client.rpc("CreateEnvironmentClass", &[], big).await;
    assert_eq!(
        reply.code(),
        "invalid_argument",
        "refused, and journalled all the same"
    );
    get_says(&client, &[]).await;
    let journal = journal(&client, "").await;
    assert_eq!(entries(&journal, "truncated"), [json!(true), json!(false)]);
    let kept = &journal["entries"][0]["request"];
    assert_eq!(
        (&kept["runnerId"], &kept["description"]),
        (&json!(EXAMPLE_ID), &json!("big"))
    );
    let name = kept["displayName"].as_str().unwrap();
    assert!(
        name.len() < 64 * 1024 && name.starts_with("nnnn"),
        "{}",
        name.len()
    );
    assert!(kept.to_string().len() <= gitpod_mock::journal::BODY_CAP);
}

/// A contract of the user's own, whose secrets the mock knows only from the protos: a field
/// marked `debug_redact`, and one named like a secret.
const VAULT: &str = r#"syntax = "proto3";
package vault.v1;
message Login { string user = 1; string pin = 2 [debug_redact = true]; }
message OpenRequest { string name = 1; Login login = 2; string api_key = 3; }
message OpenResponse { string name = 1; }
service VaultService { rpc Open(OpenRequest) returns (OpenResponse); }
"#;

#[test]
fn secrets_of_any_contract_never_reach_the_journal() {
    let server = serving("vault", VAULT);
    let body = json!({"name": "front-door", "login": {"user": "ada", "pin": "secret-1"}, "apiKey": "secret-2"});
    let json = [("content-type", "application/json")];
    let open = request("POST /vault.v1.VaultService/Open", &json, body.to_string());
    assert_eq!(server.send(open).unwrap().reply.unwrap().status, 200);
    let journal = server
        .send(request("GET /__mock/journal", &[], String::new()))
        .unwrap();
    let text = String::from_utf8_lossy(&journal.reply.unwrap().body).into_owned();
    assert!(!text.contains("secret-"), "{text}");
    let journal: Value = serde_json::from_str(&text).unwrap();
    let kept = &entries(&journal, "request")[0];
    assert_eq!(
        kept,
        &json!({"name": "front-door", "login": {"user": "ada", "pin": "[REDACTED]"}, "apiKey": "[REDACTED]"})
    );
}

/// Two services with a method of one name.
const ZOO: &str = r#"syntax = "proto3";
package zoo.v1;
message ListRequest { string filter = 1; }
message ListResponse { repeated string names = 1; }
service AnimalService { rpc List(ListRequest) returns (ListResponse); }
service KeeperService {
  rpc List(ListRequest) returns (ListResponse);
  rpc Hire(ListRequest) returns (ListResponse);
}
"#;

#[test]
fn two_services_methods_of_one_name_are_verified_and_covered_apart() {
    let server = serving("zoo", ZOO);
    let json = [("content-type", "application/json")];
    let call = |path: &str| {
        let reply = server.send(request(&format!("POST {path}"), &json, "{}"));
        assert_eq!(reply.unwrap().reply.unwrap().status, 200, "{path}");
    };
    call("/zoo.v1.AnimalService/List");
    call("/zoo.v1.AnimalService/List");
    call("/zoo.v1.KeeperService/Hire");
    let get = |path: &str| -> Value {
        let reply = server.send(request(&format!("GET {path}"), &[], String::new()));
        serde_json::from_slice(&reply.unwrap().reply.unwrap().body).unwrap()
    };
    let coverage = get("/__mock/coverage");
    assert_eq!(
        coverage["methods"],
        json!({"Hire": 1, "zoo.v1.AnimalService/List": 2})
    );
    assert_eq!(
        coverage["methodsNotCalled"],
        json!(["zoo.v1.KeeperService/List"])
    );
    let verify = |body: Value| -> Value {
        let reply = server.send(request("POST /__mock/verify", &json, body.to_string()));
        serde_json::from_slice(&reply.unwrap().reply.unwrap().body).unwrap()
    };
    assert_eq!(verify(json!({"method": "List"}))["count"], 2);
    assert_eq!(
        verify(json!({"method": "zoo.v1.AnimalService/List"}))["count"],
        2
    );
    assert_eq!(
        verify(json!({"method": "zoo.v1.KeeperService/List"}))["count"],
        0
    );
    assert_eq!(
        verify(json!({"method": "zoo.v1.KeeperService/*"}))["count"],
        1
    );
    let filtered = get("/__mock/journal?method=zoo.v1.KeeperService/Hire");
    assert_eq!(entries(&filtered, "method"), [json!("Hire")]);
}
