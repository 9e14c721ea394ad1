//! The control plane under `/__mock/`: health, sessions and resets, state export and import,
//! the journal, verification, coverage, and scenarios. Plain JSON, usable with curl.

mod inspect;

use crate::app::App;
use crate::error::{Code, RpcError};
use crate::scenario::Scenario;
use crate::session::Sessions;
use http::{HeaderMap, Method};
use serde_json::{json, Value};

/// The reserved path prefix of the control plane.
pub const PREFIX: &str = "/__mock/";

/// A control-plane request.
pub struct AdminCall<'a> {
    pub method: &'a Method,
    /// The path after `/__mock/`, e.g. `sessions/ci-1/reset`.
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// Serves a control-plane request: a status and a JSON body, or an error.
pub fn handle(app: &App, call: &AdminCall<'_>) -> Result<(u16, Value), RpcError> {
    let segments: Vec<&str> = call.path.trim_matches('/').split('/').collect();
    let m = call.method;
    match (m, segments.as_slice()) {
        (&Method::GET, ["health"]) => Ok((200, json!({ "status": "ok" }))),
        (&Method::GET, ["ready"]) => Ok((
            200,
            json!({ "ready": true, "sessions": app.sessions.existing().len() }),
        )),
        (&Method::POST, ["reset"]) => {
            app.sessions.reset_all();
            Ok((200, json!({ "reset": "all" })))
        }
        (&Method::GET, ["sessions"]) => Ok((200, inspect::sessions(app))),
        (&Method::POST, ["sessions", id, "reset"]) | (&Method::DELETE, ["sessions", id]) => {
            // A path keeps `+` as it is; only a query turns it into a space.
            let id = Sessions::normalize_id(&decoded(&id.replace('+', "%2B")))?;
            let existed = app.sessions.drop_session(&id);
            Ok((200, json!({ "session": id, "existed": existed })))
        }
        (&Method::GET, ["state"]) => Ok((
            200,
            app.sessions.peek(&session(call)?).lock().state.export(),
        )),
        (&Method::PUT | &Method::POST, ["state"]) => {
            let value = json_body(call)?;
            let id = session(call)?;
            app.sessions
                .get(&id)
                .lock()
                .import(&value)
                .map_err(RpcError::invalid_argument)?;
            Ok((200, json!({ "session": id, "imported": true })))
        }
        (&Method::GET, ["journal"]) => {
            inspect::journal(app, &session(call)?, &query_pairs(call.query))
        }
        (&Method::POST, ["verify"]) => inspect::verify(app, &json_body(call)?, &session(call)?),
        (&Method::GET, ["coverage"]) => Ok((200, inspect::coverage(app, &session(call)?))),
        (&Method::GET, ["scenarios"]) => Ok((200, inspect::scenarios(app, &session(call)?))),
        (&Method::POST | &Method::PUT, ["scenarios"]) => load_scenario(app, call),
        (&Method::POST, ["scenarios", name, verb @ ("activate" | "deactivate")]) => {
            switch(app, call, name, *verb == "activate")
        }
        _ => Err(RpcError::new(
            Code::NotFound,
            format!(
                "no control-plane route {m} {PREFIX}{}; see the README's control plane section",
                call.path
            ),
        )
        .with_status(404)),
    }
}

/// The session a control-plane call is about: `?session=`, else `x-mock-session`, else default,
/// normalised as the RPC path normalises its header.
fn session(call: &AdminCall<'_>) -> Result<String, RpcError> {
    let from_query = query_pairs(call.query)
        .into_iter()
        .find(|(k, _)| k == "session")
        .map(|(_, v)| v);
    match from_query {
        Some(id) => Sessions::normalize_id(&id),
        None => Sessions::id_from_headers(call.headers),
    }
}

fn query_pairs(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (k.to_string(), decoded(v))
        })
        .collect()
}

/// A percent-encoded query value or path segment, as text.
fn decoded(raw: &str) -> String {
    String::from_utf8_lossy(&crate::codec::get::percent_decode(raw)).into_owned()
}

fn json_body(call: &AdminCall<'_>) -> Result<Value, RpcError> {
    serde_json::from_slice(call.body)
        .map_err(|e| RpcError::invalid_argument(format!("the body must be JSON: {e}")))
}

/// Loads (or replaces) a scenario from a YAML or JSON body; `?name=` names it when the file does not.
fn load_scenario(app: &App, call: &AdminCall<'_>) -> Result<(u16, Value), RpcError> {
    let text = std::str::from_utf8(call.body)
        .map_err(|_| RpcError::invalid_argument("the scenario must be UTF-8 YAML or JSON"))?;
    let name = query_pairs(call.query)
        .into_iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v)
        .unwrap_or_else(|| "posted".into());
    let scenario = Scenario::parse(&app.contract, &format!("{name}.yaml"), text)
        .map_err(RpcError::invalid_argument)?;
    let loaded = scenario.name.clone();
    app.scenarios.write().insert(scenario);
    // A replaced scenario starts counting afresh in every session.
    for session in app.sessions.existing() {
        session.lock().scenarios.forget(&loaded);
    }
    Ok((200, json!({ "loaded": loaded })))
}

/// Switches a scenario on or off: for one session with `?session=` or the header, else server-wide.
fn switch(app: &App, call: &AdminCall<'_>, name: &str, on: bool) -> Result<(u16, Value), RpcError> {
    if app.scenarios.read().get(name).is_none() {
        return Err(RpcError::not_found(app.scenarios.read().unknown(name)));
    }
    let scoped = query_pairs(call.query).iter().any(|(k, _)| k == "session")
        || call.headers.contains_key("x-mock-session");
    let toggle = |list: &mut Vec<String>| {
        list.retain(|n| n != name);
        if on {
            list.push(name.to_string());
        }
        list.clone()
    };
    let (scope, active) = if scoped {
        let id = session(call)?;
        let session = app.sessions.get(&id);
        let mut session = session.lock();
        session.last_used = std::time::Instant::now();
        let active = toggle(&mut session.active);
        (id, active)
    } else {
        ("server".to_string(), toggle(&mut app.active.write()))
    };
    Ok((200, json!({ "scope": scope, "active": active })))
}
