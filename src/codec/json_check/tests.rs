use crate::contract::Contract;

fn contract() -> &'static Contract {
    static CONTRACT: std::sync::OnceLock<Contract> = std::sync::OnceLock::new();
    CONTRACT.get_or_init(Contract::load)
}

fn check_as(method: &str, body: &str, strict: bool) -> Result<(), String> {
    let desc = &contract().procedure(method).unwrap().input;
    super::check(desc, body.as_bytes(), strict)
}

fn check(method: &str, body: &str) -> Result<(), String> {
    check_as(method, body, false)
}

#[test]
fn same_name_twice_is_a_duplicate() {
    let err = check("GetSCMIntegration", r#"{"id":"a","id":"b"}"#).unwrap_err();
    assert_eq!(err, "duplicate field \"id\"");
}

#[test]
fn snake_and_camel_spellings_collide() {
    let body = r#"{"runnerId":"a","runner_id":"b"}"#;
    let err = check("GetRunnerConfigurationSchema", body).unwrap_err();
    assert_eq!(
        err,
        "duplicate field \"runner_id\" (also given as \"runnerId\")"
    );
}

#[test]
fn a_null_counts_as_given() {
    let body = r#"{"id":null,"id":"b"}"#;
    assert!(check("GetSCMIntegration", body).is_err());
}

#[test]
fn nested_messages_are_checked_and_siblings_are_not_confused() {
    let list = "ListSCMIntegrations";
    let nested = r#"{"filter":{"runnerIds":[],"runner_ids":[]}}"#;
    assert!(check(list, nested).is_err());
    let siblings = r#"{"filter":{"runnerIds":[]},"pagination":{"pageSize":1}}"#;
    assert!(check(list, siblings).is_ok());
    let config = r#"{"configuration":[{"key":"a","key":"b"}]}"#;
    assert!(check("CreateEnvironmentClass", config).is_err());
    let elements = r#"{"configuration":[{"key":"a"},{"key":"b"}]}"#;
    assert!(check("CreateEnvironmentClass", elements).is_ok());
}

#[test]
fn unknown_fields_may_repeat_at_any_depth() {
    let get = "GetSCMIntegration";
    assert!(check(get, r#"{"id":"a","extra":1,"extra":2}"#).is_ok());
    assert!(check(get, r#"{"extra":{"x":1,"x":2}}"#).is_ok());
    let nested = r#"{"filter":{"other":1,"other":2},"pagination":{"x":[],"x":[]}}"#;
    assert!(check("ListSCMIntegrations", nested).is_ok());
}

#[test]
fn under_strict_the_first_unknown_field_is_named() {
    let get = "GetSCMIntegration";
    let err = check_as(get, r#"{"extra":1,"id":"a","id":"b"}"#, true).unwrap_err();
    assert_eq!(err, r#"unknown field "extra""#);
    let err = check_as(get, r#"{"id":"a","id":"b","extra":1}"#, true).unwrap_err();
    assert_eq!(err, r#"duplicate field "id""#);
    let list = "ListSCMIntegrations";
    let err = check_as(list, r#"{"filter":{"nope":true}}"#, true).unwrap_err();
    assert_eq!(err, r#"unknown field "nope" in filter"#);
}

#[test]
fn syntax_errors_are_left_to_the_decoder() {
    let list = "ListSCMIntegrations";
    assert!(check(list, r#"{"filter":{"#).is_ok());
    assert!(check(list, r#"{"filter":{"runnerIds":[}}"#).is_ok());
}

/// Every kind of wrong value, with the message protojson's wording gives it.
#[test]
fn wrong_types_name_the_field_path_and_the_expected_type() {
    #[rustfmt::skip]
    let cases = [
        ("UpdateEnvironmentClass", r#"{"enabled":"yes"}"#, r#"invalid value for bool field enabled: "yes""#),
        ("UpdateEnvironmentClass", r#"{"enabled":1}"#, "invalid value for bool field enabled: 1"),
        ("UpdateEnvironmentClass", r#"{"enabled":[true]}"#, "invalid value for bool field enabled: […]"),
        ("GetSCMIntegration", r#"{"id":5}"#, "invalid value for string field id: 5"),
        ("GetSCMIntegration", r#"{"id":true}"#, "invalid value for string field id: true"),
        ("GetSCMIntegration", r#"{"id":{"a":1}}"#, "invalid value for string field id: {…}"),
        ("GetSCMIntegration", r#"{"id":["a"]}"#, "invalid value for string field id: […]"),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":"ten"}}"#, r#"invalid value for int32 field pagination.pageSize: "ten""#),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":1.5}}"#, "invalid value for int32 field pagination.pageSize: 1.5"),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":2147483648}}"#, "invalid value for int32 field pagination.pageSize: 2147483648"),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":-2147483649}}"#, "invalid value for int32 field pagination.pageSize: -2147483649"),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":"1.0"}}"#, r#"invalid value for int32 field pagination.pageSize: "1.0""#),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":" 1"}}"#, r#"invalid value for int32 field pagination.pageSize: " 1""#),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":1e20}}"#, "invalid value for int32 field pagination.pageSize: 1e20"),
        ("ListSCMIntegrations", r#"{"pagination":"first"}"#, r#"invalid value for message field pagination: "first""#),
        ("ListSCMIntegrations", r#"{"filter":[]}"#, "invalid value for message field filter: […]"),
        ("ListSCMIntegrations", r#"{"filter":{"runnerIds":"a"}}"#, r#"invalid value for repeated string field filter.runnerIds: "a""#),
        ("ListSCMIntegrations", r#"{"filter":{"runnerIds":{}}}"#, "invalid value for repeated string field filter.runnerIds: {…}"),
        ("ListSCMIntegrations", r#"{"filter":{"runnerIds":["a",2]}}"#, "invalid value for string field filter.runnerIds[1]: 2"),
        ("ListSCMIntegrations", r#"{"filter":{"runnerIds":[null]}}"#, "invalid value for string field filter.runnerIds[0]: null"),
        ("ListEnvironmentClasses", r#"{"filter":{"runnerKinds":[1.0]}}"#, "invalid value for enum field filter.runnerKinds[0]: 1.0"),
        ("ListEnvironmentClasses", r#"{"filter":{"runnerKinds":[2147483648]}}"#, "invalid value for enum field filter.runnerKinds[0]: 2147483648"),
        ("ListEnvironmentClasses", r#"{"filter":{"runnerKinds":[true]}}"#, "invalid value for enum field filter.runnerKinds[0]: true"),
        ("CreateHostAuthenticationToken", r#"{"expiresAt":"tomorrow"}"#, r#"invalid value for google.protobuf.Timestamp field expiresAt: "tomorrow""#),
        ("CreateHostAuthenticationToken", r#"{"expiresAt":"2024-02-30T00:00:00Z"}"#, r#"invalid value for google.protobuf.Timestamp field expiresAt: "2024-02-30T00:00:00Z""#),
        ("CreateHostAuthenticationToken", r#"{"expiresAt":"10000-01-01T00:00:00Z"}"#, r#"invalid value for google.protobuf.Timestamp field expiresAt: "10000-01-01T00:00:00Z""#),
        ("CreateHostAuthenticationToken", r#"{"expiresAt":1700000000}"#, "invalid value for google.protobuf.Timestamp field expiresAt: 1700000000"),
        ("CreateHostAuthenticationToken", r#"{"subject":{"principal":{}}}"#, "invalid value for enum field subject.principal: {…}"),
        ("CreateEnvironmentClass", r#"{"configuration":[{"key":"a"},{"value":7}]}"#, "invalid value for string field configuration[1].value: 7"),
        ("CreateEnvironmentClass", r#"{"configuration":["a"]}"#, r#"invalid value for message field configuration[0]: "a""#),
        ("ValidateRunnerConfiguration", r#"{"scmIntegration":{"oauthEncryptedClientSecret":"%%%"}}"#, "invalid value for bytes field scmIntegration.oauthEncryptedClientSecret"),
        ("ValidateRunnerConfiguration", r#"{"scmIntegration":{"pat":"no"}}"#, r#"invalid value for bool field scmIntegration.pat: "no""#),
        ("GetSCMIntegration", "[]", "a message must be a JSON object, got […]"),
        ("GetSCMIntegration", r#""x""#, r#"a message must be a JSON object, got "x""#),
        ("GetSCMIntegration", "null", "a message must be a JSON object, got null"),
    ];
    for (method, body, expected) in cases {
        assert_eq!(check(method, body), Err(expected.to_string()), "{body}");
    }
}

#[test]
fn secrets_of_the_wrong_type_are_not_repeated() {
    let body = r#"{"token":12345678,"refreshToken":["s3cr3t"]}"#;
    let err = check("CreateHostAuthenticationToken", body).unwrap_err();
    assert_eq!(err, "invalid value for string field token");
    let body = r#"{"oauthPlaintextClientSecret":true}"#;
    let err = check("UpdateSCMIntegration", body).unwrap_err();
    assert_eq!(
        err,
        "invalid value for string field oauthPlaintextClientSecret"
    );
}

#[test]
fn long_strings_are_cut_in_errors() {
    let long = "x".repeat(10_000);
    let err = check(
        "UpdateEnvironmentClass",
        &format!(r#"{{"enabled":"{long}"}}"#),
    )
    .unwrap_err();
    let quoted = format!("\"{}\"…", "x".repeat(64));
    assert_eq!(
        err,
        format!("invalid value for bool field enabled: {quoted}")
    );
}

#[test]
fn every_form_protojson_and_the_decoder_both_accept_passes() {
    #[rustfmt::skip]
    let cases = [
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":"25"}}"#),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":-0}}"#),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":2.0}}"#),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":1e2}}"#),
        ("ListSCMIntegrations", r#"{"pagination":{"pageSize":"-2147483648"}}"#),
        ("ListSCMIntegrations", r#"{"pagination":null,"filter":{"runnerIds":[]}}"#),
        ("ListEnvironmentClasses", r#"{"filter":{"runnerKinds":[99,-1,2147483647,"RUNNER_KIND_REMOTE"],"enabled":null}}"#),
        ("ListEnvironmentClasses", r#"{"filter":{"runnerProviders":["NOT_A_PROVIDER"]}}"#),
        ("CreateHostAuthenticationToken", r#"{"expiresAt":"2024-12-31T23:59:59.123+01:00","source":1}"#),
        ("ValidateRunnerConfiguration", r#"{"scmIntegration":{"oauthEncryptedClientSecret":"YWJj-_8"}}"#),
        ("ValidateRunnerConfiguration", r#"{"scmIntegration":{"oauthEncryptedClientSecret":"YWJjZA"}}"#),
        ("ValidateRunnerConfiguration", r#"{"environmentClass":null,"scmIntegration":{}}"#),
    ];
    for (method, body) in cases {
        assert_eq!(check(method, body), Ok(()), "{body}");
        let desc = &contract().procedure(method).unwrap().input;
        let mut de = serde_json::Deserializer::from_slice(body.as_bytes());
        let lenient = DeserializeOptions::new().deny_unknown_fields(false);
        let decoded = DynamicMessage::deserialize_with_options(desc.clone(), &mut de, &lenient);
        assert!(decoded.is_ok(), "the decoder refuses {body}: {decoded:?}");
    }
}

#[test]
fn unknown_enum_names_are_refused_only_under_strict() {
    let body = r#"{"filter":{"runnerKinds":["RUNNER_KIND_NONE"]}}"#;
    assert_eq!(check("ListEnvironmentClasses", body), Ok(()));
    let err = check_as("ListEnvironmentClasses", body, true).unwrap_err();
    assert_eq!(
        err,
        r#"invalid value for enum field filter.runnerKinds[0]: "RUNNER_KIND_NONE""#
    );
}

#[test]
fn two_members_of_a_oneof_are_refused_unless_one_is_null() {
    let method = "ValidateRunnerConfiguration";
    let both = r#"{"environmentClass":{},"scmIntegration":{}}"#;
    let expected = r#"error parsing "scmIntegration", oneof gitpod.v1.ValidateRunnerConfigurationRequest.config is already set"#;
    assert_eq!(check(method, both), Err(expected.to_string()));
    let null_first = r#"{"environmentClass":null,"scm_integration":{}}"#;
    assert_eq!(check(method, null_first), Ok(()));
}

use prost_reflect::{DeserializeOptions, DynamicMessage};
