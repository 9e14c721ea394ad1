//! Checks a JSON body against its message type before the proto3 JSON decoder reads it, the
//! way protojson (connect-go's JSON codec) checks while it decodes: duplicate fields, values
//! of the wrong type, two members of one oneof, and under `--strict` unknown fields and enum
//! names. The first problem in document order is reported in protojson's words, with the
//! field named by its path (`filter.runnerIds[1]`), so the decoder never sees a wrong type and
//! its own wording, which names no field, is left for syntax errors.
//!
//! Where protojson and the decoder (prost-reflect) disagree on what a value may be, the check
//! accepts only what both do: a number in a string is an integer without fraction or exponent,
//! and an enum given as a JSON number must be a whole number. Fields the message does not
//! declare are skipped unread, as protojson skips them.

mod values;

use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor, OneofDescriptor};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use values::{kind_name, map_key_fits, Raw};

/// Checks every value of `body` against the message type `desc` and returns the first problem.
/// JSON that does not parse passes: the decoder reports it with its own wording.
pub(super) fn check(desc: &MessageDescriptor, body: &[u8], strict: bool) -> Result<(), String> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let walk = Walk {
        shape: Shape::Message(desc.clone()),
        strict,
        path: Path::Root,
        nullable: false,
        field: None,
    };
    match walk.deserialize(&mut deserializer) {
        Err(e) if e.is_data() => {
            // serde_json appends the position to a custom error; the reason is what precedes it.
            let text = e.to_string();
            let reason = text.rsplit_once(" at line ").map_or(&*text, |(r, _)| r);
            Err(reason.to_string())
        }
        _ => Ok(()),
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
    /// A scalar or an enum; also a wrapper type (`Int32Value`), whose JSON is its value's.
    Scalar(Kind),
    /// A well-known type written as a JSON string (`Timestamp`, `Duration`, `FieldMask`).
    Text(MessageDescriptor),
    /// `Struct`, `Value`, `ListValue` and `Any`, whose JSON is free-form: left to the decoder.
    Opaque,
}

const TEXT_TYPES: &[&str] = &[
    "google.protobuf.Timestamp",
    "google.protobuf.Duration",
    "google.protobuf.FieldMask",
];
const WRAPPER_TYPES: &[&str] = &[
    "google.protobuf.BoolValue",
    "google.protobuf.BytesValue",
    "google.protobuf.DoubleValue",
    "google.protobuf.FloatValue",
    "google.protobuf.Int32Value",
    "google.protobuf.Int64Value",
    "google.protobuf.StringValue",
    "google.protobuf.UInt32Value",
    "google.protobuf.UInt64Value",
];
const FREE_FORM_TYPES: &[&str] = &[
    "google.protobuf.Any",
    "google.protobuf.ListValue",
    "google.protobuf.Struct",
    "google.protobuf.Value",
];

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
        let Kind::Message(m) = kind else {
            return Shape::Scalar(kind.clone());
        };
        let name = m.full_name();
        if TEXT_TYPES.contains(&name) {
            Shape::Text(m.clone())
        } else if WRAPPER_TYPES.contains(&name) {
            m.get_field(1)
                .map_or(Shape::Opaque, |value| Shape::Scalar(value.kind()))
        } else if FREE_FORM_TYPES.contains(&name) {
            Shape::Opaque
        } else {
            Shape::Message(m.clone())
        }
    }

    /// What the value should be, in protojson's words: `bool`, `message`, `repeated string`.
    fn expected(&self) -> String {
        match self {
            Shape::Message(_) => "message".into(),
            Shape::List(field) => format!("repeated {}", kind_name(&field.kind())),
            Shape::Map(_) => "map".into(),
            Shape::Scalar(kind) => kind_name(kind).into(),
            Shape::Text(m) => m.full_name().into(),
            Shape::Opaque => "value".into(),
        }
    }
}

/// Where a value sits in the body, for messages: `filter.runnerIds[1]`, `labels["k"]`.
#[derive(Clone, Copy)]
enum Path<'p> {
    Root,
    Field(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
    Key(&'p Path<'p>, &'p str),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Path::Root => Ok(()),
            Path::Field(Path::Root, name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
            Path::Key(parent, key) => write!(f, "{parent}[{key:?}]"),
        }
    }
}

/// Walks one JSON value of a known shape. Its result is whether the value was present: a
/// `null` field is unset, as in protojson.
struct Walk<'p> {
    shape: Shape,
    strict: bool,
    path: Path<'p>,
    /// A field's value may be null; a list element, a map value or the body may not.
    nullable: bool,
    /// The field the value belongs to (through list indexes and map keys); none for the body.
    field: Option<&'p FieldDescriptor>,
}

impl<'p> Walk<'p> {
    /// The walk of a value inside this one: an element or map value of the same field.
    fn inner<'q>(&'q self, shape: Shape, path: Path<'q>, nullable: bool) -> Walk<'q> {
        self.of_field(shape, path, nullable, self.field)
    }

    fn of_field<'q>(
        &'q self,
        shape: Shape,
        path: Path<'q>,
        nullable: bool,
        field: Option<&'q FieldDescriptor>,
    ) -> Walk<'q> {
        Walk {
            shape,
            strict: self.strict,
            path,
            nullable,
            field,
        }
    }

    /// The error for a value that does not fit the shape, as protojson words it; a secret
    /// field's value is not repeated.
    fn wrong<E: de::Error>(&self, raw: Raw<'_>) -> E {
        if let Path::Root = self.path {
            return E::custom(format!("a message must be a JSON object, got {raw}"));
        }
        let (expected, path) = (self.shape.expected(), self.path);
        let secret = self.field.is_some_and(crate::secrets::is_secret);
        if secret {
            return E::custom(format!("invalid value for {expected} field {path}"));
        }
        E::custom(format!("invalid value for {expected} field {path}: {raw}"))
    }

    fn fits<E: de::Error>(&self, fits: bool, raw: Raw<'_>) -> Result<bool, E> {
        if fits {
            Ok(true)
        } else {
            Err(self.wrong(raw))
        }
    }

    fn message<'de, A: MapAccess<'de>>(
        &self,
        desc: &MessageDescriptor,
        mut map: A,
    ) -> Result<bool, A::Error> {
        let mut seen: Vec<(u32, String)> = Vec::new();
        let mut oneofs: Vec<OneofDescriptor> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let field = desc
                .get_field_by_json_name(&key)
                .or_else(|| desc.get_field_by_name(&key));
            let Some(field) = field else {
                if self.strict {
                    return Err(de::Error::custom(match self.path {
                        Path::Root => format!("unknown field {key:?}"),
                        path => format!("unknown field {key:?} in {path}"),
                    }));
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
            let path = Path::Field(&self.path, field.json_name());
            let walk = self.of_field(Shape::of_field(&field), path, true, Some(&field));
            let present = map.next_value_seed(walk)?;
            let oneof = field.containing_oneof().filter(|o| !o.is_synthetic());
            if let Some(oneof) = oneof.filter(|_| present) {
                if oneofs.contains(&oneof) {
                    return Err(de::Error::custom(format!(
                        "error parsing \"{key}\", oneof {} is already set",
                        oneof.full_name()
                    )));
                }
                oneofs.push(oneof);
            }
            seen.push((field.number(), key));
        }
        Ok(true)
    }

    fn map_entries<'de, A: MapAccess<'de>>(
        &self,
        field: &FieldDescriptor,
        mut map: A,
    ) -> Result<bool, A::Error> {
        let Kind::Message(entry) = field.kind() else {
            unreachable!("map fields are entry messages")
        };
        let key_kind = entry.map_entry_key_field().kind();
        let value_shape = Shape::of_kind(&entry.map_entry_value_field().kind());
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if !map_key_fits(&key_kind, &key) {
                return Err(de::Error::custom(format!(
                    "invalid value for {} key of map field {}: {:?}",
                    kind_name(&key_kind),
                    self.path,
                    key
                )));
            }
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("duplicate map key \"{key}\"")));
            }
            let path = Path::Key(&self.path, &key);
            map.next_value_seed(self.inner(value_shape.clone(), path, false))?;
            seen.push(key);
        }
        Ok(true)
    }

    fn integer<E: de::Error>(&self, n: i128) -> Result<bool, E> {
        let fits = match &self.shape {
            Shape::Scalar(Kind::Float | Kind::Double) => true,
            Shape::Scalar(Kind::Enum(_)) => i32::try_from(n).is_ok(),
            Shape::Scalar(kind) => values::integer_range(kind).is_some_and(|r| r.contains(&n)),
            _ => false,
        };
        self.fits(fits, Raw::Integer(n))
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = bool;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        match self.shape {
            Shape::Opaque => d.deserialize_ignored_any(IgnoredAny).map(|_| true),
            _ => d.deserialize_any(self),
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a JSON value for a {} field", self.shape.expected())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        match &self.shape {
            Shape::Message(desc) => self.message(desc, map),
            Shape::Map(field) => self.map_entries(field, map),
            _ => Err(self.wrong(Raw::Object)),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let Shape::List(field) = &self.shape else {
            return Err(self.wrong(Raw::Array));
        };
        let element = Shape::of_kind(&field.kind());
        let mut index = 0;
        loop {
            let path = Path::Index(&self.path, index);
            let walk = self.inner(element.clone(), path, false);
            if seq.next_element_seed(walk)?.is_none() {
                return Ok(true);
            }
            index += 1;
        }
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<bool, E> {
        self.fits(
            matches!(self.shape, Shape::Scalar(Kind::Bool)),
            Raw::Bool(b),
        )
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<bool, E> {
        self.integer(n.into())
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<bool, E> {
        self.integer(n.into())
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<bool, E> {
        let fits = match &self.shape {
            Shape::Scalar(Kind::Double) => true,
            Shape::Scalar(Kind::Float) => x.abs() <= f64::from(f32::MAX),
            Shape::Scalar(kind) => values::whole_in_range(kind, x),
            _ => false,
        };
        self.fits(fits, Raw::Float(x))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
        let fits = match &self.shape {
            Shape::Scalar(kind) => values::text_fits(kind, s, self.strict),
            Shape::Text(m) => values::well_known_text_fits(m, s),
            _ => false,
        };
        self.fits(fits, Raw::String(s))
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        if self.nullable {
            return Ok(false);
        }
        Err(self.wrong(Raw::Null))
    }
}

#[cfg(test)]
mod tests;
