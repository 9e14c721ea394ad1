//! GetRunnerConfigurationSchema and ValidateRunnerConfiguration: a runner's schema, and real
//! checks of an environment class or SCM integration against it. Validate reports problems in
//! its response, as the service does, and fails only for an unknown runner.

use super::{parse, Response};
use crate::error::RpcError;
use crate::store::ids;
use crate::store::records::FieldValue;
use crate::store::runner_schema::{Pattern, RunnerSchema, SchemaField};
use crate::store::State;
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub fn get_schema(state: &mut State, body: &Value) -> Result<Response, RpcError> {
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

pub fn validate(state: &mut State, body: &Value) -> Result<Response, RpcError> {
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

/// The problems of a stored environment class against its runner's schema, as (field, reason)
/// pairs: exactly what ValidateRunnerConfiguration reports, so `check` holds fixtures to it.
pub(crate) fn environment_class_problems(
    schema: &RunnerSchema,
    class: &crate::store::records::EnvironmentClass,
) -> Vec<(String, String)> {
    let input = EnvironmentClassInput {
        display_name: class.display_name.clone(),
        description: class.description.clone(),
        configuration: class.configuration.clone(),
    };
    let result = check_environment_class(schema, &input);
    let mut problems = Vec::new();
    for (error, field) in [
        ("displayNameError", "displayName"),
        ("descriptionError", "description"),
    ] {
        if let Some(e) = result[error].as_str() {
            problems.push((field.to_string(), e.to_string()));
        }
    }
    for e in result["configurationErrors"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let (key, error) = (e["key"].as_str(), e["error"].as_str());
        let reason = format!("{}: {}", key.unwrap_or_default(), error.unwrap_or_default());
        problems.push(("configuration".to_string(), reason));
    }
    problems
}

fn length_error(what: &str, value: &str, min: usize, max: usize) -> Option<String> {
    let len = value.chars().count();
    (len < min || len > max)
        .then(|| format!("{what} must be between {min} and {max} characters long, got {len}"))
}

fn check_environment_class(schema: &RunnerSchema, class: &EnvironmentClassInput) -> Value {
    let mut result = Map::new();
    if let Some(e) = length_error("display name", &class.display_name, 3, 127) {
        result.insert("displayNameError".into(), json!(e));
    }
    if let Some(e) = length_error("description", &class.description, 3, 200) {
        result.insert("descriptionError".into(), json!(e));
    }
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for FieldValue { key, value } in &class.configuration {
        let error = match schema.environment_classes.iter().find(|f| f.id == *key) {
            _ if seen.contains(&key) => Some("is set more than once".to_string()),
            None => Some(format!(
                "unknown configuration key: the runner's schema (version {}) has no such field",
                schema.version
            )),
            Some(field) => check_value(field, value),
        };
        seen.push(key);
        if let Some(error) = error {
            errors.push(json!({ "key": key, "error": error }));
        }
    }
    for field in schema
        .environment_classes
        .iter()
        .filter(|f| f.required && !class.configuration.iter().any(|c| c.key == f.id))
    {
        errors.push(json!({ "key": field.id, "error": format!("{} is required", field.name) }));
    }
    let valid = result.is_empty() && errors.is_empty();
    result.insert("configurationErrors".into(), Value::Array(errors));
    result.insert("valid".into(), json!(valid));
    Value::Object(result)
}

/// The error for one configuration value, or none when the field accepts it.
fn check_value(field: &SchemaField, value: &str) -> Option<String> {
    if field.required && value.is_empty() {
        return Some(format!("{} is required", field.name));
    }
    if let Some(int) = &field.int {
        return match value.parse::<i64>() {
            Err(_) => Some(format!("must be a whole number, got {value:?}")),
            Ok(n) if n < int.min || n > int.max => Some(format!(
                "must be between {} and {}, got {n}",
                int.min, int.max
            )),
            Ok(_) => None,
        };
    }
    if let Some(e) = &field.r#enum {
        let allowed = e.allowed();
        return (!allowed.contains(&value))
            .then(|| format!("must be one of {}, got {value:?}", allowed.join(", ")));
    }
    if field.bool.is_some() {
        return (!matches!(value, "true" | "false"))
            .then(|| format!("must be true or false, got {value:?}"));
    }
    if field.display.is_some() {
        return Some("is a display field and cannot be set".into());
    }
    // Compiled once, when the schema loaded: see `runner_schema::Pattern`.
    match &field.string.as_ref()?.pattern {
        _ if value.is_empty() => None,
        Pattern::Any => None,
        Pattern::Regex(re) if re.is_match(value) => None,
        Pattern::Regex(re) if field.secret => {
            Some(format!("does not match the pattern {}", re.as_str()))
        }
        Pattern::Regex(re) => Some(format!(
            "{value:?} does not match the pattern {}",
            re.as_str()
        )),
        Pattern::Invalid { source, .. } => Some(format!(
            "the runner's schema has an invalid pattern {source}"
        )),
    }
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
