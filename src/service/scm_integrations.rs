//! SCM integrations, with the documented side effects of updates on host tokens: clearing the
//! OAuth client id deletes the OAuth-sourced tokens of that runner and host, and switching PAT
//! support off deletes the PAT-sourced ones.

use super::{parse, Page, Response};
use crate::error::RpcError;
use crate::store::ids;
use crate::store::records::{HostToken, OAuthConfig, ScmIntegration, SOURCE_OAUTH, SOURCE_PAT};
use crate::store::State;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRequest {
    #[serde(deserialize_with = "ids::one")]
    runner_id: String,
    scm_id: String,
    host: String,
    oauth_client_id: Option<String>,
    oauth_plaintext_client_secret: Option<String>,
    pat: bool,
    issuer_url: Option<String>,
    virtual_directory: Option<String>,
}

pub(super) fn create(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let req: CreateRequest = parse(body)?;
    let runner = state.runners.require(&req.runner_id)?.clone();
    if let Some(schema) = state.runners.schema(&runner) {
        if !schema.scm.iter().any(|s| s.scm_id == req.scm_id) {
            let known: Vec<&str> = schema.scm.iter().map(|s| s.scm_id.as_str()).collect();
            return Err(RpcError::invalid_argument(format!(
                "scm_id {:?} is not supported by runner {}: supported are {}",
                req.scm_id,
                runner.id,
                known.join(", ")
            )));
        }
    }
    if req.host.is_empty() {
        return Err(RpcError::invalid_argument("host is required"));
    }
    let client_id = req.oauth_client_id.unwrap_or_default();
    let secret = req.oauth_plaintext_client_secret.unwrap_or_default();
    if !client_id.is_empty() && secret.is_empty() {
        return Err(RpcError::invalid_argument(
            "oauth_plaintext_client_secret is required when oauth_client_id is set",
        ));
    }
    if state
        .table::<ScmIntegration>()
        .iter()
        .any(|s| s.runner_id == req.runner_id && s.host == req.host)
    {
        return Err(RpcError::new(
            crate::error::Code::AlreadyExists,
            format!(
                "runner {} already has an SCM integration for host {}",
                req.runner_id, req.host
            ),
        ));
    }
    let oauth = (!client_id.is_empty()).then(|| OAuthConfig {
        encrypted_client_secret: state.seal_secret(&req.runner_id, &secret),
        client_id,
        issuer_url: req.issuer_url.unwrap_or_default(),
    });
    let id = state.new_id();
    state.table_mut::<ScmIntegration>().insert(ScmIntegration {
        id: id.clone(),
        runner_id: req.runner_id,
        scm_id: req.scm_id,
        host: req.host,
        oauth,
        pat: req.pat,
        virtual_directory: req.virtual_directory.filter(|v| !v.is_empty()),
    });
    Ok(json!({ "id": id }).into())
}

fn not_found(id: &str) -> RpcError {
    RpcError::no_such("SCM integration", id)
}

pub(super) fn get(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let id = ids::of(body, "id");
    let integration = state.table::<ScmIntegration>().shared(&id);
    Ok(Response::field(
        "integration",
        integration.ok_or_else(|| not_found(&id))?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Filter {
    #[serde(deserialize_with = "ids::many")]
    runner_ids: Vec<String>,
}

pub(super) fn list(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let filter: Filter = body
        .get("filter")
        .map(parse)
        .transpose()?
        .unwrap_or_default();
    let page = Page::of(body);
    let keep = |s: &ScmIntegration| {
        filter.runner_ids.is_empty() || filter.runner_ids.contains(&s.runner_id)
    };
    let (rows, next) = state
        .table::<ScmIntegration>()
        .page(&page.token, page.size, keep)?;
    Ok(Response::list("integrations", rows, next))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateRequest {
    #[serde(deserialize_with = "ids::one")]
    id: String,
    oauth_client_id: Option<String>,
    oauth_plaintext_client_secret: Option<String>,
    pat: Option<bool>,
    issuer_url: Option<String>,
    virtual_directory: Option<String>,
}

pub(super) fn update(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let req: UpdateRequest = parse(body)?;
    let mut integration = state
        .table::<ScmIntegration>()
        .get(&req.id)
        .cloned()
        .ok_or_else(|| not_found(&req.id))?;
    let mut drop_sources = Vec::new();
    match req.oauth_client_id.as_deref() {
        Some("") => {
            integration.oauth = None;
            drop_sources.push(SOURCE_OAUTH);
        }
        Some(client_id) => {
            if integration.oauth.is_none()
                && req
                    .oauth_plaintext_client_secret
                    .as_deref()
                    .unwrap_or_default()
                    .is_empty()
            {
                return Err(RpcError::invalid_argument(
                    "oauth_plaintext_client_secret is required when oauth_client_id is set on an integration without OAuth",
                ));
            }
            integration
                .oauth
                .get_or_insert_with(OAuthConfig::default)
                .client_id = client_id.to_string();
        }
        None => {}
    }
    if let Some(secret) = req.oauth_plaintext_client_secret.filter(|s| !s.is_empty()) {
        if req.oauth_client_id.as_deref() != Some("") {
            let sealed = state.seal_secret(&integration.runner_id, &secret);
            let Some(oauth) = integration.oauth.as_mut() else {
                return Err(RpcError::invalid_argument(
                    "oauth_client_id is required to set an OAuth client secret",
                ));
            };
            oauth.encrypted_client_secret = sealed;
        }
    }
    if let (Some(issuer), Some(oauth)) = (req.issuer_url, integration.oauth.as_mut()) {
        oauth.issuer_url = issuer;
    }
    if let Some(pat) = req.pat {
        integration.pat = pat;
        if !pat {
            drop_sources.push(SOURCE_PAT);
        }
    }
    if let Some(dir) = req.virtual_directory {
        integration.virtual_directory = (!dir.is_empty()).then_some(dir);
    }
    let (runner, host) = (integration.runner_id.clone(), integration.host.clone());
    state.table_mut::<ScmIntegration>().insert(integration);
    state.table_mut::<HostToken>().remove_where(|t| {
        t.runner_id == runner && t.host == host && drop_sources.iter().any(|s| t.source.is(s))
    });
    Ok(json!({}).into())
}

pub(super) fn delete(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let id = ids::of(body, "id");
    state
        .table_mut::<ScmIntegration>()
        .remove(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(json!({}).into())
}
