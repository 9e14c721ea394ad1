//! The scenario library: each shipped scenario does what its description says, switched on
//! server-wide as `serve --scenario NAME` does; and broken scenario files (respond bodies
//! included) are refused when they load, naming the file, the rule and the reason: on the
//! control plane, and through the built binary's `check --scenario-dir` and
//! `serve --scenario-dir`.

use crate::calls::{entries, get_says, get_scm, said};
use crate::support::{TestServer, EXAMPLE_ID, SERVICE};
use gitpod_mock::app::App;
use gitpod_mock::contract::Contract;
use gitpod_mock::scenario::Library;
use gitpod_mock::service::HANDLERS;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const OFFLINE: &str = EXAMPLE_ID;
const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";

/// A server with one shipped scenario on for every session.
async fn serving(scenario: &str, seed: u64) -> TestServer {
    let library = Library::load(&Contract::load(), None).unwrap();
    let app = App::with_defaults(Some(seed)).with_scenarios(library, vec![scenario.into()]);
    TestServer::with(app.unwrap()).await
}

/// Every method with an empty body: the scenarios below answer before validation.
async fn every_method(server: &TestServer) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for (method, _) in HANDLERS {
        out.push((*method, said(&server.rpc(method, &[], json!({})).await)));
    }
    out
}

#[tokio::test]
async fn flaky_fails_every_other_call_so_one_retry_absorbs_it() {
    let server = serving("flaky", 42).await;
    let transient = "503 unavailable: upstream connection reset; try again";
    for _ in 0..4 {
        // A client that retries once, as the SDKs do, always gets through.
        let failed = get_scm(&server, &[]).await;
        assert_eq!(said(&failed), transient);
        assert_eq!(failed.header("retry-after-ms"), Some("20"));
        assert_eq!(get_says(&server, &[]).await, "200");
    }
    let journal = server.request("GET /__mock/journal", &[], "").await.json();
    let fired: Vec<Value> = entries(&journal, "scenario");
    assert_eq!(
        fired,
        [json!("flaky"), Value::Null]
            .iter()
            .cycle()
            .take(8)
            .cloned()
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn rate_limited_allows_a_burst_of_five_per_session() {
    let server = serving("rate-limited", 42).await;
    for _ in 0..5 {
        assert_eq!(get_says(&server, &[("x-mock-session", "a")]).await, "200");
    }
    let limited = get_scm(&server, &[("x-mock-session", "a")]).await;
    let expected = "429 resource_exhausted: rate limit exceeded: retry in 1s";
    assert_eq!(
        (said(&limited), limited.header("retry-after")),
        (expected.into(), Some("1"))
    );
    assert_eq!(get_says(&server, &[("x-mock-session", "b")]).await, "200");
}

#[tokio::test]
async fn auth_expired_and_not_found_everything_answer_every_method() {
    let cases = [
        (
            "auth-expired",
            "401 unauthenticated: the access token has expired; sign in again",
        ),
        ("not-found-everything", "404 not_found: resource not found"),
    ];
    for (scenario, expected) in cases {
        let server = serving(scenario, 42).await;
        for (method, got) in every_method(&server).await {
            assert_eq!(got, expected, "{scenario}: {method}");
        }
    }
}

#[tokio::test]
async fn permission_denied_writes_refuses_changes_and_serves_reads() {
    let server = serving("permission-denied-writes", 42).await;
    let before = server.request("GET /__mock/state", &[], "").await.json();
    let denied = "403 permission_denied: the caller may not change runner configuration";
    let mut writes = 0;
    for (method, got) in every_method(&server).await {
        if ["Create", "Update", "Delete"]
            .iter()
            .any(|w| method.starts_with(w))
        {
            assert_eq!(got, denied, "{method}");
            writes += 1;
        }
    }
    assert_eq!(writes, 8, "three creates, three updates and two deletes");
    let scm = json!({"scmId": "github", "host": "github.com", "pat": true});
    let reads = [
        ("GetSCMIntegration", json!({ "id": EXAMPLE_ID })),
        ("ListSCMIntegrations", json!({})),
        (
            "GetEnvironmentClass",
            json!({ "environmentClassId": EXAMPLE_ID }),
        ),
        ("ListEnvironmentClasses", json!({})),
        ("GetHostAuthenticationToken", json!({ "id": EXAMPLE_ID })),
        ("ListHostAuthenticationTokens", json!({})),
        ("GetRunnerConfigurationSchema", json!({ "runnerId": GCP })),
        (
            "ValidateRunnerConfiguration",
            json!({ "runnerId": GCP, "scmIntegration": scm }),
        ),
    ];
    for (method, body) in reads {
        assert_eq!(
            said(&server.rpc(method, &[], body).await),
            "200",
            "{method}"
        );
    }
    let after = server.request("GET /__mock/state", &[], "").await.json();
    assert_eq!(after, before, "nothing changed");
}

#[tokio::test]
async fn slow_answers_normally_after_a_spread_of_delays() {
    let server = serving("slow", 42).await;
    let normal = server.request("GET /__mock/state", &[], "").await;
    assert_eq!(normal.status, 200, "the control plane is not slowed");
    let mut took = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let reply = get_scm(&server, &[]).await;
        took.push(started.elapsed());
        let id = reply.json()["integration"]["id"].clone();
        assert_eq!((reply.status, id), (200, json!(EXAMPLE_ID)));
    }
    took.sort();
    // Seeded draws around a 120 ms median; loose bounds, since a busy machine only adds.
    assert!(
        took[4] >= Duration::from_millis(60),
        "median {:?} of {took:?}",
        took[4]
    );
    assert!(
        took[8] - took[0] >= Duration::from_millis(20),
        "a spread, not one delay: {took:?}"
    );
}

#[tokio::test]
async fn runner_offline_fails_only_calls_naming_that_runner() {
    let server = serving("runner-offline", 42).await;
    let scm =
        |runner: &str| json!({"runnerId": runner, "scmId": "github", "host": "github.example.com"});
    let calls = |runner: &str| {
        [
            (
                "GetRunnerConfigurationSchema",
                json!({ "runnerId": runner }),
            ),
            (
                "ListSCMIntegrations",
                json!({"filter": {"runnerIds": [runner]}}),
            ),
            (
                "ListEnvironmentClasses",
                json!({"filter": {"runnerIds": [GCP, runner]}}),
            ),
            (
                "ListHostAuthenticationTokens",
                json!({"filter": {"runnerId": runner}}),
            ),
            (
                "ValidateRunnerConfiguration",
                json!({"runnerId": runner, "scmIntegration": scm(runner)}),
            ),
            ("CreateSCMIntegration", scm(runner)),
        ]
    };
    let offline = format!("503 unavailable: runner {OFFLINE} is offline");
    for (method, body) in calls(OFFLINE) {
        assert_eq!(
            said(&server.rpc(method, &[], body).await),
            offline,
            "{method}"
        );
    }
    for (method, body) in calls(GCP) {
        assert_eq!(
            said(&server.rpc(method, &[], body).await),
            "200",
            "{method}"
        );
    }
    // The integration with the same id as the runner does not name the runner.
    assert_eq!(get_says(&server, &[]).await, "200");
}

#[tokio::test]
async fn chaos_is_a_seeded_mix_that_repeats_across_servers() {
    async fn run(seed: u64, session: &str) -> Vec<String> {
        let server = serving("chaos", seed).await;
        let line = format!("POST {SERVICE}/GetSCMIntegration");
        let headers = [
            ("content-type", "application/json"),
            ("x-mock-session", session),
        ];
        let mut outcomes = Vec::new();
        for _ in 0..80 {
            let body = json!({ "id": EXAMPLE_ID }).to_string();
            let reply = server.try_request(&line, &headers, body).await;
            outcomes.push(reply.map_or("connection error".into(), |r| said(&r)));
        }
        outcomes
    }
    let (first, again, other) = tokio::join!(run(5, "ci"), run(5, "ci"), run(5, "ci-2"));
    assert_eq!(
        first, again,
        "the same seed and session give the same sequence"
    );
    assert_ne!(first, other, "another session draws its own sequence");
    let mut kinds: Vec<&str> = first.iter().map(|o| o.split(':').next().unwrap()).collect();
    let ok = kinds.iter().filter(|k| **k == "200").count();
    kinds.sort();
    kinds.dedup();
    assert!(
        ok >= 40 && kinds.len() >= 4,
        "{ok} ok of 80; kinds {kinds:?}"
    );
    let known = [
        "200",
        "503 unavailable",
        "500 internal",
        "502 <html><body><h1>502 Bad Gateway</h1></body></html>",
        "connection error",
    ];
    assert!(kinds.iter().all(|k| known.contains(k)), "{kinds:?}");
}

/// Broken scenario files, and what each must say after `FILE: `.
#[rustfmt::skip]
const BROKEN: &[(&str, &str, &str)] = &[
    ("unknown-method.yaml", "rules:\n  - error: internal\n  - match: {method: GetNothing}\n    error: unavailable\n",
        "rule 2: match.method: \"GetNothing\" matches no method of the service"),
    ("bad-code.yaml", "rules:\n  - error: {code: teapot, message: hi}\n",
        "rule 1: error: unknown error code \"teapot\"; codes are: canceled, unknown, invalid_argument,"),
    ("bad-regex.yaml", "rules:\n  - match: {fields: {host: {matches: \"(\"}}}\n    error: internal\n",
        "rule 1: match.fields.host: bad regex \"(\": unclosed group"),
    ("two-actions.yaml", "rules:\n  - error: internal\n    connection: reset\n",
        "rule 1: a rule has exactly one action (delay, dribble and headers may go with it)"),
    ("bad-when.yaml", "rules:\n  - when: {probability: 1.5}\n    error: internal\n",
        "rule 1: when.probability: must be between 0 and 1"),
    ("misspelt.yaml", "rules:\n  - error: {code: internal, mesage: hi}\n",
        "rule 1: error: unknown field `mesage`, expected one of `code`, `message`, `details`"),
    ("misspelt-test.yaml", "rules:\n  - match: {fields: {host: {contain: x}}}\n    error: internal\n",
        "rule 1: match: unknown field `contain`, expected one of `equals`, `in`, `matches`, `contains`, `exists`"),
    ("bad-respond.yaml", "rules:\n  - pass: true\n  - match: {method: GetEnvironmentClass}\n    respond: {nonsense: 1}\n",
        "rule 2: respond is not a valid gitpod.v1.GetEnvironmentClassResponse for GetEnvironmentClass: unrecognized field name 'nonsense'"),
];

#[tokio::test]
async fn the_control_plane_refuses_a_broken_scenario_naming_the_rule_and_the_reason() {
    let server = TestServer::start().await;
    for (file, yaml, reason) in BROKEN {
        let name = file.trim_end_matches(".yaml");
        let reply = server
            .request(&format!("POST /__mock/scenarios?name={name}"), &[], yaml)
            .await;
        let got = said(&reply);
        let expected = format!("400 invalid_argument: {file}: ");
        assert!(got.starts_with(&expected) && got.contains(reason), "{got}");
    }
    let list = server
        .request("GET /__mock/scenarios", &[], "")
        .await
        .json();
    assert_eq!(
        list["scenarios"].as_array().unwrap().len(),
        8,
        "nothing broken was loaded"
    );
}

/// A fresh directory holding `files`.
fn scenario_dir(name: &str, files: &[(&str, &str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gitpod-mock-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text, _) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir
}

/// Runs the built binary until it exits (a minute at most): its status, stdout and stderr.
pub fn run_binary(args: &[&str]) -> (bool, String, String) {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_gitpod-mock"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Polls for the exit: a server that wrongly starts must not hang the test.
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{args:?} did not exit");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn check_and_serve_refuse_broken_scenario_files_naming_each_problem() {
    let dir = scenario_dir("broken", BROKEN);
    let path = dir.to_str().unwrap();
    let check = ["check", "fixtures", "--scenario-dir", path];
    let serve = ["serve", "--port", "0", "--scenario-dir", path];
    for args in [&check[..], &serve[..]] {
        let (ok, stdout, stderr) = run_binary(args);
        assert!(!ok && stdout.is_empty(), "{args:?}: {stdout}");
        assert!(
            stderr.starts_with("gitpod-mock: invalid scenarios:\n"),
            "{stderr}"
        );
        for (file, _, reason) in BROKEN {
            let prefix = format!("{}: ", dir.join(file).display());
            let line = stderr.lines().find(|l| l.starts_with(&prefix));
            assert!(
                line.is_some_and(|l| l.contains(reason)),
                "{args:?} {file}: {stderr}"
            );
        }
    }
    let retry = [(
        "retry.yaml",
        "rules:\n  - when: {first: 2}\n    error: unavailable\n",
        "",
    )];
    let good = scenario_dir("good", &retry);
    let (ok, stdout, stderr) = run_binary(&[
        "check",
        "fixtures",
        "--scenario-dir",
        good.to_str().unwrap(),
    ]);
    assert!(
        ok && stdout.starts_with("scenarios: ok (9 loaded)\n"),
        "{stdout}{stderr}"
    );
    let (ok, _, stderr) = run_binary(&["serve", "--port", "0", "--scenario", "nope"]);
    let unknown =
        "gitpod-mock: unknown scenario \"nope\"; loaded scenarios are: auth-expired, chaos,";
    assert!(!ok && stderr.starts_with(unknown), "{stderr}");
    for dir in [dir, good] {
        std::fs::remove_dir_all(dir).unwrap();
    }
}
