//! The fast path of JSON encoding: writes a handler's answer as proto3 JSON for its message
//! type straight to bytes, guided by the descriptor, without building a `DynamicMessage`.
//!
//! It covers what handlers write (strings, bools, integers, enums by name or number, nested
//! messages, lists, maps, canonical UTC timestamps) and declines anything else with `None`,
//! so `encode` falls back to the reference path through `DynamicMessage`. Both paths give the
//! same JSON; the tests below check that on every stored record and on the edge cases.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::Value;

/// `value` as proto3 JSON of type `desc`, or None when the reference path must decide.
/// At the top level, list fields are always written, even when empty.
pub fn write(desc: &MessageDescriptor, value: &Value) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    message(desc, value, &mut out, true)?;
    Some(out)
}

fn message(desc: &MessageDescriptor, value: &Value, out: &mut Vec<u8>, top: bool) -> Option<()> {
    if desc.full_name().starts_with("google.protobuf.") {
        return well_known(desc, value, out);
    }
    let object = value.as_object()?;
    let mut oneofs: Vec<String> = Vec::new();
    let mut emitted: Vec<u32> = Vec::new();
    out.push(b'{');
    for (name, item) in object {
        if item.is_null() {
            continue; // null is unset
        }
        let field = desc.get_field_by_json_name(name)?;
        if let Some(oneof) = field.containing_oneof().filter(|o| !o.is_synthetic()) {
            if oneofs.iter().any(|seen| seen == oneof.name()) {
                return None;
            }
            oneofs.push(oneof.name().to_string());
        }
        let start = out.len();
        if !emitted.is_empty() {
            out.push(b',');
        }
        key(field.json_name(), out);
        if field_value(&field, item, out)? {
            emitted.push(field.number());
        } else {
            out.truncate(start);
        }
    }
    if top {
        let missing: Vec<FieldDescriptor> = desc
            .fields()
            .filter(|f| f.is_list() && !emitted.contains(&f.number()))
            .collect();
        for field in missing {
            if !emitted.is_empty() {
                out.push(b',');
            }
            key(field.json_name(), out);
            out.extend_from_slice(b"[]");
            emitted.push(field.number());
        }
    }
    out.push(b'}');
    Some(())
}

fn key(name: &str, out: &mut Vec<u8>) {
    string(name, out);
    out.push(b':');
}

fn string(s: &str, out: &mut Vec<u8>) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

/// Writes one field's value; returns false when proto3 JSON leaves it out (a default without
/// presence, an empty list or map).
fn field_value(field: &FieldDescriptor, value: &Value, out: &mut Vec<u8>) -> Option<bool> {
    if field.is_map() {
        let map = value.as_object()?;
        if map.is_empty() {
            return Some(false);
        }
        let Kind::Message(entry) = field.kind() else {
            return None;
        };
        let value_field = entry.map_entry_value_field();
        out.push(b'{');
        for (i, (k, v)) in map.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            key(k, out);
            singular(&value_field.kind(), v, out, true)?;
        }
        out.push(b'}');
        return Some(true);
    }
    if field.is_list() {
        let items = value.as_array()?;
        if items.is_empty() {
            return Some(false);
        }
        out.push(b'[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            singular(&field.kind(), item, out, true)?;
        }
        out.push(b']');
        return Some(true);
    }
    singular(&field.kind(), value, out, field.supports_presence())
}

/// Writes a single value of `kind`; returns false, writing nothing, for a default value
/// unless `keep_default` (presence, list items, map values).
fn singular(kind: &Kind, value: &Value, out: &mut Vec<u8>, keep_default: bool) -> Option<bool> {
    match kind {
        Kind::Message(desc) => {
            message(desc, value, out, false)?;
            Some(true)
        }
        Kind::String => {
            let s = value.as_str()?;
            if s.is_empty() && !keep_default {
                return Some(false);
            }
            string(s, out);
            Some(true)
        }
        Kind::Bool => {
            let b = value.as_bool()?;
            if !b && !keep_default {
                return Some(false);
            }
            out.extend_from_slice(if b { b"true" } else { b"false" });
            Some(true)
        }
        Kind::Enum(desc) => {
            let number = match value {
                Value::String(name) => desc.get_value_by_name(name)?.number(),
                Value::Number(n) => i32::try_from(n.as_i64()?).ok()?,
                _ => return None,
            };
            if number == 0 && !keep_default {
                return Some(false);
            }
            // Unknown numbers are for the reference path, which writes them as numbers.
            string(desc.get_value(number)?.name(), out);
            Some(true)
        }
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            integer::<i64>(value, out, keep_default, true)
        }
        Kind::Uint64 | Kind::Fixed64 => integer::<u64>(value, out, keep_default, true),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => {
            integer::<i32>(value, out, keep_default, false)
        }
        Kind::Uint32 | Kind::Fixed32 => integer::<u32>(value, out, keep_default, false),
        // Floats and bytes have encodings (NaN, base64 variants) the reference path handles.
        Kind::Float | Kind::Double | Kind::Bytes => None,
    }
}

/// An integer given as a JSON number or a decimal string; 64-bit kinds are written as strings.
fn integer<T>(value: &Value, out: &mut Vec<u8>, keep_default: bool, quoted: bool) -> Option<bool>
where
    T: std::str::FromStr + std::fmt::Display + Default + PartialEq + TryFrom<i64> + TryFrom<u64>,
{
    let n: T = match value {
        Value::Number(n) if n.is_i64() => T::try_from(n.as_i64()?).ok()?,
        Value::Number(n) if n.is_u64() => T::try_from(n.as_u64()?).ok()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    if n == T::default() && !keep_default {
        return Some(false);
    }
    let text = n.to_string();
    if quoted {
        string(&text, out);
    } else {
        out.extend_from_slice(text.as_bytes());
    }
    Some(true)
}

/// Timestamps already in the canonical form (`2024-01-02T03:04:05Z`, optional fraction of 3,
/// 6 or 9 digits) pass through; every other well-known type goes the reference way.
fn well_known(desc: &MessageDescriptor, value: &Value, out: &mut Vec<u8>) -> Option<()> {
    let text = value.as_str()?;
    (desc.full_name() == "google.protobuf.Timestamp" && canonical_timestamp(text))
        .then(|| string(text, out))
}

fn canonical_timestamp(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let shape = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[b.len() - 1] == b'Z';
    if !shape {
        return false;
    }
    // The reference path writes 0, 3, 6 or 9 fractional digits, the fewest that keep the
    // value, so only a fraction already in that form passes through unchanged.
    let fraction_ok = match &b[19..b.len() - 1] {
        [] => true,
        [b'.', rest @ ..] => {
            matches!(rest.len(), 3 | 6 | 9)
                && rest.iter().all(u8::is_ascii_digit)
                && rest[rest.len() - 3..] != *b"000"
        }
        _ => false,
    };
    fraction_ok && in_range(text)
}

/// True when the date and time fields are in range (month 1–12, day within the month,
/// hour < 24, minute and second < 60), and the year is at least 1, as proto3 JSON requires.
fn in_range(text: &str) -> bool {
    let n = |r: std::ops::Range<usize>| text[r].parse::<u32>().unwrap_or(u32::MAX);
    let (year, month, day) = (n(0..4), n(5..7), n(8..10));
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day) && n(11..13) < 24 && n(14..16) < 60 && n(17..19) < 60
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{reference_encode, Encoding};
    use crate::contract::Contract;
    use serde_json::json;

    fn output(method: &str) -> MessageDescriptor {
        Contract::load().procedure(method).unwrap().output.clone()
    }

    /// The fast path's JSON for `value`, checked equal to the reference path's.
    fn agrees(method: &str, value: Value) -> Value {
        let desc = output(method);
        let fast = write(&desc, &value).unwrap_or_else(|| panic!("fast path declined {value}"));
        let reference = reference_encode(&desc, Encoding::Json, value).unwrap();
        let fast: Value = serde_json::from_slice(&fast).unwrap();
        assert_eq!(fast, serde_json::from_slice::<Value>(&reference).unwrap());
        fast
    }

    #[test]
    fn defaults_without_presence_go_and_presence_keeps_them() {
        let token = json!({"token": {"id": "a", "host": "", "scopes": [], "source": 0,
            "subject": {"id": "", "principal": "PRINCIPAL_USER"}, "expiresAt": "2024-02-29T12:00:00.500Z"}});
        let out = agrees("GetHostAuthenticationToken", token);
        assert_eq!(
            out,
            json!({"token": {"id": "a", "subject": {"principal": "PRINCIPAL_USER"},
            "expiresAt": "2024-02-29T12:00:00.500Z"}})
        );
        let integration =
            json!({"integration": {"id": "i", "oauth": {}, "virtualDirectory": "", "pat": false}});
        let out = agrees("GetSCMIntegration", integration);
        assert_eq!(
            out["integration"]["oauth"],
            json!({}),
            "a set message stays, even empty"
        );
        assert_eq!(
            out["integration"]["virtualDirectory"], "",
            "optional keeps its default"
        );
    }

    #[test]
    fn enums_by_number_and_top_level_lists_are_normalised() {
        let out = agrees(
            "ListHostAuthenticationTokens",
            json!({"pagination": {"nextToken": ""},
            "tokens": [{"id": "t", "source": 1}]}),
        );
        assert_eq!(
            out["tokens"][0]["source"],
            "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH"
        );
        let empty = agrees(
            "ListSCMIntegrations",
            json!({"pagination": {}, "integrations": []}),
        );
        assert_eq!(empty, json!({"integrations": [], "pagination": {}}));
        assert_eq!(agrees("DeleteSCMIntegration", json!({})), json!({}));
    }

    #[test]
    fn anything_unusual_is_left_to_the_reference_path() {
        let desc = output("GetHostAuthenticationToken");
        for token in [
            json!({"expiresAt": "2024-01-01T00:00:00+01:00"}),
            json!({"expiresAt": "2024-01-01T00:00:00.000Z"}),
            json!({"expiresAt": "2023-02-29T00:00:00Z"}),
            json!({"source": 99}),
            json!({"host": 5}),
            json!({"runner_id": "snake case"}),
        ] {
            assert_eq!(write(&desc, &json!({"token": token})), None, "{token}");
        }
    }

    #[test]
    fn canonical_timestamps_are_recognised_exactly() {
        assert!(canonical_timestamp("2024-12-31T23:59:59Z"));
        assert!(canonical_timestamp("2024-12-31T23:59:59.123456Z"));
        assert!(
            !canonical_timestamp("2024-12-31T23:59:59.120000Z"),
            "not the shortest form"
        );
        assert!(!canonical_timestamp("2024-13-01T00:00:00Z"));
        assert!(!canonical_timestamp("2024-12-31 23:59:59Z"));
    }
}
