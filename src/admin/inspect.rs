//! Control-plane reads: sessions, the journal with filters, verification counts, coverage, and
//! scenarios with their hit counts.

use crate::app::App;
use crate::error::RpcError;
use crate::journal::Entry;
use crate::scenario::runtime_contains;
use crate::service::Route;
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
    /// One entry, by its number (the dashboard's detail view).
    pub seq: Option<u64>,
    pub body: Option<Value>,
    pub headers: BTreeMap<String, String>,
}

impl Filter {
    fn matches(&self, e: &Entry) -> bool {
        self.seq.is_none_or(|seq| seq == e.seq) && self.mismatches(e).is_empty()
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
            "seq" => {
                filter.seq = Some(v.parse().map_err(|_| {
                    RpcError::invalid_argument(format!("seq must be a number, got {v:?}"))
                })?)
            }
            "limit" => {
                limit = v.parse().map_err(|_| {
                    RpcError::invalid_argument(format!("limit must be a number, got {v:?}"))
                })?
            }
            "session" => {}
            other => {
                return Err(RpcError::invalid_argument(format!(
                    "unknown journal filter {other:?}: use method, code, status, scenario, seq, limit or session"
                )))
            }
        }
    }
    let s = app.sessions.peek(session);
    let s = s.lock();
    let mut entries: Vec<&Entry> = s.journal.entries().filter(|e| filter.matches(e)).collect();
    let skip = entries.len().saturating_sub(limit);
    entries.drain(..skip);
    let entries: Vec<Value> = entries.into_iter().map(|e| with_response(app, e)).collect();
    Ok((
        200,
        json!({ "session": session, "dropped": s.journal.dropped(), "entries": entries }),
    ))
}

/// An entry as the journal shows it, with its answer decoded as proto3 JSON (`response`), and
/// `responseTruncated` when the answer was too large to keep.
fn with_response(app: &App, e: &Entry) -> Value {
    let mut shown = serde_json::to_value(e).expect("an entry serializes");
    let output = match app.table.route(crate::rpc::strip_api_prefix(&e.path)) {
        Some(Route::Served(entry)) => Some(&entry.procedure.output),
        Some(Route::Uncovered(procedure, _)) => Some(&procedure.output),
        None => None,
    };
    let (response, truncated) = e.answer.to_json(output, &app.secrets);
    shown["response"] = response;
    if truncated {
        shown["responseTruncated"] = json!(true);
    }
    shown
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
                    json!({
                        "rule": i + 1,
                        "summary": scenario.rules[i].summary(),
                        "matched": count.matched,
                        "fired": count.fired,
                    })
                })
                .collect();
            json!({
                "name": scenario.name,
                "description": scenario.description,
                "file": scenario.file,
                "source": scenario.source,
                "activeServerWide": global.contains(&scenario.name),
                "activeInSession": s.active.contains(&scenario.name),
                "rules": rules,
            })
        })
        .collect();
    json!({ "session": session, "scenarios": list })
}
