//! The serde `Serializer` behind `proto::write`: it receives any `Serialize` value (typed
//! records, `serde_json::Value`) in its proto3 JSON shape and writes protobuf for the message
//! type its plan describes, field by field, leaving out defaults without presence. Nested
//! messages are written in place, their length patched in when they end. Anything the plan
//! does not expect fails with `Decline`, and `encode` takes the reference path instead.

use crate::codec::serializer::{decline, decline_rest, Decline, KeyText, Result};
use crate::contract::json_plan::Plans;
use prost::encoding::encode_varint;
use serde::ser::{self, Impossible, Serialize};

mod values;
use values::Field;

/// `value` as protobuf of the message with plan `index`.
pub(super) fn message<T: Serialize + ?Sized>(
    plans: &Plans,
    index: usize,
    value: &T,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(256);
    value
        .serialize(Root {
            plans,
            index,
            out: &mut out,
        })
        .ok()?;
    Some(out)
}

/// The top-level message, which must be an object.
struct Root<'a> {
    plans: &'a Plans,
    index: usize,
    out: &'a mut Vec<u8>,
}

/// Writes one message's fields; a nested one patches its length in when it ends.
pub(super) struct Message<'a> {
    plans: &'a Plans,
    index: usize,
    out: &'a mut Vec<u8>,
    /// Where a nested message's one-byte length placeholder is; None at the top.
    length_at: Option<usize>,
    /// The field numbers written (numbers of 64 and above are declined).
    emitted: u64,
    /// The oneofs (by index) with a member written.
    oneofs: u64,
    key: Option<String>,
    /// Where in declaration order the next field is likely to be.
    cursor: usize,
}

impl<'a> Message<'a> {
    pub(super) fn new(plans: &'a Plans, index: usize, out: &'a mut Vec<u8>, nested: bool) -> Self {
        let length_at = nested.then(|| {
            out.push(0);
            out.len() - 1
        });
        Message {
            plans,
            index,
            out,
            length_at,
            emitted: 0,
            oneofs: 0,
            key: None,
            cursor: 0,
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<()> {
        let plan = &self.plans.messages[self.index];
        let field = plan.next_field(name, &mut self.cursor).ok_or(Decline)?;
        let bit = 1u64.checked_shl(field.number).ok_or(Decline)?;
        if !field.binary || self.emitted & bit != 0 {
            return Err(Decline); // a kind left to the reference, or one field under two names
        }
        self.emitted |= bit;
        let before = self.out.len();
        value.serialize(Field {
            plans: self.plans,
            field,
            out: self.out,
        })?;
        if let Some(oneof) = field.oneof.filter(|_| self.out.len() > before) {
            let bit = 1u64.checked_shl(oneof as u32).ok_or(Decline)?;
            if self.oneofs & bit != 0 {
                return Err(Decline);
            }
            self.oneofs |= bit;
        }
        Ok(())
    }

    /// Ends the message: a nested one gets its length, in the placeholder byte when it fits.
    fn finish(self) -> Result<()> {
        if let Some(at) = self.length_at {
            let length = self.out.len() - at - 1;
            if length < 0x80 {
                self.out[at] = length as u8;
            } else {
                let mut prefix = Vec::with_capacity(5);
                encode_varint(length as u64, &mut prefix);
                self.out.splice(at..at + 1, prefix);
            }
        }
        Ok(())
    }
}

impl ser::SerializeStruct for Message<'_> {
    type Ok = ();
    type Error = Decline;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl ser::SerializeMap for Message<'_> {
    type Ok = ();
    type Error = Decline;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key = Some(key.serialize(KeyText)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or(Decline)?;
        self.field(&key, value)
    }

    fn end(self) -> Result<()> {
        self.finish()
    }
}

impl<'a> ser::Serializer for Root<'a> {
    type Ok = ();
    type Error = Decline;
    type SerializeSeq = Impossible<(), Decline>;
    type SerializeMap = Message<'a>;
    type SerializeStruct = Message<'a>;
    type SerializeTuple = Impossible<(), Decline>;
    type SerializeTupleStruct = Impossible<(), Decline>;
    type SerializeTupleVariant = Impossible<(), Decline>;
    type SerializeStructVariant = Impossible<(), Decline>;

    fn serialize_map(self, _: Option<usize>) -> Result<Message<'a>> {
        Ok(Message::new(self.plans, self.index, self.out, false))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Message<'a>> {
        Ok(Message::new(self.plans, self.index, self.out, false))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<()> {
        Err(Decline)
    }

    decline! {
        serialize_bool(bool) -> ();
        serialize_str(&str) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
    }

    decline_rest!();
}
