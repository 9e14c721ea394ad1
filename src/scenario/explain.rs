//! Why each active scenario rule did or did not fire for a call: the first test a rule's call
//! failed (its method, body subset, a field predicate, a header, or its `when` counter), as
//! the journal keeps it and `GET /__mock/journal` shows it. The texts name the rule's own
//! terms (but no header value) and the call's method and counts, never a value the call
//! carried, so no secret of a request or a header reaches them.

use super::compile::{glob, FieldTest, Rule};
use super::runtime::CallInfo;
use serde::Serialize;
use serde_json::Value;

/// The most rules one call's explanation lists; the rest are counted in the last.
pub const MAX_EXPLAINED: usize = 16;

/// One rule's verdict on one call.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explained {
    pub scenario: String,
    /// 1-based, as the journal's `rule` and the log's `rule=SCENARIO#N` count.
    pub rule: usize,
    pub fired: bool,
    /// Why it did not fire, or what firing did; `fired` says which.
    pub reason: String,
}

impl Explained {
    /// About how many bytes the explanation holds, for the journal's budget.
    pub fn bytes(&self) -> usize {
        self.scenario.len() + self.reason.len() + 32
    }
}

/// The first test of `rule` that `call` fails, as a reason; None when the call matches.
pub(super) fn miss(rule: &Rule, call: &CallInfo<'_>) -> Option<String> {
    if !rule.methods.is_empty() && !rule.methods.iter().any(|m| glob(m, call.method)) {
        let wanted = rule.methods.join(", ");
        return Some(format!(
            "method: the rule is for {wanted}, this was {}",
            call.method
        ));
    }
    if let Some(subset) = &rule.body {
        if !super::runtime::contains(call.body, subset) {
            return Some(format!(
                "body: the request does not contain {}",
                short(subset)
            ));
        }
    }
    for (path, test) in &rule.fields {
        if !field_matches(lookup(call.body, path), test) {
            return Some(format!("field {path}: {}", failed(test)));
        }
    }
    for (name, want) in &rule.headers {
        let got = call.headers.get(name).and_then(|v| v.to_str().ok());
        match got {
            None => return Some(format!("header {name}: the call has none")),
            Some(got) if want != "*" && got != want => {
                return Some(format!("header {name}: the call's is not the rule's"))
            }
            Some(_) => {}
        }
    }
    None
}

/// Why a matching call, the rule's `count`th, was held back by its `when`; None if it fires.
/// `drawn` is the probability draw, if the rule has one.
pub(super) fn held_back(rule: &Rule, count: u64, drawn: Option<f64>) -> Option<String> {
    let w = &rule.when;
    let this = format!("this was call {count}");
    if let Some(n) = w.nth.filter(|n| count != *n) {
        return Some(format!("when nth: {n}, {this}"));
    }
    if let Some(k) = w.first.filter(|k| count > *k) {
        return Some(format!("when first: {k}, {this}"));
    }
    if let Some(k) = w.after.filter(|k| count <= *k) {
        return Some(format!("when after: {k}, {this}"));
    }
    if let Some(n) = w.every.filter(|n| !(count - 1).is_multiple_of(*n)) {
        return Some(format!("when every: {n}, {this}"));
    }
    match (w.probability, drawn) {
        (Some(p), Some(d)) if d >= p => Some(format!("when probability: {p}, not drawn this time")),
        _ => None,
    }
}

/// What a field predicate asked for, said of a request that does not have it.
fn failed(test: &FieldTest) -> String {
    match test {
        FieldTest::Exists(true) => "the request does not set it".into(),
        FieldTest::Exists(false) => "the request sets it".into(),
        FieldTest::Equals(want) => format!("the request's is not {}", short(want)),
        FieldTest::OneOf(options) => {
            let options: Vec<String> = options.iter().map(short).collect();
            format!("the request's is none of {}", options.join(", "))
        }
        FieldTest::Matches(re) => format!("the request's does not match /{}/", re.as_str()),
        FieldTest::Contains(item) => format!("the request's does not contain {}", short(item)),
    }
}

/// A value of the rule's, as compact JSON of at most 120 characters.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// The value at a dotted path such as `filter.runnerIds` or `configuration.0.key`.
pub(super) fn lookup<'a>(body: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(body, |v, part| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        _ => v.get(part),
    })
}

pub(super) fn field_matches(value: Option<&Value>, test: &FieldTest) -> bool {
    // Fields left at their default count as absent, as in proto3.
    let present = value.filter(|v| {
        !matches!(v, Value::Null)
            && **v != Value::String(String::new())
            && **v != Value::Array(Vec::new())
    });
    match test {
        FieldTest::Exists(want) => present.is_some() == *want,
        FieldTest::Equals(want) => value == Some(want),
        FieldTest::OneOf(options) => value.is_some_and(|v| options.contains(v)),
        FieldTest::Matches(re) => value
            .and_then(Value::as_str)
            .is_some_and(|s| re.is_match(s)),
        FieldTest::Contains(item) => value
            .and_then(Value::as_array)
            .is_some_and(|items| items.contains(item)),
    }
}
