//! Tests of `secrets`: which fields of a contract hold secrets, and their redaction at any
//! depth, in lists and in maps, for the built-in contract and for one compiled from protos.

use super::{named_like_secret, Secrets};
use serde_json::json;

const VAULT: &str = r#"syntax = "proto3";
package vault.v1;

message FieldValue { string key = 1; string value = 2; }
message CreateSecretRequest { string name = 1; string value = 2; repeated FieldValue labels = 3; }
message Credential { string user = 1; string pin = 2 [debug_redact = true]; }
message Pagination { string token = 1; int32 page_size = 2; }
message Folder {
  string title = 1;
  repeated Credential credentials = 2;
  map<string, Credential> by_host = 3;
  Folder parent = 4;
  string client_secret = 5;
  string client_secret_id = 6;
  Pagination pagination = 7;
  map<string, string> notes = 8;
}
service VaultService { rpc CreateSecret(CreateSecretRequest) returns (Folder); }
"#;

/// The secrets of VAULT, compiled in a directory of its own for the test `name`.
fn vault(name: &str) -> Secrets {
    let pool = crate::contract::source::compile_text(&format!("secrets-{name}"), VAULT);
    Secrets::of(&pool)
}

#[test]
fn names_that_hold_secrets_and_names_that_only_point_at_them() {
    for (message, field) in [
        ("CreateHostAuthenticationTokenRequest", "token"),
        ("CreateHostAuthenticationTokenRequest", "refresh_token"),
        (
            "CreateSCMIntegrationRequest",
            "oauth_plaintext_client_secret",
        ),
        ("CreateLLMIntegrationRequest", "api_key"),
        ("MetricsConfiguration", "password"),
        ("IntegrationProprietaryAppConfig", "private_key"),
        ("CreateSecretRequest", "value"),
        ("GetSecretValueResponse", "value"),
    ] {
        assert!(named_like_secret(message, field), "{message}.{field}");
    }
    for (message, field) in [
        ("PaginationRequest", "token"),
        ("ListBooksRequest", "page_token"),
        ("ListBooksResponse", "next_page_token"),
        ("FieldValue", "value"),
        ("CrowdStrikeConfig", "cid_secret_id"),
        ("EnvironmentStatus.Secret", "secret_name"),
        ("IntegrationOAuthConfig", "token_url"),
        ("UsageEventInsertResult", "idempotency_key"),
    ] {
        assert!(!named_like_secret(message, field), "{message}.{field}");
    }
}

#[test]
fn the_built_in_contracts_secrets_are_redacted_and_its_page_tokens_are_not() {
    let secrets = Secrets::of(crate::contract::descriptors());
    let mut create = json!({"runnerId": "r", "host": "h", "token": "t-1", "refreshToken": "t-2"});
    secrets.redact(
        "gitpod.v1.CreateHostAuthenticationTokenRequest",
        &mut create,
    );
    assert_eq!(
        create,
        json!({"runnerId": "r", "host": "h", "token": "[REDACTED]", "refreshToken": "[REDACTED]"})
    );
    let mut list = json!({"pagination": {"token": "page-2", "pageSize": 5}});
    let before = list.clone();
    secrets.redact("gitpod.v1.ListHostAuthenticationTokensRequest", &mut list);
    assert_eq!(list, before);
    let mut scm = json!({"id": "i", "oauthPlaintextClientSecret": "s", "oauthClientId": "c"});
    secrets.redact("gitpod.v1.UpdateSCMIntegrationRequest", &mut scm);
    assert_eq!(
        scm,
        json!({"id": "i", "oauthPlaintextClientSecret": "[REDACTED]", "oauthClientId": "c"})
    );
}

#[test]
fn a_contracts_secrets_are_redacted_at_any_depth_in_lists_maps_and_recursion() {
    let secrets = vault("depth");
    let mut create =
        json!({"name": "db", "value": "hunter2", "labels": [{"key": "k", "value": "v"}]});
    secrets.redact("vault.v1.CreateSecretRequest", &mut create);
    assert_eq!(
        create,
        json!({"name": "db", "value": "[REDACTED]", "labels": [{"key": "k", "value": "v"}]})
    );
    let credential = json!({"user": "ada", "pin": "1234"});
    let mut folder = json!({
        "title": "t",
        "credentials": [credential],
        "byHost": {"example.com": credential},
        "parent": {"parent": {"clientSecret": "deep", "clientSecretId": "id-1"}},
        "pagination": {"token": "page-2"},
        "notes": {"pin": "not a secret: a map's keys are data"},
    });
    secrets.redact("vault.v1.Folder", &mut folder);
    let hidden = json!({"user": "ada", "pin": "[REDACTED]"});
    assert_eq!(folder["credentials"], json!([hidden]));
    assert_eq!(folder["byHost"]["example.com"], hidden);
    assert_eq!(
        folder["parent"]["parent"],
        json!({"clientSecret": "[REDACTED]", "clientSecretId": "id-1"})
    );
    assert_eq!(folder["pagination"]["token"], "page-2");
    assert_eq!(
        folder["notes"]["pin"],
        "not a secret: a map's keys are data"
    );
}

#[test]
fn a_message_without_secrets_is_left_alone() {
    let secrets = vault("none");
    let mut value = json!({"key": "k", "value": "v"});
    secrets.redact("vault.v1.FieldValue", &mut value);
    secrets.redact("vault.v1.Unknown", &mut value);
    assert_eq!(value, json!({"key": "k", "value": "v"}));
}

#[test]
fn stripping_removes_the_secrets_and_keeps_the_rest() {
    let secrets = vault("strip");
    assert!(secrets.holds("vault.v1.Folder") && !secrets.holds("vault.v1.FieldValue"));
    let mut folder = json!({
        "title": "t",
        "credentials": [{"user": "ada", "pin": "1234"}],
        "byHost": {"example.com": {"user": "bob", "pin": "5678"}},
        "clientSecret": "s",
        "clientSecretId": "id-1",
    });
    secrets.strip("vault.v1.Folder", &mut folder);
    assert_eq!(
        folder,
        json!({
            "title": "t",
            "credentials": [{"user": "ada"}],
            "byHost": {"example.com": {"user": "bob"}},
            "clientSecretId": "id-1",
        })
    );
}

#[test]
fn a_schema_fields_secret_flag_is_a_flag_not_a_secret() {
    let secrets = Secrets::of(crate::contract::descriptors());
    let mut field = json!({"id": "private_registry_token", "secret": true, "string": {}});
    let kept = field.clone();
    secrets.redact("gitpod.v1.RunnerConfigurationSchema.Field", &mut field);
    secrets.strip("gitpod.v1.RunnerConfigurationSchema.Field", &mut field);
    assert_eq!(field, kept);
}
