//! The scenario file format: what a YAML (or JSON) scenario may say, read with serde and
//! refusing unknown keys, so a typo fails at load time instead of silently matching nothing.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// One scenario file: a name, a description and ordered rules; the first rule that fires wins.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Defaults to the file name without its extension.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: String,
    pub rules: Vec<RuleSpec>,
}

/// A rule: which calls it matches, when among them it fires, and what it does then.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    #[serde(default, rename = "match")]
    pub matcher: MatchSpec,
    #[serde(default)]
    pub when: WhenSpec,
    /// Answer a Connect error: a code name, or `{code, message, details}`.
    #[serde(default)]
    pub error: Option<ErrorSpec>,
    /// Answer something that is not Connect at all, like a proxy's 502 page or truncated JSON.
    #[serde(default)]
    pub raw: Option<RawSpec>,
    /// `reset` drops the connection with a TCP reset; `close` closes it with no response.
    #[serde(default)]
    pub connection: Option<ConnectionFault>,
    /// Answer 200 with this body (JSON for the method's response message; any codec).
    #[serde(default)]
    pub respond: Option<Value>,
    /// A token bucket per session: calls beyond it get resource_exhausted with retry-after.
    #[serde(default)]
    pub rate_limit: Option<RateLimitSpec>,
    /// Wait past the client's Connect-Timeout-Ms and answer deadline_exceeded.
    #[serde(default)]
    pub exceed_deadline: Option<ExceedDeadlineSpec>,
    /// Wait before answering; with no other action the call then goes on normally.
    #[serde(default)]
    pub delay: Option<DelaySpec>,
    /// Send the response body slowly, a few bytes at a time.
    #[serde(default)]
    pub dribble: Option<DribbleSpec>,
    /// Extra response headers, e.g. `retry-after`, `retry-after-ms`, `x-should-retry`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Explicitly go on to normal behaviour (useful to stop later rules from firing).
    #[serde(default)]
    pub pass: bool,
}

/// Which calls a rule looks at. Everything given must hold; an empty match takes every call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    /// Method names, `*` globs allowed (`Create*`); any method when empty.
    #[serde(default)]
    pub method: OneOrMany,
    /// A JSON subset the canonical (camelCase) request body must contain.
    #[serde(default)]
    pub body: Option<Value>,
    /// Field-path predicates on the body, e.g. `"filter.runnerIds": {contains: "…"}`.
    #[serde(default)]
    pub fields: BTreeMap<String, Predicate>,
    /// Request headers that must be present with these values (`*` for any value).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// A test on one field of the body: a plain value means equality; an object is a test
/// (`{equals: …}`, `{matches: …}`, …) whose keys are checked, so `{contain: x}` fails to load
/// instead of quietly comparing the field with the object `{contain: x}`.
#[derive(Debug, Clone)]
pub enum Predicate {
    Test(PredicateTest),
    Equals(Value),
}

impl<'de> Deserialize<'de> for Predicate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            test @ Value::Object(_) => PredicateTest::deserialize(test)
                .map(Predicate::Test)
                .map_err(|e| {
                    serde::de::Error::custom(format!(
                        "{e} (to compare with an object, write equals: {{…}})"
                    ))
                }),
            value => Ok(Predicate::Equals(value)),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredicateTest {
    #[serde(default)]
    pub equals: Option<Value>,
    #[serde(default, rename = "in")]
    pub one_of: Option<Vec<Value>>,
    /// A regular expression the string value must match.
    #[serde(default)]
    pub matches: Option<String>,
    /// For lists: the list holds this value.
    #[serde(default)]
    pub contains: Option<Value>,
    #[serde(default)]
    pub exists: Option<bool>,
}

/// Among the matching calls (counted per session from 1), which ones fire. All given conditions
/// must hold; with none, every matching call fires.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhenSpec {
    /// Only the nth matching call.
    #[serde(default)]
    pub nth: Option<u64>,
    /// The first k matching calls ("fail twice, then succeed" is `first: 2`).
    #[serde(default)]
    pub first: Option<u64>,
    /// Only calls after the first k.
    #[serde(default)]
    pub after: Option<u64>,
    /// Calls 1, 1+n, 1+2n, … (`every: 2` fails every other call).
    #[serde(default)]
    pub every: Option<u64>,
    /// Each call fires with this probability, drawn from the session's seeded generator.
    #[serde(default)]
    pub probability: Option<f64>,
}

/// A Connect error: a code name, or `{code, message, details}` with its keys checked, so a
/// misspelt `mesage` fails to load instead of being dropped.
#[derive(Debug, Clone)]
pub enum ErrorSpec {
    Code(String),
    Full {
        code: String,
        message: Option<String>,
        /// Details as `{type, value (base64), debug}` objects, sent as given.
        details: Vec<Value>,
    },
}

impl<'de> Deserialize<'de> for ErrorSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Full {
            code: String,
            #[serde(default)]
            message: Option<String>,
            #[serde(default)]
            details: Vec<Value>,
        }
        match Value::deserialize(d)? {
            Value::String(code) => Ok(ErrorSpec::Code(code)),
            full @ Value::Object(_) => Full::deserialize(full)
                .map(|f| ErrorSpec::Full {
                    code: f.code,
                    message: f.message,
                    details: f.details,
                })
                .map_err(serde::de::Error::custom),
            other => Err(serde::de::Error::custom(format!(
                "error is a code name or {{code, message, details}}, not {other}"
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    pub status: u16,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub body: String,
}

/// `connection:`, read as the answer it becomes.
pub use crate::codec::answer::ConnectionFault;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    /// Calls allowed in a burst.
    pub capacity: u32,
    /// Calls added back per second.
    pub per_second: f64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceedDeadlineSpec {
    /// How long past the client's deadline to wait (default 50 ms).
    #[serde(default)]
    pub margin_ms: Option<u64>,
    /// The wait when the client sent no Connect-Timeout-Ms (default 1000 ms).
    #[serde(default)]
    pub fallback_ms: Option<u64>,
}

/// A fixed delay (`ms`), a uniform one (`min_ms`..`max_ms`), or a lognormal one
/// (`median_ms`, `sigma`), always capped by `max_ms` when given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelaySpec {
    #[serde(default)]
    pub ms: Option<u64>,
    #[serde(default)]
    pub min_ms: Option<u64>,
    #[serde(default)]
    pub max_ms: Option<u64>,
    #[serde(default)]
    pub median_ms: Option<u64>,
    #[serde(default)]
    pub sigma: Option<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DribbleSpec {
    pub chunk_bytes: usize,
    pub interval_ms: u64,
}
