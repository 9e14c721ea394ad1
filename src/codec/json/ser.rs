//! The serde `Serializer` behind `json::write`: it receives any `Serialize` value (typed records,
//! `serde_json::Value`) and writes proto3 JSON for the message type its plan describes, field
//! by field, leaving out defaults without presence and empty lists and maps. Anything the plan
//! does not expect fails with `Decline`, and `encode` takes the reference path instead.

use crate::contract::json_plan::{Plans, Shape};
use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// "Not for the fast path": the value does not fit the plan, or uses a form it leaves to the
/// reference encoder.
#[derive(Debug)]
pub(super) struct Decline;

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("declined by the fast JSON encoder")
    }
}

impl std::error::Error for Decline {}

impl ser::Error for Decline {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Decline
    }
}

type Result<T> = std::result::Result<T, Decline>;

/// Writes one message: `{`, its fields, `}`.
pub(super) struct Message<'a> {
    pub plans: &'a Plans,
    pub index: usize,
    pub out: &'a mut Vec<u8>,
    /// At the top level, absent list fields are written as `[]`.
    pub top: bool,
    /// The fields written so far, as a set of field numbers (no allocation for a message).
    emitted: Numbers,
    /// The oneofs (by index) with a member written.
    oneofs: Numbers,
    key: Option<String>,
    /// Where in declaration order the next field is likely to be.
    cursor: usize,
}

impl<'a> Message<'a> {
    pub(super) fn new(plans: &'a Plans, index: usize, out: &'a mut Vec<u8>, top: bool) -> Self {
        out.push(b'{');
        Message {
            plans,
            index,
            out,
            top,
            emitted: Numbers::default(),
            oneofs: Numbers::default(),
            key: None,
            cursor: 0,
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<()> {
        let plan = &self.plans.messages[self.index];
        let field = plan.next_field(name, &mut self.cursor).ok_or(Decline)?;
        let start = self.out.len();
        if !self.emitted.is_empty() {
            self.out.push(b',');
        }
        self.out.extend_from_slice(&field.key);
        let written = value.serialize(Field {
            plans: self.plans,
            field,
            out: self.out,
        })?;
        if !written {
            self.out.truncate(start);
            return Ok(());
        }
        if let Some(oneof) = field.oneof {
            if !self.oneofs.insert(oneof as u32) {
                return Err(Decline);
            }
        }
        if !self.emitted.insert(field.number) {
            return Err(Decline); // the same field under two names
        }
        Ok(())
    }

    fn finish(self) -> Result<bool> {
        if self.top {
            let plan = &self.plans.messages[self.index];
            let mut any = !self.emitted.is_empty();
            let emitted = &self.emitted;
            for f in plan.fields.iter().filter(|f| f.shape == Shape::List) {
                if !emitted.contains(f.number) {
                    if any {
                        self.out.push(b',');
                    }
                    self.out.extend_from_slice(&f.key);
                    self.out.extend_from_slice(b"[]");
                    any = true;
                }
            }
        }
        self.out.push(b'}');
        Ok(true)
    }
}

impl ser::SerializeStruct for Message<'_> {
    type Ok = bool;
    type Error = Decline;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<bool> {
        self.finish()
    }
}

impl ser::SerializeMap for Message<'_> {
    type Ok = bool;
    type Error = Decline;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(KeyText)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or(Decline)?;
        self.field(&key, value)
    }

    fn end(self) -> Result<bool> {
        self.finish()
    }
}

/// A small set of numbers: a bitmask below 64, a list above (rare in real contracts).
#[derive(Default)]
struct Numbers {
    low: u64,
    high: Vec<u32>,
}

impl Numbers {
    /// Adds `n`; false if it was already there.
    fn insert(&mut self, n: u32) -> bool {
        if self.contains(n) {
            return false;
        }
        match 1u64.checked_shl(n) {
            Some(bit) => self.low |= bit,
            None => self.high.push(n),
        }
        true
    }

    fn contains(&self, n: u32) -> bool {
        match 1u64.checked_shl(n) {
            Some(bit) => self.low & bit != 0,
            None => self.high.contains(&n),
        }
    }

    fn is_empty(&self) -> bool {
        self.low == 0 && self.high.is_empty()
    }
}

/// A map key, which must be a string.
struct KeyText;

/// Declines every Serializer method not listed, so only the shapes a plan expects get through.
macro_rules! decline {
    ($($method:ident($($arg:ty),*) -> $ok:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$ok> { Err(Decline) })*
    };
}

/// The Serializer methods no field value may use.
macro_rules! decline_rest {
    () => {
        decline! {
            serialize_f32(f32) -> Self::Ok;
            serialize_f64(f64) -> Self::Ok;
            serialize_char(char) -> Self::Ok;
            serialize_bytes(&[u8]) -> Self::Ok;
            serialize_unit_struct(&'static str) -> Self::Ok;
            serialize_unit_variant(&'static str, u32, &'static str) -> Self::Ok;
            serialize_tuple(usize) -> Self::SerializeTuple;
            serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
            serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
            serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<Self::Ok> {
            Err(Decline)
        }
    };
}

/// Integers arrive through whichever `serialize_*` their Rust type picks.
macro_rules! integers {
    () => {
        integers!(@ serialize_i8(i8), serialize_i16(i16), serialize_i32(i32), serialize_i64(i64),
            serialize_u8(u8), serialize_u16(u16), serialize_u32(u32), serialize_u64(u64));
    };
    (@ $($method:ident($ty:ty)),*) => {
        $(fn $method(self, n: $ty) -> Result<bool> { self.integer(i128::from(n)) })*
    };
}

/// The Serializer methods that pass a value through unchanged: null and unit are unset.
macro_rules! transparent {
    () => {
        fn serialize_none(self) -> Result<bool> {
            Ok(false) // null is unset
        }

        fn serialize_unit(self) -> Result<bool> {
            Ok(false)
        }

        fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<bool> {
            value.serialize(self)
        }

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &T,
        ) -> Result<bool> {
            value.serialize(self)
        }
    };
}

mod values;
use values::Field;

/// The top-level message of an answer, which must be an object.
pub(super) struct Root<'a> {
    pub plans: &'a Plans,
    pub index: usize,
    pub out: &'a mut Vec<u8>,
}

impl<'a> ser::Serializer for Root<'a> {
    type Ok = bool;
    type Error = Decline;
    type SerializeSeq = Impossible<bool, Decline>;
    type SerializeMap = Message<'a>;
    type SerializeStruct = Message<'a>;
    type SerializeTuple = Impossible<bool, Decline>;
    type SerializeTupleStruct = Impossible<bool, Decline>;
    type SerializeTupleVariant = Impossible<bool, Decline>;
    type SerializeStructVariant = Impossible<bool, Decline>;

    fn serialize_map(self, _: Option<usize>) -> Result<Message<'a>> {
        Ok(Message::new(self.plans, self.index, self.out, true))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Message<'a>> {
        Ok(Message::new(self.plans, self.index, self.out, true))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<bool> {
        Err(Decline)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<bool> {
        value.serialize(self)
    }

    decline! {
        serialize_bool(bool) -> bool;
        serialize_str(&str) -> bool;
        serialize_i8(i8) -> bool;
        serialize_i16(i16) -> bool;
        serialize_i32(i32) -> bool;
        serialize_i64(i64) -> bool;
        serialize_u8(u8) -> bool;
        serialize_u16(u16) -> bool;
        serialize_u32(u32) -> bool;
        serialize_u64(u64) -> bool;
        serialize_none() -> bool;
        serialize_unit() -> bool;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
    }

    decline_rest!();
}

impl ser::Serializer for KeyText {
    type Ok = String;
    type Error = Decline;
    type SerializeSeq = Impossible<String, Decline>;
    type SerializeMap = Impossible<String, Decline>;
    type SerializeStruct = Impossible<String, Decline>;
    type SerializeTuple = Impossible<String, Decline>;
    type SerializeTupleStruct = Impossible<String, Decline>;
    type SerializeTupleVariant = Impossible<String, Decline>;
    type SerializeStructVariant = Impossible<String, Decline>;

    fn serialize_str(self, s: &str) -> Result<String> {
        Ok(s.to_string())
    }

    decline! {
        serialize_bool(bool) -> String;
        serialize_i8(i8) -> String;
        serialize_i16(i16) -> String;
        serialize_i32(i32) -> String;
        serialize_i64(i64) -> String;
        serialize_u8(u8) -> String;
        serialize_u16(u16) -> String;
        serialize_u32(u32) -> String;
        serialize_u64(u64) -> String;
        serialize_none() -> String;
        serialize_unit() -> String;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<String> {
        Err(Decline)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<String> {
        value.serialize(self)
    }

    decline_rest!();
}
