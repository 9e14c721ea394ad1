//! `GET /__mock/coverage`: which methods a session called, with which codes, and the error
//! paths it never took: `invalid_argument` (every method validates its request), `not_found`
//! for methods that name a record, `unauthenticated` under `--require-auth`, and every code a
//! scenario active in the session (or named by one of its calls) scripts for the method.

use crate::app::App;
use crate::contract::conventions::Verb;
use crate::error::RpcError;
use crate::scenario::{Action, Scenario};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// `GET /__mock/coverage`: what a session exercised. With `?require=methods` it fails (412)
/// while a documented method was never called, so `curl --fail` can fail a CI job.
pub(super) fn coverage(
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
    let mut matrix: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for (path, codes) in &s.coverage.outcomes {
        let name = names
            .get(path.as_str())
            .map_or(path.as_str(), String::as_str);
        let row = matrix.entry(name).or_default();
        for (code, n) in codes {
            *row.entry(code.as_str()).or_default() += n;
        }
    }
    // The scenarios that could have answered: switched on for the session or server-wide, or
    // asked for by a call's x-mock-scenario header.
    let asked: Vec<String> = s.coverage.scenarios.keys().cloned().collect();
    let scenarios = app.scenarios_for(&asked, &s.active).unwrap_or_default();
    let untaken: Vec<Value> = error_paths(app, &scenarios)
        .into_iter()
        .filter(|(path, code)| {
            let taken = s.coverage.outcomes.get(*path);
            !taken.is_some_and(|codes| codes.contains_key(*code))
        })
        .map(|(path, code)| json!({ "method": names[path], "code": code }))
        .collect();
    let mut body = json!({
        "session": session,
        "methods": methods,
        "methodsNotCalled": not_called,
        "codes": s.coverage.codes,
        "scenarios": s.coverage.scenarios,
        "matrix": matrix,
        "errorPathsNotExercised": untaken,
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
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for e in entries {
        *uses.entry(e.procedure.name.as_str()).or_default() += 1;
    }
    let shared = |name: &str| uses[name] > 1;
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

/// Each method's error paths, by path: the codes the mock can answer it with.
fn error_paths<'a>(app: &'a App, scenarios: &[Arc<Scenario>]) -> Vec<(&'a str, &'static str)> {
    let mut out = Vec::new();
    for entry in app.table.entries() {
        let p = &entry.procedure;
        let mut codes: BTreeSet<&'static str> = BTreeSet::from(["invalid_argument"]);
        let verb = entry.resource_method().map(|m| m.verb);
        if matches!(verb, Some(Verb::Get | Verb::Update | Verb::Delete)) {
            codes.insert("not_found");
        }
        if app.auth.is_some() {
            codes.insert("unauthenticated");
        }
        let path = p.path.trim_start_matches('/');
        for rule in scenarios.iter().flat_map(|s| s.rules.iter()) {
            let named = rule.methods.is_empty()
                || rule
                    .methods
                    .iter()
                    .any(|m| crate::scenario::glob(m, &p.name) || crate::scenario::glob(m, path));
            let code = match &rule.action {
                Action::Error(e) => Some(e.code.as_str()),
                Action::RateLimit { .. } => Some("resource_exhausted"),
                Action::ExceedDeadline { .. } => Some("deadline_exceeded"),
                _ => None,
            };
            if let Some(code) = code.filter(|_| named) {
                codes.insert(code);
            }
        }
        out.extend(codes.into_iter().map(|code| (p.path.as_str(), code)));
    }
    out
}
