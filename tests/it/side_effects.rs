//! The documented side effects of UpdateSCMIntegration on host tokens: `oauthClientId: ""`
//! removes the integration's OAuth configuration and deletes the OAuth-sourced tokens of its
//! runner and host; `pat: false` deletes the PAT-sourced ones. Nothing else is touched.

use crate::support::{fixture, TestServer, EXAMPLE_ID};
use serde_json::{json, Value};

const OAUTH: &str = "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH";
const PAT: &str = "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT";
const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";
const USER: &str = "66666666-6666-4666-8666-666666666666";

/// All tokens the server holds, in list order.
async fn tokens(server: &TestServer) -> Vec<Value> {
    let body = server
        .ok(
            "ListHostAuthenticationTokens",
            json!({"pagination": {"pageSize": 100}}),
        )
        .await;
    assert_eq!(body["pagination"], json!({}), "one page holds all");
    body["tokens"].as_array().unwrap().clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// Tokens created through the API next to the fixtures: on the integration's runner and host
/// (which the side effect covers), on the same runner with another host, and on another
/// runner with the same host (which it does not).
async fn add_tokens(server: &TestServer) {
    for (runner, host, source) in [
        (EXAMPLE_ID, "gitlab.com", OAUTH),
        (EXAMPLE_ID, "gitlab.com", PAT),
        (EXAMPLE_ID, "gitlab.example.org", OAUTH),
        (EXAMPLE_ID, "gitlab.example.org", PAT),
        (GCP, "gitlab.com", PAT),
    ] {
        let body = json!({"runnerId": runner, "userId": USER, "host": host, "token": "t", "source": source});
        server.ok("CreateHostAuthenticationToken", body).await;
    }
}

#[tokio::test]
async fn the_fixtures_hold_tokens_of_both_sources_for_the_example_integration() {
    // The scenario below needs these; a fixture edit that drops them must fail loudly here.
    let integration = fixture("scm_integrations.json")["integrations"][0].clone();
    assert_eq!(
        (integration["id"].as_str(), integration["host"].as_str()),
        (Some(EXAMPLE_ID), Some("gitlab.com"))
    );
    assert!(integration["oauth"].is_object() && integration["pat"] == true);
    let tokens = fixture("host_authentication_tokens.json")["tokens"]
        .as_array()
        .unwrap()
        .clone();
    let on = |source: &str| {
        tokens
            .iter()
            .filter(|t| {
                t["runnerId"] == EXAMPLE_ID && t["host"] == "gitlab.com" && t["source"] == source
            })
            .count()
    };
    assert!(
        on(OAUTH) >= 1 && on(PAT) >= 2,
        "OAuth {} PAT {}",
        on(OAUTH),
        on(PAT)
    );
    assert!(tokens
        .iter()
        .any(|t| t["runnerId"] != EXAMPLE_ID && t["host"] == "gitlab.com"));
}

/// The integration after an update, from what it was: which top-level fields change.
type Expect = fn(&mut serde_json::Map<String, Value>);

#[tokio::test]
async fn updates_delete_exactly_the_tokens_of_the_sources_they_switch_off() {
    let cases: Vec<(Value, &[&str], Expect)> = vec![
        (json!({"oauthClientId": ""}), &[OAUTH], |i| {
            i.remove("oauth");
        }),
        (json!({"pat": false}), &[PAT], |i| {
            i.remove("pat");
        }),
        (
            json!({"oauthClientId": "", "pat": false}),
            &[OAUTH, PAT],
            |i| {
                i.remove("oauth");
                i.remove("pat");
            },
        ),
        // Clearing the client id ignores a secret sent along with it.
        (
            json!({"oauthClientId": "", "oauthPlaintextClientSecret": "s3cr3t"}),
            &[OAUTH],
            |i| {
                i.remove("oauth");
            },
        ),
        (json!({"pat": true}), &[], |_| {}),
        (json!({"oauthClientId": "new-client"}), &[], |i| {
            i["oauth"]["clientId"] = json!("new-client");
        }),
        (json!({"issuerUrl": "https://gitlab.com"}), &[], |i| {
            i["oauth"]["issuerUrl"] = json!("https://gitlab.com");
        }),
        (json!({}), &[], |_| {}),
    ];
    for (update, sources, expect) in cases {
        let server = TestServer::start().await;
        add_tokens(&server).await;
        let before = tokens(&server).await;
        let integration = server
            .ok("GetSCMIntegration", json!({"id": EXAMPLE_ID}))
            .await["integration"]
            .clone();
        let mut body = update.clone();
        body["id"] = json!(EXAMPLE_ID);
        assert_eq!(
            server.ok("UpdateSCMIntegration", body).await,
            json!({}),
            "{update}"
        );

        let doomed = |t: &Value| {
            t["runnerId"] == EXAMPLE_ID
                && t["host"] == "gitlab.com"
                && sources.iter().any(|s| t["source"] == *s)
        };
        let (gone, kept): (Vec<Value>, Vec<Value>) = before.into_iter().partition(|t| doomed(t));
        // The fixtures' tokens of those sources on the example runner and gitlab.com, plus the
        // one add_tokens created there for each source.
        let fixtures = fixture("host_authentication_tokens.json")["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| doomed(t))
            .count();
        assert_eq!(
            gone.len(),
            fixtures + sources.len(),
            "{update}: how many go"
        );
        let after = tokens(&server).await;
        assert_eq!(
            after.iter().map(id).collect::<Vec<_>>(),
            kept.iter().map(id).collect::<Vec<_>>(),
            "{update}"
        );
        assert_eq!(after, kept, "{update}: the kept tokens are unchanged");
        for token in &gone {
            let message = format!("host authentication token {} not found", id(token));
            let reply = server
                .call("GetHostAuthenticationToken", json!({"id": token["id"]}))
                .await;
            reply.assert_error(404, "not_found", &message);
        }

        let mut expected = integration.as_object().unwrap().clone();
        expect(&mut expected);
        let got = server
            .ok("GetSCMIntegration", json!({"id": EXAMPLE_ID}))
            .await;
        assert_eq!(got["integration"], Value::Object(expected), "{update}");
    }
}

#[tokio::test]
async fn another_integrations_update_leaves_these_tokens_alone() {
    // 2c803332-… is GCP's gitlab.com integration: switching it off deletes GCP's gitlab.com
    // tokens only, never the example runner's.
    let server = TestServer::start().await;
    add_tokens(&server).await;
    let before = tokens(&server).await;
    let update =
        json!({"id": "2c803332-766e-403a-a56b-aed9d42290a0", "oauthClientId": "", "pat": false});
    server.ok("UpdateSCMIntegration", update).await;
    let expected: Vec<Value> = before
        .into_iter()
        .filter(|t| !(t["runnerId"] == GCP && t["host"] == "gitlab.com"))
        .collect();
    assert!(expected
        .iter()
        .any(|t| t["runnerId"] == EXAMPLE_ID && t["host"] == "gitlab.com"));
    assert_eq!(tokens(&server).await, expected);
}
