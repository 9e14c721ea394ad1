//! Which calls a scenario fires on and where it is switched on: the sequencing forms, seeded
//! probability, the `x-mock-scenario` header, and loading and switching scenarios on the
//! control plane.

use crate::calls::{get_scm, load, said, T};
use crate::support::TestServer;
use gitpod_mock::app::App;
use serde_json::json;

#[tokio::test]
async fn sequences_fire_on_the_calls_they_name() {
    let server = TestServer::start().await;
    #[rustfmt::skip]
    let cases = [
        ("{first: 2}", "EE____"),
        ("{nth: 3}", "__E___"),
        ("{every: 2}", "E_E_E_"),
        ("{after: 4}", "____EE"),
        ("{after: 1, first: 3}", "_EE___"),
    ];
    for (i, (when, expected)) in cases.into_iter().enumerate() {
        let yaml = format!("rules:\n  - when: {when}\n    error: unavailable\n");
        load(&server, "t", &yaml).await;
        // A fresh session per case: counters are per session.
        let session = format!("seq-{i}");
        let mut got = String::new();
        for _ in 0..expected.len() {
            let reply = get_scm(&server, &[T, ("x-mock-session", &session)]).await;
            got.push(if reply.status == 503 { 'E' } else { '_' });
        }
        assert_eq!(got, expected, "when {when}");
    }
}

#[tokio::test]
async fn probability_repeats_for_the_same_seed_and_session() {
    let yaml = "rules:\n  - when: {probability: 0.5}\n    error: unavailable\n";
    let run = |seed: u64, session: &'static str| async move {
        let server = TestServer::with(App::with_defaults(Some(seed))).await;
        load(&server, "t", yaml).await;
        let mut faults = String::new();
        for _ in 0..40 {
            let reply = get_scm(&server, &[T, ("x-mock-session", session)]).await;
            faults.push(if reply.status == 503 { 'E' } else { '_' });
        }
        faults
    };
    let first = run(7, "ci-1").await;
    let again = run(7, "ci-1").await;
    assert_eq!(again, first, "a second server, same seed and session");
    assert_ne!(run(7, "ci-2").await, first, "another session");
    assert_ne!(run(8, "ci-1").await, first, "another seed");
    let fired = first.matches('E').count();
    assert!(
        (8..=32).contains(&fired),
        "{fired} of 40 at p = 0.5: {first}"
    );
}

#[tokio::test]
async fn the_scenario_header_takes_a_list_and_refuses_unknown_names() {
    let server = TestServer::start().await;
    let one = "rules:\n  - match: {method: GetSCMIntegration}\n    error: {code: internal, message: one}\n";
    load(&server, "one", one).await;
    let two = "rules:\n  - error: {code: unavailable, message: two}\n";
    load(&server, "two", two).await;
    let loaded = "auth-expired, chaos, flaky, not-found-everything, one, permission-denied-writes, rate-limited, runner-offline, slow, two";
    let unknown = format!("400 invalid_argument: x-mock-scenario: unknown scenario \"nope\"; loaded scenarios are: {loaded}");
    // Listed scenarios run in order; the first rule that fires decides.
    #[rustfmt::skip]
    let cases = [
        ("GetSCMIntegration", "one, two", "500 internal: one".to_string()),
        ("GetSCMIntegration", "two,one", "503 unavailable: two".into()),
        ("ListSCMIntegrations", "one , two", "503 unavailable: two".into()),
        ("GetSCMIntegration", "one, nope", unknown),
    ];
    for (method, names, expected) in cases {
        let reply = server
            .rpc(method, &[("x-mock-scenario", names)], json!({}))
            .await;
        assert_eq!(said(&reply), expected, "{method} with {names}");
    }
    let plain = said(&get_scm(&server, &[]).await);
    assert_eq!(plain, "200", "without the header nothing fires");
}

#[tokio::test]
async fn the_control_plane_loads_activates_deactivates_and_counts() {
    let server = TestServer::start().await;
    let client = server.client();
    let yaml = "rules:\n  - match: {method: GetSCMIntegration}\n    when: {first: 1}\n    error: {code: unavailable, message: blink}\n";
    load(&client, "blink", yaml).await;
    let switch = |verb: &'static str| async move {
        let reply = client
            .request(&format!("POST /__mock/scenarios/blink/{verb}"), &[], "")
            .await;
        reply.json()
    };
    let get =
        |id: &'static str| async move { said(&get_scm(&client, &[("x-mock-session", id)]).await) };
    // Where blink is on, and its hit counts, as one session sees it.
    let blink = |id: &'static str| async move {
        let list = client
            .request(&format!("GET /__mock/scenarios?session={id}"), &[], "")
            .await;
        let list = list.json();
        let all = list["scenarios"].as_array().unwrap().clone();
        let s = all.into_iter().find(|s| s["name"] == "blink").unwrap();
        json!([s["activeServerWide"], s["activeInSession"], s["rules"][0]])
    };
    // Server-wide: every session fails its own first call.
    let on = json!({"scope": "server", "active": ["blink"]});
    assert_eq!(switch("activate").await, on);
    for id in ["default", "s1"] {
        let got = [get(id).await, get(id).await];
        assert_eq!(got, ["503 unavailable: blink", "200"]);
    }
    let counts = json!({"rule": 1, "summary": "GetSCMIntegration, when first: 1 → error unavailable", "matched": 2, "fired": 1});
    assert_eq!(blink("s1").await, json!([true, false, counts]));
    let off = json!({"scope": "server", "active": []});
    assert_eq!(switch("deactivate").await, off);
    assert_eq!(get("s2").await, "200");
    // Per session: only that session.
    let on = json!({"scope": "p", "active": ["blink"]});
    assert_eq!(switch("activate?session=p").await, on);
    assert_eq!(
        [get("q").await, get("p").await],
        ["200", "503 unavailable: blink"]
    );
    let counts = json!({"rule": 1, "summary": "GetSCMIntegration, when first: 1 → error unavailable", "matched": 1, "fired": 1});
    assert_eq!(blink("p").await, json!([false, true, counts]));
    // Loading it again (here with another message) starts its counts afresh.
    load(
        &client,
        "blink",
        &yaml.replace("message: blink", "message: again"),
    )
    .await;
    assert_eq!(
        [get("p").await, get("p").await],
        ["503 unavailable: again", "200"]
    );
    let reply = client
        .request("POST /__mock/scenarios/nope/activate", &[], "")
        .await;
    let expected = "404 not_found: unknown scenario \"nope\"; loaded scenarios are: auth-expired, blink, chaos,";
    assert!(said(&reply).starts_with(expected), "{}", said(&reply));
}
