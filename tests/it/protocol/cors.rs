//! CORS: preflights for the Connect headers, the headers of actual answers, and a configured
//! origin list that refuses other origins.

use super::*;
use crate::support::status;
use gitpod_mock::app::App;
use gitpod_mock::cors::AllowedOrigins;
use http::StatusCode;

const ORIGIN: &str = "http://localhost:5173";

fn preflight_headers<'a>(origin: &'a str, headers: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("origin", origin),
        ("access-control-request-method", "POST"),
        ("access-control-request-headers", headers),
    ]
}

#[tokio::test]
async fn a_preflight_allows_the_connect_headers() {
    let server = TestServer::start().await;
    let requested = "content-type,connect-protocol-version,connect-timeout-ms,authorization,x-mock-session,x-user-agent";
    let reply = server
        .request(
            &format!("OPTIONS {SERVICE}/ListSCMIntegrations"),
            &preflight_headers(ORIGIN, requested),
            "",
        )
        .await;
    assert_eq!(
        status(reply.status),
        StatusCode::NO_CONTENT,
        "{}",
        reply.text()
    );
    assert_eq!(
        server.app.settings.cors,
        AllowedOrigins::Any,
        "the default on loopback"
    );
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    assert_eq!(
        reply.header("access-control-allow-methods"),
        Some("POST, GET")
    );
    let allowed = reply.header("access-control-allow-headers").unwrap();
    for name in requested.split(',') {
        assert!(allowed.contains(name), "{name} in {allowed}");
    }
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    assert!(reply.header("access-control-max-age").is_some());
}

#[tokio::test]
async fn answers_to_an_allowed_origin_expose_the_connect_headers() {
    let server = TestServer::start().await;
    let reply = server
        .rpc_as(
            "ListSCMIntegrations",
            "application/json",
            &[("origin", ORIGIN)],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    let exposed = reply.header("access-control-expose-headers").unwrap();
    for name in [
        "Grpc-Status",
        "Grpc-Message",
        "Connect-Content-Encoding",
        "Content-Encoding",
        "Retry-After",
    ] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    assert!(reply.headers.get_all("vary").iter().any(|v| v == "Origin"));
    // Errors carry them too, so the browser lets the script read the Connect error.
    let reply = server
        .rpc_as(
            "GetSCMIntegration",
            "application/json",
            &[("origin", ORIGIN)],
            br#"{"id":"x"}"#.to_vec(),
        )
        .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.header("access-control-allow-origin"), Some(ORIGIN));
    // Without an Origin, no CORS headers at all.
    let reply = server
        .rpc_as(
            "ListSCMIntegrations",
            "application/json",
            &[],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn a_configured_list_refuses_other_origins_and_headers_that_do_not_fit() {
    let mut app = App::with_defaults(Some(42));
    app.settings.cors = AllowedOrigins::Only(vec![ORIGIN.into()]);
    let server = TestServer::with(app).await;
    let path = format!("{SERVICE}/ListSCMIntegrations");
    let reply = server
        .request(
            &format!("OPTIONS {path}"),
            &preflight_headers(ORIGIN, "content-type"),
            "",
        )
        .await;
    assert_eq!(reply.status, 204);
    let other = "http://evil.example";
    let reply = server
        .request(
            &format!("OPTIONS {path}"),
            &preflight_headers(other, "content-type"),
            "",
        )
        .await;
    assert_connect_error(
        &reply,
        403,
        "permission_denied",
        "origin \"http://evil.example\" is not allowed",
    );
    assert_eq!(reply.header("access-control-allow-origin"), None);
    let reply = server
        .rpc_as(
            "ListSCMIntegrations",
            "application/json",
            &[("origin", other)],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(
        reply.status, 200,
        "the call runs; the browser withholds the answer"
    );
    assert_eq!(reply.header("access-control-allow-origin"), None);
    let reply = server
        .request(
            &format!("OPTIONS {path}"),
            &preflight_headers(ORIGIN, "content-type,x-api-secret"),
            "",
        )
        .await;
    assert_connect_error(&reply, 403, "permission_denied", "x-api-secret");
    let reply = server
        .request(
            &format!("OPTIONS {path}"),
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "DELETE"),
            ],
            "",
        )
        .await;
    assert_connect_error(&reply, 403, "permission_denied", "method \"DELETE\"");
}
