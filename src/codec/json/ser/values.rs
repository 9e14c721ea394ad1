//! The values inside a message: a field by its shape (`Field`), one value of a kind
//! (`Single`), and the elements of lists and entries of maps (`Items`).

use super::Message;
use crate::codec::json::canonical_timestamp;
use crate::codec::serializer::{
    decline, decline_rest, integers, transparent, Decline, KeyText, Result,
};
use crate::contract::json_plan::{FieldPlan, KindPlan, Plans, Shape};
use crate::json_text::write_string as string;
use serde::ser::{self, Impossible, Serialize};

/// A field's value: a list, a map or a single value, by the field's shape. Returns whether
/// anything was written.
pub(super) struct Field<'a> {
    pub(super) plans: &'a Plans,
    pub(super) field: &'a FieldPlan,
    pub(super) out: &'a mut Vec<u8>,
}

/// One value of a kind; `keep_default` for presence, list items and map values.
pub(super) struct Single<'a> {
    plans: &'a Plans,
    kind: &'a KindPlan,
    out: &'a mut Vec<u8>,
    keep_default: bool,
}

/// The elements of a list or the entries of a map field.
pub(super) struct Items<'a> {
    plans: &'a Plans,
    kind: &'a KindPlan,
    out: &'a mut Vec<u8>,
    count: usize,
}

impl Items<'_> {
    fn comma(&mut self) {
        if self.count > 0 {
            self.out.push(b',');
        }
        self.count += 1;
    }

    /// One element or map value; an item is always written, so a null one is declined.
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let written = value.serialize(Single {
            plans: self.plans,
            kind: self.kind,
            out: self.out,
            keep_default: true,
        })?;
        if written {
            Ok(())
        } else {
            Err(Decline)
        }
    }

    fn close(self, bracket: u8) -> Result<bool> {
        self.out.push(bracket);
        Ok(self.count > 0)
    }
}

impl ser::SerializeSeq for Items<'_> {
    type Ok = bool;
    type Error = Decline;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.comma();
        self.value(value)
    }

    fn end(self) -> Result<bool> {
        self.close(b']')
    }
}

impl ser::SerializeMap for Items<'_> {
    type Ok = bool;
    type Error = Decline;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        let key = key.serialize(KeyText)?;
        self.comma();
        string(&key, self.out);
        self.out.push(b':');
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.value(value)
    }

    fn end(self) -> Result<bool> {
        self.close(b'}')
    }
}

/// A field given as a JSON object: a map field's entries, or a message.
pub(super) enum FieldMap<'a> {
    Entries(Items<'a>),
    Message(Message<'a>),
}

impl ser::SerializeMap for FieldMap<'_> {
    type Ok = bool;
    type Error = Decline;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        match self {
            FieldMap::Entries(items) => ser::SerializeMap::serialize_key(items, key),
            FieldMap::Message(message) => ser::SerializeMap::serialize_key(message, key),
        }
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        match self {
            FieldMap::Entries(items) => ser::SerializeMap::serialize_value(items, value),
            FieldMap::Message(message) => ser::SerializeMap::serialize_value(message, value),
        }
    }

    fn end(self) -> Result<bool> {
        match self {
            FieldMap::Entries(items) => ser::SerializeMap::end(items),
            FieldMap::Message(message) => ser::SerializeMap::end(message),
        }
    }
}

impl<'a> ser::Serializer for Field<'a> {
    type Ok = bool;
    type Error = Decline;
    type SerializeSeq = Items<'a>;
    type SerializeMap = FieldMap<'a>;
    type SerializeStruct = Message<'a>;
    type SerializeTuple = Impossible<bool, Decline>;
    type SerializeTupleStruct = Impossible<bool, Decline>;
    type SerializeTupleVariant = Impossible<bool, Decline>;
    type SerializeStructVariant = Impossible<bool, Decline>;

    transparent!(false);

    fn serialize_seq(self, _: Option<usize>) -> Result<Items<'a>> {
        if self.field.shape != Shape::List {
            return Err(Decline);
        }
        self.out.push(b'[');
        Ok(Items {
            plans: self.plans,
            kind: &self.field.kind,
            out: self.out,
            count: 0,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<FieldMap<'a>> {
        if self.field.shape != Shape::Map {
            return self.single()?.serialize_map(len).map(FieldMap::Message);
        }
        self.out.push(b'{');
        Ok(FieldMap::Entries(Items {
            plans: self.plans,
            kind: &self.field.kind,
            out: self.out,
            count: 0,
        }))
    }

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Message<'a>> {
        self.single()?.serialize_struct(name, len)
    }

    fn serialize_bool(self, b: bool) -> Result<bool> {
        self.single()?.serialize_bool(b)
    }

    fn serialize_str(self, s: &str) -> Result<bool> {
        self.single()?.serialize_str(s)
    }

    integers!();

    decline_rest!();
}

impl<'a> Field<'a> {
    /// The field as a single value; a list or map field given one is declined.
    fn single(self) -> Result<Single<'a>> {
        if self.field.shape != Shape::Single {
            return Err(Decline);
        }
        Ok(Single {
            plans: self.plans,
            kind: &self.field.kind,
            out: self.out,
            keep_default: self.field.presence,
        })
    }

    fn integer(self, n: i128) -> Result<bool> {
        self.single()?.integer(n)
    }
}

impl<'a> Single<'a> {
    fn integer(self, n: i128) -> Result<bool> {
        let range = match self.kind {
            KindPlan::I64 => i128::from(i64::MIN)..=i128::from(i64::MAX),
            KindPlan::U64 => 0..=i128::from(u64::MAX),
            KindPlan::I32 => i128::from(i32::MIN)..=i128::from(i32::MAX),
            KindPlan::U32 => 0..=i128::from(u32::MAX),
            KindPlan::Enum(values) => {
                let number = i32::try_from(n).map_err(|_| Decline)?;
                return match values.iter().find(|(v, _)| *v == number) {
                    Some((_, name)) => self.enum_name(number, name),
                    // Proto3 enums are open: an unnamed number is written as the number.
                    None => {
                        self.out.extend_from_slice(number.to_string().as_bytes());
                        Ok(true)
                    }
                };
            }
            _ => return Err(Decline),
        };
        if !range.contains(&n) {
            return Err(Decline);
        }
        if n == 0 && !self.keep_default {
            return Ok(false);
        }
        // 64-bit integers are strings in proto3 JSON.
        let text = n.to_string();
        if matches!(self.kind, KindPlan::I64 | KindPlan::U64) {
            string(&text, self.out);
        } else {
            self.out.extend_from_slice(text.as_bytes());
        }
        Ok(true)
    }

    fn enum_name(self, number: i32, name: &str) -> Result<bool> {
        if number == 0 && !self.keep_default {
            return Ok(false);
        }
        string(name, self.out);
        Ok(true)
    }
}

impl<'a> ser::Serializer for Single<'a> {
    type Ok = bool;
    type Error = Decline;
    type SerializeSeq = Impossible<bool, Decline>;
    type SerializeMap = Message<'a>;
    type SerializeStruct = Message<'a>;
    type SerializeTuple = Impossible<bool, Decline>;
    type SerializeTupleStruct = Impossible<bool, Decline>;
    type SerializeTupleVariant = Impossible<bool, Decline>;
    type SerializeStructVariant = Impossible<bool, Decline>;

    transparent!(false);

    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Decline)
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Message<'a>> {
        match self.kind {
            KindPlan::Message(index)
                if !self.plans.messages[*index].opaque
                    && !self.plans.messages[*index].timestamp =>
            {
                Ok(Message::new(self.plans, *index, self.out, false))
            }
            _ => Err(Decline),
        }
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Message<'a>> {
        self.serialize_map(None)
    }

    fn serialize_bool(self, b: bool) -> Result<bool> {
        if !matches!(self.kind, KindPlan::Bool) {
            return Err(Decline);
        }
        if !b && !self.keep_default {
            return Ok(false);
        }
        self.out
            .extend_from_slice(if b { b"true" } else { b"false" });
        Ok(true)
    }

    fn serialize_str(self, s: &str) -> Result<bool> {
        match self.kind {
            KindPlan::String => {
                if s.is_empty() && !self.keep_default {
                    return Ok(false);
                }
                string(s, self.out);
                Ok(true)
            }
            KindPlan::Enum(values) => {
                let number = values.iter().find(|(_, n)| n == s).ok_or(Decline)?.0;
                self.enum_name(number, s)
            }
            KindPlan::I64 | KindPlan::U64 | KindPlan::I32 | KindPlan::U32 => {
                let n: i128 = s.parse().map_err(|_| Decline)?;
                self.integer(n)
            }
            KindPlan::Message(index) if self.plans.messages[*index].timestamp => {
                if !canonical_timestamp(s) {
                    return Err(Decline);
                }
                string(s, self.out);
                Ok(true)
            }
            _ => Err(Decline),
        }
    }

    integers!();

    decline_rest!();
}
