//! A value of the wrong type is an `invalid_argument` whose message names the field by its
//! path and the type it should have, in protojson's words, over POST and Connect GET alike.
//! (`codec::json_check`'s unit tests go through every kind of wrong value.)

use crate::protocol::{get, urlencode};
use crate::support::{TestServer, EXAMPLE_ID};
use gitpod_mock::app::{App, Settings};
use gitpod_mock::contract::Contract;
use gitpod_mock::store::{fixtures, State};
use serde_json::json;

#[rustfmt::skip]
const CASES: &[(&str, &str, &str)] = &[
    ("UpdateEnvironmentClass", r#"{"environmentClassId":"ID","enabled":"yes"}"#, r#"invalid value for bool field enabled: "yes""#),
    ("ListEnvironmentClasses", r#"{"filter":{"runnerIds":["ID",7]}}"#, "invalid value for string field filter.runnerIds[1]: 7"),
    ("ListEnvironmentClasses", r#"{"filter":{"runnerKinds":"RUNNER_KIND_REMOTE"}}"#, r#"invalid value for repeated enum field filter.runnerKinds: "RUNNER_KIND_REMOTE""#),
    ("ListSCMIntegrations", r#"{"pagination":{"pageSize":12.5}}"#, "invalid value for int32 field pagination.pageSize: 12.5"),
    ("ListSCMIntegrations", r#"{"filter":"all"}"#, r#"invalid value for message field filter: "all""#),
    ("CreateHostAuthenticationToken", r#"{"runnerId":"ID","expiresAt":"next week"}"#, r#"invalid value for google.protobuf.Timestamp field expiresAt: "next week""#),
    ("CreateHostAuthenticationToken", r#"{"runnerId":"ID","token":{"value":"x"}}"#, "invalid value for string field token"),
    ("ValidateRunnerConfiguration", r#"{"runnerId":"ID","scmIntegration":{"oauthEncryptedClientSecret":"not*base64"}}"#, "invalid value for bytes field scmIntegration.oauthEncryptedClientSecret"),
];

fn message(method: &str, reason: &str) -> String {
    format!("unmarshal into gitpod.v1.{method}Request: {reason}")
}

#[tokio::test]
async fn wrong_types_name_the_field_and_its_type() {
    let server = TestServer::start().await;
    for (method, body, reason) in CASES {
        let body = body.replace("ID", EXAMPLE_ID);
        let reply = server
            .post(
                &format!("{}/{method}", crate::support::SERVICE),
                &[("content-type", "application/json")],
                body,
            )
            .await;
        reply.assert_error(400, "invalid_argument", &message(method, reason));
    }
}

#[tokio::test]
async fn a_connect_get_names_the_field_too() {
    let server = TestServer::start().await;
    let body = json!({ "filter": { "runnerIds": [EXAMPLE_ID, 7] } }).to_string();
    let query = format!(
        "connect=v1&encoding=json&message={}",
        urlencode(body.as_bytes())
    );
    let reply = get(&server, "ListEnvironmentClasses", &query).await;
    let reason = "invalid value for string field filter.runnerIds[1]: 7";
    reply.assert_error(
        400,
        "invalid_argument",
        &message("ListEnvironmentClasses", reason),
    );
}

#[tokio::test]
async fn strict_names_unknown_fields_and_enum_names_in_body_order() {
    let contract = Contract::load();
    let loaded = fixtures::load(&contract, fixtures::Source::Embedded).unwrap();
    let settings = Settings {
        strict: true,
        ..Settings::default()
    };
    let server =
        TestServer::with(App::new(contract, State::new(&loaded, Some(42)), settings)).await;
    // Raw text, not `json!`, which would sort the keys.
    #[rustfmt::skip]
    let cases = [
        (r#"{"filter": {"runnerKinds": ["RUNNER_KIND_MOON"]}, "extra": 1}"#, r#"invalid value for enum field filter.runnerKinds[0]: "RUNNER_KIND_MOON""#),
        (r#"{"extra": 1, "filter": {"runnerKinds": ["RUNNER_KIND_MOON"]}}"#, r#"unknown field "extra""#),
    ];
    let path = format!("{}/ListEnvironmentClasses", crate::support::SERVICE);
    for (body, reason) in cases {
        let reply = server
            .post(&path, &[("content-type", "application/json")], body)
            .await;
        reply.assert_error(
            400,
            "invalid_argument",
            &message("ListEnvironmentClasses", reason),
        );
    }
    // Without --strict an unknown enum name is dropped, as connect-go's protojson drops it.
    let lenient = TestServer::start().await;
    lenient
        .ok(
            "ListEnvironmentClasses",
            json!({"filter": {"runnerKinds": ["RUNNER_KIND_MOON"]}}),
        )
        .await;
}
