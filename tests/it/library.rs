//! The scenario library: one snapshot per shipped scenario of what a fixed call sequence gets
//! with it switched on server-wide, as `serve --scenario NAME` does; and broken scenario files
//! (respond bodies included) are refused when they load, naming the file, the rule and the
//! reason: on the control plane, and through the built binary's `check --scenario-dir` and
//! `serve --scenario-dir`.

use crate::calls::{said, GCP};
use crate::support::{
    assert_only_these_snapshots, rpc_request, Exchange, InProcess, TestServer, EXAMPLE_ID,
};
use gitpod_mock::app::App;
use gitpod_mock::contract::Contract;
use gitpod_mock::scenario::Library;
use serde_json::json;
use std::time::{Duration, Instant};

/// One snapshot per shipped scenario file: what each call of one fixed sequence gets with the
/// scenario switched on server-wide (as `serve --scenario NAME --seed 42` does), call by call.
/// This shows a reader what the scenario does to a client better than its rules, which the file
/// already states: which calls it fails and how, in which order, with what retry headers and
/// after what delay. The server runs in process on the paused clock, so the delays are exact and
/// cost nothing, and the same seed must give the same answers twice. (Only rate-limited's
/// bucket refills on the wall clock, at 2 tokens a second; the sequence takes milliseconds.)
#[test]
fn every_shipped_scenario_answers_the_call_sequence_as_snapshotted() {
    let contract = Contract::load();
    let calls = call_sequence(&contract);
    insta::glob!("../../scenarios", "*.yaml", |path| {
        let name = path.file_stem().unwrap().to_str().unwrap();
        let answers = || {
            let library = Library::load(&contract, None).unwrap();
            let app = App::with_defaults(Some(42)).with_scenarios(library, vec![name.into()]);
            let server = InProcess::new(app.unwrap_or_else(|e| panic!("{e}")));
            let lines = calls.iter().map(|(session, label, method, body)| {
                let headers = [("x-mock-session", *session)];
                let request = rpc_request(method, "application/json", &headers, body.as_str());
                let exchange = server
                    .send(request)
                    .unwrap_or_else(|e| panic!("{label}: {e}"));
                format!("{session}  {method} ({label}): {}", what_it_got(&exchange))
            });
            lines.collect::<Vec<_>>().join("\n")
        };
        let first = answers();
        let again = answers();
        assert_eq!(first, again, "{name}: the same seed gives the same answers");
        let library = Library::load(&contract, None).unwrap();
        let description = library.get(name).unwrap().description.trim().to_string();
        insta::with_settings!({ description => description, omit_expression => true }, {
            insta::assert_snapshot!("calls", first);
        });
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_only_these_snapshots("it__library__calls@", files.iter().map(String::as_str));
}

/// (session, label, method, JSON body): every documented request in session `a`, reads first
/// and deletes last (so the calls after them find their records), two calls naming another
/// runner than the documented one, then eight reads in session `b`.
fn call_sequence(contract: &Contract) -> Vec<(&'static str, &'static str, &'static str, String)> {
    let mut calls: Vec<_> = gitpod_mock::service::METHODS
        .iter()
        .flat_map(|m| {
            m.example
                .requests
                .iter()
                .map(|r| ("a", r.0, m.name, r.2.to_string()))
        })
        .collect();
    let writes = |method: &str| contract.procedure(method).unwrap().side_effects;
    // By kind, then name, so the sequence does not depend on the order of the procedure table.
    calls.sort_by_key(|(_, label, method, _)| {
        (
            writes(method),
            method.starts_with("Delete"),
            *method,
            *label,
        )
    });
    let schema = json!({ "runnerId": GCP }).to_string();
    let integrations = json!({"filter": {"runnerIds": [GCP]}}).to_string();
    calls.push((
        "a",
        "another runner's schema",
        "GetRunnerConfigurationSchema",
        schema,
    ));
    calls.push((
        "a",
        "another runner's integrations",
        "ListSCMIntegrations",
        integrations,
    ));
    let read = json!({ "id": EXAMPLE_ID }).to_string();
    let read = ("b", "Get integration details", "GetSCMIntegration", read);
    calls.extend(std::iter::repeat_n(read, 8));
    calls
}

/// An answer in one line: `200`, `503 unavailable: <message>` for a Connect error, the status,
/// content type and body of anything else, or `connection dropped`; then the headers a
/// scenario added and the time it held the answer back.
fn what_it_got(exchange: &Exchange) -> String {
    let Some(reply) = &exchange.reply else {
        return "connection dropped".into();
    };
    let mut out = match reply.header("content-type") {
        _ if reply.status == 200 => "200".to_string(),
        Some("application/json") => said(reply),
        other => format!(
            "{} {}: {}",
            reply.status,
            other.unwrap_or("-"),
            reply.text()
        ),
    };
    for (name, value) in &reply.headers {
        if !NORMAL_HEADERS.contains(&name.as_str()) {
            out += &format!(" [{name}: {}]", value.to_str().unwrap());
        }
    }
    if !exchange.took.is_zero() {
        out += &format!(" after {} ms", exchange.took.as_millis());
    }
    out
}

/// The headers every answer carries, scenario or not.
const NORMAL_HEADERS: &[&str] = &["content-type", "content-length", "vary"];

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
