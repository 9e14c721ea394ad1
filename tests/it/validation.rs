//! Every `buf.validate` rule of the contract, as a protovalidate server reports it: code
//! `invalid_argument`, the `validation error: ...` message in field order, and one
//! `buf.validate.Violations` detail whose binary `value` and JSON `debug` agree.

use crate::support::{TestServer, EXAMPLE_ID, SERVICE};
use base64::Engine;
use gitpod_mock::app::{App, Settings};
use gitpod_mock::contract::Contract;
use gitpod_mock::store::{fixtures, State};
use prost_reflect::{DynamicMessage, MessageDescriptor};
use serde_json::{json, Value};
use std::sync::OnceLock;

/// One expected violation: proto field path, rule id, message.
type V = (&'static str, &'static str, &'static str);

const UUID: &str = "value must be a valid UUID";
const UUID_EMPTY: &str = "value is empty, which is not a valid UUID";
const MIN1: &str = "value length must be at least 1 characters";
const MIN3: &str = "value length must be at least 3 characters";
const MAX127: &str = "value length must be at most 127 characters";
const MAX200: &str = "value length must be at most 200 characters";
const MAX25: &str = "value must contain no more than 25 item(s)";
const ENUM: &str = "value must be one of the defined enum values";
const MAX101: &str = "value must contain no more than 101 item(s)";
const PAGE: &str = "value must be greater than or equal to 0 and less than or equal to 100";

fn violations_desc() -> &'static MessageDescriptor {
    static DESC: OnceLock<MessageDescriptor> = OnceLock::new();
    DESC.get_or_init(|| Contract::load().message("buf.validate.Violations").unwrap())
}

fn expected_message(violations: &[V]) -> String {
    let lines: Vec<String> = violations
        .iter()
        .map(|(p, _, m)| format!("{p}: {m}"))
        .collect();
    match lines.as_slice() {
        [one] => format!("validation error: {one}"),
        many => format!("validation error:\n - {}", many.join("\n - ")),
    }
}

/// `filter.runner_ids[1]` from a violation's field path elements.
fn path_of(field: &Value) -> String {
    let elements = field["elements"].as_array().expect("field.elements");
    let names: Vec<String> = elements
        .iter()
        .map(|e| {
            assert!(e["fieldNumber"].as_u64().unwrap() > 0, "{e}");
            assert!(e["fieldType"].as_str().unwrap().starts_with("TYPE_"), "{e}");
            let name = e["fieldName"].as_str().unwrap();
            match e.get("index") {
                Some(i) => format!("{name}[{}]", i.as_str().expect("uint64 index is a string")),
                None => name.to_string(),
            }
        })
        .collect();
    names.join(".")
}

/// Sends `body` and checks the error, its message and its Violations detail against `expected`.
async fn assert_violations(server: &TestServer, method: &str, body: Value, expected: &[V]) {
    let what = format!("{method} {body}");
    let reply = server.call(method, body).await;
    reply.assert_error(400, "invalid_argument", &expected_message(expected));
    let json = reply.json();
    let details = json["details"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: no details"));
    assert_eq!(details.len(), 1, "{what}");
    let detail = &details[0];
    assert_eq!(detail["type"], "buf.validate.Violations", "{what}");
    let value = detail["value"].as_str().unwrap();
    assert!(!value.contains('='), "{what}: padded base64 {value}");
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(value)
        .unwrap_or_else(|e| panic!("{what}: value is not unpadded base64: {e}"));
    let decoded = DynamicMessage::decode(violations_desc().clone(), bytes.as_slice()).unwrap();
    assert_eq!(
        serde_json::to_value(&decoded).unwrap(),
        detail["debug"],
        "{what}: value vs debug"
    );
    let got: Vec<(String, String, String)> = detail["debug"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let rule = v["rule"]["elements"].as_array().expect("rule path");
            assert!(!rule.is_empty(), "{what}: empty rule path in {v}");
            let text = |k: &str| v[k].as_str().unwrap().to_string();
            (path_of(&v["field"]), text("ruleId"), text("message"))
        })
        .collect();
    let want: Vec<(String, String, String)> = expected
        .iter()
        .map(|(p, r, m)| (p.to_string(), r.to_string(), m.to_string()))
        .collect();
    assert_eq!(got, want, "{what}");
}

fn uuids(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("00000000-0000-4000-8000-{i:012}"))
        .collect()
}

/// A valid CreateHostAuthenticationToken request with `extra` fields merged in.
fn token(extra: Value) -> Value {
    with(
        json!({"runnerId": EXAMPLE_ID, "host": "github.com", "token": "t"}),
        extra,
    )
}

fn with(mut base: Value, extra: Value) -> Value {
    let extra = extra.as_object().unwrap().clone();
    base.as_object_mut().unwrap().extend(extra);
    base
}

/// (method, the uuid field's JSON name, its proto name, the rest of a valid request)
#[rustfmt::skip]
const REQUIRED_UUIDS: &[(&str, &str, &str, &str)] = &[
    ("GetHostAuthenticationToken", "id", "id", "{}"),
    ("UpdateHostAuthenticationToken", "id", "id", "{}"),
    ("DeleteHostAuthenticationToken", "id", "id", "{}"),
    ("GetSCMIntegration", "id", "id", "{}"),
    ("UpdateSCMIntegration", "id", "id", "{}"),
    ("DeleteSCMIntegration", "id", "id", "{}"),
    ("GetEnvironmentClass", "environmentClassId", "environment_class_id", "{}"),
    ("UpdateEnvironmentClass", "environmentClassId", "environment_class_id", "{}"),
    ("GetRunnerConfigurationSchema", "runnerId", "runner_id", "{}"),
    ("CreateSCMIntegration", "runnerId", "runner_id", r#"{"scmId": "github", "host": "x.io"}"#),
    ("CreateEnvironmentClass", "runnerId", "runner_id", r#"{"displayName": "abc", "description": "abc"}"#),
    ("CreateHostAuthenticationToken", "runnerId", "runner_id", r#"{"host": "h", "token": "t"}"#),
];

#[tokio::test]
async fn every_required_uuid_rejects_absent_empty_and_malformed_values() {
    let server = TestServer::start().await;
    for (method, json_name, proto_name, rest) in REQUIRED_UUIDS {
        let base: Value = serde_json::from_str(rest).unwrap();
        let empty = [(*proto_name, "string.uuid_empty", UUID_EMPTY)];
        assert_violations(&server, method, base.clone(), &empty).await;
        let body = with(base.clone(), json!({ *json_name: "" }));
        assert_violations(&server, method, body, &empty).await;
        let body = with(base, json!({ *json_name: "d2c94c27-3b76-4a42-b88c" }));
        assert_violations(&server, method, body, &[(proto_name, "string.uuid", UUID)]).await;
    }
}

/// (method, request, the violations it must get)
#[rustfmt::skip]
fn rule_cases() -> Vec<(&'static str, Value, Vec<V>)> {
    let long = |n: usize| "x".repeat(n);
    let class = |name: &str, description: &str| json!({"runnerId": EXAMPLE_ID, "displayName": name, "description": description});
    let update = |extra: Value| with(json!({"environmentClassId": EXAMPLE_ID}), extra);
    let ids = |n: usize| json!({"filter": {"runnerIds": uuids(n)}});
    vec![
        // IGNORE_IF_ZERO_VALUE: checked only when set, then like any uuid.
        ("CreateHostAuthenticationToken", token(json!({"userId": "u1"})), vec![("user_id", "string.uuid", UUID)]),
        ("CreateHostAuthenticationToken", token(json!({"integrationId": "i1"})), vec![("integration_id", "string.uuid", UUID)]),
        ("CreateHostAuthenticationToken", token(json!({"subject": {"id": "s1"}})), vec![("subject.id", "string.uuid", UUID)]),
        ("CreateHostAuthenticationToken", token(json!({"subject": {"principal": 99}})), vec![("subject.principal", "enum.defined_only", ENUM)]),
        // min_len / max_len, counted in characters, on create and on update.
        ("CreateEnvironmentClass", class("ab", "abc"), vec![("display_name", "string.min_len", MIN3)]),
        ("CreateEnvironmentClass", class("éé", "abc"), vec![("display_name", "string.min_len", MIN3)]),
        ("CreateEnvironmentClass", class(&long(128), "abc"), vec![("display_name", "string.max_len", MAX127)]),
        ("CreateEnvironmentClass", class("abc", "ab"), vec![("description", "string.min_len", MIN3)]),
        ("CreateEnvironmentClass", class("abc", &long(201)), vec![("description", "string.max_len", MAX200)]),
        ("UpdateEnvironmentClass", update(json!({"displayName": ""})), vec![("display_name", "string.min_len", MIN3)]),
        ("UpdateEnvironmentClass", update(json!({"displayName": long(128)})), vec![("display_name", "string.max_len", MAX127)]),
        ("UpdateEnvironmentClass", update(json!({"description": "ab"})), vec![("description", "string.min_len", MIN3)]),
        ("UpdateEnvironmentClass", update(json!({"description": long(201)})), vec![("description", "string.max_len", MAX200)]),
        ("CreateHostAuthenticationToken", token(json!({"token": ""})), vec![("token", "string.min_len", MIN1)]),
        ("CreateHostAuthenticationToken", token(json!({"host": ""})), vec![("host", "string.min_len", MIN1)]),
        ("UpdateHostAuthenticationToken", json!({"id": EXAMPLE_ID, "token": ""}), vec![("token", "string.min_len", MIN1)]),
        // repeated max_items and items rules.
        ("ListSCMIntegrations", ids(26), vec![("filter.runner_ids", "repeated.max_items", MAX25)]),
        ("ListEnvironmentClasses", ids(26), vec![("filter.runner_ids", "repeated.max_items", MAX25)]),
        ("ListEnvironmentClasses", json!({"filter": {"runnerKinds": vec![2; 26]}}), vec![("filter.runner_kinds", "repeated.max_items", MAX25)]),
        ("ListEnvironmentClasses", json!({"filter": {"runnerProviders": vec![1; 26]}}), vec![("filter.runner_providers", "repeated.max_items", MAX25)]),
        ("CreateHostAuthenticationToken", token(json!({"scopes": vec!["s"; 102]})), vec![("scopes", "repeated.max_items", MAX101)]),
        ("ListSCMIntegrations", json!({"filter": {"runnerIds": [EXAMPLE_ID, "nope"]}}), vec![("filter.runner_ids[1]", "string.uuid", UUID)]),
        ("ListEnvironmentClasses", json!({"filter": {"runnerIds": ["", EXAMPLE_ID]}}), vec![("filter.runner_ids[0]", "string.uuid_empty", UUID_EMPTY)]),
        // Optional filter fields are checked once set, even to "".
        ("ListHostAuthenticationTokens", json!({"filter": {"runnerId": ""}}), vec![("filter.runner_id", "string.uuid_empty", UUID_EMPTY)]),
        ("ListHostAuthenticationTokens", json!({"filter": {"userId": "u"}}), vec![("filter.user_id", "string.uuid", UUID)]),
        ("ListHostAuthenticationTokens", json!({"filter": {"subjectId": "s"}}), vec![("filter.subject_id", "string.uuid", UUID)]),
        // enum defined_only, given as a number.
        ("CreateHostAuthenticationToken", token(json!({"source": 7})), vec![("source", "enum.defined_only", ENUM)]),
        ("CreateHostAuthenticationToken", token(json!({"source": -1})), vec![("source", "enum.defined_only", ENUM)]),
        // page size 0..100 on every list.
        ("ListSCMIntegrations", json!({"pagination": {"pageSize": 101}}), vec![("pagination.page_size", "int32.gte_lte", PAGE)]),
        ("ListEnvironmentClasses", json!({"pagination": {"pageSize": -1}}), vec![("pagination.page_size", "int32.gte_lte", PAGE)]),
        ("ListHostAuthenticationTokens", json!({"pagination": {"pageSize": 101}}), vec![("pagination.page_size", "int32.gte_lte", PAGE)]),
    ]
}

#[tokio::test]
async fn each_rule_reports_its_field_rule_id_and_message() {
    let server = TestServer::start().await;
    for (method, body, expected) in rule_cases() {
        assert_violations(&server, method, body, &expected).await;
    }
}

/// Requests at the limits of every rule, or with optional fields left out: all succeed.
#[rustfmt::skip]
fn passing_cases() -> Vec<(&'static str, Value)> {
    let class = |name: String, description: String| json!({"runnerId": EXAMPLE_ID, "displayName": name, "description": description});
    vec![
        ("CreateHostAuthenticationToken", token(json!({"userId": "", "integrationId": "", "subject": {"id": ""}}))),
        ("CreateHostAuthenticationToken", token(json!({"source": 2, "scopes": vec!["s"; 101]}))),
        ("CreateEnvironmentClass", class("abc".into(), "abc".into())),
        ("CreateEnvironmentClass", class("x".repeat(127), "y".repeat(200))),
        ("CreateEnvironmentClass", class("é".repeat(127), "ü".repeat(200))),
        ("UpdateEnvironmentClass", json!({"environmentClassId": EXAMPLE_ID})),
        ("UpdateHostAuthenticationToken", json!({"id": EXAMPLE_ID})),
        ("ListSCMIntegrations", json!({"filter": {"runnerIds": uuids(25)}, "pagination": {"pageSize": 0}})),
        ("ListEnvironmentClasses", json!({"filter": {"runnerKinds": vec![2; 25]}, "pagination": {"pageSize": 100}})),
        ("ListHostAuthenticationTokens", json!({"filter": {}})),
    ]
}

#[tokio::test]
async fn values_at_the_limits_and_unset_optional_fields_pass() {
    let server = TestServer::start().await;
    for (method, body) in passing_cases() {
        let reply = server.call(method, body.clone()).await;
        assert_eq!(reply.status, 200, "{method} {body}: {}", reply.text());
    }
}

#[tokio::test]
async fn several_violations_come_in_one_message_in_field_order() {
    let server = TestServer::start().await;
    // JSON order is the reverse of field order; the report follows field numbers.
    let body = json!({"scopes": vec!["s"; 102], "source": 7, "token": "", "host": "", "userId": "u", "runnerId": ""});
    #[rustfmt::skip]
    let expected: Vec<V> = vec![
        ("runner_id", "string.uuid_empty", UUID_EMPTY), ("user_id", "string.uuid", UUID),
        ("host", "string.min_len", MIN1), ("token", "string.min_len", MIN1),
        ("source", "enum.defined_only", ENUM), ("scopes", "repeated.max_items", MAX101),
    ];
    assert_violations(&server, "CreateHostAuthenticationToken", body, &expected).await;
    let body =
        json!({"filter": {"runnerIds": ["a", EXAMPLE_ID, "b"]}, "pagination": {"pageSize": 101}});
    let reply = server.call("ListSCMIntegrations", body).await;
    let message = format!("validation error:\n - pagination.page_size: {PAGE}\n - filter.runner_ids[0]: {UUID}\n - filter.runner_ids[2]: {UUID}");
    reply.assert_error(400, "invalid_argument", &message);
}

#[tokio::test]
async fn snake_case_names_give_the_same_violations() {
    let server = TestServer::start().await;
    let long = "x".repeat(201);
    #[rustfmt::skip]
    let pairs = [
        ("CreateEnvironmentClass", json!({"runnerId": "", "displayName": "ab", "description": long}), json!({"runner_id": "", "display_name": "ab", "description": long})),
        ("ListEnvironmentClasses", json!({"filter": {"runnerIds": ["x"]}, "pagination": {"pageSize": 101}}), json!({"filter": {"runner_ids": ["x"]}, "pagination": {"page_size": 101}})),
    ];
    for (method, camel, snake) in pairs {
        let (a, b) = (
            server.call(method, camel).await,
            server.call(method, snake).await,
        );
        assert_eq!(a.status, 400, "{}", a.text());
        assert_eq!((a.status, a.json()), (b.status, b.json()), "{method}");
    }
}

#[tokio::test]
async fn validate_runner_configuration_is_not_rule_checked() {
    let server = TestServer::start().await;
    for (runner, shown) in [("not-a-uuid", "not-a-uuid"), ("", r#""""#)] {
        let body = json!({"runnerId": runner, "environmentClass": {"displayName": "a"}});
        let reply = server.call("ValidateRunnerConfiguration", body).await;
        reply.assert_error(404, "not_found", &format!("runner {shown} not found"));
        assert!(reply.json().get("details").is_none());
    }
}

#[tokio::test]
async fn unknown_fields_are_ignored_by_default_and_rejected_when_strict() {
    let contract = Contract::load();
    let fixtures = fixtures::load(&contract, fixtures::Source::Embedded).unwrap();
    let settings = Settings {
        strict: true,
        ..Settings::default()
    };
    let strict = App::new(contract, State::new(&fixtures, Some(42)), settings);
    let (lenient, strict) = (TestServer::start().await, TestServer::with(strict).await);
    let cases = [
        (
            "GetSCMIntegration",
            json!({"id": EXAMPLE_ID, "extra": 1}),
            "extra",
        ),
        (
            "ListSCMIntegrations",
            json!({"filter": {"runnerIds": [], "nope": true}}),
            "nope",
        ),
    ];
    for (method, body, field) in cases {
        lenient.ok(method, body.clone()).await;
        let message = strict
            .call(method, body)
            .await
            .assert_code(400, "invalid_argument");
        assert!(
            message.starts_with("unmarshal into gitpod.v1."),
            "{message}"
        );
        assert!(
            message.contains(&format!("unknown field \"{field}\"")),
            "{message}"
        );
    }
    strict
        .ok("GetSCMIntegration", json!({"id": EXAMPLE_ID}))
        .await;
}

#[tokio::test]
async fn duplicate_fields_are_rejected_in_either_spelling() {
    let server = TestServer::start().await;
    let path = format!("{SERVICE}/GetRunnerConfigurationSchema");
    #[rustfmt::skip]
    let cases = [
        (r#"{"runnerId":"X","runner_id":"X"}"#, r#"duplicate field "runner_id" (also given as "runnerId")"#),
        (r#"{"runner_id":"X","runner_id":"X"}"#, r#"duplicate field "runner_id""#),
    ];
    for (raw, reason) in cases {
        let body = raw.replace('X', EXAMPLE_ID);
        let reply = server
            .post(&path, &[("content-type", "application/json")], body)
            .await;
        let message =
            format!("unmarshal into gitpod.v1.GetRunnerConfigurationSchemaRequest: {reason}");
        reply.assert_error(400, "invalid_argument", &message);
    }
}
