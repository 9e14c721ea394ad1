//! Range checks for binary requests. Protobuf's wire format carries any `Timestamp` or
//! `Duration`, but proto3 JSON (which the rest of the pipeline reads) writes only those within
//! range, so one outside it is the client's invalid argument, named by its field path.

use prost_reflect::{DynamicMessage, ReflectMessage, Value};

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, as proto3 JSON bounds them.
const TIMESTAMP_SECONDS: std::ops::RangeInclusive<i64> = -62_135_596_800..=253_402_300_799;
/// About 10,000 years either way.
const DURATION_SECONDS: i64 = 315_576_000_000;
const MAX_NANOS: i32 = 999_999_999;

/// The first `Timestamp` or `Duration` in `message` that proto3 JSON cannot write.
pub(super) fn check(message: &DynamicMessage) -> Result<(), String> {
    walk(message, "")
}

fn walk(message: &DynamicMessage, path: &str) -> Result<(), String> {
    if let Some(reason) = out_of_range(message) {
        let name = message.descriptor().full_name().to_string();
        return Err(format!("invalid value for {name} field {path}: {reason}"));
    }
    for (field, value) in message.fields() {
        let path = match path {
            "" => field.json_name().to_string(),
            parent => format!("{parent}.{}", field.json_name()),
        };
        match value {
            Value::Message(inner) => walk(inner, &path)?,
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Value::Message(inner) = item {
                        walk(inner, &format!("{path}[{i}]"))?;
                    }
                }
            }
            Value::Map(entries) => {
                for (key, item) in entries {
                    if let Value::Message(inner) = item {
                        walk(inner, &format!("{path}[{key:?}]"))?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Why a well-known message is out of range, if it is one and is.
fn out_of_range(message: &DynamicMessage) -> Option<String> {
    let number = |name: &str| match message.get_field_by_name(name).as_deref() {
        Some(Value::I64(n)) => i128::from(*n),
        Some(Value::I32(n)) => i128::from(*n),
        _ => 0,
    };
    let (seconds, nanos) = (number("seconds"), number("nanos"));
    let nanos_ok = |low: i32| (i128::from(low)..=i128::from(MAX_NANOS)).contains(&nanos);
    match message.descriptor().full_name() {
        "google.protobuf.Timestamp" if !TIMESTAMP_SECONDS.contains(&(seconds as i64)) => {
            Some(format!("seconds out of range {seconds}"))
        }
        "google.protobuf.Timestamp" if !nanos_ok(0) => Some(format!("nanos out of range {nanos}")),
        "google.protobuf.Duration" if seconds.unsigned_abs() > DURATION_SECONDS as u128 => {
            Some(format!("seconds out of range {seconds}"))
        }
        "google.protobuf.Duration" if !nanos_ok(-MAX_NANOS) => {
            Some(format!("nanos out of range {nanos}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;
    use prost::Message;

    /// UpdateHostAuthenticationToken with `expiresAt` at these seconds and nanos, in binary.
    fn update_expiring_at(seconds: i64, nanos: i32) -> DynamicMessage {
        let contract = Contract::load();
        let desc = contract
            .procedure("UpdateHostAuthenticationToken")
            .unwrap()
            .input
            .clone();
        let mut message = DynamicMessage::new(desc.clone());
        let expires = desc.get_field_by_name("expires_at").unwrap();
        let prost_reflect::Kind::Message(timestamp) = expires.kind() else {
            unreachable!()
        };
        let mut at = DynamicMessage::new(timestamp);
        at.set_field_by_name("seconds", Value::I64(seconds));
        at.set_field_by_name("nanos", Value::I32(nanos));
        message.set_field(&expires, Value::Message(at));
        DynamicMessage::decode(desc, message.encode_to_vec().as_slice()).unwrap()
    }

    #[test]
    fn timestamps_out_of_range_are_named_by_their_field() {
        let field = "invalid value for google.protobuf.Timestamp field expiresAt";
        #[rustfmt::skip]
        let cases = [
            ((253_402_300_800, 0), format!("{field}: seconds out of range 253402300800")),
            ((i64::MIN, 0), format!("{field}: seconds out of range {}", i64::MIN)),
            ((0, -1), format!("{field}: nanos out of range -1")),
            ((0, 1_000_000_000), format!("{field}: nanos out of range 1000000000")),
        ];
        for ((seconds, nanos), expected) in cases {
            assert_eq!(check(&update_expiring_at(seconds, nanos)), Err(expected));
        }
        assert_eq!(
            check(&update_expiring_at(253_402_300_799, MAX_NANOS)),
            Ok(())
        );
        assert_eq!(check(&update_expiring_at(-62_135_596_800, 0)), Ok(()));
    }
}
