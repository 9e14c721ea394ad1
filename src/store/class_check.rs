//! An environment class checked against its runner's schema: the rules
//! ValidateRunnerConfiguration reports, which fixture checking holds fixture classes to as well.

use super::records::FieldValue;
use super::runner_schema::{Pattern, RunnerSchema, SchemaField};

/// What is wrong with an environment class; nothing when it fits its runner's schema.
#[derive(Debug, Default, PartialEq)]
pub struct ClassProblems {
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// (configuration key, error): first the values given, in order, then each required field
    /// left out.
    pub configuration: Vec<(String, String)>,
}

impl ClassProblems {
    pub fn is_valid(&self) -> bool {
        *self == ClassProblems::default()
    }

    /// The problems as (field, reason) pairs, as fixture checking reports them.
    pub fn by_field(&self) -> Vec<(String, String)> {
        let fields = [
            ("displayName", &self.display_name),
            ("description", &self.description),
        ];
        let mut problems: Vec<(String, String)> = fields
            .into_iter()
            .filter_map(|(field, e)| Some((field.to_string(), e.clone()?)))
            .collect();
        problems.extend(
            self.configuration
                .iter()
                .map(|(key, e)| ("configuration".to_string(), format!("{key}: {e}"))),
        );
        problems
    }
}

/// Checks an environment class's display name, description and configuration against
/// `schema`.
pub fn check_class(
    schema: &RunnerSchema,
    display_name: &str,
    description: &str,
    configuration: &[FieldValue],
) -> ClassProblems {
    let mut errors = Vec::new();
    let mut seen = Vec::new();
    for FieldValue { key, value } in configuration {
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
            errors.push((key.clone(), error));
        }
    }
    for field in schema
        .environment_classes
        .iter()
        .filter(|f| f.required && !configuration.iter().any(|c| c.key == f.id))
    {
        errors.push((field.id.clone(), format!("{} is required", field.name)));
    }
    ClassProblems {
        display_name: length_error("display name", display_name, 3, 127),
        description: length_error("description", description, 3, 200),
        configuration: errors,
    }
}

fn length_error(what: &str, value: &str, min: usize, max: usize) -> Option<String> {
    let len = value.chars().count();
    (len < min || len > max)
        .then(|| format!("{what} must be between {min} and {max} characters long, got {len}"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn problems_are_named_by_field_in_the_order_they_are_found() {
        let schema: RunnerSchema = serde_json::from_value(json!({
            "version": "v1",
            "environmentClasses": [
                {"id": "cpu", "name": "CPU", "required": true, "int": {"min": 1, "max": 8}},
                {"id": "disk", "name": "Disk", "required": true, "int": {"min": 1, "max": 9}},
            ],
        }))
        .unwrap();
        let value = |key: &str, value: &str| FieldValue {
            key: key.into(),
            value: value.into(),
        };
        let config = [value("cpu", "99"), value("gpu", "1"), value("cpu", "2")];
        let problems = check_class(&schema, "ab", "fine text", &config);
        assert!(!problems.is_valid());
        assert_eq!(
            problems.by_field(),
            [
                (
                    "displayName",
                    "display name must be between 3 and 127 characters long, got 2"
                ),
                ("configuration", "cpu: must be between 1 and 8, got 99"),
                (
                    "configuration",
                    "gpu: unknown configuration key: the runner's schema (version v1) has no such field"
                ),
                ("configuration", "cpu: is set more than once"),
                ("configuration", "disk: Disk is required"),
            ]
            .map(|(f, r)| (f.to_string(), r.to_string()))
        );
        let fine = check_class(
            &schema,
            "abc",
            "fine text",
            &[value("cpu", "2"), value("disk", "3")],
        );
        assert!(fine.is_valid(), "{fine:?}");
    }
}
