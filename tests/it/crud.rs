//! Round trips for environment classes, SCM integrations and host tokens: create, get, partial
//! update (proto3 `optional`: an absent field keeps its value), delete and the errors of each;
//! the list filters are in `filters`.

mod filters;

use crate::support::{fixture, TestServer, EXAMPLE_ID};
use gitpod_mock::store::is_uuid;
use serde_json::{json, Value};

const UNKNOWN_RUNNER: &str = "11111111-1111-4111-8111-111111111111";
const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";
const STAGING: &str = "7f3e0481-8f8f-4482-a5b9-f3875184a902";
const TFS: &str = "20816796-c299-47bd-9141-10a31243a2fe"; // an integration without OAuth

/// A fixture record as proto3 JSON writes it: fields at their default value are left out.
fn proto3(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| *v != false && *v != "" && *v != &json!([]))
                .map(|(k, v)| (k.clone(), proto3(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(proto3).collect()),
        other => other.clone(),
    }
}

fn rows(file: &str, list: &str) -> Vec<Value> {
    fixture(file)[list].as_array().unwrap().clone()
}

fn ids(list: &Value) -> Vec<String> {
    let rows = list.as_array().unwrap().iter();
    rows.map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn get_returns_every_fixture_record_exactly() {
    let server = TestServer::start().await;
    #[rustfmt::skip]
    let resources = [
        ("environment_classes.json", "environmentClasses", "GetEnvironmentClass", "environmentClassId", "environmentClass"),
        ("scm_integrations.json", "integrations", "GetSCMIntegration", "id", "integration"),
        ("host_authentication_tokens.json", "tokens", "GetHostAuthenticationToken", "id", "token"),
    ];
    for (file, list, method, key, field) in resources {
        for row in rows(file, list) {
            let got = server.ok(method, json!({ key: row["id"] })).await;
            assert_eq!(
                got,
                json!({ field: proto3(&row) }),
                "{method} {}",
                row["id"]
            );
        }
    }
}

/// One resource's methods and the name of its id in requests and of the record in answers.
struct Resource {
    get: &'static str,
    update: &'static str,
    key: &'static str,
    field: &'static str,
}

/// Applies each update in turn; after each, a get must return `expected` with the given JSON
/// pointers set (or removed, for `null`: proto3 JSON omits false and empty values).
async fn check_updates(
    server: &TestServer,
    r: &Resource,
    id: &str,
    expected: &mut Value,
    updates: Vec<(Value, Vec<(&str, Value)>)>,
) {
    let get = json!({ r.key: id });
    assert_eq!(
        server.ok(r.get, get.clone()).await[r.field],
        *expected,
        "as created"
    );
    for (update, changes) in updates {
        let mut body = update.clone();
        body[r.key] = json!(id);
        assert_eq!(server.ok(r.update, body).await, json!({}), "{update}");
        for (pointer, value) in changes {
            let (parent, name) = pointer.rsplit_once('/').unwrap();
            let parent = expected
                .pointer_mut(parent)
                .unwrap()
                .as_object_mut()
                .unwrap();
            match value {
                Value::Null => parent.remove(name),
                value => parent.insert(name.into(), value),
            };
        }
        assert_eq!(
            server.ok(r.get, get.clone()).await[r.field],
            *expected,
            "after {update}"
        );
    }
}

/// Every method naming a record that is gone answers not_found with its id.
async fn assert_gone(server: &TestServer, methods: &[&str], key: &str, id: &str, message: &str) {
    for method in methods {
        let reply = server.call(method, json!({ key: id })).await;
        reply.assert_error(404, "not_found", message);
    }
}

fn new_id(id: &Value, fixture_file: &str, list: &str) -> String {
    let id = id.as_str().unwrap().to_string();
    assert!(is_uuid(&id), "{id}");
    assert!(
        !ids(&fixture(fixture_file)[list]).contains(&id),
        "{id} is not fresh"
    );
    id
}

#[tokio::test]
async fn environment_classes_round_trip_and_update_only_what_is_given() {
    let server = TestServer::start().await;
    let configuration = json!([{"key": "cpu", "value": "2"}, {"key": "memory", "value": "4096"}]);
    let create = json!({"runnerId": GCP, "displayName": "Tiny", "description": "for tests", "configuration": configuration});
    let id = server.ok("CreateEnvironmentClass", create).await["id"].clone();
    let id = new_id(&id, "environment_classes.json", "environmentClasses");
    let mut expected = json!({"id": id, "runnerId": GCP, "displayName": "Tiny", "description": "for tests", "configuration": configuration, "enabled": true});
    let class = Resource {
        get: "GetEnvironmentClass",
        update: "UpdateEnvironmentClass",
        key: "environmentClassId",
        field: "environmentClass",
    };
    #[rustfmt::skip]
    let updates = vec![
        (json!({"enabled": false}), vec![("/enabled", Value::Null)]),
        (json!({"displayName": "Tiny 2"}), vec![("/displayName", json!("Tiny 2"))]),
        (json!({"description": "new words"}), vec![("/description", json!("new words"))]),
        (json!({"enabled": true, "displayName": "Tiny 3"}), vec![("/enabled", json!(true)), ("/displayName", json!("Tiny 3"))]),
        (json!({}), vec![]),
    ];
    check_updates(&server, &class, &id, &mut expected, updates).await;
    let missing = "22222222-2222-4222-8222-222222222222";
    let message = format!("environment class {missing} not found");
    assert_gone(
        &server,
        &["GetEnvironmentClass", "UpdateEnvironmentClass"],
        "environmentClassId",
        missing,
        &message,
    )
    .await;
}

#[tokio::test]
async fn scm_integrations_round_trip_update_and_delete() {
    let server = TestServer::start().await;
    let create = json!({"runnerId": GCP, "scmId": "azure-devops", "host": "dev.azure.com", "oauthClientId": "cid", "oauthPlaintextClientSecret": "shh-1234567890", "pat": true, "issuerUrl": "https://login.example.com", "virtualDirectory": "/tfs"});
    let id = server.ok("CreateSCMIntegration", create).await["id"].clone();
    let id = new_id(&id, "scm_integrations.json", "integrations");
    let stored = server.ok("GetSCMIntegration", json!({"id": id})).await["integration"].clone();
    let secret = stored["oauth"]["encryptedClientSecret"].clone();
    assert!(secret.as_str().is_some_and(|s| !s.is_empty()), "{stored}");
    let mut expected = json!({"id": id, "runnerId": GCP, "scmId": "azure-devops", "host": "dev.azure.com", "oauth": {"clientId": "cid", "encryptedClientSecret": secret, "issuerUrl": "https://login.example.com"}, "pat": true, "virtualDirectory": "/tfs"});
    let integration = Resource {
        get: "GetSCMIntegration",
        update: "UpdateSCMIntegration",
        key: "id",
        field: "integration",
    };
    #[rustfmt::skip]
    let updates = vec![
        (json!({"pat": false}), vec![("/pat", Value::Null)]),
        (json!({"issuerUrl": "https://other.example.com"}), vec![("/oauth/issuerUrl", json!("https://other.example.com"))]),
        (json!({"oauthClientId": "cid-2"}), vec![("/oauth/clientId", json!("cid-2"))]),
        (json!({"virtualDirectory": "/collection"}), vec![("/virtualDirectory", json!("/collection"))]),
        (json!({"virtualDirectory": ""}), vec![("/virtualDirectory", Value::Null)]),
        (json!({"pat": true}), vec![("/pat", json!(true))]),
    ];
    check_updates(&server, &integration, &id, &mut expected, updates).await;
    assert_eq!(
        server.ok("DeleteSCMIntegration", json!({"id": id})).await,
        json!({})
    );
    let methods = [
        "GetSCMIntegration",
        "DeleteSCMIntegration",
        "UpdateSCMIntegration",
    ];
    assert_gone(
        &server,
        &methods,
        "id",
        &id,
        &format!("SCM integration {id} not found"),
    )
    .await;
}

#[tokio::test]
async fn host_tokens_round_trip_update_and_delete() {
    let server = TestServer::start().await;
    let user = "33333333-3333-4333-8333-333333333333";
    let create = json!({"runnerId": STAGING, "userId": user, "host": "gitlab.example.com", "token": "glpat-1", "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT", "expiresAt": "2030-01-01T01:00:00+01:00", "scopes": ["api"]});
    let token = server.ok("CreateHostAuthenticationToken", create).await["token"].clone();
    let id = new_id(&token["id"], "host_authentication_tokens.json", "tokens");
    // The offset is normalised to UTC, and the deprecated userId fills the subject.
    let mut expected = json!({"id": id, "runnerId": STAGING, "userId": user, "host": "gitlab.example.com", "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT", "expiresAt": "2030-01-01T00:00:00Z", "scopes": ["api"], "subject": {"id": user, "principal": "PRINCIPAL_USER"}});
    assert_eq!(
        token, expected,
        "the create response carries the stored token"
    );
    let resource = Resource {
        get: "GetHostAuthenticationToken",
        update: "UpdateHostAuthenticationToken",
        key: "id",
        field: "token",
    };
    #[rustfmt::skip]
    let updates = vec![
        (json!({"token": "glpat-2"}), vec![]),
        (json!({"expiresAt": "2031-06-01T00:00:00Z"}), vec![("/expiresAt", json!("2031-06-01T00:00:00Z"))]),
        (json!({"scopes": ["read_api", "read_user"]}), vec![("/scopes", json!(["read_api", "read_user"]))]),
        // A repeated field has no presence: an empty list leaves the scopes as they are.
        (json!({"scopes": []}), vec![]),
    ];
    check_updates(&server, &resource, &id, &mut expected, updates).await;
    assert_eq!(
        server
            .ok("DeleteHostAuthenticationToken", json!({"id": id}))
            .await,
        json!({})
    );
    let methods = [
        "GetHostAuthenticationToken",
        "DeleteHostAuthenticationToken",
        "UpdateHostAuthenticationToken",
    ];
    assert_gone(
        &server,
        &methods,
        "id",
        &id,
        &format!("host authentication token {id} not found"),
    )
    .await;
}

#[tokio::test]
async fn handler_errors_have_their_codes_and_messages() {
    let server = TestServer::start().await;
    let no_runner = format!("runner {UNKNOWN_RUNNER} not found");
    let missing = "44444444-4444-4444-8444-444444444444";
    #[rustfmt::skip]
    let cases = [
        ("CreateEnvironmentClass", json!({"runnerId": UNKNOWN_RUNNER, "displayName": "abc", "description": "abc"}), 404, "not_found", no_runner.clone()),
        ("CreateSCMIntegration", json!({"runnerId": UNKNOWN_RUNNER, "scmId": "github", "host": "github.com"}), 404, "not_found", no_runner.clone()),
        ("CreateHostAuthenticationToken", json!({"runnerId": UNKNOWN_RUNNER, "host": "h", "token": "t"}), 404, "not_found", no_runner.clone()),
        ("GetRunnerConfigurationSchema", json!({"runnerId": UNKNOWN_RUNNER}), 404, "not_found", no_runner.clone()),
        ("CreateHostAuthenticationToken", json!({"runnerId": EXAMPLE_ID, "host": "h", "token": "t", "integrationId": missing}), 404, "not_found", format!("SCM integration {missing} not found")),
        ("CreateSCMIntegration", json!({"runnerId": EXAMPLE_ID, "scmId": "gitlab", "host": "gitlab.com", "pat": true}), 409, "already_exists", format!("runner {EXAMPLE_ID} already has an SCM integration for host gitlab.com")),
        ("CreateSCMIntegration", json!({"runnerId": GCP, "scmId": "bitbucket", "host": "bitbucket.org"}), 400, "invalid_argument", format!("scm_id \"bitbucket\" is not supported by runner {GCP}: supported are github, gitlab, azure-devops")),
        ("CreateSCMIntegration", json!({"runnerId": GCP, "scmId": "github", "host": ""}), 400, "invalid_argument", "host is required".into()),
        ("CreateSCMIntegration", json!({"runnerId": GCP, "scmId": "github", "host": "github.com", "oauthClientId": "cid"}), 400, "invalid_argument", "oauth_plaintext_client_secret is required when oauth_client_id is set".into()),
        ("UpdateSCMIntegration", json!({"id": TFS, "oauthClientId": "cid"}), 400, "invalid_argument", "oauth_plaintext_client_secret is required when oauth_client_id is set on an integration without OAuth".into()),
        ("UpdateSCMIntegration", json!({"id": TFS, "oauthPlaintextClientSecret": "s"}), 400, "invalid_argument", "oauth_client_id is required to set an OAuth client secret".into()),
        ("ValidateRunnerConfiguration", json!({"runnerId": EXAMPLE_ID}), 400, "invalid_argument", "config is required: set environment_class or scm_integration".into()),
    ];
    for (method, body, status, code, message) in cases {
        server
            .call(method, body)
            .await
            .assert_error(status, code, &message);
    }
    // None of the refused calls changed anything.
    let page = json!({"pagination": {"pageSize": 100}});
    let integrations = server.ok("ListSCMIntegrations", page).await["integrations"].clone();
    assert_eq!(
        integrations,
        proto3(&fixture("scm_integrations.json")["integrations"])
    );
}
