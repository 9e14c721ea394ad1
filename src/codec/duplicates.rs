//! Finds duplicate fields in a JSON body before the proto3 JSON decoder sees it, since the
//! decoder keeps the last value silently and connect-go (protojson) rejects the message. Only
//! fields the message declares count: a field given once as `runner_id` and once as `runnerId`
//! is a duplicate, while unknown fields are skipped unread, as protojson skips them.

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Ends the walk at an unknown field under `--strict`: the decoder rejects the message for that
/// field, and protojson reports whichever problem comes first in the body.
const LEFT_TO_THE_DECODER: &str = "unknown field, left to the decoder";

/// Checks every object of `body` that stands for a message of type `desc` (or for a map field)
/// and returns the first duplicated field or map key as an error.
pub fn find_duplicate(desc: &MessageDescriptor, body: &[u8], strict: bool) -> Result<(), String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let walk = Walk {
        shape: Shape::Message(desc.clone()),
        strict,
    };
    match walk.deserialize(&mut deserializer) {
        Ok(()) => Ok(()),
        Err(e) if e.is_data() => {
            let reason = e.to_string();
            let reason = reason.split(" at line").next().unwrap_or_default();
            if reason == LEFT_TO_THE_DECODER {
                Ok(())
            } else {
                Err(reason.to_string())
            }
        }
        // Syntax errors are the decoder's to report, with its own wording.
        Err(_) => Ok(()),
    }
}

/// What a JSON value stands for in the message being decoded.
#[derive(Clone)]
enum Shape {
    Message(MessageDescriptor),
    /// A repeated field: an array of values of the field's kind.
    List(FieldDescriptor),
    /// A map field: an object whose keys are map keys, not field names.
    Map(FieldDescriptor),
    /// A scalar, or a well-known type whose JSON form is not its fields (`Timestamp` is a
    /// string): nothing inside can be a duplicate field.
    Opaque,
}

impl Shape {
    /// The shape of a field's value as it appears in its message's JSON object.
    fn of_field(field: &FieldDescriptor) -> Shape {
        if field.is_map() {
            Shape::Map(field.clone())
        } else if field.is_list() {
            Shape::List(field.clone())
        } else {
            Shape::of_kind(&field.kind())
        }
    }

    fn of_kind(kind: &Kind) -> Shape {
        match kind {
            Kind::Message(m) if !m.full_name().starts_with("google.protobuf.") => {
                Shape::Message(m.clone())
            }
            _ => Shape::Opaque,
        }
    }
}

/// Walks one JSON value of a known shape. Values of another type than the shape expects are
/// skipped: the decoder reports them with its own wording.
struct Walk {
    shape: Shape,
    strict: bool,
}

impl Walk {
    fn inner(&self, shape: Shape) -> Walk {
        Walk {
            shape,
            strict: self.strict,
        }
    }

    fn message<'de, A: MapAccess<'de>>(
        &self,
        desc: &MessageDescriptor,
        mut map: A,
    ) -> Result<(), A::Error> {
        let mut seen: Vec<(u32, String)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let field = desc
                .get_field_by_json_name(&key)
                .or_else(|| desc.get_field_by_name(&key));
            let Some(field) = field else {
                if self.strict {
                    return Err(de::Error::custom(LEFT_TO_THE_DECODER));
                }
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Some((_, first)) = seen.iter().find(|(n, _)| *n == field.number()) {
                let also = if *first == key {
                    String::new()
                } else {
                    format!(" (also given as \"{first}\")")
                };
                return Err(de::Error::custom(format!(
                    "duplicate field \"{key}\"{also}"
                )));
            }
            map.next_value_seed(self.inner(Shape::of_field(&field)))?;
            seen.push((field.number(), key));
        }
        Ok(())
    }

    fn map_entries<'de, A: MapAccess<'de>>(
        &self,
        field: &FieldDescriptor,
        mut map: A,
    ) -> Result<(), A::Error> {
        let value_shape = match field.kind() {
            Kind::Message(entry) => Shape::of_kind(&entry.map_entry_value_field().kind()),
            _ => Shape::Opaque,
        };
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("duplicate map key \"{key}\"")));
            }
            map.next_value_seed(self.inner(value_shape.clone()))?;
            seen.push(key);
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Walk {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.shape {
            Shape::Opaque => d.deserialize_ignored_any(IgnoredAny).map(|_| ()),
            _ => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match &self.shape {
            Shape::Message(desc) => self.message(desc, map),
            Shape::Map(field) => self.map_entries(field, map),
            Shape::List(_) | Shape::Opaque => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(())
            }
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let element = match &self.shape {
            Shape::List(field) => Shape::of_kind(&field.kind()),
            _ => Shape::Opaque,
        };
        while seq
            .next_element_seed(self.inner(element.clone()))?
            .is_some()
        {}
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::Contract;

    fn check(method: &str, body: &str) -> Result<(), String> {
        let contract = Contract::load();
        let desc = &contract.procedure(method).unwrap().input;
        find_duplicate(desc, body.as_bytes(), false)
    }

    #[test]
    fn same_name_twice_is_a_duplicate() {
        let err = check("GetSCMIntegration", r#"{"id":"a","id":"b"}"#).unwrap_err();
        assert_eq!(err, "duplicate field \"id\"");
    }

    #[test]
    fn snake_and_camel_spellings_collide() {
        let body = r#"{"runnerId":"a","runner_id":"b"}"#;
        let err = check("GetRunnerConfigurationSchema", body).unwrap_err();
        assert_eq!(
            err,
            "duplicate field \"runner_id\" (also given as \"runnerId\")"
        );
    }

    #[test]
    fn a_null_counts_as_given() {
        let body = r#"{"id":null,"id":"b"}"#;
        assert!(check("GetSCMIntegration", body).is_err());
    }

    #[test]
    fn nested_messages_are_checked_and_siblings_are_not_confused() {
        let list = "ListSCMIntegrations";
        let nested = r#"{"filter":{"runnerIds":[],"runner_ids":[]}}"#;
        assert!(check(list, nested).is_err());
        let siblings = r#"{"filter":{"runnerIds":[]},"pagination":{"pageSize":1}}"#;
        assert!(check(list, siblings).is_ok());
        let config = r#"{"configuration":[{"key":"a","key":"b"}]}"#;
        assert!(check("CreateEnvironmentClass", config).is_err());
        let elements = r#"{"configuration":[{"key":"a"},{"key":"b"}]}"#;
        assert!(check("CreateEnvironmentClass", elements).is_ok());
    }

    #[test]
    fn unknown_fields_may_repeat_at_any_depth() {
        let get = "GetSCMIntegration";
        assert!(check(get, r#"{"id":"a","extra":1,"extra":2}"#).is_ok());
        assert!(check(get, r#"{"extra":{"x":1,"x":2}}"#).is_ok());
        let nested = r#"{"filter":{"other":1,"other":2},"pagination":{"x":[],"x":[]}}"#;
        assert!(check("ListSCMIntegrations", nested).is_ok());
    }

    #[test]
    fn under_strict_an_unknown_field_is_left_to_the_decoder() {
        let contract = Contract::load();
        let desc = &contract.procedure("GetSCMIntegration").unwrap().input;
        let body = br#"{"extra":1,"id":"a","id":"b"}"#;
        assert_eq!(find_duplicate(desc, body, true), Ok(()));
        assert!(find_duplicate(desc, br#"{"id":"a","id":"b","extra":1}"#, true).is_err());
    }

    #[test]
    fn values_of_the_wrong_type_are_left_to_the_decoder() {
        let list = "ListSCMIntegrations";
        assert!(check(list, r#"{"filter":[{"runnerIds":1,"runnerIds":2}]}"#).is_ok());
        assert!(check(list, r#"{"filter":"x","pagination":7}"#).is_ok());
        assert!(check(list, r#"{"filter":{"#).is_ok(), "a syntax error");
    }
}
