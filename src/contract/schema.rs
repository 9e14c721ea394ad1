//! Derives JSON Schemas (draft 2020-12) from the contract's messages: request schemas carry the
//! validation rules, response schemas carry the shape and the required ids.
//!
//! The schemas describe the canonical proto3 JSON form: camelCase names, enums by name,
//! timestamps as RFC 3339, and every field without presence written out. The server brings each
//! request into that form (accepting snake_case names, enum numbers, int64 as numbers) before
//! it validates, so one schema serves both codecs.

use super::rules::{message_disabled, FieldRules};
use prost_reflect::{ExtensionDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Everything schema derivation needs from the contract: the rule extensions and whether rules apply.
pub struct SchemaBuilder<'a> {
    pub field_ext: &'a ExtensionDescriptor,
    pub message_ext: &'a ExtensionDescriptor,
    pub openapi_ext: Option<&'a ExtensionDescriptor>,
    /// Request schemas carry the validation rules; response schemas do not.
    pub with_rules: bool,
    /// Whether objects say `additionalProperties: false`: true of responses (the server writes
    /// only declared fields) and of requests to a `--strict` server, which rejects unknown ones.
    pub closed: bool,
    /// Whether request schemas also carry the rules only handlers enforce (`handler_rules`).
    pub handler_rules: bool,
}

impl SchemaBuilder<'_> {
    /// A self-contained schema for `message`, with every message it uses under `$defs`.
    pub fn document(&self, message: &MessageDescriptor) -> Value {
        let rules_on = self.with_rules && !message_disabled(message, self.message_ext);
        let mut defs = BTreeMap::new();
        self.define(message, rules_on, &mut defs);
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": format!("urn:gitpod-mock:{}", message.full_name()),
            "title": message.full_name(),
            "$ref": def_ref(message),
            "$defs": defs,
        })
    }

    fn define(
        &self,
        message: &MessageDescriptor,
        rules_on: bool,
        defs: &mut BTreeMap<String, Value>,
    ) {
        if defs.contains_key(message.full_name()) {
            return;
        }
        defs.insert(message.full_name().to_string(), Value::Null);
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in message.fields() {
            let rules = if rules_on {
                FieldRules::of(&field, self.field_ext)
            } else {
                FieldRules::default()
            };
            let schema = self.field_schema(&field, &rules, rules_on, defs);
            if !field.supports_presence()
                && !rules.ignore_if_unpopulated
                && rules.rules.iter().any(|r| r.rejects_empty())
            {
                required.push(json!(field.json_name()));
            }
            properties.insert(field.json_name().to_string(), schema);
        }
        for name in self.openapi_required(message) {
            if !required.contains(&json!(name)) {
                required.push(json!(name));
            }
        }
        let mut schema = json!({
            "type": "object",
            "title": message.name(),
            "properties": properties,
        });
        if self.closed {
            schema["additionalProperties"] = json!(false);
        }
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
        for oneof in message.oneofs().filter(|o| !o.is_synthetic()) {
            let members: Vec<Value> = oneof
                .fields()
                .map(|f| json!({ "required": [f.json_name()] }))
                .collect();
            all_of(&mut schema).push(
                json!({ "not": { "anyOf": pairs(&members) }, "$comment": format!("oneof {}: at most one member is set", oneof.name()) }),
            );
        }
        if self.handler_rules {
            for rule in super::handler_rules::of(message.full_name()) {
                all_of(&mut schema).push(rule);
            }
        }
        defs.insert(message.full_name().to_string(), schema);
    }

    fn openapi_required(&self, message: &MessageDescriptor) -> Vec<String> {
        let Some(ext) = self.openapi_ext else {
            return Vec::new();
        };
        let options = message.options();
        if self.with_rules || !options.has_extension(ext) {
            return Vec::new();
        }
        let value = options.get_extension(ext);
        let list = value
            .as_message()
            .and_then(|m| m.get_field_by_name("required"));
        list.and_then(|l| {
            l.as_list().map(|items| {
                items
                    .iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
        })
        .unwrap_or_default()
    }

    fn field_schema(
        &self,
        field: &FieldDescriptor,
        rules: &FieldRules,
        rules_on: bool,
        defs: &mut BTreeMap<String, Value>,
    ) -> Value {
        let element_rules = if field.is_list() {
            rules.items.as_deref().cloned().unwrap_or_default()
        } else {
            rules.clone()
        };
        let mut element = self.kind_schema(&field.kind(), &element_rules, rules_on, defs);
        let mut schema = if field.is_list() {
            let mut array = json!({ "type": "array", "items": element });
            for rule in &rules.rules {
                rule.schema_keywords(array.as_object_mut().unwrap());
            }
            array
        } else {
            element.take()
        };
        if field
            .field_descriptor_proto()
            .options
            .as_ref()
            .and_then(|o| o.deprecated)
            == Some(true)
        {
            schema["deprecated"] = json!(true);
        }
        schema
    }

    fn kind_schema(
        &self,
        kind: &Kind,
        rules: &FieldRules,
        rules_on: bool,
        defs: &mut BTreeMap<String, Value>,
    ) -> Value {
        let mut schema = match kind {
            Kind::String => json!({ "type": "string" }),
            Kind::Bool => json!({ "type": "boolean" }),
            Kind::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Uint32 | Kind::Fixed32 => {
                json!({ "type": "integer" })
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint64 | Kind::Fixed64 => {
                json!({ "type": ["string", "integer"], "pattern": "^-?[0-9]+$" })
            }
            Kind::Float | Kind::Double => json!({ "type": ["number", "string"] }),
            Kind::Enum(e) => {
                let names: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
                if rules.rules.contains(&super::rules::Rule::DefinedOnly) {
                    json!({ "enum": names })
                } else {
                    json!({ "anyOf": [{ "enum": names }, { "type": "integer" }] })
                }
            }
            Kind::Message(m) if m.full_name() == "google.protobuf.Timestamp" => {
                json!({ "type": "string", "format": "date-time" })
            }
            Kind::Message(m) => {
                self.define(m, rules_on && !message_disabled(m, self.message_ext), defs);
                return json!({ "$ref": def_ref(m) });
            }
        };
        let mut keywords = Map::new();
        for rule in &rules.rules {
            rule.schema_keywords(&mut keywords);
        }
        if keywords.is_empty() {
            return schema;
        }
        if rules.ignore_if_unpopulated {
            // Checked only when set: an empty string passes, anything else must meet the rules.
            schema["if"] = json!({ "minLength": 1 });
            schema["then"] = Value::Object(keywords);
        } else {
            schema.as_object_mut().unwrap().extend(keywords);
        }
        schema
    }
}

/// The `allOf` list of an object schema, made when missing.
fn all_of(schema: &mut Value) -> &mut Vec<Value> {
    let entry = schema
        .as_object_mut()
        .expect("message schemas are objects")
        .entry("allOf")
        .or_insert_with(|| json!([]));
    entry.as_array_mut().expect("allOf is a list")
}

fn def_ref(message: &MessageDescriptor) -> String {
    format!("#/$defs/{}", message.full_name())
}

/// For members [a, b, c]: the schemas "a and b", "a and c", "b and c", any of which breaks a oneof.
fn pairs(members: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, a) in members.iter().enumerate() {
        for b in &members[i + 1..] {
            out.push(json!({ "allOf": [a, b] }));
        }
    }
    out
}
