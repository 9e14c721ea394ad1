//! `POST /__mock/verify`: counts the journal entries that match a predicate and, given an
//! expectation (`count`, `atLeast`, `atMost`), fails with 412 and the nearest other calls when
//! it does not hold, so `curl --fail` fails the CI job that asked.

use super::inspect::Filter;
use crate::app::App;
use crate::error::RpcError;
use crate::journal::Entry;
use crate::session::Sessions;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// How many of the calls that did not match an unmet expectation lists.
const NEAREST: usize = 5;

/// What `POST /__mock/verify` may ask. Unknown keys and wrong types are refused: a misspelt
/// `"mehtod"` would otherwise count every call and let a client test pass by accident. The
/// expectation may sit in `expect` or, as people tend to write it, beside the predicate.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Request {
    #[serde(default)]
    session: Option<String>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    scenario: Option<String>,
    #[serde(default)]
    body: Option<Value>,
    /// Header values may be given as numbers, e.g. `{"x-stainless-retry-count": 1}`.
    #[serde(default)]
    headers: BTreeMap<String, Value>,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    count: Option<u64>,
    #[serde(default, alias = "at_least")]
    at_least: Option<u64>,
    #[serde(default, alias = "at_most")]
    at_most: Option<u64>,
}

/// How many matching calls there must be.
#[derive(Debug, Default, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Expect {
    #[serde(default)]
    count: Option<u64>,
    #[serde(default, alias = "at_least")]
    at_least: Option<u64>,
    #[serde(default, alias = "at_most")]
    at_most: Option<u64>,
}

impl Expect {
    fn is_empty(&self) -> bool {
        *self == Expect::default()
    }

    fn check(&self) -> Result<(), String> {
        match (self.count, self.at_least, self.at_most) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err("give count, or atLeast and/or atMost, not both".into())
            }
            (_, Some(low), Some(high)) if low > high => {
                Err(format!("atLeast ({low}) is more than atMost ({high})"))
            }
            _ => Ok(()),
        }
    }

    fn holds(&self, n: u64) -> bool {
        self.count.is_none_or(|c| n == c)
            && self.at_least.is_none_or(|low| n >= low)
            && self.at_most.is_none_or(|high| n <= high)
    }

    /// Whether fewer calls than expected matched (rather than too many).
    fn too_few(&self, n: u64) -> bool {
        self.count.or(self.at_least).is_some_and(|want| n < want)
    }

    /// "exactly 1 matching call", "at least 2 matching calls", …
    fn describe(&self) -> String {
        let calls = |n: u64| {
            if n == 1 {
                "matching call"
            } else {
                "matching calls"
            }
        };
        match (self.count, self.at_least, self.at_most) {
            (Some(c), ..) => format!("exactly {c} {}", calls(c)),
            (None, Some(low), Some(high)) => format!("between {low} and {high} {}", calls(high)),
            (None, Some(low), None) => format!("at least {low} {}", calls(low)),
            (None, None, Some(high)) => format!("at most {high} {}", calls(high)),
            (None, None, None) => "any number of matching calls".into(),
        }
    }

    fn json(&self) -> Value {
        let mut out = serde_json::Map::new();
        let parts = [
            ("count", self.count),
            ("atLeast", self.at_least),
            ("atMost", self.at_most),
        ];
        for (name, value) in parts {
            if let Some(value) = value {
                out.insert(name.into(), json!(value));
            }
        }
        Value::Object(out)
    }
}

/// `POST /__mock/verify`: the matching calls' count and sequence numbers; with an expectation
/// that fails, status 412 and the calls that came nearest to matching.
pub(super) fn verify(app: &App, request: &Value, session: &str) -> Result<(u16, Value), RpcError> {
    let r = Request::deserialize(request)
        .map_err(|e| RpcError::invalid_argument(format!("verify: {e}")))?;
    let beside = Expect {
        count: r.count,
        at_least: r.at_least,
        at_most: r.at_most,
    };
    let expect = match (r.expect, beside.is_empty()) {
        (Some(_), false) => {
            return Err(RpcError::invalid_argument(
                "verify: give the expectation once, in expect or beside the predicate",
            ))
        }
        (Some(expect), true) => Some(expect),
        (None, false) => Some(beside),
        (None, true) => None,
    };
    if let Some(expect) = &expect {
        expect
            .check()
            .map_err(|e| RpcError::invalid_argument(format!("verify: {e}")))?;
    }
    let headers = r
        .headers
        .iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .map(String::from)
                .unwrap_or_else(|| v.to_string());
            (k.to_ascii_lowercase(), v)
        })
        .collect();
    let filter = Filter {
        method: r.method,
        code: r.code,
        status: r.status,
        scenario: r.scenario,
        seq: None,
        body: r.body,
        headers,
    };
    let session = match r.session {
        Some(id) => Sessions::normalize_id(&id)?,
        None => session.to_string(),
    };
    let s = app.sessions.peek(&session);
    let s = s.lock();
    let mut seqs = Vec::new();
    let mut others = Vec::new();
    for entry in s.journal.entries() {
        let mismatches = filter.mismatches(entry);
        if mismatches.is_empty() {
            seqs.push(entry.seq);
        } else {
            others.push((entry, mismatches));
        }
    }
    let count = seqs.len() as u64;
    let mut body = json!({
        "session": session,
        "count": count,
        "seqs": seqs,
        "dropped": s.journal.dropped(),
    });
    let Some(expect) = expect else {
        return Ok((200, body));
    };
    body["expect"] = expect.json();
    body["met"] = json!(expect.holds(count));
    if expect.holds(count) {
        return Ok((200, body));
    }
    let dropped = match s.journal.dropped() {
        0 => String::new(),
        n => format!(" ({n} older calls were dropped from the journal; see --journal-size)"),
    };
    body["code"] = json!("failed_precondition");
    body["message"] = json!(format!(
        "expected {} in session {session:?}, got {count}{dropped}",
        expect.describe()
    ));
    if expect.too_few(count) {
        body["nearest"] = nearest(&filter, others);
    }
    Ok((super::UNMET, body))
}

/// The calls that came nearest to matching: first those of the method asked about, then those
/// failing the fewest parts of the predicate, then the most recent.
fn nearest(filter: &Filter, mut others: Vec<(&Entry, Vec<String>)>) -> Value {
    others.sort_by_key(|(e, mismatches)| {
        (
            filter.other_method(e),
            mismatches.len(),
            std::cmp::Reverse(e.seq),
        )
    });
    let list: Vec<Value> = others
        .into_iter()
        .take(NEAREST)
        .map(|(e, mismatches)| {
            json!({
                "seq": e.seq,
                "method": e.method,
                "code": e.code,
                "status": e.status,
                "mismatched": mismatches,
            })
        })
        .collect();
    Value::Array(list)
}
