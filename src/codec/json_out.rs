//! The fast path of JSON encoding: writes a handler's answer as proto3 JSON for its message
//! type straight to bytes, guided by the descriptor, without building a `DynamicMessage`.
//!
//! It covers what handlers write (strings, bools, integers, enums by name or number, nested
//! messages, lists, maps, canonical UTC timestamps) and declines anything else with `None`,
//! so `encode` falls back to the reference path through `DynamicMessage`. Both paths give the
//! same JSON; the tests below check that on every stored record and on the edge cases.

use super::json_plan::{plans, FieldPlan, KindPlan, Plans, Shape};
use prost_reflect::MessageDescriptor;
use serde_json::Value;

/// `value` as proto3 JSON of type `desc`, or None when the reference path must decide.
/// At the top level, list fields are always written, even when empty.
pub fn write(desc: &MessageDescriptor, value: &Value) -> Option<Vec<u8>> {
    let plans = plans(desc);
    let mut out = Vec::with_capacity(512);
    Writer {
        plans,
        out: &mut out,
    }
    .message(plans.index(desc)?, value, true)?;
    Some(out)
}

struct Writer<'a> {
    plans: &'static Plans,
    out: &'a mut Vec<u8>,
}

impl Writer<'_> {
    fn message(&mut self, index: usize, value: &Value, top: bool) -> Option<()> {
        let plan = &self.plans.messages[index];
        if plan.opaque {
            return None;
        }
        if plan.timestamp {
            let text = value.as_str()?;
            canonical_timestamp(text).then(|| string(text, self.out))?;
            return Some(());
        }
        let object = value.as_object()?;
        let mut oneofs: u64 = 0;
        let mut emitted: Vec<u32> = Vec::new(); // kept at the top level only
        let mut first = true;
        self.out.push(b'{');
        for (name, item) in object {
            if item.is_null() {
                continue; // null is unset
            }
            let field = plan.field(name)?;
            if let Some(oneof) = field.oneof {
                let bit = 1u64.checked_shl(oneof as u32)?;
                if oneofs & bit != 0 {
                    return None;
                }
                oneofs |= bit;
            }
            let start = self.out.len();
            if !first {
                self.out.push(b',');
            }
            self.out.extend_from_slice(&field.key);
            if self.field(field, item)? {
                first = false;
                if top {
                    emitted.push(field.number);
                }
            } else {
                self.out.truncate(start);
            }
        }
        if top {
            let lists = plan.fields.iter().filter(|f| f.shape == Shape::List);
            for field in lists.filter(|f| !emitted.contains(&f.number)) {
                if !first {
                    self.out.push(b',');
                }
                self.out.extend_from_slice(&field.key);
                self.out.extend_from_slice(b"[]");
                first = false;
            }
        }
        self.out.push(b'}');
        Some(())
    }

    /// Writes one field's value; returns false when proto3 JSON leaves it out (a default
    /// without presence, an empty list or map).
    fn field(&mut self, field: &FieldPlan, value: &Value) -> Option<bool> {
        match field.shape {
            Shape::Map => {
                let map = value.as_object()?;
                if map.is_empty() {
                    return Some(false);
                }
                self.out.push(b'{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    string(k, self.out);
                    self.out.push(b':');
                    self.singular(&field.kind, v, true)?;
                }
                self.out.push(b'}');
                Some(true)
            }
            Shape::List => {
                let items = value.as_array()?;
                if items.is_empty() {
                    return Some(false);
                }
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.singular(&field.kind, item, true)?;
                }
                self.out.push(b']');
                Some(true)
            }
            Shape::Single => self.singular(&field.kind, value, field.presence),
        }
    }

    /// Writes a single value; returns false, writing nothing, for a default value unless
    /// `keep_default` (presence, list items, map values).
    fn singular(&mut self, kind: &KindPlan, value: &Value, keep_default: bool) -> Option<bool> {
        let out = &mut *self.out;
        match kind {
            KindPlan::Message(index) => {
                self.message(*index, value, false)?;
                Some(true)
            }
            KindPlan::String => {
                let s = value.as_str()?;
                if s.is_empty() && !keep_default {
                    return Some(false);
                }
                string(s, out);
                Some(true)
            }
            KindPlan::Bool => {
                let b = value.as_bool()?;
                if !b && !keep_default {
                    return Some(false);
                }
                out.extend_from_slice(if b { b"true" } else { b"false" });
                Some(true)
            }
            KindPlan::Enum(values) => {
                let number = match value {
                    Value::String(name) => values.iter().find(|(_, n)| n == name)?.0,
                    Value::Number(n) => i32::try_from(n.as_i64()?).ok()?,
                    _ => return None,
                };
                if number == 0 && !keep_default {
                    return Some(false);
                }
                // Unknown numbers are for the reference path, which writes them as numbers.
                let name = &values.iter().find(|(n, _)| *n == number)?.1;
                string(name, out);
                Some(true)
            }
            KindPlan::I64 => integer::<i64>(value, out, keep_default, true),
            KindPlan::U64 => integer::<u64>(value, out, keep_default, true),
            KindPlan::I32 => integer::<i32>(value, out, keep_default, false),
            KindPlan::U32 => integer::<u32>(value, out, keep_default, false),
            // Floats and bytes have encodings (NaN, base64 variants) the reference path handles.
            KindPlan::Other => None,
        }
    }
}

/// Writes `s` as a JSON string. Most strings need no escaping and are copied as they are;
/// the rest go through serde_json's escaper.
fn string(s: &str, out: &mut Vec<u8>) {
    if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
        return;
    }
    out.reserve(s.len() + 2);
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
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
/// 6 or 9 digits) pass through; every other form goes the reference way.
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
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let text = "say \"hi\"\\ \n\t\u{1} é/ok";
        let out = agrees(
            "GetEnvironmentClass",
            json!({"environmentClass": {"displayName": text}}),
        );
        assert_eq!(out["environmentClass"]["displayName"], text);
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
