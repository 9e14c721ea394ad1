//! Runs a request through its compiled JSON Schema and turns each failure into a protovalidate
//! violation: the proto field path, the rule id and the rule's message.

use super::checks::{RuleRoot, RuleStep};
use super::rules::Rule;
use super::Contract;
use jsonschema::paths::LocationSegment;
use jsonschema::Validator;
use prost_reflect::{FieldDescriptor, MessageDescriptor};
use serde_json::Value;
use std::borrow::Cow;

/// A compiled request schema.
pub(super) struct RequestValidator {
    validator: Validator,
}

/// One broken rule, as protovalidate reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Violation {
    /// The proto path, e.g. `filter.runner_ids[0]`.
    pub field_path: String,
    /// Field numbers along the path, used to sort violations into field order.
    pub(crate) sort_key: Vec<(u32, usize)>,
    pub(crate) elements: Vec<(FieldDescriptor, Option<usize>)>,
    /// The oneof a oneof rule's violation names, after `elements`.
    pub(crate) oneof: Option<String>,
    pub rule_id: String,
    /// Which rules message `rule_path` starts in: `FieldRules` unless told.
    pub(crate) rule_root: RuleRoot,
    pub(crate) rule_path: Vec<RuleStep>,
    pub message: String,
    /// Among violations of one field, protovalidate reports `required` (0) first, then the
    /// custom `cel` rules (1), then the standard rules (2).
    pub(crate) rank: u8,
    /// Not a broken rule but one that could not be evaluated: protovalidate's runtime error,
    /// which connect-go's validate interceptor answers `invalid_argument` without a detail.
    pub(crate) runtime_error: bool,
}

/// A violation at `elements`, its path and sort key filled in, its rule left to the caller.
pub(crate) fn violation_at(elements: Vec<(FieldDescriptor, Option<usize>)>) -> Violation {
    Violation {
        field_path: field_path(&elements),
        sort_key: elements
            .iter()
            .map(|(f, i)| (f.number(), i.unwrap_or(0)))
            .collect(),
        elements,
        rank: 2,
        ..Violation::default()
    }
}

/// `filter.runner_ids[0]`.
fn field_path(elements: &[(FieldDescriptor, Option<usize>)]) -> String {
    elements
        .iter()
        .map(|(f, i)| match i {
            Some(i) => format!("{}[{i}]", f.name()),
            None => f.name().to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

impl RequestValidator {
    /// The validator of `message`'s derived JSON Schema; an error names the message when the
    /// schema does not compile (a contract construct the derivation gets wrong).
    pub(super) fn new(
        contract: &Contract,
        message: &MessageDescriptor,
    ) -> Result<RequestValidator, String> {
        let schema = contract.request_schema(message);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| {
                format!(
                    "the JSON Schema derived for {} does not compile: {e}; this is a gitpod-mock bug",
                    message.full_name()
                )
            })?;
        Ok(RequestValidator { validator })
    }

    pub(super) fn check(
        &self,
        contract: &Contract,
        message: &MessageDescriptor,
        canonical: &Value,
    ) -> Result<(), Vec<Violation>> {
        // One pass: a valid request ends at the first `peek`, an invalid one is not walked
        // twice (is_valid, then iter_errors).
        let mut errors = self.validator.iter_errors(canonical).peekable();
        if errors.peek().is_none() {
            return Ok(());
        }
        let mut violations: Vec<Violation> = errors
            .filter_map(|error| {
                let keyword = error
                    .schema_path()
                    .segments()
                    .last()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                violation(
                    contract,
                    message,
                    error.instance_path().segments(),
                    &keyword,
                    error.instance(),
                )
                .or_else(|| {
                    // A failure no contract rule explains: report it as the schema words it,
                    // masked so the request's own values are never echoed.
                    Some(Violation {
                        field_path: error
                            .instance_path()
                            .as_str()
                            .trim_start_matches('/')
                            .replace('/', "."),
                        rule_id: keyword.clone(),
                        message: error.masked().to_string(),
                        rank: 2,
                        ..Violation::default()
                    })
                })
            })
            .collect();
        violations.sort_by(|a, b| a.sort_key.cmp(&b.sort_key));
        violations.dedup_by(|a, b| a.field_path == b.field_path && a.rule_id == b.rule_id);
        Err(violations)
    }
}

impl Contract {
    /// The schema pass's verdict with the second pass's violations merged in.
    pub(super) fn second_pass(
        &self,
        schema: Result<(), Vec<Violation>>,
        message: &MessageDescriptor,
        canonical: &Value,
    ) -> Result<(), Vec<Violation>> {
        let mut found = schema.err().unwrap_or_default();
        match self.checks.check(message, canonical) {
            super::checks::Outcome::Violations(more) => found.extend(more),
            super::checks::Outcome::RuntimeError(why) => {
                return Err(vec![Violation {
                    message: why,
                    runtime_error: true,
                    ..Violation::default()
                }])
            }
        }
        match found.is_empty() {
            true => Ok(()),
            false => Err(merge(found)),
        }
    }
}

/// Both passes' violations in protovalidate's order: by field, and within a field `required`,
/// then custom rules, then standard ones; each (field, rule) once.
pub(super) fn merge(mut violations: Vec<Violation>) -> Vec<Violation> {
    violations.sort_by(|a, b| (&a.sort_key, a.rank).cmp(&(&b.sort_key, b.rank)));
    let mut seen = std::collections::HashSet::new();
    violations.retain(|v| {
        seen.insert((
            v.field_path.clone(),
            v.oneof.clone(),
            v.rule_id.clone(),
            v.message.clone(),
        ))
    });
    violations
}

fn violation<'a>(
    contract: &Contract,
    root: &MessageDescriptor,
    path: impl Iterator<Item = LocationSegment<'a>>,
    keyword: &str,
    value: &Value,
) -> Option<Violation> {
    let mut message = root.clone();
    let mut elements: Vec<(FieldDescriptor, Option<usize>)> = Vec::new();
    for segment in path {
        match segment {
            LocationSegment::Property(name) => {
                if let Some((field, _)) = elements.last() {
                    if let prost_reflect::Kind::Message(m) = field.kind() {
                        message = m;
                    }
                }
                let field = message
                    .get_field_by_json_name(&name)
                    .or_else(|| message.get_field_by_name(&name))?;
                elements.push((field, None));
            }
            LocationSegment::Index(i) => elements.last_mut()?.1 = Some(i),
        }
    }
    let (field, index) = elements.last()?;
    let rules = contract.rules_of(field);
    let rules = if index.is_some() {
        rules.items.as_deref()?
    } else {
        rules
    };
    // Canonical requests always carry fields without presence, so only rule keywords fail here.
    let rule = rules
        .rules
        .iter()
        .find(|r| r.matches_keyword(keyword))?
        .clone();
    Some(build(elements, rule, value))
}

fn build(elements: Vec<(FieldDescriptor, Option<usize>)>, rule: Rule, value: &Value) -> Violation {
    let items = elements.last().is_some_and(|(_, i)| i.is_some());
    let prefix: &[&'static str] = if items { &["repeated", "items"] } else { &[] };
    let rule_path = prefix
        .iter()
        .chain(rule.path())
        .map(|name| (Cow::Borrowed(*name), None))
        .collect();
    Violation {
        rule_id: rule.id(value).to_string(),
        rule_path,
        message: rule.message(value),
        rank: if rule == Rule::Required { 0 } else { 2 },
        ..violation_at(elements)
    }
}
