//! Control-plane reads: sessions, the journal with filters, verification counts, coverage, and
//! scenarios with their hit counts.

use crate::app::App;
use crate::error::RpcError;
use crate::journal::Entry;
use crate::scenario::runtime_contains;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) fn sessions(app: &App) -> Value {
    let list: Vec<Value> = app
        .sessions
        .existing()
        .iter()
        .map(|s| {
            let s = s.lock();
            json!({
                "id": s.id,
                "records": s.state.records(),
                "journalEntries": s.journal.len(),
                "idleMs": s.last_used.elapsed().as_millis() as u64,
                "activeScenarios": s.active,
                "followsFiles": s.follows_files(),
            })
        })
        .collect();
    json!({ "sessions": list })
}

/// A filter on journal entries: every given field must match.
#[derive(Default)]
pub(super) struct Filter {
    pub method: Option<String>,
    pub code: Option<String>,
    pub status: Option<u16>,
    pub scenario: Option<String>,
    pub body: Option<Value>,
    pub headers: BTreeMap<String, String>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        self.mismatches(e).is_empty()
    }

    /// The parts of the filter `e` fails, each saying what was wanted and what the call had.
    pub(super) fn mismatches(&self, e: &Entry) -> Vec<String> {
        let mut out = Vec::new();
        let mut differs = |part: &str, wanted: &str, got: Option<&str>| {
            let got = got.map_or("none".to_string(), |g| format!("{g:?}"));
            out.push(format!("{part}: wanted {wanted:?}, got {got}"));
        };
        if let Some(m) = self.method.as_ref().filter(|m| !of_method(m, e)) {
            differs("method", m, Some(&e.method));
        }
        if let Some(c) = self.code.as_ref().filter(|c| **c != e.code) {
            differs("code", c, Some(&e.code));
        }
        if let Some(s) = self.status.filter(|s| *s != e.status) {
            differs("status", &s.to_string(), Some(&e.status.to_string()));
        }
        if let Some(s) = self
            .scenario
            .as_ref()
            .filter(|s| e.scenario.as_ref() != Some(*s))
        {
            differs("scenario", s, e.scenario.as_deref());
        }
        for (k, v) in &self.headers {
            let got = e.headers.get(k.to_ascii_lowercase().as_str());
            if got != Some(v) {
                differs(&format!("header {k}"), v, got.map(String::as_str));
            }
        }
        if self
            .body
            .as_ref()
            .is_some_and(|b| !runtime_contains(&e.request, b))
        {
            out.push("body: the request does not contain the given subset".into());
        }
        out
    }

    /// Whether the call was of another method than the filter names.
    pub(super) fn other_method(&self, e: &Entry) -> bool {
        self.method.as_ref().is_some_and(|m| !of_method(m, e))
    }
}

/// Whether the call was of the method `pattern` names: a method name (or glob), or, with a
/// `/`, a `package.Service/Method` path (or glob), for two services' methods of one name.
fn of_method(pattern: &str, e: &Entry) -> bool {
    match pattern.contains('/') {
        true => crate::scenario::glob(pattern, e.path.trim_start_matches('/')),
        false => crate::scenario::glob(pattern, &e.method),
    }
}

pub(crate) fn journal(
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

/// `GET /__mock/coverage`: what a session exercised. With `?require=methods` it fails (412)
/// while a documented method was never called, so `curl --fail` can fail a CI job.
pub(crate) fn coverage(
    app: &App,
    session: &str,
    query: &[(String, String)],
) -> Result<(u16, Value), RpcError> {
    let mut require_methods = false;
    for (k, v) in query {
        match (k.as_str(), v.as_str()) {
            ("session", _) => {}
            ("require", "methods") => require_methods = true,
            ("require", other) => {
                return Err(RpcError::invalid_argument(format!(
                    "unknown coverage requirement {other:?}: use require=methods (every documented method was called)"
                )))
            }
            (other, _) => {
                return Err(RpcError::invalid_argument(format!(
                    "unknown coverage parameter {other:?}: use session or require"
                )))
            }
        }
    }
    let s = app.sessions.peek(session);
    let s = s.lock();
    let documented = app.table.entries();
    let names = method_names(app);
    let not_called: Vec<&str> = documented
        .iter()
        .filter(|entry| !s.coverage.methods.contains_key(&entry.procedure.path))
        .map(|entry| names[entry.procedure.path.as_str()].as_str())
        .collect();
    let mut methods: BTreeMap<&str, u64> = BTreeMap::new();
    for (path, calls) in &s.coverage.methods {
        let name = names.get(path.as_str()).map_or_else(
            || path.rsplit('/').next().unwrap_or_default(),
            String::as_str,
        );
        *methods.entry(name).or_default() += calls;
    }
    let mut body = json!({
        "session": session,
        "methods": methods,
        "methodsNotCalled": not_called,
        "codes": s.coverage.codes,
        "scenarios": s.coverage.scenarios,
    });
    if !require_methods || not_called.is_empty() {
        return Ok((200, body));
    }
    body["code"] = json!("failed_precondition");
    body["message"] = json!(format!(
        "{} of {} documented methods were never called in session {session:?}: {}",
        not_called.len(),
        documented.len(),
        not_called.join(", ")
    ));
    Ok((super::UNMET, body))
}

/// How coverage names each procedure, by path: by its method name, or as `package.Service/Method`
/// where another service has a method of that name.
fn method_names(app: &App) -> BTreeMap<&str, String> {
    let entries = app.table.entries();
    let shared = |name: &str| entries.iter().filter(|e| e.procedure.name == name).count() > 1;
    entries
        .iter()
        .map(|e| {
            let p = &e.procedure;
            let name = match shared(&p.name) {
                true => p.path.trim_start_matches('/').to_string(),
                false => p.name.clone(),
            };
            (p.path.as_str(), name)
        })
        .collect()
}

pub(crate) fn scenarios(app: &App, session: &str) -> Value {
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
