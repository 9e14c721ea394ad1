//! Where a request's fields go in a record. In the Gitpod style a request's set fields are
//! placed by name, typed: into the resource field of the same name and type, merged field by
//! field into one of another message type (`UpdateEnvironmentRequest.Metadata` into
//! `EnvironmentMetadata`), or, when the resource has no field of that name, into the one
//! nested message that has it (`CreateProjectRequest.name` is `Project.metadata.name`). In the
//! AIP style an update mask's paths say which fields change, and a path naming no field is
//! refused. The server's own fields (times, etag, uid) are never taken from a request.

use crate::contract::conventions::names::snake_case;
use crate::error::RpcError;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};

/// Places the set fields of `values` (a canonical `source` message) into `into` (a `target`
/// record), leaving out the fields `skip` names. Fields with no place in the target, or of
/// another type, are dropped.
pub(super) fn place(
    target: &MessageDescriptor,
    source: &MessageDescriptor,
    values: &Map<String, Value>,
    skip: &dyn Fn(&FieldDescriptor) -> bool,
    into: &mut Map<String, Value>,
) {
    for field in source.fields() {
        let Some(value) = values.get(field.json_name()) else {
            continue;
        };
        if !skip(&field) && set(&field, value) {
            place_one(target, &field, value, into);
        }
    }
}

/// Places one field: under its own name, or else in the one nested message that has it.
fn place_one(
    target: &MessageDescriptor,
    field: &FieldDescriptor,
    value: &Value,
    into: &mut Map<String, Value>,
) -> bool {
    if let Some(same) = target.get_field_by_name(field.name()) {
        return !is_server_field(&same) && merge(&same, field, value, into);
    }
    let mut homes = target.fields().filter(|home| {
        resource_message(home).is_some_and(|m| {
            m.get_field_by_name(field.name())
                .is_some_and(|inner| !is_server_field(&inner) && fits(&inner, field))
        })
    });
    let (Some(home), None) = (homes.next(), homes.next()) else {
        return false;
    };
    let message = resource_message(&home).expect("a home is a message field");
    let name = home.json_name();
    let mut nested = match into.remove(name) {
        Some(Value::Object(nested)) => nested,
        _ => Map::new(),
    };
    let placed = place_one(&message, field, value, &mut nested);
    if placed || !nested.is_empty() {
        into.insert(name.to_string(), Value::Object(nested));
    }
    placed
}

/// Puts `value` of the request field `source` in the record's field `target`: as it is when
/// their types are the same, merged by field when both are messages of different types.
fn merge(
    target: &FieldDescriptor,
    source: &FieldDescriptor,
    value: &Value,
    into: &mut Map<String, Value>,
) -> bool {
    let name = target.json_name();
    if same_type(target, source) {
        into.insert(name.to_string(), value.clone());
        return true;
    }
    let (Some(to), Some(from), Value::Object(values)) =
        (resource_message(target), resource_message(source), value)
    else {
        return false;
    };
    let mut nested = match into.remove(name) {
        Some(Value::Object(nested)) => nested,
        _ => Map::new(),
    };
    place(&to, &from, values, &|_| false, &mut nested);
    into.insert(name.to_string(), Value::Object(nested));
    true
}

/// Whether a request field can be placed in the record field `target`.
fn fits(target: &FieldDescriptor, source: &FieldDescriptor) -> bool {
    same_type(target, source)
        || (resource_message(target).is_some() && resource_message(source).is_some())
}

fn same_type(a: &FieldDescriptor, b: &FieldDescriptor) -> bool {
    if a.is_list() != b.is_list() || a.is_map() != b.is_map() {
        return false;
    }
    match (a.kind(), b.kind()) {
        (Kind::Message(x), Kind::Message(y)) if a.is_map() => {
            x.map_entry_key_field().kind() == y.map_entry_key_field().kind()
                && same_type(&x.map_entry_value_field(), &y.map_entry_value_field())
        }
        (x, y) => x == y,
    }
}

/// The message type of a singular message field that holds fields of its own (not a map nor a
/// well-known type such as a Timestamp).
fn resource_message(field: &FieldDescriptor) -> Option<MessageDescriptor> {
    match field.kind() {
        Kind::Message(m)
            if !field.is_list()
                && !field.is_map()
                && !m.package_name().starts_with("google.protobuf") =>
        {
            Some(m)
        }
        _ => None,
    }
}

/// An update mask's paths (`title,author.name`, as canonical JSON writes a FieldMask), each
/// as the fields it walks through; `*` or no mask is every field. A path naming no field of
/// the resource is invalid_argument naming it. Paths to the id or the server's own fields are
/// left out, as AIP-134 has output-only fields in a mask ignored.
pub(super) fn mask_paths(
    resource: &MessageDescriptor,
    id: &FieldDescriptor,
    mask: &str,
) -> Result<Vec<Vec<FieldDescriptor>>, RpcError> {
    let ours = |f: &FieldDescriptor| f == id || is_server_field(f);
    if mask.is_empty() || mask == "*" {
        return Ok(resource
            .fields()
            .filter(|f| !ours(f))
            .map(|f| vec![f])
            .collect());
    }
    let mut paths = Vec::new();
    for path in mask.split(',').map(str::trim) {
        let mut message = Some(resource.clone());
        let mut walked = Vec::new();
        for segment in path.split('.') {
            let field = message.as_ref().and_then(|m| {
                m.get_field_by_json_name(segment)
                    .or_else(|| m.get_field_by_name(segment))
            });
            let Some(field) = field else {
                let shown = snake_case(path);
                return Err(RpcError::invalid_argument(format!(
                    "update_mask path {shown:?} names no field of {}",
                    resource.full_name()
                )));
            };
            message = resource_message(&field);
            walked.push(field);
        }
        if !ours(&walked[0]) {
            paths.push(walked);
        }
    }
    Ok(paths)
}

/// Sets the value at `path` in `record` to the one in `body`, or clears it when the body has
/// none there.
pub(super) fn apply_path(
    path: &[FieldDescriptor],
    body: &Map<String, Value>,
    record: &mut Map<String, Value>,
) {
    let Some((last, through)) = path.split_last() else {
        return;
    };
    let mut from = Some(body);
    let mut to = record;
    for field in through {
        let name = field.json_name();
        from = from.and_then(|b| b.get(name)).and_then(Value::as_object);
        let slot = to.entry(name.to_string()).or_insert_with(|| json!({}));
        if !slot.is_object() {
            *slot = json!({});
        }
        to = slot.as_object_mut().expect("made an object");
    }
    match from.and_then(|b| b.get(last.json_name())) {
        Some(value) => to.insert(last.json_name().to_string(), value.clone()),
        None => to.remove(last.json_name()),
    };
}

/// Whether a field of a canonical request is set: present for a field with presence, not its
/// default otherwise.
pub(crate) fn set(field: &FieldDescriptor, value: &Value) -> bool {
    if field.supports_presence() {
        return !value.is_null();
    }
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty() && s != "0" && !is_zero_enum(field, s),
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

fn is_zero_enum(field: &FieldDescriptor, name: &str) -> bool {
    match field.kind() {
        Kind::Enum(e) => e.get_value(0).is_some_and(|v| v.name() == name),
        _ => false,
    }
}

/// Output-only fields the server sets: `create_time`/`created_at` once, `update_time`/
/// `updated_at` on every change, `etag` from the time.
pub(super) fn is_server_field(field: &FieldDescriptor) -> bool {
    matches!(
        field.name(),
        "create_time" | "created_at" | "update_time" | "updated_at" | "etag" | "uid"
    )
}

pub(super) fn set_server_fields(
    resource: &MessageDescriptor,
    value: &mut Map<String, Value>,
    now: &str,
    created: bool,
) {
    for field in resource.fields() {
        let timestamp = matches!(field.kind(), Kind::Message(m) if m.full_name() == "google.protobuf.Timestamp");
        let stamp = match field.name() {
            "create_time" | "created_at" if timestamp && created => json!(now),
            "update_time" | "updated_at" if timestamp => json!(now),
            "etag" if field.kind() == Kind::String => {
                json!(format!("\"{}\"", crate::hash::fnv1a64(now.as_bytes())))
            }
            _ => continue,
        };
        value.insert(field.json_name().to_string(), stamp);
    }
}
