//! The serde `Serializer` behind `proto::write`: it receives any `Serialize` value (typed
//! records, `serde_json::Value`) in its proto3 JSON shape and writes protobuf for the message
//! type its plan describes, field by field, leaving out defaults without presence. Nested
//! messages are written in place, their length patched in when they end. Anything the plan
//! does not expect fails with `Decline`, and `encode` takes the reference path instead.

use super::{base64_bytes, timestamp};
use crate::codec::serializer::{
    decline, decline_rest, integers, transparent, Decline, KeyText, Result,
};
use crate::contract::json_plan::{FieldPlan, KindPlan, Plans, Shape};
use prost::encoding::{encode_key, encode_varint, WireType};
use serde::ser::{self, Impossible, Serialize};

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
struct Message<'a> {
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
    fn new(plans: &'a Plans, index: usize, out: &'a mut Vec<u8>, nested: bool) -> Self {
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

/// A field's value by the field's shape: a list's items each with the field's key, or one
/// value. Map fields are left to the reference.
struct Field<'a> {
    plans: &'a Plans,
    field: &'a FieldPlan,
    out: &'a mut Vec<u8>,
}

impl<'a> Field<'a> {
    fn single(self) -> Result<Single<'a>> {
        if self.field.shape != Shape::Single {
            return Err(Decline);
        }
        Ok(Single {
            plans: self.plans,
            field: self.field,
            out: self.out,
            keep_default: self.field.presence,
        })
    }

    fn integer(self, n: i128) -> Result<()> {
        self.single()?.integer(n)
    }
}

impl<'a> ser::Serializer for Field<'a> {
    type Ok = ();
    type Error = Decline;
    type SerializeSeq = Items<'a>;
    type SerializeMap = Message<'a>;
    type SerializeStruct = Message<'a>;
    type SerializeTuple = Impossible<(), Decline>;
    type SerializeTupleStruct = Impossible<(), Decline>;
    type SerializeTupleVariant = Impossible<(), Decline>;
    type SerializeStructVariant = Impossible<(), Decline>;

    transparent!(());

    fn serialize_seq(self, _: Option<usize>) -> Result<Items<'a>> {
        if self.field.shape != Shape::List {
            return Err(Decline);
        }
        Ok(Items {
            plans: self.plans,
            field: self.field,
            out: self.out,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Message<'a>> {
        self.single()?.serialize_map(len)
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Message<'a>> {
        self.single()?.serialize_struct(name, len)
    }

    fn serialize_bool(self, b: bool) -> Result<()> {
        self.single()?.serialize_bool(b)
    }

    fn serialize_str(self, s: &str) -> Result<()> {
        self.single()?.serialize_str(s)
    }

    integers!();

    decline_rest!();
}

/// The items of a list field, each written whole (with its key), defaults included.
struct Items<'a> {
    plans: &'a Plans,
    field: &'a FieldPlan,
    out: &'a mut Vec<u8>,
}

impl ser::SerializeSeq for Items<'_> {
    type Ok = ();
    type Error = Decline;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let before = self.out.len();
        value.serialize(Single {
            plans: self.plans,
            field: self.field,
            out: self.out,
            keep_default: true,
        })?;
        match self.out.len() > before {
            true => Ok(()),
            false => Err(Decline), // a null item
        }
    }

    fn end(self) -> Result<()> {
        Ok(())
    }
}

/// One value of a field, with its key; a default is left out unless `keep_default`
/// (presence, or a list item).
struct Single<'a> {
    plans: &'a Plans,
    field: &'a FieldPlan,
    out: &'a mut Vec<u8>,
    keep_default: bool,
}

impl Single<'_> {
    fn varint(self, n: u64) -> Result<()> {
        if n != 0 || self.keep_default {
            encode_key(self.field.number, WireType::Varint, self.out);
            encode_varint(n, self.out);
        }
        Ok(())
    }

    fn delimited(self, bytes: &[u8]) -> Result<()> {
        encode_key(self.field.number, WireType::LengthDelimited, self.out);
        encode_varint(bytes.len() as u64, self.out);
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    fn integer(self, n: i128) -> Result<()> {
        let fits = |range: std::ops::RangeInclusive<i128>| match range.contains(&n) {
            true => Ok(n),
            false => Err(Decline),
        };
        let n = match self.field.kind {
            KindPlan::I64 => fits(i128::from(i64::MIN)..=i128::from(i64::MAX))?,
            KindPlan::U64 => fits(0..=i128::from(u64::MAX))?,
            KindPlan::I32 | KindPlan::Enum(_) => fits(i128::from(i32::MIN)..=i128::from(i32::MAX))?,
            KindPlan::U32 => fits(0..=i128::from(u32::MAX))?,
            _ => return Err(Decline),
        };
        // Negative numbers are ten-byte varints of their 64-bit two's complement.
        let wire = match n < 0 {
            true => n as i64 as u64,
            false => n as u64,
        };
        self.varint(wire)
    }
}

impl<'a> ser::Serializer for Single<'a> {
    type Ok = ();
    type Error = Decline;
    type SerializeSeq = Impossible<(), Decline>;
    type SerializeMap = Message<'a>;
    type SerializeStruct = Message<'a>;
    type SerializeTuple = Impossible<(), Decline>;
    type SerializeTupleStruct = Impossible<(), Decline>;
    type SerializeTupleVariant = Impossible<(), Decline>;
    type SerializeStructVariant = Impossible<(), Decline>;

    transparent!(());

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Decline)
    }

    /// A nested message: its key now, its length when it ends. A message field has presence,
    /// so an empty one is still written.
    fn serialize_map(self, _: Option<usize>) -> Result<Message<'a>> {
        match self.field.kind {
            KindPlan::Message(index)
                if !self.plans.messages[index].opaque && !self.plans.messages[index].timestamp =>
            {
                encode_key(self.field.number, WireType::LengthDelimited, self.out);
                Ok(Message::new(self.plans, index, self.out, true))
            }
            _ => Err(Decline),
        }
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Message<'a>> {
        self.serialize_map(None)
    }

    fn serialize_bool(self, b: bool) -> Result<()> {
        match self.field.kind {
            KindPlan::Bool => self.varint(u64::from(b)),
            _ => Err(Decline),
        }
    }

    fn serialize_str(self, s: &str) -> Result<()> {
        match &self.field.kind {
            KindPlan::String if s.is_empty() && !self.keep_default => Ok(()),
            KindPlan::String => self.delimited(s.as_bytes()),
            KindPlan::Enum(values) => {
                let number = values.iter().find(|(_, name)| name == s).ok_or(Decline)?.0;
                self.integer(i128::from(number))
            }
            KindPlan::I64 | KindPlan::U64 | KindPlan::I32 | KindPlan::U32 => {
                self.integer(s.parse().map_err(|_| Decline)?)
            }
            KindPlan::Message(index) if self.plans.messages[*index].timestamp => {
                let (seconds, nanos) = timestamp(s).ok_or(Decline)?;
                let mut body = Vec::with_capacity(16);
                if seconds != 0 {
                    encode_key(1, WireType::Varint, &mut body);
                    encode_varint(seconds as u64, &mut body);
                }
                if nanos != 0 {
                    encode_key(2, WireType::Varint, &mut body);
                    encode_varint(u64::from(nanos), &mut body);
                }
                self.delimited(&body)
            }
            KindPlan::Other if self.field.bytes => {
                let data = base64_bytes(s).ok_or(Decline)?;
                match data.is_empty() && !self.keep_default {
                    true => Ok(()),
                    false => self.delimited(&data),
                }
            }
            _ => Err(Decline),
        }
    }

    integers!();

    decline_rest!();
}
