//! The values inside a message: a field by its shape (`Field`), the items of a list
//! (`Items`), and one value with its key (`Single`), nested messages opened as `Message`s.

use super::super::{base64_bytes, timestamp};
use super::Message;
use crate::codec::serializer::{decline, decline_rest, integers, transparent, Decline, Result};
use crate::contract::json_plan::{FieldPlan, KindPlan, Plans, Shape};
use prost::encoding::{encode_key, encode_varint, WireType};
use serde::ser::{self, Impossible, Serialize};

/// A field's value by the field's shape: a list's items each with the field's key, or one
/// value. Map fields are left to the reference.
pub(super) struct Field<'a> {
    pub(super) plans: &'a Plans,
    pub(super) field: &'a FieldPlan,
    pub(super) out: &'a mut Vec<u8>,
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
pub(super) struct Items<'a> {
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
pub(super) struct Single<'a> {
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
