//! Walks a canonical request with its message's checks and reports what they find, in
//! protovalidate's terms: each rule's id, the field path, the message.

use super::{Compiled, FieldCheck, Ignore, MessageChecks, RuleRoot, ValueChecks};
use crate::contract::validate::{self, Violation};
use cel::{Context, Value};
use prost_reflect::{FieldDescriptor, Kind, MessageDescriptor};
use serde_json::Value as Json;
use std::borrow::Cow;

/// What the second pass found: violations, or a rule that could not be evaluated.
pub(crate) enum Outcome {
    Violations(Vec<Violation>),
    /// protovalidate's runtime error, e.g. a CEL expression that fails on this request.
    RuntimeError(String),
}

type Path = Vec<(FieldDescriptor, Option<usize>)>;

/// One walk over a request. The CEL context is made once, at the first rule evaluated.
struct Walk<'a> {
    checks: &'a super::Checks,
    context: Option<Context<'static, 'static>>,
    found: Vec<Violation>,
}

impl super::Checks {
    /// Checks a canonical `request` of type `desc`.
    pub(crate) fn check(&self, desc: &MessageDescriptor, request: &Json) -> Outcome {
        let mut walk = Walk {
            checks: self,
            context: None,
            found: Vec::new(),
        };
        match walk.message(desc, request, &Vec::new()) {
            Ok(()) => Outcome::Violations(walk.found),
            Err(why) => Outcome::RuntimeError(why),
        }
    }
}

impl Walk<'_> {
    fn message(
        &mut self,
        desc: &MessageDescriptor,
        json: &Json,
        path: &Path,
    ) -> Result<(), String> {
        let Some(checks) = self.checks.messages.get(desc.full_name()) else {
            return Ok(());
        };
        let checks: &MessageChecks = checks;
        if !checks.cel.is_empty() {
            let this = super::to_cel::message(desc, json);
            for rule in &checks.cel {
                if let Some(message) = self.evaluate(rule, &this)? {
                    self.report(path, rule, message, 1);
                }
            }
        }
        for oneof in &checks.message_oneofs {
            let set: usize = oneof.fields.iter().filter(|f| is_set(f, json)).count();
            let names = oneof
                .fields
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", ");
            let message = match set {
                0 if oneof.required => format!("one of {names} must be set"),
                0 | 1 => continue,
                _ => format!("only one of {names} can be set"),
            };
            self.found.push(Violation {
                rule_id: "message.oneof".into(),
                rule_root: RuleRoot::Message,
                rule_path: vec![(Cow::Borrowed("oneof"), Some(oneof.index))],
                message,
                rank: 1,
                ..validate::violation_at(path.clone())
            });
        }
        for oneof in &checks.required_oneofs {
            if !oneof.fields().any(|f| is_set(&f, json)) {
                self.found.push(Violation {
                    oneof: Some(oneof.name().to_string()),
                    rule_id: "required".into(),
                    rule_root: RuleRoot::Oneof,
                    rule_path: vec![(Cow::Borrowed("required"), None)],
                    message: "exactly one field is required in oneof".into(),
                    rank: 1,
                    ..validate::violation_at(path.clone())
                });
            }
        }
        for check in &checks.fields {
            self.field(check, json, path)?;
        }
        Ok(())
    }

    fn field(&mut self, check: &FieldCheck, json: &Json, path: &Path) -> Result<(), String> {
        let field = &check.field;
        let value = json.get(field.json_name()).filter(|v| !v.is_null());
        let mut here = path.clone();
        here.push((field.clone(), None));
        let set = is_set(field, json);
        if check.required && !set {
            let required = vec![(Cow::Borrowed("required"), None)];
            self.found.push(Violation {
                rule_id: "required".into(),
                rule_path: required,
                message: "value is required".into(),
                rank: 0,
                ..validate::violation_at(here)
            });
            return Ok(());
        }
        let Some(value) = value else { return Ok(()) };
        if check.ignore == Ignore::Always
            || (check.ignore == Ignore::IfZeroValue && !set)
            || (field.supports_presence() && !set)
        {
            return Ok(());
        }
        self.rules(&check.own, &super::to_cel::field_value(field, value), &here)?;
        if field.is_map() {
            let Kind::Message(entry) = field.kind() else {
                return Ok(());
            };
            if let Kind::Message(values) = entry.map_entry_value_field().kind() {
                for item in value.as_object().into_iter().flatten().map(|(_, v)| v) {
                    // Map values have no index path here; their rules' violations name the map.
                    self.message(&values, item, &here)?;
                }
            }
            return Ok(());
        }
        if field.is_list() {
            for (i, item) in value.as_array().into_iter().flatten().enumerate() {
                let mut at = path.clone();
                at.push((field.clone(), Some(i)));
                if let Some((ignore, items)) = &check.items {
                    let zero = is_zero_single(&field.kind(), item);
                    if *ignore != Ignore::Always && !(*ignore == Ignore::IfZeroValue && zero) {
                        self.rules(items, &super::to_cel::single(&field.kind(), item), &at)?;
                    }
                }
                if let Kind::Message(m) = field.kind() {
                    self.message(&m, item, &at)?;
                }
            }
            return Ok(());
        }
        if let Kind::Message(m) = field.kind() {
            self.message(&m, value, &here)?;
        }
        Ok(())
    }

    fn rules(&mut self, checks: &ValueChecks, this: &Value, path: &Path) -> Result<(), String> {
        for rule in &checks.rules {
            if let Some(message) = self.evaluate(rule, this)? {
                let rank = if rule.rules.is_some() { 2 } else { 1 };
                self.report(path, rule, message, rank);
            }
        }
        Ok(())
    }

    fn report(&mut self, path: &Path, rule: &Compiled, message: String, rank: u8) {
        self.found.push(Violation {
            rule_id: rule.id.clone(),
            rule_root: rule.root,
            rule_path: rule.path.clone(),
            message,
            rank,
            ..validate::violation_at(path.clone())
        });
    }

    /// The failure message of `rule` on `this`, None when it holds.
    fn evaluate(&mut self, rule: &Compiled, this: &Value) -> Result<Option<String>, String> {
        let context = self.context.get_or_insert_with(|| {
            let mut context = Context::with_env(super::environment().clone());
            super::functions::register(&mut context);
            let now = chrono::Utc::now().fixed_offset();
            context.add_variable_from_value("now", Value::Timestamp(now));
            context
        });
        context.add_variable_from_value("this", this.clone());
        if let Some(rules) = &rule.rules {
            context.add_variable_from_value("rules", rules.clone());
        }
        if let Some(value) = &rule.rule {
            context.add_variable_from_value("rule", value.clone());
        }
        match rule.program.execute(context) {
            Ok(Value::Bool(true)) => Ok(None),
            Ok(Value::Bool(false)) if rule.message.is_empty() => {
                Ok(Some(format!("\"{}\" returned false", rule.expression)))
            }
            Ok(Value::Bool(false)) => Ok(Some(rule.message.clone())),
            Ok(Value::String(s)) if s.is_empty() => Ok(None),
            Ok(Value::String(s)) => Ok(Some(s.to_string())),
            Ok(other) => Err(format!(
                "rule {:?} gave {}, neither a bool nor a string",
                rule.id,
                other.type_of()
            )),
            Err(e) => Err(format!("rule {:?}: {e}", rule.id)),
        }
    }
}

/// Whether `field` is set in `json`: present for a field with presence, otherwise not its
/// zero value (an empty list or map counts as unset).
fn is_set(field: &FieldDescriptor, json: &Json) -> bool {
    let Some(value) = json.get(field.json_name()).filter(|v| !v.is_null()) else {
        return false;
    };
    if field.is_list() {
        return value.as_array().is_some_and(|a| !a.is_empty());
    }
    if field.is_map() {
        return value.as_object().is_some_and(|o| !o.is_empty());
    }
    field.supports_presence() || !is_zero_single(&field.kind(), value)
}

/// Whether one value is its kind's zero value, in proto3 JSON.
fn is_zero_single(kind: &Kind, json: &Json) -> bool {
    match (kind, json) {
        (_, Json::Null) => true,
        (Kind::Enum(e), Json::String(name)) => {
            e.get_value_by_name(name).is_some_and(|v| v.number() == 0)
        }
        (Kind::Message(_), _) => false,
        (Kind::String | Kind::Bytes, Json::String(s)) => s.is_empty(),
        // 64-bit integers are strings in proto3 JSON.
        (_, Json::String(s)) => s.is_empty() || s == "0",
        (_, Json::Number(n)) => n.as_f64() == Some(0.0),
        (_, Json::Bool(b)) => !b,
        (_, Json::Array(a)) => a.is_empty(),
        (_, Json::Object(o)) => o.is_empty(),
    }
}
