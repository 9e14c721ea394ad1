//! ValidateRunnerConfiguration checks an environment class or an SCM integration against the
//! runner's schema (fixtures/schemas/) and reports each problem in its response, never as an
//! error; only an unknown runner is one. Responses are canonical proto3 JSON: `valid: false`
//! and empty lists are left out.

use crate::support::{TestServer, EXAMPLE_ID};
use gitpod_mock::contract::Contract;
use prost_reflect::DynamicMessage;
use serde_json::{json, Value};

const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";
const DEV_AGENT: &str = "eaae36ef-6bb2-44b0-8463-992d76c14d16";

/// Checks a response is exactly what proto3 JSON makes of the message it decodes to.
fn assert_canonical(contract: &Contract, response: &Value) {
    let desc = contract
        .procedure("ValidateRunnerConfiguration")
        .unwrap()
        .output
        .clone();
    let message = DynamicMessage::deserialize(desc, response.clone())
        .unwrap_or_else(|e| panic!("not a ValidateRunnerConfigurationResponse ({e}): {response}"));
    assert_eq!(
        &serde_json::to_value(&message).unwrap(),
        response,
        "not canonical proto3 JSON"
    );
}

fn config(pairs: &[(&str, &str)]) -> Value {
    pairs
        .iter()
        .map(|(k, v)| json!({"key": k, "value": v}))
        .collect()
}

fn error(key: &str, message: &str) -> Value {
    json!({"key": key, "error": message})
}

/// (runner, displayName, description, configuration, the expected environmentClass result)
type ClassCase = (
    &'static str,
    String,
    String,
    Vec<(&'static str, &'static str)>,
    Value,
);

#[rustfmt::skip]
fn class_cases() -> Vec<ClassCase> {
    let ok = [("cpu", "8"), ("memory", "16384")];
    let plus = |extra: &[(&'static str, &'static str)]| [&ok[..], extra].concat();
    let unknown = |key: &str, version: &str| error(key, &format!("unknown configuration key: the runner's schema (version {version}) has no such field"));
    let name = |n: &str| (n.to_string(), "8 vCPU".to_string());
    let errors = |e: Vec<Value>| json!({"configurationErrors": e});
    let length = |what: &str, got: usize, max: usize| format!("{what} must be between 3 and {max} characters long, got {got}");
    let case = |(n, d): (String, String), config: Vec<(&'static str, &'static str)>, expected: Value| (EXAMPLE_ID, n, d, config, expected);
    vec![
        case(name("Large"), ok.to_vec(), json!({"valid": true})),
        case(name("Full"), plus(&[("instance_type", "m6i.xlarge"), ("disk_size_gb", "10"), ("architecture", "arm64"), ("spot", "true"), ("private_registry_token", "tok")]), json!({"valid": true})),
        case(name("Large"), plus(&[("gpu", "1")]), errors(vec![unknown("gpu", "2025-01-15")])),
        case(name("Large"), vec![("cpu", "8")], errors(vec![error("memory", "Memory (MiB) is required")])),
        case(name("Large"), vec![], errors(vec![error("cpu", "vCPUs is required"), error("memory", "Memory (MiB) is required")])),
        case(name("Large"), vec![("cpu", ""), ("memory", "1024")], errors(vec![error("cpu", "vCPUs is required")])),
        case(name("Large"), vec![("cpu", "65"), ("memory", "511")], errors(vec![error("cpu", "must be between 1 and 64, got 65"), error("memory", "must be between 512 and 262144, got 511")])),
        case(name("Large"), vec![("cpu", "eight"), ("memory", "1.5")], errors(vec![error("cpu", "must be a whole number, got \"eight\""), error("memory", "must be a whole number, got \"1.5\"")])),
        case(name("Large"), plus(&[("architecture", "sparc")]), errors(vec![error("architecture", "must be one of x86_64, arm64, got \"sparc\"")])),
        case(name("Large"), plus(&[("instance_type", "M6I_XL")]), errors(vec![error("instance_type", "\"M6I_XL\" does not match the pattern ^[a-z][a-z0-9]*\\.[a-z0-9]+$")])),
        case(name("Large"), plus(&[("pricing_note", "free")]), errors(vec![error("pricing_note", "is a display field and cannot be set")])),
        case(name("Large"), plus(&[("spot", "yes")]), errors(vec![error("spot", "must be true or false, got \"yes\"")])),
        case(name("Large"), plus(&[("cpu", "4")]), errors(vec![error("cpu", "is set more than once")])),
        case(name("ab"), ok.to_vec(), json!({"displayNameError": length("display name", 2, 127)})),
        case(name(&"x".repeat(128)), ok.to_vec(), json!({"displayNameError": length("display name", 128, 127)})),
        case(name(&"é".repeat(127)), ok.to_vec(), json!({"valid": true})),
        case(("Large".into(), "".into()), ok.to_vec(), json!({"descriptionError": length("description", 0, 200)})),
        case(("Large".into(), "d".repeat(201)), ok.to_vec(), json!({"descriptionError": length("description", 201, 200)})),
        (GCP, "GCP".into(), "n2 VM".into(), vec![("machine_type", "n2-standard-8"), ("disk_type", "pd-ssd")], json!({"valid": true})),
        (GCP, "GCP".into(), "n2 VM".into(), vec![("machine_type", "N2 Standard"), ("disk_type", "pd-nvme")], errors(vec![
            error("machine_type", "\"N2 Standard\" does not match the pattern ^[a-z][a-z0-9]*-[a-z0-9]+(-[0-9]+)?$"),
            error("disk_type", "must be one of pd-balanced, pd-ssd, pd-standard, got \"pd-nvme\""),
        ])),
        (DEV_AGENT, "Dev VM".into(), "a vm".into(), vec![("cpu", "17"), ("memory", "2048"), ("instance_type", "m6i.large")], errors(vec![
            error("cpu", "must be between 1 and 16, got 17"),
            unknown("instance_type", "2025-02-10"),
        ])),
        // Everything at once: name, description, then configuration errors in request order and
        // missing required keys last.
        case(("".into(), "ab".into()), vec![("spot", "1"), ("gpu", "2")], json!({
            "displayNameError": length("display name", 0, 127),
            "descriptionError": length("description", 2, 200),
            "configurationErrors": [
                error("spot", "must be true or false, got \"1\""), unknown("gpu", "2025-01-15"),
                error("cpu", "vCPUs is required"), error("memory", "Memory (MiB) is required"),
            ],
        })),
    ]
}

#[tokio::test]
async fn environment_class_problems_are_each_reported() {
    let server = TestServer::start().await;
    let contract = Contract::load();
    for (runner, name, description, configuration, expected) in class_cases() {
        let class = json!({"displayName": name, "description": description, "configuration": config(&configuration)});
        let body = json!({"runnerId": runner, "environmentClass": class});
        let response = server.ok("ValidateRunnerConfiguration", body.clone()).await;
        assert_eq!(response, json!({"environmentClass": expected}), "{body}");
        assert_canonical(&contract, &response);
    }
}

/// (runner, scmIntegration, the expected scmIntegration result)
#[rustfmt::skip]
fn scm_cases() -> Vec<(&'static str, Value, Value)> {
    let no_pat = "this SCM does not support personal access tokens on this runner";
    let no_secret = "an OAuth client secret is required when oauth_client_id is set";
    let no_id = "oauth_client_id is required when a client secret is set";
    vec![
        (EXAMPLE_ID, json!({"scmId": "github", "host": "github.com", "oauthClientId": "c", "oauthPlaintextClientSecret": "s"}), json!({"valid": true})),
        (EXAMPLE_ID, json!({"scmId": "github", "host": "github.com", "oauthClientId": "c", "oauthEncryptedClientSecret": "AQID"}), json!({"valid": true})),
        (EXAMPLE_ID, json!({"scmId": "gitlab", "host": "gitlab.example.com", "pat": true}), json!({"valid": true})),
        (EXAMPLE_ID, json!({"scmId": "azure-devops", "host": "tfs.example.com", "pat": true, "virtualDirectory": "/tfs"}), json!({"valid": true})),
        (EXAMPLE_ID, json!({"scmId": "perforce", "host": "p4.example.com"}), json!({"scmIdError": "scm_id \"perforce\" is not supported by this runner: supported are github, gitlab, bitbucket, azure-devops"})),
        (GCP, json!({"scmId": "bitbucket", "host": "bitbucket.org"}), json!({"scmIdError": "scm_id \"bitbucket\" is not supported by this runner: supported are github, gitlab, azure-devops"})),
        (EXAMPLE_ID, json!({"host": "github.com"}), json!({"scmIdError": "scm_id is required"})),
        (EXAMPLE_ID, json!({"scmId": "github", "host": ""}), json!({"hostError": "host is required"})),
        (EXAMPLE_ID, json!({"scmId": "github", "host": "https://github.com"}), json!({"hostError": "host must be a host name without scheme or path, got \"https://github.com\""})),
        (EXAMPLE_ID, json!({"scmId": "github", "host": "github.com", "oauthClientId": "c"}), json!({"oauthError": no_secret})),
        (EXAMPLE_ID, json!({"scmId": "github", "host": "github.com", "oauthPlaintextClientSecret": "s"}), json!({"oauthError": no_id})),
        (EXAMPLE_ID, json!({"scmId": "github", "host": "github.com", "oauthClientId": "", "oauthEncryptedClientSecret": "AQID"}), json!({"oauthError": no_id})),
        // GCP's gitlab entry has no `pat` section, but does have OAuth.
        (GCP, json!({"scmId": "gitlab", "host": "gitlab.com", "pat": true}), json!({"patError": no_pat})),
        (GCP, json!({"scmId": "gitlab", "host": "gitlab.com", "oauthClientId": "c", "oauthPlaintextClientSecret": "s"}), json!({"valid": true})),
        (EXAMPLE_ID, json!({"scmId": "github", "host": "github.com", "virtualDirectory": "/tfs"}), json!({"hostError": "virtual_directory is only used for Azure DevOps Server"})),
        (GCP, json!({}), json!({"scmIdError": "scm_id is required", "hostError": "host is required"})),
        (GCP, json!({"scmId": "gitlab", "host": "", "oauthClientId": "c", "pat": true}), json!({"hostError": "host is required", "oauthError": no_secret, "patError": no_pat})),
    ]
}

#[tokio::test]
async fn scm_integration_problems_are_each_reported() {
    let server = TestServer::start().await;
    let contract = Contract::load();
    for (runner, scm, expected) in scm_cases() {
        let body = json!({"runnerId": runner, "scmIntegration": scm});
        let response = server.ok("ValidateRunnerConfiguration", body.clone()).await;
        assert_eq!(response, json!({"scmIntegration": expected}), "{body}");
        assert_canonical(&contract, &response);
    }
}

#[tokio::test]
async fn an_unknown_runner_is_not_found_and_nothing_is_stored() {
    let server = TestServer::start().await;
    let runner = "77777777-7777-4777-8777-777777777777";
    let configs = [
        json!({"environmentClass": {"displayName": "abc", "description": "abc"}}),
        json!({"scmIntegration": {"scmId": "github", "host": "github.com"}}),
    ];
    for mut body in configs {
        body["runnerId"] = json!(runner);
        let reply = server.call("ValidateRunnerConfiguration", body).await;
        reply.assert_error(404, "not_found", &format!("runner {runner} not found"));
    }
    // Validating never creates anything.
    let body = json!({"runnerId": EXAMPLE_ID, "scmIntegration": {"scmId": "github", "host": "new.example.com", "pat": true}});
    server.ok("ValidateRunnerConfiguration", body).await;
    let list = server
        .ok(
            "ListSCMIntegrations",
            json!({"filter": {"runnerIds": [EXAMPLE_ID]}}),
        )
        .await;
    assert!(list["integrations"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["host"] != "new.example.com"));
}
