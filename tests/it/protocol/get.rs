//! Connect GET: JSON and binary messages, base64, any parameter order, unknown parameters,
//! and the methods with side effects refused with 405.

use super::*;
use crate::support::EXAMPLE_ID;
use serde_json::json;

#[tokio::test]
async fn a_json_get_answers_like_the_post() {
    let server = TestServer::start().await;
    let body = json!({ "id": EXAMPLE_ID });
    let posted = server.ok("GetSCMIntegration", body.clone()).await;
    let query = format!(
        "connect=v1&encoding=json&message={}",
        urlencode(body.to_string().as_bytes())
    );
    let reply = get(&server, "GetSCMIntegration", &query).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json"));
    assert_eq!(reply.json(), posted);
    assert_eq!(reply.json()["integration"]["id"], EXAMPLE_ID);
}

#[tokio::test]
async fn a_proto_get_in_any_parameter_order_with_unknown_parameters() {
    let server = TestServer::start().await;
    let message = base64url(&proto_request(
        "GetSCMIntegration",
        json!({ "id": EXAMPLE_ID }),
    ));
    let expected = server
        .ok("GetSCMIntegration", json!({ "id": EXAMPLE_ID }))
        .await;
    for query in [
        format!("connect=v1&encoding=proto&base64=1&message={message}"),
        format!("message={message}&base64=1&encoding=proto&connect=v1"),
        format!(
            "_=1700000000&base64=1&message={message}&x-trace=abc&encoding=proto&connect=v1&flag"
        ),
    ] {
        let reply = get(&server, "GetSCMIntegration", &query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        assert_eq!(reply.header("content-type"), Some("application/proto"));
        assert_eq!(
            proto_response("GetSCMIntegration", &reply.body),
            json_response("GetSCMIntegration", expected.to_string().as_bytes()),
            "{query}"
        );
    }
}

#[tokio::test]
async fn json_messages_may_be_base64_and_gzip_compressed() {
    let server = TestServer::start().await;
    let body = json!({ "pagination": { "pageSize": 2 } });
    let expected = server.ok("ListEnvironmentClasses", body.clone()).await;
    let plain = base64url(body.to_string().as_bytes());
    let packed = base64url(&gzip(body.to_string().as_bytes()));
    for query in [
        format!("connect=v1&encoding=json&base64=1&message={plain}"),
        format!("connect=v1&encoding=json&base64=1&compression=gzip&message={packed}"),
        format!("compression=identity&connect=v1&encoding=json&base64=1&message={plain}"),
    ] {
        let reply = get(&server, "ListEnvironmentClasses", &query).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.text());
        assert_eq!(reply.json(), expected, "{query}");
        assert_eq!(
            reply.json()["environmentClasses"].as_array().unwrap().len(),
            2
        );
    }
}

#[tokio::test]
async fn the_api_prefix_works_for_get_too() {
    let server = TestServer::start().await;
    let query = format!(
        "connect=v1&encoding=json&message={}",
        urlencode(json!({ "runnerId": EXAMPLE_ID }).to_string().as_bytes())
    );
    let path = format!("/api{SERVICE}/GetRunnerConfigurationSchema?{query}");
    let reply = server.request(&format!("GET {path}"), &[], "").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert!(reply.json()["schema"].is_object());
}

#[tokio::test]
async fn methods_with_side_effects_refuse_get_with_405_and_allow_post() {
    let server = TestServer::start().await;
    let query = format!("connect=v1&encoding=json&message={}", urlencode(b"{}"));
    for method in [
        "CreateSCMIntegration",
        "DeleteHostAuthenticationToken",
        "UpdateEnvironmentClass",
        "ValidateRunnerConfiguration",
    ] {
        let reply = get(&server, method, &query).await;
        assert_connect_error(&reply, 405, "unknown", ": use POST");
        assert_eq!(reply.header("allow"), Some("POST"), "{method}");
    }
    // A read refuses other HTTP methods but names both it accepts.
    let reply = server
        .request(&format!("PUT {SERVICE}/GetSCMIntegration"), &[], "")
        .await;
    assert_connect_error(&reply, 405, "unknown", "HTTP method PUT");
    assert_eq!(reply.header("allow"), Some("GET, POST"));
}

#[tokio::test]
async fn missing_or_invalid_get_parameters_are_invalid_arguments() {
    let server = TestServer::start().await;
    let m = urlencode(br#"{"id":"x"}"#);
    let cases = [
        (String::new(), "missing the query parameter connect"),
        (
            format!("encoding=json&message={m}"),
            "missing the query parameter connect",
        ),
        (
            format!("connect=v2&encoding=json&message={m}"),
            "connect must be \"v1\"",
        ),
        (
            format!("connect=v1&message={m}"),
            "missing the query parameter encoding",
        ),
        (
            format!("connect=v1&encoding=yaml&message={m}"),
            "encoding \"yaml\" is not supported",
        ),
        (
            "connect=v1&encoding=json".to_string(),
            "missing the query parameter message",
        ),
        (
            "connect=v1&encoding=proto&base64=1&message=***".to_string(),
            "not valid base64",
        ),
        (
            format!("connect=v1&encoding=json&base64=2&message={m}"),
            "base64 must be",
        ),
        (
            "connect=v1&encoding=json&message=%7Bnot-json".to_string(),
            "unmarshal into gitpod.v1.GetSCMIntegrationRequest",
        ),
        (
            "connect=v1&encoding=json&compression=gzip&base64=1&message=AAAA".to_string(),
            "corrupt",
        ),
    ];
    for (query, expected) in cases {
        let reply = get(&server, "GetSCMIntegration", &query).await;
        assert_connect_error(&reply, 400, "invalid_argument", expected);
    }
    let reply = get(
        &server,
        "GetSCMIntegration",
        &format!("connect=v1&encoding=json&compression=br&message={m}"),
    )
    .await;
    assert_connect_error(
        &reply,
        501,
        "unimplemented",
        "supported encodings are gzip, identity",
    );
    assert_eq!(reply.header("accept-encoding"), Some("gzip"));
}

#[tokio::test]
async fn get_requests_are_validated_like_posts() {
    let server = TestServer::start().await;
    let query = format!(
        "connect=v1&encoding=json&message={}",
        urlencode(br#"{"id":"not-a-uuid"}"#)
    );
    let reply = get(&server, "GetSCMIntegration", &query).await;
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
    let missing = "11111111-1111-4111-8111-111111111111";
    let query = format!(
        "connect=v1&encoding=json&message={}",
        urlencode(json!({ "id": missing }).to_string().as_bytes())
    );
    let reply = get(&server, "GetSCMIntegration", &query).await;
    assert_connect_error(&reply, 404, "not_found", missing);
}
