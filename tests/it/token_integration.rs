//! CreateHostAuthenticationToken and the SCM integration a token names: it must exist
//! (`not_found`) and be of the token's runner and host (`failed_precondition`); a refused
//! token is not stored.

use crate::support::{TestServer, EXAMPLE_ID};
use serde_json::{json, Value};

/// The example runner's integration for gitlab.com, in the default fixtures.
const GITLAB_OF_EXAMPLE_RUNNER: &str = EXAMPLE_ID;
/// Another runner's integration for github.com.
const GITHUB_OF_OTHER_RUNNER: &str = "15ec0cc1-0e17-439c-afa9-05f309ce5983";
const OTHER_RUNNER: &str = "7f3e0481-8f8f-4482-a5b9-f3875184a902";

fn token(host: &str, integration: &str) -> Value {
    json!({
        "runnerId": EXAMPLE_ID, "host": host, "token": "t", "integrationId": integration,
        "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT",
    })
}

async fn token_count(server: &TestServer) -> usize {
    let body = json!({"pagination": {"pageSize": 100}});
    let list = server.ok("ListHostAuthenticationTokens", body).await;
    list["tokens"].as_array().unwrap().len()
}

#[tokio::test]
async fn an_integration_of_another_runner_or_host_is_a_failed_precondition() {
    let server = TestServer::start().await;
    let before = token_count(&server).await;
    #[rustfmt::skip]
    let cases = [
        (token("github.com", GITHUB_OF_OTHER_RUNNER), format!(
            "SCM integration {GITHUB_OF_OTHER_RUNNER} is for runner {OTHER_RUNNER} and host github.com, not for runner {EXAMPLE_ID} and host github.com")),
        (token("github.com", GITLAB_OF_EXAMPLE_RUNNER), format!(
            "SCM integration {GITLAB_OF_EXAMPLE_RUNNER} is for runner {EXAMPLE_ID} and host gitlab.com, not for runner {EXAMPLE_ID} and host github.com")),
    ];
    for (body, message) in cases {
        let reply = server.call("CreateHostAuthenticationToken", body).await;
        reply.assert_error(400, "failed_precondition", &message);
    }
    assert_eq!(token_count(&server).await, before, "nothing was stored");
}

#[tokio::test]
async fn a_missing_integration_is_not_found_and_a_matching_one_is_kept() {
    let server = TestServer::start().await;
    let missing = "99999999-9999-4999-8999-999999999999";
    let reply = server
        .call(
            "CreateHostAuthenticationToken",
            token("gitlab.com", missing),
        )
        .await;
    let message = format!("SCM integration {missing} not found");
    reply.assert_error(404, "not_found", &message);

    let body = token("gitlab.com", GITLAB_OF_EXAMPLE_RUNNER);
    let created = server.ok("CreateHostAuthenticationToken", body).await;
    assert_eq!(created["token"]["integrationId"], GITLAB_OF_EXAMPLE_RUNNER);
}
