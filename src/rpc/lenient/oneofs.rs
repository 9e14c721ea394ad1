//! Lenient mode's one relaxation of decoding: a JSON body that sets several members of one
//! oneof (as generated SDK tests do, filling every parameter) keeps the first and drops the
//! rest, each noted as a violation, where the proto3 JSON parser refuses the body.

use super::note;
use prost_reflect::{Kind, MessageDescriptor};
use serde_json::{json, Value};
use std::borrow::Cow;

/// `body` with one member per oneof, or `body` itself when it is not a JSON object or sets
/// none twice; malformed JSON is left for the decoder to refuse.
pub(in crate::rpc) fn one_member_each<'b>(
    message: &MessageDescriptor,
    body: &'b [u8],
    notes: &mut Vec<Value>,
) -> Cow<'b, [u8]> {
    let Ok(mut value) = serde_json::from_slice::<Value>(body) else {
        return Cow::Borrowed(body);
    };
    let before = notes.len();
    drop_extra_members(
        message,
        &mut value,
        &mut vec![json!("request"), json!("body")],
        notes,
    );
    if notes.len() == before {
        return Cow::Borrowed(body);
    }
    Cow::Owned(value.to_string().into_bytes())
}

/// Drops the members after the first of each oneof `value` sets, in it and in the messages
/// it holds; `at` is the location of `value`.
fn drop_extra_members(
    message: &MessageDescriptor,
    value: &mut Value,
    at: &mut Vec<Value>,
    notes: &mut Vec<Value>,
) {
    // The well-known types have their own JSON forms.
    if message.package_name() == "google.protobuf" {
        return;
    }
    let Value::Object(object) = value else {
        return;
    };
    for oneof in message.oneofs().filter(|o| !o.is_synthetic()) {
        let mut first: Option<String> = None;
        for field in oneof.fields() {
            for name in [field.json_name(), field.name()] {
                if object.get(name).is_none_or(Value::is_null) {
                    continue;
                }
                match &first {
                    None => first = Some(name.to_string()),
                    Some(kept) => {
                        object.remove(name);
                        let message = format!(
                            "oneof {} sets {kept} and {name}; {name} was dropped",
                            oneof.name()
                        );
                        let mut location = at.clone();
                        location.push(json!(name));
                        notes.push(note(location, "oneof.single", &message));
                    }
                }
            }
        }
    }
    for field in message.fields() {
        let Kind::Message(inner) = field.kind() else {
            continue;
        };
        let name = if object.contains_key(field.json_name()) {
            field.json_name()
        } else {
            field.name()
        };
        let Some(held) = object.get_mut(name) else {
            continue;
        };
        at.push(json!(name));
        if field.is_map() {
            let values = inner.map_entry_value_field();
            if let (Kind::Message(entry), Value::Object(map)) = (values.kind(), held) {
                for v in map.values_mut() {
                    drop_extra_members(&entry, v, at, notes);
                }
            }
        } else if let Value::Array(items) = held {
            for item in items {
                drop_extra_members(&inner, item, at, notes);
            }
        } else {
            drop_extra_members(&inner, held, at, notes);
        }
        at.pop();
    }
}
