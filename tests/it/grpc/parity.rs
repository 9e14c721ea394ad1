//! Every protocol answers the same call the same: Connect (JSON and proto), gRPC (proto and
//! JSON) and gRPC-Web (proto, JSON and text), over HTTP/2 and HTTP/1.1. The same message, the same not_found, and the same validation error whose
//! `buf.validate.Violations` detail is the very bytes Connect sends.

use super::*;
use crate::protocol::proto_request;
use crate::support::{TestServer, EXAMPLE_ID};
use serde_json::json;

/// How a protocol frames a call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    Connect,
    Grpc,
    WebText,
}

/// A protocol and codec: its content type, framing, and whether it is JSON. Each runs over both
/// HTTP versions: gRPC's status trailers go out chunked on HTTP/1.1, as Go's server sends them
/// for connect-go.
struct Wire {
    content_type: &'static str,
    framing: Framing,
    json: bool,
}

#[rustfmt::skip]
const WIRES: [Wire; 10] = [
    Wire { content_type: "application/json", framing: Framing::Connect, json: true },
    Wire { content_type: "application/proto", framing: Framing::Connect, json: false },
    Wire { content_type: "application/grpc", framing: Framing::Grpc, json: false },
    Wire { content_type: "application/grpc+proto", framing: Framing::Grpc, json: false },
    Wire { content_type: "application/grpc+json", framing: Framing::Grpc, json: true },
    Wire { content_type: "application/grpc-web", framing: Framing::Grpc, json: false },
    Wire { content_type: "application/grpc-web+proto", framing: Framing::Grpc, json: false },
    Wire { content_type: "application/grpc-web+json", framing: Framing::Grpc, json: true },
    Wire { content_type: "application/grpc-web-text", framing: Framing::WebText, json: false },
    Wire { content_type: "application/grpc-web-text+proto", framing: Framing::WebText, json: false },
];

/// What a call came to, in terms every protocol shares.
#[derive(Debug, PartialEq)]
struct Outcome {
    code: String,
    message: String,
    /// Each detail's message name and bytes.
    details: Vec<(String, Vec<u8>)>,
    /// The response message, in proto3 JSON.
    response: Option<Value>,
}

/// Calls GetSCMIntegration with `id` over one wire and HTTP version.
async fn get_scm(server: &TestServer, wire: &Wire, version: Version, id: &str) -> Outcome {
    let method = "GetSCMIntegration";
    let request = json!({ "id": id });
    let message = match wire.json {
        true => request.to_string().into_bytes(),
        false => proto_request(method, request),
    };
    let body = match wire.framing {
        Framing::Connect => message,
        Framing::Grpc => envelope(0, &message),
        Framing::WebText => base64::engine::general_purpose::STANDARD
            .encode(envelope(0, &message))
            .into_bytes(),
    };
    let headers: &[(&str, &str)] = match wire.framing {
        Framing::Connect => &[("connect-protocol-version", "1")],
        _ => &[("x-grpc-web", "1")],
    };
    let request = grpc_request(method, wire.content_type, headers, body);
    let answer = send(server.addr, version, request).await;
    match wire.framing {
        Framing::Connect => connect_outcome(&answer, wire.json),
        Framing::Grpc | Framing::WebText => {
            // connect-go echoes the request's content type on every gRPC answer.
            assert_eq!(answer.header("content-type"), Some(wire.content_type));
            grpc_outcome(&answer, wire.json)
        }
    }
}

fn connect_outcome(answer: &Answer, json: bool) -> Outcome {
    if answer.status == 200 {
        let response = decoded("GetSCMIntegration", json, &answer.body);
        return ok(response);
    }
    let error: Value = serde_json::from_slice(&answer.body).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_string();
    let details = error["details"].as_array().cloned().unwrap_or_default();
    let details = details.iter().map(|d| {
        let engine = base64::engine::general_purpose::STANDARD_NO_PAD;
        let value = engine.decode(text(&d["value"]).trim_end_matches('='));
        (text(&d["type"]), value.unwrap())
    });
    Outcome {
        code: text(&error["code"]),
        message: text(&error["message"]),
        details: details.collect(),
        response: None,
    }
}

fn grpc_outcome(answer: &Answer, json: bool) -> Outcome {
    let status = answer.status();
    if status.code == 0 {
        assert_eq!(status.details, None);
        return ok(decoded("GetSCMIntegration", json, &answer.message()));
    }
    let details = status.details.clone().expect("grpc-status-details-bin");
    // The detailed status repeats the trailers' code and message.
    assert_eq!(
        (details.code as u32, details.message.as_str()),
        (status.code, status.message.as_str())
    );
    let details = details.details.into_iter().map(|any| {
        let name = any.type_url.strip_prefix("type.googleapis.com/").unwrap();
        (name.to_string(), any.value)
    });
    Outcome {
        code: status.name().to_string(),
        message: status.message,
        details: details.collect(),
        response: None,
    }
}

fn ok(response: Value) -> Outcome {
    Outcome {
        code: "ok".into(),
        message: String::new(),
        details: Vec::new(),
        response: Some(response),
    }
}

/// The outcome of the same call over every wire and version, checked equal to the first.
async fn everywhere(server: &TestServer, id: &str) -> Outcome {
    let first = get_scm(server, &WIRES[0], Version::Http1, id).await;
    for wire in &WIRES {
        for version in [Version::Http1, Version::H2c] {
            let outcome = get_scm(server, wire, version, id).await;
            assert_eq!(outcome, first, "{} over {version:?}", wire.content_type);
        }
    }
    first
}

#[tokio::test]
async fn every_protocol_reads_the_same_integration() {
    let server = TestServer::start().await;
    let outcome = everywhere(&server, EXAMPLE_ID).await;
    let response = outcome.response.unwrap();
    assert_eq!(response["integration"]["id"], EXAMPLE_ID);
}

#[tokio::test]
async fn every_protocol_answers_not_found_alike() {
    let server = TestServer::start().await;
    let id = "00000000-0000-4000-8000-000000000000";
    let outcome = everywhere(&server, id).await;
    let expected = format!("SCM integration {id} not found");
    assert_eq!(
        (outcome.code.as_str(), outcome.message),
        ("not_found", expected)
    );
    // On the gRPC wire that is status 5.
    let request = grpc_request("GetSCMIntegration", "application/grpc", &[], {
        envelope(0, &proto_request("GetSCMIntegration", json!({ "id": id })))
    });
    let answer = send(server.addr, Version::H2c, request).await;
    assert_eq!(answer.status().code, 5);
}

#[tokio::test]
async fn every_protocol_sends_the_same_violations() {
    let server = TestServer::start().await;
    let outcome = everywhere(&server, "not-a-uuid").await;
    assert_eq!(outcome.code, "invalid_argument");
    let names: Vec<&str> = outcome.details.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["buf.validate.Violations"], "{outcome:?}");
    assert!(!outcome.details[0].1.is_empty());
    let request = grpc_request("GetSCMIntegration", "application/grpc+json", &[], {
        envelope(0, br#"{"id": "not-a-uuid"}"#)
    });
    let answer = send(server.addr, Version::H2c, request).await;
    assert_eq!(answer.status().code, 3);
}
