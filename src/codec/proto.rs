//! The fast path of binary encoding, behind one door (`write`): an answer (a typed record or a
//! JSON value, in its proto3 JSON shape) written as protobuf for its message type straight to
//! bytes by a serde `Serializer` (`ser`) guided by the contract's encoding plans, without a
//! JSON value tree or a `DynamicMessage`.
//!
//! It covers what handlers write (strings, bools, integers as numbers or strings, enums by name
//! or number, nested messages, lists, canonical UTC timestamps) and declines anything else with
//! `None`, so `encode` takes the reference path through `DynamicMessage`. Debug builds check
//! every answer it writes against that path, as they do the JSON fast path's. `read` is the
//! other direction, for requests.

mod read;
mod ser;

pub(super) use read::read;
pub(crate) use read::rfc3339;

use crate::contract::json_plan::Plans;
use prost_reflect::MessageDescriptor;
use serde::Serialize;

/// `value`, in its proto3 JSON shape, as protobuf of type `desc`; None when the reference path
/// must decide.
pub(super) fn write<T: Serialize + ?Sized>(
    plans: &Plans,
    desc: &MessageDescriptor,
    value: &T,
) -> Option<Vec<u8>> {
    let index = plans.index(desc)?;
    let plan = &plans.messages[index];
    if plan.opaque || plan.timestamp {
        return None;
    }
    ser::message(plans, index, value)
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
    use serde_json::{json, Value};
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
    fn typed_records_and_long_nested_messages_encode_as_the_reference_does() {
        use crate::store::records::{EnvironmentClass, FieldValue};
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer<'a> {
            environment_class: &'a EnvironmentClass,
        }
        let class = EnvironmentClass {
            id: "d2c94c27-3b76-4a42-b88c-95a85e392c68".into(),
            description: "d".repeat(300), // the nested length needs two varint bytes
            configuration: vec![FieldValue {
                key: "cpu".into(),
                value: "4".into(),
            }],
            enabled: true,
            ..EnvironmentClass::default()
        };
        let desc = CONTRACT
            .procedure("GetEnvironmentClass")
            .unwrap()
            .output
            .clone();
        let typed = Answer {
            environment_class: &class,
        };
        let fast =
            write(CONTRACT.plans(), &desc, &typed).expect("typed records take the fast path");
        // Fields follow the record's declaration order, which decoders ignore.
        let decoded = DynamicMessage::decode(desc.clone(), &fast[..]).unwrap();
        let value = serde_json::to_value(&typed).unwrap();
        let reference = crate::codec::to_message(&desc, value.clone()).unwrap();
        assert_eq!(canonical(&decoded), canonical(&reference));
        agrees("GetEnvironmentClass", value);
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
