//! Loads a fixture set (the embedded default or a directory), checks every file against the
//! contract's response schemas and the references between files, and reports every problem
//! with its file, field and reason.

use super::records::{EnvironmentClass, HostToken, Runner, ScmIntegration};
use super::runner_schema::RunnerSchema;
use crate::codec;
use crate::contract::Contract;
use crate::error::shown_id;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// The default fixtures, embedded by build.rs as (relative path, contents).
const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/fixtures.rs"));

/// A loaded, checked fixture set.
#[derive(Debug, Clone, Default)]
pub struct Fixtures {
    pub runners: Vec<Runner>,
    pub schemas: BTreeMap<String, RunnerSchema>,
    pub environment_classes: Vec<EnvironmentClass>,
    pub scm_integrations: Vec<ScmIntegration>,
    pub host_tokens: Vec<HostToken>,
}

/// One problem in a fixture file.
#[derive(Debug, Clone, PartialEq)]
pub struct FixtureError {
    pub file: String,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FixtureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}: {}: {}", self.file, self.field, self.reason)
        }
    }
}

/// All problems found in a fixture set.
#[derive(Debug, Clone)]
pub struct FixtureErrors(pub Vec<FixtureError>);

impl fmt::Display for FixtureErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for FixtureErrors {}

/// Where fixture files come from.
pub enum Source<'a> {
    Embedded,
    Dir(&'a Path),
}

impl Source<'_> {
    fn read(&self, rel: &str) -> Result<String, String> {
        match self {
            Source::Embedded => EMBEDDED
                .iter()
                .find(|(p, _)| *p == rel)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| "no such embedded file".into()),
            Source::Dir(dir) => std::fs::read_to_string(dir.join(rel)).map_err(|e| e.to_string()),
        }
    }

    fn display(&self, rel: &str) -> String {
        match self {
            Source::Embedded => format!("fixtures/{rel}"),
            Source::Dir(dir) => PathBuf::from(dir).join(rel).display().to_string(),
        }
    }
}

struct Loader<'a> {
    contract: &'a Contract,
    source: Source<'a>,
    errors: Vec<FixtureError>,
}

impl Loader<'_> {
    fn error(&mut self, rel: &str, field: impl Into<String>, reason: impl Into<String>) {
        let file = self.source.display(rel);
        self.errors.push(FixtureError {
            file,
            field: field.into(),
            reason: reason.into(),
        });
    }

    /// Reads `rel` as a `message` in proto3 JSON, checks it against the message's response
    /// schema, and returns its canonical JSON.
    fn message(&mut self, rel: &str, message: &str) -> Option<Value> {
        let text = match self.source.read(rel) {
            Ok(text) => text,
            Err(e) => {
                self.error(rel, "", format!("cannot read: {e}"));
                return None;
            }
        };
        let raw: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.error(rel, "", format!("invalid JSON: {e}"));
                return None;
            }
        };
        let desc = self
            .contract
            .message(message)
            .expect("fixture messages are in the contract");
        let decoded = match prost_reflect::DynamicMessage::deserialize(desc.clone(), raw.clone()) {
            Ok(m) => m,
            Err(e) => {
                let field = locate(&desc, &raw).unwrap_or_default();
                self.error(rel, field, format!("not a valid {message}: {e}"));
                return None;
            }
        };
        let value = serde_json::to_value(&decoded).expect("a message serializes");
        let schema = self.contract.response_schema(&desc);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .expect("derived schemas compile");
        let failures: Vec<(String, String)> = validator
            .iter_errors(&value)
            .map(|e| {
                (
                    e.instance_path()
                        .as_str()
                        .trim_start_matches('/')
                        .replace('/', "."),
                    e.masked().to_string(),
                )
            })
            .collect();
        for (field, reason) in &failures {
            self.error(rel, field.clone(), reason.clone());
        }
        failures.is_empty().then(|| codec::canonical(&decoded))
    }

    fn rows<T: DeserializeOwned>(&mut self, rel: &str, message: &str, list: &str) -> Vec<T> {
        let Some(value) = self.message(rel, message) else {
            return Vec::new();
        };
        let rows = value.get(list).cloned().unwrap_or(Value::Array(Vec::new()));
        serde_json::from_value(rows).unwrap_or_else(|e| {
            self.error(rel, list, e.to_string());
            Vec::new()
        })
    }
}

/// Loads and checks a fixture set. Every problem is reported, not only the first.
pub fn load(contract: &Contract, source: Source<'_>) -> Result<Fixtures, FixtureErrors> {
    let mut loader = Loader {
        contract,
        source,
        errors: Vec::new(),
    };
    let mut fixtures = Fixtures {
        runners: loader.rows("runners.json", "gitpod_mock.v1.RunnerList", "runners"),
        environment_classes: loader.rows(
            "environment_classes.json",
            "gitpod.v1.ListEnvironmentClassesResponse",
            "environmentClasses",
        ),
        scm_integrations: loader.rows(
            "scm_integrations.json",
            "gitpod.v1.ListSCMIntegrationsResponse",
            "integrations",
        ),
        host_tokens: loader.rows(
            "host_authentication_tokens.json",
            "gitpod.v1.ListHostAuthenticationTokensResponse",
            "tokens",
        ),
        schemas: BTreeMap::new(),
    };
    let names: HashSet<String> = fixtures.runners.iter().map(|r| r.schema.clone()).collect();
    for name in names {
        let rel = format!("schemas/{name}.json");
        if let Some(json) = loader.message(&rel, "gitpod.v1.RunnerConfigurationSchema") {
            let mut schema: RunnerSchema = serde_json::from_value(json.clone()).unwrap_or_default();
            for (field, reason) in schema.pattern_problems() {
                loader.error(&rel, field, reason);
            }
            schema.json = json;
            fixtures.schemas.insert(name, schema);
        }
    }
    check_references(&mut loader, &fixtures);
    if loader.errors.is_empty() {
        Ok(fixtures)
    } else {
        Err(FixtureErrors(loader.errors))
    }
}

fn check_references(loader: &mut Loader<'_>, f: &Fixtures) {
    // A file that failed to load has no rows: references into it are not reported again.
    let integrations_file = loader.source.display("scm_integrations.json");
    let integrations_loaded = !loader.errors.iter().any(|e| e.file == integrations_file);
    let runners: HashSet<&str> = f.runners.iter().map(|r| r.id.as_str()).collect();
    let check_ids =
        |loader: &mut Loader<'_>, rel: &str, list: &str, ids: Vec<(&str, Option<&str>)>| {
            let mut seen = HashSet::new();
            for (i, (id, runner)) in ids.into_iter().enumerate() {
                if !is_uuid(id) {
                    loader.error(
                        rel,
                        format!("{list}[{i}].id"),
                        format!("{id:?} is not a UUID"),
                    );
                }
                if !seen.insert(id) {
                    loader.error(
                        rel,
                        format!("{list}[{i}].id"),
                        format!("duplicate id {}", shown_id(id)),
                    );
                }
                if let Some(runner) = runner.filter(|r| !runners.contains(r)) {
                    loader.error(
                        rel,
                        format!("{list}[{i}].runnerId"),
                        format!("unknown runner {}: not in runners.json", shown_id(runner)),
                    );
                }
            }
        };
    check_ids(
        loader,
        "runners.json",
        "runners",
        f.runners.iter().map(|r| (r.id.as_str(), None)).collect(),
    );
    check_ids(
        loader,
        "environment_classes.json",
        "environmentClasses",
        f.environment_classes
            .iter()
            .map(|r| (r.id.as_str(), Some(r.runner_id.as_str())))
            .collect(),
    );
    check_ids(
        loader,
        "scm_integrations.json",
        "integrations",
        f.scm_integrations
            .iter()
            .map(|r| (r.id.as_str(), Some(r.runner_id.as_str())))
            .collect(),
    );
    check_ids(
        loader,
        "host_authentication_tokens.json",
        "tokens",
        f.host_tokens
            .iter()
            .map(|r| (r.id.as_str(), Some(r.runner_id.as_str())))
            .collect(),
    );
    let mut hosts = HashSet::new();
    for (i, s) in f.scm_integrations.iter().enumerate() {
        if !hosts.insert((s.runner_id.as_str(), s.host.as_str())) {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].host"),
                format!(
                    "runner {} already has an integration for host {}",
                    s.runner_id, s.host
                ),
            );
        }
        let schema = f
            .runners
            .iter()
            .find(|r| r.id == s.runner_id)
            .and_then(|r| f.schemas.get(&r.schema));
        if let Some(schema) =
            schema.filter(|schema| !schema.scm.iter().any(|scm| scm.scm_id == s.scm_id))
        {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].scmId"),
                format!(
                    "{:?} is not in the runner's schema (version {})",
                    s.scm_id, schema.version
                ),
            );
        }
        let entry = schema.and_then(|schema| schema.scm.iter().find(|e| e.scm_id == s.scm_id));
        if s.pat && entry.is_some_and(|e| e.pat.is_none()) {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].pat"),
                format!("the runner's schema has no pat section for {:?}", s.scm_id),
            );
        }
        if s.virtual_directory.is_some() && s.scm_id != "azure-devops" {
            loader.error(
                "scm_integrations.json",
                format!("integrations[{i}].virtualDirectory"),
                "only azure-devops integrations have a virtual directory",
            );
        }
    }
    for (i, t) in f
        .host_tokens
        .iter()
        .enumerate()
        .filter(|_| integrations_loaded)
    {
        let integration = f.scm_integrations.iter().find(|s| s.id == t.integration_id);
        let problem = match integration {
            _ if t.integration_id.is_empty() => None,
            None => Some(format!(
                "unknown SCM integration {}: not in scm_integrations.json",
                t.integration_id
            )),
            Some(s) if (s.runner_id.as_str(), s.host.as_str()) != (&t.runner_id, &t.host) => {
                Some(format!(
                    "SCM integration {} is for runner {} and host {}, not this token's",
                    s.id, s.runner_id, s.host
                ))
            }
            Some(_) => None,
        };
        if let Some(problem) = problem {
            let field = format!("tokens[{i}].integrationId");
            loader.error("host_authentication_tokens.json", field, problem);
        }
    }
    for (i, class) in f.environment_classes.iter().enumerate() {
        let runner = f.runners.iter().find(|r| r.id == class.runner_id);
        let Some(schema) = runner.and_then(|r| f.schemas.get(&r.schema)) else {
            continue;
        };
        let mut problems = crate::service::environment_class_problems(schema, class);
        for value in &class.configuration {
            let field = schema
                .environment_classes
                .iter()
                .find(|f| f.id == value.key);
            if field.is_some_and(|f| f.secret) && !value.value.is_empty() {
                let reason = format!("{}: secret fields are never set in fixtures", value.key);
                problems.push(("configuration".into(), reason));
            }
        }
        for (field, reason) in problems {
            let field = format!("environmentClasses[{i}].{field}");
            loader.error("environment_classes.json", field, reason);
        }
    }
}

/// The path of the field that keeps `value` from decoding as a `desc` message, such as
/// `environmentClasses[2].enabled`: the decoder's own errors name no field. Each field is tried
/// alone, then the element or nested field inside it that fails.
fn locate(desc: &prost_reflect::MessageDescriptor, value: &Value) -> Option<String> {
    use prost_reflect::{DynamicMessage, Kind};
    let decodes = |key: &str, item: Value| {
        let alone = Value::Object(std::iter::once((key.to_string(), item)).collect());
        DynamicMessage::deserialize(desc.clone(), alone).is_ok()
    };
    let (key, item) = value
        .as_object()?
        .iter()
        .find(|(key, item)| !decodes(key, (*item).clone()))?;
    let Some(field) = desc
        .get_field_by_json_name(key)
        .or_else(|| desc.get_field_by_name(key))
    else {
        return Some(key.clone()); // an unknown field
    };
    let inner = |item: &Value| match field.kind() {
        Kind::Message(m) if !field.is_map() => locate(&m, item).map(|p| format!(".{p}")),
        _ => None,
    };
    let rest = match item {
        Value::Array(items) if field.is_list() => items
            .iter()
            .enumerate()
            .find(|(_, element)| !decodes(key, Value::Array(vec![(*element).clone()])))
            .map(|(i, element)| format!("[{i}]{}", inner(element).unwrap_or_default())),
        item => inner(item),
    };
    Some(format!("{key}{}", rest.unwrap_or_default()))
}

/// Whether `s` is a UUID in its canonical hyphenated form.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_field_of_the_wrong_type_is_named_by_its_path() {
        let contract = Contract::load();
        let desc = contract
            .message("gitpod.v1.ListEnvironmentClassesResponse")
            .unwrap();
        let class = json!({"id": "a", "enabled": true, "configuration": [{"key": "k"}]});
        let mut bad = class.clone();
        bad["configuration"] = json!([{"key": "k"}, {"key": "k", "value": 5}]);
        let cases = [
            (
                json!({"environmentClasses": [class.clone(), {"enabled": "no"}]}),
                "environmentClasses[1].enabled",
            ),
            (
                json!({"environmentClasses": [class.clone(), bad]}),
                "environmentClasses[1].configuration[1].value",
            ),
            (
                json!({"environmentClasses": [class.clone(), 7]}),
                "environmentClasses[1]",
            ),
            (json!({"environmentClasses": {}}), "environmentClasses"),
            (json!({"environmentClasses": [], "extra": 1}), "extra"),
        ];
        for (value, path) in cases {
            assert_eq!(locate(&desc, &value).as_deref(), Some(path), "{value}");
        }
        assert_eq!(locate(&desc, &json!({"environmentClasses": [class]})), None);
    }
}
