//! The profile's methods the engine cannot serve: GetRunnerConfigurationSchema, a runner's
//! schema, and ValidateRunnerConfiguration, real checks of an environment class or SCM
//! integration against it. Validate reports problems in its response, as the service does,
//! and fails only for an unknown runner.

use crate::codec::answer::Response;
use crate::error::RpcError;
use crate::profile::parse;
use crate::store::class_check::check_class;
use crate::store::ids;
use crate::store::records::FieldValue;
use crate::store::runner_schema::RunnerSchema;
use crate::store::State;
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub(crate) fn get_schema(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let runner = state.runners.require(&ids::of(body, "runnerId"))?;
    let schema = state
        .runners
        .schema(runner)
        .map(|s| s.json.clone())
        .unwrap_or_else(|| json!({}));
    Ok(json!({ "schema": schema }).into())
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct EnvironmentClassInput {
    display_name: String,
    description: String,
    configuration: Vec<FieldValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ScmInput {
    scm_id: String,
    host: String,
    oauth_client_id: Option<String>,
    oauth_plaintext_client_secret: Option<String>,
    oauth_encrypted_client_secret: Option<String>,
    pat: bool,
    virtual_directory: Option<String>,
}

pub(crate) fn validate(state: &mut State, body: &Value) -> Result<Response, RpcError> {
    let runner = state.runners.require(&ids::of(body, "runnerId"))?;
    let empty = RunnerSchema::default();
    let schema = state.runners.schema(runner).unwrap_or(&empty);
    if let Some(class) = body.get("environmentClass") {
        let class: EnvironmentClassInput = parse(class)?;
        return Ok(json!({ "environmentClass": check_environment_class(schema, &class) }).into());
    }
    if let Some(scm) = body.get("scmIntegration") {
        let scm: ScmInput = parse(scm)?;
        return Ok(json!({ "scmIntegration": check_scm(schema, &scm) }).into());
    }
    Err(RpcError::invalid_argument(
        "config is required: set environment_class or scm_integration",
    ))
}

/// ValidateRunnerConfiguration's answer for an environment class: the store's check of it
/// against the runner's schema, in the response's shape.
fn check_environment_class(schema: &RunnerSchema, class: &EnvironmentClassInput) -> Value {
    let problems = check_class(
        schema,
        &class.display_name,
        &class.description,
        &class.configuration,
    );
    let valid = problems.is_valid();
    let mut result = Map::new();
    if let Some(e) = problems.display_name {
        result.insert("displayNameError".into(), json!(e));
    }
    if let Some(e) = problems.description {
        result.insert("descriptionError".into(), json!(e));
    }
    let errors = problems
        .configuration
        .into_iter()
        .map(|(key, error)| json!({ "key": key, "error": error }))
        .collect();
    result.insert("configurationErrors".into(), Value::Array(errors));
    result.insert("valid".into(), json!(valid));
    Value::Object(result)
}

fn check_scm(schema: &RunnerSchema, scm: &ScmInput) -> Value {
    let mut result = Map::new();
    let entry = schema.scm.iter().find(|s| s.scm_id == scm.scm_id);
    if entry.is_none() {
        let known: Vec<&str> = schema.scm.iter().map(|s| s.scm_id.as_str()).collect();
        let error = if scm.scm_id.is_empty() {
            "scm_id is required".to_string()
        } else {
            format!(
                "scm_id {:?} is not supported by this runner: supported are {}",
                scm.scm_id,
                known.join(", ")
            )
        };
        result.insert("scmIdError".into(), json!(error));
    }
    if scm.host.is_empty() {
        result.insert("hostError".into(), json!("host is required"));
    } else if scm.host.contains("://") || scm.host.contains('/') {
        result.insert(
            "hostError".into(),
            json!(format!(
                "host must be a host name without scheme or path, got {:?}",
                scm.host
            )),
        );
    }
    let client_id = scm.oauth_client_id.as_deref().unwrap_or_default();
    let has_secret = [
        &scm.oauth_plaintext_client_secret,
        &scm.oauth_encrypted_client_secret,
    ]
    .iter()
    .any(|s| s.as_deref().is_some_and(|s| !s.is_empty()));
    let oauth_error = match (client_id.is_empty(), has_secret) {
        (false, false) => Some("an OAuth client secret is required when oauth_client_id is set"),
        (true, true) => Some("oauth_client_id is required when a client secret is set"),
        _ if !client_id.is_empty() && entry.is_some_and(|e| e.oauth.is_none()) => {
            Some("this SCM does not support OAuth on this runner")
        }
        _ => None,
    };
    if let Some(e) = oauth_error {
        result.insert("oauthError".into(), json!(e));
    }
    if scm.pat && entry.is_some_and(|e| e.pat.is_none()) {
        result.insert(
            "patError".into(),
            json!("this SCM does not support personal access tokens on this runner"),
        );
    }
    if scm
        .virtual_directory
        .as_deref()
        .is_some_and(|d| !d.is_empty())
        && scm.scm_id != "azure-devops"
    {
        result.insert(
            "hostError".into(),
            json!("virtual_directory is only used for Azure DevOps Server"),
        );
    }
    let valid = result.is_empty();
    result.insert("valid".into(), json!(valid));
    Value::Object(result)
}
