//! The README's examples stay true: every scenario it shows loads, set-up is two commands, every
//! SDK snippet names its install line, and the behaviours it documents hold. `tests/readme/`
//! runs the SDK snippets and the shell commands (curl and `gitpod-mock …`) as written, on the
//! README's 127.0.0.1:4010.

use crate::support::{TestServer, EXAMPLE_ID, SERVICE};
use gitpod_mock::contract::Contract;
use gitpod_mock::scenario::Scenario;
use serde_json::json;

const README: &str = include_str!("../../README.md");

/// The fenced blocks of one language in the README.
fn blocks(language: &str) -> Vec<String> {
    let fence = format!("```{language}\n");
    README
        .split(&fence)
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_scenario_in_the_readme_loads() {
    let contract = Contract::load();
    let scenarios: Vec<String> = blocks("yaml")
        .into_iter()
        .filter(|b| b.contains("rules:"))
        .collect();
    assert!(scenarios.len() >= 2, "the README shows scenarios");
    for (i, text) in scenarios.iter().enumerate() {
        Scenario::parse(&contract, &format!("readme-{i}.yaml"), text)
            .unwrap_or_else(|e| panic!("README scenario {i}: {e}"));
    }
}

/// The README's section that starts with `heading`, up to the next heading of its level.
fn section(heading: &str) -> &'static str {
    let start = README
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let rest = &README[start + heading.len()..];
    let level = heading.split(' ').next().unwrap_or("##");
    let end = rest.find(&format!("\n{level} ")).unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn set_up_is_two_commands_with_the_install_line_beside_them() {
    let set_up = section("## Set up");
    assert_eq!(set_up.matches("```sh").count(), 2, "{set_up}");
    assert!(set_up.contains("`cargo install --path .`"), "{set_up}");
    assert!(set_up.contains("~/.cargo/bin"), "{set_up}");
}

#[test]
fn every_sdk_snippet_opens_with_its_install_line() {
    let firsts: Vec<String> = ["python", "js", "go"]
        .iter()
        .flat_map(|language| blocks(language))
        .map(|b| b.lines().next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        firsts,
        [
            "# pip install gitpod-sdk==1.2.0",
            "# pip install gitpod-sdk==0.11.0",
            "// npm install @gitpod/sdk@0.6.0",
            "// go get github.com/gitpod-io/gitpod-sdk-go",
        ]
    );
    let go = &blocks("go")[0];
    assert!(
        go.contains("option.WithBaseURL(\"http://127.0.0.1:4010\")"),
        "{go}"
    );
}

#[test]
fn exceed_deadline_waits_one_second_when_the_client_sends_no_deadline() {
    use gitpod_mock::scenario::{CallInfo, Runtime};
    let said = "a client that sends no deadline waits `fallback_ms` (1000, so\n1 s)";
    assert!(README.contains(said));
    let contract = Contract::load();
    let scenario =
        Scenario::parse(&contract, "d.yaml", "rules:\n  - exceed_deadline: {}\n").unwrap();
    let (headers, body) = (http::HeaderMap::new(), json!({}));
    let call = CallInfo {
        method: "GetSCMIntegration",
        body: &body,
        headers: &headers,
        timeout: None,
    };
    let decision = Runtime::new(1).decide(&[&scenario], &call, std::time::Instant::now());
    assert_eq!(decision.delay, std::time::Duration::from_secs(1));
}

#[tokio::test]
async fn put_state_replaces_the_sessions_data_as_the_readme_says() {
    assert!(README
        .contains("replace a session's data with an export: records not in the body are gone"));
    let server = TestServer::start().await;
    let created = server
        .ok(
            "CreateSCMIntegration",
            json!({"runnerId": EXAMPLE_ID, "scmId": "github", "host": "gone.example.com"}),
        )
        .await;
    let put = server.request("PUT /__mock/state", &[], "{}").await;
    assert_eq!(put.status, 200);
    let gone = server
        .call("GetSCMIntegration", json!({"id": created["id"]}))
        .await;
    assert_eq!(gone.status, 404, "{}", gone.text());
}

/// What the Go SDK (Stainless, JSON) sends: no Connect headers at all.
const GO_SDK_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("accept", "application/json"),
    ("authorization", "Bearer anything"),
    ("user-agent", "Gitpod/Go 0.7.0"),
    ("x-stainless-lang", "go"),
    ("x-stainless-retry-count", "0"),
];

#[tokio::test]
async fn the_go_sdks_json_without_connect_protocol_version_is_served() {
    let server = TestServer::start().await;
    let list = format!("{SERVICE}/ListEnvironmentClasses");
    let reply = server.post(&list, GO_SDK_HEADERS, "{}").await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.headers["content-type"], "application/json");
    let classes = reply.json()["environmentClasses"].clone();
    assert!(classes
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["id"] == EXAMPLE_ID)));
    let get = format!("{SERVICE}/GetEnvironmentClass");
    let bad = server
        .post(&get, GO_SDK_HEADERS, r#"{"environmentClassId": "nope"}"#)
        .await;
    bad.assert_error(
        400,
        "invalid_argument",
        "validation error: environment_class_id: value must be a valid UUID",
    );
    // The ListAutoPaging form: the page token in the query, the rest in the body.
    let page = format!("{list}?pageSize=2");
    let first = server.post(&page, GO_SDK_HEADERS, "{}").await.json();
    let token = first["pagination"]["nextToken"]
        .as_str()
        .expect("a next page");
    let next = format!("{list}?token={token}&pageSize=2");
    let second = server.post(&next, GO_SDK_HEADERS, "{}").await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert_ne!(
        second.json()["environmentClasses"],
        first["environmentClasses"]
    );
}

#[test]
fn the_readmes_method_counts_are_the_procedure_tables() {
    let documented = gitpod_mock::service::METHODS.len();
    let real = documented + gitpod_mock::service::UNCOVERED.len();
    let answers = format!("it answers all {documented} documented methods");
    assert!(README.contains(&answers), "the README says {answers:?}");
    let contract = format!("the {real} methods of the");
    assert!(README.contains(&contract), "the README says {contract:?}");
}

/// The README's Layout names only paths that exist, and lib.rs's guide names every module the
/// crate declares, so neither map drifts from the code.
#[test]
fn the_layouts_match_the_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let layout = section("## Layout");
    let paths: Vec<&str> = layout
        .split_whitespace()
        .map(|w| w.trim_end_matches(','))
        .filter(|w| {
            let tops = [
                "contract/",
                "fixtures/",
                "scenarios/",
                "src/",
                "tests/",
                "bench/",
            ];
            tops.iter().any(|top| w.starts_with(top))
        })
        .collect();
    assert!(paths.len() > 20, "{paths:?}");
    for path in paths {
        assert!(
            root.join(path).exists(),
            "README Layout names {path}, which does not exist"
        );
    }
    let lib = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let guide: String = lib.lines().filter(|l| l.starts_with("//!")).collect();
    let layout = &guide[guide.find("# Layout").expect("lib.rs has a Layout section")..];
    let modules = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod ").or(l.strip_prefix("mod ")))
        .map(|m| m.trim_end_matches(';'));
    for module in modules {
        assert!(
            layout.contains(&format!("`{module}`")),
            "lib.rs's Layout does not name module `{module}`"
        );
    }
}
