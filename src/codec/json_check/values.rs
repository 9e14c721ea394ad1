//! What a JSON scalar may be for each protobuf kind, and how a wrong value is quoted back.

use prost_reflect::{DynamicMessage, Kind, MessageDescriptor};
use std::fmt;
use std::ops::RangeInclusive;

/// A kind's name as protojson writes it in its errors.
pub(super) fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Double => "double",
        Kind::Float => "float",
        Kind::Int32 => "int32",
        Kind::Int64 => "int64",
        Kind::Uint32 => "uint32",
        Kind::Uint64 => "uint64",
        Kind::Sint32 => "sint32",
        Kind::Sint64 => "sint64",
        Kind::Fixed32 => "fixed32",
        Kind::Fixed64 => "fixed64",
        Kind::Sfixed32 => "sfixed32",
        Kind::Sfixed64 => "sfixed64",
        Kind::Bool => "bool",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Message(_) => "message",
        Kind::Enum(_) => "enum",
    }
}

/// The values an integer kind holds; None for other kinds.
pub(super) fn integer_range(kind: &Kind) -> Option<RangeInclusive<i128>> {
    Some(match kind {
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => i32::MIN.into()..=i32::MAX.into(),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => i64::MIN.into()..=i64::MAX.into(),
        Kind::Uint32 | Kind::Fixed32 => 0..=u32::MAX.into(),
        Kind::Uint64 | Kind::Fixed64 => 0..=u64::MAX.into(),
        _ => return None,
    })
}

/// Whether a JSON number written with a fraction or exponent (`2.0`, `1e3`) is a whole number
/// the integer kind holds, as protojson accepts it. Enums take no such number: the decoder
/// refuses them.
pub(super) fn whole_in_range(kind: &Kind, x: f64) -> bool {
    let Some(range) = integer_range(kind) else {
        return false;
    };
    // Bounds as floats: 2^63 and 2^64 are exact, so `<` keeps the top out.
    let (low, high) = (*range.start() as f64, *range.end() as f64 + 1.0);
    x.fract() == 0.0 && x >= low && x < high
}

/// Whether `s` is a JSON integer: an optional minus, then `0` or digits without a leading zero.
fn json_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}

/// Whether `s` is a JSON number (integer, fraction, exponent).
fn json_number(s: &str) -> bool {
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (whole, fraction) = match mantissa.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (mantissa, None),
    };
    let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
    json_integer(whole)
        && fraction.is_none_or(digits)
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// Whether a JSON string is a valid value of a scalar or enum kind. Unknown enum names are
/// valid unless `strict`: connect-go's protojson discards them with unknown fields.
pub(super) fn text_fits(kind: &Kind, s: &str, strict: bool) -> bool {
    match kind {
        Kind::String => true,
        Kind::Bytes => base64_fits(s),
        Kind::Enum(e) => !strict || e.get_value_by_name(s).is_some(),
        Kind::Bool | Kind::Message(_) => false,
        Kind::Float | Kind::Double if matches!(s, "NaN" | "Infinity" | "-Infinity") => true,
        Kind::Float => json_number(s) && s.parse::<f32>().is_ok_and(f32::is_finite),
        Kind::Double => json_number(s) && s.parse::<f64>().is_ok_and(f64::is_finite),
        _ => {
            let range = integer_range(kind).expect("the other kinds are integers");
            json_integer(s) && s.parse::<i128>().is_ok_and(|n| range.contains(&n))
        }
    }
}

/// Base64 as the decoder reads bytes: the standard alphabet, or the URL-safe one when the text
/// uses `-` or `_`, with or without padding.
fn base64_fits(s: &str) -> bool {
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::Engine;
    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent);
    let alphabet = if s.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    GeneralPurpose::new(alphabet, CONFIG).decode(s).is_ok()
}

/// Whether a string is a valid `Timestamp`, `Duration` or `FieldMask`, asked of the decoder
/// itself so the two never disagree.
pub(super) fn well_known_text_fits(desc: &MessageDescriptor, s: &str) -> bool {
    let text = serde::de::value::StrDeserializer::<serde::de::value::Error>::new(s);
    DynamicMessage::deserialize(desc.clone(), text).is_ok()
}

/// Whether a map key (always a JSON string) reads as the key kind.
pub(super) fn map_key_fits(kind: &Kind, key: &str) -> bool {
    match kind {
        Kind::String => true,
        Kind::Bool => matches!(key, "true" | "false"),
        _ => integer_range(kind).is_some_and(|r| key.parse::<i128>().is_ok_and(|n| r.contains(&n))),
    }
}

/// A value as an error quotes it: scalars as JSON, long strings cut, containers elided.
pub(super) enum Raw<'a> {
    Bool(bool),
    Integer(i128),
    Float(f64),
    String(&'a str),
    Null,
    Array,
    Object,
}

/// Strings longer than this are cut in errors, so a huge value is not sent back whole.
const QUOTED_CHARS: usize = 64;

impl fmt::Display for Raw<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Raw::Bool(b) => write!(f, "{b}"),
            Raw::Integer(n) => write!(f, "{n}"),
            // Debug keeps the point and the exponent: `2.0`, `1e300`.
            Raw::Float(x) => write!(f, "{x:?}"),
            Raw::String(s) => match s.char_indices().nth(QUOTED_CHARS) {
                Some((cut, _)) => write!(f, "{}…", json_string(&s[..cut])),
                None => f.write_str(&json_string(s)),
            },
            Raw::Null => f.write_str("null"),
            Raw::Array => f.write_str("[…]"),
            Raw::Object => f.write_str("{…}"),
        }
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}
