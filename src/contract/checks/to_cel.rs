//! Canonical request JSON, and rule values read from the contract's options, as CEL values:
//! messages as maps keyed by proto field names (an unset field with presence left out, so
//! `has()` answers as protovalidate's does), enums as numbers, 64-bit integers as numbers,
//! bytes decoded, timestamps and durations as CEL's own.

use base64::Engine;
use cel::objects::{Key, Map};
use cel::Value;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MessageDescriptor, ReflectMessage, Value as Proto,
};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::Arc;

/// A message of the request as CEL sees `this`.
pub(super) fn message(desc: &MessageDescriptor, json: &Json) -> Value {
    let mut map = HashMap::new();
    for field in desc.fields() {
        if let Some(value) = json.get(field.json_name()).filter(|v| !v.is_null()) {
            map.insert(Key::from(field.name()), field_value(&field, value));
        } else if !field.supports_presence() {
            map.insert(Key::from(field.name()), zero(&field));
        }
    }
    Value::Map(Map { map: Arc::new(map) })
}

/// A field's value: a list, a map or a single value.
pub(super) fn field_value(field: &FieldDescriptor, json: &Json) -> Value {
    if field.is_map() {
        let Kind::Message(entry) = field.kind() else {
            return Value::Null;
        };
        let (key_kind, value_kind) = (
            entry.map_entry_key_field().kind(),
            entry.map_entry_value_field().kind(),
        );
        let entries = json.as_object().into_iter().flatten();
        let map: HashMap<Key, Value> = entries
            .map(|(k, v)| (map_key(&key_kind, k), single(&value_kind, v)))
            .collect();
        return Value::Map(Map { map: Arc::new(map) });
    }
    if field.is_list() {
        let items = json.as_array().into_iter().flatten();
        return Value::List(Arc::new(items.map(|v| single(&field.kind(), v)).collect()));
    }
    single(&field.kind(), json)
}

/// A map key, written as a JSON object key.
pub(super) fn map_key(kind: &Kind, key: &str) -> Key {
    match kind {
        Kind::Bool => Key::Bool(key == "true"),
        Kind::Uint32 | Kind::Uint64 | Kind::Fixed32 | Kind::Fixed64 => {
            Key::Uint(key.parse().unwrap_or_default())
        }
        Kind::String => Key::String(Arc::new(key.to_string())),
        _ => Key::Int(key.parse().unwrap_or_default()),
    }
}

/// The zero value of a field without presence (canonical requests carry them all anyway).
fn zero(field: &FieldDescriptor) -> Value {
    if field.is_list() {
        return Value::List(Arc::new(Vec::new()));
    }
    if field.is_map() {
        return Value::Map(Map::from(HashMap::<Key, Value>::new()));
    }
    single(&field.kind(), &Json::Null)
}

/// One value of `kind`.
pub(super) fn single(kind: &Kind, json: &Json) -> Value {
    match kind {
        Kind::Bool => Value::Bool(json.as_bool().unwrap_or_default()),
        Kind::String => Value::String(Arc::new(json.as_str().unwrap_or_default().to_string())),
        Kind::Bytes => Value::Bytes(Arc::new(bytes(json.as_str().unwrap_or_default()))),
        Kind::Int32
        | Kind::Sint32
        | Kind::Sfixed32
        | Kind::Int64
        | Kind::Sint64
        | Kind::Sfixed64 => Value::Int(integer(json).unwrap_or_default()),
        Kind::Uint32 | Kind::Fixed32 | Kind::Uint64 | Kind::Fixed64 => {
            Value::UInt(unsigned(json).unwrap_or_default())
        }
        Kind::Float | Kind::Double => Value::Float(float(json)),
        Kind::Enum(e) => Value::Int(match json {
            Json::String(name) => e.get_value_by_name(name).map_or(0, |v| v.number()).into(),
            other => other.as_i64().unwrap_or_default(),
        }),
        Kind::Message(m) => well_known(m, json).unwrap_or_else(|| message(m, json)),
    }
}

/// A well-known type in its proto3 JSON form, as CEL has it; None for other messages.
fn well_known(desc: &MessageDescriptor, json: &Json) -> Option<Value> {
    let name = desc.full_name().strip_prefix("google.protobuf.")?;
    Some(match name {
        "Timestamp" => timestamp(json.as_str().unwrap_or_default()),
        "Duration" => duration(json.as_str().unwrap_or_default()),
        "StringValue" => single(&Kind::String, json),
        "BytesValue" => single(&Kind::Bytes, json),
        "BoolValue" => single(&Kind::Bool, json),
        "Int32Value" | "Int64Value" => single(&Kind::Int64, json),
        "UInt32Value" | "UInt64Value" => single(&Kind::Uint64, json),
        "FloatValue" | "DoubleValue" => single(&Kind::Double, json),
        "Struct" | "Value" | "ListValue" => any_json(json),
        _ => return None,
    })
}

/// Any JSON value (`google.protobuf.Value` and kin).
fn any_json(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or_default()),
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(items.iter().map(any_json).collect())),
        Json::Object(fields) => Value::Map(Map {
            map: Arc::new(
                fields
                    .iter()
                    .map(|(k, v)| (Key::from(k.as_str()), any_json(v)))
                    .collect(),
            ),
        }),
    }
}

fn integer(json: &Json) -> Option<i64> {
    match json {
        Json::String(s) => s.parse().ok(),
        other => other.as_i64(),
    }
}

fn unsigned(json: &Json) -> Option<u64> {
    match json {
        Json::String(s) => s.parse().ok(),
        other => other.as_u64(),
    }
}

fn float(json: &Json) -> f64 {
    match json {
        Json::String(s) => match s.as_str() {
            "NaN" => f64::NAN,
            "Infinity" => f64::INFINITY,
            "-Infinity" => f64::NEG_INFINITY,
            other => other.parse().unwrap_or_default(),
        },
        other => other.as_f64().unwrap_or_default(),
    }
}

fn bytes(text: &str) -> Vec<u8> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let trimmed = text.trim_end_matches('=');
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .unwrap_or_default()
}

/// An RFC 3339 timestamp; the epoch for text the schema pass has already refused.
fn timestamp(text: &str) -> Value {
    let parsed = chrono::DateTime::parse_from_rfc3339(text).unwrap_or_default();
    Value::Timestamp(parsed)
}

/// A proto3 JSON duration, `-1.5s`.
fn duration(text: &str) -> Value {
    let digits = text.strip_suffix('s').unwrap_or(text);
    let (negative, digits) = match digits.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, digits),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let seconds: i64 = whole.parse().unwrap_or_default();
    let nanos: i64 = format!("{fraction:0<9}")[..9].parse().unwrap_or_default();
    let total = chrono::Duration::seconds(seconds) + chrono::Duration::nanoseconds(nanos);
    Value::Duration(if negative { -total } else { total })
}

/// A rule's value from the contract's options (`rules.min_len`, `rules.in`, `rules.gt`).
pub(super) fn option(value: &Proto) -> Value {
    match value {
        Proto::Bool(b) => Value::Bool(*b),
        Proto::I32(n) | Proto::EnumNumber(n) => Value::Int((*n).into()),
        Proto::I64(n) => Value::Int(*n),
        Proto::U32(n) => Value::UInt((*n).into()),
        Proto::U64(n) => Value::UInt(*n),
        Proto::F32(f) => Value::Float((*f).into()),
        Proto::F64(f) => Value::Float(*f),
        Proto::String(s) => Value::String(Arc::new(s.clone())),
        Proto::Bytes(b) => Value::Bytes(Arc::new(b.to_vec())),
        Proto::List(items) => Value::List(Arc::new(items.iter().map(option).collect())),
        Proto::Map(_) => Value::Null,
        Proto::Message(m) => option_message(m),
    }
}

/// A rules message: only the fields it sets, so `has(rules.lt)` is false for an unset bound.
pub(super) fn option_message(message: &DynamicMessage) -> Value {
    let seconds_nanos = || {
        let seconds = message
            .get_field_by_name("seconds")
            .and_then(|v| v.as_i64());
        let nanos = message.get_field_by_name("nanos").and_then(|v| v.as_i32());
        (
            seconds.unwrap_or_default(),
            i64::from(nanos.unwrap_or_default()),
        )
    };
    match message.descriptor().full_name() {
        "google.protobuf.Duration" => {
            let (s, n) = seconds_nanos();
            return Value::Duration(
                chrono::Duration::seconds(s) + chrono::Duration::nanoseconds(n),
            );
        }
        "google.protobuf.Timestamp" => {
            let (s, n) = seconds_nanos();
            let at = chrono::DateTime::from_timestamp(s, n as u32).unwrap_or_default();
            return Value::Timestamp(at.fixed_offset());
        }
        _ => {}
    }
    let map: HashMap<Key, Value> = message
        .fields()
        .map(|(field, value)| (Key::from(field.name()), option(value)))
        .collect();
    Value::Map(Map { map: Arc::new(map) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_proto3_json_writes_them() {
        let Value::Duration(d) = duration("-1.5s") else {
            panic!("a duration")
        };
        assert_eq!(d.num_milliseconds(), -1500);
        assert!(matches!(float(&Json::from("NaN")), f if f.is_nan()));
        assert_eq!(bytes("AQI="), vec![1, 2]);
        assert_eq!(bytes("AQI"), vec![1, 2]);
    }
}
