//! Sessions and the control plane around them: isolation under concurrent sessions, resets and
//! drops, session ids, the journal's bound, filters and redaction, verification, coverage, state
//! export and import (also `serve --state FILE` across a restart), auth, and the record budget.

use crate::scenarios::{admin, entries, get_says, rpc, said};
use crate::support::{TestServer, EXAMPLE_ID, EXAMPLE_USER};
use gitpod_mock::app::App;
use gitpod_mock::auth::Auth;
use gitpod_mock::session::Limits;
use serde_json::{json, Value};
use std::net::SocketAddr;

const GCP: &str = "07503cd0-8150-42b7-8429-5bf8513241c9";

fn with_limits(limits: Limits) -> App {
    App::with_defaults(Some(42)).with_sessions(42, limits)
}

fn session(id: &str) -> [(&str, &str); 1] {
    [("x-mock-session", id)]
}

/// Creates an SCM integration for the GCP runner in a session; returns what the call said.
async fn create_scm(addr: SocketAddr, id: &str, host: &str) -> String {
    let body = json!({"runnerId": GCP, "scmId": "github", "host": host, "pat": true});
    said(&rpc(addr, "CreateSCMIntegration", &session(id), body).await)
}

/// The hosts of the GCP runner's SCM integrations, as a session sees them.
async fn hosts(addr: SocketAddr, id: &str) -> Vec<Value> {
    let body = json!({"filter": {"runnerIds": [GCP]}});
    let list = rpc(addr, "ListSCMIntegrations", &session(id), body).await;
    let list = list.json();
    entries(&json!({ "entries": list["integrations"] }), "host")
}

/// A session's exported state.
async fn state(addr: SocketAddr, id: &str) -> Value {
    admin(addr, &format!("GET /__mock/state?session={id}"), "")
        .await
        .json()
}

/// The ids `GET /__mock/sessions` lists.
async fn session_ids(addr: SocketAddr) -> Vec<Value> {
    let listed = admin(addr, "GET /__mock/sessions", "").await.json();
    entries(&json!({ "entries": listed["sessions"] }), "id")
}

/// A file in the temporary directory, named for this test process.
fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("gitpod-mock-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// `GET /__mock/journal` with a query such as `?session=a`.
async fn journal(addr: SocketAddr, query: &str) -> Value {
    admin(addr, &format!("GET /__mock/journal{query}"), "")
        .await
        .json()
}

#[tokio::test]
async fn concurrent_sessions_each_see_only_their_own_changes() {
    let server = TestServer::start().await;
    let (addr, fixture_hosts) = (server.addr, hosts(server.addr, "default").await);
    let jobs = (0..8).map(|job| {
        let fixture_hosts = fixture_hosts.clone();
        tokio::spawn(async move {
            let id = format!("ci-job-{job}");
            // Every job uses the same host names: only isolation keeps them apart.
            let new: Vec<String> = (0..=job).map(|n| format!("git{n}.ci.example")).collect();
            for host in &new {
                assert_eq!(create_scm(addr, &id, host).await, "200", "{id}");
            }
            let mut expected = fixture_hosts.clone();
            expected.extend(new.iter().map(|h| json!(h)));
            assert_eq!(hosts(addr, &id).await, expected, "{id} sees its own records only");
            let again = create_scm(addr, &id, &new[0]).await;
            let exists = format!("409 already_exists: runner {GCP} already has an SCM integration for host git0.ci.example");
            assert_eq!(again, exists);
            let list = rpc(addr, "ListSCMIntegrations", &session(&id), json!({})).await.json();
            for integration in list["integrations"].as_array().unwrap() {
                if integration["host"].as_str().unwrap().ends_with(".ci.example") {
                    let body = json!({ "id": integration["id"] });
                    let reply = rpc(addr, "DeleteSCMIntegration", &session(&id), body).await;
                    assert_eq!(said(&reply), "200");
                }
            }
            assert_eq!(hosts(addr, &id).await, fixture_hosts, "{id} after deleting");
        })
    });
    for job in jobs.collect::<Vec<_>>() {
        job.await.unwrap();
    }
    let default = hosts(addr, "default").await;
    assert_eq!(default, fixture_hosts, "the default session is untouched");
}

#[tokio::test]
async fn sessions_reset_one_at_a_time_or_all_at_once_and_can_be_dropped() {
    let server = TestServer::start().await;
    let addr = server.addr;
    let fixtures = hosts(addr, "default").await;
    for id in ["a", "b", "default"] {
        assert_eq!(create_scm(addr, id, "new.example.com").await, "200");
    }
    let reply = admin(addr, "POST /__mock/sessions/a/reset", "").await;
    assert_eq!(reply.json(), json!({"session": "a", "existed": true}));
    assert_eq!(hosts(addr, "a").await, fixtures, "a starts afresh");
    let methods = entries(&journal(addr, "?session=a").await, "method");
    assert_eq!(methods, ["ListSCMIntegrations"], "with a new journal");
    let b = hosts(addr, "b").await;
    assert_eq!(b.len(), fixtures.len() + 1, "b keeps its record");
    assert_eq!(session_ids(addr).await, ["a", "b", "default"]);
    let reply = admin(addr, "DELETE /__mock/sessions/b", "").await;
    assert_eq!(reply.json(), json!({"session": "b", "existed": true}));
    let reply = admin(addr, "DELETE /__mock/sessions/b", "").await;
    assert_eq!(reply.json(), json!({"session": "b", "existed": false}));
    let reply = admin(addr, "POST /__mock/reset", "").await;
    assert_eq!(reply.json(), json!({"reset": "all"}));
    for id in ["a", "b", "default"] {
        assert_eq!(hosts(addr, id).await, fixtures, "{id} after resetting all");
    }
}

#[tokio::test]
async fn invalid_session_ids_are_invalid_arguments() {
    let server = TestServer::start().await;
    let long = "x".repeat(129);
    for id in ["a b", "x/y", "", "ü", &long] {
        let expected = format!("400 invalid_argument: x-mock-session {id:?} is not a session id: use 1-128 letters, digits and -_.:");
        let header = get_says(server.addr, &session(id)).await;
        assert_eq!(header, expected, "header {id:?}");
        let predicate = json!({ "session": id }).to_string();
        let verify = admin(server.addr, "POST /__mock/verify", &predicate).await;
        assert_eq!(said(&verify), expected, "verify {id:?}");
    }
    let reply = admin(server.addr, "GET /__mock/journal?session=a%20b", "").await;
    assert!(said(&reply).starts_with("400 invalid_argument: x-mock-session \"a b\""));
}

#[tokio::test]
async fn the_journal_is_a_bounded_ring_and_counts_what_it_dropped() {
    let server = TestServer::with(with_limits(Limits {
        journal_size: 3,
        ..Limits::default()
    }))
    .await;
    for _ in 0..5 {
        get_says(server.addr, &[]).await;
    }
    let journal = journal(server.addr, "").await;
    assert_eq!(entries(&journal, "seq"), [3, 4, 5], "the newest three");
    assert_eq!(journal["dropped"], 2);
}

#[tokio::test]
async fn the_journal_filters_by_method_code_status_scenario_and_limit() {
    let server = TestServer::start().await;
    let addr = server.addr;
    let missing = json!({ "id": "00000000-0000-4000-8000-000000000000" });
    rpc(addr, "GetSCMIntegration", &[], missing.clone()).await;
    get_says(addr, &[]).await;
    let expired = [("x-mock-scenario", "auth-expired")];
    rpc(addr, "ListSCMIntegrations", &expired, json!({})).await;
    rpc(addr, "GetHostAuthenticationToken", &[], missing).await;
    let (get, list, token) = (
        "GetSCMIntegration",
        "ListSCMIntegrations",
        "GetHostAuthenticationToken",
    );
    #[rustfmt::skip]
    let cases = [
        ("", vec![get, get, list, token]),
        ("?method=GetSCM*", vec![get, get]),
        ("?code=not_found", vec![get, token]),
        ("?status=401", vec![list]),
        ("?scenario=auth-expired", vec![list]),
        ("?method=Get*&code=ok", vec![get]),
        ("?limit=2", vec![list, token]),
    ];
    for (query, expected) in cases {
        assert_eq!(
            entries(&journal(addr, query).await, "method"),
            expected,
            "{query}"
        );
    }
    let entry = journal(addr, "?status=401").await["entries"][0].clone();
    let seen = ["session", "code", "scenario", "rule"].map(|k| entry[k].clone());
    assert_eq!(
        seen,
        [
            json!("default"),
            json!("unauthenticated"),
            json!("auth-expired"),
            json!(1)
        ]
    );
    for query in ["?status=four", "?limit=x", "?mehtod=Get*"] {
        let reply = admin(addr, &format!("GET /__mock/journal{query}"), "").await;
        let got = said(&reply);
        assert!(got.starts_with("400 invalid_argument: "), "{query}: {got}");
    }
}

#[tokio::test]
async fn secrets_never_reach_the_journal() {
    let server = TestServer::start().await;
    let addr = server.addr;
    #[rustfmt::skip]
    let calls = [
        ("CreateHostAuthenticationToken", json!({"runnerId": EXAMPLE_ID, "userId": EXAMPLE_USER, "host": "h.example.com", "token": "secret-token-1", "refresh_token": "secret-refresh-1"})),
        ("UpdateHostAuthenticationToken", json!({"id": EXAMPLE_ID, "token": "secret-token-2", "refreshToken": "secret-refresh-2"})),
        ("CreateSCMIntegration", json!({"runnerId": GCP, "scmId": "github", "host": "s.example.com", "oauthClientId": "c", "oauthPlaintextClientSecret": "secret-oauth-1"})),
        ("UpdateSCMIntegration", json!({"id": EXAMPLE_ID, "oauthClientId": "c", "oauthPlaintextClientSecret": "secret-oauth-2"})),
        // Refused by validation, and still redacted.
        ("UpdateSCMIntegration", json!({"id": "nope", "oauthPlaintextClientSecret": "secret-oauth-3"})),
    ];
    let bearer = [("authorization", "Bearer secret-bearer")];
    for (method, body) in calls {
        rpc(addr, method, &bearer, body).await;
    }
    let journal = admin(addr, "GET /__mock/journal", "").await;
    let text = String::from_utf8_lossy(&journal.body);
    assert!(!text.contains("secret-"), "{text}");
    let requests = entries(&journal.json(), "request");
    assert_eq!(requests.len(), 5);
    let redacted = |r: &Value, k: &str| r[k] == "[REDACTED]";
    assert!(redacted(&requests[0], "token") && redacted(&requests[0], "refreshToken"));
    assert!(redacted(&requests[1], "token") && redacted(&requests[1], "refreshToken"));
    let oauth = requests[2..]
        .iter()
        .all(|r| redacted(r, "oauthPlaintextClientSecret"));
    assert!(oauth, "{requests:?}");
    assert_eq!(
        requests[2]["host"], "s.example.com",
        "other fields stay readable"
    );
}

#[tokio::test]
async fn verify_counts_the_calls_that_match_a_predicate() {
    let server = TestServer::start().await;
    let addr = server.addr;
    for attempt in ["0", "1"] {
        let headers = [
            ("x-mock-scenario", "flaky"),
            ("x-stainless-retry-count", attempt),
        ];
        rpc(addr, "ListSCMIntegrations", &headers, json!({})).await;
    }
    get_says(addr, &session("other")).await;
    create_scm(addr, "default", "v.example.com").await;
    #[rustfmt::skip]
    let cases = [
        (json!({}), 3),
        (json!({"method": "List*"}), 2),
        (json!({"code": "unavailable", "scenario": "flaky"}), 1),
        (json!({"status": 200}), 2),
        (json!({"headers": {"x-stainless-retry-count": 1}}), 1),
        (json!({"method": "CreateSCMIntegration", "body": {"host": "v.example.com"}}), 1),
        (json!({"body": {"host": "elsewhere"}}), 0),
        (json!({"session": "other"}), 1),
    ];
    for (predicate, count) in cases {
        let reply = admin(addr, "POST /__mock/verify", &predicate.to_string()).await;
        assert_eq!(reply.json()["count"], count, "{predicate}");
    }
    for bad in [json!({"mehtod": "List*"}), json!({"status": "503"})] {
        let reply = admin(addr, "POST /__mock/verify", &bad.to_string()).await;
        let got = said(&reply);
        assert!(got.starts_with("400 invalid_argument: verify: "), "{got}");
    }
}

#[tokio::test]
async fn coverage_shows_what_each_session_exercised() {
    let server = TestServer::start().await;
    let addr = server.addr;
    get_says(addr, &session("cov")).await;
    let missing = json!({ "id": "00000000-0000-4000-8000-000000000000" });
    rpc(addr, "GetSCMIntegration", &session("cov"), missing).await;
    let headers = [("x-mock-session", "cov"), ("x-mock-scenario", "flaky")];
    rpc(addr, "ListSCMIntegrations", &headers, json!({})).await;
    let coverage = |id: &'static str| async move {
        admin(addr, &format!("GET /__mock/coverage?session={id}"), "")
            .await
            .json()
    };
    let cov = coverage("cov").await;
    assert_eq!(
        cov["methods"],
        json!({"GetSCMIntegration": 2, "ListSCMIntegrations": 1})
    );
    assert_eq!(
        cov["codes"],
        json!({"ok": 1, "not_found": 1, "unavailable": 1})
    );
    assert_eq!(cov["scenarios"], json!({"flaky": 1}));
    let not_called = cov["methodsNotCalled"].as_array().unwrap();
    assert_eq!(not_called.len(), 14);
    let list = [json!("GetSCMIntegration"), json!("DeleteSCMIntegration")];
    assert_eq!(list.map(|m| not_called.contains(&m)), [false, true]);
    let quiet = coverage("quiet").await;
    assert_eq!(quiet["methods"], json!({}));
    assert_eq!(quiet["methodsNotCalled"].as_array().unwrap().len(), 16);
}

#[tokio::test]
async fn state_exported_from_one_session_imports_into_another() {
    let server = TestServer::start().await;
    let addr = server.addr;
    create_scm(addr, "a", "exported.example.com").await;
    let body = json!({"runnerId": GCP, "userId": EXAMPLE_USER, "host": "exported.example.com", "token": "t"});
    rpc(addr, "CreateHostAuthenticationToken", &session("a"), body).await;
    let a = state(addr, "a").await;
    assert_ne!(state(addr, "b").await, a);
    let reply = admin(addr, "PUT /__mock/state?session=b", &a.to_string()).await;
    assert_eq!(reply.json(), json!({"session": "b", "imported": true}));
    assert_eq!(state(addr, "b").await, a);
    let hosts_b = hosts(addr, "b").await;
    assert!(
        hosts_b.contains(&json!("exported.example.com")),
        "{hosts_b:?}"
    );
    // A bad import is refused whole, and changes nothing.
    let mut bad = a.clone();
    bad["hostTokens"][0]["runnerId"] = json!("11111111-1111-4111-8111-111111111111");
    let token = &bad["hostTokens"][0]["id"];
    #[rustfmt::skip]
    let cases = [
        (bad.to_string(), format!("host token {} names unknown runner \"11111111-1111-4111-8111-111111111111\"", token.as_str().unwrap())),
        (r#"{"runners": []}"#.into(), "not a state export: unknown field `runners`, expected one of `environmentClasses`, `scmIntegrations`, `hostTokens`".into()),
        ("[1".into(), "the body must be JSON: EOF while parsing a list at line 1 column 2".into()),
    ];
    for (body, message) in cases {
        let reply = admin(addr, "PUT /__mock/state?session=b", &body).await;
        assert_eq!(said(&reply), format!("400 invalid_argument: {message}"));
    }
    assert_eq!(state(addr, "b").await, a);
}

#[tokio::test]
async fn control_plane_reads_make_no_session() {
    let limits = Limits {
        max_sessions: 2,
        ..Limits::default()
    };
    let server = TestServer::with(with_limits(limits)).await;
    let addr = server.addr;
    assert_eq!(create_scm(addr, "kept", "kept.example.com").await, "200");
    for path in ["journal", "coverage", "scenarios", "state"] {
        admin(addr, &format!("GET /__mock/{path}?session=peek-{path}"), "").await;
    }
    admin(addr, "POST /__mock/verify", r#"{"session": "peek-verify"}"#).await;
    assert_eq!(session_ids(addr).await, ["kept"]);
    let kept = hosts(addr, "kept").await;
    assert!(kept.contains(&json!("kept.example.com")), "{kept:?}");
}

#[tokio::test]
async fn a_session_may_create_only_its_record_budget() {
    let limits = Limits {
        max_new_records: 2,
        ..Limits::default()
    };
    let server = TestServer::with(with_limits(limits)).await;
    let addr = server.addr;
    assert_eq!(create_scm(addr, "b", "one.example.com").await, "200");
    assert_eq!(create_scm(addr, "b", "two.example.com").await, "200");
    let full = "429 resource_exhausted: session \"b\" has created 2 records, its limit; reset it or raise --session-max-records";
    assert_eq!(create_scm(addr, "b", "three.example.com").await, full);
    let other = create_scm(addr, "c", "three.example.com").await;
    assert_eq!(other, "200", "another session");
    admin(addr, "POST /__mock/sessions/b/reset", "").await;
    let reset = create_scm(addr, "b", "three.example.com").await;
    assert_eq!(reset, "200", "after a reset");
}

#[tokio::test]
async fn auth_wants_a_bearer_token_and_read_only_tokens_cannot_write() {
    let path = temp_file(
        "auth.yaml",
        "tokens:\n  - token: rw\n  - token: ro\n    read_only: true\n",
    );
    let listed = Auth::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let any = TestServer::with(App::with_defaults(Some(42)).with_auth(Auth::any_token())).await;
    let file = TestServer::with(App::with_defaults(Some(42)).with_auth(listed)).await;
    let missing = "401 unauthenticated: missing credentials: send Authorization: Bearer <token>";
    let denied = "403 permission_denied: the bearer token is read-only and CreateSCMIntegration changes state";
    #[rustfmt::skip]
    let cases = [
        (&any, None, missing, missing),
        (&any, Some("Bearer anything"), "200", "200"),
        (&file, None, missing, missing),
        (&file, Some("Bearer nope"), "401 unauthenticated: the bearer token is not valid", "401 unauthenticated: the bearer token is not valid"),
        (&file, Some("Bearer ro"), "200", denied),
        (&file, Some("Bearer rw"), "200", "200"),
    ];
    for (i, (server, token, read, write)) in cases.into_iter().enumerate() {
        let headers: Vec<_> = token.map(|t| ("authorization", t)).into_iter().collect();
        let got = get_says(server.addr, &headers).await;
        assert_eq!(got, read, "read with {token:?}");
        let body = json!({"runnerId": GCP, "scmId": "github", "host": format!("h{i}.example.com")});
        let reply = rpc(server.addr, "CreateSCMIntegration", &headers, body).await;
        assert_eq!(said(&reply), write, "write with {token:?}");
    }
}

/// `gitpod-mock serve --port 0 ARGS`, stopped with SIGTERM (by its pid) when dropped.
struct Serving(std::process::Child, SocketAddr);

impl Serving {
    fn start(args: &[&str]) -> Serving {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_gitpod-mock"))
            .args(["serve", "--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().strip_prefix("gitpod-mock listening on http://");
        let addr = addr.unwrap_or_else(|| panic!("not a ready line: {line:?}"));
        Serving(child, addr.parse().unwrap())
    }

    /// SIGTERM, then the exit status and stderr.
    fn stop(mut self) -> (bool, String) {
        use std::io::Read;
        let pid = self.0.id().to_string();
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        assert!(killed.unwrap().success());
        let status = self.0.wait().unwrap();
        let mut stderr = String::new();
        let pipe = self.0.stderr.take();
        pipe.unwrap().read_to_string(&mut stderr).unwrap();
        (status.success(), stderr)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_state_file_is_saved_at_shutdown_and_loaded_at_start() {
    let file = temp_file("state.json", "");
    std::fs::remove_file(&file).unwrap();
    let args = ["--state", file.to_str().unwrap()];
    let first = Serving::start(&args);
    let body = json!({"runnerId": GCP, "scmId": "github", "host": "saved.example.com"});
    let created = rpc(first.1, "CreateSCMIntegration", &[], body).await.json();
    let (ok, stderr) = first.stop();
    let saved = "gitpod-mock: saved the default session's state to";
    let saved = format!("{saved} {}", file.display());
    assert!(ok && stderr.contains(&saved), "{stderr}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("saved.example.com"), "{text}");
    let second = Serving::start(&args);
    let body = json!({ "id": created["id"] });
    let got = rpc(second.1, "GetSCMIntegration", &[], body).await;
    assert_eq!(got.json()["integration"]["host"], "saved.example.com");
    drop(second);
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test]
async fn require_auth_on_the_binary_with_and_without_an_auth_file() {
    let path = temp_file(
        "auth-bin.yaml",
        "tokens:\n  - token: ro\n    read_only: true\n",
    );
    let any = Serving::start(&["--require-auth"]);
    let listed = Serving::start(&["--require-auth", "--auth-file", path.to_str().unwrap()]);
    let missing = "401 unauthenticated: missing credentials: send Authorization: Bearer <token>";
    let write = json!({"runnerId": GCP, "scmId": "github", "host": "bin.example.com"});
    let ro = [("authorization", "Bearer ro")];
    assert_eq!(get_says(any.1, &[]).await, missing);
    assert_eq!(
        get_says(any.1, &[("authorization", "Bearer x")]).await,
        "200"
    );
    assert_eq!(get_says(listed.1, &ro).await, "200");
    let reply = rpc(listed.1, "CreateSCMIntegration", &ro, write).await;
    let denied = "403 permission_denied: the bearer token is read-only and CreateSCMIntegration changes state";
    assert_eq!(said(&reply), denied);
    std::fs::remove_file(&path).unwrap();
}
