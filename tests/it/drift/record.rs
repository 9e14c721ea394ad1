//! Record mode (`--record DIR`): a second gitpod-mock, with generated records beside the
//! default ones, is the upstream; what a proxying mock records from it is accepted by `check`,
//! and served with `--fixtures`, answers what the upstream answered: the lists recorded, and
//! the runner schemas and SCM integrations the recorder asked for because records named them.

use crate::serve_flags::Serving;
use crate::support::Client;
use serde_json::{json, Value};

/// The calls recorded and then compared, each with its request.
fn calls() -> Vec<(&'static str, Value)> {
    vec![
        ("ListEnvironmentClasses", json!({})),
        ("ListHostAuthenticationTokens", json!({})),
    ]
}

/// Every answer of `calls`, then each runner's schema and each integration, as `client`
/// gives them.
async fn answers(client: &Client, runners: &[String], integrations: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for (method, body) in calls() {
        let reply = client.rpc(method, &[], body).await;
        assert_eq!(reply.status, 200, "{method}: {}", reply.text());
        out.push(reply.json());
    }
    for runner in runners {
        let body = json!({ "runnerId": runner });
        let reply = client.rpc("GetRunnerConfigurationSchema", &[], body).await;
        assert_eq!(reply.status, 200, "{runner}: {}", reply.text());
        out.push(reply.json());
    }
    for id in integrations {
        let reply = client
            .rpc("GetSCMIntegration", &[], json!({ "id": id }))
            .await;
        assert_eq!(reply.status, 200, "{id}: {}", reply.text());
        out.push(reply.json());
    }
    out
}

/// The ids the answers' records name in `field`, in order, once each.
fn named(answers: &[Value], field: &str) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for answer in answers {
        for list in answer.as_object().unwrap().values() {
            for record in list.as_array().into_iter().flatten() {
                let Some(id) = record[field].as_str().map(str::to_string) else {
                    continue;
                };
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    ids
}

/// `value` without its `encryptedClientSecret` fields: the recording strips secrets.
fn without_secrets(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("encryptedClientSecret");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

#[tokio::test]
async fn a_recording_passes_check_and_serves_what_the_upstream_answered() {
    let upstream = Serving::start(&["--generate", "2", "--seed", "8", "--quiet"]);
    let url = format!("http://{}", upstream.1.addr);
    let dir = std::env::temp_dir().join(format!("gitpod-mock-{}-record", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let shown = dir.display().to_string();
    let args = ["--upstream", &url, "--proxy", "--record", &shown, "--quiet"];
    let recording = Serving::start(&args);
    let secret = [("authorization", "Bearer s3cret-token")];
    let mut listed = Vec::new();
    for (method, body) in calls() {
        let reply = recording.1.rpc(method, &secret, body).await;
        assert_eq!(reply.status, 200, "{method}: {}", reply.text());
        listed.push(reply.json());
    }
    let runners = named(&listed, "runnerId");
    let integrations = named(&listed, "integrationId");
    assert!(runners.len() >= 3 && !integrations.is_empty(), "{listed:?}");
    let (clean, stderr) = tokio::task::spawn_blocking(move || recording.stop())
        .await
        .unwrap();
    assert!(clean, "{stderr}");
    assert!(stderr.contains(&format!("check {shown}: ok")), "{stderr}");
    // The upstream mock serves no RunnerService, so each runner is a stand-in, and says so.
    assert!(
        stderr.contains("RunnerService/GetRunner answered HTTP 404"),
        "{stderr}"
    );

    let check = std::process::Command::new(env!("CARGO_BIN_EXE_gitpod-mock"))
        .args(["check", &shown])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let files = [
        "environment_classes.json",
        "scm_integrations.json",
        "runners.json",
    ];
    for file in files.iter().chain(&["host_authentication_tokens.json"]) {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        assert!(
            !text.contains("s3cret") && !text.contains("encryptedClientSecret"),
            "{file}"
        );
    }

    let replay = Serving::start(&["--fixtures", &shown, "--quiet"]);
    let expected: Vec<Value> = answers(&upstream.1, &runners, &integrations)
        .await
        .into_iter()
        .map(without_secrets)
        .collect();
    let served = answers(&replay.1, &runners, &integrations).await;
    assert_eq!(served.len(), expected.len());
    for (served, expected) in served.iter().zip(&expected) {
        assert_eq!(served, expected);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn record_needs_an_upstream_and_a_writable_directory() {
    let file = std::env::temp_dir().join(format!("gitpod-mock-{}-not-a-dir", std::process::id()));
    std::fs::write(&file, "").unwrap();
    let shown = file.display().to_string();
    let cases: [&[&str]; 2] = [
        &["--record", "/tmp/x"],
        &["--upstream", "http://127.0.0.1:9", "--record", &shown],
    ];
    let [no_upstream, not_a_dir] = cases.map(crate::serve_flags::refused_at_start);
    assert!(no_upstream.contains("--upstream"), "{no_upstream}");
    assert!(
        not_a_dir.contains(&format!("--record {shown}")),
        "{not_a_dir}"
    );
    std::fs::remove_file(&file).unwrap();
}
