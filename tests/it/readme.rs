//! The README's examples stay true: every scenario it shows loads, and its curl example works.

use crate::support::{TestServer, EXAMPLE_ID};
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

#[tokio::test]
async fn the_readme_curl_examples_answer_as_shown() {
    let server = TestServer::start().await;
    let ok = server
        .call(
            "GetEnvironmentClass",
            json!({"environmentClassId": EXAMPLE_ID}),
        )
        .await;
    assert_eq!(ok.status, 200);
    let bad = server
        .call("GetEnvironmentClass", json!({"environmentClassId": "nope"}))
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.code(), "invalid_argument");
    let shown = "validation error: environment_class_id: value must be a valid UUID";
    assert_eq!(bad.message(), shown);
    assert!(
        README.contains(shown),
        "the README shows the message the server gives"
    );
}
