//! Records of any contract's resources, kept in their proto3 JSON form and changed by the
//! resource methods `contract::conventions` recognises: Create (with server-set ids and
//! times), Get, List (paged in O(page) with opaque tokens, filtered and scoped), Update (by
//! field mask in AIP style, by the fields a request sets in the id-field style) and Delete.

use super::table::{Record, Table};
use crate::contract::conventions::{ResourceMethod, Style, Verb};
use crate::error::RpcError;
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

pub mod fixtures;
mod list;
mod snapshot;
use list::list;

/// One record: its id (the `name` or `id` field's value) and its JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct GenericRecord {
    id: String,
    pub value: Map<String, Value>,
}

impl Record for GenericRecord {
    fn id(&self) -> &str {
        &self.id
    }
}

/// What the server sets on a record it creates or changes.
pub struct Stamp<'a> {
    /// A fresh id (a UUID, say) for a record the request does not name.
    pub new_id: &'a mut dyn FnMut() -> String,
    /// The time of the call, as an RFC 3339 timestamp.
    pub now: &'a str,
}

/// Every resource's records, by the resource message's full name.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    tables: BTreeMap<String, Table<GenericRecord>>,
    /// Each declared resource's id field, by the resource message's full name.
    id_fields: std::sync::Arc<BTreeMap<String, String>>,
    /// Fixture answers of methods otherwise answered with generated data, by Connect path.
    answers: std::sync::Arc<BTreeMap<String, Value>>,
}

impl Resources {
    /// Runs a resource method on its (canonical JSON) request: the response, or the error a
    /// real server gives (not_found, already_exists, invalid_argument for a bad token).
    pub fn call(
        &mut self,
        method: &ResourceMethod,
        request: &Value,
        stamp: Stamp<'_>,
    ) -> Result<Value, RpcError> {
        let resource = &method.resource;
        let name = resource.full_name().to_string();
        let table = self
            .tables
            .entry(name)
            .or_insert_with(|| Table::new(kind_of(resource.name())));
        let request = request.as_object().cloned().unwrap_or_default();
        match method.verb {
            Verb::Create => create(table, method, &request, stamp),
            Verb::Get => {
                let record = lookup(table, method, &request)?;
                Ok(answer(method, Value::Object(record.value.clone())))
            }
            Verb::List => list(table, method, &request),
            Verb::Update => update(table, method, &request, stamp),
            Verb::Delete => {
                let id = lookup(table, method, &request)?.id.clone();
                let removed = table.remove(&id).map(|r| Value::Object(r.value));
                Ok(match method.returns_resource {
                    true => removed.unwrap_or_default(),
                    false => json!({}),
                })
            }
        }
    }

    /// How many records there are, of every resource.
    pub fn records(&self) -> usize {
        self.tables.values().map(Table::len).sum()
    }

    /// How many records each resource holds.
    pub fn counts(&self) -> BTreeMap<&str, usize> {
        self.tables
            .iter()
            .map(|(k, t)| (k.as_str(), t.len()))
            .collect()
    }
}

/// The table's name in page tokens: the message's short name, interned once per process, so
/// that every session's table of that resource shares it (sessions come and go; the names a
/// contract declares are bounded).
fn kind_of(message_name: &str) -> &'static str {
    static NAMES: std::sync::OnceLock<parking_lot::Mutex<BTreeMap<String, &'static str>>> =
        std::sync::OnceLock::new();
    let name = message_name.to_lowercase();
    let mut names = NAMES.get_or_init(Default::default).lock();
    if let Some(interned) = names.get(&name) {
        return interned;
    }
    let interned: &'static str = Box::leak(name.clone().into_boxed_str());
    names.insert(name, interned);
    interned
}

fn create(
    table: &mut Table<GenericRecord>,
    method: &ResourceMethod,
    request: &Map<String, Value>,
    stamp: Stamp<'_>,
) -> Result<Value, RpcError> {
    let resource = &method.resource;
    let mut value = match &method.body {
        // AIP: the resource is in the body; the rest of the request says where and as what.
        Some(body) => request
            .get(body.json_name())
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        // The id-field style: the request's fields that the resource has.
        None => resource
            .fields()
            .filter_map(|f| {
                let value = request.get(f.json_name())?;
                Some((f.json_name().to_string(), value.clone()))
            })
            .collect(),
    };
    let id = match method.style {
        Style::Aip => {
            let wanted = format!("{}Id", lower_camel(resource.name()));
            let chosen = request
                .get(&wanted)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            let leaf = chosen.map_or_else(|| (stamp.new_id)(), str::to_string);
            let (_, collection) = collection_of(resource);
            match request
                .get("parent")
                .and_then(Value::as_str)
                .filter(|p| !p.is_empty())
            {
                Some(parent) => format!("{parent}/{collection}/{leaf}"),
                None => format!("{collection}/{leaf}"),
            }
        }
        Style::Ids => (stamp.new_id)(),
    };
    if table.contains(&id) {
        return Err(RpcError::new(
            crate::error::Code::AlreadyExists,
            format!("{} {id} already exists", resource.name()),
        ));
    }
    value.insert(method.id.json_name().to_string(), json!(id));
    if let Some(uid) = resource
        .get_field_by_name("uid")
        .filter(|f| f.kind() == Kind::String)
    {
        value.insert(uid.json_name().to_string(), json!((stamp.new_id)()));
    }
    set_server_fields(resource, &mut value, stamp.now, true);
    table.insert(GenericRecord {
        id: id.clone(),
        value: value.clone(),
    });
    Ok(match (&method.answer, method.returns_resource) {
        (None, false) => json!({ "id": id }),
        _ => answer(method, Value::Object(value)),
    })
}

fn update(
    table: &mut Table<GenericRecord>,
    method: &ResourceMethod,
    request: &Map<String, Value>,
    stamp: Stamp<'_>,
) -> Result<Value, RpcError> {
    let resource = &method.resource;
    let (id, changes, mask) = match &method.body {
        Some(body) => {
            let changes = request
                .get(body.json_name())
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let id = changes
                .get(method.id.json_name())
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mask = request
                .get("updateMask")
                .and_then(Value::as_str)
                .unwrap_or("");
            (id, changes, mask.to_string())
        }
        None => {
            let record = lookup(table, method, request)?;
            (record.id.clone(), request.clone(), String::new())
        }
    };
    let Some(record) = table.get_mut(&id) else {
        return Err(RpcError::no_such(resource.name(), &id));
    };
    for field in resource.fields() {
        if field.name() == method.id.name() || is_server_field(&field) {
            continue;
        }
        let name = field.json_name();
        let wanted = match method.style {
            // No mask, or `*`: every field the body holds; otherwise the masked ones.
            Style::Aip => {
                mask.is_empty()
                    || mask == "*"
                    || mask
                        .split(',')
                        .any(|p| p.trim() == name || p.trim() == field.name())
            }
            // The fields a request sets: present with presence, or not their default.
            Style::Ids => changes.get(name).is_some_and(|v| set(&field, v)),
        };
        if !wanted {
            continue;
        }
        match changes.get(name) {
            Some(value) => record.value.insert(name.to_string(), value.clone()),
            None => record.value.remove(name),
        };
    }
    set_server_fields(resource, &mut record.value, stamp.now, false);
    let value = Value::Object(record.value.clone());
    Ok(match (&method.answer, method.returns_resource) {
        (None, false) => json!({}),
        _ => answer(method, value),
    })
}

/// The record a Get, Update or Delete names, or not_found.
fn lookup<'t>(
    table: &'t Table<GenericRecord>,
    method: &ResourceMethod,
    request: &Map<String, Value>,
) -> Result<&'t GenericRecord, RpcError> {
    let key = method.key.as_ref().map_or("name", |k| k.json_name());
    let id = request.get(key).and_then(Value::as_str).unwrap_or_default();
    table
        .get(id)
        .ok_or_else(|| RpcError::no_such(method.resource.name(), id))
}

/// The response of a method that answers the resource: it, or a message holding it.
fn answer(method: &ResourceMethod, resource: Value) -> Value {
    match &method.answer {
        Some(field) if !method.returns_resource => json!({ field.json_name(): resource }),
        _ => resource,
    }
}

/// Whether a field of a canonical request is set: present for a field with presence, not its
/// default otherwise.
fn set(field: &FieldDescriptor, value: &Value) -> bool {
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
fn is_server_field(field: &FieldDescriptor) -> bool {
    matches!(
        field.name(),
        "create_time" | "created_at" | "update_time" | "updated_at" | "etag" | "uid"
    )
}

fn set_server_fields(
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

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.parse().ok(),
        other => other.as_u64(),
    }
}

/// `Shelf` → `shelf`, `SCMIntegration` → `scmIntegration`, as proto3 JSON names a field of it.
fn lower_camel(name: &str) -> String {
    let upper = name.chars().take_while(char::is_ascii_uppercase).count();
    let cut = if upper > 1 && upper < name.len() {
        upper - 1
    } else {
        upper.max(1)
    };
    name[..cut].to_ascii_lowercase() + &name[cut..]
}

/// The collection a resource's names end in, and the pattern of its parent's names: from the
/// first `google.api.resource` pattern (`shelves/{shelf}/books/{book}` gives `books` under
/// `shelves/{shelf}`), or else the message's name in the plural with no parent.
pub(crate) fn collection_of(resource: &MessageDescriptor) -> (Option<String>, String) {
    let pattern = resource_pattern(resource);
    let segments: Vec<&str> = pattern.as_deref().unwrap_or_default().split('/').collect();
    match segments.as_slice() {
        [parent @ .., collection, leaf]
            if leaf.starts_with('{') && !collection.starts_with('{') =>
        {
            let parent = (!parent.is_empty()).then(|| parent.join("/"));
            (parent, collection.to_string())
        }
        _ => (None, plural_collection(resource.name())),
    }
}

/// The first pattern of the message's `(google.api.resource)` option, if it has one.
fn resource_pattern(resource: &MessageDescriptor) -> Option<String> {
    let ext = resource
        .parent_pool()
        .get_extension_by_name("google.api.resource")?;
    let options = resource.options();
    if !options.has_extension(&ext) {
        return None;
    }
    let value = options.get_extension(&ext);
    let patterns = value.as_message()?.get_field_by_name("pattern")?;
    let first = patterns.as_list()?.first()?.as_str()?.to_string();
    Some(first)
}

/// The collection a resource's names use: `Shelf` → `shelves`, `Book` → `books`.
fn plural_collection(name: &str) -> String {
    let lower = lower_camel(name);
    if let Some(stem) = lower.strip_suffix('y') {
        return format!("{stem}ies");
    }
    if let Some(stem) = lower.strip_suffix('f') {
        return format!("{stem}ves");
    }
    if lower.ends_with('s')
        || lower.ends_with("sh")
        || lower.ends_with("ch")
        || lower.ends_with('x')
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

#[cfg(test)]
mod tests;
