//! The bundled `contract/buf/validate/validate.proto` against upstream's current names and
//! numbers (protovalidate 2.1.0), so protos written for upstream compile against it and mean the
//! same.

use super::*;
use crate::contract::descriptors;
use prost_reflect::{Kind, MessageDescriptor};

fn message(name: &str) -> MessageDescriptor {
    descriptors()
        .get_message_by_name(&format!("buf.validate.{name}"))
        .unwrap_or_else(|| panic!("validate.proto declares buf.validate.{name}"))
}

/// `(field name, number)` of every field of `message`, by number.
fn fields(message: &MessageDescriptor) -> Vec<(String, u32)> {
    message
        .fields()
        .map(|f| (f.name().to_string(), f.number()))
        .collect()
}

#[test]
fn ignore_has_the_current_names_and_reserves_the_old_ones() {
    let ignore = descriptors()
        .get_enum_by_name("buf.validate.Ignore")
        .unwrap();
    let values: Vec<(String, i32)> = ignore
        .values()
        .map(|v| (v.name().to_string(), v.number()))
        .collect();
    let expected = [
        ("IGNORE_UNSPECIFIED", 0),
        ("IGNORE_IF_ZERO_VALUE", IGNORE_IF_ZERO_VALUE),
        ("IGNORE_ALWAYS", IGNORE_ALWAYS),
    ];
    assert_eq!(values, expected.map(|(n, i)| (n.to_string(), i)));
    assert_eq!((IGNORE_IF_ZERO_VALUE, IGNORE_ALWAYS), (1, 3));
    let proto = ignore.enum_descriptor_proto();
    assert_eq!(
        proto.reserved_name,
        [
            "IGNORE_EMPTY",
            "IGNORE_DEFAULT",
            "IGNORE_IF_DEFAULT_VALUE",
            "IGNORE_IF_UNPOPULATED"
        ]
    );
    let reserved: Vec<_> = proto
        .reserved_range
        .iter()
        .map(|r| (r.start(), r.end()))
        .collect();
    assert_eq!(reserved, [(2, 2)], "enum ranges are inclusive");
}

#[test]
fn field_rules_has_a_rules_message_for_every_type() {
    let rules = message("FieldRules");
    let typed = [
        ("float", 1, "FloatRules"),
        ("double", 2, "DoubleRules"),
        ("int32", 3, "Int32Rules"),
        ("int64", 4, "Int64Rules"),
        ("uint32", 5, "UInt32Rules"),
        ("uint64", 6, "UInt64Rules"),
        ("sint32", 7, "SInt32Rules"),
        ("sint64", 8, "SInt64Rules"),
        ("fixed32", 9, "Fixed32Rules"),
        ("fixed64", 10, "Fixed64Rules"),
        ("sfixed32", 11, "SFixed32Rules"),
        ("sfixed64", 12, "SFixed64Rules"),
        ("bool", 13, "BoolRules"),
        ("string", 14, "StringRules"),
        ("bytes", 15, "BytesRules"),
        ("enum", 16, "EnumRules"),
        ("repeated", 18, "RepeatedRules"),
        ("map", 19, "MapRules"),
        ("any", 20, "AnyRules"),
        ("duration", 21, "DurationRules"),
        ("field_mask", 28, "FieldMaskRules"),
        ("timestamp", 22, "TimestampRules"),
    ];
    for (name, number, type_name) in typed {
        let field = rules
            .get_field_by_name(name)
            .unwrap_or_else(|| panic!("FieldRules.{name}"));
        assert_eq!(field.number(), number, "FieldRules.{name}");
        assert_eq!(
            field.containing_oneof().map(|o| o.name().to_string()),
            Some("type".into()),
            "FieldRules.{name}"
        );
        match field.kind() {
            Kind::Message(m) => assert_eq!(m.full_name(), format!("buf.validate.{type_name}")),
            other => panic!("FieldRules.{name} is {other:?}"),
        }
    }
    let shared: Vec<(String, u32)> = fields(&rules)
        .into_iter()
        .filter(|(name, _)| !typed.iter().any(|(t, _, _)| t == name))
        .collect();
    let expected = [
        ("cel", 23),
        ("required", 25),
        ("ignore", 27),
        ("cel_expression", 29),
    ];
    assert_eq!(shared, expected.map(|(n, i)| (n.to_string(), i)));
}

#[test]
fn the_extensions_sit_where_upstream_puts_them() {
    for (name, extendee, number) in [
        (
            "buf.validate.message",
            "google.protobuf.MessageOptions",
            1159,
        ),
        ("buf.validate.oneof", "google.protobuf.OneofOptions", 1159),
        ("buf.validate.field", "google.protobuf.FieldOptions", 1159),
        (
            "buf.validate.predefined",
            "google.protobuf.FieldOptions",
            1160,
        ),
    ] {
        let ext = descriptors().get_extension_by_name(name).unwrap();
        assert_eq!(
            (ext.containing_message().full_name(), ext.number()),
            (extendee, number),
            "{name}"
        );
    }
    let message_rules = message("MessageRules");
    assert!(message_rules.get_field_by_name("disabled").is_none());
    assert_eq!(message_rules.descriptor_proto().reserved_name, ["disabled"]);
}

#[test]
fn the_violations_detail_matches_what_the_mock_encodes() {
    let expect = |name: &str, want: &[(&str, u32)]| {
        let want: Vec<(String, u32)> = want.iter().map(|(n, i)| (n.to_string(), *i)).collect();
        assert_eq!(fields(&message(name)), want, "{name}");
    };
    expect("Violations", &[("violations", 1)]);
    expect(
        "Violation",
        &[
            ("rule_id", 2),
            ("message", 3),
            ("for_key", 4),
            ("field", 5),
            ("rule", 6),
        ],
    );
    expect("FieldPath", &[("elements", 1)]);
    expect(
        "FieldPathElement",
        &[
            ("field_number", 1),
            ("field_name", 2),
            ("field_type", 3),
            ("key_type", 4),
            ("value_type", 5),
            ("index", 6),
            ("bool_key", 7),
            ("int_key", 8),
            ("uint_key", 9),
            ("string_key", 10),
        ],
    );
}

/// Every rule the mock reports names a rule of upstream's FieldRules, and where upstream
/// attaches predefined CEL rules to it, the mock's rule id is one of theirs.
#[test]
fn the_mocks_rule_ids_and_paths_are_upstreams() {
    let predefined = descriptors()
        .get_extension_by_name("buf.validate.predefined")
        .unwrap();
    let cases = [
        (Rule::Uuid, json!("")),
        (Rule::Uuid, json!("x")),
        (Rule::MinLen(1), json!("")),
        (Rule::MaxLen(1), json!("xx")),
        (Rule::MinItems(1), json!([])),
        (Rule::MaxItems(1), json!([1, 2])),
        (Rule::DefinedOnly, json!(9)),
        (
            Rule::Range {
                gte: Some(0),
                lte: Some(9),
            },
            json!(10),
        ),
        (
            Rule::Range {
                gte: Some(0),
                lte: None,
            },
            json!(-1),
        ),
        (
            Rule::Range {
                gte: None,
                lte: Some(9),
            },
            json!(10),
        ),
        (Rule::Required, Json::Null),
    ];
    let mut checked = 0;
    for (rule, value) in cases {
        let mut current = message("FieldRules");
        let mut last = None;
        for name in rule.path() {
            let field = current
                .get_field_by_name(name)
                .unwrap_or_else(|| panic!("{rule:?}: no {name} in {}", current.full_name()));
            if let Kind::Message(m) = field.kind() {
                current = m;
            }
            last = Some(field);
        }
        let options = last.unwrap().options();
        if !options.has_extension(&predefined) {
            continue;
        }
        let ids: Vec<String> = options
            .get_extension(&predefined)
            .as_message()
            .and_then(|m| m.get_field_by_name("cel"))
            .and_then(|cel| cel.as_list().map(<[Value]>::to_vec))
            .unwrap_or_default()
            .iter()
            .filter_map(|r| {
                r.as_message()?
                    .get_field_by_name("id")?
                    .as_str()
                    .map(String::from)
            })
            .collect();
        assert!(
            ids.contains(&rule.id(&value).to_string()),
            "{rule:?}: {ids:?}"
        );
        checked += 1;
    }
    // All but enum.defined_only and required, which upstream checks without CEL.
    assert_eq!(checked, 9);
}
