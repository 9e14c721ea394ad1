//! Every documented example of the API reference, against the default fixtures: one reviewed
//! snapshot of status and body per example, and each body checked against the response schema.

use crate::support::{TestServer, EXAMPLE_ID, EXAMPLE_USER};
use gitpod_mock::contract::Contract;
use serde_json::{json, Value};

/// (snapshot name, method, request body) for each example in the API reference.
fn examples() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "validate_scm_integration",
            "ValidateRunnerConfiguration",
            json!({"runnerId": EXAMPLE_ID, "scmIntegration": {"id": "integration-id", "scmId": "github", "host": "github.com", "oauthClientId": "client_id", "oauthPlaintextClientSecret": "client_secret"}}),
        ),
        (
            "create_environment_class",
            "CreateEnvironmentClass",
            json!({"runnerId": EXAMPLE_ID, "displayName": "Large Instance", "description": "8 CPU, 16GB RAM", "configuration": [{"key": "cpu", "value": "8"}, {"key": "memory", "value": "16384"}]}),
        ),
        (
            "list_environment_classes",
            "ListEnvironmentClasses",
            json!({"pagination": {"pageSize": 20}}),
        ),
        (
            "list_enabled_environment_classes",
            "ListEnvironmentClasses",
            json!({"filter": {"enabled": true}, "pagination": {"pageSize": 20}}),
        ),
        (
            "get_environment_class",
            "GetEnvironmentClass",
            json!({"environmentClassId": EXAMPLE_ID}),
        ),
        (
            "update_environment_class",
            "UpdateEnvironmentClass",
            json!({"environmentClassId": EXAMPLE_ID, "displayName": "Updated Large Instance", "description": "16 CPU, 32GB RAM", "enabled": true}),
        ),
        (
            "create_host_authentication_token",
            "CreateHostAuthenticationToken",
            json!({"runnerId": EXAMPLE_ID, "userId": EXAMPLE_USER, "host": "github.com", "token": "gho_xxxxxxxxxxxx", "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH", "expiresAt": "2024-12-31T23:59:59Z", "refreshToken": "ghr_xxxxxxxxxxxx"}),
        ),
        (
            "delete_host_authentication_token",
            "DeleteHostAuthenticationToken",
            json!({"id": EXAMPLE_ID}),
        ),
        (
            "list_host_authentication_tokens",
            "ListHostAuthenticationTokens",
            json!({"pagination": {"pageSize": 20}}),
        ),
        (
            "list_host_authentication_tokens_by_runner",
            "ListHostAuthenticationTokens",
            json!({"filter": {"runnerId": EXAMPLE_ID}, "pagination": {"pageSize": 20}}),
        ),
        (
            "get_host_authentication_token",
            "GetHostAuthenticationToken",
            json!({"id": EXAMPLE_ID}),
        ),
        (
            "update_host_authentication_token",
            "UpdateHostAuthenticationToken",
            json!({"id": EXAMPLE_ID, "token": "gho_xxxxxxxxxxxx", "expiresAt": "2024-12-31T23:59:59Z", "refreshToken": "ghr_xxxxxxxxxxxx"}),
        ),
        (
            "get_runner_configuration_schema",
            "GetRunnerConfigurationSchema",
            json!({"runnerId": EXAMPLE_ID}),
        ),
        (
            "create_scm_integration",
            "CreateSCMIntegration",
            json!({"runnerId": EXAMPLE_ID, "scmId": "github", "host": "github.com", "oauthClientId": "client_id", "oauthPlaintextClientSecret": "client_secret"}),
        ),
        (
            "delete_scm_integration",
            "DeleteSCMIntegration",
            json!({"id": EXAMPLE_ID}),
        ),
        (
            "list_scm_integrations",
            "ListSCMIntegrations",
            json!({"filter": {"runnerIds": [EXAMPLE_ID]}, "pagination": {"pageSize": 20}}),
        ),
        (
            "get_scm_integration",
            "GetSCMIntegration",
            json!({"id": EXAMPLE_ID}),
        ),
        (
            "update_scm_integration",
            "UpdateSCMIntegration",
            json!({"id": EXAMPLE_ID, "oauthClientId": "new_client_id", "oauthPlaintextClientSecret": "new_client_secret"}),
        ),
    ]
}

#[tokio::test]
async fn every_documented_example_answers_as_snapshotted() {
    let contract = Contract::load();
    let mut methods = std::collections::BTreeSet::new();
    for (name, method, body) in examples() {
        // A fresh server per example, so deletes and updates do not leak into later examples.
        let server = TestServer::start().await;
        let reply = server.call(method, body).await;
        let response = reply.json();
        assert_eq!(reply.status, 200, "{name}: {response}");
        let procedure = contract.procedure(method).unwrap();
        let schema = contract.response_schema(&procedure.output);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let problems: Vec<String> = validator
            .iter_errors(&response)
            .map(|e| e.to_string())
            .collect();
        assert!(
            problems.is_empty(),
            "{name}: response breaks its schema: {problems:?}"
        );
        insta::with_settings!({ sort_maps => true, snapshot_suffix => name }, {
            insta::assert_json_snapshot!("example", json!({ "method": method, "status": reply.status, "body": response }));
        });
        methods.insert(method);
    }
    let documented = gitpod_mock::service::METHODS.len();
    assert_eq!(
        methods.len(),
        documented,
        "every documented method has an example"
    );
}

#[tokio::test]
async fn the_reference_response_shapes_use_the_same_field_names() {
    // The API reference's sample responses use camelCase names; each one the mock emits for
    // the same message must be a name the reference knows.
    let server = TestServer::start().await;
    let token = server
        .ok("GetHostAuthenticationToken", json!({"id": EXAMPLE_ID}))
        .await;
    let names: Vec<&str> = token["token"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for name in names {
        assert!(
            [
                "id",
                "expiresAt",
                "host",
                "integrationId",
                "runnerId",
                "scopes",
                "source",
                "subject",
                "userId"
            ]
            .contains(&name),
            "{name}"
        );
    }
}
