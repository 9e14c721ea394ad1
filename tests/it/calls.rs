//! The HTTP calls the scenario, session, journal and library tests share: requests to the
//! service and the control plane, one-line summaries of replies, and a few session helpers.

use crate::support::{Reply, EXAMPLE_ID, SERVICE};
use bytes::Bytes;
use gitpod_mock::app::App;
use gitpod_mock::session::Limits;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Sends `"VERB /path"` on a fresh connection; Err when no response comes (a dropped connection).
pub async fn try_send(
    addr: SocketAddr,
    line: &str,
    headers: &[(&str, &str)],
    body: impl Into<Bytes>,
) -> Result<Reply, String> {
    let (verb, path) = line.split_once(' ').unwrap();
    let mut request = Request::builder()
        .method(verb)
        .uri(format!("http://{addr}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body.into())).unwrap();
    let client = Client::builder(hyper_util::rt::TokioExecutor::new()).build_http();
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    let (status, headers) = (parts.status.as_u16(), parts.headers);
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// POSTs a JSON body to a method of the service with extra headers.
pub async fn rpc(addr: SocketAddr, method: &str, headers: &[(&str, &str)], body: Value) -> Reply {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let line = format!("POST {SERVICE}/{method}");
    let reply = try_send(addr, &line, &all, body.to_string()).await;
    reply.expect("the server answers")
}

/// A control-plane request, e.g. `admin(addr, "POST /__mock/reset", "")`.
pub async fn admin(addr: SocketAddr, line: &str, body: &str) -> Reply {
    let reply = try_send(addr, line, &[], body.to_string()).await;
    reply.expect("the server answers")
}

/// Loads a scenario over the control plane, failing the test if it is refused.
pub async fn load(addr: SocketAddr, name: &str, yaml: &str) {
    let reply = admin(addr, &format!("POST /__mock/scenarios?name={name}"), yaml).await;
    let loaded = (reply.status, reply.json());
    assert_eq!(loaded, (200, json!({ "loaded": name })), "{yaml}");
}

/// The example SCM integration, read with extra headers.
pub async fn get_scm(addr: SocketAddr, headers: &[(&str, &str)]) -> Reply {
    let body = json!({ "id": EXAMPLE_ID });
    rpc(addr, "GetSCMIntegration", headers, body).await
}

/// What the example SCM integration's read says, with extra headers.
pub async fn get_says(addr: SocketAddr, headers: &[(&str, &str)]) -> String {
    said(&get_scm(addr, headers).await)
}

/// What a reply says in one line: `200`, `503 unavailable: <message>` for a Connect error, or
/// the status and body text of anything else.
pub fn said(reply: &Reply) -> String {
    let status = reply.status;
    match serde_json::from_slice::<Value>(&reply.body) {
        _ if status == 200 => "200".into(),
        Ok(e) if e["code"].is_string() => {
            let text = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            format!("{status} {}: {}", text("code"), text("message"))
        }
        _ => format!("{status} {}", String::from_utf8_lossy(&reply.body)),
    }
}

pub fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
    reply.headers.get(name).map(|v| v.to_str().unwrap())
}

/// The header that switches on scenario `t`, the one the scenario tests load.
pub const T: (&str, &str) = ("x-mock-scenario", "t");

/// One field of every journal entry in a `/__mock/journal` answer.
pub fn entries(journal: &Value, field: &str) -> Vec<Value> {
    let all = journal["entries"].as_array().expect("a journal");
    all.iter().map(|e| e[field].clone()).collect()
}

/// The GCP runner of the fixtures.
pub const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";

/// The default app with these session bounds.
pub fn with_limits(limits: Limits) -> App {
    App::with_defaults(Some(42)).with_sessions(42, limits)
}

/// The header that puts a call in session `id`.
pub fn session(id: &str) -> [(&str, &str); 1] {
    [("x-mock-session", id)]
}

/// Creates an SCM integration for the GCP runner in a session; returns what the call said.
pub async fn create_scm(addr: SocketAddr, id: &str, host: &str) -> String {
    let body = json!({"runnerId": GCP, "scmId": "github", "host": host, "pat": true});
    said(&rpc(addr, "CreateSCMIntegration", &session(id), body).await)
}

/// `GET /__mock/journal` with a query such as `?session=a`.
pub async fn journal(addr: SocketAddr, query: &str) -> Value {
    admin(addr, &format!("GET /__mock/journal{query}"), "")
        .await
        .json()
}
