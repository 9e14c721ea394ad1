//! The fast path of binary encoding, behind one door (`write`): an answer's JSON value written
//! as protobuf for its message type straight to bytes, guided by the contract's encoding
//! plans, without building a `DynamicMessage`.
//!
//! It covers what handlers write (strings, bools, integers as numbers or strings, enums by name
//! or number, nested messages, lists, canonical UTC timestamps) and declines anything else with
//! `None`, so `encode` takes the reference path through `DynamicMessage`. Debug builds check
//! every answer it writes against that path, as they do the JSON fast path's. `read` is the
//! other direction, for requests.

mod read;

pub(super) use read::read;

use crate::contract::json_plan::{FieldPlan, KindPlan, Plans, Shape};
use prost::encoding::{encode_key, encode_varint, WireType};
use prost_reflect::MessageDescriptor;
use serde_json::{Map, Value};

/// `value` as protobuf of type `desc`, or None when the reference path must decide.
pub(super) fn write(plans: &Plans, desc: &MessageDescriptor, value: &Value) -> Option<Vec<u8>> {
    let index = plans.index(desc)?;
    let mut out = Vec::with_capacity(256);
    message(plans, index, value.as_object()?, &mut out)?;
    Some(out)
}

/// The fields of one message, in the order the value has them (decoders take any order).
fn message(
    plans: &Plans,
    index: usize,
    fields: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Option<()> {
    let plan = &plans.messages[index];
    if plan.opaque || plan.timestamp {
        return None;
    }
    let mut numbers: Vec<u32> = Vec::with_capacity(fields.len());
    let mut oneofs: Vec<usize> = Vec::new();
    for (name, value) in fields {
        let field = plan.field(name)?;
        if numbers.contains(&field.number) || !field.binary {
            return None; // the same field under two names, or a kind left to the reference
        }
        numbers.push(field.number);
        let before = out.len();
        match (&field.shape, value) {
            (_, Value::Null) => {}
            (Shape::Single, value) => single(plans, field, value, field.presence, out)?,
            (Shape::List, Value::Array(items)) => {
                for item in items {
                    single(plans, field, item, true, out)?;
                }
            }
            _ => return None,
        }
        if let Some(oneof) = field.oneof.filter(|_| out.len() > before) {
            if oneofs.contains(&oneof) {
                return None;
            }
            oneofs.push(oneof);
        }
    }
    Some(())
}

/// One value of a field; a default is left out unless `always` (presence, or a list item).
fn single(
    plans: &Plans,
    field: &FieldPlan,
    value: &Value,
    always: bool,
    out: &mut Vec<u8>,
) -> Option<()> {
    let number = field.number;
    let varint = |n: u64, out: &mut Vec<u8>| {
        if n != 0 || always {
            encode_key(number, WireType::Varint, out);
            encode_varint(n, out);
        }
    };
    match &field.kind {
        KindPlan::String => {
            let text = value.as_str()?;
            if !text.is_empty() || always {
                delimited(number, text.as_bytes(), out);
            }
        }
        KindPlan::Bool => varint(u64::from(value.as_bool()?), out),
        KindPlan::Enum(values) => {
            let n = match value {
                Value::String(name) => values.iter().find(|(_, v)| v == name)?.0,
                other => i32::try_from(other.as_i64()?).ok()?,
            };
            varint(i64::from(n) as u64, out);
        }
        KindPlan::I64 => varint(signed(value)? as u64, out),
        KindPlan::I32 => varint(i64::from(i32::try_from(signed(value)?).ok()?) as u64, out),
        KindPlan::U64 => varint(unsigned(value)?, out),
        KindPlan::U32 => varint(u64::from(u32::try_from(unsigned(value)?).ok()?), out),
        KindPlan::Message(index) if plans.messages[*index].timestamp => {
            let (seconds, nanos) = timestamp(value.as_str()?)?;
            let mut body = Vec::with_capacity(16);
            if seconds != 0 {
                encode_key(1, WireType::Varint, &mut body);
                encode_varint(seconds as u64, &mut body);
            }
            if nanos != 0 {
                encode_key(2, WireType::Varint, &mut body);
                encode_varint(u64::from(nanos), &mut body);
            }
            delimited(number, &body, out);
        }
        KindPlan::Message(index) => {
            let mut body = Vec::with_capacity(64);
            message(plans, *index, value.as_object()?, &mut body)?;
            delimited(number, &body, out);
        }
        KindPlan::Other if field.bytes => {
            let data = base64_bytes(value.as_str()?)?;
            if !data.is_empty() || always {
                delimited(number, &data, out);
            }
        }
        KindPlan::Other => return None,
    }
    Some(())
}

fn delimited(number: u32, bytes: &[u8], out: &mut Vec<u8>) {
    encode_key(number, WireType::LengthDelimited, out);
    encode_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

/// A bytes field's JSON form: base64, standard or URL-safe, padded or not, as proto3 JSON reads it.
fn base64_bytes(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    let lenient =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let standard = GeneralPurpose::new(&base64::alphabet::STANDARD, lenient);
    let url_safe = GeneralPurpose::new(&base64::alphabet::URL_SAFE, lenient);
    standard
        .decode(text)
        .or_else(|_| url_safe.decode(text))
        .ok()
}

/// A signed integer written as a JSON number or, as proto3 JSON writes 64-bit ones, a string.
fn signed(value: &Value) -> Option<i64> {
    match value {
        Value::String(text) => text.parse().ok(),
        other => other.as_i64(),
    }
}

fn unsigned(value: &Value) -> Option<u64> {
    match value {
        Value::String(text) => text.parse().ok(),
        other => other.as_u64(),
    }
}

/// A canonical UTC timestamp (`2024-01-02T03:04:05.123Z`) as seconds since the epoch and nanos.
fn timestamp(text: &str) -> Option<(i64, u32)> {
    if !super::json::canonical_timestamp(text) {
        return None;
    }
    let n = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    let (year, month, day) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let seconds_of_day = n(11..13)? * 3600 + n(14..16)? * 60 + n(17..19)?;
    let fraction = text.get(20..text.len() - 1).unwrap_or_default();
    let nanos = match fraction.len() {
        0 => 0,
        digits => fraction.parse::<u32>().ok()? * 10u32.pow(9 - digits as u32),
    };
    Some((
        days_from_civil(year, month, day) * 86_400 + seconds_of_day,
        nanos,
    ))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::canonical;
    use crate::contract::Contract;
    use prost_reflect::DynamicMessage;
    use serde_json::json;
    use std::sync::LazyLock;

    static CONTRACT: LazyLock<Contract> = LazyLock::new(Contract::load);

    /// The fast path's bytes for `value` decode to the message the reference path builds.
    fn agrees(method: &str, value: Value) {
        let desc = CONTRACT.procedure(method).unwrap().output.clone();
        let fast = write(CONTRACT.plans(), &desc, &value)
            .unwrap_or_else(|| panic!("fast path declined {value}"));
        let reference = crate::codec::to_message(&desc, value).unwrap();
        let decoded = DynamicMessage::decode(desc, &fast[..]).unwrap();
        assert_eq!(canonical(&decoded), canonical(&reference));
    }

    #[test]
    fn typed_shapes_encode_as_the_reference_does() {
        agrees(
            "GetEnvironmentClass",
            json!({"environmentClass": {
                "id": "d2c94c27-3b76-4a42-b88c-95a85e392c68", "runnerId": "x", "displayName": "",
                "enabled": false, "configuration": [{"key": "cpu", "value": "4"}, {"key": "", "value": ""}],
            }}),
        );
        agrees(
            "ListEnvironmentClasses",
            json!({"environmentClasses": [], "pagination": {"nextToken": ""}}),
        );
        agrees(
            "GetHostAuthenticationToken",
            json!({"token": {
                "id": "t", "expiresAt": "2024-02-29T23:59:59.500Z", "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_OAUTH",
            }}),
        );
        agrees(
            "GetHostAuthenticationToken",
            json!({"token": {"id": "t", "source": 99, "expiresAt": "1969-12-31T23:59:59.123456789Z"}}),
        );
    }

    /// Every stored record, as its Get answers it, takes the fast path and agrees.
    #[test]
    fn every_fixture_record_takes_the_fast_path() {
        use crate::store::records::{EnvironmentClass, HostToken, ScmIntegration};
        let source = crate::store::fixtures::Source::Embedded;
        let fixtures = crate::store::fixtures::load(&CONTRACT, source).unwrap();
        let mut checked = 0;
        let mut each = |method: &str, field: &str, rows: Vec<Value>| {
            assert!(!rows.is_empty(), "the fixtures hold records for {method}");
            for row in rows {
                agrees(method, json!({ field: row }));
                checked += 1;
            }
        };
        let values = |rows: &[_]| {
            rows.iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect()
        };
        each(
            "GetEnvironmentClass",
            "environmentClass",
            values(fixtures.rows::<EnvironmentClass>()),
        );
        each("GetSCMIntegration", "integration", {
            let rows: &[ScmIntegration] = fixtures.rows::<ScmIntegration>();
            rows.iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect()
        });
        each("GetHostAuthenticationToken", "token", {
            let rows: &[HostToken] = fixtures.rows::<HostToken>();
            rows.iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect()
        });
        assert!(checked >= 3);
    }

    #[test]
    fn what_it_does_not_cover_is_declined() {
        let desc = CONTRACT
            .procedure("GetHostAuthenticationToken")
            .unwrap()
            .output
            .clone();
        let declined = |value: Value| write(CONTRACT.plans(), &desc, &value).is_none();
        assert!(declined(
            json!({"token": {"expiresAt": "2024-01-01T00:00:00+01:00"}})
        ));
        assert!(declined(json!({"token": {"source": "NO_SUCH_SOURCE"}})));
        assert!(declined(json!({"token": {"id": 5}})));
        assert!(declined(json!({"token": {"id": "a", "ID": "b"}})));
        assert!(declined(json!(["not", "a", "message"])));
    }

    #[test]
    fn civil_days_count_from_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(
            timestamp("2024-02-29T23:59:59.500Z"),
            Some((1_709_251_199, 500_000_000))
        );
        assert_eq!(
            timestamp("2024-02-29T23:59:59.5Z"),
            None,
            "not canonical: the reference decides"
        );
    }
}
