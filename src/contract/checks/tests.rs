//! The second pass on small contracts compiled here, one rule kind at a time.

use crate::contract::{Contract, Violation};
use serde_json::{json, Value};

/// A contract of one file, `zoo.proto`, whose `Zoo` service takes `Req`.
fn contract(messages: &str) -> Contract {
    let source = format!(
        "syntax = \"proto3\";\npackage zoo;\nimport \"buf/validate/validate.proto\";\n\
         import \"google/protobuf/duration.proto\";\nimport \"google/protobuf/timestamp.proto\";\n\
         service Zoo {{ rpc Call(Req) returns (Req); }}\n{messages}"
    );
    compiled(&source).unwrap_or_else(|e| panic!("zoo.proto: {e}"))
}

/// `source` as `zoo.proto` in a directory of its own, compiled and loaded.
fn compiled(source: &str) -> Result<Contract, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("gpm-checks-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    std::fs::write(dir.join("zoo.proto"), source).expect("zoo.proto written");
    let pool = crate::contract::source::compile(&dir).map_err(|e| e.to_string());
    let _ = std::fs::remove_dir_all(&dir);
    Contract::from_pool(pool?, &[])
}

/// (rule id, field path, message) of each violation of `request`.
fn check(contract: &Contract, request: Value) -> Vec<(String, String, String)> {
    let input = &contract.procedure("Call").expect("Call").input;
    match contract.validate_request(input, &request) {
        Ok(()) => Vec::new(),
        Err(found) => found
            .iter()
            .map(|v: &Violation| {
                let path = match &v.oneof {
                    Some(oneof) if v.field_path.is_empty() => oneof.clone(),
                    Some(oneof) => format!("{}.{oneof}", v.field_path),
                    None => v.field_path.clone(),
                };
                (v.rule_id.clone(), path, v.message.clone())
            })
            .collect(),
    }
}

fn one(id: &str, path: &str, message: &str) -> Vec<(String, String, String)> {
    vec![(id.into(), path.into(), message.into())]
}

#[test]
fn custom_field_and_message_rules() {
    let zoo = contract(
        "message Req {\n\
           option (buf.validate.message).cel = { id: \"order\", message: \"a after b\", expression: \"this.a <= this.b\" };\n\
           int32 a = 1;\n\
           int32 b = 2 [(buf.validate.field).cel = { id: \"even\", expression: \"this % 2 == 0 ? '' : 'must be even'\" }];\n\
         }",
    );
    assert_eq!(check(&zoo, json!({"a": 1, "b": 2})), vec![]);
    assert_eq!(
        check(&zoo, json!({"a": 1, "b": 3})),
        one("even", "b", "must be even")
    );
    assert_eq!(
        check(&zoo, json!({"a": 4, "b": 3})),
        vec![
            ("order".into(), "".into(), "a after b".into()),
            ("even".into(), "b".into(), "must be even".into())
        ],
        "message rules come first"
    );
}

#[test]
fn required_on_messages_and_scalars() {
    let zoo = contract(
        "message Inner { string s = 1; }\n\
         message Req {\n\
           Inner inner = 1 [(buf.validate.field).required = true];\n\
           string name = 2 [(buf.validate.field).required = true];\n\
         }",
    );
    assert_eq!(
        check(&zoo, json!({"name": ""})),
        vec![
            (
                "required".into(),
                "inner".into(),
                "value is required".into()
            ),
            ("required".into(), "name".into(), "value is required".into())
        ]
    );
    assert_eq!(
        check(&zoo, json!({"inner": {"s": ""}, "name": "x"})),
        vec![]
    );
}

#[test]
fn predefined_string_rules() {
    let zoo = contract(
        "message Req {\n\
           string email = 1 [(buf.validate.field).string.email = true];\n\
           string host = 2 [(buf.validate.field).string.hostname = true, (buf.validate.field).ignore = IGNORE_IF_ZERO_VALUE];\n\
           string ip = 3 [(buf.validate.field).string.ip = true, (buf.validate.field).ignore = IGNORE_ALWAYS];\n\
           string uri = 4 [(buf.validate.field).string = { uri: true, prefix: \"https\" }];\n\
         }",
    );
    let valid = json!({"email": "a@b.c", "host": "", "ip": "nope", "uri": "https://x"});
    assert_eq!(check(&zoo, valid), vec![]);
    let bad = json!({"email": "", "host": "-x", "ip": "nope", "uri": "http://x"});
    assert_eq!(
        check(&zoo, bad),
        vec![
            (
                "string.email_empty".into(),
                "email".into(),
                "value is empty, which is not a valid email address".into()
            ),
            (
                "string.hostname".into(),
                "host".into(),
                "must be a valid hostname".into()
            ),
            (
                "string.prefix".into(),
                "uri".into(),
                "does not have prefix `https`".into()
            ),
        ]
    );
}

#[test]
fn numbers_enums_and_lists() {
    let zoo = contract(
        "enum Color { COLOR_UNSPECIFIED = 0; RED = 1; BLUE = 2; }\n\
         message Req {\n\
           int64 big = 1 [(buf.validate.field).int64 = { gt: 10, lt: 20 }];\n\
           double ratio = 2 [(buf.validate.field).double.finite = true];\n\
           Color color = 3 [(buf.validate.field).enum = { not_in: [2] }];\n\
           repeated string tags = 4 [(buf.validate.field).repeated = { unique: true, items: { string: { pattern: \"^[a-z]+$\" } } }];\n\
           int32 small = 5 [(buf.validate.field).int32 = { gte: 1, lt: 5 }];\n\
         }",
    );
    let valid = json!({"big": "15", "ratio": 0.5, "color": "RED", "tags": ["a", "b"], "small": 1});
    assert_eq!(check(&zoo, valid), vec![]);
    let bad =
        json!({"big": "25", "ratio": "NaN", "color": "BLUE", "tags": ["a", "a", "B"], "small": 5});
    assert_eq!(
        check(&zoo, bad),
        vec![
            (
                "int64.gt_lt".into(),
                "big".into(),
                "must be greater than 10 and less than 20".into()
            ),
            (
                "double.finite".into(),
                "ratio".into(),
                "must be finite".into()
            ),
            (
                "enum.not_in".into(),
                "color".into(),
                "must not be in list [2]".into()
            ),
            (
                "repeated.unique".into(),
                "tags".into(),
                "repeated value must contain unique items".into()
            ),
            (
                "string.pattern".into(),
                "tags[2]".into(),
                "does not match regex pattern `^[a-z]+$`".into()
            ),
            (
                "int32.gte_lt".into(),
                "small".into(),
                "must be greater than or equal to 1 and less than 5".into()
            ),
        ]
    );
}

#[test]
fn durations_and_timestamps() {
    let zoo = contract(
        "message Req {\n\
           google.protobuf.Duration ttl = 1 [(buf.validate.field).duration = { gte: { seconds: 1 } }];\n\
           google.protobuf.Timestamp at = 2 [(buf.validate.field).timestamp.lt_now = true];\n\
         }",
    );
    assert_eq!(
        check(&zoo, json!({"ttl": "1.5s", "at": "2000-01-01T00:00:00Z"})),
        vec![]
    );
    assert_eq!(
        check(&zoo, json!({})),
        vec![],
        "unset messages are not checked"
    );
    assert_eq!(
        check(&zoo, json!({"ttl": "0.5s", "at": "2999-01-01T00:00:00Z"})),
        vec![
            (
                "duration.gte".into(),
                "ttl".into(),
                "must be greater than or equal to 1s".into()
            ),
            (
                "timestamp.lt_now".into(),
                "at".into(),
                "must be less than now".into()
            ),
        ]
    );
}

#[test]
fn oneof_rules() {
    let zoo = contract(
        "message Req {\n\
           option (buf.validate.message).oneof = { fields: [\"a\", \"b\"], required: true };\n\
           string a = 1;\n\
           string b = 2;\n\
           oneof pick { option (buf.validate.oneof).required = true; string c = 3; string d = 4; }\n\
         }",
    );
    assert_eq!(check(&zoo, json!({"a": "x", "b": "", "c": "y"})), vec![]);
    assert_eq!(
        check(&zoo, json!({"a": "", "b": ""})),
        vec![
            (
                "message.oneof".into(),
                "".into(),
                "one of a, b must be set".into()
            ),
            (
                "required".into(),
                "pick".into(),
                "exactly one field is required in oneof".into()
            ),
        ]
    );
    assert_eq!(
        check(&zoo, json!({"a": "x", "b": "y", "d": "z"})),
        one("message.oneof", "", "only one of a, b can be set")
    );
}

#[test]
fn a_rule_that_fails_to_evaluate_is_a_runtime_error_not_a_panic() {
    let zoo = contract(
        "message Inner { string s = 1; }\n\
         message Req { Inner inner = 1; option (buf.validate.message).cel = { id: \"deep\", expression: \"this.inner.s == ''\" }; }",
    );
    let input = &zoo.procedure("Call").unwrap().input;
    let found = zoo.validate_request(input, &json!({})).unwrap_err();
    assert!(found[0].runtime_error, "{found:?}");
    let error = crate::contract::violations::invalid_argument(&zoo, &found);
    assert!(error.message.contains("deep"), "{}", error.message);
    assert!(error.details.is_empty());
}

#[test]
fn a_rule_that_does_not_compile_fails_the_contract_with_its_id() {
    let source = "syntax = \"proto3\";\npackage zoo;\nimport \"buf/validate/validate.proto\";\n\
                  service Zoo { rpc Call(Req) returns (Req); }\n\
                  message Req { string s = 1 [(buf.validate.field).cel = { id: \"broken\", expression: \"this ==\" }]; }";
    let error = compiled(source).err().expect("a broken rule is refused");
    assert!(error.contains("broken"), "{error}");
}

#[test]
fn ignore_always_switches_off_required_and_the_message_inside() {
    let zoo = contract(
        "message Inner { string s = 1 [(buf.validate.field).string.email = true]; }\n\
         message Req {\n\
           Inner a = 1 [(buf.validate.field).required = true, (buf.validate.field).ignore = IGNORE_ALWAYS];\n\
           Inner b = 2 [(buf.validate.field).ignore = IGNORE_ALWAYS];\n\
           Inner c = 3;\n\
         }",
    );
    let request = json!({"b": {"s": "no"}, "c": {"s": "no"}});
    assert_eq!(
        check(&zoo, request),
        one("string.email", "c.s", "must be a valid email address")
    );
}

#[test]
fn only_messages_that_can_find_something_are_walked() {
    let zoo = contract(
        "message Plain { string s = 1; }\n\
         message Ruled { string s = 1 [(buf.validate.field).string.email = true]; }\n\
         message Req { Plain plain = 1; Ruled ruled = 2; int32 n = 3; }",
    );
    let kept: Vec<&str> = {
        let mut names: Vec<&str> = zoo.checks.messages.keys().map(String::as_str).collect();
        names.sort();
        names
    };
    assert_eq!(kept, ["zoo.Req", "zoo.Ruled"]);
    let req = &zoo.checks.messages["zoo.Req"];
    let fields: Vec<&str> = req.fields.iter().map(|f| f.field.name()).collect();
    assert_eq!(fields, ["ruled"]);
}
