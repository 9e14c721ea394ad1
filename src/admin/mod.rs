//! The control plane under `/__mock/`: health, sessions and resets, state export and import,
//! the journal, verification, coverage, scenarios, and the dashboard's resources, record edits
//! and live feed, and its files. Plain JSON, usable with curl; beyond loopback every route but
//! the probes and the dashboard's files wants the control token (`auth::ControlAccess`).

mod coverage;
mod in_process;
pub(crate) mod inspect;
pub mod live;
pub mod records;
pub mod ui;
mod verify;

use crate::app::App;
use crate::error::{Code, RpcError};
use crate::scenario::Scenario;
use crate::session::Sessions;
use http::{HeaderMap, Method};
use serde_json::{json, Value};

/// The status of an unmet expectation (`verify`, `coverage?require=`): 412 Precondition Failed
/// tells "the calls you asked about did not happen" apart from 400, "your question is malformed",
/// and like any 4xx it makes `curl --fail` exit non-zero.
const UNMET: u16 = 412;

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

/// A control-plane route, parsed from the path alone so a wrong method can be told from an
/// unknown path.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Route<'a> {
    Health,
    Ready,
    ResetAll,
    Sessions,
    SessionReset(&'a str),
    Session(&'a str),
    State,
    Journal,
    Verify,
    Coverage,
    Scenarios,
    Switch(&'a str, bool),
    /// The drift report of `serve --upstream` (`drift`).
    Drift,
    /// Each resource's records and methods, for the dashboard's Data view.
    Resources,
    /// Checks a scenario without loading it, for the dashboard's editor.
    CheckScenario,
}

impl<'a> Route<'a> {
    fn parse(path: &'a str) -> Option<Route<'a>> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        Some(match segments.as_slice() {
            ["health"] => Route::Health,
            ["ready"] => Route::Ready,
            ["reset"] => Route::ResetAll,
            ["sessions"] => Route::Sessions,
            ["sessions", id, "reset"] => Route::SessionReset(id),
            ["sessions", id] => Route::Session(id),
            ["state"] => Route::State,
            ["journal"] => Route::Journal,
            ["verify"] => Route::Verify,
            ["coverage"] => Route::Coverage,
            ["scenarios"] => Route::Scenarios,
            ["drift"] => Route::Drift,
            ["resources"] => Route::Resources,
            ["scenarios", "check"] => Route::CheckScenario,
            ["scenarios", name, "activate"] => Route::Switch(name, true),
            ["scenarios", name, "deactivate"] => Route::Switch(name, false),
            _ => return None,
        })
    }

    /// The HTTP methods the route answers; HEAD goes with every GET.
    fn allowed(self) -> &'static [Method] {
        const GET: &[Method] = &[Method::GET, Method::HEAD];
        const POST: &[Method] = &[Method::POST];
        match self {
            Route::Health
            | Route::Ready
            | Route::Sessions
            | Route::Journal
            | Route::Coverage
            | Route::Resources => GET,
            Route::ResetAll
            | Route::SessionReset(_)
            | Route::Verify
            | Route::Switch(..)
            | Route::CheckScenario => POST,
            Route::Session(_) => &[Method::DELETE],
            Route::State => &[Method::GET, Method::HEAD, Method::PUT, Method::POST],
            Route::Scenarios => &[Method::GET, Method::HEAD, Method::POST, Method::PUT],
            Route::Drift => &[Method::GET, Method::HEAD, Method::DELETE],
        }
    }

    /// Liveness and readiness answer without the control token: orchestrators probe them
    /// without credentials, and they say only that the server is up and how many sessions exist.
    fn is_probe(self) -> bool {
        matches!(self, Route::Health | Route::Ready)
    }
}

/// Serves a control-plane request: a status and a JSON body, or an error.
pub fn handle(app: &App, call: &AdminCall<'_>) -> Result<(u16, Value), RpcError> {
    let route = Route::parse(call.path).ok_or_else(|| {
        RpcError::new(
            Code::NotFound,
            format!(
                "no control-plane route {PREFIX}{}; see the README's control plane section",
                call.path
            ),
        )
        .with_status(404)
    })?;
    if !route.is_probe() {
        app.settings.control.check(call.headers)?;
    }
    only(call.method, call.path, route.allowed())?;
    let writes = !matches!(*call.method, Method::GET | Method::HEAD);
    match route {
        // Without the control token a probe learns only that the server is up: a reload error
        // names files and fields, which only the control plane's users may read.
        Route::Health => {
            let detailed = app.settings.control.check(call.headers).is_ok();
            Ok((200, app.health(detailed)))
        }
        Route::Ready => Ok((
            200,
            json!({ "ready": true, "sessions": app.sessions.existing().len() }),
        )),
        Route::ResetAll => {
            app.sessions.reset_all();
            Ok((200, json!({ "reset": "all" })))
        }
        Route::Sessions => Ok((200, inspect::sessions(app))),
        Route::SessionReset(id) | Route::Session(id) => {
            // A path keeps `+` as it is; only a query turns it into a space.
            let id = Sessions::normalize_id(&decoded(&id.replace('+', "%2B")))?;
            let existed = app.sessions.drop_session(&id);
            Ok((200, json!({ "session": id, "existed": existed })))
        }
        Route::State if writes => {
            let value = json_body(call)?;
            let id = session(call)?;
            app.sessions
                .get(&id)
                .lock()
                .import(&value)
                .map_err(RpcError::invalid_argument)?;
            Ok((200, json!({ "session": id, "imported": true })))
        }
        Route::State => Ok((
            200,
            app.sessions.peek(&session(call)?).lock().state.export(),
        )),
        Route::Journal => inspect::journal(app, &session(call)?, &query_pairs(call.query)),
        Route::Verify => verify::verify(app, &json_body(call)?, &session(call)?),
        Route::Coverage => coverage::coverage(app, &session(call)?, &query_pairs(call.query)),
        Route::Scenarios if writes => load_scenario(app, call),
        Route::Scenarios => Ok((200, inspect::scenarios(app, &session(call)?))),
        Route::Switch(name, on) => switch(app, call, name, on),
        Route::Drift if writes => {
            app.drift.clear();
            Ok((200, json!({ "cleared": true })))
        }
        Route::Drift => Ok((200, app.drift_report())),
        Route::Resources => Ok((200, records::list(app, &session(call)?))),
        Route::CheckScenario => Ok((200, check_scenario(app, call)?)),
    }
}

/// Refuses an HTTP method the control-plane route at `path` (after `/__mock/`) does not
/// answer: 405, with the ones it does in `Allow`.
pub(crate) fn only(method: &Method, path: &str, allowed: &[Method]) -> Result<(), RpcError> {
    if allowed.contains(method) {
        return Ok(());
    }
    let names: Vec<&str> = allowed.iter().map(Method::as_str).collect();
    Err(RpcError::new(
        Code::Unknown,
        format!(
            "HTTP method {method} is not allowed on {PREFIX}{}: use {}",
            path.trim_matches('/'),
            names.join(" or ")
        ),
    )
    .with_status(405)
    .with_header("allow", names.join(", ")))
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

/// Loads (or replaces) a scenario from a YAML or JSON body, named by `?name=` or else by the
/// file's own `name:`. A name is required: a default would let two posts replace each other.
fn load_scenario(app: &App, call: &AdminCall<'_>) -> Result<(u16, Value), RpcError> {
    let text = std::str::from_utf8(call.body)
        .map_err(|_| RpcError::invalid_argument("the scenario must be UTF-8 YAML or JSON"))?;
    let from_query = query_pairs(call.query)
        .into_iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v);
    let name = from_query
        .filter(|n| !n.is_empty())
        .or_else(|| Scenario::declared_name(text))
        .ok_or_else(|| {
            RpcError::invalid_argument(
                "name the scenario: add ?name=NAME to the URL or a name: line to the file",
            )
        })?;
    let usable = name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !usable {
        return Err(RpcError::invalid_argument(format!(
            "scenario name {name:?}: use letters, digits, '-', '_' and '.'"
        )));
    }
    let mut scenario = Scenario::parse(&app.contract, &format!("{name}.yaml"), text)
        .map_err(RpcError::invalid_argument)?;
    scenario.name = name;
    let loaded = scenario.name.clone();
    app.scenarios.write().post(scenario);
    // A replaced scenario starts counting afresh in every session.
    for session in app.sessions.existing() {
        session.lock().scenarios.forget(&loaded);
    }
    Ok((200, json!({ "loaded": loaded })))
}

/// Checks a scenario as `POST scenarios` would load it, with the same checker as `check`,
/// and loads nothing: `{ok, name, rules}` or `{ok: false, errors}`, one problem each.
fn check_scenario(app: &App, call: &AdminCall<'_>) -> Result<Value, RpcError> {
    let text = std::str::from_utf8(call.body)
        .map_err(|_| RpcError::invalid_argument("the scenario must be UTF-8 YAML or JSON"))?;
    let name = Scenario::declared_name(text).unwrap_or_else(|| "scenario".into());
    Ok(
        match Scenario::parse(&app.contract, &format!("{name}.yaml"), text) {
            Ok(scenario) => json!({ "ok": true, "name": name, "rules": scenario.rules.len() }),
            Err(problems) => json!({ "ok": false, "errors": problems.lines().collect::<Vec<_>>() }),
        },
    )
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
