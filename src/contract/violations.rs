//! The `buf.validate.Violations` error detail, as typed prost messages: its binary form for the
//! Connect detail's `value` and its proto3 JSON for `debug`. Typed rather than dynamic because
//! every invalid request builds one, and the dynamic encoding cost more than the validation.
//! A test decodes the bytes with the contract's own validate.proto to keep the two in step.

use super::checks::RuleStep;
use super::validate::Violation;
use super::Contract;
use crate::error::{DebugJson, ErrorDetail, RpcError};
use crate::json_text::write_string;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};

#[derive(Clone, PartialEq, prost::Message)]
pub struct Violations {
    #[prost(message, repeated, tag = "1")]
    pub violations: Vec<ViolationDetail>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ViolationDetail {
    #[prost(message, optional, tag = "5")]
    pub field: Option<FieldPath>,
    #[prost(message, optional, tag = "6")]
    pub rule: Option<FieldPath>,
    #[prost(string, optional, tag = "2")]
    pub rule_id: Option<String>,
    #[prost(string, optional, tag = "3")]
    pub message: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FieldPath {
    #[prost(message, repeated, tag = "1")]
    pub elements: Vec<FieldPathElement>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct FieldPathElement {
    #[prost(int32, optional, tag = "1")]
    pub field_number: Option<i32>,
    #[prost(string, optional, tag = "2")]
    pub field_name: Option<String>,
    /// A `google.protobuf.FieldDescriptorProto.Type` number.
    #[prost(int32, optional, tag = "3")]
    pub field_type: Option<i32>,
    #[prost(uint64, optional, tag = "6")]
    pub index: Option<u64>,
}

/// `FieldDescriptorProto.Type` names by number, for the JSON form.
const FIELD_TYPES: [&str; 19] = [
    "TYPE_UNSPECIFIED",
    "TYPE_DOUBLE",
    "TYPE_FLOAT",
    "TYPE_INT64",
    "TYPE_UINT64",
    "TYPE_INT32",
    "TYPE_FIXED64",
    "TYPE_FIXED32",
    "TYPE_BOOL",
    "TYPE_STRING",
    "TYPE_GROUP",
    "TYPE_MESSAGE",
    "TYPE_BYTES",
    "TYPE_UINT32",
    "TYPE_ENUM",
    "TYPE_SFIXED32",
    "TYPE_SFIXED64",
    "TYPE_SINT32",
    "TYPE_SINT64",
];

impl Violations {
    pub fn of(contract: &Contract, violations: &[Violation]) -> Violations {
        // A contract compiled against an older validate.proto (FieldConstraints, as the
        // Gitpod SDK's descriptors are) numbers its rules the same as the current one.
        let root = |name: &str| {
            let name = format!("buf.validate.{name}");
            contract
                .pool()
                .get_message_by_name(&name)
                .or_else(|| super::descriptors().get_message_by_name(&name))
                .expect("the embedded validate.proto declares the rules messages")
        };
        let roots = [root("FieldRules"), root("MessageRules"), root("OneofRules")];
        let violations = violations
            .iter()
            .map(|v| ViolationDetail {
                field: Some(FieldPath {
                    elements: v
                        .elements
                        .iter()
                        .map(|(f, i)| element(f, *i))
                        .chain(v.oneof.iter().map(|name| FieldPathElement {
                            field_name: Some(name.clone()),
                            ..FieldPathElement::default()
                        }))
                        .collect(),
                }),
                rule: Some(FieldPath {
                    elements: rule_elements(&roots[v.rule_root as usize], &v.rule_path),
                }),
                rule_id: Some(v.rule_id.clone()),
                message: Some(v.message.clone()),
            })
            .collect();
        Violations { violations }
    }

    /// The proto3 JSON form, as connect-go writes a detail's `debug`. Written by hand: every
    /// invalid request carries one, and a serializer cost more than the validation.
    pub fn debug_text(&self) -> String {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"violations\":[");
        for (i, v) in self.violations.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let mut fields = Fields::new(&mut out);
            if let Some(field) = &v.field {
                fields.key("field");
                write_path(field, fields.out);
            }
            if let Some(rule) = &v.rule {
                fields.key("rule");
                write_path(rule, fields.out);
            }
            if let Some(id) = &v.rule_id {
                fields.key("ruleId");
                write_string(id, fields.out);
            }
            if let Some(message) = &v.message {
                fields.key("message");
                write_string(message, fields.out);
            }
            fields.out.push(b'}');
        }
        out.extend_from_slice(b"]}");
        String::from_utf8(out).expect("written from strings")
    }
}

/// The fields of one JSON object being written: `{`, then `"key":` with commas between.
struct Fields<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Fields<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Fields { out, first: true }
    }

    fn key(&mut self, name: &str) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        write_string(name, self.out);
        self.out.push(b':');
    }
}

fn write_path(path: &FieldPath, out: &mut Vec<u8>) {
    let mut fields = Fields::new(out);
    if !path.elements.is_empty() {
        fields.key("elements");
        fields.out.push(b'[');
        for (i, e) in path.elements.iter().enumerate() {
            if i > 0 {
                fields.out.push(b',');
            }
            write_element(e, fields.out);
        }
        fields.out.push(b']');
    }
    fields.out.push(b'}');
}

fn write_element(e: &FieldPathElement, out: &mut Vec<u8>) {
    let mut fields = Fields::new(out);
    if let Some(n) = e.field_number {
        fields.key("fieldNumber");
        fields.out.extend_from_slice(n.to_string().as_bytes());
    }
    if let Some(name) = &e.field_name {
        fields.key("fieldName");
        write_string(name, fields.out);
    }
    if let Some(t) = e.field_type {
        fields.key("fieldType");
        match FIELD_TYPES.get(t as usize) {
            Some(name) => write_string(name, fields.out),
            None => fields.out.extend_from_slice(t.to_string().as_bytes()),
        }
    }
    if let Some(i) = e.index {
        // uint64 is a string in proto3 JSON.
        fields.key("index");
        write_string(&i.to_string(), fields.out);
    }
    fields.out.push(b'}');
}

/// `invalid_argument` in the protovalidate style (`validation error: runner_id: value must be
/// a valid UUID`, one line per violation when there are several), carrying the
/// `buf.validate.Violations` detail in binary with its JSON under `debug`.
pub fn invalid_argument(contract: &Contract, violations: &[Violation]) -> RpcError {
    if let Some(failed) = violations.iter().find(|v| v.runtime_error) {
        return RpcError::invalid_argument(failed.message.clone());
    }
    let key = Rendered::key(violations);
    if let Some(error) = contract.rendered.get(&key) {
        return error;
    }
    let error = render(contract, violations);
    contract.rendered.keep(key, &error);
    error
}

fn render(contract: &Contract, violations: &[Violation]) -> RpcError {
    let lines: Vec<String> = violations
        .iter()
        .map(|v| {
            if v.field_path.is_empty() {
                v.message.clone()
            } else {
                format!("{}: {}", v.field_path, v.message)
            }
        })
        .collect();
    let message = match lines.as_slice() {
        [one] => format!("validation error: {one}"),
        many => format!("validation error:\n - {}", many.join("\n - ")),
    };
    let detail = Violations::of(contract, violations);
    let debug = Some(DebugJson::written(detail.debug_text()));
    RpcError::invalid_argument(message).with_detail(ErrorDetail {
        type_name: "buf.validate.Violations".into(),
        value: prost::Message::encode_to_vec(&detail),
        debug,
    })
}

/// Rendered `invalid_argument` errors by violation set. The error is a pure function of the
/// violations (fields, indexes, rules, messages; never the request's values), the contract
/// bounds how many distinct sets there are in practice, and rendering cost more than
/// validating, so each set is rendered once. At most `LIMIT` are kept; then it starts over.
#[derive(Default)]
pub struct Rendered(parking_lot::Mutex<rustc_hash::FxHashMap<String, RpcError>>);

impl Rendered {
    const LIMIT: usize = 1024;

    /// Everything the rendered error depends on, as text.
    fn key(violations: &[Violation]) -> String {
        let mut key = String::new();
        for v in violations {
            for (field, index) in &v.elements {
                key.push_str(field.full_name());
                if let Some(i) = index {
                    use std::fmt::Write;
                    let _ = write!(key, "[{i}]");
                }
                key.push('.');
            }
            key.push('\u{1}');
            use std::fmt::Write;
            let _ = write!(key, "{:?}{:?}{:?}", v.oneof, v.rule_root, v.rule_path);
            key.push('\u{1}');
            key.push_str(&v.rule_id);
            key.push('\u{1}');
            key.push_str(&v.message);
            key.push('\u{2}');
        }
        key
    }

    fn get(&self, key: &str) -> Option<RpcError> {
        self.0.lock().get(key).cloned()
    }

    fn keep(&self, key: String, error: &RpcError) {
        let mut kept = self.0.lock();
        if kept.len() >= Self::LIMIT {
            kept.clear();
        }
        kept.insert(key, error.clone());
    }
}

fn element(field: &FieldDescriptor, index: Option<usize>) -> FieldPathElement {
    FieldPathElement {
        field_number: Some(field.number() as i32),
        field_name: Some(field.name().to_string()),
        field_type: Some(field.field_descriptor_proto().r#type.unwrap_or_default()),
        index: index.map(|i| i as u64),
    }
}

/// The path of a rule inside `buf.validate.FieldRules`, e.g. `string.uuid`.
fn rule_elements(root: &MessageDescriptor, steps: &[RuleStep]) -> Vec<FieldPathElement> {
    let mut current = root.clone();
    let mut elements = Vec::new();
    for (name, index) in steps {
        let Some(field) = current.get_field_by_name(name) else {
            break;
        };
        elements.push(element(&field, *index));
        if let Kind::Message(m) = field.kind() {
            current = m;
        }
    }
    elements
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;
    use prost_reflect::{DynamicMessage, SerializeOptions};
    use serde_json::{json, Value};

    /// Violations from a real request with a list item, a nested field and two rule kinds.
    fn sample(contract: &Contract) -> Violations {
        let method = contract.procedure("ListEnvironmentClasses").unwrap();
        let request = json!({"filter": {"runnerIds": ["not-a-uuid"]}, "pagination": {"pageSize": 500, "token": ""}});
        let violations = contract
            .validate_request(&method.input, &request)
            .unwrap_err();
        assert_eq!(violations.len(), 2, "{violations:?}");
        Violations::of(contract, &violations)
    }

    #[test]
    fn a_rendered_error_is_reused_only_for_the_same_violations() {
        let contract = Contract::load();
        let method = contract.procedure("ListEnvironmentClasses").unwrap();
        let error = |ids: Value| {
            let request =
                json!({"filter": {"runnerIds": ids}, "pagination": {"pageSize": 0, "token": ""}});
            let violations = contract
                .validate_request(&method.input, &request)
                .unwrap_err();
            invalid_argument(&contract, &violations)
        };
        let uuid = "d2c94c27-3b76-4a42-b88c-95a85e392c68";
        let first = error(json!(["x", uuid]));
        assert_eq!(
            error(json!(["y", uuid])),
            first,
            "same field, index and rule"
        );
        let second = error(json!([uuid, "x"]));
        assert!(
            second.message.contains("runner_ids[1]"),
            "{}",
            second.message
        );
        assert_ne!(second, first);
        assert_eq!(second, render(&contract, &contract.validate_request(&method.input, &json!({"filter": {"runnerIds": [uuid, "x"]}, "pagination": {"pageSize": 0, "token": ""}})).unwrap_err()));
    }

    #[test]
    fn bytes_and_json_agree_with_the_contracts_validate_proto() {
        let contract = Contract::load();
        let detail = sample(&contract);
        let desc = contract
            .pool()
            .get_message_by_name("buf.validate.Violations")
            .unwrap();
        let decoded = DynamicMessage::decode(desc, detail.encode_to_vec().as_slice()).unwrap();
        let reference = decoded
            .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
            .unwrap();
        let json: Value = serde_json::from_str(&detail.debug_text()).unwrap();
        assert_eq!(json, reference);
        let rules: Vec<&Value> = reference["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["ruleId"])
            .collect();
        assert_eq!(rules, ["int32.gte_lte", "string.uuid"], "field order");
        let uuid = &reference["violations"][1]["field"]["elements"][1];
        assert_eq!(uuid["index"], "0");
        assert_eq!(uuid["fieldType"], "TYPE_STRING");
        assert_eq!(uuid["fieldName"], "runner_ids");
    }
}
