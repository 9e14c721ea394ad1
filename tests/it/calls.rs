//! What the scenario, session, journal and library tests share, on top of `support::Client`:
//! a few recurring calls, one-line summaries of replies, and session helpers.

use crate::support::{Client, InProcess, Reply, EXAMPLE_ID};
use gitpod_mock::session::Limits;
use serde_json::{json, Value};

/// Loads a scenario over the control plane, failing the test if it is refused.
pub async fn load(client: &Client, name: &str, yaml: &str) {
    let line = format!("POST /__mock/scenarios?name={name}");
    let reply = client.request(&line, &[], yaml.to_string()).await;
    let loaded = (reply.status, reply.json());
    assert_eq!(loaded, (200, json!({ "loaded": name })), "{yaml}");
}

/// The example SCM integration, read with extra headers.
pub async fn get_scm(client: &Client, headers: &[(&str, &str)]) -> Reply {
    let body = json!({ "id": EXAMPLE_ID });
    client.rpc("GetSCMIntegration", headers, body).await
}

/// What the example SCM integration's read says, with extra headers.
pub async fn get_says(client: &Client, headers: &[(&str, &str)]) -> String {
    said(&get_scm(client, headers).await)
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
pub fn with_limits(limits: Limits) -> gitpod_mock::MockServerBuilder {
    crate::support::mock().limits(limits)
}

/// The header that puts a call in session `id`.
pub fn session(id: &str) -> [(&str, &str); 1] {
    [("x-mock-session", id)]
}

/// Creates an SCM integration for the GCP runner in a session; returns what the call said.
pub async fn create_scm(client: &Client, id: &str, host: &str) -> String {
    let body = json!({"runnerId": GCP, "scmId": "github", "host": host, "pat": true});
    said(&client.rpc("CreateSCMIntegration", &session(id), body).await)
}

/// `GET /__mock/journal` with a query such as `?session=a`.
pub async fn journal(client: &Client, query: &str) -> Value {
    let line = format!("GET /__mock/journal{query}");
    client.request(&line, &[], "").await.json()
}

/// A server of `proto`, compiled from a directory of its own named for the test.
pub fn serving(name: &str, proto: &str) -> InProcess {
    let dir = std::env::temp_dir().join(format!("gpm-journal-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("api.proto"), proto).unwrap();
    let app = gitpod_mock::MockServer::builder().contract(&dir).build();
    InProcess::new(app.unwrap())
}
