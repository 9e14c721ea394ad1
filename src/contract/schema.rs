//! Derives JSON Schemas (draft 2020-12) from the contract's messages: request schemas carry the
//! validation rules, response schemas carry the shape and the required ids.
//!
//! The schemas describe the canonical proto3 JSON form: camelCase names, enums by name,
//! timestamps as RFC 3339, and every field without presence written out. The server brings each
//! request into that form (accepting snake_case names, enum numbers, int64 as numbers) before
//! it validates, so one schema serves both codecs. Published request schemas (the export)
//! describe instead what a client may send: `null` for unset fields, enum numbers, unknown
//! fields and enum names unless the server is `--strict`, and the handler-only rules.

use super::rules::{FieldRules, Rule};
use prost_reflect::{ExtensionDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// What protovalidate's `string.uuid` accepts: the hyphenated hex form, either case.
const UUID_PATTERN: &str =
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// Base64 as both protojson and the server decode it: the standard or the URL-safe alphabet,
/// padded or not, with the unused bits of a last partial group zero.
const BASE64_PATTERN: &str = concat!(
    "^(?:(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw](?:==)?|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=?)?",
    "|(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-][AQgw](?:==)?|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048]=?)?)$"
);

/// Everything schema derivation needs from the contract: the rule extensions and whether rules apply.
pub struct SchemaBuilder<'a> {
    pub field_ext: &'a ExtensionDescriptor,
    pub openapi_ext: Option<&'a ExtensionDescriptor>,
    /// Request schemas carry the validation rules; response schemas do not.
    pub with_rules: bool,
    /// Whether unknown fields (`additionalProperties: false`) and unknown enum names are
    /// refused: true of responses and canonical requests, which hold neither, and of what a
    /// client may send a `--strict` server. Without it, as in connect-go, both are dropped.
    pub strict: bool,
    /// A published request schema describes what a client may send, not the canonical form
    /// the validator sees: `null` (proto3 JSON for "unset") wherever unset is valid, and the
    /// rules only handlers enforce (`handler_rules`).
    pub published: bool,
}

impl SchemaBuilder<'_> {
    /// A self-contained schema for `message`, with every message it uses under `$defs`.
    pub fn document(&self, message: &MessageDescriptor) -> Value {
        let mut defs = BTreeMap::new();
        self.define(message, self.with_rules, &mut defs);
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
            let mut schema = self.field_schema(&field, &rules, rules_on, defs);
            if !field.supports_presence()
                && !rules.ignore_if_zero_value
                && rules.rules.iter().any(|r| r.rejects_empty())
            {
                required.push(json!(field.json_name()));
            } else if self.published {
                schema = or_null(schema);
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
        if self.strict {
            schema["additionalProperties"] = json!(false);
        }
        if !required.is_empty() {
            schema["required"] = Value::Array(required);
        }
        // A oneof of one member needs no at-most-one rule (and `anyOf: []` would not compile).
        for oneof in message
            .oneofs()
            .filter(|o| !o.is_synthetic() && o.fields().len() > 1)
        {
            let members: Vec<Value> = oneof.fields().map(|f| is_set(f.json_name())).collect();
            all_of(&mut schema).push(
                json!({ "not": { "anyOf": pairs(&members) }, "$comment": format!("oneof {}: at most one member is set", oneof.name()) }),
            );
        }
        if self.published {
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
        // IGNORE_ALWAYS on a repeated field reaches into the messages it holds, too.
        let rules_on = rules_on && !rules.ignore_always;
        if let (true, Kind::Message(entry)) = (field.is_map(), field.kind()) {
            // A map is a JSON object whose keys are the map's keys, written as strings.
            let value = entry.map_entry_value_field().kind();
            let values = self.kind_schema(&value, &FieldRules::default(), rules_on, defs);
            return json!({ "type": "object", "additionalProperties": values });
        }
        let mut element = self.kind_schema(&field.kind(), &element_rules, rules_on, defs);
        let mut schema = if field.is_list() {
            let mut array = serde_json::Map::new();
            array.insert("type".into(), json!("array"));
            array.insert("items".into(), element);
            for rule in &rules.rules {
                rule.schema_keywords(&mut array);
            }
            Value::Object(array)
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
            Kind::Bytes if self.published => {
                json!({ "type": "string", "contentEncoding": "base64", "pattern": BASE64_PATTERN })
            }
            Kind::Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
            // Bounded by the field's type: a larger number is not a value of it.
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
                json!({ "type": "integer", "minimum": i32::MIN, "maximum": i32::MAX })
            }
            Kind::Uint32 | Kind::Fixed32 => {
                json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX })
            }
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
                json!({ "type": ["string", "integer"], "pattern": "^-?[0-9]+$", "minimum": i64::MIN, "maximum": i64::MAX })
            }
            Kind::Uint64 | Kind::Fixed64 => {
                json!({ "type": ["string", "integer"], "pattern": "^[0-9]+$", "minimum": 0, "maximum": u64::MAX })
            }
            Kind::Float | Kind::Double => json!({ "type": ["number", "string"] }),
            Kind::Enum(e) => {
                let names: Vec<String> = e.values().map(|v| v.name().to_string()).collect();
                if rules.rules.contains(&Rule::DefinedOnly) {
                    // Clients may send a defined value by number as well as by name.
                    let numbers = e.values().map(|v| json!(v.number()));
                    let defined: Vec<Value> =
                        names.iter().map(|n| json!(n)).chain(numbers).collect();
                    self.enum_schema(json!({ "enum": defined }))
                } else {
                    // Proto3 enums are open: an unnamed int32 is a value too.
                    let number =
                        json!({ "type": "integer", "minimum": i32::MIN, "maximum": i32::MAX });
                    self.enum_schema(json!({ "anyOf": [{ "enum": names }, number] }))
                }
            }
            Kind::Message(m) if m.full_name().starts_with("google.protobuf.") => {
                well_known(m.full_name())
            }
            Kind::Message(m) => {
                // IGNORE_ALWAYS switches off the rules inside the message as well.
                self.define(m, rules_on && !rules.ignore_always, defs);
                return json!({ "$ref": def_ref(m) });
            }
        };
        let mut keywords = Map::new();
        for rule in &rules.rules {
            rule.schema_keywords(&mut keywords);
        }
        if self.published && rules.rules.contains(&Rule::Uuid) {
            // OpenAPI 3.1 tools may take `format` as a mere annotation; a pattern binds them all.
            keywords.insert("pattern".into(), json!(UUID_PATTERN));
        }
        if keywords.is_empty() {
            return schema;
        }
        if rules.ignore_if_zero_value {
            // Checked only when set: an empty string passes, anything else must meet the rules.
            schema["if"] = json!({ "minLength": 1 });
            schema["then"] = Value::Object(keywords);
        } else {
            schema
                .as_object_mut()
                .expect("a field's schema is a JSON object")
                .extend(keywords);
        }
        schema
    }

    /// An enum field's values; without `strict` any other name is taken too, and dropped (the
    /// field reads as unset), as connect-go's protojson (`DiscardUnknown`) does.
    fn enum_schema(&self, values: Value) -> Value {
        if self.strict {
            return values;
        }
        let dropped =
            json!({ "type": "string", "description": "an unknown name: dropped, as if unset" });
        json!({ "anyOf": [values, dropped] })
    }
}

/// `schema`, or `null`: proto3 JSON reads a `null` field as unset.
fn or_null(mut schema: Value) -> Value {
    match schema.get_mut("type") {
        Some(Value::String(t)) => {
            let t = std::mem::take(t);
            schema["type"] = json!([t, "null"]);
        }
        Some(Value::Array(types)) => types.push(json!("null")),
        _ => return json!({ "anyOf": [schema, { "type": "null" }] }),
    }
    schema
}

/// "Field `name` is set": present and, as `null` means unset, not `null`.
/// A well-known type in its proto3 JSON form: timestamps and durations as strings, wrappers as
/// the value they wrap, `Struct` and `Value` as any JSON.
fn well_known(name: &str) -> Value {
    match name.trim_start_matches("google.protobuf.") {
        "Timestamp" => json!({ "type": "string", "format": "date-time" }),
        "Duration" => json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$" }),
        "FieldMask" | "StringValue" => json!({ "type": "string" }),
        "BytesValue" => json!({ "type": "string", "contentEncoding": "base64" }),
        "BoolValue" => json!({ "type": "boolean" }),
        "Int32Value" | "UInt32Value" => json!({ "type": "integer" }),
        "Int64Value" | "UInt64Value" => json!({ "type": ["string", "integer"] }),
        "FloatValue" | "DoubleValue" => json!({ "type": ["number", "string"] }),
        "Struct" | "Empty" | "Any" => json!({ "type": "object" }),
        "ListValue" => json!({ "type": "array" }),
        _ => json!({}), // google.protobuf.Value: any JSON value
    }
}

pub fn is_set(name: &str) -> Value {
    json!({ "required": [name], "properties": { name: { "not": { "type": "null" } } } })
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
