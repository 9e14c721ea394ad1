//! The `buf.validate.Violations` error detail, as typed prost messages: its binary form for the
//! Connect detail's `value` and its proto3 JSON for `debug`. Typed rather than dynamic because
//! every invalid request builds one, and the dynamic encoding cost more than the validation.
//! A test decodes the bytes with the contract's own validate.proto to keep the two in step.

use super::validate::Violation;
use super::Contract;
use crate::error::{DebugJson, ErrorDetail, RpcError};
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
        let rules_root = contract
            .pool()
            .get_message_by_name("buf.validate.FieldRules")
            .expect("validate.proto is in the contract");
        let violations = violations
            .iter()
            .map(|v| ViolationDetail {
                field: Some(FieldPath {
                    elements: v.elements.iter().map(|(f, i)| element(f, *i)).collect(),
                }),
                rule: Some(FieldPath {
                    elements: rule_elements(&rules_root, &v.rule_path),
                }),
                rule_id: Some(v.rule_id.clone()),
                message: Some(v.message.clone()),
            })
            .collect();
        Violations { violations }
    }

    /// The proto3 JSON form, as connect-go writes a detail's `debug`, ready to serialize.
    pub fn json(&self) -> impl serde::Serialize + '_ {
        JsonViolations {
            violations: self.violations.iter().map(JsonViolation).collect(),
        }
    }
}

/// The proto3 JSON shape of `Violations`, borrowed from the typed messages.
#[derive(serde::Serialize)]
struct JsonViolations<'a> {
    violations: Vec<JsonViolation<'a>>,
}

struct JsonViolation<'a>(&'a ViolationDetail);

impl serde::Serialize for JsonViolation<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let v = self.0;
        let mut map = out.serialize_map(None)?;
        if let Some(field) = &v.field {
            map.serialize_entry("field", &JsonPath(field))?;
        }
        if let Some(rule) = &v.rule {
            map.serialize_entry("rule", &JsonPath(rule))?;
        }
        if let Some(id) = &v.rule_id {
            map.serialize_entry("ruleId", id)?;
        }
        if let Some(message) = &v.message {
            map.serialize_entry("message", message)?;
        }
        map.end()
    }
}

struct JsonPath<'a>(&'a FieldPath);

impl serde::Serialize for JsonPath<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = out.serialize_map(None)?;
        if !self.0.elements.is_empty() {
            let elements: Vec<JsonElement> = self.0.elements.iter().map(JsonElement).collect();
            map.serialize_entry("elements", &elements)?;
        }
        map.end()
    }
}

struct JsonElement<'a>(&'a FieldPathElement);

impl serde::Serialize for JsonElement<'_> {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let e = self.0;
        let mut map = out.serialize_map(None)?;
        if let Some(n) = e.field_number {
            map.serialize_entry("fieldNumber", &n)?;
        }
        if let Some(name) = &e.field_name {
            map.serialize_entry("fieldName", name)?;
        }
        if let Some(t) = e.field_type {
            match FIELD_TYPES.get(t as usize) {
                Some(name) => map.serialize_entry("fieldType", name)?,
                None => map.serialize_entry("fieldType", &t)?,
            }
        }
        if let Some(i) = e.index {
            // uint64 is a string in proto3 JSON.
            map.serialize_entry("index", &i.to_string())?;
        }
        map.end()
    }
}

/// `invalid_argument` in the protovalidate style (`validation error: runner_id: value must be
/// a valid UUID`, one line per violation when there are several), carrying the
/// `buf.validate.Violations` detail in binary with its JSON under `debug`.
pub fn invalid_argument(contract: &Contract, violations: &[Violation]) -> RpcError {
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
    let debug = DebugJson::of(&detail.json());
    RpcError::invalid_argument(message).with_detail(ErrorDetail {
        type_name: "buf.validate.Violations".into(),
        value: prost::Message::encode_to_vec(&detail),
        debug,
    })
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
fn rule_elements(root: &MessageDescriptor, names: &[&str]) -> Vec<FieldPathElement> {
    let mut current = root.clone();
    let mut elements = Vec::new();
    for name in names {
        let Some(field) = current.get_field_by_name(name) else {
            break;
        };
        elements.push(element(&field, None));
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
        let json = serde_json::to_value(detail.json()).unwrap();
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
