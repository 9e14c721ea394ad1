//! The domain rules of `gitpod.v1.RunnerConfigurationService`: what the engine's resource
//! methods alone would not do. Records name a runner that exists; a token's SCM integration is
//! one of its runner and host; a runner has one SCM integration per host (already_exists);
//! OAuth client secrets are sealed as they arrive, never stored or answered in plaintext;
//! updating an integration's OAuth or PAT support deletes the tokens it no longer covers; the
//! Lists' documented filters; and the runner schema methods (`schemas`).

mod schemas;

use super::{parse, Custom, DomainRules};
use crate::contract::conventions::Verb;
use crate::contract::SERVICE;
use crate::error::{Code, RpcError};
use crate::store::ids;
use crate::store::records::{
    EnumValue, EnvironmentClass, HostToken, OAuthConfig, ScmIntegration, Subject, PRINCIPAL_USER,
    SOURCE_OAUTH, SOURCE_PAT,
};
use crate::store::typed::Keep;
use crate::store::State;
use prost_reflect::MessageDescriptor;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The runner-configuration profile's rules.
pub(super) struct RunnerConfigurations;

pub(super) const RULES: RunnerConfigurations = RunnerConfigurations;

impl DomainRules for RunnerConfigurations {
    fn service(&self) -> &'static str {
        SERVICE
    }

    fn custom(&self, method: &str) -> Option<Custom> {
        let handler = match method {
            "GetRunnerConfigurationSchema" => schemas::get_schema,
            "ValidateRunnerConfiguration" => schemas::validate,
            _ => return None,
        };
        Some(Custom {
            handler,
            creates_records: false,
        })
    }

    fn not_found(&self, resource: &MessageDescriptor, id: &str) -> RpcError {
        let noun = match resource.name() {
            "EnvironmentClass" => "environment class",
            "HostAuthenticationToken" => "host authentication token",
            "SCMIntegration" => "SCM integration",
            other => other,
        };
        RpcError::no_such(noun, id)
    }

    fn before_create(
        &self,
        state: &mut State,
        resource: &MessageDescriptor,
        request: &Value,
        record: &mut Map<String, Value>,
    ) -> Result<(), RpcError> {
        state.runners.require(&ids::of(request, "runnerId"))?;
        match resource.name() {
            "EnvironmentClass" => {
                record.insert("enabled".into(), Value::Bool(true));
                Ok(())
            }
            "HostAuthenticationToken" => complete_token(state, record),
            "SCMIntegration" => complete_integration(state, request, record),
            _ => Ok(()),
        }
    }

    fn before_update(
        &self,
        state: &mut State,
        resource: &MessageDescriptor,
        request: &Value,
        record: &mut Map<String, Value>,
    ) -> Result<(), RpcError> {
        match resource.name() {
            "SCMIntegration" => change_integration(state, request, record),
            _ => Ok(()),
        }
    }

    /// Updating an SCM integration as the API documents: clearing the OAuth client id deletes
    /// the OAuth-sourced tokens of its runner and host, and switching PAT support off deletes
    /// the PAT-sourced ones.
    fn after_write(
        &self,
        state: &mut State,
        verb: Verb,
        resource: &MessageDescriptor,
        request: &Value,
        id: &str,
    ) {
        if verb != Verb::Update || resource.name() != "SCMIntegration" {
            return;
        }
        let mut dropped = Vec::new();
        if request["oauthClientId"].as_str() == Some("") {
            dropped.push(SOURCE_OAUTH);
        }
        if request["pat"] == Value::Bool(false) {
            dropped.push(SOURCE_PAT);
        }
        let Some(integration) = state.table::<ScmIntegration>().get(id) else {
            return;
        };
        let (runner, host) = (integration.runner_id.clone(), integration.host.clone());
        state.table_mut::<HostToken>().remove_where(|t| {
            t.runner_id == runner && t.host == host && dropped.iter().any(|s| t.source.is(s))
        });
    }

    fn filter<'s>(
        &self,
        state: &'s State,
        resource: &MessageDescriptor,
        filter: &Value,
    ) -> Result<Box<Keep<'s>>, RpcError> {
        Ok(match resource.name() {
            "EnvironmentClass" => class_filter(state, read_filter(filter)?),
            "HostAuthenticationToken" => token_filter(read_filter(filter)?),
            "SCMIntegration" => integration_filter(read_filter(filter)?),
            _ => Box::new(|_| true),
        })
    }
}

/// A List's filter; an absent one keeps every record.
fn read_filter<T: DeserializeOwned + Default>(filter: &Value) -> Result<T, RpcError> {
    match filter {
        Value::Null => Ok(T::default()),
        given => parse(given),
    }
}

/// `record` as the typed row it will be stored as.
fn typed<R: DeserializeOwned>(record: &Map<String, Value>) -> Result<R, RpcError> {
    parse(&Value::Object(record.clone()))
}

/// `row` back as the engine's record.
fn untyped(row: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(row).expect("records serialize") {
        Value::Object(record) => record,
        _ => unreachable!("a record serializes as an object"),
    }
}

/// A new token's SCM integration must be one of the same runner and host; the deprecated
/// user_id and the subject describe the same principal, so one is filled from the other.
fn complete_token(state: &State, record: &mut Map<String, Value>) -> Result<(), RpcError> {
    let mut token: HostToken = typed(record)?;
    if !token.integration_id.is_empty() {
        check_integration(state, &token)?;
    }
    let subject = token.subject.take().filter(|s| !s.id.is_empty());
    token.subject = subject.or_else(|| {
        (!token.user_id.is_empty()).then(|| Subject {
            id: token.user_id.clone(),
            principal: PRINCIPAL_USER.into(),
        })
    });
    if let Some(s) = token.subject.as_ref().filter(|_| token.user_id.is_empty()) {
        if s.principal.is(PRINCIPAL_USER) {
            token.user_id = s.id.clone();
        }
    }
    *record = untyped(&token);
    Ok(())
}

/// A mismatch is `failed_precondition`: each field is valid alone, and the request conflicts
/// only with what is stored, which is that code's meaning.
fn check_integration(state: &State, token: &HostToken) -> Result<(), RpcError> {
    let id = &token.integration_id;
    let integration = state
        .table::<ScmIntegration>()
        .get(id)
        .ok_or_else(|| RpcError::no_such("SCM integration", id))?;
    if (&integration.runner_id, &integration.host) == (&token.runner_id, &token.host) {
        return Ok(());
    }
    Err(RpcError::new(
        Code::FailedPrecondition,
        format!(
            "SCM integration {id} is for runner {} and host {}, not for runner {} and host {}",
            integration.runner_id, integration.host, token.runner_id, token.host
        ),
    ))
}

/// The request fields of an integration's OAuth, which the record holds in `oauth`.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct OAuthRequest {
    oauth_client_id: Option<String>,
    oauth_plaintext_client_secret: Option<String>,
    issuer_url: Option<String>,
}

fn complete_integration(
    state: &mut State,
    request: &Value,
    record: &mut Map<String, Value>,
) -> Result<(), RpcError> {
    let mut integration: ScmIntegration = typed(record)?;
    let runner = state.runners.require(&integration.runner_id)?;
    if let Some(schema) = state.runners.schema(runner) {
        if !schema.scm.iter().any(|s| s.scm_id == integration.scm_id) {
            let known: Vec<&str> = schema.scm.iter().map(|s| s.scm_id.as_str()).collect();
            return Err(RpcError::invalid_argument(format!(
                "scm_id {:?} is not supported by runner {}: supported are {}",
                integration.scm_id,
                runner.id,
                known.join(", ")
            )));
        }
    }
    if integration.host.is_empty() {
        return Err(RpcError::invalid_argument("host is required"));
    }
    let oauth: OAuthRequest = parse(request)?;
    let client_id = oauth.oauth_client_id.unwrap_or_default();
    let secret = oauth.oauth_plaintext_client_secret.unwrap_or_default();
    if !client_id.is_empty() && secret.is_empty() {
        return Err(RpcError::invalid_argument(
            "oauth_plaintext_client_secret is required when oauth_client_id is set",
        ));
    }
    let (runner_id, host) = (&integration.runner_id, &integration.host);
    if (state.table::<ScmIntegration>().iter())
        .any(|s| s.runner_id == *runner_id && s.host == *host)
    {
        return Err(RpcError::new(
            Code::AlreadyExists,
            format!("runner {runner_id} already has an SCM integration for host {host}"),
        ));
    }
    integration.oauth = (!client_id.is_empty()).then(|| OAuthConfig {
        encrypted_client_secret: state.seal_secret(&integration.runner_id, &secret),
        client_id,
        issuer_url: oauth.issuer_url.unwrap_or_default(),
    });
    integration.virtual_directory = integration.virtual_directory.filter(|v| !v.is_empty());
    *record = untyped(&integration);
    Ok(())
}

/// An update's OAuth fields, applied to the integration's `oauth`: an empty client id removes
/// it; a client id on an integration without OAuth needs a secret; a secret is sealed.
fn change_integration(
    state: &mut State,
    request: &Value,
    record: &mut Map<String, Value>,
) -> Result<(), RpcError> {
    let mut integration: ScmIntegration = typed(record)?;
    let req: OAuthRequest = parse(request)?;
    let secret = req.oauth_plaintext_client_secret.filter(|s| !s.is_empty());
    match req.oauth_client_id.as_deref() {
        Some("") => integration.oauth = None,
        Some(client_id) => {
            if integration.oauth.is_none() && secret.is_none() {
                return Err(RpcError::invalid_argument(
                    "oauth_plaintext_client_secret is required when oauth_client_id is set on an integration without OAuth",
                ));
            }
            let oauth = integration.oauth.get_or_insert_with(OAuthConfig::default);
            oauth.client_id = client_id.to_string();
        }
        None => {}
    }
    if let Some(secret) = secret.filter(|_| req.oauth_client_id.as_deref() != Some("")) {
        let sealed = state.seal_secret(&integration.runner_id, &secret);
        let Some(oauth) = integration.oauth.as_mut() else {
            return Err(RpcError::invalid_argument(
                "oauth_client_id is required to set an OAuth client secret",
            ));
        };
        oauth.encrypted_client_secret = sealed;
    }
    if let (Some(issuer), Some(oauth)) = (req.issuer_url, integration.oauth.as_mut()) {
        oauth.issuer_url = issuer;
    }
    integration.virtual_directory = integration.virtual_directory.filter(|v| !v.is_empty());
    *record = untyped(&integration);
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ClassFilter {
    #[serde(deserialize_with = "ids::many")]
    runner_ids: Vec<String>,
    enabled: Option<bool>,
    can_create_environments: Option<bool>,
    /// Open enums: an unnamed number is valid and matches no runner.
    runner_kinds: Vec<EnumValue>,
    runner_providers: Vec<EnumValue>,
}

/// A class can create environments when it is enabled and its runner is online.
fn class_filter(state: &State, filter: ClassFilter) -> Box<Keep<'_>> {
    let runners = &state.runners;
    Box::new(move |row| {
        let Some(class) = row.downcast_ref::<EnvironmentClass>() else {
            return false;
        };
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
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct TokenFilter {
    #[serde(deserialize_with = "ids::optional")]
    runner_id: Option<String>,
    #[serde(deserialize_with = "ids::optional")]
    user_id: Option<String>,
    #[serde(deserialize_with = "ids::optional")]
    subject_id: Option<String>,
}

/// A token's subject is its subject's id, or else its deprecated user id.
fn token_filter(filter: TokenFilter) -> Box<Keep<'static>> {
    Box::new(move |row| {
        let Some(t) = row.downcast_ref::<HostToken>() else {
            return false;
        };
        let subject_id = t.subject.as_ref().map_or(t.user_id.as_str(), |s| &s.id);
        filter.runner_id.as_ref().is_none_or(|r| *r == t.runner_id)
            && filter.user_id.as_ref().is_none_or(|u| *u == t.user_id)
            && filter.subject_id.as_ref().is_none_or(|s| s == subject_id)
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct IntegrationFilter {
    #[serde(deserialize_with = "ids::many")]
    runner_ids: Vec<String>,
}

fn integration_filter(filter: IntegrationFilter) -> Box<Keep<'static>> {
    Box::new(move |row| {
        row.downcast_ref::<ScmIntegration>().is_some_and(|s| {
            filter.runner_ids.is_empty() || filter.runner_ids.contains(&s.runner_id)
        })
    })
}
