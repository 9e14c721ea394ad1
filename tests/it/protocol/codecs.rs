//! The binary codec against the JSON one: the same data answers the same, mismatched bodies
//! are invalid arguments, errors stay Connect JSON, and the LLM methods are unimplemented.

use super::*;
use crate::support::EXAMPLE_ID;
use serde_json::json;

/// Calls `method` with `body` in both codecs and returns the two answers as proto3 JSON.
async fn both(server: &TestServer, method: &str, body: Value) -> (Value, Value) {
    let json_reply = server
        .rpc_as(
            method,
            "application/json",
            &[],
            body.to_string().into_bytes(),
        )
        .await;
    assert_eq!(
        json_reply.status,
        200,
        "{method} json: {}",
        json_reply.text()
    );
    let proto_reply = server
        .rpc_as(
            method,
            "application/proto",
            &[("connect-protocol-version", "1")],
            proto_request(method, body),
        )
        .await;
    assert_eq!(
        proto_reply.status,
        200,
        "{method} proto: {}",
        proto_reply.text()
    );
    assert_eq!(
        proto_reply.header("content-type"),
        Some("application/proto")
    );
    (
        json_response(method, &json_reply.body),
        proto_response(method, &proto_reply.body),
    )
}

#[tokio::test]
async fn seeded_data_answers_the_same_in_both_codecs() {
    let server = TestServer::start().await;
    let reads = [
        ("GetSCMIntegration", json!({ "id": EXAMPLE_ID })),
        (
            "GetEnvironmentClass",
            json!({ "environmentClassId": EXAMPLE_ID }),
        ),
        ("GetHostAuthenticationToken", json!({ "id": EXAMPLE_ID })),
        (
            "GetRunnerConfigurationSchema",
            json!({ "runnerId": EXAMPLE_ID }),
        ),
        (
            "ListSCMIntegrations",
            json!({ "pagination": { "pageSize": 100 } }),
        ),
        (
            "ListEnvironmentClasses",
            json!({ "filter": { "enabled": true } }),
        ),
        (
            "ListHostAuthenticationTokens",
            json!({ "filter": { "runnerId": EXAMPLE_ID } }),
        ),
        (
            "ValidateRunnerConfiguration",
            json!({ "runnerId": EXAMPLE_ID, "environmentClass": { "displayName": "x", "configuration": [{ "key": "cpu", "value": "2" }] } }),
        ),
    ];
    for (method, body) in reads {
        let (from_json, from_proto) = both(&server, method, body).await;
        assert_eq!(from_json, from_proto, "{method}");
        assert_ne!(from_json, json!({}), "{method} answered something");
    }
}

#[tokio::test]
async fn data_stored_through_one_codec_reads_the_same_through_the_other() {
    let server = TestServer::start().await;
    let create = json!({ "runnerId": EXAMPLE_ID, "displayName": "Binary", "description": "made in proto", "configuration": [{ "key": "cpu", "value": "4" }, { "key": "memory", "value": "8192" }] });
    let reply = server
        .rpc_as(
            "CreateEnvironmentClass",
            "application/proto",
            &[],
            proto_request("CreateEnvironmentClass", create),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let id = proto_response("CreateEnvironmentClass", &reply.body)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (from_json, from_proto) = both(
        &server,
        "GetEnvironmentClass",
        json!({ "environmentClassId": id }),
    )
    .await;
    assert_eq!(from_json, from_proto);
    assert_eq!(from_json["environmentClass"]["displayName"], "Binary");
    assert_eq!(
        from_json["environmentClass"]["configuration"][1]["value"],
        "8192"
    );
    // Created in JSON with a timestamp and an enum, read in binary.
    let token = json!({ "runnerId": EXAMPLE_ID, "userId": "f53d2330-3795-4c5d-a1f3-453121af9c60", "host": "gitlab.example.com", "token": "glpat-secret", "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT", "expiresAt": "2030-01-02T03:04:05+02:00" });
    let created = server.ok("CreateHostAuthenticationToken", token).await;
    let id = created["token"]["id"].as_str().unwrap().to_string();
    let (from_json, from_proto) =
        both(&server, "GetHostAuthenticationToken", json!({ "id": id })).await;
    assert_eq!(from_json, from_proto);
    assert_eq!(from_proto["token"]["expiresAt"], "2030-01-02T01:04:05Z");
    assert_eq!(
        from_proto["token"]["source"],
        "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT"
    );
}

#[tokio::test]
async fn a_body_in_the_other_codec_is_an_invalid_argument() {
    let server = TestServer::start().await;
    let binary = proto_request("GetSCMIntegration", json!({ "id": EXAMPLE_ID }));
    let reply = server
        .rpc_as("GetSCMIntegration", "application/json", &[], binary)
        .await;
    assert_connect_error(
        &reply,
        400,
        "invalid_argument",
        "unmarshal into gitpod.v1.GetSCMIntegrationRequest",
    );
    for body in [
        json!({ "id": EXAMPLE_ID }).to_string(),
        "{}".to_string(),
        "[]".to_string(),
    ] {
        let reply = server
            .rpc_as(
                "GetSCMIntegration",
                "application/proto",
                &[],
                body.clone().into_bytes(),
            )
            .await;
        assert_connect_error(
            &reply,
            400,
            "invalid_argument",
            "unmarshal into gitpod.v1.GetSCMIntegrationRequest",
        );
    }
}

#[tokio::test]
async fn binary_calls_get_connect_json_errors() {
    let server = TestServer::start().await;
    let missing = "11111111-1111-4111-8111-111111111111";
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/proto",
            &[],
            proto_request("GetSCMIntegration", json!({ "id": missing })),
        )
        .await;
    assert_connect_error(&reply, 404, "not_found", missing);
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/proto",
            &[],
            proto_request("GetSCMIntegration", json!({ "id": "nope" })),
        )
        .await;
    assert_connect_error(
        &reply,
        400,
        "invalid_argument",
        "validation error: id: value must be a valid UUID",
    );
    assert_eq!(
        reply.json()["details"][0]["type"],
        "buf.validate.Violations"
    );
    // An empty binary body is a valid empty message, which then fails validation.
    let reply = server
        .rpc_as("GetSCMIntegration", "application/proto", &[], Vec::new())
        .await;
    assert_connect_error(&reply, 400, "invalid_argument", "validation error: id");
    // Garbage never crashes the server.
    for garbage in [
        vec![0xff; 7],
        vec![0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
        vec![0x08],
        b"\x7b\x7d".to_vec(),
    ] {
        let reply = server
            .rpc_as("ListSCMIntegrations", "application/proto", &[], garbage)
            .await;
        assert_connect_error(
            &reply,
            400,
            "invalid_argument",
            "unmarshal into gitpod.v1.ListSCMIntegrationsRequest",
        );
    }
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/proto",
            &[("connect-protocol-version", "2")],
            Vec::new(),
        )
        .await;
    assert_connect_error(
        &reply,
        400,
        "invalid_argument",
        "connect-protocol-version must be \"1\"",
    );
}

#[tokio::test]
async fn the_five_llm_methods_are_unimplemented_not_missing() {
    let server = TestServer::start().await;
    let llm: Vec<String> = contract()
        .procedures()
        .iter()
        .filter(|p| {
            !gitpod_mock::service::METHODS
                .iter()
                .any(|m| m.name == p.name)
        })
        .map(|p| p.name.clone())
        .collect();
    assert_eq!(llm, gitpod_mock::service::UNCOVERED, "{llm:?}");
    for method in &llm {
        assert!(method.contains("LLMIntegration"), "{method}");
        let expected = format!("gitpod-mock does not cover {method} yet");
        let reply = server
            .rpc_as(method, "application/json", &[], b"{}".to_vec())
            .await;
        assert_connect_error(&reply, 501, "unimplemented", &expected);
        let reply = server
            .rpc_as(method, "application/proto", &[], Vec::new())
            .await;
        assert_connect_error(&reply, 501, "unimplemented", &expected);
        let procedure = contract().procedure(method).unwrap();
        if !procedure.side_effects {
            let reply = get(&server, method, "connect=v1&encoding=json&message=%7B%7D").await;
            assert_connect_error(&reply, 501, "unimplemented", &expected);
        }
    }
    // An unknown method is a 404, unlike the LLM ones.
    let reply = server
        .rpc_as("GetLLMThing", "application/json", &[], b"{}".to_vec())
        .await;
    assert_eq!(reply.status, 404);
}
