//! Bad input never crashes, panics or hangs the server: every malformed request gets a Connect
//! JSON error with the right status, code and message, bytes that are not HTTP get a reply or a
//! close, and afterwards the server still answers and its state is what it was.

use crate::support::{request, status, Reply, TestServer, EXAMPLE_ID, SERVICE};
use serde_json::json;
use std::future::Future;
use std::time::Duration;

const JSON: (&str, &str) = ("content-type", "application/json");
const DECODE: &str = "unmarshal into gitpod.v1.GetSCMIntegrationRequest: ";

/// Fails the test instead of hanging when the server does not answer in time.
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within 10 s"))
}

fn get_path() -> String {
    format!("{SERVICE}/GetSCMIntegration")
}

/// The state every test ends by checking: fixtures intact, server answering.
async fn assert_intact(server: &TestServer) {
    let fresh = TestServer::start().await;
    for (method, body) in [
        ("GetSCMIntegration", json!({"id": EXAMPLE_ID})),
        (
            "ListHostAuthenticationTokens",
            json!({"pagination": {"pageSize": 100}}),
        ),
        (
            "ListEnvironmentClasses",
            json!({"pagination": {"pageSize": 100}}),
        ),
    ] {
        let got = within(method, server.ok(method, body.clone())).await;
        assert_eq!(
            got,
            fresh.ok(method, body).await,
            "{method} after the malformed requests"
        );
    }
}

#[tokio::test]
async fn undecodable_bodies_are_invalid_arguments() {
    let server = TestServer::start().await;
    let deep = format!("{{\"id\":{}{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let duplicate = format!(r#"{{"id":"{EXAMPLE_ID}","id":"{EXAMPLE_ID}"}}"#);
    #[rustfmt::skip]
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", br#"{"id":"d2c9"#.to_vec(), "truncated JSON: EOF while parsing a string"),
        ("number for a string", br#"{"id": 5}"#.to_vec(), "invalid value for string field id: 5"),
        ("top-level array", b"[]".to_vec(), "a message must be a JSON object, got […]"),
        ("top-level string", br#""x""#.to_vec(), "a message must be a JSON object, got \"x\""),
        ("top-level null", b"null".to_vec(), "a message must be a JSON object, got null"),
        ("empty", Vec::new(), "zero-length payload is not a valid JSON object"),
        ("two objects", b"{} {}".to_vec(), "trailing characters"),
        ("non-UTF-8 in a string", b"{\"id\":\"\xff\xfe\"}".to_vec(), "invalid unicode code point"),
        ("non-UTF-8 bytes", b"\xff\xfe\x00\x01".to_vec(), "expected value"),
        ("not JSON", b"id=1".to_vec(), "expected value"),
        ("deeply nested", deep.into_bytes(), "invalid value for string field id: […]"),
        ("duplicate", duplicate.into_bytes(), "duplicate field \"id\""),
    ];
    for (name, body, reason) in cases {
        let reply = within(name, server.post(&get_path(), &[JSON], body)).await;
        let message = reply.assert_code(400, "invalid_argument");
        assert!(
            message.starts_with(DECODE) && message.contains(reason),
            "{name}: {message}"
        );
    }
    // Binary protobuf that is not a valid message is refused the same way.
    let proto = [("content-type", "application/proto")];
    let reply = server.post(&get_path(), &proto, &b"\x0a\xff\xff"[..]).await;
    let message = reply.assert_code(400, "invalid_argument");
    assert!(message.starts_with(DECODE), "{message}");
    assert_intact(&server).await;
}

/// (HTTP method, path, headers, status, code, message, a header the reply must carry)
type RouteCase = (
    &'static str,
    String,
    Vec<(&'static str, &'static str)>,
    u16,
    &'static str,
    String,
    Option<(&'static str, &'static str)>,
);

#[rustfmt::skip]
fn route_cases() -> Vec<RouteCase> {
    let all = gitpod_mock::codec::headers::ACCEPTED_CONTENT_TYPES;
    assert!(all.starts_with("application/json, application/proto, application/grpc, "));
    let unsupported = |t: &str| format!("content type {t:?} is not supported: use {all}");
    let accept = Some(("accept-post", all));
    let unknown = |path: &str| format!("{path} is not a procedure of gitpod.v1.RunnerConfigurationService");
    let create = format!("{SERVICE}/CreateSCMIntegration");
    let not_allowed = |verb: &str| format!("HTTP method {verb} is not allowed on {create}: use POST");
    let (other, apix) = ("/gitpod.v1.OtherService/GetSCMIntegration".to_string(), format!("/apix{SERVICE}/GetSCMIntegration"));
    vec![
        ("POST", get_path(), vec![("content-type", "text/plain")], 415, "unknown", unsupported("text/plain"), accept),
        ("POST", get_path(), vec![("content-type", "application/xml")], 415, "unknown", unsupported("application/xml"), accept),
        ("POST", get_path(), vec![], 415, "unknown", unsupported("none"), accept),
        ("POST", format!("{SERVICE}/NoSuchMethod"), vec![JSON], 404, "unimplemented", unknown(&format!("{SERVICE}/NoSuchMethod")), None),
        ("POST", other.clone(), vec![JSON], 404, "unimplemented", unknown(&other), None),
        ("POST", apix.clone(), vec![JSON], 404, "unimplemented", unknown(&apix), None),
        ("GET", create.clone(), vec![], 405, "unknown", not_allowed("GET"), Some(("allow", "POST"))),
        ("PUT", create.clone(), vec![JSON], 405, "unknown", not_allowed("PUT"), Some(("allow", "POST"))),
        ("DELETE", format!("/api{create}"), vec![JSON], 405, "unknown", not_allowed("DELETE"), Some(("allow", "POST"))),
        ("POST", get_path(), vec![JSON, ("connect-protocol-version", "2")], 400, "invalid_argument", "connect-protocol-version must be \"1\": got \"2\"".into(), None),
        ("POST", format!("{SERVICE}/CreateLLMIntegration"), vec![JSON], 501, "unimplemented", "gitpod-mock does not cover CreateLLMIntegration yet: the method exists in the real service but is not in the documented API".into(), None),
    ]
}

#[tokio::test]
async fn protocol_and_routing_errors_follow_connect() {
    let server = TestServer::start().await;
    let id = json!({"id": EXAMPLE_ID}).to_string();
    for (method, path, headers, status, code, message, header) in route_cases() {
        let request = request(&format!("{method} {path}"), &headers, &id);
        let reply = within(&path, server.send(request)).await;
        reply.assert_error(status, code, &message);
        if let Some((name, value)) = header {
            let got = reply.headers.get(name).map(|v| v.to_str().unwrap());
            assert_eq!(got, Some(value), "{method} {path}");
        }
    }
    // What does work: version 1, a charset parameter, and the SDKs' /api prefix.
    let expected = server
        .ok("GetSCMIntegration", json!({"id": EXAMPLE_ID}))
        .await;
    let utf8 = ("content-type", "application/json; charset=utf-8");
    #[rustfmt::skip]
    let working = [
        (get_path(), vec![JSON, ("connect-protocol-version", "1")]),
        (get_path(), vec![utf8]),
        (format!("/api{}", get_path()), vec![JSON]),
    ];
    for (path, headers) in working {
        let reply = server.post(&path, &headers, id.clone()).await;
        assert_eq!(
            (reply.status, reply.json()),
            (200, expected.clone()),
            "{path} {headers:?}"
        );
    }
    assert_intact(&server).await;
}

/// The status code and body of a raw HTTP/1.1 response, checking its status line is well formed.
fn parse(raw: &[u8]) -> (u16, serde_json::Value) {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP response: {text:?}"));
    let line = head.lines().next().unwrap();
    let code: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    let reason = status(code).canonical_reason().unwrap();
    assert_eq!(line, format!("HTTP/1.1 {code} {reason}"));
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (code, body)
}

#[tokio::test]
async fn bodies_over_the_limit_are_resource_exhausted() {
    let server = TestServer::from(crate::support::mock().max_body_bytes(64)).await;
    let id = json!({"id": EXAMPLE_ID}).to_string();
    let padded = |n: usize| format!("{id}{}", " ".repeat(n - id.len()));
    let reply = server.post(&get_path(), &[JSON], padded(64)).await;
    assert_eq!(reply.status, 200, "exactly at the limit: {}", reply.text());
    let over = |size: &str| {
        format!("request body{size} exceeds the limit of 64 bytes (see --max-body-bytes)")
    };
    let reply = server.post(&get_path(), &[JSON], padded(65)).await;
    reply.assert_error(429, "resource_exhausted", &over(" of 65 bytes"));

    // A declared length over the limit is refused before the body is read.
    let head = format!("POST {} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n", get_path());
    let raw = within(
        "declared",
        server.raw(format!("{head}{id}").as_bytes(), Duration::from_secs(2)),
    )
    .await;
    let (code, body) = parse(&raw);
    assert_eq!(code, 429);
    assert_eq!(
        body,
        json!({"code": "resource_exhausted", "message": over(" of 1000000 bytes")})
    );

    // A chunked body has no declared length: it is cut off once it passes the limit.
    let chunk = "x".repeat(50);
    let head = format!("POST {} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n", get_path());
    let chunks = format!("{head}32\r\n{chunk}\r\n32\r\n{chunk}\r\n0\r\n\r\n");
    let raw = within(
        "chunked",
        server.raw(chunks.as_bytes(), Duration::from_secs(2)),
    )
    .await;
    let (code, body) = parse(&raw);
    assert_eq!(code, 429);
    assert_eq!(
        body,
        json!({"code": "resource_exhausted", "message": over("")})
    );
    assert_intact(&server).await;
}

#[tokio::test]
async fn bytes_that_are_not_http_get_a_reply_or_a_close() {
    let server = TestServer::start().await;
    let garbage: [&[u8]; 6] = [
        b"\x00\x01\x02\x03garbage\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", // a TLS ClientHello
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",             // an HTTP/2 preface
        b"GET / HTTP/1.1\r\nbad header line\r\n\r\n",
        b"POST /x HTTP/1.1\r\ncontent-length: -5\r\n\r\n",
        b"POST /gitpod.v1.RunnerConfigurationService/GetSCMIntegration HTTP/1.1\r\ncontent-length: 10\r\n\r\n{", // cut off
    ];
    for bytes in garbage {
        let what = String::from_utf8_lossy(bytes).into_owned();
        let raw = within(&what, server.raw(bytes, Duration::from_secs(1))).await;
        let text = String::from_utf8_lossy(&raw);
        // The HTTP/2 preface is answered in HTTP/2: the server's SETTINGS frame (type 4).
        let http2_settings = bytes.starts_with(b"PRI") && raw.get(3) == Some(&4);
        assert!(
            raw.is_empty() || text.starts_with("HTTP/1.1 4") || http2_settings,
            "{what:?} got {text:?}"
        );
        // The server still answers a normal request after each one.
        let reply: Reply = within(
            "after garbage",
            server.call("GetSCMIntegration", json!({"id": EXAMPLE_ID})),
        )
        .await;
        assert_eq!(reply.status, 200, "after {what:?}");
    }
    // The plain readiness probe over a raw connection still works.
    let raw = server
        .raw(
            b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
            Duration::from_secs(2),
        )
        .await;
    let (code, body) = parse(&raw);
    assert_eq!(code, 200);
    assert_eq!(body["service"], "gitpod.v1.RunnerConfigurationService");
    assert_intact(&server).await;
}
