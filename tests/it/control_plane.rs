//! The control plane's own rules: beyond loopback it wants its token (the binary bound to
//! 0.0.0.0, called through 127.0.0.1), a known route with the wrong method answers 405 with
//! `Allow`, and a posted scenario needs a name.

use crate::calls::{get_says, said};
use crate::library::run_binary;
use crate::serve_flags::Serving;
use crate::support::{Client, TestServer};
use gitpod_mock::app::App;
use gitpod_mock::auth::ControlAccess;
use std::net::SocketAddr;

/// The address of a server bound to 0.0.0.0, reached through loopback.
fn via_loopback(served: &Serving) -> Client {
    let addr = SocketAddr::from(([127, 0, 0, 1], served.1.addr.port()));
    Client { addr }
}

async fn with_token(client: &Client, line: &str, token: Option<&str>) -> String {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|b| ("authorization", b.as_str()))
        .collect();
    said(&client.try_request(line, &headers, "").await.unwrap())
}

const NEEDS: &str = "401 unauthenticated: the control plane needs its token: send Authorization: Bearer <token>, with the token from --control-token or the one the ready line printed (--control-open turns this off)";
const WRONG: &str = "401 unauthenticated: the control-plane token is not valid: send Authorization: Bearer <token>, with the token from --control-token or the one the ready line printed (--control-open turns this off)";

#[tokio::test]
async fn beyond_loopback_the_control_plane_wants_the_printed_token() {
    let served = Serving::start(&["--host", "0.0.0.0"]);
    let token = served.2.strip_prefix("(control-plane token: ");
    let token = token.and_then(|t| t.strip_suffix(')'));
    let token = token.unwrap_or_else(|| panic!("no token on the ready line: {:?}", served.2));
    assert_eq!(token.len(), 32);
    let client = via_loopback(&served);
    for line in [
        "POST /__mock/reset",
        "GET /__mock/journal",
        "GET /__mock/state",
        "PUT /__mock/state",
    ] {
        assert_eq!(with_token(&client, line, None).await, NEEDS, "{line}");
        assert_eq!(
            with_token(&client, line, Some("guess")).await,
            WRONG,
            "{line}"
        );
    }
    assert_eq!(
        with_token(&client, "POST /__mock/reset", Some(token)).await,
        "200"
    );
    assert_eq!(
        with_token(&client, "GET /__mock/journal", Some(token)).await,
        "200"
    );
    // Probes and the exported contract need no token, and RPCs keep their own rules.
    for line in [
        "GET /__mock/health",
        "GET /__mock/ready",
        "GET /__mock/openapi.json",
    ] {
        assert_eq!(with_token(&client, line, None).await, "200", "{line}");
    }
    assert_eq!(get_says(&client, &[]).await, "200");
    let reply = client
        .try_request("POST /__mock/reset", &[], "")
        .await
        .unwrap();
    assert_eq!(
        reply.headers.get("www-authenticate").unwrap(),
        "Bearer realm=\"gitpod-mock control plane\""
    );
}

#[tokio::test]
async fn a_given_token_is_never_printed_and_control_open_opens_it() {
    let given = Serving::start(&["--host", "0.0.0.0", "--control-token", "ci-control-1"]);
    assert_eq!(given.2, "", "the ready line shows no token the user chose");
    let client = via_loopback(&given);
    assert_eq!(with_token(&client, "POST /__mock/reset", None).await, NEEDS);
    assert_eq!(
        with_token(&client, "POST /__mock/reset", Some("ci-control-1")).await,
        "200"
    );
    let open = Serving::start(&["--host", "0.0.0.0", "--control-open"]);
    assert_eq!(open.2, "");
    assert_eq!(
        with_token(&via_loopback(&open), "POST /__mock/reset", None).await,
        "200"
    );
    // On loopback nothing changes unless a token is given.
    let loopback = Serving::start(&[]);
    assert_eq!(
        with_token(&loopback.1, "POST /__mock/reset", None).await,
        "200"
    );
    let (ok, stderr) = given.stop();
    assert!(ok, "{stderr}");
    assert!(!stderr.contains("ci-control-1"), "{stderr}");
}

#[test]
fn contradictory_control_flags_fail_at_start() {
    let both = [
        "serve",
        "--port",
        "0",
        "--control-token",
        "t",
        "--control-open",
    ];
    let (ok, _, stderr) = run_binary(&both);
    assert!(!ok && stderr.contains("cannot be used with"), "{stderr}");
    let (ok, _, stderr) = run_binary(&["serve", "--port", "0", "--control-token", ""]);
    assert!(!ok);
    assert_eq!(stderr, "gitpod-mock: --control-token must not be empty\n");
}

#[tokio::test]
async fn a_known_route_with_the_wrong_method_gets_405_and_the_allowed_ones() {
    let server = TestServer::start().await;
    #[rustfmt::skip]
    let cases = [
        ("GET /__mock/reset", "POST"),
        ("GET /__mock/verify", "POST"),
        ("GET /__mock/sessions/a/reset", "POST"),
        ("GET /__mock/scenarios/flaky/activate", "POST"),
        ("POST /__mock/journal", "GET, HEAD"),
        ("DELETE /__mock/coverage", "GET, HEAD"),
        ("POST /__mock/sessions/a", "DELETE"),
        ("DELETE /__mock/state", "GET, HEAD, PUT, POST"),
        ("DELETE /__mock/scenarios", "GET, HEAD, POST, PUT"),
    ];
    for (line, allow) in cases {
        let reply = server.try_request(line, &[], "").await.unwrap();
        let (verb, path) = line.split_once(' ').unwrap();
        let path = path.trim_start_matches("/__mock/");
        let message = format!(
            "405 unknown: HTTP method {verb} is not allowed on /__mock/{path}: use {}",
            allow.replace(", ", " or ")
        );
        assert_eq!(said(&reply), message);
        assert_eq!(reply.headers.get("allow").unwrap(), allow, "{line}");
    }
    let reply = server.request("GET /__mock/nothing-here", &[], "").await;
    let unknown = "404 not_found: no control-plane route /__mock/nothing-here; see the README's control plane section";
    assert_eq!(said(&reply), unknown);
    let head = server
        .try_request("HEAD /__mock/journal", &[], "")
        .await
        .unwrap();
    assert_eq!(head.status, 200);
}

#[tokio::test]
async fn an_app_with_a_token_guards_every_route_but_the_probes() {
    let mut app = App::with_defaults(Some(42));
    app.settings.control = ControlAccess::Token("in-process".into());
    let server = TestServer::with(app).await;
    let client = server.client();
    assert_eq!(
        with_token(&client, "GET /__mock/sessions", None).await,
        NEEDS
    );
    assert_eq!(
        with_token(&client, "GET /__mock/sessions", Some("in-process")).await,
        "200"
    );
    // A wrong method is only revealed to a caller with the token.
    assert_eq!(with_token(&client, "GET /__mock/reset", None).await, NEEDS);
    assert!(with_token(&client, "GET /__mock/reset", Some("in-process"))
        .await
        .starts_with("405 "));
}

#[tokio::test]
async fn a_posted_scenario_needs_a_name() {
    let server = TestServer::start().await;
    let client = server.client();
    let rules = "rules:\n  - error: unavailable\n";
    let reply = client.request("POST /__mock/scenarios", &[], rules).await;
    let needed = "400 invalid_argument: name the scenario: add ?name=NAME to the URL or a name: line to the file";
    assert_eq!(said(&reply), needed);
    let reply = client
        .request("POST /__mock/scenarios?name=", &[], rules)
        .await;
    assert_eq!(said(&reply), needed, "an empty name is no name");
    let named = format!("name: from-file\n{rules}");
    let reply = client.request("POST /__mock/scenarios", &[], &named).await;
    assert_eq!(reply.json()["loaded"], "from-file");
    let reply = client
        .request("POST /__mock/scenarios?name=from-query", &[], &named)
        .await;
    assert_eq!(
        reply.json()["loaded"],
        "from-query",
        "the query names it over the file"
    );
    let reply = client
        .request("POST /__mock/scenarios?name=a%2Fb", &[], rules)
        .await;
    let bad = "400 invalid_argument: scenario name \"a/b\": use letters, digits, '-', '_' and '.'";
    assert_eq!(said(&reply), bad);
    let listed = client
        .request("GET /__mock/scenarios", &[], "")
        .await
        .json();
    let names: Vec<&str> = listed["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"from-file") && !names.contains(&"posted"),
        "{names:?}"
    );
}

#[tokio::test]
async fn schemas_over_http_take_any_case_and_suggest_the_nearest_method() {
    let server = TestServer::start().await;
    let exact = server
        .request("GET /__mock/schemas/GetSCMIntegration/response", &[], "")
        .await;
    let lower = server
        .request("GET /__mock/schemas/getscmintegration/response", &[], "")
        .await;
    assert_eq!((lower.status, lower.json()), (200, exact.json()));
    let typo = server
        .request("GET /__mock/schemas/GetScmIntegratoin", &[], "")
        .await;
    let start = "404 not_found: no schema for \"GetScmIntegratoin\": it is not a method of gitpod.v1.RunnerConfigurationService (did you mean \"GetSCMIntegration\"?); methods are ";
    assert!(said(&typo).starts_with(start), "{}", said(&typo));
}
