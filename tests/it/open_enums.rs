//! Proto3 enums are open: an unnamed number is a valid value. In a filter it matches nothing;
//! wherever it is stored (fixtures, an imported state) it comes back as the number, in JSON as
//! protojson writes it and in binary as it went in.

use crate::protocol::{base64url, get, proto_request, proto_response, urlencode};
use crate::support::{request, TestServer, EXAMPLE_ID, SERVICE};
use gitpod_mock::app::{App, Settings};
use gitpod_mock::contract::Contract;
use gitpod_mock::store::fixtures::{self, Source};
use gitpod_mock::store::State;
use serde_json::{json, Value};

const UNNAMED: [i64; 3] = [99, -1, 2_147_483_647];

/// ListEnvironmentClasses with `filter` over JSON POST, binary POST, and JSON and binary GET:
/// each answer as proto3 JSON, after checking it is a 200.
async fn list_every_way(server: &TestServer, filter: Value) -> Vec<Value> {
    let method = "ListEnvironmentClasses";
    let body = json!({ "filter": filter, "pagination": { "pageSize": 100 } });
    let binary = proto_request(method, body.clone());
    let replies = [
        server
            .rpc_as(
                method,
                "application/json",
                &[],
                body.to_string().into_bytes(),
            )
            .await,
        server
            .rpc_as(method, "application/proto", &[], binary.clone())
            .await,
        get(
            server,
            method,
            &format!(
                "connect=v1&encoding=json&message={}",
                urlencode(body.to_string().as_bytes())
            ),
        )
        .await,
        get(
            server,
            method,
            &format!(
                "connect=v1&encoding=proto&base64=1&message={}",
                base64url(&binary)
            ),
        )
        .await,
    ];
    replies
        .iter()
        .map(|reply| {
            assert_eq!(reply.status, 200, "{filter}: {}", reply.text());
            match reply.headers["content-type"].to_str().unwrap() {
                "application/proto" => proto_response(method, &reply.body),
                _ => reply.json(),
            }
        })
        .collect()
}

#[tokio::test]
async fn an_unnamed_number_in_a_filter_matches_nothing() {
    let server = TestServer::start().await;
    for field in ["runnerKinds", "runnerProviders"] {
        for number in UNNAMED {
            for answer in list_every_way(&server, json!({ field: [number] })).await {
                let classes = answer["environmentClasses"].as_array().map_or(0, Vec::len);
                assert_eq!(classes, 0, "{field} [{number}]: {answer}");
            }
        }
    }
    // Beside a named value, an unnamed number changes nothing.
    let named = list_every_way(&server, json!({ "runnerKinds": ["RUNNER_KIND_REMOTE"] })).await;
    let mixed = list_every_way(
        &server,
        json!({ "runnerKinds": [99, "RUNNER_KIND_REMOTE"] }),
    )
    .await;
    assert!(!named[0]["environmentClasses"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(mixed, named);
}

/// The embedded fixtures copied to a fresh directory, with `edit` applied to two files.
fn edited_fixtures(name: &str, edit: impl Fn(&mut Value, &mut Value)) -> std::path::PathBuf {
    let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let dir = std::env::temp_dir().join(format!("gitpod-mock-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("schemas")).unwrap();
    for entry in [
        "runners.json",
        "environment_classes.json",
        "scm_integrations.json",
        "host_authentication_tokens.json",
    ]
    .iter()
    .map(|f| f.to_string())
    .chain(
        std::fs::read_dir(from.join("schemas"))
            .unwrap()
            .map(|e| format!("schemas/{}", e.unwrap().file_name().to_string_lossy())),
    ) {
        std::fs::copy(from.join(&entry), dir.join(&entry)).unwrap();
    }
    let read = |f: &str| {
        serde_json::from_str::<Value>(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let (mut runners, mut tokens) = (
        read("runners.json"),
        read("host_authentication_tokens.json"),
    );
    edit(&mut runners, &mut tokens);
    std::fs::write(dir.join("runners.json"), runners.to_string()).unwrap();
    std::fs::write(
        dir.join("host_authentication_tokens.json"),
        tokens.to_string(),
    )
    .unwrap();
    dir
}

#[tokio::test]
async fn unnamed_numbers_in_fixtures_round_trip_in_both_codecs() {
    let dir = edited_fixtures("open-enums", |runners, tokens| {
        runners["runners"][0]["kind"] = json!(42);
        runners["runners"][0]["provider"] = json!(-7);
        tokens["tokens"][0]["source"] = json!(99);
        tokens["tokens"][0]["subject"]["principal"] = json!(2_147_483_647);
    });
    let contract = Contract::load();
    let loaded = fixtures::load(&contract, Source::Dir(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let app = App::new(contract, State::new(&loaded, Some(42)), Settings::default());
    let server = TestServer::with(app).await;
    let method = "GetHostAuthenticationToken";
    let body = json!({ "id": EXAMPLE_ID });
    let from_json = server.ok(method, body.clone()).await;
    let binary = server
        .rpc_as(
            method,
            "application/proto",
            &[],
            proto_request(method, body),
        )
        .await;
    for token in [
        &from_json["token"],
        &proto_response(method, &binary.body)["token"],
    ] {
        assert_eq!(token["source"], 99, "{token}");
        assert_eq!(token["subject"]["principal"], 2_147_483_647, "{token}");
    }
    // The runner's unnamed kind and provider are what a filter by those numbers finds.
    for filter in [
        json!({ "runnerKinds": [42] }),
        json!({ "runnerProviders": [-7] }),
    ] {
        for answer in list_every_way(&server, filter.clone()).await {
            let classes = answer["environmentClasses"].as_array().unwrap();
            assert!(!classes.is_empty(), "{filter}: {answer}");
            assert!(
                classes.iter().all(|c| c["runnerId"] == EXAMPLE_ID),
                "{filter}: {answer}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_imported_state_keeps_unnamed_numbers_and_names_known_ones() {
    let server = TestServer::start().await;
    let state = |verb: &str, body: String| {
        let line = format!("{verb} /__mock/state");
        request(&line, &[("x-mock-session", "open-enums")], body)
    };
    let exported = server.send(state("GET", String::new())).await.json();
    let mut edited = exported.clone();
    edited["hostTokens"][0]["source"] = json!(99);
    edited["hostTokens"][1]["source"] = json!(2);
    edited["hostTokens"][0]["subject"]["principal"] = json!(-3);
    let put = server.send(state("PUT", edited.to_string())).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let again = server.send(state("GET", String::new())).await.json();
    assert_eq!(again["hostTokens"][0]["source"], 99);
    assert_eq!(again["hostTokens"][0]["subject"]["principal"], -3);
    assert_eq!(
        again["hostTokens"][1]["source"],
        "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT"
    );
    let id = exported["hostTokens"][0]["id"].clone();
    let path = format!("{SERVICE}/GetHostAuthenticationToken");
    let reply = server
        .post(
            &path,
            &[
                ("content-type", "application/json"),
                ("x-mock-session", "open-enums"),
            ],
            json!({ "id": id }).to_string(),
        )
        .await;
    assert_eq!(reply.json()["token"]["source"], 99, "{}", reply.text());

    // An enum name the contract does not know is refused at import, not answered with a 500 later.
    edited["hostTokens"][0]["source"] = json!("HOST_AUTHENTICATION_TOKEN_SOURCE_CARRIER_PIGEON");
    let put = server.send(state("PUT", edited.to_string())).await;
    let message = put.assert_code(400, "invalid_argument");
    assert!(
        message.contains("hostTokens[0] is not a valid gitpod.v1.HostAuthenticationToken"),
        "{message}"
    );
}
