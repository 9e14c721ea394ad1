//! The resource engine of a profile: Create, Get, List, Update and Delete in the Gitpod API's
//! id-field style (see `contract::conventions`), run on the profile's typed tables with the
//! profile's domain rules called at their points. A Create stores the request's fields that the
//! resource has, with a fresh id from the state's seeded generator; an Update applies the
//! fields a request sets (present with presence, or not their default); Get and List hand out
//! the stored rows themselves; ids in requests are compared in their canonical form.

use super::DomainRules;
use crate::codec::answer::Response;
use crate::contract::conventions::{ResourceMethod, Style, Verb};
use crate::error::RpcError;
use crate::store::generic::fields::set;
use crate::store::ids;
use crate::store::typed::{self, TypedRecords};
use crate::store::State;
use serde_json::{json, Map, Value};

/// A resource method of a profile, joined with its table at startup.
pub struct Plan {
    pub method: ResourceMethod,
    store: &'static dyn TypedRecords,
    /// The response field holding the record or the page, as answers name it.
    answer: Option<&'static str>,
}

impl Plan {
    /// The plan of `method`, if the engine serves it: a method in the id-field style on a
    /// resource the store keeps.
    pub fn new(method: ResourceMethod) -> Option<Plan> {
        if method.style != Style::Ids || method.returns_resource {
            return None;
        }
        let store = typed::by_message(method.resource.full_name())?;
        let answer = method.answer.as_ref().map(|f| interned(f.json_name()));
        Some(Plan {
            method,
            store,
            answer,
        })
    }
}

/// Runs a resource method of the profile whose rules are `rules` on a (canonical, valid)
/// request.
pub fn call(
    rules: &dyn DomainRules,
    plan: &Plan,
    state: &mut State,
    request: &Value,
) -> Result<Response, RpcError> {
    match plan.method.verb {
        Verb::Create => create(rules, plan, state, request),
        Verb::Get => {
            let id = key(plan, request);
            let field = plan.answer.expect("a Get answers its record in a field");
            (plan.store.get(state, field, &id))
                .ok_or_else(|| rules.not_found(&plan.method.resource, &id))
        }
        Verb::List => list(rules, plan, state, request),
        Verb::Update => update(rules, plan, state, request),
        Verb::Delete => {
            let id = key(plan, request);
            if !plan.store.remove(state, &id) {
                return Err(rules.not_found(&plan.method.resource, &id));
            }
            let resource = &plan.method.resource;
            rules.after_write(state, Verb::Delete, resource, request, &id);
            Ok(json!({}).into())
        }
    }
}

fn create(
    rules: &dyn DomainRules,
    plan: &Plan,
    state: &mut State,
    request: &Value,
) -> Result<Response, RpcError> {
    let resource = &plan.method.resource;
    let mut record: Map<String, Value> = resource
        .fields()
        .filter_map(|f| {
            let value = request.get(f.json_name())?;
            Some((f.json_name().to_string(), value.clone()))
        })
        .collect();
    rules.before_create(state, resource, request, &mut record)?;
    let id = state.new_id();
    record.insert(plan.method.id.json_name().to_string(), json!(id));
    plan.store.put(state, record)?;
    rules.after_write(state, Verb::Create, resource, request, &id);
    answer(plan, state, &id, || json!({ "id": id }))
}

fn list(
    rules: &dyn DomainRules,
    plan: &Plan,
    state: &mut State,
    request: &Value,
) -> Result<Response, RpcError> {
    let pagination = &request["pagination"];
    let token = pagination["token"].as_str().unwrap_or_default();
    let size = match &pagination["pageSize"] {
        Value::String(s) => s.parse().unwrap_or(0),
        other => other.as_u64().unwrap_or(0),
    };
    let field = plan.answer.expect("a List answers its page in a field");
    let keep = rules.filter(state, &plan.method.resource, &request["filter"])?;
    plan.store.page(state, field, token, size as usize, &keep)
}

fn update(
    rules: &dyn DomainRules,
    plan: &Plan,
    state: &mut State,
    request: &Value,
) -> Result<Response, RpcError> {
    let (method, resource) = (&plan.method, &plan.method.resource);
    let id = key(plan, request);
    let mut record =
        (plan.store.record(state, &id)).ok_or_else(|| rules.not_found(resource, &id))?;
    // Whether a field is set is the request's field's to say: `optional bool pat` sets
    // `false`, though the resource's `bool pat` has no presence.
    let input = &method.request;
    for field in resource.fields() {
        if field.name() == method.id.name() {
            continue;
        }
        let name = field.json_name();
        let Some(asked) = input.get_field_by_json_name(name) else {
            continue;
        };
        if let Some(value) = request.get(name).filter(|v| set(&asked, v)) {
            record.insert(name.to_string(), value.clone());
        }
    }
    rules.before_update(state, resource, request, &mut record)?;
    plan.store.put(state, record)?;
    rules.after_write(state, Verb::Update, resource, request, &id);
    answer(plan, state, &id, || json!({}))
}

/// What a lenient call the profile's rules refused answers, Prism-like and unstored: the
/// first stored record (fixture-shaped) with the fields the request sets, carrying the
/// requested id (a Create's a fresh one); a Delete answers `{}`. None for a List, or if the
/// resource has no records.
pub fn stand_in(plan: &Plan, state: &mut State, request: &Value) -> Option<Response> {
    let (method, resource) = (&plan.method, &plan.method.resource);
    let id = match method.verb {
        Verb::Delete => return Some(json!({}).into()),
        Verb::List => return None,
        Verb::Create => state.new_id(),
        Verb::Get | Verb::Update => key(plan, request),
    };
    let mut record = plan.store.first(state)?;
    if method.verb != Verb::Get {
        for field in resource.fields() {
            let name = field.json_name();
            let asked = method.request.get_field_by_json_name(name);
            let value = request
                .get(name)
                .filter(|v| asked.is_some_and(|f| set(&f, v)));
            if let Some(value) = value {
                record.insert(name.to_string(), value.clone());
            }
        }
    }
    // An id the request leaves empty keeps the record's own: an answer always names one.
    if !id.is_empty() {
        record.insert(method.id.json_name().to_string(), json!(id));
    }
    Some(match (plan.answer, method.verb) {
        (Some(field), _) => json!({ field: record }).into(),
        // As a Create without a record field answers: the new id.
        (None, Verb::Create) => json!({ "id": id }).into(),
        (None, _) => json!({}).into(),
    })
}

/// The canonical id a Get, Update or Delete names: by the first of its keys the request sets.
fn key(plan: &Plan, request: &Value) -> String {
    let keys = &plan.method.keys;
    let set = keys.iter().find(|k| request.get(k.json_name()).is_some());
    set.or(keys.first())
        .map(|k| ids::of(request, k.json_name()))
        .unwrap_or_default()
}

/// The answer of a write: the stored record in the response's field if it has one, else
/// `otherwise`.
fn answer(
    plan: &Plan,
    state: &State,
    id: &str,
    otherwise: impl FnOnce() -> Value,
) -> Result<Response, RpcError> {
    let Some(field) = plan.answer else {
        return Ok(otherwise().into());
    };
    let stored = plan.store.get(state, field, id);
    stored.ok_or_else(|| RpcError::internal(format!("gitpod-mock bug: {id} was not stored")))
}

/// A response field's name for the life of the process: answers name their fields with
/// `&'static str`. Interned once per name, so loading contracts again leaks nothing more (the
/// names a profile's services declare are bounded).
fn interned(name: &str) -> &'static str {
    static NAMES: std::sync::OnceLock<parking_lot::Mutex<Vec<&'static str>>> =
        std::sync::OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock();
    if let Some(found) = names.iter().find(|n| **n == name) {
        return found;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.push(leaked);
    leaked
}
