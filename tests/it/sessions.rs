//! Sessions over real HTTP: isolation under concurrent sessions, resets and drops, session
//! ids and their one normal form, state export and import, control-plane reads that make no
//! session, the record budget, also after an import, and ids seeded per session.

use crate::calls::{
    admin, create_scm, entries, get_says, journal, rpc, said, session, try_send, with_limits, GCP,
};
use crate::support::{TestServer, EXAMPLE_USER};
use gitpod_mock::session::Limits;
use serde_json::{json, Value};
use std::net::SocketAddr;

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
async fn the_control_plane_normalises_session_ids_as_the_rpc_path_does() {
    let server = TestServer::start().await;
    let addr = server.addr;
    assert_eq!(create_scm(addr, " abc ", "padded.example.com").await, "200");
    assert_eq!(session_ids(addr).await, ["abc"]);
    for id in ["abc", "%20abc%20", "+abc%09"] {
        let hosts = entries(
            &json!({ "entries": state(addr, id).await["scmIntegrations"] }),
            "host",
        );
        assert!(
            hosts.contains(&json!("padded.example.com")),
            "state?session={id}: {hosts:?}"
        );
    }
    let line = "GET /__mock/journal";
    let reply = try_send(addr, line, &[("x-mock-session", " abc ")], "").await;
    let methods = entries(&reply.unwrap().json(), "method");
    assert_eq!(methods, ["CreateSCMIntegration"], "journal with the header");
    let predicate = json!({ "session": " abc ", "method": "CreateSCMIntegration" });
    let verify = admin(addr, "POST /__mock/verify", &predicate.to_string()).await;
    assert_eq!(
        (
            verify.json()["session"].clone(),
            verify.json()["count"].clone()
        ),
        (json!("abc"), json!(1))
    );
    let reply = admin(
        addr,
        "POST /__mock/scenarios/flaky/activate?session=%20abc",
        "",
    )
    .await;
    assert_eq!(reply.json(), json!({"scope": "abc", "active": ["flaky"]}));
    let dropped = admin(addr, "DELETE /__mock/sessions/%20abc%20", "").await;
    assert_eq!(dropped.json(), json!({"session": "abc", "existed": true}));
    assert_eq!(session_ids(addr).await, Vec::<Value>::new());
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
async fn an_import_restarts_the_record_budget_from_the_imported_records() {
    let limits = Limits {
        max_new_records: 2,
        ..Limits::default()
    };
    let server = TestServer::with(with_limits(limits)).await;
    let addr = server.addr;
    // The fixtures and two more integrations, with ids made up here.
    let mut two_more = state(addr, "fixtures").await;
    let integrations = two_more["scmIntegrations"].as_array_mut().unwrap();
    for (n, id) in ["1", "2"].iter().enumerate() {
        let mut extra = integrations[0].clone();
        extra["id"] = json!(format!("00000000-0000-4000-8000-00000000000{id}"));
        extra["host"] = json!(format!("imported-{n}.example.com"));
        integrations.push(extra);
    }
    let full = |id: &str| {
        format!("429 resource_exhausted: session \"{id}\" has created 2 records, its limit; reset it or raise --session-max-records")
    };
    // Imported records, like fixtures, do not count against the budget.
    let reply = admin(addr, "PUT /__mock/state?session=b", &two_more.to_string()).await;
    assert_eq!(said(&reply), "200");
    for host in ["one.example.com", "two.example.com"] {
        assert_eq!(create_scm(addr, "b", host).await, "200", "{host}");
    }
    assert_eq!(create_scm(addr, "b", "three.example.com").await, full("b"));
    // An import of fewer records than the fixtures leaves the same budget, no more.
    let reply = admin(addr, "PUT /__mock/state?session=c", "{}").await;
    assert_eq!(said(&reply), "200");
    for host in ["one.example.com", "two.example.com"] {
        assert_eq!(create_scm(addr, "c", host).await, "200", "{host}");
    }
    assert_eq!(create_scm(addr, "c", "three.example.com").await, full("c"));
}

/// What a session's first CreateSCMIntegration draws: the new id and the sealed secret.
async fn first_draws(addr: SocketAddr, id: &str) -> (Value, Value) {
    let body = json!({"runnerId": GCP, "scmId": "github", "host": "seeded.example.com", "oauthClientId": "c", "oauthPlaintextClientSecret": "s"});
    let created = rpc(addr, "CreateSCMIntegration", &session(id), body)
        .await
        .json();
    let get = json!({ "id": created["id"] });
    let read = rpc(addr, "GetSCMIntegration", &session(id), get)
        .await
        .json();
    let sealed = read["integration"]["oauth"]["encryptedClientSecret"].clone();
    assert!(sealed.is_string(), "{read}");
    (created["id"].clone(), sealed)
}

#[tokio::test]
async fn each_session_draws_its_own_ids_and_the_same_ones_on_every_run() {
    let server = TestServer::start().await;
    let a = first_draws(server.addr, "a").await;
    let b = first_draws(server.addr, "b").await;
    assert_ne!(a.0, b.0, "two sessions, one seed: different ids");
    assert_ne!(a.1, b.1, "and different salts");
    drop(server);
    let restarted = TestServer::start().await;
    let again = first_draws(restarted.addr, "a").await;
    assert_eq!(again, a, "the same seed and session draw the same id again");
}
