//! The mock's own headers as gRPC metadata: `x-mock-session` and `x-mock-scenario`, the
//! `authorization` that `--require-auth` wants, and what the control plane then shows of
//! gRPC calls (the journal's `protocol`, verify and coverage counts).

use super::*;
use crate::calls::{journal, GCP};
use crate::support::{mock, TestServer, EXAMPLE_ID};
use serde_json::json;

#[tokio::test]
async fn sessions_keep_grpc_callers_apart() {
    let server = TestServer::start().await;
    let create =
        json!({"runnerId": GCP, "scmId": "github", "host": "grpc.example.com", "pat": true});
    let session = |id| [("x-mock-session", id)];
    let created = call(
        server.addr,
        GRPC,
        "CreateSCMIntegration",
        &session("a"),
        create,
    )
    .await;
    assert_eq!(created.said(), "ok: ");
    let created = decoded("CreateSCMIntegration", false, &created.message());
    let id = created["id"].as_str().unwrap();
    let read = json!({ "id": id });
    for wire in [GRPC, GRPC_WEB] {
        let in_a = call(
            server.addr,
            wire,
            "GetSCMIntegration",
            &session("a"),
            read.clone(),
        )
        .await;
        assert_eq!(in_a.said(), "ok: ", "{wire:?}");
        let in_b = call(
            server.addr,
            wire,
            "GetSCMIntegration",
            &session("b"),
            read.clone(),
        )
        .await;
        let not_found = format!("not_found: SCM integration {id} not found");
        assert_eq!(in_b.said(), not_found, "{wire:?}");
    }
    // The default session never saw it either.
    let in_default = call(server.addr, GRPC, "GetSCMIntegration", &[], read).await;
    assert_eq!(in_default.status().code, 5);
}

#[tokio::test]
async fn a_scenario_named_in_metadata_applies_to_the_call() {
    let server = TestServer::start().await;
    let read = json!({ "id": EXAMPLE_ID });
    let scenario = [("x-mock-scenario", "not-found-everything")];
    for wire in [GRPC, GRPC_WEB] {
        let answer = call(
            server.addr,
            wire,
            "GetSCMIntegration",
            &scenario,
            read.clone(),
        )
        .await;
        let status = answer.status();
        assert_eq!(
            (status.code, status.message.as_str()),
            (5, "resource not found")
        );
        let plain = call(server.addr, wire, "GetSCMIntegration", &[], read.clone()).await;
        assert_eq!(plain.said(), "ok: ", "only the call that names it");
    }
    let unknown = [("x-mock-scenario", "no-such-scenario")];
    let answer = call(server.addr, GRPC, "GetSCMIntegration", &unknown, read).await;
    assert_eq!(answer.status().name(), "invalid_argument");
    assert!(answer.status().message.starts_with("x-mock-scenario: "));
}

#[tokio::test]
async fn require_auth_wants_a_bearer_token_in_metadata() {
    let server = TestServer::from(mock().require_auth()).await;
    let read = json!({ "id": EXAMPLE_ID });
    for wire in [GRPC, GRPC_WEB] {
        let answer = call(server.addr, wire, "GetSCMIntegration", &[], read.clone()).await;
        let status = answer.status();
        let expected = "missing credentials: send Authorization: Bearer <token>";
        assert_eq!((status.code, status.message.as_str()), (16, expected));
        let token = [("authorization", "Bearer any-token")];
        let answer = call(server.addr, wire, "GetSCMIntegration", &token, read.clone()).await;
        assert_eq!(answer.said(), "ok: ");
    }
}

#[tokio::test]
async fn the_journal_names_each_calls_protocol() {
    let server = TestServer::start().await;
    let read = json!({ "id": EXAMPLE_ID });
    let wires = [
        (GRPC, "grpc+proto"),
        (("application/grpc+json", Version::H2c), "grpc+json"),
        (GRPC_WEB, "grpc-web+proto"),
        (("application/grpc-web+json", Version::H2c), "grpc-web+json"),
    ];
    let session = [("x-mock-session", "j"), ("grpc-timeout", "5S")];
    for (wire, _) in wires {
        let answer = call(
            server.addr,
            wire,
            "GetSCMIntegration",
            &session,
            read.clone(),
        )
        .await;
        assert_eq!(answer.said(), "ok: ");
    }
    let journal = journal(&server, "?session=j").await;
    let entries = journal["entries"].as_array().unwrap();
    let seen: Vec<(&str, &str, &Value)> = entries
        .iter()
        .map(|e| {
            let text = |k: &str| e[k].as_str().unwrap();
            (text("protocol"), text("code"), &e["request"])
        })
        .collect();
    let expected: Vec<(&str, &str, &Value)> =
        wires.iter().map(|(_, p)| (*p, "ok", &read)).collect();
    assert_eq!(seen, expected);
    assert_eq!(entries[0]["headers"]["content-type"], "application/grpc");
    assert_eq!(
        entries[0]["headers"]["grpc-timeout"], "5S",
        "the deadline, as Connect's is kept"
    );
}

#[tokio::test]
async fn verify_and_coverage_count_grpc_calls_like_connect_ones() {
    let server = TestServer::start().await;
    let session = [("x-mock-session", "v")];
    let read = json!({ "id": EXAMPLE_ID });
    let missing = json!({ "id": "00000000-0000-4000-8000-000000000000" });
    assert_eq!(
        server
            .rpc("GetSCMIntegration", &session, read.clone())
            .await
            .status,
        200
    );
    call(
        server.addr,
        GRPC,
        "GetSCMIntegration",
        &session,
        read.clone(),
    )
    .await;
    call(server.addr, GRPC_WEB, "GetSCMIntegration", &session, read).await;
    call(server.addr, GRPC, "GetSCMIntegration", &session, missing).await;
    let verify = |expect: Value| {
        let request = json!({"session": "v", "method": "GetSCMIntegration", "expect": expect});
        server.request("POST /__mock/verify", &[], request.to_string())
    };
    let reply = verify(json!({"count": 4})).await;
    assert_eq!((reply.status, &reply.json()["count"]), (200, &json!(4)));
    let request = json!({"session": "v", "method": "GetSCMIntegration", "code": "not_found"});
    let reply = server
        .request("POST /__mock/verify", &[], request.to_string())
        .await;
    assert_eq!(reply.json()["count"], 1, "{}", reply.text());
    let coverage = server
        .request("GET /__mock/coverage?session=v", &[], "")
        .await
        .json();
    assert_eq!(coverage["methods"], json!({"GetSCMIntegration": 4}));
    assert_eq!(coverage["codes"], json!({"ok": 3, "not_found": 1}));
}
