//! The fast path of JSON encoding, behind one door (`write`): a handler's answer written as
//! proto3 JSON for its message type straight to bytes, guided by the contract's encoding plans,
//! without building a `DynamicMessage`.
//!
//! It takes any `Serialize` answer: typed records as they are stored, or `serde_json::Value`.
//! It covers what handlers write (strings, bools, integers, enums by name or number, nested
//! messages, lists, maps, canonical UTC timestamps) and declines anything else with `None`,
//! so `encode` falls back to the reference path through `DynamicMessage`. Both paths give the
//! same JSON; the tests below check the edge cases, and debug builds check every answer.

mod read;
mod ser;

pub(super) use read::read;

use crate::contract::json_plan::Plans;
use prost_reflect::MessageDescriptor;
use ser::Root;
use serde::Serialize;

/// `value` as proto3 JSON of type `desc`, or None when the reference path must decide.
/// At the top level, list fields are always written, even when empty.
pub(super) fn write<T: Serialize + ?Sized>(
    plans: &Plans,
    desc: &MessageDescriptor,
    value: &T,
) -> Option<Vec<u8>> {
    let index = plans.index(desc)?;
    if plans.messages[index].opaque || plans.messages[index].timestamp {
        return None;
    }
    let mut out = Vec::with_capacity(512);
    value
        .serialize(Root {
            plans,
            index,
            out: &mut out,
        })
        .ok()?;
    Some(out)
}

/// Timestamps already in the canonical form (`2024-01-02T03:04:05Z`, optional fraction of 3,
/// 6 or 9 digits) pass through; every other form goes the reference way.
pub(super) fn canonical_timestamp(text: &str) -> bool {
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
    use serde_json::{json, Value};
    use std::sync::LazyLock;

    static CONTRACT: LazyLock<Contract> = LazyLock::new(Contract::load);

    fn output(method: &str) -> MessageDescriptor {
        CONTRACT.procedure(method).unwrap().output.clone()
    }

    /// The fast path's JSON for `value`, checked equal to the reference path's.
    fn agrees(method: &str, value: Value) -> Value {
        let desc = output(method);
        let fast = write(CONTRACT.plans(), &desc, &value)
            .unwrap_or_else(|| panic!("fast path declined {value}"));
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
    fn unnamed_enum_numbers_are_written_as_numbers() {
        for number in [99, -1, i32::MAX, i32::MIN] {
            let token = json!({"token": {"id": "t", "source": number,
                "subject": {"principal": number}}});
            let out = agrees("GetHostAuthenticationToken", token);
            assert_eq!(out["token"]["source"], number);
            assert_eq!(out["token"]["subject"]["principal"], number);
        }
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
            json!({"host": 5}),
            json!({"runner_id": "snake case"}),
        ] {
            let answer = json!({"token": token});
            assert_eq!(write(CONTRACT.plans(), &desc, &answer), None, "{token}");
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
