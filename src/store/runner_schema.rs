//! A runner's configuration schema (`RunnerConfigurationSchema`), typed for the checks
//! `ValidateRunnerConfiguration` runs against it.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RunnerSchema {
    pub version: String,
    pub runner_config: Vec<SchemaField>,
    pub environment_classes: Vec<SchemaField>,
    pub scm: Vec<ScmSchema>,
    /// The schema exactly as the fixture gave it, answered by GetRunnerConfigurationSchema.
    #[serde(skip)]
    pub json: Value,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SchemaField {
    pub id: String,
    pub name: String,
    pub required: bool,
    pub secret: bool,
    pub string: Option<StringField>,
    pub bool: Option<Value>,
    pub int: Option<IntField>,
    pub r#enum: Option<EnumField>,
    pub display: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StringField {
    pub pattern: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IntField {
    pub min: i64,
    pub max: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnumField {
    pub values: Vec<String>,
    pub possible_values: Vec<EnumValue>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnumValue {
    pub title: String,
}

impl EnumField {
    /// The allowed values: the titles of `possibleValues`, or the deprecated `values` list.
    pub fn allowed(&self) -> Vec<&str> {
        let titles: Vec<&str> = self
            .possible_values
            .iter()
            .map(|v| v.title.as_str())
            .collect();
        if titles.is_empty() {
            self.values.iter().map(String::as_str).collect()
        } else {
            titles
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ScmSchema {
    pub scm_id: String,
    pub name: String,
    pub default_hosts: Vec<String>,
    pub oauth: Option<Value>,
    pub pat: Option<Value>,
}
