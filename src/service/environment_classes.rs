//! Environment classes: create, get, list with every documented filter, and partial update.

use super::{parse, Page, Response};
use crate::error::RpcError;
use crate::store::ids;
use crate::store::records::{EnumValue, EnvironmentClass, FieldValue};
use crate::store::State;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    #[serde(deserialize_with = "ids::one")]
    runner_id: String,
    display_name: String,
    description: String,
    configuration: Vec<FieldValue>,
}

pub(super) fn create(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let req: CreateRequest = parse(body)?;
    state.runners.require(&req.runner_id)?;
    let id = state.new_id();
    state
        .table_mut::<EnvironmentClass>()
        .insert(EnvironmentClass {
            id: id.clone(),
            runner_id: req.runner_id,
            display_name: req.display_name,
            description: req.description,
            configuration: req.configuration,
            enabled: true,
        });
    Ok(json!({ "id": id }).into())
}

fn not_found(id: &str) -> RpcError {
    RpcError::no_such("environment class", id)
}

pub(super) fn get(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let id = ids::of(body, "environmentClassId");
    let class = state.table::<EnvironmentClass>().shared(&id);
    Ok(Response::field(
        "environmentClass",
        class.ok_or_else(|| not_found(&id))?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Filter {
    #[serde(deserialize_with = "ids::many")]
    runner_ids: Vec<String>,
    enabled: Option<bool>,
    can_create_environments: Option<bool>,
    /// Open enums: an unnamed number is valid and matches no runner.
    runner_kinds: Vec<EnumValue>,
    runner_providers: Vec<EnumValue>,
}

pub(super) fn list(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let filter: Filter = body
        .get("filter")
        .map(parse)
        .transpose()?
        .unwrap_or_default();
    let page = Page::of(body);
    let runners = &state.runners;
    let keep = |class: &EnvironmentClass| {
        let runner = runners.get(&class.runner_id);
        let online = runner.is_some_and(|r| r.online);
        (filter.runner_ids.is_empty() || filter.runner_ids.contains(&class.runner_id))
            && filter.enabled.is_none_or(|e| class.enabled == e)
            && filter
                .can_create_environments
                .is_none_or(|c| (class.enabled && online) == c)
            && (filter.runner_kinds.is_empty()
                || runner.is_some_and(|r| filter.runner_kinds.contains(&r.kind)))
            && (filter.runner_providers.is_empty()
                || runner.is_some_and(|r| filter.runner_providers.contains(&r.provider)))
    };
    let (rows, next) = state
        .table::<EnvironmentClass>()
        .page(&page.token, page.size, keep)?;
    Ok(Response::list("environmentClasses", rows, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    #[serde(deserialize_with = "ids::one")]
    environment_class_id: String,
    display_name: Option<String>,
    description: Option<String>,
    enabled: Option<bool>,
}

pub(super) fn update(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let req: UpdateRequest = parse(body)?;
    let class = state
        .table_mut::<EnvironmentClass>()
        .get_mut(&req.environment_class_id)
        .ok_or_else(|| not_found(&req.environment_class_id))?;
    if let Some(name) = req.display_name {
        class.display_name = name;
    }
    if let Some(description) = req.description {
        class.description = description;
    }
    if let Some(enabled) = req.enabled {
        class.enabled = enabled;
    }
    Ok(json!({}).into())
}
