//! The fast path of binary decoding: a request's protobuf bytes read straight into the
//! canonical JSON value the pipeline works on (every field without presence written out, enums
//! by name, 64-bit integers as strings), guided by the encoding plans, without a
//! `DynamicMessage`. Anything unusual (a malformed message, a kind or form it leaves aside, a
//! Timestamp out of range) is declined with `None`, and the reference path decides, with its
//! own error messages.

use crate::contract::json_plan::{FieldPlan, KindPlan, Plans, Shape};
use base64::Engine;
use prost::encoding::{decode_key, decode_varint, WireType};
use serde_json::{Map, Value};

/// Nesting deeper than this is left to the reference decoder, which has its own limit.
const MAX_DEPTH: usize = 64;

/// The canonical value of a `index` message encoded in `bytes`, or None.
pub(in crate::codec) fn read(plans: &Plans, index: usize, bytes: &[u8]) -> Option<Value> {
    message(plans, index, bytes, 0)
}

fn message(plans: &Plans, index: usize, mut bytes: &[u8], depth: usize) -> Option<Value> {
    if depth > MAX_DEPTH {
        return None;
    }
    let plan = &plans.messages[index];
    if plan.opaque || plan.timestamp {
        return None;
    }
    let mut fields = Map::new();
    let mut oneofs: Vec<(usize, u32)> = Vec::new();
    while !bytes.is_empty() {
        let (number, wire) = decode_key(&mut bytes).ok()?;
        let Some(field) = plan.by_number(number) else {
            skip(wire, &mut bytes)?;
            continue;
        };
        if !field.binary || field.shape == Shape::Map {
            return None;
        }
        if let Some(oneof) = field.oneof {
            match oneofs.iter().find(|(o, _)| *o == oneof) {
                Some((_, other)) if *other != number => return None, // the reference decides which wins
                Some(_) => {}
                None => oneofs.push((oneof, number)),
            }
        }
        match field.shape {
            Shape::List => {
                let list = fields
                    .entry(field.json_name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(items) = list else {
                    return None;
                };
                if wire == WireType::LengthDelimited && packable(&field.kind) {
                    let mut packed = length_delimited(&mut bytes)?;
                    while !packed.is_empty() {
                        items.push(scalar(plans, field, WireType::Varint, &mut packed, depth)?);
                    }
                } else {
                    items.push(scalar(plans, field, wire, &mut bytes, depth)?);
                }
            }
            _ => {
                let value = scalar(plans, field, wire, &mut bytes, depth)?;
                // A message field sent twice merges in protobuf; leave that to the reference.
                let merges = matches!(field.kind, KindPlan::Message(_));
                if fields.insert(field.json_name.clone(), value).is_some() && merges {
                    return None;
                }
            }
        }
    }
    crate::codec::defaults::fill_defaults(plan, &mut fields);
    Some(Value::Object(fields))
}

fn packable(kind: &KindPlan) -> bool {
    matches!(
        kind,
        KindPlan::Bool
            | KindPlan::Enum(_)
            | KindPlan::I64
            | KindPlan::U64
            | KindPlan::I32
            | KindPlan::U32
    )
}

/// One value of `field` on the wire.
fn scalar(
    plans: &Plans,
    field: &FieldPlan,
    wire: WireType,
    bytes: &mut &[u8],
    depth: usize,
) -> Option<Value> {
    if wire == WireType::Varint {
        let n = decode_varint(bytes).ok()?;
        return Some(match &field.kind {
            KindPlan::Bool => Value::Bool(n != 0),
            KindPlan::Enum(values) => {
                let number = n as i32;
                values
                    .iter()
                    .find(|(v, _)| *v == number)
                    .map_or(Value::from(number), |(_, name)| Value::String(name.clone()))
            }
            KindPlan::I64 => Value::String((n as i64).to_string()),
            KindPlan::U64 => Value::String(n.to_string()),
            KindPlan::I32 => Value::from(n as i32),
            KindPlan::U32 => Value::from(n as u32),
            _ => return None,
        });
    }
    if wire != WireType::LengthDelimited {
        return None;
    }
    let data = length_delimited(bytes)?;
    match &field.kind {
        KindPlan::String => Some(Value::String(std::str::from_utf8(data).ok()?.to_string())),
        KindPlan::Other if field.bytes => Some(Value::String(
            base64::engine::general_purpose::STANDARD.encode(data),
        )),
        KindPlan::Message(index) if plans.messages[*index].timestamp => timestamp(data),
        KindPlan::Message(index) => message(plans, *index, data, depth + 1),
        _ => None,
    }
}

fn length_delimited<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let len = usize::try_from(decode_varint(bytes).ok()?).ok()?;
    let (data, rest) = (bytes.get(..len)?, bytes.get(len..)?);
    *bytes = rest;
    Some(data)
}

fn skip(wire: WireType, bytes: &mut &[u8]) -> Option<()> {
    let len = match wire {
        WireType::Varint => return decode_varint(bytes).ok().map(drop),
        WireType::SixtyFourBit => 8,
        WireType::ThirtyTwoBit => 4,
        WireType::LengthDelimited => return length_delimited(bytes).map(drop),
        WireType::StartGroup | WireType::EndGroup => return None,
    };
    *bytes = bytes.get(len..)?;
    Some(())
}

/// A Timestamp message as its canonical JSON string; None when out of proto3 JSON's range.
fn timestamp(mut data: &[u8]) -> Option<Value> {
    let (mut seconds, mut nanos) = (0i64, 0i64);
    while !data.is_empty() {
        let (number, wire) = decode_key(&mut data).ok()?;
        match (number, wire) {
            (1, WireType::Varint) => seconds = decode_varint(&mut data).ok()? as i64,
            (2, WireType::Varint) => nanos = i64::from(decode_varint(&mut data).ok()? as i32),
            _ => return None,
        }
    }
    rfc3339(seconds, nanos).map(Value::String)
}

/// `seconds` and `nanos` since the epoch as proto3 JSON writes a Timestamp (RFC 3339 in UTC,
/// 0, 3, 6 or 9 fraction digits); None outside years 1 to 9999.
pub(crate) fn rfc3339(seconds: i64, nanos: i64) -> Option<String> {
    if !(-62_135_596_800..=253_402_300_799).contains(&seconds)
        || !(0..1_000_000_000).contains(&nanos)
    {
        return None;
    }
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let (h, m, s) = (
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60,
    );
    let fraction = match nanos {
        0 => String::new(),
        n if n % 1_000_000 == 0 => format!(".{:03}", n / 1_000_000),
        n if n % 1_000 == 0 => format!(".{:06}", n / 1_000),
        n => format!(".{n:09}"),
    };
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}{fraction}Z"
    ))
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use crate::codec::{canonical, decode, decode_canonical, to_message, Encoding};
    use crate::contract::Contract;
    use prost::Message;
    use serde_json::{json, Value};
    use std::sync::LazyLock;

    static CONTRACT: LazyLock<Contract> = LazyLock::new(Contract::load);

    /// Encodes `request` as `method`'s input and reads it back on the fast path, which must
    /// take it and agree with the reference decoder.
    fn agrees(method: &str, request: Value) -> Value {
        let desc = CONTRACT.procedure(method).unwrap().input.clone();
        let bytes = to_message(&desc, request).unwrap().encode_to_vec();
        let index = CONTRACT.plans().index(&desc).unwrap();
        let fast = super::read(CONTRACT.plans(), index, &bytes).expect("fast path declined");
        let reference = canonical(&decode(&desc, Encoding::Proto, &bytes, false).unwrap());
        assert_eq!(fast, reference);
        fast
    }

    #[test]
    fn requests_read_as_the_reference_reads_them() {
        agrees(
            "GetSCMIntegration",
            json!({"id": "d2c94c27-3b76-4a42-b88c-95a85e392c68"}),
        );
        agrees("GetSCMIntegration", json!({}));
        let listed = agrees(
            "ListEnvironmentClasses",
            json!({
                "filter": {"runnerIds": ["a", "b"], "runnerKinds": ["RUNNER_KIND_REMOTE", 99], "enabled": true},
                "pagination": {"pageSize": 5, "token": "t"},
            }),
        );
        assert_eq!(
            listed["filter"]["runnerKinds"],
            json!(["RUNNER_KIND_REMOTE", 99])
        );
        agrees(
            "CreateHostAuthenticationToken",
            json!({
                "runnerId": "r", "host": "h", "token": "secret", "expiresAt": "2024-02-29T23:59:59.500Z",
                "source": "HOST_AUTHENTICATION_TOKEN_SOURCE_PAT", "refreshToken": "",
            }),
        );
        agrees(
            "CreateHostAuthenticationToken",
            json!({"expiresAt": "1969-12-31T23:59:59.000000001Z"}),
        );
    }

    #[test]
    fn what_it_does_not_cover_is_left_to_the_reference() {
        let desc = CONTRACT
            .procedure("GetSCMIntegration")
            .unwrap()
            .input
            .clone();
        let index = CONTRACT.plans().index(&desc).unwrap();
        let read = |bytes: &[u8]| super::read(CONTRACT.plans(), index, bytes);
        assert!(read(&[0x0a, 0x05, b'a']).is_none(), "truncated");
        assert!(read(&[0x0a, 0x01, 0xff]).is_none(), "not UTF-8");
        assert!(read(&[0x08, 0x01]).is_none(), "a string sent as a varint");
        assert!(read(&[0x0b]).is_none(), "a group");
        assert_eq!(
            read(&[0x50, 0x01]),
            Some(json!({"id": ""})),
            "an unknown field is skipped"
        );
        // The reference's errors are what clients get for what the fast path declines.
        let error = decode_canonical(&CONTRACT, &desc, Encoding::Proto, &[0x0a, 0x05], false);
        assert!(error
            .unwrap_err()
            .message
            .starts_with("unmarshal into gitpod.v1.GetSCMIntegrationRequest"));
    }
}
