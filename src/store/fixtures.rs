//! Loads a fixture set (the embedded default or a directory), checks every file against the
//! contract's response schemas and the references between files, and reports every problem
//! with its file, field and reason.

use super::records::{EnvironmentClass, HostToken, Runner, ScmIntegration};
use super::runner_schema::RunnerSchema;
use crate::codec;
use crate::contract::Contract;
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

    pub(super) fn display(&self, rel: &str) -> String {
        match self {
            Source::Embedded => format!("fixtures/{rel}"),
            Source::Dir(dir) => PathBuf::from(dir).join(rel).display().to_string(),
        }
    }
}

pub(super) struct Loader<'a> {
    contract: &'a Contract,
    pub(super) source: Source<'a>,
    pub(super) errors: Vec<FixtureError>,
}

impl Loader<'_> {
    pub(super) fn error(&mut self, rel: &str, field: impl Into<String>, reason: impl Into<String>) {
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
    super::references::check(&mut loader, &fixtures);
    if loader.errors.is_empty() {
        Ok(fixtures)
    } else {
        Err(FixtureErrors(loader.errors))
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
