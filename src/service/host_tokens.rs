//! Host authentication tokens. Token and refresh-token values are accepted and validated but
//! never stored, so no response, log or export can carry them.

use super::{parse, Page, Response};
use crate::error::{Code, RpcError};
use crate::store::ids;
use crate::store::records::{EnumValue, HostToken, ScmIntegration, Subject, PRINCIPAL_USER};
use crate::store::State;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    #[serde(deserialize_with = "ids::one")]
    runner_id: String,
    #[serde(deserialize_with = "ids::one")]
    user_id: String,
    host: String,
    source: EnumValue,
    expires_at: Option<String>,
    #[serde(deserialize_with = "ids::one")]
    integration_id: String,
    scopes: Vec<String>,
    subject: Option<Subject>,
}

pub(super) fn create(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let req: CreateRequest = parse(body)?;
    state.runners.require(&req.runner_id)?;
    if !req.integration_id.is_empty() {
        check_integration(state, &req)?;
    }
    // The deprecated user_id and the subject describe the same principal: fill one from the other.
    let subject = req.subject.filter(|s| !s.id.is_empty()).or_else(|| {
        (!req.user_id.is_empty()).then(|| Subject {
            id: req.user_id.clone(),
            principal: PRINCIPAL_USER.into(),
        })
    });
    let user_id = match (&subject, req.user_id.is_empty()) {
        (Some(s), true) if s.principal.is(PRINCIPAL_USER) => s.id.clone(),
        _ => req.user_id,
    };
    let token = HostToken {
        id: state.new_id(),
        runner_id: req.runner_id,
        user_id,
        host: req.host,
        source: req.source,
        expires_at: req.expires_at,
        integration_id: req.integration_id,
        scopes: req.scopes,
        subject,
    };
    state.table_mut::<HostToken>().insert(token.clone());
    Ok(json!({ "token": token }).into())
}

/// A token names the SCM integration it was issued through, which must be one of the same
/// runner and host. A mismatch is `failed_precondition`: each field is valid alone, and the
/// request conflicts only with what is stored, which is that code's meaning.
fn check_integration(state: &State, req: &CreateRequest) -> Result<(), RpcError> {
    let id = &req.integration_id;
    let integration = state
        .table::<ScmIntegration>()
        .get(id)
        .ok_or_else(|| RpcError::no_such("SCM integration", id))?;
    if (&integration.runner_id, &integration.host) == (&req.runner_id, &req.host) {
        return Ok(());
    }
    Err(RpcError::new(
        Code::FailedPrecondition,
        format!(
            "SCM integration {id} is for runner {} and host {}, not for runner {} and host {}",
            integration.runner_id, integration.host, req.runner_id, req.host
        ),
    ))
}

fn not_found(id: &str) -> RpcError {
    RpcError::no_such("host authentication token", id)
}

pub(super) fn get(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let id = ids::of(body, "id");
    let token = state
        .table::<HostToken>()
        .shared(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(Response::field("token", token))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Filter {
    #[serde(deserialize_with = "ids::optional")]
    runner_id: Option<String>,
    #[serde(deserialize_with = "ids::optional")]
    user_id: Option<String>,
    #[serde(deserialize_with = "ids::optional")]
    subject_id: Option<String>,
}

pub(super) fn list(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let filter: Filter = body
        .get("filter")
        .map(parse)
        .transpose()?
        .unwrap_or_default();
    let page = Page::of(body);
    let keep = |t: &HostToken| {
        let subject_id = t
            .subject
            .as_ref()
            .map(|s| s.id.as_str())
            .unwrap_or(&t.user_id);
        filter.runner_id.as_ref().is_none_or(|r| *r == t.runner_id)
            && filter.user_id.as_ref().is_none_or(|u| *u == t.user_id)
            && filter.subject_id.as_ref().is_none_or(|s| s == subject_id)
    };
    let (rows, next) = state
        .table::<HostToken>()
        .page(&page.token, page.size, keep)?;
    Ok(Response::list("tokens", rows, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    #[serde(deserialize_with = "ids::one")]
    id: String,
    expires_at: Option<String>,
    scopes: Vec<String>,
}

pub(super) fn update(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let req: UpdateRequest = parse(body)?;
    let token = state
        .table_mut::<HostToken>()
        .get_mut(&req.id)
        .ok_or_else(|| not_found(&req.id))?;
    if req.expires_at.is_some() {
        token.expires_at = req.expires_at;
    }
    // A repeated field has no presence in proto3: an empty list means "not given".
    if !req.scopes.is_empty() {
        token.scopes = req.scopes;
    }
    Ok(json!({}).into())
}

pub(super) fn delete(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let id = ids::of(body, "id");
    state
        .table_mut::<HostToken>()
        .remove(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(json!({}).into())
}
