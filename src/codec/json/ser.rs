//! The serde `Serializer` behind `json::write`: it receives any `Serialize` value (typed records,
//! `serde_json::Value`) and writes proto3 JSON for the message type its plan describes, field
//! by field, leaving out defaults without presence and empty lists and maps. Anything the plan
//! does not expect fails with `Decline`, and `encode` takes the reference path instead.

use crate::codec::serializer::{decline, decline_rest, Decline, KeyText, Result};
use crate::contract::json_plan::{Plans, Shape};
use serde::ser::{self, Impossible, Serialize};

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
