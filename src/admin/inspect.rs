//! Control-plane reads: sessions, the journal with filters, verification counts, coverage, and
//! scenarios with their hit counts.

use crate::app::App;
use crate::error::RpcError;
use crate::journal::Entry;
use crate::scenario::runtime_contains;
use crate::session::Sessions;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub fn sessions(app: &App) -> Value {
    let list: Vec<Value> = app
        .sessions
        .existing()
        .iter()
        .map(|s| {
            let s = s.lock();
            json!({
                "id": s.id,
                "records": s.state.environment_classes.len() + s.state.scm_integrations.len() + s.state.host_tokens.len(),
                "journalEntries": s.journal.len(),
                "idleMs": s.last_used.elapsed().as_millis() as u64,
                "activeScenarios": s.active,
            })
        })
        .collect();
    json!({ "sessions": list })
}

/// A filter on journal entries: every given field must match.
#[derive(Default)]
struct Filter {
    method: Option<String>,
    code: Option<String>,
    status: Option<u16>,
    scenario: Option<String>,
    body: Option<Value>,
    headers: BTreeMap<String, String>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        self.method
            .as_ref()
            .is_none_or(|m| crate::scenario::glob(m, &e.method))
            && self.code.as_ref().is_none_or(|c| *c == e.code)
            && self.status.is_none_or(|s| s == e.status)
            && self
                .scenario
                .as_ref()
                .is_none_or(|s| e.scenario.as_ref() == Some(s))
            && self
                .body
                .as_ref()
                .is_none_or(|b| runtime_contains(&e.request, b))
            && self
                .headers
                .iter()
                .all(|(k, v)| e.headers.get(k.to_ascii_lowercase().as_str()) == Some(v))
    }
}

pub fn journal(
    app: &App,
    session: &str,
    query: &[(String, String)],
) -> Result<(u16, Value), RpcError> {
    let mut filter = Filter::default();
    let mut limit = usize::MAX;
    for (k, v) in query {
        match k.as_str() {
            "method" => filter.method = Some(v.clone()),
            "code" => filter.code = Some(v.clone()),
            "status" => {
                filter.status = Some(v.parse().map_err(|_| {
                    RpcError::invalid_argument(format!("status must be a number, got {v:?}"))
                })?)
            }
            "scenario" => filter.scenario = Some(v.clone()),
            "limit" => {
                limit = v.parse().map_err(|_| {
                    RpcError::invalid_argument(format!("limit must be a number, got {v:?}"))
                })?
            }
            "session" => {}
            other => {
                return Err(RpcError::invalid_argument(format!(
                    "unknown journal filter {other:?}: use method, code, status, scenario, limit or session"
                )))
            }
        }
    }
    let s = app.sessions.peek(session);
    let s = s.lock();
    let mut entries: Vec<&Entry> = s.journal.entries().filter(|e| filter.matches(e)).collect();
    let skip = entries.len().saturating_sub(limit);
    entries.drain(..skip);
    Ok((
        200,
        json!({ "session": session, "dropped": s.journal.dropped(), "entries": entries }),
    ))
}

/// What `POST /__mock/verify` may ask. Unknown keys and wrong types are refused: a misspelt
/// `"mehtod"` would otherwise count every call and let a client test pass by accident.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Predicate {
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
}

/// `POST /__mock/verify`: how many journal entries match a predicate
/// `{session, method, code, status, scenario, body (subset), headers}`.
pub fn verify(app: &App, predicate: &Value, session: &str) -> Result<(u16, Value), RpcError> {
    let p = Predicate::deserialize(predicate)
        .map_err(|e| RpcError::invalid_argument(format!("verify: {e}")))?;
    let headers = p
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
        method: p.method,
        code: p.code,
        status: p.status,
        scenario: p.scenario,
        body: p.body,
        headers,
    };
    let session = match p.session {
        Some(id) => Sessions::normalize_id(&id)?,
        None => session.to_string(),
    };
    let s = app.sessions.peek(&session);
    let s = s.lock();
    let seqs: Vec<u64> = s
        .journal
        .entries()
        .filter(|e| filter.matches(e))
        .map(|e| e.seq)
        .collect();
    Ok((
        200,
        json!({ "session": session, "count": seqs.len(), "seqs": seqs, "dropped": s.journal.dropped() }),
    ))
}

pub fn coverage(app: &App, session: &str) -> Value {
    let s = app.sessions.peek(session);
    let s = s.lock();
    let not_called: Vec<&str> = crate::service::HANDLERS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !s.coverage.methods.contains_key(*name))
        .collect();
    json!({
        "session": session,
        "methods": s.coverage.methods,
        "methodsNotCalled": not_called,
        "codes": s.coverage.codes,
        "scenarios": s.coverage.scenarios,
    })
}

pub fn scenarios(app: &App, session: &str) -> Value {
    let s = app.sessions.peek(session);
    let s = s.lock();
    // The library before the active list, in the order `App::scenarios_for` takes them: with
    // parking_lot's fair RwLocks, the opposite order can deadlock against a call and two
    // waiting writers (a scenario being loaded and one being switched on).
    let library = app.scenarios.read();
    let global = app.active.read();
    let list: Vec<Value> = library
        .all()
        .map(|scenario| {
            let rules: Vec<Value> = (0..scenario.rules.len())
                .map(|i| {
                    let count = s
                        .scenarios
                        .counts()
                        .get(&(scenario.name.clone(), i))
                        .copied()
                        .unwrap_or_default();
                    json!({ "rule": i + 1, "matched": count.matched, "fired": count.fired })
                })
                .collect();
            json!({
                "name": scenario.name,
                "description": scenario.description,
                "file": scenario.file,
                "activeServerWide": global.contains(&scenario.name),
                "activeInSession": s.active.contains(&scenario.name),
                "rules": rules,
            })
        })
        .collect();
    json!({ "session": session, "scenarios": list })
}
