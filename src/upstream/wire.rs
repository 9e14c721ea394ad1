//! A forwarded call's bodies, whatever their Connect codec: which codec a call uses, an answer
//! as proto3 JSON to compare (a binary message decoded through the contract, default values
//! left out as protojson writes them), as canonical JSON to check and record (a Connect GET's
//! from its query), and the field
//! numbers a binary answer carries that the contract does not declare.

use super::{decompressed, UpstreamAnswer, MAX_ANSWER_BYTES};
use crate::codec::Encoding;
use crate::contract::Contract;
use crate::drift::{Difference, Kind};
use http::HeaderMap;
use prost_reflect::{DynamicMessage, ReflectMessage, SerializeOptions, Value as Field};
use serde_json::Value;

/// The Connect unary codec of a body, by its Content-Type; None for any other content type.
pub(crate) fn encoding(headers: &HeaderMap) -> Option<Encoding> {
    let value = headers.get(http::header::CONTENT_TYPE)?.to_str().ok()?;
    Encoding::from_content_type(value)
}

/// An answer's body as JSON: a binary message of type `message` decoded and written as
/// protojson writes it, and anything else (errors are JSON in both codecs) as it is; null
/// if it is neither.
pub(crate) fn answer_json(
    message: &prost_reflect::MessageDescriptor,
    answer: &UpstreamAnswer,
) -> Value {
    let body = decompressed(&answer.headers, &answer.body);
    if encoding(&answer.headers) != Some(Encoding::Proto) {
        return serde_json::from_slice(&body).unwrap_or(Value::Null);
    }
    let Ok(decoded) = DynamicMessage::decode(message.clone(), body.as_slice()) else {
        return Value::Null;
    };
    decoded
        .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
        .unwrap_or(Value::Null)
}

/// A body of type `message` as canonical JSON, in the codec its headers name; None if it does
/// not decode.
pub(crate) fn canonical(
    contract: &Contract,
    message: &prost_reflect::MessageDescriptor,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<Value> {
    let body = decompressed(headers, body);
    let codec = encoding(headers).unwrap_or(Encoding::Json);
    crate::codec::decode_canonical(contract, message, codec, &body, false).ok()
}

/// A Connect GET's message (`?encoding=…&message=…`) of type `message` as canonical JSON;
/// None if it does not decode.
pub(crate) fn get_canonical(
    contract: &Contract,
    message: &prost_reflect::MessageDescriptor,
    query: Option<&str>,
) -> Option<Value> {
    let get = crate::codec::get::parse(query).ok()?;
    let body = get
        .compression
        .decompress(get.message.into(), MAX_ANSWER_BYTES)
        .ok()?;
    crate::codec::decode_canonical(contract, message, get.encoding, &body, false).ok()
}

/// The fields a binary answer carries that its message does not declare, by number, at any
/// depth (list indices folded, `items[].#7`): what unknown JSON names are to a JSON answer.
pub(crate) fn unknown_numbers(
    message: &prost_reflect::MessageDescriptor,
    answer: &UpstreamAnswer,
) -> Vec<Difference> {
    if answer.status != 200 || encoding(&answer.headers) != Some(Encoding::Proto) {
        return Vec::new();
    }
    let body = decompressed(&answer.headers, &answer.body);
    let Ok(decoded) = DynamicMessage::decode(message.clone(), body.as_slice()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    walk(&decoded, "", &mut out);
    let mut seen = std::collections::HashSet::new();
    out.retain(|d: &Difference| seen.insert(d.path.clone()));
    out
}

fn walk(message: &DynamicMessage, path: &str, out: &mut Vec<Difference>) {
    let name = message.descriptor().full_name().to_string();
    for unknown in message.unknown_fields() {
        out.push(Difference {
            path: join(path, &format!("#{}", unknown.number())),
            kind: Kind::UnknownField,
            upstream: format!(
                "answers field number {} ({:?} on the wire)",
                unknown.number(),
                unknown.wire_type()
            ),
            mock: format!("{name} has no field number {}", unknown.number()),
        });
    }
    for (field, value) in message.fields() {
        let here = join(path, field.json_name());
        match value {
            Field::Message(inner) => walk(inner, &here, out),
            Field::List(items) => items
                .iter()
                .filter_map(Field::as_message)
                .for_each(|inner| walk(inner, &format!("{here}[]"), out)),
            Field::Map(entries) => entries
                .values()
                .filter_map(Field::as_message)
                .for_each(|inner| walk(inner, &format!("{here}[]"), out)),
            _ => {}
        }
    }
}

fn join(path: &str, key: &str) -> String {
    match path {
        "" => key.to_string(),
        _ => format!("{path}.{key}"),
    }
}
