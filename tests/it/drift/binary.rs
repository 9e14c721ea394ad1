//! The binary's upstream flags, and the report files it writes at shutdown.

use super::{findings, DriftingUpstream};
use crate::support::EXAMPLE_ID;
use serde_json::json;

#[tokio::test]
async fn the_binary_takes_upstream_proxy_and_a_timeout() {
    let upstream = DriftingUpstream::start().await;
    let url = upstream.url();
    let args = [
        "--upstream",
        &url,
        "--proxy",
        "--upstream-timeout-ms",
        "1000",
    ];
    let serving = crate::serve_flags::Serving::start(&args);
    let headers = [("x-drift", "other-code")];
    let body = json!({ "id": EXAMPLE_ID });
    let reply = serving
        .1
        .rpc("GetHostAuthenticationToken", &headers, body)
        .await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    let report = serving.1.request("GET /__mock/drift", &[], "").await.json();
    assert_eq!(
        findings(&report),
        [("".to_string(), "code_differs".to_string(), 1)]
    );
    // The request log has one line for the call, with the code the client got.
    let (_, stderr) = tokio::task::spawn_blocking(move || serving.stop())
        .await
        .unwrap();
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("GetHostAuthenticationToken"))
        .collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    let line = lines[0];
    assert!(line.contains(" connect+json 404 not_found "), "{line}");
    assert!(line.ends_with(" answered-by=upstream"), "{line}");
}

#[test]
fn upstream_flags_that_contradict_or_cannot_work_fail_at_start() {
    let cases: [&[&str]; 3] = [
        &["--upstream", "http://127.0.0.1:9", "--shadow", "--proxy"],
        &["--proxy"],
        &["--upstream", "ftp://api.example"],
    ];
    for args in cases {
        let stderr = crate::serve_flags::refused_at_start(args);
        assert!(stderr.contains("upstream"), "{stderr}");
    }
}

#[tokio::test]
async fn at_shutdown_the_report_is_written_as_markdown_and_junit() {
    let upstream = DriftingUpstream::start().await;
    let url = upstream.url();
    let dir = std::env::temp_dir().join(format!("gitpod-mock-{}-drift", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let shown = dir.display().to_string();
    let args = ["--upstream", &url, "--drift-report", &shown, "--quiet"];
    let serving = crate::serve_flags::Serving::start(&args);
    let headers = [
        ("x-drift", "wrong-type"),
        ("authorization", "Bearer s3cret"),
    ];
    let body = json!({ "id": EXAMPLE_ID });
    let reply = serving
        .1
        .rpc("GetHostAuthenticationToken", &headers, body)
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    // The comparison may still be pending: shutdown waits for it. The upstream runs on this
    // test's runtime, so the blocking stop runs beside it.
    let (clean, stderr) = tokio::task::spawn_blocking(move || serving.stop())
        .await
        .unwrap();
    assert!(clean, "{stderr}");
    assert!(stderr.contains("wrote the drift report to"), "{stderr}");
    let markdown = std::fs::read_to_string(dir.join("drift.md")).unwrap();
    let row = "| GetHostAuthenticationToken | token.host | wrong_type | answers a number \
               | the contract wants string | 1 |";
    assert!(markdown.contains(row), "{markdown}");
    let junit = std::fs::read_to_string(dir.join("drift.junit.xml")).unwrap();
    assert!(junit.contains(r#"tests="1" failures="1""#), "{junit}");
    assert!(junit.contains(r#"name="token.host wrong_type""#), "{junit}");
    assert!(!markdown.contains("s3cret") && !junit.contains("s3cret"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn fail_on_drift_fails_the_exit_status_only_when_there_is_drift() {
    let upstream = DriftingUpstream::start().await;
    let url = upstream.url();
    for (drift, fails) in [("none", false), ("unknown-field", true)] {
        let args = ["--upstream", &url, "--fail-on-drift", "--quiet"];
        let serving = crate::serve_flags::Serving::start(&args);
        let headers = [("x-drift", drift)];
        let body = json!({ "id": EXAMPLE_ID });
        let reply = serving
            .1
            .rpc("GetHostAuthenticationToken", &headers, body)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        let (clean, stderr) = tokio::task::spawn_blocking(move || serving.stop())
            .await
            .unwrap();
        assert_eq!(clean, !fails, "{drift}: {stderr}");
        let said = stderr.contains("--fail-on-drift: the upstream drifted (1 finding)");
        assert_eq!(said, fails, "{drift}: {stderr}");
    }
}
