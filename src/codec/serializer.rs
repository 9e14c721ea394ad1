//! What the two plan-driven serializers (`json::ser` and `proto::ser`) share: `Decline`, the
//! error that sends an answer to the reference encoder; `KeyText`, which reads a map key; and
//! the macros that list the `Serializer` methods a plan declines or passes through.

use serde::ser::{self, Impossible, Serialize};
use std::fmt;

/// "Not for the fast path": the value does not fit the plan, or uses a form it leaves to the
/// reference encoder.
#[derive(Debug)]
pub(crate) struct Decline;

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("declined by the fast encoder")
    }
}

impl std::error::Error for Decline {}

impl ser::Error for Decline {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Decline
    }
}

pub(crate) type Result<T> = std::result::Result<T, Decline>;

/// A map key, which must be a string.
pub(crate) struct KeyText;

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
        $(fn $method(self, n: $ty) -> Result<Self::Ok> { self.integer(i128::from(n)) })*
    };
}

/// The Serializer methods that pass a value through unchanged: null and unit are unset, and
/// answer `$unset`.
macro_rules! transparent {
    ($unset:expr) => {
        fn serialize_none(self) -> Result<Self::Ok> {
            Ok($unset) // null is unset
        }

        fn serialize_unit(self) -> Result<Self::Ok> {
            Ok($unset)
        }

        fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Self::Ok> {
            value.serialize(self)
        }

        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            value: &T,
        ) -> Result<Self::Ok> {
            value.serialize(self)
        }
    };
}

pub(crate) use {decline, decline_rest, integers, transparent};

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
