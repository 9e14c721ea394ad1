//! A runner's configuration schema (`RunnerConfigurationSchema`), typed for the checks
//! `ValidateRunnerConfiguration` runs against it. String patterns are compiled here, once, when
//! the fixtures load, never per request.

use regex::Regex;
use serde::{Deserialize, Deserializer};
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

impl RunnerSchema {
    /// Every pattern that does not compile, as (field path, reason), for fixture checking.
    pub fn pattern_problems(&self) -> Vec<(String, String)> {
        let lists = [
            ("runnerConfig", &self.runner_config),
            ("environmentClasses", &self.environment_classes),
        ];
        let fields = lists
            .into_iter()
            .flat_map(|(list, fields)| fields.iter().enumerate().map(move |(i, f)| (list, i, f)));
        fields
            .filter_map(|(list, i, field)| match &field.string.as_ref()?.pattern {
                Pattern::Invalid { source, reason } => Some((
                    format!("{list}[{i}].string.pattern"),
                    format!("{source:?} is not a valid pattern: {reason}"),
                )),
                _ => None,
            })
            .collect()
    }
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
    pub pattern: Pattern,
    pub default: String,
}

/// A string field's `pattern`, compiled as it is read.
#[derive(Debug, Clone, Default)]
pub enum Pattern {
    /// No pattern (or an empty one): any value matches.
    #[default]
    Any,
    Regex(Regex),
    /// A pattern that does not compile; fixture loading reports it with this reason.
    Invalid {
        source: String,
        reason: String,
    },
}

impl Pattern {
    pub fn new(source: &str) -> Pattern {
        if source.is_empty() {
            return Pattern::Any;
        }
        Regex::new(source).map_or_else(
            |e| Pattern::Invalid {
                source: source.to_string(),
                // A syntax error spans lines (the pattern, a caret, the reason): keep the reason.
                reason: e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .trim_start_matches("error: ")
                    .to_string(),
            },
            Pattern::Regex,
        )
    }

    /// The pattern as the schema wrote it.
    pub fn source(&self) -> &str {
        match self {
            Pattern::Any => "",
            Pattern::Regex(re) => re.as_str(),
            Pattern::Invalid { source, .. } => source,
        }
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pattern, D::Error> {
        Ok(Pattern::new(&String::deserialize(d)?))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patterns_are_compiled_when_the_schema_is_read() {
        let field = |pattern: &str| {
            let json = json!({"id": "f", "string": {"pattern": pattern}});
            serde_json::from_value::<SchemaField>(json)
                .unwrap()
                .string
                .unwrap()
                .pattern
        };
        let Pattern::Regex(re) = field("^[a-z]+$") else {
            panic!("a valid pattern compiles");
        };
        assert!(re.is_match("abc") && !re.is_match("ABC"));
        assert!(matches!(field(""), Pattern::Any));
        let bad = field("([a-z");
        assert!(matches!(&bad, Pattern::Invalid { reason, .. } if !reason.is_empty()));
        assert_eq!(bad.source(), "([a-z");
    }

    #[test]
    fn invalid_patterns_are_named_by_their_field_path() {
        let json = json!({"environmentClasses": [
            {"id": "a", "string": {"pattern": "^ok$"}},
            {"id": "b", "string": {"pattern": "(["}},
        ]});
        let schema: RunnerSchema = serde_json::from_value(json).unwrap();
        let problems = schema.pattern_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].0, "environmentClasses[1].string.pattern");
        assert!(
            problems[0].1.starts_with("\"([\" is not a valid pattern: "),
            "{}",
            problems[0].1
        );
    }
}
