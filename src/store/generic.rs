//! Records of any contract's resources, kept in their proto3 JSON form and changed by the
//! resource methods `contract::conventions` recognises, as a real server of that style would:
//! Create (server-set ids and times; an AIP id checked against AIP-122, its parent required to
//! exist), Get (answering the stored record itself), List (paged in O(page) with opaque
//! tokens, filtered and scoped), Update (by a checked field mask in AIP style, by the fields a
//! request sets, placed by `fields`, in the id-field style) and Delete (refused while an AIP
//! resource has children, unless `force` cascades).

use super::table::{Record, Table};
use crate::contract::conventions::names::{collection_of, invalid_resource_id};
use crate::contract::conventions::{ResourceMethod, Style, Verb};
use crate::error::{Code, RpcError};
use fields::{apply_path, mask_paths, place, set_server_fields};
use prost_reflect::Kind;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) mod fields;
pub mod fixtures;
mod list;
mod reply;
mod snapshot;
use list::list;
pub use reply::Reply;

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
    /// real server gives (not_found, already_exists, failed_precondition, invalid_argument).
    pub fn call(
        &mut self,
        method: &ResourceMethod,
        request: &Value,
        stamp: Stamp<'_>,
    ) -> Result<Reply, RpcError> {
        let empty = Map::new();
        let request = request.as_object().unwrap_or(&empty);
        if method.verb == Verb::Create {
            self.check_parent(method, request)?;
        }
        if method.verb == Verb::Delete && method.style == Style::Aip {
            self.check_children(method, request)?;
        }
        let resource = &method.resource;
        let table = self
            .tables
            .entry(resource.full_name().to_string())
            .or_insert_with(|| Table::new(kind_of(resource.name())));
        match method.verb {
            Verb::Create => create(table, method, request, stamp),
            Verb::Get => {
                let id = lookup(table, method, request)?.id.clone();
                Ok(answer(method, table.shared(&id).expect("looked up")))
            }
            Verb::List => list(table, method, request),
            Verb::Update => update(table, method, request, stamp),
            Verb::Delete => {
                let id = lookup(table, method, request)?.id.clone();
                let removed = table.remove(&id).expect("looked up");
                Ok(match method.returns_resource {
                    true => Reply::Record {
                        field: None,
                        record: Arc::new(removed),
                    },
                    false => Reply::Message(json!({})),
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

    /// An AIP Create's parent must exist when its resource is one this store keeps.
    fn check_parent(
        &self,
        method: &ResourceMethod,
        request: &Map<String, Value>,
    ) -> Result<(), RpcError> {
        let Some(parent) = &method.parent else {
            return Ok(());
        };
        let name = request.get("parent").and_then(Value::as_str).unwrap_or("");
        let kind = parent.full_name();
        if name.is_empty() || !self.is_declared(kind) || self.contains(kind, name) {
            return Ok(());
        }
        Err(RpcError::not_found(format!(
            "parent {name:?} not found: there is no {} of that name to create a {} under",
            parent.name(),
            method.resource.name()
        )))
    }

    /// An AIP Delete of a record with children (records named under it, of any resource) is
    /// failed_precondition naming them, unless the request sets `force`, which deletes them too
    /// (AIP-135).
    fn check_children(
        &mut self,
        method: &ResourceMethod,
        request: &Map<String, Value>,
    ) -> Result<(), RpcError> {
        let key = method.keys.first().map_or("name", |k| k.json_name());
        let Some(name) = request
            .get(key)
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
        else {
            return Ok(());
        };
        let prefix = format!("{name}/");
        let is_child = |r: &GenericRecord| r.id.starts_with(&prefix);
        if request.get("force") == Some(&Value::Bool(true)) {
            for table in self.tables.values_mut() {
                table.remove_where(is_child);
            }
            return Ok(());
        }
        let children: Vec<&str> = self
            .tables
            .values()
            .flat_map(|t| t.iter().filter(|r| is_child(r)).map(|r| r.id.as_str()))
            .collect();
        if children.is_empty() {
            return Ok(());
        }
        let shown: Vec<&str> = children.iter().take(3).copied().collect();
        let more = match children.len() - shown.len() {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let force = match method.request.get_field_by_name("force") {
            Some(_) => ", or set force to delete them with it",
            None => "",
        };
        Err(RpcError::new(
            Code::FailedPrecondition,
            format!(
                "{} {name} has children ({}{more}): delete them first{force}",
                method.resource.name(),
                shown.join(", ")
            ),
        ))
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
) -> Result<Reply, RpcError> {
    let resource = &method.resource;
    let mut value = match &method.body {
        // AIP: the resource is in the body; the rest of the request says where and as what.
        Some(body) => request
            .get(body.json_name())
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        // The id-field style: the request's set fields, each where the resource has it.
        None => {
            let mut value = Map::new();
            place(resource, &method.request, request, &|_| false, &mut value);
            value
        }
    };
    let id = match method.style {
        Style::Aip => {
            let chosen = method.chosen_id.as_ref().and_then(|field| {
                let id = request.get(field.json_name())?.as_str()?;
                (!id.is_empty()).then_some((field, id))
            });
            let leaf = match chosen {
                Some((field, id)) => match invalid_resource_id(id) {
                    Some(why) => {
                        return Err(RpcError::invalid_argument(format!(
                            "{} {id:?} is not a valid resource id: {why} (AIP-122: ^[a-z]([a-z0-9-]{{0,61}}[a-z0-9])?$)",
                            field.name()
                        )))
                    }
                    None => id.to_string(),
                },
                None => (stamp.new_id)(),
            };
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
            Code::AlreadyExists,
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
        value,
    });
    Ok(match (&method.answer, method.returns_resource) {
        (None, false) => Reply::Message(json!({ "id": id })),
        _ => answer(method, table.shared(&id).expect("just inserted")),
    })
}

fn update(
    table: &mut Table<GenericRecord>,
    method: &ResourceMethod,
    request: &Map<String, Value>,
    stamp: Stamp<'_>,
) -> Result<Reply, RpcError> {
    let resource = &method.resource;
    let id = match &method.body {
        Some(body) => {
            let changes = request.get(body.json_name()).and_then(Value::as_object);
            let id = changes.and_then(|c| c.get(method.id.json_name()));
            id.and_then(Value::as_str).unwrap_or_default().to_string()
        }
        None => lookup(table, method, request)?.id.clone(),
    };
    // AIP: the mask's paths, checked before anything changes.
    let paths = match &method.body {
        Some(_) => {
            let mask = request.get("updateMask").and_then(Value::as_str);
            mask_paths(resource, &method.id, mask.unwrap_or(""))?
        }
        None => Vec::new(),
    };
    let Some(record) = table.get_mut(&id) else {
        return Err(RpcError::no_such(resource.name(), &id));
    };
    match &method.body {
        Some(body) => {
            let changes = request.get(body.json_name()).and_then(Value::as_object);
            let empty = Map::new();
            for path in &paths {
                apply_path(path, changes.unwrap_or(&empty), &mut record.value);
            }
        }
        None => {
            let keys = &method.keys;
            let skip = |f: &prost_reflect::FieldDescriptor| keys.contains(f);
            place(resource, &method.request, request, &skip, &mut record.value);
        }
    }
    set_server_fields(resource, &mut record.value, stamp.now, false);
    Ok(match (&method.answer, method.returns_resource) {
        (None, false) => Reply::Message(json!({})),
        _ => answer(method, table.shared(&id).expect("just changed")),
    })
}

/// The record a Get, Update or Delete names (by the first of its keys the request sets), or
/// not_found naming what was asked for.
fn lookup<'t>(
    table: &'t Table<GenericRecord>,
    method: &ResourceMethod,
    request: &Map<String, Value>,
) -> Result<&'t GenericRecord, RpcError> {
    let named = method.keys.iter().find_map(|key| {
        let id = request.get(key.json_name())?.as_str()?;
        (!id.is_empty()).then_some(id)
    });
    let id = named.unwrap_or_default();
    table
        .get(id)
        .ok_or_else(|| RpcError::no_such(method.resource.name(), id))
}

/// The response of a method that answers the resource: it, or a message holding it.
fn answer(method: &ResourceMethod, record: Arc<GenericRecord>) -> Reply {
    let field = match &method.answer {
        Some(field) if !method.returns_resource => Some(field.json_name().to_string()),
        _ => None,
    };
    Reply::Record { field, record }
}

fn number(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.parse().ok(),
        other => other.as_u64(),
    }
}

#[cfg(test)]
mod tests;
