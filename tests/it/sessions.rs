//! Sessions over real HTTP: isolation under concurrent sessions, resets and drops, session
//! ids and their one normal form, state export and import, control-plane reads that make no
//! session, the record budget, also after an import, and ids seeded per session.

use crate::calls::{create_scm, entries, get_says, journal, said, session, with_limits, GCP};
use crate::support::{Client, TestServer, EXAMPLE_USER};
use gitpod_mock::session::Limits;
use serde_json::{json, Value};

/// The hosts of the GCP runner's SCM integrations, as a session sees them.
async fn hosts(client: &Client, id: &str) -> Vec<Value> {
    let body = json!({"filter": {"runnerIds": [GCP]}});
    let list = client.rpc("ListSCMIntegrations", &session(id), body).await;
    let list = list.json();
    entries(&json!({ "entries": list["integrations"] }), "host")
}

/// A session's exported state.
async fn state(client: &Client, id: &str) -> Value {
    client
        .request(&format!("GET /__mock/state?session={id}"), &[], "")
        .await
        .json()
}

/// The ids `GET /__mock/sessions` lists.
async fn session_ids(client: &Client) -> Vec<Value> {
    let listed = client.request("GET /__mock/sessions", &[], "").await.json();
    entries(&json!({ "entries": listed["sessions"] }), "id")
}

#[tokio::test]
async fn concurrent_sessions_each_see_only_their_own_changes() {
    let server = TestServer::start().await;
    let (client, fixture_hosts) = (server.client(), hosts(&server, "default").await);
    let jobs = (0..8).map(|job| {
        let fixture_hosts = fixture_hosts.clone();
        tokio::spawn(async move {
            let id = format!("ci-job-{job}");
            // Every job uses the same host names: only isolation keeps them apart.
            let new: Vec<String> = (0..=job).map(|n| format!("git{n}.ci.example")).collect();
            for host in &new {
                assert_eq!(create_scm(&client, &id, host).await, "200", "{id}");
            }
            let mut expected = fixture_hosts.clone();
            expected.extend(new.iter().map(|h| json!(h)));
            assert_eq!(hosts(&client, &id).await, expected, "{id} sees its own records only");
            let again = create_scm(&client, &id, &new[0]).await;
            let exists = format!("409 already_exists: runner {GCP} already has an SCM integration for host git0.ci.example");
            assert_eq!(again, exists);
            let list = client.rpc("ListSCMIntegrations", &session(&id), json!({})).await.json();
            for integration in list["integrations"].as_array().unwrap() {
                if integration["host"].as_str().unwrap().ends_with(".ci.example") {
                    let body = json!({ "id": integration["id"] });
                    let reply = client.rpc("DeleteSCMIntegration", &session(&id), body).await;
                    assert_eq!(said(&reply), "200");
                }
            }
            assert_eq!(hosts(&client, &id).await, fixture_hosts, "{id} after deleting");
        })
    });
    for job in jobs.collect::<Vec<_>>() {
        job.await.unwrap();
    }
    let default = hosts(&client, "default").await;
    assert_eq!(default, fixture_hosts, "the default session is untouched");
}

#[tokio::test]
async fn sessions_reset_one_at_a_time_or_all_at_once_and_can_be_dropped() {
    let server = TestServer::start().await;
    let client = server.client();
    let fixtures = hosts(&client, "default").await;
    for id in ["a", "b", "default"] {
        assert_eq!(create_scm(&client, id, "new.example.com").await, "200");
    }
    let reply = client
        .request("POST /__mock/sessions/a/reset", &[], "")
        .await;
    assert_eq!(reply.json(), json!({"session": "a", "existed": true}));
    assert_eq!(hosts(&client, "a").await, fixtures, "a starts afresh");
    let methods = entries(&journal(&client, "?session=a").await, "method");
    assert_eq!(methods, ["ListSCMIntegrations"], "with a new journal");
    let b = hosts(&client, "b").await;
    assert_eq!(b.len(), fixtures.len() + 1, "b keeps its record");
    assert_eq!(session_ids(&client).await, ["a", "b", "default"]);
    let reply = client.request("DELETE /__mock/sessions/b", &[], "").await;
    assert_eq!(reply.json(), json!({"session": "b", "existed": true}));
    let reply = client.request("DELETE /__mock/sessions/b", &[], "").await;
    assert_eq!(reply.json(), json!({"session": "b", "existed": false}));
    let reply = client.request("POST /__mock/reset", &[], "").await;
    assert_eq!(reply.json(), json!({"reset": "all"}));
    for id in ["a", "b", "default"] {
        assert_eq!(
            hosts(&client, id).await,
            fixtures,
            "{id} after resetting all"
        );
    }
}

#[tokio::test]
async fn invalid_session_ids_are_invalid_arguments() {
    let server = TestServer::start().await;
    let long = "x".repeat(129);
    for id in ["a b", "x/y", "", "ü", &long] {
        let expected = format!("400 invalid_argument: x-mock-session {id:?} is not a session id: use 1-128 letters, digits and -_.:");
        let header = get_says(&server, &session(id)).await;
        assert_eq!(header, expected, "header {id:?}");
        let predicate = json!({ "session": id }).to_string();
        let verify = server.request("POST /__mock/verify", &[], &predicate).await;
        assert_eq!(said(&verify), expected, "verify {id:?}");
    }
    let reply = server
        .request("GET /__mock/journal?session=a%20b", &[], "")
        .await;
    assert!(said(&reply).starts_with("400 invalid_argument: x-mock-session \"a b\""));
}

#[tokio::test]
async fn the_control_plane_normalises_session_ids_as_the_rpc_path_does() {
    let server = TestServer::start().await;
    let client = server.client();
    assert_eq!(
        create_scm(&client, " abc ", "padded.example.com").await,
        "200"
    );
    assert_eq!(session_ids(&client).await, ["abc"]);
    for id in ["abc", "%20abc%20", "+abc%09"] {
        let hosts = entries(
            &json!({ "entries": state(&client, id).await["scmIntegrations"] }),
            "host",
        );
        assert!(
            hosts.contains(&json!("padded.example.com")),
            "state?session={id}: {hosts:?}"
        );
    }
    let line = "GET /__mock/journal";
    let reply = client
        .try_request(line, &[("x-mock-session", " abc ")], "")
        .await;
    let methods = entries(&reply.unwrap().json(), "method");
    assert_eq!(methods, ["CreateSCMIntegration"], "journal with the header");
    let predicate = json!({ "session": " abc ", "method": "CreateSCMIntegration" });
    let verify = client
        .request("POST /__mock/verify", &[], &predicate.to_string())
        .await;
    assert_eq!(
        (
            verify.json()["session"].clone(),
            verify.json()["count"].clone()
        ),
        (json!("abc"), json!(1))
    );
    let reply = client
        .request(
            "POST /__mock/scenarios/flaky/activate?session=%20abc",
            &[],
            "",
        )
        .await;
    assert_eq!(reply.json(), json!({"scope": "abc", "active": ["flaky"]}));
    let dropped = client
        .request("DELETE /__mock/sessions/%20abc%20", &[], "")
        .await;
    assert_eq!(dropped.json(), json!({"session": "abc", "existed": true}));
    assert_eq!(session_ids(&client).await, Vec::<Value>::new());
}

#[tokio::test]
async fn state_exported_from_one_session_imports_into_another() {
    let server = TestServer::start().await;
    let client = server.client();
    create_scm(&client, "a", "exported.example.com").await;
    let body = json!({"runnerId": GCP, "userId": EXAMPLE_USER, "host": "exported.example.com", "token": "t"});
    client
        .rpc("CreateHostAuthenticationToken", &session("a"), body)
        .await;
    let a = state(&client, "a").await;
    assert_ne!(state(&client, "b").await, a);
    let reply = client
        .request("PUT /__mock/state?session=b", &[], &a.to_string())
        .await;
    assert_eq!(reply.json(), json!({"session": "b", "imported": true}));
    assert_eq!(state(&client, "b").await, a);
    let hosts_b = hosts(&client, "b").await;
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
        let reply = client
            .request("PUT /__mock/state?session=b", &[], &body)
            .await;
        assert_eq!(said(&reply), format!("400 invalid_argument: {message}"));
    }
    assert_eq!(state(&client, "b").await, a);
}

#[tokio::test]
async fn control_plane_reads_make_no_session() {
    let limits = Limits {
        max_sessions: 2,
        ..Limits::default()
    };
    let server = TestServer::from(with_limits(limits)).await;
    let client = server.client();
    assert_eq!(create_scm(&client, "kept", "kept.example.com").await, "200");
    for path in ["journal", "coverage", "scenarios", "state"] {
        client
            .request(&format!("GET /__mock/{path}?session=peek-{path}"), &[], "")
            .await;
    }
    client
        .request("POST /__mock/verify", &[], r#"{"session": "peek-verify"}"#)
        .await;
    assert_eq!(session_ids(&client).await, ["kept"]);
    let kept = hosts(&client, "kept").await;
    assert!(kept.contains(&json!("kept.example.com")), "{kept:?}");
}

#[tokio::test]
async fn a_session_may_create_only_its_record_budget() {
    let limits = Limits {
        max_new_records: 2,
        ..Limits::default()
    };
    let server = TestServer::from(with_limits(limits)).await;
    let client = server.client();
    assert_eq!(create_scm(&client, "b", "one.example.com").await, "200");
    assert_eq!(create_scm(&client, "b", "two.example.com").await, "200");
    let full = "429 resource_exhausted: session \"b\" has created 2 records, its limit; reset it or raise --session-max-records";
    assert_eq!(create_scm(&client, "b", "three.example.com").await, full);
    let other = create_scm(&client, "c", "three.example.com").await;
    assert_eq!(other, "200", "another session");
    client
        .request("POST /__mock/sessions/b/reset", &[], "")
        .await;
    let reset = create_scm(&client, "b", "three.example.com").await;
    assert_eq!(reset, "200", "after a reset");
}

#[tokio::test]
async fn an_import_restarts_the_record_budget_from_the_imported_records() {
    let limits = Limits {
        max_new_records: 2,
        ..Limits::default()
    };
    let server = TestServer::from(with_limits(limits)).await;
    let client = server.client();
    // The fixtures and two more integrations, with ids made up here.
    let mut two_more = state(&client, "fixtures").await;
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
    let reply = client
        .request("PUT /__mock/state?session=b", &[], &two_more.to_string())
        .await;
    assert_eq!(said(&reply), "200");
    for host in ["one.example.com", "two.example.com"] {
        assert_eq!(create_scm(&client, "b", host).await, "200", "{host}");
    }
    assert_eq!(
        create_scm(&client, "b", "three.example.com").await,
        full("b")
    );
    // An import of fewer records than the fixtures leaves the same budget, no more.
    let reply = client
        .request("PUT /__mock/state?session=c", &[], "{}")
        .await;
    assert_eq!(said(&reply), "200");
    for host in ["one.example.com", "two.example.com"] {
        assert_eq!(create_scm(&client, "c", host).await, "200", "{host}");
    }
    assert_eq!(
        create_scm(&client, "c", "three.example.com").await,
        full("c")
    );
}

/// What a session's first CreateSCMIntegration draws: the new id and the sealed secret.
async fn first_draws(client: &Client, id: &str) -> (Value, Value) {
    let body = json!({"runnerId": GCP, "scmId": "github", "host": "seeded.example.com", "oauthClientId": "c", "oauthPlaintextClientSecret": "s"});
    let created = client
        .rpc("CreateSCMIntegration", &session(id), body)
        .await
        .json();
    let get = json!({ "id": created["id"] });
    let read = client
        .rpc("GetSCMIntegration", &session(id), get)
        .await
        .json();
    let sealed = read["integration"]["oauth"]["encryptedClientSecret"].clone();
    assert!(sealed.is_string(), "{read}");
    (created["id"].clone(), sealed)
}

#[tokio::test]
async fn each_session_draws_its_own_ids_and_the_same_ones_on_every_run() {
    let server = TestServer::start().await;
    let a = first_draws(&server, "a").await;
    let b = first_draws(&server, "b").await;
    assert_ne!(a.0, b.0, "two sessions, one seed: different ids");
    assert_ne!(a.1, b.1, "and different salts");
    drop(server);
    let restarted = TestServer::start().await;
    let again = first_draws(&restarted, "a").await;
    assert_eq!(again, a, "the same seed and session draw the same id again");
}
