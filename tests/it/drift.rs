//! Shadow and proxy mode (`--upstream`): an in-test upstream that answers what a reference
//! gitpod-mock answers, drifted as each call's `x-drift` header asks, and the drift report
//! `GET /__mock/drift` makes of it.

mod binary;
mod codecs;
mod differs;
mod proxy;
mod record;
mod second_mock;
mod selection;
mod tls;

use crate::support::{mock, TestServer, EXAMPLE_ID};
use bytes::Bytes;
use gitpod_mock::UpstreamMode;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_millis(1000);

/// An upstream on 127.0.0.1:0 that answers each call as `reference` does, drifted as the
/// call's `x-drift` header says; it keeps the Authorization headers it was sent.
pub struct DriftingUpstream {
    pub addr: SocketAddr,
    pub authorizations: Arc<Mutex<Vec<String>>>,
    _reference: TestServer,
}

impl DriftingUpstream {
    pub async fn start() -> DriftingUpstream {
        let reference = TestServer::start().await;
        let client = reference.client();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let authorizations = Arc::new(Mutex::new(Vec::new()));
        let seen = authorizations.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                let service = hyper::service::service_fn(move |request| {
                    answer(client, seen.clone(), request)
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service),
                );
            }
        });
        DriftingUpstream {
            addr,
            authorizations,
            _reference: reference,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn answer(
    reference: crate::support::Client,
    seen: Arc<Mutex<Vec<String>>>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    seen.lock().unwrap().extend(header("authorization"));
    let drift = header("x-drift").unwrap_or_default();
    let body = body.collect().await.unwrap().to_bytes();
    let method = parts.uri.path().rsplit('/').next().unwrap().to_string();
    if header("content-type").as_deref() == Some("application/proto") {
        return Ok(binary_answer(&reference, &method, &drift, body).await);
    }
    let body: Value = serde_json::from_slice(&body).unwrap();
    let reply = reference.call(&method, body).await;
    let (mut status, mut value) = (reply.status, reply.json());
    match drift.as_str() {
        "unknown-field" => value["surpriseField"] = json!(1),
        "missing-field" => {
            value["token"].as_object_mut().unwrap().remove("expiresAt");
        }
        "wrong-type" => value["token"]["host"] = json!(7),
        "no-token" => {
            value.as_object_mut().unwrap().remove("token");
        }
        "unknown-enum" => value["token"]["source"] = json!("HOST_AUTHENTICATION_TOKEN_SOURCE_ESP"),
        "other-code" => (status, value) = (404, json!({"code": "not_found", "message": "gone"})),
        "rejects" => {
            let error = json!({"code": "invalid_argument", "message": "validation error: id"});
            (status, value) = (400, error);
        }
        "next-page" => value["pagination"]["nextToken"] = json!("page-2"),
        "hang" => tokio::time::sleep(Duration::from_secs(3600)).await,
        _ => {}
    }
    let response = Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(value.to_string())))
        .unwrap();
    Ok(response)
}

/// A binary call answered as `reference` answers it, drifted: an unknown field number 99, or
/// a different code (a Connect error is JSON in both codecs).
async fn binary_answer(
    reference: &crate::support::Client,
    method: &str,
    drift: &str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let reply = reference
        .rpc_as(method, "application/proto", &[], body)
        .await;
    let (mut status, mut content_type, mut body) =
        (reply.status, "application/proto", reply.body.to_vec());
    match drift {
        // Field 99, varint 1: the tag is 99 << 3 = 792, as a varint 0x98 0x06.
        "unknown-field" => body.extend([0x98, 0x06, 0x01]),
        "other-code" => {
            status = 404;
            content_type = "application/json";
            body = br#"{"code":"not_found","message":"gone"}"#.to_vec();
        }
        _ => {}
    }
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// The drift report once no shadow call's comparison is pending (each ends within TIMEOUT).
pub async fn drift_report(server: &TestServer) -> Value {
    let deadline = Instant::now() + TIMEOUT * 5;
    loop {
        let reply = server.request("GET /__mock/drift", &[], "").await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let report = reply.json();
        if report["pending"] == 0 || Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The texts `keys` name of each finding, e.g. `["method", "kind"]`.
pub fn described<const N: usize>(report: &Value, keys: [&str; N]) -> Vec<[String; N]> {
    let text = |f: &Value, k: &str| f[k].as_str().unwrap().to_string();
    let findings = report["findings"].as_array().unwrap();
    findings.iter().map(|f| keys.map(|k| text(f, k))).collect()
}

/// (path, kind) of each finding, with its count.
pub fn findings(report: &Value) -> Vec<(String, String, u64)> {
    let findings = report["findings"].as_array().unwrap();
    findings
        .iter()
        .map(|f| {
            assert_eq!(f["method"], "GetHostAuthenticationToken", "{f}");
            let text = |k: &str| f[k].as_str().unwrap().to_string();
            (text("path"), text("kind"), f["count"].as_u64().unwrap())
        })
        .collect()
}

#[tokio::test]
async fn each_drift_of_the_upstream_is_one_counted_finding_with_its_path() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Shadow, TIMEOUT)).await;
    let drifts = [
        "unknown-field",
        "missing-field",
        "wrong-type",
        "unknown-enum",
        "no-token",
        "other-code",
        "hang",
    ];
    for drift in drifts.iter().chain(&drifts) {
        let started = Instant::now();
        let headers = [
            ("x-drift", *drift),
            ("authorization", "Bearer s3cret-token"),
        ];
        let reply = server
            .rpc(
                "GetHostAuthenticationToken",
                &headers,
                json!({ "id": EXAMPLE_ID }),
            )
            .await;
        // In shadow mode the client gets the mock's own answer, drifted upstream or not.
        assert_eq!(reply.status, 200, "{drift}: {}", reply.text());
        let token = &reply.json()["token"];
        assert_eq!(token["host"], "github.com", "{drift}");
        assert!(reply.json().get("surpriseField").is_none());
        // Nor does it wait for the upstream: not even for one that never answers.
        assert!(
            started.elapsed() < TIMEOUT,
            "{drift}: {:?}",
            started.elapsed()
        );
    }
    let report = drift_report(&server).await;
    assert_eq!(
        (&report["calls"], &report["pending"]),
        (&json!(14), &json!(0))
    );
    let mut expected = vec![
        ("".to_string(), "code_differs".to_string(), 2),
        ("".into(), "upstream_timeout".into(), 2),
        ("surpriseField".into(), "unknown_field".into(), 2),
        ("token.expiresAt".into(), "missing_field".into(), 2),
        ("token.host".into(), "wrong_type".into(), 2),
        ("token.source".into(), "unknown_enum_value".into(), 2),
        // A required field left out: both unlike the mock and against the contract's rule.
        ("token".into(), "missing_field".into(), 2),
        ("token".into(), "violates_rule".into(), 2),
    ];
    let mut got = findings(&report);
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "{report:#}");
    for finding in report["findings"].as_array().unwrap() {
        assert_eq!(finding["exampleRequest"], json!({ "id": EXAMPLE_ID }));
    }
    let mut all = report["findings"].as_array().unwrap().iter();
    let rule = all.find(|f| f["kind"] == "violates_rule").unwrap();
    assert_eq!(rule["upstream"], "breaks rule required: value is required");
    let code = &report["findings"][0];
    assert_eq!(
        (code["upstream"].as_str(), code["mock"].as_str()),
        (Some("code not_found"), Some("code ok"))
    );
    // The client's Authorization reached the upstream, and nothing of it the report.
    assert!(upstream
        .authorizations
        .lock()
        .unwrap()
        .iter()
        .all(|a| a == "Bearer s3cret-token"));
    assert!(!report.to_string().contains("s3cret"));
    let cleared = server.request("DELETE /__mock/drift", &[], "").await;
    assert_eq!(cleared.status, 200);
    assert_eq!(drift_report(&server).await["findings"], json!([]));
}

#[tokio::test]
async fn an_identical_upstream_leaves_the_report_empty() {
    let upstream = TestServer::start().await;
    let url = format!("http://{}", upstream.addr);
    let server = TestServer::from(mock().upstream(url, UpstreamMode::Shadow, TIMEOUT)).await;
    let calls = [
        ("GetHostAuthenticationToken", json!({ "id": EXAMPLE_ID })),
        (
            "ListEnvironmentClasses",
            json!({ "pagination": { "pageSize": 2 } }),
        ),
        (
            "GetSCMIntegration",
            json!({ "id": "0c8f5e2b-1f1c-4d5e-9f3a-8d2b7c6a5e41" }),
        ),
        ("GetSCMIntegration", json!({ "id": "not-a-uuid" })),
    ];
    for (method, body) in calls {
        server.call(method, body).await;
    }
    let report = drift_report(&server).await;
    assert_eq!(report["calls"], 4, "{report:#}");
    assert_eq!(report["findings"], json!([]), "{report:#}");
    assert_eq!(
        report["upstream"],
        json!(format!("http://{}", upstream.addr))
    );
}

#[tokio::test]
async fn a_findings_example_request_has_its_secrets_redacted() {
    let upstream = DriftingUpstream::start().await;
    let server =
        TestServer::from(mock().upstream(upstream.url(), UpstreamMode::Shadow, TIMEOUT)).await;
    // Proto field names: the example is decoded to canonical JSON before it is redacted.
    let create = json!({
        "runner_id": "07503cd0-8150-42b7-8429-5bf8513241c9",
        "scm_id": "github",
        "host": "drift.example.com",
        "oauth_client_id": "client",
        "oauth_plaintext_client_secret": "sup3r-secret",
    });
    let drifted = [("x-drift", "unknown-field")];
    let reply = server.rpc("CreateSCMIntegration", &drifted, create).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = drift_report(&server).await;
    let example = &report["findings"][0]["exampleRequest"];
    assert_eq!(example["oauthClientId"], "client", "{report:#}");
    assert!(
        example["oauthPlaintextClientSecret"].is_string(),
        "{report:#}"
    );
    assert!(!report.to_string().contains("sup3r"), "{report:#}");
}
