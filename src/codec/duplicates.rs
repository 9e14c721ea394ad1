//! Finds duplicate fields in a JSON body before the proto3 JSON decoder sees it, since the
//! decoder keeps the last value silently and connect-go rejects the message. A field given once
//! as `runner_id` and once as `runnerId` is a duplicate too.

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Returns the first duplicated field name, if any object in `body` has one.
pub fn find_duplicate(body: &[u8]) -> Result<(), String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    match deserializer.deserialize_any(Walk) {
        Ok(()) => Ok(()),
        // Syntax errors are the decoder's to report, with its own wording.
        Err(e) if e.is_data() => Err(e
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_string()),
        Err(_) => Ok(()),
    }
}

/// The proto3 JSON name of a field name: `runner_id` becomes `runnerId`.
fn json_name(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

struct Walk;

impl<'de> Visitor<'de> for Walk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen: Vec<(String, String)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let normal = json_name(&key);
            if let Some((first, _)) = seen.iter().find(|(_, n)| *n == normal) {
                let also = if *first == key {
                    String::new()
                } else {
                    format!(" (also given as \"{first}\")")
                };
                return Err(de::Error::custom(format!(
                    "duplicate field \"{key}\"{also}"
                )));
            }
            map.next_value_seed(WalkSeed)?;
            seen.push((key, normal));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(WalkSeed)?.is_some() {}
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

struct WalkSeed;

impl<'de> de::DeserializeSeed<'de> for WalkSeed {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(Walk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_twice_is_a_duplicate() {
        let err = find_duplicate(br#"{"id":"a","id":"b"}"#).unwrap_err();
        assert_eq!(err, "duplicate field \"id\"");
    }

    #[test]
    fn snake_and_camel_spellings_collide() {
        let err = find_duplicate(br#"{"runnerId":"a","runner_id":"b"}"#).unwrap_err();
        assert_eq!(
            err,
            "duplicate field \"runner_id\" (also given as \"runnerId\")"
        );
    }

    #[test]
    fn nested_objects_are_checked_and_siblings_are_not_confused() {
        assert!(find_duplicate(br#"{"filter":{"runnerIds":[],"runner_ids":[]}}"#).is_err());
        assert!(find_duplicate(br#"{"a":{"id":1},"b":{"id":2}}"#).is_ok());
        assert!(find_duplicate(br#"[{"id":1},{"id":2}]"#).is_ok());
    }
}
